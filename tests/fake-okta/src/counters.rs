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
    /// The groups whose member listing began (a first page, without `after`), in the order the
    /// requests arrived: what a client chose to read first.
    pub member_listings_begun: Vec<String>,
    /// Requests to the OAuth token endpoint (`POST /oauth2/v1/token`), counted apart from the
    /// management API's `total`, `by_endpoint` and `by_status`.
    #[serde(default)]
    pub oauth_token_requests: u64,
    /// Access tokens the token endpoint issued.
    #[serde(default)]
    pub oauth_tokens_issued: u64,
    /// OAuth refusals by reason, at the token endpoint (e.g. `replayed_assertion`,
    /// `use_dpop_nonce`) and on resource calls (e.g. `expired_token`, `insufficient_scope`);
    /// the reasons are listed in the crate docs.
    #[serde(default)]
    pub oauth_refusals: BTreeMap<String, u64>,
    /// Resource calls that authenticated with an OAuth access token, by scheme (`Bearer`,
    /// `DPoP`), whatever their outcome after that (scope, role, rate limit, fault).
    #[serde(default)]
    pub oauth_calls: BTreeMap<String, u64>,
}

impl Counters {
    /// Counts a request as it arrives.
    pub(crate) fn request(&mut self, endpoint: Endpoint) {
        self.total += 1;
        *self.by_endpoint.entry(endpoint).or_default() += 1;
    }

    /// Records that the listing of a group's members began.
    pub(crate) fn member_listing_begun(&mut self, group_id: &str) {
        self.member_listings_begun.push(group_id.to_owned());
    }

    /// Counts a response as it leaves.
    pub(crate) fn response(&mut self, status: u16) {
        *self.by_status.entry(status).or_default() += 1;
        if status == 429 {
            self.rate_limited += 1;
        }
    }

    /// Counts an OAuth refusal.
    pub(crate) fn oauth_refusal(&mut self, reason: &str) {
        *self.oauth_refusals.entry(reason.to_owned()).or_default() += 1;
    }

    /// Counts a resource call authenticated with an OAuth access token under `scheme`.
    pub(crate) fn oauth_call(&mut self, scheme: &str) {
        *self.oauth_calls.entry(scheme.to_owned()).or_default() += 1;
    }

    /// Resource calls authenticated with an OAuth access token under `scheme` (`Bearer` or
    /// `DPoP`).
    pub fn oauth_calls_with(&self, scheme: &str) -> u64 {
        self.oauth_calls.get(scheme).copied().unwrap_or(0)
    }

    /// OAuth refusals for one reason.
    pub fn oauth_refused(&self, reason: &str) -> u64 {
        self.oauth_refusals.get(reason).copied().unwrap_or(0)
    }

    /// Requests received for one endpoint.
    pub fn endpoint(&self, endpoint: Endpoint) -> u64 {
        self.by_endpoint.get(&endpoint).copied().unwrap_or(0)
    }
}
