//! The token endpoint's answers, read as hostile input: a bounded body, a token that is safe to
//! put in a header, a sane lifetime, and OAuth errors (RFC 6749 §5.2, RFC 9449 §8) mapped to a
//! closed set that "Test connection" can explain to the admin.

use std::fmt;

use serde::Deserialize;

use super::dpop::DpopNonce;
use super::request::SCOPES;
use crate::okta::HttpResponse;

/// The largest answer read. Okta's are well under 2 KiB; anything bigger is not a token answer.
pub const MAX_ANSWER_BYTES: usize = 16 * 1024;

/// The longest access token accepted. Okta's are JWTs of about 1 KiB; the bound keeps a hostile
/// answer from inflating every later request header.
pub const MAX_ACCESS_TOKEN_BYTES: usize = 8 * 1024;

/// The longest `expires_in` accepted (a day). Okta's tokens live exactly an hour; a longer
/// claimed life would keep a revoked token in the cache for longer than Okta would.
pub const MAX_EXPIRES_IN_S: u64 = 24 * 60 * 60;

/// How much of Okta's `error_description` is kept: enough to name the cause, not a page.
const MAX_DESCRIPTION_CHARS: usize = 300;

/// The longest `error` code kept for [`OAuthErrorKind::Other`].
const MAX_ERROR_CODE_BYTES: usize = 64;

/// An OAuth access token for the Okta APIs.
///
/// Its `Debug` is redacted and it has no `Display`, like [`OktaToken`](crate::okta::OktaToken);
/// the text is reachable only through [`AccessToken::expose`], for the `Authorization` header
/// and the `DPoP` `ath`. It only ever comes from [`parse_token_answer`], so it is always a valid
/// RFC 6750 `b64token`: no space, control character or line break can reach a header.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// The token's text, for the `Authorization` header and the `DPoP` `ath`, nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `text` is an RFC 6750 `b64token` no longer than [`MAX_ACCESS_TOKEN_BYTES`].
    fn is_valid(text: &str) -> bool {
        let body = text.trim_end_matches('=');
        !body.is_empty()
            && text.len() <= MAX_ACCESS_TOKEN_BYTES
            && body.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
    }

    #[cfg(test)]
    pub(super) fn for_test(text: &str) -> Self {
        Self(text.to_owned())
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

/// How the token is presented: a plain bearer token, or one bound to our key by `DPoP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `Authorization: DPoP <token>` plus a `DPoP` proof with `ath` on every request.
    Dpop,
}

impl TokenType {
    /// The `Authorization` scheme for this type.
    pub fn scheme(self) -> &'static str {
        match self {
            Self::Bearer => "Bearer",
            Self::Dpop => "DPoP",
        }
    }
}

/// A token Okta issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The token (redacted in `Debug`).
    pub access_token: AccessToken,
    /// Bearer or `DPoP`-bound. A client that sent a proof may still get `Bearer` from a server
    /// that does not bind tokens; it then sends the token as a bearer token.
    pub token_type: TokenType,
    /// The lifetime Okta gave, in seconds (1 to [`MAX_EXPIRES_IN_S`]).
    pub expires_in_s: u64,
    /// The scopes granted; the requested [`SCOPES`] when the answer leaves `scope` out, which
    /// RFC 6749 §5.1 allows only when they are identical.
    pub scopes: Vec<String>,
}

impl IssuedToken {
    /// The scopes the product needs that the token lacks (empty when it has them all): the
    /// calls that need them would fail with 403 `E0000006`.
    pub fn missing_scopes(&self) -> Vec<&'static str> {
        SCOPES.split(' ').filter(|needed| !self.scopes.iter().any(|s| s == needed)).collect()
    }
}

/// Why the token endpoint gave no token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenEndpointError {
    /// An OAuth error answer.
    #[error("{0}")]
    OAuth(OAuthError),
    /// A status without an OAuth error in the body: 429 (the token endpoint is rate limited
    /// too), a 5xx, a redirect or an unexpected success code.
    #[error("Okta's token endpoint answered HTTP {0}")]
    Status(u16),
    /// The body was larger than [`MAX_ANSWER_BYTES`].
    #[error("Okta's token answer was larger than {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
    /// The body was not a usable token answer; the text says which part, never its content.
    #[error("Okta's token answer could not be used: {0}")]
    Malformed(&'static str),
}

impl TokenEndpointError {
    /// The nonce to retry with, when the answer is `use_dpop_nonce`.
    pub fn dpop_nonce(&self) -> Option<&DpopNonce> {
        match self {
            Self::OAuth(OAuthError { kind: OAuthErrorKind::UseDpopNonce(nonce), .. }) => {
                Some(nonce)
            }
            _ => None,
        }
    }
}

/// An OAuth error answer from the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (HTTP {status}{})", describe(description.as_deref()))]
pub struct OAuthError {
    /// What went wrong, with what the admin should check.
    pub kind: OAuthErrorKind,
    /// The HTTP status (400, or 401 for `invalid_client`).
    pub status: u16,
    /// Okta's `error_description`: control characters removed and cut to a few hundred
    /// characters. It is Okta's text, so a page must escape it before showing it.
    pub description: Option<String>,
}

fn describe(description: Option<&str>) -> String {
    description.map(|d| format!(": {d}")).unwrap_or_default()
}

/// The OAuth errors the product tells apart, each phrased for the admin who set up the app.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthErrorKind {
    /// `invalid_client`: Okta could not authenticate the client assertion.
    #[error(
        "Okta did not accept the client: check the client ID, and that the app uses public key / \
         private key authentication with this product's public key registered"
    )]
    InvalidClient,
    /// `invalid_scope`: a requested scope is not granted to the app.
    #[error(
        "Okta refused the scopes: grant okta.apps.read, okta.groups.read and okta.users.read on \
         the app's Okta API Scopes tab"
    )]
    InvalidScope,
    /// `invalid_grant`: the grant itself was refused.
    #[error("Okta refused the client credentials grant")]
    InvalidGrant,
    /// `unauthorized_client`: the app may not use the client credentials grant.
    #[error("the app may not use the client credentials grant: it must be an API Services app")]
    UnauthorizedClient,
    /// `use_dpop_nonce` (RFC 9449 §8): retry with this nonce in the proof. Not a failure unless
    /// it comes again after the retry.
    #[error("Okta asked for a DPoP nonce")]
    UseDpopNonce(DpopNonce),
    /// `invalid_dpop_proof`: the proof was refused, or the app requires `DPoP` and none was sent.
    #[error(
        "Okta refused the DPoP proof: check the app's \"Require Demonstrating Proof of \
         Possession (DPoP) header in token requests\" setting and this server's clock"
    )]
    InvalidDpopProof,
    /// Any other error code, as Okta spelled it.
    #[error("Okta refused the token request with {0:?}")]
    Other(String),
}

#[derive(Deserialize)]
struct SuccessBody {
    token_type: String,
    access_token: String,
    expires_in: Option<u64>,
    scope: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    error_description: Option<String>,
}

/// Reads the token endpoint's answer: a 200 with a token, or an OAuth error (with the
/// `DPoP-Nonce` header when Okta asks for one).
///
/// # Errors
///
/// See [`TokenEndpointError`].
pub fn parse_token_answer(response: &HttpResponse) -> Result<IssuedToken, TokenEndpointError> {
    if response.body.len() > MAX_ANSWER_BYTES {
        return Err(TokenEndpointError::TooLarge);
    }
    match response.status {
        200 => parse_success(&response.body),
        // RFC 6749 §5.2 errors come with 400 (401 for `invalid_client`); 429 is Okta's rate
        // limit, whose body is not an OAuth error.
        status @ 400..=499 if status != 429 => {
            let Ok(body) = serde_json::from_slice::<ErrorBody>(&response.body) else {
                return Err(TokenEndpointError::Status(status));
            };
            Err(TokenEndpointError::OAuth(oauth_error(
                status,
                body,
                response.header("DPoP-Nonce"),
            )?))
        }
        status => Err(TokenEndpointError::Status(status)),
    }
}

fn parse_success(body: &[u8]) -> Result<IssuedToken, TokenEndpointError> {
    use TokenEndpointError::Malformed;
    let body: SuccessBody = serde_json::from_slice(body).map_err(|_| Malformed("not a token"))?;
    // RFC 6749 §5.1: the token type is case-insensitive.
    let token_type = if body.token_type.eq_ignore_ascii_case("bearer") {
        TokenType::Bearer
    } else if body.token_type.eq_ignore_ascii_case("dpop") {
        TokenType::Dpop
    } else {
        return Err(Malformed("token_type is neither Bearer nor DPoP"));
    };
    if !AccessToken::is_valid(&body.access_token) {
        return Err(Malformed("access_token is empty, too long or not a b64token"));
    }
    let expires_in_s = body
        .expires_in
        .filter(|s| (1..=MAX_EXPIRES_IN_S).contains(s))
        .ok_or(Malformed("expires_in is missing or out of range"))?;
    let scopes = match body.scope {
        None => SCOPES.split(' ').map(str::to_owned).collect(),
        Some(scope) => {
            let scopes: Vec<String> =
                scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
            if !scopes.iter().all(|s| s.bytes().all(is_nqchar)) {
                return Err(Malformed("scope"));
            }
            scopes
        }
    };
    Ok(IssuedToken {
        access_token: AccessToken(body.access_token),
        token_type,
        expires_in_s,
        scopes,
    })
}

fn oauth_error(
    status: u16,
    body: ErrorBody,
    nonce: Option<&str>,
) -> Result<OAuthError, TokenEndpointError> {
    let kind = match body.error.as_str() {
        "invalid_client" => OAuthErrorKind::InvalidClient,
        "invalid_scope" => OAuthErrorKind::InvalidScope,
        "invalid_grant" => OAuthErrorKind::InvalidGrant,
        "unauthorized_client" => OAuthErrorKind::UnauthorizedClient,
        "invalid_dpop_proof" => OAuthErrorKind::InvalidDpopProof,
        // Without a usable nonce there is nothing to retry with: say so rather than loop.
        "use_dpop_nonce" => OAuthErrorKind::UseDpopNonce(nonce.and_then(DpopNonce::parse).ok_or(
            TokenEndpointError::Malformed("use_dpop_nonce without a valid DPoP-Nonce header"),
        )?),
        // RFC 6749 §5.2: an error code is 1*NQSCHAR (visible ASCII and space, no `"` or `\`).
        other
            if !other.is_empty()
                && other.len() <= MAX_ERROR_CODE_BYTES
                && other.bytes().all(|b| b == b' ' || is_nqchar(b)) =>
        {
            OAuthErrorKind::Other(other.to_owned())
        }
        _ => return Err(TokenEndpointError::Malformed("error code")),
    };
    let description = body
        .error_description
        .map(|d| d.chars().filter(|c| !c.is_control()).take(MAX_DESCRIPTION_CHARS).collect())
        .filter(|d: &String| !d.trim().is_empty());
    Ok(OAuthError { kind, status, description })
}

/// RFC 6749 Appendix A's NQCHAR: visible ASCII except `"` and `\`.
fn is_nqchar(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    const TOKEN: &str = "eyJraWQiOiJrMSJ9.eyJzY3AiOlsib2t0YS5ncm91cHMucmVhZCJdfQ.c2ln";

    fn answer(status: u16, body: &serde_json::Value) -> HttpResponse {
        HttpResponse { status, headers: Vec::new(), body: body.to_string().into_bytes() }
    }

    fn success(overrides: &serde_json::Value) -> HttpResponse {
        let mut body = json!({
            "token_type": "Bearer",
            "expires_in": 3600,
            "access_token": TOKEN,
            "scope": "okta.apps.read okta.groups.read okta.users.read",
        });
        for (key, value) in overrides.as_object().unwrap() {
            if value.is_null() {
                body.as_object_mut().unwrap().remove(key);
            } else {
                body[key] = value.clone();
            }
        }
        answer(200, &body)
    }

    fn error(status: u16, code: &str) -> Result<IssuedToken, TokenEndpointError> {
        parse_token_answer(&answer(status, &json!({ "error": code, "error_description": "d" })))
    }

    fn kind(result: Result<IssuedToken, TokenEndpointError>) -> OAuthErrorKind {
        match result {
            Err(TokenEndpointError::OAuth(error)) => error.kind,
            other => panic!("not an OAuth error: {other:?}"),
        }
    }

    #[test]
    fn oktas_success_answer_is_read() {
        let token = parse_token_answer(&success(&json!({}))).unwrap();
        assert_eq!(token.access_token.expose(), TOKEN);
        assert_eq!(token.token_type, TokenType::Bearer);
        assert_eq!(token.expires_in_s, 3600);
        assert_eq!(token.scopes, ["okta.apps.read", "okta.groups.read", "okta.users.read"]);
        assert!(token.missing_scopes().is_empty());
        // Unknown members are ignored (Okta may add some at any time).
        let extra = parse_token_answer(&success(&json!({ "id_token": "x", "new": [1] })));
        assert_eq!(extra.unwrap(), token);
    }

    #[test]
    fn the_token_type_is_case_insensitive() {
        for (text, expected) in [
            ("bearer", TokenType::Bearer),
            ("BEARER", TokenType::Bearer),
            ("DPoP", TokenType::Dpop),
            ("dpop", TokenType::Dpop),
        ] {
            let token = parse_token_answer(&success(&json!({ "token_type": text }))).unwrap();
            assert_eq!(token.token_type, expected, "{text}");
        }
        assert_eq!(TokenType::Dpop.scheme(), "DPoP");
        assert_eq!(TokenType::Bearer.scheme(), "Bearer");
        let mac = parse_token_answer(&success(&json!({ "token_type": "MAC" })));
        assert!(matches!(mac, Err(TokenEndpointError::Malformed(_))), "{mac:?}");
    }

    #[test]
    fn missing_and_partial_scopes() {
        let omitted = parse_token_answer(&success(&json!({ "scope": null }))).unwrap();
        assert!(omitted.missing_scopes().is_empty(), "omitted means as requested");
        let partial = parse_token_answer(&success(&json!({ "scope": "okta.groups.read" })));
        assert_eq!(partial.unwrap().missing_scopes(), ["okta.apps.read", "okta.users.read"]);
        let bad = parse_token_answer(&success(&json!({ "scope": "okta.groups.read \"x\"" })));
        assert_eq!(bad.unwrap_err(), TokenEndpointError::Malformed("scope"));
    }

    #[test]
    fn unusable_tokens_and_lifetimes_are_refused() {
        let long = "a".repeat(MAX_ACCESS_TOKEN_BYTES + 1);
        for overrides in [
            json!({ "access_token": "" }),
            json!({ "access_token": "abc def" }),
            json!({ "access_token": "abc\r\nX-Injected: 1" }),
            json!({ "access_token": "===" }),
            json!({ "access_token": long }),
            json!({ "access_token": null }),
            json!({ "access_token": 42 }),
            json!({ "expires_in": 0 }),
            json!({ "expires_in": -1 }),
            json!({ "expires_in": 3600.5 }),
            json!({ "expires_in": "3600" }),
            json!({ "expires_in": MAX_EXPIRES_IN_S + 1 }),
            json!({ "expires_in": null }),
            json!({ "token_type": null }),
        ] {
            let result = parse_token_answer(&success(&overrides));
            assert!(
                matches!(result, Err(TokenEndpointError::Malformed(_))),
                "{overrides}: {result:?}"
            );
        }
        let padded = parse_token_answer(&success(&json!({ "access_token": "abc+/==" })));
        assert_eq!(padded.unwrap().access_token.expose(), "abc+/==");
        let longest = "a".repeat(MAX_ACCESS_TOKEN_BYTES);
        assert!(parse_token_answer(&success(&json!({ "access_token": longest }))).is_ok());
    }

    #[test]
    fn oversized_and_non_json_answers_are_refused() {
        let mut big = success(&json!({}));
        big.body.resize(MAX_ANSWER_BYTES + 1, b' ');
        assert_eq!(parse_token_answer(&big).unwrap_err(), TokenEndpointError::TooLarge);
        let html = HttpResponse { status: 200, headers: Vec::new(), body: b"<html>".to_vec() };
        assert_eq!(
            parse_token_answer(&html).unwrap_err(),
            TokenEndpointError::Malformed("not a token")
        );
        let error_as_success = answer(200, &json!({ "error": "invalid_client" }));
        assert!(matches!(
            parse_token_answer(&error_as_success),
            Err(TokenEndpointError::Malformed(_))
        ));
    }

    #[test]
    fn oauth_errors_map_to_the_closed_set() {
        assert_eq!(kind(error(401, "invalid_client")), OAuthErrorKind::InvalidClient);
        assert_eq!(kind(error(400, "invalid_scope")), OAuthErrorKind::InvalidScope);
        assert_eq!(kind(error(400, "invalid_grant")), OAuthErrorKind::InvalidGrant);
        assert_eq!(kind(error(400, "unauthorized_client")), OAuthErrorKind::UnauthorizedClient);
        assert_eq!(kind(error(400, "invalid_dpop_proof")), OAuthErrorKind::InvalidDpopProof);
        assert_eq!(
            kind(error(400, "invalid_request")),
            OAuthErrorKind::Other("invalid_request".into())
        );
        // Codes are case-sensitive (RFC 6749 §5.2).
        assert_eq!(
            kind(error(400, "INVALID_CLIENT")),
            OAuthErrorKind::Other("INVALID_CLIENT".into())
        );
        for bad in ["", "a\"b", "a\nb", &"x".repeat(MAX_ERROR_CODE_BYTES + 1)] {
            assert_eq!(error(400, bad).unwrap_err(), TokenEndpointError::Malformed("error code"));
        }
    }

    #[test]
    fn use_dpop_nonce_carries_the_header_or_is_refused() {
        let mut challenge = answer(
            400,
            &json!({ "error": "use_dpop_nonce",
            "error_description": "Authorization server requires nonce in DPoP proof." }),
        );
        challenge.headers.push(("dpop-nonce".into(), "eyJ7S_zG.eyJH0-Z.HX4w-7v".into()));
        let error = parse_token_answer(&challenge).unwrap_err();
        assert_eq!(error.dpop_nonce().unwrap().as_str(), "eyJ7S_zG.eyJH0-Z.HX4w-7v");

        challenge.headers[0].1 = "bad nonce".into();
        assert!(matches!(parse_token_answer(&challenge), Err(TokenEndpointError::Malformed(_))));
        challenge.headers.clear();
        assert!(matches!(parse_token_answer(&challenge), Err(TokenEndpointError::Malformed(_))));
        assert_eq!(error_without_nonce().dpop_nonce(), None);
    }

    fn error_without_nonce() -> TokenEndpointError {
        error(401, "invalid_client").unwrap_err()
    }

    #[test]
    fn descriptions_are_cleaned_bounded_and_shown() {
        let description =
            format!("The client_assertion\r\n signature is invalid.{}", "!".repeat(500));
        let body = json!({ "error": "invalid_client", "error_description": description });
        let TokenEndpointError::OAuth(error) = parse_token_answer(&answer(401, &body)).unwrap_err()
        else {
            panic!("not an OAuth error")
        };
        let description = error.description.clone().unwrap();
        assert!(description.starts_with("The client_assertion signature is invalid.!"));
        assert_eq!(description.chars().count(), MAX_DESCRIPTION_CHARS);
        let shown = error.to_string();
        assert!(shown.starts_with("Okta did not accept the client"), "{shown}");
        assert!(shown.contains("(HTTP 401: The client_assertion"), "{shown}");

        let blank = answer(400, &json!({ "error": "invalid_scope", "error_description": " \n" }));
        let TokenEndpointError::OAuth(error) = parse_token_answer(&blank).unwrap_err() else {
            panic!("not an OAuth error")
        };
        assert_eq!(error.description, None);
        assert!(error.to_string().ends_with("(HTTP 400)"), "{error}");
    }

    #[test]
    fn other_statuses_are_statuses() {
        let okta_429 = answer(429, &json!({ "errorCode": "E0000047", "errorSummary": "x" }));
        assert_eq!(parse_token_answer(&okta_429).unwrap_err(), TokenEndpointError::Status(429));
        assert_eq!(error(500, "server_error").unwrap_err(), TokenEndpointError::Status(500));
        assert_eq!(error(302, "x").unwrap_err(), TokenEndpointError::Status(302));
        let not_oauth = answer(403, &json!({ "errorCode": "E0000006" }));
        assert_eq!(parse_token_answer(&not_oauth).unwrap_err(), TokenEndpointError::Status(403));
        let created = success(&json!({}));
        let created = HttpResponse { status: 201, ..created };
        assert_eq!(parse_token_answer(&created).unwrap_err(), TokenEndpointError::Status(201));
    }

    proptest! {
        #[test]
        fn any_body_is_answered_without_panicking(
            status in prop_oneof![Just(200u16), Just(400), Just(401), 100u16..600],
            body in proptest::collection::vec(any::<u8>(), 0..256),
        ) {
            let response = HttpResponse { status, headers: Vec::new(), body };
            let _ = parse_token_answer(&response);
        }

        #[test]
        fn every_b64token_is_accepted_and_kept_exactly(token in "[A-Za-z0-9._~+/-]{1,200}={0,2}") {
            let parsed = parse_token_answer(&success(&json!({ "access_token": token }))).unwrap();
            prop_assert_eq!(parsed.access_token.expose(), token.as_str());
        }

        #[test]
        fn debug_of_a_token_never_shows_it(secret in "[A-Za-z0-9._~+/-]{1,200}") {
            // The marker keeps a short random token from matching the redacted text by chance.
            let token = format!("canary{secret}");
            let parsed = parse_token_answer(&success(&json!({ "access_token": token }))).unwrap();
            let debug = format!("{parsed:?} {:?}", parsed.access_token);
            prop_assert!(debug.contains("AccessToken([redacted])"), "{}", debug);
            prop_assert!(!debug.contains(&token), "{}", debug);
        }

        #[test]
        fn descriptions_never_carry_control_characters(
            description in "\\PC{0,50}[\\x00-\\x1f\\x7f]{0,5}\\PC{0,50}",
        ) {
            let body = json!({ "error": "invalid_grant", "error_description": description });
            if let Err(TokenEndpointError::OAuth(error)) = parse_token_answer(&answer(400, &body)) {
                prop_assert!(error.description.iter().all(|d| !d.chars().any(char::is_control)));
            } else {
                prop_assert!(false, "not an OAuth error");
            }
        }
    }
}
