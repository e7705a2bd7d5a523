//! `GET /api/v1/health`, and `GET /api/v1/sync/status`: what the runs say about sync.

use futures_util::future::join;
use groupsync_core::VERSION;
use groupsync_core::api::{HealthResponse, SyncHealth, SyncHealthState, SyncStatus};
use worker::{Env, Response, console_error};

use crate::adapters::d1::{FailingStreak, Store};
use crate::error::{ApiError, StoreError};
use crate::http::context::Ctx;
use crate::http::handlers::{PlannedAnswer, answered};
use crate::http::respond;

/// `GET /api/v1/health`: the version, whether D1 answered a query, and whether sync keeps
/// failing (a state, a time and a code: health is public, so no sentence and no id).
///
/// A database failure is part of the answer (503, `database_ok: false`), not an error, so that
/// monitors see a degraded service rather than a broken endpoint. Failing syncs change neither
/// the status nor the code: the Worker and D1 still answer.
pub(crate) async fn get_health(env: &Env) -> Result<Response, ApiError> {
    let (schema_version, streak) = match Store::open(env) {
        // Two queries at once: one round trip's wait.
        Ok(store) => {
            let (version, streak) = join(store.schema_version(), store.failing_streak()).await;
            (logged(version, "health check"), logged(streak, "health check, the sync runs"))
        }
        Err(error) => (logged(Err(error), "health check"), None),
    };
    let mut health = HealthResponse::new(VERSION, schema_version);
    if let Some(streak) = streak.filter(|_| health.database_ok) {
        let failures = u32::try_from(streak.failures).unwrap_or(u32::MAX);
        health = health.with_sync(SyncHealth::new(
            streak.any_finished != 0,
            failures,
            streak.failing_since,
            streak.last_error_code,
        ));
    }
    let status = if health.database_ok { 200 } else { 503 };
    respond::json(&health, status)
}

/// The answer, or `None` with the error in the log.
fn logged<T>(result: Result<T, StoreError>, what: &str) -> Option<T> {
    result.map_err(|error| console_error!("{what}: {error}")).ok()
}

/// `GET /api/v1/sync/status` (superAdmins): the health's sync part with the last failure's
/// sentence, for the app's banner. One query.
pub(crate) fn get_sync_status(ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    Ok(answered(ctx.store.plan_failing_streak()?, sync_status))
}

fn sync_status(streak: FailingStreak) -> Result<Response, ApiError> {
    let failures = u32::try_from(streak.failures).unwrap_or(u32::MAX);
    let health = SyncHealth::new(
        streak.any_finished != 0,
        failures,
        streak.failing_since,
        streak.last_error_code,
    );
    let failing = health.state == SyncHealthState::Failing;
    let status = SyncStatus {
        state: health.state,
        failing_since: health.failing_since,
        failures,
        last_error_code: health.last_error_code,
        last_error: streak.last_error.filter(|_| failing),
    };
    respond::json(&status, 200)
}
