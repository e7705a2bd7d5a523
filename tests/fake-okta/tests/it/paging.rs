//! Paging: `Link` lines, opaque cursors, the `limit` rules, and complete listings.

use fake_okta::{TenantSize, TruthGroup};
use serde_json::Value;

use crate::helpers::{collect, error_code, get, get_url, links, next_link, start};

fn group_of_size(groups: &[TruthGroup], size: usize) -> &TruthGroup {
    groups.iter().find(|g| g.members.len() == size).expect("a group of that size")
}

#[tokio::test]
async fn self_and_next_come_as_separate_link_lines() {
    let fake = start(TenantSize::S, 7).await;
    let app = &fake.info().app_id;
    let response = get(&fake, &format!("/api/v1/apps/{app}/groups?limit=20&expand=group")).await;
    let lines = links(&response);
    assert_eq!(lines.len(), 2, "{lines:?}");
    let base = fake.base_url();
    assert_eq!(
        lines[0],
        (format!("{base}/api/v1/apps/{app}/groups?limit=20&expand=group"), "self".into())
    );
    assert_eq!(lines[1].1, "next");
}

#[tokio::test]
async fn the_next_link_keeps_every_parameter_and_adds_an_opaque_cursor() {
    let fake = start(TenantSize::S, 7).await;
    let app = &fake.info().app_id;
    let response = get(&fake, &format!("/api/v1/apps/{app}/groups?limit=20&expand=group")).await;
    let next = next_link(&response).expect("a next link");
    let prefix =
        format!("{}/api/v1/apps/{app}/groups?limit=20&expand=group&after=", fake.base_url());
    assert!(next.starts_with(&prefix), "{next}");
    let cursor = &next[prefix.len()..];
    assert!(cursor.parse::<u64>().is_err(), "not a plain offset: {cursor}");
    assert!(!cursor.starts_with("00g"), "not a bare id: {cursor}");
    let second = get_url(&fake, &next).await;
    assert_eq!(links(&second)[0], (next, "self".into()));
}

#[tokio::test]
async fn a_complete_listing_follows_next_until_it_is_absent() {
    let fake = start(TenantSize::S, 7).await;
    let truth = fake.control().truth();
    let url = format!("{}/api/v1/apps/{}/groups?limit=20", fake.base_url(), fake.info().app_id);
    let (items, pages) = collect(&fake, &url).await;
    assert_eq!(pages, 3);
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    let truth_ids: Vec<&str> = truth.groups.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids, truth_ids);
}

#[tokio::test]
async fn a_large_group_pages_by_200_and_lists_each_member_once() {
    let fake = start(TenantSize::S, 7).await;
    let truth = fake.control().truth();
    let group = group_of_size(&truth.groups, 1001);
    let url = format!("{}/api/v1/groups/{}/users?limit=200", fake.base_url(), group.id);
    let (items, pages) = collect(&fake, &url).await;
    assert_eq!(pages, 6);
    let ids: Vec<&str> = items.iter().map(|u| u["id"].as_str().unwrap()).collect();
    let truth_ids: Vec<&str> = group.members.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, truth_ids);
}

#[tokio::test]
async fn a_group_of_exactly_one_page_has_no_next_link() {
    let fake = start(TenantSize::S, 7).await;
    let truth = fake.control().truth();
    let group = group_of_size(&truth.groups, 200);
    let response = get(&fake, &format!("/api/v1/groups/{}/users?limit=200", group.id)).await;
    assert_eq!(next_link(&response), None);
    assert_eq!(response.json::<Vec<Value>>().await.unwrap().len(), 200);
}

#[tokio::test]
async fn an_empty_group_answers_200_with_an_empty_array() {
    let fake = start(TenantSize::S, 7).await;
    let truth = fake.control().truth();
    let group = group_of_size(&truth.groups, 0);
    let response = get(&fake, &format!("/api/v1/groups/{}/users?limit=200", group.id)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(links(&response).len(), 1);
    assert_eq!(response.text().await.unwrap(), "[]");
}

#[tokio::test]
async fn group_members_default_to_pages_of_1000() {
    let fake = start(TenantSize::S, 7).await;
    let truth = fake.control().truth();
    let group = group_of_size(&truth.groups, 1001);
    let response = get(&fake, &format!("/api/v1/groups/{}/users", group.id)).await;
    assert!(next_link(&response).is_some());
    assert_eq!(response.json::<Vec<Value>>().await.unwrap().len(), 1000);
    let capped = get(&fake, &format!("/api/v1/groups/{}/users?limit=5000", group.id)).await;
    assert_eq!(capped.json::<Vec<Value>>().await.unwrap().len(), 1000);
}

#[tokio::test]
async fn app_groups_take_20_by_default_cap_at_200_and_reject_less_than_20() {
    let fake = start(TenantSize::S, 7).await;
    let app = &fake.info().app_id;
    let count = |r: reqwest::Response| async move { r.json::<Vec<Value>>().await.unwrap().len() };
    assert_eq!(count(get(&fake, &format!("/api/v1/apps/{app}/groups")).await).await, 20);
    assert_eq!(count(get(&fake, &format!("/api/v1/apps/{app}/groups?limit=1000")).await).await, 50);
    for bad in ["19", "0", "-1", "abc", "", "20.5"] {
        let response = get(&fake, &format!("/api/v1/apps/{app}/groups?limit={bad}")).await;
        assert_eq!(response.status(), 400, "limit={bad}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errorCode"], "E0000001");
        assert_eq!(body["errorSummary"], "Api validation failed: limit");
        assert_eq!(body["errorCauses"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn users_take_200_by_default_and_cap_there() {
    let fake = start(TenantSize::S, 7).await;
    let count = |r: reqwest::Response| async move { r.json::<Vec<Value>>().await.unwrap().len() };
    assert_eq!(count(get(&fake, "/api/v1/users").await).await, 200);
    assert_eq!(count(get(&fake, "/api/v1/users?limit=999").await).await, 200);
    assert_eq!(count(get(&fake, "/api/v1/users?limit=3").await).await, 3);
    assert_eq!(get(&fake, "/api/v1/users?limit=0").await.status(), 400);
}

#[tokio::test]
async fn a_tampered_or_foreign_cursor_is_rejected() {
    let fake = start(TenantSize::S, 7).await;
    let response = get(&fake, "/api/v1/users?after=AAAAAAAAAAAA").await;
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response).await, "E0000001");
    let other = start(TenantSize::S, 8).await;
    let next = next_link(&get(&other, "/api/v1/users?limit=5").await).unwrap();
    let after = next.split("after=").nth(1).unwrap();
    assert_eq!(get(&fake, &format!("/api/v1/users?limit=5&after={after}")).await.status(), 400);
}

#[tokio::test]
async fn q_filters_app_groups_by_name_prefix() {
    let fake = start(TenantSize::Demo, 7).await;
    let app = &fake.info().app_id;
    let items: Vec<Value> = get(&fake, &format!("/api/v1/apps/{app}/groups?q=s&expand=group"))
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = items
        .iter()
        .map(|i| i["_embedded"]["group"]["profile"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Sales", "Support", "Security"]);
}

#[tokio::test]
async fn a_full_sync_takes_exactly_the_minimum_number_of_requests() {
    let fake = start(TenantSize::S, 7).await;
    let base = fake.base_url();
    let info = fake.info();
    get(&fake, &format!("/api/v1/apps/{}", info.app_id)).await;
    let url = format!("{base}/api/v1/apps/{}/groups?limit=200&expand=group", info.app_id);
    let (assignments, _) = collect(&fake, &url).await;
    let mut memberships = 0;
    for a in &assignments {
        let url = format!("{base}/api/v1/groups/{}/users?limit=200", a["id"].as_str().unwrap());
        memberships += collect(&fake, &url).await.0.len() as u64;
    }
    assert_eq!(memberships, info.memberships);
    assert_eq!(fake.control().counters().total, info.minimum_requests(200));
}
