//! The sync engine's SQL: the stored snapshot, staging, runs, the atomic commit, group roles,
//! invitations and effective-access lookups.

use std::collections::BTreeMap;

use groupsync_core::domain::{Snapshot, SnapshotGroup, SnapshotUser, SyncPlan};
use groupsync_core::okta::OktaUserStatus;
use serde::Deserialize;
use serde_json::{Value, json};
use wasm_bindgen::JsValue;
use worker::D1PreparedStatement;

use super::{AuditRecord, Store, batch_answer, database, opt, text};
use crate::error::StoreError;

/// The most bytes of JSON bound to one statement (D1 takes values up to 2 MB).
const MAX_JSON_PARAM_BYTES: usize = 1_000_000;

/// A staged row of a run.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct StagedRow {
    pub(crate) key: String,
    pub(crate) payload: String,
}

/// A row of `sync_runs`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RunRow {
    pub(crate) id: String,
    pub(crate) state: String,
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
    pub(crate) held_reason: Option<String>,
    pub(crate) diff: Option<String>,
    pub(crate) rows_written: i64,
}

/// A group as the groups list shows it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct GroupListRow {
    pub(crate) id: String,
    pub(crate) source: String,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) member_count: i64,
    pub(crate) roles: Option<String>,
    pub(crate) roles_version: i64,
}

/// A member of a group, or a user looked up by email.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct MemberRow {
    pub(crate) id: String,
    pub(crate) email: Option<String>,
    pub(crate) login: Option<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) status: String,
}

#[derive(Deserialize)]
struct StoredGroup {
    id: String,
    name: String,
    description: Option<String>,
    okta_last_membership_updated: Option<String>,
}

#[derive(Deserialize)]
struct StoredMembership {
    group_id: String,
    user_id: String,
}

impl Store {
    // --- the stored snapshot -----------------------------------------------------------------

    /// The stored Okta groups without their members or users: enough to decide which groups
    /// an incremental run must re-read, without loading every membership.
    pub(crate) async fn stored_groups(&self) -> Result<Snapshot, StoreError> {
        let groups: Vec<StoredGroup> = self
            .all("SELECT id, name, description, okta_last_membership_updated FROM groups WHERE source = 'okta'", &[])
            .await?;
        let mut snapshot = Snapshot::default();
        for g in groups {
            snapshot.groups.insert(
                g.id.clone(),
                SnapshotGroup {
                    id: g.id,
                    name: g.name,
                    description: g.description,
                    last_membership_updated: g.okta_last_membership_updated,
                    members: Default::default(),
                },
            );
        }
        Ok(snapshot)
    }

    /// Everything the last commit stored about Okta.
    pub(crate) async fn stored_snapshot(&self) -> Result<Snapshot, StoreError> {
        let mut snapshot = self.stored_groups().await?;
        let memberships: Vec<StoredMembership> =
            self.all("SELECT group_id, user_id FROM group_members", &[]).await?;
        let users: Vec<MemberRow> = self
            .all("SELECT id, email, login, first_name, last_name, status FROM okta_users", &[])
            .await?;
        for m in memberships {
            if let Some(group) = snapshot.groups.get_mut(&m.group_id) {
                group.members.insert(m.user_id);
            }
        }
        for u in users {
            snapshot.users.insert(u.id.clone(), snapshot_user(u));
        }
        Ok(snapshot)
    }

    /// How many Okta groups the last commit stored.
    pub(crate) async fn okta_group_count(&self) -> Result<u64, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            n: u64,
        }
        let row: Option<Row> =
            self.first("SELECT COUNT(*) AS n FROM groups WHERE source = 'okta'", &[]).await?;
        Ok(row.map_or(0, |r| r.n))
    }

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
                text(&run.state),
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

    /// Ends a run that commits nothing (failed, dry run, discarded) and drops what it staged.
    pub(crate) async fn finish_run(
        &self,
        id: &str,
        state: &str,
        fields: &RunEnd<'_>,
        audit: Option<&AuditRecord<'_>>,
        now: &str,
    ) -> Result<(), StoreError> {
        let mut statements =
            vec![self.end_statement(id, state, fields, now)?, self.drop_staging(id)?];
        if let Some(audit) = audit {
            statements.push(self.audit_statement(audit, now)?);
        }
        self.db.batch(statements).await.map_err(database).map(|_| ())
    }

    /// Marks a run failed without touching anything else: the fallback when the database is too
    /// broken to drop the run's staging in the same step (the next run clears it).
    pub(crate) async fn mark_failed(
        &self,
        id: &str,
        error: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        self.statement(
            "UPDATE sync_runs SET state = 'failed', ended_at = ?2, error = ?3 WHERE id = ?1",
            &[text(id), text(now), text(error)],
        )?
        .run()
        .await
        .map_err(database)
        .map(|_| ())
    }

    /// Before a new run: ends runs the coordinator no longer knows (an interrupted invocation
    /// whose state was lost) as failed, and drops whatever they staged.
    pub(crate) async fn end_orphaned_runs(&self, now: &str) -> Result<(), StoreError> {
        let end = self.statement(
            "UPDATE sync_runs SET state = 'failed', ended_at = ?1,              error = 'The run was interrupted and did not finish; nothing was committed.'              WHERE state IN ('running', 'needs_confirmation')",
            &[text(now)],
        )?;
        let drop = self.statement("DELETE FROM sync_staging", &[])?;
        self.db.batch(vec![end, drop]).await.map_err(database).map(|_| ())
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

    pub(crate) async fn stage(
        &self,
        run_id: &str,
        kind: &str,
        rows: &[(String, String)],
    ) -> Result<(), StoreError> {
        let statements = json_chunks(rows.iter().map(|(key, payload)| json!([key, payload])))
            .into_iter()
            .map(|chunk| {
                self.statement(
                    "INSERT OR REPLACE INTO sync_staging (run_id, kind, key, payload) \
                     SELECT ?1, ?2, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?3)",
                    &[text(run_id), text(kind), text(&chunk)],
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        if statements.is_empty() {
            return Ok(());
        }
        self.db.batch(statements).await.map_err(database).map(|_| ())
    }

    pub(crate) async fn staged(
        &self,
        run_id: &str,
        kind: &str,
    ) -> Result<Vec<StagedRow>, StoreError> {
        self.all(
            "SELECT key, payload FROM sync_staging WHERE run_id = ?1 AND kind = ?2",
            &[text(run_id), text(kind)],
        )
        .await
    }

    pub(crate) async fn run(&self, id: &str) -> Result<Option<RunRow>, StoreError> {
        self.first(&format!("{RUN_COLUMNS} WHERE id = ?1"), &[text(id)]).await
    }

    pub(crate) async fn runs(&self, limit: u32, offset: u32) -> Result<Vec<RunRow>, StoreError> {
        self.all(
            &format!("{RUN_COLUMNS} ORDER BY started_at DESC, id DESC LIMIT ?1 OFFSET ?2"),
            &[JsValue::from_f64(f64::from(limit)), JsValue::from_f64(f64::from(offset))],
        )
        .await
    }

    // --- the commit --------------------------------------------------------------------------

    /// Commits a plan in one D1 batch (one transaction): the groups, memberships and users that
    /// changed and nothing else, the roles of removed groups archived, the run's end, its audit
    /// row, and the staging dropped.
    pub(crate) async fn commit_plan(
        &self,
        run_id: &str,
        plan: &SyncPlan,
        end: &RunEnd<'_>,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<(), StoreError> {
        let mut statements: Vec<D1PreparedStatement> = Vec::new();
        let groups = |list: &mut dyn Iterator<Item = Value>| json_chunks(list);
        for chunk in groups(&mut plan.groups_added.iter().map(|g| {
            json!({ "id": g.id, "name": g.name, "description": g.description, "lmu": g.last_membership_updated })
        })) {
            statements.push(self.statement(
                "INSERT INTO groups (id, source, name, description, created_by, created_at, okta_last_membership_updated) \
                 SELECT json_extract(value, '$.id'), 'okta', json_extract(value, '$.name'), \
                 json_extract(value, '$.description'), 'sync', ?2, json_extract(value, '$.lmu') FROM json_each(?1) WHERE true \
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, description = excluded.description, \
                 okta_last_membership_updated = excluded.okta_last_membership_updated",
                &[text(&chunk), text(now)],
            )?);
        }
        for chunk in groups(&mut plan.groups_changed.iter().map(|g| {
            json!({ "id": g.id, "name": g.name, "description": g.description, "lmu": g.last_membership_updated })
        })) {
            statements.push(self.statement(
                "UPDATE groups SET name = json_extract(j.value, '$.name'), description = json_extract(j.value, '$.description'), \
                 okta_last_membership_updated = json_extract(j.value, '$.lmu') \
                 FROM json_each(?1) AS j WHERE groups.id = json_extract(j.value, '$.id')",
                &[text(&chunk)],
            )?);
        }
        for chunk in json_chunks(plan.groups_removed.iter().map(|id| json!(id))) {
            let removed = "SELECT value FROM json_each(?1)";
            statements.push(self.statement(
                &format!(
                    "INSERT OR IGNORE INTO archived_group_roles (group_id, role, archived_at, run_id) \
                     SELECT group_id, role, ?2, ?3 FROM group_roles WHERE group_id IN ({removed})"
                ),
                &[text(&chunk), text(now), text(run_id)],
            )?);
            statements.push(self.statement(
                &format!("DELETE FROM group_roles WHERE group_id IN ({removed})"),
                &[text(&chunk)],
            )?);
            statements.push(self.statement(
                &format!("DELETE FROM group_members WHERE group_id IN ({removed})"),
                &[text(&chunk)],
            )?);
            statements.push(self.statement(
                &format!("DELETE FROM groups WHERE source = 'okta' AND id IN ({removed})"),
                &[text(&chunk)],
            )?);
        }
        for chunk in json_chunks(plan.memberships_removed.iter().map(|(g, u)| json!([g, u]))) {
            statements.push(self.statement(
                "DELETE FROM group_members WHERE (group_id, user_id) IN \
                 (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1))",
                &[text(&chunk)],
            )?);
        }
        for chunk in json_chunks(plan.users_upserted.iter().map(user_json)) {
            statements.push(self.statement(
                "INSERT INTO okta_users (id, email, login, first_name, last_name, status) \
                 SELECT json_extract(value, '$.id'), lower(json_extract(value, '$.email')), json_extract(value, '$.login'), \
                 json_extract(value, '$.first_name'), json_extract(value, '$.last_name'), json_extract(value, '$.status') \
                 FROM json_each(?1) WHERE true ON CONFLICT(id) DO UPDATE SET email = excluded.email, login = excluded.login, \
                 first_name = excluded.first_name, last_name = excluded.last_name, status = excluded.status",
                &[text(&chunk)],
            )?);
        }
        for chunk in json_chunks(plan.memberships_added.iter().map(|(g, u)| json!([g, u]))) {
            statements.push(self.statement(
                "INSERT OR IGNORE INTO group_members (group_id, user_id) \
                 SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1)",
                &[text(&chunk)],
            )?);
        }
        for chunk in json_chunks(plan.users_removed.iter().map(|id| json!(id))) {
            statements.push(self.statement(
                "DELETE FROM okta_users WHERE id IN (SELECT value FROM json_each(?1))",
                &[text(&chunk)],
            )?);
        }
        let data_statements = statements.len();
        statements.push(self.end_statement(run_id, "succeeded", end, now)?);
        statements.push(self.audit_statement(audit, now)?);
        statements.push(self.drop_staging(run_id)?);
        let results = self.db.batch(statements).await.map_err(database)?;
        let rows_written: usize = results
            .iter()
            .take(data_statements)
            .filter_map(|r| r.meta().ok().flatten().and_then(|m| m.rows_written))
            .sum();
        // Bookkeeping after the commit: the figure the benchmark and the history show.
        self.statement(
            "UPDATE sync_runs SET rows_written = ?2 WHERE id = ?1",
            &[text(run_id), JsValue::from_f64(rows_written as f64)],
        )?
        .run()
        .await
        .map_err(database)
        .map(|_| ())
    }

    fn end_statement(
        &self,
        id: &str,
        state: &str,
        end: &RunEnd<'_>,
        now: &str,
    ) -> Result<D1PreparedStatement, StoreError> {
        self.statement(
            "UPDATE sync_runs SET state = ?2, ended_at = ?3, counts = ?4, error = ?5, diff = ?6, progress = ?7, \
             okta_requests = ?8, rate_limit_waits = ?9 WHERE id = ?1",
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
            ],
        )
    }

    fn drop_staging(&self, run_id: &str) -> Result<D1PreparedStatement, StoreError> {
        self.statement("DELETE FROM sync_staging WHERE run_id = ?1", &[text(run_id)])
    }

    // --- groups and roles --------------------------------------------------------------------

    /// A page of groups, searched by name and sorted, with the count of all that match and when
    /// the last sync committed: one batch, so the count, the rows and the time agree.
    pub(crate) async fn group_page(
        &self,
        search: &str,
        order: &str,
        limit: u32,
        offset: u32,
    ) -> Result<GroupPageRows, StoreError> {
        #[derive(Deserialize)]
        struct Total {
            n: u32,
        }
        let pattern =
            format!("%{}%", search.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let count = self.statement(
            "SELECT COUNT(*) AS n FROM groups WHERE name LIKE ?1 ESCAPE '\\'",
            &[text(&pattern)],
        )?;
        let rows = self.statement(
            &format!("{GROUP_COLUMNS} WHERE g.name LIKE ?1 ESCAPE '\\' ORDER BY {order} LIMIT ?2 OFFSET ?3"),
            &[text(&pattern), JsValue::from_f64(f64::from(limit)), JsValue::from_f64(f64::from(offset))],
        )?;
        let mut results = self
            .read_together(vec![count, rows, self.statement(LAST_COMMIT_AT, &[])?])
            .await?
            .into_iter();
        let total: Vec<Total> = batch_answer(results.next())?;
        let rows = batch_answer(results.next())?;
        let last_commit_at = last_commit_at(batch_answer(results.next())?);
        Ok(GroupPageRows { rows, total: total.first().map_or(0, |t| t.n), last_commit_at })
    }

    pub(crate) async fn group(&self, id: &str) -> Result<Option<GroupListRow>, StoreError> {
        self.first(&format!("{GROUP_COLUMNS} WHERE g.id = ?1"), &[text(id)]).await
    }

    /// A group with its members and when the last sync committed, read in one batch, so the
    /// member count and the member list are of the same moment.
    pub(crate) async fn group_with_members(
        &self,
        id: &str,
    ) -> Result<Option<GroupWithMembers>, StoreError> {
        let group = self.statement(&format!("{GROUP_COLUMNS} WHERE g.id = ?1"), &[text(id)])?;
        let members = self.statement(
            "SELECT u.id, u.email, u.login, u.first_name, u.last_name, u.status FROM group_members m \
             JOIN okta_users u ON u.id = m.user_id WHERE m.group_id = ?1 ORDER BY u.email, u.id",
            &[text(id)],
        )?;
        let mut results = self
            .read_together(vec![group, members, self.statement(LAST_COMMIT_AT, &[])?])
            .await?
            .into_iter();
        let group: Vec<GroupListRow> = batch_answer(results.next())?;
        let members = batch_answer(results.next())?;
        let last_commit_at = last_commit_at(batch_answer(results.next())?);
        Ok(group.into_iter().next().map(|group| GroupWithMembers {
            group,
            members,
            last_commit_at,
        }))
    }

    /// Replaces a group's roles if its roles version is still `version`; `false` on a conflict.
    ///
    /// One batch: the version bump (which only matches the expected version) marks the row with
    /// this request's `nonce`, and the replacement runs only where that mark is found, so two
    /// admins saving the same version cannot both win.
    pub(crate) async fn set_group_roles(
        &self,
        id: &str,
        roles: &[String],
        version: i64,
        nonce: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let bump = self.statement(
            "UPDATE groups SET roles_version = roles_version + 1, roles_writer = ?3 WHERE id = ?1 AND roles_version = ?2",
            &[text(id), JsValue::from_f64(version as f64), text(nonce)],
        )?;
        let audit_row = self.audit_if_changed(audit, now)?;
        let mine = "EXISTS (SELECT 1 FROM groups WHERE id = ?1 AND roles_writer = ?2)";
        let delete = self.statement(
            &format!("DELETE FROM group_roles WHERE group_id = ?1 AND {mine}"),
            &[text(id), text(nonce)],
        )?;
        let insert = self.statement(
            &format!("INSERT INTO group_roles (group_id, role) SELECT ?1, value FROM json_each(?3) WHERE {mine}"),
            &[text(id), text(nonce), text(&json!(roles).to_string())],
        )?;
        let results =
            self.db.batch(vec![bump, audit_row, delete, insert]).await.map_err(database)?;
        let changed = results
            .first()
            .and_then(|r| r.meta().ok().flatten())
            .and_then(|m| m.changes)
            .unwrap_or(0);
        Ok(changed > 0)
    }

    // --- people ------------------------------------------------------------------------------

    /// What decides the access of `email`, read in one batch (one round trip, and one
    /// transaction, so the status, the grants and the superAdmin flag are of one moment):
    /// whether they are a superAdmin, their synced Okta user, the groups of that user (or of
    /// `fallback_user_id` when no synced user has the email) with the roles each grants, and
    /// whether an invitation waits for their first sign-in.
    pub(crate) async fn person(
        &self,
        email: &str,
        fallback_user_id: Option<&str>,
    ) -> Result<PersonRecord, StoreError> {
        // An email's Okta user is the one with the lowest id (the same rule in `Store::people`).
        let user_id =
            "COALESCE((SELECT id FROM okta_users WHERE email = ?1 ORDER BY id LIMIT 1), ?2)";
        let args = [text(email), opt(fallback_user_id)];
        let super_admin = self
            .statement("SELECT COUNT(*) AS n FROM super_admins WHERE email = ?1", &[text(email)])?;
        let user = self.statement(
            "SELECT id, email, login, first_name, last_name, status FROM okta_users \
             WHERE email = ?1 ORDER BY id LIMIT 1",
            &[text(email)],
        )?;
        let memberships = self.statement(
            &format!(
                "SELECT g.id AS group_id, g.name AS group_name, r.role AS role \
                 FROM group_members m JOIN groups g ON g.id = m.group_id \
                 LEFT JOIN group_roles r ON r.group_id = g.id \
                 WHERE m.user_id = {user_id} ORDER BY g.name, g.id, r.role"
            ),
            &args,
        )?;
        let invited = self.statement(
            "SELECT COUNT(*) AS n FROM invitations WHERE email = ?1 AND status = 'invited'",
            &[text(email)],
        )?;
        let mut results =
            self.read_together(vec![super_admin, user, memberships, invited]).await?.into_iter();
        let super_admin: Vec<super::Count> = batch_answer(results.next())?;
        let user: Vec<MemberRow> = batch_answer(results.next())?;
        let memberships: Vec<MembershipRow> = batch_answer(results.next())?;
        let invited: Vec<super::Count> = batch_answer(results.next())?;
        let in_groups = !memberships.is_empty();
        let mut grants = Vec::new();
        for row in memberships {
            if let Some(role) = row.role {
                push_group_role(&mut grants, row.group_id, row.group_name, role);
            }
        }
        Ok(PersonRecord {
            super_admin: super_admin.first().is_some_and(|c| c.n > 0),
            user: user.into_iter().next(),
            grants,
            in_groups,
            invited: invited.first().is_some_and(|c| c.n > 0),
        })
    }

    pub(crate) async fn upsert_invitation(
        &self,
        email: &str,
        okta_user_id: Option<&str>,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<(), StoreError> {
        let insert = self.statement(
            "INSERT INTO invitations (email, okta_user_id, status, invited_by, invited_at) VALUES (?1, ?2, 'invited', ?3, ?4) \
             ON CONFLICT(email) DO UPDATE SET okta_user_id = excluded.okta_user_id, invited_by = excluded.invited_by, \
             invited_at = excluded.invited_at WHERE invitations.status = 'invited'",
            &[text(email), opt(okta_user_id), text(&audit.actor.name), text(now)],
        )?;
        self.db
            .batch(vec![insert, self.audit_statement(audit, now)?])
            .await
            .map_err(database)
            .map(|_| ())
    }

    pub(crate) async fn invitations(&self) -> Result<Vec<InvitationRow>, StoreError> {
        self.all(INVITATIONS, &[]).await
    }

    /// Every invitation with what decides its access (the grants of its Okta user's groups,
    /// and superAdmin status), read in one batch: D1 runs a batch as one transaction, so a
    /// listing never pairs an invitation with access from before or after a change.
    pub(crate) async fn people(&self) -> Result<People, StoreError> {
        // An email's Okta user is the one with the lowest id, as `Store::person` takes it.
        let grants = "SELECT i.email AS email, u.status AS status, g.id AS group_id, \
             g.name AS group_name, r.role AS role FROM invitations i \
             JOIN okta_users u ON u.id = \
             (SELECT id FROM okta_users WHERE email = i.email ORDER BY id LIMIT 1) \
             JOIN group_members m ON m.user_id = u.id JOIN groups g ON g.id = m.group_id \
             JOIN group_roles r ON r.group_id = g.id ORDER BY i.email, g.name, g.id, r.role";
        let super_admins =
            "SELECT s.email AS email FROM super_admins s JOIN invitations i ON i.email = s.email";
        let mut results = self
            .read_together(vec![
                self.statement(INVITATIONS, &[])?,
                self.statement(grants, &[])?,
                self.statement(super_admins, &[])?,
            ])
            .await?
            .into_iter();
        let invitations = batch_answer(results.next())?;
        let grant_rows: Vec<PersonGrantRow> = batch_answer(results.next())?;
        let super_admins: Vec<EmailRow> = batch_answer(results.next())?;
        let mut grants: BTreeMap<String, PersonGrants> = BTreeMap::new();
        for row in grant_rows {
            let person = grants
                .entry(row.email)
                .or_insert_with(|| PersonGrants { status: row.status, grants: Vec::new() });
            push_group_role(&mut person.grants, row.group_id, row.group_name, row.role);
        }
        Ok(People {
            invitations,
            grants,
            super_admins: super_admins.into_iter().map(|row| row.email).collect(),
        })
    }

    /// Marks an invitation active on the person's first sign-in.
    pub(crate) async fn activate_invitation(
        &self,
        email: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        self.statement(
            "UPDATE invitations SET status = 'active', activated_at = ?2 WHERE email = ?1 AND status = 'invited'",
            &[text(email), text(now)],
        )?
        .run()
        .await
        .map_err(database)
        .map(|_| ())
    }
}

/// What decides one person's access, as of one moment.
#[derive(Debug)]
pub(crate) struct PersonRecord {
    pub(crate) super_admin: bool,
    /// Their synced Okta user (the lowest id among those with the email).
    pub(crate) user: Option<MemberRow>,
    /// The groups that grant them roles, by group name.
    pub(crate) grants: Vec<GroupRoles>,
    /// Whether they are a member of any synced group, granting roles or not.
    pub(crate) in_groups: bool,
    /// Whether they hold an invitation not yet activated by a sign-in.
    pub(crate) invited: bool,
}

/// A group of a person with one role it grants (`None`: it grants none).
#[derive(Deserialize)]
struct MembershipRow {
    group_id: String,
    group_name: String,
    role: Option<String>,
}

/// A group's columns as listings show them (`g` is the group), to be followed by a `WHERE`.
const GROUP_COLUMNS: &str = "SELECT g.id, g.source, g.name, g.description, g.roles_version, \
     (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) AS member_count, \
     (SELECT json_group_array(role) FROM group_roles r WHERE r.group_id = g.id) AS roles \
     FROM groups g";

/// When the last committed (non-dry) run ended.
const LAST_COMMIT_AT: &str =
    "SELECT MAX(ended_at) AS ended_at FROM sync_runs WHERE state = 'succeeded' AND dry_run = 0";

#[derive(Deserialize)]
struct LastCommitRow {
    ended_at: Option<String>,
}

/// The answer of [`LAST_COMMIT_AT`].
fn last_commit_at(rows: Vec<LastCommitRow>) -> Option<String> {
    rows.into_iter().next().and_then(|row| row.ended_at)
}

/// A page of groups as of one moment.
#[derive(Debug)]
pub(crate) struct GroupPageRows {
    pub(crate) rows: Vec<GroupListRow>,
    /// Groups matching the search, over all pages.
    pub(crate) total: u32,
    pub(crate) last_commit_at: Option<String>,
}

/// A group with its members, as of one moment.
#[derive(Debug)]
pub(crate) struct GroupWithMembers {
    pub(crate) group: GroupListRow,
    pub(crate) members: Vec<MemberRow>,
    pub(crate) last_commit_at: Option<String>,
}

/// The invitations, newest first.
const INVITATIONS: &str = "SELECT email, okta_user_id, status, invited_by, invited_at, activated_at \
     FROM invitations ORDER BY invited_at DESC, email";

/// The invitations and what decides their access, as of one moment.
#[derive(Debug)]
pub(crate) struct People {
    /// Newest first.
    pub(crate) invitations: Vec<InvitationRow>,
    /// By email: the Okta status of each invited person whose groups grant roles, with those
    /// groups and roles.
    pub(crate) grants: BTreeMap<String, PersonGrants>,
    /// The invited people who are superAdmins.
    pub(crate) super_admins: Vec<String>,
}

/// An invited person's Okta status and the groups that grant them roles.
#[derive(Debug)]
pub(crate) struct PersonGrants {
    pub(crate) status: String,
    /// (group id, group name, roles), by group name.
    pub(crate) grants: Vec<GroupRoles>,
}

/// A group and the roles it grants: (group id, group name, roles).
pub(crate) type GroupRoles = (String, String, Vec<String>);

/// Adds `role` of a group to `grants`, built from rows sorted by group: a group's roles are one
/// run of rows.
fn push_group_role(
    grants: &mut Vec<GroupRoles>,
    group_id: String,
    group_name: String,
    role: String,
) {
    match grants.last_mut() {
        Some(last) if last.0 == group_id => last.2.push(role),
        _ => grants.push((group_id, group_name, vec![role])),
    }
}

/// A role that a group grants an invited person, with the person's Okta status.
#[derive(Deserialize)]
struct PersonGrantRow {
    email: String,
    status: String,
    group_id: String,
    group_name: String,
    role: String,
}

#[derive(Deserialize)]
struct EmailRow {
    email: String,
}

/// A row of `invitations`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct InvitationRow {
    pub(crate) email: String,
    pub(crate) okta_user_id: Option<String>,
    pub(crate) status: String,
    pub(crate) invited_by: String,
    pub(crate) invited_at: String,
    pub(crate) activated_at: Option<String>,
}

/// How a run ended, for its row.
#[derive(Debug)]
pub(crate) struct RunEnd<'a> {
    pub(crate) counts: Option<&'a Value>,
    pub(crate) error: Option<&'a str>,
    pub(crate) diff: Option<&'a Value>,
    pub(crate) held_reason: Option<&'a Value>,
    pub(crate) progress: &'a Value,
    pub(crate) requests: u64,
    pub(crate) waits: u64,
}

const RUN_COLUMNS: &str = "SELECT id, state, trigger, started_by, dry_run, full, started_at, ended_at, progress, counts, \
     okta_requests, rate_limit_waits, error, held_reason, diff, rows_written FROM sync_runs";

/// Serializes items into JSON arrays of at most [`MAX_JSON_PARAM_BYTES`] each.
fn json_chunks(items: impl Iterator<Item = Value>) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut current = String::from("[");
    for item in items {
        let encoded = item.to_string();
        if current.len() > 1 && current.len() + encoded.len() + 2 > MAX_JSON_PARAM_BYTES {
            current.push(']');
            chunks.push(std::mem::replace(&mut current, String::from("[")));
        }
        if current.len() > 1 {
            current.push(',');
        }
        current.push_str(&encoded);
    }
    if current.len() > 1 {
        current.push(']');
        chunks.push(current);
    }
    chunks
}

fn user_json(user: &SnapshotUser) -> Value {
    json!({ "id": user.id, "email": user.email, "login": user.login, "first_name": user.first_name,
            "last_name": user.last_name, "status": user.status.as_str() })
}

fn snapshot_user(row: MemberRow) -> SnapshotUser {
    SnapshotUser {
        status: OktaUserStatus::parse(&row.status),
        id: row.id,
        email: row.email,
        login: row.login,
        first_name: row.first_name,
        last_name: row.last_name,
    }
}
