//! Paging: `Link` lines, opaque cursors, the `limit` rules, and complete listings.

use std::collections::HashSet;

use fake_okta::{
    BIG_GROUP_NAME, BucketLimits, FakeOkta, RateLimitConfig, TenantOptions, TenantSize, TruthGroup,
};
use serde::Deserialize;
use serde_json::Value;

use crate::helpers::{
    collect, error_code, get, get_url, links, next_link, start, start_with_options,
};

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

/// A listed user, as far as these tests look at it.
#[derive(Deserialize)]
struct Listed {
    id: String,
}

/// Follows `next` links from `url`, asserting that every page but the last has exactly
/// `page_size` users; returns their ids in listing order and the number of pages.
async fn member_ids(fake: &FakeOkta, url: &str, page_size: usize) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut next = Some(url.to_owned());
    while let Some(url) = next {
        let response = get_url(fake, &url).await;
        assert_eq!(response.status(), 200, "{url}");
        next = next_link(&response);
        pages += 1;
        let page: Vec<Listed> = response.json().await.expect("a JSON array of users");
        if next.is_some() {
            assert_eq!(page.len(), page_size, "page {pages}");
        }
        ids.extend(page.into_iter().map(|u| u.id));
    }
    (ids, pages)
}

/// The tenant with `All Staff` of 250,000 members reads like any other: pages of the size asked
/// for (200) or of the default (1000), each member once and in order, and a membership change
/// moves the group's stamp. Rate limits are raised so that its 1,250 pages fit one window.
#[tokio::test]
async fn a_group_of_250000_members_pages_through_every_member_like_any_group() {
    const N: usize = 250_000;
    let limits = RateLimitConfig {
        token_share_percent: 100,
        buckets: BucketLimits { other: 10_000, ..BucketLimits::default() },
        ..RateLimitConfig::default()
    };
    let options = TenantOptions { assign_everyone: false, big_group: Some(N as u32) };
    let fake = start_with_options(TenantSize::S, 7, options, Some(limits)).await;
    let info = fake.info();
    let big = info.big_group_id.clone().expect("a big group");
    assert_eq!(info.users as usize, N, "the users it lacked were created");
    assert_eq!((info.groups, info.memberships), (51, 2_000 + N as u64));
    let app_groups =
        format!("{}/api/v1/apps/{}/groups?limit=200&expand=group", fake.base_url(), info.app_id);
    let listed = collect(&fake, &app_groups).await.0;
    let assignment = listed.iter().find(|a| a["id"] == big.as_str()).expect("it is assigned");
    assert_eq!(assignment["_embedded"]["group"]["profile"]["name"], BIG_GROUP_NAME);
    assert_eq!(assignment["_embedded"]["group"]["type"], "OKTA_GROUP");

    let members = format!("{}/api/v1/groups/{big}/users", fake.base_url());
    let (ids, pages) = member_ids(&fake, &format!("{members}?limit=200"), 200).await;
    assert_eq!((ids.len(), pages), (N, N / 200));
    let truth = fake.control().truth();
    let group = truth.groups.iter().find(|g| g.id == big).expect("in the truth");
    assert!(ids.iter().eq(group.members.iter().map(|m| &m.id)), "the truth's members, in order");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), N, "each member once");
    let first = get_url(&fake, &members).await;
    assert!(next_link(&first).is_some());
    let first: Vec<Listed> = first.json().await.unwrap();
    assert_eq!(first.len(), 1000, "the default page size");

    let group_url = format!("/api/v1/groups/{big}");
    let stamp = async |fake: &FakeOkta| {
        let group: Value = get(fake, &group_url).await.json().await.unwrap();
        group["lastMembershipUpdated"].as_str().unwrap().to_owned()
    };
    let before = stamp(&fake).await;
    fake.control().remove_member(&big, &ids[0]).unwrap();
    let after = stamp(&fake).await;
    assert!(after > before, "{before} → {after}");
    let page: Vec<Listed> =
        get_url(&fake, &format!("{members}?limit=200")).await.json().await.unwrap();
    assert_eq!(page[0].id, ids[1]);
    let truth = fake.control().truth();
    let group = truth.groups.iter().find(|g| g.id == big).expect("in the truth");
    assert_eq!(group.members.len(), N - 1);
}
