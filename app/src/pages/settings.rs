//! Settings → Okta API Access.

use leptos::prelude::*;

/// Where a superAdmin connects the app to the company's Okta tenant.
#[component]
pub fn OktaSettingsPage() -> impl IntoView {
    view! {
        <h1>"Okta API Access"</h1>
        <p class="page-intro">
            "Connect this app to your Okta tenant: the tenant URL, an API token with read access \
             to applications and groups, and the App ID of the Okta SAML app your people sign in with."
        </p>
        <p class="page-empty">"Okta is not configured yet."</p>
    }
}
