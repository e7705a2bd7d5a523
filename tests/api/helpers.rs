//! `TestApp`: typed access to the Worker under test, started once per test binary.

use std::sync::OnceLock;

use groupsync_core::api::{PROBLEM_CONTENT_TYPE, Problem};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use test_support::{LocalStack, StackOptions, workspace_root};

use crate::world::World;

/// The stack most tests of this binary talk to. Stacks are never dropped: their watchdogs end
/// wrangler when the test process exits.
static STACK: OnceLock<LocalStack> = OnceLock::new();

/// A stack on which nobody signs in before its bootstrap test.
/// How long SQL from outside waits for the Worker to release D1's write lock: a lock is held for
/// one statement or batch, but two busy cores may keep the Worker's turn long.
const SQL_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

static BOOTSTRAP_STACK: OnceLock<LocalStack> = OnceLock::new();

/// A stack whose D1 migrations were never applied: a database that cannot answer.
static UNMIGRATED_STACK: OnceLock<LocalStack> = OnceLock::new();

/// A local stack with the dev sign-in on.
static DEV_STACK: OnceLock<LocalStack> = OnceLock::new();

/// A stack with the default rate limits and the Okta token set by the deployment.
static LIMITED_STACK: OnceLock<LocalStack> = OnceLock::new();

/// A stack for the sync runs against the S tenant, and one for the fault runs.
static SYNC_STACK: OnceLock<LocalStack> = OnceLock::new();
static FAULT_STACK: OnceLock<LocalStack> = OnceLock::new();
/// The stack whose D1 the paging tests seed from outside (a writer from outside holds D1's lock,
/// which made the Worker's own writes fail for tests sharing its stack).
static SEEDED_STACK: OnceLock<LocalStack> = OnceLock::new();
/// The stack that syncs the scale tenant.
static SCALE_STACK: OnceLock<LocalStack> = OnceLock::new();

/// A production stack that was (wrongly) given the dev sign-in.
static MISCONFIGURED_STACK: OnceLock<LocalStack> = OnceLock::new();

/// A stack that trusts an Access team of its own (`World::own_team`), so that its key-set
/// fetches can be counted while the other stacks fetch theirs.
static OWN_TEAM_STACK: OnceLock<LocalStack> = OnceLock::new();

/// A client of the Worker under test.
pub(crate) struct TestApp {
    base_url: String,
    http: reqwest::Client,
    stack: &'static LocalStack,
}

impl TestApp {
    /// Connects to the shared stack, starting it (with fresh state) on first use.
    pub(crate) fn new() -> Self {
        Self::connect(STACK.get_or_init(|| start_stack("api", true, World::get().stack_vars())))
    }

    /// Connects to a stack of its own that has no superAdmin yet (for the bootstrap test only).
    pub(crate) fn before_bootstrap() -> Self {
        Self::connect(
            BOOTSTRAP_STACK
                .get_or_init(|| start_stack("api-bootstrap", true, World::get().stack_vars())),
        )
    }

    /// Connects to a stack whose database has no schema.
    pub(crate) fn without_migrations() -> Self {
        Self::connect(
            UNMIGRATED_STACK.get_or_init(|| start_stack("api-unmigrated", false, Vec::new())),
        )
    }

    /// Connects to a stack with the default rate limits (the main stack lifts them) whose Okta
    /// token is a deployment secret (`OKTA_API_TOKEN`).
    pub(crate) fn deployment() -> Self {
        Self::connect(LIMITED_STACK.get_or_init(|| {
            let world = World::get();
            let set = [
                ("OKTA_API_TOKEN", world.okta.token.clone()),
                ("OKTA_TENANT_URL", world.okta.base_url.clone()),
            ];
            let vars = world.stack_vars_with(|name| name.starts_with("RATE_LIMIT_"), &set);
            start_stack("api-deployment", true, vars)
        }))
    }

    /// Connects to the stack the sync tests use.
    pub(crate) fn for_sync() -> Self {
        Self::connect(
            SYNC_STACK.get_or_init(|| start_stack("api-sync", true, World::get().stack_vars())),
        )
    }

    /// Connects to the stack that tests seed with SQL from outside.
    pub(crate) fn for_seeding() -> Self {
        Self::connect(
            SEEDED_STACK.get_or_init(|| start_stack("api-seeded", true, World::get().stack_vars())),
        )
    }

    /// Connects to the stack that syncs the scale tenant.
    pub(crate) fn for_scale() -> Self {
        Self::connect(
            SCALE_STACK.get_or_init(|| start_stack("api-scale", true, World::get().stack_vars())),
        )
    }

    /// Connects to the stack the fault runs use.
    pub(crate) fn for_faults() -> Self {
        Self::connect(
            FAULT_STACK.get_or_init(|| start_stack("api-faults", true, World::get().stack_vars())),
        )
    }

    /// Connects to a local stack with the dev sign-in on.
    pub(crate) fn with_dev_sign_in() -> Self {
        Self::connect(DEV_STACK.get_or_init(|| {
            let world = World::get();
            let set = [
                ("DEV_SIGN_IN", "true".to_owned()),
                ("DEV_SIGNING_KEY", world.dev_signing_key.clone()),
            ];
            let vars = world.stack_vars_with(|name| name.starts_with("RATE_LIMIT_"), &set);
            start_stack("api-dev", true, vars)
        }))
    }

    /// Connects to a production stack given the dev sign-in, which must refuse to serve.
    pub(crate) fn production_with_dev_sign_in() -> Self {
        Self::connect(MISCONFIGURED_STACK.get_or_init(|| {
            let vars = vec![
                ("ENVIRONMENT".into(), "production".into()),
                ("DEV_SIGN_IN".into(), "true".into()),
                ("DEV_SIGNING_KEY".into(), World::get().dev_signing_key.clone()),
            ];
            start_stack("api-misconfigured", true, vars)
        }))
    }

    /// Connects to a stack whose Access team is `World::own_team`, whose keys no other stack
    /// fetches. Its tokens must name that team as their issuer.
    pub(crate) fn with_own_access_team() -> Self {
        Self::connect(OWN_TEAM_STACK.get_or_init(|| {
            let world = World::get();
            let set = [("ACCESS_TEAM_DOMAIN", world.own_team.clone())];
            start_stack("api-own-team", true, world.stack_vars_with(|_| false, &set))
        }))
    }

    /// Requests as a person signed in through Access.
    pub(crate) fn as_person(&self, email: &str) -> Caller<'_> {
        self.with_jwt(&World::get().person(email))
    }

    /// Requests carrying this `Cf-Access-Jwt-Assertion`.
    pub(crate) fn with_jwt(&self, token: &str) -> Caller<'_> {
        Caller { app: self, headers: vec![("Cf-Access-Jwt-Assertion", token.to_owned())] }
    }

    /// Requests carrying `Authorization: Bearer <key>`.
    pub(crate) fn with_api_key(&self, key: &str) -> Caller<'_> {
        Caller { app: self, headers: vec![("Authorization", format!("Bearer {key}"))] }
    }

    /// Requests carrying exactly these headers as credentials.
    pub(crate) fn with_headers(&self, headers: Vec<(&'static str, String)>) -> Caller<'_> {
        Caller { app: self, headers }
    }

    /// A raw request, for tests that shape every header themselves.
    pub(crate) fn raw(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    /// Connects to `stack` (for tests that start a stack of their own with [`start_stack`]).
    pub(crate) fn connect(stack: &'static LocalStack) -> Self {
        // A client per test: each test has its own async runtime, and pooled connections are
        // bound to the runtime that opened them.
        // Idle connections are dropped after a second: `wrangler dev` closes them after five
        // (Node's keep-alive timeout), and a request sent on one as it closes fails with
        // `IncompleteMessage` (a test that waited seconds for `wrangler d1 execute` met that).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(std::time::Duration::from_secs(1))
            .build()
            .expect("an HTTP client builds");
        Self { base_url: stack.base_url().to_owned(), http, stack }
    }

    /// `GET path` with the headers of an API client.
    pub(crate) async fn get(&self, path: &str) -> Response {
        self.request(reqwest::Method::GET, path).await
    }

    /// A request with any method and no body.
    pub(crate) async fn request(&self, method: reqwest::Method, path: &str) -> Response {
        self.http
            .request(method, self.url(path))
            .header("Accept", "application/json")
            .send()
            .await
            .expect("the Worker answers")
    }

    /// `GET path` as a browser navigating to it would send it.
    pub(crate) async fn navigate(&self, path: &str) -> Response {
        self.http
            .get(self.url(path))
            .header("Accept", "text/html,application/xhtml+xml")
            .header("Sec-Fetch-Mode", "navigate")
            .header("Sec-Fetch-Dest", "document")
            .send()
            .await
            .expect("the Worker answers")
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// What D1 answers to `sql` that it must refuse (a statement breaking a constraint).
    pub(crate) fn refused_sql(&self, sql: &str) -> String {
        match self.stack.execute_sql(sql) {
            Ok(()) => panic!("{sql}: D1 accepted it"),
            Err(e) => e.to_string(),
        }
    }

    /// Runs SQL on the stack's D1 from outside the Worker (to seed it, or to break it under a
    /// running sync). The Worker may hold the database's write lock at that moment (other tests
    /// share the stack): the statement is sent again until the lock is free.
    pub(crate) fn execute_sql(&self, sql: &str) {
        let deadline = std::time::Instant::now() + SQL_PATIENCE;
        loop {
            match self.stack.execute_sql(sql) {
                Ok(()) => return,
                Err(e) if e.to_string().contains("SQLITE_BUSY") => {
                    assert!(std::time::Instant::now() < deadline, "{sql}: still locked: {e}");
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
                Err(e) => panic!("{sql}: {e}"),
            }
        }
    }

    /// Waits until the stack answers `/api/v1/health` again after a process outside it changed
    /// its D1 files (a test's `wrangler d1 execute`), so that what the test asks next meets a
    /// Worker at rest; production, where nothing outside the Worker touches D1, has no such
    /// moment.
    pub(crate) async fn wait_until_serving(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let answer = self.http.get(format!("{}/api/v1/health", self.base_url)).send().await;
            match answer {
                Ok(answer) if answer.status().is_success() => return,
                other => {
                    let now = std::time::Instant::now();
                    assert!(now < deadline, "the stack does not serve again: {other:?}");
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            }
        }
    }

    /// The rows of `sql` (one statement) read from a copy of the stack's D1, for what the API
    /// does not show.
    pub(crate) fn query_rows(&self, sql: &str) -> Vec<serde_json::Value> {
        let answer = self.stack.query_sql(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let answer: serde_json::Value = serde_json::from_str(&answer).expect("wrangler's JSON");
        answer[0]["results"].as_array().cloned().unwrap_or_default()
    }

    /// The origin of the stack (`http://127.0.0.1:PORT`).
    pub(crate) fn origin(&self) -> &str {
        &self.base_url
    }
}

/// Requests with one caller's credentials, shaped as the SPA sends them.
pub(crate) struct Caller<'a> {
    app: &'a TestApp,
    headers: Vec<(&'static str, String)>,
}

impl Caller<'_> {
    /// `GET path`.
    pub(crate) async fn get(&self, path: &str) -> Response {
        self.builder(Method::GET, path).send().await.expect("the Worker answers")
    }

    /// `GET path`, which must succeed, read as `core`'s wire type `T`: a body that does not
    /// match the type fails the test, as it would fail a typed client.
    pub(crate) async fn read<T: DeserializeOwned>(&self, path: &str) -> T {
        let response = self.get(path).await;
        let status = response.status();
        let text = response.text().await.expect("a body");
        assert!(status.is_success(), "GET {path}: {status}: {text}");
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("GET {path}: not its wire type ({e}): {text}"))
    }

    /// A write with a JSON body, carrying the anti-CSRF header as the SPA does.
    pub(crate) async fn send(&self, method: Method, path: &str, body: &Value) -> Response {
        self.write(method, path).json(body).send().await.expect("the Worker answers")
    }

    /// `DELETE path`, carrying the anti-CSRF header.
    pub(crate) async fn delete(&self, path: &str) -> Response {
        self.write(Method::DELETE, path).send().await.expect("the Worker answers")
    }

    /// A request with the credentials and the anti-CSRF header, to shape further.
    pub(crate) fn write(&self, method: Method, path: &str) -> RequestBuilder {
        self.builder(method, path).header("X-Requested-By", "okta-groups-sync")
    }

    /// A request with the credentials only.
    pub(crate) fn builder(&self, method: Method, path: &str) -> RequestBuilder {
        let mut builder = self.app.raw(method, path).header("Accept", "application/json");
        for (name, value) in &self.headers {
            builder = builder.header(*name, value);
        }
        builder
    }
}

/// Asserts that `response` is a problem+json answer with `status` and `code`, and returns it.
pub(crate) async fn expect_problem(response: Response, status: StatusCode, code: &str) -> Problem {
    assert_eq!(response.status(), status);
    assert_eq!(content_type(&response), PROBLEM_CONTENT_TYPE);
    let problem: Problem = response.json().await.expect("a problem body");
    assert_eq!(problem.status, status.as_u16(), "the body repeats the status");
    assert_eq!(problem.code, code);
    problem
}

/// The response's `Content-Type`, or `""`.
pub(crate) fn content_type(response: &Response) -> &str {
    response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Starts a stack named `name` with fresh state and `vars`, migrated if `migrate`.
pub(crate) fn start_stack(name: &str, migrate: bool, vars: Vec<(String, String)>) -> LocalStack {
    let root = workspace_root();
    let options = StackOptions {
        migrate,
        vars,
        ..StackOptions::fresh_for_tests(&root, name).expect("a test stack directory")
    };
    LocalStack::start(&root, options).unwrap_or_else(|e| panic!("the local stack starts: {e}"))
}
