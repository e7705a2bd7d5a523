//! The banner superAdmins see on every screen while Okta sync keeps failing: it appears when a
//! run fails, says since when and why, leads to the settings and the history, is never shown to
//! anyone else, and goes away when a run succeeds.

use fake_okta::{Endpoint, FaultKind, FaultSpec, TenantSize};
use serde_json::json;

use crate::browser::{Browser, SYNC_PATIENCE};
use crate::product::{Product, ROOT};

/// The banner (an alert in the header).
const BANNER: &str = "header .sync-alarm[role=alert]";

/// In Sales, which grants Viewer here.
const VIEWER: &str = "grace.kim@example.com";

#[tokio::test]
async fn super_admins_see_that_sync_keeps_failing_until_it_works_and_viewers_never_do() {
    let product = Product::start("sync-alarm", TenantSize::Demo);
    product.configure_okta().await;
    let first = product.sync().await;
    assert_eq!(first["state"], "succeeded", "{first}");
    let sales = product.group_named("Sales").await;
    let path = format!("/api/v1/groups/{}/roles", sales["id"].as_str().expect("an id"));
    let body = json!({ "roles": ["viewer"], "version": sales["roles_version"] });
    product.api(ROOT, reqwest::Method::PUT, &path, Some(body)).await;
    let browser = Browser::signed_in(&product, ROOT, "/groups").await;
    browser.wait_for_text("#group-count", "12 groups").await;

    // Okta starts rejecting the token; the next run fails.
    let rejected = FaultSpec::new(FaultKind::Error { status: 401 }).on(Endpoint::ListAppGroups);
    product.control.add_fault(rejected.times(1_000));
    browser.click_button("Sync Okta Groups").await;
    browser.wait_for_text_within("#sync-status", "The sync failed", SYNC_PATIENCE).await;

    // The banner appears without a reload: since when, and why.
    let banner = browser.wait_for_text(BANNER, "Okta sync has been failing since").await;
    let runs = product.api(ROOT, reqwest::Method::GET, "/api/v1/sync/runs", None).await;
    let failed = &runs["runs"][0];
    assert_eq!(failed["state"], "failed", "{failed}");
    let ended = failed["ended_at"].as_str().expect("a failed run's end");
    let since = format!("{} {} UTC", &ended[..10], &ended[11..16]);
    assert!(banner.contains(&format!("failing since {since} (1 failed run).")), "{banner}");
    assert!(banner.contains("Okta rejected the API token"), "the last failure: {banner}");
    assert!(!banner.contains(&product.okta.token), "the token is never shown");
    let violations = browser.axe_violations().await;
    assert!(violations.is_empty(), "{violations:?}");

    // It stays on every screen, and its links lead where to act, by keyboard too.
    browser.goto("/invite").await;
    browser.wait_for_text(BANNER, &format!("failing since {since}")).await;
    let focused = "const link = document.querySelector('header .sync-alarm a[href=\"/settings/okta\"]'); \
                   link.focus(); return document.activeElement === link";
    browser.wait_until(focused, "the settings link takes the keyboard's focus").await;
    browser
        .client
        .active_element()
        .await
        .expect("the focused link")
        .send_keys("\u{E007}")
        .await
        .expect("Enter");
    browser.expect_heading("Okta API Access").await;
    browser.wait_for_text(BANNER, "Okta rejected the API token").await;

    // A Viewer is never told (nor asks).
    let viewer = Browser::signed_in(&product, VIEWER, "/groups").await;
    viewer.expect_identity(&format!("Signed in as {VIEWER} · Viewer")).await;
    viewer.wait_for_text("#group-count", "12 groups").await;
    assert!(viewer.texts(".sync-alarm").await.is_empty(), "no banner for a Viewer");
    viewer.close().await;

    // Okta accepts the token again; a run that succeeds takes the banner away.
    product.control.clear_faults();
    browser.goto("/groups").await;
    browser.wait_for_text(BANNER, "failing since").await;
    browser.click_button("Sync Okta Groups").await;
    browser.wait_for_text_within("#sync-status", "Sync finished.", SYNC_PATIENCE).await;
    let gone = "return document.querySelector('.sync-alarm') === null";
    browser.wait_until(gone, "the banner goes once a run succeeded").await;
    browser.close().await;
}
