//! In-memory stand-ins for the ports, for the use cases' native tests: they keep what is
//! written and record every audit row, so that a test asserts what a use case stored.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use groupsync_core::api::{
    ConnectionFailure, GroupSource, InvitationStatus, TestOktaConnectionResponse,
};
use groupsync_core::domain::{AppId, BuiltInRole, IdentityMatch, TenantUrl};
use groupsync_core::okta::OktaUserStatus;

use crate::config::{Config, ConfigSource};
use crate::error::{ApiError, StoreError};
use crate::sealed_token::last4;
use crate::service::access::{Actor, Principal};
use crate::service::ports::{
    ApiKeyRow, AppPermissionRow, AuditRecord, CatalogRows, CatalogStore, ConnectionTester,
    CredentialStore, CustomGrantRow, CustomRoleRow, Directory, DirectoryUnavailable, DirectoryUser,
    GroupListRow, GroupRow, GroupStore, InvitationRow, KeyMaker, PeopleStore, PersonFacts,
    RateLimiter, RoleChange, RoleGrantRow, RoleHolders, ServiceTokenRow, SettingsRow,
    SettingsStore,
};
use crate::service::service_app::{KeyPair, OktaAccess, test_keys};

/// The Worker's configuration made of these variables (a production one, unless they say).
pub(crate) fn config_of(vars: &[(&str, String)]) -> Config {
    struct Vars(BTreeMap<String, String>);
    impl ConfigSource for Vars {
        fn get(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned()
        }
    }
    let vars = Vars(vars.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect());
    Config::load(&vars).expect("a valid configuration")
}

/// A person (not a superAdmin) holding `roles`.
pub(crate) fn person(email: &str, roles: &[BuiltInRole]) -> Principal {
    Principal::person(email.into(), format!("sub-{email}"), false, roles.to_vec())
}

/// An audit row as it was written.
#[derive(Debug, Clone)]
pub(crate) struct WrittenAudit {
    pub(crate) actor: String,
    pub(crate) action: &'static str,
    pub(crate) target: Option<String>,
    pub(crate) before: Option<serde_json::Value>,
    pub(crate) after: Option<serde_json::Value>,
}

/// The audit rows a fake store wrote, in order.
#[derive(Debug, Default)]
struct AuditLog(RefCell<Vec<WrittenAudit>>);

impl AuditLog {
    fn record(&self, audit: &AuditRecord<'_>) {
        self.0.borrow_mut().push(WrittenAudit {
            actor: audit.actor.name.clone(),
            action: audit.action,
            target: audit.target.clone(),
            before: audit.before.clone(),
            after: audit.after.clone(),
        });
    }

    fn written(&self) -> Vec<WrittenAudit> {
        self.0.borrow().clone()
    }
}

/// A synced Okta user: its email, its status, and the roles of the one group it is in (`None`:
/// in no group).
#[derive(Debug, Clone)]
struct SyncedUser {
    email: String,
    status: OktaUserStatus,
    roles: Option<Vec<String>>,
}

/// Invitations and the synced Okta users, in memory.
#[derive(Debug, Default)]
pub(crate) struct FakePeople {
    invitations: RefCell<BTreeMap<String, InvitationRow>>,
    users: BTreeMap<String, SyncedUser>,
    /// The custom grants of the users' groups.
    custom: Vec<CustomGrantRow>,
    audit: AuditLog,
    /// An invitation someone else makes between the use case's check and its insert.
    meanwhile: RefCell<Option<InvitationRow>>,
}

impl FakePeople {
    /// An unused invitation of `email` by `by` at `at`.
    pub(crate) fn invited(email: &str, by: &str, at: &str) -> InvitationRow {
        InvitationRow {
            email: email.into(),
            okta_user_id: None,
            status: InvitationStatus::Invited,
            invited_by: by.into(),
            invited_at: at.into(),
            activated_at: None,
        }
    }

    pub(crate) fn with_invitation(self, row: InvitationRow) -> Self {
        self.invitations.borrow_mut().insert(row.email.clone(), row);
        self
    }

    /// A synced Okta user `id` with `email` and `status`, in one group granting `roles` (by
    /// name; perhaps none).
    pub(crate) fn with_user(
        self,
        id: &str,
        email: &str,
        status: OktaUserStatus,
        roles: &[&str],
    ) -> Self {
        let roles = roles.iter().map(|r| (*r).to_owned()).collect();
        self.with_synced(id, SyncedUser { email: email.into(), status, roles: Some(roles) })
    }

    /// A synced Okta user `id` with `email`, in no group of the app.
    pub(crate) fn with_user_in_no_group(self, id: &str, email: &str) -> Self {
        let user = SyncedUser { email: email.into(), status: OktaUserStatus::Active, roles: None };
        self.with_synced(id, user)
    }

    /// The group of the synced user `id` (see [`Self::with_user`]) grants the custom role `role`
    /// (named `name`) on `scope` (`""`: everywhere).
    pub(crate) fn with_custom_grant(
        mut self,
        id: &str,
        role: &str,
        name: &str,
        scope: &str,
    ) -> Self {
        self.custom.push(CustomGrantRow {
            group_id: format!("00g-{id}"),
            role: role.into(),
            role_name: name.into(),
            scope: scope.into(),
        });
        self
    }

    fn with_synced(mut self, id: &str, user: SyncedUser) -> Self {
        self.users.insert(id.into(), user);
        self
    }

    pub(crate) fn inviting_meanwhile(self, row: InvitationRow) -> Self {
        *self.meanwhile.borrow_mut() = Some(row);
        self
    }

    pub(crate) fn invitations(&self) -> Vec<InvitationRow> {
        self.invitations.borrow().values().cloned().collect()
    }

    pub(crate) fn audit(&self) -> Vec<WrittenAudit> {
        self.audit.written()
    }
}

impl PeopleStore for FakePeople {
    async fn invitation(&self, email: &str) -> Result<Option<InvitationRow>, StoreError> {
        Ok(self.invitations.borrow().get(email).cloned())
    }

    async fn insert_invitation(
        &self,
        email: &str,
        okta_user_id: Option<&str>,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        if let Some(theirs) = self.meanwhile.borrow_mut().take() {
            self.invitations.borrow_mut().insert(theirs.email.clone(), theirs);
        }
        if self.invitations.borrow().contains_key(email) {
            return Ok(false);
        }
        let row = InvitationRow {
            okta_user_id: okta_user_id.map(str::to_owned),
            ..Self::invited(email, &audit.actor.name, now)
        };
        self.invitations.borrow_mut().insert(email.into(), row);
        self.audit.record(audit);
        Ok(true)
    }

    async fn revoke_invitation(
        &self,
        email: &str,
        audit: &AuditRecord<'_>,
        _now: &str,
    ) -> Result<bool, StoreError> {
        let mut invitations = self.invitations.borrow_mut();
        if invitations.get(email).is_none_or(|row| row.status != InvitationStatus::Invited) {
            return Ok(false);
        }
        invitations.remove(email);
        self.audit.record(audit);
        Ok(true)
    }

    /// As D1's: the one synced user with the email; the fallback only when no synced user has
    /// it; nobody when several share it.
    async fn person_facts(
        &self,
        email: &str,
        fallback_user_id: Option<&str>,
    ) -> Result<PersonFacts, StoreError> {
        let matches: Vec<&String> =
            self.users.iter().filter(|(_, u)| u.email == email).map(|(id, _)| id).collect();
        let identity = match matches.as_slice() {
            [] => IdentityMatch::NoOktaUser,
            [id] => IdentityMatch::NewBinding((*id).clone()),
            several => IdentityMatch::Ambiguous(several.len()),
        };
        let chosen = match (&identity, fallback_user_id) {
            (IdentityMatch::NoOktaUser, Some(fallback)) => Some(fallback),
            _ => identity.okta_user_id(),
        };
        let user = chosen.and_then(|id| self.users.get_key_value(id));
        let grants = user
            .and_then(|(id, u)| {
                let roles = u.roles.clone()?;
                Some(vec![(format!("00g-{id}"), format!("Group of {id}"), roles)])
            })
            .unwrap_or_default();
        let custom = self
            .custom
            .iter()
            .filter(|row| grants.iter().any(|(group, _, _)| *group == row.group_id))
            .cloned()
            .collect();
        Ok(PersonFacts {
            super_admin: false,
            user: user.map(|(id, u)| (id.clone(), u.status)),
            grants,
            custom,
            identity,
        })
    }
}

/// Okta, as far as finding users by email goes.
#[derive(Debug)]
pub(crate) enum FakeDirectory {
    /// Okta's search answers with these users, whatever email is asked: like Okta's, its
    /// answer is only candidates, which the use case chooses among.
    Answering(Vec<DirectoryUser>),
    /// Okta cannot be asked.
    Unreachable,
}

impl FakeDirectory {
    /// Okta answers with these (email, user id) pairs.
    pub(crate) fn knowing(users: &[(&str, &str)]) -> Self {
        Self::Answering(
            users
                .iter()
                .map(|(e, id)| DirectoryUser { id: (*id).to_owned(), email: Some((*e).to_owned()) })
                .collect(),
        )
    }
}

impl Directory for FakeDirectory {
    async fn find_users_by_email(
        &self,
        _email: &str,
    ) -> Result<Vec<DirectoryUser>, DirectoryUnavailable> {
        match self {
            Self::Answering(users) => Ok(users.clone()),
            Self::Unreachable => Err(DirectoryUnavailable),
        }
    }
}

/// The rate limits: open (counting what they admit) or used up.
#[derive(Debug, Default)]
pub(crate) struct FakeRateLimiter {
    used_up: bool,
    admitted: Cell<u32>,
    okta_tests: Cell<u32>,
}

impl FakeRateLimiter {
    pub(crate) fn open() -> Self {
        Self::default()
    }

    pub(crate) fn used_up() -> Self {
        Self { used_up: true, ..Self::default() }
    }

    /// How many writes it admitted.
    pub(crate) fn admitted(&self) -> u32 {
        self.admitted.get()
    }

    /// How many Okta connection tests it admitted.
    pub(crate) fn okta_tests(&self) -> u32 {
        self.okta_tests.get()
    }

    fn count(&self, counter: &Cell<u32>) -> Result<(), ApiError> {
        if self.used_up {
            return Err(ApiError::RateLimited { retry_after_s: 30 });
        }
        counter.set(counter.get() + 1);
        Ok(())
    }
}

impl RateLimiter for FakeRateLimiter {
    async fn admit_write(&self, principal: &Principal) -> Result<Actor, ApiError> {
        self.count(&self.admitted)?;
        Ok(principal.actor())
    }

    async fn admit_okta_test(&self, _who: &str) -> Result<(), ApiError> {
        self.count(&self.okta_tests)
    }
}

/// Groups and their roles, in memory.
#[derive(Debug, Default)]
pub(crate) struct FakeGroups {
    groups: RefCell<BTreeMap<String, GroupListRow>>,
    sync_on: bool,
    audit: AuditLog,
    /// Someone who saves a group's roles between the use case's read and its write.
    meanwhile: RefCell<Option<String>>,
}

impl FakeGroups {
    /// An Okta group `id` granting `roles` (by name) at roles version `version`.
    pub(crate) fn with_group(self, id: &str, roles: &[&str], version: i64) -> Self {
        let row = GroupListRow {
            id: id.into(),
            source: GroupSource::Okta,
            name: format!("Group {id}"),
            description: None,
            member_count: 0,
            roles: Some(serde_json::json!(roles).to_string()),
            grants: None,
            roles_version: version,
            roles_saved_by: None,
            roles_saved_at: None,
        };
        self.groups.borrow_mut().insert(id.into(), row);
        self
    }

    /// Every group's roles were last saved by `who`.
    pub(crate) fn saved_by(self, who: &str) -> Self {
        for row in self.groups.borrow_mut().values_mut() {
            row.roles_saved_by = Some(who.into());
            row.roles_saved_at = Some("2026-11-30T16:39:00Z".into());
        }
        self
    }

    pub(crate) fn saving_meanwhile(self, who: &str) -> Self {
        *self.meanwhile.borrow_mut() = Some(who.into());
        self
    }

    pub(crate) fn with_sync_on(mut self) -> Self {
        self.sync_on = true;
        self
    }

    pub(crate) fn group_row(&self, id: &str) -> GroupListRow {
        self.groups.borrow().get(id).cloned().expect("a group of the test")
    }

    pub(crate) fn audit(&self) -> Vec<WrittenAudit> {
        self.audit.written()
    }
}

impl GroupStore for FakeGroups {
    async fn group(&self, id: &str) -> Result<Option<GroupListRow>, StoreError> {
        Ok(self.groups.borrow().get(id).cloned())
    }

    async fn set_group_roles(
        &self,
        id: &str,
        change: &RoleChange<'_>,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let RoleChange { roles, grants, version, .. } = *change;
        let mut groups = self.groups.borrow_mut();
        let Some(row) = groups.get_mut(id) else { return Ok(false) };
        if let Some(who) = self.meanwhile.borrow_mut().take() {
            row.roles_version += 1;
            row.roles_saved_by = Some(who);
            row.roles_saved_at = Some(now.into());
        }
        if row.roles_version != version {
            return Ok(false);
        }
        row.roles = Some(serde_json::json!(roles).to_string());
        if let Some(grants) = grants {
            row.grants = Some(serde_json::json!(grants).to_string());
        }
        row.roles_version += 1;
        row.roles_saved_by = Some(audit.actor.name.clone());
        row.roles_saved_at = Some(now.into());
        self.audit.record(audit);
        Ok(true)
    }

    async fn create_local_group(
        &self,
        row: &GroupRow,
        _created_by: &str,
        audit: &AuditRecord<'_>,
        _now: &str,
    ) -> Result<bool, StoreError> {
        if self.sync_on {
            return Ok(false);
        }
        let stored = GroupListRow {
            id: row.id.clone(),
            source: row.source,
            name: row.name.clone(),
            description: row.description.clone(),
            member_count: 0,
            roles: None,
            grants: None,
            roles_version: 0,
            roles_saved_by: None,
            roles_saved_at: None,
        };
        self.groups.borrow_mut().insert(row.id.clone(), stored);
        self.audit.record(audit);
        Ok(true)
    }
}

/// The Okta settings, in memory (empty at first, as after the migrations).
#[derive(Debug, Default)]
pub(crate) struct FakeSettings {
    row: RefCell<SettingsRow>,
    audit: AuditLog,
}

impl FakeSettings {
    /// Settings saved before the test.
    pub(crate) fn with_row(row: SettingsRow) -> Self {
        Self { row: RefCell::new(row), audit: AuditLog::default() }
    }

    pub(crate) fn row(&self) -> SettingsRow {
        self.row.borrow().clone()
    }

    pub(crate) fn audit(&self) -> Vec<WrittenAudit> {
        self.audit.written()
    }
}

impl SettingsStore for FakeSettings {
    async fn okta_settings(&self) -> Result<SettingsRow, StoreError> {
        Ok(self.row())
    }

    async fn save_okta_settings(
        &self,
        row: &SettingsRow,
        audit: &AuditRecord<'_>,
        _now: &str,
    ) -> Result<bool, StoreError> {
        let mut stored = self.row.borrow_mut();
        if stored.version != row.version {
            return Ok(false);
        }
        *stored = SettingsRow { version: row.version + 1, ..row.clone() };
        self.audit.record(audit);
        Ok(true)
    }
}

/// Test connection, passing or failing, recording the tenants it was run on and the last four
/// characters of each token it was given.
#[derive(Debug)]
pub(crate) struct FakeConnectionTester {
    passes: bool,
    tested: RefCell<Vec<(String, String)>>,
}

impl FakeConnectionTester {
    pub(crate) fn passing() -> Self {
        Self { passes: true, tested: RefCell::default() }
    }

    pub(crate) fn failing() -> Self {
        Self { passes: false, tested: RefCell::default() }
    }

    /// The tenants tested, in order.
    pub(crate) fn tested(&self) -> Vec<String> {
        self.tested.borrow().iter().map(|(tenant, _)| tenant.clone()).collect()
    }

    /// The last four characters of the tokens tested, in order.
    pub(crate) fn tokens_tested(&self) -> Vec<String> {
        self.tested.borrow().iter().map(|(_, last4)| last4.clone()).collect()
    }
}

impl ConnectionTester for FakeConnectionTester {
    async fn test_connection(
        &self,
        tenant: &TenantUrl,
        _app_id: &AppId,
        access: OktaAccess,
    ) -> TestOktaConnectionResponse {
        // A token by its last four characters, a service app by its client id and key id.
        let credential = match &access {
            OktaAccess::ApiToken(token) => last4(token),
            OktaAccess::ServiceApp(app) => {
                format!("app {} key {}", app.client_id.as_str(), app.keys.client.kid())
            }
        };
        self.tested.borrow_mut().push((tenant.as_str().to_owned(), credential));
        TestOktaConnectionResponse {
            ok: self.passes,
            failure: (!self.passes).then_some(ConnectionFailure::InvalidToken),
            message: if self.passes { "Connected." } else { "Okta rejected the API token." }
                .to_owned(),
            app_label: None,
        }
    }
}

/// Key pairs from a list of test keys, in turn, counting what it made.
#[derive(Debug, Default)]
pub(crate) struct FakeKeyMaker {
    made: Cell<usize>,
}

impl FakeKeyMaker {
    /// How many pairs it made.
    pub(crate) fn made(&self) -> usize {
        self.made.get()
    }
}

impl KeyMaker for FakeKeyMaker {
    async fn new_key_pair(&self) -> Result<KeyPair, ApiError> {
        self.made.set(self.made.get() + 1);
        // Alternates, so that a second pair is another key.
        Ok(if self.made.get() % 2 == 1 { test_keys::pair() } else { test_keys::other_pair() })
    }
}

/// Machine credentials, in memory.
#[derive(Debug, Default)]
pub(crate) struct FakeCredentials {
    api_keys: RefCell<Vec<(ApiKeyRow, String)>>,
    service_tokens: RefCell<BTreeMap<String, ServiceTokenRow>>,
    audit: AuditLog,
}

impl FakeCredentials {
    /// The stored keys with their hashes.
    pub(crate) fn api_keys(&self) -> Vec<(ApiKeyRow, String)> {
        self.api_keys.borrow().clone()
    }

    pub(crate) fn audit(&self) -> Vec<WrittenAudit> {
        self.audit.written()
    }
}

impl CredentialStore for FakeCredentials {
    async fn insert_api_key(
        &self,
        row: &ApiKeyRow,
        secret_hash: &str,
        audit: &AuditRecord<'_>,
        _now: &str,
    ) -> Result<(), StoreError> {
        self.api_keys.borrow_mut().push((row.clone(), secret_hash.to_owned()));
        self.audit.record(audit);
        Ok(())
    }

    async fn insert_service_token(
        &self,
        row: &ServiceTokenRow,
        audit: &AuditRecord<'_>,
        _now: &str,
    ) -> Result<bool, StoreError> {
        let mut tokens = self.service_tokens.borrow_mut();
        if tokens.contains_key(&row.common_name) {
            return Ok(false);
        }
        tokens.insert(row.common_name.clone(), row.clone());
        self.audit.record(audit);
        Ok(true)
    }
}

/// The role catalog, in memory.
#[derive(Debug, Default)]
pub(crate) struct FakeCatalog {
    permissions: RefCell<BTreeMap<String, AppPermissionRow>>,
    roles: RefCell<BTreeMap<String, CustomRoleRow>>,
    grants: RefCell<Vec<(String, String, String)>>,
    audit: AuditLog,
}

impl FakeCatalog {
    /// Adds a custom role holding `permissions`.
    pub(crate) fn add_role(&self, key: &str, name: &str, permissions: &[&str]) {
        let row = CustomRoleRow {
            key: key.to_owned(),
            name: name.to_owned(),
            permissions: serde_json::json!(permissions).to_string(),
            version: 1,
            updated_by: "root@example.com".to_owned(),
            updated_at: "2026-12-01T09:00:00Z".to_owned(),
        };
        self.roles.borrow_mut().insert(key.to_owned(), row);
    }

    /// Grants `role` to `group` on `scope` (`""`: everywhere).
    pub(crate) fn grant(&self, group: &str, role: &str, scope: &str) {
        self.grants.borrow_mut().push((group.to_owned(), role.to_owned(), scope.to_owned()));
    }

    /// Every grant: `(group, role, scope)`.
    pub(crate) fn grants(&self) -> Vec<(String, String, String)> {
        self.grants.borrow().clone()
    }

    pub(crate) fn audit(&self) -> Vec<WrittenAudit> {
        self.audit.written()
    }
}

impl CatalogStore for FakeCatalog {
    async fn catalog_rows(&self) -> Result<CatalogRows, StoreError> {
        let permissions = self.permissions.borrow().values().cloned().collect();
        Ok((permissions, self.roles.borrow().values().cloned().collect()))
    }

    async fn register_permission(
        &self,
        row: &AppPermissionRow,
        audit: &AuditRecord<'_>,
    ) -> Result<bool, StoreError> {
        if self.permissions.borrow().contains_key(&row.name) {
            return Ok(false);
        }
        self.permissions.borrow_mut().insert(row.name.clone(), row.clone());
        self.audit.record(audit);
        Ok(true)
    }

    async fn create_role(
        &self,
        row: &CustomRoleRow,
        audit: &AuditRecord<'_>,
        _now: &str,
    ) -> Result<bool, StoreError> {
        let names: Vec<String> = serde_json::from_str(&row.permissions).unwrap_or_default();
        let registered = names.iter().all(|n| self.permissions.borrow().contains_key(n));
        let taken = self
            .roles
            .borrow()
            .values()
            .any(|r| r.key == row.key || r.name.to_lowercase() == row.name.to_lowercase());
        if !registered || taken {
            return Ok(false);
        }
        self.roles.borrow_mut().insert(row.key.clone(), row.clone());
        self.audit.record(audit);
        Ok(true)
    }

    async fn remove_permission(
        &self,
        name: &str,
        audit: &AuditRecord<'_>,
        _now: &str,
    ) -> Result<bool, StoreError> {
        let held = self.roles.borrow().values().any(|role| {
            serde_json::from_str::<Vec<String>>(&role.permissions)
                .is_ok_and(|names| names.iter().any(|n| n == name))
        });
        if held || self.permissions.borrow_mut().remove(name).is_none() {
            return Ok(false);
        }
        self.audit.record(audit);
        Ok(true)
    }

    async fn update_role(
        &self,
        row: &CustomRoleRow,
        audit: &AuditRecord<'_>,
    ) -> Result<bool, StoreError> {
        let names: Vec<String> = serde_json::from_str(&row.permissions).unwrap_or_default();
        let registered = names.iter().all(|n| self.permissions.borrow().contains_key(n));
        let name_taken = self
            .roles
            .borrow()
            .values()
            .any(|r| r.key != row.key && r.name.to_lowercase() == row.name.to_lowercase());
        let mut roles = self.roles.borrow_mut();
        let Some(current) = roles.get_mut(&row.key) else { return Ok(false) };
        if current.version != row.version || !registered || name_taken {
            return Ok(false);
        }
        *current = CustomRoleRow { version: row.version + 1, ..row.clone() };
        self.audit.record(audit);
        Ok(true)
    }

    /// Groups have no members here: the holders are counted by D1 (black-box tests).
    async fn role_holders(&self, key: &str, _first: u32) -> Result<RoleHolders, StoreError> {
        let grants = self
            .grants
            .borrow()
            .iter()
            .filter(|(_, role, _)| role == key)
            .map(|(group, _, scope)| RoleGrantRow {
                group_id: group.clone(),
                group_name: group.clone(),
                scope: scope.clone(),
                members: 0,
            })
            .collect();
        Ok(RoleHolders { grants, ..RoleHolders::default() })
    }

    async fn delete_role(
        &self,
        key: &str,
        audit: &AuditRecord<'_>,
        _now: &str,
    ) -> Result<bool, StoreError> {
        if self.roles.borrow_mut().remove(key).is_none() {
            return Ok(false);
        }
        self.grants.borrow_mut().retain(|(_, role, _)| role != key);
        self.audit.record(audit);
        Ok(true)
    }
}
