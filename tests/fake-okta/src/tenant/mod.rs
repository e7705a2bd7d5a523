//! The tenant: one Okta org's apps, groups, users, memberships, app assignments and API tokens,
//! generated deterministically from a [`TenantSpec`] (see `generate`), and the changes the control
//! API can make to it between syncs.
//!
//! Memberships are stored as sorted user indices per group (`Vec<u32>`), never as copies of
//! users, so that the L tenant (1,000,000 memberships) stays small.

mod generate;
mod names;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::clock::now_ms;
use crate::rng::Rng;

pub(crate) use generate::generate;

/// The size of a generated tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TenantSize {
    /// A small, friendly tenant for the local product demo: a dozen groups with department
    /// names and a few dozen believable users, including `admin@example.com`.
    #[serde(rename = "demo", alias = "Demo", alias = "DEMO")]
    Demo,
    /// 50 groups assigned to the app with 2,000 memberships in them.
    #[serde(rename = "S", alias = "s")]
    S,
    /// 1,000 groups assigned to the app with 100,000 memberships in them.
    #[serde(rename = "M", alias = "m")]
    M,
    /// 10,000 groups assigned to the app with 1,000,000 memberships in them.
    #[serde(rename = "L", alias = "l")]
    L,
}

impl TenantSize {
    /// The number of groups assigned to the app, and of memberships in them, for the sized
    /// tenants (the demo tenant's figures come from its fixed roster instead).
    pub fn figures(self) -> Option<(u32, u64)> {
        match self {
            TenantSize::Demo => None,
            TenantSize::S => Some((50, 2_000)),
            TenantSize::M => Some((1_000, 100_000)),
            TenantSize::L => Some((10_000, 1_000_000)),
        }
    }
}

impl FromStr for TenantSize {
    type Err = String;

    /// Parses `demo`, `S`, `M` or `L`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "demo" => Ok(TenantSize::Demo),
            "s" => Ok(TenantSize::S),
            "m" => Ok(TenantSize::M),
            "l" => Ok(TenantSize::L),
            _ => Err(format!("unknown tenant size {s:?} (expected demo, S, M or L)")),
        }
    }
}

impl fmt::Display for TenantSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TenantSize::Demo => "demo",
            TenantSize::S => "S",
            TenantSize::M => "M",
            TenantSize::L => "L",
        })
    }
}

/// What tenant to generate: its size and the seed that makes it reproducible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSpec {
    /// How big the tenant is.
    pub size: TenantSize,
    /// The same seed always yields the same tenant (ids, names, memberships, tokens).
    pub seed: u64,
}

/// What a generated tenant has beyond its size's content.
///
/// The default adds nothing: the tenant is then exactly its [`TenantSpec`]'s. The additions are
/// generated from the same seed but from random streams of their own, after the size's content,
/// so they leave everything else (ids, names, timestamps, memberships, tokens) as it is without
/// them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantOptions {
    /// Whether the built-in `Everyone` group (type `BUILT_IN`, every user of the org) is assigned
    /// to the app at start, as many companies do. It is the first group of the app's listing,
    /// since it is the tenant's first group. The control API can also assign it later
    /// ([`crate::Control::assign_everyone`]).
    #[serde(default)]
    pub assign_everyone: bool,
    /// One more group assigned to the app, `All Staff` (an `OKTA_GROUP`), with this many members:
    /// the org's first N users, with users created as needed. The users it creates are members
    /// of `Everyone` and of no other group, and are ACTIVE in the same share as the size's users.
    #[serde(default)]
    pub big_group: Option<u32>,
}

/// The name of the group [`TenantOptions::big_group`] adds.
pub const BIG_GROUP_NAME: &str = "All Staff";

/// An Okta user's lifecycle status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    /// A normal, active account (the large majority).
    Active,
    /// Deactivated; still listed in groups, omitted from the plain user list.
    Deprovisioned,
    /// Locked after too many failed sign-ins.
    LockedOut,
    /// Must change the password at next sign-in.
    PasswordExpired,
    /// Activated without a password yet.
    Provisioned,
    /// A password reset is in progress.
    Recovery,
    /// Created but never activated.
    Staged,
    /// Suspended by an admin.
    Suspended,
}

impl UserStatus {
    /// Every status, `Active` first.
    pub const ALL: [UserStatus; 8] = [
        UserStatus::Active,
        UserStatus::Deprovisioned,
        UserStatus::LockedOut,
        UserStatus::PasswordExpired,
        UserStatus::Provisioned,
        UserStatus::Recovery,
        UserStatus::Staged,
        UserStatus::Suspended,
    ];

    /// The wire name, e.g. `LOCKED_OUT`.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "ACTIVE",
            UserStatus::Deprovisioned => "DEPROVISIONED",
            UserStatus::LockedOut => "LOCKED_OUT",
            UserStatus::PasswordExpired => "PASSWORD_EXPIRED",
            UserStatus::Provisioned => "PROVISIONED",
            UserStatus::Recovery => "RECOVERY",
            UserStatus::Staged => "STAGED",
            UserStatus::Suspended => "SUSPENDED",
        }
    }
}

/// The `type` of an Okta group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupKind {
    /// Managed in Okta.
    Okta,
    /// Imported from Active Directory (`APP_GROUP`, AD profile, `_links.source`).
    App,
    /// Built in (the `Everyone` group).
    BuiltIn,
}

/// A group's `profile.description`, which Okta may omit, send as `null`, or fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Description {
    /// The key is not in the profile.
    Absent,
    /// `"description": null`.
    Null,
    /// A text, possibly empty.
    Text(String),
}

/// One app in the org.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) label: String,
    pub(crate) saml: bool,
    pub(crate) active: bool,
    pub(crate) created: i64,
    pub(crate) last_updated: i64,
}

/// One group, with its members as sorted user indices.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: Description,
    pub(crate) kind: GroupKind,
    pub(crate) created: i64,
    pub(crate) last_updated: i64,
    pub(crate) last_membership_updated: i64,
    pub(crate) members: Vec<u32>,
    pub(crate) deleted: bool,
}

/// One user.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    /// Also the email, unless [`Self::email`] says otherwise: generated users sign in with
    /// their address.
    pub(crate) login: String,
    /// The primary email when it is not the login (Okta lets two users share an email, and an
    /// email change keeps the login).
    pub(crate) email: Option<String>,
    pub(crate) status: UserStatus,
    /// The status `search` sees: Okta's search is eventually consistent (CONTRACT.md §2 note 7),
    /// so while the tenant's search index lags ([`Tenant::search_lags`]) a status change reaches
    /// it only when the index catches up. `filter` and reads by id see [`Self::status`].
    pub(crate) searched_status: UserStatus,
    pub(crate) created: i64,
    pub(crate) activated: Option<i64>,
    pub(crate) status_changed: Option<i64>,
    pub(crate) last_login: Option<i64>,
    pub(crate) last_updated: i64,
    pub(crate) password_changed: Option<i64>,
}

impl User {
    /// The primary email: the login unless it was changed.
    pub(crate) fn email(&self) -> &str {
        self.email.as_deref().unwrap_or(&self.login)
    }
}

/// A group's assignment to the tenant's SAML app.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Assignment {
    pub(crate) priority: u32,
    pub(crate) last_updated: i64,
}

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Everything this fake serves.
    Full,
    /// Only `/api/v1/apps/*`; the groups and users endpoints answer 403 `E0000006`.
    AppsOnly,
}

/// The whole org.
#[derive(Debug)]
pub(crate) struct Tenant {
    pub(crate) spec: TenantSpec,
    /// Mixed into every cursor so that cursors are opaque and differ between tenants.
    pub(crate) cursor_salt: u64,
    /// `apps[0]` is the product's SAML app, `apps[1]` an OIDC app, `apps[2]` an inactive SAML app.
    pub(crate) apps: Vec<App>,
    pub(crate) groups: Vec<Group>,
    pub(crate) users: Vec<User>,
    pub(crate) group_ix: HashMap<String, u32>,
    pub(crate) user_ix: HashMap<String, u32>,
    /// Lowercased login to user index.
    pub(crate) login_ix: HashMap<String, u32>,
    /// Groups assigned to `apps[0]`, keyed (and so listed) by group index.
    pub(crate) assigned: BTreeMap<u32, Assignment>,
    pub(crate) tokens: HashMap<String, Access>,
    pub(crate) revoked: HashSet<String>,
    pub(crate) user_type_id: String,
    /// Ids for groups created through the control API.
    pub(crate) id_rng: Rng,
    /// The built-in `Everyone` group (every generated tenant has it).
    pub(crate) everyone: Option<u32>,
    /// The group [`TenantOptions::big_group`] added, if any.
    pub(crate) big_group: Option<u32>,
    /// Whether the search index lags behind status changes (see [`User::searched_status`]).
    pub(crate) search_lags: bool,
}

/// Why a control-API change to the tenant was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlError {
    /// No (undeleted) group has this id.
    UnknownGroup(String),
    /// No user has this id or login.
    UnknownUser(String),
    /// The token is not one of the tenant's tokens.
    UnknownToken,
    /// The request itself was malformed (bad JSON, unknown field value).
    BadRequest(String),
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlError::UnknownGroup(id) => write!(f, "unknown group {id}"),
            ControlError::UnknownUser(id) => write!(f, "unknown user {id}"),
            ControlError::UnknownToken => f.write_str("unknown token"),
            ControlError::BadRequest(why) => write!(f, "bad request: {why}"),
        }
    }
}

impl std::error::Error for ControlError {}

impl Tenant {
    /// The product's SAML app.
    pub(crate) fn app(&self) -> &App {
        &self.apps[0]
    }

    /// The index of a live group.
    pub(crate) fn group(&self, id: &str) -> Option<u32> {
        self.group_ix.get(id).copied().filter(|&g| !self.groups[g as usize].deleted)
    }

    /// The index of a user, by id or by login (case-insensitive), as `/users/{id}` accepts.
    pub(crate) fn user(&self, id_or_login: &str) -> Option<u32> {
        self.user_ix
            .get(id_or_login)
            .or_else(|| self.login_ix.get(&id_or_login.to_lowercase()))
            .copied()
    }

    /// The token's access, unless it is unknown or revoked.
    pub(crate) fn access(&self, token: &str) -> Option<Access> {
        if self.revoked.contains(token) {
            return None;
        }
        self.tokens.get(token).copied()
    }

    /// Live groups (in index order) that have the user as a member.
    pub(crate) fn groups_of(&self, user: u32) -> Vec<u32> {
        (0..self.groups.len() as u32)
            .filter(|&g| {
                let group = &self.groups[g as usize];
                !group.deleted && group.members.binary_search(&user).is_ok()
            })
            .collect()
    }

    fn live_group(&self, id: &str) -> Result<u32, ControlError> {
        self.group(id).ok_or_else(|| ControlError::UnknownGroup(id.to_owned()))
    }

    fn known_user(&self, id: &str) -> Result<u32, ControlError> {
        self.user(id).ok_or_else(|| ControlError::UnknownUser(id.to_owned()))
    }

    /// Assigns a group to the app (a no-op if it already is).
    pub(crate) fn assign(&mut self, id: &str) -> Result<(), ControlError> {
        let g = self.live_group(id)?;
        let priority = self.assigned.values().map(|a| a.priority + 1).max().unwrap_or(0);
        self.assigned.entry(g).or_insert(Assignment { priority, last_updated: now_ms() });
        Ok(())
    }

    /// Removes a group's assignment to the app (a no-op if it has none).
    pub(crate) fn unassign(&mut self, id: &str) -> Result<(), ControlError> {
        let g = self.live_group(id)?;
        self.assigned.remove(&g);
        Ok(())
    }

    /// The id of the built-in `Everyone` group, unless it was deleted.
    pub(crate) fn everyone_id(&self) -> Result<String, ControlError> {
        self.everyone
            .map(|g| &self.groups[g as usize])
            .filter(|g| !g.deleted)
            .map(|g| g.id.clone())
            .ok_or_else(|| ControlError::UnknownGroup("Everyone".into()))
    }

    /// Deletes a group: it disappears from every listing and answers 404.
    pub(crate) fn delete_group(&mut self, id: &str) -> Result<(), ControlError> {
        let g = self.live_group(id)?;
        self.assigned.remove(&g);
        self.groups[g as usize].deleted = true;
        Ok(())
    }

    /// Renames a group, updating its `lastUpdated`.
    pub(crate) fn rename_group(&mut self, id: &str, name: &str) -> Result<(), ControlError> {
        let g = self.live_group(id)?;
        let group = &mut self.groups[g as usize];
        group.name = name.to_owned();
        group.last_updated = later_than(group.last_updated);
        Ok(())
    }

    /// Creates an `OKTA_GROUP` (optionally assigned to the app) and returns its id.
    pub(crate) fn create_group(
        &mut self,
        name: &str,
        description: Option<&str>,
        assign: bool,
    ) -> Result<String, ControlError> {
        let id = loop {
            let id = self.id_rng.okta_id("00g");
            if !self.group_ix.contains_key(&id) {
                break id;
            }
        };
        let now = now_ms();
        self.group_ix.insert(id.clone(), self.groups.len() as u32);
        self.groups.push(Group {
            id: id.clone(),
            name: name.to_owned(),
            description: description.map_or(Description::Absent, |d| Description::Text(d.into())),
            kind: GroupKind::Okta,
            created: now,
            last_updated: now,
            last_membership_updated: now,
            members: Vec::new(),
            deleted: false,
        });
        if assign {
            self.assign(&id)?;
        }
        Ok(id)
    }

    /// Adds a user to a group; `lastMembershipUpdated` moves only if membership changed.
    /// Returns the user's id.
    pub(crate) fn add_member(&mut self, group: &str, user: &str) -> Result<String, ControlError> {
        let g = self.live_group(group)?;
        let u = self.known_user(user)?;
        let group = &mut self.groups[g as usize];
        if let Err(at) = group.members.binary_search(&u) {
            group.members.insert(at, u);
            group.last_membership_updated = later_than(group.last_membership_updated);
        }
        Ok(self.users[u as usize].id.clone())
    }

    /// Removes a user from a group; `lastMembershipUpdated` moves only if membership changed.
    /// Returns the user's id.
    pub(crate) fn remove_member(
        &mut self,
        group: &str,
        user: &str,
    ) -> Result<String, ControlError> {
        let g = self.live_group(group)?;
        let u = self.known_user(user)?;
        let group = &mut self.groups[g as usize];
        if let Ok(at) = group.members.binary_search(&u) {
            group.members.remove(at);
            group.last_membership_updated = later_than(group.last_membership_updated);
        }
        Ok(self.users[u as usize].id.clone())
    }

    /// Sets a user's status (e.g. suspends them), updating `statusChanged` and `lastUpdated`.
    /// Returns the user's id and the status before.
    pub(crate) fn set_status(
        &mut self,
        user: &str,
        status: UserStatus,
    ) -> Result<(String, UserStatus), ControlError> {
        let u = self.known_user(user)?;
        let user = &mut self.users[u as usize];
        let now = later_than(user.last_updated);
        let before = user.status;
        user.status = status;
        if !self.search_lags {
            user.searched_status = status;
        }
        user.status_changed = Some(now);
        user.last_updated = now;
        Ok((user.id.clone(), before))
    }

    /// Makes the search index lag behind status changes, or catch up with all of them.
    pub(crate) fn set_search_lag(&mut self, lags: bool) {
        self.search_lags = lags;
        if !lags {
            for user in &mut self.users {
                user.searched_status = user.status;
            }
        }
    }

    /// Changes a user's primary email (their login stays).
    pub(crate) fn set_email(&mut self, user: &str, email: &str) -> Result<(), ControlError> {
        let u = self.known_user(user)?;
        let user = &mut self.users[u as usize];
        user.email = Some(email.to_owned());
        user.last_updated = later_than(user.last_updated);
        Ok(())
    }

    /// Revokes one of the tenant's tokens: it answers 401 `E0000011` from then on.
    pub(crate) fn revoke(&mut self, token: &str) -> Result<(), ControlError> {
        if !self.tokens.contains_key(token) {
            return Err(ControlError::UnknownToken);
        }
        self.revoked.insert(token.to_owned());
        Ok(())
    }
}

/// Now, but strictly after `previous`, so that a change is always visible in the timestamp.
fn later_than(previous: i64) -> i64 {
    now_ms().max(previous + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_any_case() {
        assert_eq!("DEMO".parse::<TenantSize>(), Ok(TenantSize::Demo));
        assert_eq!("s".parse::<TenantSize>(), Ok(TenantSize::S));
        assert_eq!("L".parse::<TenantSize>(), Ok(TenantSize::L));
        assert!("XL".parse::<TenantSize>().is_err());
    }
}
