//! Who is signed in: the header's identity, the local sign-in, and what a non-superAdmin sees.

use crate::browser::Browser;
use crate::product::shared_demo;

#[tokio::test]
async fn signing_in_locally_shows_who_you_are_and_signing_out_forgets_it() {
    let product = shared_demo().await;
    let browser = Browser::open(product).await;
    browser.goto("/groups").await;

    browser.fill("Email (local sign-in)", "Root@Example.com").await;
    browser.click_button("Sign in").await;

    browser.expect_identity("Signed in as root@example.com · superAdmin").await;
    browser.click_button("Sign out").await;
    browser.fill("Email (local sign-in)", "nobody@example.com").await;
    browser.click_button("Sign in").await;
    browser.expect_identity("Signed in as nobody@example.com · no role").await;
    browser.close().await;
}

#[tokio::test]
async fn a_viewer_sees_the_groups_but_no_sync_settings_or_role_changes() {
    let product = shared_demo().await;
    // Grace is in Sales, which grants Viewer.
    let browser = Browser::signed_in(product, "grace.kim@example.com", "/groups").await;
    browser.expect_identity("Signed in as grace.kim@example.com · Viewer").await;
    browser.wait_for_text("[role=table] [role=row]", "Engineering").await;

    browser.wait_for_text(".sync-panel", "Syncing needs the Admin role or superAdmin.").await;
    assert!(!browser.has_button("Sync Okta Groups").await, "no sync button for a Viewer");
    assert!(!browser.has_link("Okta API Access").await, "no settings in the navigation");
    assert!(!browser.has_link("Audit log").await, "no audit log in the navigation");

    browser.goto("/settings/okta").await;
    let settings = browser
        .wait_for_text("main", "Only superAdmins may see and change the Okta settings.")
        .await;
    assert!(settings.contains("Ask a superAdmin of this app if you need it."), "{settings}");

    browser.goto("/audit").await;
    browser.wait_for_text("main", "The audit log needs the Admin role or superAdmin.").await;

    browser.goto("/groups").await;
    browser.click_link("Engineering").await;
    browser.wait_for_text("main", "Assigning roles needs the Editor role or higher.").await;
    assert!(!browser.button_enabled("Save roles").await, "roles are read-only for a Viewer");
    browser.close().await;
}

#[tokio::test]
async fn a_403_from_the_edge_is_shown_as_not_allowed_never_as_a_crash() {
    let product = shared_demo().await;
    // Kenji's group (Finance) grants nothing: the edge refuses the group listing.
    let browser = Browser::signed_in(product, "kenji.tanaka@example.com", "/invite").await;
    browser.expect_identity("Signed in as kenji.tanaka@example.com · no role").await;
    let refusal =
        browser.wait_for_text("main", "Inviting users needs the Editor role or higher.").await;
    // And who can change that.
    assert!(refusal.contains("ask a superAdmin of this app"), "{refusal}");
    browser.goto("/groups/00gdoesnotexist").await;
    let alert = browser.wait_for_text("[role=alert]", "Not allowed").await;
    assert!(alert.contains("Not allowed:"), "{alert}");
    // In the words of the screens (roles), never a permission's id such as read_groups.
    assert!(alert.contains("the Viewer role or higher"), "{alert}");
    assert!(!alert.contains("permission") && !alert.contains('_'), "{alert}");
    assert!(alert.contains("Ask a superAdmin of this app"), "who to ask: {alert}");
    browser.close().await;
}
