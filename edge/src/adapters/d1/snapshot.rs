//! The committed snapshot of Okta and how a run changes it at any size (DESIGN.md §3).
//!
//! Memberships and users are versioned rows (`group_member_versions`, `okta_user_versions`);
//! readers see the generation in `sync_generation.committed` through the `group_members` and
//! `okta_users` views. A run writes what changed as rows of the next generation in bounded
//! steps ([`WriteStep`]), each over a key range of at most [`ROWS_PER_STATEMENT`] rows, then
//! switches: one small batch writes the group rows (one per assigned group at most), moves the
//! committed generation, ends the run and audits it. Rows left by a run that did not switch, and
//! rows the switch made stale, are deleted afterwards by [`Store::tidy_step`], in bounded
//! pieces, before any later run writes.
//!
//! Planning is set-based: every step compares what the run staged with what is committed in
//! SQL, so nothing here holds a group's members or the snapshot in memory.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use wasm_bindgen::JsValue;

use super::{AuditRecord, RunEnd, Store, WebhookCommit, batch_answer, changes, database, text};
use crate::error::StoreError;

/// The most rows one statement writes or scans for a key range: a few tens of milliseconds of
/// the one D1 writer, so that every other request keeps answering during a commit.
pub(crate) const ROWS_PER_STATEMENT: u32 = 5_000;

/// The most new memberships one statement inserts. Each lands at a random place of the by-user
/// index, so a statement's cost is mostly the index pages it dirties, which grows far slower
/// than its rows: 5,000 rows cost ~20 µs each, 20,000 rows ~12 µs each (a first sync of a million
/// memberships: 24 s and 14 s of writing), and a statement still takes well under a second.
const MEMBERSHIPS_PER_INSERT: u32 = 20_000;

/// Greater than every id (ids are ASCII): the open end of the last key range.
const KEY_END: &str = "\u{10FFFF}";

/// Groups named per kind in a diff.
const DIFF_SAMPLE: u32 = 25;

/// The bounded steps that write a run's changes as rows of the next generation, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum WriteStep {
    /// Memberships read that are not committed: new versions.
    MembershipsAdded,
    /// Committed memberships of re-read groups that Okta no longer lists: ended.
    MembershipsRemoved,
    /// Users read whose details or status differ from the committed ones: new versions.
    UsersRead,
    /// Users not re-read whom Okta lists with another non-active status (incremental runs).
    StatusesRead,
    /// Users not re-read who were not active and are not listed as such anymore: active again
    /// (incremental runs read every non-active user, so anyone else is active).
    UsersActivated,
    /// Users in no group of the new generation: ended.
    UsersUnreferenced,
}

impl WriteStep {
    /// The step after this one.
    pub(crate) fn next(self) -> Option<Self> {
        match self {
            Self::MembershipsAdded => Some(Self::MembershipsRemoved),
            Self::MembershipsRemoved => Some(Self::UsersRead),
            Self::UsersRead => Some(Self::StatusesRead),
            Self::StatusesRead => Some(Self::UsersActivated),
            Self::UsersActivated => Some(Self::UsersUnreferenced),
            Self::UsersUnreferenced => None,
        }
    }
}

/// A position in a step's key order: (group id, user id) for memberships, (user id, "") for
/// users. The start is ("", "").
pub(crate) type Key = (String, String);

/// What one piece of a step did.
#[derive(Debug)]
pub(crate) struct StepPiece {
    /// Memberships or users it changed (as the counts show them).
    pub(crate) changed: u64,
    /// Rows it wrote, new versions and ended ones.
    pub(crate) rows_written: u64,
    /// Where the next piece starts; `None` when the step is done.
    pub(crate) next: Option<Key>,
}

/// What a run changes, counted in SQL once everything is written ahead.
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupChanges {
    pub(crate) stored_groups: u64,
    pub(crate) added: u64,
    pub(crate) changed: u64,
    pub(crate) removed: u64,
    /// Committed memberships, and how many of them belong to removed groups.
    pub(crate) stored_memberships: u64,
    pub(crate) memberships_of_removed: u64,
    /// The first groups of each kind, by name: (id, name, previous name).
    pub(crate) added_sample: Vec<DiffRow>,
    pub(crate) changed_sample: Vec<DiffRow>,
    pub(crate) removed_sample: Vec<DiffRow>,
}

/// A group named in a diff.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DiffRow {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) previous_name: Option<String>,
}

/// The figures a switch moves the committed membership count by.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MembershipDelta {
    pub(crate) added: u64,
    pub(crate) removed: u64,
}

/// A boundary row of a key range.
#[derive(Deserialize)]
struct Boundary {
    a: String,
    b: String,
}

#[derive(Deserialize)]
struct Count {
    n: u64,
}

#[derive(Deserialize)]
struct Generation {
    committed: i64,
}

/// Ends the committed version of every user in the key range ?1..?2 that got a version of
/// generation ?3.
const END_REPLACED_USERS: &str = "UPDATE okta_user_versions SET to_gen = ?3 \
     WHERE id > ?1 AND id <= ?2 AND from_gen < ?3 AND to_gen IS NULL \
     AND EXISTS (SELECT 1 FROM okta_user_versions n WHERE n.id = okta_user_versions.id AND n.from_gen = ?3)";

/// The columns of a new user version, before `from_gen`.
const USER_VERSION: &str = "INSERT OR IGNORE INTO okta_user_versions (id, email, login, first_name, last_name, status, from_gen)";

impl Store {
    /// The committed generation.
    pub(crate) async fn committed_generation(&self) -> Result<i64, StoreError> {
        let row: Option<Generation> =
            self.first("SELECT committed FROM sync_generation WHERE id = 1", &[]).await?;
        row.map(|g| g.committed)
            .ok_or_else(|| StoreError::Database("sync_generation has no row".into()))
    }

    /// How many Okta groups are committed.
    pub(crate) async fn okta_group_count(&self) -> Result<u64, StoreError> {
        let row: Option<Count> =
            self.first("SELECT COUNT(*) AS n FROM groups WHERE source = 'okta'", &[]).await?;
        Ok(row.map_or(0, |r| r.n))
    }

    /// Writes one piece of `step` for generation `generation`: the rows after `after`, at most
    /// [`ROWS_PER_STATEMENT`] (or [`MEMBERSHIPS_PER_INSERT`]) of the step's key order. Idempotent, so a piece interrupted before
    /// its cursor was saved may run again.
    pub(crate) async fn write_step(
        &self,
        run_id: &str,
        step: WriteStep,
        generation: i64,
        after: &Key,
    ) -> Result<StepPiece, StoreError> {
        let gen_value = JsValue::from_f64(generation as f64);
        let rows = match step {
            WriteStep::MembershipsAdded => MEMBERSHIPS_PER_INSERT,
            _ => ROWS_PER_STATEMENT,
        };
        let offset = JsValue::from_f64(f64::from(rows - 1));
        let (a, b) = (text(&after.0), text(&after.1));
        let run = text(run_id);
        let boundary: Option<Boundary> = match step {
            WriteStep::MembershipsAdded => {
                self.first(
                    "SELECT group_id AS a, user_id AS b FROM sync_staged_members WHERE run_id = ?1 \
                     AND (group_id, user_id) > (?2, ?3) ORDER BY group_id, user_id LIMIT 1 OFFSET ?4",
                    &[run.clone(), a.clone(), b.clone(), offset],
                )
                .await?
            }
            WriteStep::MembershipsRemoved => {
                // Ordered by the staged group, which the planner walks in order: no sort.
                self.first(
                    &format!(
                        "SELECT g.id AS a, m.user_id AS b {REREAD_MEMBERSHIPS} \
                         ORDER BY g.id, m.user_id LIMIT 1 OFFSET ?4"
                    ),
                    &[run.clone(), a.clone(), b.clone(), offset, gen_value.clone()],
                )
                .await?
            }
            WriteStep::UsersRead => {
                self.first(
                    "SELECT id AS a, '' AS b FROM sync_staged_users WHERE run_id = ?1 AND id > ?2 \
                     ORDER BY id LIMIT 1 OFFSET ?3",
                    &[run.clone(), a.clone(), offset],
                )
                .await?
            }
            WriteStep::StatusesRead => {
                self.first(
                    "SELECT id AS a, '' AS b FROM sync_staged_statuses WHERE run_id = ?1 AND id > ?2 \
                     ORDER BY id LIMIT 1 OFFSET ?3",
                    &[run.clone(), a.clone(), offset],
                )
                .await?
            }
            WriteStep::UsersActivated => {
                self.first(
                    "SELECT id AS a, '' AS b FROM okta_user_versions WHERE status <> 'ACTIVE' AND id > ?1 \
                     AND from_gen < ?3 AND to_gen IS NULL ORDER BY id LIMIT 1 OFFSET ?2",
                    &[a.clone(), offset, gen_value.clone()],
                )
                .await?
            }
            WriteStep::UsersUnreferenced => {
                self.first(
                    "SELECT id AS a, '' AS b FROM okta_user_versions WHERE id > ?1 AND to_gen IS NULL \
                     ORDER BY id LIMIT 1 OFFSET ?2",
                    &[a.clone(), offset],
                )
                .await?
            }
        };
        let until: Key = boundary.as_ref().map_or_else(
            || (KEY_END.to_owned(), KEY_END.to_owned()),
            |bound| (bound.a.clone(), bound.b.clone()),
        );
        let (a_hi, b_hi) = (text(&until.0), text(&until.1));
        let statements = match step {
            WriteStep::MembershipsAdded => vec![self.statement(
                "INSERT OR IGNORE INTO group_member_versions (group_id, user_id, from_gen) \
                 SELECT s.group_id, s.user_id, ?6 FROM sync_staged_members s WHERE s.run_id = ?1 \
                 AND (s.group_id, s.user_id) > (?2, ?3) AND (s.group_id, s.user_id) <= (?4, ?5) \
                 AND NOT EXISTS (SELECT 1 FROM group_member_versions m WHERE m.group_id = s.group_id \
                 AND m.user_id = s.user_id AND m.from_gen < ?6 AND m.to_gen IS NULL)",
                &[run, a, b, a_hi, b_hi, gen_value],
            )?],
            WriteStep::MembershipsRemoved => vec![self.statement(
                &format!(
                    "UPDATE group_member_versions SET to_gen = ?5 WHERE (group_id, user_id, from_gen) IN \
                     (SELECT m.group_id, m.user_id, m.from_gen {REREAD_MEMBERSHIPS} \
                     AND g.id <= ?6 AND m.user_id <= CASE WHEN g.id = ?6 THEN ?7 ELSE ?8 END \
                     AND NOT EXISTS (SELECT 1 FROM sync_staged_members s WHERE s.run_id = ?1 \
                     AND s.group_id = m.group_id AND s.user_id = m.user_id))"
                ),
                &[run, a, b, JsValue::NULL, gen_value, a_hi, b_hi, text(KEY_END)],
            )?],
            WriteStep::UsersRead => vec![
                self.statement(
                    &format!(
                        "{USER_VERSION} SELECT s.id, s.email, s.login, s.first_name, s.last_name, s.status, ?4 \
                         FROM sync_staged_users s WHERE s.run_id = ?1 AND s.id > ?2 AND s.id <= ?3 \
                         AND NOT EXISTS (SELECT 1 FROM okta_user_versions u WHERE u.id = s.id \
                         AND u.from_gen < ?4 AND u.to_gen IS NULL AND u.email IS s.email AND u.login IS s.login \
                         AND u.first_name IS s.first_name AND u.last_name IS s.last_name AND u.status = s.status)"
                    ),
                    &[run, a.clone(), a_hi.clone(), gen_value.clone()],
                )?,
                self.statement(END_REPLACED_USERS, &[a, a_hi, gen_value])?,
            ],
            WriteStep::StatusesRead => vec![
                self.statement(
                    &format!(
                        "{USER_VERSION} SELECT u.id, u.email, u.login, u.first_name, u.last_name, t.status, ?4 \
                         FROM sync_staged_statuses t JOIN okta_user_versions u ON u.id = t.id \
                         WHERE t.run_id = ?1 AND t.id > ?2 AND t.id <= ?3 AND u.from_gen < ?4 AND u.to_gen IS NULL \
                         AND u.status <> t.status \
                         AND NOT EXISTS (SELECT 1 FROM sync_staged_users s WHERE s.run_id = ?1 AND s.id = t.id)"
                    ),
                    &[run, a.clone(), a_hi.clone(), gen_value.clone()],
                )?,
                self.statement(END_REPLACED_USERS, &[a, a_hi, gen_value])?,
            ],
            WriteStep::UsersActivated => vec![
                self.statement(
                    &format!(
                        "{USER_VERSION} SELECT u.id, u.email, u.login, u.first_name, u.last_name, 'ACTIVE', ?4 \
                         FROM okta_user_versions u WHERE u.status <> 'ACTIVE' AND u.id > ?2 AND u.id <= ?3 \
                         AND u.from_gen < ?4 AND u.to_gen IS NULL \
                         AND NOT EXISTS (SELECT 1 FROM sync_staged_statuses t WHERE t.run_id = ?1 AND t.id = u.id) \
                         AND NOT EXISTS (SELECT 1 FROM sync_staged_users s WHERE s.run_id = ?1 AND s.id = u.id)"
                    ),
                    &[run, a.clone(), a_hi.clone(), gen_value.clone()],
                )?,
                self.statement(END_REPLACED_USERS, &[a, a_hi, gen_value])?,
            ],
            WriteStep::UsersUnreferenced => vec![self.statement(
                "UPDATE okta_user_versions SET to_gen = ?4 WHERE id > ?2 AND id <= ?3 AND to_gen IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM group_member_versions m \
                 JOIN sync_staged_groups g ON g.run_id = ?1 AND g.id = m.group_id \
                 WHERE m.user_id = okta_user_versions.id AND m.from_gen <= ?4 AND m.to_gen IS NULL)",
                &[run, a, a_hi, gen_value],
            )?],
        };
        let results = self.db.batch(statements).await.map_err(database)?;
        let changes: Vec<u64> = results.iter().map(changes).collect();
        Ok(StepPiece {
            changed: changes.first().copied().unwrap_or(0),
            rows_written: changes.iter().sum(),
            next: boundary.map(|_| until),
        })
    }

    /// What the run changes at the group level, and the committed figures the guard weighs it
    /// against, read in one batch.
    pub(crate) async fn group_changes(&self, run_id: &str) -> Result<GroupChanges, StoreError> {
        let run = || [text(run_id)];
        let sample = JsValue::from_f64(f64::from(DIFF_SAMPLE));
        let statements = vec![
            self.statement("SELECT COUNT(*) AS n FROM groups WHERE source = 'okta'", &[])?,
            self.statement(&format!("SELECT COUNT(*) AS n {ADDED}"), &run())?,
            self.statement(&format!("SELECT COUNT(*) AS n {CHANGED}"), &run())?,
            self.statement(&format!("SELECT COUNT(*) AS n {REMOVED}"), &run())?,
            self.statement("SELECT memberships AS n FROM sync_generation WHERE id = 1", &[])?,
            self.statement(
                &format!(
                    "SELECT COUNT(*) AS n FROM group_members m WHERE m.group_id IN (SELECT g.id {REMOVED})"
                ),
                &run(),
            )?,
            self.statement(
                &format!("SELECT s.id, s.name, NULL AS previous_name {ADDED} ORDER BY s.name, s.id LIMIT ?2"),
                &[text(run_id), sample.clone()],
            )?,
            self.statement(
                &format!("SELECT s.id, s.name, g.name AS previous_name {CHANGED} ORDER BY s.name, s.id LIMIT ?2"),
                &[text(run_id), sample.clone()],
            )?,
            self.statement(
                &format!("SELECT g.id, g.name, NULL AS previous_name {REMOVED} ORDER BY g.name, g.id LIMIT ?2"),
                &[text(run_id), sample],
            )?,
        ];
        let mut results = self.read_together(statements).await?.into_iter();
        let mut count = || -> Result<u64, StoreError> {
            let rows: Vec<Count> = batch_answer(results.next())?;
            Ok(rows.first().map_or(0, |c| c.n))
        };
        let (stored_groups, added, changed, removed) = (count()?, count()?, count()?, count()?);
        let (stored_memberships, memberships_of_removed) = (count()?, count()?);
        Ok(GroupChanges {
            stored_groups,
            added,
            changed,
            removed,
            stored_memberships,
            memberships_of_removed,
            added_sample: batch_answer(results.next())?,
            changed_sample: batch_answer(results.next())?,
            removed_sample: batch_answer(results.next())?,
        })
    }

    /// Whether the run removes a group (a committed Okta group it did not find assigned).
    pub(crate) async fn removes_groups(&self, run_id: &str) -> Result<bool, StoreError> {
        let row: Option<Count> = self
            .first(&format!("SELECT EXISTS (SELECT 1 {REMOVED}) AS n"), &[text(run_id)])
            .await?;
        Ok(row.is_some_and(|row| row.n > 0))
    }

    /// The switch: in one small batch (one transaction), removes the groups no longer assigned
    /// (their roles archived), adds and updates the others (with the member counts of the groups
    /// the run read; the others keep theirs, as they keep their members), makes `generation` the committed
    /// one, ends the run and audits it. Readers see the old snapshot before it and the new one
    /// after it. Returns the group rows it wrote.
    #[expect(
        clippy::too_many_arguments,
        reason = "the switch is one batch made of every part of the commit"
    )]
    pub(crate) async fn switch(
        &self,
        run_id: &str,
        generation: i64,
        delta: MembershipDelta,
        end: &RunEnd<'_>,
        audit: &AuditRecord<'_>,
        webhooks: &WebhookCommit<'_>,
        now: &str,
    ) -> Result<u64, StoreError> {
        let run = || text(run_id);
        let removed = "SELECT group_id FROM sync_removed_groups";
        let mut statements = vec![
            self.statement(
                &format!("INSERT OR IGNORE INTO sync_removed_groups (group_id) SELECT g.id {REMOVED}"),
                &[run()],
            )?,
            self.statement(
                &format!(
                    "INSERT OR IGNORE INTO archived_group_roles (group_id, role, archived_at, run_id) \
                     SELECT group_id, role, ?2, ?1 FROM group_roles WHERE group_id IN ({removed})"
                ),
                &[run(), text(now)],
            )?,
            self.statement(&format!("DELETE FROM group_roles WHERE group_id IN ({removed})"), &[])?,
            self.statement(
                &format!("DELETE FROM groups WHERE source = 'okta' AND id IN ({removed})"),
                &[],
            )?,
            self.statement(
                &format!(
                    "INSERT INTO groups (id, source, name, description, created_by, created_at, \
                     okta_last_membership_updated, member_count) \
                     SELECT s.id, 'okta', s.name, s.description, 'sync', ?2, s.lmu, IFNULL(s.member_count, 0) {ADDED}"
                ),
                &[run(), text(now)],
            )?,
            self.statement(
                "UPDATE groups SET name = s.name, description = s.description, okta_last_membership_updated = s.lmu, \
                 member_count = IFNULL(s.member_count, groups.member_count) \
                 FROM sync_staged_groups s WHERE s.run_id = ?1 AND s.id = groups.id \
                 AND (groups.name IS NOT s.name OR groups.description IS NOT s.description \
                 OR groups.okta_last_membership_updated IS NOT s.lmu \
                 OR groups.member_count <> IFNULL(s.member_count, groups.member_count))",
                &[run()],
            )?,
            self.statement(
                "UPDATE sync_generation SET committed = ?1, memberships = memberships + ?2 - ?3 \
                 WHERE id = 1 AND committed = ?1 - 1",
                &[
                    JsValue::from_f64(generation as f64),
                    JsValue::from_f64(delta.added as f64),
                    JsValue::from_f64(delta.removed as f64),
                ],
            )?,
            self.end_statement(run_id, "succeeded", end, now)?,
            self.audit_statement(audit, now)?,
        ];
        // The run's events are sent if, and only if, this batch commits.
        statements.extend(self.webhook_commit_statements(webhooks, now)?);
        let results = self.db.batch(statements).await.map_err(database)?;
        // The group rows: removed (archived roles and roles aside), added and updated.
        Ok([3, 4, 5].iter().filter_map(|&i| results.get(i)).map(changes).sum())
    }

    /// Deletes one bounded piece of what no reader can see: versions written ahead by a run
    /// that did not switch, versions a switch made stale, memberships of removed groups, and
    /// staged rows. Returns whether anything is left; call it until it says no before a run
    /// writes. Never touches what a held run wrote ahead (the coordinator does not tidy then).
    pub(crate) async fn tidy_step(&self) -> Result<bool, StoreError> {
        let committed = "(SELECT committed FROM sync_generation WHERE id = 1)";
        // One indexed probe first: a run usually starts with nothing to tidy (the run before
        // it tidied as it ended), and the pieces below would cost a statement each to say so.
        let untidy: Option<Count> = self
            .first(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM group_member_versions WHERE from_gen > {committed}) \
                     OR EXISTS (SELECT 1 FROM group_member_versions WHERE to_gen IS NOT NULL) \
                     OR EXISTS (SELECT 1 FROM okta_user_versions WHERE from_gen > {committed}) \
                     OR EXISTS (SELECT 1 FROM okta_user_versions WHERE to_gen IS NOT NULL) \
                     OR EXISTS (SELECT 1 FROM sync_removed_groups) \
                     OR EXISTS (SELECT 1 FROM sync_staged_members) OR EXISTS (SELECT 1 FROM sync_staged_users) \
                     OR EXISTS (SELECT 1 FROM sync_staged_statuses) OR EXISTS (SELECT 1 FROM sync_staged_groups) \
                     OR EXISTS (SELECT 1 FROM webhook_deliveries WHERE state = 'staged') AS n"
                ),
                &[],
            )
            .await?;
        if untidy.is_none_or(|row| row.n == 0) {
            return Ok(false);
        }
        let limit = JsValue::from_f64(f64::from(ROWS_PER_STATEMENT));
        let members = "DELETE FROM group_member_versions WHERE (group_id, user_id, from_gen) IN \
                       (SELECT group_id, user_id, from_gen FROM group_member_versions";
        let pieces = [
            format!("{members} WHERE from_gen > {committed} LIMIT ?1)"),
            format!(
                "UPDATE group_member_versions SET to_gen = NULL WHERE (group_id, user_id, from_gen) IN \
                 (SELECT group_id, user_id, from_gen FROM group_member_versions WHERE to_gen > {committed} LIMIT ?1)"
            ),
            format!("{members} WHERE to_gen <= {committed} LIMIT ?1)"),
            format!(
                "{members} WHERE group_id IN (SELECT group_id FROM sync_removed_groups) LIMIT ?1)"
            ),
            format!(
                "DELETE FROM okta_user_versions WHERE rowid IN \
                 (SELECT rowid FROM okta_user_versions WHERE from_gen > {committed} LIMIT ?1)"
            ),
            format!(
                "UPDATE okta_user_versions SET to_gen = NULL WHERE rowid IN \
                 (SELECT rowid FROM okta_user_versions WHERE to_gen > {committed} LIMIT ?1)"
            ),
            format!(
                "DELETE FROM okta_user_versions WHERE rowid IN \
                 (SELECT rowid FROM okta_user_versions WHERE to_gen <= {committed} LIMIT ?1)"
            ),
            staged_delete("sync_staged_members", "run_id, group_id, user_id"),
            staged_delete("sync_staged_users", "run_id, id"),
            staged_delete("sync_staged_statuses", "run_id, id"),
            staged_delete("sync_staged_groups", "run_id, id"),
            // The events of a run that never committed: never sent.
            "DELETE FROM webhook_messages WHERE id IN \
             (SELECT message_id FROM webhook_deliveries WHERE state = 'staged' LIMIT ?1)"
                .to_owned(),
            "DELETE FROM webhook_deliveries WHERE (endpoint_id, message_id) IN \
             (SELECT endpoint_id, message_id FROM webhook_deliveries WHERE state = 'staged' LIMIT ?1)"
                .to_owned(),
        ];
        for sql in pieces {
            let result = self
                .statement(&sql, std::slice::from_ref(&limit))?
                .run()
                .await
                .map_err(database)?;
            if changes(&result) > 0 {
                return Ok(true);
            }
        }
        // Every membership of the removed groups is gone: forget them.
        self.statement("DELETE FROM sync_removed_groups", &[])?.run().await.map_err(database)?;
        Ok(false)
    }
}

/// The committed memberships of the groups a run re-read, after key (?2, ?3), for generation ?5
/// (`g` the staged group, `m` the membership).
/// The key bound is split so that the planner seeks each group's members by user id.
const REREAD_MEMBERSHIPS: &str = "FROM sync_staged_groups g JOIN group_member_versions m \
     ON m.group_id = g.id AND m.user_id > CASE WHEN g.id = ?2 THEN ?3 ELSE '' END \
     WHERE g.run_id = ?1 AND g.members = 'read' AND g.id >= ?2 AND m.from_gen < ?5 AND m.to_gen IS NULL";

/// Staged groups not committed (`s`), for run ?1.
const ADDED: &str = "FROM sync_staged_groups s WHERE s.run_id = ?1 \
     AND NOT EXISTS (SELECT 1 FROM groups g WHERE g.id = s.id)";

/// Staged groups (`s`) whose committed row (`g`) differs, for run ?1.
const CHANGED: &str = "FROM sync_staged_groups s JOIN groups g ON g.id = s.id WHERE s.run_id = ?1 \
     AND (g.name IS NOT s.name OR g.description IS NOT s.description \
     OR g.okta_last_membership_updated IS NOT s.lmu)";

/// Committed Okta groups (`g`) the run did not find assigned, for run ?1.
const REMOVED: &str = "FROM groups g WHERE g.source = 'okta' \
     AND NOT EXISTS (SELECT 1 FROM sync_staged_groups s WHERE s.run_id = ?1 AND s.id = g.id)";

/// Deletes a bounded piece of a staging table (every run's: tidying happens between runs).
fn staged_delete(table: &str, key: &str) -> String {
    format!("DELETE FROM {table} WHERE ({key}) IN (SELECT {key} FROM {table} LIMIT ?1)")
}

/// The diff sample as the API shows it.
pub(crate) fn diff_json(changes: &GroupChanges) -> Value {
    let groups = |rows: &[DiffRow]| -> Value {
        rows.iter()
            .map(|row| {
                serde_json::json!({ "id": row.id, "name": row.name, "previous_name": row.previous_name })
            })
            .collect()
    };
    serde_json::json!({
        "groups_added": groups(&changes.added_sample),
        "groups_changed": groups(&changes.changed_sample),
        "groups_removed": groups(&changes.removed_sample),
    })
}
