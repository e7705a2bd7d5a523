//! Settings → Okta API Access: inline validation, Test connection (the good case and each named
//! failure), saving, and the token shown only as "ends in …" afterwards; the OAuth 2.0 service
//! app, with the key pair the edge makes and its public key registered in (the fake) Okta.

use fake_okta::{ServiceApp, TenantSize};
use serde_json::{Value, json};

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

#[tokio::test]
async fn a_super_admin_connects_okta_through_a_service_app_with_a_key_pair_made_by_the_edge() {
    let product = Product::start("settings-service-app", TenantSize::Demo);
    let okta = &product.okta;
    let browser = Browser::signed_in(&product, ROOT, "/settings/okta").await;
    browser.expect_heading("Okta API Access").await;
    browser.fill("Okta tenant URL", &okta.base_url).await;
    browser.fill("App ID", &okta.app_id).await;

    // The service app needs a client id and a key pair, not a token.
    browser.choose("OAuth 2.0 service app (recommended)").await;
    let token_field = browser.input("API token").await;
    assert!(!token_field.is_displayed().await.expect("its visibility"), "the token is not asked");
    browser.click_button("Save").await;
    browser.wait_for_text("#client_id-message", "A client id is 1 to 100 characters").await;
    browser.wait_for_text("#service_app_key-message", "Generate a key pair").await;

    // The edge makes the key pair; its public half is shown, to add to the app in Okta.
    browser.click_button("Generate key pair").await;
    browser.wait_for_text("#service-app-key-note", "not saved yet").await;
    let kid = browser.wait_for_text("#service-app-kid", "").await;
    let jwk: Value = serde_json::from_str(&browser.wait_for_text("#service-app-jwk", "{").await)
        .expect("the public key is a JWK in JSON");
    assert_eq!((jwk["kty"].as_str(), jwk["kid"].as_str()), (Some("RSA"), Some(kid.as_str())));
    assert!(jwk.get("d").is_none(), "no private part: {jwk}");
    browser
        .wait_until(
            "return document.querySelector('#service_app_key-message').textContent === ''",
            "the key's message goes once there is a key",
        )
        .await;

    // A client id Okta does not know is named as such, and nothing is saved.
    browser.fill("Client ID", "0oaunknownclient0001").await;
    browser.click_button("Test connection").await;
    browser.wait_for_text("#test-result [role=alert]", "Okta did not accept the client").await;
    browser.click_button("Save").await;
    browser.wait_for_text("#save-result [role=alert]", "Nothing was saved").await;

    // The app registered in Okta with that public key: the test passes, and the save keeps it.
    let scopes = ["okta.apps.read", "okta.groups.read", "okta.users.read"];
    let client_id = product
        .control
        .register_service_app(ServiceApp::new(json!({ "keys": [jwk] }), &scopes))
        .expect("the fake registers the app");
    browser.fill("Client ID", &client_id).await;
    browser.click_button("Test connection").await;
    browser.wait_for_text("#test-result [role=status]", "Connected.").await;
    browser.click_button("Save").await;
    browser.wait_for_text("#save-result [role=status]", "Settings saved.").await;
    browser
        .wait_for_text("#service-app-key-note", "The key the saved service app signs with")
        .await;

    // Read again, the service app is the credential, with its client id and key.
    browser.goto("/settings/okta").await;
    browser.expect_heading("Okta API Access").await;
    browser
        .wait_for_text("#service-app-key-note", "The key the saved service app signs with")
        .await;
    assert_eq!(browser.wait_for_text("#service-app-kid", &kid).await, kid);
    let chosen = browser.input_starting("OAuth 2.0 service app").await;
    assert_eq!(chosen.prop("checked").await.unwrap().as_deref(), Some("true"));
    let client = browser.input("Client ID").await;
    assert_eq!(client.prop("value").await.unwrap().as_deref(), Some(client_id.as_str()));
    let saved = product.api(ROOT, reqwest::Method::GET, "/api/v1/settings/okta", None).await;
    assert_eq!(saved["credential"], "service_app", "{saved}");
    assert_eq!(saved["service_app"]["key"]["kid"], kid.as_str(), "{saved}");
    assert_eq!(browser.axe_violations().await, Vec::<String>::new());
    browser.close().await;
}
