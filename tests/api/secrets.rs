//! Secrets and deployment defaults, black-box: the stored Okta token survives a rotation of
//! `TOKEN_ENCRYPTION_KEY` (old key as `TOKEN_ENCRYPTION_KEY_PREVIOUS`) and is sealed again under
//! the new one; a key the Worker no longer has is reported as such wherever the token is used;
//! a deployment's `OKTA_API_TOKEN` reaches its `OKTA_TENANT_URL` and no other host; and
//! `wrangler.toml` keeps the Worker off `workers.dev` and preview URLs.
//!
//! The rotation restarts a stack of its own on the same D1 state with other keys, as an operator
//! redeploys with other secrets.

use std::fs;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fake_okta::{FakeOkta, FakeOktaConfig, TenantInfo};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use test_support::{LocalStack, Logs, StackOptions, workspace_root};

use crate::helpers::expect_problem;
use crate::world::World;

const SETTINGS: &str = "/api/v1/settings/okta";
const TEST: &str = "/api/v1/settings/okta/test";
const SYNC: &str = "/api/v1/sync";
const ROOT: &str = "root@example.com";
const KEY_CHANGED: &str = "the encryption key changed";

/// The first superAdmin of a stack of this file, signed in through Access.
struct Admin {
    base_url: String,
    http: reqwest::Client,
    jwt: String,
}

impl Admin {
    fn of(stack: &LocalStack) -> Self {
        Self {
            base_url: stack.base_url().to_owned(),
            http: reqwest::Client::new(),
            jwt: World::get().person(ROOT),
        }
    }

    async fn get(&self, path: &str) -> Response {
        self.http
            .get(format!("{}{path}", self.base_url))
            .header("Accept", "application/json")
            .header("Cf-Access-Jwt-Assertion", &self.jwt)
            .send()
            .await
            .expect("the Worker answers")
    }

    async fn send(&self, method: Method, path: &str, body: &Value) -> Response {
        self.http
            .request(method, format!("{}{path}", self.base_url))
            .header("Accept", "application/json")
            .header("Cf-Access-Jwt-Assertion", &self.jwt)
            .header("X-Requested-By", "okta-groups-sync")
            .json(body)
            .send()
            .await
            .expect("the Worker answers")
    }

    async fn settings(&self) -> Value {
        let response = self.get(SETTINGS).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("the settings")
    }

    async fn audit_actions(&self) -> Vec<String> {
        let audit: Value =
            self.get("/api/v1/audit?limit=200").await.json().await.expect("the audit log");
        audit["entries"]
            .as_array()
            .expect("audit entries")
            .iter()
            .filter_map(|e| e["action"].as_str().map(str::to_owned))
            .collect()
    }
}

/// The vars of the main test stacks without their token key, with `extra` added.
fn vars_with(extra: &[(&str, String)]) -> Vec<(String, String)> {
    World::get().stack_vars_with(|name| name == "TOKEN_ENCRYPTION_KEY", extra)
}

/// A fresh stack named `name`.
fn fresh_stack(name: &str, vars: Vec<(String, String)>) -> LocalStack {
    let root = workspace_root();
    let options = StackOptions {
        vars,
        ..StackOptions::fresh_for_tests(&root, name).expect("a test stack directory")
    };
    LocalStack::start(&root, options).unwrap_or_else(|e| panic!("the local stack starts: {e}"))
}

/// A stack on the D1 state `first` left (stopped), with other vars: a redeploy with other
/// secrets. Its log goes beside the first one's.
fn redeploy(first: &StackOptions, step: &str, vars: Vec<(String, String)>) -> LocalStack {
    let log = first.state_dir.with_file_name(format!("wrangler-{step}.log"));
    let options =
        StackOptions { port: None, vars, migrate: false, logs: Logs::File(log), ..first.clone() };
    tokio::task::block_in_place(|| LocalStack::start(&workspace_root(), options))
        .unwrap_or_else(|e| panic!("the stack starts again ({step}): {e}"))
}

fn key(byte: u8) -> String {
    STANDARD.encode([byte; 32])
}

/// A tenant's settings with its full-access token.
fn with_token(okta: &TenantInfo) -> Value {
    json!({ "tenant_url": okta.base_url, "app_id": okta.app_id, "api_token": okta.token })
}

/// Polls a run until it is no longer running.
async fn run_end(admin: &Admin, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let run: Value = admin.get(&format!("{SYNC}/runs/{id}")).await.json().await.expect("a run");
        if run["state"] != "running" {
            return run;
        }
        assert!(Instant::now() < deadline, "run {id} still running: {run}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Rotation: saved under K1; redeployed with K2 and K1 as previous, the token still works and is
/// sealed again under K2 on its first use; redeployed with K2 alone, it still works. Then the
/// key changes without a previous one (K3) while a sync runs: the run fails with
/// `token_key_changed`, and the screen, Test connection and sync start each say that the
/// encryption key changed, never that the tenant URL is wrong; typing the token again recovers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_encryption_key_keeps_the_token_and_a_lost_one_says_the_key_changed() {
    // A tenant of this test's own, which it slows down to catch a run in flight.
    let okta = FakeOkta::start(FakeOktaConfig::default(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("the fake Okta starts");
    let tenant = okta.info().clone();
    let root_dir = workspace_root();
    let name = "api-secrets-rotation";
    let first_options = StackOptions::fresh_for_tests(&root_dir, name).expect("a stack directory");

    // 1. Saved under K1.
    let first = tokio::task::block_in_place(|| {
        LocalStack::start(
            &root_dir,
            StackOptions {
                vars: vars_with(&[("TOKEN_ENCRYPTION_KEY", key(1))]),
                ..first_options.clone()
            },
        )
    })
    .unwrap_or_else(|e| panic!("the local stack starts: {e}"));
    let admin = Admin::of(&first);
    let saved = admin.send(Method::PUT, SETTINGS, &with_token(&tenant)).await;
    assert_eq!(saved.status(), StatusCode::OK);
    let saved: Value = saved.json().await.unwrap();
    assert_eq!(saved["token"]["sealed_with"], "current", "{saved}");
    tokio::task::block_in_place(|| drop(first));

    // 2. K2 current, K1 previous: readable, reported as under the previous key until used.
    let rotating = redeploy(
        &first_options,
        "rotating",
        vars_with(&[("TOKEN_ENCRYPTION_KEY", key(2)), ("TOKEN_ENCRYPTION_KEY_PREVIOUS", key(1))]),
    );
    let admin = Admin::of(&rotating);
    let before = admin.settings().await;
    assert_eq!(before["token"]["sealed_with"], "previous", "{before}");
    assert_eq!(before["token"]["problem"], Value::Null, "{before}");
    let tested: Value = admin.send(Method::POST, TEST, &json!({})).await.json().await.unwrap();
    assert_eq!(tested["ok"], true, "the previous key still reads the token: {tested}");
    let after = admin.settings().await;
    assert_eq!(after["token"]["sealed_with"], "current", "sealed again on use: {after}");
    assert!(admin.audit_actions().await.iter().any(|a| a == "settings.okta.token_resealed"));
    tokio::task::block_in_place(|| drop(rotating));

    // 3. K2 alone (the previous key removed): the token was sealed again under K2. A sync
    // starts, slowed down by Okta, and the stack goes down under it.
    let rotated =
        redeploy(&first_options, "rotated", vars_with(&[("TOKEN_ENCRYPTION_KEY", key(2))]));
    let admin = Admin::of(&rotated);
    let tested: Value = admin.send(Method::POST, TEST, &json!({})).await.json().await.unwrap();
    assert_eq!(tested["ok"], true, "the current key alone reads it: {tested}");
    okta.control().set_latency(Duration::from_secs(2));
    let started = admin.send(Method::POST, SYNC, &json!({})).await;
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    let started: Value = started.json().await.unwrap();
    let run_id = started["run"]["id"].as_str().expect("a run id").to_owned();
    tokio::task::block_in_place(|| drop(rotated));
    okta.control().set_latency(Duration::ZERO);

    // 4. K3 alone: the key changed and nobody kept the old one.
    let lost = redeploy(&first_options, "lost", vars_with(&[("TOKEN_ENCRYPTION_KEY", key(3))]));
    let admin = Admin::of(&lost);
    let run = run_end(&admin, &run_id).await;
    assert_eq!(
        (run["state"].as_str(), run["error_code"].as_str()),
        (Some("failed"), Some("token_key_changed")),
        "the interrupted run resumes under the new key and fails saying why: {run}"
    );
    assert_key_changed(run["error"].as_str().unwrap_or_default());
    let settings = admin.settings().await;
    let problem = &settings["token"]["problem"];
    assert_eq!(problem["code"], "token_key_changed", "{settings}");
    assert_key_changed(problem["detail"].as_str().unwrap_or_default());
    assert_eq!(settings["tenant_url"], tenant.base_url.as_str(), "the settings still show");

    let test = admin.send(Method::POST, TEST, &json!({})).await;
    let problem = expect_problem(test, StatusCode::CONFLICT, "token_key_changed").await;
    assert_key_changed(&problem.detail);
    let sync = admin.send(Method::POST, SYNC, &json!({})).await;
    let problem = expect_problem(sync, StatusCode::CONFLICT, "token_key_changed").await;
    assert_key_changed(&problem.detail);

    // Typing the token again is the way out.
    let again = admin.send(Method::PUT, SETTINGS, &with_token(&tenant)).await;
    assert_eq!(again.status(), StatusCode::OK);
    let settings = admin.settings().await;
    assert_eq!(settings["token"]["problem"], Value::Null, "{settings}");
    let tested: Value = admin.send(Method::POST, TEST, &json!({})).await.json().await.unwrap();
    assert_eq!(tested["ok"], true, "{tested}");
    tokio::task::block_in_place(|| drop(lost));
}

fn assert_key_changed(detail: &str) {
    assert!(detail.contains(KEY_CHANGED), "{detail}");
    assert!(detail.contains("TOKEN_ENCRYPTION_KEY_PREVIOUS"), "{detail}");
    assert!(!detail.to_lowercase().contains("tenant"), "the tenant is not blamed: {detail}");
}

/// `OKTA_API_TOKEN` is bound to `OKTA_TENANT_URL`: a second Okta (a fake that would accept the
/// very same token) is refused on save, on Test connection and for sync, and never receives a
/// single request; the configured tenant still works.
#[tokio::test]
async fn a_deployment_token_is_never_sent_to_another_tenant() {
    let world = World::get();
    let other = FakeOkta::start(FakeOktaConfig::default(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("a second fake Okta starts");
    let other_info = other.info().clone();
    assert_eq!(other_info.token, world.okta.token, "the second Okta would accept the token");
    let stack = fresh_stack(
        "api-secrets-deployment",
        vars_with(&[
            ("TOKEN_ENCRYPTION_KEY", key(11)),
            ("OKTA_API_TOKEN", world.okta.token.clone()),
            ("OKTA_TENANT_URL", world.okta.base_url.clone()),
        ]),
    );
    let admin = Admin::of(&stack);
    let elsewhere = json!({ "tenant_url": other_info.base_url, "app_id": other_info.app_id });

    let save = admin.send(Method::PUT, SETTINGS, &elsewhere).await;
    let problem = expect_problem(save, StatusCode::CONFLICT, "deployment_tenant_mismatch").await;
    assert!(problem.detail.contains("OKTA_TENANT_URL"), "{}", problem.detail);
    assert!(problem.detail.contains(&world.okta.base_url), "names the tenant: {}", problem.detail);
    let test = admin.send(Method::POST, TEST, &elsewhere).await;
    expect_problem(test, StatusCode::CONFLICT, "deployment_tenant_mismatch").await;

    // The configured tenant works.
    let okta = &world.okta;
    let home = json!({ "tenant_url": okta.base_url, "app_id": okta.app_id });
    assert_eq!(admin.send(Method::PUT, SETTINGS, &home).await.status(), StatusCode::OK);
    let tested: Value = admin.send(Method::POST, TEST, &json!({})).await.json().await.unwrap();
    assert_eq!(tested["ok"], true, "{tested}");

    // Settings saved for another tenant before the deployment bound its token (the row is
    // written from outside, as an older version could have left it): no sync, manual or
    // scheduled, sends the token there.
    let sql = format!(
        "UPDATE okta_settings SET tenant_url = '{}', app_id = '{}', sync_enabled = 1 WHERE id = 1",
        other_info.base_url, other_info.app_id
    );
    stack.execute_sql(&sql).expect("the settings row is rewritten");
    let sync = admin.send(Method::POST, SYNC, &json!({})).await;
    expect_problem(sync, StatusCode::CONFLICT, "deployment_tenant_mismatch").await;
    // The cron handler answers once it has decided; it logs the refusal and starts nothing.
    let scheduled = reqwest::get(format!("{}/__scheduled?cron=0+*+*+*+*", stack.base_url()))
        .await
        .expect("the scheduled handler answers");
    assert_eq!(scheduled.status(), StatusCode::OK);
    let runs: Value = admin.get("/api/v1/sync/runs").await.json().await.unwrap();
    assert_eq!(runs["runs"].as_array().map(Vec::len), Some(0), "no run started: {runs}");

    assert_eq!(other.control().counters().total, 0, "the second Okta received a request");
}

/// A deployment token without the tenant it belongs to stops the Worker from serving.
#[tokio::test]
async fn a_deployment_token_without_its_tenant_is_a_configuration_error() {
    let stack = fresh_stack(
        "api-secrets-unbound",
        vars_with(&[
            ("TOKEN_ENCRYPTION_KEY", key(12)),
            ("OKTA_API_TOKEN", World::get().okta.token.clone()),
        ]),
    );
    let admin = Admin::of(&stack);
    expect_problem(
        admin.get("/api/v1/me").await,
        StatusCode::INTERNAL_SERVER_ERROR,
        "misconfigured",
    )
    .await;
    // wrangler writes the Worker's log line on its own time: wait for it, not for a while.
    let log = workspace_root().join("target/test-stacks/api-secrets-unbound/wrangler.log");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !fs::read_to_string(&log).unwrap_or_default().contains("set OKTA_TENANT_URL") {
        assert!(Instant::now() < deadline, "the log says what to set: {}", stack.log_tail());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The Worker is reachable only on its route behind Access: no `workers.dev` address, no
/// preview URLs (neither is guarded by Access).
#[test]
fn wrangler_toml_turns_off_workers_dev_and_preview_urls() {
    let text = fs::read_to_string(workspace_root().join("wrangler.toml")).expect("wrangler.toml");
    // Top-level keys: those before the first table header.
    let top: Vec<(String, String)> = text
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .take_while(|line| !line.starts_with('['))
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    for name in ["workers_dev", "preview_urls"] {
        let value = top.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        assert_eq!(value, Some("false"), "{name} in wrangler.toml");
    }
}
