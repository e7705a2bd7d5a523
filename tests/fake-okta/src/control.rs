//! The state a running fake shares between its connections ([`Shared`]) and the in-process
//! control handle ([`Control`]): tenant changes between syncs, faults, rate-limit knobs, added
//! latency and counters. The `/__control` HTTP routes (see `control_http`) call the same methods.

use std::sync::atomic::AtomicU64;
use std::sync::{
    Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
use std::time::Duration;

use crate::counters::Counters;
use crate::faults::{FaultBook, FaultSpec, FaultState};
use crate::hooks::{self, HookCounters, HookError, HookEvent, HookRegistration, Hooks};
use crate::info::{TenantInfo, Truth};
use crate::oauth::{OAuth, ServiceApp};
use crate::rate_limit::{InFlight, RateLimitConfig, Windows};
use crate::tenant::{ControlError, Tenant, UserStatus};

/// Everything the server's connections share.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The facts about the tenant at start.
    pub(crate) info: TenantInfo,
    pub(crate) tenant: RwLock<Tenant>,
    pub(crate) limits: Mutex<(RateLimitConfig, Windows)>,
    pub(crate) in_flight: InFlight,
    pub(crate) faults: Mutex<FaultBook>,
    pub(crate) counters: Mutex<Counters>,
    pub(crate) latency: Mutex<Duration>,
    /// OAuth service apps, issued access tokens, used `jti`s and the `DPoP` nonce.
    pub(crate) oauth: Mutex<OAuth>,
    /// Numbers each request, for `X-Okta-Request-Id`.
    pub(crate) request_seq: AtomicU64,
    /// The Event Hook, once registered.
    pub(crate) hooks: Arc<Hooks>,
    /// The runtime the server runs on, which delivers the hook's events.
    pub(crate) runtime: OnceLock<tokio::runtime::Handle>,
}

/// Locks a mutex; a panic elsewhere while holding it leaves plain data, still usable.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn new(
        info: TenantInfo,
        tenant: Tenant,
        limits: RateLimitConfig,
        latency: Duration,
    ) -> Shared {
        let oauth = OAuth::new(tenant.cursor_salt);
        Shared {
            info,
            tenant: RwLock::new(tenant),
            limits: Mutex::new((limits, Windows::default())),
            in_flight: InFlight::default(),
            faults: Mutex::new(FaultBook::default()),
            counters: Mutex::new(Counters::default()),
            latency: Mutex::new(latency),
            oauth: Mutex::new(oauth),
            request_seq: AtomicU64::new(0),
            hooks: Arc::default(),
            runtime: OnceLock::new(),
        }
    }
}

/// In-process control of a running fake; cheap to clone. Each method has an HTTP twin under
/// `/__control` (listed in the crate docs).
#[derive(Debug, Clone)]
pub struct Control {
    pub(crate) shared: Arc<Shared>,
}

impl Control {
    /// The facts about the tenant at start (the same as [`crate::FakeOkta::info`]).
    pub fn info(&self) -> &TenantInfo {
        &self.shared.info
    }

    fn tenant(&self) -> RwLockWriteGuard<'_, Tenant> {
        write(&self.shared.tenant)
    }

    /// Assigns a group to the app (a no-op if it already is).
    pub fn assign_group(&self, group_id: &str) -> Result<(), ControlError> {
        self.tenant().assign(group_id)?;
        self.emit_group("group.application_assignment.add", group_id);
        Ok(())
    }

    /// Removes a group's assignment to the app.
    pub fn unassign_group(&self, group_id: &str) -> Result<(), ControlError> {
        self.tenant().unassign(group_id)?;
        self.emit_group("group.application_assignment.remove", group_id);
        Ok(())
    }

    /// Assigns the built-in `Everyone` group (every user of the org) to the app, as many
    /// companies do (a no-op if it already is); it is listed first. Its id is
    /// [`TenantInfo::everyone_group_id`].
    pub fn assign_everyone(&self) -> Result<(), ControlError> {
        let mut tenant = self.tenant();
        let id = tenant.everyone_id()?;
        tenant.assign(&id)
    }

    /// Removes the `Everyone` group's assignment to the app (a no-op if it has none).
    pub fn unassign_everyone(&self) -> Result<(), ControlError> {
        let mut tenant = self.tenant();
        let id = tenant.everyone_id()?;
        tenant.unassign(&id)
    }

    /// Deletes a group: it leaves every listing and `GET /groups/{id}` answers 404.
    pub fn delete_group(&self, group_id: &str) -> Result<(), ControlError> {
        self.tenant().delete_group(group_id)?;
        self.emit_group("group.lifecycle.delete", group_id);
        Ok(())
    }

    /// Renames a group (its `lastUpdated` moves).
    pub fn rename_group(&self, group_id: &str, name: &str) -> Result<(), ControlError> {
        self.tenant().rename_group(group_id, name)?;
        self.emit_group("group.profile.update", group_id);
        Ok(())
    }

    /// Creates an empty `OKTA_GROUP`, assigned to the app if `assign`; returns its id.
    pub fn create_group(
        &self,
        name: &str,
        description: Option<&str>,
        assign: bool,
    ) -> Result<String, ControlError> {
        self.tenant().create_group(name, description, assign)
    }

    /// Adds a user (id or login) to a group (its `lastMembershipUpdated` moves).
    pub fn add_member(&self, group_id: &str, user: &str) -> Result<(), ControlError> {
        let user_id = self.tenant().add_member(group_id, user)?;
        self.emit_membership("group.user_membership.add", group_id, user_id);
        Ok(())
    }

    /// Removes a user (id or login) from a group (its `lastMembershipUpdated` moves).
    pub fn remove_member(&self, group_id: &str, user: &str) -> Result<(), ControlError> {
        let user_id = self.tenant().remove_member(group_id, user)?;
        self.emit_membership("group.user_membership.remove", group_id, user_id);
        Ok(())
    }

    /// Sets a user's (id or login) status, e.g. suspends them.
    pub fn set_user_status(&self, user: &str, status: UserStatus) -> Result<(), ControlError> {
        let (user_id, before) = self.tenant().set_status(user, status)?;
        let event_type = match (before, status) {
            (UserStatus::Suspended, UserStatus::Active) => Some("user.lifecycle.unsuspend"),
            (_, UserStatus::Active) => Some("user.lifecycle.activate"),
            (_, UserStatus::Suspended) => Some("user.lifecycle.suspend"),
            (_, UserStatus::Deprovisioned) => Some("user.lifecycle.deactivate"),
            _ => None,
        };
        if let Some(event_type) = event_type.filter(|_| before != status) {
            self.shared.hooks.emit(HookEvent { event_type, targets: vec![("User", user_id)] });
        }
        Ok(())
    }

    /// Registers an Event Hook: verifies it as Okta does (a `GET` whose challenge must come
    /// back), then delivers every change made through this control API to it, from the fake's
    /// own runtime. A second registration replaces the first.
    ///
    /// # Errors
    ///
    /// When the endpoint does not answer the verification.
    pub async fn register_event_hook(
        &self,
        registration: HookRegistration,
    ) -> Result<(), HookError> {
        let runtime =
            self.shared.runtime.get().cloned().unwrap_or_else(tokio::runtime::Handle::current);
        runtime
            .spawn(hooks::register(Arc::clone(&self.shared.hooks), registration))
            .await
            .unwrap_or_else(|e| Err(HookError::VerificationFailed(e.to_string())))
    }

    /// Stops delivering to the registered Event Hook (events from then on are dropped).
    pub fn unregister_event_hook(&self) {
        self.shared.hooks.unregister();
    }

    /// What the Event Hook sender did so far.
    pub fn hook_counters(&self) -> HookCounters {
        self.shared.hooks.counters()
    }

    fn emit_group(&self, event_type: &'static str, group_id: &str) {
        let targets = vec![("UserGroup", group_id.to_owned())];
        self.shared.hooks.emit(HookEvent { event_type, targets });
    }

    fn emit_membership(&self, event_type: &'static str, group_id: &str, user_id: String) {
        let targets = vec![("User", user_id), ("UserGroup", group_id.to_owned())];
        self.shared.hooks.emit(HookEvent { event_type, targets });
    }

    /// While `lags`, status changes do not reach Okta's (eventually consistent) user search:
    /// `search=status eq "SUSPENDED"` misses a user suspended meanwhile, as a real tenant's
    /// search may for a while. Turned off, the index catches up with every change.
    pub fn set_search_lag(&self, lags: bool) {
        self.tenant().set_search_lag(lags);
    }

    /// Changes a user's (id or login) primary email; the login stays.
    pub fn set_user_email(&self, user: &str, email: &str) -> Result<(), ControlError> {
        self.tenant().set_email(user, email)
    }

    /// Revokes an API token: it gets 401 `E0000011` from then on.
    pub fn revoke_token(&self, token: &str) -> Result<(), ControlError> {
        self.tenant().revoke(token)
    }

    /// The live truth: the assigned groups with their members' ids, logins and statuses.
    pub fn truth(&self) -> Truth {
        Truth::of(&read(&self.shared.tenant))
    }

    /// Adds a fault rule and returns its id.
    pub fn add_fault(&self, spec: FaultSpec) -> u64 {
        lock(&self.shared.faults).add(spec)
    }

    /// The fault rules and how often each fired.
    pub fn faults(&self) -> Vec<FaultState> {
        lock(&self.shared.faults).list()
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Sets the latency added to every Okta request.
    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.shared.latency) = latency;
    }

    /// The latency added to every Okta request.
    pub fn latency(&self) -> Duration {
        *lock(&self.shared.latency)
    }

    /// The rate-limit knobs in force.
    pub fn limits(&self) -> RateLimitConfig {
        lock(&self.shared.limits).0
    }

    /// Replaces the rate-limit knobs; running windows keep their end, new ones use the new
    /// length.
    pub fn set_limits(&self, limits: RateLimitConfig) {
        lock(&self.shared.limits).0 = limits;
    }

    /// Forgets every rate-limit window, as if no request had been made.
    pub fn reset_rate_limits(&self) {
        lock(&self.shared.limits).1.clear();
    }

    /// The request counters.
    pub fn counters(&self) -> Counters {
        lock(&self.shared.counters).clone()
    }

    /// Zeroes the request counters.
    pub fn reset_counters(&self) {
        *lock(&self.shared.counters) = Counters::default();
    }

    /// Registers an OAuth 2.0 service app (or replaces the one with the same client id) and
    /// returns its client id (generated, `0oa…`, unless the app names one).
    ///
    /// # Errors
    ///
    /// [`ControlError::BadRequest`] when the JWK set is not `{"keys":[…]}` of public RSA (2048
    /// bits or more) or EC P-256 keys, each with a `kid`.
    pub fn register_service_app(&self, app: ServiceApp) -> Result<String, ControlError> {
        lock(&self.shared.oauth).register(app)
    }

    /// The registered service apps, by client id.
    pub fn service_apps(&self) -> Vec<ServiceApp> {
        lock(&self.shared.oauth).apps()
    }

    /// Sets the lifetime of the access tokens issued from now on (Okta's is one hour, the
    /// default); tokens already issued keep theirs.
    pub fn set_access_token_lifetime(&self, lifetime: Duration) {
        lock(&self.shared.oauth).set_lifetime_s(lifetime.as_secs());
    }

    /// The lifetime of newly issued access tokens.
    pub fn access_token_lifetime(&self) -> Duration {
        Duration::from_secs(lock(&self.shared.oauth).lifetime_s())
    }

    /// Expires every access token issued so far, now: their next use gets 401 `E0000011`, as
    /// after their hour, so that a client must get a new one. Returns how many were live.
    pub fn expire_access_tokens(&self) -> usize {
        lock(&self.shared.oauth).expire_all(crate::clock::now_ms())
    }

    /// Expires every access token issued so far once `requests` more resource calls have
    /// authenticated with an access token (any app's): the call that makes the count is served,
    /// the next call with an older token gets 401 `E0000011` (`expired_token`). So a test can
    /// expire the token in the middle of a client's run, between two of its calls, without
    /// racing it. Fires once; 0 disarms.
    pub fn expire_access_tokens_after(&self, requests: u64) {
        lock(&self.shared.oauth).expire_after(requests);
    }

    /// The authenticated resource calls still to come before the armed expiry fires; `None`
    /// when none is armed (or it has fired).
    pub fn access_token_expiry_pending(&self) -> Option<u64> {
        lock(&self.shared.oauth).expire_after_remaining()
    }

    /// Makes the `DPoP` proof checks (token endpoint and resource calls) read the clock
    /// `seconds` ahead of the real one (negative: behind), as a server whose clock is off:
    /// beyond 300 s ahead (or 60 s behind) every fresh proof is refused as not recent
    /// (`invalid_dpop_proof`). 0 restores the real clock.
    pub fn set_dpop_clock_offset(&self, seconds: i64) {
        lock(&self.shared.oauth).set_dpop_clock_offset_s(seconds);
    }

    /// The offset of the `DPoP` proof checks' clock, in seconds.
    pub fn dpop_clock_offset(&self) -> i64 {
        lock(&self.shared.oauth).dpop_clock_offset_s()
    }

    /// The last client assertion that got an access token (a compact JWS), to replay it.
    pub fn last_accepted_assertion(&self) -> Option<String> {
        lock(&self.shared.oauth).last_assertion().map(str::to_owned)
    }

    /// Every access token issued so far, expired or not (to check that they appear nowhere
    /// they should not).
    pub fn issued_access_tokens(&self) -> Vec<String> {
        lock(&self.shared.oauth).issued_tokens()
    }

    /// Replaces the `DPoP` nonce of the token endpoint, as if the old one had aged past Okta's
    /// three days: proofs with the old nonce get `use_dpop_nonce` again.
    pub fn rotate_dpop_nonce(&self) {
        lock(&self.shared.oauth).rotate_nonce();
    }

    /// The `DPoP` nonce the token endpoint currently asks for.
    pub fn dpop_nonce(&self) -> String {
        lock(&self.shared.oauth).nonce().to_owned()
    }
}
