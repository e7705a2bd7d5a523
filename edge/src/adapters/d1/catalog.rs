//! The role catalog as D1 keeps it: the relying app's permissions and the custom roles
//! (migration 0013).

use crate::error::StoreError;
use crate::service::ports::{AppPermissionRow, AuditRecord, CatalogStore, CustomRoleRow};

use super::{Store, text};

impl CatalogStore for Store {
    async fn app_permissions(&self) -> Result<Vec<AppPermissionRow>, StoreError> {
        self.all(
            "SELECT name, description, created_by, created_at FROM app_permissions ORDER BY name",
            &[],
        )
        .await
    }

    async fn custom_roles(&self) -> Result<Vec<CustomRoleRow>, StoreError> {
        self.all("SELECT key, name, permissions FROM custom_roles ORDER BY key", &[]).await
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
