//! What the benchmarks share: the fake Okta and the local stack started for one tenant size,
//! and a signed-in client of the Worker's API.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fake_okta::{
    FakeOkta, FakeOktaConfig, RateLimitConfig, TenantOptions, TenantSize, TenantSpec, TruthGroup,
};
use rsa::pkcs8::EncodePrivateKey;
use rsa::{Generate, PrivateKey};
use serde_json::{Value, json};
use test_support::{LocalStack, StackOptions, workspace_root};

/// The person every benchmark signs in as: the stack's bootstrap superAdmin.
pub(crate) const BENCH_PERSON: &str = "bench@example.com";

/// How often a run's state is polled: the wall time's resolution. At S a run takes about a
/// second, so a 50 ms poll added up to 5 % to it, measuring the bench rather than the Worker; a
/// poll is one D1 read, light enough to ask this often.
pub(crate) const RUN_POLL: Duration = Duration::from_millis(10);

/// Starts the fake Okta with a tenant of `size` (50 ms of latency, Okta's limits with windows
/// of `window` when given), and a fresh local stack named `name` configured with dev sign-in,
/// with Okta settings saved and sync on; wrangler logs each request when `log_requests`.
pub(crate) async fn start_product(
    size: TenantSize,
    options: TenantOptions,
    window: Option<Duration>,
    name: &str,
    log_requests: bool,
) -> (FakeOkta, LocalStack, Api) {
    let mut limits = RateLimitConfig::default();
    if let Some(window) = window {
        limits.window = window;
    }
    let config = FakeOktaConfig {
        tenant: TenantSpec { size, seed: 7 },
        latency: Duration::from_millis(50),
        limits,
    };
    let fake =
        FakeOkta::start_with_options(config, options, "127.0.0.1:0".parse().expect("an address"))
            .await
            .expect("the fake starts");
    let root = workspace_root();
    let key = PrivateKey::generate().to_pkcs8_der().expect("a key");
    let vars: Vec<(String, String)> = [
        ("ENVIRONMENT", "local".to_owned()),
        ("DEV_SIGN_IN", "true".to_owned()),
        ("DEV_SIGNING_KEY", STANDARD.encode(key.as_bytes())),
        ("SUPER_ADMIN_BOOTSTRAP", BENCH_PERSON.to_owned()),
        ("TOKEN_ENCRYPTION_KEY", STANDARD.encode([3_u8; 32])),
        ("API_KEY_PEPPER", STANDARD.encode([4_u8; 32])),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v))
    .collect();
    let options = StackOptions {
        vars,
        log_requests,
        ..StackOptions::fresh_for_tests(&root, name).expect("a directory")
    };
    let stack = tokio::task::spawn_blocking(move || LocalStack::start(&root, options))
        .await
        .expect("the start finishes")
        .unwrap_or_else(|e| panic!("the stack starts (run `cargo xtask build` first): {e}"));
    let api = Api::new(stack.base_url()).await;
    let info = fake.info();
    let settings = json!({ "tenant_url": info.base_url, "app_id": info.app_id, "api_token": info.token, "sync_enabled": true });
    api.send("PUT", "/api/v1/settings/okta", &settings).await;
    (fake, stack, api)
}

/// A client of the Worker's API, signed in as [`BENCH_PERSON`].
pub(crate) struct Api {
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
    pub(crate) token: String,
}

impl Api {
    async fn new(base: &str) -> Self {
        let http = reqwest::Client::new();
        let signed_in: Value = http
            .post(format!("{base}/api/v1/dev/sign-in"))
            .header("X-Requested-By", "okta-groups-sync")
            .json(&json!({ "email": BENCH_PERSON }))
            .send()
            .await
            .expect("the sign-in answers")
            .json()
            .await
            .expect("a token");
        Self {
            base: base.to_owned(),
            http,
            token: signed_in["token"].as_str().expect("a token").to_owned(),
        }
    }

    /// Sends a JSON body and asserts success.
    pub(crate) async fn send(&self, method: &str, path: &str, body: &Value) -> Value {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let response = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Cf-Access-Jwt-Assertion", &self.token)
            .header("X-Requested-By", "okta-groups-sync")
            .json(body)
            .send()
            .await
            .expect("the Worker answers");
        assert!(response.status().is_success(), "{path}: {}", response.status());
        response.json().await.expect("JSON")
    }

    /// Reads `path` as JSON.
    pub(crate) async fn get(&self, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("Cf-Access-Jwt-Assertion", &self.token)
            .send()
            .await
            .expect("the Worker answers");
        response.json().await.expect("JSON")
    }

    /// Registers `runbooks.execute`, a custom role holding it (`runbook_operator`), and grants
    /// the role on `folder:/prod` to the largest synced group (Everyone aside), which it
    /// returns: a check of its members on a folder below walks a real chain.
    pub(crate) async fn grant_runbook_operator(&self, fake: &FakeOkta) -> TruthGroup {
        self.send("POST", "/api/v1/permissions", &json!({ "name": "runbooks.execute" })).await;
        let role = json!({ "key": "runbook_operator", "name": "Runbook operator", "permissions": ["runbooks.execute"] });
        self.send("POST", "/api/v1/roles", &role).await;
        let everyone = &fake.info().everyone_group_id;
        let group = fake
            .control()
            .truth()
            .groups
            .into_iter()
            .filter(|g| &g.id != everyone)
            .max_by_key(|g| g.members.len())
            .expect("a group");
        let detail = self.get(&format!("/api/v1/groups/{}", group.id)).await;
        let grant = json!({ "roles": [], "grants": [{ "role": "runbook_operator", "scope": "folder:/prod" }], "version": detail["roles_version"] });
        self.send("PUT", &format!("/api/v1/groups/{}/roles", group.id), &grant).await;
        group
    }

    /// Starts a sync with `body` and returns its run id.
    pub(crate) async fn start_sync(&self, body: Value) -> String {
        let run = self.send("POST", "/api/v1/sync", &body).await;
        run["run"]["id"].as_str().expect("a run id").to_owned()
    }

    /// The run `id` once it has ended, which must be a success.
    pub(crate) async fn finished_run(&self, id: &str) -> Value {
        loop {
            let run = self.get(&format!("/api/v1/sync/runs/{id}")).await;
            if run["state"] != "running" {
                assert_eq!(run["state"], "succeeded", "{run}");
                return run;
            }
            tokio::time::sleep(RUN_POLL).await;
        }
    }

    /// Runs a sync to its end: the run and the wall time.
    pub(crate) async fn sync(&self, body: Value) -> (Value, Duration) {
        let started = Instant::now();
        let id = self.start_sync(body).await;
        let run = self.finished_run(&id).await;
        (run, started.elapsed())
    }
}

/// The `p`th percentile of `samples` (ms), nearest rank.
pub(crate) fn percentile(samples: &[u64], p: usize) -> u64 {
    if samples.is_empty() {
        return 0;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = (p * sorted.len()).div_ceil(100).clamp(1, sorted.len());
    sorted[rank - 1]
}
