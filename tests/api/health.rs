//! `GET /api/v1/health`.

use groupsync_core::VERSION;
use groupsync_core::api::{HealthResponse, ServiceStatus};
use reqwest::StatusCode;

use crate::helpers::{TestApp, content_type};

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
}
