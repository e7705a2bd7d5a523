//! A sync run, one unit of work at a time, so that the coordinator can spread a large run over
//! many invocations (alarms) within the Workers limits.
//!
//! Phases: read the app's group assignments page by page; for incremental runs, read the users
//! whose status is not active; read the members of the groups that need it, a batch at a time;
//! then plan against what D1 holds and commit in one batch, hold for confirmation, or (dry run)
//! only record the diff. Everything read is staged in D1 under the run id, so a restarted
//! invocation resumes where the last one stopped, and a failed run commits nothing.

use std::collections::{BTreeMap, BTreeSet};

use groupsync_core::api::{DiffGroup, SyncDiff, SyncProgress};
use groupsync_core::domain::{
    AppId, GuardReason, Snapshot, SnapshotGroup, SnapshotUser, SyncPlan, groups_to_refetch, guard,
    plan_sync,
};
use groupsync_core::okta::{OktaError, OktaGroupAssignment, OktaUser, OktaUserStatus};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::adapters::d1::{AuditRecord, RunEnd, Store};
use crate::error::StoreError;
use crate::okta_target::Client;
use crate::service::access::Actor;

/// Groups whose members one unit reads (concurrently, 6 requests at a time).
const MEMBER_BATCH: usize = 24;
/// Groups named per kind in a diff.
const DIFF_SAMPLE: usize = 25;

/// A run's state between invocations (Durable Object storage).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RunState {
    pub(crate) id: String,
    pub(crate) dry_run: bool,
    pub(crate) full: bool,
    pub(crate) actor: String,
    pub(crate) phase: Phase,
    pub(crate) progress: SyncProgress,
    pub(crate) requests: u64,
    pub(crate) waits: u64,
    /// Whether the run's row is in D1 yet (joiners wait for it, so that they can read it).
    #[serde(default)]
    pub(crate) recorded: bool,
}

/// Where a run is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Phase {
    /// Reading the app's groups; the next page, if not the first.
    Groups { next: Option<String> },
    /// Reading the non-active users (incremental runs).
    Statuses { next: Option<String> },
    /// Reading members of these groups.
    Members { pending: Vec<String> },
    /// Everything read: plan and commit.
    Plan,
    /// Held by the guard for a superAdmin.
    Held,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SyncError {
    /// Okta failed (after the client's retries).
    #[error("{0}")]
    Okta(#[from] OktaError),
    /// D1 failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Okta answered something the sync cannot use.
    #[error("{0}")]
    Unusable(String),
}

/// How a finished run ended.
#[derive(Debug)]
pub(crate) enum Ending {
    /// Committed, or diffed for a dry run.
    Done,
    /// Held for confirmation.
    Held,
}

impl RunState {
    /// A new run.
    pub(crate) fn new(id: String, dry_run: bool, full: bool, actor: String) -> Self {
        Self {
            id,
            dry_run,
            full,
            actor,
            phase: Phase::Groups { next: None },
            progress: SyncProgress::default(),
            requests: 0,
            waits: 0,
            recorded: false,
        }
    }

    /// The progress as stored in the run's row.
    pub(crate) fn progress_json(&self) -> Value {
        serde_json::to_value(self.progress).unwrap_or(Value::Null)
    }

    /// Does one unit of reading (one page, or one batch of groups' members).
    pub(crate) async fn advance(
        &mut self,
        store: &Store,
        client: &Client,
        app_id: &AppId,
    ) -> Result<(), SyncError> {
        let before = client.stats();
        match self.phase.clone() {
            Phase::Groups { next } => {
                let page = match next {
                    Some(url) => client.resume_page(&url)?,
                    None => client.app_groups_first_page(app_id.as_str())?,
                };
                let page = client.fetch_page::<OktaGroupAssignment>(&page, "app").await?;
                let rows = page.items.iter().map(staged_group).collect::<Result<Vec<_>, _>>()?;
                store.stage(&self.id, "group", &rows).await?;
                self.progress.group_pages += 1;
                self.progress.groups_found += u32::try_from(rows.len()).unwrap_or(u32::MAX);
                self.phase = match page.next {
                    Some(next) => Phase::Groups { next: Some(next.as_str().to_owned()) },
                    // A full run, or the first one, reads every member with their status.
                    None if self.full || store.okta_group_count().await? == 0 => {
                        self.members_phase(store).await?
                    }
                    None => Phase::Statuses { next: None },
                };
            }
            Phase::Statuses { next } => {
                let page = match next {
                    Some(url) => client.resume_page(&url)?,
                    None => client.inactive_users_first_page(),
                };
                let page = client.fetch_page::<OktaUser>(&page, "user").await?;
                let rows: Vec<(String, String)> = page
                    .items
                    .iter()
                    .map(|u| (u.id.clone(), u.status.as_str().to_owned()))
                    .collect();
                store.stage(&self.id, "status", &rows).await?;
                self.progress.status_pages += 1;
                self.phase = match page.next {
                    Some(next) => Phase::Statuses { next: Some(next.as_str().to_owned()) },
                    None => self.members_phase(store).await?,
                };
            }
            Phase::Members { mut pending } => {
                let batch: Vec<String> = pending.drain(..pending.len().min(MEMBER_BATCH)).collect();
                let members = client.list_members_of_groups(&batch).await?;
                let rows: Vec<(String, String)> = batch
                    .iter()
                    .zip(&members)
                    .map(|(group, users)| {
                        (
                            group.clone(),
                            json!(users.iter().map(user_json).collect::<Vec<_>>()).to_string(),
                        )
                    })
                    .collect();
                store.stage(&self.id, "members", &rows).await?;
                self.progress.member_groups_read += u32::try_from(batch.len()).unwrap_or(u32::MAX);
                self.phase =
                    if pending.is_empty() { Phase::Plan } else { Phase::Members { pending } };
            }
            Phase::Plan | Phase::Held => {}
        }
        let after = client.stats();
        self.requests += after.requests - before.requests;
        self.waits += after.rate_limit_waits - before.rate_limit_waits;
        Ok(())
    }

    /// Enters the members phase: the groups whose members must be read.
    async fn members_phase(&mut self, store: &Store) -> Result<Phase, SyncError> {
        let stored = store.stored_groups().await?;
        let assigned: Vec<(String, Option<String>)> = staged_groups(store, &self.id)
            .await?
            .into_values()
            .map(|g| (g.id, g.last_membership_updated))
            .collect();
        let pending = groups_to_refetch(&stored, &assigned, self.full);
        self.progress.member_groups_total = u32::try_from(pending.len()).unwrap_or(u32::MAX);
        Ok(if pending.is_empty() { Phase::Plan } else { Phase::Members { pending } })
    }

    /// Plans against D1 and ends the run: commit, hold, or (dry run) record the diff.
    /// `confirmed` skips the guard (a superAdmin confirmed a held run).
    pub(crate) async fn finish(
        &mut self,
        store: &Store,
        confirmed: bool,
        now: &str,
    ) -> Result<Ending, SyncError> {
        let stored = store.stored_snapshot().await?;
        let fetched = self.fetched_snapshot(store, &stored).await?;
        let plan = plan_sync(&stored, &fetched);
        let counts = serde_json::to_value(plan.counts()).unwrap_or(Value::Null);
        let diff = serde_json::to_value(diff_of(&plan, &stored)).unwrap_or(Value::Null);
        let progress = self.progress_json();
        let actor = Actor {
            name: self.actor.clone(),
            kind: if self.actor == "system" { "system" } else { "person" },
        };
        let held: Option<GuardReason> =
            if confirmed || self.dry_run { None } else { guard(&stored, &plan) };
        let end = RunEnd {
            counts: Some(&counts),
            error: None,
            diff: Some(&diff),
            held_reason: None,
            progress: &progress,
            requests: self.requests,
            waits: self.waits,
        };
        if self.dry_run {
            store.finish_run(&self.id, "succeeded", &end, None, now).await?;
            return Ok(Ending::Done);
        }
        if let Some(reason) = held {
            let reason = serde_json::to_value(&reason).unwrap_or(Value::Null);
            store.hold_run(&self.id, &RunEnd { held_reason: Some(&reason), ..end }).await?;
            self.phase = Phase::Held;
            return Ok(Ending::Held);
        }
        let action = if confirmed { "sync.confirmed" } else { "sync.committed" };
        let audit = AuditRecord {
            actor: &actor,
            action,
            target: Some(self.id.clone()),
            before: None,
            after: Some(counts.clone()),
        };
        store.commit_plan(&self.id, &plan, &RunEnd { diff: None, ..end }, &audit, now).await?;
        Ok(Ending::Done)
    }

    /// What Okta says now: the staged groups; for each, the staged members, or the stored ones
    /// when the group was not re-read; users with the statuses read in this run.
    async fn fetched_snapshot(
        &self,
        store: &Store,
        stored: &Snapshot,
    ) -> Result<Snapshot, SyncError> {
        let mut snapshot =
            Snapshot { groups: staged_groups(store, &self.id).await?, users: BTreeMap::new() };
        let statuses: BTreeMap<String, OktaUserStatus> = store
            .staged(&self.id, "status")
            .await?
            .into_iter()
            .map(|row| (row.key, OktaUserStatus::parse(&row.payload)))
            .collect();
        let mut reread = BTreeSet::new();
        for row in store.staged(&self.id, "members").await? {
            let users: Vec<SnapshotUser> = serde_json::from_str::<Vec<StagedUser>>(&row.payload)
                .map_err(|e| SyncError::Unusable(format!("staged members of {}: {e}", row.key)))?
                .into_iter()
                .map(StagedUser::into_snapshot)
                .collect();
            if let Some(group) = snapshot.groups.get_mut(&row.key) {
                group.members = users.iter().map(|u| u.id.clone()).collect();
                reread.insert(row.key.clone());
            }
            for user in users {
                snapshot.users.insert(user.id.clone(), user);
            }
        }
        for group in snapshot.groups.values_mut().filter(|g| !reread.contains(&g.id)) {
            if let Some(kept) = stored.groups.get(&group.id) {
                group.members = kept.members.clone();
            }
        }
        let referenced: BTreeSet<String> =
            snapshot.groups.values().flat_map(|g| g.members.iter().cloned()).collect();
        for id in referenced {
            if snapshot.users.contains_key(&id) {
                continue;
            }
            if let Some(user) = stored.users.get(&id) {
                let mut user = user.clone();
                // Incremental runs read every non-active user: anyone not among them is active.
                if !self.full {
                    user.status = statuses.get(&id).copied().unwrap_or(OktaUserStatus::Active);
                }
                snapshot.users.insert(id, user);
            }
        }
        Ok(snapshot)
    }
}

#[derive(Deserialize)]
struct StagedUser {
    id: String,
    email: Option<String>,
    login: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    status: String,
}

impl StagedUser {
    fn into_snapshot(self) -> SnapshotUser {
        SnapshotUser {
            status: OktaUserStatus::parse(&self.status),
            id: self.id,
            email: self.email.map(|e| e.to_lowercase()),
            login: self.login,
            first_name: self.first_name,
            last_name: self.last_name,
        }
    }
}

fn user_json(user: &OktaUser) -> Value {
    json!({ "id": user.id, "email": user.profile.email, "login": user.profile.login,
            "first_name": user.profile.first_name, "last_name": user.profile.last_name, "status": user.status.as_str() })
}

fn staged_group(assignment: &OktaGroupAssignment) -> Result<(String, String), SyncError> {
    let group = assignment.group().ok_or_else(|| {
        SyncError::Unusable(format!(
            "Okta sent the assignment of group {} without the group",
            assignment.id
        ))
    })?;
    let payload = json!({
        "id": group.id,
        "name": group.profile.name.clone().unwrap_or_else(|| group.id.clone()),
        "description": group.profile.description,
        "lmu": group.last_membership_updated,
    });
    Ok((group.id.clone(), payload.to_string()))
}

async fn staged_groups(
    store: &Store,
    run_id: &str,
) -> Result<BTreeMap<String, SnapshotGroup>, SyncError> {
    #[derive(Deserialize)]
    struct Staged {
        id: String,
        name: String,
        description: Option<String>,
        lmu: Option<String>,
    }
    let mut groups = BTreeMap::new();
    for row in store.staged(run_id, "group").await? {
        let g: Staged = serde_json::from_str(&row.payload)
            .map_err(|e| SyncError::Unusable(format!("staged group {}: {e}", row.key)))?;
        groups.insert(
            g.id.clone(),
            SnapshotGroup {
                id: g.id,
                name: g.name,
                description: g.description,
                last_membership_updated: g.lmu,
                members: BTreeSet::new(),
            },
        );
    }
    Ok(groups)
}

fn diff_of(plan: &SyncPlan, stored: &Snapshot) -> SyncDiff {
    SyncDiff {
        groups_added: plan
            .groups_added
            .iter()
            .take(DIFF_SAMPLE)
            .map(|g| DiffGroup { id: g.id.clone(), name: g.name.clone(), previous_name: None })
            .collect(),
        groups_changed: plan
            .groups_changed
            .iter()
            .take(DIFF_SAMPLE)
            .map(|g| DiffGroup {
                id: g.id.clone(),
                name: g.name.clone(),
                previous_name: Some(g.previous_name.clone()),
            })
            .collect(),
        groups_removed: plan
            .groups_removed
            .iter()
            .take(DIFF_SAMPLE)
            .map(|id| DiffGroup {
                id: id.clone(),
                name: stored.groups.get(id).map(|g| g.name.clone()).unwrap_or_default(),
                previous_name: None,
            })
            .collect(),
    }
}
