//! A fake Okta Management API for testing the product's Okta client, in process
//! ([`FakeOkta::start`]) or as a separate process (the `fake-okta` binary).
//!
//! It serves, under `/api/v1`, what the product calls (CONTRACT §2): `GET /apps/{id}`,
//! `GET /apps/{id}/groups` (`limit`, `after`, `expand=group`, `q`), `GET /groups/{id}`,
//! `GET /groups/{id}/users` (`limit`, `after`), `GET /users` (`search`, `filter`, `q`, `limit`,
//! `after`), `GET /users/{idOrLogin}` and `GET /users/{idOrLogin}/groups`, with Okta's paging
//! (`Link` lines and opaque cursors), headers, error bodies, auth, rate limits (per bucket, per
//! token share, concurrency) and injectable faults, over a tenant generated deterministically
//! from a seed ([`TenantSpec`]).
//!
//! Besides `SSWS` API tokens it plays the org authorization server for OAuth 2.0 service apps
//! (CONTRACT §9): apps registered through the control API ([`ServiceApp`]) get access tokens at
//! `POST /oauth2/v1/token` ([`TOKEN_PATH`]) with a `private_key_jwt` client assertion (RS256 or
//! ES256), `DPoP`-bound with a nonce challenge when the app requires it, and the endpoints above
//! accept `Authorization: Bearer {token}`, or `DPoP {token}` with a `DPoP` proof, checking the
//! operation's scope and the app's admin role. The checks, the error bodies and statuses of each
//! refusal, and the counters' reasons are listed in the `oauth` module.
//!
//! Every tenant has Okta's built-in `Everyone` group (type `BUILT_IN`, every user of the org,
//! listed first among the groups), not assigned to the app unless asked: at start with
//! [`TenantOptions::assign_everyone`] ([`FakeOkta::start_with_options`], the binary's
//! `--assign-everyone`), or later through the control API. [`TenantOptions::big_group`] (the
//! binary's `--big-group N`) adds one very large assigned group, `All Staff`, of N members
//! (250,000 or more), creating the users it needs; its members page like any group's.
//!
//! Choices where real Okta's behaviour is an open question are documented where they are
//! implemented: invalid `limit`s in `query` (CONTRACT §11.2), buckets and the counting of 429'd
//! requests in `rate_limit` (§11.1), `listUserGroups` paging in `handlers` (§11.6), the order of
//! checks in `okta`. A listing has a `next` link exactly when more items follow, so a full last
//! page has none.
//!
//! # Control API
//!
//! Under `/__control/` on the same port, without a token, never rate-limited or faulted. JSON in
//! and out; changes answer `{"ok":true}`; 404 `{"error":…}` for an unknown group, user, token or
//! route; 400 for a malformed body. Users may be named by id or login.
//!
//! | method and path | body | effect |
//! | --- | --- | --- |
//! | `GET /__control/info` | | [`TenantInfo`] |
//! | `GET /__control/truth` | | [`Truth`]: assigned groups with members' ids, logins, statuses |
//! | `POST /__control/groups` | `{"name", "description"?, "assign"?: bool}` | creates a group, answers `{"id"}` |
//! | `POST /__control/groups/{id}/assign` | | assigns it to the app |
//! | `POST /__control/groups/{id}/unassign` | | unassigns it |
//! | `POST /__control/everyone/assign` | | assigns the built-in `Everyone` group (its id is `everyone_group_id` in the info) |
//! | `POST /__control/everyone/unassign` | | unassigns it |
//! | `POST /__control/groups/{id}/rename` | `{"name"}` | renames it |
//! | `DELETE /__control/groups/{id}` | | deletes it |
//! | `PUT /__control/groups/{id}/members/{user}` | | adds a member |
//! | `DELETE /__control/groups/{id}/members/{user}` | | removes a member |
//! | `PUT /__control/users/{user}/status` | `{"status": "SUSPENDED"}` | sets a [`UserStatus`] |
//! | `PUT /__control/users/{user}/email` | `{"email": "ann@example.com"}` | changes the primary email (the login stays; two users may share one) |
//! | `POST /__control/tokens/revoke` | `{"token"}` | the token gets 401 from then on |
//! | `GET`/`POST`/`DELETE /__control/faults` | [`FaultSpec`], e.g. `{"kind":"error","status":500,"endpoint":"list_group_users","path_contains":"/00g…/","skip":2,"count":1}` | lists ([`FaultState`]), adds (answers `{"id"}`), clears |
//! | `GET`/`PUT /__control/latency` | `{"ms"}` | latency added to every Okta request |
//! | `GET`/`PUT /__control/limits` | [`RateLimitConfig`], partial on `PUT`, e.g. `{"window_ms":2000,"buckets":{"apps":10}}` | reads or changes the knobs |
//! | `POST /__control/limits/reset` | | forgets every rate-limit window |
//! | `GET`/`DELETE /__control/counters` | | [`Counters`], or resets them |
//! | `POST /__control/event-hook` | `{"url", "secret", "duplicate_every"?}` | registers an Event Hook: verifies it (the challenge must come back), then delivers every change made through the control API as Okta's events, batched, retried once after a timeout or 5xx |
//! | `GET /__control/event-hook` | | [`HookCounters`] |
//! | `POST /__control/oauth/apps` | [`ServiceApp`], e.g. `{"jwks":{"keys":[…]},"scopes":["okta.groups.read"],"dpop_required":false,"admin_role":true}` | registers an OAuth service app (replaces one with the same `client_id`), answers `{"client_id"}` |
//! | `GET /__control/oauth/apps` | | the registered [`ServiceApp`]s |
//! | `GET`/`PUT /__control/oauth/token-lifetime` | `{"seconds"}` | the lifetime of access tokens issued from then on (default 3600) |
//! | `POST /__control/oauth/tokens/expire` | | expires every issued access token now (answers `{"ok":true,"expired":n}`) |
//! | `GET`/`POST /__control/oauth/tokens/expire-after` | `{"requests": n}` | expires every issued access token once `n` more resource calls have authenticated with one (the `n`th is served; 0 disarms); `GET` answers `{"remaining": n \| null}` |
//! | `GET /__control/oauth/tokens` | | `{"access_tokens": […]}`, every access token issued, expired or not |
//! | `GET /__control/oauth/last-assertion` | | `{"client_assertion"}`, the last client assertion that got a token (null before one did) |
//! | `GET`/`PUT /__control/oauth/dpop-clock-offset` | `{"seconds"}` | the `DPoP` proof checks read the clock this far ahead (a server whose clock is off: past 300 s, every proof is refused as not recent) |
//! | `GET /__control/oauth/dpop-nonce` | | `{"nonce"}`, the `DPoP` nonce the token endpoint asks for |
//! | `POST /__control/oauth/dpop-nonce/rotate` | | replaces it; proofs with the old one get `use_dpop_nonce` again |
//! | `PUT /__control/search-lag` | `{"lags": true}` | while on, user status changes do not reach `search` (Okta's search is eventually consistent); off, it catches up |
//!
//! Fault kinds (`"kind"`): `error` (`status`), `hang` (`ms`, default an hour), `malformed_json`,
//! `truncated_body`, `next_link_foreign_host`, `next_link_other_scheme`, `next_link_other_port`,
//! `redirect` (`location`), `pagination_loop`; endpoints: `get_app`, `list_app_groups`,
//! `get_group`, `list_group_users`, `list_users`, `get_user`, `list_user_groups`, `other`.

mod clock;
mod control;
mod control_http;
mod counters;
mod cursor;
mod errors;
mod faults;
mod handlers;
mod hooks;
mod info;
mod jose;
mod oauth;
mod okta;
mod query;
mod rate_limit;
mod render;
mod rng;
mod route;
mod search;
mod server;
mod tenant;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use control::Control;
pub use counters::Counters;
pub use faults::{FaultKind, FaultSpec, FaultState};
pub use hooks::{HookCounters, HookError, HookEvent, HookRegistration, delivery_body};
pub use info::{TenantInfo, Truth, TruthGroup, TruthMember};
pub use oauth::{ServiceApp, TOKEN_PATH};
pub use rate_limit::{Bucket, BucketLimits, RateLimitConfig};
pub use route::Endpoint;
pub use tenant::{BIG_GROUP_NAME, ControlError, TenantOptions, TenantSize, TenantSpec, UserStatus};

/// How to start a fake: which tenant, which rate limits, how much added latency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeOktaConfig {
    /// The tenant to generate.
    pub tenant: TenantSpec,
    /// The rate-limit knobs (Okta's Workforce defaults unless changed).
    pub limits: RateLimitConfig,
    /// Latency added to every Okta request.
    pub latency: Duration,
}

impl Default for FakeOktaConfig {
    /// The demo tenant with seed 7, Okta's default limits, no added latency.
    fn default() -> Self {
        FakeOktaConfig {
            tenant: TenantSpec { size: TenantSize::Demo, seed: 7 },
            limits: RateLimitConfig::default(),
            latency: Duration::ZERO,
        }
    }
}

/// A running fake Okta; the server stops when this is dropped.
#[derive(Debug)]
pub struct FakeOkta {
    control: Control,
    server: JoinHandle<()>,
}

impl FakeOkta {
    /// Generates the tenant, binds `listen` (port 0 picks a free port) and serves on the
    /// current tokio runtime.
    pub async fn start(config: FakeOktaConfig, listen: SocketAddr) -> std::io::Result<FakeOkta> {
        FakeOkta::start_with_options(config, TenantOptions::default(), listen).await
    }

    /// [`FakeOkta::start`] with additions to the tenant: `Everyone` assigned to the app at
    /// start, one big group (the binary's `--assign-everyone` and `--big-group N`).
    pub async fn start_with_options(
        config: FakeOktaConfig,
        options: TenantOptions,
        listen: SocketAddr,
    ) -> std::io::Result<FakeOkta> {
        let listener = TcpListener::bind(listen).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        // Generating L takes a moment; keep it off the runtime's worker threads.
        let spec = config.tenant;
        let tenant = tokio::task::spawn_blocking(move || tenant::generate(spec, options))
            .await
            .map_err(std::io::Error::other)?;
        let info = TenantInfo::new(base_url, &tenant);
        let shared = Arc::new(control::Shared::new(info, tenant, config.limits, config.latency));
        // Hooks are delivered from here, whichever runtime a test changes the tenant from.
        let _ = shared.runtime.set(tokio::runtime::Handle::current());
        let server = server::spawn(listener, Arc::clone(&shared));
        Ok(FakeOkta { control: Control { shared }, server })
    }

    /// The origin of the Okta surface and the control API, `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.info().base_url
    }

    /// The facts about the tenant at start: tokens, app ids, group and membership counts.
    pub fn info(&self) -> &TenantInfo {
        self.control.info()
    }

    /// In-process control: tenant changes, faults, limits, latency, counters, truth.
    pub fn control(&self) -> &Control {
        &self.control
    }
}

impl Drop for FakeOkta {
    fn drop(&mut self) {
        self.server.abort();
    }
}
