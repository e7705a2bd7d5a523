//! The typed Okta API token at rest, sealed with AES-256-GCM under a key named by its id.
//!
//! A sealed value reads `v2:<kid>:<base64 of nonce ‖ ciphertext>`. The key id (`kid`) is derived
//! from the key itself (the first four bytes of HMAC-SHA256 keyed by it, in hex), so an operator
//! configures nothing but the keys, two different keys never share an id in practice, and the id
//! tells nothing about the key. With the id the Worker knows *which* key a value needs: a value
//! under a key it no longer has is "the encryption key changed", never mistaken for a value
//! sealed for another tenant.
//!
//! [`TokenKeys`] holds the current key (`TOKEN_ENCRYPTION_KEY`: seals and reads) and, during a
//! rotation, the previous one (`TOKEN_ENCRYPTION_KEY_PREVIOUS`: reads only). Values sealed
//! before key ids existed (plain base64, the v1 format) still open with either key; a value
//! that opened with the previous key or in the v1 format says so ([`Opened::needs_reseal`]), so
//! that the caller seals it again under the current key.
//!
//! The tenant URL and App ID are the associated data (with the key id, in v2), so a stored token
//! only ever opens for the tenant and app it was tested against (changing either requires the
//! token again).

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use groupsync_core::okta::OktaToken;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The nonce length of AES-GCM.
const NONCE_BYTES: usize = 12;
/// The prefix of the current format. Standard base64 has no `:`, so a v1 value never starts so.
const V2_PREFIX: &str = "v2:";
/// What the key id is an HMAC of: fixed, so that the id depends on the key alone.
const KEY_ID_LABEL: &[u8] = b"okta-groups-sync/token-encryption-key-id";

/// A 32-byte AES-256 key with its id. Its `Debug` shows the id, never the key.
#[derive(Clone)]
pub struct SealingKey {
    id: String,
    bytes: [u8; 32],
}

impl SealingKey {
    /// The key, with its id derived from it.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self { id: key_id(&bytes), bytes }
    }

    /// The key id that values sealed with this key carry (8 hex characters).
    pub fn id(&self) -> &str {
        &self.id
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new((&self.bytes).into())
    }
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingKey").field("id", &self.id).field("key", &"[redacted]").finish()
    }
}

impl PartialEq for SealingKey {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.bytes == other.bytes
    }
}

impl Eq for SealingKey {}

/// The keys the Worker seals and opens stored tokens with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenKeys {
    current: SealingKey,
    previous: Option<SealingKey>,
}

/// Which of the Worker's keys opened a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    /// `TOKEN_ENCRYPTION_KEY`.
    Current,
    /// `TOKEN_ENCRYPTION_KEY_PREVIOUS`.
    Previous,
}

/// A stored token, opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The token.
    pub token: OktaToken,
    /// The key that opened it.
    pub key: KeyRole,
    /// Whether the value carried a key id (v2); v1 values did not.
    pub has_key_id: bool,
}

impl Opened {
    /// Whether the value should be sealed again under the current key: it needed the previous
    /// key (which the operator will remove), or it has no key id (so a later key change could
    /// not be told apart from a value of another tenant).
    pub fn needs_reseal(&self) -> bool {
        self.key == KeyRole::Previous || !self.has_key_id
    }
}

/// Why a stored token could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The stored text is not a sealed token.
    #[error("the stored token is not in the sealed format")]
    Format,
    /// The value was sealed with a key the Worker does not have (its key id is neither the
    /// current key's nor the previous key's; or, for a v1 value, neither key opens it).
    #[error("the stored token was sealed with an encryption key this deployment does not have")]
    UnknownKey,
    /// One of the Worker's keys sealed it, but it does not open for this tenant and app: it was
    /// sealed for others, or altered.
    #[error("the stored token does not open for this tenant and app")]
    Open,
    /// The system's random source failed.
    #[error("no randomness for the nonce")]
    Random,
}

impl TokenKeys {
    /// The current key, and the previous one while a rotation is under way. A previous key equal
    /// to the current one is dropped: it would only be tried twice.
    pub fn new(current: [u8; 32], previous: Option<[u8; 32]>) -> Self {
        let previous = previous.filter(|p| *p != current).map(SealingKey::new);
        Self { current: SealingKey::new(current), previous }
    }

    /// The current key.
    pub fn current(&self) -> &SealingKey {
        &self.current
    }

    /// The previous key, if configured.
    pub fn previous(&self) -> Option<&SealingKey> {
        self.previous.as_ref()
    }

    /// Seals `token` for `tenant_url` and `app_id` under the current key (v2 format).
    ///
    /// # Errors
    ///
    /// [`SealError::Random`] when no nonce can be drawn.
    pub fn seal(
        &self,
        token: &OktaToken,
        tenant_url: &str,
        app_id: &str,
    ) -> Result<String, SealError> {
        let key = &self.current;
        let mut nonce = [0_u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
        let aad = associated_data_v2(&key.id, tenant_url, app_id);
        let ciphertext = key
            .cipher()
            .encrypt(
                &Nonce::from(nonce),
                Payload { msg: token.expose().as_bytes(), aad: aad.as_bytes() },
            )
            .map_err(|_| SealError::Open)?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok(format!("{V2_PREFIX}{}:{}", key.id, STANDARD.encode(sealed)))
    }

    /// Opens a stored value for `tenant_url` and `app_id`: a v2 value with the key its id
    /// names, a v1 value with the current key, then the previous one.
    ///
    /// Pass the tenant and app the value was saved with: a v1 value carries no key id, so when
    /// no key opens it, a key change and another tenant look the same, and it is reported as
    /// [`SealError::UnknownKey`].
    ///
    /// # Errors
    ///
    /// See [`SealError`].
    pub fn open(&self, sealed: &str, tenant_url: &str, app_id: &str) -> Result<Opened, SealError> {
        let Some(rest) = sealed.strip_prefix(V2_PREFIX) else {
            return self.open_v1(sealed, tenant_url, app_id);
        };
        let (kid, body) = rest.split_once(':').ok_or(SealError::Format)?;
        let (key, role) = self.key_with_id(kid).ok_or(SealError::UnknownKey)?;
        let aad = associated_data_v2(kid, tenant_url, app_id);
        let token = decrypt(key, body, &aad)?.ok_or(SealError::Open)?;
        Ok(Opened { token, key: role, has_key_id: true })
    }

    /// Seals a webhook endpoint's signing secret, bound to the endpoint: the same AES-256-GCM
    /// as the token, with associated data that no tenant URL can equal (`webhook-endpoint`), so
    /// a sealed secret never opens as a token, nor for another endpoint.
    ///
    /// # Errors
    ///
    /// [`SealError::Random`] when no nonce can be drawn.
    pub fn seal_webhook_secret(
        &self,
        secret: &str,
        endpoint_id: &str,
    ) -> Result<String, SealError> {
        self.seal(&OktaToken::new(secret), WEBHOOK_PURPOSE, endpoint_id)
    }

    /// Opens what [`Self::seal_webhook_secret`] sealed for `endpoint_id`, and says whether it
    /// should be sealed again under the current key.
    ///
    /// # Errors
    ///
    /// See [`SealError`].
    pub fn open_webhook_secret(
        &self,
        sealed: &str,
        endpoint_id: &str,
    ) -> Result<(String, bool), SealError> {
        let opened = self.open(sealed, WEBHOOK_PURPOSE, endpoint_id)?;
        Ok((opened.token.expose().to_owned(), opened.needs_reseal()))
    }

    /// Seals the Okta service app's private key (PKCS#8 DER in base64), bound to its key id:
    /// associated data no tenant URL can equal (`okta-service-app-key`), so a sealed key never
    /// opens as a token, and never as another key (the id is derived from the key).
    ///
    /// # Errors
    ///
    /// [`SealError::Random`] when no nonce can be drawn.
    pub fn seal_service_app_key(&self, pkcs8_base64: &str, kid: &str) -> Result<String, SealError> {
        self.seal(&OktaToken::new(pkcs8_base64), SERVICE_APP_KEY_PURPOSE, kid)
    }

    /// Opens what [`Self::seal_service_app_key`] sealed for `kid`.
    ///
    /// # Errors
    ///
    /// See [`SealError`].
    pub fn open_service_app_key(&self, sealed: &str, kid: &str) -> Result<Opened, SealError> {
        self.open(sealed, SERVICE_APP_KEY_PURPOSE, kid)
    }

    fn open_v1(&self, sealed: &str, tenant_url: &str, app_id: &str) -> Result<Opened, SealError> {
        let aad = associated_data_v1(tenant_url, app_id);
        let keys = [Some((&self.current, KeyRole::Current)), self.previous_with_role()];
        for (key, role) in keys.into_iter().flatten() {
            if let Some(token) = decrypt(key, sealed, &aad)? {
                return Ok(Opened { token, key: role, has_key_id: false });
            }
        }
        Err(SealError::UnknownKey)
    }

    fn key_with_id(&self, kid: &str) -> Option<(&SealingKey, KeyRole)> {
        if self.current.id == kid {
            return Some((&self.current, KeyRole::Current));
        }
        self.previous_with_role().filter(|(key, _)| key.id == kid)
    }

    fn previous_with_role(&self) -> Option<(&SealingKey, KeyRole)> {
        self.previous.as_ref().map(|key| (key, KeyRole::Previous))
    }
}

/// Decrypts base64 of nonce ‖ ciphertext: `Ok(None)` when the key does not open it.
fn decrypt(key: &SealingKey, body: &str, aad: &str) -> Result<Option<OktaToken>, SealError> {
    let bytes = STANDARD.decode(body).map_err(|_| SealError::Format)?;
    if bytes.len() <= NONCE_BYTES {
        return Err(SealError::Format);
    }
    let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
    let nonce = Nonce::try_from(nonce).map_err(|_| SealError::Format)?;
    let Ok(plaintext) =
        key.cipher().decrypt(&nonce, Payload { msg: ciphertext, aad: aad.as_bytes() })
    else {
        return Ok(None);
    };
    String::from_utf8(plaintext).map(|t| Some(OktaToken::new(t))).map_err(|_| SealError::Format)
}

/// Where a tenant URL goes in the associated data of a sealed webhook secret.
const WEBHOOK_PURPOSE: &str = "webhook-endpoint";
/// The associated data's first part for a service app's private key.
const SERVICE_APP_KEY_PURPOSE: &str = "okta-service-app-key";

/// The last four characters of a token, to recognize it without revealing it.
pub fn last4(token: &OktaToken) -> String {
    let chars: Vec<char> = token.expose().chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// The id of `key`: 8 hex characters of HMAC-SHA256(key, label).
fn key_id(key: &[u8; 32]) -> String {
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key)
        .expect("HMAC takes keys of any length");
    mac.update(KEY_ID_LABEL);
    mac.finalize().into_bytes()[..4].iter().map(|b| format!("{b:02x}")).collect()
}

fn associated_data_v1(tenant_url: &str, app_id: &str) -> String {
    format!("okta-api-token/v1\n{tenant_url}\n{app_id}")
}

/// The key id is bound too, so that a value cannot be relabelled with another id.
fn associated_data_v2(kid: &str, tenant_url: &str, app_id: &str) -> String {
    format!("okta-api-token/v2\n{kid}\n{tenant_url}\n{app_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: [u8; 32] = [42; 32];
    const NEW: [u8; 32] = [43; 32];
    const TENANT: &str = "https://acme.okta.com";
    const APP: &str = "0oa1b2c3d4e5f6g7h8i9";

    /// A value as the Worker sealed it before key ids (v1): base64 of nonce ‖ ciphertext.
    fn seal_v1(key: &[u8; 32], token: &str) -> String {
        let nonce = [5_u8; NONCE_BYTES];
        let aad = associated_data_v1(TENANT, APP);
        let ciphertext = Aes256Gcm::new(key.into())
            .encrypt(&Nonce::from(nonce), Payload { msg: token.as_bytes(), aad: aad.as_bytes() })
            .unwrap();
        STANDARD.encode([nonce.as_slice(), &ciphertext].concat())
    }

    #[test]
    fn a_sealed_token_carries_its_key_id_and_opens_for_its_tenant_and_app_only() {
        let keys = TokenKeys::new(NEW, None);
        let token = OktaToken::new("00canary-1a2b");
        let sealed = keys.seal(&token, TENANT, APP).unwrap();
        assert!(!sealed.contains("canary"));
        assert!(sealed.starts_with(&format!("v2:{}:", keys.current().id())), "{sealed}");
        let opened = keys.open(&sealed, TENANT, APP).unwrap();
        assert_eq!((opened.key, opened.needs_reseal()), (KeyRole::Current, false));
        assert_eq!(opened.token, token);
        assert_eq!(keys.open(&sealed, "https://evil.okta.com", APP), Err(SealError::Open));
        assert_eq!(keys.open(&sealed, TENANT, "0oaZZZZZZZZZZZZZZZZZ"), Err(SealError::Open));
    }

    #[test]
    fn key_ids_are_short_stable_and_differ_between_keys() {
        let (old, new) = (SealingKey::new(OLD), SealingKey::new(NEW));
        assert_eq!(old.id().len(), 8);
        assert_eq!(old.id(), SealingKey::new(OLD).id());
        assert_ne!(old.id(), new.id());
    }

    #[test]
    fn after_a_rotation_the_previous_key_still_reads_and_asks_for_a_reseal() {
        let before = TokenKeys::new(OLD, None);
        let sealed = before.seal(&OktaToken::new("00token"), TENANT, APP).unwrap();
        let during = TokenKeys::new(NEW, Some(OLD));
        let opened = during.open(&sealed, TENANT, APP).unwrap();
        assert_eq!((opened.key, opened.needs_reseal()), (KeyRole::Previous, true));
        let resealed = during.seal(&opened.token, TENANT, APP).unwrap();
        let after = TokenKeys::new(NEW, None);
        assert_eq!(after.open(&resealed, TENANT, APP).unwrap().token, OktaToken::new("00token"));
    }

    #[test]
    fn a_value_under_a_key_the_worker_lacks_is_an_unknown_key_not_a_tenant_mismatch() {
        let sealed = TokenKeys::new(OLD, None).seal(&OktaToken::new("x"), TENANT, APP).unwrap();
        assert_eq!(
            TokenKeys::new(NEW, None).open(&sealed, TENANT, APP),
            Err(SealError::UnknownKey)
        );
        let v1 = seal_v1(&OLD, "x");
        assert_eq!(TokenKeys::new(NEW, None).open(&v1, TENANT, APP), Err(SealError::UnknownKey));
    }

    #[test]
    fn values_without_a_key_id_still_open_with_either_key_and_ask_for_a_reseal() {
        let v1 = seal_v1(&OLD, "00legacy");
        let opened = TokenKeys::new(OLD, None).open(&v1, TENANT, APP).unwrap();
        assert_eq!((opened.key, opened.has_key_id), (KeyRole::Current, false));
        assert!(opened.needs_reseal());
        let opened = TokenKeys::new(NEW, Some(OLD)).open(&v1, TENANT, APP).unwrap();
        assert_eq!((opened.token, opened.key), (OktaToken::new("00legacy"), KeyRole::Previous));
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let keys = TokenKeys::new(OLD, None);
        let token = OktaToken::new("same");
        assert_ne!(
            keys.seal(&token, TENANT, APP).unwrap(),
            keys.seal(&token, TENANT, APP).unwrap()
        );
    }

    #[test]
    fn altered_relabelled_or_foreign_text_does_not_open() {
        let keys = TokenKeys::new(NEW, Some(OLD));
        let sealed = keys.seal(&OktaToken::new("x"), TENANT, APP).unwrap();
        let (head, body) = sealed.rsplit_once(':').unwrap();
        let mut bytes = STANDARD.decode(body).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        let altered = format!("{head}:{}", STANDARD.encode(bytes));
        assert_eq!(keys.open(&altered, TENANT, APP), Err(SealError::Open));
        // The same ciphertext under the previous key's id: the key id is bound to it.
        let relabelled = format!("v2:{}:{body}", keys.previous().unwrap().id());
        assert_eq!(keys.open(&relabelled, TENANT, APP), Err(SealError::Open));
        assert_eq!(keys.open("not base64!", TENANT, APP), Err(SealError::Format));
        assert_eq!(keys.open("AAAA", TENANT, APP), Err(SealError::Format));
        assert_eq!(keys.open("v2:nocolon", TENANT, APP), Err(SealError::Format));
    }

    #[test]
    fn debug_output_shows_key_ids_never_keys() {
        let keys = TokenKeys::new([0xAB; 32], Some([0xCD; 32]));
        let debug = format!("{keys:?} {:?}", keys.current());
        assert!(debug.contains("[redacted]") && debug.contains(keys.current().id()), "{debug}");
        for secret in [[0xAB_u8; 32], [0xCD; 32]] {
            for shown in
                [format!("{secret:?}"), format!("{:?}", &secret[..4]), STANDARD.encode(secret)]
            {
                assert!(!debug.contains(&shown), "{debug}");
            }
        }
    }

    #[test]
    fn last4_shows_only_the_end() {
        assert_eq!(last4(&OktaToken::new("00abcdef1a2b")), "1a2b");
        assert_eq!(last4(&OktaToken::new("ab")), "ab");
    }

    #[test]
    fn a_webhook_secret_opens_for_its_endpoint_only_and_never_as_a_token() {
        let keys = TokenKeys::new(NEW, None);
        let sealed = keys.seal_webhook_secret("whsec_abc", "we_1").unwrap();
        assert_eq!(keys.open_webhook_secret(&sealed, "we_1").unwrap(), ("whsec_abc".into(), false));
        let rotated = TokenKeys::new(OLD, Some(NEW));
        assert_eq!(
            rotated.open_webhook_secret(&sealed, "we_1").unwrap(),
            ("whsec_abc".into(), true)
        );
        assert_eq!(keys.open_webhook_secret(&sealed, "we_2"), Err(SealError::Open));
        assert_eq!(keys.open(&sealed, TENANT, "we_1").unwrap_err(), SealError::Open);
    }
}
