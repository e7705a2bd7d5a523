//! The role catalog's use cases (issue #14): the relying app registers its permissions beside
//! this console's own, and every access check reads the catalog they make.
//!
//! Registering and removing permissions needs `manage_catalog`, which superAdmins hold and an
//! API key may be given (the relying app registers its permissions as it deploys): a name on
//! its own grants nothing. Roles hand out access once granted, so only superAdmins write them
//! (the route table says who). Each write is audited in the same D1 batch as the change, and
//! counts against the writer's admin-write limit.

use std::collections::BTreeSet;

use groupsync_core::api::{
    AppPermissionDescription, CreateRoleRequest, CustomRoleDescription, ListPermissionsResponse,
    ListRolesResponse, ProblemCode, RegisterPermissionRequest, RoleDescription, RoleGrantImpact,
    RoleImpact, UpdateRoleRequest,
};
use groupsync_core::domain::{
    AppPermission, BuiltInRole, Catalog, Permission, PermissionName, ResourcePath, RoleDefinition,
    RoleKey, role_display_name, thousands,
};
use serde_json::json;

use crate::error::ApiError;
use crate::service::access::Principal;
use crate::service::ports::{
    AppPermissionRow, AuditRecord, CatalogRows, CatalogStore, CustomRoleRow, RateLimiter,
    RoleHolders,
};

/// The longest description of a permission, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = groupsync_core::domain::MAX_PERMISSION_DESCRIPTION_CHARS;

/// The most permissions the relying app may register. Every access check reads the whole
/// catalog, so its size is bounded; a real app's permissions number in the tens.
pub const MAX_APP_PERMISSIONS: usize = 500;

/// The most custom roles (for the same reason).
pub const MAX_CUSTOM_ROLES: usize = 100;

/// The most permissions one custom role holds.
pub const MAX_ROLE_PERMISSIONS: usize = 100;

/// The catalog as D1 holds it now. Rows that no longer read as their type (none this Worker
/// wrote) are left out rather than trusted.
///
/// # Errors
///
/// `internal` when the store fails.
pub async fn catalog(store: &impl CatalogStore) -> Result<Catalog, ApiError> {
    Ok(catalog_of(store.catalog_rows().await?))
}

/// The catalog of these rows.
pub fn catalog_of((permissions, roles): CatalogRows) -> Catalog {
    Catalog::new(
        permissions.iter().filter_map(|row| AppPermission::parse(&row.name).ok()),
        roles.into_iter().filter_map(custom_role),
    )
}

fn custom_role(row: CustomRoleRow) -> Option<RoleDefinition> {
    let names: Vec<String> = serde_json::from_str(&row.permissions).ok()?;
    Some(RoleDefinition {
        key: RoleKey::parse_custom(&row.key).ok()?,
        name: row.name,
        permissions: names.iter().filter_map(|name| PermissionName::parse(name).ok()).collect(),
    })
}

/// Both catalogs, from the catalog's rows: this console's permissions and the relying app's, by
/// name.
pub fn permissions_listing((app, _): CatalogRows) -> ListPermissionsResponse {
    let app = app.into_iter().filter_map(described).collect();
    ListPermissionsResponse { console: Permission::ALL.to_vec(), app }
}

fn described(row: AppPermissionRow) -> Option<AppPermissionDescription> {
    Some(AppPermissionDescription {
        name: AppPermission::parse(&row.name).ok()?,
        description: row.description,
        created_by: row.created_by,
        created_at: row.created_at,
    })
}

/// Registers a permission of the relying app.
///
/// # Errors
///
/// `422 invalid_input` about `name` or `description`; `409 already_exists` for a name
/// registered before; the write limit's refusal.
pub async fn register_permission(
    store: &impl CatalogStore,
    limits: &impl RateLimiter,
    principal: &Principal,
    request: RegisterPermissionRequest,
    now: &str,
) -> Result<AppPermissionDescription, ApiError> {
    let name = AppPermission::parse(&request.name).map_err(|e| ApiError::invalid("name", e))?;
    let description = request.description.trim().to_owned();
    if description.chars().count() > MAX_DESCRIPTION_CHARS
        || description.chars().any(char::is_control)
    {
        return Err(ApiError::invalid(
            "description",
            format!("at most {MAX_DESCRIPTION_CHARS} characters, without line breaks"),
        ));
    }
    if store.catalog_rows().await?.0.len() >= MAX_APP_PERMISSIONS {
        return Err(ApiError::client(
            ProblemCode::Conflict,
            format!(
                "The relying app has {MAX_APP_PERMISSIONS} permissions, the most there may be: remove one first."
            ),
        ));
    }
    let actor = limits.admit_write(principal).await?;
    let row = AppPermissionRow {
        name: name.as_str().to_owned(),
        description,
        created_by: actor.name.clone(),
        created_at: now.to_owned(),
    };
    let audit = AuditRecord {
        after: Some(json!({ "description": row.description })),
        ..AuditRecord::of(&actor, "permission.registered", row.name.clone())
    };
    if !store.register_permission(&row, &audit).await? {
        return Err(ApiError::client(
            ProblemCode::AlreadyExists,
            format!("{name} is registered already."),
        ));
    }
    described(row).ok_or_else(|| ApiError::client(ProblemCode::Internal, "unreadable name"))
}

/// Every role, from the catalog's rows: the built-ins and the custom ones.
pub fn roles_listing((app, custom): CatalogRows) -> ListRolesResponse {
    let roles = BuiltInRole::ALL
        .into_iter()
        .map(|role| RoleDescription {
            id: role,
            name: role.display_name().to_owned(),
            permissions: role.permissions().into_iter().collect(),
        })
        .collect();
    ListRolesResponse {
        roles,
        permissions: Permission::ALL.to_vec(),
        custom_roles: custom.into_iter().filter_map(described_role).collect(),
        app_permissions: app.into_iter().filter_map(described).collect(),
    }
}

/// A custom role's row as the API describes it; `None` for a row that does not read as one.
fn described_role(row: CustomRoleRow) -> Option<CustomRoleDescription> {
    let (version, updated_by, updated_at) =
        (row.version, row.updated_by.clone(), row.updated_at.clone());
    let role = custom_role(row)?;
    Some(CustomRoleDescription {
        key: role.key,
        name: role.name,
        permissions: role.permissions.into_iter().collect(),
        version,
        updated_by,
        updated_at,
    })
}

/// Creates a custom role: a named set of the relying app's registered permissions.
///
/// Only superAdmins reach this (the route table), and they hold every permission, so the role
/// holds nothing beyond its maker's own.
///
/// # Errors
///
/// `422 invalid_input` about `key`, `name` or `permissions`; `409 already_exists` for a key
/// or a name (in any case) a role has; the write limit's refusal.
pub async fn create_role(
    store: &impl CatalogStore,
    limits: &impl RateLimiter,
    principal: &Principal,
    request: CreateRoleRequest,
    now: &str,
) -> Result<CustomRoleDescription, ApiError> {
    let key = RoleKey::parse_custom(&request.key).map_err(|e| ApiError::invalid("key", e))?;
    let name = role_display_name(&request.name).map_err(|e| ApiError::invalid("name", e))?;
    let catalog = catalog(store).await?;
    let permissions = role_permissions(&catalog, &request.permissions)?;
    if catalog.roles().filter(|role| !role.is_built_in()).count() >= MAX_CUSTOM_ROLES {
        return Err(ApiError::client(
            ProblemCode::Conflict,
            format!("There are {MAX_CUSTOM_ROLES} custom roles, the most there may be."),
        ));
    }
    let actor = limits.admit_write(principal).await?;
    let names: Vec<&str> = permissions.iter().map(PermissionName::as_str).collect();
    let row = CustomRoleRow {
        key: key.as_str().to_owned(),
        name: name.clone(),
        permissions: json!(names).to_string(),
        version: 1,
        updated_by: actor.name.clone(),
        updated_at: now.to_owned(),
    };
    let audit = AuditRecord {
        after: Some(json!({ "name": name, "permissions": names })),
        ..AuditRecord::of(&actor, "role.created", key.as_str().to_owned())
    };
    if !store.create_role(&row, &audit, now).await? {
        // A permission removed meanwhile reads as unknown now; otherwise the key or the name
        // is taken.
        role_permissions(&self::catalog(store).await?, &request.permissions)?;
        return Err(ApiError::client(
            ProblemCode::AlreadyExists,
            format!("A role has the key {key} or the name \u{201c}{name}\u{201d} already."),
        ));
    }
    described_role(row)
        .ok_or_else(|| ApiError::client(ProblemCode::Internal, "the role does not read back"))
}

/// The most people an impact preview names (it counts them all).
pub const IMPACT_FIRST_PEOPLE: u32 = 20;

/// Renames a custom role or replaces its permissions, based on the version the editor saw.
///
/// Adding a permission hands it to everyone the role is granted to, so only superAdmins (who
/// hold every permission) reach this: the no-escalation rule holds by the route table.
///
/// # Errors
///
/// `404 not_found`; `409 conflict` for a built-in role; `422 invalid_input` about `name` or
/// `permissions`; `409 version_conflict` naming who changed it first; `409 already_exists`
/// for a name another role has; the write limit's refusal.
pub async fn update_role(
    store: &impl CatalogStore,
    limits: &impl RateLimiter,
    principal: &Principal,
    key: &str,
    request: UpdateRoleRequest,
    now: &str,
) -> Result<CustomRoleDescription, ApiError> {
    let rows = store.catalog_rows().await?;
    let current = custom_role_row(&rows.1, key)?;
    let name = role_display_name(&request.name).map_err(|e| ApiError::invalid("name", e))?;
    let catalog = catalog_of(rows);
    let permissions = role_permissions(&catalog, &request.permissions)?;
    if request.version != current.version {
        return Err(role_changed_first(&current));
    }
    let names: Vec<&str> = permissions.iter().map(PermissionName::as_str).collect();
    let before: Vec<String> = serde_json::from_str(&current.permissions).unwrap_or_default();
    if name == current.name && before == names {
        return described_role(current).ok_or_else(|| unreadable(key));
    }
    let actor = limits.admit_write(principal).await?;
    let row = CustomRoleRow {
        name: name.clone(),
        permissions: json!(names).to_string(),
        version: request.version,
        updated_by: actor.name.clone(),
        updated_at: now.to_owned(),
        ..current.clone()
    };
    let audit = AuditRecord {
        before: Some(json!({ "name": current.name, "permissions": before })),
        after: Some(json!({ "name": name, "permissions": names })),
        ..AuditRecord::of(&actor, "role.updated", current.key.clone())
    };
    if store.update_role(&row, &audit).await? {
        return described_role(CustomRoleRow { version: row.version + 1, ..row })
            .ok_or_else(|| unreadable(key));
    }
    // Why the write did not happen, as the catalog says now.
    let rows = store.catalog_rows().await?;
    let now_current = custom_role_row(&rows.1, key)?;
    if now_current.version != request.version {
        return Err(role_changed_first(&now_current));
    }
    role_permissions(&catalog_of(rows), &request.permissions)?;
    Err(ApiError::client(
        ProblemCode::AlreadyExists,
        format!("Another role is named \u{201c}{name}\u{201d} already."),
    ))
}

/// What deleting a custom role would take away: its grants and who holds it through them.
///
/// # Errors
///
/// `404 not_found`; `409 conflict` for a built-in role.
pub async fn role_impact(store: &impl CatalogStore, key: &str) -> Result<RoleImpact, ApiError> {
    let row = custom_role_row(&store.catalog_rows().await?.1, key)?;
    let holders = store.role_holders(&row.key, IMPACT_FIRST_PEOPLE).await?;
    impact(row, holders, key)
}

/// [`role_impact`] from reads made together: the custom roles, and the holders of the role
/// `key` (its first [`IMPACT_FIRST_PEOPLE`]), read whether or not it exists.
///
/// # Errors
///
/// As [`role_impact`]'s.
pub fn role_impact_of(
    roles: &[CustomRoleRow],
    holders: RoleHolders,
    key: &str,
) -> Result<RoleImpact, ApiError> {
    impact(custom_role_row(roles, key)?, holders, key)
}

fn impact(row: CustomRoleRow, holders: RoleHolders, key: &str) -> Result<RoleImpact, ApiError> {
    let role = described_role(row).ok_or_else(|| unreadable(key))?;
    let people = u64::try_from(holders.people).unwrap_or(0);
    let grants: Vec<RoleGrantImpact> = holders
        .grants
        .into_iter()
        .map(|grant| RoleGrantImpact {
            scope: ResourcePath::parse(&grant.scope).ok(),
            group_id: grant.group_id,
            group_name: grant.group_name,
            members: u64::try_from(grant.members).unwrap_or(0),
        })
        .collect();
    let summary = impact_summary(&role, grants.len(), people);
    Ok(RoleImpact { role, grants, people, first_people: holders.first_people, summary })
}

/// "Deleting Runbook operator takes runbooks.execute, runbooks.read from 1,204 people through
/// 3 grants."
fn impact_summary(role: &CustomRoleDescription, grants: usize, people: u64) -> String {
    if grants == 0 {
        return format!("No group grants {}: deleting it takes nothing from anyone.", role.name);
    }
    let names: Vec<&str> = role.permissions.iter().map(PermissionName::as_str).collect();
    let plural = |n: u64, one: &str, many: &str| {
        format!("{} {}", thousands(n), if n == 1 { one } else { many })
    };
    format!(
        "Deleting {} takes {} from {} (unless another grant gives it to them) and removes {}.",
        role.name,
        names.join(", "),
        plural(people, "person", "people"),
        plural(grants as u64, "grant", "grants"),
    )
}

/// Deletes a custom role and its grants; everyone holding it through them loses it at once.
///
/// # Errors
///
/// `404 not_found`; `409 conflict` for a built-in role; the write limit's refusal.
pub async fn delete_role(
    store: &impl CatalogStore,
    limits: &impl RateLimiter,
    principal: &Principal,
    key: &str,
    now: &str,
) -> Result<(), ApiError> {
    let impact = role_impact(store, key).await?;
    let actor = limits.admit_write(principal).await?;
    let grants: Vec<serde_json::Value> = impact
        .grants
        .iter()
        .take(MAX_AUDITED_GRANTS)
        .map(|g| json!({ "group_id": g.group_id, "scope": g.scope }))
        .collect();
    let audit = AuditRecord {
        before: Some(json!({
            "name": impact.role.name,
            "permissions": impact.role.permissions,
            "grants": grants,
            "grant_count": impact.grants.len(),
            "people": impact.people,
        })),
        ..AuditRecord::of(&actor, "role.deleted", impact.role.key.as_str().to_owned())
    };
    if !store.delete_role(impact.role.key.as_str(), &audit, now).await? {
        return Err(no_such_role(key));
    }
    Ok(())
}

/// The most grants a deletion's audit entry lists (it counts them all).
const MAX_AUDITED_GRANTS: usize = 100;

/// The custom role `key` among the stored `roles`.
fn custom_role_row(roles: &[CustomRoleRow], key: &str) -> Result<CustomRoleRow, ApiError> {
    if let Some(role) = BuiltInRole::parse(key) {
        return Err(ApiError::client(
            ProblemCode::Conflict,
            format!("{} is a built-in role: it cannot be changed.", role.display_name()),
        ));
    }
    roles.iter().find(|row| row.key == key).cloned().ok_or_else(|| no_such_role(key))
}

fn no_such_role(key: &str) -> ApiError {
    ApiError::client(ProblemCode::NotFound, format!("No custom role has the key {key}."))
}

fn unreadable(key: &str) -> ApiError {
    ApiError::client(ProblemCode::Internal, format!("The role {key} does not read as a role."))
}

/// The conflict of an edit based on an older version than `current`'s.
fn role_changed_first(current: &CustomRoleRow) -> ApiError {
    ApiError::client(
        ProblemCode::VersionConflict,
        format!(
            "{} changed this role first (at {}). Reload it to see their change, then apply yours again.",
            current.updated_by, current.updated_at
        ),
    )
}

/// The permissions of a custom role: at least one, each a registered permission of the
/// relying app (this console's own come with the built-in roles).
fn role_permissions(
    catalog: &Catalog,
    names: &[String],
) -> Result<BTreeSet<PermissionName>, ApiError> {
    if names.is_empty() || names.len() > MAX_ROLE_PERMISSIONS {
        return Err(ApiError::invalid(
            "permissions",
            format!("a role holds 1 to {MAX_ROLE_PERMISSIONS} permissions"),
        ));
    }
    names
        .iter()
        .map(|name| {
            let permission =
                PermissionName::parse(name).map_err(|e| ApiError::invalid("permissions", e))?;
            match &permission {
                PermissionName::Console(_) => Err(ApiError::invalid(
                    "permissions",
                    format!(
                        "{name} is this console's own: it comes with the built-in roles, custom roles hold the relying app's"
                    ),
                )),
                PermissionName::App(_) if !catalog.knows(&permission) => Err(ApiError::invalid(
                    "permissions",
                    format!("{name} is not registered (POST /api/v1/permissions)"),
                )),
                PermissionName::App(_) => Ok(permission),
            }
        })
        .collect()
}

/// Removes a permission of the relying app that no custom role holds.
///
/// # Errors
///
/// `404 not_found`; `409 conflict` naming the roles that hold it; the write limit's refusal.
pub async fn remove_permission(
    store: &impl CatalogStore,
    limits: &impl RateLimiter,
    principal: &Principal,
    name: &str,
    now: &str,
) -> Result<(), ApiError> {
    let not_found =
        || ApiError::client(ProblemCode::NotFound, format!("No permission {name} is registered."));
    let name = AppPermission::parse(name).map_err(|_| not_found())?;
    let actor = limits.admit_write(principal).await?;
    let audit = AuditRecord::of(&actor, "permission.removed", name.as_str().to_owned());
    if store.remove_permission(name.as_str(), &audit, now).await? {
        return Ok(());
    }
    let catalog = catalog(store).await?;
    let permission = PermissionName::App(name.clone());
    if !catalog.knows(&permission) {
        return Err(not_found());
    }
    let holders: Vec<String> = catalog
        .roles_using(&permission)
        .into_iter()
        .filter_map(|key| catalog.role(key).map(|role| role.name.clone()))
        .collect();
    Err(ApiError::client(
        ProblemCode::Conflict,
        format!("{name} is held by the roles {}: take it out of them first.", holders.join(", ")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fakes::{FakeCatalog, FakeRateLimiter};

    const NOW: &str = "2026-12-01T10:00:00Z";

    fn root() -> Principal {
        Principal::person("root@example.com".into(), "sub".into(), true, Vec::new())
    }

    fn request(name: &str, description: &str) -> RegisterPermissionRequest {
        RegisterPermissionRequest { name: name.to_owned(), description: description.to_owned() }
    }

    fn code(error: ApiError) -> String {
        error.to_problem().code.as_str().to_owned()
    }

    #[tokio::test]
    async fn a_registered_permission_is_listed_audited_and_known_to_the_checks() {
        let (store, limits) = (FakeCatalog::default(), FakeRateLimiter::open());
        let body = request("runbooks.execute", "  Run a runbook ");
        let made = register_permission(&store, &limits, &root(), body, NOW).await.expect("made");
        assert_eq!(
            (made.name.as_str(), made.description.as_str()),
            ("runbooks.execute", "Run a runbook")
        );
        let listed = permissions_listing(store.catalog_rows().await.expect("read"));
        assert_eq!(listed.app, [made]);
        assert_eq!(listed.console, Permission::ALL);
        let audit = store.audit();
        assert_eq!(
            (audit[0].action, audit[0].target.as_deref()),
            ("permission.registered", Some("runbooks.execute"))
        );
        let catalog = catalog(&store).await.expect("read");
        assert!(catalog.knows(&PermissionName::parse("runbooks.execute").expect("a name")));

        let again =
            register_permission(&store, &limits, &root(), request("runbooks.execute", ""), NOW)
                .await;
        assert_eq!(code(again.expect_err("a second time")), "already_exists");
    }

    #[tokio::test]
    async fn bad_names_and_descriptions_are_refused_before_the_write_limit_counts() {
        let (store, limits) = (FakeCatalog::default(), FakeRateLimiter::open());
        for body in
            [request("runbooks", ""), request("read_groups", ""), request("a.b", "two\nlines")]
        {
            let error = register_permission(&store, &limits, &root(), body, NOW).await;
            assert_eq!(code(error.expect_err("refused")), "invalid_input");
        }
        assert_eq!(limits.admitted(), 0);
        assert!(store.audit().is_empty());
    }

    #[tokio::test]
    async fn a_permission_a_role_holds_is_not_removed_and_the_refusal_names_the_role() {
        let (store, limits) = (FakeCatalog::default(), FakeRateLimiter::open());
        for name in ["runbooks.execute", "runbooks.read"] {
            register_permission(&store, &limits, &root(), request(name, ""), NOW)
                .await
                .expect("made");
        }
        store.add_role("runbook_operator", "Runbook operator", &["runbooks.execute"]);

        let held = remove_permission(&store, &limits, &root(), "runbooks.execute", NOW).await;
        let problem = held.expect_err("held").to_problem();
        assert_eq!(problem.code.as_str(), "conflict");
        assert!(problem.detail.contains("Runbook operator"), "{}", problem.detail);

        remove_permission(&store, &limits, &root(), "runbooks.read", NOW).await.expect("removed");
        let gone = remove_permission(&store, &limits, &root(), "runbooks.read", NOW).await;
        assert_eq!(code(gone.expect_err("gone")), "not_found");
        let names: Vec<String> = permissions_listing(store.catalog_rows().await.expect("read"))
            .app
            .into_iter()
            .map(|p| p.name.as_str().to_owned())
            .collect();
        assert_eq!(names, ["runbooks.execute"]);
    }

    #[tokio::test]
    async fn the_catalog_stays_small_enough_for_every_check_to_read_it() {
        let (store, limits) = (FakeCatalog::default(), FakeRateLimiter::open());
        for i in 0..MAX_APP_PERMISSIONS {
            let body = request(&format!("app.p{i}"), "");
            register_permission(&store, &limits, &root(), body, NOW).await.expect("made");
        }
        let body = request("app.more", "");
        let one_more = register_permission(&store, &limits, &root(), body, NOW).await;
        assert_eq!(code(one_more.expect_err("full")), "conflict");

        let too_many: Vec<String> =
            (0..=MAX_ROLE_PERMISSIONS).map(|i| format!("app.p{i}")).collect();
        let body =
            CreateRoleRequest { key: "big".into(), name: "Big".into(), permissions: too_many };
        let error = create_role(&store, &limits, &root(), body, NOW).await.expect_err("too many");
        assert_eq!(error.to_problem().field.as_deref(), Some("permissions"));
        for i in 0..MAX_CUSTOM_ROLES {
            let body = CreateRoleRequest {
                key: format!("role_{i}"),
                name: format!("Role {i}"),
                permissions: vec!["app.p1".into()],
            };
            create_role(&store, &limits, &root(), body, NOW).await.expect("made");
        }
        let body = CreateRoleRequest {
            key: "extra".into(),
            name: "Extra".into(),
            permissions: vec!["app.p1".into()],
        };
        let error = create_role(&store, &limits, &root(), body, NOW).await.expect_err("full");
        assert_eq!(code(error), "conflict");
    }

    /// A catalog with `runbooks.execute`, `runbooks.read` and the role `operator` holding the
    /// first.
    async fn with_operator() -> (FakeCatalog, FakeRateLimiter) {
        let (store, limits) = (FakeCatalog::default(), FakeRateLimiter::open());
        for name in ["runbooks.execute", "runbooks.read"] {
            register_permission(&store, &limits, &root(), request(name, ""), NOW)
                .await
                .expect("made");
        }
        let body = CreateRoleRequest {
            key: "operator".into(),
            name: "Operator".into(),
            permissions: vec!["runbooks.execute".into()],
        };
        create_role(&store, &limits, &root(), body, NOW).await.expect("made");
        (store, limits)
    }

    fn edit(name: &str, permissions: &[&str], version: i64) -> UpdateRoleRequest {
        UpdateRoleRequest {
            name: name.to_owned(),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            version,
        }
    }

    #[tokio::test]
    async fn a_role_is_renamed_and_given_other_permissions_based_on_the_version_seen() {
        let (store, limits) = with_operator().await;
        let both = ["runbooks.execute", "runbooks.read"];
        let edited =
            update_role(&store, &limits, &root(), "operator", edit("Runner", &both, 1), NOW)
                .await
                .expect("edited");
        assert_eq!((edited.name.as_str(), edited.version), ("Runner", 2));
        let names: Vec<&str> = edited.permissions.iter().map(PermissionName::as_str).collect();
        assert_eq!(names, both);
        let listed = roles_listing(store.catalog_rows().await.expect("read")).custom_roles;
        assert_eq!(listed, [edited]);
        let audit = store.audit();
        let last = audit.last().expect("audited");
        assert_eq!((last.action, last.target.as_deref()), ("role.updated", Some("operator")));

        // An edit based on version 1 would undo the rename it never saw.
        let stale = edit("Operator", &["runbooks.read"], 1);
        let error = update_role(&store, &limits, &root(), "operator", stale, NOW).await;
        let problem = error.expect_err("stale").to_problem();
        assert_eq!(problem.code.as_str(), "version_conflict");
        assert!(problem.detail.contains("root@example.com"), "{}", problem.detail);
        assert_eq!(
            roles_listing(store.catalog_rows().await.expect("read")).custom_roles[0].name,
            "Runner"
        );
    }

    #[tokio::test]
    async fn an_edit_is_refused_what_a_new_role_would_be_and_built_ins_stay_as_they_are() {
        let (store, limits) = with_operator().await;
        let other = CreateRoleRequest {
            key: "reader".into(),
            name: "Reader".into(),
            permissions: vec!["runbooks.read".into()],
        };
        create_role(&store, &limits, &root(), other, NOW).await.expect("made");
        let admitted = limits.admitted();
        for (key, body, status, code_expected) in [
            ("operator", edit("reader", &["runbooks.read"], 1), 409, "already_exists"),
            ("operator", edit("Operator", &["read_groups"], 1), 422, "invalid_input"),
            ("operator", edit("Operator", &["nothing.registered"], 1), 422, "invalid_input"),
            ("operator", edit("Operator", &[], 1), 422, "invalid_input"),
            ("operator", edit(" ", &["runbooks.read"], 1), 422, "invalid_input"),
            ("viewer", edit("Viewer", &["runbooks.read"], 1), 409, "conflict"),
            ("nobody", edit("Nobody", &["runbooks.read"], 1), 404, "not_found"),
        ] {
            let problem = update_role(&store, &limits, &root(), key, body.clone(), NOW)
                .await
                .expect_err("refused")
                .to_problem();
            assert_eq!(
                (problem.status, problem.code.as_str()),
                (status, code_expected),
                "{body:?}"
            );
        }
        assert_eq!(limits.admitted(), admitted + 1, "only the write that reached D1 counted");
        let operator = &roles_listing(store.catalog_rows().await.expect("read")).custom_roles[0];
        assert_eq!((operator.name.as_str(), operator.version), ("Operator", 1));
    }

    #[tokio::test]
    async fn deleting_a_role_previews_its_grants_then_takes_them_with_it() {
        let (store, limits) = with_operator().await;
        store.grant("g-ops", "operator", "folder:/prod");
        store.grant("g-all", "operator", "");
        store.grant("g-ops", "other", "");

        let impact = role_impact(&store, "operator").await.expect("the impact");
        let grants: Vec<(&str, Option<&str>)> = impact
            .grants
            .iter()
            .map(|g| (g.group_id.as_str(), g.scope.as_ref().map(ResourcePath::as_str)))
            .collect();
        assert_eq!(grants, [("g-ops", Some("folder:/prod")), ("g-all", None)]);
        assert!(impact.summary.contains("runbooks.execute"), "{}", impact.summary);
        assert!(impact.summary.contains("2 grants"), "{}", impact.summary);

        delete_role(&store, &limits, &root(), "operator", NOW).await.expect("deleted");
        assert!(roles_listing(store.catalog_rows().await.expect("read")).custom_roles.is_empty());
        let left = store.grants();
        assert_eq!(left, [("g-ops".to_owned(), "other".to_owned(), String::new())]);
        let audit = store.audit();
        let last = audit.last().expect("audited");
        assert_eq!(last.action, "role.deleted");
        let before = last.before.clone().expect("what was");
        assert_eq!(before["grant_count"], 2);
        assert_eq!(before["grants"][0]["scope"], "folder:/prod");

        let again = delete_role(&store, &limits, &root(), "operator", NOW).await;
        assert_eq!(code(again.expect_err("gone")), "not_found");
        let built_in = role_impact(&store, "admin").await.expect_err("built in");
        assert_eq!(code(built_in), "conflict");
    }

    /// [`role_impact_of`] as the edge plans it: the holders read whether or not the role is.
    async fn impact_read_together(store: &FakeCatalog, key: &str) -> Result<RoleImpact, ApiError> {
        let holders = store.role_holders(key, IMPACT_FIRST_PEOPLE).await.expect("read");
        role_impact_of(&store.catalog_rows().await.expect("read").1, holders, key)
    }

    #[tokio::test]
    async fn an_impact_from_reads_made_together_is_the_same_as_read_one_after_the_other() {
        let (store, _) = with_operator().await;
        store.grant("g-ops", "operator", "folder:/prod");
        let planned = impact_read_together(&store, "operator").await.expect("the impact");
        assert_eq!(planned, role_impact(&store, "operator").await.expect("the impact"));
        let missing = impact_read_together(&store, "nobody").await.expect_err("no such role");
        assert_eq!(code(missing), "not_found");
        let built_in = impact_read_together(&store, "admin").await.expect_err("built in");
        assert_eq!(code(built_in), "conflict");
    }

    #[test]
    fn an_impact_says_who_loses_what_in_words() {
        let role = CustomRoleDescription {
            key: RoleKey::parse_custom("operator").expect("a key"),
            name: "Operator".into(),
            permissions: vec![PermissionName::parse("runbooks.execute").expect("a name")],
            version: 1,
            updated_by: "root@example.com".into(),
            updated_at: NOW.into(),
        };
        assert_eq!(
            impact_summary(&role, 3, 12_345),
            "Deleting Operator takes runbooks.execute from 12,345 people (unless another grant \
             gives it to them) and removes 3 grants."
        );
        assert_eq!(
            impact_summary(&role, 1, 1),
            "Deleting Operator takes runbooks.execute from 1 person (unless another grant gives \
             it to them) and removes 1 grant."
        );
        assert_eq!(
            impact_summary(&role, 0, 0),
            "No group grants Operator: deleting it takes nothing from anyone."
        );
    }
}
