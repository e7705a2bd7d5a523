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

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    use super::*;
    use crate::config::{
        OKTA_API_TOKEN, OKTA_TENANT_URL, TOKEN_ENCRYPTION_KEY, TOKEN_ENCRYPTION_KEY_PREVIOUS,
    };
    use crate::sealed_token::{KeyRole, TokenKeys};
    use crate::service::fakes::config_of;

    const TENANT: &str = "https://acme.okta.com";
    const APP: &str = "0oa1abcdefghijklmnop";
    const TOKEN: &str = "00abcdefghijklmnopqrstuvwxyz0123456789wxyz";
    const OLD_KEY: [u8; 32] = [1; 32];
    const NEW_KEY: [u8; 32] = [2; 32];

    /// A configuration with `current` as the encryption key, and `previous` during a rotation.
    fn keyed(current: [u8; 32], previous: Option<[u8; 32]>) -> Config {
        let mut vars = vec![(TOKEN_ENCRYPTION_KEY, STANDARD.encode(current))];
        if let Some(previous) = previous {
            vars.push((TOKEN_ENCRYPTION_KEY_PREVIOUS, STANDARD.encode(previous)));
        }
        config_of(&vars)
    }

    /// Settings whose token was sealed with `key` for `TENANT` and `APP`.
    fn stored_with(key: [u8; 32]) -> SettingsRow {
        let sealed =
            TokenKeys::new(key, None).seal(&OktaToken::new(TOKEN), TENANT, APP).expect("sealed");
        SettingsRow {
            tenant_url: Some(TENANT.into()),
            app_id: Some(APP.into()),
            token_ciphertext: Some(sealed),
            ..SettingsRow::default()
        }
    }

    fn code(error: ApiError) -> String {
        error.to_problem().code
    }

    #[test]
    fn a_typed_token_is_trimmed_printable_ascii() {
        let token = checked_token(&format!("  {TOKEN}\n")).expect("valid");
        assert_eq!(token.expose(), TOKEN);
        let longest = "a".repeat(MAX_TOKEN_CHARS);
        assert_eq!(checked_token(&longest).expect("the longest allowed").expose(), longest);
    }

    #[test]
    fn a_bad_typed_token_is_refused_without_echoing_it() {
        let too_long = format!("{TOKEN}{}", "x".repeat(MAX_TOKEN_CHARS));
        let spaced = format!("{} {}", &TOKEN[..20], &TOKEN[20..]);
        let accented = format!("{TOKEN}é");
        for text in ["", "   ", too_long.as_str(), spaced.as_str(), accented.as_str()] {
            let problem = checked_token(text).expect_err("refused").to_problem();
            assert_eq!(
                (problem.code.as_str(), problem.field.as_deref()),
                ("invalid_input", Some("api_token"))
            );
            assert!(!problem.detail.contains(&TOKEN[..20]), "{}", problem.detail);
            assert!(!problem.detail.contains(&TOKEN[20..]), "{}", problem.detail);
        }
    }

    #[test]
    fn the_stored_token_opens_with_the_key_it_was_sealed_with() {
        let opened = open_stored(&keyed(NEW_KEY, None), &stored_with(NEW_KEY)).expect("opened");
        assert_eq!((opened.token.expose(), opened.key), (TOKEN, KeyRole::Current));
        let during_rotation = keyed(NEW_KEY, Some(OLD_KEY));
        let opened = open_stored(&during_rotation, &stored_with(OLD_KEY)).expect("opened");
        assert_eq!((opened.token.expose(), opened.key), (TOKEN, KeyRole::Previous));
    }

    #[test]
    fn a_token_sealed_with_an_unknown_key_is_token_key_changed() {
        let problem =
            open_stored(&keyed(NEW_KEY, None), &stored_with(OLD_KEY)).unwrap_err().to_problem();
        assert_eq!(
            (problem.code.as_str(), problem.detail.as_str()),
            ("token_key_changed", KEY_CHANGED)
        );
        let without_keys = config_of(&[]);
        assert_eq!(
            code(open_stored(&without_keys, &stored_with(OLD_KEY)).unwrap_err()),
            "token_key_changed"
        );
    }

    #[test]
    fn a_damaged_or_misplaced_stored_token_is_token_required() {
        let config = keyed(NEW_KEY, None);
        let mut damaged = stored_with(NEW_KEY);
        let sealed = damaged.token_ciphertext.take().expect("sealed");
        let last = if sealed.ends_with('A') { 'B' } else { 'A' };
        damaged.token_ciphertext = Some(format!("{}{last}", &sealed[..sealed.len() - 1]));
        let garbled =
            SettingsRow { token_ciphertext: Some("v2:nocolon".into()), ..stored_with(NEW_KEY) };
        let other_app =
            SettingsRow { app_id: Some("0oa9zyxwvutsrqponmlk".into()), ..stored_with(NEW_KEY) };
        for row in [damaged, garbled, other_app] {
            let problem = open_stored(&config, &row).unwrap_err().to_problem();
            assert_eq!(problem.code, "token_required", "{row:?}");
            assert!(problem.detail.starts_with("api_token: the stored token could not be read"));
        }
        assert_eq!(
            code(open_stored(&config, &SettingsRow::default()).unwrap_err()),
            "okta_not_configured"
        );
    }

    #[test]
    fn the_deployment_tenant_refusal_names_the_deployment_tenant() {
        let config =
            config_of(&[(OKTA_API_TOKEN, TOKEN.to_owned()), (OKTA_TENANT_URL, TENANT.to_owned())]);
        let deployment = config.deployment_okta.as_ref().expect("a deployment token");
        let policy = &config.tenant_policy;
        let own = TenantUrl::parse(TENANT, policy).expect("a tenant");
        assert!(check_deployment_tenant(deployment, &own).is_ok());
        let other = TenantUrl::parse("https://other.okta.com", policy).expect("a tenant");
        let problem = check_deployment_tenant(deployment, &other).unwrap_err().to_problem();
        assert_eq!(problem.code, "deployment_tenant_mismatch");
        assert_eq!(
            problem.detail,
            "tenant_url: the API token is set by the deployment for https://acme.okta.com \
             (OKTA_TENANT_URL) and is never sent to another tenant. Use that tenant URL, or ask \
             the operator to change OKTA_TENANT_URL and OKTA_API_TOKEN together."
        );
        assert!(!problem.detail.contains(TOKEN));
    }

    #[test]
    fn a_token_sealed_with_the_previous_key_is_resealed_under_the_current_one() {
        let during_rotation = keyed(NEW_KEY, Some(OLD_KEY));
        let resealed = resealed_on_save(&during_rotation, &stored_with(OLD_KEY)).expect("resealed");
        let after_rotation = keyed(NEW_KEY, None);
        let row = SettingsRow { token_ciphertext: Some(resealed), ..stored_with(OLD_KEY) };
        let opened = open_stored(&after_rotation, &row).expect("opens with the current key alone");
        assert_eq!((opened.token.expose(), opened.key), (TOKEN, KeyRole::Current));
    }

    #[test]
    fn nothing_is_resealed_that_needs_no_reseal_or_cannot_be_read() {
        let config = keyed(NEW_KEY, Some(OLD_KEY));
        assert_eq!(resealed_on_save(&config, &stored_with(NEW_KEY)), None, "current already");
        assert_eq!(
            resealed_on_save(&keyed(NEW_KEY, None), &stored_with(OLD_KEY)),
            None,
            "unreadable"
        );
        assert_eq!(resealed_on_save(&config_of(&[]), &stored_with(OLD_KEY)), None, "no keys");
        assert_eq!(resealed_on_save(&config, &SettingsRow::default()), None, "no token");
    }
}
