//! The sync's semantics as a pure model, and its guard.
//!
//! [`plan_sync`] says which rows a commit must change to turn the stored snapshot into the
//! fetched one, and [`groups_to_refetch`] which groups an incremental run re-reads. The Worker
//! implements the same rules set-based in SQL, in bounded steps, without ever holding a
//! snapshot in memory (`edge/src/adapters/d1/snapshot.rs`, DESIGN.md §3); this model is the
//! specification its property tests pin down, and the black-box API tests hold the Worker to
//! the same outcomes against the fake Okta's truth. [`guard_figures`] (what the Worker calls)
//! decides whether a run is held for a superAdmin. Depends only on the Okta models'
//! [`OktaUserStatus`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::okta::OktaUserStatus;

/// One Okta group as stored or as fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotGroup {
    /// The group id (`00g…`); also its key in [`Snapshot::groups`].
    pub id: String,
    /// The group's name in Okta.
    pub name: String,
    /// The group's description in Okta.
    pub description: Option<String>,
    /// Okta's `lastMembershipUpdated`: unchanged means the stored members are current.
    pub last_membership_updated: Option<String>,
    /// The ids of the group's members.
    pub members: BTreeSet<String>,
}

/// One Okta user (member of at least one snapshot group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotUser {
    /// The user id (`00u…`); also its key in [`Snapshot::users`].
    pub id: String,
    /// The primary email.
    pub email: Option<String>,
    /// The unique username.
    pub login: Option<String>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// The lifecycle status; only `ACTIVE` users get roles.
    pub status: OktaUserStatus,
}

/// Everything synced: groups by id, users by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The groups assigned to the app, by id.
    pub groups: BTreeMap<String, SnapshotGroup>,
    /// The members of those groups, by id.
    pub users: BTreeMap<String, SnapshotUser>,
}

impl Snapshot {
    /// How many (group, user) memberships the snapshot holds.
    pub fn membership_count(&self) -> usize {
        self.groups.values().map(|group| group.members.len()).sum()
    }

    /// The ids of every user who is a member of at least one group.
    pub fn member_ids(&self) -> BTreeSet<&str> {
        self.groups.values().flat_map(|group| group.members.iter().map(String::as_str)).collect()
    }

    /// Every membership as (group id, user id), sorted.
    pub fn memberships(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.groups.values().flat_map(|group| {
            group.members.iter().map(move |user| (group.id.as_str(), user.as_str()))
        })
    }
}

/// What a commit must write to turn `stored` into `fetched`, and nothing else.
///
/// Every list is sorted by id (memberships by group id, then user id), so equal inputs give
/// equal plans and the Worker's batches are deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncPlan {
    /// Groups newly assigned to the app; their members are in `memberships_added` too.
    pub groups_added: Vec<SnapshotGroup>,
    /// Groups whose name, description or `lastMembershipUpdated` changed; same id.
    pub groups_changed: Vec<GroupChange>,
    /// Ids of groups no longer assigned (or deleted); their members are in
    /// `memberships_removed` too.
    pub groups_removed: Vec<String>,
    /// (group id, user id) pairs to insert, sorted.
    pub memberships_added: Vec<(String, String)>,
    /// (group id, user id) pairs to delete, sorted.
    pub memberships_removed: Vec<(String, String)>,
    /// Users that are new or have any field changed (status included).
    pub users_upserted: Vec<SnapshotUser>,
    /// Ids of users who are in no group of the fetched snapshot anymore.
    pub users_removed: Vec<String>,
}

/// A group that stays assigned but whose profile or membership stamp changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupChange {
    /// The group id, which a rename keeps.
    pub id: String,
    /// The new name.
    pub name: String,
    /// The new description.
    pub description: Option<String>,
    /// The new `lastMembershipUpdated`.
    pub last_membership_updated: Option<String>,
    /// The name stored before, so a rename can be shown and audited.
    pub previous_name: String,
}

/// Counts for run records and the UI.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SyncCounts {
    /// Groups newly assigned to the app.
    pub groups_added: u32,
    /// Groups renamed, re-described or with a new membership stamp.
    pub groups_changed: u32,
    /// Groups no longer assigned.
    pub groups_removed: u32,
    /// Memberships inserted.
    pub memberships_added: u32,
    /// Memberships deleted.
    pub memberships_removed: u32,
    /// User rows written: upserted plus removed.
    pub users_changed: u32,
}

impl SyncPlan {
    /// The plan's counts, saturating at `u32::MAX`.
    pub fn counts(&self) -> SyncCounts {
        SyncCounts {
            groups_added: count(self.groups_added.len()),
            groups_changed: count(self.groups_changed.len()),
            groups_removed: count(self.groups_removed.len()),
            memberships_added: count(self.memberships_added.len()),
            memberships_removed: count(self.memberships_removed.len()),
            users_changed: count(
                self.users_upserted.len().saturating_add(self.users_removed.len()),
            ),
        }
    }

    /// Whether the plan writes nothing: an unchanged re-sync writes no rows.
    pub fn is_empty(&self) -> bool {
        self.groups_added.is_empty()
            && self.groups_changed.is_empty()
            && self.groups_removed.is_empty()
            && self.memberships_added.is_empty()
            && self.memberships_removed.is_empty()
            && self.users_upserted.is_empty()
            && self.users_removed.is_empty()
    }

    /// What the store holds after committing the plan on top of `stored`.
    ///
    /// Members come from the membership lists alone (an added group's own `members` are not
    /// read), just as the commit writes membership rows from them.
    pub fn apply(&self, stored: &Snapshot) -> Snapshot {
        let mut next = stored.clone();
        for id in &self.groups_removed {
            next.groups.remove(id);
        }
        for group in &self.groups_added {
            let group = SnapshotGroup { members: BTreeSet::new(), ..group.clone() };
            next.groups.insert(group.id.clone(), group);
        }
        for change in &self.groups_changed {
            if let Some(group) = next.groups.get_mut(&change.id) {
                group.name.clone_from(&change.name);
                group.description.clone_from(&change.description);
                group.last_membership_updated.clone_from(&change.last_membership_updated);
            }
        }
        for (group_id, user_id) in &self.memberships_removed {
            if let Some(group) = next.groups.get_mut(group_id) {
                group.members.remove(user_id);
            }
        }
        for (group_id, user_id) in &self.memberships_added {
            if let Some(group) = next.groups.get_mut(group_id) {
                group.members.insert(user_id.clone());
            }
        }
        for id in &self.users_removed {
            next.users.remove(id);
        }
        for user in &self.users_upserted {
            next.users.insert(user.id.clone(), user.clone());
        }
        next
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The diff between what D1 holds (`stored`) and what Okta says (`fetched`).
///
/// A user who is a member of a fetched group but absent from `fetched.users` keeps their stored
/// row: an incremental sync may not have re-read them. A user in `fetched.users` who is in no
/// fetched group is not written.
pub fn plan_sync(stored: &Snapshot, fetched: &Snapshot) -> SyncPlan {
    let mut plan = SyncPlan::default();
    for (id, group) in &fetched.groups {
        let Some(old) = stored.groups.get(id) else {
            plan.groups_added.push(group.clone());
            plan.memberships_added
                .extend(group.members.iter().map(|user| (id.clone(), user.clone())));
            continue;
        };
        if old.name != group.name
            || old.description != group.description
            || old.last_membership_updated != group.last_membership_updated
        {
            plan.groups_changed.push(GroupChange {
                id: id.clone(),
                name: group.name.clone(),
                description: group.description.clone(),
                last_membership_updated: group.last_membership_updated.clone(),
                previous_name: old.name.clone(),
            });
        }
        plan.memberships_added
            .extend(group.members.difference(&old.members).map(|user| (id.clone(), user.clone())));
        plan.memberships_removed
            .extend(old.members.difference(&group.members).map(|user| (id.clone(), user.clone())));
    }
    for (id, old) in &stored.groups {
        if !fetched.groups.contains_key(id) {
            plan.groups_removed.push(id.clone());
            plan.memberships_removed
                .extend(old.members.iter().map(|user| (id.clone(), user.clone())));
        }
    }
    plan.memberships_added.sort_unstable();
    plan.memberships_removed.sort_unstable();

    let members = fetched.member_ids();
    plan.users_upserted = fetched
        .users
        .iter()
        .filter(|(id, user)| members.contains(id.as_str()) && stored.users.get(*id) != Some(*user))
        .map(|(_, user)| user.clone())
        .collect();
    plan.users_removed =
        stored.users.keys().filter(|id| !members.contains(id.as_str())).cloned().collect();
    plan
}

/// Why a sync is held for a superAdmin instead of committed (DESIGN.md §3).
///
/// On the wire it is an object tagged by `reason` with the variant's fields beside it
/// (`{"reason": "removes_most_groups", "removed": 30, "stored": 50}`).
//
// It goes through the flat `GuardReasonWire` rather than serde's internally tagged enum: that one
// buffers the object into serde's `Content` to find the tag first, and its deserializer cost the
// SPA's wasm 4.6 KB brotli. Its schema is the internally tagged enum's all the same: that is the
// shape `GuardReasonWire` writes and reads (a variant's own fields required, others ignored),
// where `GuardReasonWire`'s own schema would make every field optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(!try_from, !into, tag = "reason", rename_all = "snake_case")
)]
#[serde(try_from = "GuardReasonWire", into = "GuardReasonWire")]
pub enum GuardReason {
    /// The run would remove every stored group: most likely the app lost its assignments.
    RemovesEveryGroup {
        /// How many groups are stored (all of which would go).
        groups: u32,
    },
    /// The run would remove more than half of the stored groups, but not all of them.
    RemovesMostGroups {
        /// Groups the run would remove.
        removed: u32,
        /// Groups stored before the run.
        stored: u32,
    },
    /// The run would remove more than half of the stored memberships.
    RemovesMostMemberships {
        /// Memberships the run would remove.
        removed: u32,
        /// Memberships stored before the run.
        stored: u32,
    },
}

/// The wire form of [`GuardReason`]: the tag and every variant's fields, those of the other
/// variants absent. Fields are in the order the tagged enum wrote them (tag first).
#[derive(Serialize, Deserialize)]
struct GuardReasonWire {
    reason: GuardKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    groups: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    removed: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stored: Option<u32>,
}

/// The `reason` tag of [`GuardReasonWire`].
#[derive(Clone, Copy, Serialize, Deserialize)]
#[expect(
    clippy::enum_variant_names,
    reason = "the names of GuardReason's variants, as on the wire"
)]
#[serde(rename_all = "snake_case")]
enum GuardKind {
    RemovesEveryGroup,
    RemovesMostGroups,
    RemovesMostMemberships,
}

impl From<GuardReason> for GuardReasonWire {
    fn from(reason: GuardReason) -> Self {
        let wire = |reason, groups, removed, stored| Self { reason, groups, removed, stored };
        match reason {
            GuardReason::RemovesEveryGroup { groups } => {
                wire(GuardKind::RemovesEveryGroup, Some(groups), None, None)
            }
            GuardReason::RemovesMostGroups { removed, stored } => {
                wire(GuardKind::RemovesMostGroups, None, Some(removed), Some(stored))
            }
            GuardReason::RemovesMostMemberships { removed, stored } => {
                wire(GuardKind::RemovesMostMemberships, None, Some(removed), Some(stored))
            }
        }
    }
}

impl TryFrom<GuardReasonWire> for GuardReason {
    type Error = &'static str;

    /// As the tagged enum did: a variant's own fields are required, other fields are ignored.
    fn try_from(wire: GuardReasonWire) -> Result<Self, Self::Error> {
        let GuardReasonWire { reason, groups, removed, stored } = wire;
        match (reason, groups, removed, stored) {
            (GuardKind::RemovesEveryGroup, Some(groups), _, _) => {
                Ok(Self::RemovesEveryGroup { groups })
            }
            (GuardKind::RemovesMostGroups, _, Some(removed), Some(stored)) => {
                Ok(Self::RemovesMostGroups { removed, stored })
            }
            (GuardKind::RemovesMostMemberships, _, Some(removed), Some(stored)) => {
                Ok(Self::RemovesMostMemberships { removed, stored })
            }
            (GuardKind::RemovesEveryGroup, ..) => Err("missing field `groups`"),
            _ => Err("missing field `removed` or `stored`"),
        }
    }
}

impl GuardReason {
    /// A sentence for people, e.g. "This sync would remove 30 of the 50 groups."
    pub fn describe(&self) -> String {
        match *self {
            Self::RemovesEveryGroup { groups: 1 } => {
                "This sync would remove the only group.".to_owned()
            }
            Self::RemovesEveryGroup { groups } => {
                format!("This sync would remove all {groups} groups.")
            }
            Self::RemovesMostGroups { removed, stored } => {
                format!("This sync would remove {removed} of the {stored} groups.")
            }
            Self::RemovesMostMemberships { removed, stored } => {
                format!("This sync would remove {removed} of the {stored} group memberships.")
            }
        }
    }
}

/// Whether a complete run's plan must be held for a superAdmin, and why: [`guard_figures`] on
/// the plan's removals.
pub fn guard(stored: &Snapshot, plan: &SyncPlan) -> Option<GuardReason> {
    guard_figures(&GuardFigures {
        stored_groups: stored.groups.len() as u64,
        removed_groups: plan.groups_removed.len() as u64,
        stored_memberships: stored.membership_count() as u64,
        removed_memberships: plan.memberships_removed.len() as u64,
    })
}

/// What the guard weighs: what is committed, and what a run would remove of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GuardFigures {
    /// Groups committed before the run.
    pub stored_groups: u64,
    /// Of those, groups the run would remove.
    pub removed_groups: u64,
    /// Memberships committed before the run.
    pub stored_memberships: u64,
    /// Of those, memberships the run would remove (those of removed groups included).
    pub removed_memberships: u64,
}

/// Whether a complete run must be held for a superAdmin, and why.
///
/// A complete run that would remove every group, or more than half of the groups or of the
/// memberships, is held. `None` when the run may commit without confirmation. Never holds when
/// no group is stored (the first sync). "More than half" is strict: removing exactly half
/// proceeds. Groups are checked before memberships.
pub fn guard_figures(figures: &GuardFigures) -> Option<GuardReason> {
    let GuardFigures { stored_groups, removed_groups, stored_memberships, removed_memberships } =
        *figures;
    if stored_groups == 0 {
        return None;
    }
    if removed_groups >= stored_groups {
        return Some(GuardReason::RemovesEveryGroup { groups: count64(stored_groups) });
    }
    if more_than_half(removed_groups, stored_groups) {
        return Some(GuardReason::RemovesMostGroups {
            removed: count64(removed_groups),
            stored: count64(stored_groups),
        });
    }
    if more_than_half(removed_memberships, stored_memberships) {
        return Some(GuardReason::RemovesMostMemberships {
            removed: count64(removed_memberships),
            stored: count64(stored_memberships),
        });
    }
    None
}

fn count64(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn more_than_half(part: u64, whole: u64) -> bool {
    // Halving instead of doubling cannot overflow; for integers the two agree.
    part > whole / 2
}

/// Which assigned groups an incremental sync must re-read the members of.
///
/// A group is re-read when it is new, when its `lastMembershipUpdated` differs from the stored
/// one (or either is missing), or always when `full` is true. Order follows `assigned`, whose
/// items are (group id, `lastMembershipUpdated`); an id listed twice is returned once.
pub fn groups_to_refetch(
    stored: &Snapshot,
    assigned: &[(String, Option<String>)],
    full: bool,
) -> Vec<String> {
    let mut seen = BTreeSet::new();
    assigned
        .iter()
        .filter(|(id, stamp)| {
            full || match (stored.groups.get(id).map(|g| &g.last_membership_updated), stamp) {
                (Some(Some(stored_stamp)), Some(stamp)) => stored_stamp != stamp,
                _ => true,
            }
        })
        .filter(|(id, _)| seen.insert(id.as_str()))
        .map(|(id, _)| id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn group(id: &str, name: &str, stamp: Option<&str>, members: &[&str]) -> SnapshotGroup {
        SnapshotGroup {
            id: id.to_owned(),
            name: name.to_owned(),
            description: None,
            last_membership_updated: stamp.map(str::to_owned),
            members: members.iter().map(|&m| m.to_owned()).collect(),
        }
    }

    fn user(id: &str, status: OktaUserStatus) -> SnapshotUser {
        SnapshotUser {
            id: id.to_owned(),
            email: Some(format!("{id}@example.com")),
            login: Some(format!("{id}@example.com")),
            first_name: Some("Ada".to_owned()),
            last_name: Some("Lovelace".to_owned()),
            status,
        }
    }

    /// A well-formed snapshot: the users are exactly the members, all ACTIVE.
    fn snapshot(groups: Vec<SnapshotGroup>) -> Snapshot {
        let mut snapshot = Snapshot {
            groups: groups.into_iter().map(|g| (g.id.clone(), g)).collect(),
            users: BTreeMap::new(),
        };
        let ids: Vec<String> = snapshot.member_ids().into_iter().map(str::to_owned).collect();
        for id in ids {
            snapshot.users.insert(id.clone(), user(&id, OktaUserStatus::Active));
        }
        snapshot
    }

    fn pair(group: &str, user: &str) -> (String, String) {
        (group.to_owned(), user.to_owned())
    }

    fn assigned(items: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
        items.iter().map(|(id, stamp)| ((*id).to_owned(), stamp.map(str::to_owned))).collect()
    }

    #[test]
    fn unchanged_resync_writes_no_rows() {
        let stored = snapshot(vec![
            group("g1", "Eng", Some("t1"), &["u1", "u2"]),
            group("g2", "Ops", None, &["u2"]),
        ]);
        let plan = plan_sync(&stored, &stored.clone());
        assert!(plan.is_empty(), "{plan:?}");
        assert_eq!(plan.counts(), SyncCounts::default());
        assert_eq!(guard(&stored, &plan), None);
    }

    #[test]
    fn new_group_is_added_with_its_memberships_and_users() {
        let stored = snapshot(vec![group("g1", "Eng", None, &["u1"])]);
        let fetched = snapshot(vec![
            group("g1", "Eng", None, &["u1"]),
            group("g2", "Ops", Some("t"), &["u1", "u2"]),
        ]);
        let plan = plan_sync(&stored, &fetched);
        assert_eq!(plan.groups_added, vec![fetched.groups["g2"].clone()]);
        assert_eq!(plan.memberships_added, vec![pair("g2", "u1"), pair("g2", "u2")]);
        assert_eq!(plan.users_upserted, vec![user("u2", OktaUserStatus::Active)]);
        assert!(plan.groups_changed.is_empty() && plan.groups_removed.is_empty());
        assert!(plan.memberships_removed.is_empty() && plan.users_removed.is_empty());
        assert_eq!(plan.apply(&stored), fetched);
    }

    #[test]
    fn unassigned_group_is_removed_with_its_memberships() {
        let stored = snapshot(vec![
            group("g1", "Eng", None, &["u1"]),
            group("g2", "Ops", None, &["u1", "u2"]),
        ]);
        let fetched = snapshot(vec![group("g1", "Eng", None, &["u1"])]);
        let plan = plan_sync(&stored, &fetched);
        assert_eq!(plan.groups_removed, vec!["g2".to_owned()]);
        assert_eq!(plan.memberships_removed, vec![pair("g2", "u1"), pair("g2", "u2")]);
        assert_eq!(plan.users_removed, vec!["u2".to_owned()], "u1 is still in g1");
        assert_eq!(plan.apply(&stored), fetched);
    }

    #[test]
    fn renamed_group_is_a_change_that_keeps_its_id() {
        let stored = snapshot(vec![group("g1", "Eng", Some("t1"), &["u1"])]);
        let fetched = snapshot(vec![group("g1", "Engineering", Some("t1"), &["u1"])]);
        let plan = plan_sync(&stored, &fetched);
        assert_eq!(
            plan.groups_changed,
            vec![GroupChange {
                id: "g1".to_owned(),
                name: "Engineering".to_owned(),
                description: None,
                last_membership_updated: Some("t1".to_owned()),
                previous_name: "Eng".to_owned(),
            }]
        );
        assert!(plan.groups_added.is_empty() && plan.groups_removed.is_empty());
        assert!(plan.memberships_added.is_empty() && plan.memberships_removed.is_empty());
        assert_eq!(plan.counts().groups_changed, 1);
        assert_eq!(plan.apply(&stored), fetched);
    }

    #[test]
    fn new_description_or_membership_stamp_is_a_change() {
        let stored = snapshot(vec![group("g1", "Eng", Some("t1"), &[])]);
        let mut described = stored.clone();
        described.groups.get_mut("g1").unwrap().description = Some("Builders".to_owned());
        let restamped = snapshot(vec![group("g1", "Eng", Some("t2"), &[])]);
        for fetched in [described, restamped] {
            let plan = plan_sync(&stored, &fetched);
            assert_eq!(plan.groups_changed.len(), 1, "{plan:?}");
            assert_eq!(plan.groups_changed[0].previous_name, "Eng");
            assert_eq!(plan.apply(&stored), fetched);
        }
    }

    #[test]
    fn memberships_are_added_and_removed_within_a_kept_group() {
        let stored = snapshot(vec![group("g1", "Eng", None, &["u1", "u2"])]);
        let fetched = snapshot(vec![group("g1", "Eng", None, &["u2", "u3"])]);
        let plan = plan_sync(&stored, &fetched);
        assert_eq!(plan.memberships_added, vec![pair("g1", "u3")]);
        assert_eq!(plan.memberships_removed, vec![pair("g1", "u1")]);
        assert!(plan.groups_changed.is_empty(), "same name, description and stamp");
        assert_eq!(plan.users_removed, vec!["u1".to_owned()]);
        assert_eq!(plan.users_upserted, vec![user("u3", OktaUserStatus::Active)]);
        assert_eq!(plan.apply(&stored), fetched);
    }

    #[test]
    fn user_whose_status_changed_is_upserted() {
        let stored = snapshot(vec![group("g1", "Eng", None, &["u1", "u2"])]);
        let mut fetched = stored.clone();
        fetched.users.insert("u1".to_owned(), user("u1", OktaUserStatus::Suspended));
        let plan = plan_sync(&stored, &fetched);
        assert_eq!(plan.users_upserted, vec![user("u1", OktaUserStatus::Suspended)]);
        assert!(plan.users_removed.is_empty() && plan.memberships_removed.is_empty());
        assert_eq!(plan.counts().users_changed, 1);
        assert_eq!(plan.apply(&stored), fetched);
    }

    #[test]
    fn user_whose_profile_changed_is_upserted() {
        let stored = snapshot(vec![group("g1", "Eng", None, &["u1"])]);
        let mut fetched = stored.clone();
        fetched.users.get_mut("u1").unwrap().email = Some("ada@example.org".to_owned());
        let plan = plan_sync(&stored, &fetched);
        assert_eq!(plan.users_upserted, vec![fetched.users["u1"].clone()]);
    }

    #[test]
    fn users_that_leave_every_group_are_removed() {
        let stored = snapshot(vec![
            group("g1", "Eng", None, &["u1", "u2"]),
            group("g2", "Ops", None, &["u2", "u3"]),
        ]);
        let fetched =
            snapshot(vec![group("g1", "Eng", None, &["u1"]), group("g2", "Ops", None, &["u1"])]);
        let plan = plan_sync(&stored, &fetched);
        assert_eq!(plan.users_removed, vec!["u2".to_owned(), "u3".to_owned()]);
        assert_eq!(plan.counts().users_changed, 2);
        assert_eq!(plan.apply(&stored), fetched);
    }

    #[test]
    fn member_missing_from_fetched_users_keeps_the_stored_row() {
        let stored = snapshot(vec![group("g1", "Eng", None, &["u1"])]);
        let mut fetched = stored.clone();
        fetched.users.clear();
        let plan = plan_sync(&stored, &fetched);
        assert!(plan.is_empty(), "{plan:?}");
    }

    #[test]
    fn counts_match_the_plan() {
        let stored = snapshot(vec![
            group("g1", "Eng", None, &["u1", "u2"]),
            group("g2", "Ops", None, &["u3"]),
        ]);
        let fetched = snapshot(vec![
            group("g1", "Engineering", None, &["u1"]),
            group("g3", "Sales", None, &["u4", "u5"]),
        ]);
        let counts = plan_sync(&stored, &fetched).counts();
        assert_eq!(
            counts,
            SyncCounts {
                groups_added: 1,
                groups_changed: 1,
                groups_removed: 1,
                memberships_added: 2,
                memberships_removed: 2,
                users_changed: 4,
            }
        );
        let json = serde_json::to_value(counts).unwrap();
        assert_eq!(json["memberships_removed"], 2);
    }

    #[test]
    fn first_sync_is_never_held() {
        let fetched = snapshot(vec![group("g1", "Eng", None, &["u1"])]);
        let stored = Snapshot::default();
        assert_eq!(guard(&stored, &plan_sync(&stored, &fetched)), None);
        assert_eq!(guard(&stored, &plan_sync(&stored, &Snapshot::default())), None);
    }

    #[test]
    fn removing_every_group_is_held() {
        let stored =
            snapshot(vec![group("g1", "Eng", None, &["u1"]), group("g2", "Ops", None, &[])]);
        let reason = guard(&stored, &plan_sync(&stored, &Snapshot::default()));
        assert_eq!(reason, Some(GuardReason::RemovesEveryGroup { groups: 2 }));
        assert_eq!(reason.unwrap().describe(), "This sync would remove all 2 groups.");

        let only = snapshot(vec![group("g1", "Eng", None, &[])]);
        let reason = guard(&only, &plan_sync(&only, &Snapshot::default()));
        assert_eq!(reason, Some(GuardReason::RemovesEveryGroup { groups: 1 }));
        assert_eq!(reason.unwrap().describe(), "This sync would remove the only group.");
    }

    #[test]
    fn removing_more_than_half_of_the_groups_is_held() {
        let stored = snapshot(vec![
            group("g1", "A", None, &[]),
            group("g2", "B", None, &[]),
            group("g3", "C", None, &["u1"]),
        ]);
        let fetched = snapshot(vec![group("g3", "C", None, &["u1"])]);
        let reason = guard(&stored, &plan_sync(&stored, &fetched));
        assert_eq!(reason, Some(GuardReason::RemovesMostGroups { removed: 2, stored: 3 }));
        assert_eq!(reason.unwrap().describe(), "This sync would remove 2 of the 3 groups.");
    }

    #[test]
    fn removing_exactly_half_proceeds() {
        let stored = snapshot(vec![
            group("g1", "A", None, &["u1"]),
            group("g2", "B", None, &["u2"]),
            group("g3", "C", None, &["u1"]),
            group("g4", "D", None, &["u2"]),
        ]);
        let fetched =
            snapshot(vec![group("g1", "A", None, &["u1"]), group("g2", "B", None, &["u2"])]);
        let plan = plan_sync(&stored, &fetched);
        assert_eq!((plan.groups_removed.len(), plan.memberships_removed.len()), (2, 2));
        assert_eq!(guard(&stored, &plan), None);
    }

    #[test]
    fn removing_more_than_half_of_the_memberships_is_held() {
        let stored = snapshot(vec![
            group("g1", "Eng", None, &["u1", "u2", "u3", "u4"]),
            group("g2", "Ops", None, &["u1"]),
        ]);
        let fetched =
            snapshot(vec![group("g1", "Eng", None, &["u1"]), group("g2", "Ops", None, &["u1"])]);
        let reason = guard(&stored, &plan_sync(&stored, &fetched));
        assert_eq!(reason, Some(GuardReason::RemovesMostMemberships { removed: 3, stored: 5 }));
        assert_eq!(
            reason.unwrap().describe(),
            "This sync would remove 3 of the 5 group memberships."
        );
    }

    /// The JSON the internally tagged enum (`#[serde(tag = "reason")]`) wrote before
    /// `GuardReasonWire`, byte for byte, and each value read back from it.
    #[test]
    fn guard_reason_keeps_the_tagged_json() {
        let cases = [
            (
                GuardReason::RemovesEveryGroup { groups: 7 },
                r#"{"reason":"removes_every_group","groups":7}"#,
            ),
            (
                GuardReason::RemovesMostGroups { removed: 30, stored: 50 },
                r#"{"reason":"removes_most_groups","removed":30,"stored":50}"#,
            ),
            (
                GuardReason::RemovesMostMemberships { removed: 3, stored: 5 },
                r#"{"reason":"removes_most_memberships","removed":3,"stored":5}"#,
            ),
        ];
        for (reason, json) in cases {
            assert_eq!(serde_json::to_string(&reason).unwrap(), json);
            assert_eq!(serde_json::from_str::<GuardReason>(json).unwrap(), reason);
        }
        // As before: other variants' fields and unknown ones are ignored, the fields in any
        // order; a missing field, a null, or an unknown reason is refused.
        let read = serde_json::from_str::<GuardReason>;
        assert_eq!(
            read(r#"{"stored":5,"groups":9,"reason":"removes_most_groups","removed":3,"x":1}"#)
                .unwrap(),
            GuardReason::RemovesMostGroups { removed: 3, stored: 5 }
        );
        assert!(read(r#"{"reason":"removes_every_group"}"#).is_err());
        assert!(read(r#"{"reason":"removes_every_group","groups":null}"#).is_err());
        assert!(read(r#"{"reason":"removes_most_memberships","removed":3}"#).is_err());
        assert!(read(r#"{"reason":"removes_some_groups","groups":3}"#).is_err());
        assert!(read(r#"{"groups":3}"#).is_err());
    }

    #[test]
    fn guard_reason_serializes_with_its_tag() {
        let json = serde_json::to_value(GuardReason::RemovesMostGroups { removed: 30, stored: 50 })
            .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"reason": "removes_most_groups", "removed": 30, "stored": 50})
        );
        let back: GuardReason = serde_json::from_value(json).unwrap();
        assert_eq!(back.describe(), "This sync would remove 30 of the 50 groups.");
    }

    #[test]
    fn refetch_reads_new_and_restamped_groups_only() {
        let stored =
            snapshot(vec![group("g1", "A", Some("t1"), &[]), group("g2", "B", Some("t2"), &[])]);
        let listed = assigned(&[("g3", Some("t3")), ("g2", Some("t2-new")), ("g1", Some("t1"))]);
        assert_eq!(groups_to_refetch(&stored, &listed, false), vec!["g3", "g2"]);
    }

    #[test]
    fn refetch_reads_groups_with_a_missing_stamp() {
        let stored = snapshot(vec![group("g1", "A", None, &[]), group("g2", "B", Some("t2"), &[])]);
        let listed = assigned(&[("g1", Some("t1")), ("g2", None)]);
        assert_eq!(groups_to_refetch(&stored, &listed, false), vec!["g1", "g2"]);
        let both_missing = assigned(&[("g1", None)]);
        assert_eq!(groups_to_refetch(&stored, &both_missing, false), vec!["g1"]);
    }

    #[test]
    fn full_refetch_reads_every_group_in_order() {
        let stored = snapshot(vec![group("g1", "A", Some("t1"), &[])]);
        let listed = assigned(&[("g2", Some("t")), ("g1", Some("t1"))]);
        assert_eq!(groups_to_refetch(&stored, &listed, true), vec!["g2", "g1"]);
        assert!(groups_to_refetch(&stored, &listed[1..], false).is_empty());
    }

    #[test]
    fn refetch_lists_a_repeated_group_once() {
        let listed = assigned(&[("g1", None), ("g1", None)]);
        assert_eq!(groups_to_refetch(&Snapshot::default(), &listed, false), vec!["g1"]);
    }

    // Property tests: small id alphabets so that before and after overlap often.

    const GROUP_IDS: [&str; 5] = ["g0", "g1", "g2", "g3", "g4"];
    const USER_IDS: [&str; 7] = ["u0", "u1", "u2", "u3", "u4", "u5", "u6"];
    const STATUSES: [OktaUserStatus; 3] =
        [OktaUserStatus::Active, OktaUserStatus::Suspended, OktaUserStatus::Deprovisioned];

    fn small_text() -> impl Strategy<Value = Option<String>> {
        prop::option::of(prop::sample::select(vec!["a", "b"]).prop_map(str::to_owned))
    }

    fn group_strategy()
    -> impl Strategy<Value = (String, Option<String>, Option<String>, BTreeSet<String>)> {
        (
            prop::sample::select(vec!["Eng", "Ops"]).prop_map(str::to_owned),
            small_text(),
            small_text(),
            prop::collection::btree_set(
                prop::sample::select(USER_IDS.to_vec()).prop_map(str::to_owned),
                0..5,
            ),
        )
    }

    fn user_strategy() -> impl Strategy<Value = (Option<String>, Option<String>, OktaUserStatus)> {
        (small_text(), small_text(), prop::sample::select(STATUSES.to_vec()))
    }

    /// A well-formed snapshot: its users are exactly the members of its groups.
    fn snapshot_strategy() -> impl Strategy<Value = Snapshot> {
        (
            prop::collection::btree_map(
                prop::sample::select(GROUP_IDS.to_vec()).prop_map(str::to_owned),
                group_strategy(),
                0..=GROUP_IDS.len(),
            ),
            prop::collection::vec(user_strategy(), USER_IDS.len()),
        )
            .prop_map(|(groups, users)| {
                let groups: BTreeMap<String, SnapshotGroup> = groups
                    .into_iter()
                    .map(|(id, (name, description, last_membership_updated, members))| {
                        let group = SnapshotGroup {
                            id: id.clone(),
                            name,
                            description,
                            last_membership_updated,
                            members,
                        };
                        (id, group)
                    })
                    .collect();
                let mut snapshot = Snapshot { groups, users: BTreeMap::new() };
                let members: BTreeSet<String> =
                    snapshot.member_ids().into_iter().map(str::to_owned).collect();
                for (id, (email, first_name, status)) in USER_IDS.iter().zip(users) {
                    if members.contains(*id) {
                        let user = SnapshotUser {
                            id: (*id).to_owned(),
                            login: email.clone(),
                            email,
                            first_name,
                            last_name: None,
                            status,
                        };
                        snapshot.users.insert(user.id.clone(), user);
                    }
                }
                snapshot
            })
    }

    fn membership_set(snapshot: &Snapshot) -> BTreeSet<(String, String)> {
        snapshot.memberships().map(|(g, u)| (g.to_owned(), u.to_owned())).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn committing_the_plan_yields_exactly_the_fetched_state(
            before in snapshot_strategy(),
            after in snapshot_strategy(),
        ) {
            let plan = plan_sync(&before, &after);
            prop_assert_eq!(plan.apply(&before), after);
        }

        #[test]
        fn an_unchanged_snapshot_plans_nothing(snapshot in snapshot_strategy()) {
            prop_assert!(plan_sync(&snapshot, &snapshot).is_empty());
        }

        #[test]
        fn the_plan_touches_only_what_differs(
            before in snapshot_strategy(),
            after in snapshot_strategy(),
        ) {
            let plan = plan_sync(&before, &after);
            let (old, new) = (membership_set(&before), membership_set(&after));
            for membership in &plan.memberships_added {
                prop_assert!(new.contains(membership) && !old.contains(membership));
            }
            for membership in &plan.memberships_removed {
                prop_assert!(old.contains(membership) && !new.contains(membership));
            }
            prop_assert_eq!(plan.memberships_added.len(), new.difference(&old).count());
            prop_assert_eq!(plan.memberships_removed.len(), old.difference(&new).count());
            prop_assert!(plan.memberships_added.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(plan.memberships_removed.windows(2).all(|w| w[0] < w[1]));
            for group in &plan.groups_added {
                prop_assert!(!before.groups.contains_key(&group.id));
            }
            for id in &plan.groups_removed {
                prop_assert!(!after.groups.contains_key(id));
            }
            for change in &plan.groups_changed {
                let (old, new) = (&before.groups[&change.id], &after.groups[&change.id]);
                prop_assert!(
                    old.name != new.name
                        || old.description != new.description
                        || old.last_membership_updated != new.last_membership_updated
                );
            }
            for user in &plan.users_upserted {
                prop_assert_ne!(before.users.get(&user.id), Some(user));
            }
            for id in &plan.users_removed {
                prop_assert!(!after.users.contains_key(id));
            }
        }

        #[test]
        fn the_guard_fires_exactly_when_the_rule_says(
            before in snapshot_strategy(),
            after in snapshot_strategy(),
        ) {
            let stored_groups = before.groups.len() as u32;
            let removed_groups =
                before.groups.keys().filter(|id| !after.groups.contains_key(*id)).count() as u32;
            let (old, new) = (membership_set(&before), membership_set(&after));
            let stored_memberships = old.len() as u32;
            let removed_memberships = old.difference(&new).count() as u32;
            let expected = if stored_groups == 0 {
                None
            } else if removed_groups == stored_groups {
                Some(GuardReason::RemovesEveryGroup { groups: stored_groups })
            } else if 2 * removed_groups > stored_groups {
                Some(GuardReason::RemovesMostGroups { removed: removed_groups, stored: stored_groups })
            } else if 2 * removed_memberships > stored_memberships {
                Some(GuardReason::RemovesMostMemberships {
                    removed: removed_memberships,
                    stored: stored_memberships,
                })
            } else {
                None
            };
            prop_assert_eq!(guard(&before, &plan_sync(&before, &after)), expected);
        }
    }
}
