//! The audit log, newest first and paged, in words for people.
//!
//! Filters by person, kind, subject and days, and a CSV export of what the filters select. Also
//! the history of one group (the same table, filtered by its id).

use groupsync_core::domain::{AUDIT_ACTIONS, AUDIT_AREAS, Permission};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, AUDIT_EXPORT_FILE, AuditExport, AuditFilters, AuditLine, AuditPage};
use crate::components::feedback::{ErrorAlert, FocusOnDraw, Gate, Loading, error_text};
use crate::components::table_scroll::TableScroll;
use crate::dynamic::{BoxedView, IntoBoxedView, dynamic, handler};
use crate::remote::Remote;
use crate::session::Session;
use crate::text::{count, when};

/// The Audit log screen.
#[component]
pub fn AuditPage() -> impl IntoView {
    let _session = Session::get();
    let filters = RwSignal::new(AuditFilters::default());
    view! {
        <h1>"Audit log"</h1>
        <Gate
            permission=Permission::ReadAudit
            reason="The audit log needs the Admin role or superAdmin."
        >
            <AuditFilterForm filters />
            <AuditExportButton filters=filters.into() />
            {dynamic(move || {
                // New filters: a new table, from the newest entries.
                let filters = filters.get();
                view! { <AuditEntries filters changes=Signal::stored(0) /> }.boxed()
            })}
        </Gate>
    }
}

/// The filters of the audit log; applying them shows their first page. The fields keep their
/// own values (read when the form is submitted, emptied by its reset button): no signal per
/// keystroke, and far less code in the SPA's budget.
#[component]
fn AuditFilterForm(filters: RwSignal<AuditFilters>) -> impl IntoView {
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        filters.set(AuditFilters {
            actor: value_of("audit-actor"),
            action: value_of("audit-action"),
            target: value_of("audit-target"),
            from: value_of("audit-from"),
            to: value_of("audit-to"),
        });
    };
    let clear = move |_| filters.set(AuditFilters::default());
    view! {
        <form
            class="filters"
            role="search"
            aria-label="Filter the audit log"
            on:submit=handler(apply)
            on:reset=handler(clear)
        >
            <div class="field">
                <label for="audit-actor">"Person"</label>
                <input id="audit-actor" type="search" />
            </div>
            <div class="field">
                <label for="audit-action">"Kind"</label>
                <select id="audit-action">
                    <option value="">"Any kind"</option>
                    {AUDIT_AREAS
                        .iter()
                        .flat_map(|(area, label)| {
                            let all = (*area, format!("{label}: all"));
                            let actions = AUDIT_ACTIONS
                                .iter()
                                .filter(move |(action, _)| action.split('.').next() == Some(area))
                                .map(|(action, label)| (*action, (*label).to_owned()));
                            std::iter::once(all).chain(actions)
                        })
                        .map(|(value, label)| view! { <option value=value>{label}</option> })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="audit-target">"About (group id, email or run id)"</label>
                <input id="audit-target" type="search" />
            </div>
            <div class="field">
                <label for="audit-from">"From"</label>
                <input id="audit-from" type="date" />
            </div>
            <div class="field">
                <label for="audit-to">"To"</label>
                <input id="audit-to" type="date" />
            </div>
            <div class="filters__actions">
                <button type="submit" class="button button--primary">
                    "Apply filters"
                </button>
                <button type="reset" class="button">
                    "Clear filters"
                </button>
            </div>
        </form>
    }
}

/// The value of the form field `id` (empty when there is none).
fn value_of(id: &str) -> String {
    let field = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(id));
    let value = field.and_then(|f| js_sys::Reflect::get(&f, &"value".into()).ok());
    value.and_then(|v| v.as_string()).unwrap_or_default()
}

/// Saves what the filters select as a CSV file, and says what it saved.
#[component]
fn AuditExportButton(filters: Signal<AuditFilters>) -> impl IntoView {
    let busy = RwSignal::new(false);
    // What the last export did: whether it worked, in words.
    let outcome = RwSignal::new(None::<(bool, String)>);
    let save = move |_| {
        busy.set(true);
        let filters = filters.get_untracked();
        spawn_local(async move {
            let said = match api::export_audit(&filters).await {
                Ok(export) => (true, export_text(&export)),
                Err(error) => (false, error_text(&error)),
            };
            outcome.set(Some(said));
            busy.set(false);
        });
    };
    view! {
        <div class="toolbar">
            <button type="button" class="button" disabled=busy on:click=handler(save)>
                {move || if busy.get() { "Saving the CSV file…" } else { "Download as CSV" }}
            </button>
        </div>
        {move || {
            outcome
                .get()
                .map(|(ok, text)| {
                    view! {
                        <p
                            class=if ok { "alert alert--ok" } else { "alert alert--error" }
                            role=if ok { "status" } else { "alert" }
                        >
                            {text}
                        </p>
                    }
                })
        }}
    }
}

/// What an export saved, in words.
fn export_text(export: &AuditExport) -> String {
    let saved = count(u64::from(export.entries), "entry", "entries");
    let mut text = format!("Saved {saved} to {AUDIT_EXPORT_FILE}.");
    if export.truncated {
        text.push_str(
            " Only the newest entries fit in one file: choose earlier days to save the older ones.",
        );
    }
    text
}

/// A paged table of the audit entries that pass `filters`.
#[component]
pub fn AuditEntries(
    /// Which entries.
    filters: AuditFilters,
    /// Bumped by the screen after a change it made, so the entries are read again with it.
    changes: Signal<u32>,
) -> impl IntoView {
    // The `before` of each page shown so far: the last one is the current page.
    let pages = RwSignal::new(vec![None::<i64>]);
    let filtered = !(filters.actor.is_empty()
        && filters.action.is_empty()
        && filters.from.is_empty()
        && filters.to.is_empty());
    let filters = StoredValue::new(filters);
    let page: Remote<AuditPage> = Remote::call(move || {
        changes.track();
        let before = pages.with(|p| p.last().copied().flatten());
        filters.with_value(|filters| api::get_audit(before, filters))
    });
    let focus = FocusOnDraw::new();
    let newer = move |_| {
        pages.update(|p| {
            p.pop();
        });
        focus.request("audit-table");
    };
    view! {
        {dynamic(move || (match page.get() {
            None => view! { <Loading label="Loading the audit log…" /> }.boxed(),
            Some(Err(error)) => view! { <ErrorAlert error /> }.boxed(),
            Some(Ok(list)) if list.entries.is_empty() => {
                let empty = if filtered {
                    "No entry matches these filters."
                } else {
                    "No changes recorded yet."
                };
                view! { <p class="empty">{empty}</p> }.boxed()
            }
            Some(Ok(list)) => {
                focus.drawn();
                let next = list.next_before;
                view! {
                    <TableScroll label="Table of audit entries">
                        <table id="audit-table" tabindex="-1">
                            <caption class="visually-hidden">"Audit entries, newest first"</caption>
                            <thead>
                                <tr>
                                    <th scope="col">"When"</th>
                                    <th scope="col">"Who"</th>
                                    <th scope="col">"What happened"</th>
                                    <th scope="col">"About"</th>
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
                            on:click=handler(newer)
                        >
                            "Newer"
                        </button>
                        <button
                            type="button"
                            class="button"
                            disabled=next.is_none()
                            on:click=handler(move |_| {
                                pages.update(|p| p.push(next));
                                focus.request("audit-table");
                            })
                        >
                            "Older"
                        </button>
                    </nav>
                }
                    .boxed()
            }
        }).boxed())}
    }
}

fn entry_row(entry: AuditLine) -> impl IntoView {
    let kind = AUDIT_ACTIONS
        .iter()
        .find(|(action, _)| *action == entry.action)
        .map_or_else(|| entry.action.clone(), |(_, label)| (*label).to_owned());
    view! {
        <tr>
            <td>{when(&entry.at)}</td>
            <td>{entry.actor}</td>
            <td class="audit-change">
                {entry.description}
                <span class="audit-kind">{kind}</span>
            </td>
            <td>{subject(&entry.action, entry.target, entry.target_name)}</td>
        </tr>
    }
}

/// What an entry is about: a group, a run or the settings as a link to its screen, by name
/// where it has one.
fn subject(action: &str, target: Option<String>, name: Option<String>) -> Option<BoxedView> {
    let target = target?;
    let area = action.split('.').next().unwrap_or_default();
    let href = match area {
        "group" => Some(format!("/groups/{target}")),
        "sync" => Some(format!("/sync/runs/{target}")),
        "settings" => Some("/settings/okta".to_owned()),
        _ => None,
    };
    let shown = match name {
        Some(name) => name,
        // The settings' own row has a key, not a name.
        None if target == "okta_settings" => "Okta API Access".to_owned(),
        None => target,
    };
    Some(match href {
        Some(href) => view! { <a href=href>{shown}</a> }.boxed(),
        None => view! { <span>{shown}</span> }.boxed(),
    })
}
