//! The Worker's configuration: binding names and the typed [`Config`].
//!
//! The names are the contract with `wrangler.toml`. [`Config`] is read from vars and secrets
//! and checked once, so that a dangerous combination (the dev sign-in in production, a deployment
//! Okta token without the tenant it belongs to) stops the Worker from serving rather than
//! weakening it.
//!
//! Every value that holds a secret (the token encryption keys, the API key pepper, the dev
//! signing key, the deployment's Okta token) prints `[redacted]` in `Debug`, so that logging a
//! `Config` or an error carrying one cannot leak it.

use std::fmt;
use std::ops::Deref;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use groupsync_core::auth::{DEFAULT_MAX_STALE_S, VerificationKey};
use groupsync_core::domain::{TenantUrl, TenantUrlError, TenantUrlPolicy, WebhookUrlPolicy};
use groupsync_core::okta::OktaToken;
use rsa::PrivateKey;
use rsa::pkcs8::DecodePrivateKey;

use crate::sealed_token::TokenKeys;

/// The Worker's env as a [`ConfigSource`]: secrets and vars are both string bindings.
#[cfg(target_arch = "wasm32")]
pub(crate) struct EnvSource<'a>(pub(crate) &'a worker::Env);

#[cfg(target_arch = "wasm32")]
impl ConfigSource for EnvSource<'_> {
    fn get(&self, name: &str) -> Option<String> {
        self.0.secret(name).or_else(|_| self.0.var(name)).ok().map(|v| v.to_string())
    }
}

/// The D1 database holding all durable state.
pub const DB_BINDING: &str = "DB";
/// The KV namespace used for caches only (Access's public signing keys); nothing read from it
/// decides a request on its own.
pub const CACHE_BINDING: &str = "CACHE";
/// The Durable Object namespace of the sync coordinator.
pub const SYNC_COORDINATOR_BINDING: &str = "SYNC_COORDINATOR";
/// The Durable Object namespace of the webhook sender.
pub const WEBHOOK_SENDER_BINDING: &str = "WEBHOOK_SENDER";

/// `production` (the default, and what `wrangler.toml` says) or `local`.
pub const ENVIRONMENT: &str = "ENVIRONMENT";
/// The Access team domain, `https://<team>.cloudflareaccess.com`: the exact JWT issuer.
pub const ACCESS_TEAM_DOMAIN: &str = "ACCESS_TEAM_DOMAIN";
/// The AUD tag of the Access application.
pub const ACCESS_AUD: &str = "ACCESS_AUD";
/// `true` turns on the dev sign-in: refused unless the environment is `local`.
pub const DEV_SIGN_IN: &str = "DEV_SIGN_IN";
/// The dev sign-in's RSA key, base64 of PKCS#8 DER (generated into `.dev.vars` locally).
pub const DEV_SIGNING_KEY: &str = "DEV_SIGNING_KEY";
/// Comma-separated emails made superAdmin on sign-in while no superAdmin exists.
pub const SUPER_ADMIN_BOOTSTRAP: &str = "SUPER_ADMIN_BOOTSTRAP";
/// Comma-separated extra tenant hosts the operator allows (custom Okta domains).
pub const OKTA_TENANT_ALLOWLIST: &str = "OKTA_TENANT_ALLOWLIST";
/// Comma-separated hosts webhook endpoints may be on (`hooks.example.com`, or `*.example.com`
/// for every host below it). Empty: no endpoint can be registered outside the local stack.
pub const WEBHOOK_ALLOWLIST: &str = "WEBHOOK_ALLOWLIST";
/// A deployment-managed Okta API token; it wins over a typed one.
pub const OKTA_API_TOKEN: &str = "OKTA_API_TOKEN";
/// The tenant the deployment's token belongs to, and the only host it is ever sent to; required
/// with [`OKTA_API_TOKEN`].
pub const OKTA_TENANT_URL: &str = "OKTA_TENANT_URL";
/// 32 bytes (base64) that encrypt the typed Okta token at rest (seal and read).
pub const TOKEN_ENCRYPTION_KEY: &str = "TOKEN_ENCRYPTION_KEY";
/// During a key rotation, the key before [`TOKEN_ENCRYPTION_KEY`]: tokens sealed with it are still
/// read (and sealed again with the current key), never sealed with it.
pub const TOKEN_ENCRYPTION_KEY_PREVIOUS: &str = "TOKEN_ENCRYPTION_KEY_PREVIOUS";
/// A secret (base64, at least 32 bytes) that keys the hashes of API keys.
pub const API_KEY_PEPPER: &str = "API_KEY_PEPPER";
/// Admin writes allowed per person per minute (default 30).
pub const RATE_LIMIT_ADMIN_WRITES: &str = "RATE_LIMIT_ADMIN_WRITES_PER_MINUTE";
/// Okta connection tests allowed per person per minute (default 10).
pub const RATE_LIMIT_OKTA_TESTS: &str = "RATE_LIMIT_OKTA_TESTS_PER_MINUTE";
/// Failed credential attempts allowed per client address per minute (default 20).
pub const RATE_LIMIT_AUTH_FAILURES: &str = "RATE_LIMIT_AUTH_FAILURES_PER_MINUTE";
/// How soon (seconds) a token with an unknown key id may trigger another fetch of Access's keys
/// (default 30; the tests shorten it to see a key rotation quickly).
pub const ACCESS_KEYS_REFETCH_SECONDS: &str = "ACCESS_KEYS_REFETCH_SECONDS";

/// How long (seconds) after their last successful fetch Access's keys may be used while they
/// cannot be fetched again (default and most 3600; the tests shorten it to see it end).
pub const ACCESS_KEYS_MAX_STALE_SECONDS: &str = "ACCESS_KEYS_MAX_STALE_SECONDS";

/// The default of [`ACCESS_KEYS_REFETCH_SECONDS`].
const DEFAULT_REFETCH_INTERVAL_S: u64 = 30;

/// The dev sign-in's issuer and audience: never those of a real Access team.
pub const DEV_ISSUER: &str = "urn:okta-groups-sync:dev-sign-in";
/// The dev sign-in's audience.
pub const DEV_AUDIENCE: &str = "okta-groups-sync-local";
/// The key id of the dev sign-in's key.
pub const DEV_KEY_ID: &str = "dev-sign-in";

/// Where configuration values come from (the Worker's env, or a map in tests).
pub trait ConfigSource {
    /// The value of a var or secret, when set.
    fn get(&self, name: &str) -> Option<String>;
}

/// Which kind of deployment this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// A real deployment: Access is required, no dev paths, https only.
    Production,
    /// `cargo xtask dev` and the tests: loopback fakes allowed, dev sign-in possible.
    Local,
}

/// How Cloudflare Access tokens are verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessSettings {
    /// The exact `iss`.
    pub issuer: String,
    /// The AUD tag `aud` must contain.
    pub audience: String,
    /// Where the signing keys are published.
    pub certs_url: String,
    /// How soon an unknown key id may trigger another fetch of the keys.
    pub refetch_interval_s: u64,
    /// How long after their last successful fetch the keys may be used while fetches fail.
    pub max_stale_s: u64,
}

/// The local dev sign-in's key pair. Its `Debug` names the key id only.
#[derive(Clone)]
pub struct DevSignIn {
    /// Signs the dev tokens.
    pub signing_key: PrivateKey,
    /// Verifies them, through the same verifier as Access tokens.
    pub verification_key: VerificationKey,
}

impl fmt::Debug for DevSignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevSignIn")
            .field("kid", &self.verification_key.kid)
            .field("signing_key", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// The deployment's Okta token and the one tenant it may be sent to.
#[derive(Debug, Clone)]
pub struct DeploymentOkta {
    /// `OKTA_TENANT_URL`, checked like a typed tenant URL.
    pub tenant: TenantUrl,
    /// `OKTA_API_TOKEN` (its `Debug` is redacted).
    pub token: OktaToken,
}

/// The key of API-key hashes (`API_KEY_PEPPER`): derefs to its bytes; `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyPepper(Vec<u8>);

impl Deref for ApiKeyPepper {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for ApiKeyPepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKeyPepper([redacted])")
    }
}

/// The Worker's whole configuration. Its `Debug` is safe to log: every secret in it is redacted
/// by its own type.
#[derive(Debug, Clone)]
pub struct Config {
    /// Production or local.
    pub environment: Environment,
    /// Access verification, when configured.
    pub access: Option<AccessSettings>,
    /// The dev sign-in, only ever in the local environment.
    pub dev_sign_in: Option<DevSignIn>,
    /// Emails that become superAdmin while there is none.
    pub bootstrap_super_admins: Vec<String>,
    /// Which tenant URLs are acceptable.
    pub tenant_policy: TenantUrlPolicy,
    /// Which webhook endpoint URLs are acceptable.
    pub webhook_policy: WebhookUrlPolicy,
    /// The deployment's Okta token, which wins over a typed one, with its tenant.
    pub deployment_okta: Option<DeploymentOkta>,
    /// The keys that encrypt a typed Okta token (the current one, and the previous one during a
    /// rotation); without them, tokens can only come from the deployment.
    pub token_keys: Option<TokenKeys>,
    /// The key of API-key hashes; without it, API keys are off.
    pub api_key_pepper: Option<ApiKeyPepper>,
    /// Per-person, per-minute limits on admin writes and on Okta connection tests.
    pub rate_limits: RateLimits,
}

/// Per-person, per-minute limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Admin writes (settings, superAdmins, credentials, groups).
    pub admin_writes: i64,
    /// Okta connection tests (each makes up to four Okta requests).
    pub okta_tests: i64,
    /// Failed credential attempts per client address (bad tokens, unknown API keys).
    pub auth_failures: i64,
}

/// Why the configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `ENVIRONMENT` is neither `production` nor `local`.
    #[error("ENVIRONMENT must be production or local, not {0:?}")]
    Environment(String),
    /// The dev sign-in was switched on outside the local environment.
    #[error("DEV_SIGN_IN is set in a {0} environment; the dev sign-in exists only locally")]
    DevSignInOutsideLocal(&'static str),
    /// The dev sign-in is on but its key is missing or unreadable.
    #[error("DEV_SIGNING_KEY is missing or not a base64 PKCS#8 RSA key")]
    DevSigningKey,
    /// The Access team domain is not https (or loopback http, locally).
    #[error("ACCESS_TEAM_DOMAIN must be https://<team>.cloudflareaccess.com")]
    AccessTeamDomain,
    /// Only one of the Access team domain and AUD tag is set.
    #[error("ACCESS_TEAM_DOMAIN and ACCESS_AUD must be set together")]
    AccessIncomplete,
    /// The token encryption key is not 32 bytes of base64.
    #[error("TOKEN_ENCRYPTION_KEY must be 32 bytes, base64-encoded")]
    TokenEncryptionKey,
    /// The previous token encryption key is not 32 bytes of base64.
    #[error("TOKEN_ENCRYPTION_KEY_PREVIOUS must be 32 bytes, base64-encoded")]
    PreviousTokenEncryptionKey,
    /// A previous key without a current one: nothing could seal a token again.
    #[error(
        "TOKEN_ENCRYPTION_KEY_PREVIOUS is set without TOKEN_ENCRYPTION_KEY; set the new key as TOKEN_ENCRYPTION_KEY (the previous one is only read)"
    )]
    PreviousKeyWithoutCurrent,
    /// A deployment token with no tenant to bind it to.
    #[error(
        "OKTA_API_TOKEN is set without OKTA_TENANT_URL; set OKTA_TENANT_URL to the Okta tenant the token belongs to (https://your-company.okta.com): the token is never sent to any other host"
    )]
    OktaTenantUrlMissing,
    /// The deployment's tenant URL is not an acceptable tenant URL.
    #[error("OKTA_TENANT_URL is not an acceptable Okta tenant URL: {0}")]
    OktaTenantUrl(TenantUrlError),
    /// The API key pepper is too short or not base64.
    #[error("API_KEY_PEPPER must be at least 32 bytes, base64-encoded")]
    ApiKeyPepper,
}

impl Config {
    /// Reads and checks the configuration.
    ///
    /// # Errors
    ///
    /// See [`ConfigError`]: every one of them stops the Worker from serving.
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        let environment = match source.get(ENVIRONMENT).as_deref().map(str::trim) {
            None | Some("" | "production") => Environment::Production,
            Some("local") => Environment::Local,
            Some(other) => return Err(ConfigError::Environment(other.to_owned())),
        };
        let local = environment == Environment::Local;
        let dev_requested = source.get(DEV_SIGN_IN).is_some_and(|v| is_truthy(&v));
        let dev_sign_in = match (dev_requested, local) {
            (false, _) => None,
            (true, false) => return Err(ConfigError::DevSignInOutsideLocal("production")),
            (true, true) => Some(dev_key(source.get(DEV_SIGNING_KEY))?),
        };
        let tenant_policy = TenantUrlPolicy {
            extra_hosts: list(source.get(OKTA_TENANT_ALLOWLIST))
                .map(|h| h.to_lowercase())
                .collect(),
            allow_loopback_http: local,
        };
        Ok(Self {
            environment,
            access: access_settings(source, local)?,
            dev_sign_in,
            bootstrap_super_admins: list(source.get(SUPER_ADMIN_BOOTSTRAP))
                .map(|e| e.to_lowercase())
                .collect(),
            deployment_okta: deployment_okta(source, &tenant_policy)?,
            tenant_policy,
            webhook_policy: WebhookUrlPolicy {
                allowed_hosts: list(source.get(WEBHOOK_ALLOWLIST))
                    .map(|h| h.to_lowercase())
                    .collect(),
                allow_loopback_http: local,
            },
            token_keys: token_keys(source)?,
            api_key_pepper: match source.get(API_KEY_PEPPER) {
                None => None,
                Some(text) => Some(ApiKeyPepper(
                    decode(&text).filter(|p| p.len() >= 32).ok_or(ConfigError::ApiKeyPepper)?,
                )),
            },
            rate_limits: RateLimits {
                admin_writes: limit(source.get(RATE_LIMIT_ADMIN_WRITES), 30),
                okta_tests: limit(source.get(RATE_LIMIT_OKTA_TESTS), 10),
                auth_failures: limit(source.get(RATE_LIMIT_AUTH_FAILURES), 20),
            },
        })
    }
}

fn access_settings(
    source: &dyn ConfigSource,
    local: bool,
) -> Result<Option<AccessSettings>, ConfigError> {
    let team = source.get(ACCESS_TEAM_DOMAIN).filter(|v| !v.trim().is_empty());
    let audience = source.get(ACCESS_AUD).filter(|v| !v.trim().is_empty());
    let (team, audience) = match (team, audience) {
        (None, None) => return Ok(None),
        (Some(team), Some(audience)) => {
            (team.trim().trim_end_matches('/').to_owned(), audience.trim().to_owned())
        }
        _ => return Err(ConfigError::AccessIncomplete),
    };
    let secure = team.starts_with("https://");
    let loopback = team.starts_with("http://127.0.0.1:") || team.starts_with("http://localhost:");
    if !(secure || (local && loopback)) {
        return Err(ConfigError::AccessTeamDomain);
    }
    let refetch_interval_s = source
        .get(ACCESS_KEYS_REFETCH_SECONDS)
        .and_then(|v| v.trim().parse().ok())
        .filter(|s| (1..=3_600).contains(s))
        .unwrap_or(DEFAULT_REFETCH_INTERVAL_S);
    // Only ever shortened: an hour is the most that stale keys are trusted.
    let max_stale_s = source
        .get(ACCESS_KEYS_MAX_STALE_SECONDS)
        .and_then(|v| v.trim().parse().ok())
        .filter(|s| (1..=DEFAULT_MAX_STALE_S).contains(s))
        .unwrap_or(DEFAULT_MAX_STALE_S);
    Ok(Some(AccessSettings {
        certs_url: format!("{team}/cdn-cgi/access/certs"),
        issuer: team,
        audience,
        refetch_interval_s,
        max_stale_s,
    }))
}

/// The deployment's token bound to its tenant. The tenant URL passes the same checks as a typed
/// one, so a deployment cannot point its token at a host a person could not type either.
fn deployment_okta(
    source: &dyn ConfigSource,
    policy: &TenantUrlPolicy,
) -> Result<Option<DeploymentOkta>, ConfigError> {
    let Some(token) = source.get(OKTA_API_TOKEN).filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    let tenant = source
        .get(OKTA_TENANT_URL)
        .filter(|t| !t.trim().is_empty())
        .ok_or(ConfigError::OktaTenantUrlMissing)?;
    let tenant = TenantUrl::parse(tenant.trim(), policy).map_err(ConfigError::OktaTenantUrl)?;
    Ok(Some(DeploymentOkta { tenant, token: OktaToken::new(token.trim()) }))
}

/// The current token key and, during a rotation, the previous one.
fn token_keys(source: &dyn ConfigSource) -> Result<Option<TokenKeys>, ConfigError> {
    let key = |name, error| match source.get(name) {
        None => Ok(None),
        Some(text) => decode(&text).and_then(|k| k.try_into().ok()).map(Some).ok_or(error),
    };
    let current = key(TOKEN_ENCRYPTION_KEY, ConfigError::TokenEncryptionKey)?;
    let previous = key(TOKEN_ENCRYPTION_KEY_PREVIOUS, ConfigError::PreviousTokenEncryptionKey)?;
    match (current, previous) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(ConfigError::PreviousKeyWithoutCurrent),
        (Some(current), previous) => Ok(Some(TokenKeys::new(current, previous))),
    }
}

fn dev_key(encoded: Option<String>) -> Result<DevSignIn, ConfigError> {
    let der = encoded.as_deref().and_then(decode).ok_or(ConfigError::DevSigningKey)?;
    let signing_key = PrivateKey::from_pkcs8_der(&der).map_err(|_| ConfigError::DevSigningKey)?;
    let verification_key =
        VerificationKey { kid: DEV_KEY_ID.to_owned(), key: signing_key.to_public_key() };
    Ok(DevSignIn { signing_key, verification_key })
}

fn limit(value: Option<String>, default: i64) -> i64 {
    value
        .and_then(|v| v.trim().parse().ok())
        .filter(|l| (1..=100_000).contains(l))
        .unwrap_or(default)
}

fn decode(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text.trim()).ok()
}

fn is_truthy(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on")
}

fn list(value: Option<String>) -> impl Iterator<Item = String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(|item| item.trim().to_owned())
        .filter(|item| !item.is_empty())
        .collect::<Vec<_>>()
        .into_iter()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    impl ConfigSource for HashMap<&str, &str> {
        fn get(&self, name: &str) -> Option<String> {
            HashMap::get(self, name).map(|v| (*v).to_owned())
        }
    }

    #[test]
    fn an_empty_configuration_is_production_with_nothing_optional() {
        let config = Config::load(&HashMap::new()).unwrap();
        assert_eq!(config.environment, Environment::Production);
        assert!(config.access.is_none() && config.dev_sign_in.is_none());
        assert!(!config.tenant_policy.allow_loopback_http);
    }

    #[test]
    fn the_production_configuration_refuses_the_dev_sign_in() {
        for environment in [None, Some("production")] {
            let mut source = HashMap::from([(DEV_SIGN_IN, "true"), (DEV_SIGNING_KEY, "AAAA")]);
            if let Some(environment) = environment {
                source.insert(ENVIRONMENT, environment);
            }
            assert_eq!(
                Config::load(&source).unwrap_err(),
                ConfigError::DevSignInOutsideLocal("production")
            );
        }
    }

    #[test]
    fn access_needs_https_in_production_and_both_values() {
        let source =
            HashMap::from([(ACCESS_TEAM_DOMAIN, "http://127.0.0.1:9999"), (ACCESS_AUD, "aud")]);
        assert_eq!(Config::load(&source).unwrap_err(), ConfigError::AccessTeamDomain);
        let source = HashMap::from([(ACCESS_TEAM_DOMAIN, "https://acme.cloudflareaccess.com")]);
        assert_eq!(Config::load(&source).unwrap_err(), ConfigError::AccessIncomplete);
        let source = HashMap::from([
            (ACCESS_TEAM_DOMAIN, "https://acme.cloudflareaccess.com/"),
            (ACCESS_AUD, "aud"),
        ]);
        let access = Config::load(&source).unwrap().access.unwrap();
        assert_eq!(access.issuer, "https://acme.cloudflareaccess.com");
        assert_eq!(access.certs_url, "https://acme.cloudflareaccess.com/cdn-cgi/access/certs");
    }

    #[test]
    fn locally_a_loopback_access_team_and_loopback_tenants_are_allowed() {
        let source = HashMap::from([
            (ENVIRONMENT, "local"),
            (ACCESS_TEAM_DOMAIN, "http://127.0.0.1:9999"),
            (ACCESS_AUD, "aud"),
        ]);
        let config = Config::load(&source).unwrap();
        assert!(config.access.is_some() && config.tenant_policy.allow_loopback_http);
    }

    #[test]
    fn keys_must_have_their_sizes() {
        let short = HashMap::from([(TOKEN_ENCRYPTION_KEY, "AAAA")]);
        assert_eq!(Config::load(&short).unwrap_err(), ConfigError::TokenEncryptionKey);
        let key = STANDARD.encode([7_u8; 32]);
        let ok =
            HashMap::from([(TOKEN_ENCRYPTION_KEY, key.as_str()), (API_KEY_PEPPER, key.as_str())]);
        let config = Config::load(&ok).unwrap();
        assert_eq!(config.token_keys, Some(TokenKeys::new([7; 32], None)));
        assert_eq!(config.api_key_pepper.as_deref(), Some([7_u8; 32].as_slice()));
        let bad_pepper = HashMap::from([(API_KEY_PEPPER, "c2hvcnQ=")]);
        assert_eq!(Config::load(&bad_pepper).unwrap_err(), ConfigError::ApiKeyPepper);
        let unknown = HashMap::from([(ENVIRONMENT, "staging")]);
        assert!(matches!(Config::load(&unknown), Err(ConfigError::Environment(_))));
    }

    #[test]
    fn bootstrap_emails_and_allowed_hosts_are_trimmed_and_lowercased() {
        let source = HashMap::from([
            (SUPER_ADMIN_BOOTSTRAP, " Ann@Example.com, ,bob@example.com "),
            (OKTA_TENANT_ALLOWLIST, "Login.Example.com"),
        ]);
        let config = Config::load(&source).unwrap();
        assert_eq!(config.bootstrap_super_admins, ["ann@example.com", "bob@example.com"]);
        assert_eq!(config.tenant_policy.extra_hosts, ["login.example.com"]);
    }

    #[test]
    fn a_previous_token_key_is_read_beside_the_current_one_and_never_alone() {
        let (old, new) = (STANDARD.encode([1_u8; 32]), STANDARD.encode([2_u8; 32]));
        let source = HashMap::from([
            (TOKEN_ENCRYPTION_KEY, new.as_str()),
            (TOKEN_ENCRYPTION_KEY_PREVIOUS, old.as_str()),
        ]);
        let keys = Config::load(&source).unwrap().token_keys.unwrap();
        assert_eq!(keys, TokenKeys::new([2; 32], Some([1; 32])));
        let alone = HashMap::from([(TOKEN_ENCRYPTION_KEY_PREVIOUS, old.as_str())]);
        assert_eq!(Config::load(&alone).unwrap_err(), ConfigError::PreviousKeyWithoutCurrent);
        let short = HashMap::from([
            (TOKEN_ENCRYPTION_KEY, new.as_str()),
            (TOKEN_ENCRYPTION_KEY_PREVIOUS, "AAAA"),
        ]);
        assert_eq!(Config::load(&short).unwrap_err(), ConfigError::PreviousTokenEncryptionKey);
    }

    #[test]
    fn a_deployment_token_needs_the_tenant_it_belongs_to() {
        let alone = HashMap::from([(OKTA_API_TOKEN, "00deployment-token")]);
        let error = Config::load(&alone).unwrap_err();
        assert_eq!(error, ConfigError::OktaTenantUrlMissing);
        assert!(error.to_string().contains("set OKTA_TENANT_URL"), "{error}");
        let bad = HashMap::from([
            (OKTA_API_TOKEN, "00deployment-token"),
            (OKTA_TENANT_URL, "https://evil.example.com"),
        ]);
        assert!(matches!(Config::load(&bad), Err(ConfigError::OktaTenantUrl(_))));
        let bound = HashMap::from([
            (OKTA_API_TOKEN, "00deployment-token\n"),
            (OKTA_TENANT_URL, "https://Acme.okta.com/"),
        ]);
        let deployment = Config::load(&bound).unwrap().deployment_okta.unwrap();
        assert_eq!(deployment.tenant.as_str(), "https://acme.okta.com");
        assert_eq!(deployment.token.expose(), "00deployment-token");
        // A tenant URL without a deployment token binds nothing: the typed token's tenant is
        // the one typed.
        let tenant_only = HashMap::from([(OKTA_TENANT_URL, "https://acme.okta.com")]);
        assert!(Config::load(&tenant_only).unwrap().deployment_okta.is_none());
    }

    /// The system's random source, for generating a dev signing key (the crate's own generator
    /// needs a feature the Worker does not build with).
    struct SystemRandom;

    impl rsa::rand_core::TryRng for SystemRandom {
        type Error = getrandom::Error;

        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            getrandom::u32()
        }

        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            getrandom::u64()
        }

        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            getrandom::fill(dst)
        }
    }

    impl rsa::rand_core::TryCryptoRng for SystemRandom {}

    #[test]
    fn debug_output_of_the_configuration_shows_no_secret() {
        let pepper = [0x5A_u8; 32];
        let (current, previous) = ([0x3C_u8; 32], [0x4D_u8; 32]);
        let dev_key = PrivateKey::new(&mut SystemRandom, 2048).unwrap();
        let dev_der = {
            use rsa::pkcs8::EncodePrivateKey;
            dev_key.to_pkcs8_der().unwrap().as_bytes().to_vec()
        };
        let (pepper_b64, current_b64, previous_b64, dev_b64) = (
            STANDARD.encode(pepper),
            STANDARD.encode(current),
            STANDARD.encode(previous),
            STANDARD.encode(&dev_der),
        );
        let token = "00CANARY-deployment-token-9z9z";
        let source = HashMap::from([
            (ENVIRONMENT, "local"),
            (DEV_SIGN_IN, "true"),
            (DEV_SIGNING_KEY, dev_b64.as_str()),
            (OKTA_API_TOKEN, token),
            (OKTA_TENANT_URL, "https://acme.okta.com"),
            (TOKEN_ENCRYPTION_KEY, current_b64.as_str()),
            (TOKEN_ENCRYPTION_KEY_PREVIOUS, previous_b64.as_str()),
            (API_KEY_PEPPER, pepper_b64.as_str()),
        ]);
        let config = Config::load(&source).unwrap();
        let debug = format!(
            "{config:?} {:?} {:?} {:?} {:?} {:?}",
            config.dev_sign_in,
            config.deployment_okta,
            config.token_keys,
            config.api_key_pepper,
            config.deployment_okta.as_ref().map(|d| &d.token),
        );
        assert!(debug.contains("[redacted]"), "{debug}");
        assert!(!debug.contains("CANARY"), "the deployment token shows");
        for (name, bytes) in [
            ("pepper", &pepper[..]),
            ("current key", &current[..]),
            ("previous key", &previous[..]),
        ] {
            assert!(!debug.contains(&format!("{:?}", &bytes[..4])), "the {name} shows: {debug}");
            assert!(!debug.contains(&STANDARD.encode(bytes)), "the {name} shows");
        }
        for window in dev_b64.as_bytes().chunks(64).filter(|w| w.len() == 64) {
            let window = std::str::from_utf8(&window[..24]).unwrap();
            assert!(!debug.contains(window), "the dev signing key shows");
        }
        assert!(!debug.contains("PrivateKey"), "the dev signing key's parts show: {debug}");
    }
}
