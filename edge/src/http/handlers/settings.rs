//! Settings → Okta API Access: read, change (only after a successful connection test), test.
//!
//! A deployment's token (`OKTA_API_TOKEN`) only ever goes to the deployment's tenant
//! (`OKTA_TENANT_URL`): another tenant URL is refused before any request leaves, on save and on
//! Test connection alike. A stored token that needs a key the Worker no longer has is reported
//! as `token_key_changed`, on the screen (`GET`) and wherever it would be used.

use std::rc::Rc;

use groupsync_core::api::{CredentialKind, TestOktaConnectionRequest, UpdateOktaSettingsRequest};
use groupsync_core::domain::{AppId, TenantUrl};
use serde_json::json;
use worker::{Request, Response};

use crate::adapters::keygen::WebCryptoKeys;
use crate::error::ApiError;
use crate::http::context::{Ctx, read_json};
use crate::http::handlers::{PlannedAnswer, answered};
use crate::http::respond;
use crate::okta_target::{OktaConnectionTester, access_as, keep_resealed};
use crate::service::access::Principal;
use crate::service::okta_settings::{
    self, KeyPorts, SettingsChange, SettingsPorts, describe_settings,
};
use crate::service::okta_token::{checked_token, not_configured};
use crate::service::ports::{AuditRecord, RateLimiter};
use crate::service::ports::{ConnectionTester, SettingsStore};
use crate::service::service_app::{self, OktaAccess, UsableAccess, checked_client_id};

/// `GET /api/v1/settings/okta`.
pub(crate) fn get_okta_settings(ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    let config = Rc::clone(&ctx.config);
    let described = move |row| respond::json(&describe_settings(&config, &row), 200);
    Ok(answered(ctx.store.plan_okta_settings()?, described))
}

/// `PUT /api/v1/settings/okta`: see [`okta_settings::update_okta_settings`].
pub(crate) async fn update_okta_settings(
    req: &mut Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: UpdateOktaSettingsRequest = read_json(req).await?;
    let change = SettingsChange::parse(&body, &ctx.config.tenant_policy)?;
    let ports = SettingsPorts { settings: &ctx.store, okta: &OktaConnectionTester, limits: ctx };
    let saved =
        okta_settings::update_okta_settings(ports, &ctx.config, principal, change, &ctx.now)
            .await?;
    respond::json(&describe_settings(&ctx.config, &saved), 200)
}

/// `POST /api/v1/settings/okta/test`: tests the given values, filling gaps from the stored ones.
pub(crate) async fn test_okta_connection(
    req: &mut Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: TestOktaConnectionRequest = read_json(req).await?;
    let (tenant, app_id, access) = connection_to_test(body, ctx).await?;
    let actor = principal.actor();
    // The same limit, counted the same way, as a save with a typed token.
    ctx.admit_okta_test(&actor.name).await?;
    let credential = access.kind();
    let result = OktaConnectionTester.test_connection(&tenant, &app_id, access).await;
    let audit = AuditRecord {
        after: Some(json!({
            "app_id": app_id.as_str(),
            "credential": credential,
            "ok": result.ok,
            "failure": result.failure,
        })),
        ..AuditRecord::of(&actor, "settings.okta.tested", tenant.as_str())
    };
    ctx.store.audit(&audit, &ctx.now).await?;
    respond::json(&result, 200)
}

/// `POST /api/v1/settings/okta/service-app/key`: see [`okta_settings::make_service_app_key`].
pub(crate) async fn make_service_app_key(
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let ports = KeyPorts { settings: &ctx.store, limits: ctx, keys: &WebCryptoKeys };
    let made = okta_settings::make_service_app_key(ports, &ctx.config, principal, &ctx.now).await?;
    respond::json(&service_app::public_half(&made), 201)
}

/// The tenant, App ID and credential to test: those of the request, with the gaps filled from
/// the stored settings (whose secret is sealed anew, when it should be, on the way).
async fn connection_to_test(
    body: TestOktaConnectionRequest,
    ctx: &Ctx,
) -> Result<(TenantUrl, AppId, OktaAccess), ApiError> {
    let stored = ctx.store.okta_settings().await?;
    let tenant_text = body.tenant_url.or(stored.tenant_url.clone()).ok_or_else(not_configured)?;
    let app_text = body.app_id.or(stored.app_id.clone()).ok_or_else(not_configured)?;
    let tenant = TenantUrl::parse(&tenant_text, &ctx.config.tenant_policy)
        .map_err(|e| ApiError::invalid("tenant_url", e))?;
    let app_id = AppId::parse(&app_text).map_err(|e| ApiError::invalid("app_id", e))?;
    let credential = body.credential.unwrap_or(stored.credential);
    let typed_token = body.api_token.as_deref().map(checked_token).transpose()?;
    let typed_client = body.client_id.as_deref().map(checked_client_id).transpose()?;
    let UsableAccess { access, resealed } = match (credential, typed_token) {
        (CredentialKind::ApiToken, Some(token)) => {
            UsableAccess { access: OktaAccess::ApiToken(token), resealed: None }
        }
        (CredentialKind::ServiceApp, _) if ctx.config.deployment_okta.is_none() => {
            okta_settings::service_app_to_test(&ctx.config, &stored, typed_client)?
        }
        _ => access_as(&ctx.config, &stored, credential, &tenant, &app_id)?,
    };
    keep_resealed(&ctx.store, &stored, resealed.as_ref()).await;
    Ok((tenant, app_id, access))
}
