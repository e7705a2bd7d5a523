//! Which screen an address shows, and moving between addresses without reloading the app.
//!
//! A few dozen lines in place of `leptos_router`: the screens have six fixed addresses and one
//! parameter, and the router adds 29 to 40 KB brotli to an SPA that is within 2 KB of its 230 KB
//! ceiling (measured in issue #12; see the README). Links are
//! plain `<a href>`; a click on one inside the app is turned into a history entry, so that the
//! browser's back and forward buttons, new tabs and deep links all work as on any site.

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// A screen of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// User Management → User Groups (`/groups`; `/` opens it too).
    Groups,
    /// One group (`/groups/{id}`).
    Group(String),
    /// User Management → Roles (`/roles`).
    Roles,
    /// User Management → Invite User (`/invite`).
    Invite,
    /// Sync history (`/sync`).
    SyncHistory,
    /// One sync run (`/sync/runs/{id}`).
    SyncRun(String),
    /// Audit log (`/audit`).
    Audit,
    /// Settings → Okta API Access (`/settings/okta`).
    OktaSettings,
    /// Any other address.
    NotFound,
}

impl Screen {
    /// The page title of the screen.
    pub fn title(&self) -> &'static str {
        match self {
            Screen::Groups => "User Groups · Okta Groups Sync",
            Screen::Group(_) => "Group · Okta Groups Sync",
            Screen::Roles => "Roles · Okta Groups Sync",
            Screen::Invite => "Invite User · Okta Groups Sync",
            Screen::SyncHistory => "Sync history · Okta Groups Sync",
            Screen::SyncRun(_) => "Sync run · Okta Groups Sync",
            Screen::Audit => "Audit log · Okta Groups Sync",
            Screen::OktaSettings => "Okta API Access · Okta Groups Sync",
            Screen::NotFound => "Page not found · Okta Groups Sync",
        }
    }

    /// The screen of a path.
    pub fn of(path: &str) -> Screen {
        let path = path.strip_suffix('/').filter(|p| !p.is_empty()).unwrap_or(path);
        match path {
            "/" | "/groups" => Screen::Groups,
            "/roles" => Screen::Roles,
            "/invite" => Screen::Invite,
            "/sync" => Screen::SyncHistory,
            "/audit" => Screen::Audit,
            "/settings/okta" => Screen::OktaSettings,
            _ => {
                let one = |prefix: &str| {
                    path.strip_prefix(prefix).filter(|id| !id.is_empty() && !id.contains('/'))
                };
                if let Some(id) = one("/groups/") {
                    Screen::Group(id.to_owned())
                } else if let Some(id) = one("/sync/runs/") {
                    Screen::SyncRun(id.to_owned())
                } else {
                    Screen::NotFound
                }
            }
        }
    }
}

/// The current address's path, shared through the context.
#[derive(Debug, Clone, Copy)]
pub struct Location {
    path: RwSignal<String>,
}

impl Location {
    /// Reads the address, follows the browser's back and forward buttons, and takes over
    /// clicks on the app's own links.
    pub fn provide() -> Location {
        let location = Location { path: RwSignal::new(current_path()) };
        if location.path.get_untracked() == "/" {
            replace_path("/groups");
            location.path.set("/groups".to_owned());
        }
        provide_context(location);
        let on_history = window_event_listener(ev::popstate, move |_| {
            location.path.set(current_path());
        });
        let on_click = window_event_listener(ev::click, move |event| {
            if let Some(path) = own_link_target(&event) {
                event.prevent_default();
                location.go(&path);
            }
        });
        // The app lives as long as the page; the listeners do too.
        std::mem::forget((on_history, on_click));
        location
    }

    /// The location of the app.
    pub fn get() -> Location {
        expect_context::<Location>()
    }

    /// The path (tracked).
    pub fn path(&self) -> String {
        self.path.get()
    }

    /// Opens `path` as a new history entry, at the top of the page, with the keyboard focus on
    /// the main content (so that a screen reader reads the new screen, as after a page load).
    pub fn go(&self, path: &str) {
        if let Ok(history) = window().history() {
            let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path));
        }
        self.path.set(path.to_owned());
        window().scroll_to_with_x_and_y(0.0, 0.0);
        crate::components::feedback::focus_by_id("main");
    }

    /// `Some("page")` when `href` is the current screen's link (for `aria-current`).
    pub fn current(&self, href: &'static str) -> Option<&'static str> {
        let path = self.path.get();
        let here =
            path == href || path.strip_prefix(href).is_some_and(|rest| rest.starts_with('/'));
        here.then_some("page")
    }
}

fn current_path() -> String {
    window().location().pathname().unwrap_or_else(|_| "/".to_owned())
}

fn replace_path(path: &str) {
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path));
    }
}

/// The path of the app's own link that a plain left click landed on; `None` for anything the
/// browser should handle itself (other sites, new tabs and windows, downloads, `#` anchors).
fn own_link_target(event: &ev::MouseEvent) -> Option<String> {
    if event.default_prevented()
        || event.button() != 0
        || event.meta_key()
        || event.ctrl_key()
        || event.shift_key()
        || event.alt_key()
    {
        return None;
    }
    let target = event.target()?.dyn_into::<web_sys::Element>().ok()?;
    let link = target.closest("a[href]").ok()??;
    if link.has_attribute("target") || link.has_attribute("download") {
        return None;
    }
    let href = link.get_attribute("href")?;
    (href.starts_with('/') && !href.starts_with("//")).then_some(href)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_opens_its_screen() {
        let cases = [
            ("/", Screen::Groups),
            ("/groups", Screen::Groups),
            ("/groups/", Screen::Groups),
            ("/groups/00g1abc", Screen::Group("00g1abc".into())),
            ("/groups/00g1abc/", Screen::Group("00g1abc".into())),
            ("/sync/runs/run_1_ab", Screen::SyncRun("run_1_ab".into())),
            ("/sync/runs/", Screen::NotFound),
            ("/sync/runs/a/b", Screen::NotFound),
            ("/invite", Screen::Invite),
            ("/roles", Screen::Roles),
            ("/roles/", Screen::Roles),
            ("/sync", Screen::SyncHistory),
            ("/audit", Screen::Audit),
            ("/settings/okta", Screen::OktaSettings),
            ("/settings", Screen::NotFound),
            ("/groups/a/b", Screen::NotFound),
            ("/no/such/screen", Screen::NotFound),
        ];
        for (path, screen) in cases {
            assert_eq!(Screen::of(path), screen, "{path}");
        }
    }
}
