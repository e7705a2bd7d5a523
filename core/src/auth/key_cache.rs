//! The key-cache policy: when to fetch Cloudflare Access's key set, how long a fetched set may be
//! used, and how failed fetches back off. Pure, with the time passed in: the Worker keeps the
//! cache and does the (single-flight) fetch.
//!
//! - A fetched set is used as is for [`KeyPolicy::fresh_for_s`]; after that the next request
//!   refreshes it.
//! - When a token names a key id the cache lacks, the set is fetched again at most once per
//!   [`KeyPolicy::min_refetch_interval_s`]: a key rotation (new key published beside the old one)
//!   is picked up by the first token that uses the new key, and a flood of forged key ids costs
//!   at most one fetch per interval.
//! - When fetches fail, the last good set stays in use until [`KeyPolicy::max_stale_s`] after it
//!   was fetched, never longer: past that, nothing is verified (the caller answers 503), because
//!   a key Access has revoked meanwhile would otherwise be trusted forever.
//! - A failed fetch is retried only after a wait that doubles with every failure in a row (from
//!   [`KeyPolicy::backoff_min_s`] to [`KeyPolicy::backoff_max_s`]), so an outage of the certs
//!   URL does not turn every request into a fetch that hangs until its timeout.

use super::jwks::VerificationKey;

/// How long after the last successful fetch keys may be used while refreshes fail: one hour.
pub const DEFAULT_MAX_STALE_S: u64 = 3_600;
/// The first wait after a failed fetch.
const BACKOFF_MIN_S: u64 = 1;
/// The longest wait between failed fetches.
const BACKOFF_MAX_S: u64 = 300;

/// The timings of the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPolicy {
    /// How long a fetched set is used without refreshing it.
    pub fresh_for_s: u64,
    /// How long after the last successful fetch the set may still be used while refreshes fail.
    pub max_stale_s: u64,
    /// How soon after a fetch a token with an unknown key id may trigger another one.
    pub min_refetch_interval_s: u64,
    /// The wait after the first failed fetch in a row; it doubles with every further failure.
    pub backoff_min_s: u64,
    /// The longest wait between failed fetches.
    pub backoff_max_s: u64,
}

impl KeyPolicy {
    /// The policy for keys used at most `max_stale_s` after their last successful fetch.
    ///
    /// The other timings follow from it, so that shortening it (the tests do) keeps the policy's
    /// shape: a set is refreshed after a sixth of the window (ten minutes of the hour), leaving
    /// five sixths for retries; and no wait between retries is longer than a tenth of the window
    /// (five minutes at most), so that at least ten tries fit in it before keys expire.
    pub fn new(max_stale_s: u64, min_refetch_interval_s: u64) -> Self {
        let max_stale_s = max_stale_s.max(1);
        Self {
            fresh_for_s: (max_stale_s / 6).max(1),
            max_stale_s,
            min_refetch_interval_s,
            backoff_min_s: BACKOFF_MIN_S,
            backoff_max_s: (max_stale_s / 10).clamp(BACKOFF_MIN_S, BACKOFF_MAX_S),
        }
    }

    /// The wait before the next fetch after `failures` failed fetches in a row.
    pub fn backoff_s(&self, failures: u32) -> u64 {
        if failures == 0 {
            return 0;
        }
        let doublings = (failures - 1).min(32);
        self.backoff_min_s.saturating_mul(1 << doublings).min(self.backoff_max_s)
    }
}

/// The keys known, when they were fetched, and how fetching has gone since.
#[derive(Debug, Clone, Default)]
pub struct KeyCache {
    keys: Vec<VerificationKey>,
    /// The last successful fetch.
    fetched_at_s: Option<u64>,
    /// The last fetch, successful or not.
    attempted_at_s: Option<u64>,
    /// Failed fetches since the last successful one.
    failures: u32,
}

/// What to do about a key id.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyLookup<'a> {
    /// The key is cached and needs no refresh.
    Found(&'a VerificationKey),
    /// Fetch the key set first (the cache is empty, due for a refresh, or lacks the id and may
    /// fetch again). `fallback` is the cached key to use if that fetch fails, or while another
    /// request's fetch is under way: it is still within its stale window.
    Refetch {
        /// The cached key with this id, if it may still be used.
        fallback: Option<&'a VerificationKey>,
    },
    /// The id is not among the keys, and the key set was fetched too recently to fetch again.
    Unknown,
    /// No key may be used: none was ever fetched, or the last successful fetch is older than
    /// the stale window, and the backoff forbids fetching now. Fail closed.
    Unavailable {
        /// When the keys were last fetched successfully, if ever.
        fetched_at_s: Option<u64>,
        /// Seconds until a fetch is tried again.
        retry_in_s: u64,
    },
}

impl KeyCache {
    /// Looks up `kid` at `now_s` under `policy`.
    pub fn lookup(&self, kid: &str, now_s: u64, policy: &KeyPolicy) -> KeyLookup<'_> {
        let retry_in_s = self.retry_in_s(now_s, policy);
        let may_fetch = retry_in_s == 0;
        let Some(fetched_at_s) = self.fetched_at_s.filter(|_| self.usable(now_s, policy)) else {
            return if may_fetch {
                KeyLookup::Refetch { fallback: None }
            } else {
                KeyLookup::Unavailable { fetched_at_s: self.fetched_at_s, retry_in_s }
            };
        };
        let age = now_s.saturating_sub(fetched_at_s);
        match self.keys.iter().find(|k| k.kid == kid) {
            Some(key) if may_fetch && age >= policy.fresh_for_s => {
                KeyLookup::Refetch { fallback: Some(key) }
            }
            Some(key) => KeyLookup::Found(key),
            None if may_fetch && self.since_attempt_s(now_s) >= policy.min_refetch_interval_s => {
                KeyLookup::Refetch { fallback: None }
            }
            None => KeyLookup::Unknown,
        }
    }

    /// Whether the cached keys may still be used at `now_s`: fetched, and less than the stale
    /// window ago.
    pub fn usable(&self, now_s: u64, policy: &KeyPolicy) -> bool {
        self.fetched_at_s.is_some_and(|at| now_s.saturating_sub(at) < policy.max_stale_s)
    }

    /// Replaces the keys with a freshly fetched set.
    pub fn replace(&mut self, keys: Vec<VerificationKey>, now_s: u64) {
        self.keys = keys;
        self.fetched_at_s = Some(now_s);
        self.attempted_at_s = Some(now_s);
        self.failures = 0;
    }

    /// Whether this cache has neither fetched nor tried to: a cold isolate's.
    pub fn never_tried(&self) -> bool {
        self.attempted_at_s.is_none()
    }

    /// Takes a key set that another isolate fetched at `fetched_at_s` (through the shared
    /// cache), as if this one had fetched it then, so the same policy decides when to fetch
    /// again. Only a cache that [never tried](Self::never_tried) takes it: one that has fetched
    /// (or failed to) knows better. Returns whether it took the set.
    pub fn adopt(&mut self, keys: Vec<VerificationKey>, fetched_at_s: u64) -> bool {
        let cold = self.never_tried();
        if cold {
            self.replace(keys, fetched_at_s);
        }
        cold
    }

    /// Records a failed fetch: the keys stay (within their stale window), and the next fetch
    /// waits for the backoff.
    pub fn fetch_failed(&mut self, now_s: u64) {
        self.attempted_at_s = Some(now_s);
        self.failures = self.failures.saturating_add(1);
    }

    /// The cached keys.
    pub fn keys(&self) -> &[VerificationKey] {
        &self.keys
    }

    /// Seconds until the backoff allows a fetch (0: now).
    fn retry_in_s(&self, now_s: u64, policy: &KeyPolicy) -> u64 {
        policy.backoff_s(self.failures).saturating_sub(self.since_attempt_s(now_s))
    }

    fn since_attempt_s(&self, now_s: u64) -> u64 {
        self.attempted_at_s.map_or(u64::MAX, |at| now_s.saturating_sub(at))
    }
}
