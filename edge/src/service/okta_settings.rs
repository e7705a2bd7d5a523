//! Saving Settings → Okta API Access, and the decision it turns on: where the token comes from.
//!
//! A deployment's token wins, and only ever goes to the deployment's tenant; a typed token is
//! tested first and stored sealed only when the test passed; a tenant or App ID change without
//! a token needs the token again (the stored one was sealed for the old ones).

use groupsync_core::api::{
    CredentialKind, OktaSettingsResponse, ProblemCode, SealedWith, ServiceAppStatus, TokenSource,
    TokenStatus, UpdateOktaSettingsRequest,
};
use groupsync_core::domain::{AppId, TenantUrl, TenantUrlPolicy};
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
    AuditRecord, ConnectionTester, RateLimiter, SettingsRow, SettingsStore,
};

/// The settings a superAdmin asked to save, parsed.
#[derive(Debug)]
pub struct SettingsChange {
    /// The tenant URL.
    pub tenant: TenantUrl,
    /// The App ID.
    pub app_id: AppId,
    /// A token typed on the screen, if any.
    pub typed_token: Option<OktaToken>,
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
        Ok(Self { tenant, app_id, typed_token, sync_enabled: body.sync_enabled })
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
/// tenant or App ID changes without the token; the rate limits' refusals.
pub async fn update_okta_settings(
    ports: SettingsPorts<'_, impl SettingsStore, impl ConnectionTester, impl RateLimiter>,
    config: &Config,
    principal: &Principal,
    change: SettingsChange,
    now: &str,
) -> Result<SettingsRow, ApiError> {
    let SettingsChange { tenant, app_id, typed_token, sync_enabled } = change;
    let actor = ports.limits.admit_write(principal).await?;
    let before = ports.settings.okta_settings().await?;
    let mut after = before.clone();
    let target_changed = before.tenant_url.as_deref() != Some(tenant.as_str())
        || before.app_id.as_deref() != Some(app_id.as_str());
    if let Some(deployment) = &config.deployment_okta {
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
            test_or_refuse(ports.okta, &tenant, &app_id, deployment.token.clone()).await?;
        }
    } else if let Some(token) = typed_token {
        ports.limits.admit_okta_test(&actor.name).await?;
        test_or_refuse(ports.okta, &tenant, &app_id, token.clone()).await?;
        let keys = config.token_keys.as_ref().ok_or_else(|| {
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
        after.token_set_at = Some(now.to_owned());
    } else if target_changed && before.token_ciphertext.is_some() {
        return Err(ApiError::about_field(
            ProblemCode::TokenRequired,
            "api_token",
            "changing the tenant URL or App ID requires the API token again.",
        ));
    } else if let Some(resealed) = resealed_on_save(config, &before) {
        // Saving is one of the moments a key rotation completes (see the README's procedure):
        // the token, read with the previous key, is sealed under the current one.
        after.token_ciphertext = Some(resealed);
    }
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
    ports.settings.save_okta_settings(&after, &audit, now).await?;
    Ok(after)
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
        credential: CredentialKind::ApiToken,
        token,
        service_app: ServiceAppStatus::default(),
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
    token: OktaToken,
) -> Result<(), ApiError> {
    let result = okta.test_connection(tenant, app_id, token).await;
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
    use crate::service::fakes::{FakeConnectionTester, FakeRateLimiter, FakeSettings, config_of};
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

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
}
