//! The typed Okta API token at rest, sealed with AES-256-GCM.
//!
//! The key is the Worker's encryption key; the tenant URL and App ID are the associated data, so
//! a stored token only ever opens for the tenant and app it was tested against (changing either
//! requires the token again).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use groupsync_core::okta::OktaToken;

/// The nonce length of AES-GCM.
const NONCE_BYTES: usize = 12;

/// Why a stored token could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The stored text is not a sealed token.
    #[error("the stored token is not in the sealed format")]
    Format,
    /// The key, tenant URL or App ID differ from those it was sealed with, or it was altered.
    #[error("the stored token does not open with this key, tenant and app")]
    Open,
    /// The system's random source failed.
    #[error("no randomness for the nonce")]
    Random,
}

/// Seals `token` for `tenant_url` and `app_id`: base64 of nonce ‖ ciphertext.
///
/// # Errors
///
/// [`SealError::Random`] when no nonce can be drawn.
pub fn seal(
    key: &[u8; 32],
    token: &OktaToken,
    tenant_url: &str,
    app_id: &str,
) -> Result<String, SealError> {
    let mut nonce = [0_u8; NONCE_BYTES];
    getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
    let cipher = Aes256Gcm::new(key.into());
    let aad = associated_data(tenant_url, app_id);
    let ciphertext = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload { msg: token.expose().as_bytes(), aad: aad.as_bytes() },
        )
        .map_err(|_| SealError::Open)?;
    let mut sealed = nonce.to_vec();
    sealed.extend_from_slice(&ciphertext);
    Ok(STANDARD.encode(sealed))
}

/// Opens a sealed token for `tenant_url` and `app_id`.
///
/// # Errors
///
/// See [`SealError`].
pub fn open(
    key: &[u8; 32],
    sealed: &str,
    tenant_url: &str,
    app_id: &str,
) -> Result<OktaToken, SealError> {
    let bytes = STANDARD.decode(sealed).map_err(|_| SealError::Format)?;
    if bytes.len() <= NONCE_BYTES {
        return Err(SealError::Format);
    }
    let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
    let nonce = Nonce::try_from(nonce).map_err(|_| SealError::Format)?;
    let cipher = Aes256Gcm::new(key.into());
    let aad = associated_data(tenant_url, app_id);
    let plaintext = cipher
        .decrypt(&nonce, Payload { msg: ciphertext, aad: aad.as_bytes() })
        .map_err(|_| SealError::Open)?;
    String::from_utf8(plaintext).map(OktaToken::new).map_err(|_| SealError::Open)
}

/// The last four characters of a token, to recognize it without revealing it.
pub fn last4(token: &OktaToken) -> String {
    let chars: Vec<char> = token.expose().chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

fn associated_data(tenant_url: &str, app_id: &str) -> String {
    format!("okta-api-token/v1\n{tenant_url}\n{app_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [42; 32];
    const TENANT: &str = "https://acme.okta.com";
    const APP: &str = "0oa1b2c3d4e5f6g7h8i9";

    #[test]
    fn a_sealed_token_opens_for_its_tenant_and_app_only() {
        let token = OktaToken::new("00canary-1a2b");
        let sealed = seal(&KEY, &token, TENANT, APP).unwrap();
        assert!(!sealed.contains("canary"));
        assert_eq!(open(&KEY, &sealed, TENANT, APP).unwrap(), token);
        assert_eq!(open(&KEY, &sealed, "https://evil.okta.com", APP), Err(SealError::Open));
        assert_eq!(open(&KEY, &sealed, TENANT, "0oaZZZZZZZZZZZZZZZZZ"), Err(SealError::Open));
        assert_eq!(open(&[1; 32], &sealed, TENANT, APP), Err(SealError::Open));
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let token = OktaToken::new("same");
        assert_ne!(
            seal(&KEY, &token, TENANT, APP).unwrap(),
            seal(&KEY, &token, TENANT, APP).unwrap()
        );
    }

    #[test]
    fn altered_or_foreign_text_does_not_open() {
        let sealed = seal(&KEY, &OktaToken::new("x"), TENANT, APP).unwrap();
        let mut bytes = STANDARD.decode(&sealed).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        assert_eq!(open(&KEY, &STANDARD.encode(bytes), TENANT, APP), Err(SealError::Open));
        assert_eq!(open(&KEY, "not base64!", TENANT, APP), Err(SealError::Format));
        assert_eq!(open(&KEY, "AAAA", TENANT, APP), Err(SealError::Format));
    }

    #[test]
    fn last4_shows_only_the_end() {
        assert_eq!(last4(&OktaToken::new("00abcdef1a2b")), "1a2b");
        assert_eq!(last4(&OktaToken::new("ab")), "ab");
    }
}
