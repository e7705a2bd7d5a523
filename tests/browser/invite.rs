//! Invite User: the roles an email will get (and through which Okta group) before sending, the
//! invitation in the users table, and **Why?** explaining a user's access.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::json;

use crate::browser::{Browser, PATIENCE};
use crate::product::{ROOT, shared_demo};

#[tokio::test]
async fn typing_an_email_shows_the_roles_it_will_get_before_the_invitation_is_sent() {
    let product = shared_demo().await;
    let browser = Browser::signed_in(product, ROOT, "/invite").await;
    browser.expect_heading("Invite User").await;

    // Alice is in Engineering, which grants Admin.
    browser.fill("Email", "alice.johnson@example.com").await;
    let preview = browser.wait_for_text(".preview", "They will get: Admin").await;
    let engineering = product.group_named("Engineering").await;
    let engineering_id = engineering["id"].as_str().expect("an id");
    assert!(
        preview.contains(&format!("Admin via Okta group Engineering {engineering_id}")),
        "{preview}"
    );

    // George is only in Contractors, a group not assigned to the app.
    browser.fill("Email", "george.hall@example.com").await;
    let preview = browser.wait_for_text(".preview", "They will get: no role").await;
    let notes = browser.texts(".preview .note").await;
    assert!(!notes.is_empty() && notes.iter().all(|n| !n.is_empty()), "why no role: {preview}");
    assert!(!preview.contains("via Okta group"), "{preview}");

    browser.fill("Email", "alice.johnson@example.com").await;
    browser.wait_for_text(".preview", "They will get: Admin").await;
    browser.click_button("Send invitation").await;

    let sent = browser.wait_for_text("#invite-result", "Invitation sent").await;
    assert_eq!(sent, "Invitation sent to alice.johnson@example.com. Roles: Admin.");
    // The users and the invitations are two answers: the row is whole once both are in.
    let started = Instant::now();
    let row = loop {
        let rows = browser.texts("tbody tr").await;
        let alice = rows.into_iter().find(|r| r.starts_with("alice.johnson@example.com "));
        if let Some(row) = alice.filter(|r| r.contains(&format!("by {ROOT} at "))) {
            break row;
        }
        assert!(started.elapsed() < PATIENCE, "Alice is listed as invited by {ROOT}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(row.starts_with("alice.johnson@example.com invited Admin by"), "{row}");
    browser.close().await;
}

#[tokio::test]
async fn why_explains_a_users_access_by_role_and_group_and_takes_the_focus() {
    let product = shared_demo().await;
    let bob = "bob.martinez@example.com";
    let body = json!({ "email": bob });
    product.api(ROOT, reqwest::Method::POST, "/api/v1/invitations", Some(body)).await;
    let browser = Browser::signed_in(product, ROOT, "/invite").await;
    browser.wait_for_text("tbody tr", bob).await;

    let label = format!("Why does {bob} have this access?");
    let why = browser.client.find(Locator::Css(&format!("button[aria-label=\"{label}\"]"))).await;
    why.expect("a Why? button for Bob").click().await.expect("clicking Why?");

    let heading = browser.wait_for_text(".why h2", "has this access").await;
    assert_eq!(heading, format!("Why {bob} has this access"));
    let panel = browser.wait_for_text(".why", "Roles: Admin").await;
    let engineering = product.group_named("Engineering").await;
    let engineering_id = engineering["id"].as_str().expect("an id");
    assert!(
        panel.contains(&format!("Admin via Okta group Engineering {engineering_id}")),
        "{panel}"
    );
    assert!(panel.contains("Okta status: ACTIVE."), "{panel}");
    assert!(!panel.contains("Security"), "Security grants nothing: {panel}");
    let started = Instant::now();
    loop {
        let focused =
            browser.client.execute("return document.activeElement.id", vec![]).await.expect("JS");
        if focused == "why-heading" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the focus is on {focused}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    browser.click_button("Close").await;
    let closed = Instant::now();
    while browser.client.find(Locator::Css(".why")).await.is_ok() {
        assert!(closed.elapsed() < Duration::from_secs(5), "Close closes the explanation");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    browser.close().await;
}
