//! `DPoP` proofs (RFC 9449): proof that whoever presents a token also holds the key it was bound
//! to, so a token that leaked from a log or a proxy is useless on its own.
//!
//! Okta management APIs accept `DPoP`, and an API Services app can be set to require it (the
//! console may even default to that, CONTRACT.md §9). Then the token request carries a proof,
//! Okta answers `use_dpop_nonce` with a [`DpopNonce`] once, the request is redone with it, and
//! every API call carries a fresh proof bound to the exact URL and to the token (`ath`).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::sha2::{Digest, Sha256};
use serde::Serialize;
use url::Url;

use super::answer::AccessToken;
use super::key::ServiceAppKey;
use super::request::token_endpoint;
use crate::okta::TenantOrigin;

/// The longest nonce accepted. Okta's are short; the bound keeps a hostile header from being
/// echoed into every later proof.
const MAX_NONCE_BYTES: usize = 512;

/// The HTTP method a proof is for (`htm`). Only the two the client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// API reads.
    Get,
    /// The token request.
    Post,
}

impl Method {
    /// The method as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// A server-provided nonce (the `DPoP-Nonce` header), checked to be the `1*NQCHAR` RFC 9449
/// §8 allows: visible ASCII without `"` or `\`, so it is safe inside a JWT claim and a log.
///
/// A nonce is not a secret (Okta hands the same one to every client for a day), so its
/// `Debug` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopNonce(String);

impl DpopNonce {
    /// Reads a `DPoP-Nonce` header value; `None` if it is empty, too long or has a character
    /// RFC 9449 does not allow.
    pub fn parse(header: &str) -> Option<Self> {
        let nqchar = |b: u8| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E);
        let valid =
            !header.is_empty() && header.len() <= MAX_NONCE_BYTES && header.bytes().all(nqchar);
        valid.then(|| Self(header.to_owned()))
    }

    /// The nonce's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a proof says: the request it is for, when and under which unique id it was made, and
/// optionally the server's nonce and the token it accompanies.
#[derive(Debug, Clone, Copy)]
pub struct DpopClaims<'a> {
    /// The request's method (`htm`).
    pub method: Method,
    /// The request's URL; [`htu`] drops its query and fragment.
    pub url: &'a Url,
    /// When the proof is made, epoch seconds (`iat`); Okta accepts it for a few minutes.
    pub iat_s: u64,
    /// A unique id (`jti`): the caller passes fresh randomness (say 16 random bytes,
    /// base64url), which keeps proof-making pure. The server refuses a replayed one.
    pub jti: &'a str,
    /// The server's nonce (`nonce`), once it has asked for one.
    pub nonce: Option<&'a DpopNonce>,
    /// The access token the request carries, whose hash becomes `ath`; none for the token
    /// request itself.
    pub access_token: Option<&'a AccessToken>,
}

impl<'a> DpopClaims<'a> {
    /// The claims of a proof for a token request to `endpoint` (see
    /// [`token_endpoint`]).
    pub fn token_request(endpoint: &'a Url, iat_s: u64, jti: &'a str) -> Self {
        Self { method: Method::Post, url: endpoint, iat_s, jti, nonce: None, access_token: None }
    }

    /// The claims of a proof for an API request with `access_token`.
    pub fn resource_request(
        method: Method,
        url: &'a Url,
        iat_s: u64,
        jti: &'a str,
        access_token: &'a AccessToken,
    ) -> Self {
        Self { method, url, iat_s, jti, nonce: None, access_token: Some(access_token) }
    }

    /// The same claims, with the server's nonce.
    #[must_use]
    pub fn with_nonce(self, nonce: &'a DpopNonce) -> Self {
        Self { nonce: Some(nonce), ..self }
    }
}

/// The proof's payload; optional members are left out rather than sent as `null`.
#[derive(Serialize)]
struct ProofClaims<'a> {
    jti: &'a str,
    htm: &'static str,
    htu: String,
    iat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<String>,
}

/// A signed `DPoP` proof, for the `DPoP` header of one request. It is redacted in `Debug` (it
/// holds the token's hash and is replayable against its URL for a short while) and has no
/// `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct DpopProof(String);

impl DpopProof {
    /// Signs a proof with `key`: header `typ: dpop+jwt`, `alg: RS256` and the public key as
    /// `jwk` (RFC 9449 §4.2), so the server can check it without a registered key.
    pub fn sign(key: &ServiceAppKey, claims: &DpopClaims<'_>) -> Self {
        let header = serde_json::json!({
            "typ": "dpop+jwt",
            "alg": "RS256",
            "jwk": key.public_jwk().core(),
        });
        let payload = ProofClaims {
            jti: claims.jti,
            htm: claims.method.as_str(),
            htu: htu(claims.url),
            iat: claims.iat_s,
            nonce: claims.nonce.map(DpopNonce::as_str),
            ath: claims.access_token.map(access_token_hash),
        };
        Self(key.sign_compact(&header, &payload))
    }

    /// A proof for the token request to `tenant`'s token endpoint.
    pub fn for_token_request(
        key: &ServiceAppKey,
        tenant: &TenantOrigin,
        iat_s: u64,
        jti: &str,
        nonce: Option<&DpopNonce>,
    ) -> Self {
        let endpoint = token_endpoint(tenant);
        let claims = DpopClaims { nonce, ..DpopClaims::token_request(&endpoint, iat_s, jti) };
        Self::sign(key, &claims)
    }

    /// The compact JWS, for the `DPoP` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DpopProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DpopProof([redacted])")
    }
}

/// A proof's `htu`: the request URL without its query and fragment (RFC 9449 §4.2). The
/// server compares it with the URL it was called at, so the rest is left as `url` spells it.
pub fn htu(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.into()
}

/// A proof's `ath`: base64url(SHA-256(the access token's ASCII)), binding the proof to the token
/// (RFC 9449 §4.2).
pub fn access_token_hash(token: &AccessToken) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.expose().as_bytes()))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::super::fixtures::test_key;
    use super::*;

    fn decode(jws: &str) -> (Value, Value) {
        let mut parts = jws.split('.');
        let mut json = || {
            let part = parts.next().unwrap();
            serde_json::from_slice::<Value>(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
        };
        (json(), json())
    }

    #[test]
    fn ath_matches_rfc_9449s_example_and_the_sha256_test_vector() {
        // RFC 9449 §7.1: the access token of figure 12 and the `ath` of figure 13.
        let rfc = AccessToken::for_test("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU");
        assert_eq!(access_token_hash(&rfc), "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
        // FIPS 180-2's "abc": ba7816bf…15ad.
        let abc = AccessToken::for_test("abc");
        assert_eq!(access_token_hash(&abc), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    }

    #[test]
    fn htu_drops_the_query_and_the_fragment_only() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            htu(&url("https://acme.okta.com/api/v1/groups/00g1/users?limit=200&after=x#frag")),
            "https://acme.okta.com/api/v1/groups/00g1/users"
        );
        assert_eq!(
            htu(&url("https://acme.okta.com/oauth2/v1/token")),
            "https://acme.okta.com/oauth2/v1/token"
        );
        assert_eq!(htu(&url("https://acme.okta.com:8443/a/b?#")), "https://acme.okta.com:8443/a/b");
    }

    #[test]
    fn a_token_request_proof_has_the_rfc_header_and_claims() {
        let tenant = TenantOrigin::parse("https://acme.okta.com").unwrap();
        let proof = DpopProof::for_token_request(test_key(), &tenant, 1_800_000_000, "j1", None);
        let (header, claims) = decode(proof.expose());
        let jwk = test_key().public_jwk();
        assert_eq!(
            header,
            json!({ "typ": "dpop+jwt", "alg": "RS256",
                    "jwk": { "kty": "RSA", "e": jwk.e(), "n": jwk.n() } })
        );
        assert_eq!(
            claims,
            json!({ "jti": "j1", "htm": "POST", "htu": "https://acme.okta.com/oauth2/v1/token",
                    "iat": 1_800_000_000u64 })
        );

        let nonce = DpopNonce::parse("eyJ7S_zG.eyJH0-Z.HX4w-7v").unwrap();
        let proof =
            DpopProof::for_token_request(test_key(), &tenant, 1_800_000_001, "j2", Some(&nonce));
        let (_, claims) = decode(proof.expose());
        assert_eq!(claims["nonce"], "eyJ7S_zG.eyJH0-Z.HX4w-7v");
        assert_eq!(claims["jti"], "j2");
        assert!(claims.get("ath").is_none());
    }

    #[test]
    fn a_resource_proof_carries_htu_without_query_and_the_tokens_hash() {
        let url = Url::parse("https://acme.okta.com/api/v1/apps/0oa1/groups?limit=200").unwrap();
        let token = AccessToken::for_test("eyJ.a.b");
        let claims = DpopClaims::resource_request(Method::Get, &url, 7, "j3", &token);
        let (_, claims) = decode(DpopProof::sign(test_key(), &claims).expose());
        assert_eq!(
            claims,
            json!({ "jti": "j3", "htm": "GET", "iat": 7, "ath": access_token_hash(&token),
                    "htu": "https://acme.okta.com/api/v1/apps/0oa1/groups" })
        );
    }

    #[test]
    fn nonces_are_checked_against_rfc_9449s_grammar() {
        assert!(DpopNonce::parse("abc-DEF_123.~!#$%").is_some());
        for bad in ["", "a b", "a\"b", "a\\b", "a\r\nb", "é", &"n".repeat(MAX_NONCE_BYTES + 1)] {
            assert_eq!(DpopNonce::parse(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn htu_never_keeps_a_query_or_fragment(
            path in "(/[a-z0-9]{1,8}){0,4}",
            query in proptest::option::of("[a-z0-9=&]{0,12}"),
            fragment in proptest::option::of("[a-z0-9]{0,8}"),
        ) {
            let mut text = format!("https://acme.okta.com{path}");
            if let Some(q) = &query { text = format!("{text}?{q}"); }
            if let Some(f) = &fragment { text = format!("{text}#{f}"); }
            let htu = htu(&Url::parse(&text).unwrap());
            prop_assert!(!htu.contains('?') && !htu.contains('#'), "{}", htu);
            let expected_path = if path.is_empty() { "/".to_owned() } else { path };
            prop_assert_eq!(htu, format!("https://acme.okta.com{expected_path}"));
        }

        #[test]
        fn nonce_parsing_accepts_exactly_nqchar_strings(text in "\\PC{0,20}|[!#-\\[\\]-~]{1,20}") {
            let allowed = !text.is_empty()
                && text.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E));
            prop_assert_eq!(DpopNonce::parse(&text).is_some(), allowed);
        }
    }

    proptest! {
        // Each case signs, which is slow in debug builds.
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn debug_of_a_proof_never_shows_it(jti in "[A-Za-z0-9]{4,16}") {
            let url = Url::parse("https://acme.okta.com/api/v1/groups").unwrap();
            let token = AccessToken::for_test("tok");
            let claims = DpopClaims::resource_request(Method::Get, &url, 1, &jti, &token);
            let proof = DpopProof::sign(test_key(), &claims);
            prop_assert_eq!(format!("{proof:?}"), "DpopProof([redacted])");
        }
    }
}
