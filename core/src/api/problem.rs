//! The error body of every failed edge API call: RFC 9457 problem details with a stable `code`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The media type of a [`Problem`] body.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// An RFC 9457 problem details body.
///
/// `code` is the stable, machine-readable part that clients match on; `title` and `detail` are
/// for people and may change wording between versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// A URI reference naming the problem type; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status code of the response that carried this body.
    pub status: u16,
    /// What went wrong with this request, in words meant for the person who made it.
    pub detail: String,
    /// The stable machine-readable code (see [`ProblemCode`]).
    pub code: String,
}

impl Problem {
    /// Builds the body for `code` with a request-specific `detail`.
    pub fn new(code: ProblemCode, detail: impl Into<String>) -> Self {
        Self {
            type_uri: "about:blank".to_owned(),
            title: code.title().to_owned(),
            status: code.status(),
            detail: detail.into(),
            code: code.as_str().to_owned(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.title, self.status, self.detail)
    }
}

/// The stable codes the edge API answers errors with, each bound to one HTTP status.
///
/// New codes may be added; existing ones keep their spelling and status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemCode {
    /// The path names no API resource.
    NotFound,
    /// The resource exists but does not answer this HTTP method.
    MethodNotAllowed,
    /// Storage or another internal dependency failed; the detail stays generic.
    Internal,
}

impl ProblemCode {
    /// Every code, for exhaustive tests and documentation.
    pub const ALL: [Self; 3] = [Self::NotFound, Self::MethodNotAllowed, Self::Internal];

    /// The wire spelling of the code.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Internal => "internal",
        }
    }

    /// The HTTP status every response with this code carries.
    pub const fn status(self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Internal => 500,
        }
    }

    /// The short human summary used as the problem's `title`.
    pub const fn title(self) -> &'static str {
        match self {
            Self::NotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::Internal => "Internal error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_carries_the_status_title_and_code_of_its_code() {
        let problem = Problem::new(ProblemCode::NotFound, "No API route matches /api/v1/nope.");
        assert_eq!(problem.status, 404);
        assert_eq!(problem.code, "not_found");
        assert_eq!(problem.title, "Not found");
        assert_eq!(problem.type_uri, "about:blank");
    }

    #[test]
    fn problem_serializes_type_under_its_rfc_9457_name() {
        let json = serde_json::to_value(Problem::new(ProblemCode::Internal, "x")).unwrap();
        assert_eq!(json["type"], "about:blank");
        assert!(json.get("type_uri").is_none());
    }

    #[test]
    fn codes_are_unique_and_map_to_error_statuses() {
        let mut seen = std::collections::HashSet::new();
        for code in ProblemCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate code {}", code.as_str());
            assert!(
                (400..600).contains(&code.status()),
                "{} is not an error status",
                code.as_str()
            );
        }
    }
}
