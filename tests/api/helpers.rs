//! `TestApp`: typed access to the Worker under test, started once per test binary.

use std::sync::OnceLock;

use groupsync_core::api::{PROBLEM_CONTENT_TYPE, Problem};
use reqwest::{Response, StatusCode};
use test_support::{LocalStack, StackOptions, workspace_root};

/// The stack most tests of this binary talk to. Stacks are never dropped: their watchdogs end
/// wrangler when the test process exits.
static STACK: OnceLock<LocalStack> = OnceLock::new();

/// A stack whose D1 migrations were never applied: a database that cannot answer.
static UNMIGRATED_STACK: OnceLock<LocalStack> = OnceLock::new();

/// A client of the Worker under test.
pub(crate) struct TestApp {
    base_url: String,
    http: reqwest::Client,
}

impl TestApp {
    /// Connects to the shared stack, starting it (with fresh state) on first use.
    pub(crate) fn new() -> Self {
        Self::connect(STACK.get_or_init(|| start_stack("api", true)))
    }

    /// Connects to a stack whose database has no schema.
    pub(crate) fn without_migrations() -> Self {
        Self::connect(UNMIGRATED_STACK.get_or_init(|| start_stack("api-unmigrated", false)))
    }

    fn connect(stack: &LocalStack) -> Self {
        // A client per test: each test has its own async runtime, and pooled connections are
        // bound to the runtime that opened them.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client builds");
        Self { base_url: stack.base_url().to_owned(), http }
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

fn start_stack(name: &str, migrate: bool) -> LocalStack {
    let root = workspace_root();
    let options = StackOptions {
        migrate,
        ..StackOptions::fresh_for_tests(&root, name).expect("a test stack directory")
    };
    LocalStack::start(&root, options).unwrap_or_else(|e| panic!("the local stack starts: {e}"))
}
