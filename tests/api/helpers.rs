//! `TestApp`: typed access to the Worker under test, started once per test binary.

use std::fs;
use std::sync::OnceLock;

use groupsync_core::api::{PROBLEM_CONTENT_TYPE, Problem};
use reqwest::{Response, StatusCode};
use test_support::{LocalStack, Logs, StackOptions, workspace_root};

/// The stack every test of this binary talks to. It is never dropped: its watchdog ends wrangler
/// when the test process exits.
static STACK: OnceLock<LocalStack> = OnceLock::new();

/// A client of the Worker under test.
pub(crate) struct TestApp {
    base_url: String,
    http: reqwest::Client,
}

impl TestApp {
    /// Connects to the shared stack, starting it (with fresh state) on first use.
    pub(crate) fn new() -> Self {
        let stack = STACK.get_or_init(start_stack);
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

fn start_stack() -> LocalStack {
    let root = workspace_root();
    let dir = root.join("target").join("test-stacks").join("api");
    // Fresh state for every run: no rows from an earlier run can make a test pass.
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("the test stack's directory can be created");
    let options = StackOptions {
        port: None,
        state_dir: dir.join("state"),
        vars: Vec::new(),
        logs: Logs::File(dir.join("wrangler.log")),
    };
    LocalStack::start(&root, options).unwrap_or_else(|e| panic!("the local stack starts: {e}"))
}
