//! A person's access as the synced data says it is now: their roles, permissions and why.
//!
//! Read through [`PeopleStore`] in one read, so that the status, the groups (with their built-in
//! roles and custom grants) and the superAdmin flag are of one moment; decided by `core`'s
//! `effective_access`.

use groupsync_core::domain::{
    BuiltInRole, EffectiveAccess, GroupGrant, NamedGrant, effective_access,
};
use groupsync_core::okta::OktaUserStatus;

use crate::error::ApiError;
use crate::service::ports::{CustomGrantRow, GroupRoles, PeopleStore, PersonFacts};

/// A person's synced Okta user, their status, and their access, all of one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonAccess {
    /// Their synced Okta user, else the one Okta named for them (`fallback_user_id`).
    pub okta_user_id: Option<String>,
    /// Their Okta status, when they are in a synced group (`None` otherwise).
    pub status: Option<OktaUserStatus>,
    /// What they may do, and why.
    pub access: EffectiveAccess,
}

/// The access of `email` (see [`PeopleStore::person_facts`] for `fallback_user_id`).
///
/// # Errors
///
/// `internal` when the store fails.
pub async fn access_of(
    store: &impl PeopleStore,
    email: &str,
    fallback_user_id: Option<&str>,
) -> Result<PersonAccess, ApiError> {
    let person = store.person_facts(email, fallback_user_id).await?;
    Ok(access_from_facts(email, person, fallback_user_id))
}

/// The access of `email` from their facts (see [`access_of`]).
pub fn access_from_facts(
    email: &str,
    person: PersonFacts,
    fallback_user_id: Option<&str>,
) -> PersonAccess {
    let status = person.user.as_ref().map(|(_, status)| *status);
    let okta_user_id = person.user.map(|(id, _)| id).or(fallback_user_id.map(str::to_owned));
    let in_groups = !person.grants.is_empty();
    let groups = group_grants(person.grants, &person.custom);
    let mut access = effective_access(status, &groups, person.super_admin);
    // A shared email grants nothing: say so first, the usual notes would not explain it.
    if let Some(note) = person.identity.note(email) {
        access.notes.insert(0, note);
    }
    PersonAccess { okta_user_id, status: if in_groups { status } else { None }, access }
}

/// The groups of a synced user, with the roles each grants (perhaps none) and its custom grants.
///
/// A group's custom grants are its rows of `custom`. Role names this Worker does not know, and
/// grants that no longer read as one, grant nothing.
pub fn group_grants(rows: Vec<GroupRoles>, custom: &[CustomGrantRow]) -> Vec<GroupGrant> {
    rows.into_iter()
        .map(|(group_id, group_name, roles)| GroupGrant {
            roles: roles.iter().filter_map(|r| BuiltInRole::parse(r)).collect(),
            custom: custom
                .iter()
                .filter(|row| row.group_id == group_id)
                .filter_map(|row| {
                    Some(NamedGrant { grant: row.grant()?, role_name: row.role_name.clone() })
                })
                .collect(),
            group_id,
            group_name,
        })
        .collect()
}
