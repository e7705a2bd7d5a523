//! `GET /api/v1/health`.

use groupsync_core::VERSION;
use groupsync_core::api::HealthResponse;
use worker::{Env, Response, console_error};

use crate::adapters::d1::Store;
use crate::error::ApiError;
use crate::http::respond;

/// `GET /api/v1/health`: the version, and whether D1 answered a query.
///
/// A database failure is part of the answer (503, `database_ok: false`), not an error, so that
/// monitors see a degraded service rather than a broken endpoint.
pub(crate) async fn get_health(env: &Env) -> Result<Response, ApiError> {
    let schema_version = match Store::open(env) {
        Ok(store) => store.schema_version().await,
        Err(error) => Err(error),
    };
    let schema_version = match schema_version {
        Ok(version) => Some(version),
        Err(error) => {
            console_error!("health check: {error}");
            None
        }
    };
    let health = HealthResponse::new(VERSION, schema_version);
    let status = if health.database_ok { 200 } else { 503 };
    respond::json(&health, status)
}
