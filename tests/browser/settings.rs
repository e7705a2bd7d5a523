//! Settings → Okta API Access: inline validation, Test connection (the good case and each named
//! failure), saving, and the token shown only as "ends in …" afterwards.

use fake_okta::TenantSize;

use crate::browser::Browser;
use crate::product::{Product, ROOT};

#[tokio::test]
async fn a_super_admin_configures_okta_after_a_connection_test_and_each_failure_is_named() {
    let product = Product::start("settings", TenantSize::Demo);
    let okta = &product.okta;
    // Before Okta is configured, a sync says what to enter, and where, with a link there.
    let browser = Browser::signed_in(&product, ROOT, "/groups").await;
    browser.click_button("Sync Okta Groups").await;
    let alert = browser.wait_for_text(".alert--error", "Enter the tenant URL").await;
    assert!(!alert.contains("Conflict"), "{alert}");
    browser.click(".alert--error a[href=\"/settings/okta\"]").await;
    browser.expect_heading("Okta API Access").await;
    browser.wait_for_text(".token-status", "Not configured yet.").await;

    // Inline validation, in the edge's words, once the field is left.
    browser.fill("Okta tenant URL", "https://acme-admin.okta.com").await;
    browser.fill("App ID", "00g1234").await;
    let message = browser.wait_for_text("#tenant_url-message", "Admin Console address").await;
    assert!(message.contains("remove \"-admin\""), "{message}");
    browser.wait_for_text("#app_id-message", "An App ID is 20 characters long").await;
    browser.click_button("Save").await;
    browser.wait_for_text("#api_token-message", "Enter the Okta API token.").await;
    let invalid = browser.input("Okta tenant URL").await;
    assert_eq!(invalid.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));

    // A field the edge refuses (an address that is not an Okta domain) is named by its label.
    browser.fill("Okta tenant URL", "https://example.com").await;
    browser.fill("App ID", &okta.app_id).await;
    browser.fill("API token", &okta.token).await;
    browser.click_button("Test connection").await;
    let refused = browser.wait_for_text("#test-result [role=alert]", "Okta domain").await;
    assert!(refused.starts_with("Okta tenant URL: The host must be"), "{refused}");
    assert!(!refused.contains("tenant_url"), "no API names for people: {refused}");

    // Each failure of the connection test is named in words.
    let (url, token, app) = (okta.base_url.as_str(), okta.token.as_str(), okta.app_id.as_str());
    let failures = [
        (url, "00wrong-token-zzzz", app, "Okta rejected the API token"),
        (
            url,
            okta.restricted_token.as_str(),
            app,
            "The token works, but it may not read the members",
        ),
        (url, token, "0oa00000000000000000", "Okta has no app with this App ID."),
        (url, token, okta.oidc_app_id.as_str(), "not SAML 2.0"),
        (url, token, okta.inactive_app_id.as_str(), "it is not active in Okta"),
        ("http://127.0.0.1:9", token, app, "Okta could not be reached"),
    ];
    for (tenant, token, app, expected) in failures {
        browser.fill("Okta tenant URL", tenant).await;
        browser.fill("App ID", app).await;
        browser.fill("API token", token).await;
        browser.click_button("Test connection").await;
        let alert = browser.wait_for_text("#test-result [role=alert]", expected).await;
        assert!(!alert.contains(token) || token.len() < 10, "the token is never shown: {alert}");
    }

    // The good case, then Save; the token is described, never shown again.
    browser.fill("Okta tenant URL", &okta.base_url).await;
    browser.fill("App ID", &okta.app_id).await;
    browser.fill("API token", &okta.token).await;
    browser.click_button("Test connection").await;
    browser.wait_for_text("#test-result [role=status]", "Connected.").await;
    browser.click_button("Save").await;
    browser.wait_for_text("#save-result [role=status]", "Settings saved.").await;
    let last4 = &okta.token[okta.token.len() - 4..];
    let status = browser
        .wait_for_text(".token-status", &format!("Configured · ends in {last4} · set by {ROOT}"))
        .await;
    assert!(!status.contains(&okta.token[..8]), "{status}");
    let token_field = browser.input("API token").await;
    assert_eq!(token_field.prop("value").await.unwrap().as_deref(), Some(""));
    assert_eq!(token_field.attr("type").await.unwrap().as_deref(), Some("password"));
    let page = browser.client.source().await.expect("the page");
    assert!(!page.contains(&okta.token), "the token is nowhere in the page");
    browser.close().await;
}

#[tokio::test]
async fn a_super_admin_makes_the_event_hook_s_secret_sees_it_once_and_sees_okta_verify_it() {
    let product = Product::start("settings-hook", TenantSize::Demo);
    let browser = Browser::signed_in(&product, ROOT, "/settings/okta").await;
    browser.expect_heading("Okta API Access").await;
    browser.wait_for_text("#hook-status", "No secret yet").await;
    let url = browser.wait_for_text("#hook-url", "/api/v1/okta/events").await;
    assert_eq!(url, format!("{}/api/v1/okta/events", product.base_url()));

    // The secret is shown once, with what to do with it.
    browser.click_button("Make a secret").await;
    browser.wait_for_text("#hook-secret-result [role=status]", "it is not shown again").await;
    let secret = browser.wait_for_text("#hook-secret", "gsh_").await;
    browser.wait_for_text("#hook-status", "No verification call yet").await;

    // Okta (the fake) verifies the hook with it; the screen says so, and never shows the secret
    // again.
    let registration =
        fake_okta::HookRegistration { url, secret: secret.clone(), duplicate_every: None };
    product.control.register_event_hook(registration).await.expect("the hook is verified");
    browser.goto("/settings/okta").await;
    browser.wait_for_text("#hook-status", "Verification call answered").await;
    browser
        .wait_until(
            "return document.querySelector('#hook-secret') === null",
            "the secret is not shown again",
        )
        .await;
    assert!(browser.has_button("Make a new secret").await);
    product.control.unregister_event_hook();
}
