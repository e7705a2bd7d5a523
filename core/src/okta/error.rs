//! [`OktaError`]: why a call to Okta failed, typed by Okta's `errorCode` and HTTP status, with
//! Okta's request id for support. Nothing in it ever holds the token.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use super::oauth::{OAuthError, OAuthErrorKind};

/// A failed call to Okta.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OktaError {
    /// What went wrong.
    pub kind: OktaErrorKind,
    /// Okta's `X-Okta-Request-Id` of the failing answer, when there was one.
    pub request_id: Option<String>,
}

impl OktaError {
    pub(crate) fn new(kind: OktaErrorKind, request_id: Option<String>) -> Self {
        Self { kind, request_id }
    }
}

impl fmt::Display for OktaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(id) = &self.request_id {
            write!(f, " (Okta request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for OktaError {}

/// The kinds of failure, each with what the product should do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OktaErrorKind {
    /// 401 (`E0000011` and friends): the token is wrong, expired or revoked; ask for a new one.
    #[error("Okta rejected the API token (invalid, expired or revoked)")]
    InvalidToken,
    /// 403 (`E0000006`): the token's admin lacks a permission this call needs.
    #[error("the API token may not make this request (missing permission)")]
    PermissionDenied,
    /// 404 (`E0000007`): the app, group or user does not exist (or is not visible to the token).
    #[error("Okta has no such {0}")]
    NotFound(&'static str),
    /// 429 (`E0000047`) after every allowed retry.
    #[error("Okta's rate limit was still exceeded after {retries} retries")]
    RateLimited {
        /// How many times the request was retried after waiting.
        retries: u32,
    },
    /// A 5xx after every allowed retry.
    #[error("Okta failed with HTTP {status}{}", code_suffix(error_code.as_deref()))]
    Upstream {
        /// The last status.
        status: u16,
        /// Okta's `errorCode`, when the body had one.
        error_code: Option<String>,
    },
    /// Another 4xx: the request itself was refused (a bug here, or an unsupported tenant).
    #[error("Okta refused the request with HTTP {status}{}", code_suffix(error_code.as_deref()))]
    Rejected {
        /// The status.
        status: u16,
        /// Okta's `errorCode`, when the body had one.
        error_code: Option<String>,
    },
    /// No answer within the per-request timeout, after every allowed retry.
    #[error("Okta did not answer within {0:?}")]
    Timeout(Duration),
    /// A 3xx: redirects are never followed, so that the token goes nowhere but the tenant.
    #[error("Okta answered with a redirect (HTTP {0}), which is never followed")]
    Redirect(u16),
    /// A success whose body was not the JSON expected (malformed or cut off).
    #[error("Okta's answer could not be read: {0}")]
    Malformed(String),
    /// The body exceeded the response-size cap.
    #[error("Okta's answer was larger than the {0}-byte cap")]
    TooLarge(usize),
    /// A `next` link pointed to another scheme, host or port than the tenant's.
    #[error("Okta's next-page link points away from the tenant ({0}); it was not followed")]
    ForeignNextLink(String),
    /// A `next` link led back to a page already read.
    #[error("Okta's paging looped back to a page already read")]
    PaginationLoop,
    /// A listing had more pages than the cap allows.
    #[error("the listing exceeded the cap of {0} pages")]
    TooManyPages(usize),
    /// The network failed (DNS, connection refused or reset) after every allowed retry.
    #[error("Okta could not be reached: {0}")]
    Unreachable(String),
    /// An id or email given to the client cannot be sent to Okta.
    #[error("{0}")]
    InvalidInput(String),
    /// A service app got no access token: Okta's token endpoint refused the request (wrong
    /// client id or key, scopes not granted, the app's `DPoP` setting), or, on a resource call,
    /// refused the `DPoP` proof. The OAuth error says which, phrased for the admin.
    #[error("{0}")]
    TokenRefused(OAuthError),
    /// 403 `insufficient_scope`: the service app's token lacks a scope this call needs.
    #[error(
        "the service app may not make this request: grant {} on the app's Okta API Scopes tab",
        .0.as_deref().unwrap_or("okta.apps.read, okta.groups.read and okta.users.read")
    )]
    MissingScope(Option<String>),
    /// 403 (`E0000006`) to a service app whose token has the scopes: it has no admin role, or one
    /// that does not cover this app, its groups or their members.
    #[error(
        "the service app may not make this request: assign it an admin role that can read the \
         app, its groups and their members"
    )]
    NoAdminRole,
}

/// What is wrong with a service app's setup, for "Test connection" to name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceAppProblem {
    /// Okta did not accept the client: a wrong client id, or the key registered on the app is
    /// not this product's (`invalid_client`, `unauthorized_client`).
    InvalidClient,
    /// A scope is not granted (`invalid_scope` at the token endpoint, or 403
    /// `insufficient_scope` on a call).
    MissingScope,
    /// The `DPoP` proof was refused, or the nonce challenge repeated: the app's `DPoP` setting or
    /// this server's clock.
    Dpop,
    /// The app has no admin role that covers the call.
    NoAdminRole,
}

impl OktaErrorKind {
    /// The service-app misconfiguration this failure points to, if any.
    pub fn service_app_problem(&self) -> Option<ServiceAppProblem> {
        match self {
            Self::TokenRefused(error) => match error.kind {
                OAuthErrorKind::InvalidClient | OAuthErrorKind::UnauthorizedClient => {
                    Some(ServiceAppProblem::InvalidClient)
                }
                OAuthErrorKind::InvalidScope => Some(ServiceAppProblem::MissingScope),
                OAuthErrorKind::InvalidDpopProof | OAuthErrorKind::UseDpopNonce(_) => {
                    Some(ServiceAppProblem::Dpop)
                }
                OAuthErrorKind::InvalidGrant | OAuthErrorKind::Other(_) => None,
            },
            Self::MissingScope(_) => Some(ServiceAppProblem::MissingScope),
            Self::NoAdminRole => Some(ServiceAppProblem::NoAdminRole),
            _ => None,
        }
    }
}

fn code_suffix(code: Option<&str>) -> String {
    code.map(|c| format!(" ({c})")).unwrap_or_default()
}

/// Okta's error body; only `errorCode` is meant for program logic.
#[derive(Debug, Deserialize)]
pub(crate) struct OktaErrorBody {
    #[serde(rename = "errorCode")]
    pub(crate) error_code: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_failure_and_okta_request_id() {
        let error = OktaError::new(
            OktaErrorKind::Upstream { status: 503, error_code: Some("E0000010".into()) },
            Some("reqAbc123".into()),
        );
        assert_eq!(
            error.to_string(),
            "Okta failed with HTTP 503 (E0000010) (Okta request id reqAbc123)"
        );
    }
}
