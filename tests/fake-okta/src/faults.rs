//! Injected faults: what can go wrong on the Okta surface, which requests it hits, and the book
//! that decides, request by request, whether a fault fires.
//!
//! A fault targets requests by endpoint and/or by a substring of the path, lets the first
//! `skip` matching requests through and then fires on the next `count` matching ones. So "page 3
//! of the members of group X" is `endpoint: list_group_users, path_contains: "/groups/X/",
//! skip: 2, count: 1`. At most one fault fires per request: the first added rule that is due.
//! Every rule whose target matches counts the request as seen, due or not. Faults apply only to
//! requests that passed the concurrency limit, the rate limits and auth.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::route::Endpoint;

/// What an injected fault does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answers with this HTTP status and Okta's error body for it (500 → `E0000009`,
    /// 503 → `E0000010`, 429 → `E0000047`, 401, 403, 404 …).
    Error {
        /// The status to answer with.
        status: u16,
    },
    /// Holds the request for `ms` milliseconds (default: an hour, i.e. it never answers in a
    /// test's lifetime) before answering normally.
    Hang {
        /// How long to hold the request.
        #[serde(default)]
        ms: Option<u64>,
    },
    /// Answers 200 with the normal headers but a body that is not valid JSON.
    MalformedJson,
    /// Announces the full `Content-Length`, sends the first half of the body, then closes the
    /// connection.
    TruncatedBody,
    /// The `next` link points to another host (`http://okta.evil.invalid`).
    NextLinkForeignHost,
    /// The `next` link keeps host and port but switches the scheme to `https`.
    NextLinkOtherScheme,
    /// The `next` link keeps scheme and host but points to the next port up.
    NextLinkOtherPort,
    /// Answers 302 with a `Location` (default: the same path on `http://redirected.invalid`).
    Redirect {
        /// Where to redirect to.
        #[serde(default)]
        location: Option<String>,
    },
    /// The `next` link points back to the listing's first page (to itself on the first page).
    PaginationLoop,
}

/// One fault to inject: what, on which requests, and how many times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultSpec {
    /// What happens.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Only requests to this endpoint (any endpoint if `None`).
    #[serde(default)]
    pub endpoint: Option<Endpoint>,
    /// Only requests whose path contains this text (any path if `None`).
    #[serde(default)]
    pub path_contains: Option<String>,
    /// Matching requests to let through before the fault fires.
    #[serde(default)]
    pub skip: u32,
    /// Matching requests the fault fires on, after the skipped ones.
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

impl FaultSpec {
    /// A fault that fires on the next request of any endpoint, once.
    pub fn new(kind: FaultKind) -> FaultSpec {
        FaultSpec { kind, endpoint: None, path_contains: None, skip: 0, count: 1 }
    }

    /// Only on requests to `endpoint`.
    #[must_use]
    pub fn on(mut self, endpoint: Endpoint) -> FaultSpec {
        self.endpoint = Some(endpoint);
        self
    }

    /// Only on requests whose path contains `text`.
    #[must_use]
    pub fn path_contains(mut self, text: impl Into<String>) -> FaultSpec {
        self.path_contains = Some(text.into());
        self
    }

    /// After letting `n` matching requests through (e.g. 2 to fault the third page).
    #[must_use]
    pub fn skip(mut self, n: u32) -> FaultSpec {
        self.skip = n;
        self
    }

    /// On `n` matching requests (a burst).
    #[must_use]
    pub fn times(mut self, n: u32) -> FaultSpec {
        self.count = n;
        self
    }

    fn matches(&self, endpoint: Endpoint, path: &str) -> bool {
        self.endpoint.is_none_or(|e| e == endpoint)
            && self.path_contains.as_deref().is_none_or(|p| path.contains(p))
    }
}

/// A fault rule and how far it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultState {
    /// The rule's id, in order of addition.
    pub id: u64,
    /// The rule.
    pub spec: FaultSpec,
    /// Matching requests seen so far.
    pub seen: u32,
    /// Times it fired so far.
    pub fired: u32,
}

/// All fault rules.
#[derive(Debug, Default)]
pub(crate) struct FaultBook {
    rules: Vec<FaultState>,
    next_id: u64,
}

impl FaultBook {
    /// Adds a rule and returns its id.
    pub(crate) fn add(&mut self, spec: FaultSpec) -> u64 {
        self.next_id += 1;
        self.rules.push(FaultState { id: self.next_id, spec, seen: 0, fired: 0 });
        self.next_id
    }

    /// The rules and their progress.
    pub(crate) fn list(&self) -> Vec<FaultState> {
        self.rules.clone()
    }

    /// Removes every rule.
    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    /// Records a request and returns the fault to inject into it, if one is due.
    pub(crate) fn take(&mut self, endpoint: Endpoint, path: &str) -> Option<FaultKind> {
        let mut fired = None;
        for rule in self.rules.iter_mut().filter(|r| r.spec.matches(endpoint, path)) {
            rule.seen += 1;
            let due = rule.seen > rule.spec.skip && rule.fired < rule.spec.count;
            if due && fired.is_none() {
                rule.fired += 1;
                fired = Some(rule.spec.kind.clone());
            }
        }
        fired
    }
}

/// How long a hang holds a request when no duration is given.
pub(crate) const DEFAULT_HANG: Duration = Duration::from_secs(3600);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_fires_on_the_page_after_the_skipped_ones() {
        let mut book = FaultBook::default();
        book.add(
            FaultSpec::new(FaultKind::MalformedJson)
                .on(Endpoint::ListGroupUsers)
                .path_contains("/groups/00gA/")
                .skip(2),
        );
        let path = "/api/v1/groups/00gA/users";
        assert_eq!(book.take(Endpoint::ListGroupUsers, "/api/v1/groups/00gB/users"), None);
        assert_eq!(book.take(Endpoint::ListGroupUsers, path), None);
        assert_eq!(book.take(Endpoint::ListGroupUsers, path), None);
        assert_eq!(book.take(Endpoint::ListGroupUsers, path), Some(FaultKind::MalformedJson));
        assert_eq!(book.take(Endpoint::ListGroupUsers, path), None);
    }

    #[test]
    fn a_burst_fires_count_times() {
        let mut book = FaultBook::default();
        book.add(FaultSpec::new(FaultKind::Error { status: 500 }).times(3));
        let fired = (0..5).filter(|_| book.take(Endpoint::GetApp, "/x").is_some()).count();
        assert_eq!(fired, 3);
    }

    #[test]
    fn specs_read_from_json_with_defaults() {
        let spec: FaultSpec =
            serde_json::from_str(r#"{"kind":"error","status":503,"endpoint":"get_app"}"#).unwrap();
        assert_eq!(spec, FaultSpec::new(FaultKind::Error { status: 503 }).on(Endpoint::GetApp));
    }
}
