//! The access check for the apps that rely on this product (issue #14): may this person do
//! this permission on this resource, and why, perhaps assuming a membership they do not have.
//!
//! What a check reads ([`CheckReads`]: each person's groups with their custom grants and
//! status, as for their effective access; the relying app's registered permissions and the
//! custom roles; the what-if groups) is read by the caller in one D1 batch, with the request's
//! own reads; answering from it is pure, and the decision is `core`'s [`check`]. A check about a
//! permission the catalog does not know is refused as a mistake (`400 invalid_query`), never
//! answered "denied", so that a typo in a client shows at once.

use groupsync_core::api::{AccessCheckBatchRequest, AccessCheckResponse, Assumption, ProblemCode};
use groupsync_core::domain::{
    Email, Grant, MemberOf, PermissionName, Person, ResourcePath, RoleKey, WhatIf, check,
};

use crate::error::ApiError;
use crate::service::access::{Caller, Principal};
use crate::service::catalog::catalog_of;
use crate::service::ports::{CatalogRows, CustomGrantRow, GroupListRow, PeopleStore, PersonFacts};

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

/// How a check's bad field is refused: a query parameter of the single check, or a field of
/// one check of a batch.
type Refusal<'a> = &'a dyn Fn(&str, String) -> ApiError;

/// Parses `email`, `permission`, and the optional `resource` and `as_if_member_of` or
/// `as_if_not_member_of` (one at most). Any other parameter, or one given twice, is refused.
///
/// # Errors
///
/// `400 invalid_query` naming the parameter.
pub fn parse_check_query(pairs: &[(String, String)]) -> Result<CheckQuery, ApiError> {
    let mut seen: Vec<&str> = Vec::new();
    for (name, _) in pairs {
        if !CHECK_FIELDS.contains(&name.as_str()) {
            return Err(ApiError::invalid_query(name, "is not a parameter of the access check"));
        }
        if seen.contains(&name.as_str()) {
            return Err(ApiError::invalid_query(name, "is given more than once"));
        }
        seen.push(name);
    }
    let value = |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    parse_check(&value, &|field, message| ApiError::invalid_query(field, message))
}

/// What a check names, by name: the query parameters of the single check, the fields of each
/// check of a batch.
const CHECK_FIELDS: [&str; 5] =
    ["email", "permission", "resource", "as_if_member_of", "as_if_not_member_of"];

/// The most checks one batch may ask.
pub const MAX_BATCH_CHECKS: usize = 100;

/// The most people one batch may ask about: each costs a read of D1, and an invocation's reads
/// are bounded.
pub const MAX_BATCH_PEOPLE: usize = 10;

/// Parses a batch: 1 to [`MAX_BATCH_CHECKS`] checks about at most [`MAX_BATCH_PEOPLE`] people,
/// each as the single check's query would be.
///
/// # Errors
///
/// `422 invalid_input` naming the check and its field (`checks[3].permission`).
pub fn parse_check_batch(request: AccessCheckBatchRequest) -> Result<Vec<CheckQuery>, ApiError> {
    if request.checks.is_empty() || request.checks.len() > MAX_BATCH_CHECKS {
        return Err(ApiError::invalid("checks", format!("1 to {MAX_BATCH_CHECKS} checks")));
    }
    let queries = request
        .checks
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let value = |name: &str| match name {
                "email" => Some(item.email.as_str()),
                "permission" => Some(item.permission.as_str()),
                "resource" => item.resource.as_deref(),
                "as_if_member_of" => item.as_if_member_of.as_deref(),
                "as_if_not_member_of" => item.as_if_not_member_of.as_deref(),
                _ => None,
            };
            parse_check(&value, &|field, message| {
                ApiError::invalid(&format!("checks[{i}].{field}"), message)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut people: Vec<&str> = queries.iter().map(|q| q.email.as_str()).collect();
    people.sort_unstable();
    people.dedup();
    if people.len() > MAX_BATCH_PEOPLE {
        return Err(ApiError::invalid(
            "checks",
            format!("a batch asks about at most {MAX_BATCH_PEOPLE} people; split it"),
        ));
    }
    Ok(queries)
}

fn parse_check<'a>(
    value: &dyn Fn(&str) -> Option<&'a str>,
    refuse: Refusal<'_>,
) -> Result<CheckQuery, ApiError> {
    let email = value("email").ok_or_else(|| refuse("email", "is required".into()))?;
    let email = Email::parse(email).map_err(|e| refuse("email", e.to_string()))?.into_string();
    let permission =
        value("permission").ok_or_else(|| refuse("permission", "is required".into()))?;
    let permission =
        PermissionName::parse(permission).map_err(|e| refuse("permission", e.to_string()))?;
    let resource = value("resource")
        .map(|text| ResourcePath::parse(text).map_err(|e| refuse("resource", e.to_string())))
        .transpose()?;
    let assuming = match (value("as_if_member_of"), value("as_if_not_member_of")) {
        (Some(_), Some(_)) => {
            return Err(refuse(
                "as_if_not_member_of",
                "cannot be given with as_if_member_of".into(),
            ));
        }
        (Some(id), None) => Some(Assumption::MemberOf(
            group_id("as_if_member_of", id).map_err(|e| refuse_with(refuse, e))?,
        )),
        (None, Some(id)) => Some(Assumption::NotMemberOf(
            group_id("as_if_not_member_of", id).map_err(|e| refuse_with(refuse, e))?,
        )),
        (None, None) => None,
    };
    Ok(CheckQuery { email, permission, resource, assuming })
}

fn refuse_with(refuse: Refusal<'_>, (field, message): (&'static str, &'static str)) -> ApiError {
    refuse(field, message.to_owned())
}

fn group_id(name: &'static str, id: &str) -> Result<String, (&'static str, &'static str)> {
    let plausible = !id.is_empty()
        && id.len() <= MAX_GROUP_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plausible { Ok(id.to_owned()) } else { Err((name, "a group id, such as 00g1abc")) }
}

/// Answers one check (parsed by [`parse_check_query`]) from its reads.
///
/// # Errors
///
/// `400 invalid_query` for a permission the catalog does not know or a what-if group that does
/// not exist.
pub fn answer_check(reads: CheckReads, query: CheckQuery) -> Result<AccessCheckResponse, ApiError> {
    let refuse = |_: usize, field: &str, message: String| ApiError::invalid_query(field, message);
    let mut answers = answer_checks(reads, vec![query], &refuse)?;
    answers.pop().ok_or_else(|| ApiError::client(ProblemCode::Internal, "no answer"))
}

/// Answers a batch (parsed by [`parse_check_batch`]) from its reads, in its order.
///
/// # Errors
///
/// `422 invalid_input` naming the check whose permission the catalog does not know or whose
/// what-if group does not exist.
pub fn answer_batch(
    reads: CheckReads,
    queries: Vec<CheckQuery>,
) -> Result<Vec<AccessCheckResponse>, ApiError> {
    let refuse = |i: usize, field: &str, message: String| {
        ApiError::invalid(&format!("checks[{i}].{field}"), message)
    };
    answer_checks(reads, queries, &refuse)
}

/// What a set of checks reads, all of one moment: the catalog, the facts of each person they
/// ask about (by email), and the groups their what-ifs assume a membership of (those that exist).
#[derive(Debug)]
pub struct CheckReads {
    /// The relying app's permissions and the custom roles.
    pub catalog: CatalogRows,
    /// Each person asked about, by email.
    pub people: Vec<(String, PersonFacts)>,
    /// The groups of the `as_if_member_of` assumptions that exist.
    pub what_if_groups: Vec<GroupListRow>,
}

/// Whom and which groups `queries` ask about: their distinct emails and what-if group ids, to
/// read them once each.
pub fn check_subjects(queries: &[CheckQuery]) -> (Vec<String>, Vec<String>) {
    let mut emails: Vec<String> = queries.iter().map(|q| q.email.clone()).collect();
    emails.sort_unstable();
    emails.dedup();
    let mut what_if_ids: Vec<String> = queries
        .iter()
        .filter_map(|q| match &q.assuming {
            Some(Assumption::MemberOf(id)) => Some(id.clone()),
            _ => None,
        })
        .collect();
    what_if_ids.sort_unstable();
    what_if_ids.dedup();
    (emails, what_if_ids)
}

/// Answers checks from what they read ([`CheckReads`]), in their order; `refuse` words the
/// refusal of check `i`'s field.
///
/// # Errors
///
/// The refusal of the first check whose permission the catalog does not know, or whose what-if
/// group does not exist.
fn answer_checks(
    reads: CheckReads,
    queries: Vec<CheckQuery>,
    refuse: &dyn Fn(usize, &str, String) -> ApiError,
) -> Result<Vec<AccessCheckResponse>, ApiError> {
    let CheckReads { catalog, people, what_if_groups } = reads;
    let catalog = catalog_of(catalog);
    if let Some((i, query)) =
        queries.iter().enumerate().find(|(_, q)| !catalog.knows(&q.permission))
    {
        return Err(refuse(
            i,
            "permission",
            format!(
                "{} is not a registered permission (register it with POST /api/v1/permissions)",
                query.permission
            ),
        ));
    }
    let mut answers = Vec::with_capacity(queries.len());
    for (i, query) in queries.into_iter().enumerate() {
        let person_facts = people
            .iter()
            .find(|(email, _)| *email == query.email)
            .map(|(_, facts)| facts.clone())
            .ok_or_else(|| ApiError::client(ProblemCode::Internal, "a person was not read"))?;
        // A shared email grants nothing: the usual sentences would not explain why.
        let identity_note = person_facts.identity.note(&query.email);
        let mut person = person_of(person_facts);
        if let Some(assumption) = &query.assuming {
            let what_if = match assumption {
                Assumption::MemberOf(id) => match what_if_groups.iter().find(|g| g.id == *id) {
                    Some(row) => WhatIf::MemberOf(member_of(row.clone())),
                    None => {
                        return Err(refuse(
                            i,
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
        answers.push(AccessCheckResponse {
            email: query.email,
            permission: query.permission,
            resource: query.resource,
            assuming: query.assuming,
            decision,
        });
    }
    Ok(answers)
}

/// A person calling the API as the access check sees them: their groups as of now, with their
/// built-in roles and custom grants. Machine clients hold no grants.
///
/// # Errors
///
/// `internal` when the store fails.
pub async fn caller_person(
    people: &impl PeopleStore,
    principal: &Principal,
) -> Result<Person, ApiError> {
    let Caller::Person { email, .. } = &principal.caller else {
        return Ok(Person { super_admin: false, status: None, groups: Vec::new() });
    };
    let facts = people.person_facts(email, principal.okta_user_id.as_deref()).await?;
    Ok(Person { super_admin: principal.super_admin, ..person_of(facts) })
}

/// The person as the check sees them.
///
/// Their status counts only when they are in a group of the app (as for their effective
/// access), and each group's roles are grants everywhere. Role names this Worker cannot read
/// grant nothing.
pub fn person_of(facts: PersonFacts) -> Person {
    let in_groups = !facts.grants.is_empty();
    let custom = facts.custom;
    let groups = facts
        .grants
        .into_iter()
        .map(|(group_id, group_name, roles)| {
            let mut grants = built_in_grants(&roles);
            grants.extend(
                custom
                    .iter()
                    .filter(|row| row.group_id == group_id)
                    .filter_map(CustomGrantRow::grant),
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
    use groupsync_core::api::AccessCheckItem;
    use groupsync_core::domain::{IdentityMatch, Permission};
    use groupsync_core::okta::OktaUserStatus;

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

    fn item(email: &str, permission: &str) -> AccessCheckItem {
        AccessCheckItem {
            email: email.to_owned(),
            permission: permission.to_owned(),
            resource: None,
            as_if_member_of: None,
            as_if_not_member_of: None,
        }
    }

    fn batch_refusal(checks: Vec<AccessCheckItem>) -> Option<String> {
        match parse_check_batch(AccessCheckBatchRequest { checks }) {
            Err(ApiError::Client { code: ProblemCode::InvalidInput, field, .. }) => field,
            other => panic!("not refused as bad input: {other:?}"),
        }
    }

    #[test]
    fn a_batch_is_parsed_check_by_check_and_refused_by_the_check_at_fault() {
        let resource = AccessCheckItem {
            resource: Some("folder:/prod".into()),
            as_if_member_of: Some("00g1".into()),
            ..item("Bob@Example.com", "runbooks.execute")
        };
        let queries = parse_check_batch(AccessCheckBatchRequest {
            checks: vec![item("ann@example.com", "read_groups"), resource],
        })
        .expect("a valid batch");
        assert_eq!(queries[1].email, "bob@example.com");
        assert_eq!(queries[1].assuming, Some(Assumption::MemberOf("00g1".to_owned())));

        let bad_scope = AccessCheckItem {
            resource: Some("folder:/prod/".into()),
            ..item("ann@example.com", "read_groups")
        };
        assert_eq!(
            batch_refusal(vec![item("ann@example.com", "read_groups"), bad_scope]).as_deref(),
            Some("checks[1].resource")
        );
        let bad_group = AccessCheckItem {
            as_if_not_member_of: Some("00g/x".into()),
            ..item("ann@example.com", "read_groups")
        };
        assert_eq!(
            batch_refusal(vec![bad_group]).as_deref(),
            Some("checks[0].as_if_not_member_of")
        );
        assert_eq!(
            batch_refusal(vec![item("ann", "read_groups")]).as_deref(),
            Some("checks[0].email")
        );
        assert_eq!(batch_refusal(Vec::new()).as_deref(), Some("checks"));
        let too_many = vec![item("ann@example.com", "read_groups"); MAX_BATCH_CHECKS + 1];
        assert_eq!(batch_refusal(too_many).as_deref(), Some("checks"));
        let people: Vec<AccessCheckItem> = (0..=MAX_BATCH_PEOPLE)
            .map(|i| item(&format!("p{i}@example.com"), "read_groups"))
            .collect();
        assert_eq!(batch_refusal(people).as_deref(), Some("checks"));
        let same_person = vec![item("ann@example.com", "read_groups"); MAX_BATCH_CHECKS];
        assert_eq!(
            parse_check_batch(AccessCheckBatchRequest { checks: same_person })
                .map(|q| q.len())
                .ok(),
            Some(MAX_BATCH_CHECKS),
            "one person, many questions"
        );
    }

    fn facts(user: Option<OktaUserStatus>, grants: Vec<GroupRoles>) -> PersonFacts {
        PersonFacts {
            super_admin: false,
            identity: IdentityMatch::NoOktaUser,
            user: user.map(|status| ("00u1".to_owned(), status)),
            grants,
            custom: Vec::new(),
        }
    }

    #[test]
    fn a_person_holds_their_groups_built_in_roles_everywhere_and_custom_grants_on_their_scopes() {
        let grants = vec![(
            "00g1".to_owned(),
            "Engineering".to_owned(),
            vec!["editor".to_owned(), "Not A Role".to_owned()],
        )];
        let row = |group: &str, role: &str, scope: &str| CustomGrantRow {
            group_id: group.to_owned(),
            role: role.to_owned(),
            role_name: "Runbook operator".to_owned(),
            scope: scope.to_owned(),
        };
        let custom = vec![
            row("00g1", "runbook_operator", "folder:/prod"),
            row("00g1", "runbook_operator", "folder:/prod/"),
            row("00g2", "runbook_reader", ""),
        ];
        let person =
            person_of(PersonFacts { custom, ..facts(Some(OktaUserStatus::Active), grants) });
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
        let outside = person_of(facts(Some(OktaUserStatus::Active), vec![]));
        assert_eq!(outside.status, None, "in no group of the app: no status holds roles");
    }
}
