//! Request counters of the Okta surface, for tests that check how many calls a client made.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::route::Endpoint;

/// What the Okta surface has served since start (or the last reset).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Requests received, whatever their outcome.
    pub total: u64,
    /// Requests received per endpoint.
    pub by_endpoint: BTreeMap<Endpoint, u64>,
    /// Responses per HTTP status (hung requests are counted when they finally answer).
    pub by_status: BTreeMap<u16, u64>,
    /// 429 responses served, for any reason (bucket, token share, concurrency, fault).
    pub rate_limited: u64,
    /// The part of `rate_limited` refused by the concurrency limit.
    pub concurrency_rejected: u64,
    /// Faults that fired.
    pub faults_fired: u64,
}

impl Counters {
    /// Counts a request as it arrives.
    pub(crate) fn request(&mut self, endpoint: Endpoint) {
        self.total += 1;
        *self.by_endpoint.entry(endpoint).or_default() += 1;
    }

    /// Counts a response as it leaves.
    pub(crate) fn response(&mut self, status: u16) {
        *self.by_status.entry(status).or_default() += 1;
        if status == 429 {
            self.rate_limited += 1;
        }
    }

    /// Requests received for one endpoint.
    pub fn endpoint(&self, endpoint: Endpoint) -> u64 {
        self.by_endpoint.get(&endpoint).copied().unwrap_or(0)
    }
}
