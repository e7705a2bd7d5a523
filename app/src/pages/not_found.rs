//! The screen for an address that names no screen.

use leptos::prelude::*;

/// Says that nothing lives at this address and offers a way back.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <h1>"Page not found"</h1>
        <p class="page-intro">"Nothing lives at this address. It may have moved, or the link may be mistyped."</p>
        <p>
            <a href="/groups">"Go to User Groups"</a>
        </p>
    }
}
