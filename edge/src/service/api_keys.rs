//! API keys for machine clients: `gsk_<id>_<secret>`.
//!
//! The id is public (it names the key in lists); only an HMAC-SHA256 of the whole key under the
//! Worker's pepper is stored, so a leaked database does not leak usable keys.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The prefix of every key, so that scanners and people recognize one.
const PREFIX: &str = "gsk_";

/// A freshly issued key: its id, and the whole key to hand over once.
#[derive(Debug)]
pub struct IssuedKey {
    /// The public id.
    pub id: String,
    /// The whole key (`gsk_<id>_<secret>`), shown once.
    pub secret: String,
}

/// Draws a new key.
///
/// # Errors
///
/// When the system has no randomness to give.
pub fn issue() -> Result<IssuedKey, getrandom::Error> {
    let mut id = [0_u8; 9];
    let mut secret = [0_u8; 32];
    getrandom::fill(&mut id)?;
    getrandom::fill(&mut secret)?;
    let id = URL_SAFE_NO_PAD.encode(id).replace(['-', '_'], "x");
    let secret = format!("{PREFIX}{id}_{}", URL_SAFE_NO_PAD.encode(secret));
    Ok(IssuedKey { id, secret })
}

/// Whether `text` has the shape of a key (checked before any hashing or lookup).
pub fn looks_like_key(text: &str) -> bool {
    text.len() <= 128
        && text.strip_prefix(PREFIX).is_some_and(|rest| {
            rest.split_once('_').is_some_and(|(id, secret)| !id.is_empty() && secret.len() >= 32)
        })
}

/// The stored form of a key: hex HMAC-SHA256 under `pepper`.
pub fn hash(pepper: &[u8], key: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(pepper).expect("HMAC takes keys of any length");
    mac.update(key.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_keys_have_the_key_shape_and_differ() {
        let a = issue().unwrap();
        let b = issue().unwrap();
        assert!(looks_like_key(&a.secret), "{}", a.secret);
        assert!(a.secret.starts_with(&format!("gsk_{}_", a.id)));
        assert_ne!(a.secret, b.secret);
    }

    #[test]
    fn hashes_depend_on_the_pepper_and_hide_the_key() {
        let key = issue().unwrap().secret;
        let hashed = hash(&[1; 32], &key);
        assert_eq!(hashed.len(), 64);
        assert_eq!(hashed, hash(&[1; 32], &key));
        assert_ne!(hashed, hash(&[2; 32], &key));
        assert!(!hashed.contains(&key));
    }

    #[test]
    fn other_text_is_not_taken_for_a_key() {
        for text in ["", "gsk_", "gsk_id_short", "Bearer x", "sk_live_abc", &"gsk_a_".repeat(40)] {
            assert!(!looks_like_key(text), "{text}");
        }
    }
}
