//! The error body of every failed edge API call: RFC 9457 problem details with a stable `code`.

use std::fmt;

use serde::{Deserialize, Serialize};

#[cfg(feature = "schema")]
use super::examples;

/// The media type of a [`Problem`] body.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// An RFC 9457 problem details body.
///
/// `code` is the stable, machine-readable part that clients match on; `title` and `detail` are
/// for people and may change wording between versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(example = examples::problem()))]
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
    /// The stable machine-readable code (see `ProblemCode`).
    #[cfg_attr(feature = "schema", schemars(with = "ProblemCode"))]
    pub code: String,
    /// The request field (body member or query parameter, by its API name) the problem is about,
    /// when it is about one: a client can mark that input without reading `detail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
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
            field: None,
        }
    }

    /// The same problem, about the request field `field`.
    #[must_use]
    pub fn about_field(self, field: impl Into<String>) -> Self {
        Self { field: Some(field.into()), ..self }
    }

    /// The detail without the `field: ` it starts with when it is about a field, e.g. "the host
    /// must be…" for "`tenant_url`: the host must be…".
    pub fn message(&self) -> &str {
        self.field
            .as_deref()
            .and_then(|field| self.detail.strip_prefix(field))
            .and_then(|rest| rest.strip_prefix(": "))
            .unwrap_or(&self.detail)
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
// Not (de)serialized itself: `Problem` carries it as text spelled by `as_str`, which is each
// variant's name in snake_case, so the derived schema's values are those (a test checks each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(rename_all = "snake_case"))]
pub enum ProblemCode {
    /// The request carries no valid identity (no, or an invalid, Access JWT or API key).
    Unauthenticated,
    /// The caller may not do this.
    Forbidden,
    /// The change would hand out (or take away) access the caller does not hold themselves;
    /// `detail` names the role and the permission.
    BeyondOwnAccess,
    /// A state-changing request failed the cross-site request checks.
    CsrfRejected,
    /// The path names no API resource.
    NotFound,
    /// The resource exists but does not answer this HTTP method.
    MethodNotAllowed,
    /// The body is not valid JSON, or not of the expected shape.
    InvalidJson,
    /// The body parsed, but a value is invalid; `detail` names it.
    InvalidInput,
    /// A query parameter is unknown, repeated, malformed or out of range; `detail` names it.
    InvalidQuery,
    /// The body is larger than the 64 KiB cap.
    PayloadTooLarge,
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// Groups come from Okta while sync is on, so none can be made by hand.
    SyncEnabled,
    /// Changing the tenant URL or App ID needs the API token again.
    TokenRequired,
    /// The token is a deployment secret, so the settings cannot be changed here.
    TokenManagedByDeployment,
    /// The deployment's token is bound to its tenant (`OKTA_TENANT_URL`) and is never sent to
    /// another one.
    DeploymentTenantMismatch,
    /// The stored token was encrypted with a key the deployment no longer has.
    TokenKeyChanged,
    /// The last superAdmin cannot be removed.
    LastSuperAdmin,
    /// It exists already.
    AlreadyExists,
    /// The resource is not in a state that allows this (for example, a run not held).
    Conflict,
    /// Someone else changed it first: reload, then apply the change again.
    VersionConflict,
    /// The connection test with the given settings failed; nothing was saved.
    OktaTestFailed,
    /// Okta has no user with the email invited (or could not be asked): sending again with
    /// `confirm_unknown` invites them anyway.
    UnknownToOkta,
    /// Okta is not configured yet.
    OktaNotConfigured,
    /// Too many requests of this kind; retry after the `Retry-After` seconds.
    RateLimited,
    /// Cloudflare Access's signing keys could not be fetched for too long, so no token can be
    /// verified: sign-ins fail closed until the keys can be fetched again.
    AccessKeysUnavailable,
    /// The Worker's configuration is invalid; nothing is served until an operator fixes it.
    Misconfigured,
    /// Storage or another internal dependency failed; the detail stays generic.
    Internal,
}

impl ProblemCode {
    /// Every code, for exhaustive tests and documentation.
    pub const ALL: [Self; 27] = [
        Self::Unauthenticated,
        Self::Forbidden,
        Self::BeyondOwnAccess,
        Self::CsrfRejected,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::InvalidJson,
        Self::InvalidInput,
        Self::InvalidQuery,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::SyncEnabled,
        Self::TokenRequired,
        Self::TokenManagedByDeployment,
        Self::DeploymentTenantMismatch,
        Self::TokenKeyChanged,
        Self::LastSuperAdmin,
        Self::AlreadyExists,
        Self::Conflict,
        Self::VersionConflict,
        Self::OktaTestFailed,
        Self::UnknownToOkta,
        Self::OktaNotConfigured,
        Self::RateLimited,
        Self::AccessKeysUnavailable,
        Self::Misconfigured,
        Self::Internal,
    ];

    /// The wire spelling of the code.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::BeyondOwnAccess => "beyond_own_access",
            Self::CsrfRejected => "csrf_rejected",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::InvalidJson => "invalid_json",
            Self::InvalidInput => "invalid_input",
            Self::InvalidQuery => "invalid_query",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::SyncEnabled => "sync_enabled",
            Self::TokenRequired => "token_required",
            Self::TokenManagedByDeployment => "token_managed_by_deployment",
            Self::DeploymentTenantMismatch => "deployment_tenant_mismatch",
            Self::TokenKeyChanged => "token_key_changed",
            Self::LastSuperAdmin => "last_super_admin",
            Self::AlreadyExists => "already_exists",
            Self::Conflict => "conflict",
            Self::VersionConflict => "version_conflict",
            Self::OktaTestFailed => "okta_test_failed",
            Self::UnknownToOkta => "unknown_to_okta",
            Self::OktaNotConfigured => "okta_not_configured",
            Self::RateLimited => "rate_limited",
            Self::AccessKeysUnavailable => "access_keys_unavailable",
            Self::Misconfigured => "misconfigured",
            Self::Internal => "internal",
        }
    }

    /// The HTTP status every response with this code carries.
    pub const fn status(self) -> u16 {
        match self {
            Self::InvalidJson | Self::InvalidQuery => 400,
            Self::Unauthenticated => 401,
            Self::Forbidden | Self::BeyondOwnAccess | Self::CsrfRejected => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::SyncEnabled
            | Self::TokenManagedByDeployment
            | Self::DeploymentTenantMismatch
            | Self::TokenKeyChanged
            | Self::LastSuperAdmin
            | Self::AlreadyExists
            | Self::Conflict
            | Self::VersionConflict
            | Self::OktaNotConfigured => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::InvalidInput
            | Self::TokenRequired
            | Self::OktaTestFailed
            | Self::UnknownToOkta => 422,
            Self::RateLimited => 429,
            Self::Misconfigured | Self::Internal => 500,
            Self::AccessKeysUnavailable => 503,
        }
    }

    /// The short human summary used as the problem's `title`.
    pub const fn title(self) -> &'static str {
        match self {
            Self::Unauthenticated => "Sign-in required",
            Self::Forbidden => "Not allowed",
            Self::BeyondOwnAccess => "Beyond your own access",
            Self::CsrfRejected => "Cross-site request refused",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::InvalidJson => "Invalid request body",
            Self::InvalidInput => "Invalid input",
            Self::InvalidQuery => "Invalid query parameter",
            Self::PayloadTooLarge => "Request body too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::SyncEnabled => "Okta sync is on",
            Self::TokenRequired => "API token required",
            Self::TokenManagedByDeployment => "Token managed by the deployment",
            Self::DeploymentTenantMismatch => "Tenant set by the deployment",
            Self::TokenKeyChanged => "Encryption key changed",
            Self::LastSuperAdmin => "Last superAdmin",
            Self::AlreadyExists => "Already exists",
            Self::Conflict => "Conflict",
            Self::VersionConflict => "Changed by someone else",
            Self::OktaTestFailed => "Okta connection test failed",
            Self::UnknownToOkta => "Not a user in Okta",
            Self::OktaNotConfigured => "Okta not configured",
            Self::RateLimited => "Too many requests",
            Self::AccessKeysUnavailable => "Sign-in keys unavailable",
            Self::Misconfigured => "Service misconfigured",
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
    fn a_problem_about_a_field_names_it_apart_from_its_message() {
        let problem = Problem::new(ProblemCode::InvalidInput, "email: enter an email address")
            .about_field("email");
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["field"], "email");
        assert_eq!(problem.message(), "enter an email address");
        let general = Problem::new(ProblemCode::Conflict, "email: not a field problem");
        assert!(serde_json::to_value(&general).unwrap().get("field").is_none(), "omitted");
        assert_eq!(general.message(), "email: not a field problem", "no field, the whole detail");
        let old: Problem = serde_json::from_value(serde_json::json!({
            "type": "about:blank", "title": "t", "status": 400, "detail": "d", "code": "invalid_input"
        }))
        .unwrap();
        assert_eq!(old.field, None, "answers without the member still read");
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
