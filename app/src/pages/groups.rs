//! User Management → User Groups.

use leptos::prelude::*;

/// The groups synced from Okta and the roles they grant.
#[component]
pub fn GroupsPage() -> impl IntoView {
    view! {
        <h1>"User Groups"</h1>
        <p class="page-intro">
            "The groups assigned to your Okta app, synced with "<strong>"Sync Okta Groups"</strong>
            ", and the app roles each one grants to its members."
        </p>
        <p class="page-empty">"No groups have been synced yet."</p>
    }
}
