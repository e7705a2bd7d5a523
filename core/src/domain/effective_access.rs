//! Effective access: what a user may do, and why.
//!
//! The Worker reads the user's Okta status, the groups they are a member of with the roles each
//! group grants (built-in roles everywhere, custom roles everywhere or on a scope), and whether
//! they are a superAdmin; [`effective_access`] turns that into roles, permissions, the custom
//! grants held and sentences people can read (DESIGN.md §4). Depends only on the access
//! vocabulary and the Okta models' [`OktaUserStatus`].

use serde::{Deserialize, Serialize};

use crate::domain::{
    BuiltInRole, Grant, Permission, ResourcePath, RoleKey, permissions_of, scope_in_words,
};
use crate::okta::OktaUserStatus;

/// One group the user is a member of, with the roles the group grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupGrant {
    /// The Okta group id (`00g…`).
    pub group_id: String,
    /// The group's name, for explanations.
    pub group_name: String,
    /// The roles the group grants its members (those whose status holds them), perhaps none.
    pub roles: Vec<BuiltInRole>,
    /// The custom roles the group grants its members, each everywhere or on a scope, perhaps
    /// none (issue #14).
    pub custom: Vec<NamedGrant>,
}

/// A group's grant of a custom role, with the role's name as people read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedGrant {
    /// The role and where it applies.
    pub grant: Grant,
    /// The role's name (`Runbook operator`).
    pub role_name: String,
}

/// Why the user holds a custom role, and where (issue #14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GrantReason {
    /// The custom role's key.
    pub role: RoleKey,
    /// Its name.
    pub role_name: String,
    /// Where the grant applies (and below it); null is everywhere.
    pub scope: Option<ResourcePath>,
    /// The Okta group that grants it.
    pub group_id: String,
    /// That group's name.
    pub group_name: String,
    /// A sentence for people: `Runbook operator on folder:/prod via Okta group Engineering
    /// (00g1emaKYZTWRYYRRTSK)`, or `… everywhere via …`.
    pub explanation: String,
}

/// Why the user holds a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AccessReason {
    /// The role held.
    pub role: BuiltInRole,
    /// The Okta group that grants it.
    pub group_id: String,
    /// That group's name.
    pub group_name: String,
    /// A sentence for people: `Admin via Okta group Engineering (00g1emaKYZTWRYYRRTSK)`.
    pub explanation: String,
}

/// An Okta group of the app that the user is in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MemberGroup {
    /// The group's name (first, so that groups sort by name).
    pub name: String,
    /// The Okta group id.
    pub id: String,
}

/// What a user may do, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EffectiveAccess {
    /// Whether the user is a superAdmin (and so holds every permission).
    pub super_admin: bool,
    /// The roles granted by the user's groups, sorted and unique.
    pub roles: Vec<BuiltInRole>,
    /// The permissions held, sorted and unique.
    pub permissions: Vec<Permission>,
    /// Each (role, group) that grants a role, sorted by role, then group name, then group id.
    pub reasons: Vec<AccessReason>,
    /// Each custom role held, with the group that grants it and where: sorted by role name,
    /// role key, scope (everywhere first), group name, then group id; unique. Held by the same
    /// rule as the built-in roles (only while the user's Okta status holds their groups' roles);
    /// a superAdmin's list is their groups' all the same.
    #[serde(default)]
    pub grants: Vec<GrantReason>,
    /// Sentences for people, e.g. why the user holds no role.
    pub notes: Vec<String>,
    /// Every Okta group of the app the user is in, by name, whether it grants them anything or
    /// not: what the groups' pages list them in.
    #[serde(default)]
    pub groups: Vec<MemberGroup>,
}

/// How the notes name the person they are about.
const USER: &str = "The user";

/// The note of a superAdmin's access.
pub const SUPER_ADMIN_NOTE: &str = "superAdmin: every permission";

/// The note of a user who is in no group assigned to the app.
pub const NO_GROUP_NOTE: &str = "The user is in no group assigned to the app.";

/// Whether a member with this Okta status holds the roles of their groups.
///
/// Roles follow employment, not credentials: a person locked out, with an expired password or recovering it
/// is still employed and keeps them; a suspended or deprovisioned one does not; a staged or
/// provisioned one gets them once activated. A status this version does not know grants nothing.
pub const fn holds_group_roles(status: OktaUserStatus) -> bool {
    matches!(
        status,
        OktaUserStatus::Active
            | OktaUserStatus::LockedOut
            | OktaUserStatus::PasswordExpired
            | OktaUserStatus::Recovery
    )
}

/// What an Okta status means for a member's group roles, in [`holds_group_roles`]'s terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusRoles {
    /// The member holds their groups' roles.
    Held,
    /// Not activated yet (STAGED, PROVISIONED): the roles apply once they are.
    OnceActivated,
    /// None: suspended, deprovisioned, or a status this product does not know.
    Withheld,
}

/// What `status` means for a member's group roles: [`holds_group_roles`], and for those it
/// withholds them from, whether activation will bring them.
pub const fn status_roles(status: OktaUserStatus) -> StatusRoles {
    if holds_group_roles(status) {
        StatusRoles::Held
    } else if matches!(status, OktaUserStatus::Staged | OktaUserStatus::Provisioned) {
        StatusRoles::OnceActivated
    } else {
        StatusRoles::Withheld
    }
}

/// [`holds_group_roles`] in a sentence for people (a test keeps the two in step).
pub const STATUS_RULE: &str = "Roles follow employment, not sign-in problems: members who are \
     ACTIVE, LOCKED_OUT, PASSWORD_EXPIRED or in RECOVERY in Okta hold their groups' roles; \
     SUSPENDED and DEPROVISIONED members do not; STAGED and PROVISIONED members get them once \
     activated; a status this product does not know grants none.";

/// What `status` means for the roles of `who` (a person's email, or "The user"), in a sentence
/// for people.
pub fn status_meaning(who: &str, status: OktaUserStatus) -> String {
    let name = status.as_str();
    match status {
        OktaUserStatus::Active => format!("{who} is {name} in Okta: their groups' roles apply."),
        OktaUserStatus::LockedOut | OktaUserStatus::PasswordExpired | OktaUserStatus::Recovery => {
            format!(
                "{who} is {name} in Okta, a sign-in state that does not end their employment: \
                 their groups' roles still apply."
            )
        }
        OktaUserStatus::Suspended => format!(
            "{who} is {name} in Okta: their groups grant no roles until they are unsuspended."
        ),
        OktaUserStatus::Deprovisioned => {
            format!("{who} is {name} in Okta: their groups grant no roles.")
        }
        OktaUserStatus::Staged | OktaUserStatus::Provisioned => format!(
            "{who} is {name} in Okta, not yet activated: their groups' roles apply once they are."
        ),
        OktaUserStatus::Unknown => format!(
            "Okta gives {who} a status this product does not know, so their groups grant no roles."
        ),
    }
}

/// The union of the roles of the user's groups when their status holds them (see
/// [`holds_group_roles`]), plus everything for a superAdmin.
///
/// `grants` lists every group the user is in, with the roles it grants (perhaps none).
/// `status` `None` means not among the synced members of the app's groups (in no assigned
/// group, or not in Okta at all): no group roles. Any status but `ACTIVE` is explained in
/// `notes`, whether it keeps the roles or not. A superAdmin has every permission whatever their
/// status; `reasons` still lists their group roles when their status holds them, and `notes`
/// ends with [`SUPER_ADMIN_NOTE`].
pub fn effective_access(
    status: Option<OktaUserStatus>,
    grants: &[GroupGrant],
    super_admin: bool,
) -> EffectiveAccess {
    let mut notes = Vec::new();
    let holds = status.is_some_and(holds_group_roles);
    match status {
        None => notes.push("The user is in no group assigned to the app (or not in Okta), so no group grants them a role.".into()),
        Some(OktaUserStatus::Active) => {}
        Some(other) => notes.push(status_meaning(USER, other)),
    }
    if status.is_some() && grants.is_empty() {
        notes.push(NO_GROUP_NOTE.to_owned());
    }

    let mut reasons: Vec<AccessReason> = if holds {
        grants
            .iter()
            .flat_map(|grant| {
                grant.roles.iter().map(|&role| AccessReason {
                    role,
                    group_id: grant.group_id.clone(),
                    group_name: grant.group_name.clone(),
                    explanation: format!(
                        "{} via Okta group {} ({})",
                        role.display_name(),
                        grant.group_name,
                        grant.group_id
                    ),
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    reasons.sort_by(|a, b| {
        (a.role, &a.group_name, &a.group_id).cmp(&(b.role, &b.group_name, &b.group_id))
    });
    reasons.dedup();
    let custom = grant_reasons(status, grants);
    if holds && !grants.is_empty() && reasons.is_empty() && custom.is_empty() {
        notes.push("None of the user's groups grants a role.".to_owned());
    }

    let mut roles: Vec<BuiltInRole> = reasons.iter().map(|reason| reason.role).collect();
    roles.dedup();
    let permissions = permissions_of(&roles, super_admin).into_iter().collect();
    if super_admin {
        notes.push(SUPER_ADMIN_NOTE.to_owned());
    }
    let mut groups: Vec<MemberGroup> = grants
        .iter()
        .map(|grant| MemberGroup { name: grant.group_name.clone(), id: grant.group_id.clone() })
        .collect();
    groups.sort();
    groups.dedup();
    EffectiveAccess { super_admin, roles, permissions, reasons, grants: custom, notes, groups }
}

/// The custom roles `groups` grant a member with `status`, with group and scope.
///
/// Sorted and unique (see [`EffectiveAccess::grants`]); none unless the status holds their
/// groups' roles ([`holds_group_roles`]; `None`, in no synced group, holds none).
pub fn grant_reasons(status: Option<OktaUserStatus>, groups: &[GroupGrant]) -> Vec<GrantReason> {
    if !status.is_some_and(holds_group_roles) {
        return Vec::new();
    }
    let mut reasons: Vec<GrantReason> = groups
        .iter()
        .flat_map(|group| {
            group.custom.iter().map(|named| GrantReason {
                role: named.grant.role.clone(),
                role_name: named.role_name.clone(),
                scope: named.grant.scope.clone(),
                group_id: group.group_id.clone(),
                group_name: group.group_name.clone(),
                explanation: grant_explanation(named, &group.group_name, &group.group_id),
            })
        })
        .collect();
    reasons.sort_by(|a, b| {
        (&a.role_name, &a.role, &a.scope, &a.group_name, &a.group_id).cmp(&(
            &b.role_name,
            &b.role,
            &b.scope,
            &b.group_name,
            &b.group_id,
        ))
    });
    reasons.dedup();
    reasons
}

/// `Runbook operator on folder:/prod via Okta group Engineering (00g1…)`, or `… everywhere via
/// …` for a grant without a scope.
fn grant_explanation(named: &NamedGrant, group_name: &str, group_id: &str) -> String {
    let place = scope_in_words(named.grant.scope.as_ref());
    format!("{} {place} via Okta group {group_name} ({group_id})", named.role_name)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    fn grant(id: &str, name: &str, roles: &[BuiltInRole]) -> GroupGrant {
        GroupGrant {
            group_id: id.to_owned(),
            group_name: name.to_owned(),
            roles: roles.to_vec(),
            custom: Vec::new(),
        }
    }

    fn named(role: &str, name: &str, scope: Option<&str>) -> NamedGrant {
        NamedGrant {
            grant: Grant {
                role: RoleKey::parse(role).expect("a role key"),
                scope: scope.map(|s| ResourcePath::parse(s).expect("a resource path")),
            },
            role_name: name.to_owned(),
        }
    }

    fn custom(id: &str, name: &str, custom: Vec<NamedGrant>) -> GroupGrant {
        GroupGrant { custom, ..grant(id, name, &[]) }
    }

    #[test]
    fn a_custom_grant_is_explained_with_its_scope_or_everywhere() {
        let groups = [custom(
            "00g1emaKYZTWRYYRRTSK",
            "Engineering",
            vec![
                named("runbook_operator", "Runbook operator", Some("folder:/prod")),
                named("runbook_reader", "Runbook reader", None),
            ],
        )];
        let access = effective_access(Some(OktaUserStatus::Active), &groups, false);
        let explanations: Vec<&str> =
            access.grants.iter().map(|g| g.explanation.as_str()).collect();
        assert_eq!(
            explanations,
            [
                "Runbook operator on folder:/prod via Okta group Engineering (00g1emaKYZTWRYYRRTSK)",
                "Runbook reader everywhere via Okta group Engineering (00g1emaKYZTWRYYRRTSK)",
            ]
        );
        let first = &access.grants[0];
        assert_eq!(first.role.as_str(), "runbook_operator");
        assert_eq!(first.role_name, "Runbook operator");
        assert_eq!(first.scope.as_ref().map(ResourcePath::as_str), Some("folder:/prod"));
        assert_eq!(
            (first.group_id.as_str(), first.group_name.as_str()),
            ("00g1emaKYZTWRYYRRTSK", "Engineering")
        );
        // Custom roles are the relying app's: this console's roles and permissions stay as they were.
        assert!(
            access.roles.is_empty() && access.permissions.is_empty() && access.reasons.is_empty()
        );
        assert!(
            access.notes.is_empty(),
            "a group that grants a custom role grants a role: {access:?}"
        );
    }

    #[test]
    fn custom_grants_are_sorted_by_role_name_scope_and_group_and_unique() {
        let groups = [
            custom(
                "00g3",
                "Beta",
                vec![
                    named("b_role", "Beta role", None),
                    named("a_role", "Alpha role", Some("folder:/z")),
                ],
            ),
            custom("00g2", "Alpha", vec![named("a_role", "Alpha role", Some("folder:/z"))]),
            custom(
                "00g1",
                "Beta",
                vec![named("a_role", "Alpha role", None), named("a_role", "Alpha role", None)],
            ),
        ];
        let access = effective_access(Some(OktaUserStatus::Active), &groups, false);
        let order: Vec<(&str, Option<&str>, &str)> = access
            .grants
            .iter()
            .map(|g| {
                (g.role.as_str(), g.scope.as_ref().map(ResourcePath::as_str), g.group_id.as_str())
            })
            .collect();
        assert_eq!(
            order,
            [
                ("a_role", None, "00g1"),
                ("a_role", Some("folder:/z"), "00g2"),
                ("a_role", Some("folder:/z"), "00g3"),
                ("b_role", None, "00g3"),
            ]
        );
        let mut reversed = groups.to_vec();
        reversed.reverse();
        assert_eq!(effective_access(Some(OktaUserStatus::Active), &reversed, false), access);
    }

    #[test]
    fn custom_grants_follow_the_status_rule_and_not_super_admin() {
        let groups = [custom(
            "00g1",
            "Ops",
            vec![named("runbook_operator", "Runbook operator", Some("folder:/prod"))],
        )];
        for status in STATUSES {
            let access = effective_access(status, &groups, false);
            let holds = status.is_some_and(holds_group_roles);
            assert_eq!(access.grants.len(), usize::from(holds), "{status:?}");
            assert_eq!(effective_access(status, &groups, true).grants, access.grants, "{status:?}");
            assert_eq!(grant_reasons(status, &groups), access.grants, "{status:?}");
        }
        let suspended = effective_access(Some(OktaUserStatus::Suspended), &groups, false);
        assert_eq!(suspended.notes, vec![status_meaning(USER, OktaUserStatus::Suspended)]);
    }

    #[test]
    fn an_answer_without_custom_grants_still_reads_and_a_grant_everywhere_has_no_scope() {
        let groups =
            [custom("00g1", "Ops", vec![named("runbook_operator", "Runbook operator", None)])];
        let access = effective_access(Some(OktaUserStatus::Active), &groups, false);
        let mut json = serde_json::to_value(&access).unwrap();
        assert_eq!(
            json["grants"],
            serde_json::json!([{
                "role": "runbook_operator",
                "role_name": "Runbook operator",
                "scope": null,
                "group_id": "00g1",
                "group_name": "Ops",
                "explanation": "Runbook operator everywhere via Okta group Ops (00g1)",
            }])
        );
        json.as_object_mut().unwrap().remove("grants");
        let older: EffectiveAccess = serde_json::from_value(json).unwrap();
        assert!(older.grants.is_empty());
    }

    #[test]
    fn active_user_holds_the_union_of_their_groups_roles() {
        let grants = [
            grant("00g2", "Support", &[BuiltInRole::Viewer]),
            grant("00g1", "Engineering", &[BuiltInRole::Editor, BuiltInRole::Viewer]),
        ];
        let access = effective_access(Some(OktaUserStatus::Active), &grants, false);
        assert_eq!(access.roles, vec![BuiltInRole::Viewer, BuiltInRole::Editor]);
        let expected: Vec<Permission> = BuiltInRole::Editor.permissions().into_iter().collect();
        assert_eq!(access.permissions, expected);
        assert!(!access.super_admin && access.notes.is_empty(), "{access:?}");
    }

    #[test]
    fn explanation_names_the_role_and_the_group() {
        let grants = [grant("00g1emaKYZTWRYYRRTSK", "Engineering", &[BuiltInRole::Admin])];
        let access = effective_access(Some(OktaUserStatus::Active), &grants, false);
        assert_eq!(
            access.reasons,
            vec![AccessReason {
                role: BuiltInRole::Admin,
                group_id: "00g1emaKYZTWRYYRRTSK".to_owned(),
                group_name: "Engineering".to_owned(),
                explanation: "Admin via Okta group Engineering (00g1emaKYZTWRYYRRTSK)".to_owned(),
            }]
        );
    }

    #[test]
    fn reasons_are_sorted_by_role_then_group_name_then_id() {
        let grants = [
            grant("00g3", "Beta", &[BuiltInRole::Admin, BuiltInRole::Viewer]),
            grant("00g2", "Alpha", &[BuiltInRole::Viewer]),
            grant("00g1", "Beta", &[BuiltInRole::Viewer, BuiltInRole::Viewer]),
        ];
        let access = effective_access(Some(OktaUserStatus::Active), &grants, false);
        let order: Vec<(BuiltInRole, &str)> =
            access.reasons.iter().map(|r| (r.role, r.group_id.as_str())).collect();
        assert_eq!(
            order,
            vec![
                (BuiltInRole::Viewer, "00g2"),
                (BuiltInRole::Viewer, "00g1"),
                (BuiltInRole::Viewer, "00g3"),
                (BuiltInRole::Admin, "00g3"),
            ]
        );
        let mut reversed = grants.to_vec();
        reversed.reverse();
        assert_eq!(effective_access(Some(OktaUserStatus::Active), &reversed, false), access);
    }

    #[test]
    fn suspended_user_gets_no_group_role_and_a_note() {
        let grants = [grant("00g1", "Engineering", &[BuiltInRole::Admin])];
        let access = effective_access(Some(OktaUserStatus::Suspended), &grants, false);
        assert!(access.roles.is_empty() && access.permissions.is_empty());
        assert!(access.reasons.is_empty());
        assert_eq!(
            access.notes,
            vec![
                "The user is SUSPENDED in Okta: their groups grant no roles until they are unsuspended."
                    .to_owned()
            ]
        );
    }

    #[test]
    fn roles_follow_employment_not_credentials() {
        let grants = [grant("00g1", "Engineering", &[BuiltInRole::Editor])];
        for status in
            [OktaUserStatus::LockedOut, OktaUserStatus::PasswordExpired, OktaUserStatus::Recovery]
        {
            let access = effective_access(Some(status), &grants, false);
            assert_eq!(access.roles, vec![BuiltInRole::Editor], "{status:?}");
            assert_eq!(access.reasons.len(), 1, "{status:?}");
            assert!(
                access.notes[0].contains(status.as_str())
                    && access.notes[0].contains("still apply"),
                "{access:?}"
            );
        }
        for status in [
            OktaUserStatus::Suspended,
            OktaUserStatus::Deprovisioned,
            OktaUserStatus::Staged,
            OktaUserStatus::Provisioned,
            OktaUserStatus::Unknown,
        ] {
            let access = effective_access(Some(status), &grants, false);
            assert!(access.roles.is_empty() && access.reasons.is_empty(), "{status:?}");
            assert_eq!(access.notes, vec![status_meaning(USER, status)], "{status:?}");
            let engineering = MemberGroup { name: "Engineering".into(), id: "00g1".into() };
            assert_eq!(access.groups, vec![engineering], "the group is named all the same");
            // The user is in a group: the notes never say otherwise.
            assert!(!access.notes.contains(&NO_GROUP_NOTE.to_owned()), "{access:?}");
        }
    }

    #[test]
    fn status_roles_is_the_rule_with_activation_told_apart() {
        for status in OktaUserStatus::ALL {
            let meaning = status_roles(status);
            assert_eq!(meaning == StatusRoles::Held, holds_group_roles(status), "{status:?}");
            // The sentence for people says "once" exactly for the statuses activation changes.
            let once = status_meaning(USER, status).contains("once they are");
            assert_eq!(meaning == StatusRoles::OnceActivated, once, "{status:?}");
        }
    }

    #[test]
    fn the_rule_in_words_says_what_the_rule_does() {
        let (holding, rest) = STATUS_RULE.split_once("hold their groups' roles").unwrap();
        for status in OktaUserStatus::ALL.into_iter().filter(|s| *s != OktaUserStatus::Unknown) {
            assert_eq!(
                holding.contains(status.as_str()),
                holds_group_roles(status),
                "{status:?} in {STATUS_RULE}"
            );
            assert!(STATUS_RULE.contains(status.as_str()), "{status:?}");
            assert!(!(holding.contains(status.as_str()) && rest.contains(status.as_str())));
        }
    }

    #[test]
    fn user_unknown_to_okta_gets_no_group_role() {
        let grants = [grant("00g1", "Engineering", &[BuiltInRole::Admin])];
        let access = effective_access(None, &grants, false);
        assert!(access.roles.is_empty() && access.permissions.is_empty());
        assert_eq!(access.notes.len(), 1, "{access:?}");
        let unknown = effective_access(Some(OktaUserStatus::Unknown), &grants, false);
        assert!(unknown.roles.is_empty());
        assert!(unknown.notes[0].contains("does not know"), "{unknown:?}");
    }

    #[test]
    fn user_in_no_group_is_told_so() {
        let access = effective_access(Some(OktaUserStatus::Active), &[], false);
        assert!(access.permissions.is_empty());
        assert_eq!(access.notes, vec![NO_GROUP_NOTE.to_owned()]);
    }

    #[test]
    fn groups_without_roles_grant_nothing_and_say_so() {
        let access =
            effective_access(Some(OktaUserStatus::Active), &[grant("00g1", "Eng", &[])], false);
        assert!(access.permissions.is_empty());
        assert_eq!(access.notes, vec!["None of the user's groups grants a role.".to_owned()]);
    }

    #[test]
    fn super_admin_has_every_permission_and_keeps_group_reasons() {
        let grants = [grant("00g1", "Engineering", &[BuiltInRole::Viewer])];
        let access = effective_access(Some(OktaUserStatus::Active), &grants, true);
        assert!(access.super_admin);
        assert_eq!(access.permissions, Permission::ALL.to_vec());
        assert_eq!(access.roles, vec![BuiltInRole::Viewer]);
        assert_eq!(access.reasons.len(), 1);
        assert_eq!(access.notes, vec![SUPER_ADMIN_NOTE.to_owned()]);

        let suspended = effective_access(Some(OktaUserStatus::Suspended), &grants, true);
        assert_eq!(suspended.permissions, Permission::ALL.to_vec());
        assert!(suspended.roles.is_empty() && suspended.reasons.is_empty());
        assert_eq!(suspended.notes.last().map(String::as_str), Some(SUPER_ADMIN_NOTE));
    }

    #[test]
    fn effective_access_serializes_in_snake_case() {
        let grants = [grant("00g1", "Eng", &[BuiltInRole::Viewer])];
        let json =
            serde_json::to_value(effective_access(Some(OktaUserStatus::Active), &grants, false))
                .unwrap();
        assert_eq!(json["roles"], serde_json::json!(["viewer"]));
        assert_eq!(json["permissions"], serde_json::json!(["read_groups", "read_users"]));
        assert_eq!(json["reasons"][0]["group_id"], "00g1");
    }

    const STATUSES: [Option<OktaUserStatus>; 10] = [
        None,
        Some(OktaUserStatus::Active),
        Some(OktaUserStatus::LockedOut),
        Some(OktaUserStatus::PasswordExpired),
        Some(OktaUserStatus::Recovery),
        Some(OktaUserStatus::Staged),
        Some(OktaUserStatus::Provisioned),
        Some(OktaUserStatus::Suspended),
        Some(OktaUserStatus::Deprovisioned),
        Some(OktaUserStatus::Unknown),
    ];

    fn grants_strategy() -> impl Strategy<Value = Vec<GroupGrant>> {
        prop::collection::vec(
            (
                prop::sample::select(vec!["00g1", "00g2", "00g3"]),
                prop::sample::select(vec!["Eng", "Ops"]),
                prop::collection::vec(prop::sample::select(BuiltInRole::ALL.to_vec()), 0..3),
            )
                .prop_map(|(id, name, roles)| grant(id, name, &roles)),
            0..5,
        )
    }

    fn custom_groups_strategy() -> impl Strategy<Value = Vec<GroupGrant>> {
        let named_grant = (
            prop::sample::select(vec![
                ("ops", "Operator"),
                ("reader", "Reader"),
                ("zed", "A last"),
            ]),
            prop::sample::select(vec![
                None,
                Some("folder:/prod"),
                Some("folder:/prod/db"),
                Some("service:/x"),
            ]),
        )
            .prop_map(|((role, name), scope)| named(role, name, scope));
        prop::collection::vec(
            (
                prop::sample::select(vec!["00g1", "00g2", "00g3"]),
                prop::sample::select(vec!["Eng", "Ops"]),
                prop::collection::vec(prop::sample::select(BuiltInRole::ALL.to_vec()), 0..2),
                prop::collection::vec(named_grant, 0..4),
            )
                .prop_map(|(id, name, roles, custom)| GroupGrant {
                    custom,
                    ..grant(id, name, &roles)
                }),
            0..5,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn custom_grants_are_every_group_grant_held_once_in_order(
            status in prop::sample::select(STATUSES.to_vec()),
            groups in custom_groups_strategy(),
            super_admin in any::<bool>(),
        ) {
            let access = effective_access(status, &groups, super_admin);
            // The model: every (group, grant) pair when the status holds roles, as a set of the
            // fields that order the list.
            let mut model: BTreeSet<(String, String, Option<String>, String, String, String)> =
                BTreeSet::new();
            if status.is_some_and(holds_group_roles) {
                for group in &groups {
                    for named in &group.custom {
                        let scope = named.grant.scope.as_ref().map(ToString::to_string);
                        let place = scope.as_ref().map_or_else(|| "everywhere".to_owned(), |s| format!("on {s}"));
                        let sentence = format!(
                            "{} {place} via Okta group {} ({})",
                            named.role_name, group.group_name, group.group_id
                        );
                        model.insert((
                            named.role_name.clone(),
                            named.grant.role.as_str().to_owned(),
                            scope,
                            group.group_name.clone(),
                            group.group_id.clone(),
                            sentence,
                        ));
                    }
                }
            }
            let listed: Vec<(String, String, Option<String>, String, String, String)> = access
                .grants
                .iter()
                .map(|g| (
                    g.role_name.clone(),
                    g.role.as_str().to_owned(),
                    g.scope.as_ref().map(ToString::to_string),
                    g.group_name.clone(),
                    g.group_id.clone(),
                    g.explanation.clone(),
                ))
                .collect();
            // Equal as sequences: the model's order (a set's) is the list's, with no repeat.
            prop_assert_eq!(listed, model.into_iter().collect::<Vec<_>>());
            // Whatever the order the groups come in.
            let mut reversed = groups.clone();
            reversed.reverse();
            prop_assert_eq!(&effective_access(status, &reversed, super_admin).grants, &access.grants);
        }

        #[test]
        fn permissions_are_the_group_roles_of_a_status_that_holds_them_or_everything(
            status in prop::sample::select(STATUSES.to_vec()),
            grants in grants_strategy(),
            super_admin in any::<bool>(),
        ) {
            let access = effective_access(status, &grants, super_admin);
            let holds = status.is_some_and(holds_group_roles);
            let expected: BTreeSet<Permission> = if super_admin {
                Permission::ALL.into_iter().collect()
            } else if holds {
                grants.iter().flat_map(|g| &g.roles).flat_map(|r| r.permissions()).collect()
            } else {
                BTreeSet::new()
            };
            prop_assert_eq!(access.permissions.iter().copied().collect::<BTreeSet<_>>(), expected);
            prop_assert!(access.permissions.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(access.roles.windows(2).all(|w| w[0] < w[1]));
            if holds {
                let granted: BTreeSet<BuiltInRole> =
                    grants.iter().flat_map(|g| g.roles.iter().copied()).collect();
                prop_assert_eq!(access.roles.iter().copied().collect::<BTreeSet<_>>(), granted);
            } else {
                prop_assert!(access.roles.is_empty() && access.reasons.is_empty());
                prop_assert!(!access.notes.is_empty());
            }
            // Every status but ACTIVE is explained, and a user in a group is never told otherwise.
            if let Some(status) = status.filter(|s| *s != OktaUserStatus::Active) {
                prop_assert!(access.notes.contains(&status_meaning(USER, status)));
            }
            prop_assert_eq!(access.notes.contains(&NO_GROUP_NOTE.to_owned()), status.is_some() && grants.is_empty());
            for reason in &access.reasons {
                prop_assert!(access.roles.contains(&reason.role));
            }
        }
    }
}
