//! Sync runs: their rows, progress and ends.

use groupsync_core::api::{SyncFailure, SyncState};
use serde::Deserialize;
use serde_json::Value;
use wasm_bindgen::JsValue;
use worker::D1PreparedStatement;

use super::{AuditRecord, Planned, Store, database, opt, text};
use crate::error::StoreError;

/// A row of `sync_runs`. A state this version does not know fails to read (the table's CHECK
/// keeps one from being written); it is never taken for a running run.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RunRow {
    pub(crate) id: String,
    pub(crate) state: SyncState,
    pub(crate) trigger: String,
    pub(crate) started_by: String,
    pub(crate) dry_run: i64,
    pub(crate) full: i64,
    pub(crate) started_at: String,
    pub(crate) ended_at: Option<String>,
    pub(crate) progress: String,
    pub(crate) counts: Option<String>,
    pub(crate) okta_requests: i64,
    pub(crate) rate_limit_waits: i64,
    pub(crate) error: Option<String>,
    pub(crate) error_code: Option<SyncFailure>,
    pub(crate) held_reason: Option<String>,
    pub(crate) diff: Option<String>,
    pub(crate) rows_written: i64,
}

impl Store {
    // --- runs and staging --------------------------------------------------------------------

    pub(crate) async fn insert_run(
        &self,
        run: &RunRow,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<(), StoreError> {
        let insert = self.statement(
            "INSERT INTO sync_runs (id, state, trigger, started_by, dry_run, full, started_at, progress) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &[
                text(&run.id),
                text(run.state.as_str()),
                text(&run.trigger),
                text(&run.started_by),
                JsValue::from_f64(run.dry_run as f64),
                JsValue::from_f64(run.full as f64),
                text(&run.started_at),
                text(&run.progress),
            ],
        )?;
        self.change_with_audit(insert, audit, now).await.map(|_| ())
    }

    /// Records progress and request counts of a running run.
    pub(crate) async fn update_run_progress(
        &self,
        id: &str,
        progress: &Value,
        requests: u64,
        waits: u64,
    ) -> Result<(), StoreError> {
        self.statement(
            "UPDATE sync_runs SET progress = ?2, okta_requests = ?3, rate_limit_waits = ?4 WHERE id = ?1",
            &[text(id), text(&progress.to_string()), JsValue::from_f64(requests as f64), JsValue::from_f64(waits as f64)],
        )?
        .run()
        .await
        .map_err(database)
        .map(|_| ())
    }

    /// Records that a run reads every group (the first run, started as an incremental one).
    pub(crate) async fn mark_run_full(&self, id: &str) -> Result<(), StoreError> {
        self.statement("UPDATE sync_runs SET full = 1 WHERE id = ?1", &[text(id)])?
            .run()
            .await
            .map_err(database)
            .map(|_| ())
    }

    /// Ends a run that commits nothing (failed, dry run, discarded). What it staged or wrote
    /// ahead is tidied away afterwards, in bounded pieces.
    pub(crate) async fn finish_run(
        &self,
        id: &str,
        state: &str,
        fields: &RunEnd<'_>,
        audit: Option<&AuditRecord<'_>>,
        now: &str,
    ) -> Result<(), StoreError> {
        let mut statements = vec![self.end_statement(id, state, fields, now)?];
        if let Some(audit) = audit {
            statements.push(self.audit_statement(audit, now)?);
        }
        self.db.batch(statements).await.map_err(database).map(|_| ())
    }

    /// Marks a run failed without its audit row: the fallback when the database is too broken
    /// to write both.
    pub(crate) async fn mark_failed(
        &self,
        id: &str,
        code: SyncFailure,
        error: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        self.statement(
            "UPDATE sync_runs SET state = 'failed', ended_at = ?2, error = ?3, error_code = ?4 WHERE id = ?1",
            &[text(id), text(now), text(error), text(code.as_str())],
        )?
        .run()
        .await
        .map_err(database)
        .map(|_| ())
    }

    /// Before a new run: ends runs the coordinator no longer knows (an interrupted invocation
    /// whose state was lost) as failed. What they staged is tidied away by the next run.
    pub(crate) async fn end_orphaned_runs(&self, now: &str) -> Result<(), StoreError> {
        self.statement(
            "UPDATE sync_runs SET state = 'failed', ended_at = ?1, error_code = 'interrupted', \
             error = 'The run was interrupted and did not finish; nothing was committed. Start a new sync.' \
             WHERE state IN ('running', 'needs_confirmation')",
            &[text(now)],
        )?
        .run()
        .await
        .map_err(database)
        .map(|_| ())
    }

    /// Holds a run for confirmation, keeping what it staged.
    pub(crate) async fn hold_run(&self, id: &str, fields: &RunEnd<'_>) -> Result<(), StoreError> {
        let statement = self.statement(
            "UPDATE sync_runs SET state = 'needs_confirmation', counts = ?2, held_reason = ?3, diff = ?4, \
             progress = ?5, okta_requests = ?6, rate_limit_waits = ?7 WHERE id = ?1",
            &[
                text(id),
                opt(fields.counts.map(ToString::to_string).as_deref()),
                opt(fields.held_reason.map(ToString::to_string).as_deref()),
                opt(fields.diff.map(ToString::to_string).as_deref()),
                text(&fields.progress.to_string()),
                JsValue::from_f64(fields.requests as f64),
                JsValue::from_f64(fields.waits as f64),
            ],
        )?;
        statement.run().await.map_err(database).map(|_| ())
    }

    pub(crate) async fn run(&self, id: &str) -> Result<Option<RunRow>, StoreError> {
        self.plan_run(id)?.run(self).await
    }

    /// The run `id`, planned.
    pub(crate) fn plan_run(&self, id: &str) -> Result<Planned<Option<RunRow>>, StoreError> {
        Ok(Planned::first(self.statement(&format!("{RUN_COLUMNS} WHERE id = ?1"), &[text(id)])?))
    }

    /// A page of runs, newest first, and whether sync is on (the settings' flag); planned.
    pub(crate) fn plan_runs(
        &self,
        limit: u32,
        offset: u32,
    ) -> Result<Planned<(Vec<RunRow>, bool)>, StoreError> {
        let runs = self.statement(
            &format!("{RUN_COLUMNS} ORDER BY started_at DESC, id DESC LIMIT ?1 OFFSET ?2"),
            &[JsValue::from_f64(f64::from(limit)), JsValue::from_f64(f64::from(offset))],
        )?;
        let enabled =
            self.statement("SELECT sync_enabled AS n FROM okta_settings WHERE id = 1", &[])?;
        let enabled = Planned::<Option<super::Count>>::first(enabled)
            .map(|row| row.is_some_and(|r| r.n != 0));
        Ok(Planned::all(runs).and(enabled))
    }

    pub(super) fn end_statement(
        &self,
        id: &str,
        state: &str,
        end: &RunEnd<'_>,
        now: &str,
    ) -> Result<D1PreparedStatement, StoreError> {
        self.statement(
            "UPDATE sync_runs SET state = ?2, ended_at = ?3, counts = ?4, error = ?5, diff = ?6, progress = ?7, \
             okta_requests = ?8, rate_limit_waits = ?9, error_code = ?10, rows_written = ?11 WHERE id = ?1",
            &[
                text(id),
                text(state),
                text(now),
                opt(end.counts.map(ToString::to_string).as_deref()),
                opt(end.error),
                opt(end.diff.map(ToString::to_string).as_deref()),
                text(&end.progress.to_string()),
                JsValue::from_f64(end.requests as f64),
                JsValue::from_f64(end.waits as f64),
                opt(end.error_code.map(SyncFailure::as_str)),
                JsValue::from_f64(end.rows_written as f64),
            ],
        )
    }
}

/// What the finished runs say about sync: the runs that failed in a row since the last success.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct FailingStreak {
    /// Whether any non-dry run has finished (succeeded or failed).
    pub(crate) any_finished: i64,
    /// The non-dry runs that failed after the last one that succeeded.
    pub(crate) failures: i64,
    /// When the first of them ended.
    pub(crate) failing_since: Option<String>,
    /// The last one's stable code.
    pub(crate) last_error_code: Option<String>,
    /// The last one's sentence for people.
    pub(crate) last_error: Option<String>,
}

impl Store {
    /// The failing streak of sync, in one statement: the non-dry runs that failed after the last
    /// one that succeeded (by start: runs go one at a time), the oldest one's end and the newest
    /// one's code and sentence. Running, held, discarded and dry runs do not count. It reads the
    /// runs from the newest back to the last success only.
    pub(crate) async fn failing_streak(&self) -> Result<FailingStreak, StoreError> {
        self.plan_failing_streak()?.run(self).await
    }

    /// [`Self::failing_streak`], planned.
    pub(crate) fn plan_failing_streak(&self) -> Result<Planned<FailingStreak>, StoreError> {
        let statement = self.statement(FAILING_STREAK, &[])?;
        Ok(Planned::<Option<FailingStreak>>::first(statement).map(Option::unwrap_or_default))
    }
}

/// Walks `sync_runs_by_start` from the newest run back to the last success, and no further.
/// Any non-dry run has finished when there is a success or a failure after it (or without one).
const FAILING_STREAK: &str = "WITH last_success AS (\
         SELECT started_at FROM sync_runs WHERE dry_run = 0 AND state = 'succeeded' \
         ORDER BY started_at DESC LIMIT 1), \
     streak AS (\
         SELECT started_at, id, ended_at, error, error_code FROM sync_runs \
         WHERE dry_run = 0 AND state = 'failed' \
         AND started_at > COALESCE((SELECT started_at FROM last_success), '')) \
     SELECT (EXISTS (SELECT 1 FROM last_success) OR EXISTS (SELECT 1 FROM streak)) AS any_finished, \
         (SELECT COUNT(*) FROM streak) AS failures, \
         (SELECT COALESCE(ended_at, started_at) FROM streak ORDER BY started_at, id LIMIT 1) \
             AS failing_since, \
         (SELECT error_code FROM streak ORDER BY started_at DESC, id DESC LIMIT 1) \
             AS last_error_code, \
         (SELECT error FROM streak ORDER BY started_at DESC, id DESC LIMIT 1) AS last_error";

/// How a run ended, for its row.
#[derive(Debug)]
pub(crate) struct RunEnd<'a> {
    pub(crate) counts: Option<&'a Value>,
    /// A sentence for people: what failed and what to do.
    pub(crate) error: Option<&'a str>,
    /// The failure's stable code.
    pub(crate) error_code: Option<SyncFailure>,
    pub(crate) diff: Option<&'a Value>,
    pub(crate) held_reason: Option<&'a Value>,
    pub(crate) progress: &'a Value,
    pub(crate) requests: u64,
    pub(crate) waits: u64,
    /// Group, membership and user rows the run wrote (0 unless it committed).
    pub(crate) rows_written: u64,
}

const RUN_COLUMNS: &str = "SELECT id, state, trigger, started_by, dry_run, full, started_at, ended_at, progress, counts, \
     okta_requests, rate_limit_waits, error, error_code, held_reason, diff, rows_written FROM sync_runs";
