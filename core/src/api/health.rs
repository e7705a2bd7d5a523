//! `GET /api/v1/health`: whether the Worker runs and its database answers.

use serde::{Deserialize, Serialize};

/// The answer of `GET /api/v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthResponse {
    /// `ok` when every dependency answered, `degraded` otherwise.
    pub status: ServiceStatus,
    /// The version of the Worker build that answered.
    pub version: String,
    /// Whether D1 answered a query during this request.
    pub database_ok: bool,
    /// The newest applied schema migration, when D1 answered.
    pub schema_version: Option<u32>,
}

impl HealthResponse {
    /// Builds the answer from what the probe of the database found.
    ///
    /// `schema_version` is `None` when the database did not answer, and then the service is
    /// `degraded`: the Worker runs, but nothing that needs storage will work.
    pub fn new(version: impl Into<String>, schema_version: Option<u32>) -> Self {
        let database_ok = schema_version.is_some();
        Self {
            status: if database_ok { ServiceStatus::Ok } else { ServiceStatus::Degraded },
            version: version.into(),
            database_ok,
            schema_version,
        }
    }
}

/// The overall state of the edge service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    /// Every dependency answered.
    Ok,
    /// The Worker runs but a dependency (D1) did not answer.
    Degraded,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_is_ok_only_when_the_database_answered() {
        let ok = HealthResponse::new("1.2.3", Some(1));
        assert_eq!(ok.status, ServiceStatus::Ok);
        assert!(ok.database_ok);

        let degraded = HealthResponse::new("1.2.3", None);
        assert_eq!(degraded.status, ServiceStatus::Degraded);
        assert!(!degraded.database_ok);
    }

    #[test]
    fn health_serializes_with_snake_case_keys_and_values() {
        let json = serde_json::to_value(HealthResponse::new("1.2.3", Some(4))).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "status": "ok",
                "version": "1.2.3",
                "database_ok": true,
                "schema_version": 4
            })
        );
    }
}
