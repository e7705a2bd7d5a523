//! The Okta client's seam in the Workers runtime: [`WorkersFetch`] sends through Workers fetch
//! (GETs, and a service app's form-encoded token requests)
//! with redirects left unfollowed (so the token goes nowhere but the tenant) and a capped body,
//! and [`WorkersClock`] tells the time and sleeps with the runtime's timers.

use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt;
use groupsync_core::okta::{Clock, HttpRequest, HttpResponse, HttpTransport, TransportError};
use worker::wasm_bindgen::JsValue;
use worker::{Date, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect};

/// Sends the Okta client's requests with Workers fetch.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WorkersFetch;

impl HttpTransport for WorkersFetch {
    async fn get(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        send(Method::Get, request, None).await
    }

    async fn post_form(
        &self,
        request: HttpRequest,
        body: String,
    ) -> Result<HttpResponse, TransportError> {
        send(Method::Post, request, Some(body)).await
    }
}

/// Sends `request` (its headers carry the body's type), redirects unfollowed, and reads the answer
/// up to the request's body cap.
async fn send(
    method: Method,
    request: HttpRequest,
    body: Option<String>,
) -> Result<HttpResponse, TransportError> {
    let failed = |e: worker::Error| TransportError::Failed(e.to_string());
    let headers = Headers::new();
    for (name, value) in &request.headers {
        headers.set(name, value).map_err(failed)?;
    }
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(headers).with_redirect(RequestRedirect::Manual);
    if let Some(body) = body {
        init.with_body(Some(JsValue::from_str(&body)));
    }
    let outgoing = Request::new_with_init(&request.url, &init).map_err(failed)?;
    let mut response = Fetch::Request(outgoing).send().await.map_err(failed)?;

    // Workers joins repeated header lines with ", "; the Link parser splits them again.
    let headers: Vec<(String, String)> = response.headers().entries().collect();
    let declared_length = response.headers().get("content-length").ok().flatten();
    if declared_length
        .and_then(|l| l.parse::<usize>().ok())
        .is_some_and(|l| l > request.max_body_bytes)
    {
        return Err(TransportError::BodyTooLarge(request.max_body_bytes));
    }
    let mut body = Vec::new();
    let mut stream = response.stream().map_err(failed)?;
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk.map_err(failed)?);
        if body.len() > request.max_body_bytes {
            return Err(TransportError::BodyTooLarge(request.max_body_bytes));
        }
    }
    Ok(HttpResponse { status: response.status_code(), headers, body })
}

/// The Workers runtime's clock and timers.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WorkersClock;

impl Clock for WorkersClock {
    fn now_ms(&self) -> u64 {
        Date::now().as_millis()
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> {
        Delay::from(duration)
    }
}
