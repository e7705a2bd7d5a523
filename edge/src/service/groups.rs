//! Writes to groups: the roles a group grants (with optimistic concurrency and no escalation),
//! and local groups made by hand while Okta sync is off.

use groupsync_core::api::{
    CreateGroupRequest, GroupSource, GroupSummary, ProblemCode, SetGroupRolesRequest,
};
use groupsync_core::domain::{
    BuiltInRole, Grant, beyond_caller_on_scope, roles_changed, scope_in_words, thousands,
};
use serde_json::json;

use crate::error::ApiError;
use crate::service::access::Principal;
use crate::service::access_check::caller_person;
use crate::service::catalog::catalog;
use crate::service::ports::{
    AuditRecord, CatalogStore, GroupListRow, GroupRow, GroupStore, PeopleStore, RateLimiter,
    RoleChange,
};

/// The longest group name, in characters.
const MAX_NAME_CHARS: usize = 200;
/// The longest group description, in characters.
const MAX_DESCRIPTION_CHARS: usize = 1_000;
/// The most custom grants one group holds (each is read by every access check of its members).
const MAX_GRANTS_PER_GROUP: usize = 50;

/// Replaces the roles of group `id` with `request.roles` if nobody changed them since
/// `request.version`, so that two admins cannot overwrite each other.
///
/// # Errors
///
/// `not_found` for an unknown group; `version_conflict` (naming who saved first) when the
/// version is not the current one, also when someone saved meanwhile; `beyond_own_access` when
/// a role added or removed goes beyond the caller's own; the write limit's refusal.
pub async fn set_group_roles(
    stores: RoleStores<'_, impl GroupStore, impl CatalogStore, impl PeopleStore>,
    limits: &impl RateLimiter,
    principal: &Principal,
    id: &str,
    request: &SetGroupRolesRequest,
    now: &str,
) -> Result<(), ApiError> {
    let RoleStores { groups, .. } = stores;
    let before = groups.group(id).await?.ok_or_else(no_such_group)?;
    let mut roles: Vec<BuiltInRole> = request.roles.clone();
    roles.sort();
    roles.dedup();
    // The change is judged against the roles of the version the caller sent, which the write
    // below stores only if it is still current: a version other than the one read is a conflict.
    if request.version != before.roles_version {
        return Err(version_conflict(&before));
    }
    // Adding a role and removing one both change who holds what: both need the role's
    // permissions (otherwise an Editor could make their own group Admin, or strip Admin).
    principal.may_hand_out(&roles_changed(&before.roles(), &roles), "grant or remove")?;
    let grants = match &request.grants {
        Some(wanted) => Some(checked_grants(&stores, principal, &before, wanted).await?),
        None => None,
    };
    let names: Vec<String> = roles.iter().map(|r| r.as_str().to_owned()).collect();
    let actor = limits.admit_write(principal).await?;
    let mut audit = AuditRecord {
        before: Some(json!({ "roles": before.roles(), "version": before.roles_version })),
        after: Some(json!({ "roles": names, "version": request.version + 1 })),
        ..AuditRecord::of(&actor, "group.roles_set", id)
    };
    // The custom grants are recorded when the request sets them (the built-in roles always).
    if let (Some(after), Some(before_record), Some(after_record)) =
        (&grants, audit.before.as_mut(), audit.after.as_mut())
    {
        before_record["grants"] = json!(before.grants());
        after_record["grants"] = json!(after);
    }
    let nonce = random_hex("No randomness.")?;
    let change = RoleChange {
        roles: &names,
        grants: grants.as_deref(),
        version: request.version,
        nonce: &nonce,
    };
    if !groups.set_group_roles(id, &change, &audit, now).await? {
        // Saved by someone else between the read above and the write: name them.
        let current = groups.group(id).await?.unwrap_or(before);
        return Err(version_conflict(&current));
    }
    Ok(())
}

/// The stores a role assignment reads and writes: the group, the role catalog, and the people
/// (whose own grants bound what they hand out).
#[derive(Debug)]
pub struct RoleStores<'a, G, C, P> {
    /// The groups and their roles.
    pub groups: &'a G,
    /// The role catalog and the custom grants.
    pub catalog: &'a C,
    /// The caller's own groups.
    pub people: &'a P,
}

/// The custom-role grants wanted, sorted and once each, if the caller may make the change.
///
/// Each names a custom role of the catalog (the built-ins go in `roles`). Each grant added or
/// removed must be within the caller's own access: every permission of its role held on its
/// scope (everywhere, for an unscoped grant), as the access check would answer for the caller.
/// A superAdmin holds everything; anyone may send the grants back unchanged.
async fn checked_grants(
    stores: &RoleStores<'_, impl GroupStore, impl CatalogStore, impl PeopleStore>,
    principal: &Principal,
    before: &GroupListRow,
    wanted: &[Grant],
) -> Result<Vec<Grant>, ApiError> {
    let mut grants = wanted.to_vec();
    grants.sort();
    grants.dedup();
    if grants.len() > MAX_GRANTS_PER_GROUP {
        return Err(ApiError::invalid(
            "grants",
            format!("a group grants at most {MAX_GRANTS_PER_GROUP} custom roles and scopes"),
        ));
    }
    if grants == before.grants() {
        return Ok(grants);
    }
    let catalog = catalog(stores.catalog).await?;
    for grant in &grants {
        let custom = catalog.role(&grant.role).is_some_and(|role| !role.is_built_in());
        if !custom {
            return Err(ApiError::invalid(
                "grants",
                format!(
                    "{} is not a custom role (built-in roles go in roles; custom roles are made with POST /api/v1/roles)",
                    grant.role
                ),
            ));
        }
    }
    if principal.super_admin {
        return Ok(grants);
    }
    let before = before.grants();
    let changed = grants
        .iter()
        .filter(|g| !before.contains(g))
        .chain(before.iter().filter(|g| !grants.contains(g)));
    let caller = caller_person(stores.people, principal).await?;
    for grant in changed {
        if let Some(lacking) = beyond_caller_on_scope(&catalog, &caller, grant) {
            let role = catalog.role(&grant.role).map_or(grant.role.as_str(), |r| r.name.as_str());
            let scope = scope_in_words(grant.scope.as_ref());
            return Err(ApiError::client(
                ProblemCode::BeyondOwnAccess,
                format!(
                    "You cannot grant or remove the {role} role {scope}: it includes the {lacking} permission, which you do not hold there. Ask someone who holds it (or a superAdmin)."
                ),
            ));
        }
    }
    Ok(grants)
}

/// Creates a local group (trimmed name, and description when not blank), unless groups come
/// from Okta.
///
/// # Errors
///
/// `invalid_input` about `name` or `description`; the write limit's refusal; `sync_enabled`
/// while Okta sync is on (checked by the store in the write itself).
pub async fn create_group(
    groups: &impl GroupStore,
    limits: &impl RateLimiter,
    principal: &Principal,
    request: CreateGroupRequest,
    now: &str,
) -> Result<GroupSummary, ApiError> {
    let name = request.name.trim().to_owned();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::invalid(
            "name",
            format!("1 to {} characters, no control characters", thousands(MAX_NAME_CHARS as u64)),
        ));
    }
    let description = request.description.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
    if description.as_ref().is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS) {
        return Err(ApiError::invalid(
            "description",
            format!("at most {} characters", thousands(MAX_DESCRIPTION_CHARS as u64)),
        ));
    }
    let actor = limits.admit_write(principal).await?;
    let id = format!("loc{}", random_hex("No randomness for an id.")?);
    let row = GroupRow { id: id.clone(), source: GroupSource::Local, name, description };
    let audit = AuditRecord {
        after: Some(json!({ "name": row.name, "description": row.description })),
        ..AuditRecord::of(&actor, "group.created", id)
    };
    if !groups.create_local_group(&row, &actor.name, &audit, now).await? {
        return Err(ApiError::client(
            ProblemCode::SyncEnabled,
            "Groups come from Okta while Okta sync is on, so none can be created by hand. \
             Assign the group to the Okta app instead, or turn sync off in Settings.",
        ));
    }
    Ok(GroupSummary {
        id: row.id,
        source: row.source,
        name: row.name,
        description: row.description,
    })
}

/// `404 not_found` for a group id that names no group.
pub fn no_such_group() -> ApiError {
    ApiError::client(ProblemCode::NotFound, "No group has this id.")
}

/// The conflict of a save based on a version older than `current`'s: names who saved it, and
/// when, when that is known.
fn version_conflict(current: &GroupListRow) -> ApiError {
    let first = match (&current.roles_saved_by, &current.roles_saved_at) {
        (Some(by), Some(at)) => format!("{by} changed this group's roles first (at {at})."),
        _ => "Someone else changed this group's roles first.".to_owned(),
    };
    ApiError::client(
        ProblemCode::VersionConflict,
        format!("{first} Reload the group to see their change, then apply yours again."),
    )
}

/// Eight random bytes in hex; `why` is the detail of the 500 when there is no randomness.
fn random_hex(why: &str) -> Result<String, ApiError> {
    let mut bytes = [0_u8; 8];
    getrandom::fill(&mut bytes).map_err(|_| ApiError::client(ProblemCode::Internal, why))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use groupsync_core::domain::{ResourcePath, RoleKey};
    use groupsync_core::okta::OktaUserStatus;

    use crate::service::fakes::{FakeCatalog, FakeGroups, FakePeople, FakeRateLimiter, person};

    const NOW: &str = "2026-11-30T16:40:12.345Z";

    fn set(roles: &[BuiltInRole], version: i64) -> SetGroupRolesRequest {
        SetGroupRolesRequest { roles: roles.to_vec(), version, grants: None }
    }

    fn admin() -> Principal {
        person("boss@example.com", &[BuiltInRole::Admin])
    }

    /// Saves `request` on group `00g1` as `principal`, with an empty catalog and no people.
    async fn save(
        groups: &FakeGroups,
        writes: &FakeRateLimiter,
        principal: &Principal,
        request: &SetGroupRolesRequest,
    ) -> Result<(), ApiError> {
        let (catalog, people) = (FakeCatalog::default(), FakePeople::default());
        let stores = RoleStores { groups, catalog: &catalog, people: &people };
        set_group_roles(stores, writes, principal, "00g1", request, NOW).await
    }

    fn code_and_detail(error: ApiError) -> (String, String) {
        let problem = error.to_problem();
        (problem.code.as_str().to_owned(), problem.detail)
    }

    #[tokio::test]
    async fn roles_are_saved_sorted_and_once_each_with_their_audit_record() {
        let groups = FakeGroups::default().with_group("00g1", &["viewer"], 3);
        let writes = FakeRateLimiter::open();
        let request = set(&[BuiltInRole::Admin, BuiltInRole::Editor, BuiltInRole::Admin], 3);
        save(&groups, &writes, &admin(), &request).await.expect("saved");
        let group = groups.group_row("00g1");
        assert_eq!(group.roles(), [BuiltInRole::Editor, BuiltInRole::Admin]);
        assert_eq!(group.roles_version, 4);
        let audit = groups.audit();
        assert_eq!(
            (audit[0].action, audit[0].target.as_deref()),
            ("group.roles_set", Some("00g1"))
        );
        assert_eq!(audit[0].before, Some(json!({ "roles": ["viewer"], "version": 3 })));
        assert_eq!(audit[0].after, Some(json!({ "roles": ["editor", "admin"], "version": 4 })));
        assert_eq!(writes.admitted(), 1);
    }

    #[tokio::test]
    async fn a_save_on_an_old_version_names_who_saved_first() {
        let groups = FakeGroups::default().with_group("00g1", &[], 5).saved_by("ann@example.com");
        let writes = FakeRateLimiter::open();
        let error = save(&groups, &writes, &admin(), &set(&[], 4)).await;
        let (code, detail) = code_and_detail(error.unwrap_err());
        assert_eq!(code, "version_conflict");
        assert!(detail.starts_with("ann@example.com changed this group's roles first"), "{detail}");
        assert!(groups.audit().is_empty());
        assert_eq!(writes.admitted(), 0, "a conflict seen before the write is not counted");
    }

    #[tokio::test]
    async fn a_save_that_loses_the_race_names_the_winner() {
        let groups =
            FakeGroups::default().with_group("00g1", &[], 1).saving_meanwhile("carol@example.com");
        let writes = FakeRateLimiter::open();
        let request = set(&[BuiltInRole::Viewer], 1);
        let error = save(&groups, &writes, &admin(), &request).await;
        let (code, detail) = code_and_detail(error.unwrap_err());
        assert_eq!(code, "version_conflict");
        assert!(detail.starts_with("carol@example.com changed"), "{detail}");
        assert_eq!(writes.admitted(), 1, "a conflict found by the write is counted");
    }

    #[tokio::test]
    async fn nobody_grants_or_removes_a_role_beyond_their_own() {
        let editor = person("ed@example.com", &[BuiltInRole::Editor]);
        let writes = FakeRateLimiter::open();
        for (held, wanted) in [(&[][..], &[BuiltInRole::Admin][..]), (&["admin"][..], &[][..])] {
            let groups = FakeGroups::default().with_group("00g1", held, 1);
            let error = save(&groups, &writes, &editor, &set(wanted, 1)).await;
            let (code, detail) = code_and_detail(error.unwrap_err());
            assert_eq!(code, "beyond_own_access");
            assert!(detail.starts_with("You cannot grant or remove the Admin role"), "{detail}");
            assert_eq!(groups.group_row("00g1").roles_version, 1, "nothing is written");
        }
        assert_eq!(writes.admitted(), 0, "a refusal is not counted against the write limit");
        let groups = FakeGroups::default().with_group("00g1", &["admin"], 1);
        let keep_admin = set(&[BuiltInRole::Admin, BuiltInRole::Viewer], 1);
        save(&groups, &writes, &editor, &keep_admin)
            .await
            .expect("an unchanged role is no escalation");
    }

    #[tokio::test]
    async fn roles_of_an_unknown_group_are_not_found() {
        let writes = FakeRateLimiter::open();
        let error = set_group_roles(
            RoleStores {
                groups: &FakeGroups::default(),
                catalog: &FakeCatalog::default(),
                people: &FakePeople::default(),
            },
            &writes,
            &admin(),
            "00gX",
            &set(&[], 1),
            NOW,
        )
        .await;
        assert_eq!(code_and_detail(error.unwrap_err()).0, "not_found");
        assert_eq!(writes.admitted(), 0, "not counted");
    }

    #[tokio::test]
    async fn a_used_up_write_limit_stops_a_save_before_it_is_written() {
        let groups = FakeGroups::default().with_group("00g1", &[], 1);
        let error =
            save(&groups, &FakeRateLimiter::used_up(), &admin(), &set(&[BuiltInRole::Viewer], 1))
                .await;
        assert_eq!(code_and_detail(error.unwrap_err()).0, "rate_limited");
        assert_eq!(groups.group_row("00g1").roles_version, 1);
    }

    fn create(name: &str, description: Option<&str>) -> CreateGroupRequest {
        CreateGroupRequest { name: name.into(), description: description.map(str::to_owned) }
    }

    #[tokio::test]
    async fn a_local_group_is_created_trimmed_with_its_audit_record() {
        let groups = FakeGroups::default();
        let made = create_group(
            &groups,
            &FakeRateLimiter::open(),
            &admin(),
            create("  Contractors ", Some("   ")),
            NOW,
        )
        .await
        .expect("created");
        assert_eq!((made.name.as_str(), made.description), ("Contractors", None));
        assert_eq!(made.source, GroupSource::Local);
        assert!(made.id.starts_with("loc") && made.id.len() == 19, "{}", made.id);
        let audit = groups.audit();
        assert_eq!(
            (audit[0].action, audit[0].target.as_deref()),
            ("group.created", Some(&*made.id))
        );
        assert_eq!(audit[0].after, Some(json!({ "name": "Contractors", "description": null })));
    }

    #[tokio::test]
    async fn a_bad_name_or_description_is_refused_about_its_field() {
        let long_description = "d".repeat(MAX_DESCRIPTION_CHARS + 1);
        let cases = [
            (create("   ", None), "name"),
            (create(&"n".repeat(MAX_NAME_CHARS + 1), None), "name"),
            (create("Tab\tbed", None), "name"),
            (create("Fine", Some(&long_description)), "description"),
        ];
        let writes = FakeRateLimiter::open();
        for (request, field) in cases {
            let error = create_group(&FakeGroups::default(), &writes, &admin(), request, NOW).await;
            let problem = error.unwrap_err().to_problem();
            assert_eq!(
                (problem.code.as_str(), problem.field.as_deref()),
                ("invalid_input", Some(field))
            );
            let expected = if field == "name" {
                "name: 1 to 200 characters, no control characters"
            } else {
                "description: at most 1,000 characters"
            };
            assert_eq!(problem.detail, expected, "the same words as before");
        }
        assert_eq!(writes.admitted(), 0);
        let longest = create(&"n".repeat(MAX_NAME_CHARS), Some(&"d".repeat(MAX_DESCRIPTION_CHARS)));
        create_group(&FakeGroups::default(), &writes, &admin(), longest, NOW)
            .await
            .expect("the longest allowed fit");
    }

    #[tokio::test]
    async fn no_group_is_created_by_hand_while_sync_is_on() {
        let groups = FakeGroups::default().with_sync_on();
        let writes = FakeRateLimiter::open();
        let error = create_group(&groups, &writes, &admin(), create("Ops", None), NOW).await;
        assert_eq!(code_and_detail(error.unwrap_err()).0, "sync_enabled");
        assert!(groups.audit().is_empty());
        assert_eq!(writes.admitted(), 1, "the store refuses after the write was counted");
    }

    fn with_grants(grants: Vec<Grant>, version: i64) -> SetGroupRolesRequest {
        SetGroupRolesRequest { roles: Vec::new(), version, grants: Some(grants) }
    }

    fn operator_on(scope: &str) -> Grant {
        Grant {
            role: RoleKey::parse("runbook_operator").expect("a key"),
            scope: Some(ResourcePath::parse(scope).expect("a path")),
        }
    }

    #[tokio::test]
    async fn custom_grants_change_only_within_the_callers_own_access_and_name_custom_roles() {
        let catalog = FakeCatalog::default();
        catalog.add_role("runbook_operator", "Runbook operator", &["runbooks.execute"]);
        let root = Principal::person("root@example.com".into(), "sub".into(), true, Vec::new());
        let groups = FakeGroups::default().with_group("00g1", &[], 1);
        let writes = FakeRateLimiter::open();
        let wanted = with_grants(vec![operator_on("folder:/prod")], 1);

        let error = set_group_roles(
            RoleStores { groups: &groups, catalog: &catalog, people: &FakePeople::default() },
            &writes,
            &admin(),
            "00g1",
            &wanted,
            NOW,
        )
        .await
        .expect_err("an Admin without the role's permission");
        let (code, detail) = code_and_detail(error);
        assert_eq!(code, "beyond_own_access");
        assert!(
            detail.contains("Runbook operator role on folder:/prod")
                && detail.contains("runbooks.execute"),
            "{detail}"
        );

        // An Admin who holds the role on folder:/ may hand it out below it, and not wider.
        let people = FakePeople::default()
            .with_user("00uboss", "boss@example.com", OktaUserStatus::Active, &["admin"])
            .with_custom_grant("00uboss", "runbook_operator", "Runbook operator", "folder:/");
        let stores = RoleStores { groups: &groups, catalog: &catalog, people: &people };
        let everywhere = with_grants(vec![Grant { scope: None, ..operator_on("folder:/") }], 1);
        let error = set_group_roles(stores, &writes, &admin(), "00g1", &everywhere, NOW)
            .await
            .expect_err("wider than the Admin's own");
        assert!(code_and_detail(error).1.contains("role everywhere"));
        let stores = RoleStores { groups: &groups, catalog: &catalog, people: &people };
        set_group_roles(stores, &writes, &admin(), "00g1", &wanted, NOW)
            .await
            .expect("within the Admin's own access");
        assert_eq!(groups.group_row("00g1").grants(), [operator_on("folder:/prod")]);
        let stores = RoleStores { groups: &groups, catalog: &catalog, people: &people };
        set_group_roles(stores, &writes, &admin(), "00g1", &with_grants(Vec::new(), 2), NOW)
            .await
            .expect("removed by the Admin too");
        assert!(groups.group_row("00g1").grants().is_empty());

        let built_in = Grant { role: RoleKey::of(BuiltInRole::Viewer), scope: None };
        let error = set_group_roles(
            RoleStores { groups: &groups, catalog: &catalog, people: &FakePeople::default() },
            &writes,
            &root,
            "00g1",
            &with_grants(vec![built_in], 3),
            NOW,
        )
        .await
        .expect_err("built-in roles go in roles");
        assert_eq!(code_and_detail(error).0, "invalid_input");
        assert_eq!(writes.admitted(), 2, "only the two saves counted");

        let wanted = with_grants(vec![operator_on("folder:/prod")], 3);
        set_group_roles(
            RoleStores { groups: &groups, catalog: &catalog, people: &FakePeople::default() },
            &writes,
            &root,
            "00g1",
            &wanted,
            NOW,
        )
        .await
        .expect("saved");
        assert_eq!(groups.group_row("00g1").grants(), [operator_on("folder:/prod")]);
        let audit = groups.audit();
        assert_eq!(
            audit[2].after.as_ref().map(|a| a["grants"][0]["scope"].clone()),
            Some(json!("folder:/prod"))
        );

        // Sent back unchanged, by anyone who may set roles: nothing to refuse.
        let echo = with_grants(vec![operator_on("folder:/prod")], 4);
        set_group_roles(
            RoleStores { groups: &groups, catalog: &catalog, people: &FakePeople::default() },
            &writes,
            &admin(),
            "00g1",
            &echo,
            NOW,
        )
        .await
        .expect("saved");
        assert_eq!(groups.group_row("00g1").grants(), [operator_on("folder:/prod")]);
    }
}
