//! The Okta surface's request pipeline, in the order real Okta appears to apply it:
//!
//! 1. count the request (per endpoint);
//! 2. the org's concurrency limit (429, `Limit`/`Remaining` 0, counted in no bucket);
//! 3. the added latency;
//! 4. the rate-limit bucket: every request counts, 429 past the org-wide limit;
//! 5. auth: `Authorization: SSWS {token}` with a known, unrevoked token, or an OAuth access token
//!    (`Bearer {token}`, or `DPoP {token}` with a `DPoP` proof; see `oauth`), else 401
//!    `E0000011` (with a `WWW-Authenticate` challenge for the OAuth schemes);
//! 6. the token's share of the bucket (an OAuth app's tokens share one): 429 past it;
//! 7. permission: the restricted token gets 403 `E0000006` outside `/api/v1/apps/*`; an OAuth
//!    token gets it without the operation's scope or without an admin role;
//! 8. method: only GET is served (405 `E0000022`);
//! 9. an injected fault, if one is due;
//! 10. the endpoint itself (404 `E0000007` for unknown ids or paths).
//!
//! Every response, errors included, carries `Date`, `X-Okta-Request-Id` and the
//! `X-Rate-Limit-*` headers; listings carry `Link` lines `rel="self"` and (unless last)
//! `rel="next"`, built on the origin the client called.

use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, DATE, HeaderValue, LINK, LOCATION,
    WWW_AUTHENTICATE,
};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::Value;

use crate::clock::{http_date, now_ms};
use crate::control::{Shared, lock, read};
use crate::errors::OktaError;
use crate::faults::{DEFAULT_HANG, FaultKind};
use crate::handlers::{self, Reply};
use crate::oauth::{self, OAuthCaller, OAuthRefusal};
use crate::query::Query;
use crate::rate_limit::{Verdict, concurrency_verdict};
use crate::rng::Rng;
use crate::route::{Endpoint, Route};
use crate::server::ResponseBody;
use crate::tenant::Access;

/// Answers one request on the Okta surface.
pub(crate) async fn handle(
    shared: &Shared,
    req: Request<Incoming>,
    origin: String,
) -> Response<ResponseBody> {
    let path = req.uri().path().to_owned();
    let query = Query::parse(req.uri().query());
    let route = Route::parse(&path);
    {
        let mut counters = lock(&shared.counters);
        counters.request(route.endpoint);
        if route.endpoint == Endpoint::ListGroupUsers && query.get("after").is_none() {
            counters.member_listing_begun(&route.id);
        }
    }
    let seq = shared.request_seq.fetch_add(1, Ordering::Relaxed);
    let ids = RequestIds::new(seq, read(&shared.tenant).cursor_salt);

    let config = lock(&shared.limits).0;
    let Some(_slot) = shared.in_flight.enter(config.concurrency_limit) else {
        lock(&shared.counters).concurrency_rejected += 1;
        return finish(shared, error(OktaError::RateLimited, &concurrency_verdict(), &ids));
    };
    let latency = *lock(&shared.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    let caller = caller(shared, &req, &origin, &path);
    if let Ok(Caller::OAuth(oauth)) = &caller {
        lock(&shared.counters).oauth_call(oauth.scheme());
    }
    let verdict = {
        let mut limits = lock(&shared.limits);
        let (config, windows) = &mut *limits;
        let rate_key = caller.as_ref().ok().map(Caller::rate_key);
        windows.hit(config, route.bucket(&path), rate_key.as_deref())
    };
    let refusal = match &caller {
        _ if verdict.over_org_limit => Some(Refusal::plain(OktaError::RateLimited)),
        Err(refusal) => Some(refusal.clone()),
        Ok(_) if verdict.over_token_share => Some(Refusal::plain(OktaError::RateLimited)),
        Ok(caller) => caller.forbidden(&route, &path, &origin),
    }
    .or_else(|| (req.method() != Method::GET).then(|| Refusal::plain(OktaError::MethodNotAllowed)));
    if let Some(refusal) = refusal {
        if let Some(reason) = refusal.oauth_reason {
            lock(&shared.counters).oauth_refusal(reason);
        }
        let mut response = error(refusal.error, &verdict, &ids);
        if let Some(value) = refusal.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        return finish(shared, response);
    }

    let fault = lock(&shared.faults).take(route.endpoint, &path);
    if fault.is_some() {
        lock(&shared.counters).faults_fired += 1;
    }
    match &fault {
        Some(FaultKind::Error { status }) => {
            let mut response = error(OktaError::for_status(*status, &path), &verdict, &ids);
            *response.status_mut() =
                StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return finish(shared, response);
        }
        Some(FaultKind::Redirect { location }) => {
            let target = location.clone().unwrap_or_else(|| {
                format!("http://redirected.invalid{}", path_and_query(&path, query.raw()))
            });
            let mut response =
                base(StatusCode::FOUND, ResponseBody::full(Bytes::new()), &verdict, &ids);
            if let Ok(value) = HeaderValue::from_str(&target) {
                response.headers_mut().insert(LOCATION, value);
            }
            return finish(shared, response);
        }
        Some(FaultKind::Hang { ms }) => {
            tokio::time::sleep(ms.map_or(DEFAULT_HANG, Duration::from_millis)).await;
        }
        _ => {}
    }

    let result = {
        let tenant = read(&shared.tenant);
        handlers::dispatch(&tenant, &route, &query, &origin, &path)
    };
    let response = match result {
        Ok(reply) => success(reply, &origin, &path, &query, fault.as_ref(), &verdict, &ids),
        Err(e) => error(e, &verdict, &ids),
    };
    finish(shared, response)
}

/// Who a request speaks for.
enum Caller {
    /// An API token (`SSWS`).
    Ssws { token: String, access: Access },
    /// An OAuth access token of a service app.
    OAuth(OAuthCaller),
}

impl Caller {
    /// The key of the caller's share of a rate-limit bucket: the token, or the OAuth app.
    fn rate_key(&self) -> String {
        match self {
            Caller::Ssws { token, .. } => token.clone(),
            Caller::OAuth(caller) => format!("oauth app {}", caller.client_id),
        }
    }

    fn forbidden(&self, route: &Route, path: &str, origin: &str) -> Option<Refusal> {
        match self {
            Caller::Ssws { access: Access::AppsOnly, .. } if !route.is_apps_scope() => {
                Some(Refusal::plain(OktaError::Forbidden))
            }
            Caller::Ssws { .. } => None,
            Caller::OAuth(caller) => caller.forbidden(route, path, origin).map(Refusal::from),
        }
    }
}

/// A refusal before the endpoint runs: the error, and for OAuth a challenge and a reason.
#[derive(Clone)]
struct Refusal {
    error: OktaError,
    challenge: Option<String>,
    oauth_reason: Option<&'static str>,
}

impl Refusal {
    fn plain(error: OktaError) -> Refusal {
        Refusal { error, challenge: None, oauth_reason: None }
    }
}

impl From<OAuthRefusal> for Refusal {
    fn from(refusal: OAuthRefusal) -> Refusal {
        let error =
            if refusal.unauthenticated { OktaError::InvalidToken } else { OktaError::Forbidden };
        Refusal { error, challenge: refusal.challenge, oauth_reason: Some(refusal.reason) }
    }
}

/// Authenticates a request by its `Authorization` header: `SSWS` exactly as Okta spells it,
/// `Bearer` and `DPoP` in any case (RFC 9110 §11.1).
fn caller(
    shared: &Shared,
    req: &Request<Incoming>,
    origin: &str,
    path: &str,
) -> Result<Caller, Refusal> {
    let header = req.headers().get(AUTHORIZATION).and_then(|h| h.to_str().ok()).unwrap_or("");
    if let Some(token) = header.strip_prefix("SSWS ") {
        let access = read(&shared.tenant).access(token);
        return access
            .map(|access| Caller::Ssws { token: token.to_owned(), access })
            .ok_or_else(|| Refusal::plain(OktaError::InvalidToken));
    }
    let (scheme, token) = header.split_once(' ').unwrap_or((header, ""));
    let scheme = match scheme {
        s if s.eq_ignore_ascii_case("Bearer") => "Bearer",
        s if s.eq_ignore_ascii_case("DPoP") => "DPoP",
        _ => return Err(Refusal::plain(OktaError::InvalidToken)),
    };
    oauth::authenticate(shared, scheme, token.trim(), req.headers(), req.method(), origin, path)
        .map(Caller::OAuth)
        .map_err(Refusal::from)
}

/// `X-Okta-Request-Id` and `errorId` of one request: unique, opaque.
struct RequestIds {
    request_id: String,
    error_id: String,
}

impl RequestIds {
    fn new(seq: u64, salt: u64) -> RequestIds {
        let mut rng = Rng::new(salt ^ now_ms() as u64, seq);
        let request_id = format!("{}{}", rng.base62(20), base62_counter(seq));
        RequestIds { request_id, error_id: format!("oae{}", rng.base62(22)) }
    }
}

/// A counter in base62, so that request ids never repeat within a run.
fn base62_counter(mut n: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(ALPHABET[(n % 62) as usize]);
        n /= 62;
        if n == 0 {
            break;
        }
    }
    while out.len() < 7 {
        out.push(b'0');
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

fn finish(shared: &Shared, response: Response<ResponseBody>) -> Response<ResponseBody> {
    lock(&shared.counters).response(response.status().as_u16());
    response
}

fn path_and_query(path: &str, raw_query: &str) -> String {
    if raw_query.is_empty() { path.to_owned() } else { format!("{path}?{raw_query}") }
}

/// A response with the headers every Okta response carries.
fn base(
    status: StatusCode,
    body: ResponseBody,
    verdict: &Verdict,
    ids: &RequestIds,
) -> Response<ResponseBody> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let now_secs = now_ms().div_euclid(1000);
    let pairs = [
        (DATE.as_str(), http_date(now_secs)),
        ("x-okta-request-id", ids.request_id.clone()),
        ("x-rate-limit-limit", verdict.limit.to_string()),
        ("x-rate-limit-remaining", verdict.remaining.to_string()),
        ("x-rate-limit-reset", verdict.reset.to_string()),
    ];
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

fn json_bytes(value: &Value) -> Bytes {
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

fn error(e: OktaError, verdict: &Verdict, ids: &RequestIds) -> Response<ResponseBody> {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = ResponseBody::full(json_bytes(&e.body(&ids.error_id)));
    let mut response = base(status, body, verdict, ids);
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn success(
    reply: Reply,
    origin: &str,
    path: &str,
    query: &Query,
    fault: Option<&FaultKind>,
    verdict: &Verdict,
    ids: &RequestIds,
) -> Response<ResponseBody> {
    let bytes = reply.body;
    let body = match fault {
        Some(FaultKind::MalformedJson) => {
            let mut broken = bytes[..bytes.len().saturating_sub(1)].to_vec();
            broken.extend_from_slice(b",}");
            ResponseBody::full(broken)
        }
        Some(FaultKind::TruncatedBody) => ResponseBody::cut(bytes.slice(..bytes.len() / 2)),
        _ => ResponseBody::full(bytes.clone()),
    };
    let mut response = base(StatusCode::OK, body, verdict, ids);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if matches!(fault, Some(FaultKind::TruncatedBody)) {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    }
    if let Some(next) = reply.page {
        for link in links(origin, path, query, next, fault) {
            if let Ok(value) = HeaderValue::from_str(&link) {
                headers.append(LINK, value);
            }
        }
    }
    response
}

/// The `Link` lines of a page: `self`, then `next` unless this is the last page (or a fault
/// rewrites it).
fn links(
    origin: &str,
    path: &str,
    query: &Query,
    next_after: Option<String>,
    fault: Option<&FaultKind>,
) -> Vec<String> {
    let self_url = format!("{origin}{}", path_and_query(path, query.raw()));
    let kept: Vec<&str> = query
        .raw()
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some("after"))
        .collect();
    let first_url = format!("{origin}{}", path_and_query(path, &kept.join("&")));
    let next_url = next_after.map(|after| {
        let mut params = kept.clone();
        let after = format!("after={after}");
        params.push(&after);
        format!("{origin}{path}?{}", params.join("&"))
    });
    let host = origin.trim_start_matches("http://");
    let rehome = |new_origin: String| {
        let url = next_url.clone().unwrap_or_else(|| self_url.clone());
        Some(format!("{new_origin}{}", &url[origin.len()..]))
    };
    let next_url = match fault {
        Some(FaultKind::NextLinkForeignHost) => rehome("http://okta.evil.invalid".into()),
        Some(FaultKind::NextLinkOtherScheme) => rehome(format!("https://{host}")),
        Some(FaultKind::NextLinkOtherPort) => {
            let (name, port) = host.rsplit_once(':').unwrap_or((host, "80"));
            let port = port.parse::<u32>().map_or(81, |p| p + 1);
            rehome(format!("http://{name}:{port}"))
        }
        Some(FaultKind::PaginationLoop) => Some(first_url),
        _ => next_url,
    };
    let mut lines = vec![format!("<{self_url}>; rel=\"self\"")];
    lines.extend(next_url.map(|url| format!("<{url}>; rel=\"next\"")));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_keeps_every_parameter_and_replaces_after() {
        let q = Query::parse(Some("limit=200&expand=group&after=old"));
        let lines = links("http://h:1", "/api/v1/x", &q, Some("NEW".into()), None);
        assert_eq!(
            lines[0],
            "<http://h:1/api/v1/x?limit=200&expand=group&after=old>; rel=\"self\""
        );
        assert_eq!(
            lines[1],
            "<http://h:1/api/v1/x?limit=200&expand=group&after=NEW>; rel=\"next\""
        );
    }

    #[test]
    fn the_last_page_has_only_a_self_link() {
        let lines = links("http://h:1", "/api/v1/x", &Query::default(), None, None);
        assert_eq!(lines, vec!["<http://h:1/api/v1/x>; rel=\"self\"".to_owned()]);
    }

    #[test]
    fn link_faults_rewrite_the_origin_of_next() {
        let q = Query::parse(Some("limit=20"));
        let next =
            |fault| links("http://h:1000", "/p", &q, Some("C".into()), Some(&fault))[1].clone();
        assert_eq!(
            next(FaultKind::NextLinkOtherScheme),
            "<https://h:1000/p?limit=20&after=C>; rel=\"next\""
        );
        assert_eq!(
            next(FaultKind::NextLinkOtherPort),
            "<http://h:1001/p?limit=20&after=C>; rel=\"next\""
        );
        assert_eq!(
            next(FaultKind::NextLinkForeignHost),
            "<http://okta.evil.invalid/p?limit=20&after=C>; rel=\"next\""
        );
    }

    #[test]
    fn request_ids_are_unique() {
        let a = RequestIds::new(1, 9).request_id;
        let b = RequestIds::new(2, 9).request_id;
        assert_ne!(a, b);
    }
}
