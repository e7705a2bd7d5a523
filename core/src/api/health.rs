//! `GET /api/v1/health`: whether the Worker runs, its database answers and sync keeps failing;
//! `GET /api/v1/sync/status`: the same about sync for superAdmins, with the failure in words.

use serde::{Deserialize, Serialize};

/// The answer of `GET /api/v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HealthResponse {
    /// `ok` when every dependency answered, `degraded` otherwise.
    pub status: ServiceStatus,
    /// The version of the Worker build that answered.
    pub version: String,
    /// Whether D1 answered a query during this request.
    pub database_ok: bool,
    /// The newest applied schema migration, when D1 answered.
    pub schema_version: Option<u32>,
    /// Whether Okta sync keeps failing (null when D1 did not answer).
    #[serde(default)]
    pub sync: Option<SyncHealth>,
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
            sync: None,
        }
    }

    /// The answer with what the runs say about sync.
    pub fn with_sync(self, sync: SyncHealth) -> Self {
        Self { sync: Some(sync), ..self }
    }
}

/// Whether Okta sync works, as anyone may know it.
///
/// A state, a time and a stable code, never a sentence or an id. Only finished runs that were not
/// dry runs count: sync is `failing` when the last of them failed, whatever started it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SyncHealth {
    /// `ok`, `failing` or `never_run`.
    pub state: SyncHealthState,
    /// While failing: when the first run that failed after the last success ended (RFC 3339).
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub failing_since: Option<String>,
    /// While failing: the runs that failed in a row since the last success.
    pub failures: u32,
    /// While failing: the stable code of the last failure (`okta_token_rejected`, …; see
    /// `error_code` of `SyncRun`).
    pub last_error_code: Option<String>,
}

impl SyncHealth {
    /// The state of sync from its runs: whether any (non-dry) run has finished, and the failed
    /// ones since the last success, with the first one's end and the last one's code.
    pub fn new(
        any_finished: bool,
        failures: u32,
        failing_since: Option<String>,
        last_error_code: Option<String>,
    ) -> Self {
        let state = match (failures, any_finished) {
            (1.., _) => SyncHealthState::Failing,
            (0, true) => SyncHealthState::Ok,
            (0, false) => SyncHealthState::NeverRun,
        };
        let failing = state == SyncHealthState::Failing;
        Self {
            state,
            failing_since: failing_since.filter(|_| failing),
            failures,
            last_error_code: last_error_code.filter(|_| failing),
        }
    }
}

/// Whether sync works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SyncHealthState {
    /// The last finished run succeeded.
    Ok,
    /// The last finished run failed.
    Failing,
    /// No run has finished yet.
    NeverRun,
}

/// `GET /api/v1/sync/status` (superAdmins): `SyncHealth` with the last failure in words, for
/// the app's banner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SyncStatus {
    /// `ok`, `failing` or `never_run`.
    pub state: SyncHealthState,
    /// While failing: when the first run that failed after the last success ended.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub failing_since: Option<String>,
    /// While failing: the runs that failed in a row since the last success.
    pub failures: u32,
    /// While failing: the stable code of the last failure.
    pub last_error_code: Option<String>,
    /// While failing: the last failure as a sentence for people (what failed, what to do).
    pub last_error: Option<String>,
}

/// The overall state of the edge service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
                "schema_version": 4,
                "sync": null
            })
        );
    }

    #[test]
    fn sync_fails_while_the_last_finished_run_failed_and_says_only_state_time_and_code() {
        let since = Some("2026-01-02T03:04:05.000Z".to_owned());
        let code = Some("okta_token_rejected".to_owned());
        let failing = SyncHealth::new(true, 2, since.clone(), code.clone());
        assert_eq!(failing.state, SyncHealthState::Failing);
        let json = serde_json::to_value(HealthResponse::new("1", Some(5)).with_sync(failing));
        assert_eq!(
            json.unwrap()["sync"],
            serde_json::json!({
                "state": "failing",
                "failing_since": "2026-01-02T03:04:05.000Z",
                "failures": 2,
                "last_error_code": "okta_token_rejected"
            })
        );
        // No failure since the last success: nothing else is said.
        let ok = SyncHealth::new(true, 0, since.clone(), code.clone());
        assert_eq!(
            (ok.state, ok.failing_since, ok.last_error_code),
            (SyncHealthState::Ok, None, None)
        );
        let never = SyncHealth::new(false, 0, None, None);
        assert_eq!(serde_json::to_value(never.state).unwrap(), "never_run");
        // Failures without any success are failing too.
        assert_eq!(SyncHealth::new(true, 1, since, code).state, SyncHealthState::Failing);
    }
}
