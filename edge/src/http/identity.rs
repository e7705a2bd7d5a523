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
    Expectations, KeyCache, KeyLookup, KeyPolicy, VerificationKey, key_id, parse_jwks, verify_with,
};
use worker::{Delay, Fetch, Method, Request, RequestInit, RequestRedirect, console_warn};

use crate::adapters::d1::{MachineRow, PersonRecord, Planned};
use crate::adapters::kv::{Cache, SharedKeySet};
use crate::config::{AccessSettings, DEV_AUDIENCE, DEV_ISSUER, DEV_KEY_ID};
use crate::error::ApiError;
use crate::http::context::{Ctx, is_loopback_request};
use crate::http::webcrypto::rs256_signature_holds;
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

/// What a request's credentials prove before D1 is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Credential {
    /// A person, by a token whose signature, issuer, audience and times were verified.
    Person {
        /// The email, trimmed and lowercased.
        email: String,
        /// The token's subject.
        subject: String,
    },
    /// A well-formed API key, by its peppered hash: whether it is a live key is D1's to say.
    ApiKey {
        /// The hash, as `api_keys.secret_hash` stores it.
        hash: String,
    },
    /// An Access service token, by the common name of its verified token.
    ServiceToken {
        /// The common name, as `service_tokens.common_name` stores it.
        common_name: String,
    },
}

/// A request's credential, checked as far as it can be without D1, and its client address.
pub(crate) struct Identified {
    credential: Credential,
    /// `CF-Connecting-IP`, bounded: what failed attempts are counted by.
    address: Option<String>,
}

/// What D1 says about an identified caller, read in the request's one batch.
pub(crate) struct CallerFacts {
    /// Failed credential attempts of the address in this window (`None`: no address).
    failed_attempts: Option<i64>,
    record: CallerRecord,
}

enum CallerRecord {
    /// What decides a person's access.
    Person(Box<PersonRecord>),
    /// The live API key or service token, if it is one.
    Machine(Option<MachineRow>),
}

/// Checks the request's credential as far as it can be checked without D1 (a token's
/// signature, an API key's form).
///
/// Failed credential attempts are bounded per client address: a request refused here is
/// counted, and an address that spent its attempts is refused (429) whatever it presents, so it
/// cannot go on guessing nor learn whether a guess was right, until its window ends. Only
/// requests that presented a credential count: a request with none guesses nothing, and a
/// failure of the service (D1, Access's keys) is not the client's.
pub(crate) async fn identify(req: &Request, ctx: &Ctx) -> Result<Identified, ApiError> {
    match credential(req, ctx).await {
        Ok(credential) => Ok(Identified { credential, address: client_address(req) }),
        Err(error) => Err(counted_refusal(req, ctx, error).await),
    }
}

/// A refused credential (`error`, when it is `Unauthenticated`), counted against the client's
/// address: past the limit every refusal is a 429, so that a guess learns nothing. Okta's event
/// hook calls, refused for a wrong secret, count the same way.
pub(crate) async fn counted_refusal(req: &Request, ctx: &Ctx, error: ApiError) -> ApiError {
    let address = client_address(req);
    let (ApiError::Unauthenticated { reason }, Some(address)) = (&error, address.as_deref()) else {
        return error;
    };
    let limit = ctx.config.rate_limits.auth_failures;
    if let Err(used_up) = ctx.refuse_if_used_up(AUTH_FAILURES, address, limit).await {
        return used_up;
    }
    if presented_credentials(req)
        && let Err(failed) = count_failure(address, reason, ctx).await
    {
        return failed;
    }
    error
}

/// The client's address. Cloudflare sets this header on every request it forwards, replacing
/// any a client sent; without it (a local stack) there is no address to count by.
fn client_address(req: &Request) -> Option<String> {
    req.headers()
        .get("CF-Connecting-IP")
        .ok()
        .flatten()
        .map(|ip| ip.trim().chars().take(MAX_ADDRESS_CHARS).collect::<String>())
        .filter(|ip| !ip.is_empty())
}

/// Plans the reads that say who an identified caller is: the person's facts, or the machine
/// credential's row, and the failed attempts of the address; to be sent with the handler's own
/// reads, in one batch.
pub(crate) fn plan_caller(
    identified: &Identified,
    ctx: &Ctx,
) -> Result<Planned<CallerFacts>, ApiError> {
    let record = match &identified.credential {
        Credential::Person { email, subject } => ctx
            .store
            .plan_person(email, Some(subject), None)?
            .map(|person| CallerRecord::Person(Box::new(person))),
        Credential::ApiKey { hash } => {
            ctx.store.plan_api_key(hash, &ctx.now)?.map(CallerRecord::Machine)
        }
        Credential::ServiceToken { common_name } => {
            ctx.store.plan_service_token(common_name)?.map(CallerRecord::Machine)
        }
    };
    let attempts = match &identified.address {
        Some(address) => ctx.plan_request_count(AUTH_FAILURES, address)?.map(Some),
        None => Planned::nothing().map(|()| None),
    };
    Ok(attempts
        .and(record)
        .map(|(failed_attempts, record)| CallerFacts { failed_attempts, record }))
}

/// The caller, from their identified credential and what D1 said about it, with a person's
/// facts; refused (429) when the address has spent its failed attempts, or (401, counted) for a
/// machine credential that is not live.
pub(crate) async fn caller(
    identified: Identified,
    facts: CallerFacts,
    ctx: &Ctx,
) -> Result<(Caller, Option<PersonRecord>), ApiError> {
    if let Some(count) = facts.failed_attempts {
        ctx.refuse_if_reached(count, ctx.config.rate_limits.auth_failures)?;
    }
    match (identified.credential, facts.record) {
        (Credential::Person { email, subject }, CallerRecord::Person(person)) => {
            Ok((Caller::Person { email, subject }, Some(*person)))
        }
        (_, CallerRecord::Machine(Some(row))) => {
            Ok((Caller::Machine { name: row.name, scopes: parse_scopes(&row.scopes) }, None))
        }
        (credential, _) => {
            let reason = match credential {
                Credential::ApiKey { .. } => "an unknown, revoked or expired API key",
                _ => "an unregistered service token",
            };
            // The attempts were read in the batch and are within the limit (checked above).
            if let Some(address) = &identified.address {
                count_failure(address, reason, ctx).await?;
            }
            Err(unauthenticated(reason))
        }
    }
}

/// Counts a refused credential against its address.
async fn count_failure(address: &str, reason: &str, ctx: &Ctx) -> Result<(), ApiError> {
    console_warn!("failed credential attempt from {address}: {reason}");
    ctx.count(AUTH_FAILURES, address).await
}

/// Whether the request carries a credential of either kind.
fn presented_credentials(req: &Request) -> bool {
    let has = |name: &str| req.headers().has(name).unwrap_or(false);
    has("Authorization") || has("Cf-Access-Jwt-Assertion")
}

/// The request's credential, checked without D1.
async fn credential(req: &Request, ctx: &Ctx) -> Result<Credential, ApiError> {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    if let Some(authorization) = header("Authorization") {
        return api_key(&authorization, ctx);
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
            let keys = std::slice::from_ref(&dev.verification_key);
            verify_with(&token, keys, &expect, ctx.now_s, rs256_signature_holds).await
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
            let keys = std::slice::from_ref(&key);
            verify_with(&token, keys, &expect, ctx.now_s, rs256_signature_holds).await
        }
    }
    .map_err(|e| unauthenticated(&e.to_string()))?;

    if let Some(email) = claims.email {
        // The subject is what a person's roles are bound to: a token without one proves no one.
        if claims.subject.trim().is_empty() {
            return Err(unauthenticated("a person's token without a subject"));
        }
        return Ok(Credential::Person {
            email: email.trim().to_lowercase(),
            subject: claims.subject,
        });
    }
    Ok(Credential::ServiceToken { common_name: claims.common_name.unwrap_or_default() })
}

fn api_key(authorization: &str, ctx: &Ctx) -> Result<Credential, ApiError> {
    let key = authorization.strip_prefix("Bearer ").map(str::trim).unwrap_or_default();
    if !api_keys::looks_like_key(key) {
        return Err(unauthenticated("an Authorization header that is not an API key"));
    }
    let pepper =
        ctx.config.api_key_pepper.as_deref().ok_or_else(|| unauthenticated("API keys are off"))?;
    Ok(Credential::ApiKey { hash: api_keys::hash(pepper, key) })
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
