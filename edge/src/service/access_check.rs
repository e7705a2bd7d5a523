//! The access check for the apps that rely on this product (issue #14): may this person do
//! this permission on this resource, and why, perhaps assuming a membership they do not have.
//!
//! The person's groups and status are read in one read ([`PeopleStore::person_facts`], as for
//! their effective access); the catalog is the built-in roles, the relying app's registered
//! permissions and the custom roles; the decision is `core`'s [`check`]. A check about a
//! permission the catalog does not know is refused as a mistake (`400 invalid_query`), never
//! answered "denied", so that a typo in a client shows at once.

use futures_util::future::join;
use groupsync_core::api::{AccessCheckResponse, Assumption};
use groupsync_core::domain::{
    Email, Grant, MemberOf, PermissionName, Person, ResourcePath, RoleKey, WhatIf, check,
};

use crate::error::ApiError;
use crate::service::catalog::catalog_of;
use crate::service::ports::{CatalogStore, GroupListRow, GroupStore, PeopleStore, PersonFacts};

/// The longest group id a what-if may name (Okta's are 20 characters).
const MAX_GROUP_ID_LEN: usize = 64;

/// What a check asks, parsed from its query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckQuery {
    /// Whose access (trimmed and lowercased).
    pub email: String,
    /// Which permission.
    pub permission: PermissionName,
    /// On which resource (`None`: none in particular).
    pub resource: Option<ResourcePath>,
    /// The membership to assume, if any.
    pub assuming: Option<Assumption>,
}

/// Parses `email`, `permission`, and the optional `resource` and `as_if_member_of` or
/// `as_if_not_member_of` (one at most). Any other parameter, or one given twice, is refused.
///
/// # Errors
///
/// `400 invalid_query` naming the parameter.
pub fn parse_check_query(pairs: &[(String, String)]) -> Result<CheckQuery, ApiError> {
    let mut seen: Vec<&str> = Vec::new();
    for (name, _) in pairs {
        let known = ["email", "permission", "resource", "as_if_member_of", "as_if_not_member_of"];
        if !known.contains(&name.as_str()) {
            return Err(ApiError::invalid_query(name, "is not a parameter of the access check"));
        }
        if seen.contains(&name.as_str()) {
            return Err(ApiError::invalid_query(name, "is given more than once"));
        }
        seen.push(name);
    }
    let value = |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let email = Email::parse(
        value("email").ok_or_else(|| ApiError::invalid_query("email", "is required"))?,
    )
    .map_err(|e| ApiError::invalid_query("email", e))?
    .into_string();
    let permission =
        value("permission").ok_or_else(|| ApiError::invalid_query("permission", "is required"))?;
    let permission =
        PermissionName::parse(permission).map_err(|e| ApiError::invalid_query("permission", e))?;
    let resource = value("resource")
        .map(|text| ResourcePath::parse(text).map_err(|e| ApiError::invalid_query("resource", e)))
        .transpose()?;
    let assuming = match (value("as_if_member_of"), value("as_if_not_member_of")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_query(
                "as_if_not_member_of",
                "cannot be given with as_if_member_of",
            ));
        }
        (Some(id), None) => Some(Assumption::MemberOf(group_id("as_if_member_of", id)?)),
        (None, Some(id)) => Some(Assumption::NotMemberOf(group_id("as_if_not_member_of", id)?)),
        (None, None) => None,
    };
    Ok(CheckQuery { email, permission, resource, assuming })
}

fn group_id(name: &str, id: &str) -> Result<String, ApiError> {
    let plausible = !id.is_empty()
        && id.len() <= MAX_GROUP_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plausible {
        Ok(id.to_owned())
    } else {
        Err(ApiError::invalid_query(name, "a group id, such as 00g1abc"))
    }
}

/// Answers `query` from the store.
///
/// # Errors
///
/// `400 invalid_query` for a permission the catalog does not know or a what-if group that does
/// not exist; `internal` when the store fails.
pub async fn check_access(
    people: &impl PeopleStore,
    groups: &impl GroupStore,
    roles: &impl CatalogStore,
    query: CheckQuery,
) -> Result<AccessCheckResponse, ApiError> {
    // The person and the catalog are independent reads: asked at once, they cost one round
    // trip to D1 instead of two.
    let (facts, rows) = join(people.person_facts(&query.email, None), roles.catalog_rows()).await;
    let catalog = catalog_of(rows?);
    if !catalog.knows(&query.permission) {
        return Err(ApiError::invalid_query(
            "permission",
            format!(
                "{} is not a registered permission (register it with POST /api/v1/permissions)",
                query.permission
            ),
        ));
    }
    let facts = facts?;
    // A shared email grants nothing: the usual sentences would not explain why.
    let identity_note = facts.identity.note(&query.email);
    let group_ids: Vec<String> = facts.grants.iter().map(|(id, _, _)| id.clone()).collect();
    let custom =
        if group_ids.is_empty() { Vec::new() } else { roles.group_grants(&group_ids).await? };
    let mut person = person_of(facts, &custom);
    if let Some(assumption) = &query.assuming {
        let what_if = match assumption {
            Assumption::MemberOf(id) => match groups.group(id).await? {
                Some(row) => WhatIf::MemberOf(member_of(row)),
                None => {
                    return Err(ApiError::invalid_query(
                        "as_if_member_of",
                        format!("no group has the id {id}"),
                    ));
                }
            },
            Assumption::NotMemberOf(id) => WhatIf::NotMemberOf(id.clone()),
        };
        person = person.assuming(what_if);
    }
    let mut decision = check(&catalog, &person, &query.permission, query.resource.as_ref());
    if let Some(note) = identity_note.filter(|_| !decision.allowed) {
        decision.explanation = format!("{} {note}", decision.explanation);
    }
    Ok(AccessCheckResponse {
        email: query.email,
        permission: query.permission,
        resource: query.resource,
        assuming: query.assuming,
        decision,
    })
}

/// The person as the check sees them.
///
/// Their status counts only when they are in a group of the app (as for their effective
/// access), and each group's roles are grants everywhere. Role names this Worker cannot read
/// grant nothing.
pub fn person_of(facts: PersonFacts, custom: &[(String, String, String)]) -> Person {
    let in_groups = !facts.grants.is_empty();
    let groups = facts
        .grants
        .into_iter()
        .map(|(group_id, group_name, roles)| {
            let mut grants = built_in_grants(&roles);
            grants.extend(
                custom
                    .iter()
                    .filter(|(group, _, _)| *group == group_id)
                    .filter_map(|(_, role, scope)| custom_grant(role, scope)),
            );
            MemberOf { group_id, group_name, grants }
        })
        .collect();
    Person {
        super_admin: facts.super_admin,
        status: facts.user.map(|(_, status)| status).filter(|_| in_groups),
        groups,
    }
}

fn built_in_grants(roles: &[String]) -> Vec<Grant> {
    roles
        .iter()
        .filter_map(|role| RoleKey::parse(role).ok())
        .map(|role| Grant { role, scope: None })
        .collect()
}

/// A stored custom grant; one that no longer reads as one (none this Worker wrote) grants
/// nothing.
fn custom_grant(role: &str, scope: &str) -> Option<Grant> {
    let scope = if scope.is_empty() { None } else { Some(ResourcePath::parse(scope).ok()?) };
    Some(Grant { role: RoleKey::parse(role).ok()?, scope })
}

/// A group as a what-if membership: its built-in roles and custom grants.
fn member_of(row: GroupListRow) -> MemberOf {
    let roles: Vec<String> =
        row.roles().into_iter().map(|role| RoleKey::of(role).as_str().to_owned()).collect();
    let mut grants = built_in_grants(&roles);
    grants.extend(row.grants());
    MemberOf { group_id: row.id, group_name: row.name, grants }
}

#[cfg(test)]
mod tests {
    use groupsync_core::domain::{IdentityMatch, Permission};
    use groupsync_core::okta::OktaUserStatus;

    use groupsync_core::api::ProblemCode;

    use crate::service::ports::GroupRoles;

    use super::*;

    fn pairs(query: &[(&str, &str)]) -> Vec<(String, String)> {
        query.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    fn refusal(query: &[(&str, &str)]) -> (Option<String>, String) {
        match parse_check_query(&pairs(query)) {
            Err(ApiError::Client { code: ProblemCode::InvalidQuery, field, detail }) => {
                (field, detail)
            }
            other => panic!("{query:?} was not refused as a bad query: {other:?}"),
        }
    }

    #[test]
    fn a_check_names_a_person_a_permission_and_perhaps_a_resource_and_an_assumption() {
        let query = parse_check_query(&pairs(&[
            ("email", " Ann@Example.COM "),
            ("permission", "read_groups"),
            ("resource", "folder:/prod/db"),
            ("as_if_member_of", "00g1abc"),
        ]))
        .expect("a valid check");
        assert_eq!(query.email, "ann@example.com");
        assert_eq!(query.permission, PermissionName::Console(Permission::ReadGroups));
        assert_eq!(query.resource.map(|r| r.to_string()).as_deref(), Some("folder:/prod/db"));
        assert_eq!(query.assuming, Some(Assumption::MemberOf("00g1abc".to_owned())));
    }

    #[test]
    fn every_bad_parameter_is_refused_by_name() {
        let base = [("email", "ann@example.com"), ("permission", "read_groups")];
        let with = |extra: (&'static str, &'static str)| {
            let mut query = base.to_vec();
            query.push(extra);
            query
        };
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("permission", "read_groups")], "email"),
            (vec![("email", "ann@example.com")], "permission"),
            (vec![("email", "not an email"), ("permission", "read_groups")], "email"),
            (vec![("email", "ann@example.com"), ("permission", "runbooks")], "permission"),
            (with(("resource", "folder:/prod/../x")), "resource"),
            (with(("as_if_member_of", "00g/../x")), "as_if_member_of"),
            (with(("as_if_not_member_of", "")), "as_if_not_member_of"),
            (with(("email", "bob@example.com")), "email"),
            (with(("role", "admin")), "role"),
        ];
        for (query, field) in cases {
            assert_eq!(refusal(&query).0.as_deref(), Some(field), "{query:?}");
        }
        let both = with(("as_if_member_of", "00g1"));
        let mut both = both;
        both.push(("as_if_not_member_of", "00g2"));
        assert_eq!(refusal(&both).0.as_deref(), Some("as_if_not_member_of"));
    }

    fn facts(user: Option<OktaUserStatus>, grants: Vec<GroupRoles>) -> PersonFacts {
        PersonFacts {
            super_admin: false,
            identity: IdentityMatch::NoOktaUser,
            user: user.map(|status| ("00u1".to_owned(), status)),
            grants,
        }
    }

    #[test]
    fn a_person_holds_their_groups_built_in_roles_everywhere_and_custom_grants_on_their_scopes() {
        let grants = vec![(
            "00g1".to_owned(),
            "Engineering".to_owned(),
            vec!["editor".to_owned(), "Not A Role".to_owned()],
        )];
        let custom =
            [("00g1".to_owned(), "runbook_operator".to_owned(), "folder:/prod".to_owned())];
        let person = person_of(facts(Some(OktaUserStatus::Active), grants), &custom);
        assert_eq!(person.status, Some(OktaUserStatus::Active));
        let key = |k: &str| RoleKey::parse(k).expect("a key");
        assert_eq!(
            person.groups[0].grants,
            [
                Grant { role: key("editor"), scope: None },
                Grant {
                    role: key("runbook_operator"),
                    scope: Some(ResourcePath::parse("folder:/prod").expect("a path")),
                },
            ]
        );
        let outside = person_of(facts(Some(OktaUserStatus::Active), vec![]), &[]);
        assert_eq!(outside.status, None, "in no group of the app: no status holds roles");
    }
}
