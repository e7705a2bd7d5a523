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
        assert_eq!(browser.current_nav_link().await, link, "the link is marked current");
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

#[tokio::test]
async fn a_deep_link_opens_its_screen() {
    let product = shared_demo().await;
    let browser = Browser::signed_in(product, ROOT, "/settings/okta").await;

    browser.expect_heading("Okta API Access").await;
    assert_eq!(browser.current_nav_link().await, "Okta API Access");
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
