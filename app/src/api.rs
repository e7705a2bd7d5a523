//! The SPA's only door to the edge API: typed calls that return `Result<T, ClientError>`.

use gloo_net::http::{Method, Request, RequestBuilder};
use groupsync_core::api::{
    API_PREFIX, CreateGroupRequest, CreateInvitationRequest, CreateInvitationResponse,
    DevSignInRequest, DevSignInResponse, GroupDetail, GroupPage, HealthResponse, ListAuditResponse,
    ListInvitationsResponse, ListSyncRunsResponse, ListUsersResponse, MeResponse,
    OktaSettingsResponse, PROBLEM_CONTENT_TYPE, Problem, SetGroupRolesRequest, StartSyncRequest,
    StartSyncResponse, SyncRun, TestOktaConnectionRequest, TestOktaConnectionResponse,
    UpdateOktaSettingsRequest, UserAccessResponse,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Where the local dev sign-in's token is kept for the tab's lifetime. In production nothing is
/// kept: Cloudflare Access adds the identity to every request at the edge.
pub const DEV_TOKEN_KEY: &str = "okta-groups-sync.dev-token";

/// The header Cloudflare Access sets, which the dev sign-in's token stands in for locally.
const IDENTITY_HEADER: &str = "Cf-Access-Jwt-Assertion";

/// The header every state-changing request carries (the edge refuses writes without it).
const CSRF_HEADER: (&str, &str) = ("X-Requested-By", "okta-groups-sync");

/// Groups per request when the groups screen loads every group (the edge's largest page).
pub const GROUPS_PER_REQUEST: u32 = 1_000;

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

impl ClientError {
    /// The problem's stable code, when the edge answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api(problem) => Some(&problem.code),
            _ => None,
        }
    }

    /// The HTTP status of the edge's problem answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(problem) => Some(problem.status),
            _ => None,
        }
    }
}

/// `GET /api/v1/health`. A degraded service (503 with a health body) is an answer, not an error.
pub async fn get_health() -> Result<HealthResponse, ClientError> {
    let response = Request::get(&format!("{API_PREFIX}/health"))
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| ClientError::Network(e.to_string()))?;
    let degraded = response.status() == 503
        && response
            .headers()
            .get("Content-Type")
            .is_some_and(|t| t.starts_with("application/json"));
    let text = response.text().await.map_err(|e| ClientError::Network(e.to_string()))?;
    if response.ok() || degraded {
        return parse(&text);
    }
    match serde_json::from_str::<Problem>(&text) {
        Ok(problem) => Err(ClientError::Api(problem)),
        Err(_) => {
            Err(ClientError::Decode(format!("HTTP {} from the health check", response.status())))
        }
    }
}

/// `GET /api/v1/me`: who is signed in, with their roles and permissions.
pub async fn get_me() -> Result<MeResponse, ClientError> {
    get("/me").await
}

/// `GET /api/v1/settings/okta`.
pub async fn get_okta_settings() -> Result<OktaSettingsResponse, ClientError> {
    get("/settings/okta").await
}

/// `PUT /api/v1/settings/okta`.
pub async fn put_okta_settings(
    body: UpdateOktaSettingsRequest,
) -> Result<OktaSettingsResponse, ClientError> {
    write(Method::PUT, "/settings/okta", &body).await
}

/// `POST /api/v1/settings/okta/test`.
pub async fn test_okta_connection(
    body: TestOktaConnectionRequest,
) -> Result<TestOktaConnectionResponse, ClientError> {
    write(Method::POST, "/settings/okta/test", &body).await
}

/// `GET /api/v1/groups`: one page of the groups, sorted by name.
pub async fn get_group_page(page: u32) -> Result<GroupPage, ClientError> {
    get(&format!("/groups?sort=name&per_page={GROUPS_PER_REQUEST}&page={page}")).await
}

/// `GET /api/v1/groups/{id}`: one group with its members.
pub async fn get_group(id: &str) -> Result<GroupDetail, ClientError> {
    get(&format!("/groups/{}", encode(id))).await
}

/// `PUT /api/v1/groups/{id}/roles`.
pub async fn put_group_roles(
    id: &str,
    body: SetGroupRolesRequest,
) -> Result<GroupDetail, ClientError> {
    write(Method::PUT, &format!("/groups/{}/roles", encode(id)), &body).await
}

/// `POST /api/v1/groups`: a local group (refused while sync is on).
pub async fn create_group(body: CreateGroupRequest) -> Result<GroupDetail, ClientError> {
    write(Method::POST, "/groups", &body).await
}

/// `POST /api/v1/sync`: starts a run, or joins the running one.
pub async fn start_sync(body: StartSyncRequest) -> Result<StartSyncResponse, ClientError> {
    write(Method::POST, "/sync", &body).await
}

/// `GET /api/v1/sync/runs?page=`: runs, newest first, with the schedule.
pub async fn get_sync_runs(page: u32) -> Result<ListSyncRunsResponse, ClientError> {
    get(&format!("/sync/runs?page={page}")).await
}

/// `GET /api/v1/sync/runs/{id}`.
pub async fn get_sync_run(id: &str) -> Result<SyncRun, ClientError> {
    get(&format!("/sync/runs/{}", encode(id))).await
}

/// `POST /api/v1/sync/runs/{id}/confirm` (`confirm`) or `…/discard`.
pub async fn resolve_sync_run(id: &str, confirm: bool) -> Result<SyncRun, ClientError> {
    let verb = if confirm { "confirm" } else { "discard" };
    write(Method::POST, &format!("/sync/runs/{}/{verb}", encode(id)), &serde_json::json!({})).await
}

/// `POST /api/v1/invitations`.
pub async fn invite(email: String) -> Result<CreateInvitationResponse, ClientError> {
    write(Method::POST, "/invitations", &CreateInvitationRequest { email }).await
}

/// `GET /api/v1/invitations`.
pub async fn get_invitations() -> Result<ListInvitationsResponse, ClientError> {
    get("/invitations").await
}

/// `GET /api/v1/users`.
pub async fn get_users() -> Result<ListUsersResponse, ClientError> {
    get("/users").await
}

/// `GET /api/v1/users/{email}/access`: what the user may do, and why.
pub async fn get_user_access(email: &str) -> Result<UserAccessResponse, ClientError> {
    get(&format!("/users/{}/access", encode(email))).await
}

/// `GET /api/v1/audit`: a page of entries older than `before`, optionally about `target`.
pub async fn get_audit(
    before: Option<i64>,
    target: Option<&str>,
) -> Result<ListAuditResponse, ClientError> {
    let mut path = "/audit?limit=50".to_owned();
    if let Some(before) = before {
        path.push_str(&format!("&before={before}"));
    }
    if let Some(target) = target {
        path.push_str(&format!("&target={}", encode(target)));
    }
    get(&path).await
}

/// `POST /api/v1/dev/sign-in` (local only): signs in as `email` and keeps the token for the tab.
pub async fn dev_sign_in(email: String) -> Result<DevSignInResponse, ClientError> {
    let signed_in: DevSignInResponse =
        write(Method::POST, "/dev/sign-in", &DevSignInRequest { email }).await?;
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

async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ClientError> {
    parse(&exchange(Method::GET, path, None).await?)
}

async fn write<B: Serialize, T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: &B,
) -> Result<T, ClientError> {
    let body = serde_json::to_string(body).map_err(|e| ClientError::Decode(e.to_string()))?;
    parse(&exchange(method, path, Some(body)).await?)
}

/// One request to the edge, and the body of its successful answer. The one `async` part of the
/// client: it is not generic, so every endpoint shares its code (the SPA's size budget counts).
async fn exchange(method: Method, path: &str, body: Option<String>) -> Result<String, ClientError> {
    let mut request = RequestBuilder::new(&format!("{API_PREFIX}{path}"))
        .method(method)
        .header("Accept", "application/json");
    if body.is_some() {
        request =
            request.header(CSRF_HEADER.0, CSRF_HEADER.1).header("Content-Type", "application/json");
    }
    let request = with_identity(request);
    let request = match body {
        Some(body) => request.body(body),
        None => request.build(),
    }
    .map_err(|e| ClientError::Network(e.to_string()))?;
    let response = request.send().await.map_err(|e| ClientError::Network(e.to_string()))?;
    let text = response.text().await.map_err(|e| ClientError::Network(e.to_string()))?;
    if response.ok() {
        return Ok(text);
    }
    let is_problem =
        response.headers().get("Content-Type").is_some_and(|t| t.starts_with(PROBLEM_CONTENT_TYPE));
    if is_problem {
        return Err(ClientError::Api(parse(&text)?));
    }
    Err(ClientError::Decode(format!(
        "HTTP {} {} without a problem body",
        response.status(),
        response.status_text()
    )))
}

fn parse<T: DeserializeOwned>(text: &str) -> Result<T, ClientError> {
    serde_json::from_str(text).map_err(|e| ClientError::Decode(e.to_string()))
}

/// Percent-encodes a path segment (ids are safe already; emails carry `@` and `+`).
fn encode(segment: &str) -> String {
    String::from(js_sys::encode_uri_component(segment))
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
