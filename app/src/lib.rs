//! Okta Groups Sync's single-page app: the shell (identity, navigation, backend status) and one
//! page per screen. It talks to the edge only through `api`, with the wire types of
//! `groupsync-core`; what it shows or hides by permission is a courtesy, the edge decides.

pub mod api;
pub mod components;
pub mod dynamic;
pub mod forms;
pub mod pages;
pub mod session;
pub mod sync_view;
pub mod text;
pub mod virtual_window;

use groupsync_core::domain::Permission;
use leptos::prelude::*;
use leptos_router::components::{A, Redirect, Route, Router, Routes};
use leptos_router::path;

use components::backend_status::BackendStatus;
use components::identity::IdentityBar;
use pages::audit::AuditPage;
use pages::group_detail::GroupDetailPage;
use pages::groups::GroupsPage;
use pages::invite::InvitePage;
use pages::not_found::NotFoundPage;
use pages::settings::OktaSettingsPage;
use pages::sync_history::SyncHistoryPage;
use session::Session;

/// The whole app: header, navigation and the routed screens.
#[component]
pub fn App() -> impl IntoView {
    Session::provide();
    view! {
        <Router>
            <a class="skip-link" href="#main">"Skip to main content"</a>
            <header class="app-header">
                <a class="app-header__brand" href="/">"Okta Groups Sync"</a>
                <IdentityBar />
                <BackendStatus />
            </header>
            <div class="app-layout">
                <Navigation />
                <main id="main" class="app-main" tabindex="-1">
                    <Routes fallback=NotFoundPage>
                        <Route path=path!("/") view=|| view! { <Redirect path="/groups" /> } />
                        <Route path=path!("/groups") view=GroupsPage />
                        <Route path=path!("/groups/:id") view=GroupDetailPage />
                        <Route path=path!("/invite") view=InvitePage />
                        <Route path=path!("/sync") view=SyncHistoryPage />
                        <Route path=path!("/audit") view=AuditPage />
                        <Route path=path!("/settings/okta") view=OktaSettingsPage />
                    </Routes>
                </main>
            </div>
        </Router>
    }
}

/// The main navigation, grouped as the product's menus are: User Management, then Settings.
/// Screens the caller may not use are left out (their addresses still say why).
#[component]
fn Navigation() -> impl IntoView {
    let session = Session::get();
    view! {
        <nav class="app-nav" aria-label="Main">
            <p class="app-nav__section" id="nav-user-management">"User Management"</p>
            <ul aria-labelledby="nav-user-management">
                <li>
                    <A href="/groups">"User Groups"</A>
                </li>
                <li>
                    <A href="/invite">"Invite User"</A>
                </li>
                <li>
                    <A href="/sync">"Sync history"</A>
                </li>
                <Show when=move || session.can(Permission::ReadAudit)>
                    <li>
                        <A href="/audit">"Audit log"</A>
                    </li>
                </Show>
            </ul>
            <Show when=move || session.is_super_admin() || !session.is_signed_in()>
                <p class="app-nav__section" id="nav-settings">"Settings"</p>
                <ul aria-labelledby="nav-settings">
                    <li>
                        <A href="/settings/okta">"Okta API Access"</A>
                    </li>
                </ul>
            </Show>
        </nav>
    }
}
