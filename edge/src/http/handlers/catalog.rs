//! The role catalog: the relying app's permissions (issue #14).

use groupsync_core::api::RegisterPermissionRequest;
use worker::{Request, Response};

use crate::error::ApiError;
use crate::http::context::{Ctx, read_json};
use crate::http::respond;
use crate::service::access::Principal;
use crate::service::catalog;

/// `GET /api/v1/permissions`.
pub(crate) async fn list_permissions(ctx: &Ctx) -> Result<Response, ApiError> {
    respond::json(&catalog::list_permissions(&ctx.store).await?, 200)
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
    list_permissions(ctx).await
}
