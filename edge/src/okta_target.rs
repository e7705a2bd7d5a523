//! Which Okta tenant, app and token the Worker uses now: the stored settings with the
//! deployment's token, or the stored (sealed) one.

use groupsync_core::api::ProblemCode;
use groupsync_core::domain::{AppId, TenantUrl};
use groupsync_core::okta::{ClientConfig, OktaClient, OktaToken};

use crate::adapters::d1::{SettingsRow, Store};
use crate::adapters::okta_http::{WorkersClock, WorkersFetch};
use crate::config::Config;
use crate::error::ApiError;
use crate::service::sealed_token;

/// The Okta client of the Worker.
pub(crate) type Client = OktaClient<WorkersFetch, WorkersClock>;

/// A configured tenant, app and token.
pub(crate) struct OktaTarget {
    pub(crate) tenant: TenantUrl,
    pub(crate) app_id: AppId,
    pub(crate) token: OktaToken,
}

impl OktaTarget {
    /// The target of the stored settings.
    pub(crate) async fn load(config: &Config, store: &Store) -> Result<Self, ApiError> {
        let row = store.okta_settings().await?;
        Self::from_row(config, &row)
    }

    /// The target of `row`.
    pub(crate) fn from_row(config: &Config, row: &SettingsRow) -> Result<Self, ApiError> {
        let (Some(tenant), Some(app_id)) = (&row.tenant_url, &row.app_id) else {
            return Err(not_configured());
        };
        let tenant = TenantUrl::parse(tenant, &config.tenant_policy)
            .map_err(|e| ApiError::invalid("tenant_url", e))?;
        let app_id = AppId::parse(app_id).map_err(|e| ApiError::invalid("app_id", e))?;
        let token = token_for(config, row, &tenant, &app_id)?;
        Ok(Self { tenant, app_id, token })
    }

    /// A client of this target.
    pub(crate) fn client(&self, config: ClientConfig) -> Client {
        OktaClient::new(
            self.tenant.origin().clone(),
            self.token.clone(),
            WorkersFetch,
            WorkersClock,
            config,
        )
    }
}

/// The token the Worker would use for `tenant` and `app_id`: the deployment's, or the stored one
/// if it opens for them.
pub(crate) fn token_for(
    config: &Config,
    row: &SettingsRow,
    tenant: &TenantUrl,
    app_id: &AppId,
) -> Result<OktaToken, ApiError> {
    if let Some(token) = &config.deployment_okta_token {
        return Ok(token.clone());
    }
    let (Some(sealed), Some(key)) = (&row.token_ciphertext, &config.token_encryption_key) else {
        return Err(not_configured());
    };
    sealed_token::open(key, sealed, tenant.as_str(), app_id.as_str()).map_err(|_| {
        ApiError::client(
            ProblemCode::TokenRequired,
            "api_token: the stored token belongs to another tenant URL or App ID; enter the token again.",
        )
    })
}

/// The error when Okta is not configured yet.
pub(crate) fn not_configured() -> ApiError {
    ApiError::client(
        ProblemCode::OktaNotConfigured,
        "Enter the tenant URL, App ID and API token first.",
    )
}
