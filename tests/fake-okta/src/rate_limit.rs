//! Okta's rate limits: per-bucket windows, the per-token share, and the org's concurrency limit
//! (CONTRACT §5, Workforce Identity column).
//!
//! * Bucket mapping: `GET /api/v1/apps/{id}` → `app_by_id` (500), the rest of `/api/v1/apps*`
//!   (so `/apps/{id}/groups`) → `apps` (100), `/api/v1/groups/{id}` → `group_by_id` (1000),
//!   the rest of `/api/v1/groups*` except members → `groups` (500), `GET /api/v1/users` →
//!   `users` (600), `GET /api/v1/users/{idOrLogin}` → `user_by_id` (2000), and everything else,
//!   including `/api/v1/groups/{id}/users` and `/api/v1/users/{id}/groups` (CONTRACT §11.1), →
//!   `other` (1200).
//! * A bucket's window starts at the first request after the previous window ended and lasts
//!   `window` (60 s by default). `X-Rate-Limit-Limit`/`-Remaining` report the bucket's org-wide
//!   limit and what is left of it; `X-Rate-Limit-Reset` is the window's end in epoch seconds
//!   (rounded up).
//! * Every request that reaches a bucket counts, including the ones answered 429, as Okta
//!   counts them: hammering a limit keeps it exhausted. Past the org-wide limit every caller
//!   gets 429; past `token_share_percent` of it (rounded down, at least 1) the token gets 429
//!   even though `Remaining` may still be positive.
//! * Concurrency: at most `concurrency_limit` Okta requests may be in flight at once (the
//!   control API is not counted). Requests over it get 429 at once with `Limit` and `Remaining`
//!   both 0 and `Reset` one second ahead (an estimate, as on real Okta), and count in no bucket.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A rate-limit bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// `/api/v1/apps` and `/api/v1/apps/*` other than the exact app (the app's groups).
    Apps,
    /// `GET /api/v1/apps/{id}` exactly.
    AppById,
    /// `/api/v1/groups` except `/api/v1/groups/{id}` and its members.
    Groups,
    /// `GET /api/v1/groups/{id}` exactly.
    GroupById,
    /// `GET /api/v1/users` (list and search).
    Users,
    /// `GET /api/v1/users/{idOrLogin}` exactly.
    UserById,
    /// Everything else, including group members and a user's groups.
    Other,
}

/// Per-minute (per-window) org-wide limits of each bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketLimits {
    /// [`Bucket::Apps`], 100 by default.
    pub apps: u32,
    /// [`Bucket::AppById`], 500 by default.
    pub app_by_id: u32,
    /// [`Bucket::Groups`], 500 by default.
    pub groups: u32,
    /// [`Bucket::GroupById`], 1000 by default.
    pub group_by_id: u32,
    /// [`Bucket::Users`], 600 by default.
    pub users: u32,
    /// [`Bucket::UserById`], 2000 by default.
    pub user_by_id: u32,
    /// [`Bucket::Other`], 1200 by default.
    pub other: u32,
}

impl Default for BucketLimits {
    fn default() -> Self {
        BucketLimits {
            apps: 100,
            app_by_id: 500,
            groups: 500,
            group_by_id: 1000,
            users: 600,
            user_by_id: 2000,
            other: 1200,
        }
    }
}

impl BucketLimits {
    /// The limit of one bucket.
    pub fn of(&self, bucket: Bucket) -> u32 {
        match bucket {
            Bucket::Apps => self.apps,
            Bucket::AppById => self.app_by_id,
            Bucket::Groups => self.groups,
            Bucket::GroupById => self.group_by_id,
            Bucket::Users => self.users,
            Bucket::UserById => self.user_by_id,
            Bucket::Other => self.other,
        }
    }
}

/// The rate-limit knobs, Okta's defaults unless changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimitConfig {
    /// How long a bucket's window lasts (60 s on Okta; shorten it to test waiting for a reset).
    /// On the wire: `window_ms`.
    #[serde(rename = "window_ms", with = "millis")]
    pub window: Duration,
    /// The share of each bucket's limit one token may use per window, in percent (50).
    pub token_share_percent: u32,
    /// Requests that may be in flight at once in the org (75).
    pub concurrency_limit: u32,
    /// The per-window limit of each bucket.
    pub buckets: BucketLimits,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            window: Duration::from_secs(60),
            token_share_percent: 50,
            concurrency_limit: 75,
            buckets: BucketLimits::default(),
        }
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// The rate-limit headers of one response, and whether it must be a 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    /// Epoch seconds.
    pub(crate) reset: u64,
    /// The org-wide limit of the bucket is exhausted.
    pub(crate) over_org_limit: bool,
    /// This token used up its share of the bucket.
    pub(crate) over_token_share: bool,
}

#[derive(Debug)]
struct Window {
    ends: Instant,
    reset_epoch: u64,
    used: u32,
    used_by_token: HashMap<String, u32>,
}

/// The windows of all buckets.
#[derive(Debug, Default)]
pub(crate) struct Windows {
    windows: HashMap<Bucket, Window>,
}

fn epoch_secs_ceil(at: SystemTime) -> u64 {
    let d = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl Windows {
    /// Counts one request in `bucket` (and for `token`, if it is valid) and judges it.
    pub(crate) fn hit(
        &mut self,
        config: &RateLimitConfig,
        bucket: Bucket,
        token: Option<&str>,
    ) -> Verdict {
        let now = Instant::now();
        let window = self.windows.entry(bucket).or_insert_with(|| Window {
            ends: now,
            reset_epoch: 0,
            used: 0,
            used_by_token: HashMap::new(),
        });
        if now >= window.ends {
            *window = Window {
                ends: now + config.window,
                reset_epoch: epoch_secs_ceil(SystemTime::now() + config.window),
                used: 0,
                used_by_token: HashMap::new(),
            };
        }
        let limit = config.buckets.of(bucket);
        window.used = window.used.saturating_add(1);
        let token_used = token.map_or(0, |t| {
            let used = window.used_by_token.entry(t.to_owned()).or_insert(0);
            *used = used.saturating_add(1);
            *used
        });
        let share = (u64::from(limit) * u64::from(config.token_share_percent) / 100).max(1) as u32;
        Verdict {
            limit,
            remaining: limit.saturating_sub(window.used),
            reset: window.reset_epoch,
            over_org_limit: window.used > limit,
            over_token_share: token_used > share,
        }
    }

    /// Forgets every window: the next request in each bucket starts a fresh one.
    pub(crate) fn clear(&mut self) {
        self.windows.clear();
    }
}

/// The verdict for a request refused by the concurrency limit.
pub(crate) fn concurrency_verdict() -> Verdict {
    Verdict {
        limit: 0,
        remaining: 0,
        reset: epoch_secs_ceil(SystemTime::now() + Duration::from_secs(1)),
        over_org_limit: true,
        over_token_share: false,
    }
}

/// Requests in flight on the Okta surface.
#[derive(Debug, Default)]
pub(crate) struct InFlight(AtomicU32);

/// One request's slot in [`InFlight`], released on drop.
#[derive(Debug)]
pub(crate) struct Slot<'a>(&'a AtomicU32);

impl InFlight {
    /// Takes a slot, unless `limit` requests are already in flight.
    pub(crate) fn enter(&self, limit: u32) -> Option<Slot<'_>> {
        let before = self.0.fetch_add(1, Ordering::SeqCst);
        let slot = Slot(&self.0);
        (before < limit).then_some(slot)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(limit: u32) -> RateLimitConfig {
        let buckets = BucketLimits { apps: limit, ..BucketLimits::default() };
        RateLimitConfig { buckets, ..RateLimitConfig::default() }
    }

    #[test]
    fn remaining_counts_down_within_a_window() {
        let mut w = Windows::default();
        let c = config(100);
        assert_eq!(w.hit(&c, Bucket::Apps, Some("t")).remaining, 99);
        assert_eq!(w.hit(&c, Bucket::Apps, Some("t")).remaining, 98);
        assert_eq!(w.hit(&c, Bucket::Other, Some("t")).remaining, 1199);
    }

    #[test]
    fn a_token_is_refused_past_its_share() {
        let mut w = Windows::default();
        let c = config(10);
        let verdicts: Vec<Verdict> = (0..6).map(|_| w.hit(&c, Bucket::Apps, Some("t"))).collect();
        assert!(verdicts[..5].iter().all(|v| !v.over_token_share));
        assert!(verdicts[5].over_token_share);
        assert!(!verdicts[5].over_org_limit);
        assert!(!w.hit(&c, Bucket::Apps, Some("other")).over_token_share);
    }

    #[test]
    fn the_concurrency_slot_is_released_on_drop() {
        let f = InFlight::default();
        let a = f.enter(1);
        assert!(a.is_some());
        assert!(f.enter(1).is_none());
        drop(a);
        assert!(f.enter(1).is_some());
    }
}
