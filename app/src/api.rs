//! The SPA's only door to the edge API: typed calls that return `Result<T, ClientError>`.

use gloo_net::http::{Request, Response};
use groupsync_core::api::{API_PREFIX, HealthResponse, PROBLEM_CONTENT_TYPE, Problem};
use serde::de::DeserializeOwned;

/// Why a call to the edge API failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// The request did not reach the edge, or its answer did not arrive (offline, DNS, abort).
    #[error("The service could not be reached: {0}")]
    Network(String),
    /// The edge answered with a problem; its detail is meant for the user.
    #[error("{}", .0.detail)]
    Api(Problem),
    /// The edge answered, but not with the JSON this app expects (a version mismatch or a proxy).
    #[error("The service sent an answer this app does not understand: {0}")]
    Decode(String),
}

/// `GET /api/v1/health`. A degraded service (503 with a health body) is an answer, not an error.
pub async fn get_health() -> Result<HealthResponse, ClientError> {
    let response = send(Request::get(&format!("{API_PREFIX}/health"))).await?;
    if response.status() == 503 && is_json(&response) {
        return decode(response).await;
    }
    read_json(response).await
}

async fn send(request: gloo_net::http::RequestBuilder) -> Result<Response, ClientError> {
    request
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| ClientError::Network(e.to_string()))
}

/// Reads a success body as `T`, or turns an error answer into [`ClientError::Api`].
async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T, ClientError> {
    if response.ok() {
        return decode(response).await;
    }
    let is_problem =
        response.headers().get("Content-Type").is_some_and(|t| t.starts_with(PROBLEM_CONTENT_TYPE));
    if is_problem {
        return Err(ClientError::Api(decode(response).await?));
    }
    Err(ClientError::Decode(format!(
        "HTTP {} {} without a problem body",
        response.status(),
        response.status_text()
    )))
}

async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ClientError> {
    response.json().await.map_err(|e| ClientError::Decode(e.to_string()))
}

fn is_json(response: &Response) -> bool {
    response.headers().get("Content-Type").is_some_and(|t| t.starts_with("application/json"))
}
