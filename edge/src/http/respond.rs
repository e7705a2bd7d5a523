//! Turning handler results into HTTP responses: JSON bodies, problem+json errors (logged once,
//! here) and the headers every API response carries.

use groupsync_core::api::{PROBLEM_CONTENT_TYPE, Problem};
use serde::Serialize;
use worker::{Headers, Response, console_error};

use crate::error::{ApiError, StoreError};

/// A JSON response with `status`.
pub(crate) fn json<T: Serialize>(body: &T, status: u16) -> Result<Response, ApiError> {
    Response::from_json(body).map(|response| response.with_status(status)).map_err(|e| {
        ApiError::Internal(StoreError::Database(format!("serializing a response: {e}")))
    })
}

/// Finishes a request: maps an error to its problem+json answer and adds the API headers.
pub(crate) fn finish(result: Result<Response, ApiError>) -> worker::Result<Response> {
    let mut response = match result {
        Ok(response) => response,
        Err(error) => {
            if error.is_server_error() {
                console_error!("request failed: {error}: {}", source_chain(&error));
            }
            problem_response(&error)?
        }
    };
    add_api_headers(response.headers_mut())?;
    Ok(response)
}

fn problem_response(error: &ApiError) -> worker::Result<Response> {
    let problem: Problem = error.to_problem();
    let headers = Headers::new();
    headers.set("Content-Type", PROBLEM_CONTENT_TYPE)?;
    if let ApiError::MethodNotAllowed { allowed, .. } = error {
        let allow: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
        headers.set("Allow", &allow.join(", "))?;
    }
    let body = serde_json::to_string(&problem)?;
    Ok(Response::ok(body)?.with_status(problem.status).with_headers(headers))
}

/// Headers that every API answer carries: API responses are per-caller and never cached, and
/// browsers must not guess their content type.
fn add_api_headers(headers: &mut Headers) -> worker::Result<()> {
    headers.set("Cache-Control", "no-store")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("Referrer-Policy", "no-referrer")?;
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
