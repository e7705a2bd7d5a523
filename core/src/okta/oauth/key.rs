//! [`ServiceAppKey`]: the RS256 key the service app authenticates with, its public JWK for the
//! admin to register in Okta, and its PKCS#8 form for sealed storage.
//!
//! RS256 because Okta accepts it for `private_key_jwt` and `DPoP` alike, the workspace already
//! verifies it in pure Rust (`rsa`), and `WebCrypto` signs it (`RSASSA-PKCS1-v1_5`) should the
//! Worker want to later. Keys are not generated here: the Worker will do that with `WebCrypto`
//! or a seeded RNG, and hand the PKCS#8 bytes to [`ServiceAppKey::from_pkcs8_der`].

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, SecretDocument};
use rsa::sha2::{Digest, Sha256};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::{PrivateKey, PublicKey};
use serde::Serialize;

/// The smallest modulus accepted: Okta (and RFC 7518 §3.3) require at least 2048 bits.
pub const MIN_KEY_BITS: u32 = 2048;

/// The largest modulus accepted. Signing cost grows with the cube of the size, and a key comes
/// from an admin's paste, so an absurd key must not turn every request into seconds of CPU.
pub const MAX_KEY_BITS: u32 = 4096;

/// The largest PKCS#8 DER accepted: a 4096-bit key is about 2.4 KB.
const MAX_PKCS8_BYTES: usize = 4 * 1024;

/// The PEM label of an unencrypted PKCS#8 key (`openssl genpkey` writes it).
const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

/// Why a private key was refused. None of the variants carries key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The encoded key is larger than any key this product accepts.
    #[error("the key is too large")]
    TooLarge,
    /// Neither base64 nor a `PRIVATE KEY` PEM block.
    #[error("the key is neither base64 nor a PEM \"PRIVATE KEY\" block")]
    Encoding,
    /// The bytes are not an unencrypted PKCS#8 RSA private key (or its numbers are inconsistent).
    #[error("the key is not an unencrypted PKCS#8 RSA private key")]
    NotPkcs8Rsa,
    /// The modulus is outside [`MIN_KEY_BITS`]..=[`MAX_KEY_BITS`].
    #[error("the key has {0} bits; 2048 to 4096 are accepted")]
    Size(u32),
    /// The key could not be written as PKCS#8 (not expected of a key that was read or checked).
    #[error("the key could not be encoded as PKCS#8")]
    Encode,
}

/// The service app's private key, ready to sign client assertions and `DPoP` proofs.
///
/// Its `Debug` shows only the key id, and it has no `Display`; the private key leaves it only as
/// [`Pkcs8Der`], for sealing.
#[derive(Clone)]
pub struct ServiceAppKey {
    signing: SigningKey<Sha256>,
    jwk: PublicJwk,
}

impl ServiceAppKey {
    /// Takes an RSA private key of an acceptable size.
    ///
    /// # Errors
    ///
    /// [`KeyError::Size`] when the modulus is shorter than [`MIN_KEY_BITS`] or longer than
    /// [`MAX_KEY_BITS`].
    pub fn from_private_key(key: PrivateKey) -> Result<Self, KeyError> {
        let bits = key.n().bit_width();
        if !(MIN_KEY_BITS..=MAX_KEY_BITS).contains(&bits) {
            return Err(KeyError::Size(bits));
        }
        let jwk = PublicJwk::from_public_key(key.as_public_key());
        Ok(Self { signing: SigningKey::new(key), jwk })
    }

    /// Reads an unencrypted PKCS#8 DER private key (what sealed storage holds).
    ///
    /// # Errors
    ///
    /// [`KeyError::TooLarge`], [`KeyError::NotPkcs8Rsa`] or [`KeyError::Size`].
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        // The size check comes first: the parser must not see arbitrarily large input.
        if der.len() > MAX_PKCS8_BYTES {
            return Err(KeyError::TooLarge);
        }
        let key = PrivateKey::from_pkcs8_der(der).map_err(|_| KeyError::NotPkcs8Rsa)?;
        Self::from_private_key(key)
    }

    /// Reads a PKCS#8 private key as text: standard base64 of the DER, or the PEM block that
    /// `openssl genpkey` writes (`-----BEGIN PRIVATE KEY-----`). Whitespace is ignored, so a
    /// paste with line breaks works. Encrypted and PKCS#1 (`RSA PRIVATE KEY`) PEM are refused.
    ///
    /// # Errors
    ///
    /// [`KeyError::Encoding`] for text that is neither form, and those of
    /// [`Self::from_pkcs8_der`].
    pub fn from_pkcs8_text(text: &str) -> Result<Self, KeyError> {
        // Base64 of the largest accepted DER, plus PEM armour and line breaks.
        if text.len() > MAX_PKCS8_BYTES * 2 {
            return Err(KeyError::TooLarge);
        }
        let text = text.trim();
        let body = match text.strip_prefix(PEM_BEGIN) {
            Some(rest) => rest.strip_suffix(PEM_END).ok_or(KeyError::Encoding)?,
            None if text.starts_with("-----") => return Err(KeyError::Encoding),
            None => text,
        };
        let compact: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = STANDARD.decode(compact).map_err(|_| KeyError::Encoding)?;
        Self::from_pkcs8_der(&der)
    }

    /// The private key as PKCS#8 DER, to be sealed (encrypted) before it is stored anywhere.
    ///
    /// # Errors
    ///
    /// [`KeyError::Encode`] if the encoder fails, which a valid key should never make it do;
    /// an error rather than a panic, since the Worker must not abort on it.
    pub fn to_pkcs8_der(&self) -> Result<Pkcs8Der, KeyError> {
        self.signing.to_pkcs8_der().map(Pkcs8Der).map_err(|_| KeyError::Encode)
    }

    /// The key id: the RFC 7638 thumbprint of the public key, so that it is derived rather than
    /// chosen and the same key always has the same id.
    pub fn kid(&self) -> &str {
        &self.jwk.kid
    }

    /// The public key as a JWK, for the admin to register in Okta.
    pub fn public_jwk(&self) -> &PublicJwk {
        &self.jwk
    }

    /// Signs `header.claims` as a compact JWS with RS256 (RSASSA-PKCS1-v1_5 with SHA-256).
    ///
    /// Both are JSON objects; `serde_json`'s map keeps their members sorted, so the output is
    /// deterministic for given inputs (PKCS#1 v1.5 signatures are deterministic too).
    pub(super) fn sign_compact(
        &self,
        header: &serde_json::Value,
        claims: &impl Serialize,
    ) -> String {
        let header = URL_SAFE_NO_PAD.encode(header.to_string());
        // Serializing a struct of strings and integers to a string cannot fail.
        let claims = serde_json::to_vec(claims).unwrap_or_default();
        let signing_input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims));
        let signature = self.signing.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }
}

impl fmt::Debug for ServiceAppKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServiceAppKey(kid {}, [redacted])", self.jwk.kid)
    }
}

/// A private key as PKCS#8 DER: secret, wiped from memory when dropped, with a redacted `Debug`.
pub struct Pkcs8Der(SecretDocument);

impl Pkcs8Der {
    /// The DER bytes, to be sealed before storage and for nothing else.
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The DER as standard base64 (what [`ServiceAppKey::from_pkcs8_text`] reads back), for a
    /// sealed store that keeps text. The string is as secret as the key.
    pub fn expose_base64(&self) -> String {
        STANDARD.encode(self.expose())
    }
}

impl fmt::Debug for Pkcs8Der {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pkcs8Der([redacted])")
    }
}

/// An RSA public key as a JSON Web Key (RFC 7517), with everything Okta's "Add a public key"
/// form and JWKS URL expect: `kty`, `kid`, `use`, `alg`, `n`, `e`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicJwk {
    kty: &'static str,
    kid: String,
    #[serde(rename = "use")]
    usage: &'static str,
    alg: &'static str,
    n: String,
    e: String,
}

/// The members RFC 7638 hashes for an RSA key, in the order it requires (lexicographic), and
/// the members a `DPoP` proof's `jwk` header carries (no `kid` or `alg` are needed there).
#[derive(Serialize)]
pub(super) struct RsaJwkCore<'a> {
    e: &'a str,
    kty: &'static str,
    n: &'a str,
}

impl PublicJwk {
    /// The JWK of `key`, its `kid` the RFC 7638 thumbprint.
    pub fn from_public_key(key: &PublicKey) -> Self {
        // `n_bytes`/`e_bytes` are big-endian without leading zeros, as RFC 7518 §6.3.1 requires.
        let n = URL_SAFE_NO_PAD.encode(key.n_bytes());
        let e = URL_SAFE_NO_PAD.encode(key.e_bytes());
        let kid = thumbprint(&n, &e);
        Self { kty: "RSA", kid, usage: "sig", alg: "RS256", n, e }
    }

    /// The key id (the RFC 7638 SHA-256 thumbprint, base64url).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The modulus, base64url.
    pub fn n(&self) -> &str {
        &self.n
    }

    /// The public exponent, base64url.
    pub fn e(&self) -> &str {
        &self.e
    }

    /// The JWK as JSON, for the admin to paste into Okta.
    pub fn to_json(&self) -> String {
        serde_json::json!(self).to_string()
    }

    /// A JSON Web Key Set holding only this key, for serving at a JWKS URL.
    pub fn to_jwks_json(&self) -> String {
        serde_json::json!({ "keys": [self] }).to_string()
    }

    /// The public members alone, for a `DPoP` proof's `jwk` header (RFC 9449 §4.2).
    pub(super) fn core(&self) -> RsaJwkCore<'_> {
        RsaJwkCore { e: &self.e, kty: self.kty, n: &self.n }
    }
}

/// Whether `json` is an RSA public JWK whose `kid` member is `kid` and is its RFC 7638
/// thumbprint: a stored JWK whose text was altered (another key swapped in) fails it.
pub fn jwk_has_kid(json: &str, kid: &str) -> bool {
    let Ok(jwk) = serde_json::from_str::<serde_json::Value>(json) else {
        return false;
    };
    let text = |member: &str| jwk.get(member).and_then(serde_json::Value::as_str);
    match (text("kty"), text("kid"), text("n"), text("e")) {
        (Some("RSA"), Some(named), Some(n), Some(e)) => named == kid && thumbprint(n, e) == kid,
        _ => false,
    }
}

/// RFC 7638: base64url(SHA-256(the required members, sorted, without whitespace)).
fn thumbprint(n: &str, e: &str) -> String {
    // The members are base64url text and "RSA", none of which JSON escapes, so serializing the
    // sorted struct gives exactly the canonical form.
    let canonical = serde_json::to_vec(&RsaJwkCore { e, kty: "RSA", n }).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical))
}

#[cfg(test)]
mod tests {
    use rsa::BoxedUint;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;

    use super::super::fixtures::{
        SMALL_KEY_BASE64, TEST_KEY_KID, TEST_KEY_PEM, TEST_KEY_SIGNATURE, test_key,
    };
    use super::*;

    /// The RSA key of RFC 7638 §3.1 and the thumbprint the RFC publishes for it.
    const RFC7638_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    const RFC7638_THUMBPRINT: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

    #[test]
    fn the_kid_is_the_rfc_7638_thumbprint_of_the_rfcs_example_key() {
        let n = URL_SAFE_NO_PAD.decode(RFC7638_N).unwrap();
        let key = PublicKey::new(
            BoxedUint::from_be_slice(&n, 2048).unwrap(),
            BoxedUint::from_be_slice(&[1, 0, 1], 64).unwrap(),
        )
        .unwrap();
        let jwk = PublicJwk::from_public_key(&key);
        assert_eq!(jwk.n(), RFC7638_N);
        assert_eq!(jwk.e(), "AQAB");
        assert_eq!(jwk.kid(), RFC7638_THUMBPRINT);
    }

    #[test]
    fn a_stored_jwk_is_trusted_only_when_its_kid_is_its_thumbprint() {
        let json = test_key().public_jwk().to_json();
        assert!(jwk_has_kid(&json, TEST_KEY_KID));
        let mut swapped: serde_json::Value = serde_json::from_str(&json).unwrap();
        let n = swapped["n"].as_str().unwrap().replacen('A', "B", 1);
        swapped["n"] = n.into();
        assert!(!jwk_has_kid(&swapped.to_string(), TEST_KEY_KID), "another modulus, same kid");
        assert!(!jwk_has_kid(&json, RFC7638_THUMBPRINT), "another kid than the key's");
        for broken in ["", "{}", "[1]", "{\"kty\":\"EC\"}"] {
            assert!(!jwk_has_kid(broken, TEST_KEY_KID), "{broken}");
        }
    }

    #[test]
    fn an_openssl_pem_key_loads_with_the_thumbprint_openssl_gives() {
        let key = test_key();
        // Computed outside Rust: the modulus from `openssl rsa -modulus`, hashed by `openssl dgst`.
        assert_eq!(key.kid(), TEST_KEY_KID);
        let jwk: serde_json::Value = serde_json::from_str(&key.public_jwk().to_json()).unwrap();
        assert_eq!(jwk["kty"], "RSA");
        assert_eq!(jwk["kid"], TEST_KEY_KID);
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["alg"], "RS256");
        assert_eq!(jwk["e"], "AQAB");
        let members: Vec<&String> = jwk.as_object().unwrap().keys().collect();
        assert_eq!(members, ["alg", "e", "kid", "kty", "n", "use"], "no private member");
        let set: serde_json::Value =
            serde_json::from_str(&key.public_jwk().to_jwks_json()).unwrap();
        assert_eq!(set["keys"][0], jwk);
    }

    #[test]
    fn signatures_match_openssl_and_verify_with_the_public_key() {
        let key = test_key();
        let input = b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0";
        // `openssl dgst -sha256 -sign` of the same input with the same key.
        let signature = key.signing.sign(input);
        assert_eq!(URL_SAFE_NO_PAD.encode(signature.to_bytes()), TEST_KEY_SIGNATURE);

        let jws = key.sign_compact(
            &serde_json::json!({ "alg": "RS256" }),
            &serde_json::json!({ "sub": "test" }),
        );
        let (signed, signature) = jws.rsplit_once('.').unwrap();
        assert_eq!(signed.as_bytes(), input);
        let signature = Signature::try_from(URL_SAFE_NO_PAD.decode(signature).unwrap().as_slice());
        let public = key.signing.as_ref().to_public_key();
        VerifyingKey::<Sha256>::new(public).verify(input, &signature.unwrap()).unwrap();
    }

    #[test]
    fn pkcs8_round_trips_as_der_and_base64() {
        let key = test_key();
        let der = key.to_pkcs8_der().unwrap();
        assert!(der.expose().len() > 1000);
        let from_der = ServiceAppKey::from_pkcs8_der(der.expose()).unwrap();
        assert_eq!(from_der.kid(), key.kid());
        let from_text = ServiceAppKey::from_pkcs8_text(&der.expose_base64()).unwrap();
        assert_eq!(from_text.kid(), key.kid());
        // The PEM body is that same base64, wrapped.
        let pem_body: String = TEST_KEY_PEM.lines().filter(|l| !l.starts_with("-----")).collect();
        assert_eq!(pem_body, der.expose_base64());
    }

    #[test]
    fn bad_keys_are_refused_for_a_reason() {
        assert_eq!(ServiceAppKey::from_pkcs8_text("not base64!").unwrap_err(), KeyError::Encoding);
        assert_eq!(ServiceAppKey::from_pkcs8_text("AAAA").unwrap_err(), KeyError::NotPkcs8Rsa);
        let pkcs1 = TEST_KEY_PEM.replace("PRIVATE KEY", "RSA PRIVATE KEY");
        assert_eq!(ServiceAppKey::from_pkcs8_text(&pkcs1).unwrap_err(), KeyError::Encoding);
        let unterminated = TEST_KEY_PEM.replace(PEM_END, "");
        assert_eq!(ServiceAppKey::from_pkcs8_text(&unterminated).unwrap_err(), KeyError::Encoding);
        assert_eq!(
            ServiceAppKey::from_pkcs8_der(&vec![0x30; MAX_PKCS8_BYTES + 1]).unwrap_err(),
            KeyError::TooLarge
        );
        assert_eq!(
            ServiceAppKey::from_pkcs8_text(&"A".repeat(MAX_PKCS8_BYTES * 2 + 1)).unwrap_err(),
            KeyError::TooLarge
        );
        // A changed modulus (it starts at byte 38) no longer matches the private exponent.
        let mut der = test_key().to_pkcs8_der().unwrap().expose().to_vec();
        der[100] ^= 1;
        assert_eq!(ServiceAppKey::from_pkcs8_der(&der).unwrap_err(), KeyError::NotPkcs8Rsa);
    }

    #[test]
    fn small_keys_are_refused() {
        let small = ServiceAppKey::from_pkcs8_text(SMALL_KEY_BASE64);
        assert_eq!(small.unwrap_err(), KeyError::Size(1024));
    }

    proptest::proptest! {
        #[test]
        fn random_text_is_refused_without_panicking(
            text in "\\PC{0,200}|[A-Za-z0-9+/=\\s]{0,400}",
        ) {
            proptest::prop_assert!(ServiceAppKey::from_pkcs8_text(&text).is_err());
        }

        #[test]
        fn random_der_is_refused_without_panicking(
            der in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        ) {
            proptest::prop_assert!(ServiceAppKey::from_pkcs8_der(&der).is_err());
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// A damaged stored key is refused or, if only a value the parser recomputes was hit
        /// (the CRT exponents and coefficient), read as the same key: never a panic, never a
        /// different key, never wrong signatures.
        #[test]
        fn a_damaged_key_is_refused_or_unchanged(at in 0usize..1300, flip in 1u8..=255) {
            let mut der = test_key().to_pkcs8_der().unwrap().expose().to_vec();
            let at = at % der.len();
            der[at] ^= flip;
            if let Ok(key) = ServiceAppKey::from_pkcs8_der(&der) {
                proptest::prop_assert_eq!(key.kid(), TEST_KEY_KID);
                // And it still signs correctly (the CRT values are recomputed, not trusted).
                let signature = key.signing.sign(b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0");
                let signature = URL_SAFE_NO_PAD.encode(signature.to_bytes());
                proptest::prop_assert_eq!(signature, TEST_KEY_SIGNATURE);
            }
        }
    }

    #[test]
    fn debug_shows_the_kid_and_never_the_key() {
        let key = test_key();
        let der = key.to_pkcs8_der().unwrap();
        let debug = format!("{key:?} {der:?}");
        assert_eq!(
            debug,
            format!("ServiceAppKey(kid {TEST_KEY_KID}, [redacted]) Pkcs8Der([redacted])")
        );
        let secret = der.expose_base64();
        assert!(!debug.contains(&secret[40..60]), "{debug}");
    }
}
