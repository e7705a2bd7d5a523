//! Authentication: turning a request's credentials into a [`Caller`], or refusing it.
//!
//! People: the `Cf-Access-Jwt-Assertion` JWT, verified on every request against the Access
//! team's keys (RS256 only, exact issuer, the AUD tag, `exp`/`nbf`); cookies and unsigned
//! identity headers (`Cf-Access-Authenticated-User-Email`) are never trusted. Locally, a token of
//! the dev sign-in goes through the same verifier with the dev key, on a loopback host only.
//! Machines: an API key (`Authorization: Bearer gsk_…`), or an Access service token whose
//! `common_name` is registered.
//!
//! Guessing is bounded: failed credential attempts are counted per client address
//! (`CF-Connecting-IP`), and an address past the limit is refused (429) before any credential
//! of its requests is looked at, until the minute ends. Access's signing keys are used at most
//! [`AccessSettings::max_stale_s`] after their last successful fetch; past it, requests fail
//! closed with a 503 that says so (policy: `groupsync_core::auth::KeyPolicy`).

use std::cell::{Cell, RefCell};
use std::time::Duration;

use groupsync_core::auth::{
    Expectations, KeyCache, KeyLookup, KeyPolicy, VerificationKey, key_id, parse_jwks, verify,
};
use worker::{Delay, Fetch, Method, Request, RequestInit, RequestRedirect, console_warn};

use crate::adapters::kv::{Cache, SharedKeySet};
use crate::config::{AccessSettings, DEV_AUDIENCE, DEV_ISSUER, DEV_KEY_ID};
use crate::error::ApiError;
use crate::http::context::{Ctx, is_loopback_request};
use crate::service::access::{Caller, parse_scopes};
use crate::service::api_keys;

/// The rate-limit bucket of failed credential attempts, per client address.
const AUTH_FAILURES: &str = "auth-failure";
/// The longest client address kept as a bucket key (an IPv6 address is at most 45 characters;
/// Cloudflare sets the header, but a bound keeps any other value from growing the key).
const MAX_ADDRESS_CHARS: usize = 64;
/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_S: u64 = 60;
/// The largest key set read.
const MAX_KEY_SET_BYTES: usize = 64 * 1024;

/// How often a request that waits for another request's key fetch looks at the cache again.
const FETCH_WAIT_STEP: Duration = Duration::from_millis(25);
/// How long a request waits for another request's key fetch before answering without it (a fetch
/// older than this is taken as abandoned: its request was cancelled). Longer than the fetch's
/// own timeout, so that a slow fetch never turns a valid token away.
const FETCH_WAIT_MAX_S: u64 = 15;
/// How long the key-set fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

thread_local! {
    /// The Access keys, per isolate.
    static KEYS: RefCell<KeyCache> = RefCell::new(KeyCache::default());
    /// When the key-set fetch in flight started (epoch seconds), if one is.
    static FETCHING_SINCE: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Authenticates the request, within the limit of failed credential attempts of its address.
///
/// The limit is checked before any credential is, so an address that spent it cannot go on
/// guessing (nor learn whether a guess was right) until its window ends. Only requests that
/// presented a credential that was refused count: a request with none guesses nothing, and a
/// failure of the service (D1, Access's keys) is not the client's.
pub(crate) async fn authenticate(req: &Request, ctx: &Ctx) -> Result<Caller, ApiError> {
    // Cloudflare sets this header on every request it forwards, replacing any a client sent;
    // without it (a local stack) there is no address to count by.
    let address = req
        .headers()
        .get("CF-Connecting-IP")
        .ok()
        .flatten()
        .map(|ip| ip.trim().chars().take(MAX_ADDRESS_CHARS).collect::<String>())
        .filter(|ip| !ip.is_empty());
    let limit = ctx.config.rate_limits.auth_failures;
    if let Some(address) = &address {
        ctx.refuse_if_used_up(AUTH_FAILURES, address, limit).await?;
    }
    let result = verify_credentials(req, ctx).await;
    if let (Err(ApiError::Unauthenticated { reason }), Some(address)) = (&result, &address)
        && presented_credentials(req)
    {
        console_warn!("failed credential attempt from {address}: {reason}");
        ctx.count(AUTH_FAILURES, address).await?;
    }
    result
}

/// Whether the request carries a credential of either kind.
fn presented_credentials(req: &Request) -> bool {
    let has = |name: &str| req.headers().has(name).unwrap_or(false);
    has("Authorization") || has("Cf-Access-Jwt-Assertion")
}

/// Turns the request's credentials into a caller.
async fn verify_credentials(req: &Request, ctx: &Ctx) -> Result<Caller, ApiError> {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    if let Some(authorization) = header("Authorization") {
        return api_key(&authorization, ctx).await;
    }
    let Some(token) = header("Cf-Access-Jwt-Assertion") else {
        return Err(unauthenticated("no credentials"));
    };
    let kid = key_id(&token).map_err(|e| unauthenticated(&e.to_string()))?;
    let claims = match &ctx.config.dev_sign_in {
        Some(dev) if kid == DEV_KEY_ID && is_loopback_request(req) => {
            let expect = Expectations {
                issuer: DEV_ISSUER.into(),
                audience: DEV_AUDIENCE.into(),
                leeway_s: LEEWAY_S,
            };
            verify(&token, std::slice::from_ref(&dev.verification_key), &expect, ctx.now_s)
        }
        _ => {
            let access = ctx
                .config
                .access
                .as_ref()
                .ok_or_else(|| unauthenticated("Access is not configured"))?;
            let key = access_key(access, ctx.cache.as_ref(), &kid, ctx.now_s).await?;
            let expect = Expectations {
                issuer: access.issuer.clone(),
                audience: access.audience.clone(),
                leeway_s: LEEWAY_S,
            };
            verify(&token, std::slice::from_ref(&key), &expect, ctx.now_s)
        }
    }
    .map_err(|e| unauthenticated(&e.to_string()))?;

    if let Some(email) = claims.email {
        // The subject is what a person's roles are bound to: a token without one proves no one.
        if claims.subject.trim().is_empty() {
            return Err(unauthenticated("a person's token without a subject"));
        }
        return Ok(Caller::Person { email: email.trim().to_lowercase(), subject: claims.subject });
    }
    let common_name = claims.common_name.unwrap_or_default();
    let row = ctx.store.find_service_token(&common_name).await?;
    let row = row.ok_or_else(|| unauthenticated("an unregistered service token"))?;
    Ok(Caller::Machine { name: row.name, scopes: parse_scopes(&row.scopes) })
}

async fn api_key(authorization: &str, ctx: &Ctx) -> Result<Caller, ApiError> {
    let key = authorization.strip_prefix("Bearer ").map(str::trim).unwrap_or_default();
    if !api_keys::looks_like_key(key) {
        return Err(unauthenticated("an Authorization header that is not an API key"));
    }
    let pepper =
        ctx.config.api_key_pepper.as_deref().ok_or_else(|| unauthenticated("API keys are off"))?;
    let row = ctx.store.find_api_key(&api_keys::hash(pepper, key), &ctx.now).await?;
    let row = row.ok_or_else(|| unauthenticated("an unknown, revoked or expired API key"))?;
    Ok(Caller::Machine { name: row.name, scopes: parse_scopes(&row.scopes) })
}

/// The Access key with id `kid`, fetching the key set when the cache policy says so. A cold
/// isolate first takes the set the last isolate fetched, from KV.
async fn access_key(
    access: &AccessSettings,
    shared: Option<&Cache>,
    kid: &str,
    now_s: u64,
) -> Result<VerificationKey, ApiError> {
    let policy = KeyPolicy::new(access.max_stale_s, access.refetch_interval_s);
    if let Some(shared) = shared
        && KEYS.with_borrow(KeyCache::never_tried)
    {
        adopt_shared_keys(shared, &access.certs_url, now_s).await;
    }
    let next = KEYS.with_borrow(|cache| match cache.lookup(kid, now_s, &policy) {
        KeyLookup::Refetch { fallback } => Ok(Next::Fetch(fallback.cloned())),
        settled => settle(settled, cache, now_s, &policy).map(Next::Use),
    })?;
    let fallback = match next {
        Next::Use(key) => return Ok(key),
        Next::Fetch(fallback) => fallback,
    };
    // Single flight. Workers forbid one request from awaiting I/O that another request started
    // (a shared fetch fails with "Cannot perform I/O on behalf of a different request"), so
    // the others do not share the fetch: they use the cached key while it is within its stale
    // window, or else wait on their own timers until the fetch is done, then read the cache.
    if let Some(since) = FETCHING_SINCE.get()
        && now_s.saturating_sub(since) < FETCH_WAIT_MAX_S
    {
        if let Some(key) = fallback {
            return Ok(key);
        }
        let steps = FETCH_WAIT_MAX_S * 1_000 / FETCH_WAIT_STEP.as_millis() as u64;
        for _ in 0..steps {
            Delay::from(FETCH_WAIT_STEP).await;
            if FETCHING_SINCE.get() != Some(since) {
                break;
            }
        }
        return settled_key(kid, now_s, &policy);
    }
    FETCHING_SINCE.set(Some(now_s));
    let fetched = {
        let fetch = std::pin::pin!(fetch_keys(access.certs_url.clone()));
        let timeout = std::pin::pin!(Delay::from(FETCH_TIMEOUT));
        match futures_util::future::select(fetch, timeout).await {
            futures_util::future::Either::Left((fetched, _)) => fetched,
            futures_util::future::Either::Right(((), _)) => {
                Err(format!("no answer within {FETCH_TIMEOUT:?}"))
            }
        }
    };
    FETCHING_SINCE.set(None);
    match fetched {
        Ok((keys, jwks)) => {
            KEYS.with_borrow_mut(|cache| cache.replace(keys, now_s));
            if let Some(shared) = shared {
                let set = SharedKeySet { jwks, fetched_at_s: now_s };
                shared.store_access_keys(&access.certs_url, &set, policy.max_stale_s).await;
            }
        }
        Err(why) => {
            console_warn!("fetching the Access keys failed: {why}");
            KEYS.with_borrow_mut(|cache| cache.fetch_failed(now_s));
        }
    }
    settled_key(kid, now_s, &policy)
}

/// Fills a cold isolate's key cache with the set another isolate fetched, when KV has one that
/// parses (a set stored "in the future" is ignored: clocks differ, and it would never age).
async fn adopt_shared_keys(shared: &Cache, certs_url: &str, now_s: u64) {
    let Some(set) = shared.access_keys(certs_url).await else { return };
    if set.fetched_at_s > now_s {
        return;
    }
    match parse_jwks(set.jwks.as_bytes()) {
        Ok(keys) => {
            KEYS.with_borrow_mut(|cache| cache.adopt(keys, set.fetched_at_s));
        }
        Err(error) => console_warn!("the shared Access keys do not parse: {error}"),
    }
}

/// What a request does about its key id.
enum Next {
    /// Verify with this key.
    Use(VerificationKey),
    /// Fetch the key set first; the cached key to fall back on, if any.
    Fetch(Option<VerificationKey>),
}

/// The key for `kid` from the cache as it is now, after a fetch (or a wait for one): no further
/// fetch is made for this request.
fn settled_key(kid: &str, now_s: u64, policy: &KeyPolicy) -> Result<VerificationKey, ApiError> {
    KEYS.with_borrow(|cache| settle(cache.lookup(kid, now_s, policy), cache, now_s, policy))
}

/// The key a lookup gives, or why there is none: a key id the issuer does not have (401), or
/// no usable keys at all (503, fail closed).
fn settle(
    lookup: KeyLookup<'_>,
    cache: &KeyCache,
    now_s: u64,
    policy: &KeyPolicy,
) -> Result<VerificationKey, ApiError> {
    match lookup {
        KeyLookup::Found(key) | KeyLookup::Refetch { fallback: Some(key) } => Ok(key.clone()),
        KeyLookup::Unavailable { fetched_at_s, retry_in_s } => {
            Err(keys_unavailable(fetched_at_s, retry_in_s, policy))
        }
        // A fetch would be allowed but this request made (or waited for) one already.
        KeyLookup::Refetch { fallback: None } if !cache.usable(now_s, policy) => {
            Err(keys_unavailable(None, 1, policy))
        }
        KeyLookup::Unknown | KeyLookup::Refetch { fallback: None } => {
            Err(unauthenticated("a key id that is not among the issuer's keys"))
        }
    }
}

fn keys_unavailable(fetched_at_s: Option<u64>, retry_in_s: u64, policy: &KeyPolicy) -> ApiError {
    ApiError::AccessKeysUnavailable {
        stale_for_s: fetched_at_s.map(|_| policy.max_stale_s),
        retry_after_s: retry_in_s.max(1),
    }
}

/// The key set at `certs_url`, parsed, with the text it was parsed from (for KV).
async fn fetch_keys(certs_url: String) -> Result<(Vec<VerificationKey>, String), String> {
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_redirect(RequestRedirect::Manual);
    let request = Request::new_with_init(&certs_url, &init).map_err(|e| e.to_string())?;
    let mut response = Fetch::Request(request).send().await.map_err(|e| e.to_string())?;
    if response.status_code() != 200 {
        return Err(format!("HTTP {}", response.status_code()));
    }
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    if body.len() > MAX_KEY_SET_BYTES {
        return Err("the key set is too large".into());
    }
    let keys = parse_jwks(&body).map_err(|e| e.to_string())?;
    let jwks = String::from_utf8(body).map_err(|_| "the key set is not UTF-8".to_owned())?;
    Ok((keys, jwks))
}

fn unauthenticated(reason: &str) -> ApiError {
    ApiError::Unauthenticated { reason: reason.to_owned() }
}
