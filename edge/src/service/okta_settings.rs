//! Saving Settings → Okta API Access, and the decision it turns on: where the token comes from.
//!
//! A deployment's token wins, and only ever goes to the deployment's tenant; a typed token is
//! tested first and stored sealed only when the test passed; a tenant or App ID change without
//! a token needs the token again (the stored one was sealed for the old ones).

use groupsync_core::api::{
    CredentialKind, OktaSettingsResponse, ProblemCode, SealedWith, TokenSource, TokenStatus,
    UpdateOktaSettingsRequest,
};
use groupsync_core::domain::{AppId, ClientId, TenantUrl, TenantUrlPolicy};
use groupsync_core::okta::OktaToken;
use serde_json::json;

use crate::config::Config;
use crate::error::ApiError;
use crate::sealed_token::{self, KeyRole};
use crate::service::access::Principal;
use crate::service::okta_token::{
    check_deployment_tenant, checked_token, open_stored, resealed_on_save,
};
use crate::service::ports::{
    AuditRecord, ConnectionTester, KeyMaker, RateLimiter, SettingsRow, SettingsStore, StoredKey,
};
use crate::service::service_app::{
    self, OktaAccess, OpenedPair, Resealed, ServiceAppAccess, UsableAccess, checked_client_id,
    client_id_required, key_required, open_pair, sealing_keys,
};

/// The settings a superAdmin asked to save, parsed.
#[derive(Debug)]
pub struct SettingsChange {
    /// The tenant URL.
    pub tenant: TenantUrl,
    /// The App ID.
    pub app_id: AppId,
    /// The credential to use from now on, if the request says.
    pub credential: Option<CredentialKind>,
    /// A token typed on the screen, if any.
    pub typed_token: Option<OktaToken>,
    /// A service app's client id typed on the screen, if any.
    pub client_id: Option<ClientId>,
    /// Sync on or off, if the request says.
    pub sync_enabled: Option<bool>,
}

impl SettingsChange {
    /// Parses a request body under the tenant URL `policy`.
    ///
    /// # Errors
    ///
    /// `invalid_input` about `tenant_url`, `app_id` or `api_token`.
    pub fn parse(
        body: &UpdateOktaSettingsRequest,
        policy: &TenantUrlPolicy,
    ) -> Result<Self, ApiError> {
        let tenant = TenantUrl::parse(&body.tenant_url, policy)
            .map_err(|e| ApiError::invalid("tenant_url", e))?;
        let app_id = AppId::parse(&body.app_id).map_err(|e| ApiError::invalid("app_id", e))?;
        let typed_token = body.api_token.as_deref().map(checked_token).transpose()?;
        let client_id = body.client_id.as_deref().map(checked_client_id).transpose()?;
        Ok(Self {
            tenant,
            app_id,
            credential: body.credential,
            typed_token,
            client_id,
            sync_enabled: body.sync_enabled,
        })
    }
}

/// The ports [`update_okta_settings`] works through.
#[derive(Debug)]
pub struct SettingsPorts<'a, S, T, L> {
    /// Where the settings are stored.
    pub settings: &'a S,
    /// Okta's Test connection.
    pub okta: &'a T,
    /// The per-person limits.
    pub limits: &'a L,
}

/// Saves `change` on behalf of `principal`, and returns the settings as saved.
///
/// Tests the connection when a token comes with the change (or the deployment's token is to go
/// to a new target), and stores a typed token (sealed) only when the test passed.
///
/// Only a superAdmin may: the router checks that before the handler calls this, so the use
/// case does not check it again.
///
/// # Errors
///
/// `token_managed_by_deployment` for a typed token while the deployment sets one;
/// `deployment_tenant_mismatch` for another tenant than the deployment's; `okta_test_failed`
/// (nothing saved); `misconfigured` when tokens cannot be sealed; `token_required` when the
/// tenant or App ID changes without the token; `version_conflict` (nothing saved) when the
/// settings changed while the test ran; the rate limits' refusals.
pub async fn update_okta_settings(
    ports: SettingsPorts<'_, impl SettingsStore, impl ConnectionTester, impl RateLimiter>,
    config: &Config,
    principal: &Principal,
    change: SettingsChange,
    now: &str,
) -> Result<SettingsRow, ApiError> {
    let SettingsChange { tenant, app_id, credential, typed_token, client_id, sync_enabled } =
        change;
    let actor = ports.limits.admit_write(principal).await?;
    let before = ports.settings.okta_settings().await?;
    let mut after = before.clone();
    let credential = credential.unwrap_or(before.credential);
    let target_changed = before.tenant_url.as_deref() != Some(tenant.as_str())
        || before.app_id.as_deref() != Some(app_id.as_str());
    let credential_changed = credential != before.credential;
    if let Some(deployment) = &config.deployment_okta {
        if typed_token.is_some() || credential == CredentialKind::ServiceApp {
            return Err(ApiError::client(
                ProblemCode::TokenManagedByDeployment,
                "The API token is set by the deployment (OKTA_API_TOKEN) and cannot be changed here.",
            ));
        }
        // Checked whether or not the target changed: the stored tenant is what the sync sends
        // the token to.
        check_deployment_tenant(deployment, &tenant)?;
        if target_changed {
            let access = OktaAccess::ApiToken(deployment.token.clone());
            test_or_refuse(ports.okta, &tenant, &app_id, access).await?;
        }
    } else if credential == CredentialKind::ServiceApp {
        if typed_token.is_some() {
            return Err(ApiError::invalid(
                "api_token",
                "an API token is not used with the service app credential; choose api_token to save one.",
            ));
        }
        let pending = before.pending_key.is_some();
        let ServiceAppToTest { app, resealed } = service_app_of(config, &before, client_id)?;
        let client_id = app.client_id.clone();
        let client_id_changed = before.client_id.as_deref() != Some(client_id.as_str());
        if pending || credential_changed || target_changed || client_id_changed {
            ports.limits.admit_okta_test(&actor.name).await?;
            test_or_refuse(ports.okta, &tenant, &app_id, OktaAccess::ServiceApp(Box::new(app)))
                .await?;
        }
        if pending {
            after.app_key = after.pending_key.take();
        }
        // A save is one of the moments a key rotation completes (see the README's procedure):
        // the key pair tested (now the saved one) and the stored token, read with the previous
        // encryption key, are sealed under the current one.
        if let (Some(key), Some(resealed)) = (after.app_key.as_mut(), resealed) {
            key.sealed = resealed;
        }
        if let Some(resealed) = resealed_on_save(config, &before) {
            after.token_ciphertext = Some(resealed);
        }
        after.client_id = Some(client_id.as_str().to_owned());
    } else if let Some(token) = typed_token {
        ports.limits.admit_okta_test(&actor.name).await?;
        test_or_refuse(ports.okta, &tenant, &app_id, OktaAccess::ApiToken(token.clone())).await?;
        let keys = sealing_keys(config)?;
        let sealed = keys
            .seal(&token, tenant.as_str(), app_id.as_str())
            .map_err(|e| ApiError::client(ProblemCode::Internal, e.to_string()))?;
        after.token_ciphertext = Some(sealed);
        after.token_last4 = Some(sealed_token::last4(&token));
        after.token_set_by = Some(actor.name.clone());
        after.token_set_at = Some(now.to_owned());
    } else if credential_changed || (target_changed && before.token_ciphertext.is_some()) {
        // The stored token was sealed for the old target; and one that has not been used for a
        // while (the service app was) is tested again rather than trusted.
        return Err(ApiError::about_field(
            ProblemCode::TokenRequired,
            "api_token",
            "changing the tenant URL, the App ID or the credential requires the API token again.",
        ));
    } else if let Some(resealed) = resealed_on_save(config, &before) {
        // Saving is one of the moments a key rotation completes (see the README's procedure):
        // the token, read with the previous key, is sealed under the current one.
        after.token_ciphertext = Some(resealed);
    }
    after.credential = credential;
    after.tenant_url = Some(tenant.as_str().to_owned());
    after.app_id = Some(app_id.as_str().to_owned());
    if let Some(sync_enabled) = sync_enabled {
        after.sync_enabled = i64::from(sync_enabled);
    }
    after.updated_by = Some(actor.name.clone());
    after.updated_at = Some(now.to_owned());
    let audit = AuditRecord {
        before: Some(audit_view(&before)),
        after: Some(audit_view(&after)),
        ..AuditRecord::of(&actor, "settings.okta.updated", "okta_settings")
    };
    saved_unless_changed(ports.settings.save_okta_settings(&after, &audit, now).await?)?;
    Ok(SettingsRow { version: after.version + 1, ..after })
}

/// A save that found the settings changed since it read them (a key pair made, or another save
/// landed, while it waited for Okta) wrote nothing, and says so.
fn saved_unless_changed(saved: bool) -> Result<(), ApiError> {
    if saved {
        return Ok(());
    }
    Err(ApiError::client(
        ProblemCode::VersionConflict,
        "The Okta settings changed while this was being saved (a key pair was made, or someone else saved them); nothing was saved. Read them again and retry.",
    ))
}

/// The ports [`make_service_app_key`] works through.
#[derive(Debug)]
pub struct KeyPorts<'a, S, L, K> {
    /// Where the settings are stored.
    pub settings: &'a S,
    /// The per-person limits.
    pub limits: &'a L,
    /// Where key pairs come from.
    pub keys: &'a K,
}

/// Makes a key pair for the service app on behalf of `principal`, and keeps it as the pending key.
///
/// It is sealed, and replaces an earlier pending one. The key in use stays until a save with the
/// new one passes its connection test, so making a key never breaks a working connection.
///
/// Only a superAdmin may (the router checks).
///
/// # Errors
///
/// `token_managed_by_deployment` while the deployment sets the token; `misconfigured` without
/// `TOKEN_ENCRYPTION_KEY` (checked before a key is made); `version_conflict` when a save landed
/// meanwhile; the write limit's refusal.
pub async fn make_service_app_key(
    ports: KeyPorts<'_, impl SettingsStore, impl RateLimiter, impl KeyMaker>,
    config: &Config,
    principal: &Principal,
    now: &str,
) -> Result<StoredKey, ApiError> {
    if config.deployment_okta.is_some() {
        return Err(ApiError::client(
            ProblemCode::TokenManagedByDeployment,
            "The deployment sets the API token (OKTA_API_TOKEN), so a service app cannot be set up here.",
        ));
    }
    sealing_keys(config)?;
    let actor = ports.limits.admit_write(principal).await?;
    let made = ports.keys.new_key_pair().await?.seal(config, &actor.name, now)?;
    let before = ports.settings.okta_settings().await?;
    let after = SettingsRow { pending_key: Some(made.clone()), ..before };
    let audit = AuditRecord {
        after: Some(json!({ "kid": made.kid })),
        ..AuditRecord::of(&actor, "settings.okta.service_app_key_made", "okta_settings")
    };
    saved_unless_changed(ports.settings.save_okta_settings(&after, &audit, now).await?)?;
    Ok(made)
}

/// The service app a Test connection tries: `typed` or the saved client id, with the pending
/// key (the one a save would test) or else the saved key.
///
/// # Errors
///
/// `token_required` about `client_id` or `service_app_key` when either is missing; those of
/// [`open_pair`].
pub fn service_app_to_test(
    config: &Config,
    row: &SettingsRow,
    typed: Option<ClientId>,
) -> Result<UsableAccess, ApiError> {
    let pending = row.pending_key.is_some();
    let ServiceAppToTest { app, resealed } = service_app_of(config, row, typed)?;
    // Only the saved key is re-sealed in place by a test; a pending one is when it is saved.
    let resealed = resealed.filter(|_| !pending).map(Resealed::AppKey);
    Ok(UsableAccess { access: OktaAccess::ServiceApp(Box::new(app)), resealed })
}

/// The service app a save or a test tries, and its key pair sealed anew when it was sealed with
/// the previous encryption key.
struct ServiceAppToTest {
    app: ServiceAppAccess,
    resealed: Option<String>,
}

/// See [`service_app_to_test`].
fn service_app_of(
    config: &Config,
    row: &SettingsRow,
    typed: Option<ClientId>,
) -> Result<ServiceAppToTest, ApiError> {
    let client_id = match typed {
        Some(id) => id,
        None => row
            .client_id
            .as_deref()
            .map(checked_client_id)
            .transpose()?
            .ok_or_else(client_id_required)?,
    };
    let stored = row.pending_key.as_ref().or(row.app_key.as_ref()).ok_or_else(key_required)?;
    let OpenedPair { keys, resealed } = open_pair(config, stored)?;
    Ok(ServiceAppToTest { app: ServiceAppAccess { client_id, keys }, resealed })
}

/// The settings as the screen shows them: the token only as where it comes from, its last four
/// characters, who set it and when, and whether it can be opened (never its value).
pub fn describe_settings(config: &Config, row: &SettingsRow) -> OktaSettingsResponse {
    let token = match &config.deployment_okta {
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
            let (problem, sealed_with) = match open_stored(config, row) {
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
        credential: if config.deployment_okta.is_some() {
            CredentialKind::ApiToken
        } else {
            row.credential
        },
        token,
        service_app: service_app::describe(config, row),
        sync_enabled: row.sync_enabled != 0,
        updated_by: row.updated_by.clone(),
        updated_at: row.updated_at.clone(),
        read_only: config.deployment_okta.is_some(),
    }
}

/// Runs Test connection, and refuses (nothing saved) when it fails.
async fn test_or_refuse(
    okta: &impl ConnectionTester,
    tenant: &TenantUrl,
    app_id: &AppId,
    access: OktaAccess,
) -> Result<(), ApiError> {
    let result = okta.test_connection(tenant, app_id, access).await;
    if result.ok {
        Ok(())
    } else {
        Err(ApiError::client(
            ProblemCode::OktaTestFailed,
            format!("Nothing was saved. {}", result.message),
        ))
    }
}

/// The settings as the audit log records them: the token only as "configured, ends in …".
fn audit_view(row: &SettingsRow) -> serde_json::Value {
    json!({
        "tenant_url": row.tenant_url,
        "app_id": row.app_id,
        "token_configured": row.token_ciphertext.is_some(),
        "token_last4": row.token_last4,
        "credential": row.credential,
        "client_id": row.client_id,
        "service_app_kid": row.app_key.as_ref().map(|key| key.kid.as_str()),
        "sync_enabled": row.sync_enabled != 0,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::config::{
        ConfigSource, OKTA_API_TOKEN, OKTA_TENANT_URL, TOKEN_ENCRYPTION_KEY,
        TOKEN_ENCRYPTION_KEY_PREVIOUS,
    };
    use crate::sealed_token::TokenKeys;
    use crate::service::fakes::{
        FakeConnectionTester, FakeKeyMaker, FakeRateLimiter, FakeSettings, config_of,
    };
    use crate::service::service_app::{open_pair, test_keys};
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use groupsync_core::api::TestOktaConnectionResponse;

    const NOW: &str = "2026-11-30T16:40:12.345Z";
    const TENANT: &str = "https://acme.okta.com";
    const APP: &str = "0oa1abcdefghijklmnop";
    const TOKEN: &str = "00abcdefghijklmnopqrstuvwxyz0123456789wxyz";
    const DEPLOYMENT_TOKEN: &str = "00deploymentdeploymentdeploymentdepl1234";

    struct Source(HashMap<&'static str, String>);

    impl ConfigSource for Source {
        fn get(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned()
        }
    }

    /// A production configuration that seals typed tokens.
    fn sealing() -> Config {
        let key = STANDARD.encode([7_u8; 32]);
        Config::load(&Source(HashMap::from([(TOKEN_ENCRYPTION_KEY, key)]))).expect("a config")
    }

    /// A production configuration whose deployment sets the token (`DEPLOYMENT_TOKEN`), for
    /// `TENANT`.
    fn deployment() -> Config {
        let source = Source(HashMap::from([
            (OKTA_API_TOKEN, DEPLOYMENT_TOKEN.to_owned()),
            (OKTA_TENANT_URL, TENANT.to_owned()),
        ]));
        Config::load(&source).expect("a config")
    }

    fn change(config: &Config, tenant: &str, token: Option<&str>) -> SettingsChange {
        let body = UpdateOktaSettingsRequest {
            tenant_url: tenant.into(),
            app_id: APP.into(),
            credential: None,
            api_token: token.map(str::to_owned),
            client_id: None,
            sync_enabled: Some(true),
        };
        SettingsChange::parse(&body, &config.tenant_policy).expect("valid values")
    }

    fn root() -> Principal {
        Principal::person("root@example.com".into(), "sub".into(), true, Vec::new())
    }

    async fn save(
        settings: &FakeSettings,
        okta: &FakeConnectionTester,
        config: &Config,
        change: SettingsChange,
    ) -> Result<SettingsRow, ApiError> {
        let limits = FakeRateLimiter::open();
        let ports = SettingsPorts { settings, okta, limits: &limits };
        update_okta_settings(ports, config, &root(), change, NOW).await
    }

    fn code(error: ApiError) -> String {
        error.to_problem().code
    }

    #[tokio::test]
    async fn a_typed_token_is_stored_sealed_after_its_test_passed() {
        let (settings, okta, config) =
            (FakeSettings::default(), FakeConnectionTester::passing(), sealing());
        let saved = save(&settings, &okta, &config, change(&config, TENANT, Some(TOKEN))).await;
        let saved = saved.expect("saved");
        let tested = okta.tested();
        assert!(tested.len() == 1 && tested[0].contains("acme.okta.com"), "{tested:?}");
        assert_eq!(okta.tokens_tested(), ["wxyz"], "the typed token was tested");
        let opened = open_stored(&config, &saved).expect("the stored value opens");
        assert_eq!(opened.token.expose(), TOKEN, "it is the typed token, sealed");
        let other_app =
            SettingsRow { app_id: Some("0oa9zyxwvutsrqponmlk".into()), ..saved.clone() };
        let problem = open_stored(&config, &other_app).unwrap_err().to_problem();
        assert_eq!(problem.code, "token_required", "sealed for this App ID only");
        assert_eq!(saved.token_last4.as_deref(), Some("wxyz"));
        assert_eq!(saved.token_set_by.as_deref(), Some("root@example.com"));
        assert_eq!((saved.sync_enabled, saved.updated_at.as_deref()), (1, Some(NOW)));
        assert_eq!(settings.row(), saved);
        let audit = settings.audit();
        assert_eq!(audit[0].action, "settings.okta.updated");
        let after = audit[0].after.clone().expect("an after state").to_string();
        assert!(after.contains("\"token_configured\":true") && !after.contains(TOKEN), "{after}");
    }

    #[tokio::test]
    async fn a_failed_test_saves_nothing() {
        let (settings, okta, config) =
            (FakeSettings::default(), FakeConnectionTester::failing(), sealing());
        let error = save(&settings, &okta, &config, change(&config, TENANT, Some(TOKEN))).await;
        let problem = error.unwrap_err().to_problem();
        assert_eq!(problem.code, "okta_test_failed");
        assert!(problem.detail.starts_with("Nothing was saved. "), "{}", problem.detail);
        assert_eq!(settings.row(), SettingsRow::default());
        assert!(settings.audit().is_empty());
    }

    #[tokio::test]
    async fn without_an_encryption_key_a_typed_token_is_not_stored() {
        let config = Config::load(&Source(HashMap::new())).expect("a config");
        let settings = FakeSettings::default();
        let error = save(
            &settings,
            &FakeConnectionTester::passing(),
            &config,
            change(&config, TENANT, Some(TOKEN)),
        )
        .await;
        assert_eq!(code(error.unwrap_err()), "misconfigured");
        assert!(settings.audit().is_empty());
    }

    #[tokio::test]
    async fn the_deployment_token_is_not_replaced_by_a_typed_one() {
        let (settings, okta, config) =
            (FakeSettings::default(), FakeConnectionTester::passing(), deployment());
        let error = save(&settings, &okta, &config, change(&config, TENANT, Some(TOKEN))).await;
        assert_eq!(code(error.unwrap_err()), "token_managed_by_deployment");
        assert!(okta.tested().is_empty());
    }

    #[tokio::test]
    async fn the_deployment_token_never_goes_to_another_tenant() {
        let (settings, okta, config) =
            (FakeSettings::default(), FakeConnectionTester::passing(), deployment());
        let other = change(&config, "https://other.okta.com", None);
        let error = save(&settings, &okta, &config, other).await;
        assert_eq!(code(error.unwrap_err()), "deployment_tenant_mismatch");
        assert!(okta.tested().is_empty(), "no request left for the other tenant");
        let saved = save(&settings, &okta, &config, change(&config, TENANT, None)).await;
        assert_eq!(saved.expect("saved").token_ciphertext, None, "its token is never stored");
        assert_eq!(okta.tested().len(), 1, "a new target is tested");
        assert_eq!(okta.tokens_tested(), ["1234"], "with the deployment's token");
    }

    #[tokio::test]
    async fn a_new_tenant_without_the_token_needs_the_token_again() {
        let (okta, config) = (FakeConnectionTester::passing(), sealing());
        let settings = FakeSettings::default();
        save(&settings, &okta, &config, change(&config, TENANT, Some(TOKEN))).await.expect("saved");
        let error =
            save(&settings, &okta, &config, change(&config, "https://other.okta.com", None)).await;
        let problem = error.unwrap_err().to_problem();
        assert_eq!(
            (problem.code.as_str(), problem.field.as_deref()),
            ("token_required", Some("api_token"))
        );
        assert_eq!(settings.row().tenant_url.as_deref(), Some(TENANT));
    }

    #[tokio::test]
    async fn the_sync_switch_alone_is_saved_without_a_test() {
        let (okta, config) = (FakeConnectionTester::passing(), sealing());
        let settings = FakeSettings::default();
        let first = save(&settings, &okta, &config, change(&config, TENANT, Some(TOKEN))).await;
        let first = first.expect("saved");
        let again =
            save(&settings, &okta, &config, change(&config, TENANT, None)).await.expect("saved");
        assert_eq!(okta.tested().len(), 1, "only the typed token was tested");
        assert_eq!(again.token_ciphertext, first.token_ciphertext, "the stored token stays");
    }

    #[tokio::test]
    async fn only_a_typed_token_counts_against_the_okta_test_limit() {
        let (settings, okta, config) =
            (FakeSettings::default(), FakeConnectionTester::passing(), sealing());
        let limits = FakeRateLimiter::open();
        for token in [Some(TOKEN), None] {
            let ports = SettingsPorts { settings: &settings, okta: &okta, limits: &limits };
            let change = change(&config, TENANT, token);
            update_okta_settings(ports, &config, &root(), change, NOW).await.expect("saved");
        }
        assert_eq!((limits.admitted(), limits.okta_tests()), (2, 1));
    }

    #[tokio::test]
    async fn the_screen_says_where_the_token_comes_from_and_never_shows_it() {
        let (settings, okta, config) =
            (FakeSettings::default(), FakeConnectionTester::passing(), sealing());
        let empty = describe_settings(&config, &settings.row());
        assert_eq!((empty.token.configured, empty.token.source), (false, TokenSource::None));
        save(&settings, &okta, &config, change(&config, TENANT, Some(TOKEN))).await.expect("saved");
        let stored = describe_settings(&config, &settings.row());
        assert_eq!(stored.token.source, TokenSource::Stored);
        assert_eq!(stored.token.last4.as_deref(), Some("wxyz"));
        assert_eq!(
            (stored.token.sealed_with, stored.token.problem.clone()),
            (Some(SealedWith::Current), None)
        );
        assert!(!serde_json::to_string(&stored).expect("json").contains(TOKEN));
        let without_key = Config::load(&Source(HashMap::new())).expect("a config");
        let unreadable = describe_settings(&without_key, &settings.row());
        let problem = unreadable.token.problem.expect("the key is gone");
        assert_eq!(problem.code, "token_key_changed");
        let deployed = describe_settings(&deployment(), &SettingsRow::default());
        assert_eq!(deployed.token.source, TokenSource::Deployment);
        assert!(deployed.read_only && deployed.token.configured);
    }

    #[tokio::test]
    async fn a_used_up_limit_refuses_before_anything_is_read_or_tested() {
        let (settings, okta, config) =
            (FakeSettings::default(), FakeConnectionTester::passing(), sealing());
        let limits = FakeRateLimiter::used_up();
        let ports = SettingsPorts { settings: &settings, okta: &okta, limits: &limits };
        let error = update_okta_settings(
            ports,
            &config,
            &root(),
            change(&config, TENANT, Some(TOKEN)),
            NOW,
        )
        .await;
        assert_eq!(code(error.unwrap_err()), "rate_limited");
        assert!(okta.tested().is_empty() && settings.audit().is_empty());
    }

    #[tokio::test]
    async fn a_save_counts_against_the_write_limit_before_its_refusals() {
        // Pins today's order (see `RateLimiter`): the write is counted first, so each refusal
        // below has used one; only a typed token also counts an Okta test.
        let stored = FakeSettings::default();
        let passing = FakeConnectionTester::passing();
        save(&stored, &passing, &sealing(), change(&sealing(), TENANT, Some(TOKEN)))
            .await
            .expect("saved");
        let cases = [
            (&stored, &passing, sealing(), "https://other.okta.com", None, "token_required", 0),
            (
                &FakeSettings::default(),
                &FakeConnectionTester::failing(),
                sealing(),
                TENANT,
                Some(TOKEN),
                "okta_test_failed",
                1,
            ),
            (
                &FakeSettings::default(),
                &passing,
                deployment(),
                "https://other.okta.com",
                None,
                "deployment_tenant_mismatch",
                0,
            ),
            (
                &FakeSettings::default(),
                &passing,
                deployment(),
                TENANT,
                Some(TOKEN),
                "token_managed_by_deployment",
                0,
            ),
        ];
        for (settings, okta, config, tenant, token, expected, okta_tests) in cases {
            let limits = FakeRateLimiter::open();
            let ports = SettingsPorts { settings, okta, limits: &limits };
            let change = change(&config, tenant, token);
            let error = update_okta_settings(ports, &config, &root(), change, NOW).await;
            assert_eq!(code(error.unwrap_err()), expected);
            assert_eq!((limits.admitted(), limits.okta_tests()), (1, okta_tests), "{expected}");
        }
    }

    #[tokio::test]
    async fn saving_during_a_key_rotation_reseals_the_token_under_the_current_key() {
        let old_key = [1_u8; 32];
        let new_key = [2_u8; 32];
        let sealed = TokenKeys::new(old_key, None)
            .seal(&OktaToken::new(TOKEN), TENANT, APP)
            .expect("sealed");
        let before = SettingsRow {
            tenant_url: Some(TENANT.into()),
            app_id: Some(APP.into()),
            token_ciphertext: Some(sealed.clone()),
            token_last4: Some("wxyz".into()),
            ..SettingsRow::default()
        };
        let settings = FakeSettings::with_row(before);
        let okta = FakeConnectionTester::passing();
        let rotating = config_of(&[
            (TOKEN_ENCRYPTION_KEY, STANDARD.encode(new_key)),
            (TOKEN_ENCRYPTION_KEY_PREVIOUS, STANDARD.encode(old_key)),
        ]);
        let saved = save(&settings, &okta, &rotating, change(&rotating, TENANT, None))
            .await
            .expect("saved");
        assert!(okta.tested().is_empty(), "the same target needs no test");
        assert_ne!(saved.token_ciphertext.as_deref(), Some(sealed.as_str()), "sealed again");
        let rotated = config_of(&[(TOKEN_ENCRYPTION_KEY, STANDARD.encode(new_key))]);
        let opened = open_stored(&rotated, &settings.row()).expect("opens with the new key alone");
        assert_eq!((opened.token.expose(), opened.key), (TOKEN, KeyRole::Current));
        assert_eq!(settings.row().token_last4.as_deref(), Some("wxyz"));
    }

    const CLIENT: &str = "0oa9s8r7q6p5o4n3m2l1";

    /// Makes a key pair through the use case.
    async fn make_key(
        settings: &FakeSettings,
        keys: &FakeKeyMaker,
        config: &Config,
    ) -> Result<StoredKey, ApiError> {
        let limits = FakeRateLimiter::open();
        let ports = KeyPorts { settings, limits: &limits, keys };
        make_service_app_key(ports, config, &root(), NOW).await
    }

    /// A change to the service app with `client_id`, if any.
    fn to_service_app(config: &Config, client_id: Option<&str>) -> SettingsChange {
        let body = UpdateOktaSettingsRequest {
            tenant_url: TENANT.into(),
            app_id: APP.into(),
            credential: Some(CredentialKind::ServiceApp),
            api_token: None,
            client_id: client_id.map(str::to_owned),
            sync_enabled: Some(true),
        };
        SettingsChange::parse(&body, &config.tenant_policy).expect("valid values")
    }

    #[tokio::test]
    async fn a_made_key_waits_as_pending_until_a_save_with_it_passes_the_test() {
        let (settings, keys, config) =
            (FakeSettings::default(), FakeKeyMaker::default(), sealing());
        let made = make_key(&settings, &keys, &config).await.expect("made");
        assert_eq!(settings.row().pending_key.as_ref().map(|k| &k.kid), Some(&made.kid));
        assert_eq!(settings.row().credential, CredentialKind::ApiToken, "nothing switched yet");
        assert_eq!(settings.audit()[0].action, "settings.okta.service_app_key_made");
        let failing = FakeConnectionTester::failing();
        let refused =
            save(&settings, &failing, &config, to_service_app(&config, Some(CLIENT))).await;
        assert_eq!(code(refused.unwrap_err()), "okta_test_failed");
        assert_eq!(settings.row().app_key, None, "a failed test saves nothing");
        assert!(settings.row().pending_key.is_some(), "the pending key stays for another try");
        let passing = FakeConnectionTester::passing();
        let saved = save(&settings, &passing, &config, to_service_app(&config, Some(CLIENT)))
            .await
            .expect("saved");
        assert_eq!(passing.tokens_tested(), [format!("app {CLIENT} key {}", made.kid)]);
        assert_eq!(saved.credential, CredentialKind::ServiceApp);
        assert_eq!(saved.client_id.as_deref(), Some(CLIENT));
        assert_eq!(saved.app_key.as_ref().map(|k| &k.kid), Some(&made.kid), "promoted");
        assert_eq!(saved.pending_key, None);
        let shown = describe_settings(&config, &saved);
        assert_eq!(shown.credential, CredentialKind::ServiceApp);
        let key = shown.service_app.key.clone().expect("the saved key is shown");
        assert_eq!(
            (key.kid.as_str(), key.created_by.as_deref()),
            (made.kid.as_str(), Some("root@example.com"))
        );
        assert!(!serde_json::to_string(&shown).expect("json").contains(&made.sealed));
    }

    /// Okta's Test connection, during which an admin makes a new key pair (a second tab, say).
    struct KeyMadeDuringTheTest<'a> {
        settings: &'a FakeSettings,
        keys: &'a FakeKeyMaker,
        config: &'a Config,
        okta: FakeConnectionTester,
    }

    impl ConnectionTester for KeyMadeDuringTheTest<'_> {
        async fn test_connection(
            &self,
            tenant: &TenantUrl,
            app_id: &AppId,
            access: OktaAccess,
        ) -> TestOktaConnectionResponse {
            make_key(self.settings, self.keys, self.config).await.expect("made");
            self.okta.test_connection(tenant, app_id, access).await
        }
    }

    #[tokio::test]
    async fn a_key_made_while_a_save_waits_for_okta_is_kept_and_the_save_refused() {
        let (settings, keys, config) =
            (FakeSettings::default(), FakeKeyMaker::default(), sealing());
        let tested = make_key(&settings, &keys, &config).await.expect("made");
        let okta = KeyMadeDuringTheTest {
            settings: &settings,
            keys: &keys,
            config: &config,
            okta: FakeConnectionTester::passing(),
        };
        let limits = FakeRateLimiter::open();
        let ports = SettingsPorts { settings: &settings, okta: &okta, limits: &limits };
        let change = to_service_app(&config, Some(CLIENT));
        let refused = update_okta_settings(ports, &config, &root(), change, NOW).await;
        assert_eq!(code(refused.unwrap_err()), "version_conflict");
        let row = settings.row();
        assert_ne!(row.pending_key.as_ref().map(|k| &k.kid), Some(&tested.kid));
        assert!(row.pending_key.is_some(), "the key made meanwhile is kept, as its admin saw it");
        assert_eq!(
            (row.credential, row.app_key),
            (CredentialKind::ApiToken, None),
            "nothing saved"
        );
        let actions: Vec<_> = settings.audit().iter().map(|a| a.action).collect();
        assert_eq!(actions, ["settings.okta.service_app_key_made"; 2], "no save audited");
    }

    #[tokio::test]
    async fn saving_the_service_app_during_a_key_rotation_reseals_its_key_pair_and_the_token() {
        let (old_key, new_key) = ([1_u8; 32], [2_u8; 32]);
        let old = config_of(&[(TOKEN_ENCRYPTION_KEY, STANDARD.encode(old_key))]);
        let sealed_token = TokenKeys::new(old_key, None)
            .seal(&OktaToken::new(TOKEN), TENANT, APP)
            .expect("sealed");
        let sealed_pair = test_keys::pair().seal(&old, "root@example.com", NOW).expect("sealed");
        let settings = FakeSettings::with_row(SettingsRow {
            tenant_url: Some(TENANT.into()),
            app_id: Some(APP.into()),
            token_ciphertext: Some(sealed_token),
            credential: CredentialKind::ServiceApp,
            client_id: Some(CLIENT.into()),
            app_key: Some(sealed_pair.clone()),
            ..SettingsRow::default()
        });
        let rotating = config_of(&[
            (TOKEN_ENCRYPTION_KEY, STANDARD.encode(new_key)),
            (TOKEN_ENCRYPTION_KEY_PREVIOUS, STANDARD.encode(old_key)),
        ]);
        let okta = FakeConnectionTester::passing();
        save(&settings, &okta, &rotating, to_service_app(&rotating, None)).await.expect("saved");
        assert!(okta.tested().is_empty(), "nothing new to test");
        let rotated = config_of(&[(TOKEN_ENCRYPTION_KEY, STANDARD.encode(new_key))]);
        let row = settings.row();
        let pair = row.app_key.as_ref().expect("the key pair stays");
        assert_eq!(pair.kid, sealed_pair.kid);
        assert_ne!(pair.sealed, sealed_pair.sealed, "sealed again");
        open_pair(&rotated, pair).expect("the pair opens with the new key alone");
        let token = open_stored(&rotated, &row).expect("the token opens with the new key alone");
        assert_eq!(token.token.expose(), TOKEN);
    }

    #[tokio::test]
    async fn a_new_key_does_not_replace_the_working_one_until_tested() {
        let (settings, keys, config) =
            (FakeSettings::default(), FakeKeyMaker::default(), sealing());
        let first = make_key(&settings, &keys, &config).await.expect("made");
        let passing = FakeConnectionTester::passing();
        save(&settings, &passing, &config, to_service_app(&config, Some(CLIENT)))
            .await
            .expect("saved");
        let second = make_key(&settings, &keys, &config).await.expect("made");
        assert_ne!(first.kid, second.kid);
        let row = settings.row();
        assert_eq!(row.app_key.as_ref().map(|k| &k.kid), Some(&first.kid), "still the working key");
        let shown = describe_settings(&config, &row).service_app;
        assert_eq!(shown.pending_key.map(|k| k.kid), Some(second.kid.clone()));
        // Saving again (same client id) tests the pending key, then uses it.
        save(&settings, &passing, &config, to_service_app(&config, None)).await.expect("saved");
        assert_eq!(
            passing.tokens_tested().last(),
            Some(&format!("app {CLIENT} key {}", second.kid))
        );
        assert_eq!(settings.row().app_key.map(|k| k.kid), Some(second.kid));
        // Nothing new to test: the switch alone is saved without one.
        save(&settings, &passing, &config, to_service_app(&config, None)).await.expect("saved");
        assert_eq!(passing.tokens_tested().len(), 2);
    }

    #[tokio::test]
    async fn the_service_app_needs_a_key_and_a_client_id_and_names_which() {
        let (settings, keys, config) =
            (FakeSettings::default(), FakeKeyMaker::default(), sealing());
        let okta = FakeConnectionTester::passing();
        let problem = save(&settings, &okta, &config, to_service_app(&config, Some(CLIENT)))
            .await
            .unwrap_err()
            .to_problem();
        assert_eq!(
            (problem.code.as_str(), problem.field.as_deref()),
            ("token_required", Some("service_app_key"))
        );
        make_key(&settings, &keys, &config).await.expect("made");
        let problem = save(&settings, &okta, &config, to_service_app(&config, None))
            .await
            .unwrap_err()
            .to_problem();
        assert_eq!(
            (problem.code.as_str(), problem.field.as_deref()),
            ("token_required", Some("client_id"))
        );
        assert!(okta.tested().is_empty(), "nothing was tested");
        let body = UpdateOktaSettingsRequest {
            client_id: Some("0oa&scope=okta.users.manage".into()),
            ..UpdateOktaSettingsRequest {
                tenant_url: TENANT.into(),
                app_id: APP.into(),
                credential: Some(CredentialKind::ServiceApp),
                api_token: None,
                client_id: None,
                sync_enabled: None,
            }
        };
        let problem = SettingsChange::parse(&body, &config.tenant_policy).unwrap_err().to_problem();
        assert_eq!(
            (problem.code.as_str(), problem.field.as_deref()),
            ("invalid_input", Some("client_id"))
        );
    }

    #[tokio::test]
    async fn a_deployment_token_leaves_no_room_for_a_service_app() {
        let (settings, keys, config) =
            (FakeSettings::default(), FakeKeyMaker::default(), deployment());
        let error = make_key(&settings, &keys, &config).await.unwrap_err();
        assert_eq!(code(error), "token_managed_by_deployment");
        assert_eq!(keys.made(), 0, "no key was made");
        let okta = FakeConnectionTester::passing();
        let error = save(&settings, &okta, &config, to_service_app(&config, Some(CLIENT))).await;
        assert_eq!(code(error.unwrap_err()), "token_managed_by_deployment");
        let without_key = Config::load(&Source(HashMap::new())).expect("a config");
        let error = make_key(&settings, &keys, &without_key).await.unwrap_err();
        assert_eq!(code(error), "misconfigured");
        assert_eq!(keys.made(), 0, "checked before a key is made");
    }

    #[tokio::test]
    async fn switching_back_to_the_api_token_needs_the_token_again() {
        let (settings, keys, config) =
            (FakeSettings::default(), FakeKeyMaker::default(), sealing());
        let okta = FakeConnectionTester::passing();
        save(&settings, &okta, &config, change(&config, TENANT, Some(TOKEN))).await.expect("saved");
        make_key(&settings, &keys, &config).await.expect("made");
        save(&settings, &okta, &config, to_service_app(&config, Some(CLIENT)))
            .await
            .expect("saved");
        let back = SettingsChange {
            credential: Some(CredentialKind::ApiToken),
            ..change(&config, TENANT, None)
        };
        let problem = save(&settings, &okta, &config, back).await.unwrap_err().to_problem();
        assert_eq!(
            (problem.code.as_str(), problem.field.as_deref()),
            ("token_required", Some("api_token"))
        );
        assert_eq!(settings.row().credential, CredentialKind::ServiceApp, "unchanged");
        let with_token = SettingsChange {
            credential: Some(CredentialKind::ApiToken),
            ..change(&config, TENANT, Some(TOKEN))
        };
        let saved = save(&settings, &okta, &config, with_token).await.expect("saved");
        assert_eq!(saved.credential, CredentialKind::ApiToken);
        assert!(saved.app_key.is_some(), "the service app stays set up, to switch back to");
    }
}
