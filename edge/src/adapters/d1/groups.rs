//! Groups as the screens and the API read them, and their roles: listings, a group with its
//! members, and the optimistic-concurrency role update.

use serde::Deserialize;
use serde_json::json;
use wasm_bindgen::JsValue;

use super::{
    AuditRecord, Planned, Store, batch_answer, changes, database, grant_change_jobs, opt, text,
};
use crate::error::StoreError;
use crate::service::ports::{GroupListRow, GroupRow, GroupStore, RoleChange};

impl Store {
    // --- groups and roles --------------------------------------------------------------------

    /// A page of groups, searched by name and sorted, with the count of all that match and when
    /// the last sync committed: one batch, so the count, the rows and the time agree; planned.
    pub(crate) fn plan_group_page(
        &self,
        search: &str,
        order: GroupOrder,
        limit: u32,
        offset: u32,
    ) -> Result<Planned<GroupPageRows>, StoreError> {
        let pattern = like_pattern(search);
        let count = self.statement(
            &format!(
                "SELECT (SELECT COUNT(*) FROM groups WHERE name LIKE ?1 ESCAPE '\\') AS n, \
                 ({LAST_COMMIT_AT}) AS ended_at"
            ),
            &[text(&pattern)],
        )?;
        let order = order.0;
        // SQLite computes every selected column of every matching row before it sorts them: the
        // page's ids are chosen first, by the group's own columns, so that roles and grants are
        // read for the page alone, not for all 10,000 groups.
        let sql = format!(
            "{GROUP_COLUMNS} WHERE g.id IN (SELECT g.id FROM groups g \
             WHERE g.name LIKE ?1 ESCAPE '\\' ORDER BY {order} LIMIT ?2 OFFSET ?3) \
             ORDER BY {order}"
        );
        let rows = self.statement(
            &sql,
            &[
                text(&pattern),
                JsValue::from_f64(f64::from(limit)),
                JsValue::from_f64(f64::from(offset)),
            ],
        )?;
        Ok(Planned::new(vec![count, rows], |results| {
            let summary: Vec<Summary> = batch_answer(results.next())?;
            let summary = summary.into_iter().next().unwrap_or_default();
            let rows = batch_answer(results.next())?;
            let total = u32::try_from(summary.n).unwrap_or(u32::MAX);
            Ok(GroupPageRows { rows, total, last_commit_at: summary.ended_at })
        }))
    }

    /// A group and when the last sync committed, read in one batch; planned.
    pub(crate) fn plan_group_with_sync(
        &self,
        id: &str,
    ) -> Result<Planned<GroupWithSync>, StoreError> {
        Ok(self.plan_group(id)?.and(self.plan_last_commit_at()?))
    }

    /// A group by id, planned.
    pub(crate) fn plan_group(&self, id: &str) -> Result<Planned<Option<GroupListRow>>, StoreError> {
        Ok(Planned::first(
            self.statement(&format!("{GROUP_COLUMNS} WHERE g.id = ?1"), &[text(id)])?,
        ))
    }

    /// When the last sync committed, planned.
    fn plan_last_commit_at(&self) -> Result<Planned<Option<String>>, StoreError> {
        Ok(Planned::all(self.statement(LAST_COMMIT_AT, &[])?).map(last_commit_at))
    }

    /// A page of a group's members, ordered by email (none first), then id, starting after the
    /// member `after` (its email, `""` for none, and its id), with `limit + 1` rows at most (the
    /// extra one says a page follows), the count of the members matching `search`, and when the
    /// last sync committed. One batch, so that the count, the page and the time agree; `None`
    /// when no group has this id.
    ///
    /// The page is a keyset read (`(email, id) > after`), never an OFFSET, and without a search
    /// its cost does not grow with the group: the count is the one kept with the group, and a
    /// large group's page walks the users in email order (see [`walked_or_sorted_page`]).
    pub(crate) fn plan_member_page(
        &self,
        group_id: &str,
        search: &str,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> Result<Planned<Option<MemberPageRows>>, StoreError> {
        let (after_email, after_id) = after.unwrap_or(("", ""));
        let rows = JsValue::from_f64(f64::from(limit) + 1.0);
        let mut page_args = vec![text(group_id), text(after_email), text(after_id), rows];
        let (summary, page) = if search.is_empty() {
            let window = f64::from(limit + 1) * f64::from(WALK_USERS_PER_ROW);
            page_args.extend([
                JsValue::from_f64(window),
                JsValue::from_f64(f64::from(WALK_FROM_MEMBERS)),
            ]);
            let summary = self.statement(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM groups WHERE id = ?1) AS found, \
                     IFNULL((SELECT member_count FROM groups WHERE id = ?1), 0) AS n, \
                     ({LAST_COMMIT_AT}) AS ended_at"
                ),
                &[text(group_id)],
            )?;
            (summary, self.statement(&walked_or_sorted_page(), &page_args)?)
        } else {
            let pattern = text(&like_pattern(search));
            page_args.push(pattern.clone());
            let summary = self.statement(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM groups WHERE id = ?1) AS found, \
                     (SELECT COUNT(*) {MEMBERS_OF_GROUP} AND {} ) AS n, ({LAST_COMMIT_AT}) AS ended_at",
                    member_search(2)
                ),
                &[text(group_id), pattern],
            )?;
            let page = format!(
                "SELECT {MEMBER_COLUMNS} {MEMBERS_OF_GROUP} AND {} AND {AFTER_KEY} \
                 ORDER BY IFNULL(u.email, ''), u.id LIMIT ?4",
                member_search(5)
            );
            (summary, self.statement(&page, &page_args)?)
        };
        Ok(Planned::new(vec![summary, page], |results| {
            let summary: Vec<Summary> = batch_answer(results.next())?;
            let summary = summary.into_iter().next().unwrap_or_default();
            let rows = batch_answer(results.next())?;
            if summary.found == 0 {
                return Ok(None);
            }
            let total = u32::try_from(summary.n).unwrap_or(u32::MAX);
            Ok(Some(MemberPageRows { rows, total, last_commit_at: summary.ended_at }))
        }))
    }
}

/// Groups and their roles as D1 stores them.
impl GroupStore for Store {
    async fn group(&self, id: &str) -> Result<Option<GroupListRow>, StoreError> {
        self.plan_group(id)?.run(self).await
    }

    /// One batch: the version bump (which only matches the expected version) marks the row with
    /// this request's `nonce`, and the replacement runs only where that mark is found, so two
    /// admins saving the same version cannot both win.
    async fn set_group_roles(
        &self,
        id: &str,
        change: &RoleChange<'_>,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let RoleChange { roles, grants, version, nonce } = *change;
        let bump = self.statement(
            "UPDATE groups SET roles_version = roles_version + 1, roles_writer = ?3, \
             roles_saved_by = ?4, roles_saved_at = ?5 WHERE id = ?1 AND roles_version = ?2",
            &[
                text(id),
                JsValue::from_f64(version as f64),
                text(nonce),
                text(&audit.actor.name),
                text(now),
            ],
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
        // Before the replacement: what the group granted, for the `access.changed` events of its
        // members (only while an endpoint receives them).
        let announce = self.statement(
            &grant_change_jobs(&format!("SELECT ?1 AS group_id WHERE {mine}"), "?3", "?4"),
            &[text(id), text(nonce), text(&audit.actor.name), text(now)],
        )?;
        let mut statements = vec![bump, audit_row, announce, delete, insert];
        if let Some(grants) = grants {
            let rows: Vec<serde_json::Value> = grants
                .iter()
                .map(|g| json!([g.role, g.scope.as_ref().map_or("", |s| s.as_str())]))
                .collect();
            statements.push(self.statement(
                &format!("DELETE FROM group_grants WHERE group_id = ?1 AND {mine}"),
                &[text(id), text(nonce)],
            )?);
            // Only roles that still exist: one deleted meanwhile is not granted by a save
            // that began before.
            statements.push(self.statement(
                &format!(
                    "INSERT OR IGNORE INTO group_grants (group_id, role, scope) \
                     SELECT ?1, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?3) \
                     WHERE {mine} AND EXISTS (SELECT 1 FROM custom_roles WHERE key = json_extract(value, '$[0]'))"
                ),
                &[text(id), text(nonce), text(&json!(rows).to_string())],
            )?);
        }
        let results = self.db.batch(statements).await.map_err(database)?;
        Ok(results.first().is_some_and(|r| changes(r) > 0))
    }

    async fn create_local_group(
        &self,
        row: &GroupRow,
        created_by: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let insert = self.statement(
            "INSERT INTO groups (id, source, name, description, created_by, created_at) \
             SELECT ?1, 'local', ?2, ?3, ?4, ?5 WHERE (SELECT sync_enabled FROM okta_settings WHERE id = 1) = 0",
            &[text(&row.id), text(&row.name), opt(row.description.as_deref()), text(created_by), text(now)],
        )?;
        self.change_with_audit(insert, audit, now).await
    }
}

/// The order of a page of groups, from the API's `sort` value (`http::listing::GROUP_SORTS`):
/// an SQL `ORDER BY` list of this module's own, never text from the request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GroupOrder(&'static str);

impl GroupOrder {
    /// The order of `sort`, if it is one of the API's.
    pub(crate) fn parse(sort: &str) -> Option<Self> {
        let order = match sort {
            "name" => "g.name COLLATE NOCASE, g.id",
            "-name" => "g.name COLLATE NOCASE DESC, g.id",
            "members" => "g.member_count, g.name COLLATE NOCASE, g.id",
            "-members" => "g.member_count DESC, g.name COLLATE NOCASE, g.id",
            "source" => "g.source, g.name COLLATE NOCASE, g.id",
            _ => return None,
        };
        Some(Self(order))
    }
}

impl Default for GroupOrder {
    /// By name.
    fn default() -> Self {
        Self("g.name COLLATE NOCASE, g.id")
    }
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

/// A member page's columns (`u` is the user).
const MEMBER_COLUMNS: &str = "u.id, u.email, u.login, u.first_name, u.last_name, u.status";

/// The committed members of group ?1 (`m` the membership, `u` the user), to be followed by
/// `AND`s.
const MEMBERS_OF_GROUP: &str =
    "FROM group_members m JOIN okta_users u ON u.id = m.user_id WHERE m.group_id = ?1";

/// Users after the member (?2 its email or `''`, ?3 its id) in member-page order. The first term
/// makes the keyset a range of the index `okta_user_versions_in_email_order`: the planner does not
/// seek an expression index by a row value.
const AFTER_KEY: &str = "IFNULL(u.email, '') >= ?2 AND (IFNULL(u.email, ''), u.id) > (?2, ?3)";

/// Users walked in email order per row a page shows, at most: a group whose members are at
/// least one in 40 users fills its page from the walk.
const WALK_USERS_PER_ROW: u32 = 40;

/// Groups with fewer members are sorted, never walked: sorting a thousand rows costs less than
/// a walk that might not fill the page.
const WALK_FROM_MEMBERS: u32 = 1_000;

/// A page of group ?1's members after the member (?2, ?3), at most ?4 rows, without a search.
///
/// Sorting a group's members by email reads and sorts all of them (100,000 for an `Everyone`
/// group) for every page. A large group's page instead walks the next ?5 users in email order
/// (an index range) and keeps its members: when that finds ?4 of them they are the page, as
/// no member between them was skipped. Otherwise (a group of fewer than ?6 members, a sparse
/// one, or the end of the users) the members are sorted as before. The choice is made inside the
/// statement, so the page still takes one round trip.
fn walked_or_sorted_page() -> String {
    format!(
        "WITH walk AS MATERIALIZED (SELECT * FROM (SELECT {MEMBER_COLUMNS} FROM okta_users u \
         WHERE {AFTER_KEY} AND (SELECT member_count FROM groups WHERE id = ?1) >= ?6 \
         ORDER BY IFNULL(u.email, ''), u.id LIMIT ?5) u \
         WHERE EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = ?1 AND m.user_id = u.id) LIMIT ?4) \
         SELECT * FROM (SELECT * FROM walk WHERE (SELECT COUNT(*) FROM walk) = ?4 \
         UNION ALL SELECT * FROM (SELECT {MEMBER_COLUMNS} {MEMBERS_OF_GROUP} AND {AFTER_KEY} \
         AND (SELECT COUNT(*) FROM walk) < ?4 ORDER BY IFNULL(u.email, ''), u.id LIMIT ?4)) \
         ORDER BY IFNULL(email, ''), id"
    )
}

/// A member search (its `LIKE` pattern the statement's parameter `index`) over a member's
/// email, login and names.
fn member_search(index: usize) -> String {
    format!(
        "(IFNULL(u.email, '') || ' ' || IFNULL(u.login, '') || ' ' || \
         IFNULL(u.first_name, '') || ' ' || IFNULL(u.last_name, '')) LIKE ?{index} ESCAPE '\\'"
    )
}

/// A group's columns as listings show them (`g` is the group), to be followed by a `WHERE`.
const GROUP_COLUMNS: &str = "SELECT g.id, g.source, g.name, g.description, g.roles_version, \
     g.roles_saved_by, g.roles_saved_at, \
     g.member_count, \
     (SELECT json_group_array(role) FROM group_roles r WHERE r.group_id = g.id) AS roles, \
     (SELECT json_group_array(json_object('role', role, 'scope', NULLIF(scope, ''))) \
      FROM group_grants x WHERE x.group_id = g.id) AS grants \
     FROM groups g";

/// When the last committed (non-dry) run ended.
const LAST_COMMIT_AT: &str =
    "SELECT MAX(ended_at) AS ended_at FROM sync_runs WHERE state = 'succeeded' AND dry_run = 0";

#[derive(Deserialize)]
struct LastCommitRow {
    ended_at: Option<String>,
}

/// A listing's one-row summary, beside its page: whether the group exists (member pages),
/// how many rows match, and when the last sync committed. One statement, not three: each
/// statement of a batch costs D1 as much as a small query.
#[derive(Deserialize, Default)]
struct Summary {
    #[serde(default)]
    found: i64,
    n: i64,
    ended_at: Option<String>,
}

/// The answer of [`LAST_COMMIT_AT`].
fn last_commit_at(rows: Vec<LastCommitRow>) -> Option<String> {
    rows.into_iter().next().and_then(|row| row.ended_at)
}

/// A group (if one has the id) and when the last sync committed.
pub(crate) type GroupWithSync = (Option<GroupListRow>, Option<String>);

/// A page of groups as of one moment.
#[derive(Debug)]
pub(crate) struct GroupPageRows {
    pub(crate) rows: Vec<GroupListRow>,
    /// Groups matching the search, over all pages.
    pub(crate) total: u32,
    pub(crate) last_commit_at: Option<String>,
}

/// A page of a group's members, as of one moment.
#[derive(Debug)]
pub(crate) struct MemberPageRows {
    /// At most one more than the page size.
    pub(crate) rows: Vec<MemberRow>,
    /// Members matching the search, over all pages.
    pub(crate) total: u32,
    pub(crate) last_commit_at: Option<String>,
}

/// A search as a `LIKE` pattern (with `ESCAPE '\'`): the text anywhere, its wildcards literal.
pub(super) fn like_pattern(search: &str) -> String {
    format!("%{}%", search.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}
