//! `ApiError`, everything that can go wrong while answering an API request, and its mapping to
//! `application/problem+json`: the only place where errors become HTTP answers.

use groupsync_core::api::{Problem, ProblemCode};

use crate::config::ConfigError;

/// The longest request path echoed back in a `not_found` detail; longer paths are cut.
const MAX_ECHOED_PATH_CHARS: usize = 200;

/// Everything that can go wrong while answering an API request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No API route matches the request's path.
    #[error("No API route matches {}.", shorten(path))]
    NotFound {
        /// The request path, as received.
        path: String,
    },
    /// A route matches the path, but not the request's method.
    #[error("This resource does not answer {method}; it answers {}.", list_methods(allowed))]
    MethodNotAllowed {
        /// The method of the request.
        method: String,
        /// The methods the resource answers, for the `Allow` header.
        allowed: Vec<&'static str>,
    },
    /// No valid identity. The reason is logged, never sent: it would help forgers.
    #[error("Sign in through Cloudflare Access, or send an API key, to use this API.")]
    Unauthenticated {
        /// Why the credentials were refused (for the logs).
        reason: String,
    },
    /// A client mistake or a refusal, with a precise detail for the caller.
    #[error("{detail}")]
    Client {
        /// The stable code.
        code: ProblemCode,
        /// What went wrong, for the caller.
        detail: String,
        /// The request field (by its API name) the mistake is in, when it is in one.
        field: Option<String>,
    },
    /// Too many requests of this kind from this caller.
    #[error("Too many requests of this kind; try again in {retry_after_s} seconds.")]
    RateLimited {
        /// Seconds until the window resets, for `Retry-After`.
        retry_after_s: u64,
    },
    /// Cloudflare Access's signing keys could not be fetched for longer than stale keys may be
    /// used (or never were), so no token can be verified: fail closed, and say so.
    #[error(
        "Cloudflare Access's signing keys could not be fetched{}; sign-ins are refused until they \
         can be. Try again in a few minutes; if this persists, the operators can find the cause in \
         the Worker's logs.",
        stale_for_s.map(|s| format!(" for over {}", duration_words(s))).unwrap_or_default()
    )]
    AccessKeysUnavailable {
        /// How long stale keys may be used, when keys were fetched once (`None`: never).
        stale_for_s: Option<u64>,
        /// Seconds until the keys are fetched again, for `Retry-After`.
        retry_after_s: u64,
    },
    /// The Worker's configuration is invalid; nothing but health is served.
    #[error("The service is misconfigured; its operators can find the cause in the Worker's logs.")]
    Misconfigured(#[source] ConfigError),
    /// Storage failed. Never sent to the client beyond a generic message.
    #[error("storage failure")]
    Internal(#[from] StoreError),
}

impl ApiError {
    /// A client error with `code` and a detail for the caller.
    pub fn client(code: ProblemCode, detail: impl Into<String>) -> Self {
        Self::Client { code, detail: detail.into(), field: None }
    }

    /// A refusal for lack of `what`.
    pub fn forbidden(what: impl Into<String>) -> Self {
        Self::client(ProblemCode::Forbidden, what)
    }

    /// An invalid value of `field`.
    pub fn invalid(field: &str, message: impl std::fmt::Display) -> Self {
        Self::about_field(ProblemCode::InvalidInput, field, message)
    }

    /// A bad query parameter `name`: 400 `invalid_query`, its detail naming it.
    pub fn invalid_query(name: &str, message: impl std::fmt::Display) -> Self {
        Self::about_field(ProblemCode::InvalidQuery, name, message)
    }

    /// A client error with `code` about the request field `field`; the detail starts with the
    /// field's name ("field: message"), for callers that read only the detail.
    pub fn about_field(code: ProblemCode, field: &str, message: impl std::fmt::Display) -> Self {
        Self::Client { code, detail: format!("{field}: {message}"), field: Some(field.to_owned()) }
    }

    /// The problem body sent to the client.
    ///
    /// Client mistakes echo a precise detail; internal failures answer with a generic one,
    /// because their causes can name tables, queries or bindings.
    pub fn to_problem(&self) -> Problem {
        let code = match self {
            Self::NotFound { .. } => ProblemCode::NotFound,
            Self::MethodNotAllowed { .. } => ProblemCode::MethodNotAllowed,
            Self::Unauthenticated { .. } => ProblemCode::Unauthenticated,
            Self::Client { code, field: Some(field), .. } => {
                return Problem::new(*code, self.to_string()).about_field(field.clone());
            }
            Self::Client { code, .. } => *code,
            Self::RateLimited { .. } => ProblemCode::RateLimited,
            Self::AccessKeysUnavailable { .. } => ProblemCode::AccessKeysUnavailable,
            Self::Misconfigured(_) => ProblemCode::Misconfigured,
            Self::Internal(_) => {
                return Problem::new(
                    ProblemCode::Internal,
                    "The service failed to answer this request. Try again; if it keeps failing, \
                     the operators can find the cause in the Worker's logs.",
                );
            }
        };
        Problem::new(code, self.to_string())
    }

    /// Whether this error is the service's fault, and so must be logged with its cause.
    pub fn is_server_error(&self) -> bool {
        self.to_problem().status >= 500
    }
}

/// A failure of D1 or KV, carrying the runtime's message for the logs.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A D1 statement failed or a binding was missing.
    #[error("D1 failed: {0}")]
    Database(String),
    /// A statement would break one of D1's limits: a bug of ours, refused before it is sent.
    #[error("D1 limit broken: {0}")]
    LimitBroken(String),
}

fn shorten(path: &str) -> String {
    if path.chars().count() <= MAX_ECHOED_PATH_CHARS {
        return path.to_owned();
    }
    let mut cut: String = path.chars().take(MAX_ECHOED_PATH_CHARS).collect();
    cut.push('…');
    cut
}

/// `3600` as "an hour", `120` as "2 minutes", `12` as "12 seconds".
fn duration_words(seconds: u64) -> String {
    match seconds {
        3_600 => "an hour".to_owned(),
        60 => "a minute".to_owned(),
        s if s % 3_600 == 0 => format!("{} hours", s / 3_600),
        s if s % 60 == 0 => format!("{} minutes", s / 60),
        1 => "a second".to_owned(),
        s => format!("{s} seconds"),
    }
}

fn list_methods(methods: &[&str]) -> String {
    methods.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_echoes_the_path_in_its_detail() {
        let problem = ApiError::NotFound { path: "/api/v1/nope".into() }.to_problem();
        assert_eq!(problem.status, 404);
        assert_eq!(problem.code, "not_found");
        assert_eq!(problem.detail, "No API route matches /api/v1/nope.");
    }

    #[test]
    fn not_found_cuts_a_very_long_path() {
        let path = format!("/api/v1/{}", "a".repeat(5_000));
        let detail = ApiError::NotFound { path }.to_problem().detail;
        assert!(detail.chars().count() < MAX_ECHOED_PATH_CHARS + 40, "{detail}");
        assert!(detail.contains('…'));
    }

    #[test]
    fn method_not_allowed_names_the_allowed_methods() {
        let error = ApiError::MethodNotAllowed { method: "DELETE".into(), allowed: vec!["GET"] };
        let problem = error.to_problem();
        assert_eq!(problem.status, 405);
        assert_eq!(problem.detail, "This resource does not answer DELETE; it answers GET.");
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let error = ApiError::from(StoreError::Database("no such table: schema_version".into()));
        let problem = error.to_problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("schema_version"), "{}", problem.detail);
        assert!(error.is_server_error());
    }

    #[test]
    fn unauthenticated_answers_never_say_why() {
        let error = ApiError::Unauthenticated {
            reason: "the token's key is not one of the issuer's keys".into(),
        };
        let problem = error.to_problem();
        assert_eq!((problem.status, problem.code.as_str()), (401, "unauthenticated"));
        assert!(!problem.detail.contains("issuer"), "{}", problem.detail);
    }

    #[test]
    fn unavailable_access_keys_are_a_503_that_says_for_how_long() {
        let error = ApiError::AccessKeysUnavailable { stale_for_s: Some(3_600), retry_after_s: 5 };
        let problem = error.to_problem();
        assert_eq!((problem.status, problem.code.as_str()), (503, "access_keys_unavailable"));
        assert!(
            problem.detail.starts_with(
                "Cloudflare Access's signing keys could not be fetched for over an hour; "
            ),
            "{}",
            problem.detail
        );
        let never = ApiError::AccessKeysUnavailable { stale_for_s: None, retry_after_s: 1 };
        assert!(never.to_problem().detail.contains("could not be fetched; sign-ins are refused"));
        let short = ApiError::AccessKeysUnavailable { stale_for_s: Some(12), retry_after_s: 1 };
        assert!(short.to_string().contains("for over 12 seconds"));
    }

    #[test]
    fn misconfiguration_is_a_generic_500() {
        let problem =
            ApiError::Misconfigured(ConfigError::DevSignInOutsideLocal("production")).to_problem();
        assert_eq!((problem.status, problem.code.as_str()), (500, "misconfigured"));
        assert!(!problem.detail.contains("DEV_SIGN_IN"));
    }
}
