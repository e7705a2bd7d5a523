//! The SPA's only door to the edge API: typed calls that return `Result<T, ClientError>`.

use groupsync_core::api::{
    API_PREFIX, AppPermissionDescription, CreateGroupRequest, CreateInvitationRequest,
    CreateInvitationResponse, CreateRoleRequest, CreateWebhookRequest, CustomRoleDescription,
    DeliveryState, DevSignInRequest, DevSignInResponse, GroupDetail, GroupPage, GroupSummary,
    ListSyncRunsResponse, ListUsersResponse, MeResponse, MemberPage, OktaEventHook,
    OktaEventHookSecret, OktaSettingsResponse, PROBLEM_CONTENT_TYPE, Problem, ProblemCode,
    RoleImpact, ServiceAppKey, SetGroupRolesRequest, StartSyncRequest, StartSyncResponse, SyncRun,
    TestOktaConnectionRequest, TestOktaConnectionResponse, UpdateOktaSettingsRequest,
    UpdateRoleRequest, UserAccessResponse,
};
use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use leptos::prelude::{Owner, on_cleanup};
use send_wrapper::SendWrapper;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};

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
    Api(Box<Problem>),
    /// The edge answered, but not with the JSON this app expects (a version mismatch or a proxy).
    #[error("The service sent an answer this app does not understand: {0}")]
    Decode(String),
    /// A listing read page by page kept changing under the reader (syncs committing meanwhile).
    #[error(
        "The list kept changing while it was read (a sync was saving). Reload the page to read it again."
    )]
    ListingKeptChanging,
}

impl ClientError {
    /// The HTTP status of the edge's problem answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(problem) => Some(problem.status),
            _ => None,
        }
    }

    /// Whether the edge answered the problem `code`.
    pub fn is_code(&self, code: ProblemCode) -> bool {
        matches!(self, Self::Api(problem) if problem.code == code.as_str())
    }
}

/// A request to the edge on its way, and how its answer is read as `T`.
///
/// Every endpoint returns one that owns what it needs (it borrows none of the arguments; its
/// path is written before it is returned), so a caller passes it on as it is. It is not an
/// `async` block: its waiting is the client's one request future ([`send`]'s, not generic) and its
/// reading a plain function per answer type, where an `async` block per endpoint compiled a state
/// machine each. A screen's [`Remote`](crate::remote::Remote) holds its type-erased half
/// ([`AnyCall`]), which is one type for every answer.
#[must_use = "a call does nothing until it is awaited"]
pub struct Call<T> {
    any: AnyCall,
    answer: PhantomData<fn() -> T>,
}

/// A [`Call`] with its answer's type erased.
#[must_use = "a call does nothing until it is awaited"]
pub struct AnyCall {
    pending: Pending,
    read: Read,
}

/// How a call reads the edge's answer: as its answer type, erased.
type Read = fn(Answer) -> Result<Rc<dyn Any>, ClientError>;

impl<T> std::fmt::Debug for Call<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Call")
    }
}

impl std::fmt::Debug for AnyCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnyCall")
    }
}

impl<T> Call<T> {
    /// The call, with its answer's type erased.
    pub fn into_any(self) -> AnyCall {
        self.any
    }
}

impl Future for AnyCall {
    type Output = Result<Rc<dyn Any>, ClientError>;

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        let read = self.read;
        self.pending.as_mut().poll(context).map(|answer| answer.and_then(read))
    }
}

impl<T: 'static> Future for Call<T> {
    type Output = Result<T, ClientError>;

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.any).poll(context).map(|answer| {
            answer.map(|any| {
                any.downcast::<T>()
                    .ok()
                    .and_then(|answer| Rc::try_unwrap(answer).ok())
                    .expect("a call reads its answer as its own type, once")
            })
        })
    }
}

fn call<T>(pending: Pending, read: Read) -> Call<T> {
    Call { any: AnyCall { pending, read }, answer: PhantomData }
}

/// Reads a success's body as `T`; a failure as its problem.
fn read_json<T: DeserializeOwned + 'static>(answer: Answer) -> Result<Rc<dyn Any>, ClientError> {
    answer.into_result::<T>().map(|answer| Rc::new(answer) as Rc<dyn Any>)
}

/// Reads only whether the write succeeded. A success's body is not read: it may be empty
/// (`204 No Content`).
fn read_success(answer: Answer) -> Result<Rc<dyn Any>, ClientError> {
    if answer.ok { Ok(Rc::new(())) } else { Err(answer.into_error()) }
}

/// The health answer as the header shows it: `HealthResponse` without the parts the header does
/// not show (its status word, schema version and sync state), which keeps their parsers out of
/// the SPA.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Health {
    /// The version of the Worker build that answered.
    pub version: String,
    /// Whether D1 answered.
    pub database_ok: bool,
}

/// `GET /api/v1/health`. A degraded service (503 with a health body) is an answer, not an error.
pub fn get_health() -> Call<Health> {
    call(send(Method::Get, "/health", None), read_health)
}

fn read_health(answer: Answer) -> Result<Rc<dyn Any>, ClientError> {
    let degraded = answer.status == 503 && answer.is_json("application/json");
    let health: Health = if degraded { parse(&answer.text)? } else { answer.into_result()? };
    Ok(Rc::new(health))
}

/// `GET /api/v1/me`: who is signed in, with their roles and permissions.
pub fn get_me() -> Call<MeResponse> {
    get("/me")
}

/// `GET /api/v1/settings/okta`.
pub fn get_okta_settings() -> Call<OktaSettingsResponse> {
    get("/settings/okta")
}

/// `PUT /api/v1/settings/okta`.
pub fn put_okta_settings(body: UpdateOktaSettingsRequest) -> Call<OktaSettingsResponse> {
    write(Method::Put, "/settings/okta", &body)
}

/// `POST /api/v1/settings/okta/test`.
pub fn test_okta_connection(body: TestOktaConnectionRequest) -> Call<TestOktaConnectionResponse> {
    write(Method::Post, "/settings/okta/test", &body)
}

/// `POST /api/v1/settings/okta/service-app/key`: a new key pair for the service app, pending
/// until a save whose connection test passes.
pub fn make_service_app_key() -> Call<ServiceAppKey> {
    write(Method::Post, "/settings/okta/service-app/key", &EmptyObject {})
}

/// `GET /api/v1/settings/okta/event-hook`.
pub fn get_event_hook() -> Call<OktaEventHook> {
    get("/settings/okta/event-hook")
}

/// `POST /api/v1/settings/okta/event-hook/secret`: a new secret, shown once.
pub fn make_event_hook_secret() -> Call<OktaEventHookSecret> {
    write(Method::Post, "/settings/okta/event-hook/secret", &EmptyObject {})
}

/// Deliveries the webhooks screen lists at once, newest first.
pub const DELIVERIES_SHOWN: u32 = 50;

/// `ListWebhooksResponse` as the settings screen reads it: the edge's types without what the
/// screen does not show (who registered an endpoint, and when), which keeps their parsers out of
/// the SPA.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Webhooks {
    /// Every endpoint, oldest first.
    pub endpoints: Vec<WebhookEndpoint>,
    /// The hosts endpoints may be on (`WEBHOOK_ALLOWLIST`).
    pub allowed_hosts: Vec<String>,
}

/// A registered endpoint (`groupsync_core::api::WebhookEndpoint`) as the screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WebhookEndpoint {
    /// `we_…`.
    pub id: String,
    /// Where events are sent.
    pub url: String,
    /// What it is for (may be empty).
    pub description: String,
    /// The names of the event types it receives (`access.changed`), shown as they are: names,
    /// not an enum, so that a type added later is shown rather than refused.
    pub events: Vec<String>,
    /// Deliveries still to be tried.
    pub pending: u64,
    /// Deliveries that failed every attempt.
    pub failed: u64,
    /// When an event last reached it.
    pub last_delivered_at: Option<String>,
}

/// `ListWebhookDeliveriesResponse` as the screen reads it: only the deliveries (it knows the
/// endpoint).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WebhookDeliveries {
    /// Newest first.
    pub deliveries: Vec<WebhookDelivery>,
}

/// One delivery (`groupsync_core::api::WebhookDelivery`) as the log shows it: without when the
/// event happened.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WebhookDelivery {
    /// The event's id (`msg_…`).
    pub message_id: String,
    /// The event type's name, as it is (see [`WebhookEndpoint::events`]).
    pub event_type: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made.
    pub attempts: u32,
    /// The HTTP status of the last attempt, when the endpoint answered.
    pub last_status: Option<u16>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the next attempt is due.
    pub next_attempt_at: Option<String>,
    /// When it was delivered.
    pub delivered_at: Option<String>,
}

/// `CreateWebhookResponse` as the screen reads it: the secret, shown once (it knows the URL).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WebhookSecret {
    /// `whsec_…`.
    pub secret: String,
}

/// `GET /api/v1/webhooks`: the endpoints, oldest first, and the hosts they may be on.
pub fn get_webhooks() -> Call<Webhooks> {
    get("/webhooks")
}

/// `POST /api/v1/webhooks`: a new endpoint; its signing secret is in the answer this once.
pub fn create_webhook(body: CreateWebhookRequest) -> Call<WebhookSecret> {
    write(Method::Post, "/webhooks", &body)
}

/// `DELETE /api/v1/webhooks/{id}`: no more events are sent to the endpoint.
pub fn delete_webhook(id: &str) -> Call<()> {
    write_only(Method::Delete, &format!("/webhooks/{}", encode(id)), None)
}

/// `GET /api/v1/webhooks/{id}/deliveries`: the [`DELIVERIES_SHOWN`] newest deliveries.
pub fn get_webhook_deliveries(id: &str) -> Call<WebhookDeliveries> {
    get(&format!("/webhooks/{}/deliveries?limit={DELIVERIES_SHOWN}", encode(id)))
}

/// `POST /api/v1/webhooks/{id}/deliveries/{message_id}/redeliver`: the event is sent again
/// (the screen reads the log again rather than the answer).
pub fn redeliver_webhook(id: &str, message_id: &str) -> Call<()> {
    let path = format!("/webhooks/{}/deliveries/{}/redeliver", encode(id), encode(message_id));
    write_only_json(Method::Post, &path, &EmptyObject {})
}

/// `GET /api/v1/groups`: one page of the groups, sorted by name.
pub fn get_group_page(page: u32) -> Call<GroupPage> {
    get(&format!("/groups?sort=name&per_page={GROUPS_PER_REQUEST}&page={page}"))
}

/// `GET /api/v1/groups/{id}`: one group with its member count and roles.
pub fn get_group(id: &str) -> Call<GroupDetail> {
    get(&format!("/groups/{}", encode(id)))
}

/// `GET /api/v1/groups/{id}/members`: a page (the edge's 50) of a group's members, after the
/// cursor `after` (a page's `next_after`: hex digits and a dot, safe in a URL).
pub fn get_members(id: &str, after: Option<&str>) -> Call<MemberPage> {
    let mut path = format!("/groups/{}/members", encode(id));
    if let Some(after) = after {
        path = format!("{path}?after={after}");
    }
    get(&path)
}

/// `PUT /api/v1/groups/{id}/roles`.
pub fn put_group_roles(id: &str, body: SetGroupRolesRequest) -> Call<GroupDetail> {
    write(Method::Put, &format!("/groups/{}/roles", encode(id)), &body)
}

/// `POST /api/v1/groups`: a local group (refused while sync is on).
pub fn create_group(body: CreateGroupRequest) -> Call<GroupSummary> {
    write(Method::Post, "/groups", &body)
}

/// `POST /api/v1/sync`: starts a run, or joins the running one.
pub fn start_sync(body: StartSyncRequest) -> Call<StartSyncResponse> {
    write(Method::Post, "/sync", &body)
}

/// `GET /api/v1/sync/runs?page=`: runs, newest first, with the schedule.
pub fn get_sync_runs(page: u32) -> Call<ListSyncRunsResponse> {
    get(&format!("/sync/runs?page={page}"))
}

/// `GET /api/v1/sync/runs/{id}`.
pub fn get_sync_run(id: &str) -> Call<SyncRun> {
    get(&format!("/sync/runs/{}", encode(id)))
}

/// `SyncStatus` as the banner reads it: sync is failing while `failing_since` is set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SyncAlarmStatus {
    /// When the first run that failed after the last success ended.
    pub failing_since: Option<String>,
    /// The runs that failed in a row since.
    pub failures: u32,
    /// The last failure in words.
    pub last_error: Option<String>,
}

/// `GET /api/v1/sync/status` (superAdmins): whether sync keeps failing, and why.
pub fn get_sync_status() -> Call<SyncAlarmStatus> {
    get("/sync/status")
}

/// `POST /api/v1/sync/runs/{id}/confirm` (`confirm`) or `…/discard`.
pub fn resolve_sync_run(id: &str, confirm: bool) -> Call<SyncRun> {
    let verb = if confirm { "confirm" } else { "discard" };
    write(Method::Post, &format!("/sync/runs/{}/{verb}", encode(id)), &EmptyObject {})
}

/// `POST /api/v1/invitations`; `confirm_unknown` invites an email Okta does not know.
pub fn invite(email: String, confirm_unknown: bool) -> Call<CreateInvitationResponse> {
    write(Method::Post, "/invitations", &CreateInvitationRequest { email, confirm_unknown })
}

/// `DELETE /api/v1/invitations/{email}`: withdraws an invitation not yet used.
pub fn revoke_invitation(email: &str) -> Call<()> {
    write_only(Method::Delete, &format!("/invitations/{}", encode(email)), None)
}

/// `GET /api/v1/users?page=`: a page (the edge's 50) of the users, newest invitation first.
pub fn get_users(page: u32) -> Call<ListUsersResponse> {
    get(&format!("/users?page={page}"))
}

/// `GET /api/v1/users/{email}/access`: what the user may do, and why.
pub fn get_user_access(email: &str) -> Call<UserAccessResponse> {
    get(&format!("/users/{}/access", encode(email)))
}

/// The role catalog as the screens read it: `ListRolesResponse` without the built-in roles
/// and this console's permissions, which the SPA knows already (their parsers stay out).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Catalog {
    /// The custom roles.
    pub custom_roles: Vec<CustomRoleDescription>,
    /// The relying app's permissions they are made of.
    pub app_permissions: Vec<AppPermissionDescription>,
}

/// `GET /api/v1/roles`: the custom roles and the relying app's permissions.
pub fn get_catalog() -> Call<Catalog> {
    get("/roles")
}

/// `POST /api/v1/roles`: a custom role.
pub fn create_role(body: &CreateRoleRequest) -> Call<()> {
    write_only_json(Method::Post, "/roles", body)
}

/// `PUT /api/v1/roles/{key}`: a custom role's new name and permissions.
pub fn update_role(key: &str, body: &UpdateRoleRequest) -> Call<()> {
    write_only_json(Method::Put, &format!("/roles/{}", encode(key)), body)
}

/// `GET /api/v1/roles/{key}/impact`: who would lose what if the role were deleted.
pub fn get_role_impact(key: &str) -> Call<RoleImpact> {
    get(&format!("/roles/{}/impact", encode(key)))
}

/// `DELETE /api/v1/roles/{key}`: a custom role and its grants.
pub fn delete_role(key: &str) -> Call<()> {
    write_only(Method::Delete, &format!("/roles/{}", encode(key)), None)
}

/// `{}`: the body of a write that needs none.
#[derive(Serialize)]
struct EmptyObject {}

/// An audit entry as the screens show it: the edge's `AuditEntry` without its raw `before` and
/// `after` JSON (its `summary` says what changed), which keeps a JSON value parser out of the
/// SPA.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AuditLine {
    /// The entry's id.
    pub id: i64,
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// What, as a dotted name.
    pub action: String,
    /// What it was done to.
    pub target: Option<String>,
    /// The target's name for people, when it has one.
    #[serde(default)]
    pub target_name: Option<String>,
    /// What the entry records, in one sentence for people.
    pub description: String,
}

/// A page of the audit log (`ListAuditResponse`, read as [`AuditLine`]s).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AuditPage {
    /// Entries, newest first.
    pub entries: Vec<AuditLine>,
    /// The `before` of the next page.
    pub next_before: Option<i64>,
}

/// Which audit entries to read: each filter given (not empty) must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilters {
    /// Only the entries about this (a group id, an email, a run id).
    pub target: String,
    /// Only the entries by people or clients whose name contains this.
    pub actor: String,
    /// Only the entries of this action, or of this area of actions.
    pub action: String,
    /// Only the entries on or after this day (`YYYY-MM-DD`).
    pub from: String,
    /// Only the entries on or before this day (`YYYY-MM-DD`).
    pub to: String,
}

impl AuditFilters {
    /// The filters as query parameters (`&actor=…`), leaving out the empty ones.
    fn query(&self) -> String {
        [
            ("target", &self.target),
            ("actor", &self.actor),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter(|(_, value)| !value.trim().is_empty())
        .map(|(name, value)| format!("&{name}={}", encode(value.trim())))
        .collect()
    }
}

/// `GET /api/v1/audit`: a page of the entries that pass `filters`, older than `before`.
pub fn get_audit(before: Option<i64>, filters: &AuditFilters) -> Call<AuditPage> {
    let mut path = format!("/audit?limit=50{}", filters.query());
    if let Some(before) = before {
        path.push_str(&format!("&before={before}"));
    }
    get(&path)
}

/// What an audit export saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditExport {
    /// How many entries the file holds.
    pub entries: u32,
    /// Whether older entries match too, beyond the export's bound.
    pub truncated: bool,
}

/// The name the audit export is saved under.
pub const AUDIT_EXPORT_FILE: &str = "audit-log.csv";

/// `GET /api/v1/audit/export`: the entries that pass `filters`, saved as [`AUDIT_EXPORT_FILE`].
///
/// Fetched, not linked: locally the identity travels in a header that a plain link would not
/// carry.
pub fn export_audit(filters: &AuditFilters) -> Call<AuditExport> {
    let query = filters.query();
    call(
        send(Method::Get, &format!("/audit/export{}", query.replacen('&', "?", 1)), None),
        read_export,
    )
}

fn read_export(answer: Answer) -> Result<Rc<dyn Any>, ClientError> {
    if !answer.ok {
        return Err(answer.into_error());
    }
    let header = |name: &str| answer.headers.get(name).unwrap_or_default();
    let export = AuditExport {
        entries: header("Audit-Export-Entries").parse().unwrap_or_default(),
        truncated: header("Audit-Export-Truncated") == "true",
    };
    save_file(AUDIT_EXPORT_FILE, "text/csv;charset=utf-8", &answer.text)?;
    Ok(Rc::new(export))
}

/// Hands `text` to the browser as a download named `name`.
fn save_file(name: &str, media_type: &str, text: &str) -> Result<(), ClientError> {
    let failed = |_| ClientError::Decode("the browser could not save the file".into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(media_type);
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let blob =
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(failed)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(failed)?;
    let document =
        web_sys::window().and_then(|w| w.document()).ok_or_else(|| failed(JsValue::NULL))?;
    let link: web_sys::HtmlElement = document.create_element("a").map_err(failed)?.unchecked_into();
    link.set_attribute("href", &url).map_err(failed)?;
    link.set_attribute("download", name).map_err(failed)?;
    link.click();
    // The download has its own reference to the blob once it began.
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// `POST /api/v1/dev/sign-in` (local only): signs in as `email` and keeps the token for the tab.
pub async fn dev_sign_in(email: String) -> Result<DevSignInResponse, ClientError> {
    let signed_in: DevSignInResponse =
        write(Method::Post, "/dev/sign-in", &DevSignInRequest { email }).await?;
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

fn get<T: DeserializeOwned + 'static>(path: &str) -> Call<T> {
    call(send(Method::Get, path, None), read_json::<T>)
}

/// The body is written as JSON now, the request sent when the answer is awaited.
fn write<B: Serialize, T: DeserializeOwned + 'static>(
    method: Method,
    path: &str,
    body: &B,
) -> Call<T> {
    call(send_json(method, path, body), read_json::<T>)
}

/// A write whose answer the screen does not read (it reads the list again instead): only
/// whether it succeeded.
fn write_only(method: Method, path: &str, body: Option<String>) -> Call<()> {
    call(send(method, path, body), read_success)
}

/// [`write_only`] with a JSON body.
fn write_only_json<B: Serialize>(method: Method, path: &str, body: &B) -> Call<()> {
    call(send_json(method, path, body), read_success)
}

/// [`send`] with `body` written as JSON, or the reason it could not be.
fn send_json<B: Serialize>(method: Method, path: &str, body: &B) -> Pending {
    match to_json(body) {
        Ok(body) => send(method, path, Some(body)),
        Err(error) => Box::pin(std::future::ready(Err(error))),
    }
}

/// The HTTP methods the edge API uses.
#[derive(Debug, Clone, Copy)]
enum Method {
    Get,
    Post,
    Put,
    Delete,
}

/// An answer of the edge, read whole.
struct Answer {
    status: u16,
    ok: bool,
    content_type: String,
    headers: gloo_net::http::Headers,
    text: String,
}

impl Answer {
    fn is_json(&self, media_type: &str) -> bool {
        self.content_type.starts_with(media_type)
    }

    /// The body as `T` when the answer is a success; the problem otherwise.
    fn into_result<T: DeserializeOwned>(self) -> Result<T, ClientError> {
        if self.ok { parse(&self.text) } else { Err(self.into_error()) }
    }

    /// Why a failed answer failed: its problem, or that it came without one.
    fn into_error(self) -> ClientError {
        if self.is_json(PROBLEM_CONTENT_TYPE) {
            return parse(&self.text)
                .map_or_else(|error| error, |problem| ClientError::Api(Box::new(problem)));
        }
        ClientError::Decode(format!("HTTP {} without a problem body", self.status))
    }
}

/// One request to the edge. The one `async` part of the client, and not generic, so every
/// endpoint shares its code (the SPA's size budget counts).
fn send(method: Method, path: &str, body: Option<String>) -> Pending {
    // Boxed: the futures of the endpoints then hold a pointer, instead of each one compiling a
    // copy of this one.
    Box::pin(fetch(method, format!("{API_PREFIX}{path}"), body))
}

/// A request on its way.
type Pending = Pin<Box<dyn Future<Output = Result<Answer, ClientError>>>>;

async fn fetch(method: Method, url: String, body: Option<String>) -> Result<Answer, ClientError> {
    let mut request = match method {
        Method::Get => gloo_net::http::Request::get(&url),
        Method::Post => gloo_net::http::Request::post(&url),
        Method::Put => gloo_net::http::Request::put(&url),
        Method::Delete => gloo_net::http::Request::delete(&url),
    }
    .header("Accept", "application/json")
    .abort_signal(cancel_on_cleanup().as_ref());
    if let Some(token) = dev_token() {
        request = request.header(IDENTITY_HEADER, &token);
    }
    if !matches!(method, Method::Get) {
        request = request.header(CSRF_HEADER.0, CSRF_HEADER.1);
    }
    let request = match body {
        Some(body) => request.header("Content-Type", "application/json").body(body),
        None => request.build(),
    };
    let response = request.map_err(network)?.send().await.map_err(network)?;
    let text = response.text().await.map_err(network)?;
    Ok(Answer {
        status: response.status(),
        ok: response.ok(),
        content_type: response.headers().get("Content-Type").unwrap_or_default(),
        headers: response.headers(),
        text,
    })
}

/// A signal that cancels the request when the reactive owner that asks is cleaned up: a screen's
/// [`Remote`](crate::remote::Remote) is, when the screen is left, so a request whose answer
/// nobody would read stops there. `None` outside any owner: writes are spawned tasks, and a
/// write once sent is left to finish.
fn cancel_on_cleanup() -> Option<web_sys::AbortSignal> {
    let _ = Owner::current()?;
    let controller = web_sys::AbortController::new().ok()?;
    let signal = controller.signal();
    // The controller is only touched on this thread; the wrapper satisfies `on_cleanup`'s bound.
    let controller = SendWrapper::new(controller);
    on_cleanup(move || controller.abort());
    Some(signal)
}

/// A failed `fetch` (offline, aborted, refused) in words.
///
/// Each kind's words are taken as they are, never through the error's `Display`: that one also
/// formats gloo's `SerdeError` (a `serde_json::Error`, with its line and column), which cost the
/// SPA 0.5 KB brotli. Only gloo's JSON helpers fail so, and this client uses none of them.
fn network(error: gloo_net::Error) -> ClientError {
    ClientError::Network(match error {
        gloo_net::Error::JsError(error) => error.message,
        gloo_net::Error::GlooError(message) => message,
        _ => "the answer could not be read".to_owned(),
    })
}

/// JSON parsed by the browser (`JSON.parse`), then read into `T`: the browser's parser is already
/// there, and `serde_json`'s would cost 7 KB brotli of the SPA.
fn parse<T: DeserializeOwned>(text: &str) -> Result<T, ClientError> {
    let value = js_sys::JSON::parse(text).map_err(|_| ClientError::Decode("not JSON".into()))?;
    serde_wasm_bindgen::from_value(value).map_err(|e| ClientError::Decode(e.to_string()))
}

/// `body` as JSON text, written by the browser (`JSON.stringify`). JSON-compatible: `None` is
/// `null` and maps are objects, as `serde_json` writes them.
fn to_json<B: Serialize>(body: &B) -> Result<String, ClientError> {
    let value = body
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| ClientError::Decode(e.to_string()))?;
    js_sys::JSON::stringify(&value)
        .map(String::from)
        .map_err(|_| ClientError::Decode("the request could not be written as JSON".into()))
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
