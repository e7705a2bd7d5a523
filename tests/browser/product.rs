//! `Product`: the whole product as a person meets it, for one test: `wrangler dev` serving the
//! Worker and the SPA (with the dev sign-in, `root@example.com` the first superAdmin) and a fake
//! Okta tenant of the test's own, so that tests that sync or change Okta never meet each other.
//! Set-up the test is not about goes through the API, as another admin would.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fake_okta::{Control, FakeOkta, FakeOktaConfig, TenantInfo, TenantSize, TenantSpec};
use rsa::pkcs8::EncodePrivateKey;
use rsa::{Generate, PrivateKey};
use serde_json::{Value, json};
use test_support::{LocalStack, StackOptions, workspace_root};

use crate::browser::SYNC_PATIENCE;

/// The first superAdmin of every product under test.
pub(crate) const ROOT: &str = "root@example.com";

/// A running product with its fake Okta.
pub(crate) struct Product {
    stack: LocalStack,
    /// The fake Okta's tenant facts (URL, tokens, app ids).
    pub(crate) okta: TenantInfo,
    /// Changes the fake tenant (rename, unassign, add members…).
    pub(crate) control: Control,
    /// The dev sign-in's token of each email signed in so far (they last 8 hours). The sign-in
    /// allows 60 a minute: asking for one per call, a sync polled on a slow machine would
    /// reach that limit, and so would the tests sharing a product.
    tokens: Mutex<HashMap<String, String>>,
}

impl Product {
    /// Starts a product named `name` (its state lives in `target/test-stacks/browser-<name>`)
    /// with a fake Okta tenant of `size`, not configured yet.
    pub(crate) fn start(name: &str, size: TenantSize) -> Product {
        let (okta, control) = fake_okta(size);
        let root = workspace_root();
        let key = PrivateKey::generate().to_pkcs8_der().expect("a dev sign-in key");
        let mut options = StackOptions::fresh_for_tests(&root, &format!("browser-{name}"))
            .expect("a test stack directory");
        options.vars = [
            ("ENVIRONMENT", "local".to_owned()),
            ("DEV_SIGN_IN", "true".to_owned()),
            ("DEV_SIGNING_KEY", STANDARD.encode(key.as_bytes())),
            ("SUPER_ADMIN_BOOTSTRAP", ROOT.to_owned()),
            ("TOKEN_ENCRYPTION_KEY", STANDARD.encode([11_u8; 32])),
            ("API_KEY_PEPPER", STANDARD.encode([22_u8; 32])),
            ("RATE_LIMIT_ADMIN_WRITES_PER_MINUTE", "100000".to_owned()),
            ("RATE_LIMIT_OKTA_TESTS_PER_MINUTE", "100000".to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        let stack = LocalStack::start(&root, options)
            .unwrap_or_else(|e| panic!("the local stack starts: {e}"));
        Product { stack, okta, control, tokens: Mutex::default() }
    }

    /// Where the SPA is served.
    pub(crate) fn base_url(&self) -> &str {
        self.stack.base_url()
    }

    /// Runs SQL against the product's local D1.
    #[allow(dead_code, reason = "the groups benchmark seeds its 10,000 groups with it")]
    pub(crate) fn execute_sql(&self, sql: &str) {
        self.stack.execute_sql(sql).unwrap_or_else(|e| panic!("SQL runs: {e}"));
    }

    /// A dev sign-in token for `email`, as the sign-in form would get it.
    pub(crate) async fn token(&self, email: &str) -> String {
        if let Some(token) = self.tokens.lock().expect("the tokens").get(email) {
            return token.clone();
        }
        let answer = self
            .call(
                None,
                reqwest::Method::POST,
                "/api/v1/dev/sign-in",
                Some(json!({ "email": email })),
            )
            .await;
        let token = answer["token"].as_str().expect("a dev token").to_owned();
        self.tokens.lock().expect("the tokens").insert(email.to_owned(), token.clone());
        token
    }

    /// Calls the API as `email` and returns the JSON answer, which must be a success.
    pub(crate) async fn api(
        &self,
        email: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let token = self.token(email).await;
        self.call(Some(&token), method, path, body).await
    }

    /// Calls the API as `email` with a request it must refuse, and returns its problem.
    pub(crate) async fn api_refused(
        &self,
        email: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let token = self.token(email).await;
        let (status, text) = self.send(Some(&token), method.clone(), path, body).await;
        assert!(status.is_client_error(), "{method} {path} answered {status}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("a problem, not {text:?}: {e}"))
    }

    async fn call(
        &self,
        token: Option<&str>,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let (status, text) = self.send(token, method.clone(), path, body).await;
        assert!(status.is_success(), "{method} {path} answered {status}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// One request to the API, as the SPA sends it; its status and body.
    async fn send(
        &self,
        token: Option<&str>,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (reqwest::StatusCode, String) {
        // A client per call: tests run on runtimes of their own, and a pooled connection must not
        // outlive the runtime that opened it.
        let mut request = reqwest::Client::new()
            .request(method.clone(), format!("{}{path}", self.base_url()))
            .header("X-Requested-By", "okta-groups-sync");
        if let Some(token) = token {
            request = request.header("Cf-Access-Jwt-Assertion", token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status();
        (status, response.text().await.unwrap_or_default())
    }

    /// Points the product at its fake tenant (sync on), as a superAdmin would on the settings
    /// screen.
    pub(crate) async fn configure_okta(&self) {
        let body = json!({
            "tenant_url": self.okta.base_url, "app_id": self.okta.app_id,
            "api_token": self.okta.token, "sync_enabled": true,
        });
        self.api(ROOT, reqwest::Method::PUT, "/api/v1/settings/okta", Some(body)).await;
    }

    /// Runs a sync to its end through the API and returns the run.
    pub(crate) async fn sync(&self) -> Value {
        let started = self.api(ROOT, reqwest::Method::POST, "/api/v1/sync", Some(json!({}))).await;
        let id = started["run"]["id"].as_str().expect("a run id").to_owned();
        let deadline = Instant::now() + SYNC_PATIENCE;
        loop {
            let run = self
                .api(ROOT, reqwest::Method::GET, &format!("/api/v1/sync/runs/{id}"), None)
                .await;
            if run["state"] != "running" {
                return run;
            }
            assert!(Instant::now() < deadline, "the sync did not end: {run}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The stored group of the Okta group named `name`.
    pub(crate) async fn group_named(&self, name: &str) -> Value {
        let page = self.api(ROOT, reqwest::Method::GET, "/api/v1/groups?per_page=1000", None).await;
        page["groups"]
            .as_array()
            .and_then(|groups| groups.iter().find(|g| g["name"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no group named {name:?}"))
    }
}

/// The demo product shared by the tests that only read or add what others do not look at: the
/// demo tenant, configured and synced once, with Engineering granting Admin and Sales Viewer.
pub(crate) async fn shared_demo() -> &'static Product {
    static DEMO: tokio::sync::OnceCell<Product> = tokio::sync::OnceCell::const_new();
    DEMO.get_or_init(|| async {
        let product = Product::start("demo", TenantSize::Demo);
        product.configure_okta().await;
        let run = product.sync().await;
        assert_eq!(run["state"], "succeeded", "{run}");
        for (group, role) in [("Engineering", "admin"), ("Sales", "viewer")] {
            let found = product.group_named(group).await;
            let path = format!("/api/v1/groups/{}/roles", found["id"].as_str().expect("an id"));
            let body = json!({ "roles": [role], "version": found["roles_version"] });
            product.api(ROOT, reqwest::Method::PUT, &path, Some(body)).await;
        }
        product
    })
    .await
}

/// Starts a fake Okta with a tenant of `size` on the shared background runtime. Fakes live
/// until the test process ends.
fn fake_okta(size: TenantSize) -> (TenantInfo, Control) {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    static FAKES: Mutex<Vec<FakeOkta>> = Mutex::new(Vec::new());
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the fake Okta")
    });
    let config =
        FakeOktaConfig { tenant: TenantSpec { size, seed: 7 }, ..FakeOktaConfig::default() };
    // From a thread of its own: the calling test already runs inside a runtime.
    let fake = std::thread::spawn(move || {
        runtime.block_on(FakeOkta::start(config, SocketAddr::from(([127, 0, 0, 1], 0))))
    })
    .join()
    .expect("the fake Okta's thread")
    .expect("the fake Okta starts");
    let facts = (fake.info().clone(), fake.control().clone());
    FAKES.lock().expect("the fakes").push(fake);
    facts
}
