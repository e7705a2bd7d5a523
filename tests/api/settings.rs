//! Settings → Okta API Access, black-box against the Worker and the fake Okta: the lifecycle of
//! the settings, every kind of bad input, the cross-site request defences, and the sweep that
//! proves the token never leaves the Worker.

use std::fs;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use test_support::workspace_root;

use crate::helpers::{TestApp, content_type, expect_problem};
use crate::world::World;

const SETTINGS: &str = "/api/v1/settings/okta";
const TEST: &str = "/api/v1/settings/okta/test";

/// The settings body for the fake's demo tenant.
fn demo(token: Option<&str>, app_id: Option<&str>) -> Value {
    let okta = &World::get().okta;
    let mut body = json!({ "tenant_url": okta.base_url, "app_id": app_id.unwrap_or(&okta.app_id) });
    if let Some(token) = token {
        body["api_token"] = json!(token);
    }
    body
}

#[tokio::test]
async fn the_settings_lifecycle_tests_before_saving_and_never_shows_the_token() {
    let app = TestApp::new();
    let root = app.as_person("root@example.com");
    let okta = &World::get().okta;
    let mut seen = Vec::new();

    let initial: Value = root.get(SETTINGS).await.json().await.unwrap();
    assert_eq!(initial["token"]["configured"], false);

    // Test connection: the good case, then each named failure.
    let good: Value =
        root.send(Method::POST, TEST, &demo(Some(&okta.token), None)).await.json().await.unwrap();
    assert_eq!(good["ok"], true, "{good}");
    let failures = [
        (demo(Some("00wrong-token-zzzz"), None), "invalid_token"),
        (demo(Some(&okta.restricted_token), None), "missing_permission"),
        (demo(Some(&okta.token), Some("0oa00000000000000000")), "app_not_found"),
        (demo(Some(&okta.token), Some(&okta.oidc_app_id)), "not_saml"),
        (demo(Some(&okta.token), Some(&okta.inactive_app_id)), "app_inactive"),
    ];
    for (body, failure) in failures {
        let result: Value = root.send(Method::POST, TEST, &body).await.json().await.unwrap();
        assert_eq!(
            (result["ok"].as_bool(), result["failure"].as_str()),
            (Some(false), Some(failure)),
            "{result}"
        );
        seen.push(result.to_string());
    }

    // A token that fails the test is not saved.
    let refused = root.send(Method::PUT, SETTINGS, &demo(Some(&okta.restricted_token), None)).await;
    let problem =
        expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "okta_test_failed").await;
    assert!(problem.detail.contains("may not read the members"), "{}", problem.detail);
    let unchanged: Value = root.get(SETTINGS).await.json().await.unwrap();
    assert_eq!(unchanged["token"]["configured"], false);

    // A good one is, described but never shown.
    let saved = root.send(Method::PUT, SETTINGS, &demo(Some(&okta.token), None)).await;
    assert_eq!(saved.status(), StatusCode::OK);
    let saved: Value = saved.json().await.unwrap();
    let last4 = &okta.token[okta.token.len() - 4..];
    assert_eq!(
        saved["token"],
        json!({
            "configured": true, "last4": last4, "set_by": "root@example.com",
            "set_at": saved["token"]["set_at"], "source": "stored",
            "problem": null, "sealed_with": "current"
        })
    );
    assert_eq!(saved["read_only"], false);
    seen.push(saved.to_string());

    // The stored token is used when none is typed, and bound to tenant and app.
    let retest: Value = root.send(Method::POST, TEST, &json!({})).await.json().await.unwrap();
    assert_eq!(retest["ok"], true, "{retest}");
    let same = root.send(Method::PUT, SETTINGS, &demo(None, None)).await;
    assert_eq!(same.status(), StatusCode::OK);
    let moved = root.send(Method::PUT, SETTINGS, &demo(None, Some(&okta.oidc_app_id))).await;
    let moved = expect_problem(moved, StatusCode::UNPROCESSABLE_ENTITY, "token_required").await;
    assert_eq!(moved.field.as_deref(), Some("api_token"), "the token is the field to fill");

    // Local groups while sync is off (a name is needed); a 409 once it is on.
    let nameless = root.send(Method::POST, "/api/v1/groups", &json!({ "name": " " })).await;
    let nameless =
        expect_problem(nameless, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    assert_eq!(nameless.field.as_deref(), Some("name"), "{}", nameless.detail);
    let local = root.send(Method::POST, "/api/v1/groups", &json!({ "name": "Contractors" })).await;
    assert_eq!(local.status(), StatusCode::CREATED);
    let mut on = demo(None, None);
    on["sync_enabled"] = json!(true);
    assert_eq!(root.send(Method::PUT, SETTINGS, &on).await.status(), StatusCode::OK);
    let locked = root.send(Method::POST, "/api/v1/groups", &json!({ "name": "Sneaky" })).await;
    let problem = expect_problem(locked, StatusCode::CONFLICT, "sync_enabled").await;
    assert!(problem.detail.contains("Okta sync is on"), "{}", problem.detail);
    let groups: Value = root.get("/api/v1/groups").await.json().await.unwrap();
    let names: Vec<&str> =
        groups["groups"].as_array().unwrap().iter().filter_map(|g| g["name"].as_str()).collect();
    assert!(names.contains(&"Contractors") && !names.contains(&"Sneaky"), "{names:?}");

    let audit: Value = root.get("/api/v1/audit?limit=200").await.json().await.unwrap();
    let actions: Vec<&str> =
        audit["entries"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    for action in ["settings.okta.tested", "settings.okta.updated", "group.created"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    seen.push(audit.to_string());

    sweep_for_token(&okta.token, &seen);
}

/// The canary sweep: the real token appears in no response seen, no log line, no D1 or KV file.
fn sweep_for_token(token: &str, responses: &[String]) {
    for response in responses {
        assert!(!response.contains(token), "a response shows the token");
    }
    let stack_dir = workspace_root().join("target").join("test-stacks").join("api");
    let mut files = vec![stack_dir.clone()];
    let mut checked = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(
                fs::read_dir(&path)
                    .expect("a readable directory")
                    .filter_map(|e| e.ok().map(|e| e.path())),
            );
        } else if let Ok(bytes) = fs::read(&path) {
            checked += 1;
            let found = bytes.windows(token.len()).any(|w| w == token.as_bytes());
            assert!(!found, "{} holds the token in plaintext", path.display());
        }
    }
    assert!(checked >= 2, "the sweep read the log and the database ({checked} files)");
}

#[tokio::test]
async fn hostile_tenant_urls_are_refused_with_a_clear_4xx() {
    let app = TestApp::new();
    let root = app.as_person("root@example.com");
    let hostile = [
        "http://acme.okta.com",
        "https://acme-admin.okta.com",
        "https://okta.com.evil.com",
        "https://evil.com#.okta.com",
        "https://evil.com/.okta.com",
        "https://evil.com?x=.okta.com",
        "https://acme.okta.com@evil.com",
        "https://user:pw@acme.okta.com",
        "https://acme.okta.com:8443",
        "https://acme.okta.com/api/v1",
        "https://a.b.okta.com",
        "https://okta.com",
        "https://acme.okta.co",
        "https://acme.okta.cοm",
        "https://acmé.okta.com",
        "https://xn--acm-bpa.okta.com",
        "https://127.0.0.1",
        "https://[::1]",
        "https://169.254.169.254",
        "https://2130706433",
        "https://0x7f.0.0.1",
        "https://10.0.0.1",
        "https://acme.okta.com\r\nX-Injected: yes",
        "https://acme .okta.com",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "acme.okta.com",
        "",
        "https://",
        "https://-acme.okta.com",
    ];
    for url in hostile {
        let body = json!({ "tenant_url": url, "app_id": "0oa1b2c3d4e5f6g7h8i9", "api_token": "x" });
        let put = root.send(Method::PUT, SETTINGS, &body).await;
        let problem: groupsync_core::api::Problem = put.json().await.unwrap();
        assert_eq!(problem.code, "invalid_input", "{url:?}: {}", problem.detail);
        assert!(problem.detail.starts_with("tenant_url: "), "{url:?}: {}", problem.detail);
        assert_eq!(problem.field.as_deref(), Some("tenant_url"), "a client can mark the input");
        let test = root.send(Method::POST, TEST, &body).await;
        assert_eq!(test.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url:?}");
    }
    assert!(hostile.len() >= 25);
}

#[tokio::test]
async fn bad_app_ids_and_tokens_are_refused_and_never_echoed() {
    let app = TestApp::new();
    let root = app.as_person("root@example.com");
    let okta = &World::get().okta;
    for app_id in [
        "",
        "0oa1",
        "00g1b2c3d4e5f6g7h8i9",
        "0oa1b2c3d4e5f6g7h8/9",
        "0oa1b2c3d4e5f6g7h8i9?x",
        "<script>",
    ] {
        let put = root
            .send(Method::PUT, SETTINGS, &json!({ "tenant_url": okta.base_url, "app_id": app_id }))
            .await;
        let problem = expect_problem(put, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
        assert!(problem.detail.starts_with("app_id: "), "{app_id:?}: {}", problem.detail);
        assert_eq!(problem.field.as_deref(), Some("app_id"));
    }
    let canary = "00CANARY-never-echo-9z9z";
    for token in [
        format!("{canary} with spaces"),
        format!("{canary}\nline"),
        format!("{canary}\u{7}"),
        "x".repeat(600),
        String::new(),
    ] {
        let put = root.send(Method::PUT, SETTINGS, &demo(Some(&token), None)).await;
        let problem: groupsync_core::api::Problem = put.json().await.unwrap();
        assert_eq!(problem.code, "invalid_input", "{token:?}: {}", problem.detail);
        assert!(problem.detail.starts_with("api_token: "), "{}", problem.detail);
        assert_eq!(problem.field.as_deref(), Some("api_token"));
        assert!(!problem.detail.contains("CANARY"), "the token is not echoed");
    }
}

#[tokio::test]
async fn malformed_bodies_get_a_4xx_and_never_a_5xx() {
    let app = TestApp::new();
    let root = app.as_person("root@example.com");
    let cases: [(&str, &str, StatusCode, &str); 8] = [
        ("{", "application/json", StatusCode::BAD_REQUEST, "invalid_json"),
        ("[]", "application/json", StatusCode::BAD_REQUEST, "invalid_json"),
        ("null", "application/json", StatusCode::BAD_REQUEST, "invalid_json"),
        (
            r#"{"tenant_url":1,"app_id":2}"#,
            "application/json",
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            r#"{"tenant_url":"https://acme.okta.com","app_id":"0oa1b2c3d4e5f6g7h8i9","admin":true}"#,
            "application/json",
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            r#"{"app_id":"0oa1b2c3d4e5f6g7h8i9"}"#,
            "application/json",
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            "tenant_url=x",
            "application/x-www-form-urlencoded",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        ("{}", "text/plain", StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
    ];
    for (body, content_type, status, code) in cases {
        let response = root
            .write(Method::PUT, SETTINGS)
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        expect_problem(response, status, code).await;
    }
    let huge = json!({ "tenant_url": "https://acme.okta.com", "app_id": "0oa1b2c3d4e5f6g7h8i9", "api_token": "x".repeat(70_000) });
    expect_problem(
        root.send(Method::PUT, SETTINGS, &huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
}

#[tokio::test]
async fn cross_site_writes_are_refused() {
    let app = TestApp::new();
    let root = app.as_person("root@example.com");
    let body = json!({ "name": "CSRF" });
    let attempts = [
        root.builder(Method::POST, "/api/v1/groups").json(&body),
        root.write(Method::POST, "/api/v1/groups")
            .header("Sec-Fetch-Site", "cross-site")
            .json(&body),
        root.write(Method::POST, "/api/v1/groups")
            .header("Sec-Fetch-Site", "same-site")
            .json(&body),
        root.write(Method::POST, "/api/v1/groups")
            .header("Origin", "https://evil.example")
            .json(&body),
        root.write(Method::POST, "/api/v1/groups").header("Origin", "null").json(&body),
        root.builder(Method::POST, "/api/v1/groups")
            .header("X-Requested-By", "someone-else")
            .json(&body),
        root.builder(Method::DELETE, "/api/v1/super-admins/root%40example.com"),
    ];
    for attempt in attempts {
        expect_problem(attempt.send().await.unwrap(), StatusCode::FORBIDDEN, "csrf_rejected").await;
    }
    let same_origin = root
        .write(Method::POST, "/api/v1/groups")
        .header("Origin", app.origin())
        .header("Sec-Fetch-Site", "same-origin");
    let response = same_origin.json(&body).send().await.unwrap();
    assert_ne!(response.status(), StatusCode::FORBIDDEN, "the SPA's own requests pass");
}

#[tokio::test]
async fn no_cors_is_granted_and_security_headers_are_everywhere() {
    let app = TestApp::new();
    let preflight = app
        .raw(Method::OPTIONS, "/api/v1/groups")
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(preflight.headers().get("access-control-allow-origin").is_none());
    let read = app
        .as_person("root@example.com")
        .builder(Method::GET, "/api/v1/me")
        .header("Origin", "https://evil.example");
    let read = read.send().await.unwrap();
    assert!(read.headers().get("access-control-allow-origin").is_none());
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("strict-transport-security", "max-age=63072000; includeSubDomains"),
    ] {
        assert_eq!(read.headers()[name], value, "{name}");
    }

    let page = app.navigate("/settings/okta").await;
    assert!(content_type(&page).starts_with("text/html"));
    let csp = page
        .headers()
        .get("content-security-policy")
        .expect("the SPA has a CSP")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "{csp}");
}

#[tokio::test]
async fn a_deployment_token_wins_and_makes_the_token_read_only() {
    let app = TestApp::deployment();
    let root = app.as_person("root@example.com");
    let okta = &World::get().okta;

    let settings: Value = root.get(SETTINGS).await.json().await.unwrap();
    assert_eq!(settings["read_only"], true);
    assert_eq!(settings["token"]["source"], "deployment");
    assert_eq!(settings["token"]["last4"], okta.token[okta.token.len() - 4..]);

    let typed = root.send(Method::PUT, SETTINGS, &demo(Some("00another-token-abcd"), None)).await;
    expect_problem(typed, StatusCode::CONFLICT, "token_managed_by_deployment").await;
    // Tenant and App ID are still set here, tested with the deployment's token.
    let saved: Value =
        root.send(Method::PUT, SETTINGS, &demo(None, None)).await.json().await.unwrap();
    assert_eq!(saved["app_id"], okta.app_id.as_str());
    let tested: Value = root.send(Method::POST, TEST, &json!({})).await.json().await.unwrap();
    assert_eq!(tested["ok"], true, "{tested}");
    assert!(!saved.to_string().contains(&okta.token) && !tested.to_string().contains(&okta.token));
}
