//! Wire types of identity and administration: `/me`, roles, superAdmins, machine credentials,
//! the dev sign-in, and the audit log.

use serde::{Deserialize, Serialize};

#[cfg(feature = "schema")]
use super::examples;

use crate::domain::{
    AppPermission, BuiltInRole, Decision, Permission, PermissionName, ResourcePath, RoleKey,
};

/// Who the caller is (`GET /api/v1/me`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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

/// `GET /api/v1/access/check`: may this person do this, there, and why (issue #14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "schema",
    schemars(
        example = examples::access_check(),
        example = examples::access_check_denied(),
        example = examples::access_check_what_if(),
    )
)]
pub struct AccessCheckResponse {
    /// The email asked about (trimmed and lowercased).
    #[cfg_attr(feature = "schema", schemars(email))]
    pub email: String,
    /// The permission asked about.
    pub permission: PermissionName,
    /// The resource asked about (null: none in particular, which only grants everywhere
    /// answer).
    pub resource: Option<ResourcePath>,
    /// The membership the answer assumes, when one was asked about.
    pub assuming: Option<Assumption>,
    /// The answer: allowed or not, the grants that allow it, or why not.
    #[serde(flatten)]
    pub decision: Decision,
}

/// `POST /api/v1/access/checks`: many checks in one call (it reads, and changes nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "schema",
    schemars(
        example = examples::access_check_batch(),
        example = examples::access_check_batch_what_if(),
    )
)]
#[serde(deny_unknown_fields)]
pub struct AccessCheckBatchRequest {
    /// The checks, each as the single check's query would ask it.
    pub checks: Vec<AccessCheckItem>,
}

/// One check of a batch: the single check's query parameters, as fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(example = examples::access_check_item()))]
#[serde(deny_unknown_fields)]
pub struct AccessCheckItem {
    /// Whose access.
    #[cfg_attr(feature = "schema", schemars(email))]
    pub email: String,
    /// Which permission.
    #[cfg_attr(feature = "schema", schemars(with = "crate::domain::PermissionName"))]
    pub permission: String,
    /// On which resource (`kind:/path`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::domain::ResourcePath>"))]
    pub resource: Option<String>,
    /// Answer as if the person were also a member of this group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_if_member_of: Option<String>,
    /// Answer as if the person were not a member of this group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_if_not_member_of: Option<String>,
}

/// The answers of a batch, in the order of its checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AccessCheckBatchResponse {
    /// One answer per check.
    pub results: Vec<AccessCheckResponse>,
}

/// A hypothetical membership an access check assumes (`as_if_member_of`,
/// `as_if_not_member_of`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Assumption {
    /// As if the person were also a member of this group (its id).
    MemberOf(String),
    /// As if the person were not a member of this group (its id).
    NotMemberOf(String),
}

/// A permission the relying app registered (issue #14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AppPermissionDescription {
    /// Its name (`runbooks.execute`).
    pub name: AppPermission,
    /// What it allows, in words for people (perhaps empty).
    pub description: String,
    /// Who registered it.
    pub created_by: String,
    /// When (RFC 3339, UTC).
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub created_at: String,
}

/// `GET /api/v1/permissions`: both catalogs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ListPermissionsResponse {
    /// This console's own permissions (fixed).
    pub console: Vec<Permission>,
    /// The relying app's, by name.
    pub app: Vec<AppPermissionDescription>,
}

/// `POST /api/v1/permissions`: registers a permission of the relying app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(example = examples::register_permission()))]
#[serde(deny_unknown_fields)]
pub struct RegisterPermissionRequest {
    /// Its name: lowercase words joined by dots (`runbooks.execute`).
    #[cfg_attr(feature = "schema", schemars(with = "crate::domain::AppPermission"))]
    pub name: String,
    /// What it allows, in words for people (at most 200 characters).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(length(max = crate::domain::MAX_PERMISSION_DESCRIPTION_CHARS)))]
    pub description: String,
}

/// The two kinds of callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CallerKind {
    /// A person.
    Person,
    /// Another service or a script (API key or Access service token).
    Machine,
}

/// The role catalog (`GET /api/v1/roles`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ListRolesResponse {
    /// The built-in roles with their permissions.
    pub roles: Vec<RoleDescription>,
    /// This console's whole permission catalog.
    pub permissions: Vec<Permission>,
    /// The custom roles, by key (issue #14).
    #[serde(default)]
    pub custom_roles: Vec<CustomRoleDescription>,
    /// The relying app's permissions, which custom roles are made of (as
    /// `GET /api/v1/permissions` lists them), so that one read shows the whole catalog.
    #[serde(default)]
    pub app_permissions: Vec<AppPermissionDescription>,
}

/// A custom role: a named set of the relying app's permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CustomRoleDescription {
    /// Its key, as grants name it.
    pub key: RoleKey,
    /// The name shown to people.
    pub name: String,
    /// What it allows, by name.
    pub permissions: Vec<PermissionName>,
    /// Its version, which an edit names (`PUT /api/v1/roles/{key}`) so that it does not undo
    /// a change it never saw.
    pub version: i64,
    /// Who created it or last changed it.
    pub updated_by: String,
    /// When.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub updated_at: String,
}

/// `PUT /api/v1/roles/{key}`: a custom role's new name and permissions (its key stays).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(example = examples::update_role()))]
#[serde(deny_unknown_fields)]
pub struct UpdateRoleRequest {
    /// The name shown to people.
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = crate::domain::MAX_ROLE_NAME_CHARS)))]
    pub name: String,
    /// The relying app's permissions it holds (registered ones), all of them.
    #[cfg_attr(feature = "schema", schemars(with = "Vec<crate::domain::AppPermission>"))]
    pub permissions: Vec<String>,
    /// The version the edit is based on.
    pub version: i64,
}

/// `GET /api/v1/roles/{key}/impact`: what deleting a custom role would take away, and from
/// whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RoleImpact {
    /// The role as it is.
    pub role: CustomRoleDescription,
    /// Every grant of it: the group and where.
    pub grants: Vec<RoleGrantImpact>,
    /// How many people hold it through those grants (members whose Okta status holds roles).
    pub people: u64,
    /// The first of them by email (at most 20), for a reader to recognise.
    #[cfg_attr(feature = "schema", schemars(inner(email)))]
    pub first_people: Vec<String>,
    /// The impact in one sentence.
    pub summary: String,
}

/// One group's grant of a role, as the impact of deleting the role lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RoleGrantImpact {
    /// The group's id.
    pub group_id: String,
    /// Its name.
    pub group_name: String,
    /// Where the grant applies; null for everywhere.
    pub scope: Option<ResourcePath>,
    /// Its members who hold roles (by their Okta status).
    pub members: u64,
}

/// `POST /api/v1/roles`: a custom role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(example = examples::create_role()))]
#[serde(deny_unknown_fields)]
pub struct CreateRoleRequest {
    /// Its key (a lowercase word, such as `runbook_operator`), never changed afterwards.
    #[cfg_attr(feature = "schema", schemars(with = "crate::domain::RoleKey"))]
    pub key: String,
    /// The name shown to people.
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = crate::domain::MAX_ROLE_NAME_CHARS)))]
    pub name: String,
    /// The relying app's permissions it holds (registered ones).
    #[cfg_attr(feature = "schema", schemars(with = "Vec<crate::domain::AppPermission>"))]
    pub permissions: Vec<String>,
}

/// One role and what it allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SuperAdmin {
    /// Their email.
    #[cfg_attr(feature = "schema", schemars(email))]
    pub email: String,
    /// Who granted it (an email, or `bootstrap`).
    pub granted_by: String,
    /// When.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub granted_at: String,
}

/// `GET /api/v1/super-admins`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ListSuperAdminsResponse {
    /// Every superAdmin.
    pub super_admins: Vec<SuperAdmin>,
}

/// `POST /api/v1/super-admins`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(example = examples::grant_super_admin()))]
#[serde(deny_unknown_fields)]
pub struct GrantSuperAdminRequest {
    /// The person to make a superAdmin.
    #[cfg_attr(feature = "schema", schemars(email))]
    pub email: String,
}

/// `POST /api/v1/api-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(example = examples::create_api_key()))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub created_at: String,
    /// When it stops working.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub expires_at: String,
    /// When it was revoked, if it was.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub revoked_at: Option<String>,
}

/// `POST /api/v1/api-keys`: the key, with its secret shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CreateApiKeyResponse {
    /// The key's record.
    pub key: ApiKey,
    /// The whole key to send as `Authorization: Bearer <secret>`; it cannot be shown again.
    pub secret: String,
}

/// `GET /api/v1/api-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ListApiKeysResponse {
    /// Every key, newest first.
    pub api_keys: Vec<ApiKey>,
}

/// `POST /api/v1/service-tokens`: map a Cloudflare Access service token to read scopes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(example = examples::register_service_token()))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub created_at: String,
    /// When it was revoked, if it was.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub revoked_at: Option<String>,
}

/// `GET /api/v1/service-tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ListServiceTokensResponse {
    /// Every registered service token.
    pub service_tokens: Vec<ServiceToken>,
}

/// `POST /api/v1/dev/sign-in` (local only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(example = examples::dev_sign_in()))]
#[serde(deny_unknown_fields)]
pub struct DevSignInRequest {
    /// Who to sign in as.
    #[cfg_attr(feature = "schema", schemars(email))]
    pub email: String,
}

/// The dev sign-in's token, sent back as `Cf-Access-Jwt-Assertion` like Access would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DevSignInResponse {
    /// The signed token.
    pub token: String,
    /// When it expires (epoch seconds).
    pub expires_at: u64,
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditEntry {
    /// Its id; entries are listed newest first.
    pub id: i64,
    /// When (RFC 3339 UTC).
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
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
    /// What changed, in one line (each member whose value differs, as
    /// `roles: ["viewer"] → ["admin"]`); `description` says it for people.
    #[serde(default)]
    pub summary: String,
    /// What the entry records, in one sentence for people ("Roles of IT Admins: Admin added").
    #[serde(default)]
    pub description: String,
    /// The target's name for people, when it has one (a group's name beside its id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_name: Option<String>,
}

/// `GET /api/v1/audit?before=<id>&limit=<n>&target=<what>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ListAuditResponse {
    /// Entries, newest first.
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next_before: Option<i64>,
}
