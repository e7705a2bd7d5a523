//! D1, the source of truth. Every SQL statement of the Worker lives in this module, always with
//! bound parameters. Changes and their audit rows go to D1 in one batch, which D1 runs as one
//! transaction.

use std::cell::Cell;

use groupsync_core::api::CredentialKind;
use groupsync_core::domain::{AuditActionFilter, AuditFilter};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use worker::{D1Database, D1PreparedStatement, Env};

use crate::config::DB_BINDING;
use crate::error::StoreError;
use crate::service::access::Actor;
use crate::service::ports::{
    ApiKeyRow, AuditRecord, CredentialStore, ServiceTokenRow, SettingsRow, SettingsStore, StoredKey,
};

/// The database of this request (or of one Durable Object invocation).
pub(crate) struct Store {
    db: D1Database,
    /// Statements prepared so far: every one is sent, and D1 counts each statement of a batch.
    queries: Cell<u32>,
}

/// D1's limits (DESIGN.md §6) that local workerd does not all enforce: the adapter checks every
/// statement itself, so that a test on the local stack fails where production would.
pub(crate) mod limits {
    /// Bound parameters per statement.
    pub(crate) const MAX_PARAMETERS: usize = 100;
    /// Bytes of SQL text per statement.
    pub(crate) const MAX_SQL_BYTES: usize = 100_000;
    /// Bytes of one bound string. D1 refuses values over 2 MB; half of that leaves room for
    /// what a statement builds from it.
    pub(crate) const MAX_VALUE_BYTES: usize = 1_000_000;
    /// Queries per Worker invocation (paid plan).
    pub(crate) const MAX_QUERIES: u32 = 1_000;
    /// The D1 statements a long piece of work (a sync run, the webhook sender) sends in one
    /// invocation before it hands over to the next: well under [`MAX_QUERIES`], with room for
    /// the unit under way and the failure record.
    pub(crate) const QUERY_BUDGET: u32 = 800;
}

/// A row of `api_keys` or `service_tokens` as the authenticator needs it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct MachineRow {
    pub(crate) name: String,
    pub(crate) scopes: String,
}

/// A row of `super_admins`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SuperAdminRow {
    pub(crate) email: String,
    pub(crate) granted_by: String,
    pub(crate) granted_at: String,
}

/// A row of `audit_log`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct AuditRow {
    pub(crate) id: i64,
    pub(crate) at: String,
    pub(crate) actor: String,
    pub(crate) actor_kind: String,
    pub(crate) action: String,
    pub(crate) target: Option<String>,
    pub(crate) before: Option<String>,
    pub(crate) after: Option<String>,
    /// The name of the group the entry is about, for group actions.
    pub(crate) target_name: Option<String>,
}

#[derive(Deserialize)]
struct Count {
    n: i64,
}

impl Store {
    /// The database bound as `DB`.
    pub(crate) fn open(env: &Env) -> Result<Self, StoreError> {
        Ok(Self { db: env.d1(DB_BINDING).map_err(database)?, queries: Cell::new(0) })
    }

    /// The newest schema version recorded by the applied migrations.
    pub(crate) async fn schema_version(&self) -> Result<u32, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            version: Option<u32>,
        }
        let row: Option<Row> =
            self.first("SELECT MAX(version) AS version FROM schema_version", &[]).await?;
        row.and_then(|r| r.version)
            .ok_or_else(|| StoreError::Database("schema_version holds no rows".into()))
    }

    // --- superAdmins -------------------------------------------------------------------------

    pub(crate) async fn is_super_admin(&self, email: &str) -> Result<bool, StoreError> {
        let row: Option<Count> = self
            .first("SELECT COUNT(*) AS n FROM super_admins WHERE email = ?1", &[text(email)])
            .await?;
        Ok(row.is_some_and(|r| r.n > 0))
    }

    /// Makes `email` a superAdmin if, and only if, there is none yet (the deploy-time bootstrap).
    /// Returns whether `email` is a superAdmin afterwards: two first requests of a bootstrap
    /// person race here, and the one whose insert finds the other's row must still say yes.
    pub(crate) async fn bootstrap_super_admin(
        &self,
        email: &str,
        now: &str,
    ) -> Result<bool, StoreError> {
        let system = Actor { name: "bootstrap".into(), kind: "system" };
        let insert = self.statement(
            "INSERT INTO super_admins (email, granted_by, granted_at) \
             SELECT ?1, 'bootstrap', ?2 WHERE NOT EXISTS (SELECT 1 FROM super_admins)",
            &[text(email), text(now)],
        )?;
        let audit = self.audit_if_changed(
            &AuditRecord {
                actor: &system,
                action: "super_admin.bootstrapped",
                target: Some(email.to_owned()),
                before: None,
                after: None,
            },
            now,
        )?;
        let check = self
            .statement("SELECT COUNT(*) AS n FROM super_admins WHERE email = ?1", &[text(email)])?;
        let results = self.db.batch(vec![insert, audit, check]).await.map_err(database)?;
        let now_super_admin: Vec<Count> = batch_answer(results.into_iter().nth(2))?;
        Ok(now_super_admin.first().is_some_and(|c| c.n > 0))
    }

    /// Every superAdmin, by email; planned.
    pub(crate) fn plan_super_admins(&self) -> Result<Planned<Vec<SuperAdminRow>>, StoreError> {
        Ok(Planned::all(self.statement(
            "SELECT email, granted_by, granted_at FROM super_admins ORDER BY email",
            &[],
        )?))
    }

    /// Grants superAdmin; `false` when the person already is one.
    pub(crate) async fn grant_super_admin(
        &self,
        email: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let insert = self.statement(
            "INSERT INTO super_admins (email, granted_by, granted_at) VALUES (?1, ?2, ?3) ON CONFLICT(email) DO NOTHING",
            &[text(email), text(&audit.actor.name), text(now)],
        )?;
        self.change_with_audit(insert, audit, now).await
    }

    /// Revokes superAdmin unless it is the last one; `false` when nothing was removed.
    pub(crate) async fn revoke_super_admin(
        &self,
        email: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let delete = self.statement(
            "DELETE FROM super_admins WHERE email = ?1 AND (SELECT COUNT(*) FROM super_admins) > 1",
            &[text(email)],
        )?;
        self.change_with_audit(delete, audit, now).await
    }

    // --- machine clients ---------------------------------------------------------------------

    /// The unrevoked, unexpired API key with this hash, planned (read with the request's other
    /// reads).
    pub(crate) fn plan_api_key(
        &self,
        secret_hash: &str,
        now: &str,
    ) -> Result<Planned<Option<MachineRow>>, StoreError> {
        Ok(Planned::first(self.statement(
            "SELECT name, scopes FROM api_keys WHERE secret_hash = ?1 AND revoked_at IS NULL AND expires_at > ?2",
            &[text(secret_hash), text(now)],
        )?))
    }

    /// The unrevoked service token with this common name, planned.
    pub(crate) fn plan_service_token(
        &self,
        common_name: &str,
    ) -> Result<Planned<Option<MachineRow>>, StoreError> {
        Ok(Planned::first(self.statement(
            "SELECT name, scopes FROM service_tokens WHERE common_name = ?1 AND revoked_at IS NULL",
            &[text(common_name)],
        )?))
    }

    /// Every API key (revoked and expired ones too), newest first; planned.
    pub(crate) fn plan_api_keys(&self) -> Result<Planned<Vec<ApiKeyRow>>, StoreError> {
        Ok(Planned::all(self.statement(
            "SELECT id, name, scopes, created_by, created_at, expires_at, revoked_at FROM api_keys ORDER BY created_at DESC, id",
            &[],
        )?))
    }

    /// Revokes a key; `false` when no unrevoked key has this id.
    pub(crate) async fn revoke_api_key(
        &self,
        id: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let update = self.statement(
            "UPDATE api_keys SET revoked_at = ?2, revoked_by = ?3 WHERE id = ?1 AND revoked_at IS NULL",
            &[text(id), text(now), text(&audit.actor.name)],
        )?;
        self.change_with_audit(update, audit, now).await
    }

    /// Every registered service token (revoked ones too), by common name; planned.
    pub(crate) fn plan_service_tokens(&self) -> Result<Planned<Vec<ServiceTokenRow>>, StoreError> {
        Ok(Planned::all(self.statement(
            "SELECT common_name, name, scopes, created_by, created_at, revoked_at FROM service_tokens ORDER BY common_name",
            &[],
        )?))
    }

    /// Revokes a service token; `false` when no unrevoked one has this common name.
    pub(crate) async fn revoke_service_token(
        &self,
        common_name: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let update = self.statement(
            "UPDATE service_tokens SET revoked_at = ?2 WHERE common_name = ?1 AND revoked_at IS NULL",
            &[text(common_name), text(now)],
        )?;
        self.change_with_audit(update, audit, now).await
    }

    // --- Okta settings -----------------------------------------------------------------------

    /// The one row of Okta settings (a database without it is broken); planned.
    pub(crate) fn plan_okta_settings(&self) -> Result<Planned<SettingsRow>, StoreError> {
        let statement = self.statement(
            "SELECT tenant_url, app_id, token_ciphertext, token_last4, token_set_by, token_set_at, sync_enabled, \
             updated_by, updated_at, credential, client_id, app_key_sealed, app_key_kid, app_key_jwk, \
             app_key_created_by, app_key_created_at, pending_key_sealed, pending_key_kid, pending_key_jwk, \
             pending_key_created_by, pending_key_created_at, version FROM okta_settings WHERE id = 1",
            &[],
        )?;
        Ok(Planned::new(vec![statement], |answers| {
            batch_answer::<SettingsRow>(answers.next())?
                .into_iter()
                .next()
                .ok_or_else(|| StoreError::Database("okta_settings has no row".into()))
        }))
    }

    /// Replaces a stored secret's sealed value (the token or the service app's key pair) by the
    /// same secret sealed under the current key, only while the stored value is still `sealed`
    /// (a secret saved meanwhile wins), with its audit row. Not a settings change: `version` and `updated_*` stay. Returns whether it did.
    pub(crate) async fn reseal_okta_secret(
        &self,
        column: SealedColumn,
        sealed: &str,
        resealed: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let sql = match column {
            SealedColumn::Token => {
                "UPDATE okta_settings SET token_ciphertext = ?2 WHERE id = 1 AND token_ciphertext = ?1"
            }
            SealedColumn::AppKey => {
                "UPDATE okta_settings SET app_key_sealed = ?2 WHERE id = 1 AND app_key_sealed = ?1"
            }
        };
        let update = self.statement(sql, &[text(sealed), text(resealed)])?;
        self.change_with_audit(update, audit, now).await
    }

    /// Writes an audit row alone (for actions that change nothing stored, like a test).
    pub(crate) async fn audit(&self, audit: &AuditRecord<'_>, now: &str) -> Result<(), StoreError> {
        self.audit_statement(audit, now)?.run().await.map_err(database).map(|_| ())
    }

    // --- audit log and rate limits -----------------------------------------------------------

    pub(crate) async fn list_audit(
        &self,
        before: Option<i64>,
        filter: &AuditFilter,
        limit: u32,
    ) -> Result<Vec<AuditRow>, StoreError> {
        self.plan_audit(before, filter, limit)?.run(self).await
    }

    /// Up to `limit` entries of the audit log matching `filter`, older than `before`, newest
    /// first; planned.
    pub(crate) fn plan_audit(
        &self,
        before: Option<i64>,
        filter: &AuditFilter,
        limit: u32,
    ) -> Result<Planned<Vec<AuditRow>>, StoreError> {
        // Only the conditions given, so that the planner sees which index serves them.
        let mut conditions = Vec::new();
        let mut args = Vec::new();
        let mut bind = |condition: &str, value: JsValue| {
            args.push(value);
            conditions.push(condition.replace('?', &format!("?{}", args.len())));
        };
        if let Some(before) = before {
            bind("a.id < ?", JsValue::from_f64(before as f64));
        }
        if let Some(target) = &filter.target {
            bind("a.target = ?", text(target));
        }
        if let Some(actor) = &filter.actor {
            bind("instr(lower(a.actor), lower(?)) > 0", text(actor));
        }
        match filter.action {
            Some(AuditActionFilter::Action(action)) => bind("a.action = ?", text(action)),
            Some(AuditActionFilter::Area(area)) => {
                // The area's actions sort between `area.` and `area/` ('/' follows '.').
                bind("a.action >= ?", text(&format!("{area}.")));
                bind("a.action < ?", text(&format!("{area}/")));
            }
            None => {}
        }
        if let Some(from) = &filter.from {
            bind("a.at >= ?", text(from));
        }
        if let Some(to) = &filter.to {
            bind("substr(a.at, 1, 10) <= ?", text(to));
        }
        args.push(JsValue::from_f64(f64::from(limit)));
        let sql = format!(
            "SELECT a.id, a.at, a.actor, a.actor_kind, a.action, a.target, a.before, a.after, \
             (SELECT g.name FROM groups g WHERE g.id = a.target AND a.action LIKE 'group.%') \
             AS target_name FROM audit_log a {} ORDER BY a.id DESC LIMIT ?{}",
            if conditions.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", conditions.join(" AND "))
            },
            args.len()
        );
        Ok(Planned::all(self.statement(&sql, &args)?))
    }

    /// Counts one more request in `bucket`'s fixed window starting at `window_start`, and returns
    /// the count in that window.
    pub(crate) async fn count_request(
        &self,
        bucket: &str,
        window_start: i64,
    ) -> Result<i64, StoreError> {
        let row: Option<Count> = self
            .first(
                "INSERT INTO rate_limit_windows (bucket, window_start, count) VALUES (?1, ?2, 1) \
                 ON CONFLICT(bucket) DO UPDATE SET \
                 count = CASE WHEN window_start = excluded.window_start THEN count + 1 ELSE 1 END, \
                 window_start = excluded.window_start \
                 RETURNING count AS n",
                &[text(bucket), JsValue::from_f64(window_start as f64)],
            )
            .await?;
        Ok(row.map_or(1, |r| r.n))
    }

    /// The count in `bucket`'s fixed window starting at `window_start`, without counting;
    /// planned.
    pub(crate) fn plan_request_count(
        &self,
        bucket: &str,
        window_start: i64,
    ) -> Result<Planned<i64>, StoreError> {
        let statement = self.statement(
            "SELECT count AS n FROM rate_limit_windows WHERE bucket = ?1 AND window_start = ?2",
            &[text(bucket), JsValue::from_f64(window_start as f64)],
        )?;
        Ok(Planned::<Option<Count>>::first(statement).map(|row| row.map_or(0, |r| r.n)))
    }

    /// Deletes the counters of windows that started before `window_start`: they count nothing
    /// any more (a bucket's next count starts its window over), and buckets keyed by client
    /// address would otherwise pile up one row per address ever seen.
    pub(crate) async fn forget_rate_windows_before(
        &self,
        window_start: i64,
    ) -> Result<(), StoreError> {
        self.statement(
            "DELETE FROM rate_limit_windows WHERE window_start < ?1",
            &[JsValue::from_f64(window_start as f64)],
        )?
        .run()
        .await
        .map_err(database)
        .map(|_| ())
    }

    // --- plumbing ----------------------------------------------------------------------------

    /// Runs `change` and its audit row in one batch; the audit row is written only when the
    /// change changed a row. Returns whether it did.
    async fn change_with_audit(
        &self,
        change: D1PreparedStatement,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let audit = self.audit_if_changed(audit, now)?;
        let results = self.db.batch(vec![change, audit]).await.map_err(database)?;
        Ok(results.first().is_some_and(|r| changes(r) > 0))
    }

    fn audit_if_changed(
        &self,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<D1PreparedStatement, StoreError> {
        self.audit_row("SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE changes() > 0", audit, now)
    }

    fn audit_statement(
        &self,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<D1PreparedStatement, StoreError> {
        self.audit_row("VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", audit, now)
    }

    fn audit_row(
        &self,
        source: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<D1PreparedStatement, StoreError> {
        let json =
            |value: &Option<serde_json::Value>| value.as_ref().map(serde_json::Value::to_string);
        self.statement(
            &format!("INSERT INTO audit_log (at, actor, actor_kind, action, target, before, after) {source}"),
            &[
                text(now),
                text(&audit.actor.name),
                text(audit.actor.kind),
                text(audit.action),
                opt(audit.target.as_deref()),
                opt(json(&audit.before).as_deref()),
                opt(json(&audit.after).as_deref()),
            ],
        )
    }

    /// Runs read statements in one batch, which D1 runs as one transaction: their answers
    /// describe one moment, whatever commits meanwhile.
    async fn read_together(
        &self,
        statements: Vec<D1PreparedStatement>,
    ) -> Result<Vec<worker::D1Result>, StoreError> {
        self.db.batch(statements).await.map_err(database)
    }

    /// Prepares a statement after checking it against D1's limits ([`limits`]).
    fn statement(&self, sql: &str, args: &[JsValue]) -> Result<D1PreparedStatement, StoreError> {
        check_limits(sql, args, self.queries.get())?;
        self.queries.set(self.queries.get() + 1);
        self.db.prepare(sql).bind(args).map_err(database)
    }

    /// How many statements this store has sent: long work hands over to a new invocation well
    /// before [`limits::MAX_QUERIES`].
    pub(crate) fn queries_sent(&self) -> u32 {
        self.queries.get()
    }

    async fn first<T: DeserializeOwned>(
        &self,
        sql: &str,
        args: &[JsValue],
    ) -> Result<Option<T>, StoreError> {
        self.statement(sql, args)?.first(None).await.map_err(database)
    }

    async fn all<T: DeserializeOwned>(
        &self,
        sql: &str,
        args: &[JsValue],
    ) -> Result<Vec<T>, StoreError> {
        self.statement(sql, args)?.all().await.map_err(database)?.results().map_err(database)
    }
}

/// The rows of one statement's answer in a batch (`None`: the batch gave fewer answers).
fn batch_answer<T: serde::de::DeserializeOwned>(
    result: Option<worker::D1Result>,
) -> Result<Vec<T>, StoreError> {
    result
        .ok_or_else(|| StoreError::Database("a batch answer is missing".into()))?
        .results()
        .map_err(database)
}

/// Refuses a statement that D1 would refuse (or that would exceed the invocation's queries).
fn check_limits(sql: &str, args: &[JsValue], sent: u32) -> Result<(), StoreError> {
    let broken = if args.len() > limits::MAX_PARAMETERS {
        Some(format!("{} bound parameters (at most {})", args.len(), limits::MAX_PARAMETERS))
    } else if sql.len() > limits::MAX_SQL_BYTES {
        Some(format!("{} bytes of SQL (at most {})", sql.len(), limits::MAX_SQL_BYTES))
    } else if let Some(len) =
        args.iter().filter_map(utf8_len).find(|&len| len > limits::MAX_VALUE_BYTES)
    {
        Some(format!("a value of {len} bytes (at most {})", limits::MAX_VALUE_BYTES))
    } else if sent >= limits::MAX_QUERIES {
        Some(format!("more than {} queries in one invocation", limits::MAX_QUERIES))
    } else {
        None
    };
    match broken {
        Some(what) => {
            let first_words: String = sql.chars().take(60).collect();
            Err(StoreError::LimitBroken(format!("{what}: {first_words}…")))
        }
        None => Ok(()),
    }
}

/// The UTF-8 length of a string value, copied out of JavaScript only when it may be too long.
fn utf8_len(value: &JsValue) -> Option<usize> {
    let units = value.dyn_ref::<js_sys::JsString>()?.length() as usize;
    // A UTF-16 unit takes at most 3 bytes of UTF-8.
    if units.saturating_mul(3) <= limits::MAX_VALUE_BYTES {
        return Some(units);
    }
    value.as_string().map(|s| s.len())
}

fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

/// Machine credentials: API keys (only their keyed hash) and Access service tokens.
impl CredentialStore for Store {
    async fn insert_api_key(
        &self,
        row: &ApiKeyRow,
        secret_hash: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<(), StoreError> {
        let insert = self.statement(
            "INSERT INTO api_keys (id, name, secret_hash, scopes, created_by, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            &[
                text(&row.id),
                text(&row.name),
                text(secret_hash),
                text(&row.scopes),
                text(&row.created_by),
                text(&row.created_at),
                text(&row.expires_at),
            ],
        )?;
        self.change_with_audit(insert, audit, now).await.map(|_| ())
    }

    async fn insert_service_token(
        &self,
        row: &ServiceTokenRow,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let insert = self.statement(
            "INSERT INTO service_tokens (common_name, name, scopes, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT(common_name) DO NOTHING",
            &[text(&row.common_name), text(&row.name), text(&row.scopes), text(&row.created_by), text(&row.created_at)],
        )?;
        self.change_with_audit(insert, audit, now).await
    }
}

/// The one row of Okta settings.
impl SettingsStore for Store {
    async fn okta_settings(&self) -> Result<SettingsRow, StoreError> {
        self.plan_okta_settings()?.run(self).await
    }

    async fn save_okta_settings(
        &self,
        row: &SettingsRow,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let update = self.statement(
            "UPDATE okta_settings SET tenant_url = ?1, app_id = ?2, token_ciphertext = ?3, token_last4 = ?4, \
             token_set_by = ?5, token_set_at = ?6, sync_enabled = ?7, updated_by = ?8, updated_at = ?9, \
             credential = ?10, client_id = ?11, app_key_sealed = ?12, app_key_kid = ?13, app_key_jwk = ?14, \
             app_key_created_by = ?15, app_key_created_at = ?16, pending_key_sealed = ?17, \
             pending_key_kid = ?18, pending_key_jwk = ?19, pending_key_created_by = ?20, \
             pending_key_created_at = ?21, version = version + 1 WHERE id = 1 AND version = ?22",
            &[
                opt(row.tenant_url.as_deref()),
                opt(row.app_id.as_deref()),
                opt(row.token_ciphertext.as_deref()),
                opt(row.token_last4.as_deref()),
                opt(row.token_set_by.as_deref()),
                opt(row.token_set_at.as_deref()),
                JsValue::from_f64(row.sync_enabled as f64),
                opt(row.updated_by.as_deref()),
                opt(row.updated_at.as_deref()),
                JsValue::from_str(match row.credential {
                    CredentialKind::ServiceApp => "service_app",
                    CredentialKind::ApiToken => "api_token",
                }),
                opt(row.client_id.as_deref()),
            ]
            .into_iter()
            .chain(key_columns(row.app_key.as_ref()))
            .chain(key_columns(row.pending_key.as_ref()))
            .chain([JsValue::from_f64(row.version as f64)])
            .collect::<Vec<_>>(),
        )?;
        self.change_with_audit(update, audit, now).await
    }
}

/// Which sealed secret of the settings a re-seal replaces.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SealedColumn {
    /// `token_ciphertext`.
    Token,
    /// `app_key_sealed`.
    AppKey,
}

/// The five columns of a stored key, in the order `*_sealed, *_kid, *_jwk, *_created_by,
/// *_created_at`.
fn key_columns(key: Option<&StoredKey>) -> [JsValue; 5] {
    [
        opt(key.map(|k| k.sealed.as_str())),
        opt(key.map(|k| k.kid.as_str())),
        opt(key.map(|k| k.jwk.as_str())),
        opt(key.and_then(|k| k.created_by.as_deref())),
        opt(key.and_then(|k| k.created_at.as_deref())),
    ]
}

fn opt(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

/// How many rows a statement changed (0 when D1 did not say).
fn changes(result: &worker::D1Result) -> u64 {
    result.meta().ok().flatten().and_then(|m| m.changes).map_or(0, |n| n as u64)
}

fn database(error: worker::Error) -> StoreError {
    StoreError::Database(error.to_string())
}

mod catalog;
mod groups;
mod hooks;
mod people;
mod planned;
mod runs;
mod snapshot;
mod staging;
mod webhooks;

pub(crate) use groups::{GroupOrder, GroupPageRows, MemberPageRows, MemberRow};
pub(crate) use hooks::EventHookRow;
pub(crate) use people::{People, PersonGrants, PersonRecord, ReviewRow};
pub(crate) use planned::Planned;
pub(crate) use runs::{FailingStreak, RunEnd, RunRow};
pub(crate) use snapshot::{GroupChanges, Key, MembershipDelta, WriteStep, diff_json};
pub(crate) use staging::{GroupToRead, MemberPage, StagedGroup, StagedUser};
use webhooks::grant_change_jobs;
pub(crate) use webhooks::{
    AttemptOutcome, DueDelivery, EndpointRow, JobRow, NewEndpoint, WebhookCommit, iso_of_ms,
};
