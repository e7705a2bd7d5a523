//! Component tests in headless Chromium (`wasm-bindgen-test`): the pieces of the screens with
//! logic of their own, mounted alone: the virtual table, the progress display, and a settings
//! field with the checks behind it.
//!
//! `cargo xtask test` runs them (`cargo test -p app --target wasm32-unknown-unknown`).

#![cfg(target_arch = "wasm32")]

use std::sync::Arc;

use app::components::sync_panel::ProgressBar;
use app::components::virtual_table::{RowView, VirtualTable};
use app::forms::{SettingsDraft, SettingsField, check_settings};
use app::pages::settings::Field;
use groupsync_core::api::SyncProgress;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh element in the page to mount a component into.
fn host() -> HtmlElement {
    let document = leptos::tachys::dom::document();
    let host = document.create_element("div").expect("a div");
    document.body().expect("a body").append_child(&host).expect("appended");
    host.unchecked_into()
}

fn all(host: &Element, selector: &str) -> Vec<Element> {
    let found = host.query_selector_all(selector).expect("a selector");
    (0..found.length()).filter_map(|i| found.item(i)?.dyn_into().ok()).collect()
}

fn one(host: &Element, selector: &str) -> Element {
    host.query_selector(selector).expect("a selector").unwrap_or_else(|| panic!("no {selector}"))
}

fn send(target: &Element, event: &str) {
    target.dispatch_event(&web_sys::Event::new(event).expect("an event")).expect("sent");
}

/// Lets the framework's effects (the DOM updates, scroll handling) run.
async fn settle() {
    for _ in 0..3 {
        leptos::task::tick().await;
    }
}

#[wasm_bindgen_test]
async fn the_virtual_table_keeps_only_the_rows_in_view_and_follows_the_scroll() {
    let host = host();
    let rows: RowView =
        Arc::new(|i| view! { <div role="cell">{format!("group {i}")}</div> }.into_any());
    let count = RwSignal::new(10_000_usize);
    let _mounted = leptos::mount::mount_to(host.clone(), move || {
        view! {
            <VirtualTable
                label="Groups"
                row_count=count
                row_height=40
                header=|| view! { <div role="columnheader">"Name"</div> }
                render_row=rows.clone()
            />
        }
    });
    // The app's stylesheet gives the scroller its height; here the test does.
    let scroller: HtmlElement = one(&host, ".vtable").unchecked_into();
    scroller.style().set_property("height", "400px").expect("a height");
    scroller.style().set_property("overflow", "auto").expect("scrolling");
    send(&scroller, "scroll");
    settle().await;

    let body_rows = all(&host, ".vtable__body [role=row]");
    assert!(body_rows.len() < 40, "{} rows rendered for a 400 px view", body_rows.len());
    assert_eq!(body_rows[0].text_content().as_deref(), Some("group 0"));
    let table = one(&host, "[role=table]");
    assert_eq!(table.get_attribute("aria-rowcount").as_deref(), Some("10001"));

    scroller.set_scroll_top(200_000);
    send(&scroller, "scroll");
    settle().await;
    let rendered = all(&host, ".vtable__body [role=row]");
    let texts: Vec<String> = rendered.iter().filter_map(|row| row.text_content()).collect();
    assert!(texts.iter().any(|t| t == "group 5000"), "row 5000 is in view: {texts:?}");
    assert!(!texts.iter().any(|t| t == "group 0"), "row 0 has left the page");
    let row = rendered
        .iter()
        .find(|r| r.text_content().as_deref() == Some("group 5000"))
        .expect("the row");
    assert_eq!(row.get_attribute("aria-rowindex").as_deref(), Some("5002"), "header is row 1");

    // A shorter list (a search) shrinks the table and keeps the rows in bounds.
    count.set(3);
    settle().await;
    assert!(all(&host, ".vtable__body [role=row]").len() <= 3);
}

#[wasm_bindgen_test]
async fn the_progress_display_is_indeterminate_until_the_total_is_known() {
    let reading_groups = host();
    let progress = SyncProgress { group_pages: 2, groups_found: 400, ..SyncProgress::default() };
    let _first = leptos::mount::mount_to(reading_groups.clone(), move || {
        view! { <ProgressBar progress /> }
    });
    let bar = one(&reading_groups, "progress");
    assert!(!bar.has_attribute("value"), "no value while the total is unknown");
    assert_eq!(bar.get_attribute("aria-label").as_deref(), Some("Sync progress"));
    let text = reading_groups.text_content().unwrap_or_default();
    assert!(text.contains("2 pages of groups read"), "{text}");

    let reading_members = host();
    let progress = SyncProgress {
        group_pages: 2,
        groups_found: 400,
        member_groups_total: 40,
        member_groups_read: 10,
        status_pages: 0,
        ..SyncProgress::default()
    };
    let _second = leptos::mount::mount_to(reading_members.clone(), move || {
        view! { <ProgressBar progress /> }
    });
    let bar = one(&reading_members, "progress");
    assert_eq!(bar.get_attribute("value").as_deref(), Some("10"));
    assert_eq!(bar.get_attribute("max").as_deref(), Some("40"));
    let text = reading_members.text_content().unwrap_or_default();
    assert!(text.contains("members of 10 of 40 groups read"), "{text}");
}

#[wasm_bindgen_test]
async fn a_settings_field_is_labelled_described_and_marked_invalid_with_its_message() {
    let host = host();
    let value = RwSignal::new(String::new());
    let shown = RwSignal::new(false);
    let message = Signal::derive(move || {
        let draft = SettingsDraft {
            tenant_url: value.get(),
            app_id: "0oa1b2c3d4e5f6g7h8i9".into(),
            api_token: "token".into(),
            ..SettingsDraft::default()
        };
        let problems = check_settings(&draft);
        shown.get().then(|| problems.first().map(|(_, m)| m.clone())).flatten()
    });
    let _mounted = leptos::mount::mount_to(host.clone(), move || {
        view! {
            <Field
                field=SettingsField::TenantUrl
                help="Where you sign in to Okta."
                input_type="url"
                autocomplete="url"
                value
                message
                shown
            />
        }
    });
    let input: HtmlInputElement = one(&host, "input").unchecked_into();
    let label = one(&host, "label");
    assert_eq!(label.get_attribute("for"), Some(input.id()));
    assert_eq!(input.get_attribute("aria-invalid").as_deref(), Some("false"));

    // Typing reaches the form; leaving the field shows the edge's words for the mistake.
    input.set_value("https://acme-admin.okta.com");
    send(&input, "input");
    send(&input, "blur");
    settle().await;
    assert_eq!(value.get_untracked(), "https://acme-admin.okta.com");
    assert_eq!(input.get_attribute("aria-invalid").as_deref(), Some("true"));
    let message_id = format!("{}-message", input.id());
    let described = input.get_attribute("aria-describedby").unwrap_or_default();
    assert!(described.split(' ').any(|id| id == message_id), "{described}");
    let said = one(&host, &format!("#{message_id}")).text_content().unwrap_or_default();
    assert!(said.contains("remove \"-admin\""), "{said}");

    // Fixing it clears the message.
    input.set_value("https://acme.okta.com");
    send(&input, "input");
    settle().await;
    assert_eq!(input.get_attribute("aria-invalid").as_deref(), Some("false"));
    assert_eq!(one(&host, &format!("#{message_id}")).text_content().as_deref(), Some(""));
}
