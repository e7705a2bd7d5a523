//! What a run fetched from Okta, staged as rows under the run's id: one per group, membership,
//! user and non-active status. Each write carries one page (or the pages of one unit of work),
//! so no statement and no value grows with the size of a group.

use serde::{Deserialize, Serialize};
use serde_json::json;
use wasm_bindgen::JsValue;

use super::{Store, changes, database, text};
use crate::error::StoreError;

/// The size hint of the built-in `Everyone` group, whose members are every user: above any
/// group's count.
const BUILT_IN_SIZE_HINT: f64 = 4_294_967_296.0;

/// A group as read from the app's group assignments.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StagedGroup {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    /// Okta's `lastMembershipUpdated`.
    pub(crate) lmu: Option<String>,
    /// Okta's built-in group of every user (`Everyone`): the largest group there is.
    pub(crate) built_in: bool,
}

/// A member as read from a page of a group's members. The email is lowercased.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StagedUser {
    pub(crate) id: String,
    pub(crate) email: Option<String>,
    pub(crate) login: Option<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) status: String,
}

/// Pages of a group's members read one after another, and the link to the page after them,
/// if any.
#[derive(Debug)]
pub(crate) struct MemberPage {
    pub(crate) group_id: String,
    pub(crate) users: Vec<StagedUser>,
    pub(crate) next: Option<String>,
}

/// A group whose members are being read: its id and the next page (`None`: the first).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct GroupToRead {
    pub(crate) id: String,
    pub(crate) next_page: Option<String>,
}

impl Store {
    /// Stages a page of the app's groups; `listed_before` is how many groups Okta listed on
    /// the pages before it.
    pub(crate) async fn stage_groups(
        &self,
        run_id: &str,
        listed_before: u32,
        groups: &[StagedGroup],
    ) -> Result<(), StoreError> {
        if groups.is_empty() {
            return Ok(());
        }
        self.statement(
            "INSERT OR REPLACE INTO sync_staged_groups (run_id, id, name, description, lmu, size_hint, listed) \
             SELECT ?1, value ->> '$.id', value ->> '$.name', value ->> '$.description', value ->> '$.lmu', \
             CASE WHEN value ->> '$.built_in' THEN ?3 ELSE 0 END, ?4 + key FROM json_each(?2)",
            &[
                text(run_id),
                text(&json!(groups).to_string()),
                JsValue::from_f64(BUILT_IN_SIZE_HINT),
                JsValue::from_f64(f64::from(listed_before)),
            ],
        )?
        .run()
        .await
        .map_err(database)
        .map(|_| ())
    }

    /// Stages a page of users with a non-active status.
    pub(crate) async fn stage_statuses(
        &self,
        run_id: &str,
        statuses: &[(String, String)],
    ) -> Result<(), StoreError> {
        if statuses.is_empty() {
            return Ok(());
        }
        self.statement(
            "INSERT OR REPLACE INTO sync_staged_statuses (run_id, id, status) \
             SELECT ?1, value ->> '$[0]', value ->> '$[1]' FROM json_each(?2)",
            &[text(run_id), text(&json!(statuses).to_string())],
        )?
        .run()
        .await
        .map_err(database)
        .map(|_| ())
    }

    /// Marks the staged groups whose members this run must read: every group when `full`,
    /// otherwise those that are new, whose `lastMembershipUpdated` moved (or is unknown), or that
    /// Okta's events named (`okta_hook_hints`), with the members the snapshot has as their size
    /// hint. Returns how many.
    pub(crate) async fn mark_groups_to_read(
        &self,
        run_id: &str,
        full: bool,
    ) -> Result<u32, StoreError> {
        let result = self
            .statement(
                "UPDATE sync_staged_groups SET members = 'pending', size_hint = max(size_hint, \
                 IFNULL((SELECT member_count FROM groups g WHERE g.id = sync_staged_groups.id), 0)) WHERE run_id = ?1 AND (?2 OR lmu IS NULL \
                 OR NOT EXISTS (SELECT 1 FROM groups g WHERE g.id = sync_staged_groups.id AND g.source = 'okta' \
                 AND g.okta_last_membership_updated = sync_staged_groups.lmu) \
                 OR EXISTS (SELECT 1 FROM okta_hook_hints h WHERE h.kind = 'group' AND h.id = sync_staged_groups.id))",
                &[text(run_id), JsValue::from_bool(full)],
            )?
            .run()
            .await
            .map_err(database)?;
        Ok(u32::try_from(changes(&result)).unwrap_or(u32::MAX))
    }

    /// Up to `limit` groups whose members are still to be read: those already begun, then the
    /// largest (by size hint) first, and groups of the same hint in Okta's order.
    pub(crate) async fn groups_to_read(
        &self,
        run_id: &str,
        limit: usize,
    ) -> Result<Vec<GroupToRead>, StoreError> {
        self.all(
            "SELECT id, next_page FROM sync_staged_groups WHERE run_id = ?1 AND members IN ('reading', 'pending') \
             ORDER BY members = 'pending', size_hint DESC, listed LIMIT ?2",
            &[text(run_id), JsValue::from_f64(limit as f64)],
        )
        .await
    }

    /// Stages pages of members, with their users, and where each group's reading stands, in
    /// one batch (one transaction): a page is staged whole, with its group's next link, or not
    /// at all, so a restarted invocation re-reads at most the pages of one unit.
    pub(crate) async fn stage_member_pages(
        &self,
        run_id: &str,
        pages: &[MemberPage],
    ) -> Result<(), StoreError> {
        let users: Vec<&StagedUser> = pages.iter().flat_map(|p| &p.users).collect();
        let memberships: Vec<(&str, &str)> = pages
            .iter()
            .flat_map(|p| p.users.iter().map(|u| (p.group_id.as_str(), u.id.as_str())))
            .collect();
        let cursors: Vec<(&str, Option<&str>)> =
            pages.iter().map(|p| (p.group_id.as_str(), p.next.as_deref())).collect();
        // A user in many groups is staged once: the first page that names them wins.
        let users = self.statement(
            "INSERT OR IGNORE INTO sync_staged_users (run_id, id, email, login, first_name, last_name, status) \
             SELECT ?1, value ->> '$.id', lower(value ->> '$.email'), value ->> '$.login', \
             value ->> '$.first_name', value ->> '$.last_name', value ->> '$.status' FROM json_each(?2)",
            &[text(run_id), text(&json!(users).to_string())],
        )?;
        let memberships = self.statement(
            "INSERT OR IGNORE INTO sync_staged_members (run_id, group_id, user_id) \
             SELECT ?1, value ->> '$[0]', value ->> '$[1]' FROM json_each(?2)",
            &[text(run_id), text(&json!(memberships).to_string())],
        )?;
        // A group read to its last page is counted once, after its members are inserted: the
        // members staged are the group's memberships in the run's generation, and the switch
        // keeps the count with the group. Counting again on a page staged twice gives the same.
        let cursors = self.statement(
            "UPDATE sync_staged_groups SET members = CASE WHEN c.value ->> '$[1]' IS NULL THEN 'read' ELSE 'reading' END, \
             next_page = c.value ->> '$[1]', member_count = CASE WHEN c.value ->> '$[1]' IS NULL THEN \
             (SELECT COUNT(*) FROM sync_staged_members s WHERE s.run_id = ?1 AND s.group_id = sync_staged_groups.id) END \
             FROM json_each(?2) AS c \
             WHERE sync_staged_groups.run_id = ?1 AND sync_staged_groups.id = c.value ->> '$[0]'",
            &[text(run_id), text(&json!(cursors).to_string())],
        )?;
        self.db.batch(vec![users, memberships, cursors]).await.map_err(database).map(|_| ())
    }
}
