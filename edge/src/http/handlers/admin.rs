//! superAdmin administration: superAdmins, machine credentials and the audit log.

use std::collections::BTreeSet;

use groupsync_core::api::{
    ApiKey, CreateApiKeyRequest, CreateApiKeyResponse, GrantSuperAdminRequest, ListApiKeysResponse,
    ListServiceTokensResponse, ListSuperAdminsResponse, ProblemCode, RegisterServiceTokenRequest,
    ServiceToken, SuperAdmin,
};
use groupsync_core::domain::Permission;
use serde_json::json;
use worker::{Request, Response};

use crate::adapters::d1::{ApiKeyRow, AuditRecord, ServiceTokenRow};
use crate::error::ApiError;
use crate::http::context::{Ctx, read_json};

use crate::http::handlers::access::parse_email;
use crate::http::respond;
use crate::service::access::{Principal, parse_scopes};
use crate::service::api_keys;

const DEFAULT_KEY_DAYS: u32 = 90;
const MAX_KEY_DAYS: u32 = 365;

/// `GET /api/v1/super-admins`.
pub(crate) async fn list_super_admins(ctx: &Ctx) -> Result<Response, ApiError> {
    let rows = ctx.store.list_super_admins().await?;
    let super_admins = rows
        .into_iter()
        .map(|r| SuperAdmin { email: r.email, granted_by: r.granted_by, granted_at: r.granted_at })
        .collect();
    respond::json(&ListSuperAdminsResponse { super_admins }, 200)
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
    list_super_admins(ctx).await.map(|r| r.with_status(201))
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
    list_super_admins(ctx).await
}

/// `GET /api/v1/api-keys`.
pub(crate) async fn list_api_keys(ctx: &Ctx) -> Result<Response, ApiError> {
    let api_keys = ctx.store.list_api_keys().await?.into_iter().map(api_key).collect();
    respond::json(&ListApiKeysResponse { api_keys }, 200)
}

/// `POST /api/v1/api-keys`: issues a key and shows its secret this once.
pub(crate) async fn create_api_key(
    req: &mut Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: CreateApiKeyRequest = read_json(req).await?;
    let name = checked_name(&body.name)?;
    let scopes = read_scopes(body.scopes)?;
    let days = body.expires_in_days.unwrap_or(DEFAULT_KEY_DAYS);
    if !(1..=MAX_KEY_DAYS).contains(&days) {
        return Err(ApiError::invalid(
            "expires_in_days",
            format!("must be between 1 and {MAX_KEY_DAYS}"),
        ));
    }
    let pepper = ctx.config.api_key_pepper.as_deref().ok_or_else(|| {
        ApiError::client(
            ProblemCode::Misconfigured,
            "API keys are off: the operator has not set API_KEY_PEPPER.",
        )
    })?;
    let actor = ctx.admin_write(principal).await?;
    let issued = api_keys::issue()
        .map_err(|_| ApiError::client(ProblemCode::Internal, "No randomness to make a key."))?;
    let expires = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
        (ctx.now_s + u64::from(days) * 86_400) as f64 * 1000.0,
    ));
    let row = ApiKeyRow {
        id: issued.id,
        name,
        scopes: scopes_json(&scopes),
        created_by: actor.name.clone(),
        created_at: ctx.now.clone(),
        expires_at: String::from(expires.to_iso_string()),
        revoked_at: None,
    };
    let audit = AuditRecord {
        actor: &actor,
        action: "api_key.issued",
        target: Some(row.id.clone()),
        before: None,
        after: Some(json!({ "name": row.name, "scopes": scopes, "expires_at": row.expires_at })),
    };
    ctx.store
        .insert_api_key(&row, &api_keys::hash(pepper, &issued.secret), &audit, &ctx.now)
        .await?;
    respond::json(&CreateApiKeyResponse { key: api_key(row), secret: issued.secret }, 201)
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
    list_api_keys(ctx).await
}

/// `GET /api/v1/service-tokens`.
pub(crate) async fn list_service_tokens(ctx: &Ctx) -> Result<Response, ApiError> {
    let service_tokens =
        ctx.store.list_service_tokens().await?.into_iter().map(service_token).collect();
    respond::json(&ListServiceTokensResponse { service_tokens }, 200)
}

/// `POST /api/v1/service-tokens`.
pub(crate) async fn register_service_token(
    req: &mut Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: RegisterServiceTokenRequest = read_json(req).await?;
    let common_name = body.common_name.trim().to_owned();
    let valid = !common_name.is_empty()
        && common_name.len() <= 128
        && common_name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !valid {
        return Err(ApiError::invalid(
            "common_name",
            "the service token's client id, as Access shows it",
        ));
    }
    let scopes = read_scopes(body.scopes)?;
    let actor = ctx.admin_write(principal).await?;
    let row = ServiceTokenRow {
        common_name: common_name.clone(),
        name: checked_name(&body.name)?,
        scopes: scopes_json(&scopes),
        created_by: actor.name.clone(),
        created_at: ctx.now.clone(),
        revoked_at: None,
    };
    let audit = AuditRecord {
        actor: &actor,
        action: "service_token.registered",
        target: Some(common_name.clone()),
        before: None,
        after: Some(json!({ "name": row.name, "scopes": scopes })),
    };
    if !ctx.store.insert_service_token(&row, &audit, &ctx.now).await? {
        return Err(ApiError::client(
            ProblemCode::AlreadyExists,
            "This service token is registered already.",
        ));
    }
    respond::json(&service_token(row), 201)
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
    list_service_tokens(ctx).await
}

fn api_key(row: ApiKeyRow) -> ApiKey {
    ApiKey {
        scopes: parse_scopes(&row.scopes).into_iter().collect(),
        id: row.id,
        name: row.name,
        created_by: row.created_by,
        created_at: row.created_at,
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
    }
}

fn service_token(row: ServiceTokenRow) -> ServiceToken {
    ServiceToken {
        scopes: parse_scopes(&row.scopes).into_iter().collect(),
        common_name: row.common_name,
        name: row.name,
        created_by: row.created_by,
        created_at: row.created_at,
        revoked_at: row.revoked_at,
    }
}

/// Read permissions only; all of them when none are named.
fn read_scopes(scopes: Option<Vec<Permission>>) -> Result<BTreeSet<Permission>, ApiError> {
    let scopes: BTreeSet<Permission> = match scopes {
        None => Permission::ALL.into_iter().filter(|p| p.is_read_only()).collect(),
        Some(scopes) => scopes.into_iter().collect(),
    };
    if scopes.is_empty() {
        return Err(ApiError::invalid("scopes", "name at least one read permission"));
    }
    if let Some(write) = scopes.iter().find(|p| !p.is_read_only()) {
        return Err(ApiError::invalid(
            "scopes",
            format!("machine clients may only read; {write} is not a read permission"),
        ));
    }
    Ok(scopes)
}

fn scopes_json(scopes: &BTreeSet<Permission>) -> String {
    serde_json::to_string(scopes).unwrap_or_else(|_| "[]".into())
}

fn checked_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid("name", "1 to 100 characters, no control characters"));
    }
    Ok(name.to_owned())
}
