//! JSON Web Key Sets: the RSA public keys that Cloudflare Access publishes at the team's
//! `/cdn-cgi/access/certs` and signs its JWTs with.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::{BoxedUint, PublicKey};
use serde::Deserialize;

/// Keys shorter than this are refused: Access signs with 2048-bit RSA keys.
const MIN_MODULUS_BITS: u32 = 2048;

/// An RSA public key and the id (`kid`) tokens name it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationKey {
    /// The key id.
    pub kid: String,
    /// The public key.
    pub key: PublicKey,
}

/// Why a key set could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    /// Not a JSON object with a `keys` array.
    #[error("the key set is not a JSON Web Key Set")]
    NotAKeySet,
    /// It held no usable RSA signing key.
    #[error("the key set holds no usable RSA signing key")]
    NoUsableKey,
}

#[derive(Deserialize)]
struct KeySet {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    n: Option<String>,
    e: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
}

/// Reads the RSA signing keys of a key set. Keys of other types, for other uses, without a
/// `kid` or shorter than 2048 bits are skipped rather than trusted.
///
/// # Errors
///
/// See [`JwksError`].
pub fn parse_jwks(json: &[u8]) -> Result<Vec<VerificationKey>, JwksError> {
    let set: KeySet = serde_json::from_slice(json).map_err(|_| JwksError::NotAKeySet)?;
    let keys: Vec<VerificationKey> = set.keys.into_iter().filter_map(rsa_signing_key).collect();
    if keys.is_empty() { Err(JwksError::NoUsableKey) } else { Ok(keys) }
}

fn rsa_signing_key(jwk: Jwk) -> Option<VerificationKey> {
    if jwk.kty != "RSA" || jwk.usage.as_deref().is_some_and(|u| u != "sig") {
        return None;
    }
    if jwk.alg.as_deref().is_some_and(|a| a != "RS256") {
        return None;
    }
    let n = URL_SAFE_NO_PAD.decode(jwk.n?).ok()?;
    let e = URL_SAFE_NO_PAD.decode(jwk.e?).ok()?;
    let bits = u32::try_from(n.len() * 8).ok()?;
    if bits < MIN_MODULUS_BITS || e.len() > 8 {
        return None;
    }
    let key = PublicKey::new(
        BoxedUint::from_be_slice(&n, bits).ok()?,
        BoxedUint::from_be_slice(&e, 64).ok()?,
    )
    .ok()?;
    Some(VerificationKey { kid: jwk.kid?, key })
}
