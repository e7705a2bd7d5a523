//! A table wider than a phone: it scrolls sideways inside a region of its own, which says so
//! where the screen may be too narrow, and which the keyboard can focus and scroll.

use leptos::prelude::*;

/// Wraps a table that may not fit the screen's width.
#[component]
pub fn TableScroll(
    /// What the table holds, as a screen reader names the region.
    label: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <p class="hint table-scroll__hint" aria-hidden="true">
            "Scroll the table sideways to see every column."
        </p>
        <div class="table-scroll" role="region" aria-label=label tabindex="0">
            {children()}
        </div>
    }
}
