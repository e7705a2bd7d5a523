//! Okta's error responses: each failure the fake can answer with, its HTTP status, its
//! `errorCode` and the `{errorCode, errorSummary, errorLink, errorId, errorCauses}` body
//! (CONTRACT §3). `errorLink` equals `errorCode`, as on real Okta.

use serde_json::{Value, json};

/// A failure answered with an Okta error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OktaError {
    /// 400 `E0000001`: a query parameter failed validation (`field`, with one cause).
    Validation { field: &'static str, cause: String },
    /// 400 `E0000031`: a `search` or `filter` expression could not be parsed.
    InvalidSearch,
    /// 401 `E0000011`: no token, an unknown or revoked token, or not the `SSWS` scheme.
    InvalidToken,
    /// 403 `E0000006`: the token may not use this endpoint.
    Forbidden,
    /// 404 `E0000007`: no such resource (`id` of type `kind`, e.g. `UserGroup`).
    NotFound { id: String, kind: &'static str },
    /// 405 `E0000022`: the method is not supported on this path.
    MethodNotAllowed,
    /// 429 `E0000047`: a rate limit (bucket, token share or concurrency) was exceeded.
    RateLimited,
    /// 500 `E0000009`: an internal error (injected by a fault).
    Internal,
    /// 503 `E0000010`: the service is unavailable (injected by a fault).
    Unavailable,
}

impl OktaError {
    /// The error Okta answers with for an HTTP status (used by injected error faults).
    pub(crate) fn for_status(status: u16, path: &str) -> OktaError {
        match status {
            400 => OktaError::Validation { field: "request", cause: "injected fault".into() },
            401 => OktaError::InvalidToken,
            403 => OktaError::Forbidden,
            404 => OktaError::NotFound { id: path.to_owned(), kind: "Path" },
            405 => OktaError::MethodNotAllowed,
            429 => OktaError::RateLimited,
            503 => OktaError::Unavailable,
            _ => OktaError::Internal,
        }
    }

    /// The HTTP status.
    pub(crate) fn status(&self) -> u16 {
        match self {
            OktaError::Validation { .. } | OktaError::InvalidSearch => 400,
            OktaError::InvalidToken => 401,
            OktaError::Forbidden => 403,
            OktaError::NotFound { .. } => 404,
            OktaError::MethodNotAllowed => 405,
            OktaError::RateLimited => 429,
            OktaError::Internal => 500,
            OktaError::Unavailable => 503,
        }
    }

    /// The `errorCode`.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            OktaError::Validation { .. } => "E0000001",
            OktaError::InvalidSearch => "E0000031",
            OktaError::InvalidToken => "E0000011",
            OktaError::Forbidden => "E0000006",
            OktaError::NotFound { .. } => "E0000007",
            OktaError::MethodNotAllowed => "E0000022",
            OktaError::RateLimited => "E0000047",
            OktaError::Internal => "E0000009",
            OktaError::Unavailable => "E0000010",
        }
    }

    fn summary(&self) -> String {
        match self {
            OktaError::Validation { field, .. } => format!("Api validation failed: {field}"),
            OktaError::InvalidSearch => "Invalid search criteria.".into(),
            OktaError::InvalidToken => "Invalid token provided".into(),
            OktaError::Forbidden => {
                "You do not have permission to perform the requested action".into()
            }
            OktaError::NotFound { id, kind } => {
                format!("Not found: Resource not found: {id} ({kind})")
            }
            OktaError::MethodNotAllowed => {
                "The endpoint does not support the provided HTTP method".into()
            }
            OktaError::RateLimited => {
                "API call exceeded rate limit due to too many requests.".into()
            }
            OktaError::Internal => "Internal Server Error".into(),
            OktaError::Unavailable => "Service unavailable. Please try again later.".into(),
        }
    }

    /// The Okta error body; `error_id` identifies the request.
    pub(crate) fn body(&self, error_id: &str) -> Value {
        let causes: Vec<Value> = match self {
            OktaError::Validation { cause, .. } => vec![json!({ "errorSummary": cause })],
            _ => Vec::new(),
        };
        json!({
            "errorCode": self.code(),
            "errorSummary": self.summary(),
            "errorLink": self.code(),
            "errorId": error_id,
            "errorCauses": causes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_names_the_resource_and_its_type() {
        let body = OktaError::NotFound { id: "00gX".into(), kind: "UserGroup" }.body("oae1");
        assert_eq!(body["errorSummary"], "Not found: Resource not found: 00gX (UserGroup)");
        assert_eq!(body["errorLink"], "E0000007");
        assert_eq!(body["errorCauses"], json!([]));
    }

    #[test]
    fn validation_errors_carry_one_cause() {
        let e = OktaError::Validation { field: "limit", cause: "limit: bad".into() };
        assert_eq!(e.body("x")["errorCauses"][0]["errorSummary"], "limit: bad");
        assert_eq!(e.status(), 400);
    }
}
