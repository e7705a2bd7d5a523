//! OAuth 2.0 for the Okta management APIs (CONTRACT §9): service apps, the org authorization
//! server's token endpoint `POST /oauth2/v1/token`, and the checks of `Bearer` and `DPoP` access
//! tokens on resource calls.
//!
//! # Service apps
//!
//! An "API Services" app is registered through the control API ([`ServiceApp`]): its client id
//! (`0oa…`), its public JWK set (RSA or EC P-256 keys, each with a `kid`), the Okta API scopes
//! granted to it, whether it requires `DPoP` (Okta's console turns that on for new apps, so it is
//! the default here) and whether it has an admin role.
//!
//! # The token endpoint
//!
//! A form-encoded `POST` with `grant_type=client_credentials`, `scope`, and `private_key_jwt`
//! client authentication (`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`,
//! `client_assertion`). The checks, in order, and their refusals (OAuth error bodies
//! `{"error","error_description"}`, RFC 6749 §5.2; the counters' reason in brackets):
//!
//! | check | status | `error` |
//! | --- | --- | --- |
//! | a form body, each parameter at most once | 400 | `invalid_request` (`invalid_request`) |
//! | `grant_type` is `client_credentials` | 400 | `unsupported_grant_type` (`unsupported_grant_type`) |
//! | no client secret, the assertion type, an assertion | 401 | `invalid_client` (`no_client_assertion`) |
//! | the assertion is a JWS | 401 | `invalid_client` (`malformed_assertion`) |
//! | `iss` = `sub`, a registered client id (and `client_id`, if sent, the same) | 401 | `invalid_client` (`iss_sub_mismatch`, `unknown_client`) |
//! | `alg` RS256/384/512 or ES256 | 401 | `invalid_client` (`unsupported_alg`) |
//! | `kid` names one of the app's keys (without `kid`, the app must have exactly one) | 401 | `invalid_client` (`unknown_kid`) |
//! | the signature | 401 | `invalid_client` (`bad_signature`) |
//! | `aud` = `{origin}/oauth2/v1/token` | 401 | `invalid_client` (`wrong_audience`) |
//! | `exp` in the future, at most 1 h ahead | 401 | `invalid_client` (`expired_assertion`, `assertion_lifetime_too_long`) |
//! | `iat` present, not in the future; `nbf`, if any, passed | 401 | `invalid_client` (`bad_iat`) |
//! | `jti` present and never used before | 401 | `invalid_client` (`missing_jti`, `replayed_assertion`) |
//! | `scope` present, every scope granted to the app | 400 | `invalid_scope` (`missing_scope`, `scope_not_granted`) |
//! | if the app requires `DPoP`: a valid `DPoP` proof | 400 | `invalid_dpop_proof` (`invalid_dpop_proof`) |
//! | … whose `nonce` is the current one | 400 | `use_dpop_nonce`, with a `DPoP-Nonce` header (`use_dpop_nonce`) |
//!
//! The origin is the one the client called (`http://127.0.0.1:PORT` or `http://localhost:PORT`),
//! as for `Link` URLs. A clock skew of 60 s is allowed on `iat` and `nbf`, none on `exp`. The
//! assertion's `jti` is spent only when a token is issued: a request refused for its `DPoP` nonce
//! may be sent again with the same assertion (whether Okta spends it on that refusal is not
//! documented). Without `DPoP` required, a `DPoP` header is ignored and a `Bearer` token issued
//! (what Okta does then is not documented either).
//!
//! The answer is `{"token_type":"Bearer"|"DPoP","expires_in":3600,"access_token":…,"scope":…}`
//! (no refresh token), with `Cache-Control: no-store`. The lifetime can be changed and every
//! issued token expired at once through the control API, so that tests can force a renewal:
//! at once, or after the next N resource calls that authenticate with an access token (the Nth is
//! served, the next one with an older token is refused as expired), so that a renewal lands
//! between two calls of a client's run whatever the timing. The last assertion that got a token
//! and the issued tokens can be read back (to replay the one, and to look for the others where
//! they must not appear), and the `DPoP` proof checks can read the clock ahead of the real one,
//! as a server whose clock is off: every proof is then refused as not recent.
//!
//! # Resource calls
//!
//! `Authorization: Bearer {token}` for a Bearer token, `Authorization: DPoP {token}` plus a
//! `DPoP` proof for a `DPoP`-bound token (RFC 9449 §7: `htm` the method, `htu` the URL without its
//! query, `ath` = base64url(SHA-256(token)), a `jti` never used before, `iat` within 5 minutes
//! past or 60 s ahead, signed by the key the token is bound to; no nonce). Refusals, with Okta's
//! error body and an RFC 6750 / RFC 9449 `WWW-Authenticate` challenge:
//!
//! | case | status | `errorCode` | challenge `error` | reason |
//! | --- | --- | --- | --- | --- |
//! | unknown token | 401 | `E0000011` | `invalid_token` | `unknown_token` |
//! | expired token | 401 | `E0000011` | `invalid_token` | `expired_token` |
//! | a `DPoP`-bound token as `Bearer`, a Bearer token as `DPoP` | 401 | `E0000011` | `invalid_token` | `wrong_token_scheme` |
//! | a missing or invalid proof | 401 | `E0000011` | `invalid_dpop_proof` | `invalid_dpop_proof` |
//! | the operation's scope not in the token | 403 | `E0000006` | `insufficient_scope` (with `scope`) | `insufficient_scope` |
//! | the app has no admin role | 403 | `E0000006` | none | `no_admin_role` |
//!
//! Scopes per operation follow the spec's security: `okta.apps.read` for `/api/v1/apps*`,
//! `okta.groups.read` for `/api/v1/groups*`, `okta.users.read` for `/api/v1/users*` (including
//! `/users/{id}/groups`); `okta.X.manage` includes `okta.X.read`. An app's tokens share one
//! per-app slice of each rate-limit bucket, as Okta's per-app share does.

use std::collections::{BTreeMap, HashMap, HashSet};

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, DATE, HeaderValue, PRAGMA};
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::clock::{http_date, now_ms};
use crate::control::{Shared, lock};
use crate::jose::{self, Jwk, Jws};
use crate::rng::Rng;
use crate::route::{Endpoint, Route};
use crate::server::ResponseBody;
use crate::tenant::ControlError;

/// The token endpoint of the org authorization server.
pub const TOKEN_PATH: &str = "/oauth2/v1/token";

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Okta's access tokens for the management APIs live one hour.
const DEFAULT_LIFETIME_S: u64 = 3600;
/// An assertion may expire at most this far ahead.
const MAX_ASSERTION_LIFETIME_S: i64 = 3600;
/// Allowed clock skew on `iat` and `nbf`.
const SKEW_S: i64 = 60;
/// How old a `DPoP` proof's `iat` may be.
const PROOF_MAX_AGE_S: i64 = 300;

/// An OAuth 2.0 service app ("API Services" app integration), as the control API registers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceApp {
    /// The client id (`0oa…`, 20 characters); generated when `None` at registration. Registering
    /// an existing client id replaces that app (its issued tokens stay valid).
    #[serde(default)]
    pub client_id: Option<String>,
    /// The public JWK set, `{"keys":[…]}`: RSA (2048 bits or more) or EC P-256 keys, each with a
    /// `kid`.
    pub jwks: Value,
    /// The Okta API scopes granted to the app, e.g. `okta.groups.read`.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Whether token requests must carry a `DPoP` proof (the setting "Require Demonstrating Proof
    /// of Possession (`DPoP`) header in token requests"; on by default, as for new apps in Okta's
    /// console).
    #[serde(default = "yes")]
    pub dpop_required: bool,
    /// Whether the app is assigned an admin role; without one, resource calls get 403
    /// `E0000006` whatever the scopes (default: it has one).
    #[serde(default = "yes")]
    pub admin_role: bool,
}

fn yes() -> bool {
    true
}

impl ServiceApp {
    /// An app with a generated client id, these keys and scopes, `DPoP` required and an admin
    /// role.
    pub fn new(jwks: Value, scopes: &[&str]) -> ServiceApp {
        ServiceApp {
            client_id: None,
            jwks,
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            dpop_required: true,
            admin_role: true,
        }
    }
}

#[derive(Debug)]
struct App {
    spec: ServiceApp,
    keys: Vec<Jwk>,
}

/// An issued access token.
#[derive(Debug)]
struct Issued {
    client_id: String,
    scopes: Vec<String>,
    expires_ms: i64,
    /// The thumbprint of the key a `DPoP` token is bound to.
    jkt: Option<String>,
}

/// The OAuth state of a running fake.
#[derive(Debug)]
pub(crate) struct OAuth {
    apps: BTreeMap<String, App>,
    tokens: HashMap<String, Issued>,
    lifetime_s: u64,
    /// `(client id, jti)` of every assertion that got a token.
    assertion_jtis: HashSet<(String, String)>,
    /// `jti` of every accepted `DPoP` proof.
    proof_jtis: HashSet<String>,
    nonce: String,
    rng: Rng,
    /// Resource calls still to authenticate before every issued token expires (see
    /// [`OAuth::expire_after`]); `None` when nothing is armed.
    expire_after: Option<u64>,
    /// How far ahead of the real clock the `DPoP` proof checks read the time, in seconds (a
    /// server whose clock is off).
    dpop_clock_offset_s: i64,
    /// The last client assertion that got a token.
    last_assertion: Option<String>,
}

impl OAuth {
    pub(crate) fn new(seed: u64) -> OAuth {
        let mut rng = Rng::new(seed ^ now_ms() as u64, 0x0A07);
        let nonce = rng.base62(32);
        OAuth {
            apps: BTreeMap::new(),
            tokens: HashMap::new(),
            lifetime_s: DEFAULT_LIFETIME_S,
            assertion_jtis: HashSet::new(),
            proof_jtis: HashSet::new(),
            nonce,
            rng,
            expire_after: None,
            dpop_clock_offset_s: 0,
            last_assertion: None,
        }
    }

    /// Registers (or replaces) a service app; returns its client id.
    pub(crate) fn register(&mut self, mut spec: ServiceApp) -> Result<String, ControlError> {
        let bad = |why: String| ControlError::BadRequest(why);
        let listed = spec.jwks.get("keys").and_then(Value::as_array);
        let listed = listed.ok_or_else(|| bad("jwks must be {\"keys\":[…]}".into()))?;
        if listed.is_empty() {
            return Err(bad("jwks has no key".into()));
        }
        let mut keys = Vec::new();
        for value in listed {
            let key = Jwk::parse(value).map_err(|why| bad(format!("jwks: {why}")))?;
            if key.kid.is_none() {
                return Err(bad("jwks: every key needs a kid".into()));
            }
            keys.push(key);
        }
        let client_id = match spec.client_id.clone() {
            Some(id) if !id.is_empty() => id,
            _ => loop {
                let id = self.rng.okta_id("0oa");
                if !self.apps.contains_key(&id) {
                    break id;
                }
            },
        };
        spec.client_id = Some(client_id.clone());
        self.apps.insert(client_id.clone(), App { spec, keys });
        Ok(client_id)
    }

    pub(crate) fn apps(&self) -> Vec<ServiceApp> {
        self.apps.values().map(|app| app.spec.clone()).collect()
    }

    pub(crate) fn lifetime_s(&self) -> u64 {
        self.lifetime_s
    }

    pub(crate) fn set_lifetime_s(&mut self, seconds: u64) {
        self.lifetime_s = seconds;
    }

    /// Expires every issued token that has not expired yet; returns how many.
    pub(crate) fn expire_all(&mut self, now: i64) -> usize {
        let live = self.tokens.values_mut().filter(|t| t.expires_ms > now);
        live.fold(0, |n, token| {
            token.expires_ms = now;
            n + 1
        })
    }

    /// Arms the expiry of every issued token after `requests` more resource calls authenticate
    /// with an access token (0 disarms): the call that makes the count is served, and the next
    /// call with any token issued before is refused as expired. The trigger fires once.
    pub(crate) fn expire_after(&mut self, requests: u64) {
        self.expire_after = (requests > 0).then_some(requests);
    }

    /// The resource calls still to authenticate before the armed expiry fires, if armed.
    pub(crate) fn expire_after_remaining(&self) -> Option<u64> {
        self.expire_after
    }

    /// Counts one authenticated resource call against the armed expiry, firing it if due.
    fn count_towards_expiry(&mut self, now: i64) {
        if let Some(remaining) = self.expire_after {
            if remaining <= 1 {
                self.expire_after = None;
                self.expire_all(now);
            } else {
                self.expire_after = Some(remaining - 1);
            }
        }
    }

    pub(crate) fn set_dpop_clock_offset_s(&mut self, seconds: i64) {
        self.dpop_clock_offset_s = seconds;
    }

    pub(crate) fn dpop_clock_offset_s(&self) -> i64 {
        self.dpop_clock_offset_s
    }

    /// The last client assertion that got a token (to replay it).
    pub(crate) fn last_assertion(&self) -> Option<&str> {
        self.last_assertion.as_deref()
    }

    /// Every access token issued and not forgotten, expired or not, sorted.
    pub(crate) fn issued_tokens(&self) -> Vec<String> {
        let mut tokens: Vec<String> = self.tokens.keys().cloned().collect();
        tokens.sort_unstable();
        tokens
    }

    /// Replaces the `DPoP` nonce; the previous one is refused from then on.
    pub(crate) fn rotate_nonce(&mut self) {
        self.nonce = self.rng.base62(32);
    }

    pub(crate) fn nonce(&self) -> &str {
        &self.nonce
    }
}

/// A refusal of the token endpoint.
#[derive(Debug)]
struct TokenError {
    status: u16,
    error: &'static str,
    description: String,
    /// The counters' reason.
    reason: &'static str,
    /// For `use_dpop_nonce`: the nonce to send.
    nonce: Option<String>,
}

fn refuse(status: u16, error: &'static str, reason: &'static str, why: &str) -> TokenError {
    TokenError { status, error, description: why.to_owned(), reason, nonce: None }
}

fn invalid_client(reason: &'static str, why: &str) -> TokenError {
    refuse(401, "invalid_client", reason, why)
}

/// The URL a `DPoP` proof's `htu` must name: scheme and host compared case-insensitively, no query
/// or fragment (RFC 9449 §4.3).
fn normalized_htu(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    match url.find("://").map(|i| i + 3) {
        Some(start) => {
            let end = url[start..].find('/').map_or(url.len(), |i| start + i);
            format!("{}{}", url[..end].to_ascii_lowercase(), &url[end..])
        }
        None => url.to_owned(),
    }
}

/// A verified `DPoP` proof.
struct Proof {
    jti: String,
    jkt: String,
    nonce: Option<String>,
}

/// Checks a `DPoP` proof (RFC 9449 §4.3) for a request `htm htu`, and its `ath` if `token` is
/// given; the `jti` is checked against those already used but not recorded.
fn check_proof(
    state: &OAuth,
    headers: &HeaderMap,
    htm: &str,
    htu: &str,
    token: Option<&str>,
    now_s: i64,
) -> Result<Proof, String> {
    let mut values = headers.get_all("dpop").iter();
    let value = values.next().ok_or("The DPoP proof JWT header is missing.")?;
    if values.next().is_some() {
        return Err("More than one DPoP header was sent.".into());
    }
    let value = value.to_str().map_err(|_| "The DPoP proof JWT is not ASCII.")?;
    let proof = Jws::parse(value).ok_or("The DPoP proof JWT is malformed.")?;
    if proof.header_str("typ") != Some("dpop+jwt") {
        return Err("The DPoP proof JWT 'typ' header must be 'dpop+jwt'.".into());
    }
    let alg = proof.header_str("alg").unwrap_or_default();
    if !jose::supported_alg(alg) {
        return Err(format!("The DPoP proof JWT 'alg' {alg:?} is not supported."));
    }
    let jwk = proof.header.get("jwk").ok_or("The DPoP proof JWT has no 'jwk' header.")?;
    let key = Jwk::parse(jwk).map_err(|why| format!("The DPoP proof 'jwk' is invalid: {why}."))?;
    proof.verify(&key).map_err(|_| "The DPoP proof JWT signature is invalid.")?;
    if proof.claim_str("htm") != Some(htm) {
        return Err(format!("The DPoP proof 'htm' claim must be '{htm}'."));
    }
    let claimed = proof.claim_str("htu").map(normalized_htu);
    if claimed.as_deref() != Some(normalized_htu(htu).as_str()) {
        return Err(format!("The DPoP proof 'htu' claim must be '{}'.", normalized_htu(htu)));
    }
    let iat = proof.claim_time("iat").ok_or("The DPoP proof JWT has no 'iat' claim.")?;
    let now_s = now_s + state.dpop_clock_offset_s;
    if iat > now_s + SKEW_S || iat < now_s - PROOF_MAX_AGE_S {
        return Err("The DPoP proof JWT 'iat' is not recent.".into());
    }
    let jti = proof.claim_str("jti").filter(|j| !j.is_empty());
    let jti = jti.ok_or("The DPoP proof JWT has no 'jti' claim.")?;
    if state.proof_jtis.contains(jti) {
        return Err("The DPoP proof JWT 'jti' has already been used.".into());
    }
    if let Some(token) = token
        && proof.claim_str("ath") != Some(jose::sha256_b64(token.as_bytes()).as_str())
    {
        return Err("The DPoP proof 'ath' claim does not match the access token.".into());
    }
    Ok(Proof {
        jti: jti.to_owned(),
        jkt: key.thumbprint,
        nonce: proof.claim_str("nonce").map(str::to_owned),
    })
}

/// The parameters of a form body; `None` if one appears twice.
fn form(body: &[u8]) -> Option<HashMap<String, String>> {
    let mut params = HashMap::new();
    for (name, value) in form_urlencoded::parse(body) {
        if params.insert(name.into_owned(), value.into_owned()).is_some() {
            return None;
        }
    }
    Some(params)
}

/// Verifies the client assertion; returns the client id and the assertion's `jti`.
fn authenticate_client(
    state: &OAuth,
    params: &HashMap<String, String>,
    token_url: &str,
    now_s: i64,
) -> Result<(String, String), TokenError> {
    let param = |name: &str| params.get(name).map(String::as_str);
    if param("client_secret").is_some() {
        return Err(invalid_client(
            "no_client_assertion",
            "Service apps authenticate with private_key_jwt only.",
        ));
    }
    if param("client_assertion_type") != Some(ASSERTION_TYPE) {
        return Err(invalid_client(
            "no_client_assertion",
            "Client authentication failed. Either the client or the client credentials are invalid.",
        ));
    }
    let assertion = param("client_assertion").filter(|a| !a.is_empty());
    let assertion = assertion.ok_or_else(|| {
        invalid_client("no_client_assertion", "The client_assertion parameter is required.")
    })?;
    let jws = Jws::parse(assertion).ok_or_else(|| {
        invalid_client("malformed_assertion", "The client_assertion token is invalid.")
    })?;
    let iss = jws.claim_str("iss").unwrap_or_default();
    if iss.is_empty() || jws.claim_str("sub") != Some(iss) {
        return Err(invalid_client(
            "iss_sub_mismatch",
            "The client_assertion token must have the client id as both 'iss' and 'sub'.",
        ));
    }
    let app =
        state.apps.get(iss).filter(|_| param("client_id").is_none_or(|id| id == iss)).ok_or_else(
            || invalid_client("unknown_client", "Invalid value for 'client_id' parameter."),
        )?;
    let alg = jws.header_str("alg").unwrap_or_default();
    if !jose::supported_alg(alg) {
        return Err(invalid_client(
            "unsupported_alg",
            &format!(
                "The client_assertion JWT alg {alg:?} is not supported here (the fake verifies {}).",
                jose::SUPPORTED_ALGS
            ),
        ));
    }
    let key = match jws.header_str("kid") {
        Some(kid) => app.keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
        None if app.keys.len() == 1 => app.keys.first(),
        None => None,
    };
    let key = key
        .ok_or_else(|| invalid_client("unknown_kid", "The client_assertion JWT kid is invalid."))?;
    jws.verify(key).map_err(|_| {
        invalid_client("bad_signature", "The client_assertion signature is invalid.")
    })?;
    let aud_ok = match jws.claims.get("aud") {
        Some(Value::String(aud)) => aud == token_url,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(token_url)),
        _ => false,
    };
    if !aud_ok {
        return Err(invalid_client(
            "wrong_audience",
            "The audience claim for client_assertion must be the endpoint invoked for the request.",
        ));
    }
    match jws.claim_time("exp") {
        Some(exp) if exp > now_s + MAX_ASSERTION_LIFETIME_S => {
            return Err(invalid_client(
                "assertion_lifetime_too_long",
                "The client_assertion token has an expiration too far into the future.",
            ));
        }
        Some(exp) if exp > now_s => {}
        _ => {
            return Err(invalid_client(
                "expired_assertion",
                "The client_assertion token is expired.",
            ));
        }
    }
    let iat_ok = jws.claim_time("iat").is_some_and(|iat| iat <= now_s + SKEW_S);
    let nbf_ok = jws.claim_time("nbf").is_none_or(|nbf| nbf <= now_s + SKEW_S);
    if !iat_ok || !nbf_ok {
        return Err(invalid_client(
            "bad_iat",
            "The client_assertion token's 'iat' is missing or in the future, or it is not valid yet.",
        ));
    }
    let jti = jws.claim_str("jti").filter(|j| !j.is_empty());
    let jti = jti.ok_or_else(|| {
        invalid_client("missing_jti", "The client_assertion token must have a 'jti' claim.")
    })?;
    if state.assertion_jtis.contains(&(iss.to_owned(), jti.to_owned())) {
        return Err(invalid_client(
            "replayed_assertion",
            "The client_assertion token has already been used.",
        ));
    }
    Ok((iss.to_owned(), jti.to_owned()))
}

/// Answers a token request: the JSON of the issued token, or a refusal.
fn issue(
    state: &mut OAuth,
    body: &[u8],
    headers: &HeaderMap,
    origin: &str,
    now: i64,
) -> Result<Value, TokenError> {
    let now_s = now.div_euclid(1000);
    let token_url = format!("{origin}{TOKEN_PATH}");
    let params = form(body).ok_or_else(|| {
        refuse(400, "invalid_request", "invalid_request", "A parameter was sent more than once.")
    })?;
    match params.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        None => {
            return Err(refuse(
                400,
                "invalid_request",
                "invalid_request",
                "The 'grant_type' parameter is required.",
            ));
        }
        Some(_) => {
            return Err(refuse(
                400,
                "unsupported_grant_type",
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server. \
                 Configured grant types: [client_credentials].",
            ));
        }
    }
    let (client_id, assertion_jti) = authenticate_client(state, &params, &token_url, now_s)?;
    let assertion = params.get("client_assertion").cloned();
    let app = &state.apps[&client_id];
    let requested: Vec<String> = params
        .get("scope")
        .map(|s| s.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    if requested.is_empty() {
        return Err(refuse(
            400,
            "invalid_scope",
            "missing_scope",
            "The authorization server resource does not have any configured default scopes, \
             'scope' must be provided.",
        ));
    }
    let refused: Vec<&str> =
        requested.iter().filter(|s| !app.spec.scopes.contains(s)).map(String::as_str).collect();
    if !refused.is_empty() {
        return Err(refuse(
            400,
            "invalid_scope",
            "scope_not_granted",
            &format!("The following scopes are not allowed: {}", refused.join(" ")),
        ));
    }
    let proof = if app.spec.dpop_required {
        let proof = check_proof(state, headers, "POST", &token_url, None, now_s)
            .map_err(|why| refuse(400, "invalid_dpop_proof", "invalid_dpop_proof", &why))?;
        if proof.nonce.as_deref() != Some(state.nonce.as_str()) {
            let mut error = refuse(
                400,
                "use_dpop_nonce",
                "use_dpop_nonce",
                "Authorization server requires nonce in DPoP proof.",
            );
            error.nonce = Some(state.nonce.clone());
            return Err(error);
        }
        Some(proof)
    } else {
        None
    };

    state.assertion_jtis.insert((client_id.clone(), assertion_jti));
    state.last_assertion = assertion;
    let jkt = proof.map(|proof| {
        state.proof_jtis.insert(proof.jti);
        proof.jkt
    });
    let lifetime = state.lifetime_s;
    let exp = now_s + lifetime as i64;
    let mut claims = json!({
        "ver": 1,
        "jti": format!("AT.{}", state.rng.base62(40)),
        "iss": origin,
        "aud": origin,
        "iat": now_s,
        "exp": exp,
        "cid": client_id,
        "scp": requested,
        "sub": client_id,
    });
    if let Some(jkt) = &jkt {
        claims["cnf"] = json!({ "jkt": jkt });
    }
    let header = json!({ "kid": "fake-okta", "alg": "RS256" });
    let signature: Vec<u8> = (0..32).map(|_| state.rng.next_u64() as u8).collect();
    let access_token = format!(
        "{}.{}.{}",
        jose::b64(header.to_string().as_bytes()),
        jose::b64(claims.to_string().as_bytes()),
        jose::b64(&signature)
    );
    let token_type = if jkt.is_some() { "DPoP" } else { "Bearer" };
    state.tokens.insert(
        access_token.clone(),
        Issued {
            client_id,
            scopes: requested.clone(),
            expires_ms: now + lifetime as i64 * 1000,
            jkt,
        },
    );
    Ok(json!({
        "token_type": token_type,
        "expires_in": lifetime,
        "access_token": access_token,
        "scope": requested.join(" "),
    }))
}

/// Answers `POST /oauth2/v1/token`.
pub(crate) async fn token_endpoint(
    shared: &Shared,
    req: Request<Incoming>,
    origin: &str,
) -> Response<ResponseBody> {
    lock(&shared.counters).oauth_token_requests += 1;
    if req.method() != Method::POST {
        let error = refuse(
            405,
            "invalid_request",
            "invalid_request",
            "The token endpoint accepts POST only.",
        );
        return token_reply(shared, Err(error));
    }
    let headers = req.headers().clone();
    let body = match Limited::new(req.into_body(), 64 * 1024).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let result = issue(&mut lock(&shared.oauth), &body, &headers, origin, now_ms());
    token_reply(shared, result)
}

fn token_reply(shared: &Shared, result: Result<Value, TokenError>) -> Response<ResponseBody> {
    let (status, body, nonce) = match result {
        Ok(body) => {
            lock(&shared.counters).oauth_tokens_issued += 1;
            (200, body, None)
        }
        Err(e) => {
            lock(&shared.counters).oauth_refusal(e.reason);
            let body = json!({ "error": e.error, "error_description": e.description });
            (e.status, body, e.nonce)
        }
    };
    let mut response =
        Response::new(ResponseBody::full(serde_json::to_vec(&body).unwrap_or_default()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    if let Ok(date) = HeaderValue::from_str(&http_date(now_ms().div_euclid(1000))) {
        headers.insert(DATE, date);
    }
    if let Some(nonce) = nonce.and_then(|n| HeaderValue::from_str(&n).ok()) {
        headers.insert("dpop-nonce", nonce);
    }
    response
}

/// Who an OAuth access token speaks for, once checked.
#[derive(Debug, Clone)]
pub(crate) struct OAuthCaller {
    pub(crate) client_id: String,
    scopes: Vec<String>,
    admin_role: bool,
    dpop: bool,
}

/// Why a resource call with an OAuth token was refused.
#[derive(Debug, Clone)]
pub(crate) struct OAuthRefusal {
    /// 401 (`true`, `E0000011`) or 403 (`false`, `E0000006`).
    pub(crate) unauthenticated: bool,
    /// The `WWW-Authenticate` challenge, if any.
    pub(crate) challenge: Option<String>,
    pub(crate) reason: &'static str,
}

fn challenge(scheme: &str, origin: &str, error: &str, why: &str, scope: Option<&str>) -> String {
    let algs = if scheme == "DPoP" {
        format!(" algs=\"{}\",", jose::SUPPORTED_ALGS)
    } else {
        String::new()
    };
    let scope = scope.map(|s| format!(", scope=\"{s}\"")).unwrap_or_default();
    let why = why.replace('"', "'");
    format!(
        "{scheme}{algs} realm=\"{origin}\", error=\"{error}\", error_description=\"{why}\"{scope}"
    )
}

/// Checks `Authorization: Bearer|DPoP {token}` (the scheme given in `scheme`) on a resource call
/// to `origin path`.
pub(crate) fn authenticate(
    shared: &Shared,
    scheme: &'static str,
    token: &str,
    headers: &HeaderMap,
    method: &Method,
    origin: &str,
    path: &str,
) -> Result<OAuthCaller, OAuthRefusal> {
    let now = now_ms();
    let mut state = lock(&shared.oauth);
    let unauthenticated = |error: &str, why: &str, reason| OAuthRefusal {
        unauthenticated: true,
        challenge: Some(challenge(scheme, origin, error, why, None)),
        reason,
    };
    let issued = state.tokens.get(token).ok_or_else(|| {
        unauthenticated("invalid_token", "The access token is invalid.", "unknown_token")
    })?;
    if issued.expires_ms <= now {
        return Err(unauthenticated(
            "invalid_token",
            "The access token is expired.",
            "expired_token",
        ));
    }
    let dpop = scheme == "DPoP";
    if dpop != issued.jkt.is_some() {
        let why = if dpop {
            "The access token is not DPoP-bound: use the Bearer scheme."
        } else {
            "The access token is DPoP-bound: use the DPoP scheme with a DPoP proof."
        };
        return Err(unauthenticated("invalid_token", why, "wrong_token_scheme"));
    }
    let jkt = issued.jkt.clone();
    let client_id = issued.client_id.clone();
    let scopes = issued.scopes.clone();
    if let Some(jkt) = jkt {
        let url = format!("{origin}{path}");
        let proof = check_proof(&state, headers, method.as_str(), &url, Some(token), now / 1000)
            .and_then(|proof| {
                if proof.jkt == jkt {
                    Ok(proof)
                } else {
                    Err("The DPoP proof is not signed by the key the token is bound to.".into())
                }
            })
            .map_err(|why| unauthenticated("invalid_dpop_proof", &why, "invalid_dpop_proof"))?;
        state.proof_jtis.insert(proof.jti);
    }
    let admin_role = state.apps.get(&client_id).is_some_and(|app| app.spec.admin_role);
    state.count_towards_expiry(now);
    Ok(OAuthCaller { client_id, scopes, admin_role, dpop })
}

impl OAuthCaller {
    /// The scheme the call authenticated with: `DPoP` or `Bearer`.
    pub(crate) fn scheme(&self) -> &'static str {
        if self.dpop { "DPoP" } else { "Bearer" }
    }

    /// The scope the spec's security asks for on this path, if any.
    fn required_scope(route: &Route, path: &str) -> Option<&'static str> {
        match route.endpoint {
            Endpoint::GetApp | Endpoint::ListAppGroups => Some("okta.apps.read"),
            Endpoint::GetGroup | Endpoint::ListGroupUsers => Some("okta.groups.read"),
            Endpoint::ListUsers | Endpoint::GetUser | Endpoint::ListUserGroups => {
                Some("okta.users.read")
            }
            Endpoint::Other if path.starts_with("/api/v1/apps") => Some("okta.apps.read"),
            Endpoint::Other if path.starts_with("/api/v1/groups") => Some("okta.groups.read"),
            Endpoint::Other if path.starts_with("/api/v1/users") => Some("okta.users.read"),
            Endpoint::Other => None,
        }
    }

    /// The refusal of a call to `route` that the token's scopes or the app's role do not allow.
    pub(crate) fn forbidden(
        &self,
        route: &Route,
        path: &str,
        origin: &str,
    ) -> Option<OAuthRefusal> {
        if let Some(needed) = Self::required_scope(route, path) {
            let manage = needed.replace(".read", ".manage");
            if !self.scopes.iter().any(|s| s == needed || *s == manage) {
                let scheme = self.scheme();
                let why = "The access token provided does not contain the required scopes.";
                return Some(OAuthRefusal {
                    unauthenticated: false,
                    challenge: Some(challenge(
                        scheme,
                        origin,
                        "insufficient_scope",
                        why,
                        Some(needed),
                    )),
                    reason: "insufficient_scope",
                });
            }
        }
        if !self.admin_role {
            return Some(OAuthRefusal {
                unauthenticated: false,
                challenge: None,
                reason: "no_admin_role",
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htu_ignores_query_fragment_and_host_case() {
        assert_eq!(
            normalized_htu("HTTP://LocalHost:80/api/v1/users?limit=2#x"),
            "http://localhost:80/api/v1/users"
        );
        assert_eq!(normalized_htu("http://h/Path"), "http://h/Path");
    }

    #[test]
    fn a_repeated_form_parameter_is_refused() {
        assert!(form(b"a=1&b=2").is_some());
        assert!(form(b"a=1&a=2").is_none());
    }

    #[test]
    fn registration_needs_keys_with_kids() {
        let mut oauth = OAuth::new(1);
        let no_keys = ServiceApp::new(json!({ "keys": [] }), &["okta.apps.read"]);
        assert!(oauth.register(no_keys).is_err());
        let not_a_set = ServiceApp::new(json!([]), &[]);
        assert!(oauth.register(not_a_set).is_err());
    }
}
