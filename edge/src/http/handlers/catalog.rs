//! The role catalog (issue #14): the relying app's permissions and the custom roles.

use groupsync_core::api::{CreateRoleRequest, RegisterPermissionRequest, UpdateRoleRequest};
use worker::{Env, Request, Response};

use crate::error::ApiError;
use crate::http::context::{Ctx, read_json};
use crate::http::handlers::{PlannedAnswer, answer_alone, answered};
use crate::http::respond;
use crate::service::access::Principal;
use crate::service::catalog;

/// `GET /api/v1/permissions`.
pub(crate) fn list_permissions(ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    let listing = |rows| respond::json(&catalog::permissions_listing(rows), 200);
    Ok(answered(ctx.store.plan_catalog_rows()?, listing))
}

/// `POST /api/v1/permissions`.
pub(crate) async fn register_permission(
    req: &mut Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: RegisterPermissionRequest = read_json(req).await?;
    let made = catalog::register_permission(&ctx.store, ctx, principal, body, &ctx.now).await?;
    respond::json(&made, 201)
}

/// `DELETE /api/v1/permissions/{name}`: answers the catalog that remains.
pub(crate) async fn remove_permission(
    name: &str,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    catalog::remove_permission(&ctx.store, ctx, principal, name, &ctx.now).await?;
    answer_alone(list_permissions(ctx), &ctx.store, principal).await
}

/// `GET /api/v1/roles`.
pub(crate) fn list_roles(ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    let listing = |rows| respond::json(&catalog::roles_listing(rows), 200);
    Ok(answered(ctx.store.plan_catalog_rows()?, listing))
}

/// `POST /api/v1/roles`.
pub(crate) async fn create_role(
    req: &mut Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: CreateRoleRequest = read_json(req).await?;
    let made = catalog::create_role(&ctx.store, ctx, principal, body, &ctx.now).await?;
    respond::json(&made, 201)
}

/// `PUT /api/v1/roles/{key}`.
pub(crate) async fn update_role(
    key: &str,
    req: &mut Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: UpdateRoleRequest = read_json(req).await?;
    let edited = catalog::update_role(&ctx.store, ctx, principal, key, body, &ctx.now).await?;
    respond::json(&edited, 200)
}

/// `GET /api/v1/roles/{key}/impact`: the role's holders are read with the catalog, whether or
/// not it has the role.
pub(crate) fn role_impact(key: &str, ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    let holders = ctx.store.plan_role_holders(key, catalog::IMPACT_FIRST_PEOPLE)?;
    let key = key.to_owned();
    Ok(answered(ctx.store.plan_catalog_rows()?.and(holders), move |((_, roles), holders)| {
        respond::json(&catalog::role_impact_of(&roles, holders, &key)?, 200)
    }))
}

/// `DELETE /api/v1/roles/{key}`: answers the roles that remain.
pub(crate) async fn delete_role(
    key: &str,
    ctx: &Ctx,
    env: &Env,
    principal: &Principal,
) -> Result<Response, ApiError> {
    catalog::delete_role(&ctx.store, ctx, principal, key, &ctx.now).await?;
    // Its holders' `access.changed` events, if an endpoint receives them, are made by the sender.
    crate::webhooks::kick(env).await;
    answer_alone(list_roles(ctx), &ctx.store, principal).await
}
