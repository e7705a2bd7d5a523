//! A sync run, one bounded unit of work at a time, so that the coordinator can spread a run of
//! any size over many invocations (alarms) within the Workers and D1 limits.
//!
//! Phases: tidy what earlier runs left; read the app's group assignments page by page; for
//! incremental runs, read the users whose status is not active; read the members of the groups
//! that need it, one page per group at a time; write what changed as the next generation in
//! bounded steps; then decide: switch (commit), hold for a superAdmin, or (dry run) record the
//! diff. Everything read is staged in D1 under the run id and every step is resumable, so a
//! restarted invocation repeats at most one unit, and a run that does not switch changes
//! nothing readers see.

use std::cell::RefCell;
use std::collections::VecDeque;

use futures_channel::mpsc;
use futures_util::future::{try_join, try_join_all};
use futures_util::{SinkExt, StreamExt};
use groupsync_core::api::{
    SyncCommittedData, SyncFailure, SyncPhase, SyncProgress, SyncState, WebhookEvent,
    WebhookEventType,
};
use groupsync_core::domain::{AppId, GuardFigures, GuardReason, guard_figures};
use groupsync_core::okta::{OktaError, OktaErrorKind, OktaGroupAssignment, OktaUser};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::adapters::d1::limits::QUERY_BUDGET;
use crate::adapters::d1::{
    GroupChanges, GroupToRead, Key, MemberPage, MembershipDelta, RunEnd, StagedGroup, StagedUser,
    Store, WebhookCommit, WriteStep, diff_json,
};
use crate::error::StoreError;
use crate::okta_target::Client;
use crate::service::access::Actor;
use crate::service::ports::AuditRecord;
use crate::service::webhooks::{PEOPLE_PER_EVENT, access_change, access_changed_body, event_id};

/// Groups read at once: the Workers limit of 6 connections in flight.
const MEMBER_SLOTS: usize = 6;
/// Groups one unit of member reading takes on (a unit may not finish them all): more than six
/// slots read in a unit when groups are one page each, so that no slot runs out of groups while
/// another still reads a large one.
const GROUPS_PER_UNIT: usize = 600;
/// How long one unit reads members before the coordinator records progress and saves state.
const UNIT_READING_MS: f64 = 5_000.0;
/// Members the stager gathers (from one group or several) before it stages them with each
/// group's next link: few D1 statements, each value well under D1's 1 MB, and a restart
/// re-reads little.
const MEMBERS_PER_STAGING: usize = 1_000;
/// Users named by Okta's events that one unit reads by id.
const HINTED_USERS_PER_UNIT: u32 = 60;
/// D1 statements one staging of members costs.
const STATEMENTS_PER_STAGING: u32 = 3;

/// A run's state between invocations (Durable Object storage). Small whatever the tenant's
/// size: where the run is, and counters.
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
    /// The generation the run writes ahead (the committed one + 1), once it writes.
    #[serde(default)]
    pub(crate) generation: i64,
    /// What the write steps changed so far.
    #[serde(default)]
    pub(crate) tally: Tally,
}

/// Memberships and users the write steps changed, and the rows they wrote.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub(crate) struct Tally {
    pub(crate) memberships_added: u64,
    pub(crate) memberships_removed: u64,
    pub(crate) users_changed: u64,
    pub(crate) rows_written: u64,
}

/// Where a run is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Phase {
    /// Deleting, in bounded pieces, what earlier runs left behind.
    Tidy,
    /// Reading the app's groups; the next page, if not the first.
    Groups { next: Option<String> },
    /// Reading the non-active users (incremental runs).
    Statuses { next: Option<String> },
    /// Reading by id the users Okta's events named (incremental runs), after this id: the
    /// user search of `Statuses` is eventually consistent, a read by id is not.
    HintedUsers { after: String },
    /// Reading the members of the groups marked in D1, a page per group at a time.
    Members,
    /// Writing what changed as the next generation: the step, and the key it reached.
    Write { step: WriteStep, after: Key },
    /// Staging the `access.changed` events of the people whose roles the written generation
    /// changes, a page of user ids at a time, after this id (only while an endpoint receives
    /// them): released by the switch, tidied if the run never commits.
    Announce { after: String },
    /// Everything written ahead: switch, hold or record.
    Decide,
    /// Held by the guard for a superAdmin.
    Held,
    /// Over; what it left is being tidied before the coordinator forgets it.
    Ended,
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
    /// The Okta settings are missing or unusable (the sentence says which).
    #[error("{0}")]
    NotConfigured(String),
    /// The token may not be used, for a reason with a code of its own (a stored token sealed
    /// with a key the Worker no longer has, a deployment token and another tenant).
    #[error("{1}")]
    TokenRefused(SyncFailure, String),
}

/// How a decided run ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Committed, found nothing to change, or diffed for a dry run.
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
            phase: Phase::Tidy,
            progress: SyncProgress::default(),
            requests: 0,
            waits: 0,
            recorded: false,
            generation: 0,
            tally: Tally::default(),
        }
    }

    /// The progress as stored in the run's row, with the phase the run is in.
    pub(crate) fn progress_json(&self) -> Value {
        let phase = match &self.phase {
            Phase::Tidy => SyncPhase::Tidying,
            Phase::Groups { .. } => SyncPhase::ReadingGroups,
            Phase::Statuses { .. } | Phase::HintedUsers { .. } => SyncPhase::ReadingStatuses,
            Phase::Members => SyncPhase::ReadingMembers,
            Phase::Write {
                step: WriteStep::MembershipsAdded | WriteStep::MembershipsRemoved,
                ..
            } => SyncPhase::WritingMemberships,
            Phase::Write { .. } => SyncPhase::WritingUsers,
            Phase::Announce { .. } | Phase::Decide | Phase::Held | Phase::Ended => {
                SyncPhase::Switching
            }
        };
        serde_json::to_value(SyncProgress { phase, ..self.progress }).unwrap_or(Value::Null)
    }

    /// Whether the next unit needs Okta (the coordinator then loads the settings and a client).
    pub(crate) fn reads_okta(&self) -> bool {
        matches!(
            self.phase,
            Phase::Groups { .. }
                | Phase::Statuses { .. }
                | Phase::HintedUsers { .. }
                | Phase::Members
        )
    }

    /// Does one unit of work: a piece of tidying, one page of groups or statuses, a few seconds
    /// of reading members, or one piece of a write step. `okta` is needed only when
    /// [`Self::reads_okta`].
    pub(crate) async fn advance(
        &mut self,
        store: &Store,
        okta: Option<(&Client, &AppId)>,
    ) -> Result<(), SyncError> {
        let before = okta.map(|(client, _)| client.stats());
        match (self.phase.clone(), okta) {
            (Phase::Tidy, _) => {
                if !store.tidy_step().await? {
                    self.phase = Phase::Groups { next: None };
                }
            }
            (Phase::Groups { next }, Some((client, app_id))) => {
                let page = match next {
                    Some(url) => client.resume_page(&url)?,
                    None => client.app_groups_first_page(app_id.as_str())?,
                };
                let page = client.fetch_page::<OktaGroupAssignment>(&page, "app").await?;
                let groups = page.items.iter().map(staged_group).collect::<Result<Vec<_>, _>>()?;
                store.stage_groups(&self.id, self.progress.groups_found, &groups).await?;
                self.progress.group_pages += 1;
                self.progress.groups_found += count(groups.len());
                self.phase = match page.next {
                    Some(next) => Phase::Groups { next: Some(next.as_str().to_owned()) },
                    // A full run, or the first one, reads every member with their status.
                    None if self.full => self.members_phase(store).await?,
                    None if store.okta_group_count().await? == 0 => {
                        self.full = true;
                        store.mark_run_full(&self.id).await?;
                        self.members_phase(store).await?
                    }
                    None => Phase::Statuses { next: None },
                };
            }
            (Phase::Statuses { next }, Some((client, _))) => {
                let page = match next {
                    Some(url) => client.resume_page(&url)?,
                    None => client.inactive_users_first_page(),
                };
                let page = client.fetch_page::<OktaUser>(&page, "user").await?;
                let statuses: Vec<(String, String)> = page
                    .items
                    .iter()
                    .map(|u| (u.id.clone(), u.status.as_str().to_owned()))
                    .collect();
                store.stage_statuses(&self.id, &statuses).await?;
                self.progress.status_pages += 1;
                self.phase = match page.next {
                    Some(next) => Phase::Statuses { next: Some(next.as_str().to_owned()) },
                    None => Phase::HintedUsers { after: String::new() },
                };
            }
            (Phase::HintedUsers { after }, Some((client, _))) => {
                let ids = store.hinted_users(&after, HINTED_USERS_PER_UNIT).await?;
                let Some(last) = ids.last().cloned() else {
                    self.phase = self.members_phase(store).await?;
                    return Ok(());
                };
                let statuses = read_user_statuses(client, &ids).await?;
                store.stage_statuses(&self.id, &statuses).await?;
                self.phase = Phase::HintedUsers { after: last };
            }
            (Phase::Members, Some((client, _))) => self.read_member_pages(store, client).await?,
            (Phase::Write { step, after }, _) => self.write(store, step, &after).await?,
            (Phase::Announce { after }, _) => self.announce(store, &after).await?,
            (
                Phase::Groups { .. }
                | Phase::Statuses { .. }
                | Phase::HintedUsers { .. }
                | Phase::Members,
                None,
            ) => {
                return Err(SyncError::Unusable("reading Okta without a client".into()));
            }
            (Phase::Decide | Phase::Held | Phase::Ended, _) => {}
        }
        if let (Some(before), Some((client, _))) = (before, okta) {
            let after = client.stats();
            self.requests += after.requests - before.requests;
            self.waits += after.rate_limit_waits - before.rate_limit_waits;
        }
        Ok(())
    }

    /// Enters the members phase: marks the groups whose members must be read.
    async fn members_phase(&mut self, store: &Store) -> Result<Phase, SyncError> {
        self.progress.member_groups_total = store.mark_groups_to_read(&self.id, self.full).await?;
        Ok(Phase::Members)
    }

    /// Reads members for a few seconds. Six slots each take a group from the queue and read its
    /// pages one after another; one stager writes what they read to D1 (with each group's next
    /// link) about every thousand members. A slot never waits for D1, so a large group's pages,
    /// which can only be read in sequence, follow each other at Okta's pace. A group left
    /// half-read resumes from its staged next link in the next unit.
    async fn read_member_pages(&mut self, store: &Store, client: &Client) -> Result<(), SyncError> {
        let groups = store.groups_to_read(&self.id, GROUPS_PER_UNIT).await?;
        if groups.is_empty() {
            return self.start_writing(store).await;
        }
        let taken = count(groups.len());
        let queue = RefCell::new(VecDeque::from(groups));
        let started = js_sys::Date::now();
        // Stop in time, and before the stager's statements could pass the invocation's budget.
        let in_time = || {
            js_sys::Date::now() - started < UNIT_READING_MS
                && store.queries_sent() + 2 * STATEMENTS_PER_STAGING < QUERY_BUDGET
        };
        // Bounded: when D1 falls behind, the slots wait instead of holding pages in memory.
        let (pages, read) = mpsc::channel::<MemberPage>(MEMBER_SLOTS);
        let slot = |mut pages: mpsc::Sender<MemberPage>| {
            let (queue, in_time) = (&queue, &in_time);
            async move {
                while in_time() {
                    let Some(mut group) = queue.borrow_mut().pop_front() else { break };
                    loop {
                        let page = read_member_page(client, &group).await?;
                        let next = page.next.clone();
                        // The stager is gone only when it failed, and its error ends the unit.
                        if pages.send(page).await.is_err() {
                            return Ok(());
                        }
                        let Some(next) = next else { break };
                        group.next_page = Some(next);
                        if !in_time() {
                            break;
                        }
                    }
                }
                Ok::<_, SyncError>(())
            }
        };
        let slots = try_join_all((0..MEMBER_SLOTS).map(|_| slot(pages.clone())));
        drop(pages);
        let (_, finished) = try_join(slots, stage_member_pages(store, &self.id, read)).await?;
        self.progress.member_groups_read += finished;
        // Every group there was to read is read: write now, without asking D1 for more.
        if taken < count(GROUPS_PER_UNIT) && finished == taken {
            return self.start_writing(store).await;
        }
        Ok(())
    }

    /// Ends the reading: the write steps write the next generation.
    async fn start_writing(&mut self, store: &Store) -> Result<(), SyncError> {
        self.generation = store.committed_generation().await? + 1;
        self.phase = Phase::Write { step: WriteStep::MembershipsAdded, after: Key::default() };
        Ok(())
    }

    /// Writes one piece of a write step and moves on.
    async fn write(
        &mut self,
        store: &Store,
        step: WriteStep,
        after: &Key,
    ) -> Result<(), SyncError> {
        // Users leave the snapshot only when they lose a membership: skip the scan otherwise.
        let skip = match step {
            WriteStep::StatusesRead | WriteStep::UsersActivated => self.full,
            WriteStep::UsersUnreferenced if *after == Key::default() => {
                self.tally.memberships_removed == 0 && !self.removes_groups(store).await?
            }
            _ => false,
        };
        let next = if skip {
            None
        } else {
            let piece = store.write_step(&self.id, step, self.generation, after).await?;
            match step {
                WriteStep::MembershipsAdded => self.tally.memberships_added += piece.changed,
                WriteStep::MembershipsRemoved => self.tally.memberships_removed += piece.changed,
                _ => self.tally.users_changed += piece.changed,
            }
            self.tally.rows_written += piece.rows_written;
            piece.next
        };
        self.phase = match (next, step.next()) {
            (Some(after), _) => Phase::Write { step, after },
            (None, Some(step)) => Phase::Write { step, after: Key::default() },
            (None, None) if self.announces(store).await? => {
                Phase::Announce { after: String::new() }
            }
            (None, None) => Phase::Decide,
        };
        Ok(())
    }

    /// Whether the run stages `access.changed` events: it may commit, and an endpoint receives
    /// them.
    async fn announces(&self, store: &Store) -> Result<bool, SyncError> {
        Ok(!self.dry_run && store.has_webhook_subscriber(WebhookEventType::AccessChanged).await?)
    }

    /// Stages the `access.changed` event of one page of the people the written generation
    /// changes (those whose roles it leaves as they were are not named), and moves on.
    async fn announce(&mut self, store: &Store, after: &str) -> Result<(), SyncError> {
        let limit = u32::try_from(PEOPLE_PER_EVENT).unwrap_or(u32::MAX);
        let (people, last) =
            store.access_change_page(&self.id, self.generation, after, limit).await?;
        let changes: Vec<_> = people.iter().filter_map(access_change).collect();
        if !changes.is_empty() {
            let now = now_iso();
            let payload = access_changed_body(Some(&self.id), changes, &now)
                .map_err(|e| SyncError::Unusable(e.to_string()))?;
            store
                .stage_webhook_event(
                    &self.id,
                    &event_id(&[&self.id, "access.changed", after]),
                    WebhookEventType::AccessChanged,
                    &payload,
                    &now,
                )
                .await?;
        }
        self.phase = match last {
            Some(after) if people.len() >= PEOPLE_PER_EVENT => Phase::Announce { after },
            _ => Phase::Decide,
        };
        Ok(())
    }

    async fn removes_groups(&self, store: &Store) -> Result<bool, SyncError> {
        Ok(store.removes_groups(&self.id).await?)
    }

    /// Decides a run whose changes are written ahead: switch, hold, or (dry run) record the
    /// diff. `confirmed` skips the guard (a superAdmin confirmed a held run; `decider` is who).
    pub(crate) async fn decide(
        &mut self,
        store: &Store,
        confirmed: Option<&str>,
        now: &str,
    ) -> Result<Ending, SyncError> {
        // Decided already (an invocation that switched, then died before it saved its state).
        let row = store.run(&self.id).await?;
        let decided = row.as_ref().is_some_and(|row| {
            !matches!(row.state, SyncState::Running | SyncState::NeedsConfirmation)
        });
        if decided {
            self.phase = Phase::Ended;
            return Ok(Ending::Done);
        }
        let changes = store.group_changes(&self.id).await?;
        let removed_memberships = self.tally.memberships_removed + changes.memberships_of_removed;
        let counts = self.counts(&changes, removed_memberships);
        let diff = diff_json(&changes);
        let progress = self.progress_json();
        let end = RunEnd {
            counts: Some(&counts),
            error: None,
            error_code: None,
            diff: Some(&diff),
            held_reason: None,
            progress: &progress,
            requests: self.requests,
            waits: self.waits,
            rows_written: 0,
        };
        if self.dry_run {
            store.finish_run(&self.id, "succeeded", &end, None, now).await?;
            self.phase = Phase::Ended;
            return Ok(Ending::Done);
        }
        let held: Option<GuardReason> = match confirmed {
            Some(_) => None,
            None => guard_figures(&GuardFigures {
                stored_groups: changes.stored_groups,
                removed_groups: changes.removed,
                stored_memberships: changes.stored_memberships,
                removed_memberships,
            }),
        };
        if let Some(reason) = held {
            let reason = serde_json::to_value(&reason).unwrap_or(Value::Null);
            store.hold_run(&self.id, &RunEnd { held_reason: Some(&reason), ..end }).await?;
            self.phase = Phase::Held;
            return Ok(Ending::Held);
        }
        let (actor, action) = match confirmed {
            Some(decider) => (actor_named(decider), "sync.confirmed"),
            None => (actor_named(&self.actor), "sync.committed"),
        };
        let audit = AuditRecord {
            actor: &actor,
            action,
            target: Some(self.id.clone()),
            before: None,
            after: Some(counts.clone()),
        };
        let unchanged = self.tally.rows_written == 0
            && changes.added == 0
            && changes.changed == 0
            && changes.removed == 0;
        if unchanged {
            // Nothing to switch to: an unchanged tenant writes no row.
            store
                .finish_run(&self.id, "succeeded", &RunEnd { diff: None, ..end }, Some(&audit), now)
                .await?;
        } else {
            let delta = MembershipDelta {
                added: self.tally.memberships_added,
                removed: removed_memberships,
            };
            let rows_written =
                self.tally.rows_written + changes.added + changes.changed + changes.removed;
            let end = RunEnd { rows_written, ..end };
            let trigger = row.map(|row| row.trigger).unwrap_or_default();
            let event = WebhookEvent {
                kind: WebhookEventType::SyncCommitted,
                timestamp: now.to_owned(),
                data: SyncCommittedData {
                    run_id: self.id.clone(),
                    trigger,
                    counts: counts.clone(),
                },
            };
            let payload =
                serde_json::to_string(&event).map_err(|e| SyncError::Unusable(e.to_string()))?;
            let message_id = event_id(&[&self.id, "sync.committed"]);
            let commit = WebhookCommit {
                run_id: &self.id,
                message_id: &message_id,
                payload: &payload,
                now_ms: worker::Date::now().as_millis(),
            };
            store.switch(&self.id, self.generation, delta, &end, &audit, &commit, now).await?;
        }
        // Best effort: hints left behind only make the next run read a few groups again.
        if let Err(error) = store.forget_hints_read_by(&self.id).await {
            worker::console_error!("forgetting the event hints read by run {}: {error}", self.id);
        }
        self.phase = Phase::Ended;
        Ok(Ending::Done)
    }

    fn counts(&self, changes: &GroupChanges, removed_memberships: u64) -> Value {
        json!({
            "groups_added": changes.added,
            "groups_changed": changes.changed,
            "groups_removed": changes.removed,
            "memberships_added": self.tally.memberships_added,
            "memberships_removed": removed_memberships,
            "users_changed": self.tally.users_changed,
        })
    }
}

/// Now, in RFC 3339.
fn now_iso() -> String {
    String::from(js_sys::Date::new_0().to_iso_string())
}

/// The actor a run acts as: the system for scheduled runs, else the person.
pub(crate) fn actor_named(name: &str) -> Actor {
    Actor { name: name.to_owned(), kind: if name == "system" { "system" } else { "person" } }
}

/// The statuses of the users `ids`, read by id (six at a time); a user Okta no longer has is
/// left out (they leave with their memberships).
async fn read_user_statuses(
    client: &Client,
    ids: &[String],
) -> Result<Vec<(String, String)>, SyncError> {
    let read = futures_util::stream::iter(ids)
        .map(|id| async move {
            match client.get_user(id).await {
                Ok(user) => Ok(Some((user.id, user.status.as_str().to_owned()))),
                Err(error) if matches!(error.kind, OktaErrorKind::NotFound(_)) => Ok(None),
                Err(error) => Err(error),
            }
        })
        .buffered(MEMBER_SLOTS)
        .collect::<Vec<_>>()
        .await;
    let mut statuses = Vec::with_capacity(read.len());
    for status in read {
        statuses.extend(status?);
    }
    Ok(statuses)
}

/// Reads the next page of a group's members.
async fn read_member_page(client: &Client, group: &GroupToRead) -> Result<MemberPage, SyncError> {
    let url = match &group.next_page {
        Some(next) => client.resume_page(next)?,
        None => client.group_members_first_page(&group.id)?,
    };
    let page = client.fetch_page::<OktaUser>(&url, "group").await?;
    let next = page.next.map(|next| next.as_str().to_owned());
    if next.as_deref() == Some(url.as_str()) {
        // A next link to the page just read would never end.
        return Err(SyncError::Unusable(format!(
            "Okta's paging of the members of group {} looped back to the same page",
            group.id
        )));
    }
    let users = page.items.iter().map(staged_user).collect();
    Ok(MemberPage { group_id: group.id.clone(), users, next })
}

/// Stages the pages the slots read, as they arrive, about every thousand members: the pages of
/// one group in a batch become one entry with the group's last link. Returns how many groups
/// it staged to the end.
async fn stage_member_pages(
    store: &Store,
    run_id: &str,
    mut read: mpsc::Receiver<MemberPage>,
) -> Result<u32, SyncError> {
    let mut batch: Vec<MemberPage> = Vec::new();
    let mut members = 0;
    let mut finished = 0;
    loop {
        let page = read.next().await;
        let done = page.is_none();
        if let Some(page) = page {
            members += page.users.len();
            match batch.iter_mut().find(|staged| staged.group_id == page.group_id) {
                Some(staged) => {
                    staged.users.extend(page.users);
                    staged.next = page.next;
                }
                None => batch.push(page),
            }
        }
        if (done || members >= MEMBERS_PER_STAGING) && !batch.is_empty() {
            store.stage_member_pages(run_id, &batch).await?;
            finished += count(batch.iter().filter(|p| p.next.is_none()).count());
            batch.clear();
            members = 0;
        }
        if done {
            return Ok(finished);
        }
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn staged_user(user: &OktaUser) -> StagedUser {
    StagedUser {
        id: user.id.clone(),
        email: user.profile.email.as_ref().map(|e| e.to_lowercase()),
        login: user.profile.login.clone(),
        first_name: user.profile.first_name.clone(),
        last_name: user.profile.last_name.clone(),
        status: user.status.as_str().to_owned(),
    }
}

fn staged_group(assignment: &OktaGroupAssignment) -> Result<StagedGroup, SyncError> {
    let group = assignment.group().ok_or_else(|| {
        SyncError::Unusable(format!(
            "Okta sent the assignment of group {} without the group",
            assignment.id
        ))
    })?;
    Ok(StagedGroup {
        id: group.id.clone(),
        name: group.profile.name.clone().unwrap_or_else(|| group.id.clone()),
        description: group.profile.description.clone(),
        lmu: group.last_membership_updated.clone(),
        built_in: group.group_type.as_deref() == Some("BUILT_IN"),
    })
}

/// A failed run's error, for people: a stable code and a sentence that says what failed and
/// what to do. The raw cause goes to the log only.
pub(crate) fn failure(error: &SyncError) -> (SyncFailure, String) {
    use groupsync_core::okta::OktaErrorKind as Kind;
    use groupsync_core::okta::ServiceAppProblem;
    let retry = "Nothing was changed; the next scheduled sync will try again.";
    match error {
        // A service app refused (its client or key, a scope, its admin role, DPoP) reads as the
        // token's two failures, in the core error's words, which name what to change in Okta.
        SyncError::Okta(okta) if okta.kind.service_app_problem().is_some() => {
            let failure = match okta.kind.service_app_problem() {
                Some(ServiceAppProblem::MissingScope | ServiceAppProblem::NoAdminRole) => {
                    SyncFailure::OktaPermissionDenied
                }
                _ => SyncFailure::OktaTokenRejected,
            };
            let message = format!(
                "Okta refused the service app: {}. Nothing was changed. Fix it in Okta, then use \
                 Test connection in Settings → Okta API Access.",
                okta.kind
            );
            (failure, message)
        }
        SyncError::Okta(okta) => match &okta.kind {
            Kind::InvalidToken => (
                SyncFailure::OktaTokenRejected,
                "Okta rejected the API token (invalid, expired or revoked). Nothing was changed. \
                 Enter a new token in Settings → Okta API Access."
                    .into(),
            ),
            Kind::PermissionDenied => (
                SyncFailure::OktaPermissionDenied,
                "The API token may not read the app's groups or their members. Nothing was changed. \
                 Give the token's admin a role that can read groups and users, then sync again."
                    .into(),
            ),
            Kind::NotFound(what) => (
                SyncFailure::OktaNotFound,
                format!(
                    "Okta has no such {what} (or the token cannot see it). Nothing was changed. \
                     If it is the app, check the App ID in Settings → Okta API Access; a group \
                     deleted while the sync ran is read right by the next sync."
                ),
            ),
            Kind::RateLimited { .. } => (
                SyncFailure::OktaRateLimited,
                format!("{okta}. {retry} If this repeats, lower the sync's share of the rate limit."),
            ),
            Kind::Upstream { .. } | Kind::Timeout(_) | Kind::Unreachable(_) => {
                (SyncFailure::OktaUnavailable, format!("{okta}. {retry}"))
            }
            _ => (SyncFailure::OktaUnusable, format!("Okta answered something the sync cannot use: {okta}. {retry}")),
        },
        SyncError::Unusable(why) => {
            (SyncFailure::OktaUnusable, format!("Okta answered something the sync cannot use: {why}. {retry}"))
        }
        SyncError::NotConfigured(why) => (SyncFailure::NotConfigured, why.clone()),
        SyncError::TokenRefused(code, why) => (*code, why.clone()),
        SyncError::Store(StoreError::LimitBroken(_)) => (
            SyncFailure::InternalError,
            format!("The sync hit an internal limit (a bug; the log has the details). {retry}"),
        ),
        SyncError::Store(_) => {
            (SyncFailure::StorageFailed, format!("The database failed while the sync ran. {retry}"))
        }
    }
}
