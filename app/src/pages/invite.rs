//! User Management → Invite User.

use leptos::prelude::*;

/// Inviting a user by email; the user gets the roles of the Okta groups they belong to.
#[component]
pub fn InvitePage() -> impl IntoView {
    view! {
        <h1>"Invite User"</h1>
        <p class="page-intro">
            "Invite someone by email. Once they sign in, they get the roles of the Okta groups they belong to."
        </p>
        <p class="page-empty">"No invitations have been sent yet."</p>
    }
}
