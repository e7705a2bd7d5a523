//! Sync history: every run, newest first, 25 per page; each opens its detail.

use groupsync_core::api::SyncRun;
use groupsync_core::domain::Permission;
use leptos::prelude::*;

use crate::dynamic::{IntoBoxedView, handler};

use crate::api;
use crate::components::feedback::{ErrorAlert, FocusOnDraw, Gate, Loading};
use crate::components::sync_panel::state_word;
use crate::components::table_scroll::TableScroll;
use crate::remote::Remote;
use crate::session::Session;
use crate::sync_view::{changes, run_kind};
use crate::text::when;

/// The Sync history screen.
#[component]
pub fn SyncHistoryPage() -> impl IntoView {
    let _session = Session::get();
    view! {
        <h1>"Sync history"</h1>
        <Gate
            permission=Permission::ReadGroups
            reason="The sync history needs the Viewer role or higher."
        >
            <RunTable />
        </Gate>
    }
}

#[component]
fn RunTable() -> impl IntoView {
    let page = RwSignal::new(1_u32);
    let runs = Remote::call(move || api::get_sync_runs(page.get()));
    let focus = FocusOnDraw::new();
    let go = move |to: u32| {
        page.set(to);
        focus.request("runs-table");
    };
    move || match runs.get() {
        None => view! { <Loading label="Loading the sync runs…" /> }.boxed(),
        Some(Err(error)) => view! { <ErrorAlert error /> }.boxed(),
        Some(Ok(list)) if list.runs.is_empty() && page.get_untracked() == 1 => {
            view! { <p class="empty">"No sync has run yet."</p> }.boxed()
        }
        Some(Ok(list)) => {
            focus.drawn();
            let next = list.next_page;
            let current = page.get_untracked();
            view! {
                <TableScroll label="Table of sync runs">
                    <table id="runs-table" tabindex="-1">
                        <caption class="visually-hidden">
                            {format!("Sync runs, newest first, page {current}")}
                        </caption>
                        <thead>
                            <tr>
                                <th scope="col">"Started"</th>
                                <th scope="col">"Kind"</th>
                                <th scope="col">"By"</th>
                                <th scope="col">"State"</th>
                                <th scope="col">"Changes"</th>
                                <th scope="col">"Okta requests"</th>
                            </tr>
                        </thead>
                        <tbody>{list.runs.into_iter().map(run_row).collect_view()}</tbody>
                    </table>
                </TableScroll>
                <nav class="pager" aria-label="Sync history pages">
                    <button
                        type="button"
                        class="button"
                        disabled=current <= 1
                        on:click=handler(move |_| go(current - 1))
                    >
                        "Newer"
                    </button>
                    <span class="hint">{format!("Page {current}")}</span>
                    <button
                        type="button"
                        class="button"
                        disabled=next.is_none()
                        on:click=handler(move |_| go(current + 1))
                    >
                        "Older"
                    </button>
                </nav>
            }
            .boxed()
        }
    }
}

fn run_row(run: SyncRun) -> impl IntoView {
    let kind = run_kind(&run);
    let detail = format!("/sync/runs/{}", run.id);
    let outcome = match (&run.error, &run.counts) {
        (Some(error), _) => error.clone(),
        (None, Some(counts)) => changes(counts, run.dry_run),
        (None, None) => String::new(),
    };
    view! {
        <tr>
            <td>
                <a href=detail>{when(&run.started_at)}</a>
            </td>
            <td>{kind}</td>
            <td>{run.started_by}</td>
            <td>{state_word(run.state)}</td>
            <td>{outcome}</td>
            <td>{run.okta_requests}</td>
        </tr>
    }
}
