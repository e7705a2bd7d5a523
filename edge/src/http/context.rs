//! What one request works with: the checked configuration, the store, the time, and helpers to
//! read the request's JSON body within the cap.

use serde::de::DeserializeOwned;
use worker::{Env, Request};

use groupsync_core::api::ProblemCode;

use crate::adapters::d1::Store;
use crate::config::{Config, ConfigSource};
use crate::error::ApiError;
use crate::http::guard::{MAX_BODY_BYTES, too_large_error};
use crate::service::access::{Actor, Principal};

/// The Worker's env as a [`ConfigSource`]: secrets and vars are both string bindings.
pub(crate) struct EnvSource<'a>(pub(crate) &'a Env);

impl ConfigSource for EnvSource<'_> {
    fn get(&self, name: &str) -> Option<String> {
        self.0.secret(name).or_else(|_| self.0.var(name)).ok().map(|v| v.to_string())
    }
}

/// The context of one request.
pub(crate) struct Ctx {
    pub(crate) config: Config,
    pub(crate) store: Store,
    /// Now, RFC 3339 UTC with milliseconds.
    pub(crate) now: String,
    /// Now, in epoch seconds.
    pub(crate) now_s: u64,
}

impl Ctx {
    /// Reads and checks the configuration and opens the store.
    pub(crate) fn new(env: &Env) -> Result<Self, ApiError> {
        let config = Config::load(&EnvSource(env)).map_err(ApiError::Misconfigured)?;
        let store = Store::open(env)?;
        let date = js_sys::Date::new_0();
        let now = String::from(date.to_iso_string());
        let now_s = (date.get_time() / 1000.0) as u64;
        Ok(Self { config, store, now, now_s })
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
        let window_start = (self.now_s / 60 * 60) as i64;
        let count = self.store.count_request(&format!("{action}:{who}"), window_start).await?;
        if count > per_minute {
            let retry_after_s = (window_start as u64 + 60).saturating_sub(self.now_s).max(1);
            return Err(ApiError::RateLimited { retry_after_s });
        }
        Ok(())
    }
}

/// Reads the body as JSON of type `T` (whose unknown fields are refused), within the cap.
pub(crate) async fn read_json<T: DeserializeOwned>(req: &mut Request) -> Result<T, ApiError> {
    let bytes = req
        .bytes()
        .await
        .map_err(|_| ApiError::client(ProblemCode::InvalidJson, "The body could not be read."))?;
    if bytes.len() > MAX_BODY_BYTES {
        return Err(too_large_error());
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::client(ProblemCode::InvalidJson, format!("The body is not valid: {e}."))
    })
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
