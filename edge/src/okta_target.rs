//! Which Okta tenant, app and credential the Worker uses now: the stored settings with the
//! deployment's token (only ever for the deployment's tenant), or the stored (sealed) service app
//! or token, whichever the settings name.
//!
//! Every path that uses the credential (Test connection, sync start, the sync run, the settings
//! screen) comes through here, so that each says the same thing when it cannot be used:
//! the deployment's token is bound to `OKTA_TENANT_URL` (`deployment_tenant_mismatch`), and a
//! token sealed with a key the Worker no longer has is `token_key_changed`, never a complaint
//! about the tenant URL.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use groupsync_core::api::{CredentialKind, ProblemCode, TestOktaConnectionResponse};
use groupsync_core::domain::{AppId, TenantUrl};
use groupsync_core::okta::{ClientConfig, OktaClient, OktaCredential, ServiceAppCredential};

use serde_json::json;
use std::time::Duration;
use worker::console_error;

use crate::adapters::d1::{SealedColumn, Store};
use crate::adapters::okta_http::{WorkersClock, WorkersFetch};
use crate::config::Config;
use crate::error::ApiError;
use crate::service::access::Actor;
use crate::service::connection_test;
use crate::service::okta_token::{check_deployment_tenant, not_configured, open_stored};
use crate::service::ports::{
    AuditRecord, ConnectionTester, Directory, DirectoryUnavailable, DirectoryUser, SettingsRow,
    SettingsStore,
};
use crate::service::service_app::{
    OktaAccess, OpenedPair, Resealed, ServiceAppAccess, UsableAccess, checked_client_id, open_pair,
};

/// The Okta client of the Worker.
pub(crate) type Client = OktaClient<WorkersFetch, WorkersClock>;

/// A configured tenant, app and credential.
pub(crate) struct OktaTarget {
    pub(crate) tenant: TenantUrl,
    pub(crate) app_id: AppId,
    pub(crate) access: OktaAccess,
    /// The stored credential sealed again under the current key, when it was read with the
    /// previous key or had no key id: written back by [`Self::load`].
    resealed: Option<Resealed>,
}

impl OktaTarget {
    /// The target of the stored settings. A stored token read with the previous key (or without
    /// a key id) is sealed again under the current key and saved: so a key rotation completes
    /// by itself on the next use (at the latest the hourly sync), without anyone typing the
    /// token again.
    pub(crate) async fn load(config: &Config, store: &Store) -> Result<Self, ApiError> {
        let row = store.okta_settings().await?;
        let target = Self::from_row(config, &row)?;
        keep_resealed(store, &row, target.resealed.as_ref()).await;
        Ok(target)
    }

    /// The target of `row` (nothing is written).
    pub(crate) fn from_row(config: &Config, row: &SettingsRow) -> Result<Self, ApiError> {
        let (Some(tenant), Some(app_id)) = (&row.tenant_url, &row.app_id) else {
            return Err(not_configured());
        };
        let tenant = TenantUrl::parse(tenant, &config.tenant_policy)
            .map_err(|e| ApiError::invalid("tenant_url", e))?;
        let app_id = AppId::parse(app_id).map_err(|e| ApiError::invalid("app_id", e))?;
        let UsableAccess { access, resealed } = access_for(config, row, &tenant, &app_id)?;
        Ok(Self { tenant, app_id, access, resealed })
    }

    /// A client of this target.
    pub(crate) fn client(&self, config: ClientConfig) -> Client {
        client_of(&self.tenant, self.access.clone(), config)
    }
}

/// A Worker client of `tenant` calling with `access`.
fn client_of(tenant: &TenantUrl, access: OktaAccess, config: ClientConfig) -> Client {
    let credential = match access {
        OktaAccess::ApiToken(token) => OktaCredential::ApiToken(token),
        OktaAccess::ServiceApp(app) => {
            let ServiceAppAccess { client_id, keys } = *app;
            OktaCredential::ServiceApp(ServiceAppCredential::new(
                client_id.as_str(),
                keys.client,
                keys.dpop,
                unique_id,
            ))
        }
    };
    OktaClient::with_credential(
        tenant.origin().clone(),
        credential,
        WorkersFetch,
        WorkersClock,
        config,
    )
}

/// A `jti` for a client assertion or a `DPoP` proof: 16 random bytes, base64url. Okta refuses a
/// `jti` it has seen, so it must never repeat; 128 random bits do not.
fn unique_id() -> String {
    let mut bytes = [0_u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No randomness: a value Okta will refuse as a replay on its second use, rather than a
        // panic in the middle of a sync.
        console_error!("crypto.getRandomValues failed: the service app's jti is not random");
    }
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The configured Okta tenant as the use cases ask it, loaded only when they ask: a request that
/// needs no answer from Okta never reads the settings or opens the token.
pub(crate) struct OktaDirectory<'a> {
    pub(crate) config: &'a Config,
    pub(crate) store: &'a Store,
}

impl Directory for OktaDirectory<'_> {
    async fn find_users_by_email(
        &self,
        email: &str,
    ) -> Result<Vec<DirectoryUser>, DirectoryUnavailable> {
        let target =
            OktaTarget::load(self.config, self.store).await.map_err(|_| DirectoryUnavailable)?;
        // A person waits for this answer: one rate-limit retry at most.
        let client =
            target.client(ClientConfig { max_rate_limit_retries: 1, ..ClientConfig::default() });
        let users = client.find_users_by_email(email).await.map_err(|_| DirectoryUnavailable)?;
        // Every candidate, as Okta answered: the use case decides which one is this email's.
        Ok(users.into_iter().map(|u| DirectoryUser { id: u.id, email: u.profile.email }).collect())
    }
}

/// Test connection through Workers fetch, with a person waiting for its answer.
pub(crate) struct OktaConnectionTester;

impl ConnectionTester for OktaConnectionTester {
    async fn test_connection(
        &self,
        tenant: &TenantUrl,
        app_id: &AppId,
        access: OktaAccess,
    ) -> TestOktaConnectionResponse {
        // A person is waiting: few retries, short timeouts.
        let config = ClientConfig {
            request_timeout: Duration::from_secs(10),
            max_transient_retries: 1,
            max_rate_limit_retries: 0,
            ..ClientConfig::default()
        };
        connection_test::run(&client_of(tenant, access, config), app_id).await
    }
}

/// The credential the Worker would use for `tenant` and `app_id`: the deployment's token when
/// `tenant` is its tenant (and none for any other); else the stored service app or the stored
/// token, whichever the settings name, when it was saved for them.
pub(crate) fn access_for(
    config: &Config,
    row: &SettingsRow,
    tenant: &TenantUrl,
    app_id: &AppId,
) -> Result<UsableAccess, ApiError> {
    access_as(config, row, row.credential, tenant, app_id)
}

/// As [`access_for`], with the stored secret of `credential` rather than of the credential the
/// settings name (Test connection of the other credential, before the switch is saved).
pub(crate) fn access_as(
    config: &Config,
    row: &SettingsRow,
    credential: CredentialKind,
    tenant: &TenantUrl,
    app_id: &AppId,
) -> Result<UsableAccess, ApiError> {
    if let Some(deployment) = &config.deployment_okta {
        check_deployment_tenant(deployment, tenant)?;
        let access = OktaAccess::ApiToken(deployment.token.clone());
        return Ok(UsableAccess { access, resealed: None });
    }
    match credential {
        CredentialKind::ServiceApp => service_app_for(config, row),
        CredentialKind::ApiToken => token_for(config, row, tenant, app_id),
    }
}

/// The stored service app (tested with the stored tenant and App ID when it was saved).
fn service_app_for(config: &Config, row: &SettingsRow) -> Result<UsableAccess, ApiError> {
    let (Some(client_id), Some(stored)) = (&row.client_id, &row.app_key) else {
        return Err(not_configured());
    };
    let client_id = checked_client_id(client_id)?;
    let OpenedPair { keys, resealed } = open_pair(config, stored)?;
    let access = OktaAccess::ServiceApp(Box::new(ServiceAppAccess { client_id, keys }));
    Ok(UsableAccess { access, resealed: resealed.map(Resealed::AppKey) })
}

/// The stored token, when it was saved for `tenant` and `app_id`.
fn token_for(
    config: &Config,
    row: &SettingsRow,
    tenant: &TenantUrl,
    app_id: &AppId,
) -> Result<UsableAccess, ApiError> {
    if row.token_ciphertext.is_none() {
        return Err(not_configured());
    }
    // The stored token was tested against, and sealed for, the stored tenant and App ID only.
    // Compared before opening, so that a failure to open is about the key alone.
    if row.tenant_url.as_deref() != Some(tenant.as_str())
        || row.app_id.as_deref() != Some(app_id.as_str())
    {
        return Err(ApiError::client(
            ProblemCode::TokenRequired,
            "api_token: the stored token belongs to another tenant URL or App ID; enter the token again.",
        ));
    }
    let opened = open_stored(config, row)?;
    let resealed = match (&config.token_keys, opened.needs_reseal()) {
        (Some(keys), true) => keys.seal(&opened.token, tenant.as_str(), app_id.as_str()).ok(),
        _ => None,
    };
    Ok(UsableAccess {
        access: OktaAccess::ApiToken(opened.token),
        resealed: resealed.map(Resealed::Token),
    })
}

/// Saves the re-sealed secret, if any, in place of the one it was made from. A failure is only
/// logged: the stored value still reads with the previous key, and the next use tries again.
pub(crate) async fn keep_resealed(store: &Store, row: &SettingsRow, resealed: Option<&Resealed>) {
    let (column, resealed, sealed) = match resealed {
        Some(Resealed::Token(value)) => {
            (SealedColumn::Token, value.as_str(), row.token_ciphertext.as_deref())
        }
        Some(Resealed::AppKey(value)) => (
            SealedColumn::AppKey,
            value.as_str(),
            row.app_key.as_ref().map(|key| key.sealed.as_str()),
        ),
        None => return,
    };
    let Some(sealed) = sealed else { return };
    let action = match column {
        SealedColumn::Token => "settings.okta.token_resealed",
        SealedColumn::AppKey => "settings.okta.service_app_key_resealed",
    };
    // The audit row names the key id the secret is now sealed under (`v2:<kid>:…`), so an
    // operator sees when the rotation is done; the value itself is not recorded.
    let key_id = resealed.split(':').nth(1).unwrap_or_default();
    let system = Actor { name: "system".into(), kind: "system" };
    let audit = AuditRecord {
        actor: &system,
        action,
        target: Some("okta_settings".into()),
        before: None,
        after: Some(json!({ "key_id": key_id })),
    };
    let now = String::from(js_sys::Date::new_0().to_iso_string());
    if let Err(error) = store.reseal_okta_secret(column, sealed, resealed, &audit, &now).await {
        console_error!("sealing the stored Okta credential under the current key: {error}");
    }
}
