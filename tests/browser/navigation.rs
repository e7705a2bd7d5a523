//! The app shell: navigation to every screen, deep links, the not-found page, and the backend
//! status in the header.

use crate::browser::Browser;
use crate::product::{ROOT, shared_demo};

#[tokio::test]
async fn navigation_reaches_every_screen_and_the_backend_status_is_shown() {
    let product = shared_demo().await;
    let browser = Browser::signed_in(product, ROOT, "/").await;
    browser.expect_heading("User Groups").await;
    assert_eq!(browser.path().await, "/groups", "the root opens User Groups");
    browser.expect_backend_status("Backend online · database OK · v0.1.0").await;

    for (link, heading, path) in [
        ("Invite User", "Invite User", "/invite"),
        ("Sync history", "Sync history", "/sync"),
        ("Audit log", "Audit log", "/audit"),
        ("Okta API Access", "Okta API Access", "/settings/okta"),
        ("User Groups", "User Groups", "/groups"),
    ] {
        browser.click_link(link).await;
        browser.expect_heading(heading).await;
        assert_eq!(browser.path().await, path);
        browser.expect_current_nav_link(link).await;
        let title = browser.client.title().await.expect("a title");
        assert_eq!(title, format!("{heading} · Okta Groups Sync"));
        // The focus moves on the frame after the screen changes, which a loaded machine draws
        // late: wait for it.
        let focused = "return document.activeElement && document.activeElement.id === 'main'";
        browser.wait_until(focused, "the focus moves to the main content").await;
    }
    browser.expect_backend_status("Backend online · database OK · v0.1.0").await;
    browser.close().await;
}

/// Holds back every request to the audit log until it is cancelled, and records it in
/// `window.heldAuditRequests`: the screen is then left while it still waits, on any machine.
const HOLD_AUDIT_REQUESTS: &str = r"
    window.heldAuditRequests = [];
    const fetchForReal = window.fetch.bind(window);
    window.fetch = (request, init) => {
        const url = typeof request === 'string' ? request : request.url;
        if (!url.includes('/api/v1/audit')) return fetchForReal(request, init);
        const held = { url, cancelled: false };
        window.heldAuditRequests.push(held);
        const signal = (init && init.signal) || request.signal;
        return new Promise((_, reject) => {
            if (!signal) return;
            signal.addEventListener('abort', () => {
                held.cancelled = true;
                reject(new DOMException('The request was cancelled.', 'AbortError'));
            });
        });
    };
";

#[tokio::test]
async fn leaving_a_screen_cancels_the_requests_it_still_waits_for() {
    let product = shared_demo().await;
    let browser = Browser::signed_in(product, ROOT, "/groups").await;
    browser.expect_heading("User Groups").await;
    browser.client.execute(HOLD_AUDIT_REQUESTS, vec![]).await.expect("the page runs the script");

    browser.click_link("Audit log").await;
    browser.expect_heading("Audit log").await;
    let asked = "return window.heldAuditRequests.length > 0";
    browser.wait_until(asked, "the audit log asks the edge").await;
    browser.click_link("User Groups").await;

    browser.expect_heading("User Groups").await;
    let cancelled = "return window.heldAuditRequests.every(request => request.cancelled)";
    browser.wait_until(cancelled, "the audit log's requests are cancelled").await;
    browser.close().await;
}

#[tokio::test]
async fn a_deep_link_opens_its_screen() {
    let product = shared_demo().await;
    let browser = Browser::signed_in(product, ROOT, "/settings/okta").await;

    browser.expect_heading("Okta API Access").await;
    browser.expect_current_nav_link("Okta API Access").await;
    browser.close().await;
}

#[tokio::test]
async fn an_unknown_address_shows_not_found_with_a_way_back() {
    let product = shared_demo().await;
    let browser = Browser::open(product).await;
    browser.goto("/no/such/screen").await;
    browser.expect_heading("Page not found").await;

    browser.click_link("Go to User Groups").await;

    browser.expect_heading("User Groups").await;
    browser.close().await;
}

#[tokio::test]
async fn a_signed_out_person_is_told_how_to_sign_in_in_words_for_people() {
    let product = shared_demo().await;
    let browser = Browser::open(product).await;
    browser.goto("/groups").await;
    let alert = browser.wait_for_text(".alert--error", "You are not signed in").await;
    assert!(alert.contains("Okta dashboard"), "{alert}");
    // The edge's sentence is for programs calling the API.
    assert!(!alert.contains("API key"), "{alert}");
    browser.wait_for_text(".identity", "Email (local sign-in)").await;
    browser.close().await;
}

#[tokio::test]
async fn on_a_phone_the_menu_folds_behind_one_button_so_a_screen_starts_near_the_top() {
    let product = shared_demo().await;
    let browser = Browser::open_sized(product, 360, 780).await;
    browser.sign_in(product, ROOT, "/groups").await;
    browser.expect_heading("User Groups").await;

    let menu = "document.getElementById('app-nav-menu')";
    let shown = |what: &str| format!("return getComputedStyle({what}).display !== 'none'");
    let expanded =
        "return document.querySelector('.app-nav__toggle').getAttribute('aria-expanded')";
    let value = |script: &'static str| {
        let browser = &browser;
        async move { browser.client.execute(script, vec![]).await.expect("the script runs") }
    };
    assert_eq!(value(expanded).await, "false");
    assert_eq!(browser.client.execute(&shown(menu), vec![]).await.unwrap(), false, "folded");
    // The header and the folded menu leave the heading in the first third of the screen (the
    // unfolded menu alone is about 270 px tall).
    let top = "return document.querySelector('main h1').getBoundingClientRect().top";
    let top = value(top).await.as_f64().expect("a position");
    assert!(top < 780.0 / 3.0, "the heading starts {top} px down");

    // One button opens it, by keyboard as by touch; following a link folds it again.
    let focus = "document.querySelector('.app-nav__toggle').focus(); return true";
    value(focus).await;
    browser.client.active_element().await.unwrap().send_keys("\u{e007}").await.unwrap();
    browser.wait_until(&shown(menu), "the menu opens").await;
    assert_eq!(value(expanded).await, "true");
    // Escape folds it again and gives the focus back to its button.
    browser.client.active_element().await.unwrap().send_keys("\u{e00c}").await.unwrap();
    browser.wait_until(&shown(menu).replace("!==", "==="), "Escape folds the menu").await;
    let on_button = "return document.activeElement === document.querySelector('.app-nav__toggle')";
    browser.wait_until(on_button, "the focus is back on Menu").await;
    browser.client.active_element().await.unwrap().send_keys("\u{e007}").await.unwrap();
    browser.wait_until(&shown(menu), "the menu opens again").await;
    browser.click_link("Invite User").await;
    browser.expect_heading("Invite User").await;
    browser.wait_until(&shown(menu).replace("!==", "==="), "the menu folds again").await;
    assert_eq!(value(expanded).await, "false");

    browser.close().await;

    // On a desktop there is no button: the menu is always there.
    let desktop = Browser::signed_in(product, ROOT, "/invite").await;
    desktop.expect_heading("Invite User").await;
    desktop.wait_until(&shown(menu), "the menu shows beside the screen").await;
    let button = "return getComputedStyle(document.querySelector('.app-nav__toggle')).display";
    assert_eq!(desktop.client.execute(button, vec![]).await.unwrap(), "none");
    desktop.close().await;
}

#[tokio::test]
async fn on_a_phone_a_wide_table_says_that_it_scrolls_and_the_keyboard_scrolls_it() {
    let product = shared_demo().await;
    let browser = Browser::open_sized(product, 360, 780).await;
    browser.sign_in(product, ROOT, "/audit").await;
    browser.expect_heading("Audit log").await;
    browser.wait_for_text("#audit-table tbody", "Okta settings changed").await;

    let region = "document.querySelector('.table-scroll')";
    let run = |script: String| {
        let browser = &browser;
        async move { browser.client.execute(&script, vec![]).await.expect("the script runs") }
    };
    let wider = run(format!("return {region}.scrollWidth > {region}.clientWidth")).await;
    assert_eq!(wider, true, "the audit table is wider than a phone");
    let hint = ".table-scroll__hint";
    let shown = format!("return getComputedStyle(document.querySelector('{hint}')).display");
    assert_ne!(run(shown.clone()).await, "none", "the hint shows on a phone");
    assert_eq!(browser.texts(hint).await, ["Scroll the table sideways to see every column."]);
    let named = run(format!("return [{region}.getAttribute('role'), {region}.ariaLabel]")).await;
    assert_eq!(named, serde_json::json!(["region", "Table of audit entries"]));

    // The region takes the keyboard's focus, and the arrow keys scroll it.
    run(format!("{region}.focus(); return true")).await;
    let focused = browser.client.active_element().await.expect("a focused element");
    for _ in 0..5 {
        focused.send_keys("\u{e014}").await.expect("ArrowRight");
    }
    browser.wait_until(&format!("return {region}.scrollLeft > 0"), "the table scrolls").await;
    browser.close().await;

    let desktop = Browser::signed_in(product, ROOT, "/audit").await;
    desktop.wait_for_text("#audit-table tbody", "Okta settings changed").await;
    assert_eq!(desktop.client.execute(&shown, vec![]).await.unwrap(), "none", "no hint");
    desktop.close().await;
}

#[tokio::test]
async fn on_a_phone_the_groups_keep_their_members_and_roles_in_view_and_the_people_table_scrolls() {
    let product = shared_demo().await;
    let browser = Browser::open_sized(product, 360, 780).await;
    browser.sign_in(product, ROOT, "/groups").await;
    browser.wait_for_text(".vtable__body", "Engineering").await;
    // The columns a phone keeps (name, members, roles) are inside the screen, none clipped.
    let kept = "return [...document.querySelectorAll('.vtable__row')].map(row =>
            [...row.children].filter(cell => getComputedStyle(cell).display !== 'none')
                .map(cell => [cell.classList[1], cell.getBoundingClientRect().right]))";
    let rows = browser.client.execute(kept, vec![]).await.expect("the rows' cells");
    let width = browser.client.execute("return window.innerWidth", vec![]).await.unwrap();
    let width = width.as_f64().expect("a width");
    let rows = rows.as_array().expect("rows").clone();
    assert!(rows.len() > 2, "a header and rows: {rows:?}");
    for row in &rows {
        let columns: Vec<&str> =
            row.as_array().unwrap().iter().map(|cell| cell[0].as_str().unwrap_or("")).collect();
        assert_eq!(columns, ["col--name", "col--members", "col--roles"], "{row}");
        for cell in row.as_array().unwrap() {
            assert!(cell[1].as_f64().unwrap() <= width, "inside the {width}px screen: {row}");
        }
    }

    // The People table is wider than a phone: it says so, and its last column can be reached.
    browser.goto("/invite").await;
    browser.wait_for_text("#people-table tbody", ROOT).await;
    let region = "document.querySelector('#people-table').closest('.table-scroll')";
    let hint = format!("{region}.previousElementSibling");
    let says = format!(
        "return {region}.scrollWidth <= {region}.clientWidth \
         || getComputedStyle({hint}).display !== 'none'"
    );
    assert_eq!(browser.client.execute(&says, vec![]).await.unwrap(), true, "a hint if it scrolls");
    let why = "const button = document.querySelector('#people-table tbody tr .row-actions button');
         button.scrollIntoView({ inline: 'end', block: 'nearest' });
         const box = button.getBoundingClientRect();
         return box.width > 0 && box.left >= 0 && box.right <= window.innerWidth";
    browser.wait_until(why, "Why? can be scrolled into view").await;
    browser.close().await;
}
