//! The question the relying app asks (issue #14): may this person do `permission` on
//! `resource`, and why? The answer names the chain that allows it (Okta group → grant → role →
//! permission, with the grant's scope) or the reason it is denied, and can be asked about a
//! hypothetical membership (what-if) for access reviews.
//!
//! The rules are those of [`effective_access`](crate::domain::effective_access): a person holds
//! the roles of the groups they are a member of when their Okta status holds them
//! ([`holds_group_roles`]); a superAdmin holds every permission everywhere.

use serde::{Deserialize, Serialize};

use crate::domain::{
    Catalog, PermissionName, ResourcePath, RoleKey, holds_group_roles, scope_in_words,
    status_meaning,
};
use crate::okta::OktaUserStatus;

/// A grant of a group: a role, everywhere (`scope` null) or on a resource and everything
/// below it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Grant {
    /// The role granted.
    pub role: RoleKey,
    /// Where: null is everywhere.
    pub scope: Option<ResourcePath>,
}

impl Grant {
    /// Whether the grant applies to `resource` (`None`: a check about no resource in
    /// particular, which only a grant everywhere answers).
    pub fn applies_to(&self, resource: Option<&ResourcePath>) -> bool {
        match (&self.scope, resource) {
            (None, _) => true,
            (Some(scope), Some(resource)) => scope.covers(resource),
            (Some(_), None) => false,
        }
    }
}

/// A group the person is a member of, with its grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberOf {
    /// The Okta group id.
    pub group_id: String,
    /// Its name, for explanations.
    pub group_name: String,
    /// What the group grants its members (perhaps nothing).
    pub grants: Vec<Grant>,
}

/// What the check knows of a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Whether they are a superAdmin of this product.
    pub super_admin: bool,
    /// Their Okta status among the app's synced members; `None` when they are in no group of
    /// the app (or not in Okta).
    pub status: Option<OktaUserStatus>,
    /// The groups of the app they are a member of.
    pub groups: Vec<MemberOf>,
}

/// A hypothetical change of membership, for access reviews.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhatIf {
    /// As if the person were also a member of this group. Someone who is in no group of the
    /// app yet is taken to be ACTIVE in Okta.
    MemberOf(MemberOf),
    /// As if the person were not a member of the group with this id.
    NotMemberOf(String),
}

impl Person {
    /// The person as `what_if` would make them.
    #[must_use]
    pub fn assuming(mut self, what_if: WhatIf) -> Self {
        match what_if {
            WhatIf::MemberOf(group) => {
                self.groups.retain(|g| g.group_id != group.group_id);
                self.groups.push(group);
                self.status = Some(self.status.unwrap_or(OktaUserStatus::Active));
            }
            WhatIf::NotMemberOf(group_id) => self.groups.retain(|g| g.group_id != group_id),
        }
        self
    }
}

/// One link of the chain that allows (or would allow elsewhere) a permission.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GrantChain {
    /// The Okta group's name (first, so that chains sort by it).
    pub group_name: String,
    /// The Okta group id.
    pub group_id: String,
    /// The role's key.
    pub role: RoleKey,
    /// The role's name.
    pub role_name: String,
    /// The grant's scope (null: everywhere).
    pub scope: Option<ResourcePath>,
}

impl GrantChain {
    /// `Okta group Ops (00g…) → Runbook operator on folder:/prod`.
    pub fn sentence(&self) -> String {
        let place = scope_in_words(self.scope.as_ref());
        format!(
            "Okta group {} ({}) → role {} {place}",
            self.group_name, self.group_id, self.role_name
        )
    }
}

/// Why a check is denied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Denial {
    /// The person is in no group of the app (or in groups that grant nothing).
    NoGroup,
    /// Their Okta status withholds their groups' roles.
    Status {
        /// The status.
        status: OktaUserStatus,
    },
    /// No role of theirs holds the permission.
    NoRoleHolds,
    /// Roles hold it, but only on other resources.
    OnlyElsewhere {
        /// The grants that hold it elsewhere.
        grants: Vec<GrantChain>,
    },
}

/// The answer to one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Decision {
    /// Whether the permission is held on the resource.
    pub allowed: bool,
    /// Whether it is held as a superAdmin.
    pub super_admin: bool,
    /// Every grant that allows it, sorted (empty for a superAdmin without one, or when denied).
    pub chains: Vec<GrantChain>,
    /// Why not, when denied.
    pub denial: Option<Denial>,
    /// The answer in a sentence for people.
    pub explanation: String,
}

/// May `person` do `permission` on `resource` (`None`: no resource in particular)?
///
/// `permission` must be one the catalog knows (the caller refuses others as a mistake, not a
/// denial). Grants of roles the catalog does not have grant nothing.
pub fn check(
    catalog: &Catalog,
    person: &Person,
    permission: &PermissionName,
    resource: Option<&ResourcePath>,
) -> Decision {
    let holds = person.status.is_some_and(holds_group_roles);
    let holding: Vec<(GrantChain, bool)> = if holds {
        grants_holding(catalog, person, permission)
            .map(|(chain, grant)| (chain, grant.applies_to(resource)))
            .collect()
    } else {
        Vec::new()
    };
    let mut chains: Vec<GrantChain> =
        holding.iter().filter(|(_, here)| *here).map(|(chain, _)| chain.clone()).collect();
    chains.sort();
    chains.dedup();
    let on = resource.map(|r| format!(" on {r}")).unwrap_or_default();

    if person.super_admin || !chains.is_empty() {
        let explanation = if chains.is_empty() {
            format!("Allowed: a superAdmin holds {permission} everywhere.")
        } else {
            let via: Vec<String> = chains.iter().map(GrantChain::sentence).collect();
            format!("Allowed: {permission}{on} via {}.", via.join("; "))
        };
        return Decision {
            allowed: true,
            super_admin: person.super_admin,
            chains,
            denial: None,
            explanation,
        };
    }

    let (denial, why) = match person.status {
        Some(status) if !holds => (Denial::Status { status }, status_meaning("The user", status)),
        _ if holds && person.groups.iter().any(|g| !g.grants.is_empty()) => {
            let mut elsewhere: Vec<GrantChain> =
                holding.into_iter().map(|(chain, _)| chain).collect();
            elsewhere.sort();
            elsewhere.dedup();
            if elsewhere.is_empty() {
                (Denial::NoRoleHolds, format!("None of the user's roles holds {permission}."))
            } else {
                let places: Vec<String> = elsewhere.iter().map(GrantChain::sentence).collect();
                let sentence =
                    format!("The user holds {permission} only elsewhere: {}.", places.join("; "));
                (Denial::OnlyElsewhere { grants: elsewhere }, sentence)
            }
        }
        _ => (Denial::NoGroup, "The user is in no group of the app that grants a role.".into()),
    };
    Decision {
        allowed: false,
        super_admin: false,
        chains: Vec::new(),
        denial: Some(denial),
        explanation: format!("Denied: {permission}{on}. {why}"),
    }
}

/// The no-escalation rule for a custom grant: the first permission of `grant`'s role that
/// `caller` does not hold where the grant applies (everywhere, for an unscoped grant), if any.
///
/// Granting or removing a role on a scope changes who holds its permissions there, so a caller
/// may do it only when they hold every one of them there themselves (a superAdmin holds them
/// all). A role the catalog does not know holds nothing, so it asks for nothing.
pub fn beyond_caller_on_scope(
    catalog: &Catalog,
    caller: &Person,
    grant: &Grant,
) -> Option<PermissionName> {
    let role = catalog.role(&grant.role)?;
    role.permissions
        .iter()
        .find(|permission| !check(catalog, caller, permission, grant.scope.as_ref()).allowed)
        .cloned()
}

/// Every grant of the person's groups whose role holds `permission`, wherever it applies.
fn grants_holding<'a>(
    catalog: &'a Catalog,
    person: &'a Person,
    permission: &'a PermissionName,
) -> impl Iterator<Item = (GrantChain, &'a Grant)> + 'a {
    person.groups.iter().flat_map(move |group| {
        group.grants.iter().filter_map(move |grant| {
            let role = catalog.role(&grant.role)?;
            role.permissions.contains(permission).then(|| {
                let chain = GrantChain {
                    group_name: group.group_name.clone(),
                    group_id: group.group_id.clone(),
                    role: grant.role.clone(),
                    role_name: role.name.clone(),
                    scope: grant.scope.clone(),
                };
                (chain, grant)
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;
    use crate::domain::{AppPermission, Permission, RoleDefinition};

    fn path(text: &str) -> ResourcePath {
        ResourcePath::parse(text).expect("a resource path")
    }

    fn app(text: &str) -> PermissionName {
        PermissionName::App(AppPermission::parse(text).expect("an app permission"))
    }

    fn key(text: &str) -> RoleKey {
        RoleKey::parse(text).expect("a role key")
    }

    fn catalog() -> Catalog {
        let role = |k: &str, name: &str, permissions: &[&str]| RoleDefinition {
            key: key(k),
            name: name.to_owned(),
            permissions: permissions.iter().map(|p| app(p)).collect(),
        };
        Catalog::new(
            ["runbooks.execute", "runbooks.read"].map(|p| AppPermission::parse(p).expect("ok")),
            [
                role(
                    "runbook_operator",
                    "Runbook operator",
                    &["runbooks.execute", "runbooks.read"],
                ),
                role("runbook_reader", "Runbook reader", &["runbooks.read"]),
            ],
        )
    }

    fn grant(role: &str, scope: Option<&str>) -> Grant {
        Grant { role: key(role), scope: scope.map(path) }
    }

    fn member_of(id: &str, name: &str, grants: Vec<Grant>) -> MemberOf {
        MemberOf { group_id: id.to_owned(), group_name: name.to_owned(), grants }
    }

    fn active(groups: Vec<MemberOf>) -> Person {
        Person { super_admin: false, status: Some(OktaUserStatus::Active), groups }
    }

    #[test]
    fn a_scoped_grant_allows_below_its_scope_and_says_how() {
        let ops = member_of("00gops", "Ops", vec![grant("runbook_operator", Some("folder:/prod"))]);
        let person = active(vec![ops]);
        let execute = app("runbooks.execute");

        let db = check(&catalog(), &person, &execute, Some(&path("folder:/prod/db")));
        assert!(db.allowed);
        assert_eq!(db.chains.len(), 1);
        assert_eq!(
            db.explanation,
            "Allowed: runbooks.execute on folder:/prod/db via Okta group Ops (00gops) → role \
             Runbook operator on folder:/prod."
        );

        let staging = check(&catalog(), &person, &execute, Some(&path("folder:/staging")));
        assert!(!staging.allowed);
        assert!(
            matches!(&staging.denial, Some(Denial::OnlyElsewhere { grants }) if grants.len() == 1)
        );
        assert_eq!(
            staging.explanation,
            "Denied: runbooks.execute on folder:/staging. The user holds runbooks.execute only \
             elsewhere: Okta group Ops (00gops) → role Runbook operator on folder:/prod."
        );

        let anywhere = check(&catalog(), &person, &execute, None);
        assert!(!anywhere.allowed, "a scoped grant does not answer a check about no resource");
    }

    #[test]
    fn what_if_a_non_member_joined_a_group_answers_with_that_groups_grant() {
        let ops = member_of("00gops", "Ops", vec![grant("runbook_operator", Some("folder:/prod"))]);
        let outsider = Person { super_admin: false, status: None, groups: vec![] };
        let execute = app("runbooks.execute");
        let db = path("folder:/prod/db");

        let today = check(&catalog(), &outsider, &execute, Some(&db));
        assert_eq!(today.denial, Some(Denial::NoGroup));
        let joined = outsider.clone().assuming(WhatIf::MemberOf(ops.clone()));
        assert!(check(&catalog(), &joined, &execute, Some(&db)).allowed);

        let member = active(vec![ops]);
        let left = member.assuming(WhatIf::NotMemberOf("00gops".to_owned()));
        assert!(!check(&catalog(), &left, &execute, Some(&db)).allowed);
    }

    #[test]
    fn suspended_members_hold_nothing_and_superadmins_hold_everything() {
        let ops = member_of("00gops", "Ops", vec![grant("runbook_operator", None)]);
        let mut suspended = active(vec![ops]);
        suspended.status = Some(OktaUserStatus::Suspended);
        let execute = app("runbooks.execute");
        let decision = check(&catalog(), &suspended, &execute, None);
        assert_eq!(decision.denial, Some(Denial::Status { status: OktaUserStatus::Suspended }));
        assert!(decision.explanation.contains("SUSPENDED"), "{}", decision.explanation);

        let admin = Person { super_admin: true, status: None, groups: vec![] };
        let decision = check(&catalog(), &admin, &execute, Some(&path("folder:/any")));
        assert!(decision.allowed && decision.super_admin && decision.chains.is_empty());
        assert_eq!(
            decision.explanation,
            "Allowed: a superAdmin holds runbooks.execute everywhere."
        );
    }

    #[test]
    fn built_in_roles_answer_for_the_consoles_own_permissions() {
        let eng = member_of("00geng", "Engineering", vec![grant("editor", None)]);
        let person = active(vec![eng]);
        let assign = PermissionName::Console(Permission::AssignRoles);
        assert!(check(&catalog(), &person, &assign, None).allowed);
        let settings = PermissionName::Console(Permission::ManageSettings);
        assert_eq!(check(&catalog(), &person, &settings, None).denial, Some(Denial::NoRoleHolds));
    }

    #[test]
    fn a_grant_of_a_role_that_no_longer_exists_grants_nothing() {
        let ops = member_of("00gops", "Ops", vec![grant("deleted_role", None)]);
        let decision = check(&catalog(), &active(vec![ops]), &app("runbooks.read"), None);
        assert_eq!(decision.denial, Some(Denial::NoRoleHolds));
    }

    // The property: `check` agrees with a brute-force reading of the rules over every
    // (group, grant) pair, for any mix of groups, roles, scopes, statuses and superAdmin.

    const ROLES: [&str; 4] = ["viewer", "runbook_operator", "runbook_reader", "deleted_role"];
    const SCOPES: [Option<&str>; 5] = [
        None,
        Some("folder:/"),
        Some("folder:/prod"),
        Some("folder:/prod/db"),
        Some("project:/prod"),
    ];
    const RESOURCES: [Option<&str>; 5] = [
        None,
        Some("folder:/prod/db/x"),
        Some("folder:/prod"),
        Some("folder:/production"),
        Some("project:/prod/a"),
    ];
    const STATUSES: [Option<OktaUserStatus>; 4] = [
        None,
        Some(OktaUserStatus::Active),
        Some(OktaUserStatus::LockedOut),
        Some(OktaUserStatus::Suspended),
    ];

    fn people() -> impl Strategy<Value = Person> {
        let grant = (0..ROLES.len(), 0..SCOPES.len()).prop_map(|(r, s)| grant(ROLES[r], SCOPES[s]));
        let group = (0..4_u8, proptest::collection::vec(grant, 0..3)).prop_map(|(id, grants)| {
            member_of(&format!("00g{id}"), &format!("Group {id}"), grants)
        });
        (any::<bool>(), 0..STATUSES.len(), proptest::collection::vec(group, 0..4)).prop_map(
            |(super_admin, status, groups)| Person {
                super_admin,
                status: STATUSES[status],
                groups,
            },
        )
    }

    /// The rules read literally: a scope covers a resource when the resource's text is the
    /// scope's, or starts with it and a `/`, or the scope is its kind's root.
    fn model_covers(scope: &str, resource: &str) -> bool {
        let (scope_kind, scope_path) = scope.split_once(':').expect("kind");
        let (kind, path) = resource.split_once(':').expect("kind");
        scope_kind == kind
            && (scope_path == "/"
                || path == scope_path
                || path.starts_with(&format!("{scope_path}/")))
    }

    fn model_allows(
        person: &Person,
        permission: &PermissionName,
        resource: Option<&str>,
    ) -> BTreeSet<(String, String, Option<String>)> {
        let catalog = catalog();
        let mut allowed = BTreeSet::new();
        let holds =
            matches!(person.status, Some(OktaUserStatus::Active | OktaUserStatus::LockedOut));
        if !holds {
            return allowed;
        }
        for group in &person.groups {
            for grant in &group.grants {
                let Some(role) = catalog.role(&grant.role) else { continue };
                let applies = match (&grant.scope, resource) {
                    (None, _) => true,
                    (Some(scope), Some(resource)) => model_covers(scope.as_str(), resource),
                    (Some(_), None) => false,
                };
                if role.permissions.contains(permission) && applies {
                    allowed.insert((
                        group.group_id.clone(),
                        grant.role.as_str().to_owned(),
                        grant.scope.as_ref().map(|s| s.as_str().to_owned()),
                    ));
                }
            }
        }
        allowed
    }

    #[test]
    fn a_caller_hands_out_a_role_only_where_they_hold_all_of_it() {
        let prod_operator = grant("runbook_operator", Some("folder:/prod"));
        let caller = active(vec![member_of("00gops", "Ops", vec![prod_operator.clone()])]);
        let catalog = catalog();
        assert_eq!(beyond_caller_on_scope(&catalog, &caller, &prod_operator), None);
        let below = grant("runbook_reader", Some("folder:/prod/db"));
        assert_eq!(beyond_caller_on_scope(&catalog, &caller, &below), None);
        let wider = grant("runbook_reader", Some("folder:/"));
        assert_eq!(beyond_caller_on_scope(&catalog, &caller, &wider), Some(app("runbooks.read")));
        let everywhere = grant("runbook_reader", None);
        assert!(beyond_caller_on_scope(&catalog, &caller, &everywhere).is_some());
        let suspended = Person { status: Some(OktaUserStatus::Suspended), ..caller };
        assert!(beyond_caller_on_scope(&catalog, &suspended, &below).is_some());
        let root = Person { super_admin: true, status: None, groups: Vec::new() };
        assert_eq!(beyond_caller_on_scope(&catalog, &root, &everywhere), None);
    }

    proptest! {
        /// Whatever the caller and the grant, a grant the rule lets through gives nobody a
        /// permission on any resource that the caller does not hold on it.
        #[test]
        fn a_grant_let_through_never_hands_out_more_than_the_caller_holds(
            caller in people(),
            role in 0..ROLES.len(),
            scope in 0..SCOPES.len(),
        ) {
            let catalog = catalog();
            let handed = grant(ROLES[role], SCOPES[scope]);
            if beyond_caller_on_scope(&catalog, &caller, &handed).is_none() {
                let receiver = active(vec![member_of("00gnew", "New", vec![handed.clone()])]);
                let permissions = catalog.role(&handed.role).map(|r| r.permissions.clone());
                for permission in permissions.into_iter().flatten() {
                    for resource in RESOURCES.map(|r| r.map(path)) {
                        let given = check(&catalog, &receiver, &permission, resource.as_ref());
                        let held = check(&catalog, &caller, &permission, resource.as_ref());
                        prop_assert!(
                            !given.allowed || held.allowed,
                            "{permission} on {resource:?} handed out by {caller:?}"
                        );
                    }
                }
            }
        }

        #[test]
        fn check_agrees_with_the_rules_read_one_grant_at_a_time(
            person in people(),
            permission in 0..4_usize,
            resource in 0..RESOURCES.len(),
        ) {
            let permission = [
                app("runbooks.execute"),
                app("runbooks.read"),
                PermissionName::Console(Permission::ReadGroups),
                PermissionName::Console(Permission::RunSync),
            ][permission].clone();
            let resource_text = RESOURCES[resource];
            let resource = resource_text.map(path);
            let decision = check(&catalog(), &person, &permission, resource.as_ref());
            let model = model_allows(&person, &permission, resource_text);

            prop_assert_eq!(decision.allowed, person.super_admin || !model.is_empty());
            let chains: BTreeSet<(String, String, Option<String>)> = decision
                .chains
                .iter()
                .map(|c| (c.group_id.clone(), c.role.as_str().to_owned(), c.scope.as_ref().map(|s| s.as_str().to_owned())))
                .collect();
            prop_assert_eq!(chains, model.clone());
            prop_assert_eq!(decision.denial.is_some(), !decision.allowed);
            let opening = if decision.allowed { "Allowed: " } else { "Denied: " };
            prop_assert!(decision.explanation.starts_with(opening), "{}", decision.explanation);
        }
    }
}
