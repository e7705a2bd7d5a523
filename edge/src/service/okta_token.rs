//! The Okta API token's rules that need no I/O: which token applies to a tenant, opening the
//! stored one, and what a typed one may look like.
//!
//! A deployment's token (`OKTA_API_TOKEN`) only ever goes to the deployment's tenant; a stored
//! token is sealed for the tenant and App ID it was tested with, and one sealed with a key the
//! Worker no longer has is `token_key_changed`, never a complaint about the tenant URL.

use groupsync_core::api::ProblemCode;
use groupsync_core::domain::TenantUrl;
use groupsync_core::okta::OktaToken;

use crate::config::{Config, DeploymentOkta};
use crate::error::ApiError;
use crate::sealed_token::{Opened, SealError};
use crate::service::ports::SettingsRow;

/// The longest token accepted (Okta's SSWS tokens are 42 characters).
const MAX_TOKEN_CHARS: usize = 512;

/// What a person reads when the stored token needs a key the Worker no longer has.
const KEY_CHANGED: &str = "The Okta API token was encrypted with a key this deployment no longer has (the encryption key changed). Enter the token again in Settings → Okta API Access, or restore the previous key as TOKEN_ENCRYPTION_KEY_PREVIOUS.";

/// Refuses any tenant but the deployment's own: its token is never sent elsewhere.
pub fn check_deployment_tenant(
    deployment: &DeploymentOkta,
    tenant: &TenantUrl,
) -> Result<(), ApiError> {
    if deployment.tenant == *tenant {
        return Ok(());
    }
    Err(ApiError::client(
        ProblemCode::DeploymentTenantMismatch,
        format!(
            "tenant_url: the API token is set by the deployment for {} (OKTA_TENANT_URL) and is never sent to another tenant. Use that tenant URL, or ask the operator to change OKTA_TENANT_URL and OKTA_API_TOKEN together.",
            deployment.tenant.as_str()
        ),
    ))
}

/// Opens the stored token of `row` for the tenant and app it was saved with.
pub fn open_stored(config: &Config, row: &SettingsRow) -> Result<Opened, ApiError> {
    let (Some(sealed), Some(tenant), Some(app_id)) =
        (&row.token_ciphertext, &row.tenant_url, &row.app_id)
    else {
        return Err(not_configured());
    };
    let Some(keys) = &config.token_keys else {
        return Err(ApiError::client(
            ProblemCode::TokenKeyChanged,
            "The Okta API token was encrypted with a key this deployment no longer has (TOKEN_ENCRYPTION_KEY is not set). Set TOKEN_ENCRYPTION_KEY again, or enter the token again in Settings → Okta API Access once it is set.",
        ));
    };
    keys.open(sealed, tenant, app_id).map_err(|error| match error {
        SealError::UnknownKey => ApiError::client(ProblemCode::TokenKeyChanged, KEY_CHANGED),
        SealError::Format | SealError::Open | SealError::Random => ApiError::client(
            ProblemCode::TokenRequired,
            "api_token: the stored token could not be read (it was altered); enter the token again in Settings → Okta API Access.",
        ),
    })
}

/// The stored token sealed under the current key, when it is readable but was sealed with the
/// previous key or without a key id.
pub fn resealed_on_save(config: &Config, row: &SettingsRow) -> Option<String> {
    let (Some(keys), Some(tenant), Some(app_id)) =
        (&config.token_keys, &row.tenant_url, &row.app_id)
    else {
        return None;
    };
    let opened = open_stored(config, row).ok().filter(Opened::needs_reseal)?;
    keys.seal(&opened.token, tenant, app_id).ok()
}

/// A typed token, trimmed: printable ASCII without spaces, at most [`MAX_TOKEN_CHARS`].
///
/// # Errors
///
/// `invalid_input` about `api_token`, without the value.
pub fn checked_token(text: &str) -> Result<OktaToken, ApiError> {
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

/// The error when Okta is not configured yet.
pub fn not_configured() -> ApiError {
    ApiError::client(
        ProblemCode::OktaNotConfigured,
        "Enter the tenant URL, App ID and API token first.",
    )
}
