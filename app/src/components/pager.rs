//! Previous and Next under a paged table, with which rows it shows.

use leptos::prelude::*;

use crate::dynamic::handler;

/// Moves through a paged table; `shown` says which rows are on screen ("Showing 1–50 of 1,001
/// members"), as a status that screen readers read out.
#[component]
pub fn Pager(
    /// The pager's accessible name, e.g. "Member pages".
    label: &'static str,
    /// Which rows the table shows.
    shown: String,
    /// Goes back a page; `None` on the first page.
    previous: Option<Callback<()>>,
    /// Goes on a page; `None` on the last page.
    next: Option<Callback<()>>,
) -> impl IntoView {
    let button = |text: &'static str, go: Option<Callback<()>>| {
        view! {
            <button
                type="button"
                class="button"
                disabled=go.is_none()
                on:click=handler(move |_| {
                    if let Some(go) = go {
                        go.run(());
                    }
                })
            >
                {text}
            </button>
        }
    };
    view! {
        <nav class="pager" aria-label=label>
            {button("Previous", previous)}
            <span class="hint" role="status">
                {shown}
            </span>
            {button("Next", next)}
        </nav>
    }
}
