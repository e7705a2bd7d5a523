//! The checks every request passes before any handler runs.
//!
//! They are cross-site request forgery defences for state-changing requests, and the body's
//! size and type. Pure, over the few request facts they need, so they are tested natively.
//!
//! Behind Cloudflare Access, a browser's requests carry its identity automatically (Access turns
//! its cookie into the JWT header), so a state-changing request must prove that this app's own
//! page sent it: a custom header (which no cross-site form can set), a JSON body type (which no
//! cross-site form can send without a CORS preflight, and this API answers no preflight), and,
//! when the browser says, a same-origin `Origin` and `Sec-Fetch-Site`.

use groupsync_core::api::ProblemCode;

use crate::error::ApiError;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The header that state-changing requests must carry, with this value.
pub const CSRF_HEADER: (&str, &str) = ("X-Requested-By", "okta-groups-sync");

/// What the checks look at.
#[derive(Debug, Clone, Default)]
pub struct RequestFacts<'a> {
    /// The method.
    pub method: &'a str,
    /// This request's own origin (`https://app.example.com`).
    pub own_origin: &'a str,
    /// The `Origin` header.
    pub origin: Option<&'a str>,
    /// The `Sec-Fetch-Site` header.
    pub sec_fetch_site: Option<&'a str>,
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// The `Content-Length` header.
    pub content_length: Option<&'a str>,
    /// The value of [`CSRF_HEADER`].
    pub csrf_header: Option<&'a str>,
}

/// Whether the method changes state.
pub fn is_write(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// Checks a request before routing to its handler.
///
/// # Errors
///
/// `csrf_rejected` (403), `payload_too_large` (413) or `unsupported_media_type` (415).
pub fn check(facts: &RequestFacts<'_>) -> Result<(), ApiError> {
    if let Some(length) = facts.content_length {
        let too_large = length.trim().parse::<u64>().map_or(true, |l| l > MAX_BODY_BYTES as u64);
        if too_large {
            return Err(too_large_error(MAX_BODY_BYTES));
        }
    }
    if !is_write(facts.method) {
        return Ok(());
    }
    if facts.csrf_header != Some(CSRF_HEADER.1) {
        return Err(ApiError::client(
            ProblemCode::CsrfRejected,
            format!(
                "State-changing requests must carry the header {}: {}.",
                CSRF_HEADER.0, CSRF_HEADER.1
            ),
        ));
    }
    if let Some(site) = facts.sec_fetch_site
        && !matches!(site, "same-origin" | "none")
    {
        return Err(ApiError::client(
            ProblemCode::CsrfRejected,
            "The request came from another site.",
        ));
    }
    if let Some(origin) = facts.origin
        && !origin.eq_ignore_ascii_case(facts.own_origin)
    {
        return Err(ApiError::client(
            ProblemCode::CsrfRejected,
            "The request came from another origin.",
        ));
    }
    let is_json = facts.content_type.is_some_and(|t| {
        t.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    });
    let has_body = facts.content_length.is_some_and(|l| l.trim() != "0");
    if has_body && !is_json {
        return Err(ApiError::client(
            ProblemCode::UnsupportedMediaType,
            "Send the request body as application/json.",
        ));
    }
    Ok(())
}

/// The error for a body over its cap (also when the length was not declared): [`MAX_BODY_BYTES`]
/// for the API's JSON bodies.
pub fn too_large_error(cap: usize) -> ApiError {
    ApiError::client(
        ProblemCode::PayloadTooLarge,
        format!("The request body is larger than {cap} bytes."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write() -> RequestFacts<'static> {
        RequestFacts {
            method: "PUT",
            own_origin: "https://app.example.com",
            origin: Some("https://app.example.com"),
            sec_fetch_site: Some("same-origin"),
            content_type: Some("application/json; charset=utf-8"),
            content_length: Some("42"),
            csrf_header: Some("okta-groups-sync"),
        }
    }

    fn code(facts: &RequestFacts<'_>) -> Option<String> {
        check(facts).err().map(|e| e.to_problem().code)
    }

    #[test]
    fn every_method_but_the_safe_ones_is_a_write() {
        for method in ["POST", "PUT", "DELETE", "PATCH", "PROPFIND"] {
            assert!(is_write(method), "{method}");
        }
        for method in ["GET", "HEAD", "OPTIONS"] {
            assert!(!is_write(method), "{method}");
        }
    }

    #[test]
    fn a_same_origin_json_write_with_the_header_passes() {
        assert_eq!(code(&write()), None);
        let curl = RequestFacts { origin: None, sec_fetch_site: None, ..write() };
        assert_eq!(code(&curl), None, "non-browser clients send neither header");
    }

    #[test]
    fn cross_site_writes_are_refused() {
        let cases = [
            RequestFacts { csrf_header: None, ..write() },
            RequestFacts { csrf_header: Some("other"), ..write() },
            RequestFacts { sec_fetch_site: Some("cross-site"), ..write() },
            RequestFacts { sec_fetch_site: Some("same-site"), ..write() },
            RequestFacts { origin: Some("https://evil.example.com"), ..write() },
            RequestFacts { origin: Some("null"), ..write() },
            RequestFacts { origin: Some("http://app.example.com"), ..write() },
        ];
        for facts in cases {
            assert_eq!(code(&facts).as_deref(), Some("csrf_rejected"), "{facts:?}");
        }
    }

    #[test]
    fn form_and_text_bodies_are_refused() {
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data"),
        ] {
            let facts = RequestFacts { content_type, ..write() };
            assert_eq!(code(&facts).as_deref(), Some("unsupported_media_type"), "{content_type:?}");
        }
    }

    #[test]
    fn oversized_or_unreadable_lengths_are_refused_on_every_method() {
        for length in ["65537", "99999999999", "-1", "x"] {
            let facts = RequestFacts { method: "GET", content_length: Some(length), ..write() };
            assert_eq!(code(&facts).as_deref(), Some("payload_too_large"), "{length}");
        }
        let at_cap = RequestFacts { content_length: Some("65536"), ..write() };
        assert_eq!(code(&at_cap), None);
    }

    #[test]
    fn reads_need_no_header() {
        let read = RequestFacts {
            method: "GET",
            csrf_header: None,
            content_type: None,
            content_length: None,
            ..write()
        };
        assert_eq!(code(&read), None);
    }
}
