//! The key-cache policy: when a token names a key id the cache lacks, refetch the key set at
//! most once per interval. A key rotation (new key published beside the old one) is picked up
//! by the first token that uses the new key; a flood of forged key ids costs at most one fetch
//! per interval. Pure: the Worker keeps the cache and does the (single-flight) fetch.

use super::jwks::VerificationKey;

/// The keys known, and when they were fetched.
#[derive(Debug, Clone, Default)]
pub struct KeyCache {
    keys: Vec<VerificationKey>,
    fetched_at_s: Option<u64>,
}

/// What to do about a key id.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyLookup<'a> {
    /// The key is cached.
    Found(&'a VerificationKey),
    /// Fetch the key set (the cache is empty, stale, or lacks the id and may refetch).
    Refetch,
    /// The id is unknown and the key set was fetched too recently to fetch again.
    Unknown,
}

impl KeyCache {
    /// Looks up `kid` at `now_s`. `max_age_s` is how long a fetched set is trusted;
    /// `min_refetch_interval_s` is how soon an unknown id may trigger another fetch.
    pub fn lookup(
        &self,
        kid: &str,
        now_s: u64,
        max_age_s: u64,
        min_refetch_interval_s: u64,
    ) -> KeyLookup<'_> {
        let Some(fetched_at) = self.fetched_at_s else { return KeyLookup::Refetch };
        let age = now_s.saturating_sub(fetched_at);
        if age >= max_age_s {
            return KeyLookup::Refetch;
        }
        match self.keys.iter().find(|k| k.kid == kid) {
            Some(key) => KeyLookup::Found(key),
            None if age >= min_refetch_interval_s => KeyLookup::Refetch,
            None => KeyLookup::Unknown,
        }
    }

    /// Replaces the keys with a freshly fetched set.
    pub fn replace(&mut self, keys: Vec<VerificationKey>, now_s: u64) {
        self.keys = keys;
        self.fetched_at_s = Some(now_s);
    }

    /// Records a failed fetch, so that failures are not retried more often than fetches.
    pub fn fetch_failed(&mut self, now_s: u64) {
        if self.fetched_at_s.is_none() || self.keys.is_empty() {
            self.fetched_at_s = Some(now_s);
        }
    }

    /// The cached keys.
    pub fn keys(&self) -> &[VerificationKey] {
        &self.keys
    }
}
