//! The access model's vocabulary: the fixed permission catalog, the built-in roles as named
//! permission sets, and the check every API route makes. Which roles a caller holds is decided
//! by the Worker from D1 on every request; this module only says what they allow.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// One thing a caller may be allowed to do. The catalog is fixed: roles combine these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read the synced groups, their members and roles.
    ReadGroups,
    /// Read users, invitations and effective access.
    ReadUsers,
    /// Read the audit log.
    ReadAudit,
    /// Start, confirm or discard Okta syncs.
    RunSync,
    /// Assign roles to groups.
    AssignRoles,
    /// Invite users.
    InviteUsers,
    /// Read and change the Okta API settings and test the connection.
    ManageSettings,
    /// Register and remove the relying app's own permissions (issue #14). No role grants it:
    /// superAdmins hold it, and an API key may be given it, so the relying app can keep its
    /// permissions in step with its own releases.
    ManageCatalog,
}

impl Permission {
    /// Every permission of the catalog.
    pub const ALL: [Self; 8] = [
        Self::ReadGroups,
        Self::ReadUsers,
        Self::ReadAudit,
        Self::RunSync,
        Self::AssignRoles,
        Self::InviteUsers,
        Self::ManageSettings,
        Self::ManageCatalog,
    ];

    /// Whether the permission only reads (so a read-only machine client may hold it).
    pub const fn is_read_only(self) -> bool {
        matches!(self, Self::ReadGroups | Self::ReadUsers | Self::ReadAudit)
    }

    /// Whether a machine client (an API key or a service token) may hold the permission: the
    /// reads, and the one narrow write of the relying app's permission names. Nothing a machine
    /// holds hands out access: a registered permission grants nothing until a superAdmin puts
    /// it into a role and the role on a group.
    pub const fn is_for_machines(self) -> bool {
        self.is_read_only() || matches!(self, Self::ManageCatalog)
    }

    /// The wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ReadGroups => "read_groups",
            Self::ReadUsers => "read_users",
            Self::ReadAudit => "read_audit",
            Self::RunSync => "run_sync",
            Self::AssignRoles => "assign_roles",
            Self::InviteUsers => "invite_users",
            Self::ManageSettings => "manage_settings",
            Self::ManageCatalog => "manage_catalog",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A built-in role: a named set of permissions that groups can grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum BuiltInRole {
    /// Reads groups and users.
    Viewer,
    /// A Viewer who also assigns roles and invites users.
    Editor,
    /// An Editor who also runs syncs and reads the audit log.
    Admin,
}

impl BuiltInRole {
    /// Every built-in role, least to most powerful.
    pub const ALL: [Self; 3] = [Self::Viewer, Self::Editor, Self::Admin];

    /// The role's permissions. Settings stay with superAdmins: no role grants them.
    pub fn permissions(self) -> BTreeSet<Permission> {
        use Permission::*;
        let granted: &[Permission] = match self {
            Self::Viewer => &[ReadGroups, ReadUsers],
            Self::Editor => &[ReadGroups, ReadUsers, AssignRoles, InviteUsers],
            Self::Admin => &[ReadGroups, ReadUsers, ReadAudit, AssignRoles, InviteUsers, RunSync],
        };
        granted.iter().copied().collect()
    }

    /// The wire spelling (`viewer`, `editor`, `admin`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }

    /// The name shown to people.
    pub const fn display_name(self) -> &'static str {
        match self {
            Self::Viewer => "Viewer",
            Self::Editor => "Editor",
            Self::Admin => "Admin",
        }
    }

    /// Reads a role from its wire spelling.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// The least powerful built-in role that grants `permission`; `None` when only superAdmins
    /// hold it.
    pub fn least_granting(permission: Permission) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.permissions().contains(&permission))
    }
}

/// What a person lacking `permission` needs, in words for people (roles, not permission ids):
/// "This needs the Editor role or higher."
pub fn needed_for(permission: Permission) -> String {
    match BuiltInRole::least_granting(permission) {
        Some(BuiltInRole::Admin) => "This needs the Admin role or superAdmin.".to_owned(),
        Some(role) => format!("This needs the {} role or higher.", role.display_name()),
        None => "Only superAdmins may do this.".to_owned(),
    }
}

/// The permissions a person holds: the union of their roles', or everything for a superAdmin.
pub fn permissions_of(roles: &[BuiltInRole], super_admin: bool) -> BTreeSet<Permission> {
    if super_admin {
        return Permission::ALL.into_iter().collect();
    }
    roles.iter().flat_map(|role| role.permissions()).collect()
}

/// A role a caller may not hand out or take away, and the permission of it they lack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeyondCaller {
    /// The role.
    pub role: BuiltInRole,
    /// Its first permission the caller does not hold.
    pub lacking: Permission,
}

/// The no-escalation rule: the first of `roles` beyond the caller's own permissions, if any.
///
/// A caller may grant or remove only roles whose permissions are all among their own (`held`;
/// a superAdmin holds every permission). Removing counts too: otherwise an Editor could strip
/// the Admin role from every group.
pub fn beyond_caller(held: &BTreeSet<Permission>, roles: &[BuiltInRole]) -> Option<BeyondCaller> {
    roles.iter().find_map(|&role| {
        let lacking = role.permissions().into_iter().find(|p| !held.contains(p))?;
        Some(BeyondCaller { role, lacking })
    })
}

/// The roles whose holders change when a group's roles go from `before` to `after`: those added
/// and those removed, least powerful first.
pub fn roles_changed(before: &[BuiltInRole], after: &[BuiltInRole]) -> Vec<BuiltInRole> {
    let before: BTreeSet<BuiltInRole> = before.iter().copied().collect();
    let after: BTreeSet<BuiltInRole> = after.iter().copied().collect();
    before.symmetric_difference(&after).copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_permission_is_named_by_the_least_role_that_grants_it() {
        assert_eq!(needed_for(Permission::ReadGroups), "This needs the Viewer role or higher.");
        assert_eq!(needed_for(Permission::AssignRoles), "This needs the Editor role or higher.");
        assert_eq!(needed_for(Permission::RunSync), "This needs the Admin role or superAdmin.");
        for permission in Permission::ALL {
            let role = BuiltInRole::least_granting(permission);
            // The role named grants it, and no weaker role does.
            if let Some(role) = role {
                assert!(role.permissions().contains(&permission));
                assert!(
                    BuiltInRole::ALL
                        .iter()
                        .take_while(|r| **r != role)
                        .all(|r| !r.permissions().contains(&permission))
                );
            } else {
                assert!(BuiltInRole::ALL.iter().all(|r| !r.permissions().contains(&permission)));
            }
        }
    }

    #[test]
    fn roles_grow_from_viewer_to_admin() {
        let [viewer, editor, admin] = BuiltInRole::ALL.map(BuiltInRole::permissions);
        assert!(viewer.is_subset(&editor) && editor.is_subset(&admin));
        assert!(viewer.iter().all(|p| p.is_read_only()));
    }

    #[test]
    fn only_super_admins_manage_settings_and_the_catalog() {
        for role in BuiltInRole::ALL {
            for permission in [Permission::ManageSettings, Permission::ManageCatalog] {
                assert!(!role.permissions().contains(&permission), "{role:?} {permission}");
                assert!(permissions_of(&[], true).contains(&permission));
            }
        }
        assert!(permissions_of(&BuiltInRole::ALL, false).len() < Permission::ALL.len());
    }

    #[test]
    fn machines_hold_reads_and_the_catalog_only() {
        let for_machines: Vec<Permission> =
            Permission::ALL.into_iter().filter(|p| p.is_for_machines()).collect();
        assert_eq!(
            for_machines,
            [
                Permission::ReadGroups,
                Permission::ReadUsers,
                Permission::ReadAudit,
                Permission::ManageCatalog
            ]
        );
    }

    #[test]
    fn permissions_are_the_union_of_the_roles() {
        let both = permissions_of(&[BuiltInRole::Viewer, BuiltInRole::Editor], false);
        assert_eq!(both, BuiltInRole::Editor.permissions());
        assert!(permissions_of(&[], false).is_empty(), "no role, no permission: deny by default");
    }

    #[test]
    fn wire_names_round_trip() {
        for role in BuiltInRole::ALL {
            assert_eq!(BuiltInRole::parse(role.as_str()), Some(role));
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        }
        for permission in Permission::ALL {
            assert_eq!(serde_json::to_value(permission).unwrap(), permission.as_str());
        }
    }

    #[test]
    fn a_caller_hands_out_only_roles_within_their_own_permissions() {
        let editor = BuiltInRole::Editor.permissions();
        assert_eq!(beyond_caller(&editor, &[BuiltInRole::Viewer, BuiltInRole::Editor]), None);
        assert_eq!(
            beyond_caller(&editor, &[BuiltInRole::Viewer, BuiltInRole::Admin]),
            Some(BeyondCaller { role: BuiltInRole::Admin, lacking: Permission::ReadAudit })
        );
        let viewer = BuiltInRole::Viewer.permissions();
        assert_eq!(
            beyond_caller(&viewer, &[BuiltInRole::Editor]).map(|b| b.lacking),
            Some(Permission::AssignRoles)
        );
        let super_admin = permissions_of(&[], true);
        assert_eq!(beyond_caller(&super_admin, &BuiltInRole::ALL), None);
        assert_eq!(beyond_caller(&BTreeSet::new(), &[]), None, "changing nothing is allowed");
    }

    #[test]
    fn adding_and_removing_both_count_as_changes() {
        use BuiltInRole::{Admin, Editor, Viewer};
        assert_eq!(roles_changed(&[Viewer, Admin], &[Viewer, Editor]), vec![Editor, Admin]);
        assert_eq!(roles_changed(&[Admin], &[Admin]), Vec::<BuiltInRole>::new());
        assert_eq!(roles_changed(&[], &[Viewer, Viewer]), vec![Viewer]);
    }
}
