//! The app shell: navigation to every screen, deep links, the not-found page, and the backend
//! status in the header.

use crate::browser::Browser;

#[tokio::test]
async fn navigation_reaches_every_screen_and_the_backend_status_is_shown() {
    let browser = Browser::open().await;
    browser.goto("/").await;
    browser.expect_heading("User Groups").await;
    assert_eq!(browser.path().await, "/groups", "the root opens User Groups");
    browser.expect_backend_status("Backend online · database OK · v0.1.0").await;

    for (link, path) in [
        ("Invite User", "/invite"),
        ("Okta API Access", "/settings/okta"),
        ("User Groups", "/groups"),
    ] {
        browser.click_link(link).await;
        browser.expect_heading(link).await;
        assert_eq!(browser.path().await, path);
        assert_eq!(browser.current_nav_link().await, link, "the link is marked current");
    }
    browser.expect_backend_status("Backend online · database OK · v0.1.0").await;
    browser.close().await;
}

#[tokio::test]
async fn a_deep_link_opens_its_screen() {
    let browser = Browser::open().await;

    browser.goto("/settings/okta").await;

    browser.expect_heading("Okta API Access").await;
    assert_eq!(browser.current_nav_link().await, "Okta API Access");
    browser.close().await;
}

#[tokio::test]
async fn an_unknown_address_shows_not_found_with_a_way_back() {
    let browser = Browser::open().await;
    browser.goto("/no/such/screen").await;
    browser.expect_heading("Page not found").await;

    browser.click_link("Go to User Groups").await;

    browser.expect_heading("User Groups").await;
    browser.close().await;
}
