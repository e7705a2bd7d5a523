//! Auth, permissions, not-found, search errors, and the headers every response carries.

use std::collections::HashSet;

use fake_okta::TenantSize;
use serde_json::Value;

use crate::helpers::{client, error_code, get, get_as, header, start};

#[tokio::test]
async fn a_missing_unknown_or_non_ssws_token_is_401_e0000011() {
    let fake = start(TenantSize::Demo, 7).await;
    let url = format!("{}/api/v1/apps/{}", fake.base_url(), fake.info().app_id);
    let token = &fake.info().token;
    for auth in
        [None, Some("SSWS wrong".to_owned()), Some(format!("Bearer {token}")), Some(token.clone())]
    {
        let response = get_as(&url, auth.as_deref()).await;
        assert_eq!(response.status(), 401, "{auth:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errorCode"], "E0000011");
        assert_eq!(body["errorSummary"], "Invalid token provided");
        assert_eq!(body["errorLink"], "E0000011");
        assert!(body["errorId"].as_str().unwrap().starts_with("oae"));
        assert_eq!(body["errorCauses"], serde_json::json!([]));
    }
}

#[tokio::test]
async fn the_restricted_token_reads_apps_but_gets_403_on_groups_and_users() {
    let fake = start(TenantSize::Demo, 7).await;
    let info = fake.info();
    let auth = format!("SSWS {}", info.restricted_token);
    let base = fake.base_url();
    let group = &fake.control().truth().groups[0].id;
    assert_eq!(
        get_as(&format!("{base}/api/v1/apps/{}", info.app_id), Some(&auth)).await.status(),
        200
    );
    assert_eq!(
        get_as(&format!("{base}/api/v1/apps/{}/groups", info.app_id), Some(&auth)).await.status(),
        200
    );
    for path in [
        format!("/api/v1/groups/{group}"),
        format!("/api/v1/groups/{group}/users"),
        "/api/v1/users".into(),
    ] {
        let response = get_as(&format!("{base}{path}"), Some(&auth)).await;
        assert_eq!(response.status(), 403, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errorCode"], "E0000006");
        assert_eq!(
            body["errorSummary"],
            "You do not have permission to perform the requested action"
        );
    }
}

#[tokio::test]
async fn unknown_ids_are_404_e0000007_naming_the_resource() {
    let fake = start(TenantSize::Demo, 7).await;
    let cases = [
        ("/api/v1/apps/0oanothere", "Not found: Resource not found: 0oanothere (AppInstance)"),
        (
            "/api/v1/apps/0oanothere/groups",
            "Not found: Resource not found: 0oanothere (AppInstance)",
        ),
        ("/api/v1/groups/00gnothere", "Not found: Resource not found: 00gnothere (UserGroup)"),
        (
            "/api/v1/groups/00gnothere/users",
            "Not found: Resource not found: 00gnothere (UserGroup)",
        ),
        (
            "/api/v1/users/nobody@example.com/groups",
            "Not found: Resource not found: nobody@example.com (User)",
        ),
    ];
    for (path, summary) in cases {
        let response = get(&fake, path).await;
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errorCode"], "E0000007");
        assert_eq!(body["errorSummary"], summary);
    }
}

#[tokio::test]
async fn the_tenant_has_a_non_saml_app_and_an_inactive_one() {
    let fake = start(TenantSize::Demo, 7).await;
    let info = fake.info();
    let app = |id: String| {
        let fake = &fake;
        async move { get(fake, &format!("/api/v1/apps/{id}")).await.json::<Value>().await.unwrap() }
    };
    let main = app(info.app_id.clone()).await;
    assert_eq!(
        (main["signOnMode"].as_str(), main["status"].as_str()),
        (Some("SAML_2_0"), Some("ACTIVE"))
    );
    assert_eq!(main["id"].as_str().unwrap().len(), 20);
    assert!(main["id"].as_str().unwrap().starts_with("0oa"));
    assert_eq!(app(info.oidc_app_id.clone()).await["signOnMode"], "OPENID_CONNECT");
    assert_eq!(app(info.inactive_app_id.clone()).await["status"], "INACTIVE");
}

#[tokio::test]
async fn search_by_email_ignores_case_and_includes_deprovisioned_users() {
    let fake = start(TenantSize::Demo, 7).await;
    let search = "/api/v1/users?search=profile.email%20eq%20%22ADMIN%40Example.COM%22";
    let found: Vec<Value> = get(&fake, search).await.json().await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["profile"]["login"], "admin@example.com");
    let gone = "/api/v1/users?filter=profile.email+eq+%22xavier.moreau%40example.com%22";
    let found: Vec<Value> = get(&fake, gone).await.json().await.unwrap();
    assert_eq!(found[0]["status"], "DEPROVISIONED");
    let all: Vec<Value> = get(&fake, "/api/v1/users").await.json().await.unwrap();
    assert!(all.iter().all(|u| u["status"] != "DEPROVISIONED"));
    assert_eq!(all.len(), 35, "the plain list omits the one deprovisioned demo user");
}

#[tokio::test]
async fn a_malformed_search_is_400_e0000031() {
    let fake = start(TenantSize::Demo, 7).await;
    for query in [
        "search=profile.email",
        "search=profile.email%20eq%20alice",
        "filter=profile.email%20sw%20%22a%22",
        "search=",
    ] {
        let response = get(&fake, &format!("/api/v1/users?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        assert_eq!(error_code(response).await, "E0000031");
    }
}

#[tokio::test]
async fn a_users_groups_are_found_by_id_or_login_including_unassigned_groups() {
    let fake = start(TenantSize::Demo, 7).await;
    let by_login: Vec<Value> =
        get(&fake, "/api/v1/users/yara.haddad@example.com/groups").await.json().await.unwrap();
    let names: Vec<&str> =
        by_login.iter().map(|g| g["profile"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Everyone", "Legal", "Board Members"]);
    let id = fake.control().truth().groups[7].members[0].id.clone();
    let by_id: Vec<Value> =
        get(&fake, &format!("/api/v1/users/{id}/groups")).await.json().await.unwrap();
    assert!(!by_id.is_empty());
}

#[tokio::test]
async fn every_response_carries_date_request_id_and_rate_limit_headers() {
    let fake = start(TenantSize::Demo, 7).await;
    let mut ids = HashSet::new();
    for path in [
        "/api/v1/users",
        "/api/v1/groups/00gnothere",
        "/api/v1/nothing",
        "/api/v1/users?search=bad",
    ] {
        let response = get(&fake, path).await;
        assert_eq!(header(&response, "content-type"), "application/json");
        let date = header(&response, "date");
        assert!(date.ends_with(" GMT") && date.len() == 29, "{date}");
        assert!(ids.insert(header(&response, "x-okta-request-id")), "unique request ids");
        for name in ["x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"] {
            header(&response, name).parse::<u64>().unwrap();
        }
    }
    let unauthenticated = get_as(&format!("{}/api/v1/users", fake.base_url()), None).await;
    header(&unauthenticated, "x-rate-limit-remaining");
    header(&unauthenticated, "x-okta-request-id");
}

#[tokio::test]
async fn only_get_is_served() {
    let fake = start(TenantSize::Demo, 7).await;
    let response = client()
        .delete(format!("{}/api/v1/apps/{}", fake.base_url(), fake.info().app_id))
        .header("Authorization", format!("SSWS {}", fake.info().token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(error_code(response).await, "E0000022");
}
