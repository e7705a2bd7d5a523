//! Who is calling and what they may do: the [`Principal`] and the decision for an [`Access`].
//!
//! Pure: the Worker fills the principal from D1 on every request (never from KV or token
//! claims), so a revoked role stops working on the next request.

use std::collections::BTreeSet;

use groupsync_core::api::ProblemCode;
use groupsync_core::domain::{BuiltInRole, Permission, beyond_caller, needed_for, permissions_of};

use crate::error::ApiError;

/// Who may call a route. Decided on the server for every request; deny by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (health, the local dev sign-in).
    Public,
    /// Any caller with a valid identity.
    Authenticated,
    /// Callers holding this permission.
    Permission(Permission),
    /// superAdmins only (never machine clients).
    SuperAdmin,
    /// Okta's Event Hook calls, authenticated by the hook's secret (not by any caller's
    /// identity: no principal is ever authorized for them).
    OktaEventHook,
}

/// Who sent a request, as their credentials proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A person, by the email Access (or the dev sign-in) vouched for, lowercased, and the
    /// token's subject: the sign-in identity, which never changes (emails can).
    Person {
        /// The email.
        email: String,
        /// The Access `sub`.
        subject: String,
    },
    /// A machine client: an API key or an Access service token.
    Machine {
        /// The credential's name.
        name: String,
        /// What it was granted.
        scopes: BTreeSet<Permission>,
    },
}

/// The caller with everything the decision needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Who.
    pub caller: Caller,
    /// Whether a person is a superAdmin.
    pub super_admin: bool,
    /// A person's roles through their groups.
    pub roles: Vec<BuiltInRole>,
    /// Everything the caller may do.
    pub permissions: BTreeSet<Permission>,
    /// The synced Okta user a person is bound to, if any.
    pub okta_user_id: Option<String>,
    /// Why a person's groups grant them nothing, when that is not plain (a shared email).
    pub notes: Vec<String>,
}

/// Who did something, as the audit log names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// An email, a machine client's name, or `system`.
    pub name: String,
    /// `person`, `machine` or `system`.
    pub kind: &'static str,
}

impl Principal {
    /// A person (their email and sign-in subject) with their superAdmin status and roles.
    pub fn person(
        email: String,
        subject: String,
        super_admin: bool,
        roles: Vec<BuiltInRole>,
    ) -> Self {
        let permissions = permissions_of(&roles, super_admin);
        Self {
            caller: Caller::Person { email, subject },
            super_admin,
            roles,
            permissions,
            okta_user_id: None,
            notes: Vec::new(),
        }
    }

    /// A machine client; whatever its stored scopes say, it only ever reads, or registers the
    /// relying app's permissions when given `manage_catalog`.
    pub fn machine(name: String, scopes: BTreeSet<Permission>) -> Self {
        let permissions: BTreeSet<Permission> =
            scopes.iter().copied().filter(|p| p.is_for_machines()).collect();
        Self {
            caller: Caller::Machine { name, scopes },
            super_admin: false,
            roles: Vec::new(),
            permissions,
            okta_user_id: None,
            notes: Vec::new(),
        }
    }

    /// Decides whether this principal may call a route with `access`, by a request that changes
    /// state (`write`) or not.
    ///
    /// # Errors
    ///
    /// `forbidden` (403), naming what is missing.
    pub fn authorize(&self, access: Access, write: bool) -> Result<(), ApiError> {
        // A machine writes only where the route names a write permission meant for machines
        // (manage_catalog); every other write is people's.
        let machine_write = match access {
            Access::Public => true,
            Access::Permission(permission) => {
                permission.is_for_machines() && !permission.is_read_only()
            }
            Access::Authenticated | Access::SuperAdmin | Access::OktaEventHook => false,
        };
        if matches!(self.caller, Caller::Machine { .. }) && write && !machine_write {
            return Err(ApiError::forbidden(
                "Machine clients may only read (and, with manage_catalog, register the relying app's permissions).",
            ));
        }
        match access {
            Access::Public | Access::Authenticated => Ok(()),
            Access::Permission(permission) if self.permissions.contains(&permission) => Ok(()),
            Access::Permission(permission) => Err(ApiError::forbidden(needed_for(permission))),
            Access::SuperAdmin if self.super_admin => Ok(()),
            Access::SuperAdmin => Err(ApiError::forbidden("Only superAdmins may do this.")),
            Access::OktaEventHook => Err(ApiError::forbidden("Only Okta calls this.")),
        }
    }

    /// The no-escalation rule for a write that hands out or takes away `roles`: each must be
    /// within the caller's own permissions (a superAdmin holds them all).
    ///
    /// # Errors
    ///
    /// `beyond_own_access` (403), naming the role and the permission the caller lacks.
    pub fn may_hand_out(&self, roles: &[BuiltInRole], what: &str) -> Result<(), ApiError> {
        match beyond_caller(&self.permissions, roles) {
            None => Ok(()),
            Some(beyond) => Err(ApiError::client(
                ProblemCode::BeyondOwnAccess,
                format!(
                    "You cannot {what} the {} role: it includes the {} permission, which you \
                     do not hold. Ask someone who holds it (or a superAdmin).",
                    beyond.role.display_name(),
                    beyond.lacking
                ),
            )),
        }
    }

    /// The principal as the audit log names it.
    pub fn actor(&self) -> Actor {
        match &self.caller {
            Caller::Person { email, .. } => Actor { name: email.clone(), kind: "person" },
            Caller::Machine { name, .. } => Actor { name: name.clone(), kind: "machine" },
        }
    }
}

/// Reads stored scopes (a JSON array of permission names); unknown names are dropped.
pub fn parse_scopes(json: &str) -> BTreeSet<Permission> {
    serde_json::from_str::<Vec<serde_json::Value>>(json)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_read() -> BTreeSet<Permission> {
        Permission::ALL.into_iter().filter(|p| p.is_read_only()).collect()
    }

    #[test]
    fn nobody_gets_anything_by_default() {
        let nobody = Principal::person("ann@example.com".into(), "sub".into(), false, Vec::new());
        assert!(nobody.authorize(Access::Authenticated, false).is_ok());
        for permission in Permission::ALL {
            assert!(
                nobody.authorize(Access::Permission(permission), false).is_err(),
                "{permission}"
            );
        }
        assert!(nobody.authorize(Access::SuperAdmin, false).is_err());
    }

    #[test]
    fn roles_grant_their_permissions_and_no_more() {
        let viewer = Principal::person(
            "v@example.com".into(),
            "sub".into(),
            false,
            vec![BuiltInRole::Viewer],
        );
        assert!(viewer.authorize(Access::Permission(Permission::ReadGroups), false).is_ok());
        let error =
            viewer.authorize(Access::Permission(Permission::AssignRoles), true).unwrap_err();
        assert_eq!(error.to_problem().detail, "This needs the Editor role or higher.");
        assert!(viewer.authorize(Access::SuperAdmin, false).is_err());
    }

    #[test]
    fn super_admins_may_do_everything() {
        let root = Principal::person("root@example.com".into(), "sub".into(), true, Vec::new());
        for permission in Permission::ALL {
            assert!(root.authorize(Access::Permission(permission), true).is_ok());
        }
        assert!(root.authorize(Access::SuperAdmin, true).is_ok());
    }

    #[test]
    fn machine_clients_only_ever_read_and_register_permissions() {
        let granted_everything: BTreeSet<Permission> = Permission::ALL.into_iter().collect();
        let machine = Principal::machine("reporting".into(), granted_everything);
        let mut expected = all_read();
        expected.insert(Permission::ManageCatalog);
        assert_eq!(machine.permissions, expected, "other write scopes in storage are ignored");
        assert!(machine.authorize(Access::Permission(Permission::ReadUsers), false).is_ok());
        assert!(machine.authorize(Access::Permission(Permission::ReadUsers), true).is_err());
        assert!(machine.authorize(Access::Authenticated, true).is_err(), "no write of any kind");
        assert!(machine.authorize(Access::SuperAdmin, false).is_err());
        assert!(machine.authorize(Access::Permission(Permission::RunSync), false).is_err());
        assert!(machine.authorize(Access::Permission(Permission::ManageCatalog), true).is_ok());
        let error =
            machine.authorize(Access::Permission(Permission::AssignRoles), true).unwrap_err();
        assert!(error.to_problem().detail.starts_with("Machine clients may only read"));

        let reader = Principal::machine("reporting".into(), all_read());
        let error =
            reader.authorize(Access::Permission(Permission::ManageCatalog), true).unwrap_err();
        assert_eq!(error.to_problem().status, 403);
    }

    #[test]
    fn nobody_hands_out_more_than_they_hold() {
        let editor = Principal::person(
            "e@example.com".into(),
            "sub".into(),
            false,
            vec![BuiltInRole::Editor],
        );
        assert!(editor.may_hand_out(&[BuiltInRole::Viewer, BuiltInRole::Editor], "grant").is_ok());
        let problem =
            editor.may_hand_out(&[BuiltInRole::Admin], "grant or remove").unwrap_err().to_problem();
        assert_eq!((problem.status, problem.code.as_str()), (403, "beyond_own_access"));
        assert!(problem.detail.contains("Admin role") && problem.detail.contains("read_audit"));
        let root = Principal::person("root@example.com".into(), "sub".into(), true, Vec::new());
        assert!(root.may_hand_out(&BuiltInRole::ALL, "grant").is_ok());
    }

    #[test]
    fn stored_scopes_parse_leniently() {
        assert_eq!(parse_scopes(r#"["read_groups","no_such","read_audit"]"#).len(), 2);
        assert!(parse_scopes("not json").is_empty());
    }
}
