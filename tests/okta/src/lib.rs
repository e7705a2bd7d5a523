//! The Okta client's seam on a native machine: [`ReqwestTransport`] (no redirects followed, a
//! capped body), [`TokioClock`] and [`unique_id`] (a service app's `jti`s), for the client's
//! tests and benchmark against the fake Okta.
//! The Worker plugs in Workers fetch instead (`edge/src/adapters/okta_http.rs`).

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use groupsync_core::okta::{Clock, HttpRequest, HttpResponse, HttpTransport, TransportError};

/// Sends the Okta client's requests with reqwest.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    http: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport that never follows redirects.
    ///
    /// # Panics
    ///
    /// When the HTTP client cannot be built (no TLS backend is involved, so it always can).
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client without TLS builds");
        Self { http }
    }
}

impl Default for ReqwestTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpTransport for ReqwestTransport {
    async fn get(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let outgoing = self.http.get(&request.url);
        send(outgoing, &request).await
    }

    async fn post_form(
        &self,
        request: HttpRequest,
        body: String,
    ) -> Result<HttpResponse, TransportError> {
        let outgoing = self.http.post(&request.url).body(body);
        send(outgoing, &request).await
    }
}

/// Sends `outgoing` with `request`'s headers and reads the answer up to its body cap.
async fn send(
    mut outgoing: reqwest::RequestBuilder,
    request: &HttpRequest,
) -> Result<HttpResponse, TransportError> {
    let failed = |e: reqwest::Error| TransportError::Failed(e.to_string());
    for (name, value) in &request.headers {
        outgoing = outgoing.header(*name, value);
    }
    let response = outgoing.send().await.map_err(failed)?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned())
        })
        .collect();
    if response.content_length().is_some_and(|l| l > request.max_body_bytes as u64) {
        return Err(TransportError::BodyTooLarge(request.max_body_bytes));
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk.map_err(failed)?);
        if body.len() > request.max_body_bytes {
            return Err(TransportError::BodyTooLarge(request.max_body_bytes));
        }
    }
    Ok(HttpResponse { status, headers, body })
}

/// The system clock and tokio's timers.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now_ms(&self) -> u64 {
        let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX)
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> {
        tokio::time::sleep(duration)
    }
}

/// A text never returned twice by this process, for a service app's `jti`s: a process-wide
/// counter after the time the first one was made (so two test processes do not collide either).
pub fn unique_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static START: std::sync::OnceLock<u128> = std::sync::OnceLock::new();
    let start = START.get_or_init(|| {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos()
    });
    format!("{start:x}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}
