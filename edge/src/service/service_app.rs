//! The OAuth 2.0 service app credential's rules that need no I/O: its keys at rest, what the
//! screen shows of them, and which credential a request to Okta goes out with.
//!
//! The Worker makes two RSA key pairs per service-app key (see [`KeyPair`]): the client key,
//! whose public half the admin registers on the app in Okta, and a `DPoP` key that only signs
//! proofs. Both private keys are sealed together, bound to the client key's id, so they are
//! always used as a pair and a sealed pair never opens as anything else.

use groupsync_core::api::{self, CredentialKind, ProblemCode, ServiceAppStatus};
use groupsync_core::domain::ClientId;
use groupsync_core::okta::OktaToken;
use groupsync_core::okta::oauth::{ServiceAppKey, jwk_has_kid};

use crate::config::Config;
use crate::error::ApiError;
use crate::sealed_token::{Opened, SealError, TokenKeys};
use crate::service::ports::{SettingsRow, StoredKey};

/// What separates the two private keys inside a sealed pair (standard base64 has no `.`).
const PAIR_SEPARATOR: char = '.';

/// What a person reads when the service app's key needs an encryption key the Worker no longer
/// has.
const KEY_CHANGED: &str = "The service app's private key was encrypted with a key this deployment no longer has (the encryption key changed). Generate a key pair again and add its public key to the app in Okta, or restore the previous key as TOKEN_ENCRYPTION_KEY_PREVIOUS.";

/// The credential a request to Okta goes out with.
#[derive(Debug, Clone)]
pub enum OktaAccess {
    /// An SSWS API token.
    ApiToken(OktaToken),
    /// The OAuth 2.0 service app (boxed: two RSA keys).
    ServiceApp(Box<ServiceAppAccess>),
}

/// A credential the Worker may use, and the stored value sealed anew when it should be
/// replaced.
#[derive(Debug)]
pub struct UsableAccess {
    /// The credential.
    pub access: OktaAccess,
    /// The stored value sealed anew.
    pub resealed: Option<Resealed>,
}

/// A stored secret sealed anew under the current key.
#[derive(Debug)]
pub enum Resealed {
    /// The API token.
    Token(String),
    /// The service app's key pair.
    AppKey(String),
}

impl OktaAccess {
    /// Which kind of credential this is.
    pub fn kind(&self) -> CredentialKind {
        match self {
            Self::ApiToken(_) => CredentialKind::ApiToken,
            Self::ServiceApp(_) => CredentialKind::ServiceApp,
        }
    }
}

/// A service app's client id and key pair.
#[derive(Debug, Clone)]
pub struct ServiceAppAccess {
    /// The app's client id.
    pub client_id: ClientId,
    /// Its keys.
    pub keys: KeyPair,
}

/// The service app's two private keys.
///
/// `client` signs the client assertions (its public half is registered on the app); `dpop` signs
/// the `DPoP` proofs (Okta's `DPoP` guide asks for a key of its own; its public half travels in
/// each proof, and is never registered).
#[derive(Debug, Clone)]
pub struct KeyPair {
    /// The client key.
    pub client: ServiceAppKey,
    /// The `DPoP` key.
    pub dpop: ServiceAppKey,
}

impl KeyPair {
    /// The pair sealed under the current key, as stored, made by `by` at `at`.
    ///
    /// # Errors
    ///
    /// `misconfigured` without `TOKEN_ENCRYPTION_KEY`; `internal` if a key cannot be encoded or
    /// no nonce can be drawn.
    pub fn seal(&self, config: &Config, by: &str, at: &str) -> Result<StoredKey, ApiError> {
        let keys = sealing_keys(config)?;
        let encode = |key: &ServiceAppKey| {
            key.to_pkcs8_der()
                .map(|der| der.expose_base64())
                .map_err(|e| ApiError::client(ProblemCode::Internal, e.to_string()))
        };
        let both = format!("{}{PAIR_SEPARATOR}{}", encode(&self.client)?, encode(&self.dpop)?);
        let kid = self.client.kid().to_owned();
        let sealed = keys
            .seal_service_app_key(&both, &kid)
            .map_err(|e| ApiError::client(ProblemCode::Internal, e.to_string()))?;
        Ok(StoredKey {
            sealed,
            kid,
            jwk: self.client.public_jwk().to_json(),
            created_by: Some(by.to_owned()),
            created_at: Some(at.to_owned()),
        })
    }
}

/// The keys tokens and service-app keys are sealed with.
///
/// # Errors
///
/// `misconfigured` without `TOKEN_ENCRYPTION_KEY`.
pub fn sealing_keys(config: &Config) -> Result<&TokenKeys, ApiError> {
    config.token_keys.as_ref().ok_or_else(|| {
        ApiError::client(
            ProblemCode::Misconfigured,
            "Credentials cannot be stored: the operator has not set TOKEN_ENCRYPTION_KEY.",
        )
    })
}

/// A stored pair, opened, and the same pair sealed under the current key when it was sealed
/// with the previous one (so that a key rotation completes by itself).
#[derive(Debug)]
pub struct OpenedPair {
    /// The keys.
    pub keys: KeyPair,
    /// `stored` sealed anew, when it should be replaced.
    pub resealed: Option<String>,
}

/// Opens a stored pair.
///
/// # Errors
///
/// `token_key_changed` when it needs an encryption key the Worker does not have;
/// `token_required` about `service_app_key` when the stored value is damaged.
pub fn open_pair(config: &Config, stored: &StoredKey) -> Result<OpenedPair, ApiError> {
    let keys = config
        .token_keys
        .as_ref()
        .ok_or_else(|| ApiError::client(ProblemCode::TokenKeyChanged, KEY_CHANGED))?;
    let opened = keys.open_service_app_key(&stored.sealed, &stored.kid).map_err(|e| match e {
        SealError::UnknownKey => ApiError::client(ProblemCode::TokenKeyChanged, KEY_CHANGED),
        SealError::Format | SealError::Open | SealError::Random => damaged(),
    })?;
    let Opened { token, .. } = &opened;
    let (client, dpop) = token.expose().split_once(PAIR_SEPARATOR).ok_or_else(damaged)?;
    let read = |text: &str| ServiceAppKey::from_pkcs8_text(text).map_err(|_| damaged());
    let pair = KeyPair { client: read(client)?, dpop: read(dpop)? };
    if pair.client.kid() != stored.kid {
        return Err(damaged());
    }
    let resealed = if opened.needs_reseal() {
        keys.seal_service_app_key(token.expose(), &stored.kid).ok()
    } else {
        None
    };
    Ok(OpenedPair { keys: pair, resealed })
}

/// A stored pair that opens but is not a pair of keys, or does not open with a key the Worker
/// has under its own key id: damaged or altered in the database, so not to be used.
fn damaged() -> ApiError {
    ApiError::about_field(
        ProblemCode::TokenRequired,
        "service_app_key",
        "the stored key pair cannot be read (damaged or altered); generate a key pair again, and add its public key to the app in Okta.",
    )
}

/// A typed client id, trimmed.
///
/// # Errors
///
/// `invalid_input` about `client_id`.
pub fn checked_client_id(text: &str) -> Result<ClientId, ApiError> {
    ClientId::parse(text).map_err(|e| ApiError::invalid("client_id", e))
}

/// The service app as the settings screen shows it: the client id, the keys' public halves,
/// and why the saved key cannot be used (never a private key).
///
/// A key whose stored JWK is not the key of its `kid` (its text altered in the database) is not
/// shown, so that no admin registers a key in Okta that the Worker does not hold.
pub fn describe(config: &Config, row: &SettingsRow) -> ServiceAppStatus {
    let trusted = |key: &&StoredKey| jwk_has_kid(&key.jwk, &key.kid);
    let saved = row.app_key.as_ref();
    let pending = row.pending_key.as_ref();
    let altered = saved.into_iter().chain(pending).any(|key| !trusted(&key));
    let problem = saved
        .and_then(|key| open_pair(config, key).err())
        .or_else(|| altered.then(damaged))
        .map(|error| error.to_problem());
    ServiceAppStatus {
        client_id: row.client_id.clone(),
        key: saved.filter(trusted).map(public_half),
        pending_key: pending.filter(trusted).map(public_half),
        problem,
    }
}

/// A stored key's public half, as the API shows it.
pub fn public_half(key: &StoredKey) -> api::ServiceAppKey {
    api::ServiceAppKey {
        kid: key.kid.clone(),
        public_jwk: key.jwk.clone(),
        created_by: key.created_by.clone(),
        created_at: key.created_at.clone(),
    }
}

/// The error when the service app has no key yet.
pub fn key_required() -> ApiError {
    ApiError::about_field(
        ProblemCode::TokenRequired,
        "service_app_key",
        "generate a key pair first, and add its public key to the app in Okta.",
    )
}

/// The error when the service app has no client id yet.
pub fn client_id_required() -> ApiError {
    ApiError::about_field(
        ProblemCode::TokenRequired,
        "client_id",
        "enter the service app's client ID (Okta shows it on the app's General tab).",
    )
}

#[cfg(test)]
pub(crate) mod test_keys {
    //! Two throwaway RSA keys (test fixtures, not secrets), so that native tests need no key
    //! generation.

    use super::KeyPair;
    use groupsync_core::okta::oauth::ServiceAppKey;

    const CLIENT_PEM: &str = include_str!("../../../tests/okta/testdata/service-app-key.pem");
    const DPOP_PEM: &str = include_str!("../../../tests/okta/testdata/other-key.pem");

    /// A pair of distinct keys.
    pub(crate) fn pair() -> KeyPair {
        let read = |pem| ServiceAppKey::from_pkcs8_text(pem).expect("a test key");
        KeyPair { client: read(CLIENT_PEM), dpop: read(DPOP_PEM) }
    }

    /// The same pair with its roles swapped: another client key.
    pub(crate) fn other_pair() -> KeyPair {
        let KeyPair { client, dpop } = pair();
        KeyPair { client: dpop, dpop: client }
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    use super::*;
    use crate::config::{TOKEN_ENCRYPTION_KEY, TOKEN_ENCRYPTION_KEY_PREVIOUS};
    use crate::service::fakes::config_of;

    fn keyed(current: [u8; 32], previous: Option<[u8; 32]>) -> Config {
        let mut vars = vec![(TOKEN_ENCRYPTION_KEY, STANDARD.encode(current))];
        vars.extend(previous.map(|p| (TOKEN_ENCRYPTION_KEY_PREVIOUS, STANDARD.encode(p))));
        config_of(&vars)
    }

    #[test]
    fn a_sealed_pair_opens_as_the_same_two_keys_and_shows_only_public_halves() {
        let config = keyed([3; 32], None);
        let pair = test_keys::pair();
        let stored =
            pair.seal(&config, "root@example.com", "2026-12-02T05:00:00Z").expect("sealed");
        assert_eq!(stored.kid, pair.client.kid());
        let opened = open_pair(&config, &stored).expect("opens");
        assert_eq!(opened.keys.client.kid(), pair.client.kid());
        assert_eq!(opened.keys.dpop.kid(), pair.dpop.kid());
        assert!(opened.resealed.is_none());
        let shown = public_half(&stored);
        let jwk: serde_json::Value = serde_json::from_str(&shown.public_jwk).expect("JSON");
        assert_eq!(
            (jwk["kty"].as_str(), jwk["kid"].as_str()),
            (Some("RSA"), Some(stored.kid.as_str()))
        );
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(jwk.get(private).is_none(), "the JWK shows no private member {private}");
        }
        assert!(!shown.public_jwk.contains(pair.dpop.kid()), "the DPoP key is never shown");
    }

    #[test]
    fn a_stored_public_key_altered_in_the_database_is_not_shown_to_register() {
        let config = keyed([3; 32], None);
        let stored = test_keys::pair().seal(&config, "a", "t").expect("sealed");
        let other = test_keys::other_pair().seal(&config, "a", "t").expect("sealed");
        let intact = SettingsRow { app_key: Some(stored.clone()), ..SettingsRow::default() };
        let shown = describe(&config, &intact);
        assert_eq!((shown.key.map(|k| k.kid), shown.problem), (Some(stored.kid.clone()), None));
        // Another key's JWK put beside this key's kid (and sealed pair), saved or pending.
        let swapped = StoredKey { jwk: other.jwk, ..stored };
        for row in [
            SettingsRow { app_key: Some(swapped.clone()), ..SettingsRow::default() },
            SettingsRow { pending_key: Some(swapped.clone()), ..SettingsRow::default() },
        ] {
            let shown = describe(&config, &row);
            assert_eq!((shown.key, shown.pending_key), (None, None), "nothing to register");
            let problem = shown.problem.expect("the screen says why");
            assert_eq!(problem.field.as_deref(), Some("service_app_key"), "{problem:?}");
            assert!(problem.detail.contains("generate a key pair again"), "{}", problem.detail);
        }
    }

    #[test]
    fn a_pair_opens_only_for_its_own_key_id() {
        let config = keyed([3; 32], None);
        let stored = test_keys::pair().seal(&config, "a", "t").expect("sealed");
        let other = test_keys::other_pair().seal(&config, "a", "t").expect("sealed");
        let swapped = StoredKey { sealed: other.sealed, ..stored };
        let problem = open_pair(&config, &swapped).unwrap_err().to_problem();
        assert_eq!(problem.code, "token_required", "{problem:?}");
        assert_eq!(problem.field.as_deref(), Some("service_app_key"));
        assert!(problem.detail.contains("generate a key pair again"), "{}", problem.detail);
    }

    #[test]
    fn a_rotated_encryption_key_reseals_the_pair_and_a_lost_one_is_named() {
        let stored = test_keys::pair().seal(&keyed([1; 32], None), "a", "t").expect("sealed");
        let rotating = keyed([2; 32], Some([1; 32]));
        let opened = open_pair(&rotating, &stored).expect("opens with the previous key");
        let resealed =
            StoredKey { sealed: opened.resealed.expect("sealed anew"), ..stored.clone() };
        assert!(open_pair(&keyed([2; 32], None), &resealed).is_ok(), "the new key alone opens it");
        let lost = open_pair(&keyed([2; 32], None), &stored).unwrap_err().to_problem();
        assert_eq!(lost.code, "token_key_changed");
        let row = SettingsRow { app_key: Some(stored), ..SettingsRow::default() };
        let described = describe(&keyed([2; 32], None), &row);
        assert_eq!(described.problem.map(|p| p.code).as_deref(), Some("token_key_changed"));
    }

    #[test]
    fn client_ids_are_checked_and_named() {
        assert_eq!(
            checked_client_id(" 0oa9s8r7q6p5o4n3m2l1 ").unwrap().as_str(),
            "0oa9s8r7q6p5o4n3m2l1"
        );
        let problem = checked_client_id("0oa&scope=x").unwrap_err().to_problem();
        assert_eq!(
            (problem.code.as_str(), problem.field.as_deref()),
            ("invalid_input", Some("client_id"))
        );
    }
}
