//! Okta Groups Sync's single-page app: the shell (identity, navigation, backend status) and one
//! page per screen. It talks to the edge only through `api`, with the wire types of
//! `groupsync-core`; what it shows or hides by permission is a courtesy, the edge decides.

pub mod api;
pub mod components;
pub mod dynamic;
pub mod forms;
pub mod pages;
pub mod remote;
pub mod routing;
pub mod session;
pub mod sync_view;
pub mod text;
pub mod virtual_window;

use groupsync_core::domain::Permission;
use leptos::prelude::*;

use crate::dynamic::{IntoBoxedView, handler};

use components::backend_status::BackendStatus;
use components::feedback::focus_by_id;
use components::identity::IdentityBar;
use components::sync_alarm::{SyncAlarm, SyncAlarmBanner};
use dynamic::dynamic;
use pages::audit::AuditPage;
use pages::group_detail::GroupDetailPage;
use pages::groups::GroupsPage;
use pages::invite::InvitePage;
use pages::not_found::NotFoundPage;
use pages::roles::RolesPage;
use pages::settings::OktaSettingsPage;
use pages::sync_history::SyncHistoryPage;
use pages::sync_run::SyncRunPage;
use routing::{Location, Screen};
use session::Session;

/// The whole app: header, navigation and the screen of the address.
#[component]
pub fn App() -> impl IntoView {
    Session::provide();
    SyncAlarm::provide();
    let location = Location::provide();
    // On a phone the menu folds away behind one button beside the name, so that a screen
    // starts near the top; it folds again once a link is followed.
    let menu_open = RwSignal::new(false);
    Effect::new(move |_| {
        location.path();
        menu_open.set(false);
    });
    view! {
        <a class="skip-link" href="#main">
            "Skip to main content"
        </a>
        <header class="app-header">
            <a class="app-header__brand" href="/groups">
                "Okta Groups Sync"
            </a>
            <button
                type="button"
                id="app-nav-toggle"
                class="button app-nav__toggle"
                aria-controls="app-nav-menu"
                aria-expanded=move || if menu_open.get() { "true" } else { "false" }
                on:click=handler(move |_| menu_open.update(|open| *open = !*open))
                on:keydown=handler(move |event| fold_on_escape(&event, menu_open))
            >
                "Menu"
            </button>
            <IdentityBar />
            <BackendStatus />
            <SyncAlarmBanner />
        </header>
        <div class="app-layout">
            <Navigation open=menu_open />
            <main id="main" class="app-main" tabindex="-1">
                {dynamic(move || {
                    let screen = Screen::of(&location.path());
                    document().set_title(screen.title());
                    match screen {
                    Screen::Groups => view! { <GroupsPage /> }.boxed(),
                    Screen::Group(id) => view! { <GroupDetailPage id /> }.boxed(),
                    Screen::Roles => view! { <RolesPage /> }.boxed(),
                    Screen::Invite => view! { <InvitePage /> }.boxed(),
                    Screen::SyncHistory => view! { <SyncHistoryPage /> }.boxed(),
                    Screen::SyncRun(id) => view! { <SyncRunPage id /> }.boxed(),
                    Screen::Audit => view! { <AuditPage /> }.boxed(),
                    Screen::OktaSettings => view! { <OktaSettingsPage /> }.boxed(),
                    Screen::NotFound => view! { <NotFoundPage /> }.boxed(),
                    }
                })}
            </main>
        </div>
    }
}

/// Escape folds the unfolded menu on a phone and gives the focus back to its button.
fn fold_on_escape(event: &leptos::ev::KeyboardEvent, open: RwSignal<bool>) {
    if event.key() == "Escape" && open.get_untracked() {
        open.set(false);
        focus_by_id("app-nav-toggle");
    }
}

/// The main navigation, grouped as the product's menus are: User Management, then Settings.
/// Screens the caller may not use are left out (their addresses still say why).
#[component]
fn Navigation(
    /// Whether the menu is unfolded (on a phone; it always is on a wider screen).
    open: RwSignal<bool>,
) -> impl IntoView {
    let session = Session::get();
    let location = Location::get();
    let link = move |href: &'static str, text: &'static str| {
        view! {
            <li>
                <a href=href aria-current=move || location.current(href)>
                    {text}
                </a>
            </li>
        }
    };
    view! {
        <nav
            class="app-nav"
            class:app-nav--open=move || open.get()
            aria-label="Main"
            on:keydown=handler(move |event| fold_on_escape(&event, open))
        >
            <div id="app-nav-menu" class="app-nav__menu">
            <p class="app-nav__section" id="nav-user-management">
                "User Management"
            </p>
            <ul aria-labelledby="nav-user-management">
                {link("/groups", "User Groups")}
                {link("/roles", "Roles")}
                {link("/invite", "Invite User")}
                {link("/sync", "Sync history")}
                {dynamic(move || {
                    session.can(Permission::ReadAudit).then(|| link("/audit", "Audit log")).boxed()
                })}
            </ul>
            {dynamic(move || {
                (session.is_super_admin() || !session.is_signed_in())
                    .then(|| {
                        view! {
                            <p class="app-nav__section" id="nav-settings">
                                "Settings"
                            </p>
                            <ul aria-labelledby="nav-settings">
                                {link("/settings/okta", "Okta API Access")}
                            </ul>
                        }
                    })
                    .boxed()
            })}
            </div>
        </nav>
    }
}
