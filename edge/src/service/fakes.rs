//! In-memory stand-ins for the ports, for the use cases' native tests: they keep what is
//! written and record every audit row, so that a test asserts what a use case stored.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use groupsync_core::api::GroupSource;
use groupsync_core::domain::{BuiltInRole, IdentityMatch};
use groupsync_core::okta::OktaUserStatus;

use crate::error::{ApiError, StoreError};
use crate::service::access::{Actor, Principal};
use crate::service::ports::{
    AuditRecord, Directory, DirectoryUnavailable, GroupListRow, GroupRow, GroupStore,
    InvitationRow, PeopleStore, PersonFacts, WriteLimit,
};

/// A person (not a superAdmin) holding `roles`.
pub(crate) fn person(email: &str, roles: &[BuiltInRole]) -> Principal {
    Principal::person(email.into(), format!("sub-{email}"), false, roles.to_vec())
}

/// An Okta user `id` with `status`, in one group granting `roles` (by name).
pub(crate) fn facts_in_groups(id: &str, status: OktaUserStatus, roles: &[&str]) -> PersonFacts {
    PersonFacts {
        super_admin: false,
        identity: IdentityMatch::NewBinding(id.into()),
        user: Some((id.into(), status)),
        grants: vec![(
            "00g1".into(),
            "Engineering".into(),
            roles.iter().map(|r| (*r).to_owned()).collect(),
        )],
    }
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

impl WrittenAudit {
    fn of(audit: &AuditRecord<'_>) -> Self {
        Self {
            actor: audit.actor.name.clone(),
            action: audit.action,
            target: audit.target.clone(),
            before: audit.before.clone(),
            after: audit.after.clone(),
        }
    }
}

/// Invitations and people, in memory.
#[derive(Debug, Default)]
pub(crate) struct FakePeople {
    invitations: RefCell<BTreeMap<String, InvitationRow>>,
    facts: BTreeMap<String, PersonFacts>,
    audit: RefCell<Vec<WrittenAudit>>,
    /// An invitation someone else makes between the use case's check and its insert.
    meanwhile: RefCell<Option<InvitationRow>>,
}

impl FakePeople {
    /// An unused invitation of `email` by `by` at `at`.
    pub(crate) fn invited(email: &str, by: &str, at: &str) -> InvitationRow {
        InvitationRow {
            email: email.into(),
            okta_user_id: None,
            status: "invited".into(),
            invited_by: by.into(),
            invited_at: at.into(),
            activated_at: None,
        }
    }

    pub(crate) fn with_invitation(self, row: InvitationRow) -> Self {
        self.invitations.borrow_mut().insert(row.email.clone(), row);
        self
    }

    pub(crate) fn with_facts(mut self, email: &str, facts: PersonFacts) -> Self {
        self.facts.insert(email.into(), facts);
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
        self.audit.borrow().clone()
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
        self.audit.borrow_mut().push(WrittenAudit::of(audit));
        Ok(true)
    }

    async fn revoke_invitation(
        &self,
        email: &str,
        audit: &AuditRecord<'_>,
        _now: &str,
    ) -> Result<bool, StoreError> {
        let mut invitations = self.invitations.borrow_mut();
        if invitations.get(email).is_none_or(|row| row.status != "invited") {
            return Ok(false);
        }
        invitations.remove(email);
        self.audit.borrow_mut().push(WrittenAudit::of(audit));
        Ok(true)
    }

    async fn person_facts(
        &self,
        email: &str,
        _fallback_user_id: Option<&str>,
    ) -> Result<PersonFacts, StoreError> {
        Ok(self.facts.get(email).cloned().unwrap_or(PersonFacts {
            super_admin: false,
            identity: IdentityMatch::NoOktaUser,
            user: None,
            grants: Vec::new(),
        }))
    }
}

/// Okta, as far as finding users by email goes.
#[derive(Debug)]
pub(crate) enum FakeDirectory {
    /// Okta answers with these (email, user id) pairs.
    Knowing(Vec<(String, String)>),
    /// Okta cannot be asked.
    Unreachable,
}

impl FakeDirectory {
    pub(crate) fn knowing(users: &[(&str, &str)]) -> Self {
        Self::Knowing(users.iter().map(|(e, id)| ((*e).to_owned(), (*id).to_owned())).collect())
    }
}

impl Directory for FakeDirectory {
    async fn find_user_by_email(
        &self,
        email: &str,
    ) -> Result<Option<String>, DirectoryUnavailable> {
        match self {
            Self::Knowing(users) => Ok(users
                .iter()
                .find(|(e, _)| e.eq_ignore_ascii_case(email))
                .map(|(_, id)| id.clone())),
            Self::Unreachable => Err(DirectoryUnavailable),
        }
    }
}

/// The write limit: open (counting what it admits) or used up.
#[derive(Debug)]
pub(crate) struct FakeWriteLimit {
    used_up: bool,
    admitted: Cell<u32>,
}

impl FakeWriteLimit {
    pub(crate) fn open() -> Self {
        Self { used_up: false, admitted: Cell::new(0) }
    }

    pub(crate) fn used_up() -> Self {
        Self { used_up: true, admitted: Cell::new(0) }
    }

    /// How many writes it admitted.
    pub(crate) fn admitted(&self) -> u32 {
        self.admitted.get()
    }
}

impl WriteLimit for FakeWriteLimit {
    async fn admit(&self, principal: &Principal) -> Result<Actor, ApiError> {
        if self.used_up {
            return Err(ApiError::RateLimited { retry_after_s: 30 });
        }
        self.admitted.set(self.admitted.get() + 1);
        Ok(principal.actor())
    }
}

/// Groups and their roles, in memory.
#[derive(Debug, Default)]
pub(crate) struct FakeGroups {
    groups: RefCell<BTreeMap<String, GroupListRow>>,
    sync_on: bool,
    audit: RefCell<Vec<WrittenAudit>>,
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
        self.audit.borrow().clone()
    }
}

impl GroupStore for FakeGroups {
    async fn group(&self, id: &str) -> Result<Option<GroupListRow>, StoreError> {
        Ok(self.groups.borrow().get(id).cloned())
    }

    async fn set_group_roles(
        &self,
        id: &str,
        roles: &[String],
        version: i64,
        _nonce: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
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
        row.roles_version += 1;
        row.roles_saved_by = Some(audit.actor.name.clone());
        row.roles_saved_at = Some(now.into());
        self.audit.borrow_mut().push(WrittenAudit::of(audit));
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
            roles_version: 0,
            roles_saved_by: None,
            roles_saved_at: None,
        };
        self.groups.borrow_mut().insert(row.id.clone(), stored);
        self.audit.borrow_mut().push(WrittenAudit::of(audit));
        Ok(true)
    }
}
