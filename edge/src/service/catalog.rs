//! The role catalog's use cases (issue #14): the relying app registers its permissions beside
//! this console's own, and every access check reads the catalog they make.
//!
//! Only superAdmins reach these writes (the route table says so). Each is audited in the same
//! D1 batch as the change, and counts against the writer's admin-write limit.

use std::collections::BTreeSet;

use groupsync_core::api::{
    AppPermissionDescription, CreateRoleRequest, CustomRoleDescription, ListPermissionsResponse,
    ListRolesResponse, ProblemCode, RegisterPermissionRequest, RoleDescription,
};
use groupsync_core::domain::{
    AppPermission, BuiltInRole, Catalog, Permission, PermissionName, RoleDefinition, RoleKey,
    role_display_name,
};
use serde_json::json;

use crate::error::ApiError;
use crate::service::access::Principal;
use crate::service::ports::{
    AppPermissionRow, AuditRecord, CatalogRows, CatalogStore, CustomRoleRow, RateLimiter,
};

/// The longest description of a permission, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 200;

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

/// Both catalogs: this console's permissions and the relying app's, by name.
///
/// # Errors
///
/// `internal` when the store fails.
pub async fn list_permissions(
    store: &impl CatalogStore,
) -> Result<ListPermissionsResponse, ApiError> {
    let app = store.catalog_rows().await?.0.into_iter().filter_map(described).collect();
    Ok(ListPermissionsResponse { console: Permission::ALL.to_vec(), app })
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

/// Every role: the built-ins and the custom ones.
///
/// # Errors
///
/// `internal` when the store fails.
pub async fn list_roles(store: &impl CatalogStore) -> Result<ListRolesResponse, ApiError> {
    let roles = BuiltInRole::ALL
        .into_iter()
        .map(|role| RoleDescription {
            id: role,
            name: role.display_name().to_owned(),
            permissions: role.permissions().into_iter().collect(),
        })
        .collect();
    let catalog = catalog(store).await?;
    let custom_roles = catalog
        .roles()
        .filter(|role| !role.is_built_in())
        .map(|role| CustomRoleDescription {
            key: role.key.clone(),
            name: role.name.clone(),
            permissions: role.permissions.iter().cloned().collect(),
        })
        .collect();
    Ok(ListRolesResponse { roles, permissions: Permission::ALL.to_vec(), custom_roles })
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
    Ok(CustomRoleDescription { key, name, permissions: permissions.into_iter().collect() })
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
        let listed = list_permissions(&store).await.expect("listed");
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
        let names: Vec<String> = list_permissions(&store)
            .await
            .expect("listed")
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
}
