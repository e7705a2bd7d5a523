//! Every screen, on a desktop and at 360 px wide, audited by axe-core with zero violations
//! allowed; the same walk saves the screenshots of `docs/screenshots/` when asked to.
//!
//! `SCREENSHOTS_DIR=docs/screenshots cargo test -p browser-tests --test browser -- accessibility`
//! (after `cargo xtask build`) writes them.

use std::path::PathBuf;

use fake_okta::TenantSize;

use crate::browser::{Browser, SYNC_PATIENCE};
use crate::product::{Product, ROOT};

/// The window sizes every screen is audited at: a desktop, and a small phone.
const SIZES: [(&str, u32, u32); 2] = [("desktop", 1280, 900), ("mobile", 360, 780)];

#[tokio::test]
async fn every_screen_has_no_accessibility_violations_on_a_desktop_or_a_phone() {
    let product = Product::start("accessibility", TenantSize::Demo);
    product.configure_okta().await;
    let run = product.sync().await;
    assert_eq!(run["state"], "succeeded", "{run}");
    let engineering = product.group_named("Engineering").await;
    let engineering_id = engineering["id"].as_str().expect("an id").to_owned();
    // A custom role of an app permission, granted on a scope: the Roles screen lists it, the
    // group's screen shows the grant.
    let permission = serde_json::json!({ "name": "runbooks.execute", "description": "Run one" });
    product.api(ROOT, reqwest::Method::POST, "/api/v1/permissions", Some(permission)).await;
    let role = serde_json::json!({
        "key": "runbook_operator", "name": "Runbook operator", "permissions": ["runbooks.execute"],
    });
    product.api(ROOT, reqwest::Method::POST, "/api/v1/roles", Some(role)).await;
    let set_roles = serde_json::json!({
        "roles": ["admin"],
        "grants": [{ "role": "runbook_operator", "scope": "folder:/prod" }],
        "version": engineering["roles_version"],
    });
    product
        .api(
            ROOT,
            reqwest::Method::PUT,
            &format!("/api/v1/groups/{engineering_id}/roles"),
            Some(set_roles),
        )
        .await;
    let invite = serde_json::json!({ "email": "alice.johnson@example.com" });
    product.api(ROOT, reqwest::Method::POST, "/api/v1/invitations", Some(invite)).await;
    // A second superAdmin, whose role change meets one made on the screen (a conflict).
    let other = "other.admin@example.com";
    let body = serde_json::json!({ "email": other });
    product.api(ROOT, reqwest::Method::POST, "/api/v1/super-admins", Some(body)).await;
    let screenshots = std::env::var_os("SCREENSHOTS_DIR").map(PathBuf::from);

    let mut violations = Vec::new();
    for (size, width, height) in SIZES {
        let browser = Browser::open_sized(&product, width, height).await;
        let mut audit = async |screen: &str| {
            for violation in browser.axe_violations().await {
                violations.push(format!("{screen} ({size}): {violation}"));
            }
            if let Some(dir) = &screenshots {
                std::fs::create_dir_all(dir).expect("the screenshot directory");
                browser.screenshot(&dir.join(format!("{screen}-{size}.png"))).await;
            }
        };

        // Signed out: the sign-in form in the header.
        browser.goto("/groups").await;
        browser.wait_for_text(".identity", "Email (local sign-in)").await;
        browser.wait_for_text("main", "You are not signed in.").await;
        audit("signed-out").await;

        browser.sign_in(&product, ROOT, "/groups").await;
        browser.wait_for_text("#group-count", "12 groups").await;
        browser.click_button("Preview").await;
        browser.wait_for_text_within("#sync-status", "Preview ready", SYNC_PATIENCE).await;
        audit("user-groups").await;

        browser.goto(&format!("/groups/{engineering_id}")).await;
        browser.wait_for_text("#history-heading ~ *", "Roles of Engineering: Admin added").await;
        browser.input("Scope of custom role 1").await;
        audit("group-detail").await;

        browser.goto("/roles").await;
        browser.wait_for_text("#custom-roles-heading ~ *", "Runbook operator").await;
        browser.click_button("Delete…").await;
        browser.wait_for_text(".role-impact", "Engineering").await;
        audit("roles").await;

        // A role change saved meanwhile by someone else: named, with the one way on.
        let product_group = product.group_named("Product").await;
        let product_id = product_group["id"].as_str().expect("an id");
        browser.goto(&format!("/groups/{product_id}")).await;
        browser.expect_heading("Product").await;
        browser.input_starting("Admin — ").await.click().await.expect("checking Admin");
        let theirs = if size == "desktop" { "editor" } else { "viewer" };
        let body =
            serde_json::json!({ "roles": [theirs], "version": product_group["roles_version"] });
        let roles_path = format!("/api/v1/groups/{product_id}/roles");
        product.api(other, reqwest::Method::PUT, &roles_path, Some(body)).await;
        browser.click_button("Save roles").await;
        browser.wait_for_text("#roles-outcome", "Not saved").await;
        audit("roles-conflict").await;

        browser.goto("/invite").await;
        browser.fill("Email", "alice.johnson@example.com").await;
        browser.wait_for_text(".preview", "They will get").await;
        browser.click_button("Why?").await;
        browser.wait_for_text(".why", "Okta status").await;
        audit("invite-user").await;

        browser.goto("/sync").await;
        browser.wait_for_text("#runs-table", "Preview").await;
        audit("sync-history").await;

        // The first run, which added every group.
        browser.goto(&format!("/sync/runs/{}", run["id"].as_str().expect("a run id"))).await;
        browser.wait_for_text(".diff", "Engineering").await;
        audit("sync-run").await;

        browser.goto("/audit").await;
        browser.wait_for_text("#audit-table", "Okta settings changed").await;
        audit("audit-log").await;

        browser.goto("/settings/okta").await;
        browser.wait_for_text(".token-status", "Configured").await;
        browser.fill("Okta tenant URL", "https://acme-admin.okta.com").await;
        browser.click_button("Save").await;
        browser.wait_for_text("#tenant_url-message", "-admin").await;
        audit("okta-settings").await;

        browser.goto("/no/such/screen").await;
        browser.expect_heading("Page not found").await;
        audit("not-found").await;
        browser.close().await;
    }
    assert!(violations.is_empty(), "axe found:\n{}", violations.join("\n"));
}
