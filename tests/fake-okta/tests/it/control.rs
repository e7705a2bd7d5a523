//! Control-API changes are visible on the Okta surface, in process and over HTTP.

use fake_okta::{ControlError, Endpoint, TenantOptions, TenantSize, UserStatus};
use serde_json::{Value, json};

use crate::helpers::{client, collect, error_code, get, get_as, start, start_with_options};

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

/// The ids of a listing's items, all pages.
async fn listed_ids(fake: &fake_okta::FakeOkta, path: &str) -> Vec<String> {
    let url = format!("{}{path}", fake.base_url());
    let (items, _) = collect(fake, &url).await;
    items.iter().map(|i| i["id"].as_str().expect("an id").to_owned()).collect()
}

#[tokio::test]
async fn assigning_everyone_lists_it_first_with_every_user_as_a_member_until_unassigned() {
    let fake = start(TenantSize::S, 7).await;
    let info = fake.info();
    let everyone = info.everyone_group_id.clone();
    assert!(!info.everyone_assigned);
    let app_groups = format!("/api/v1/apps/{}/groups?limit=200&expand=group", info.app_id);
    assert!(!listed_ids(&fake, &app_groups).await.contains(&everyone));

    fake.control().assign_everyone().unwrap();
    fake.control().assign_everyone().unwrap();
    let url = format!("{}{app_groups}", fake.base_url());
    let listed = collect(&fake, &url).await.0;
    assert_eq!(listed.len(), 51, "assigned once");
    assert_eq!(listed[0]["id"], everyone.as_str(), "the org's first group is listed first");
    let group = &listed[0]["_embedded"]["group"];
    assert_eq!(group["type"], "BUILT_IN");
    assert_eq!(group["profile"]["name"], "Everyone");
    assert_eq!(group["id"], everyone.as_str());

    // Its members are every user of the org, whatever their status (search includes the
    // deprovisioned users that the plain user list omits).
    let members_path = format!("/api/v1/groups/{everyone}/users?limit=200");
    let (members, pages) = collect(&fake, &format!("{}{members_path}", fake.base_url())).await;
    assert_eq!((members.len(), pages), (1_200, 6));
    let mut member_ids: Vec<&str> = members.iter().map(|m| m["id"].as_str().unwrap()).collect();
    let every_user = listed_ids(&fake, "/api/v1/users?search=profile.login+co+%22%40%22").await;
    let mut every_user: Vec<&str> = every_user.iter().map(String::as_str).collect();
    member_ids.sort_unstable();
    every_user.sort_unstable();
    assert_eq!(member_ids, every_user);
    let statuses: std::collections::BTreeSet<&str> =
        members.iter().map(|m| m["status"].as_str().unwrap()).collect();
    assert_eq!(statuses.len(), 8, "{statuses:?}");
    let truth = fake.control().truth();
    assert_eq!(truth.groups[0].id, everyone);
    assert_eq!(truth.memberships(), 2_000 + 1_200);

    fake.control().unassign_everyone().unwrap();
    let ids = listed_ids(&fake, &app_groups).await;
    assert_eq!(ids.len(), 50);
    assert!(!ids.contains(&everyone));
    assert_eq!(group_json(&fake, &everyone).await["type"], "BUILT_IN", "the group itself stays");
    assert!(fake.control().truth().groups.iter().all(|g| g.id != everyone));
}

#[tokio::test]
async fn a_tenant_can_start_with_everyone_assigned() {
    let options = TenantOptions { assign_everyone: true, big_group: None };
    let fake = start_with_options(TenantSize::Demo, 7, options, None).await;
    let info = fake.info();
    assert!(info.everyone_assigned);
    assert_eq!((info.groups, info.memberships), (13, 46 + 36));
    assert_eq!(info.users, 36);
    assert_eq!(info.assigned_group_member_counts[0], 36);
    let app_groups = format!("/api/v1/apps/{}/groups?limit=200", info.app_id);
    assert_eq!(listed_ids(&fake, &app_groups).await[0], info.everyone_group_id);
    fake.control().unassign_everyone().unwrap();
    assert_eq!(listed_ids(&fake, &app_groups).await.len(), 12);
}

#[tokio::test]
async fn the_http_control_api_assigns_and_unassigns_everyone() {
    let fake = start(TenantSize::Demo, 7).await;
    let base = fake.base_url().to_owned();
    let post = |path: &str| {
        let request = client().post(format!("{base}/__control/{path}"));
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };
    let everyone = fake.info().everyone_group_id.clone();
    let assigned = |fake: &fake_okta::FakeOkta| {
        fake.control().truth().groups.iter().any(|g| g.id == everyone && g.name == "Everyone")
    };
    assert_eq!(post("everyone/assign").await, (200, json!({ "ok": true })));
    assert!(assigned(&fake));
    assert_eq!(post("everyone/unassign").await, (200, json!({ "ok": true })));
    assert!(!assigned(&fake));
    assert_eq!(post(&format!("groups/{everyone}/assign")).await.0, 200, "also by its id");
    assert!(assigned(&fake));
    fake.control().delete_group(&everyone).unwrap();
    assert_eq!(post("everyone/assign").await.0, 404);
    assert_eq!(
        fake.control().assign_everyone(),
        Err(ControlError::UnknownGroup("Everyone".into()))
    );
}
