//! `GET /api/v1/health`: the version, whether D1 answers, and whether sync keeps failing (with
//! `GET /api/v1/sync/status`, the same for superAdmins with the failure in words).

use std::time::{Duration, Instant};

use fake_okta::{Control, Endpoint, FaultKind, FaultSpec};
use groupsync_core::VERSION;
use groupsync_core::api::{HealthResponse, ServiceStatus, SyncFailure, SyncRun, SyncState};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Caller, TestApp, content_type, expect_problem};
use crate::sync::{TURN, prepared, run_sync};
use crate::world::World;

#[tokio::test]
async fn health_reports_the_version_and_that_d1_answered() {
    let app = TestApp::new();

    let response = app.get("/api/v1/health").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(content_type(&response), "application/json");
    let health: HealthResponse = response.json().await.unwrap();
    assert_eq!(health.status, ServiceStatus::Ok);
    assert_eq!(health.version, VERSION);
    assert!(health.database_ok);
    assert!(health.schema_version >= Some(1), "migrations applied: {:?}", health.schema_version);
}

#[tokio::test]
async fn api_answers_are_never_cached_or_sniffed() {
    let app = TestApp::new();

    let response = app.get("/api/v1/health").await;

    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn health_is_degraded_with_503_when_d1_cannot_answer() {
    let app = TestApp::without_migrations();

    let response = app.get("/api/v1/health").await;

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let health: HealthResponse = response.json().await.unwrap();
    assert_eq!(health.status, ServiceStatus::Degraded);
    assert!(!health.database_ok);
    assert_eq!(health.schema_version, None);
    assert_eq!(health.sync, None, "nothing is known of sync without D1");
}

/// The `sync` part of the health answer, asked without credentials.
async fn sync_health(app: &TestApp) -> Value {
    let response = app.get("/api/v1/health").await;
    assert_eq!(response.status(), StatusCode::OK, "failing syncs do not change the status");
    let health: Value = response.json().await.expect("the health answer");
    assert_eq!(health["status"], "ok", "{health}");
    health["sync"].clone()
}

/// Starts a run with `fault` on every request for the app's groups, and returns it ended.
async fn failing_run(root: &Caller<'_>, control: &Control, status: u16, body: Value) -> SyncRun {
    control.add_fault(
        FaultSpec::new(FaultKind::Error { status }).on(Endpoint::ListAppGroups).times(100),
    );
    let run = run_sync(root, body).await;
    control.clear_faults();
    assert_eq!(run.state, SyncState::Failed, "{run:?}");
    run
}

#[tokio::test]
async fn health_says_since_when_sync_keeps_failing_and_the_last_code_until_a_run_succeeds() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let ok =
        json!({ "state": "ok", "failing_since": null, "failures": 0, "last_error_code": null });
    assert_eq!(sync_health(&app).await, ok);

    // Okta rejects the token: a run fails.
    let first = failing_run(&root, control, 401, json!({})).await;
    assert_eq!(first.error_code, Some(SyncFailure::OktaTokenRejected), "{first:?}");
    let failing_since = first.ended_at.clone().expect("a failed run's end");
    let failing = |failures: u32, code: &str| json!({ "state": "failing", "failing_since": failing_since, "failures": failures, "last_error_code": code });
    assert_eq!(sync_health(&app).await, failing(1, "okta_token_rejected"));

    // A preview that fails says nothing about the sync that stores.
    failing_run(&root, control, 401, json!({ "dry_run": true })).await;
    assert_eq!(sync_health(&app).await, failing(1, "okta_token_rejected"));

    // The scheduled run fails too, for another reason: still failing since the first failure,
    // with the last code.
    let before: Value = root.get("/api/v1/sync/runs").await.json().await.unwrap();
    let newest_before = before["runs"][0]["id"].clone();
    control.add_fault(
        FaultSpec::new(FaultKind::Error { status: 403 }).on(Endpoint::ListAppGroups).times(100),
    );
    let fired = app.raw(Method::GET, "/__scheduled?cron=0+*+*+*+*").send().await.unwrap();
    assert_eq!(fired.status(), StatusCode::OK);
    let scheduled = scheduled_run_after(&root, &newest_before).await;
    control.clear_faults();
    assert_eq!(
        (scheduled["state"].as_str(), scheduled["error_code"].as_str()),
        (Some("failed"), Some("okta_permission_denied")),
        "{scheduled}"
    );
    let health = sync_health(&app).await;
    assert_eq!(health, failing(2, "okta_permission_denied"));

    // Health is public: a state, a time and a code, never a sentence or a run id.
    let text = app.get("/api/v1/health").await.text().await.unwrap();
    let scheduled_error = scheduled["error"].as_str().expect("a failed run's sentence");
    let first_error = first.error.as_deref().expect("a failed run's sentence");
    let scheduled_id = scheduled["id"].as_str().expect("a run id");
    for secret in [first_error, scheduled_error, first.id.as_str(), scheduled_id] {
        assert!(!text.contains(secret), "{text} names {secret}");
    }

    // superAdmins read the same with the last failure in words; nobody else may.
    let status: Value = root.get("/api/v1/sync/status").await.json().await.unwrap();
    assert_eq!(status["state"], "failing", "{status}");
    assert_eq!(status["failing_since"], failing_since.as_str());
    assert_eq!(status["last_error_code"], "okta_permission_denied");
    assert_eq!(status["last_error"], scheduled["error"]);
    let someone = app.as_person("not-an-admin@example.com");
    let refused = someone.get("/api/v1/sync/status").await;
    expect_problem(refused, StatusCode::FORBIDDEN, "forbidden").await;

    // A run that succeeds ends it.
    let recovered = run_sync(&root, json!({})).await;
    assert_eq!(recovered.state, SyncState::Succeeded, "{recovered:?}");
    assert_eq!(sync_health(&app).await, ok);
    let status: Value = root.get("/api/v1/sync/status").await.json().await.unwrap();
    assert_eq!((status["state"].as_str(), &status["last_error"]), (Some("ok"), &Value::Null));
}

#[tokio::test]
async fn a_database_that_never_synced_says_so() {
    // The bootstrap stack never syncs.
    let app = TestApp::before_bootstrap();

    let sync = sync_health(&app).await;

    assert_eq!(sync["state"], "never_run", "{sync}");
    assert_eq!(sync["failing_since"], Value::Null);
}

/// Waits for the first scheduled run newer than the run `newest_before` to end.
async fn scheduled_run_after(root: &Caller<'_>, newest_before: &Value) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let runs: Value =
            root.get("/api/v1/sync/runs").await.json().await.expect("the runs, as documented");
        let newest = &runs["runs"][0];
        if newest["id"] != *newest_before
            && newest["trigger"] == "schedule"
            && newest["state"] != "running"
        {
            return newest.clone();
        }
        assert!(Instant::now() < deadline, "no scheduled run ended: {runs}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
