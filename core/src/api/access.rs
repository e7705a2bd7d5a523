//! Wire types of identity and administration: `/me`, roles, superAdmins, machine credentials,
//! the dev sign-in, and the audit log.

use serde::{Deserialize, Serialize};

use crate::domain::{BuiltInRole, Permission};

/// Who the caller is (`GET /api/v1/me`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeResponse {
    /// `person` (signed in through Cloudflare Access or the dev sign-in) or `machine`.
    pub kind: CallerKind,
    /// The person's email, or the machine client's name.
    pub name: String,
    /// Whether the person is a superAdmin.
    pub super_admin: bool,
    /// The roles the person holds through their groups.
    pub roles: Vec<BuiltInRole>,
    /// Everything the caller may do.
    pub permissions: Vec<Permission>,
    /// The synced Okta user a person is (bound on their first sign-in with a clear match).
    #[serde(default)]
    pub okta_user_id: Option<String>,
    /// Why a person's groups grant them nothing, when that is not plain (for example, an email
    /// that several Okta users share).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The two kinds of callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallerKind {
    /// A person.
    Person,
    /// Another service or a script (API key or Access service token).
    Machine,
}

/// The role catalog (`GET /api/v1/roles`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRolesResponse {
    /// The built-in roles with their permissions.
    pub roles: Vec<RoleDescription>,
    /// The whole permission catalog.
    pub permissions: Vec<Permission>,
}

/// One role and what it allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleDescription {
    /// The role's id.
    pub id: BuiltInRole,
    /// The name shown to people.
    pub name: String,
    /// Its permissions.
    pub permissions: Vec<Permission>,
}

/// A superAdmin (`GET /api/v1/super-admins`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuperAdmin {
    /// Their email.
    pub email: String,
    /// Who granted it (an email, or `bootstrap`).
    pub granted_by: String,
    /// When.
    pub granted_at: String,
}

/// `GET /api/v1/super-admins`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListSuperAdminsResponse {
    /// Every superAdmin.
    pub super_admins: Vec<SuperAdmin>,
}

/// `POST /api/v1/super-admins`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantSuperAdminRequest {
    /// The person to make a superAdmin.
    pub email: String,
}

/// `POST /api/v1/api-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    /// What the key is for, shown in lists.
    pub name: String,
    /// Read permissions to grant; read-only ones only; all read permissions when absent.
    #[serde(default)]
    pub scopes: Option<Vec<Permission>>,
    /// Days until the key expires (1–365, default 90).
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

/// An API key as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// The key's id (also the public part of the key).
    pub id: String,
    /// What it is for.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<Permission>,
    /// Who issued it.
    pub created_by: String,
    /// When.
    pub created_at: String,
    /// When it stops working.
    pub expires_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// `POST /api/v1/api-keys`: the key, with its secret shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateApiKeyResponse {
    /// The key's record.
    pub key: ApiKey,
    /// The whole key to send as `Authorization: Bearer <secret>`; it cannot be shown again.
    pub secret: String,
}

/// `GET /api/v1/api-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListApiKeysResponse {
    /// Every key, newest first.
    pub api_keys: Vec<ApiKey>,
}

/// `POST /api/v1/service-tokens`: map a Cloudflare Access service token to read scopes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterServiceTokenRequest {
    /// The service token's client id, as Access puts it in `common_name`.
    pub common_name: String,
    /// What it is for.
    pub name: String,
    /// Read permissions to grant; all read permissions when absent.
    #[serde(default)]
    pub scopes: Option<Vec<Permission>>,
}

/// A registered service token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceToken {
    /// The client id.
    pub common_name: String,
    /// What it is for.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<Permission>,
    /// Who registered it.
    pub created_by: String,
    /// When.
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// `GET /api/v1/service-tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListServiceTokensResponse {
    /// Every registered service token.
    pub service_tokens: Vec<ServiceToken>,
}

/// `POST /api/v1/dev/sign-in` (local only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevSignInRequest {
    /// Who to sign in as.
    pub email: String,
}

/// The dev sign-in's token, sent back as `Cf-Access-Jwt-Assertion` like Access would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevSignInResponse {
    /// The signed token.
    pub token: String,
    /// When it expires (epoch seconds).
    pub expires_at: u64,
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Its id; entries are listed newest first.
    pub id: i64,
    /// When (RFC 3339 UTC).
    pub at: String,
    /// Who (an email, a machine client's name, or `system`).
    pub actor: String,
    /// `person`, `machine` or `system`.
    pub actor_kind: String,
    /// What, as a stable dotted name (`settings.okta.updated`).
    pub action: String,
    /// What it was done to.
    pub target: Option<String>,
    /// The state before, as JSON (never secrets).
    pub before: Option<serde_json::Value>,
    /// The state after, as JSON (never secrets).
    pub after: Option<serde_json::Value>,
    /// What changed, in one line for people (see [`change_summary`]).
    #[serde(default)]
    pub summary: String,
}

/// What changed between `before` and `after`, in one line: for two objects, each key whose value
/// differs (`roles: ["viewer"] → ["admin"]`); otherwise the values themselves.
pub fn change_summary(
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> String {
    use serde_json::Value;
    match (before, after) {
        (Some(Value::Object(before)), Some(Value::Object(after))) => {
            let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
            keys.sort();
            keys.dedup();
            let changed: Vec<String> = keys
                .into_iter()
                .filter(|k| before.get(*k) != after.get(*k))
                .map(|k| {
                    let shown =
                        |v: Option<&Value>| v.map_or_else(|| "—".to_owned(), Value::to_string);
                    format!("{k}: {} → {}", shown(before.get(k)), shown(after.get(k)))
                })
                .collect();
            changed.join("; ")
        }
        (None, Some(after)) => after.to_string(),
        (Some(before), None) => format!("{before} → (gone)"),
        (Some(before), Some(after)) => format!("{before} → {after}"),
        (None, None) => String::new(),
    }
}

/// `GET /api/v1/audit?before=<id>&limit=<n>&target=<what>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListAuditResponse {
    /// Entries, newest first.
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next_before: Option<i64>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_change_of_two_objects_names_only_the_keys_that_differ() {
        let before = json!({ "roles": ["viewer"], "version": 3, "name": "Sales" });
        let after = json!({ "roles": ["admin", "viewer"], "version": 4, "name": "Sales" });
        assert_eq!(
            change_summary(Some(&before), Some(&after)),
            r#"roles: ["viewer"] → ["admin","viewer"]; version: 3 → 4"#
        );
    }

    #[test]
    fn added_removed_and_plain_values_read_plainly() {
        let granted = json!({ "email": "ann@example.com" });
        assert_eq!(change_summary(None, Some(&granted)), r#"{"email":"ann@example.com"}"#);
        assert_eq!(change_summary(Some(&json!(1)), None), "1 → (gone)");
        assert_eq!(change_summary(Some(&json!("a")), Some(&json!("b"))), r#""a" → "b""#);
        let key_gone = change_summary(Some(&json!({ "a": 1 })), Some(&json!({})));
        assert_eq!(key_gone, "a: 1 → —");
        assert_eq!(change_summary(None, None), "");
    }
}
