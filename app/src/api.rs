//! The SPA's only door to the edge API: typed calls that return `Result<T, ClientError>`.

use gloo_net::http::{Request, RequestBuilder, Response};
use groupsync_core::api::{
    API_PREFIX, DevSignInRequest, DevSignInResponse, HealthResponse, MeResponse,
    PROBLEM_CONTENT_TYPE, Problem,
};
use serde::de::DeserializeOwned;

/// Where the local dev sign-in's token is kept for the tab's lifetime. In production nothing is
/// kept: Cloudflare Access adds the identity to every request at the edge.
const DEV_TOKEN_KEY: &str = "okta-groups-sync.dev-token";

/// The header Cloudflare Access sets, which the dev sign-in's token stands in for locally.
const IDENTITY_HEADER: &str = "Cf-Access-Jwt-Assertion";

/// The header every state-changing request carries (the edge refuses writes without it).
const CSRF_HEADER: (&str, &str) = ("X-Requested-By", "okta-groups-sync");

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

/// `GET /api/v1/me`: who is signed in, with their roles and permissions.
pub async fn get_me() -> Result<MeResponse, ClientError> {
    read_json(send(with_identity(Request::get(&format!("{API_PREFIX}/me")))).await?).await
}

/// `POST /api/v1/dev/sign-in` (local only): signs in as `email` and keeps the token for the tab.
pub async fn dev_sign_in(email: String) -> Result<DevSignInResponse, ClientError> {
    let request =
        Request::post(&format!("{API_PREFIX}/dev/sign-in")).header(CSRF_HEADER.0, CSRF_HEADER.1);
    let request = request
        .json(&DevSignInRequest { email })
        .map_err(|e| ClientError::Decode(e.to_string()))?;
    let response = request.send().await.map_err(|e| ClientError::Network(e.to_string()))?;
    let signed_in: DevSignInResponse = read_json(response).await?;
    set_dev_token(Some(&signed_in.token));
    Ok(signed_in)
}

/// Whether this tab is signed in through the local dev sign-in.
pub fn has_dev_token() -> bool {
    dev_token().is_some()
}

/// Forgets the dev sign-in of this tab.
pub fn dev_sign_out() {
    set_dev_token(None);
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

fn dev_token() -> Option<String> {
    session_storage()?.get_item(DEV_TOKEN_KEY).ok()?
}

fn set_dev_token(token: Option<&str>) {
    if let Some(storage) = session_storage() {
        let _ = match token {
            Some(token) => storage.set_item(DEV_TOKEN_KEY, token),
            None => storage.remove_item(DEV_TOKEN_KEY),
        };
    }
}

/// Adds the dev sign-in's token, when there is one, as Access would add its own.
fn with_identity(request: RequestBuilder) -> RequestBuilder {
    match dev_token() {
        Some(token) => request.header(IDENTITY_HEADER, &token),
        None => request,
    }
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
