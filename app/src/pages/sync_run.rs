//! One sync run (`/sync/runs/{id}`): what kind of run, who started it and when, how it ended,
//! what it changed with the groups named, and what it cost Okta.

use groupsync_core::api::{SyncRun, SyncState};
use groupsync_core::domain::Permission;
use leptos::prelude::*;

use crate::dynamic::IntoBoxedView;

use crate::api;
use crate::components::feedback::{ErrorAlert, Gate, Loading};
use crate::components::sync_panel::{DiffView, state_word};
use crate::remote::Remote;
use crate::session::Session;
use crate::sync_view::{changes, failure_advice, headline, run_kind, run_stats};
use crate::text::{count, when};

/// The Sync run screen.
#[component]
pub fn SyncRunPage(
    /// The run id, from the address.
    id: String,
) -> impl IntoView {
    let _session = Session::get();
    view! {
        <p class="breadcrumb">
            <a href="/sync">"Sync history"</a>
        </p>
        <h1>"Sync run"</h1>
        <Gate permission=Permission::ReadGroups reason="Sync runs need the Viewer role or higher.">
            <RunDetail id=id.clone() />
        </Gate>
    }
}

#[component]
fn RunDetail(id: String) -> impl IntoView {
    let id = StoredValue::new(id);
    let run = Remote::call(move || id.with_value(|id| api::get_sync_run(id)));
    move || match run.get() {
        None => view! { <Loading label="Loading the sync run…" /> }.boxed(),
        Some(Err(error)) => view! { <ErrorAlert error /> }.boxed(),
        Some(Ok(run)) => run_view(run).boxed(),
    }
}

fn run_view(run: SyncRun) -> impl IntoView {
    let outcome = match (&run.error, &run.counts) {
        (Some(error), _) => Some(
            view! {
                <p class="alert alert--error" role="alert">{failure_advice(error, run.error_code)}</p>
            }
            .boxed(),
        ),
        (None, Some(counts)) => Some(view! { <p>{changes(counts, run.dry_run)}</p> }.boxed()),
        (None, None) => None,
    };
    let ended = run.ended_at.as_deref().map_or_else(|| "Not yet".to_owned(), when);
    let rows = match (run.state, run.dry_run) {
        (SyncState::Succeeded, false) => count(run.rows_written, "row", "rows"),
        _ => "none".to_owned(),
    };
    let diff = run.diff.clone().filter(|d| {
        !(d.groups_added.is_empty() && d.groups_changed.is_empty() && d.groups_removed.is_empty())
    });
    view! {
        <section class="panel" aria-labelledby="run-heading">
            <h2 id="run-heading">{headline(&run)}</h2>
            <dl class="facts">
                <dt>"Kind"</dt>
                <dd>{run_kind(&run)}</dd>
                <dt>"Started by"</dt>
                <dd>{run.started_by.clone()}</dd>
                <dt>"Started"</dt>
                <dd>{when(&run.started_at)}</dd>
                <dt>"Ended"</dt>
                <dd>{ended}</dd>
                <dt>"State"</dt>
                <dd>{state_word(run.state)}</dd>
                <dt>"Okta"</dt>
                <dd>{run_stats(run.okta_requests, run.rate_limit_waits)}</dd>
                <dt>"Rows written"</dt>
                <dd>{rows}</dd>
            </dl>
            {outcome}
            {diff.map(|diff| view! { <DiffView diff nested=false /> })}
            <p class="hint okta-id">{format!("Run {}", run.id)}</p>
        </section>
    }
}
