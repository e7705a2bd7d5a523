//! Webhook endpoints, the events for them and their deliveries (migration 0015).
//!
//! A run stages its `access.changed` events before it commits ([`Store::stage_webhook_event`],
//! deliveries `staged`); the switch releases them ([`webhook_commit_statements`]) in the same
//! batch that makes the new generation visible, so that no event tells of a change that did not
//! commit, and none of a commit is lost. The sender reads what is due and records each attempt.

use groupsync_core::api::{DeliveryState, WebhookDelivery, WebhookEndpoint, WebhookEventType};
use groupsync_core::okta::OktaUserStatus;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1PreparedStatement;

use super::{Planned, Store, batch_answer, changes, database, text};
use crate::error::StoreError;
use crate::service::ports::{AuditRecord, CustomGrantRow};
use crate::service::webhooks::{GrantsBefore, MembershipChange, PersonChange};

/// An endpoint as stored, with its figures.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct EndpointRow {
    pub(crate) id: String,
    pub(crate) url: String,
    pub(crate) description: String,
    pub(crate) events: String,
    pub(crate) created_by: String,
    pub(crate) created_at: String,
    pub(crate) pending: i64,
    pub(crate) failed: i64,
    pub(crate) last_delivered_at: Option<String>,
}

impl EndpointRow {
    /// The endpoint as the API describes it.
    pub(crate) fn into_api(self) -> WebhookEndpoint {
        let events: Vec<String> = serde_json::from_str(&self.events).unwrap_or_default();
        WebhookEndpoint {
            id: self.id,
            url: self.url,
            description: self.description,
            events: events.iter().filter_map(|e| WebhookEventType::parse(e)).collect(),
            created_by: self.created_by,
            created_at: self.created_at,
            pending: u64::try_from(self.pending).unwrap_or(0),
            failed: u64::try_from(self.failed).unwrap_or(0),
            last_delivered_at: self.last_delivered_at,
        }
    }
}

/// A new endpoint.
#[derive(Debug)]
pub(crate) struct NewEndpoint<'a> {
    pub(crate) id: &'a str,
    pub(crate) url: &'a str,
    pub(crate) description: &'a str,
    pub(crate) events: &'a [WebhookEventType],
    pub(crate) secret_sealed: &'a str,
}

/// A delivery due now, with what the sender needs to sign and send it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DueDelivery {
    pub(crate) endpoint_id: String,
    pub(crate) message_id: String,
    pub(crate) attempts: i64,
    pub(crate) url: String,
    pub(crate) secret_sealed: String,
    pub(crate) payload: String,
}

/// The outcome of one attempt.
#[derive(Debug, Clone)]
pub(crate) struct AttemptOutcome {
    pub(crate) endpoint_id: String,
    pub(crate) message_id: String,
    /// `None`: answered with a 2xx.
    pub(crate) error: Option<String>,
    pub(crate) status: Option<u16>,
    /// When to try again (epoch ms); `None` with an error: out of attempts.
    pub(crate) retry_at_ms: Option<u64>,
}

/// An event a commit releases: `sync.committed`, and the run whose staged events it releases.
#[derive(Debug)]
pub(crate) struct WebhookCommit<'a> {
    pub(crate) run_id: &'a str,
    pub(crate) message_id: &'a str,
    pub(crate) payload: &'a str,
    pub(crate) now_ms: u64,
}

/// The columns of an endpoint with its figures (`e` the endpoint).
const ENDPOINT_COLUMNS: &str = "e.id AS id, e.url AS url, e.description AS description, \
     e.events AS events, e.created_by AS created_by, e.created_at AS created_at, \
     (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.state = 'pending') AS pending, \
     (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.state = 'failed') AS failed, \
     (SELECT MAX(d.delivered_at) FROM webhook_deliveries d WHERE d.endpoint_id = e.id \
     AND d.delivered_at IS NOT NULL) AS last_delivered_at";

/// The statement that records, for the webhook sender, a change of the roles of each group of
/// `groups` (a query of `group_id`s, run before the change) by `actor` at `now` (parameter
/// names), with what each group granted until then: only while an endpoint receives
/// `access.changed`.
pub(crate) fn grant_change_jobs(groups: &str, actor: &str, now: &str) -> String {
    format!(
        "INSERT INTO webhook_jobs (id, group_id, before, actor, created_at) \
         SELECT 'job_' || lower(hex(randomblob(12))), g.group_id, json_object(\
         'roles', json((SELECT json_group_array(r.role) FROM group_roles r WHERE r.group_id = g.group_id)), \
         'custom', json((SELECT json_group_array(json_object('group_id', x.group_id, 'role', x.role, \
         'role_name', c.name, 'scope', x.scope)) FROM group_grants x JOIN custom_roles c ON c.key = x.role \
         WHERE x.group_id = g.group_id))), {actor}, {now} FROM ({groups}) g \
         WHERE EXISTS (SELECT 1 FROM webhook_endpoints e WHERE EXISTS \
         (SELECT 1 FROM json_each(e.events) WHERE value = 'access.changed'))"
    )
}

/// Endpoints subscribed to the event type ?N (`e` the endpoint).
fn subscribed(param: u8) -> String {
    format!("EXISTS (SELECT 1 FROM json_each(e.events) WHERE value = ?{param})")
}

impl Store {
    /// Every endpoint, oldest first; planned.
    pub(crate) fn plan_webhook_endpoints(&self) -> Result<Planned<Vec<EndpointRow>>, StoreError> {
        Ok(Planned::all(self.statement(
            &format!(
                "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints e ORDER BY e.created_at, e.id"
            ),
            &[],
        )?))
    }

    /// One endpoint.
    pub(crate) async fn webhook_endpoint(
        &self,
        id: &str,
    ) -> Result<Option<EndpointRow>, StoreError> {
        self.plan_webhook_endpoint(id)?.run(self).await
    }

    /// [`Self::webhook_endpoint`], planned.
    pub(crate) fn plan_webhook_endpoint(
        &self,
        id: &str,
    ) -> Result<Planned<Option<EndpointRow>>, StoreError> {
        Ok(Planned::first(self.statement(
            &format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints e WHERE e.id = ?1"),
            &[text(id)],
        )?))
    }

    /// Whether any endpoint receives `kind`.
    pub(crate) async fn has_webhook_subscriber(
        &self,
        kind: WebhookEventType,
    ) -> Result<bool, StoreError> {
        #[derive(Deserialize)]
        struct Any {
            n: i64,
        }
        let any: Option<Any> = self
            .first(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM webhook_endpoints e WHERE {}) AS n",
                    subscribed(1)
                ),
                &[text(kind.as_str())],
            )
            .await?;
        Ok(any.is_some_and(|a| a.n != 0))
    }

    /// How many endpoints there are.
    pub(crate) async fn webhook_endpoint_count(&self) -> Result<u64, StoreError> {
        #[derive(Deserialize)]
        struct Count {
            n: i64,
        }
        let count: Option<Count> =
            self.first("SELECT COUNT(*) AS n FROM webhook_endpoints", &[]).await?;
        Ok(count.map_or(0, |c| u64::try_from(c.n).unwrap_or(0)))
    }

    /// Every endpoint's id and sealed secret.
    pub(crate) async fn webhook_secrets(&self) -> Result<Vec<(String, String)>, StoreError> {
        #[derive(Deserialize)]
        struct Sealed {
            id: String,
            secret_sealed: String,
        }
        let rows: Vec<Sealed> =
            self.all("SELECT id, secret_sealed FROM webhook_endpoints", &[]).await?;
        Ok(rows.into_iter().map(|r| (r.id, r.secret_sealed)).collect())
    }

    /// Replaces an endpoint's sealed secret `old` with `new` (the same secret sealed again),
    /// unless it changed meanwhile.
    pub(crate) async fn reseal_webhook_secret(
        &self,
        id: &str,
        old: &str,
        new: &str,
    ) -> Result<(), StoreError> {
        self.statement(
            "UPDATE webhook_endpoints SET secret_sealed = ?3 WHERE id = ?1 AND secret_sealed = ?2",
            &[text(id), text(old), text(new)],
        )?
        .run()
        .await
        .map_err(database)
        .map(|_| ())
    }

    /// Registers an endpoint, with its audit row.
    pub(crate) async fn insert_webhook_endpoint(
        &self,
        endpoint: &NewEndpoint<'_>,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<(), StoreError> {
        let events: Vec<&str> = endpoint.events.iter().map(|e| e.as_str()).collect();
        let insert = self.statement(
            "INSERT INTO webhook_endpoints (id, url, description, events, secret_sealed, created_by, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            &[
                text(endpoint.id),
                text(endpoint.url),
                text(endpoint.description),
                text(&serde_json::json!(events).to_string()),
                text(endpoint.secret_sealed),
                text(&audit.actor.name),
                text(now),
            ],
        )?;
        let audit = self.audit_statement(audit, now)?;
        self.db.batch(vec![insert, audit]).await.map_err(database).map(|_| ())
    }

    /// Removes an endpoint and its deliveries, with its audit row. Returns whether it existed.
    pub(crate) async fn delete_webhook_endpoint(
        &self,
        id: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let statements = vec![
            self.statement("DELETE FROM webhook_endpoints WHERE id = ?1", &[text(id)])?,
            self.statement("DELETE FROM webhook_deliveries WHERE endpoint_id = ?1", &[text(id)])?,
            self.audit_statement(audit, now)?,
        ];
        let results = self.db.batch(statements).await.map_err(database)?;
        Ok(results.first().map(changes).unwrap_or(0) > 0)
    }

    /// An endpoint's deliveries, newest first.
    pub(crate) async fn webhook_deliveries(
        &self,
        endpoint_id: &str,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        self.plan_webhook_deliveries(endpoint_id, limit)?.run(self).await
    }

    /// [`Self::webhook_deliveries`], planned.
    pub(crate) fn plan_webhook_deliveries(
        &self,
        endpoint_id: &str,
        limit: u32,
    ) -> Result<Planned<Vec<WebhookDelivery>>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            message_id: String,
            event_type: String,
            state: String,
            attempts: i64,
            last_status: Option<i64>,
            last_error: Option<String>,
            next_attempt_at: Option<f64>,
            delivered_at: Option<String>,
            created_at: String,
        }
        let rows = Planned::<Vec<Row>>::all(self.statement(
            "SELECT d.message_id AS message_id, m.event_type AS event_type, d.state AS state, \
             d.attempts AS attempts, d.last_status AS last_status, d.last_error AS last_error, \
             d.next_attempt_at AS next_attempt_at, d.delivered_at AS delivered_at, \
             d.created_at AS created_at FROM webhook_deliveries d \
             JOIN webhook_messages m ON m.id = d.message_id \
             WHERE d.endpoint_id = ?1 AND d.state <> 'staged' \
             ORDER BY d.created_at DESC, d.message_id DESC LIMIT ?2",
            &[text(endpoint_id), JsValue::from_f64(f64::from(limit))],
        )?);
        Ok(rows.map(|rows| {
            rows.into_iter()
                .filter_map(|row| {
                    let state = match row.state.as_str() {
                        "pending" => DeliveryState::Pending,
                        "delivered" => DeliveryState::Delivered,
                        "failed" => DeliveryState::Failed,
                        _ => return None,
                    };
                    Some(WebhookDelivery {
                        message_id: row.message_id,
                        event_type: WebhookEventType::parse(&row.event_type)?,
                        state,
                        attempts: u32::try_from(row.attempts).unwrap_or(0),
                        last_status: row.last_status.and_then(|s| u16::try_from(s).ok()),
                        last_error: row.last_error,
                        next_attempt_at: row
                            .next_attempt_at
                            .filter(|_| state == DeliveryState::Pending)
                            .map(iso_of_ms),
                        delivered_at: row.delivered_at,
                        created_at: row.created_at,
                    })
                })
                .collect()
        }))
    }

    /// Makes a delivered or failed delivery due again now, with its audit row. Returns whether
    /// there was one.
    pub(crate) async fn redeliver_webhook(
        &self,
        endpoint_id: &str,
        message_id: &str,
        now_ms: u64,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let update = self.statement(
            "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ?3 \
             WHERE endpoint_id = ?1 AND message_id = ?2 AND state IN ('delivered', 'failed')",
            &[text(endpoint_id), text(message_id), JsValue::from_f64(now_ms as f64)],
        )?;
        let audit = self.audit_statement(audit, now)?;
        let results = self.db.batch(vec![update, audit]).await.map_err(database)?;
        Ok(results.first().map(changes).unwrap_or(0) > 0)
    }

    /// Stages an event of `run_id` for every endpoint subscribed to `kind`: sent only when the
    /// run commits.
    pub(crate) async fn stage_webhook_event(
        &self,
        run_id: &str,
        message_id: &str,
        kind: WebhookEventType,
        payload: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        let message = self.statement(
            "INSERT OR IGNORE INTO webhook_messages (id, event_type, payload, run_id, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            &[text(message_id), text(kind.as_str()), text(payload), text(run_id), text(now)],
        )?;
        let deliveries = self.statement(
            &format!(
                "INSERT OR IGNORE INTO webhook_deliveries (endpoint_id, message_id, state, created_at) \
                 SELECT e.id, ?1, 'staged', ?3 FROM webhook_endpoints e WHERE {}",
                subscribed(2)
            ),
            &[text(message_id), text(kind.as_str()), text(now)],
        )?;
        self.db.batch(vec![message, deliveries]).await.map_err(database).map(|_| ())
    }

    /// The statements a commit adds to its switch: release what the run staged, and record
    /// its `sync.committed` event for the endpoints that receive it.
    pub(crate) fn webhook_commit_statements(
        &self,
        commit: &WebhookCommit<'_>,
        now: &str,
    ) -> Result<Vec<D1PreparedStatement>, StoreError> {
        let now_ms = JsValue::from_f64(commit.now_ms as f64);
        let kind = WebhookEventType::SyncCommitted.as_str();
        Ok(vec![
            self.statement(
                "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ?2 \
                 WHERE state = 'staged' AND message_id IN (SELECT id FROM webhook_messages WHERE run_id = ?1)",
                &[text(commit.run_id), now_ms.clone()],
            )?,
            self.statement(
                &format!(
                    "INSERT OR IGNORE INTO webhook_messages (id, event_type, payload, run_id, created_at) \
                     SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM webhook_endpoints e WHERE {})",
                    subscribed(2)
                ),
                &[text(commit.message_id), text(kind), text(commit.payload), text(commit.run_id), text(now)],
            )?,
            self.statement(
                &format!(
                    "INSERT OR IGNORE INTO webhook_deliveries (endpoint_id, message_id, state, next_attempt_at, created_at) \
                     SELECT e.id, ?1, 'pending', ?3, ?4 FROM webhook_endpoints e WHERE {}",
                    subscribed(2)
                ),
                &[text(commit.message_id), text(kind), now_ms, text(now)],
            )?,
        ])
    }

    /// Up to `limit` deliveries due at `now_ms`, the oldest due first.
    pub(crate) async fn due_webhook_deliveries(
        &self,
        now_ms: u64,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        self.all(
            "SELECT d.endpoint_id AS endpoint_id, d.message_id AS message_id, d.attempts AS attempts, \
             e.url AS url, e.secret_sealed AS secret_sealed, m.payload AS payload \
             FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             JOIN webhook_messages m ON m.id = d.message_id \
             WHERE d.state = 'pending' AND d.next_attempt_at <= ?1 \
             ORDER BY d.next_attempt_at, d.message_id LIMIT ?2",
            &[JsValue::from_f64(now_ms as f64), JsValue::from_f64(f64::from(limit))],
        )
        .await
    }

    /// When the next pending delivery is due (epoch ms), if any is.
    pub(crate) async fn next_webhook_due_ms(&self) -> Result<Option<u64>, StoreError> {
        #[derive(Deserialize)]
        struct Due {
            at: Option<f64>,
        }
        let due: Option<Due> = self
            .first(
                "SELECT MIN(next_attempt_at) AS at FROM webhook_deliveries WHERE state = 'pending'",
                &[],
            )
            .await?;
        Ok(due.and_then(|d| d.at).map(|at| at.max(0.0) as u64))
    }

    /// Records attempts, in one batch.
    pub(crate) async fn record_webhook_attempts(
        &self,
        outcomes: &[AttemptOutcome],
        now: &str,
    ) -> Result<(), StoreError> {
        let mut statements = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            let status = outcome.status.map_or(JsValue::NULL, |s| JsValue::from_f64(f64::from(s)));
            let (endpoint, message) = (text(&outcome.endpoint_id), text(&outcome.message_id));
            statements.push(match (&outcome.error, outcome.retry_at_ms) {
                (None, _) => self.statement(
                    "UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, \
                     last_status = ?3, last_error = NULL, next_attempt_at = NULL, delivered_at = ?4 \
                     WHERE endpoint_id = ?1 AND message_id = ?2 AND state = 'pending'",
                    &[endpoint, message, status, text(now)],
                )?,
                (Some(error), retry) => self.statement(
                    "UPDATE webhook_deliveries SET state = CASE WHEN ?5 IS NULL THEN 'failed' ELSE 'pending' END, \
                     attempts = attempts + 1, last_status = ?3, last_error = ?4, next_attempt_at = ?5 \
                     WHERE endpoint_id = ?1 AND message_id = ?2 AND state = 'pending'",
                    &[
                        endpoint,
                        message,
                        status,
                        text(error),
                        retry.map_or(JsValue::NULL, |at| JsValue::from_f64(at as f64)),
                    ],
                )?,
            });
        }
        if statements.is_empty() {
            return Ok(());
        }
        self.db.batch(statements).await.map_err(database).map(|_| ())
    }

    /// Forgets one bounded piece of the events older than `before` (RFC 3339) and their
    /// deliveries, whatever their state. Returns whether it deleted anything.
    pub(crate) async fn forget_webhook_messages_before(
        &self,
        before: &str,
        limit: u32,
    ) -> Result<bool, StoreError> {
        let old =
            "SELECT id FROM webhook_messages WHERE created_at < ?1 ORDER BY created_at LIMIT ?2";
        let args = [text(before), JsValue::from_f64(f64::from(limit))];
        let statements = vec![
            self.statement(
                &format!("DELETE FROM webhook_deliveries WHERE message_id IN ({old})"),
                &args,
            )?,
            self.statement(&format!("DELETE FROM webhook_messages WHERE id IN ({old})"), &args)?,
        ];
        let results = self.db.batch(statements).await.map_err(database)?;
        Ok(results.get(1).map(changes).unwrap_or(0) > 0)
    }

    /// The oldest change of a group's roles still to be told of.
    pub(crate) async fn next_webhook_job(&self) -> Result<Option<JobRow>, StoreError> {
        self.first(
            "SELECT id, group_id, before, actor, after_user FROM webhook_jobs ORDER BY created_at, id LIMIT 1",
            &[],
        )
        .await
    }

    /// A page of the committed members of `group_id` after user id `after`, each with their
    /// status and every group of theirs, for a change of the group's roles (their groups are the
    /// same before and after it). Returns them and the last user id read.
    pub(crate) async fn grant_change_page(
        &self,
        group_id: &str,
        after: &str,
        limit: u32,
    ) -> Result<(Vec<PersonChange>, Option<String>), StoreError> {
        let page = "WITH page AS (SELECT user_id FROM group_members WHERE group_id = ?1 AND user_id > ?2 \
             ORDER BY user_id LIMIT ?3)";
        let args = [text(group_id), text(after), JsValue::from_f64(f64::from(limit))];
        let users = self.statement(
            &format!(
                // The committed user row, sought by id (a join with the `okta_users` view would
                // materialize the whole view for every page).
                "{page}, committed AS (SELECT committed AS g FROM sync_generation WHERE id = 1) \
                 SELECT p.user_id AS user_id, u.status AS status_before, u.status AS status_after, \
                 u.email AS email FROM page p LEFT JOIN okta_user_versions u ON u.id = p.user_id \
                 AND u.from_gen <= (SELECT g FROM committed) \
                 AND (u.to_gen IS NULL OR u.to_gen > (SELECT g FROM committed)) ORDER BY p.user_id"
            ),
            &args,
        )?;
        let memberships = self.statement(
            &format!(
                "{page} SELECT m.user_id AS user_id, m.group_id AS group_id, g.name AS group_name, \
                 1 AS before, 1 AS after, 1 AS kept, r.role AS role FROM page p \
                 JOIN group_members m ON m.user_id = p.user_id JOIN groups g ON g.id = m.group_id \
                 LEFT JOIN group_roles r ON r.group_id = m.group_id ORDER BY m.user_id, m.group_id"
            ),
            &args,
        )?;
        let custom = self.statement(&custom_grants_of(page, "group_members"), &args)?;
        self.people_changed(vec![users, memberships, custom]).await
    }

    /// Records one page of a job: its event, if it has one, for every endpoint that receives
    /// `access.changed` (due now), and how far it got (`None`: done, the job is deleted).
    pub(crate) async fn advance_webhook_job(
        &self,
        job_id: &str,
        reached: Option<&str>,
        event: Option<(&str, &str)>,
        now: &str,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let mut statements = Vec::new();
        if let Some((message_id, payload)) = event {
            let kind = WebhookEventType::AccessChanged.as_str();
            statements.push(self.statement(
                "INSERT OR IGNORE INTO webhook_messages (id, event_type, payload, created_at) VALUES (?1, ?2, ?3, ?4)",
                &[text(message_id), text(kind), text(payload), text(now)],
            )?);
            statements.push(self.statement(
                &format!(
                    "INSERT OR IGNORE INTO webhook_deliveries (endpoint_id, message_id, state, next_attempt_at, created_at) \
                     SELECT e.id, ?1, 'pending', ?3, ?4 FROM webhook_endpoints e WHERE {}",
                    subscribed(2)
                ),
                &[text(message_id), text(kind), JsValue::from_f64(now_ms as f64), text(now)],
            )?);
        }
        statements.push(match reached {
            Some(user) => self.statement(
                "UPDATE webhook_jobs SET after_user = ?2 WHERE id = ?1",
                &[text(job_id), text(user)],
            )?,
            None => self.statement("DELETE FROM webhook_jobs WHERE id = ?1", &[text(job_id)])?,
        });
        self.db.batch(statements).await.map_err(database).map(|_| ())
    }

    /// The people of one page of a run's generation `generation` (not yet switched to) whose
    /// memberships or user rows it changes, after user id `after`: each with their status and
    /// groups before and after. Returns them and the last user id read (`None`: no one left).
    pub(crate) async fn access_change_page(
        &self,
        run_id: &str,
        generation: i64,
        after: &str,
        limit: u32,
    ) -> Result<(Vec<PersonChange>, Option<String>), StoreError> {
        // Each part takes its first `limit` users in id order (an index seek); the first `limit`
        // of their union are the first `limit` of all. The groups leaving the app are found
        // first (`CROSS JOIN` keeps SQLite from walking every membership in user order instead).
        let page = "WITH page AS (SELECT user_id FROM ( \
             SELECT * FROM (SELECT DISTINCT user_id FROM group_member_versions WHERE from_gen = ?2 AND user_id > ?3 ORDER BY user_id LIMIT ?4) \
             UNION SELECT * FROM (SELECT DISTINCT user_id FROM group_member_versions WHERE to_gen = ?2 AND user_id > ?3 ORDER BY user_id LIMIT ?4) \
             UNION SELECT * FROM (SELECT DISTINCT id AS user_id FROM okta_user_versions WHERE from_gen = ?2 AND id > ?3 ORDER BY id LIMIT ?4) \
             UNION SELECT * FROM (SELECT DISTINCT id AS user_id FROM okta_user_versions WHERE to_gen = ?2 AND id > ?3 ORDER BY id LIMIT ?4) \
             UNION SELECT * FROM (SELECT DISTINCT m.user_id FROM groups g CROSS JOIN group_member_versions m ON m.group_id = g.id \
               WHERE g.source = 'okta' AND NOT EXISTS (SELECT 1 FROM sync_staged_groups s WHERE s.run_id = ?1 AND s.id = g.id) \
               AND m.user_id > ?3 AND m.from_gen < ?2 AND m.to_gen IS NULL ORDER BY m.user_id LIMIT ?4) \
             ) ORDER BY user_id LIMIT ?4)";
        let args = [
            text(run_id),
            JsValue::from_f64(generation as f64),
            text(after),
            JsValue::from_f64(f64::from(limit)),
        ];
        // Visible before the switch: from_gen < G and not ended before G; after: from_gen <= G
        // and not ended by G.
        let users = self.statement(
            &format!(
                "{page} SELECT p.user_id AS user_id, \
                 (SELECT status FROM okta_user_versions u WHERE u.id = p.user_id AND u.from_gen < ?2 \
                  AND (u.to_gen IS NULL OR u.to_gen >= ?2)) AS status_before, \
                 (SELECT status FROM okta_user_versions u WHERE u.id = p.user_id AND u.from_gen <= ?2 \
                  AND (u.to_gen IS NULL OR u.to_gen > ?2)) AS status_after, \
                 COALESCE((SELECT email FROM okta_user_versions u WHERE u.id = p.user_id AND u.from_gen <= ?2 \
                  AND (u.to_gen IS NULL OR u.to_gen > ?2)), (SELECT email FROM okta_user_versions u \
                  WHERE u.id = p.user_id AND u.from_gen < ?2 AND (u.to_gen IS NULL OR u.to_gen >= ?2))) AS email \
                 FROM page p ORDER BY p.user_id"
            ),
            &args,
        )?;
        let memberships = self.statement(
            &format!(
                "{page}, rows AS (SELECT m.user_id AS user_id, m.group_id AS group_id, \
                 COALESCE(g.name, s.name, m.group_id) AS group_name, \
                 (g.id IS NOT NULL AND m.from_gen < ?2 AND (m.to_gen IS NULL OR m.to_gen >= ?2)) AS before, \
                 (m.from_gen <= ?2 AND (m.to_gen IS NULL OR m.to_gen > ?2)) AS after, \
                 (s.id IS NOT NULL) AS kept \
                 FROM page p JOIN group_member_versions m ON m.user_id = p.user_id \
                 LEFT JOIN groups g ON g.id = m.group_id \
                 LEFT JOIN sync_staged_groups s ON s.run_id = ?1 AND s.id = m.group_id) \
                 SELECT r.user_id, r.group_id, r.group_name, r.before, r.after, r.kept, gr.role AS role \
                 FROM rows r LEFT JOIN group_roles gr ON gr.group_id = r.group_id \
                 WHERE r.before OR (r.after AND r.kept) ORDER BY r.user_id, r.group_id"
            ),
            &args,
        )?;
        let custom = self.statement(&custom_grants_of(page, "group_member_versions"), &args)?;
        self.people_changed(vec![users, memberships, custom]).await
    }

    /// Runs a page's three statements (users, memberships, custom grants) and reads the
    /// people out of their answers, with the last user id read.
    async fn people_changed(
        &self,
        statements: Vec<D1PreparedStatement>,
    ) -> Result<(Vec<PersonChange>, Option<String>), StoreError> {
        let mut results = self.db.batch(statements).await.map_err(database)?.into_iter();
        let users: Vec<UserRow> = batch_answer(results.next())?;
        let memberships: Vec<MembershipRow> = batch_answer(results.next())?;
        let custom: Vec<CustomGrantRow> = batch_answer(results.next())?;
        let last = users.last().map(|u| u.user_id.clone());
        let people =
            users.into_iter().map(|user| person_change(user, &memberships, &custom)).collect();
        Ok((people, last))
    }
}

/// A change of a group's roles whose members the sender has still to tell of.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct JobRow {
    pub(crate) id: String,
    pub(crate) group_id: String,
    before: String,
    actor: String,
    pub(crate) after_user: String,
}

impl JobRow {
    /// What the group granted before, as the job recorded it.
    pub(crate) fn grants_before(&self) -> GrantsBefore {
        #[derive(Deserialize, Default)]
        struct Before {
            #[serde(default)]
            roles: Vec<String>,
            #[serde(default)]
            custom: Vec<CustomGrantRow>,
        }
        let before: Before = serde_json::from_str(&self.before).unwrap_or_default();
        GrantsBefore { roles: before.roles, custom: before.custom, changed_by: self.actor.clone() }
    }
}

/// The custom grants, with their roles' names, of the groups of the people of `page` (a `WITH`
/// clause naming `page (user_id)`) as the memberships `memberships` list them.
fn custom_grants_of(page: &str, memberships: &str) -> String {
    format!(
        "{page} SELECT x.group_id AS group_id, x.role AS role, c.name AS role_name, x.scope AS scope \
         FROM group_grants x JOIN custom_roles c ON c.key = x.role WHERE x.group_id IN \
         (SELECT m.group_id FROM page p JOIN {memberships} m ON m.user_id = p.user_id) \
         ORDER BY x.group_id, x.role, x.scope"
    )
}

#[derive(Debug, Deserialize)]
struct UserRow {
    user_id: String,
    status_before: Option<String>,
    status_after: Option<String>,
    email: Option<String>,
}

#[derive(Debug, Deserialize)]
struct MembershipRow {
    user_id: String,
    group_id: String,
    group_name: String,
    before: i64,
    after: i64,
    kept: i64,
    role: Option<String>,
}

/// One person's change from the page's rows (sorted by user, then group).
fn person_change(
    user: UserRow,
    memberships: &[MembershipRow],
    custom: &[CustomGrantRow],
) -> PersonChange {
    let mut groups: Vec<MembershipChange> = Vec::new();
    for row in memberships.iter().filter(|m| m.user_id == user.user_id) {
        let group = match groups.iter_mut().find(|g| g.group_id == row.group_id) {
            Some(group) => group,
            None => {
                groups.push(MembershipChange {
                    group_id: row.group_id.clone(),
                    group_name: row.group_name.clone(),
                    before: false,
                    after: false,
                    kept: row.kept != 0,
                    roles: Vec::new(),
                    custom: custom.iter().filter(|c| c.group_id == row.group_id).cloned().collect(),
                    grants_before: None,
                });
                let Some(last) = groups.last_mut() else { unreachable!("pushed above") };
                last
            }
        };
        // A membership may be two rows around a commit (ended, then begun); each adds its side.
        group.before |= row.before != 0;
        group.after |= row.after != 0;
        if let Some(role) = &row.role
            && !group.roles.contains(role)
        {
            group.roles.push(role.clone());
        }
    }
    PersonChange {
        user_id: user.user_id,
        email: user.email,
        status_before: user.status_before.as_deref().map(OktaUserStatus::parse),
        status_after: user.status_after.as_deref().map(OktaUserStatus::parse),
        groups,
    }
}

/// RFC 3339 of epoch milliseconds.
pub(crate) fn iso_of_ms(ms: f64) -> String {
    String::from(js_sys::Date::new(&JsValue::from_f64(ms)).to_iso_string())
}
