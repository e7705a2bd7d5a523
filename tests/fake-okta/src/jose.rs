//! The JOSE pieces the OAuth token endpoint and `DPoP` need (see `oauth`): public JWKs (RSA of
//! 2048 bits or more, and EC P-256), compact JWS parsing, signature checks (RS256, RS384, RS512
//! and ES256) and JWK thumbprints (RFC 7638). Okta also accepts ES384 and ES512 (CONTRACT §9);
//! the fake does not implement those two and says so in its refusal.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1v15::{Signature as RsaSignature, VerifyingKey as RsaVerifyingKey};
use rsa::signature::Verifier;
use rsa::{BoxedUint, PublicKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha384, Sha512};

/// The smallest RSA modulus accepted, in bits (Okta refuses shorter keys).
const MIN_RSA_BITS: u32 = 2048;

/// The algorithms the fake verifies, as a `WWW-Authenticate` `algs` value lists them.
pub(crate) const SUPPORTED_ALGS: &str = "RS256 RS384 RS512 ES256";

/// base64url without padding, as JOSE writes it.
pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// base64url(SHA-256(text)), the form of `DPoP`'s `ath` claim and of thumbprints.
pub(crate) fn sha256_b64(text: &[u8]) -> String {
    b64(&Sha256::digest(text))
}

/// A public key from a JWK.
#[derive(Debug, Clone)]
pub(crate) enum KeyMaterial {
    Rsa(PublicKey),
    P256(p256::ecdsa::VerifyingKey),
}

/// One public JWK.
#[derive(Debug, Clone)]
pub(crate) struct Jwk {
    /// The `kid`, if the JWK has one.
    pub(crate) kid: Option<String>,
    pub(crate) key: KeyMaterial,
    /// The RFC 7638 SHA-256 thumbprint (base64url), what a `DPoP`-bound token's `cnf.jkt` holds.
    pub(crate) thumbprint: String,
}

fn member<'a>(jwk: &'a Map<String, Value>, name: &str) -> Result<&'a str, String> {
    jwk.get(name).and_then(Value::as_str).ok_or_else(|| format!("the JWK has no '{name}'"))
}

fn decode(text: &str, name: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD.decode(text).map_err(|_| format!("the JWK's '{name}' is not base64url"))
}

impl Jwk {
    /// Parses a public JWK; a JWK with a private part (`d`) is refused.
    pub(crate) fn parse(value: &Value) -> Result<Jwk, String> {
        let jwk = value.as_object().ok_or("the JWK is not a JSON object")?;
        if jwk.contains_key("d") {
            return Err("the JWK holds a private key".into());
        }
        let kid = jwk.get("kid").and_then(Value::as_str).map(str::to_owned);
        match member(jwk, "kty")? {
            "RSA" => {
                let (n_text, e_text) = (member(jwk, "n")?, member(jwk, "e")?);
                let n = decode(n_text, "n")?;
                let e = decode(e_text, "e")?;
                let bits = u32::try_from(n.len() * 8).map_err(|_| "the modulus is too long")?;
                if bits < MIN_RSA_BITS || e.is_empty() || e.len() > 8 {
                    return Err(format!("the RSA key is shorter than {MIN_RSA_BITS} bits"));
                }
                let n = BoxedUint::from_be_slice(&n, bits).map_err(|e| e.to_string())?;
                let e = BoxedUint::from_be_slice(&e, 64).map_err(|e| e.to_string())?;
                let key = PublicKey::new(n, e).map_err(|e| format!("bad RSA key: {e}"))?;
                let thumbprint = sha256_b64(
                    format!(r#"{{"e":"{e_text}","kty":"RSA","n":"{n_text}"}}"#).as_bytes(),
                );
                Ok(Jwk { kid, key: KeyMaterial::Rsa(key), thumbprint })
            }
            "EC" => {
                let crv = member(jwk, "crv")?;
                if crv != "P-256" {
                    return Err(format!("the curve {crv} is not supported (only P-256)"));
                }
                let (x_text, y_text) = (member(jwk, "x")?, member(jwk, "y")?);
                let (x, y) = (decode(x_text, "x")?, decode(y_text, "y")?);
                if x.len() != 32 || y.len() != 32 {
                    return Err("a P-256 coordinate is not 32 bytes".into());
                }
                let mut point = vec![4u8];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                    .map_err(|_| "the point is not on P-256")?;
                let thumbprint = sha256_b64(
                    format!(r#"{{"crv":"P-256","kty":"EC","x":"{x_text}","y":"{y_text}"}}"#)
                        .as_bytes(),
                );
                Ok(Jwk { kid, key: KeyMaterial::P256(key), thumbprint })
            }
            other => Err(format!("the key type {other} is not supported (RSA or EC)")),
        }
    }

    /// Checks a JWS signature made with `alg` over `signed`.
    pub(crate) fn verify(&self, alg: &str, signed: &[u8], signature: &[u8]) -> Result<(), String> {
        let holds = match (&self.key, alg) {
            (KeyMaterial::Rsa(key), "RS256" | "RS384" | "RS512") => {
                let signature = RsaSignature::try_from(signature).map_err(|e| e.to_string())?;
                match alg {
                    "RS256" => {
                        RsaVerifyingKey::<Sha256>::new(key.clone()).verify(signed, &signature)
                    }
                    "RS384" => {
                        RsaVerifyingKey::<Sha384>::new(key.clone()).verify(signed, &signature)
                    }
                    _ => RsaVerifyingKey::<Sha512>::new(key.clone()).verify(signed, &signature),
                }
                .is_ok()
            }
            (KeyMaterial::P256(key), "ES256") => {
                let signature = p256::ecdsa::Signature::from_slice(signature)
                    .map_err(|_| "an ES256 signature is 64 bytes (r || s)")?;
                key.verify(signed, &signature).is_ok()
            }
            (_, alg) => return Err(format!("the algorithm {alg} does not fit the key")),
        };
        if holds { Ok(()) } else { Err("the signature does not verify".into()) }
    }
}

/// Whether `alg` is one the fake can verify.
pub(crate) fn supported_alg(alg: &str) -> bool {
    SUPPORTED_ALGS.split(' ').any(|a| a == alg)
}

/// A compact JWS (a signed JWT), decoded but not verified.
#[derive(Debug, Clone)]
pub(crate) struct Jws {
    pub(crate) header: Map<String, Value>,
    pub(crate) claims: Map<String, Value>,
    /// `base64url(header) "." base64url(payload)`, the signed bytes.
    pub(crate) signed: String,
    pub(crate) signature: Vec<u8>,
}

impl Jws {
    /// Splits and decodes `header.payload.signature`; `None` if it is not a JWS with JSON object
    /// header and claims.
    pub(crate) fn parse(compact: &str) -> Option<Jws> {
        let mut parts = compact.trim().split('.');
        let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let object = |part: &str| -> Option<Map<String, Value>> {
            let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
            match serde_json::from_slice(&bytes).ok()? {
                Value::Object(map) => Some(map),
                _ => None,
            }
        };
        Some(Jws {
            header: object(header)?,
            claims: object(payload)?,
            signed: format!("{header}.{payload}"),
            signature: URL_SAFE_NO_PAD.decode(signature).ok()?,
        })
    }

    /// A header parameter, as a string.
    pub(crate) fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    /// A claim, as a string.
    pub(crate) fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// A numeric date claim (`exp`, `iat`, `nbf`), in epoch seconds.
    pub(crate) fn claim_time(&self, name: &str) -> Option<i64> {
        let value = self.claims.get(name)?;
        value.as_i64().or_else(|| value.as_f64().map(|f| f as i64))
    }

    /// Checks the signature with `key`, using the header's `alg`.
    pub(crate) fn verify(&self, key: &Jwk) -> Result<(), String> {
        let alg = self.header_str("alg").unwrap_or("none");
        key.verify(alg, self.signed.as_bytes(), &self.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_rfc_7638_example_thumbprint_matches() {
        // RFC 7638 §3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let jwk = Jwk::parse(&json!({ "kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256" }))
            .expect("a valid JWK");
        assert_eq!(jwk.thumbprint, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn private_and_short_keys_are_refused() {
        assert!(Jwk::parse(&json!({ "kty": "RSA", "n": "AQAB", "e": "AQAB" })).is_err());
        assert!(
            Jwk::parse(&json!({ "kty": "EC", "crv": "P-256", "x": "", "y": "", "d": "" })).is_err()
        );
        assert!(Jwk::parse(&json!({ "kty": "oct", "k": "c2VjcmV0" })).is_err());
    }

    #[test]
    fn a_jws_needs_three_parts_and_json_objects() {
        assert!(Jws::parse("a.b").is_none());
        assert!(Jws::parse("e30.e30.").is_some());
        assert!(Jws::parse("e30.e30..x").is_none());
        assert!(Jws::parse("W10.e30.").is_none());
    }
}
