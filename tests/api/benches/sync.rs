//! Benchmark: a full sync and re-syncs through the Worker (wrangler dev, workerd, local D1 and
//! Durable Object) against the fake Okta with 50 ms of latency and Okta's default limits.
//!
//! `cargo xtask build && cargo bench -p api-tests --bench sync` runs sizes S and M (about 3
//! minutes: M's 1,200 requests need three rate-limit windows); `-- --sizes S` for S alone.
//! `-- --assign-everyone` assigns the fake's `Everyone` group (every user) to the app, and
//! `-- --big-group N` adds a group of N members (creating users as needed), in every size.
//!
//! Per size it prints: the full sync's Okta requests vs the minimum (⌈groups/200⌉ +
//! Σ⌈members/200⌉), its 429s, wall time and D1 rows written; then a re-sync after 1 % of the
//! groups changed (requests, and their share of the full sync's); then a re-sync of the
//! unchanged tenant (requests and rows written, which must be 0).

#![expect(clippy::print_stdout, reason = "a benchmark reports its figures on stdout")]

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fake_okta::{FakeOkta, FakeOktaConfig, TenantOptions, TenantSize, TenantSpec};
use rsa::pkcs8::EncodePrivateKey;
use rsa::{Generate, PrivateKey};
use serde_json::{Value, json};
use test_support::{LocalStack, StackOptions, workspace_root};

fn main() {
    let mut sizes = vec![TenantSize::S, TenantSize::M];
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--sizes") {
        let list = args.get(i + 1).expect("--sizes takes a list such as S,M");
        sizes = list.split(',').map(|s| s.parse().expect("sizes are S, M or L")).collect();
    }
    let options = TenantOptions {
        assign_everyone: args.iter().any(|a| a == "--assign-everyone"),
        big_group: args.iter().position(|a| a == "--big-group").map(|i| {
            let count = args.get(i + 1).expect("--big-group takes a member count");
            count.parse().expect("--big-group takes a member count such as 250000")
        }),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    println!(
        "{:<5} {:>7} {:>9} | {:>8} {:>8} {:>6} {:>5} {:>8} {:>9} | {:>8} {:>6} {:>8} | {:>8} {:>9}",
        "size",
        "groups",
        "members",
        "full req",
        "minimum",
        "ratio",
        "429s",
        "wall (s)",
        "rows",
        "1% req",
        "share",
        "wall (s)",
        "same req",
        "same rows"
    );
    for size in sizes {
        runtime.block_on(run(size, options));
    }
}

async fn run(size: TenantSize, options: TenantOptions) {
    let fake = FakeOkta::start_with_options(
        FakeOktaConfig {
            tenant: TenantSpec { size, seed: 7 },
            latency: Duration::from_millis(50),
            ..FakeOktaConfig::default()
        },
        options,
        "127.0.0.1:0".parse().expect("an address"),
    )
    .await
    .expect("the fake starts");
    let info = fake.info().clone();
    let root = workspace_root();
    let key = PrivateKey::generate().to_pkcs8_der().expect("a key");
    let vars: Vec<(String, String)> = [
        ("ENVIRONMENT", "local".to_owned()),
        ("DEV_SIGN_IN", "true".to_owned()),
        ("DEV_SIGNING_KEY", STANDARD.encode(key.as_bytes())),
        ("SUPER_ADMIN_BOOTSTRAP", "bench@example.com".to_owned()),
        ("TOKEN_ENCRYPTION_KEY", STANDARD.encode([3_u8; 32])),
        ("API_KEY_PEPPER", STANDARD.encode([4_u8; 32])),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v))
    .collect();
    let options = StackOptions {
        vars,
        ..StackOptions::fresh_for_tests(&root, &format!("bench-sync-{size:?}"))
            .expect("a directory")
    };
    let stack = tokio::task::spawn_blocking(move || LocalStack::start(&root, options))
        .await
        .expect("the start finishes")
        .unwrap_or_else(|e| panic!("the stack starts (run `cargo xtask build` first): {e}"));
    let api = Api::new(stack.base_url()).await;
    let settings = json!({ "tenant_url": info.base_url, "app_id": info.app_id, "api_token": info.token, "sync_enabled": true });
    api.send("PUT", "/api/v1/settings/okta", &settings).await;

    fake.control().reset_counters();
    let (full, full_wall) = api.sync(json!({ "full": true })).await;
    let full_counters = fake.control().counters();
    let minimum = info.minimum_requests(200) - 1; // the sync does not read the app itself

    // Change 1 % of the groups: one member leaves each.
    let truth = fake.control().truth();
    let changed = (truth.groups.len() / 100).max(1);
    for group in truth.groups.iter().filter(|g| !g.members.is_empty()).take(changed) {
        fake.control().remove_member(&group.id, &group.members[0].id).expect("a member leaves");
    }
    fake.control().reset_counters();
    let (_, resync_wall) = api.sync(json!({})).await;
    let resync_requests = fake.control().counters().total;

    fake.control().reset_counters();
    let (same, _) = api.sync(json!({})).await;
    let same_requests = fake.control().counters().total;

    println!(
        "{:<5} {:>7} {:>9} | {:>8} {:>8} {:>6.3} {:>5} {:>8.1} {:>9} | {:>8} {:>5.1}% {:>8.1} | {:>8} {:>9}",
        format!("{size:?}"),
        info.groups,
        info.memberships,
        full_counters.total,
        minimum,
        full_counters.total as f64 / minimum as f64,
        full_counters.rate_limited,
        full_wall.as_secs_f64(),
        full["rows_written"],
        resync_requests,
        100.0 * resync_requests as f64 / full_counters.total as f64,
        resync_wall.as_secs_f64(),
        same_requests,
        same["rows_written"],
    );
    drop(stack);
}

struct Api {
    base: String,
    http: reqwest::Client,
    token: String,
}

impl Api {
    async fn new(base: &str) -> Self {
        let http = reqwest::Client::new();
        let signed_in: Value = http
            .post(format!("{base}/api/v1/dev/sign-in"))
            .header("X-Requested-By", "okta-groups-sync")
            .json(&json!({ "email": "bench@example.com" }))
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

    async fn send(&self, method: &str, path: &str, body: &Value) -> Value {
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

    async fn get(&self, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("Cf-Access-Jwt-Assertion", &self.token)
            .send()
            .await
            .expect("the Worker answers");
        response.json().await.expect("JSON")
    }

    /// Runs a sync to its end: the run and the wall time.
    async fn sync(&self, body: Value) -> (Value, Duration) {
        let started = Instant::now();
        let run = self.send("POST", "/api/v1/sync", &body).await;
        let id = run["run"]["id"].as_str().expect("a run id").to_owned();
        loop {
            let run = self.get(&format!("/api/v1/sync/runs/{id}")).await;
            if run["state"] != "running" {
                assert_eq!(run["state"], "succeeded", "{run}");
                return (run, started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
