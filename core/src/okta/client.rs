//! [`OktaClient`]: the calls the product makes to Okta, with paging, retries, the rate governor
//! and the in-flight limit applied to every one of them.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::time::Duration;

use async_lock::{Mutex, Semaphore};
use futures_util::future::{Either, select};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use url::Url;

use super::credential::{OktaCredential, ServiceAppCredential};
use super::date::parse_http_date;
use super::error::{OktaError, OktaErrorBody, OktaErrorKind};
use super::governor::{Admission, Bucket, Governor, RateHeaders};
use super::link::next_link;
use super::model::{OktaApp, OktaGroup, OktaGroupAssignment, OktaUser};
use super::oauth::{
    AfterNonceChallenge, AfterUnauthorized, ClientAssertion, DpopClaims, DpopProof,
    FORM_CONTENT_TYPE, IssuedToken, MAX_ANSWER_BYTES, Method, NonceRule, OAuthError,
    OAuthErrorKind, TokenCache, TokenEndpointError, TokenGeneration, TokenRequestBody, TokenType,
    UnauthorizedRule, parse_token_answer, token_endpoint,
};
use super::origin::TenantOrigin;
use super::token::OktaToken;
use super::transport::{Clock, HttpRequest, HttpResponse, HttpTransport, TransportError};

/// The largest page each listing asks for (CONTRACT.md §2: app groups allow at most 200, and
/// Okta recommends 200 for group members and users).
const PAGE_SIZE: u32 = 200;

/// How the client behaves; the defaults follow CONTRACT.md and the Workers platform's limits.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The share of each rate-limit bucket this client may use per window (default 0.5, the
    /// per-token share Okta allows by default).
    pub rate_share: f64,
    /// Requests in flight at once (default 6, the Workers per-invocation connection limit).
    pub max_in_flight: usize,
    /// How long one request may take (default 30 s).
    pub request_timeout: Duration,
    /// The largest answer read (default 8 MiB; a page of 200 users is a few hundred KiB).
    pub max_body_bytes: usize,
    /// The most pages one listing may have (default 10,000).
    pub max_pages: usize,
    /// Retries of a request answered 429 (default 4).
    pub max_rate_limit_retries: u32,
    /// Retries of a request that failed with a 5xx, a timeout or a network error (default 3).
    pub max_transient_retries: u32,
    /// The first backoff after a transient failure; it doubles each time (default 500 ms).
    pub initial_backoff: Duration,
    /// The `User-Agent` sent with every request.
    pub user_agent: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            rate_share: 0.5,
            max_in_flight: 6,
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 8 * 1024 * 1024,
            max_pages: 10_000,
            max_rate_limit_retries: 4,
            max_transient_retries: 3,
            initial_backoff: Duration::from_millis(500),
            user_agent: format!("OktaGroupsSync/{}", crate::VERSION),
        }
    }
}

/// What the client has done so far, for run records and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Pages of listings read.
    pub pages: u64,
    /// Requests retried (after a 429, a 5xx, a timeout or a network error).
    pub retries: u64,
    /// Answers with status 429.
    pub rate_limited: u64,
    /// Times the client waited for a rate-limit window to reset.
    pub rate_limit_waits: u64,
    /// Total time spent in those waits.
    pub rate_limit_wait_ms: u64,
}

/// The URL of one page of a listing: the first page's, or a checked `next` link.
///
/// A `next` link becomes a `PageUrl` only when it is on the tenant's origin. Callers that read
/// a listing page by page (a sync spread over several invocations) keep it between pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageUrl(Url);

impl PageUrl {
    /// The URL as text, to store between invocations.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The page's elements.
    pub items: Vec<T>,
    /// The next page, or `None` when this was the last one.
    pub next: Option<PageUrl>,
}

/// How the client authenticates, with a service app's token state.
#[derive(Debug)]
enum Credential {
    ApiToken(OktaToken),
    ServiceApp(Box<ServiceApp>),
}

/// A service app, the access token it holds and the lock that lets one request at a time fetch
/// a new one (the others then reuse it).
#[derive(Debug)]
struct ServiceApp {
    app: ServiceAppCredential,
    cache: RefCell<TokenCache>,
    fetching: Mutex<()>,
}

/// What one attempt of a request authenticates with.
enum Presented<'a> {
    ApiToken(&'a OktaToken),
    AccessToken { app: &'a ServiceApp, token: IssuedToken, generation: TokenGeneration },
}

/// A client of one Okta tenant's Management API.
#[derive(Debug)]
pub struct OktaClient<T, C> {
    origin: TenantOrigin,
    credential: Credential,
    transport: T,
    clock: C,
    config: ClientConfig,
    governor: RefCell<Governor>,
    in_flight: Semaphore,
    stats: Cell<ClientStats>,
    jitter_seed: Cell<u64>,
}

impl<T: HttpTransport, C: Clock> OktaClient<T, C> {
    /// A client of the tenant at `origin`, authenticating with the SSWS API token `token`.
    pub fn new(
        origin: TenantOrigin,
        token: OktaToken,
        transport: T,
        clock: C,
        config: ClientConfig,
    ) -> Self {
        Self::with_credential(origin, OktaCredential::ApiToken(token), transport, clock, config)
    }

    /// A client of the tenant at `origin`, authenticating with `credential`: an SSWS API token,
    /// or a service app whose access tokens the client requests (through `transport`'s
    /// [`post_form`](HttpTransport::post_form)), caches and renews.
    pub fn with_credential(
        origin: TenantOrigin,
        credential: OktaCredential,
        transport: T,
        clock: C,
        config: ClientConfig,
    ) -> Self {
        let jitter_seed = clock.now_ms() | 1;
        let credential = match credential {
            OktaCredential::ApiToken(token) => Credential::ApiToken(token),
            OktaCredential::ServiceApp(app) => Credential::ServiceApp(Box::new(ServiceApp {
                app,
                cache: RefCell::new(TokenCache::new()),
                fetching: Mutex::new(()),
            })),
        };
        Self {
            governor: RefCell::new(Governor::new(config.rate_share)),
            in_flight: Semaphore::new(config.max_in_flight.max(1)),
            origin,
            credential,
            transport,
            clock,
            config,
            stats: Cell::new(ClientStats::default()),
            jitter_seed: Cell::new(jitter_seed),
        }
    }

    /// What the client has done so far.
    pub fn stats(&self) -> ClientStats {
        self.stats.get()
    }

    /// `GET /api/v1/apps/{appId}`: the app, to check that it exists, is SAML 2.0 and is active.
    ///
    /// # Errors
    ///
    /// Any [`OktaErrorKind`]; an unknown app is `NotFound("app")`.
    pub async fn get_app(&self, app_id: &str) -> Result<OktaApp, OktaError> {
        let url = self.origin.url(&format!("/api/v1/apps/{}", okta_id(app_id, "App ID")?));
        self.get_json(&url, "app").await.map(|(app, _)| app)
    }

    /// The first page of the app's group assignments, each with its group embedded
    /// (`GET /api/v1/apps/{appId}/groups?limit=200&expand=group`).
    ///
    /// # Errors
    ///
    /// When the App ID is not an Okta id.
    pub fn app_groups_first_page(&self, app_id: &str) -> Result<PageUrl, OktaError> {
        let mut url =
            self.origin.url(&format!("/api/v1/apps/{}/groups", okta_id(app_id, "App ID")?));
        url.query_pairs_mut()
            .append_pair("limit", &PAGE_SIZE.to_string())
            .append_pair("expand", "group");
        Ok(PageUrl(url))
    }

    /// The first page of a group's members (`GET /api/v1/groups/{groupId}/users?limit=200`).
    ///
    /// # Errors
    ///
    /// When the group id is not an Okta id.
    pub fn group_members_first_page(&self, group_id: &str) -> Result<PageUrl, OktaError> {
        let mut url =
            self.origin.url(&format!("/api/v1/groups/{}/users", okta_id(group_id, "group id")?));
        url.query_pairs_mut().append_pair("limit", &PAGE_SIZE.to_string());
        Ok(PageUrl(url))
    }

    /// Every group assigned to the app, complete or not at all.
    ///
    /// # Errors
    ///
    /// Any [`OktaErrorKind`]: a listing is never returned short.
    pub async fn list_app_groups(
        &self,
        app_id: &str,
    ) -> Result<Vec<OktaGroupAssignment>, OktaError> {
        self.list_all(self.app_groups_first_page(app_id)?, "app").await
    }

    /// Every member of a group, complete or not at all.
    ///
    /// # Errors
    ///
    /// Any [`OktaErrorKind`]: a listing is never returned short.
    pub async fn list_group_members(&self, group_id: &str) -> Result<Vec<OktaUser>, OktaError> {
        self.list_all(self.group_members_first_page(group_id)?, "group").await
    }

    /// The members of each group, listed concurrently (at most `max_in_flight` requests at
    /// once), in the order of `group_ids`. Stops at the first failure.
    ///
    /// # Errors
    ///
    /// The first listing's error; no partial result is returned.
    pub async fn list_members_of_groups(
        &self,
        group_ids: &[String],
    ) -> Result<Vec<Vec<OktaUser>>, OktaError> {
        stream::iter(group_ids)
            .map(|id| self.list_group_members(id))
            .buffered(self.config.max_in_flight.max(1))
            .try_collect()
            .await
    }

    /// `GET /api/v1/groups/{groupId}`.
    ///
    /// # Errors
    ///
    /// Any [`OktaErrorKind`]; an unknown group is `NotFound("group")`.
    pub async fn get_group(&self, group_id: &str) -> Result<OktaGroup, OktaError> {
        let url = self.origin.url(&format!("/api/v1/groups/{}", okta_id(group_id, "group id")?));
        self.get_json(&url, "group").await.map(|(group, _)| group)
    }

    /// `GET /api/v1/users/{userId}`: the user as Okta holds them now. A read by id is
    /// consistent, where the user search is not (CONTRACT.md §2 note 7): the event hook's runs
    /// read the users Okta's events name this way.
    ///
    /// # Errors
    ///
    /// Any [`OktaErrorKind`]; an unknown (or deleted) user is `NotFound("user")`.
    pub async fn get_user(&self, user_id: &str) -> Result<OktaUser, OktaError> {
        let url = self.origin.url(&format!("/api/v1/users/{}", okta_id(user_id, "user id")?));
        self.get_json(&url, "user").await.map(|(user, _)| user)
    }

    /// The users whose primary email is `email` (case-insensitive; deprovisioned users included,
    /// as Okta's search returns them).
    ///
    /// # Errors
    ///
    /// Any [`OktaErrorKind`]; an email that cannot be put in a search expression is `InvalidInput`.
    pub async fn find_users_by_email(&self, email: &str) -> Result<Vec<OktaUser>, OktaError> {
        if email.is_empty()
            || email.len() > 254
            || email.chars().any(|c| c == '"' || c == '\\' || c.is_control())
        {
            return Err(OktaError::new(
                OktaErrorKind::InvalidInput("not a searchable email".into()),
                None,
            ));
        }
        let mut url = self.origin.url("/api/v1/users");
        url.query_pairs_mut()
            .append_pair("search", &format!("profile.email eq \"{email}\""))
            .append_pair("limit", &PAGE_SIZE.to_string());
        self.list_all(PageUrl(url), "user").await
    }

    /// The first page of the users whose status is not `ACTIVE`
    /// (`GET /api/v1/users?search=status eq "SUSPENDED" or …`).
    ///
    /// An incremental sync reads this instead of every group's members to learn which members
    /// lost (or regained) their active status: Okta does not change a group's
    /// `lastMembershipUpdated` when a member is suspended.
    pub fn inactive_users_first_page(&self) -> PageUrl {
        const INACTIVE: [&str; 7] = [
            "DEPROVISIONED",
            "LOCKED_OUT",
            "PASSWORD_EXPIRED",
            "PROVISIONED",
            "RECOVERY",
            "STAGED",
            "SUSPENDED",
        ];
        let expression = INACTIVE
            .iter()
            .map(|status| format!("status eq \"{status}\""))
            .collect::<Vec<_>>()
            .join(" or ");
        let mut url = self.origin.url("/api/v1/users");
        url.query_pairs_mut()
            .append_pair("search", &expression)
            .append_pair("limit", &PAGE_SIZE.to_string());
        PageUrl(url)
    }

    /// A page URL kept between invocations, checked again against the tenant's origin.
    ///
    /// # Errors
    ///
    /// `Malformed` when it is not a URL, `ForeignNextLink` when it is off the tenant.
    pub fn resume_page(&self, stored: &str) -> Result<PageUrl, OktaError> {
        let url = Url::parse(stored).map_err(|_| {
            OktaError::new(OktaErrorKind::Malformed("a stored page URL".into()), None)
        })?;
        if !self.origin.is_origin_of(&url) {
            return Err(OktaError::new(OktaErrorKind::ForeignNextLink(origin_of(&url)), None));
        }
        Ok(PageUrl(url))
    }

    /// Reads one page of a listing and checks where its `next` link points.
    ///
    /// # Errors
    ///
    /// Any [`OktaErrorKind`]; a `next` link off the tenant's origin is `ForeignNextLink`.
    pub async fn fetch_page<I: DeserializeOwned>(
        &self,
        page: &PageUrl,
        resource: &'static str,
    ) -> Result<Page<I>, OktaError> {
        let (items, response) = self.get_json::<Vec<I>>(&page.0, resource).await?;
        self.add_stats(|s| s.pages += 1);
        let request_id = request_id(&response);
        let next = match next_link(response.headers_named("link")) {
            None => None,
            Some(target) => {
                let url = Url::parse(target).map_err(|_| {
                    OktaError::new(
                        OktaErrorKind::Malformed(format!(
                            "a next link that is not a URL: {target}"
                        )),
                        request_id.clone(),
                    )
                })?;
                if !self.origin.is_origin_of(&url) {
                    return Err(OktaError::new(
                        OktaErrorKind::ForeignNextLink(origin_of(&url)),
                        request_id,
                    ));
                }
                Some(PageUrl(url))
            }
        };
        Ok(Page { items, next })
    }

    /// Follows a listing from `first` to its last page, verbatim, with a page cap and a loop check.
    async fn list_all<I: DeserializeOwned>(
        &self,
        first: PageUrl,
        resource: &'static str,
    ) -> Result<Vec<I>, OktaError> {
        let mut seen = HashSet::new();
        let mut items = Vec::new();
        let mut next = Some(first);
        while let Some(page_url) = next {
            if seen.len() >= self.config.max_pages {
                return Err(OktaError::new(
                    OktaErrorKind::TooManyPages(self.config.max_pages),
                    None,
                ));
            }
            if !seen.insert(page_url.0.as_str().to_owned()) {
                return Err(OktaError::new(OktaErrorKind::PaginationLoop, None));
            }
            let page = self.fetch_page(&page_url, resource).await?;
            items.extend(page.items);
            next = page.next;
        }
        Ok(items)
    }

    /// One GET with every policy applied, decoded as `R`; the answer is returned for its headers.
    async fn get_json<R: DeserializeOwned>(
        &self,
        url: &Url,
        resource: &'static str,
    ) -> Result<(R, HttpResponse), OktaError> {
        let response = self.send_with_retries(url, resource).await?;
        let value = serde_json::from_slice(&response.body).map_err(|e| {
            OktaError::new(OktaErrorKind::Malformed(e.to_string()), request_id(&response))
        })?;
        Ok((value, response))
    }

    /// Sends until a success, a final error, or the retries run out.
    async fn send_with_retries(
        &self,
        url: &Url,
        resource: &'static str,
    ) -> Result<HttpResponse, OktaError> {
        let bucket = Bucket::for_path(url.path());
        let mut rate_limit_retries = 0;
        let mut transient_retries = 0;
        let mut previous_request_id = None;
        let mut unauthorized = UnauthorizedRule::new();
        loop {
            // A service app's token is got (from the cache, or fetched) before the governor
            // admits the request: the token request is not in the API's rate-limit buckets.
            let presented = match self.present().await {
                Ok(presented) => presented,
                Err(failure) => {
                    if !is_transient(&failure)
                        || transient_retries >= self.config.max_transient_retries
                    {
                        return Err(failure);
                    }
                    transient_retries += 1;
                    self.add_stats(|s| s.retries += 1);
                    self.clock.sleep(self.backoff(transient_retries)).await;
                    continue;
                }
            };
            self.admit(bucket).await;
            let attempt = rate_limit_retries + transient_retries;
            let outcome =
                self.send_once(url, &presented, attempt, previous_request_id.as_deref()).await;
            let rate = outcome.as_ref().ok().and_then(rate_headers);
            let too_many = matches!(&outcome, Ok(r) if r.status == 429);
            let jitter = self.jitter_ms();
            self.governor.borrow_mut().record(bucket, rate, too_many, self.clock.now_ms(), jitter);

            let failure = match outcome {
                Ok(response) if (200..300).contains(&response.status) => return Ok(response),
                // A service app's token refused: drop it and retry once with a new one.
                Ok(response)
                    if response.status == 401
                        && self.renew_after_401(&presented, &mut unauthorized) =>
                {
                    self.add_stats(|s| s.retries += 1);
                    continue;
                }
                Ok(response) if response.status == 429 => {
                    self.add_stats(|s| s.rate_limited += 1);
                    if rate_limit_retries >= self.config.max_rate_limit_retries {
                        let kind = OktaErrorKind::RateLimited { retries: rate_limit_retries };
                        return Err(OktaError::new(kind, request_id(&response)));
                    }
                    rate_limit_retries += 1;
                    previous_request_id = request_id(&response);
                    if rate.is_some_and(|r| r.is_concurrency_signal()) || rate.is_none() {
                        // A concurrency 429 has no usable reset: back off briefly instead.
                        self.clock.sleep(self.backoff(rate_limit_retries)).await;
                    }
                    self.add_stats(|s| s.retries += 1);
                    continue;
                }
                Ok(response) if matches!(response.status, 500 | 502 | 503 | 504) => {
                    let kind = OktaErrorKind::Upstream {
                        status: response.status,
                        error_code: error_code(&response),
                    };
                    OktaError::new(kind, request_id(&response))
                }
                Ok(response) => {
                    let service_app = matches!(presented, Presented::AccessToken { .. });
                    return Err(classify_refusal(&response, resource, service_app));
                }
                Err(failure) => failure,
            };
            if !is_transient(&failure) || transient_retries >= self.config.max_transient_retries {
                return Err(failure);
            }
            transient_retries += 1;
            previous_request_id = failure.request_id.clone();
            self.add_stats(|s| s.retries += 1);
            self.clock.sleep(self.backoff(transient_retries)).await;
        }
    }

    /// Waits until the governor lets a request to `bucket` go.
    async fn admit(&self, bucket: Bucket) {
        loop {
            let jitter = self.jitter_ms();
            let admission = self.governor.borrow_mut().admit(bucket, self.clock.now_ms(), jitter);
            match admission {
                Admission::Go => return,
                Admission::Wait { duration, budget_wait } => {
                    if budget_wait {
                        self.add_stats(|s| {
                            s.rate_limit_waits += 1;
                            s.rate_limit_wait_ms +=
                                u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
                        });
                    }
                    self.clock.sleep(duration).await;
                }
            }
        }
    }

    /// Sends one request within the in-flight limit and the timeout.
    async fn send_once(
        &self,
        url: &Url,
        presented: &Presented<'_>,
        attempt: u32,
        retry_for: Option<&str>,
    ) -> Result<HttpResponse, OktaError> {
        let _slot = self.in_flight.acquire().await;
        self.add_stats(|s| s.requests += 1);
        let mut headers = match presented {
            Presented::ApiToken(token) => {
                vec![("Authorization", format!("SSWS {}", token.expose()))]
            }
            Presented::AccessToken { app, token, .. } => {
                let authorization =
                    format!("{} {}", token.token_type.scheme(), token.access_token.expose());
                let mut headers = vec![("Authorization", authorization)];
                if token.token_type == TokenType::Dpop {
                    // A fresh proof per request, bound to its URL (`htu` drops the query) and to
                    // the token (`ath`), made after the wait for a slot so its `iat` is current.
                    let jti = app.app.unique_id();
                    let claims = DpopClaims::resource_request(
                        Method::Get,
                        url,
                        self.clock.now_ms() / 1000,
                        &jti,
                        &token.access_token,
                    );
                    headers.push((
                        "DPoP",
                        DpopProof::sign(app.app.dpop_key(), &claims).expose().to_owned(),
                    ));
                }
                headers
            }
        };
        headers.push(("Accept", "application/json".to_owned()));
        headers.push(("User-Agent", self.config.user_agent.clone()));
        if attempt > 0 {
            // Okta's suggested retry headers, so its support can tie a retry to the failure.
            headers.push(("X-Okta-Retry-Count", attempt.to_string()));
            if let Some(id) = retry_for {
                headers.push(("X-Okta-Retry-For", id.to_owned()));
            }
        }
        let request = HttpRequest {
            url: url.as_str().to_owned(),
            headers,
            max_body_bytes: self.config.max_body_bytes,
        };
        self.within_timeout(self.transport.get(request), self.config.max_body_bytes).await
    }

    /// Awaits `send` within the request timeout, and checks its answer's size.
    async fn within_timeout(
        &self,
        send: impl Future<Output = Result<HttpResponse, TransportError>>,
        max_body_bytes: usize,
    ) -> Result<HttpResponse, OktaError> {
        let send = std::pin::pin!(send);
        let timeout = std::pin::pin!(self.clock.sleep(self.config.request_timeout));
        match select(send, timeout).await {
            Either::Left((Ok(response), _)) => {
                if response.body.len() > max_body_bytes {
                    return Err(OktaError::new(
                        OktaErrorKind::TooLarge(max_body_bytes),
                        request_id(&response),
                    ));
                }
                Ok(response)
            }
            Either::Left((Err(TransportError::BodyTooLarge(limit)), _)) => {
                Err(OktaError::new(OktaErrorKind::TooLarge(limit), None))
            }
            Either::Left((Err(TransportError::Failed(why)), _)) => {
                Err(OktaError::new(OktaErrorKind::Unreachable(why), None))
            }
            Either::Right(((), _)) => {
                Err(OktaError::new(OktaErrorKind::Timeout(self.config.request_timeout), None))
            }
        }
    }

    /// What the next attempt authenticates with: the API token, or a service app's access token
    /// from the cache, fetched first when there is none usable.
    async fn present(&self) -> Result<Presented<'_>, OktaError> {
        let app = match &self.credential {
            Credential::ApiToken(token) => return Ok(Presented::ApiToken(token)),
            Credential::ServiceApp(app) => app,
        };
        let cached = |app: &'_ ServiceApp| {
            let cache = app.cache.borrow();
            cache.get(self.clock.now_ms() / 1000).map(|c| (c.token.clone(), c.generation))
        };
        if let Some((token, generation)) = cached(app) {
            return Ok(Presented::AccessToken { app, token, generation });
        }
        // One request fetches; those that waited meanwhile find its token in the cache.
        let _fetching = app.fetching.lock().await;
        if let Some((token, generation)) = cached(app) {
            return Ok(Presented::AccessToken { app, token, generation });
        }
        let (token, generation) = self.fetch_token(app).await?;
        Ok(Presented::AccessToken { app, token, generation })
    }

    /// Requests an access token from the org authorization server and caches it, redoing the
    /// request once if Okta asks for a `DPoP` nonce.
    ///
    /// A `DPoP` proof is always sent: Okta needs one when the app requires `DPoP`, and issues a
    /// `Bearer` token when it does not; the token type in the answer decides how it is used.
    async fn fetch_token(
        &self,
        app: &ServiceApp,
    ) -> Result<(IssuedToken, TokenGeneration), OktaError> {
        let mut nonce_rule = NonceRule::new();
        loop {
            let requested_at_s = self.clock.now_ms() / 1000;
            // Fresh `jti`s on every attempt: Okta may have recorded the refused ones as used.
            let assertion = ClientAssertion::sign(
                app.app.key(),
                app.app.client_id(),
                &self.origin,
                requested_at_s,
                &app.app.unique_id(),
            );
            let nonce = app.cache.borrow().dpop_nonce().cloned();
            let proof = DpopProof::for_token_request(
                app.app.dpop_key(),
                &self.origin,
                requested_at_s,
                &app.app.unique_id(),
                nonce.as_ref(),
            );
            let response =
                self.post_token_request(&TokenRequestBody::new(&assertion), &proof).await?;
            let refusal = match parse_token_answer(&response) {
                Ok(token) => {
                    let generation = app.cache.borrow_mut().store(token.clone(), requested_at_s);
                    return Ok((token, generation));
                }
                Err(refusal) => refusal,
            };
            if let Some(nonce) = refusal.dpop_nonce() {
                let after =
                    nonce_rule.on_use_dpop_nonce(&mut app.cache.borrow_mut(), nonce.clone());
                if after == AfterNonceChallenge::RetryWithNonce {
                    continue;
                }
            }
            return Err(token_refusal(refusal, request_id(&response)));
        }
    }

    /// Sends one token request within the in-flight limit and the timeout.
    async fn post_token_request(
        &self,
        body: &TokenRequestBody,
        proof: &DpopProof,
    ) -> Result<HttpResponse, OktaError> {
        let _slot = self.in_flight.acquire().await;
        self.add_stats(|s| s.requests += 1);
        let request = HttpRequest {
            url: token_endpoint(&self.origin).into(),
            headers: vec![
                ("Content-Type", FORM_CONTENT_TYPE.to_owned()),
                ("DPoP", proof.expose().to_owned()),
                ("Accept", "application/json".to_owned()),
                ("User-Agent", self.config.user_agent.clone()),
            ],
            max_body_bytes: MAX_ANSWER_BYTES,
        };
        let send = self.transport.post_form(request, body.expose().to_owned());
        self.within_timeout(send, MAX_ANSWER_BYTES).await
    }

    /// After a 401 to the attempt that `presented` authenticated: whether to retry with a new
    /// token (once per call, and only for a service app; the refused token is dropped).
    fn renew_after_401(&self, presented: &Presented<'_>, rule: &mut UnauthorizedRule) -> bool {
        let Presented::AccessToken { app, generation, .. } = presented else {
            return false;
        };
        let after = rule.on_unauthorized(&mut app.cache.borrow_mut(), *generation);
        after == AfterUnauthorized::RetryWithNewToken
    }

    /// Exponential backoff with jitter: initial, ×2, ×4, … plus up to 250 ms.
    fn backoff(&self, retry: u32) -> Duration {
        let factor = 2_u32.saturating_pow(retry.saturating_sub(1));
        self.config.initial_backoff.saturating_mul(factor) + Duration::from_millis(self.jitter_ms())
    }

    /// 0–250 ms of jitter, from a xorshift seeded by the clock (no I/O, no dependency).
    fn jitter_ms(&self) -> u64 {
        let mut x = self.jitter_seed.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.jitter_seed.set(x);
        x % 251
    }

    fn add_stats(&self, update: impl FnOnce(&mut ClientStats)) {
        let mut stats = self.stats.get();
        update(&mut stats);
        self.stats.set(stats);
    }
}

/// Whether a failure may clear by itself, so that the request is worth sending again.
fn is_transient(failure: &OktaError) -> bool {
    matches!(
        failure.kind,
        OktaErrorKind::Upstream { .. } | OktaErrorKind::Timeout(_) | OktaErrorKind::Unreachable(_)
    )
}

/// Maps the token endpoint's refusal to the client's error; a 5xx is `Upstream`, so retried.
fn token_refusal(refusal: TokenEndpointError, request_id: Option<String>) -> OktaError {
    let kind = match refusal {
        TokenEndpointError::OAuth(error) => OktaErrorKind::TokenRefused(error),
        TokenEndpointError::Status(429) => OktaErrorKind::RateLimited { retries: 0 },
        TokenEndpointError::Status(status @ (500 | 502 | 503 | 504)) => {
            OktaErrorKind::Upstream { status, error_code: None }
        }
        TokenEndpointError::Status(status @ 300..=399) => OktaErrorKind::Redirect(status),
        TokenEndpointError::Status(status) => OktaErrorKind::Rejected { status, error_code: None },
        TokenEndpointError::TooLarge => OktaErrorKind::TooLarge(MAX_ANSWER_BYTES),
        TokenEndpointError::Malformed(what) => {
            OktaErrorKind::Malformed(format!("the token endpoint's answer: {what}"))
        }
    };
    OktaError::new(kind, request_id)
}

/// The `error` of a `WWW-Authenticate` challenge (RFC 6750 §3), if it is `code`.
fn challenge_error_is(response: &HttpResponse, code: &str) -> bool {
    response.headers_named("www-authenticate").any(|c| c.contains(&format!("error=\"{code}\"")))
}

/// The `scope` of a `WWW-Authenticate` challenge, when it is plain scope names.
fn challenge_scope(response: &HttpResponse) -> Option<String> {
    let challenge = response.header("www-authenticate")?;
    let (_, rest) = challenge.split_once("scope=\"")?;
    let (scope, _) = rest.split_once('"')?;
    let plain = !scope.is_empty()
        && scope.len() <= 200
        && scope.bytes().all(|b| b.is_ascii_alphanumeric() || b" ._-".contains(&b));
    plain.then(|| scope.to_owned())
}

/// Maps a 3xx or 4xx (other than 429) to its error; `service_app` when the request carried a
/// service app's access token.
fn classify_refusal(
    response: &HttpResponse,
    resource: &'static str,
    service_app: bool,
) -> OktaError {
    let kind = match response.status {
        300..=399 => OktaErrorKind::Redirect(response.status),
        401 if service_app && challenge_error_is(response, "invalid_dpop_proof") => {
            OktaErrorKind::TokenRefused(OAuthError {
                kind: OAuthErrorKind::InvalidDpopProof,
                status: 401,
                description: None,
            })
        }
        401 => OktaErrorKind::InvalidToken,
        403 if service_app && challenge_error_is(response, "insufficient_scope") => {
            OktaErrorKind::MissingScope(challenge_scope(response))
        }
        403 if service_app => OktaErrorKind::NoAdminRole,
        403 => OktaErrorKind::PermissionDenied,
        404 => OktaErrorKind::NotFound(resource),
        status => OktaErrorKind::Rejected { status, error_code: error_code(response) },
    };
    OktaError::new(kind, request_id(response))
}

fn rate_headers(response: &HttpResponse) -> Option<RateHeaders> {
    let number = |name| response.header(name).and_then(|v| v.trim().parse::<u64>().ok());
    Some(RateHeaders {
        limit: u32::try_from(number("x-rate-limit-limit")?).ok()?,
        remaining: u32::try_from(number("x-rate-limit-remaining")?).ok()?,
        reset_s: number("x-rate-limit-reset")?,
        date_s: response.header("date").and_then(parse_http_date),
    })
}

fn request_id(response: &HttpResponse) -> Option<String> {
    response.header("x-okta-request-id").map(str::to_owned)
}

fn error_code(response: &HttpResponse) -> Option<String> {
    serde_json::from_slice::<OktaErrorBody>(&response.body).ok().and_then(|b| b.error_code)
}

/// `scheme://host[:port]` of a URL, for an error message (never its path or query).
fn origin_of(url: &Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}://{}{port}", url.scheme(), url.host_str().unwrap_or(""))
}

/// Checks that an id can go into a URL path: Okta ids are 20 ASCII letters and digits.
fn okta_id<'a>(id: &'a str, what: &str) -> Result<&'a str, OktaError> {
    if id.len() == 20 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(id)
    } else {
        Err(OktaError::new(
            OktaErrorKind::InvalidInput(format!("{what} must be 20 letters and digits")),
            None,
        ))
    }
}

#[cfg(test)]
mod tests;
