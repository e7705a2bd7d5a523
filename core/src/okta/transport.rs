//! The seam between the client and the network: [`HttpTransport`] sends one GET (or, for a
//! service app's token request, one form POST), [`Clock`] tells the time and sleeps. Natively they are reqwest and tokio; in the Worker, Workers fetch
//! and timers.

use std::fmt;
use std::future::Future;
use std::time::Duration;

/// One request to Okta: a GET, or the body-less part of a form POST
/// ([`HttpTransport::post_form`]).
#[derive(Clone)]
pub struct HttpRequest {
    /// The absolute URL, sent exactly as given.
    pub url: String,
    /// Request headers, including `Authorization` (and `DPoP` for a `DPoP`-bound token).
    pub headers: Vec<(&'static str, String)>,
    /// The largest body the transport may read; a larger one is [`TransportError::BodyTooLarge`].
    pub max_body_bytes: usize,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The Authorization header carries the token and the DPoP header a proof bound to it:
        // show that they are there, never their values.
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                if name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("dpop") {
                    (*name, "<redacted>")
                } else {
                    (*name, value.as_str())
                }
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("url", &self.url)
            .field("headers", &headers)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

/// Okta's answer, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Headers in arrival order; a header sent on several lines appears several times.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every value of header `name` (case-insensitive), in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request got no HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The body was larger than the request's `max_body_bytes`.
    #[error("the answer was larger than {0} bytes")]
    BodyTooLarge(usize),
    /// Connecting, sending or reading failed (DNS, refused, reset, a body cut off).
    #[error("{0}")]
    Failed(String),
}

/// Sends requests. Implementations must not follow redirects (a 3xx is returned as is), and
/// must stop reading a body at `max_body_bytes`. Timeouts are the client's job.
#[expect(async_fn_in_trait, reason = "the Worker's futures are not Send; neither need be")]
pub trait HttpTransport {
    /// Sends `request` as a GET and returns the answer, whatever its status.
    async fn get(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;

    /// Sends `request` as a POST with `body` (its `Content-Type` is among the request's headers)
    /// and returns the answer, whatever its status. Only a service app's token request uses it;
    /// the body holds a client assertion, so it must never be logged.
    ///
    /// The default refuses: a transport that is only ever used with an SSWS API token need not
    /// implement it.
    async fn post_form(
        &self,
        request: HttpRequest,
        body: String,
    ) -> Result<HttpResponse, TransportError> {
        let _ = (request, body);
        Err(TransportError::Failed("this transport cannot send POST requests".into()))
    }
}

/// The time, and a way to wait.
pub trait Clock {
    /// Milliseconds since the Unix epoch, by the local clock.
    fn now_ms(&self) -> u64;

    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_debug_redacts_the_authorization_header() {
        let request = HttpRequest {
            url: "https://acme.okta.com/api/v1/groups".into(),
            headers: vec![
                ("Authorization", "SSWS 00canary".into()),
                ("DPoP", "eyJcanary-proof".into()),
                ("Accept", "application/json".into()),
            ],
            max_body_bytes: 10,
        };
        let debug = format!("{request:?}");
        assert!(!debug.contains("canary"), "{debug}");
        assert!(debug.contains("application/json"), "{debug}");
    }

    #[test]
    fn headers_are_found_case_insensitively_and_repeated_lines_kept() {
        let response = HttpResponse {
            status: 200,
            headers: vec![
                ("link".into(), "<a>; rel=\"self\"".into()),
                ("Link".into(), "<b>; rel=\"next\"".into()),
            ],
            body: Vec::new(),
        };
        assert_eq!(response.header("LINK"), Some("<a>; rel=\"self\""));
        assert_eq!(response.headers_named("link").count(), 2);
    }
}
