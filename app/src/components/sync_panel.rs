//! **Sync Okta Groups** and **Preview**, with the run's live progress.
//!
//! Starts a run, watches it, then shows what it changed, the diff of a preview (with Apply), or
//! a held run's diff (with Confirm / Discard). Also the last sync and the next scheduled one.

use std::time::Duration;

use groupsync_core::api::{
    DiffGroup, ListSyncRunsResponse, StartSyncRequest, SyncDiff, SyncProgress, SyncRun, SyncState,
};
use groupsync_core::domain::{GuardReason, Permission};
use leptos::prelude::*;

use crate::dynamic::{IntoBoxedView, dynamic, handler, patched};
use crate::remote::Remote;
use leptos::task::spawn_local;

use crate::api::{self, ClientError};
use crate::components::feedback::{ErrorAlert, error_text, focus_by_id};
use crate::components::sync_alarm::SyncAlarm;
use crate::session::Session;
use crate::sync_view::{changes, changes_anything, failure_advice, headline, run_stats};
use crate::text::{inert, when};

/// How often a running sync is asked how far it is.
const POLL_EVERY: Duration = Duration::from_millis(400);

/// Groups of each kind a diff names on screen (the edge names at most a few dozen).
const DIFF_NAMES_SHOWN: usize = 20;

/// The sync controls and the live state of the current run. `on_committed` runs when a sync
/// has changed the stored groups, so the screen can load them again.
#[component]
pub fn SyncPanel(
    /// Called after a run committed.
    on_committed: Callback<()>,
    /// The latest runs and the schedule, loaded by the screen.
    runs: Remote<ListSyncRunsResponse>,
) -> impl IntoView {
    let session = Session::get();
    let current = RwSignal::new(None::<SyncRun>);
    let failure = RwSignal::new(None::<ClientError>);
    // A run that is still going (or held) when the screen opens is shown as if just started.
    Effect::new(move || {
        if let Some(Ok(list)) = runs.get()
            && current.get_untracked().is_none()
            && let Some(run) = list.runs.first()
            && matches!(run.state, SyncState::Running | SyncState::NeedsConfirmation)
        {
            let run = run.clone();
            let running = run.state == SyncState::Running;
            let id = run.id.clone();
            current.set(Some(run));
            if running {
                watch(id, current, failure, on_committed, runs);
            }
        }
    });
    let start = Callback::new(move |dry_run: bool| {
        failure.set(None);
        spawn_local(async move {
            match api::start_sync(StartSyncRequest { dry_run, full: false }).await {
                Ok(started) => {
                    let id = started.run.id.clone();
                    let running = started.run.state == SyncState::Running;
                    current.set(Some(started.run));
                    focus_by_id("sync-status");
                    if running {
                        watch(id, current, failure, on_committed, runs);
                    } else {
                        runs.refetch();
                    }
                }
                Err(error) => {
                    failure.set(Some(error));
                    focus_by_id("sync-error");
                }
            }
        });
    });
    let running =
        move || current.with(|r| r.as_ref().is_some_and(|r| r.state == SyncState::Running));
    view! {
        <section class="panel sync-panel" aria-labelledby="sync-heading">
            <h2 id="sync-heading">"Okta sync"</h2>
            <SyncSchedule runs />
            // The panel is shown only once the caller is known, so this is decided once.
            {if session.can(Permission::RunSync) {
                view! {
                    <div class="actions">
                        <button
                            type="button"
                            class="button button--primary"
                            disabled=running
                            on:click=handler(move |_| start.run(false))
                        >
                            "Sync Okta Groups"
                        </button>
                        <button
                            type="button"
                            class="button"
                            disabled=running
                            on:click=handler(move |_| start.run(true))
                        >
                            "Preview"
                        </button>
                    </div>
                }
                    .boxed()
            } else {
                view! { <p class="hint">"Syncing needs the Admin role or superAdmin."</p> }.boxed()
            }}
            <div id="sync-error" tabindex="-1">
                {dynamic(move || failure.get().map(|error| view! { <ErrorAlert error /> }).boxed())}
            </div>
            <div id="sync-status" class="sync-status" role="status" tabindex="-1">
                // Patched, not redrawn: it changes with every poll of a running run, and a
                // screen reader should hear what changed, not the whole status again.
                {patched(move || ({
                    current
                        .get()
                        .map(|run| {
                            view! { <RunView run current failure on_committed runs start /> }
                        })
                }).into_any())}
            </div>
        </section>
    }
}

/// Asks for the run every [`POLL_EVERY`] until it is no longer running, or until its screen is
/// left (its signals are disposed then; nobody would see the answer).
fn watch(
    id: String,
    current: RwSignal<Option<SyncRun>>,
    failure: RwSignal<Option<ClientError>>,
    on_committed: Callback<()>,
    runs: Remote<ListSyncRunsResponse>,
) {
    set_timeout(
        move || {
            if current.is_disposed() {
                return;
            }
            spawn_local(async move {
                match api::get_sync_run(&id).await {
                    Ok(run) if run.state == SyncState::Running => {
                        current.set(Some(run));
                        watch(id, current, failure, on_committed, runs);
                    }
                    Ok(run) => {
                        let committed = run.state == SyncState::Succeeded && !run.dry_run;
                        current.set(Some(run));
                        runs.refetch();
                        SyncAlarm::refresh();
                        if committed {
                            on_committed.run(());
                        }
                    }
                    Err(error) => failure.set(Some(error)),
                }
            });
        },
        POLL_EVERY,
    );
}

/// Last sync and next scheduled sync.
#[component]
fn SyncSchedule(runs: Remote<ListSyncRunsResponse>) -> impl IntoView {
    move || match runs.get() {
        None => view! { <p class="hint">"Loading the sync history…"</p> }.boxed(),
        Some(Err(error)) => view! { <p class="hint">{error_text(&error)}</p> }.boxed(),
        Some(Ok(list)) => {
            let last = list.runs.iter().find(|r| !r.dry_run && r.state != SyncState::Running);
            let last = match last {
                Some(run) => format!(
                    "Last sync: {} at {} by {}.",
                    state_word(run.state),
                    when(run.ended_at.as_deref().unwrap_or(&run.started_at)),
                    run.started_by
                ),
                None => "No sync has run yet.".to_owned(),
            };
            let next = match (&list.schedule.next_at, list.schedule.sync_enabled) {
                (Some(at), true) => format!(
                    "Next scheduled sync: {} ({}).",
                    when(at),
                    if list.schedule.next_full { "full" } else { "changed groups only" }
                ),
                _ => {
                    "Scheduled sync is off: turn sync on in Settings → Okta API Access.".to_owned()
                }
            };
            view! {
                <p class="sync-schedule">
                    {last} " " {next} " " <a href="/sync">"Sync history"</a>
                </p>
            }
            .boxed()
        }
    }
}

/// A run state in a word.
pub fn state_word(state: SyncState) -> &'static str {
    match state {
        SyncState::Running => "running",
        SyncState::NeedsConfirmation => "on hold",
        SyncState::Succeeded => "succeeded",
        SyncState::Failed => "failed",
        SyncState::Discarded => "discarded",
    }
}

/// The current run: progress while it runs, then its outcome and the actions it allows.
#[component]
fn RunView(
    run: SyncRun,
    current: RwSignal<Option<SyncRun>>,
    failure: RwSignal<Option<ClientError>>,
    on_committed: Callback<()>,
    runs: Remote<ListSyncRunsResponse>,
    start: Callback<bool>,
) -> impl IntoView {
    let session = Session::get();
    let resolve = move |id: String, confirm: bool| {
        spawn_local(async move {
            match api::resolve_sync_run(&id, confirm).await {
                Ok(run) => {
                    let committed = run.state == SyncState::Succeeded;
                    current.set(Some(run));
                    runs.refetch();
                    SyncAlarm::refresh();
                    focus_by_id("sync-status");
                    if committed {
                        on_committed.run(());
                    }
                }
                Err(error) => {
                    failure.set(Some(error));
                    focus_by_id("sync-error");
                }
            }
        });
    };
    let title = headline(&run);
    let body = match run.state {
        SyncState::Running => view! { <ProgressBar progress=run.progress /> }.boxed(),
        SyncState::Failed => {
            let error = run.error.clone().unwrap_or_else(|| "The sync failed.".into());
            view! {
                <p class="alert alert--error" role="alert">
                    {failure_advice(&error, run.error_code)}
                </p>
            }
            .boxed()
        }
        SyncState::NeedsConfirmation => {
            let reason = run.held_reason.as_ref().map(GuardReason::describe).unwrap_or_default();
            let id = StoredValue::new(run.id.clone());
            view! {
                <p class="alert alert--warn">{reason}</p>
                <DiffView diff=run.diff.clone().unwrap_or_default() nested=true />
                {if session.is_super_admin() {
                    view! {
                    <div class="actions">
                        <button
                            type="button"
                            class="button button--danger"
                            on:click=handler(move |_| resolve(id.get_value(), true))
                        >
                            "Confirm and apply"
                        </button>
                        <button
                            type="button"
                            class="button"
                            on:click=handler(move |_| resolve(id.get_value(), false))
                        >
                            "Discard"
                        </button>
                    </div>
                    }
                        .boxed()
                } else {
                    view! { <p class="hint">"A superAdmin must confirm or discard it."</p> }
                        .boxed()
                }}
            }
            .boxed()
        }
        SyncState::Succeeded if run.dry_run => {
            let summary = run.counts.map(|c| changes(&c, true)).unwrap_or_default();
            // Nothing to apply when the preview changes nothing.
            let applicable = run.counts.as_ref().is_some_and(changes_anything);
            view! {
                <p>{summary}</p>
                <DiffView diff=run.diff.clone().unwrap_or_default() nested=true />
                {(applicable && session.can(Permission::RunSync)).then(|| view! {
                    <div class="actions">
                        <button type="button" class="button button--primary" on:click=handler(move |_| start.run(false))>
                            "Apply this sync"
                        </button>
                    </div>
                })}
            }
                .boxed()
        }
        SyncState::Succeeded | SyncState::Discarded => {
            let summary = run.counts.map(|c| changes(&c, false)).unwrap_or_default();
            view! { <p>{summary}</p> }.boxed()
        }
    };
    let stats = run_stats(run.okta_requests, run.rate_limit_waits);
    view! {
        <h3 class="sync-status__title">{title}</h3>
        {body}
        <p class="hint">{stats}</p>
    }
}

/// How far a running sync has read: a bar (indeterminate until the number of groups to read is
/// known) and the same in words.
#[component]
pub fn ProgressBar(
    /// The run's progress.
    progress: SyncProgress,
) -> impl IntoView {
    let shown = crate::sync_view::progress(&progress);
    let (value, max) = match shown.fraction {
        Some((done, of)) => (Some(done), Some(of)),
        None => (None, None),
    };
    view! {
        <progress class="sync-progress" aria-label="Sync progress" value=value max=max></progress>
        <p>{shown.text}</p>
    }
}

/// The groups a run adds, changes and removes (the first of each kind, by name and Okta id).
#[component]
pub fn DiffView(
    /// The groups.
    diff: SyncDiff,
    /// Whether the titles are under a third-level heading (`h4`) rather than a second (`h3`).
    nested: bool,
) -> impl IntoView {
    let SyncDiff { groups_added, groups_changed, groups_removed } = diff;
    let kinds = [
        ("Groups added", groups_added),
        ("Groups renamed or re-described", groups_changed),
        ("Groups removed", groups_removed),
    ];
    kinds
        .into_iter()
        .filter(|(_, groups)| !groups.is_empty())
        .map(|(title, groups)| {
            let more = groups.len().saturating_sub(DIFF_NAMES_SHOWN);
            let title = if nested {
                view! { <h4 class="diff__title">{title}</h4> }.boxed()
            } else {
                view! { <h3 class="diff__title">{title}</h3> }.boxed()
            };
            view! {
                {title}
                <ul class="diff">
                    {groups.into_iter().take(DIFF_NAMES_SHOWN).map(diff_item).collect_view()}
                </ul>
                {(more > 0).then(|| view! { <p class="hint">{format!("and {more} more")}</p> })}
            }
        })
        .collect_view()
}

fn diff_item(group: DiffGroup) -> impl IntoView {
    let renamed = group.previous_name.map(|p| format!(" (was {})", inert(&p)));
    view! {
        <li>
            <bdi>{inert(&group.name)}</bdi>
            {renamed}
            " "
            <code class="okta-id">{group.id}</code>
        </li>
    }
}
