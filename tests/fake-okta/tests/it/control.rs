//! Control-API changes are visible on the Okta surface, in process and over HTTP.

use fake_okta::{Endpoint, TenantSize, UserStatus};
use serde_json::{Value, json};

use crate::helpers::{client, error_code, get, get_as, start};

async fn group_json(fake: &fake_okta::FakeOkta, id: &str) -> Value {
    get(fake, &format!("/api/v1/groups/{id}")).await.json().await.expect("a group")
}

#[tokio::test]
async fn a_renamed_group_shows_its_new_name_and_a_newer_last_updated() {
    let fake = start(TenantSize::Demo, 7).await;
    let id = fake.control().truth().groups[0].id.clone();
    let before = group_json(&fake, &id).await;
    fake.control().rename_group(&id, "Platform Engineering").unwrap();
    let after = group_json(&fake, &id).await;
    assert_eq!(after["profile"]["name"], "Platform Engineering");
    assert!(after["lastUpdated"].as_str() > before["lastUpdated"].as_str());
}

#[tokio::test]
async fn membership_changes_move_last_membership_updated() {
    let fake = start(TenantSize::Demo, 7).await;
    let control = fake.control();
    let sales = control.truth().groups[1].id.clone();
    let stamp = |v: Value| v["lastMembershipUpdated"].as_str().unwrap().to_owned();
    let t0 = stamp(group_json(&fake, &sales).await);
    control.add_member(&sales, "admin@example.com").unwrap();
    let t1 = stamp(group_json(&fake, &sales).await);
    assert!(t1 > t0);
    let members: Vec<Value> =
        get(&fake, &format!("/api/v1/groups/{sales}/users")).await.json().await.unwrap();
    assert!(members.iter().any(|m| m["profile"]["login"] == "admin@example.com"));
    control.remove_member(&sales, "admin@example.com").unwrap();
    let t2 = stamp(group_json(&fake, &sales).await);
    assert!(t2 > t1);
    assert!(!control.truth().groups[1].members.iter().any(|m| m.login == "admin@example.com"));
}

#[tokio::test]
async fn unassigned_and_deleted_groups_leave_the_listing() {
    let fake = start(TenantSize::Demo, 7).await;
    let control = fake.control();
    let groups = control.truth().groups;
    control.unassign_group(&groups[0].id).unwrap();
    control.delete_group(&groups[1].id).unwrap();
    let new = control.create_group("New Hires", Some("Joined this month"), true).unwrap();
    let url = format!("/api/v1/apps/{}/groups?limit=200", fake.info().app_id);
    let listed: Vec<Value> = get(&fake, &url).await.json().await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 11);
    assert!(!ids.contains(&groups[0].id.as_str()) && !ids.contains(&groups[1].id.as_str()));
    assert_eq!(ids.last(), Some(&new.as_str()));
    assert_eq!(get(&fake, &format!("/api/v1/groups/{}", groups[0].id)).await.status(), 200);
    let deleted = get(&fake, &format!("/api/v1/groups/{}", groups[1].id)).await;
    assert_eq!(deleted.status(), 404);
    assert_eq!(error_code(deleted).await, "E0000007");
}

#[tokio::test]
async fn a_suspended_user_is_listed_as_suspended() {
    let fake = start(TenantSize::Demo, 7).await;
    fake.control().set_user_status("alice.johnson@example.com", UserStatus::Suspended).unwrap();
    let found: Vec<Value> =
        get(&fake, "/api/v1/users?filter=profile.login+eq+%22alice.johnson%40example.com%22")
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(found[0]["status"], "SUSPENDED");
}

#[tokio::test]
async fn a_revoked_token_gets_401() {
    let fake = start(TenantSize::Demo, 7).await;
    let url = format!("{}/api/v1/apps/{}", fake.base_url(), fake.info().app_id);
    fake.control().revoke_token(&fake.info().token).unwrap();
    let response = get_as(&url, Some(&format!("SSWS {}", fake.info().token))).await;
    assert_eq!(response.status(), 401);
    assert_eq!(error_code(response).await, "E0000011");
}

#[tokio::test]
async fn counters_count_per_endpoint_and_reset() {
    let fake = start(TenantSize::Demo, 7).await;
    get(&fake, "/api/v1/users").await;
    get(&fake, "/api/v1/users").await;
    get(&fake, &format!("/api/v1/apps/{}", fake.info().app_id)).await;
    let counters = fake.control().counters();
    assert_eq!(counters.total, 3);
    assert_eq!(counters.endpoint(Endpoint::ListUsers), 2);
    assert_eq!(counters.endpoint(Endpoint::GetApp), 1);
    assert_eq!(counters.by_status.get(&200), Some(&3));
    fake.control().reset_counters();
    assert_eq!(fake.control().counters().total, 0);
}

#[tokio::test]
async fn the_http_control_api_drives_the_same_changes() {
    let fake = start(TenantSize::Demo, 7).await;
    let base = fake.base_url().to_owned();
    let http = client();
    let call = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut request = http.request(method, format!("{base}/__control/{path}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    use reqwest::Method;
    let (status, info) = call(Method::GET, "info", None).await;
    assert_eq!(status, 200);
    assert_eq!(info["app_id"], fake.info().app_id.as_str());
    let (_, truth) = call(Method::GET, "truth", None).await;
    let group = truth["groups"][0]["id"].as_str().unwrap().to_owned();

    assert_eq!(
        call(Method::POST, &format!("groups/{group}/rename"), Some(json!({"name": "Renamed"})))
            .await
            .0,
        200
    );
    assert_eq!(group_json(&fake, &group).await["profile"]["name"], "Renamed");
    assert_eq!(
        call(Method::PUT, &format!("groups/{group}/members/admin@example.com"), None).await.0,
        200
    );
    assert_eq!(
        call(Method::PUT, "users/admin@example.com/status", Some(json!({"status": "LOCKED_OUT"})))
            .await
            .0,
        200
    );
    let (_, created) =
        call(Method::POST, "groups", Some(json!({"name": "Via HTTP", "assign": true}))).await;
    assert!(created["id"].as_str().unwrap().starts_with("00g"));

    let fault = json!({"kind": "error", "status": 503, "endpoint": "get_app", "count": 1});
    assert_eq!(call(Method::POST, "faults", Some(fault)).await.0, 200);
    assert_eq!(get(&fake, &format!("/api/v1/apps/{}", fake.info().app_id)).await.status(), 503);
    let (_, faults) = call(Method::GET, "faults", None).await;
    assert_eq!(faults[0]["fired"], 1);
    assert_eq!(call(Method::DELETE, "faults", None).await.0, 200);

    let (_, limits) =
        call(Method::PUT, "limits", Some(json!({"window_ms": 2000, "buckets": {"apps": 10}})))
            .await;
    assert_eq!(
        (limits["window_ms"].as_u64(), limits["buckets"]["apps"].as_u64()),
        (Some(2000), Some(10))
    );
    assert_eq!(limits["buckets"]["users"], 600, "a partial update keeps the rest");
    assert_eq!(fake.control().limits().window.as_millis(), 2000);
    assert_eq!(call(Method::POST, "limits/reset", None).await.0, 200);
    assert_eq!(call(Method::PUT, "latency", Some(json!({"ms": 5}))).await.0, 200);
    assert_eq!(call(Method::GET, "latency", None).await.1["ms"], 5);

    let (_, counters) = call(Method::GET, "counters", None).await;
    assert_eq!(counters["by_endpoint"]["get_group"], 1);
    assert_eq!(call(Method::DELETE, "counters", None).await.0, 200);

    let (_, truth) = call(Method::GET, "truth", None).await;
    assert_eq!(truth["groups"][0]["name"], "Renamed");
    assert_eq!(truth["groups"].as_array().unwrap().len(), 13);

    let token = fake.info().restricted_token.clone();
    assert_eq!(call(Method::POST, "tokens/revoke", Some(json!({"token": token}))).await.0, 200);
    assert_eq!(call(Method::POST, "groups/00gnothere/assign", None).await.0, 404);
    assert_eq!(
        call(Method::PUT, "users/admin@example.com/status", Some(json!({"status": "NOPE"})))
            .await
            .0,
        400
    );
    assert_eq!(call(Method::GET, "nothing", None).await.0, 404);
}
