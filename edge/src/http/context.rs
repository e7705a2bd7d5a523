//! What one request works with: the checked configuration, the store, the time, and helpers to
//! read the request's JSON body within the cap.

use std::cell::RefCell;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use worker::{Env, Request};

use groupsync_core::api::ProblemCode;

use crate::adapters::d1::{Planned, Store};
use crate::adapters::kv::Cache;
use crate::config::{Config, EnvSource};
use crate::error::ApiError;
use crate::http::guard::{MAX_BODY_BYTES, too_large_error};
use crate::service::access::{Actor, Principal};
use crate::service::ports::RateLimiter;

/// The context of one request.
pub(crate) struct Ctx {
    /// The configuration, read once per isolate ([`isolate_config`]).
    pub(crate) config: Rc<Config>,
    pub(crate) store: Store,
    /// The KV cache, when bound.
    pub(crate) cache: Option<Cache>,
    /// Now, RFC 3339 UTC with milliseconds.
    pub(crate) now: String,
    /// Now, in epoch seconds.
    pub(crate) now_s: u64,
}

impl Ctx {
    /// Reads and checks the configuration and opens the store.
    pub(crate) fn new(env: &Env) -> Result<Self, ApiError> {
        let config = isolate_config(env)?;
        let store = Store::open(env)?;
        let cache = Cache::open(env);
        let date = js_sys::Date::new_0();
        let now = String::from(date.to_iso_string());
        let now_s = (date.get_time() / 1000.0) as u64;
        Ok(Self { config, store, cache, now, now_s })
    }

    /// Admits one admin write by `principal` under the per-person limit, and names its actor.
    pub(crate) async fn admin_write(&self, principal: &Principal) -> Result<Actor, ApiError> {
        let actor = principal.actor();
        self.rate_limit("admin-write", &actor.name, self.config.rate_limits.admin_writes).await?;
        Ok(actor)
    }

    /// Counts one more request of `action` by `who` and refuses it past `per_minute`.
    pub(crate) async fn rate_limit(
        &self,
        action: &str,
        who: &str,
        per_minute: i64,
    ) -> Result<(), ApiError> {
        let count = self.store.count_request(&bucket(action, who), self.window_start()).await?;
        if count > per_minute {
            return Err(self.rate_limited());
        }
        Ok(())
    }

    /// Refuses (429) while `who` has used up the `per_minute` of `action` in this window,
    /// without counting this request: what is counted ([`Self::count`]) is what failed.
    pub(crate) async fn refuse_if_used_up(
        &self,
        action: &str,
        who: &str,
        per_minute: i64,
    ) -> Result<(), ApiError> {
        let count = self.plan_request_count(action, who)?.run(&self.store).await?;
        self.refuse_if_reached(count, per_minute)
    }

    /// The count of `action` by `who` in this window, planned (read with other reads).
    pub(crate) fn plan_request_count(
        &self,
        action: &str,
        who: &str,
    ) -> Result<Planned<i64>, ApiError> {
        Ok(self.store.plan_request_count(&bucket(action, who), self.window_start())?)
    }

    /// Refuses (429) when `count` in this window has reached `per_minute`.
    pub(crate) fn refuse_if_reached(&self, count: i64, per_minute: i64) -> Result<(), ApiError> {
        if count >= per_minute {
            return Err(self.rate_limited());
        }
        Ok(())
    }

    /// Counts one `action` by `who` in this window.
    pub(crate) async fn count(&self, action: &str, who: &str) -> Result<(), ApiError> {
        let window_start = self.window_start();
        let count = self.store.count_request(&bucket(action, who), window_start).await?;
        if count == 1 {
            // The first count of a window (for this bucket) clears the windows before it, so
            // that counters keyed by something an attacker chooses cannot pile up.
            self.store.forget_rate_windows_before(window_start).await?;
        }
        Ok(())
    }

    /// The start of the current fixed one-minute window, in epoch seconds.
    fn window_start(&self) -> i64 {
        (self.now_s / 60 * 60) as i64
    }

    /// The 429 for this window, with the seconds until it ends.
    fn rate_limited(&self) -> ApiError {
        let retry_after_s = (self.window_start() as u64 + 60).saturating_sub(self.now_s).max(1);
        ApiError::RateLimited { retry_after_s }
    }
}

/// The use cases count against the per-person limits of the configuration, in this request's
/// store.
impl RateLimiter for Ctx {
    async fn admit_write(&self, principal: &Principal) -> Result<Actor, ApiError> {
        self.admin_write(principal).await
    }

    async fn admit_okta_test(&self, who: &str) -> Result<(), ApiError> {
        self.rate_limit("okta-test", who, self.config.rate_limits.okta_tests).await
    }
}

thread_local! {
    /// The configuration this isolate read.
    static CONFIG: RefCell<Option<Rc<Config>>> = const { RefCell::new(None) };
}

/// The configuration, read and checked on the isolate's first request and kept: an isolate's
/// variables and secrets never change (changing them deploys a new version, in new isolates).
/// Reading it on every request parsed the keys in it every time, the dev sign-in's RSA key
/// among them. A configuration that does not check is not kept: every request says why.
fn isolate_config(env: &Env) -> Result<Rc<Config>, ApiError> {
    if let Some(config) = CONFIG.with_borrow(Clone::clone) {
        return Ok(config);
    }
    let config = Rc::new(Config::load(&EnvSource(env)).map_err(ApiError::Misconfigured)?);
    CONFIG.set(Some(Rc::clone(&config)));
    Ok(config)
}

fn bucket(action: &str, who: &str) -> String {
    format!("{action}:{who}")
}

/// Reads the body as JSON of type `T` (whose unknown fields are refused), within the cap.
pub(crate) async fn read_json<T: DeserializeOwned>(req: &mut Request) -> Result<T, ApiError> {
    let bytes = read_body(req, MAX_BODY_BYTES).await?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::client(ProblemCode::InvalidJson, format!("The body is not valid: {e}."))
    })
}

/// Reads the body chunk by chunk, refusing it (413) as soon as more than `cap` bytes arrived
/// ([`MAX_BODY_BYTES`] for the API's JSON bodies). The guard refuses a declared
/// `Content-Length` over the cap up front, but a chunked body declares none: reading it whole
/// first would buffer whatever a client sends (and wait for a body that never ends), so the cap
/// is kept while reading.
pub(crate) async fn read_body(req: &mut Request, cap: usize) -> Result<Vec<u8>, ApiError> {
    use futures_util::StreamExt;

    let unreadable = |_| ApiError::client(ProblemCode::InvalidJson, "The body could not be read.");
    if req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    let mut stream = req.stream().map_err(unreadable)?;
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        append_within_cap(&mut body, &chunk.map_err(unreadable)?, cap)?;
    }
    Ok(body)
}

/// Appends `chunk` to `body` unless that takes it over `cap`.
fn append_within_cap(body: &mut Vec<u8>, chunk: &[u8], cap: usize) -> Result<(), ApiError> {
    if body.len().saturating_add(chunk.len()) > cap {
        return Err(too_large_error(cap));
    }
    body.extend_from_slice(chunk);
    Ok(())
}

/// Whether the request came to a loopback host: the dev sign-in's second condition.
pub(crate) fn is_loopback_request(req: &Request) -> bool {
    let Ok(url) = req.url() else { return false };
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(domain)) => domain == "localhost",
        None => false,
    }
}

/// This request's own origin (`scheme://host[:port]`), for the same-origin checks.
pub(crate) fn own_origin(req: &Request) -> String {
    req.url().map(|url| url.origin().ascii_serialization()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_may_fill_the_cap_but_not_pass_it() {
        let mut body = Vec::new();
        for _ in 0..64 {
            append_within_cap(&mut body, &[b'x'; 1024], MAX_BODY_BYTES).unwrap();
        }
        assert_eq!(body.len(), MAX_BODY_BYTES);
        let error = append_within_cap(&mut body, b"y", MAX_BODY_BYTES).unwrap_err();
        assert_eq!(error.to_problem().code, "payload_too_large");
        assert_eq!(body.len(), MAX_BODY_BYTES, "the chunk over the cap is not kept");
    }
}
