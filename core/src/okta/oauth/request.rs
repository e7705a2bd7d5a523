//! The token request: the org authorization server's token endpoint, the `private_key_jwt`
//! client assertion (RFC 7523 §2.2, as Okta's service-app guide describes it) and the
//! form-encoded body that carries it.

use std::fmt;

use serde::Serialize;
use url::Url;

use super::key::ServiceAppKey;
use crate::okta::TenantOrigin;

/// The org authorization server's token endpoint. Only the org server (not `/oauth2/default`)
/// mints tokens with Okta API scopes.
pub const TOKEN_PATH: &str = "/oauth2/v1/token";

/// The scopes the product needs: apps and their group assignments, groups and their members,
/// users (CONTRACT.md §9, from the spec's per-operation security).
pub const SCOPES: &str = "okta.apps.read okta.groups.read okta.users.read";

/// RFC 7523's `client_assertion_type` for a JWT client assertion.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The `Content-Type` of a [`TokenRequestBody`].
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// How long a client assertion is valid, in seconds.
///
/// Okta allows up to an hour; the assertion is used at once, so a short life only narrows the
/// window in which a leaked one could be replayed, while leaving room for some clock skew.
pub const ASSERTION_LIFETIME_S: u64 = 300;

/// The token endpoint of `tenant`: the assertion's audience and where the request goes.
pub fn token_endpoint(tenant: &TenantOrigin) -> Url {
    tenant.url(TOKEN_PATH)
}

/// A signed client assertion: a bearer credential for [`ASSERTION_LIFETIME_S`], so it is
/// redacted in `Debug` and has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientAssertion(String);

/// The assertion's claims, exactly these and in this form.
#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    jti: &'a str,
}

impl ClientAssertion {
    /// Signs an assertion that `client_id` is asking `tenant`'s token endpoint for a token, at
    /// `iat_s` (epoch seconds).
    ///
    /// `jti` must be unique per assertion (Okta refuses a replayed one): the caller passes, say,
    /// 16 random bytes in base64url, which keeps this function free of randomness.
    pub fn sign(
        key: &ServiceAppKey,
        client_id: &str,
        tenant: &TenantOrigin,
        iat_s: u64,
        jti: &str,
    ) -> Self {
        let aud = token_endpoint(tenant);
        let claims = AssertionClaims {
            iss: client_id,
            sub: client_id,
            aud: aud.as_str(),
            iat: iat_s,
            exp: iat_s.saturating_add(ASSERTION_LIFETIME_S),
            jti,
        };
        // `kid` tells Okta which registered key to verify with, so a key can be rotated by
        // registering the new one beside the old.
        let header = serde_json::json!({ "alg": "RS256", "kid": key.kid() });
        Self(key.sign_compact(&header, &claims))
    }

    /// The compact JWS, for the token request body and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientAssertion([redacted])")
    }
}

/// The body of the token request, `application/x-www-form-urlencoded`: it holds the assertion,
/// so it is redacted like it.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRequestBody(String);

impl TokenRequestBody {
    /// The client-credentials request for [`SCOPES`], authenticated by `assertion`.
    pub fn new(assertion: &ClientAssertion) -> Self {
        // The form serializer percent-encodes every reserved byte and writes spaces as `+`, as
        // the WHATWG form encoding (and Okta) expect.
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("scope", SCOPES)
            .append_pair("client_assertion_type", CLIENT_ASSERTION_TYPE)
            .append_pair("client_assertion", assertion.expose())
            .finish();
        Self(body)
    }

    /// The encoded body, to send and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenRequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenRequestBody([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use proptest::prelude::*;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::sha2::Sha256;
    use rsa::signature::Verifier;
    use serde_json::{Value, json};

    use super::super::fixtures::{TEST_KEY_KID, test_key};
    use super::*;

    const CLIENT_ID: &str = "0oa1b2c3d4e5f6g7h8i9";
    const NOW: u64 = 1_800_000_000;

    fn tenant() -> TenantOrigin {
        TenantOrigin::parse("https://acme.okta.com").unwrap()
    }

    /// The header and claims of `jws`, once its signature verifies with the key's public half
    /// (the public JWK's `n` and `e`, as Okta would read them).
    fn verified(jws: &str) -> (Value, Value) {
        let parts: Vec<&str> = jws.split('.').collect();
        assert_eq!(parts.len(), 3, "{jws}");
        let keys = crate::auth::parse_jwks(test_key().public_jwk().to_jwks_json().as_bytes());
        let public = keys.unwrap().remove(0).key;
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let signed = format!("{}.{}", parts[0], parts[1]);
        VerifyingKey::<Sha256>::new(public)
            .verify(signed.as_bytes(), &Signature::try_from(signature.as_slice()).unwrap())
            .expect("the signature verifies");
        let json = |part: &str| serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap());
        (json(parts[0]).unwrap(), json(parts[1]).unwrap())
    }

    #[test]
    fn the_token_endpoint_is_the_org_servers() {
        assert_eq!(token_endpoint(&tenant()).as_str(), "https://acme.okta.com/oauth2/v1/token");
        let local = TenantOrigin::parse("http://127.0.0.1:8080/").unwrap();
        assert_eq!(token_endpoint(&local).as_str(), "http://127.0.0.1:8080/oauth2/v1/token");
    }

    #[test]
    fn a_signed_assertion_verifies_and_carries_exactly_the_claims() {
        let assertion = ClientAssertion::sign(test_key(), CLIENT_ID, &tenant(), NOW, "jti-1");
        let (header, claims) = verified(assertion.expose());
        assert_eq!(header, json!({ "alg": "RS256", "kid": TEST_KEY_KID }));
        assert_eq!(
            claims,
            json!({
                "iss": CLIENT_ID,
                "sub": CLIENT_ID,
                "aud": "https://acme.okta.com/oauth2/v1/token",
                "iat": NOW,
                "exp": NOW + 300,
                "jti": "jti-1",
            })
        );
    }

    #[test]
    fn the_form_body_is_encoded_and_decodes_to_the_four_fields() {
        let assertion = ClientAssertion::sign(test_key(), CLIENT_ID, &tenant(), NOW, "jti-1");
        let body = TokenRequestBody::new(&assertion);
        assert!(
            body.expose().starts_with(
                "grant_type=client_credentials\
                 &scope=okta.apps.read+okta.groups.read+okta.users.read\
                 &client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer\
                 &client_assertion=eyJ"
            ),
            "{}",
            body.expose()
        );
        let fields: Vec<(String, String)> =
            url::form_urlencoded::parse(body.expose().as_bytes()).into_owned().collect();
        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["grant_type", "scope", "client_assertion_type", "client_assertion"]);
        assert_eq!(fields[1].1, SCOPES);
        assert_eq!(fields[2].1, CLIENT_ASSERTION_TYPE);
        assert_eq!(fields[3].1, assertion.expose());
    }

    proptest! {
        // Signing is slow in debug builds; a few dozen cases cover the encoding paths.
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn any_client_id_and_jti_round_trip_through_json_and_the_form(
            client_id in "\\PC{1,40}",
            jti in "[A-Za-z0-9_\\-]{1,43}|\\PC{1,20}",
            iat in 0u64..4_000_000_000,
        ) {
            let assertion = ClientAssertion::sign(test_key(), &client_id, &tenant(), iat, &jti);
            let (_, claims) = verified(assertion.expose());
            prop_assert_eq!(&claims["iss"], &json!(client_id));
            prop_assert_eq!(&claims["sub"], &json!(client_id));
            prop_assert_eq!(&claims["jti"], &json!(jti));
            prop_assert_eq!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(), 300);
            let body = TokenRequestBody::new(&assertion);
            let decoded: Vec<(String, String)> =
                url::form_urlencoded::parse(body.expose().as_bytes()).into_owned().collect();
            prop_assert_eq!(decoded.len(), 4);
            prop_assert_eq!(&decoded[3].1, assertion.expose());
        }

        #[test]
        fn debug_of_assertions_and_bodies_never_shows_them(jti in "[A-Za-z0-9]{8,24}") {
            let assertion = ClientAssertion::sign(test_key(), CLIENT_ID, &tenant(), NOW, &jti);
            let body = TokenRequestBody::new(&assertion);
            let debug = format!("{assertion:?} {body:?} {:?}", Some(&body));
            prop_assert_eq!(
                &debug,
                concat!(
                    "ClientAssertion([redacted]) TokenRequestBody([redacted]) ",
                    "Some(TokenRequestBody([redacted]))"
                )
            );
        }
    }
}
