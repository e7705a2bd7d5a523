//! The rate governor: decides, before each request, whether it may go now or must wait, so that
//! the client uses at most a share of each Okta rate-limit bucket and never causes a 429 of its
//! own making.
//!
//! It learns each bucket's limit, remaining count and reset time from Okta's
//! `X-Rate-Limit-*` headers, measuring `Reset` against the answer's `Date` (Okta's clock, not
//! ours). Pure state: the caller passes the local time in and sleeps when told to.

use std::collections::HashMap;
use std::time::Duration;

/// How long to wait past a computed reset: `Reset` and `Date` are whole seconds, so the true
/// reset can be up to a second after the computed one (CONTRACT.md §5: "+ 1").
const RESET_MARGIN_MS: u64 = 1_000;

/// How often a request re-checks while the first request of a new window is in flight.
const PROBE_POLL: Duration = Duration::from_millis(10);

/// Okta's rate-limit buckets, as CONTRACT.md §5 maps paths to them (exact paths first, then the
/// longest prefix). The headers give each one's limit at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Bucket {
    /// `/api/v1/apps/{id}` exactly.
    App,
    /// `/api/v1/apps` and everything below an app (`/api/v1/apps/{id}/groups`).
    Apps,
    /// `/api/v1/groups` (the list).
    Groups,
    /// `/api/v1/groups/{id}` exactly.
    Group,
    /// `/api/v1/users` (list and search).
    Users,
    /// Everything else (`/api/v1/groups/{id}/users`, `/api/v1/users/{id}/groups`, …).
    Other,
}

impl Bucket {
    /// The bucket a request path falls into.
    pub(crate) fn for_path(path: &str) -> Self {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match segments.as_slice() {
            ["api", "v1", "apps", _id] => Self::App,
            ["api", "v1", "apps", ..] => Self::Apps,
            ["api", "v1", "groups"] => Self::Groups,
            ["api", "v1", "groups", _id] => Self::Group,
            ["api", "v1", "users"] => Self::Users,
            _ => Self::Other,
        }
    }
}

/// The `X-Rate-Limit-*` headers of one answer, with its `Date`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateHeaders {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    /// When the window resets, in Okta's epoch seconds.
    pub(crate) reset_s: u64,
    /// Okta's clock when it answered, in epoch seconds.
    pub(crate) date_s: Option<u64>,
}

impl RateHeaders {
    /// Whether this is a concurrency 429 (Limit and Remaining both 0): it says nothing about
    /// the per-minute window.
    pub(crate) fn is_concurrency_signal(&self) -> bool {
        self.limit == 0 && self.remaining == 0
    }
}

/// Whether a request may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Send it now; it is counted against the window.
    Go,
    /// Ask again after this long. `budget_wait` is true when the wait is for the bucket's window
    /// to reset (counted as a rate-limit wait), false for a short poll.
    Wait { duration: Duration, budget_wait: bool },
}

/// The governor's state over every bucket.
#[derive(Debug)]
pub(crate) struct Governor {
    share: f64,
    buckets: HashMap<Bucket, BucketState>,
}

#[derive(Debug, Default)]
struct BucketState {
    window: Option<Window>,
    /// The first request of an unknown window is in flight; the others wait for its headers.
    probing: bool,
    /// Requests sent and not yet answered.
    in_flight: u32,
    /// Local time (ms) before which nothing may be sent: the window's reset after the budget
    /// was spent or Okta answered 429.
    blocked_until_ms: Option<u64>,
}

#[derive(Debug)]
struct Window {
    limit: u32,
    /// Okta's reset value for this window, to tell answers of this window from older ones.
    reset_s: u64,
    /// The reset by the local clock.
    reset_local_ms: u64,
    /// Requests counted in this window: the org-wide use when the window was first seen, plus
    /// every request sent since.
    used: u32,
    /// The lowest `Remaining` seen in this window (answers may arrive out of order).
    min_remaining: u32,
}

impl Governor {
    /// A governor that uses at most `share` (0 < share ≤ 1) of each bucket's limit.
    pub(crate) fn new(share: f64) -> Self {
        Self { share: share.clamp(0.01, 1.0), buckets: HashMap::new() }
    }

    /// Whether a request to `bucket` may go at local time `now_ms`; `jitter_ms` spreads the
    /// requests that wake at a reset.
    pub(crate) fn admit(&mut self, bucket: Bucket, now_ms: u64, jitter_ms: u64) -> Admission {
        let share = self.share;
        let state = self.buckets.entry(bucket).or_default();
        if let Some(until) = state.blocked_until_ms {
            if now_ms < until {
                return Admission::Wait { duration: ms(until - now_ms), budget_wait: true };
            }
            state.blocked_until_ms = None;
            state.window = None;
        }
        if state.window.as_ref().is_some_and(|w| now_ms >= w.reset_local_ms + RESET_MARGIN_MS) {
            state.window = None;
        }
        let Some(window) = state.window.as_mut() else {
            if state.probing {
                return Admission::Wait { duration: PROBE_POLL, budget_wait: false };
            }
            state.probing = true;
            state.in_flight += 1;
            return Admission::Go;
        };
        let budget = budget(share, window.limit);
        let org_used = window.limit.saturating_sub(window.min_remaining) + state.in_flight;
        if window.used.max(org_used) < budget {
            window.used += 1;
            state.in_flight += 1;
            return Admission::Go;
        }
        let until = window.reset_local_ms + RESET_MARGIN_MS + jitter_ms;
        state.blocked_until_ms = Some(until);
        Admission::Wait { duration: ms(until.saturating_sub(now_ms)), budget_wait: true }
    }

    /// Records the answer (or the failure) of a request admitted for `bucket`.
    ///
    /// `headers` are the answer's rate-limit headers, when it had them; `too_many` is true for a
    /// 429, which blocks the bucket until its reset.
    pub(crate) fn record(
        &mut self,
        bucket: Bucket,
        headers: Option<RateHeaders>,
        too_many: bool,
        now_ms: u64,
        jitter_ms: u64,
    ) {
        let state = self.buckets.entry(bucket).or_default();
        state.in_flight = state.in_flight.saturating_sub(1);
        state.probing = false;
        let Some(headers) = headers.filter(|h| !h.is_concurrency_signal()) else { return };
        let reset_local_ms = reset_local_ms(&headers, now_ms);
        match state.window.as_mut() {
            Some(window) if window.reset_s == headers.reset_s => {
                window.min_remaining = window.min_remaining.min(headers.remaining);
            }
            // An answer from a window that has already ended tells nothing about this one.
            Some(window) if headers.reset_s < window.reset_s => {}
            _ => {
                // A new window: Okta counted this answer's request and any others before it;
                // requests still in flight may land in it too.
                state.window = Some(Window {
                    limit: headers.limit,
                    reset_s: headers.reset_s,
                    reset_local_ms,
                    used: headers.limit.saturating_sub(headers.remaining) + state.in_flight,
                    min_remaining: headers.remaining,
                });
            }
        }
        let exhausted = state.window.as_ref().is_some_and(|w| w.min_remaining == 0);
        if too_many || exhausted {
            let until = reset_local_ms + RESET_MARGIN_MS + jitter_ms;
            state.blocked_until_ms = Some(state.blocked_until_ms.map_or(until, |b| b.max(until)));
        }
    }
}

/// The number of requests a window allows this client.
fn budget(share: f64, limit: u32) -> u32 {
    // Truncation is the point: never round up past the share (0 ≤ share·limit ≤ limit).
    let budget = (share * f64::from(limit)).floor() as u32;
    budget.max(1)
}

/// When the window of `headers` resets, by the local clock: Okta's `Reset − Date` after `now`.
fn reset_local_ms(headers: &RateHeaders, now_ms: u64) -> u64 {
    match headers.date_s {
        Some(date_s) => now_ms + headers.reset_s.saturating_sub(date_s) * 1_000,
        // Without a Date, fall back to the local clock (less exact if the clocks differ).
        None => (headers.reset_s * 1_000).max(now_ms),
    }
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(limit: u32, remaining: u32, reset_s: u64, date_s: u64) -> Option<RateHeaders> {
        Some(RateHeaders { limit, remaining, reset_s, date_s: Some(date_s) })
    }

    #[test]
    fn paths_fall_into_contract_buckets() {
        assert_eq!(Bucket::for_path("/api/v1/apps/0oa1"), Bucket::App);
        assert_eq!(Bucket::for_path("/api/v1/apps/0oa1/groups"), Bucket::Apps);
        assert_eq!(Bucket::for_path("/api/v1/groups"), Bucket::Groups);
        assert_eq!(Bucket::for_path("/api/v1/groups/00g1"), Bucket::Group);
        assert_eq!(Bucket::for_path("/api/v1/groups/00g1/users"), Bucket::Other);
        assert_eq!(Bucket::for_path("/api/v1/users"), Bucket::Users);
        assert_eq!(Bucket::for_path("/api/v1/users/00u1/groups"), Bucket::Other);
    }

    #[test]
    fn the_first_request_probes_alone_until_its_headers_arrive() {
        let mut governor = Governor::new(0.5);
        assert_eq!(governor.admit(Bucket::Other, 0, 0), Admission::Go);
        assert!(matches!(
            governor.admit(Bucket::Other, 0, 0),
            Admission::Wait { budget_wait: false, .. }
        ));
        governor.record(Bucket::Other, headers(100, 99, 60, 0), false, 50, 0);
        assert_eq!(governor.admit(Bucket::Other, 50, 0), Admission::Go);
    }

    #[test]
    fn a_window_allows_exactly_the_share_then_waits_past_the_reset() {
        let mut governor = Governor::new(0.5);
        assert_eq!(governor.admit(Bucket::Other, 0, 0), Admission::Go);
        governor.record(Bucket::Other, headers(100, 99, 1_060, 1_000), false, 100, 0);
        let mut sent = 1;
        while governor.admit(Bucket::Other, 200, 0) == Admission::Go {
            sent += 1;
            assert!(sent <= 50, "more than the share was admitted");
        }
        assert_eq!(sent, 50, "the whole share is usable");
        // Reset is 60 s after the answer's Date, measured from when the answer arrived (100 ms).
        let Admission::Wait { duration, budget_wait: true } = governor.admit(Bucket::Other, 200, 0)
        else {
            panic!("expected a budget wait");
        };
        assert_eq!(duration, Duration::from_millis(100 + 60_000 + RESET_MARGIN_MS - 200));
        assert_eq!(governor.admit(Bucket::Other, 61_100, 0), Admission::Go, "a new window probes");
    }

    #[test]
    fn other_clients_use_of_the_org_bucket_counts_against_the_share() {
        let mut governor = Governor::new(0.5);
        assert_eq!(governor.admit(Bucket::Apps, 0, 0), Admission::Go);
        // 45 of 100 used already: 44 by someone else, and the probe.
        governor.record(Bucket::Apps, headers(100, 55, 60, 0), false, 10, 0);
        let mut sent = 0;
        while governor.admit(Bucket::Apps, 20, 0) == Admission::Go {
            sent += 1;
        }
        assert_eq!(sent, 5, "45 used + 5 = the share of 50");
    }

    #[test]
    fn a_429_blocks_the_bucket_until_its_reset_plus_margin_and_jitter() {
        let mut governor = Governor::new(0.5);
        assert_eq!(governor.admit(Bucket::Users, 0, 0), Admission::Go);
        governor.record(Bucket::Users, headers(600, 0, 30, 10), true, 1_000, 150);
        assert_eq!(
            governor.admit(Bucket::Users, 1_000, 0),
            Admission::Wait {
                duration: Duration::from_millis(20_000 + RESET_MARGIN_MS + 150),
                budget_wait: true
            }
        );
    }

    #[test]
    fn concurrency_429s_do_not_poison_the_window() {
        let mut governor = Governor::new(0.5);
        assert_eq!(governor.admit(Bucket::Other, 0, 0), Admission::Go);
        governor.record(Bucket::Other, headers(0, 0, 5, 0), true, 10, 0);
        assert_eq!(
            governor.admit(Bucket::Other, 10, 0),
            Admission::Go,
            "no window was learned from it"
        );
    }

    #[test]
    fn answers_from_an_older_window_are_ignored() {
        let mut governor = Governor::new(0.5);
        assert_eq!(governor.admit(Bucket::Other, 0, 0), Admission::Go);
        governor.record(Bucket::Other, headers(10, 9, 120, 60), false, 0, 0);
        assert_eq!(governor.admit(Bucket::Other, 0, 0), Admission::Go);
        governor.record(Bucket::Other, headers(10, 0, 60, 59), false, 0, 0);
        assert_eq!(
            governor.admit(Bucket::Other, 0, 0),
            Admission::Go,
            "the stale Remaining=0 was ignored"
        );
    }

    #[test]
    fn buckets_are_governed_independently() {
        let mut governor = Governor::new(0.5);
        assert_eq!(governor.admit(Bucket::Apps, 0, 0), Admission::Go);
        governor.record(Bucket::Apps, headers(2, 1, 60, 0), false, 0, 0);
        assert!(matches!(
            governor.admit(Bucket::Apps, 0, 0),
            Admission::Wait { budget_wait: true, .. }
        ));
        assert_eq!(governor.admit(Bucket::Other, 0, 0), Admission::Go);
    }
}
