//! The role catalog as D1 keeps it: the relying app's permissions and the custom roles
//! (migration 0013).

use crate::error::StoreError;
use crate::service::ports::{
    AppPermissionRow, AuditRecord, CatalogRows, CatalogStore, CustomRoleRow,
};

use super::{Store, batch_answer, database, text};

impl CatalogStore for Store {
    /// One batch: both tables of one moment, in one round trip.
    async fn catalog_rows(&self) -> Result<CatalogRows, StoreError> {
        let permissions = self.statement(
            "SELECT name, description, created_by, created_at FROM app_permissions ORDER BY name",
            &[],
        )?;
        let roles =
            self.statement("SELECT key, name, permissions FROM custom_roles ORDER BY key", &[])?;
        let mut results =
            self.db.batch(vec![permissions, roles]).await.map_err(database)?.into_iter();
        Ok((batch_answer(results.next())?, batch_answer(results.next())?))
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

    async fn group_grants(
        &self,
        group_ids: &[String],
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        #[derive(serde::Deserialize)]
        struct GrantRow {
            group_id: String,
            role: String,
            scope: String,
        }
        let ids = serde_json::json!(group_ids).to_string();
        let rows: Vec<GrantRow> = self
            .all(
                "SELECT group_id, role, scope FROM group_grants \
                 WHERE group_id IN (SELECT value FROM json_each(?1)) ORDER BY group_id, role, scope",
                &[text(&ids)],
            )
            .await?;
        Ok(rows.into_iter().map(|r| (r.group_id, r.role, r.scope)).collect())
    }

    async fn create_role(
        &self,
        row: &CustomRoleRow,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let insert = self.statement(
            "INSERT INTO custom_roles \
             (key, name, permissions, created_by, created_at, updated_by, updated_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM json_each(?3) p \
             WHERE p.value NOT IN (SELECT name FROM app_permissions)) \
             ON CONFLICT DO NOTHING",
            &[
                text(&row.key),
                text(&row.name),
                text(&row.permissions),
                text(&audit.actor.name),
                text(now),
            ],
        )?;
        self.change_with_audit(insert, audit, now).await
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
