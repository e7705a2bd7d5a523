//! Verifying (and, for the local dev sign-in and the tests, minting) RS256 JWTs as Cloudflare
//! Access issues them in `Cf-Access-Jwt-Assertion`.
//!
//! Only RS256 is accepted: `none`, HMAC (`HS256` with the public key as the secret) and every
//! other algorithm are refused before any key is looked at. The issuer must match exactly, the
//! audience must contain the application's AUD tag, and `exp`/`nbf` hold within a small leeway.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::PrivateKey;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::jwks::VerificationKey;

/// The largest token accepted; Access tokens are about 1 KiB, so this only stops abuse.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// What a token must say to be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectations {
    /// The exact issuer (`https://<team>.cloudflareaccess.com`).
    pub issuer: String,
    /// The AUD tag of the Access application, which `aud` must contain.
    pub audience: String,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_s: u64,
}

/// The verified identity in a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The subject: Access's user id, empty for service tokens.
    pub subject: String,
    /// The person's email, for people.
    pub email: Option<String>,
    /// The service token's client id, for machine clients.
    pub common_name: Option<String>,
    /// When the token expires, in epoch seconds.
    pub expires_at: u64,
}

/// Why a token was refused. The API answers every one of them with the same 401; the variants
/// exist for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Longer than [`MAX_TOKEN_BYTES`].
    #[error("the token is too large")]
    TooLarge,
    /// Not three base64url parts holding JSON.
    #[error("the token is malformed: {0}")]
    Malformed(&'static str),
    /// An algorithm other than RS256 (including `none` and HMAC).
    #[error("the token's algorithm {0:?} is not RS256")]
    Algorithm(String),
    /// The header names no key id.
    #[error("the token names no key")]
    MissingKeyId,
    /// No known key has the token's key id.
    #[error("the token's key is not one of the issuer's keys")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// `exp` has passed.
    #[error("the token has expired")]
    Expired,
    /// `nbf` is in the future.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// The issuer is not the expected one.
    #[error("the token's issuer is not the expected one")]
    Issuer,
    /// The audience does not contain the application's AUD tag.
    #[error("the token is not for this application")]
    Audience,
    /// Neither an email nor a service token's common name.
    #[error("the token names no person or service")]
    NoIdentity,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

#[derive(Deserialize)]
struct RawClaims {
    iss: String,
    aud: Audience,
    exp: u64,
    nbf: Option<u64>,
    #[serde(default)]
    sub: String,
    email: Option<String>,
    common_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, tag: &str) -> bool {
        match self {
            Self::One(aud) => aud == tag,
            Self::Many(auds) => auds.iter().any(|aud| aud == tag),
        }
    }
}

/// The key id of a token whose header is well formed and names RS256.
///
/// # Errors
///
/// Every [`JwtError`] that the header alone can show.
pub fn key_id(token: &str) -> Result<String, JwtError> {
    let (header, _, _) = split(token)?;
    let header: Header = decode_json(header)?;
    if header.alg != "RS256" {
        return Err(JwtError::Algorithm(header.alg));
    }
    header.kid.filter(|kid| !kid.is_empty()).ok_or(JwtError::MissingKeyId)
}

/// Verifies `token` against `keys` and `expect` at time `now_s` (epoch seconds), checking its
/// RS256 signature in pure Rust.
///
/// # Errors
///
/// See [`JwtError`].
pub fn verify(
    token: &str,
    keys: &[VerificationKey],
    expect: &Expectations,
    now_s: u64,
) -> Result<Claims, JwtError> {
    let signed = SignedToken::parse(token, keys)?;
    let signature =
        Signature::try_from(signed.signature.as_slice()).map_err(|_| JwtError::BadSignature)?;
    VerifyingKey::<Sha256>::new(signed.key.key.clone())
        .verify(signed.signed.as_bytes(), &signature)
        .map_err(|_| JwtError::BadSignature)?;
    signed.claims(expect, now_s)
}

/// [`verify`], with the RS256 signature checked by `signature_holds`.
///
/// It gets the key, the signed bytes and the signature, and says whether the signature holds:
/// the Worker asks the runtime's `WebCrypto`, which is faster there than Rust compiled to wasm.
///
/// # Errors
///
/// See [`JwtError`].
pub async fn verify_with(
    token: &str,
    keys: &[VerificationKey],
    expect: &Expectations,
    now_s: u64,
    signature_holds: impl AsyncFnOnce(&VerificationKey, &[u8], &[u8]) -> bool,
) -> Result<Claims, JwtError> {
    let signed = SignedToken::parse(token, keys)?;
    if !signature_holds(signed.key, signed.signed.as_bytes(), &signed.signature).await {
        return Err(JwtError::BadSignature);
    }
    signed.claims(expect, now_s)
}

/// A token taken apart, its signature not yet checked.
struct SignedToken<'a> {
    /// The key its `kid` names.
    key: &'a VerificationKey,
    /// What the signature signs: `header.payload`.
    signed: &'a str,
    /// The signature's bytes.
    signature: Vec<u8>,
    /// The payload, base64url.
    payload: &'a str,
}

impl<'a> SignedToken<'a> {
    fn parse(token: &'a str, keys: &'a [VerificationKey]) -> Result<Self, JwtError> {
        let kid = key_id(token)?;
        let key = keys.iter().find(|k| k.kid == kid).ok_or(JwtError::UnknownKey)?;
        let (header, payload, signature) = split(token)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| JwtError::Malformed("signature encoding"))?;
        let signed = &token[..header.len() + 1 + payload.len()];
        Ok(Self { key, signed, signature, payload })
    }

    /// The claims, once the signature holds: checked against `expect` at `now_s`.
    fn claims(&self, expect: &Expectations, now_s: u64) -> Result<Claims, JwtError> {
        let claims: RawClaims = decode_json(self.payload)?;
        if claims.iss != expect.issuer {
            return Err(JwtError::Issuer);
        }
        if !claims.aud.contains(&expect.audience) {
            return Err(JwtError::Audience);
        }
        if now_s > claims.exp.saturating_add(expect.leeway_s) {
            return Err(JwtError::Expired);
        }
        if claims.nbf.is_some_and(|nbf| now_s.saturating_add(expect.leeway_s) < nbf) {
            return Err(JwtError::NotYetValid);
        }
        let email = claims.email.filter(|e| !e.is_empty());
        let common_name = claims.common_name.filter(|c| !c.is_empty());
        if email.is_none() && common_name.is_none() {
            return Err(JwtError::NoIdentity);
        }
        Ok(Claims { subject: claims.sub, email, common_name, expires_at: claims.exp })
    }
}

/// Mints an RS256 token with `claims` (a JSON object) signed by `key` under `kid`: for the local
/// dev sign-in and the tests, never for production identities (Access mints those).
pub fn sign_rs256(claims: &serde_json::Value, kid: &str, key: &PrivateKey) -> String {
    let header = serde_json::json!({ "alg": "RS256", "typ": "JWT", "kid": kid });
    let signed = format!("{}.{}", encode_json(&header), encode_json(claims));
    let signature = SigningKey::<Sha256>::new(key.clone()).sign(signed.as_bytes());
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

fn split(token: &str) -> Result<(&str, &str, &str), JwtError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(JwtError::TooLarge);
    }
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(p), Some(s), None) if !h.is_empty() && !p.is_empty() => Ok((h, p, s)),
        _ => Err(JwtError::Malformed("not three parts")),
    }
}

fn decode_json<T: DeserializeOwned>(part: &str) -> Result<T, JwtError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| JwtError::Malformed("base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed("JSON"))
}

fn encode_json(value: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}
