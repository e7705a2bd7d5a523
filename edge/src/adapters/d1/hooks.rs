//! The Okta Event Hook's secret (its keyed hash) and the deliveries taken (migration 0014).

use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::{Planned, Store, database, text};
use crate::error::StoreError;
use crate::service::okta_hooks::{Delivery, Hint};
use crate::service::ports::AuditRecord;

/// The hook's row.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct EventHookRow {
    pub(crate) secret_hash: String,
    pub(crate) created_at: String,
    pub(crate) created_by: String,
    pub(crate) verified_at: Option<String>,
    pub(crate) last_delivery_at: Option<String>,
    pub(crate) deliveries: i64,
    pub(crate) duplicates: i64,
}

/// How long a delivery's id is remembered: Okta retries within minutes, and redelivers nothing
/// after a day.
const REMEMBERED_FOR_S: f64 = 24.0 * 3600.0;

impl Store {
    /// The hook, once a secret has been made.
    pub(crate) async fn event_hook(&self) -> Result<Option<EventHookRow>, StoreError> {
        self.plan_event_hook()?.run(self).await
    }

    /// [`Self::event_hook`], planned.
    pub(crate) fn plan_event_hook(&self) -> Result<Planned<Option<EventHookRow>>, StoreError> {
        Ok(Planned::first(self.statement(
            "SELECT secret_hash, created_at, created_by, verified_at, last_delivery_at, deliveries, duplicates \
             FROM okta_event_hook WHERE id = 1",
            &[],
        )?))
    }

    /// Replaces the hook's secret (the old one stops working at once), with its audit row, and
    /// starts its figures anew.
    pub(crate) async fn replace_event_hook_secret(
        &self,
        secret_hash: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<(), StoreError> {
        let upsert = self.statement(
            "INSERT INTO okta_event_hook (id, secret_hash, created_at, created_by) VALUES (1, ?1, ?2, ?3) \
             ON CONFLICT(id) DO UPDATE SET secret_hash = ?1, created_at = ?2, created_by = ?3, \
             verified_at = NULL, last_delivery_at = NULL, deliveries = 0, duplicates = 0",
            &[text(secret_hash), text(now), text(&audit.actor.name)],
        )?;
        let audit = self.audit_statement(audit, now)?;
        self.db.batch(vec![upsert, audit]).await.map_err(database).map(|_| ())
    }

    /// Whether a delivery with this id was taken already, and whether sync is on.
    pub(crate) async fn delivery_seen(&self, event_id: &str) -> Result<(bool, bool), StoreError> {
        #[derive(Deserialize)]
        struct Seen {
            seen: i64,
            sync_enabled: Option<i64>,
        }
        let seen: Option<Seen> = self
            .first(
                "SELECT EXISTS (SELECT 1 FROM okta_hook_deliveries WHERE event_id = ?1) AS seen, \
                 (SELECT sync_enabled FROM okta_settings WHERE id = 1) AS sync_enabled",
                &[text(event_id)],
            )
            .await?;
        Ok(seen.map_or((false, false), |s| (s.seen != 0, s.sync_enabled.unwrap_or(0) != 0)))
    }

    /// Records Okta's verification call.
    pub(crate) async fn record_event_hook_verified(&self, now: &str) -> Result<(), StoreError> {
        self.statement("UPDATE okta_event_hook SET verified_at = ?1 WHERE id = 1", &[text(now)])?
            .run()
            .await
            .map_err(database)
            .map(|_| ())
    }

    /// Records a delivery and what its events name, in one batch; a retry or a duplicate (an id
    /// taken already) is counted as one. Ids older than a day are forgotten.
    pub(crate) async fn record_delivery(
        &self,
        delivery: &Delivery,
        now: &str,
        now_s: u64,
    ) -> Result<(), StoreError> {
        let (event_id, events) = (delivery.event_id.as_str(), delivery.events);
        let insert = self.statement(
            "INSERT INTO okta_hook_deliveries (event_id, received_at, events) VALUES (?1, ?2, ?3) \
             ON CONFLICT(event_id) DO NOTHING",
            &[text(event_id), text(now), JsValue::from_f64(f64::from(events))],
        )?;
        let figures = self.statement(
            // `changes()` is the insert's: 0 when the id was taken already.
            "UPDATE okta_event_hook SET last_delivery_at = ?1, deliveries = deliveries + 1, \
             duplicates = duplicates + (changes() = 0) WHERE id = 1",
            &[text(now)],
        )?;
        let forget_before = js_sys::Date::new(&JsValue::from_f64(
            (now_s as f64 - REMEMBERED_FOR_S).max(0.0) * 1000.0,
        ))
        .to_iso_string();
        let forget = self.statement(
            "DELETE FROM okta_hook_deliveries WHERE received_at < ?1",
            &[text(&String::from(forget_before))],
        )?;
        let hints: Vec<(&str, &str)> = delivery
            .hints
            .iter()
            .map(|hint| match hint {
                Hint::Group(id) => ("group", id.as_str()),
                Hint::User(id) => ("user", id.as_str()),
            })
            .collect();
        let hinted = self.statement(
            "INSERT INTO okta_hook_hints (kind, id, received_at) \
             SELECT value ->> '$[0]', value ->> '$[1]', ?2 FROM json_each(?1) WHERE true \
             ON CONFLICT(kind, id) DO UPDATE SET received_at = excluded.received_at",
            &[text(&serde_json::json!(hints).to_string()), text(now)],
        )?;
        self.db.batch(vec![insert, figures, forget, hinted]).await.map_err(database).map(|_| ())
    }

    /// Up to `limit` users that events named, after `after` (by id).
    pub(crate) async fn hinted_users(
        &self,
        after: &str,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        #[derive(Deserialize)]
        struct Id {
            id: String,
        }
        let ids: Vec<Id> = self
            .all(
                "SELECT id FROM okta_hook_hints WHERE kind = 'user' AND id > ?1 ORDER BY id LIMIT ?2",
                &[text(after), JsValue::from_f64(f64::from(limit))],
            )
            .await?;
        Ok(ids.into_iter().map(|i| i.id).collect())
    }

    /// Forgets what events named before `run_id` started: it has read them again. What arrived
    /// since stays for the next run.
    pub(crate) async fn forget_hints_read_by(&self, run_id: &str) -> Result<(), StoreError> {
        self.statement(
            "DELETE FROM okta_hook_hints WHERE received_at <= \
             (SELECT started_at FROM sync_runs WHERE id = ?1)",
            &[text(run_id)],
        )?
        .run()
        .await
        .map_err(database)
        .map(|_| ())
    }
}
