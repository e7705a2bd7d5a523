//! Authentication: turning a request's credentials into a [`Caller`], or refusing it.
//!
//! People: the `Cf-Access-Jwt-Assertion` JWT, verified on every request against the Access
//! team's keys (RS256 only, exact issuer, the AUD tag, `exp`/`nbf`); cookies and unsigned
//! identity headers (`Cf-Access-Authenticated-User-Email`) are never trusted. Locally, a token of
//! the dev sign-in goes through the same verifier with the dev key, on a loopback host only.
//! Machines: an API key (`Authorization: Bearer gsk_…`), or an Access service token whose
//! `common_name` is registered.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use groupsync_core::auth::{
    Expectations, KeyCache, KeyLookup, VerificationKey, key_id, parse_jwks, verify,
};
use worker::{Delay, Fetch, Method, Request, RequestInit, RequestRedirect, console_warn};

use crate::config::{AccessSettings, DEV_AUDIENCE, DEV_ISSUER, DEV_KEY_ID};
use crate::error::ApiError;
use crate::http::context::{Ctx, is_loopback_request};
use crate::service::access::{Caller, parse_scopes};
use crate::service::api_keys;

/// How long a fetched key set is trusted.
const KEYS_MAX_AGE_S: u64 = 3_600;
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

/// Authenticates the request.
pub(crate) async fn authenticate(req: &Request, ctx: &Ctx) -> Result<Caller, ApiError> {
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
            let key = access_key(access, &kid, ctx.now_s).await?;
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

/// The Access key with id `kid`, fetching the key set when the cache policy allows.
async fn access_key(
    access: &AccessSettings,
    kid: &str,
    now_s: u64,
) -> Result<VerificationKey, ApiError> {
    let lookup = |now_s| {
        KEYS.with_borrow(|cache| {
            match cache.lookup(kid, now_s, KEYS_MAX_AGE_S, access.refetch_interval_s) {
                KeyLookup::Found(key) => Ok(Some(key.clone())),
                KeyLookup::Refetch => Ok(None),
                KeyLookup::Unknown => {
                    Err(unauthenticated("a key id that is not among the issuer's keys"))
                }
            }
        })
    };
    if let Some(key) = lookup(now_s)? {
        return Ok(key);
    }
    // Single flight. Workers forbid one request from awaiting I/O that another request started
    // (a shared fetch fails with "Cannot perform I/O on behalf of a different request"), so
    // the others do not share the fetch: they wait on their own timers until it is done, then
    // read the cache it filled.
    if let Some(since) = FETCHING_SINCE.get()
        && now_s.saturating_sub(since) < FETCH_WAIT_MAX_S
    {
        let steps = FETCH_WAIT_MAX_S * 1_000 / FETCH_WAIT_STEP.as_millis() as u64;
        for _ in 0..steps {
            Delay::from(FETCH_WAIT_STEP).await;
            if FETCHING_SINCE.get() != Some(since) {
                break;
            }
        }
        return KEYS
            .with_borrow(|cache| cache.keys().iter().find(|k| k.kid == kid).cloned())
            .ok_or_else(|| unauthenticated("a key id that is not among the issuer's keys"));
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
    KEYS.with_borrow_mut(|cache| match fetched {
        Ok(keys) => cache.replace(keys, now_s),
        Err(why) => {
            console_warn!("fetching the Access keys failed: {why}");
            cache.fetch_failed(now_s);
        }
    });
    KEYS.with_borrow(|cache| cache.keys().iter().find(|k| k.kid == kid).cloned())
        .ok_or_else(|| unauthenticated("a key id that is not among the issuer's keys"))
}

async fn fetch_keys(certs_url: String) -> Result<Vec<VerificationKey>, String> {
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
    parse_jwks(&body).map_err(|e| e.to_string())
}

fn unauthenticated(reason: &str) -> ApiError {
    ApiError::Unauthenticated { reason: reason.to_owned() }
}
