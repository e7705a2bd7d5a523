//! Turning handler results into HTTP responses: JSON bodies, problem+json errors (logged once,
//! here) and the headers every API response carries.

use groupsync_core::api::{PROBLEM_CONTENT_TYPE, Problem};
use serde::Serialize;
use worker::{Headers, Response, console_error, console_warn};

use crate::error::{ApiError, StoreError};

/// A JSON response with `status`.
pub(crate) fn json<T: Serialize>(body: &T, status: u16) -> Result<Response, ApiError> {
    Response::from_json(body).map(|response| response.with_status(status)).map_err(|e| {
        ApiError::Internal(StoreError::Database(format!("serializing a response: {e}")))
    })
}

/// A `200` whose body is JSON text already made (the OpenAPI document).
pub(crate) fn json_text(body: &str) -> Result<Response, ApiError> {
    let failed =
        |e: worker::Error| ApiError::Internal(StoreError::Database(format!("a response: {e}")));
    let response = Response::ok(body).map_err(failed)?;
    response.headers().set("Content-Type", "application/json").map_err(failed)?;
    Ok(response)
}

/// An empty `204 No Content`.
pub(crate) fn no_content() -> Result<Response, ApiError> {
    Response::empty()
        .map(|response| response.with_status(204))
        .map_err(|e| ApiError::Internal(StoreError::Database(format!("an empty response: {e}"))))
}

/// Finishes a request: maps an error to its problem+json answer and adds the API headers.
pub(crate) fn finish(result: Result<Response, ApiError>) -> worker::Result<Response> {
    let mut response = match result {
        Ok(response) => response,
        Err(error) => {
            match &error {
                error if error.is_server_error() => {
                    console_error!("request failed: {error}: {}", source_chain(error));
                }
                // Why credentials were refused goes to the logs only, never to the caller.
                ApiError::Unauthenticated { reason } => {
                    console_warn!("unauthenticated request: {reason}");
                }
                _ => {}
            }
            problem_response(&error)?
        }
    };
    add_security_headers(response.headers_mut())?;
    Ok(response)
}

fn problem_response(error: &ApiError) -> worker::Result<Response> {
    let problem: Problem = error.to_problem();
    let headers = Headers::new();
    headers.set("Content-Type", PROBLEM_CONTENT_TYPE)?;
    match error {
        ApiError::MethodNotAllowed { allowed, .. } => {
            headers.set("Allow", &allowed.join(", "))?;
        }
        ApiError::RateLimited { retry_after_s }
        | ApiError::AccessKeysUnavailable { retry_after_s, .. } => {
            headers.set("Retry-After", &retry_after_s.to_string())?;
        }
        ApiError::Unauthenticated { .. } => headers.set("WWW-Authenticate", "Bearer")?,
        _ => {}
    }
    let body = serde_json::to_string(&problem)?;
    Ok(Response::ok(body)?.with_status(problem.status).with_headers(headers))
}

/// Headers that every API answer carries: per-caller answers are never cached, browsers must not
/// guess types, render the JSON as a page, frame it, or send referrers; HTTPS is sticky. No CORS
/// header is ever sent: other origins cannot read this API from a browser.
fn add_security_headers(headers: &mut Headers) -> worker::Result<()> {
    headers.set("Cache-Control", "no-store")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("Referrer-Policy", "no-referrer")?;
    headers.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")?;
    headers.set("X-Frame-Options", "DENY")?;
    headers.set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")?;
    headers.set("Cross-Origin-Resource-Policy", "same-origin")?;
    Ok(())
}

fn source_chain(error: &dyn std::error::Error) -> String {
    let mut chain = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push(cause.to_string());
        source = cause.source();
    }
    chain.join(": ")
}
