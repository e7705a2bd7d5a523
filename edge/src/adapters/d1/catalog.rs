//! The role catalog as D1 keeps it: the relying app's permissions and the custom roles
//! (migration 0013).

use wasm_bindgen::JsValue;

use crate::error::StoreError;
use crate::service::ports::{
    AppPermissionRow, AuditRecord, CatalogRows, CatalogStore, CustomRoleRow, RoleHolders,
};

use super::people::statuses_holding_roles;
use super::{Planned, Store, changes, database, grant_change_jobs, text};

/// The permissions of ?3 (a JSON array) that are all registered: a role never holds a name
/// removed meanwhile.
const ALL_REGISTERED: &str = "NOT EXISTS (SELECT 1 FROM json_each(?3) p \
     WHERE p.value NOT IN (SELECT name FROM app_permissions))";

impl Store {
    /// The relying app's permissions and the custom roles, of one moment; planned.
    pub(crate) fn plan_catalog_rows(&self) -> Result<Planned<CatalogRows>, StoreError> {
        let permissions = self.statement(
            "SELECT name, description, created_by, created_at FROM app_permissions ORDER BY name",
            &[],
        )?;
        let roles = self.statement(
            "SELECT key, name, permissions, version, updated_by, updated_at FROM custom_roles \
             ORDER BY key",
            &[],
        )?;
        Ok(Planned::all(permissions).and(Planned::all(roles)))
    }

    /// The grants of the custom role `key`, with their groups' holding members, and the
    /// distinct people who hold it (their count, and the first `first_people` by email);
    /// planned.
    pub(crate) fn plan_role_holders(
        &self,
        key: &str,
        first_people: u32,
    ) -> Result<Planned<RoleHolders>, StoreError> {
        #[derive(serde::Deserialize)]
        struct Count {
            n: i64,
        }
        #[derive(serde::Deserialize)]
        struct Email {
            email: String,
        }
        let holding = statuses_holding_roles();
        let holders = format!(
            "SELECT m.group_id, u.email FROM group_members m JOIN okta_users u ON u.id = m.user_id \
             WHERE u.status IN ({holding}) AND m.group_id IN \
             (SELECT group_id FROM group_grants WHERE role = ?1)"
        );
        let grants = self.statement(
            &format!(
                "WITH holders AS ({holders}) SELECT x.group_id, g.name AS group_name, x.scope, \
                 (SELECT COUNT(*) FROM holders h WHERE h.group_id = x.group_id) AS members \
                 FROM group_grants x JOIN groups g ON g.id = x.group_id WHERE x.role = ?1 \
                 ORDER BY g.name COLLATE NOCASE, x.group_id, x.scope"
            ),
            &[text(key)],
        )?;
        let people = self.statement(
            &format!("SELECT COUNT(DISTINCT u.email) AS n FROM ({holders}) u"),
            &[text(key)],
        )?;
        let first = self.statement(
            &format!(
                "SELECT DISTINCT u.email FROM ({holders}) u WHERE u.email IS NOT NULL \
                 ORDER BY u.email LIMIT ?2"
            ),
            &[text(key), JsValue::from_f64(f64::from(first_people))],
        )?;
        let people = Planned::<Vec<Count>>::all(people).map(|c| c.first().map_or(0, |c| c.n));
        let first = Planned::<Vec<Email>>::all(first)
            .map(|emails| emails.into_iter().map(|e| e.email).collect());
        Ok(Planned::all(grants)
            .and(people)
            .and(first)
            .map(|((grants, people), first_people)| RoleHolders { grants, people, first_people }))
    }
}

impl CatalogStore for Store {
    /// One batch: both tables of one moment, in one round trip.
    async fn catalog_rows(&self) -> Result<CatalogRows, StoreError> {
        self.plan_catalog_rows()?.run(self).await
    }

    async fn register_permission(
        &self,
        row: &AppPermissionRow,
        audit: &AuditRecord<'_>,
    ) -> Result<bool, StoreError> {
        let insert = self.statement(
            "INSERT INTO app_permissions (name, description, created_by, created_at) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO NOTHING",
            &[
                text(&row.name),
                text(&row.description),
                text(&row.created_by),
                text(&row.created_at),
            ],
        )?;
        self.change_with_audit(insert, audit, &row.created_at).await
    }

    async fn create_role(
        &self,
        row: &CustomRoleRow,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let insert = self.statement(
            &format!(
                "INSERT INTO custom_roles \
                 (key, name, permissions, created_by, created_at, updated_by, updated_at) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?4, ?5 WHERE {ALL_REGISTERED} ON CONFLICT DO NOTHING"
            ),
            &[
                text(&row.key),
                text(&row.name),
                text(&row.permissions),
                text(&row.updated_by),
                text(now),
            ],
        )?;
        self.change_with_audit(insert, audit, now).await
    }

    /// `OR IGNORE`: a name another role has leaves the row as it was instead of failing.
    async fn update_role(
        &self,
        row: &CustomRoleRow,
        audit: &AuditRecord<'_>,
    ) -> Result<bool, StoreError> {
        let update = self.statement(
            &format!(
                "UPDATE OR IGNORE custom_roles SET name = ?2, permissions = ?3, updated_by = ?5, \
                 updated_at = ?6, version = version + 1 \
                 WHERE key = ?1 AND version = ?4 AND {ALL_REGISTERED}"
            ),
            &[
                text(&row.key),
                text(&row.name),
                text(&row.permissions),
                JsValue::from_f64(row.version as f64),
                text(&row.updated_by),
                text(&row.updated_at),
            ],
        )?;
        self.change_with_audit(update, audit, &row.updated_at).await
    }

    /// One batch: the grants with their groups' holding members, and the distinct people.
    async fn role_holders(&self, key: &str, first_people: u32) -> Result<RoleHolders, StoreError> {
        self.plan_role_holders(key, first_people)?.run(self).await
    }

    /// One batch (one transaction): the grants go first, then the role, so no grant outlives
    /// it; a role re-created with the key later starts with no grants.
    async fn delete_role(
        &self,
        key: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let granted = "SELECT DISTINCT group_id FROM group_grants WHERE role = ?1 \
                       AND EXISTS (SELECT 1 FROM custom_roles WHERE key = ?1)";
        // Before the grants go: what their groups granted, for their members' events.
        let announce = self.statement(
            &grant_change_jobs(granted, "?2", "?3"),
            &[text(key), text(&audit.actor.name), text(now)],
        )?;
        let grants = self.statement(
            "DELETE FROM group_grants WHERE role = ?1 \
             AND EXISTS (SELECT 1 FROM custom_roles WHERE key = ?1)",
            &[text(key)],
        )?;
        let role = self.statement("DELETE FROM custom_roles WHERE key = ?1", &[text(key)])?;
        let audit_row = self.audit_if_changed(audit, now)?;
        let statements = vec![announce, grants, role, audit_row];
        let results = self.db.batch(statements).await.map_err(database)?;
        Ok(results.get(2).is_some_and(|r| changes(r) > 0))
    }

    async fn remove_permission(
        &self,
        name: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let delete = self.statement(
            "DELETE FROM app_permissions WHERE name = ?1 AND NOT EXISTS \
             (SELECT 1 FROM custom_roles, json_each(custom_roles.permissions) p WHERE p.value = ?1)",
            &[text(name)],
        )?;
        self.change_with_audit(delete, audit, now).await
    }
}
