//! D1, the source of truth. Every SQL statement of the Worker lives in this module.

use serde::Deserialize;
use worker::Env;

use crate::config::DB_BINDING;
use crate::error::StoreError;

#[derive(Deserialize)]
struct SchemaVersionRow {
    version: Option<u32>,
}

/// The newest schema version recorded by the applied migrations.
///
/// # Errors
///
/// [`StoreError::Database`] when the binding is missing, the query fails (for example because
/// the migrations were never applied), or no version is recorded.
pub(crate) async fn schema_version(env: &Env) -> Result<u32, StoreError> {
    let db = env.d1(DB_BINDING).map_err(database)?;
    let row: Option<SchemaVersionRow> = db
        .prepare("SELECT MAX(version) AS version FROM schema_version")
        .first(None)
        .await
        .map_err(database)?;
    row.and_then(|r| r.version)
        .ok_or_else(|| StoreError::Database("schema_version holds no rows".to_owned()))
}

fn database(error: worker::Error) -> StoreError {
    StoreError::Database(error.to_string())
}
