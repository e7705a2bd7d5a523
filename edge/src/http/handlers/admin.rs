//! superAdmin administration: superAdmins, machine credentials and the audit log.

use groupsync_core::api::{
    CreateApiKeyRequest, GrantSuperAdminRequest, ListApiKeysResponse, ListServiceTokensResponse,
    ListSuperAdminsResponse, ProblemCode, RegisterServiceTokenRequest, SuperAdmin,
};
use worker::{Request, Response};

use crate::error::ApiError;
use crate::http::context::{Ctx, read_json};
use crate::http::handlers::access::parse_email;
use crate::http::handlers::{PlannedAnswer, answer_alone, answered};
use crate::http::respond;
use crate::service::access::Principal;
use crate::service::credentials::{self, Now};
use crate::service::ports::AuditRecord;

/// `GET /api/v1/super-admins`.
pub(crate) fn list_super_admins(ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    Ok(answered(ctx.store.plan_super_admins()?, |rows| {
        let super_admins = rows
            .into_iter()
            .map(|r| SuperAdmin {
                email: r.email,
                granted_by: r.granted_by,
                granted_at: r.granted_at,
            })
            .collect();
        respond::json(&ListSuperAdminsResponse { super_admins }, 200)
    }))
}

/// `POST /api/v1/super-admins`.
pub(crate) async fn grant_super_admin(
    req: &mut Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: GrantSuperAdminRequest = read_json(req).await?;
    let email = parse_email(&body.email)?;
    let actor = ctx.admin_write(principal).await?;
    let audit = AuditRecord::of(&actor, "super_admin.granted", email.clone());
    if !ctx.store.grant_super_admin(&email, &audit, &ctx.now).await? {
        return Err(ApiError::client(
            ProblemCode::AlreadyExists,
            format!("{email} is a superAdmin already."),
        ));
    }
    answer_alone(list_super_admins(ctx), &ctx.store, principal).await.map(|r| r.with_status(201))
}

/// `DELETE /api/v1/super-admins/{email}`.
pub(crate) async fn revoke_super_admin(
    email: &str,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let email = parse_email(email)?;
    let actor = ctx.admin_write(principal).await?;
    if !ctx.store.is_super_admin(&email).await? {
        return Err(ApiError::client(
            ProblemCode::NotFound,
            format!("{email} is not a superAdmin."),
        ));
    }
    let audit = AuditRecord::of(&actor, "super_admin.revoked", email.clone());
    if !ctx.store.revoke_super_admin(&email, &audit, &ctx.now).await? {
        return Err(ApiError::client(
            ProblemCode::LastSuperAdmin,
            "This is the last superAdmin; grant superAdmin to someone else first.",
        ));
    }
    answer_alone(list_super_admins(ctx), &ctx.store, principal).await
}

/// `GET /api/v1/api-keys`.
pub(crate) fn list_api_keys(ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    Ok(answered(ctx.store.plan_api_keys()?, |rows| {
        let api_keys = rows.into_iter().map(credentials::api_key).collect();
        respond::json(&ListApiKeysResponse { api_keys }, 200)
    }))
}

/// `POST /api/v1/api-keys`: see [`credentials::create_api_key`].
pub(crate) async fn create_api_key(
    req: &mut Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: CreateApiKeyRequest = read_json(req).await?;
    let pepper = ctx.config.api_key_pepper.as_deref();
    let now = Now { iso: &ctx.now, epoch_s: ctx.now_s };
    let issued = credentials::create_api_key(&ctx.store, ctx, pepper, principal, body, now).await?;
    respond::json(&issued, 201)
}

/// `DELETE /api/v1/api-keys/{id}`.
pub(crate) async fn revoke_api_key(
    id: &str,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let actor = ctx.admin_write(principal).await?;
    let audit = AuditRecord::of(&actor, "api_key.revoked", id.to_owned());
    if !ctx.store.revoke_api_key(id, &audit, &ctx.now).await? {
        return Err(ApiError::client(ProblemCode::NotFound, "No active API key has this id."));
    }
    answer_alone(list_api_keys(ctx), &ctx.store, principal).await
}

/// `GET /api/v1/service-tokens`.
pub(crate) fn list_service_tokens(ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    Ok(answered(ctx.store.plan_service_tokens()?, |rows| {
        let service_tokens = rows.into_iter().map(credentials::service_token).collect();
        respond::json(&ListServiceTokensResponse { service_tokens }, 200)
    }))
}

/// `POST /api/v1/service-tokens`: see [`credentials::register_service_token`].
pub(crate) async fn register_service_token(
    req: &mut Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: RegisterServiceTokenRequest = read_json(req).await?;
    let registered =
        credentials::register_service_token(&ctx.store, ctx, principal, body, &ctx.now).await?;
    respond::json(&registered, 201)
}

/// `DELETE /api/v1/service-tokens/{common_name}`.
pub(crate) async fn revoke_service_token(
    common_name: &str,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let actor = ctx.admin_write(principal).await?;
    let audit = AuditRecord::of(&actor, "service_token.revoked", common_name.to_owned());
    if !ctx.store.revoke_service_token(common_name, &audit, &ctx.now).await? {
        return Err(ApiError::client(
            ProblemCode::NotFound,
            "No active service token has this common name.",
        ));
    }
    answer_alone(list_service_tokens(ctx), &ctx.store, principal).await
}
