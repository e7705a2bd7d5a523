//! The ports of the use cases: what they need from storage and from Okta, as traits, with the
//! records that cross them.
//!
//! The layers above implement them (D1's `Store` in `adapters`, Okta in `okta_target`, the
//! request's rate limits in `http`), and the use cases' tests implement them in memory
//! (`service::fakes`), so that every rule runs natively. Only `crate::error` and
//! `crate::service` are used here.
//!
//! The traits are generic parameters, never `dyn`: the Worker is single-threaded wasm, so their
//! futures need no `Send` bound, and a generic costs no allocation per call.

use groupsync_core::api::{
    CredentialKind, GroupSource, InvitationStatus, TestOktaConnectionResponse,
};
use groupsync_core::domain::{
    AppId, BuiltInRole, Grant, IdentityMatch, ResourcePath, RoleKey, TenantUrl,
};
use groupsync_core::okta::OktaUserStatus;
use serde::{Deserialize, Deserializer};

use crate::error::{ApiError, StoreError};
use crate::service::access::{Actor, Principal};
use crate::service::service_app::{KeyPair, OktaAccess};

/// An audit row to write with a change, in the same D1 step.
#[derive(Debug)]
pub struct AuditRecord<'a> {
    /// Who made the change.
    pub actor: &'a Actor,
    /// What happened, as a stable action name (`invitation.sent`).
    pub action: &'static str,
    /// What it happened to (an email, a group id), when it was to something.
    pub target: Option<String>,
    /// The state before, for changes that replace one.
    pub before: Option<serde_json::Value>,
    /// The state after.
    pub after: Option<serde_json::Value>,
}

impl<'a> AuditRecord<'a> {
    /// A record of `action` on `target`, with no before/after state.
    pub fn of(actor: &'a Actor, action: &'static str, target: impl Into<String>) -> Self {
        Self { actor, action, target: Some(target.into()), before: None, after: None }
    }
}

/// A row of `invitations`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InvitationRow {
    /// The invited email, lowercased.
    pub email: String,
    /// The Okta user found for the email at invite time, if any.
    pub okta_user_id: Option<String>,
    /// `invited` until its first sign-in, then `active`.
    pub status: InvitationStatus,
    /// Who invited them.
    pub invited_by: String,
    /// When, RFC 3339 UTC.
    pub invited_at: String,
    /// When they first signed in with it.
    pub activated_at: Option<String>,
}

/// A group and the roles it grants: (group id, group name, role names).
pub type GroupRoles = (String, String, Vec<String>);

/// What decides the access of one person, read as of one moment.
#[derive(Debug, Clone)]
pub struct PersonFacts {
    /// Whether they are a superAdmin.
    pub super_admin: bool,
    /// Which synced Okta user they are, and how that was decided.
    pub identity: IdentityMatch,
    /// Their synced Okta user (its id and status), if they clearly are one.
    pub user: Option<(String, OktaUserStatus)>,
    /// Every group they are in with the roles it grants, by group name (empty: in none).
    pub grants: Vec<GroupRoles>,
    /// The custom roles those groups grant, with the roles' names (a grant of a role no longer
    /// in the catalog is not among them), by group id, role and scope.
    pub custom: Vec<CustomGrantRow>,
}

/// A group's grant of a custom role, with the role's name, as D1 keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomGrantRow {
    /// The group's id.
    pub group_id: String,
    /// The role's key.
    pub role: String,
    /// The role's name.
    pub role_name: String,
    /// Where the grant applies; `""` for everywhere.
    pub scope: String,
}

impl CustomGrantRow {
    /// The grant; one that no longer reads as one (none this Worker wrote) grants nothing.
    pub fn grant(&self) -> Option<Grant> {
        let scope =
            if self.scope.is_empty() { None } else { Some(ResourcePath::parse(&self.scope).ok()?) };
        Some(Grant { role: RoleKey::parse(&self.role).ok()?, scope })
    }
}

/// Invitations and what decides a person's access.
#[expect(
    async_fn_in_trait,
    reason = "the Worker is single-threaded wasm: no caller needs the futures to be Send"
)]
pub trait PeopleStore {
    /// The invitation of `email`, if there is one.
    async fn invitation(&self, email: &str) -> Result<Option<InvitationRow>, StoreError>;

    /// Records the invitation of `email` with its audit row, unless `email` is invited already
    /// (then nothing is written). Returns whether it was recorded.
    async fn insert_invitation(
        &self,
        email: &str,
        okta_user_id: Option<&str>,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError>;

    /// Withdraws the invitation of `email` while it is unused, with its audit row. Returns
    /// whether there was such an invitation (one used meanwhile stays).
    async fn revoke_invitation(
        &self,
        email: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError>;

    /// What decides the access of `email`: the one synced Okta user with the email. Only when
    /// no synced Okta user has it, `fallback_user_id` (the user Okta named at invite time,
    /// perhaps not synced yet, or synced under an older email) decides instead. An email that
    /// several synced users share grants nothing, whatever the fallback (`Ambiguous`).
    async fn person_facts(
        &self,
        email: &str,
        fallback_user_id: Option<&str>,
    ) -> Result<PersonFacts, StoreError>;
}

/// Okta could not be asked (not configured, unreachable, or it failed to answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectoryUnavailable;

/// A user Okta's search answered with: its id, and its email if its profile has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    /// The Okta user id.
    pub id: String,
    /// The email of its profile.
    pub email: Option<String>,
}

/// The Okta tenant, asked live (not the synced copy).
#[expect(
    async_fn_in_trait,
    reason = "the Worker is single-threaded wasm: no caller needs the futures to be Send"
)]
pub trait Directory {
    /// The users Okta's search finds for `email`, as Okta answers them: the search may also
    /// match users on something other than their email, so the use case picks among them
    /// (`service::invitations::user_with_email`). `Ok(vec![])` when Okta finds nobody, an error
    /// when Okta could not be asked.
    async fn find_users_by_email(
        &self,
        email: &str,
    ) -> Result<Vec<DirectoryUser>, DirectoryUnavailable>;
}

/// A group as the listings show it: a row of `groups` with its member count and roles.
#[derive(Debug, Clone, Deserialize)]
pub struct GroupListRow {
    /// The Okta group id, or `loc…` for a local group.
    pub id: String,
    /// Where the group comes from.
    pub source: GroupSource,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// How many members it has.
    pub member_count: i64,
    /// The roles it grants, as a JSON array of role names (`None`: none).
    pub roles: Option<String>,
    /// The custom roles it grants, as a JSON array of `{role, scope}` (`None`: none).
    pub grants: Option<String>,
    /// Bumped by every save of its roles, for optimistic concurrency.
    pub roles_version: i64,
    /// Who last saved its roles.
    pub roles_saved_by: Option<String>,
    /// When they did.
    pub roles_saved_at: Option<String>,
}

impl GroupListRow {
    /// The custom roles the group grants, sorted; grants that no longer read as one (none this
    /// Worker wrote) grant nothing.
    pub fn grants(&self) -> Vec<Grant> {
        let values: Vec<serde_json::Value> =
            self.grants.as_deref().and_then(|g| serde_json::from_str(g).ok()).unwrap_or_default();
        let mut grants: Vec<Grant> =
            values.into_iter().filter_map(|v| serde_json::from_value(v).ok()).collect();
        grants.sort();
        grants
    }

    /// The roles the group grants, sorted; role names this Worker does not know grant nothing.
    pub fn roles(&self) -> Vec<BuiltInRole> {
        let names: Vec<String> =
            self.roles.as_deref().and_then(|r| serde_json::from_str(r).ok()).unwrap_or_default();
        let mut roles: Vec<BuiltInRole> =
            names.iter().filter_map(|n| BuiltInRole::parse(n)).collect();
        roles.sort();
        roles
    }
}

/// A row of `groups`, as a local group is created (written, never read back as such).
#[derive(Debug, Clone)]
pub struct GroupRow {
    /// Its id.
    pub id: String,
    /// Where it comes from.
    pub source: GroupSource,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
}

/// A permission of the relying app, as D1 keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AppPermissionRow {
    /// Its name (checked when registered; read back through `AppPermission::parse`).
    pub name: String,
    /// What it allows, in words for people.
    pub description: String,
    /// Who registered it.
    pub created_by: String,
    /// When.
    pub created_at: String,
}

/// A custom role, as D1 keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomRoleRow {
    /// The key grants store.
    pub key: String,
    /// The name shown to people.
    pub name: String,
    /// Its permissions, as a JSON array of names.
    pub permissions: String,
    /// Its version: 1 when created, one more with each edit.
    pub version: i64,
    /// Who created it or last changed it.
    pub updated_by: String,
    /// When.
    pub updated_at: String,
}

/// One group's grant of a custom role, with the group's name and its members who hold roles.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RoleGrantRow {
    /// The group's id.
    pub group_id: String,
    /// Its name.
    pub group_name: String,
    /// Where the grant applies; `""` for everywhere.
    pub scope: String,
    /// Its members whose Okta status holds roles.
    pub members: i64,
}

/// Who holds a custom role: its grants, and the people in those groups whose status holds
/// roles (how many, and the first by email).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleHolders {
    /// Every grant of the role, by group name.
    pub grants: Vec<RoleGrantRow>,
    /// How many distinct people hold it.
    pub people: i64,
    /// The first of them by email.
    pub first_people: Vec<String>,
}

/// The rows of the role catalog: the relying app's permissions and the custom roles.
pub type CatalogRows = (Vec<AppPermissionRow>, Vec<CustomRoleRow>);

/// The role catalog: the relying app's permissions and the custom roles.
#[expect(
    async_fn_in_trait,
    reason = "the Worker is single-threaded wasm: no caller needs the futures to be Send"
)]
pub trait CatalogStore {
    /// The relying app's permissions, by name, and the custom roles, by key, of one moment.
    async fn catalog_rows(&self) -> Result<CatalogRows, StoreError>;

    /// Registers a permission with its audit row; `false` when one has the name already.
    async fn register_permission(
        &self,
        row: &AppPermissionRow,
        audit: &AuditRecord<'_>,
    ) -> Result<bool, StoreError>;

    /// Creates a custom role with its audit row, unless a role has its key or name already
    /// or one of its permissions is no longer registered (both checked in the write itself);
    /// `false` when it did not.
    async fn create_role(
        &self,
        row: &CustomRoleRow,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError>;

    /// Removes a permission with its audit row, unless a custom role holds it (checked in the
    /// write itself, so a role saved meanwhile cannot be left holding a removed permission);
    /// `false` when nothing was removed.
    async fn remove_permission(
        &self,
        name: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError>;

    /// Replaces a custom role's name and permissions (`row`, its version the one the edit is
    /// based on) and counts a version, with its audit row; `false` when the role is gone, its
    /// version moved, a permission is no longer registered or another role has the name (all
    /// checked in the write itself).
    async fn update_role(
        &self,
        row: &CustomRoleRow,
        audit: &AuditRecord<'_>,
    ) -> Result<bool, StoreError>;

    /// The grants of a custom role and the people who hold it through them; at most
    /// `first_people` emails.
    async fn role_holders(&self, key: &str, first_people: u32) -> Result<RoleHolders, StoreError>;

    /// Deletes a custom role and every grant of it, with its audit row, in one transaction;
    /// `false` when there was no such role.
    async fn delete_role(
        &self,
        key: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError>;
}

/// A replacement of a group's roles, based on its roles version `version`.
#[derive(Debug, Clone, Copy)]
pub struct RoleChange<'a> {
    /// The built-in roles, by name.
    pub roles: &'a [String],
    /// The custom grants, when they change too (`None`: they stay).
    pub grants: Option<&'a [Grant]>,
    /// The roles version the change is based on.
    pub version: i64,
    /// Unique to this write: tells the store's own write apart from a concurrent one.
    pub nonce: &'a str,
}

/// Groups and the roles they grant.
#[expect(
    async_fn_in_trait,
    reason = "the Worker is single-threaded wasm: no caller needs the futures to be Send"
)]
pub trait GroupStore {
    /// The group `id`, if there is one.
    async fn group(&self, id: &str) -> Result<Option<GroupListRow>, StoreError>;

    /// Replaces a group's roles (and its custom grants, when the change has them) if its roles
    /// version is still the change's, with its audit row; `false` on a conflict.
    async fn set_group_roles(
        &self,
        id: &str,
        change: &RoleChange<'_>,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError>;

    /// Creates a local group with its audit row, unless sync is enabled (checked in the write
    /// itself, so a concurrent switch cannot slip between check and write). Returns whether it
    /// did.
    async fn create_local_group(
        &self,
        row: &GroupRow,
        created_by: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError>;
}

/// The per-person limits of this minute.
///
/// Each use case counts at a fixed point, and what it
/// refuses after that point has used up one of the minute's writes (the API's behaviour, which
/// the use cases' tests pin):
///
/// - `create_invitation` counts first: `already_exists`, `unknown_to_okta` and
///   `beyond_own_access` are counted;
/// - `revoke_invitation` counts first: `not_found` and `conflict` are counted;
/// - `set_group_roles` counts after its checks: `not_found`, `version_conflict` (as read) and
///   `beyond_own_access` are not counted; a conflict found by the write itself is;
/// - `create_group` counts after checking the name and description; `sync_enabled` is counted;
/// - `update_okta_settings` counts first (after parsing): `token_managed_by_deployment`,
///   `deployment_tenant_mismatch`, `token_required`, `okta_test_failed` and `misconfigured` are
///   counted; only a typed token counts an Okta test too, before it is tested;
/// - `create_api_key` counts after checking its name, scopes, lifetime and the pepper;
/// - `register_service_token` counts after checking the common name and scopes but before the
///   name: a bad `name` and `already_exists` are counted.
#[expect(
    async_fn_in_trait,
    reason = "the Worker is single-threaded wasm: no caller needs the futures to be Send"
)]
pub trait RateLimiter {
    /// Admits one admin write by `principal`, and names its actor.
    ///
    /// # Errors
    ///
    /// `rate_limited` once the principal has used up this minute's writes.
    async fn admit_write(&self, principal: &Principal) -> Result<Actor, ApiError>;

    /// Admits one Okta connection test by `who` (each makes up to four Okta requests).
    ///
    /// # Errors
    ///
    /// `rate_limited` once `who` has used up this minute's tests.
    async fn admit_okta_test(&self, who: &str) -> Result<(), ApiError>;
}

/// A row of `okta_settings`: the one set of Okta settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SettingsRow {
    /// The tenant URL.
    pub tenant_url: Option<String>,
    /// The App ID of the Okta app people sign in with.
    pub app_id: Option<String>,
    /// The typed token, sealed for the tenant and App ID.
    pub token_ciphertext: Option<String>,
    /// The typed token's last four characters, to recognize it by.
    pub token_last4: Option<String>,
    /// Who typed the token.
    pub token_set_by: Option<String>,
    /// When.
    pub token_set_at: Option<String>,
    /// 1 when sync is on.
    pub sync_enabled: i64,
    /// Who saved the settings last.
    pub updated_by: Option<String>,
    /// When.
    pub updated_at: Option<String>,
    /// Which credential the Worker calls Okta with.
    pub credential: CredentialKind,
    /// The service app's client id.
    pub client_id: Option<String>,
    /// The service app's key, tested and saved.
    #[serde(flatten, deserialize_with = "app_key_columns")]
    pub app_key: Option<StoredKey>,
    /// A key made for the next save, not tested yet.
    #[serde(flatten, deserialize_with = "pending_key_columns")]
    pub pending_key: Option<StoredKey>,
    /// How many times the settings were saved: a save applies only to the version it read.
    pub version: i64,
}

/// A service-app key pair as stored: the private key sealed, the public one as a JWK.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredKey {
    /// The private key (PKCS#8), sealed for its key id.
    pub sealed: String,
    /// The key id.
    pub kid: String,
    /// The public key as JWK text.
    pub jwk: String,
    /// Who made it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: Option<String>,
}

impl StoredKey {
    /// The key of a row's columns: all three of the sealed key, its id and its JWK, or none.
    fn from_columns(
        sealed: Option<String>,
        kid: Option<String>,
        jwk: Option<String>,
        created_by: Option<String>,
        created_at: Option<String>,
    ) -> Option<Self> {
        Some(Self { sealed: sealed?, kid: kid?, jwk: jwk?, created_by, created_at })
    }
}

/// Reads the `app_key_*` columns of a settings row.
fn app_key_columns<'de, D: Deserializer<'de>>(columns: D) -> Result<Option<StoredKey>, D::Error> {
    #[derive(Deserialize)]
    struct Columns {
        app_key_sealed: Option<String>,
        app_key_kid: Option<String>,
        app_key_jwk: Option<String>,
        app_key_created_by: Option<String>,
        app_key_created_at: Option<String>,
    }
    let c = Columns::deserialize(columns)?;
    Ok(StoredKey::from_columns(
        c.app_key_sealed,
        c.app_key_kid,
        c.app_key_jwk,
        c.app_key_created_by,
        c.app_key_created_at,
    ))
}

/// Reads the `pending_key_*` columns of a settings row.
fn pending_key_columns<'de, D: Deserializer<'de>>(
    columns: D,
) -> Result<Option<StoredKey>, D::Error> {
    #[derive(Deserialize)]
    struct Columns {
        pending_key_sealed: Option<String>,
        pending_key_kid: Option<String>,
        pending_key_jwk: Option<String>,
        pending_key_created_by: Option<String>,
        pending_key_created_at: Option<String>,
    }
    let c = Columns::deserialize(columns)?;
    Ok(StoredKey::from_columns(
        c.pending_key_sealed,
        c.pending_key_kid,
        c.pending_key_jwk,
        c.pending_key_created_by,
        c.pending_key_created_at,
    ))
}

/// The Okta settings.
#[expect(
    async_fn_in_trait,
    reason = "the Worker is single-threaded wasm: no caller needs the futures to be Send"
)]
pub trait SettingsStore {
    /// The settings (the row always exists: a migration made it).
    async fn okta_settings(&self) -> Result<SettingsRow, StoreError>;

    /// Replaces the settings with `row`, with its audit row, if they are still at `row.version`
    /// (else nothing is written). Returns whether it replaced them.
    ///
    /// A save waits for Okta's answer to its connection test; a key pair made, or another save
    /// landed, meanwhile must not be overwritten by what the save read before.
    async fn save_okta_settings(
        &self,
        row: &SettingsRow,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError>;
}

/// Okta's "Test connection", run against a tenant, app and token before they are saved.
#[expect(
    async_fn_in_trait,
    reason = "the Worker is single-threaded wasm: no caller needs the futures to be Send"
)]
pub trait ConnectionTester {
    /// Whether `access` may read what the sync needs of `app_id` on `tenant`, and if not, why.
    async fn test_connection(
        &self,
        tenant: &TenantUrl,
        app_id: &AppId,
        access: OktaAccess,
    ) -> TestOktaConnectionResponse;
}

/// Where the service app's key pairs come from (the runtime's `WebCrypto` in the Worker).
#[expect(
    async_fn_in_trait,
    reason = "the Worker is single-threaded wasm: no caller needs the futures to be Send"
)]
pub trait KeyMaker {
    /// A new pair of keys.
    ///
    /// # Errors
    ///
    /// `internal` when the runtime cannot make keys.
    async fn new_key_pair(&self) -> Result<KeyPair, ApiError>;
}

/// A row of `api_keys`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiKeyRow {
    /// The key's public id.
    pub id: String,
    /// What it is for, in the issuer's words.
    pub name: String,
    /// The read permissions it grants, as a JSON array.
    pub scopes: String,
    /// Who issued it.
    pub created_by: String,
    /// When.
    pub created_at: String,
    /// When it stops working.
    pub expires_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// A row of `service_tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServiceTokenRow {
    /// The Access service token's client id, as Access names it.
    pub common_name: String,
    /// What it is for, in the registrar's words.
    pub name: String,
    /// The read permissions it grants, as a JSON array.
    pub scopes: String,
    /// Who registered it.
    pub created_by: String,
    /// When.
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// Machine credentials.
#[expect(
    async_fn_in_trait,
    reason = "the Worker is single-threaded wasm: no caller needs the futures to be Send"
)]
pub trait CredentialStore {
    /// Stores an API key by the keyed hash of its secret, with its audit row.
    async fn insert_api_key(
        &self,
        row: &ApiKeyRow,
        secret_hash: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<(), StoreError>;

    /// Registers a service token with its audit row; `false` when its common name is
    /// registered already (then nothing is written).
    async fn insert_service_token(
        &self,
        row: &ServiceTokenRow,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError>;
}
