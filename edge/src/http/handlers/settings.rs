//! Settings → Okta API Access: read, change (only after a successful connection test), test.
//!
//! A deployment's token (`OKTA_API_TOKEN`) only ever goes to the deployment's tenant
//! (`OKTA_TENANT_URL`): another tenant URL is refused before any request leaves, on save and on
//! Test connection alike. A stored token that needs a key the Worker no longer has is reported
//! as `token_key_changed`, on the screen (`GET`) and wherever it would be used.

use std::time::Duration;

use groupsync_core::api::{
    OktaSettingsResponse, ProblemCode, SealedWith, TestOktaConnectionRequest,
    TestOktaConnectionResponse, TokenSource, TokenStatus, UpdateOktaSettingsRequest,
};
use groupsync_core::domain::{AppId, TenantUrl};
use groupsync_core::okta::{ClientConfig, OktaClient, OktaToken};
use serde_json::json;
use worker::{Request, Response};

use crate::adapters::d1::{AuditRecord, SettingsRow};
use crate::adapters::okta_http::{WorkersClock, WorkersFetch};
use crate::error::ApiError;
use crate::http::context::{Ctx, read_json};
use crate::http::respond;
use crate::okta_target::{
    UsableToken, check_deployment_tenant, keep_resealed, not_configured, open_stored, token_for,
};
use crate::sealed_token::{self, KeyRole, Opened};
use crate::service::access::Principal;
use crate::service::connection_test;

/// The longest token accepted (Okta's SSWS tokens are 42 characters).
const MAX_TOKEN_CHARS: usize = 512;

/// `GET /api/v1/settings/okta`.
pub(crate) async fn get_okta_settings(ctx: &Ctx) -> Result<Response, ApiError> {
    let row = ctx.store.okta_settings().await?;
    respond::json(&describe(ctx, &row), 200)
}

/// `PUT /api/v1/settings/okta`: validates, tests the connection when a token is given, and saves
/// the token (sealed) only when the test passed.
pub(crate) async fn update_okta_settings(
    req: &mut Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: UpdateOktaSettingsRequest = read_json(req).await?;
    let tenant = TenantUrl::parse(&body.tenant_url, &ctx.config.tenant_policy)
        .map_err(|e| ApiError::invalid("tenant_url", e))?;
    let app_id = AppId::parse(&body.app_id).map_err(|e| ApiError::invalid("app_id", e))?;
    let typed_token = body.api_token.as_deref().map(checked_token).transpose()?;
    let actor = ctx.admin_write(principal).await?;

    let before = ctx.store.okta_settings().await?;
    let mut after = before.clone();
    let target_changed = before.tenant_url.as_deref() != Some(tenant.as_str())
        || before.app_id.as_deref() != Some(app_id.as_str());
    if let Some(deployment) = &ctx.config.deployment_okta {
        if typed_token.is_some() {
            return Err(ApiError::client(
                ProblemCode::TokenManagedByDeployment,
                "The API token is set by the deployment (OKTA_API_TOKEN) and cannot be changed here.",
            ));
        }
        // Checked whether or not the target changed: the stored tenant is what the sync sends
        // the token to.
        check_deployment_tenant(deployment, &tenant)?;
        if target_changed {
            test_or_refuse(&tenant, &app_id, deployment.token.clone()).await?;
        }
    } else if let Some(token) = typed_token {
        ctx.rate_limit("okta-test", &actor.name, ctx.config.rate_limits.okta_tests).await?;
        test_or_refuse(&tenant, &app_id, token.clone()).await?;
        let keys = ctx.config.token_keys.as_ref().ok_or_else(|| {
            ApiError::client(
                ProblemCode::Misconfigured,
                "Tokens cannot be stored: the operator has not set TOKEN_ENCRYPTION_KEY.",
            )
        })?;
        let sealed = keys
            .seal(&token, tenant.as_str(), app_id.as_str())
            .map_err(|e| ApiError::client(ProblemCode::Internal, e.to_string()))?;
        after.token_ciphertext = Some(sealed);
        after.token_last4 = Some(sealed_token::last4(&token));
        after.token_set_by = Some(actor.name.clone());
        after.token_set_at = Some(ctx.now.clone());
    } else if target_changed && before.token_ciphertext.is_some() {
        return Err(ApiError::about_field(
            ProblemCode::TokenRequired,
            "api_token",
            "changing the tenant URL or App ID requires the API token again.",
        ));
    } else if let Some(resealed) = resealed_on_save(ctx, &before) {
        // Saving is one of the moments a key rotation completes (see the README's procedure):
        // the token, read with the previous key, is sealed under the current one.
        after.token_ciphertext = Some(resealed);
    }
    after.tenant_url = Some(tenant.as_str().to_owned());
    after.app_id = Some(app_id.as_str().to_owned());
    if let Some(sync_enabled) = body.sync_enabled {
        after.sync_enabled = i64::from(sync_enabled);
    }
    after.updated_by = Some(actor.name.clone());
    after.updated_at = Some(ctx.now.clone());
    let audit = AuditRecord {
        actor: &actor,
        action: "settings.okta.updated",
        target: Some("okta_settings".into()),
        before: Some(audit_view(&before)),
        after: Some(audit_view(&after)),
    };
    ctx.store.save_okta_settings(&after, &audit, &ctx.now).await?;
    respond::json(&describe(ctx, &after), 200)
}

/// `POST /api/v1/settings/okta/test`: tests the given values, filling gaps from the stored ones.
pub(crate) async fn test_okta_connection(
    req: &mut Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: TestOktaConnectionRequest = read_json(req).await?;
    let stored = ctx.store.okta_settings().await?;
    let tenant_text = body.tenant_url.or(stored.tenant_url.clone()).ok_or_else(not_configured)?;
    let app_text = body.app_id.or(stored.app_id.clone()).ok_or_else(not_configured)?;
    let tenant = TenantUrl::parse(&tenant_text, &ctx.config.tenant_policy)
        .map_err(|e| ApiError::invalid("tenant_url", e))?;
    let app_id = AppId::parse(&app_text).map_err(|e| ApiError::invalid("app_id", e))?;
    let UsableToken { token, resealed } = match body.api_token.as_deref() {
        Some(typed) => UsableToken { token: checked_token(typed)?, resealed: None },
        None => token_for(&ctx.config, &stored, &tenant, &app_id)?,
    };
    keep_resealed(&ctx.store, &stored, resealed.as_deref()).await;
    let actor = principal.actor();
    ctx.rate_limit("okta-test", &actor.name, ctx.config.rate_limits.okta_tests).await?;
    let result = run_test(&tenant, &app_id, token).await;
    let audit = AuditRecord {
        actor: &actor,
        action: "settings.okta.tested",
        target: Some(tenant.as_str().to_owned()),
        before: None,
        after: Some(
            json!({ "app_id": app_id.as_str(), "ok": result.ok, "failure": result.failure }),
        ),
    };
    ctx.store.audit(&audit, &ctx.now).await?;
    respond::json(&result, 200)
}

async fn test_or_refuse(
    tenant: &TenantUrl,
    app_id: &AppId,
    token: OktaToken,
) -> Result<(), ApiError> {
    let result = run_test(tenant, app_id, token).await;
    if result.ok {
        Ok(())
    } else {
        Err(ApiError::client(
            ProblemCode::OktaTestFailed,
            format!("Nothing was saved. {}", result.message),
        ))
    }
}

async fn run_test(
    tenant: &TenantUrl,
    app_id: &AppId,
    token: OktaToken,
) -> TestOktaConnectionResponse {
    // A person is waiting: few retries, short timeouts.
    let config = ClientConfig {
        request_timeout: Duration::from_secs(10),
        max_transient_retries: 1,
        max_rate_limit_retries: 0,
        ..ClientConfig::default()
    };
    let client =
        OktaClient::new(tenant.origin().clone(), token, WorkersFetch, WorkersClock, config);
    connection_test::run(&client, app_id).await
}

fn checked_token(text: &str) -> Result<OktaToken, ApiError> {
    let token = text.trim();
    let valid = !token.is_empty()
        && token.len() <= MAX_TOKEN_CHARS
        && token.bytes().all(|b| b.is_ascii_graphic());
    if valid {
        Ok(OktaToken::new(token))
    } else {
        // Never echo the value: it may be a real token pasted with a stray character.
        Err(ApiError::invalid("api_token", "an Okta API token is printable ASCII without spaces"))
    }
}

/// The stored token sealed under the current key, when it is readable but was sealed with the
/// previous key or without a key id.
fn resealed_on_save(ctx: &Ctx, row: &SettingsRow) -> Option<String> {
    let (Some(keys), Some(tenant), Some(app_id)) =
        (&ctx.config.token_keys, &row.tenant_url, &row.app_id)
    else {
        return None;
    };
    let opened = open_stored(&ctx.config, row).ok().filter(Opened::needs_reseal)?;
    keys.seal(&opened.token, tenant, app_id).ok()
}

fn describe(ctx: &Ctx, row: &SettingsRow) -> OktaSettingsResponse {
    let token = match &ctx.config.deployment_okta {
        Some(deployment) => TokenStatus {
            configured: true,
            last4: Some(sealed_token::last4(&deployment.token)),
            set_by: Some("deployment".into()),
            set_at: None,
            source: TokenSource::Deployment,
            problem: None,
            sealed_with: None,
        },
        None if row.token_ciphertext.is_some() => {
            // Opened (not used) to tell the screen at once when the key changed, rather than
            // at the next Test connection or sync.
            let (problem, sealed_with) = match open_stored(&ctx.config, row) {
                Ok(opened) => (
                    None,
                    Some(match opened.key {
                        KeyRole::Current => SealedWith::Current,
                        KeyRole::Previous => SealedWith::Previous,
                    }),
                ),
                Err(error) => (Some(error.to_problem()), None),
            };
            TokenStatus {
                configured: true,
                last4: row.token_last4.clone(),
                set_by: row.token_set_by.clone(),
                set_at: row.token_set_at.clone(),
                source: TokenSource::Stored,
                problem,
                sealed_with,
            }
        }
        None => TokenStatus {
            configured: false,
            last4: None,
            set_by: None,
            set_at: None,
            source: TokenSource::None,
            problem: None,
            sealed_with: None,
        },
    };
    OktaSettingsResponse {
        tenant_url: row.tenant_url.clone(),
        app_id: row.app_id.clone(),
        token,
        sync_enabled: row.sync_enabled != 0,
        updated_by: row.updated_by.clone(),
        updated_at: row.updated_at.clone(),
        read_only: ctx.config.deployment_okta.is_some(),
    }
}

/// The settings as the audit log records them: the token only as "configured, ends in …".
fn audit_view(row: &SettingsRow) -> serde_json::Value {
    json!({
        "tenant_url": row.tenant_url,
        "app_id": row.app_id,
        "token_configured": row.token_ciphertext.is_some(),
        "token_last4": row.token_last4,
        "sync_enabled": row.sync_enabled != 0,
    })
}
