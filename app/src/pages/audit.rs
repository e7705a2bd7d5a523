//! The audit log, newest first and paged; also the history of one group (filtered by target).

use groupsync_core::domain::Permission;
use leptos::prelude::*;

use crate::dynamic::dynamic;
use crate::loader::Load;

use crate::api::{self, AuditLine, AuditPage};
use crate::components::feedback::{ErrorAlert, Gate, Loading, focus_by_id};
use crate::components::table_scroll::TableScroll;
use crate::session::Session;
use crate::text::when;

/// The Audit log screen.
#[component]
pub fn AuditPage() -> impl IntoView {
    let _session = Session::get();
    view! {
        <h1>"Audit log"</h1>
        <Gate
            permission=Permission::ReadAudit
            reason="The audit log needs the Admin role or superAdmin."
        >
            <AuditEntries target=None changes=Signal::stored(0) />
        </Gate>
    }
}

/// A paged table of audit entries, optionally only those about `target`.
#[component]
pub fn AuditEntries(
    /// Only entries about this (a group id, an email…).
    target: Option<String>,
    /// Bumped by the screen after a change it made, so the entries are read again with it.
    changes: Signal<u32>,
) -> impl IntoView {
    // The `before` of each page shown so far: the last one is the current page.
    let pages = RwSignal::new(vec![None::<i64>]);
    let target = StoredValue::new(target);
    let page: Load<AuditPage> = Load::new(move || {
        changes.track();
        let before = pages.with(|p| p.last().copied().flatten());
        let target = target.get_value();
        async move { api::get_audit(before, target.as_deref()).await }
    });
    let newer = move |_| {
        pages.update(|p| {
            p.pop();
        });
        focus_by_id("audit-table");
    };
    view! {
        {dynamic(move || (match page.get() {
            None => view! { <Loading label="Loading the audit log…" /> }.into_any(),
            Some(Err(error)) => view! { <ErrorAlert error /> }.into_any(),
            Some(Ok(list)) if list.entries.is_empty() => {
                view! { <p class="empty">"No changes recorded yet."</p> }.into_any()
            }
            Some(Ok(list)) => {
                let next = list.next_before;
                view! {
                    <TableScroll label="Table of audit entries">
                        <table id="audit-table" tabindex="-1">
                            <caption class="visually-hidden">"Audit entries, newest first"</caption>
                            <thead>
                                <tr>
                                    <th scope="col">"When"</th>
                                    <th scope="col">"Who"</th>
                                    <th scope="col">"What"</th>
                                    <th scope="col">"About"</th>
                                    <th scope="col">"Change"</th>
                                </tr>
                            </thead>
                            <tbody>{list.entries.into_iter().map(entry_row).collect_view()}</tbody>
                        </table>
                    </TableScroll>
                    <nav class="pager" aria-label="Audit pages">
                        <button
                            type="button"
                            class="button"
                            disabled=move || pages.with(|p| p.len() <= 1)
                            on:click=newer
                        >
                            "Newer"
                        </button>
                        <button
                            type="button"
                            class="button"
                            disabled=next.is_none()
                            on:click=move |_| {
                                pages.update(|p| p.push(next));
                                focus_by_id("audit-table");
                            }
                        >
                            "Older"
                        </button>
                    </nav>
                }
                    .into_any()
            }
        }).into_any())}
    }
}

fn entry_row(entry: AuditLine) -> impl IntoView {
    view! {
        <tr>
            <td>{when(&entry.at)}</td>
            <td>{entry.actor}</td>
            <td>
                <code>{entry.action}</code>
            </td>
            <td>{entry.target.unwrap_or_default()}</td>
            <td class="audit-change">{entry.summary}</td>
        </tr>
    }
}
