//! superAdmins, audit, local groups and the rate limit on admin writes, black-box.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_problem};

#[tokio::test]
async fn the_bootstrap_admin_becomes_super_admin_and_the_last_one_cannot_be_removed() {
    let app = TestApp::new();
    let root = app.as_person("root@example.com");

    let me: Value = root.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["super_admin"], true);
    let listed: Value = root.get("/api/v1/super-admins").await.json().await.unwrap();
    let emails: Vec<&str> = listed["super_admins"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["email"].as_str())
        .collect();
    assert!(emails.contains(&"root@example.com"), "{emails:?}");

    // The bootstrap list is honoured only while no superAdmin exists: it grants nothing now.
    let latecomer: Value =
        app.as_person("latecomer@example.com").get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(latecomer["super_admin"], false);

    let again = root
        .send(Method::POST, "/api/v1/super-admins", &json!({ "email": "root@example.com" }))
        .await;
    expect_problem(again, StatusCode::CONFLICT, "already_exists").await;
    let not_one = root.delete("/api/v1/super-admins/nobody%40example.com").await;
    expect_problem(not_one, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn the_bootstrap_admins_first_requests_at_once_all_find_them_super_admin() {
    let app = TestApp::before_bootstrap();
    let root = &app.as_person("root@example.com");

    // A browser's first screen asks several things at once: each request may be the one that
    // bootstraps, and the ones that lose that race must still see root as superAdmin.
    let first = (0..8).map(|_| async move { root.get("/api/v1/me").await });
    for answer in futures_util::future::join_all(first).await {
        let me: Value = answer.json().await.unwrap();
        assert_eq!(me["super_admin"], true, "{me}");
    }
}

#[tokio::test]
async fn the_last_super_admin_cannot_revoke_themselves() {
    let app = TestApp::with_dev_sign_in();
    let root = app.as_person("root@example.com");
    // On this stack root is the only superAdmin (bootstrapped on first use).
    assert_eq!(root.get("/api/v1/me").await.status(), StatusCode::OK);

    let response = root.delete("/api/v1/super-admins/root%40example.com").await;

    let problem = expect_problem(response, StatusCode::CONFLICT, "last_super_admin").await;
    assert!(
        problem.detail.contains("grant superAdmin to someone else first"),
        "{}",
        problem.detail
    );
    assert_eq!(
        root.get("/api/v1/super-admins").await.status(),
        StatusCode::OK,
        "still a superAdmin"
    );
}

#[tokio::test]
async fn admin_actions_write_audit_rows_without_secrets() {
    let app = TestApp::new();
    let root = app.as_person("root@example.com");
    let created: Value = root
        .send(Method::POST, "/api/v1/api-keys", &json!({ "name": "Audited" }))
        .await
        .json()
        .await
        .unwrap();
    let secret = created["secret"].as_str().unwrap();
    let id = created["key"]["id"].as_str().unwrap();

    let audit: Value = root.get("/api/v1/audit?limit=200").await.json().await.unwrap();

    let entries = audit["entries"].as_array().unwrap();
    let issued = entries
        .iter()
        .find(|e| e["action"] == "api_key.issued" && e["target"] == id)
        .expect("an audit row");
    assert_eq!(issued["actor"], "root@example.com");
    assert_eq!(issued["after"]["name"], "Audited");
    assert!(!audit.to_string().contains(secret), "no secret in the audit log");
}

#[tokio::test]
async fn the_audit_log_pages_newest_first() {
    let app = TestApp::new();
    let root = app.as_person("root@example.com");
    for i in 0..3 {
        root.send(
            Method::POST,
            "/api/v1/service-tokens",
            &json!({ "common_name": format!("svc.page{i}"), "name": "Paging" }),
        )
        .await;
    }

    let first: Value = root.get("/api/v1/audit?limit=2").await.json().await.unwrap();
    let before = first["next_before"].as_i64().expect("more pages");
    let second: Value =
        root.get(&format!("/api/v1/audit?limit=2&before={before}")).await.json().await.unwrap();

    let ids = |page: &Value| {
        page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    let (a, b) = (ids(&first), ids(&second));
    assert_eq!(a.len(), 2);
    assert!(a[0] > a[1] && a[1] > b[0], "{a:?} then {b:?}");
    let one: Value = root.get("/api/v1/audit?target=svc.page1").await.json().await.unwrap();
    let targets: Vec<&Value> =
        one["entries"].as_array().unwrap().iter().map(|e| &e["target"]).collect();
    assert_eq!(targets, [&json!("svc.page1")], "only the entries about that target");
    for bad in ["limit=0", "limit=201", "limit=x", "before=x", "sort=asc", "target="] {
        let response = root.get(&format!("/api/v1/audit?{bad}")).await;
        expect_problem(response, StatusCode::BAD_REQUEST, "invalid_query").await;
    }
}

#[tokio::test]
async fn admin_writes_are_rate_limited_per_person() {
    // 30 admin writes per person per minute.
    let app = TestApp::deployment();
    let root = app.as_person("root@example.com");
    let granted = root
        .send(Method::POST, "/api/v1/super-admins", &json!({ "email": "busy@example.com" }))
        .await;
    assert_eq!(granted.status(), StatusCode::CREATED);
    let busy = &app.as_person("busy@example.com");

    // All at once: one after another, a machine slow enough to serve fewer than 31 in a minute
    // would never reach the limit. At once, the 70 land in one minute, or two if it turns.
    let writes = (0..70).map(|i| async move {
        let body = json!({ "common_name": format!("svc.busy{i}"), "name": "Busy" });
        busy.send(Method::POST, "/api/v1/service-tokens", &body).await
    });
    let responses = futures_util::future::join_all(writes).await;
    let statuses: Vec<StatusCode> = responses.iter().map(reqwest::Response::status).collect();
    for response in responses {
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(response.headers().contains_key("retry-after"));
            expect_problem(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
        }
    }
    let created = statuses.iter().filter(|s| **s == StatusCode::CREATED).count();
    // busy gets 30 per minute; if the minute turned during the burst, up to 60 went through.
    assert!(created <= 60 && statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
}
