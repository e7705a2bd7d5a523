//! Generated tenants: determinism, exact sizes, and realistic data.

use std::time::{Duration, Instant};

use fake_okta::{TenantSize, UserStatus};
use serde_json::Value;

use crate::helpers::{collect, get, start};

#[tokio::test]
async fn the_same_seed_gives_the_same_tenant_and_another_seed_a_different_one() {
    let a = start(TenantSize::S, 7).await;
    let b = start(TenantSize::S, 7).await;
    let c = start(TenantSize::S, 8).await;
    assert_eq!(a.control().truth(), b.control().truth());
    assert_eq!((&a.info().token, &a.info().app_id), (&b.info().token, &b.info().app_id));
    assert_ne!(a.control().truth(), c.control().truth());
    assert_ne!(a.info().token, c.info().token);
    let app = |fake: &fake_okta::FakeOkta| {
        format!("/api/v1/apps/{}/groups?limit=200&expand=group", fake.info().app_id)
    };
    let body = |v: Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|a| a["_embedded"]["group"]["created"].clone())
            .collect::<Vec<_>>()
    };
    let first: Value = get(&a, &app(&a)).await.json().await.unwrap();
    let second: Value = get(&b, &app(&b)).await.json().await.unwrap();
    assert_eq!(body(first), body(second));
}

#[tokio::test]
async fn the_small_tenant_has_exactly_50_groups_and_2000_memberships() {
    let fake = start(TenantSize::S, 7).await;
    assert_eq!((fake.info().groups, fake.info().memberships), (50, 2_000));
    assert_eq!(fake.control().truth().memberships(), 2_000);
    let counts = &fake.info().assigned_group_member_counts;
    assert!(counts.iter().any(|&c| c > 1000) && counts.iter().filter(|&&c| c > 200).count() >= 3);
}

#[tokio::test]
async fn the_medium_tenant_has_exactly_1000_groups_and_100000_memberships() {
    let fake = start(TenantSize::M, 7).await;
    assert_eq!((fake.info().groups, fake.info().memberships), (1_000, 100_000));
    assert_eq!(
        fake.info().assigned_group_member_counts.iter().map(|&c| u64::from(c)).sum::<u64>(),
        100_000
    );
    let url = format!("{}/api/v1/apps/{}/groups?limit=200", fake.base_url(), fake.info().app_id);
    assert_eq!(collect(&fake, &url).await.0.len(), 1_000);
}

/// L (120,000 users, a million memberships of assigned groups) generates in about a second
/// in a debug build, so it runs with the rest. The bound, the time `tests/support` gives the
/// fake process to start, catches only a generation gone pathologically slow, not a busy CI.
#[tokio::test]
async fn the_large_tenant_has_exactly_10000_groups_and_a_million_memberships() {
    let started = Instant::now();
    let fake = start(TenantSize::L, 7).await;
    assert_eq!((fake.info().groups, fake.info().memberships), (10_000, 1_000_000));
    assert!(started.elapsed() < Duration::from_secs(120), "generation is fast enough to start");
    assert_eq!(fake.control().truth().memberships(), 1_000_000);
}

#[tokio::test]
async fn the_demo_tenant_is_small_friendly_and_has_an_active_admin_in_it_admins() {
    let fake = start(TenantSize::Demo, 7).await;
    let truth = fake.control().truth();
    let names: Vec<&str> = truth.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names.len(), 12);
    for name in ["Engineering", "Sales", "Finance", "Support", "IT Admins"] {
        assert!(names.contains(&name), "{name}");
    }
    let it_admins = truth.groups.iter().find(|g| g.name == "IT Admins").unwrap();
    let admin = it_admins
        .members
        .iter()
        .find(|m| m.login == "admin@example.com")
        .expect("admin is in IT Admins");
    assert_eq!(admin.status, UserStatus::Active);
    assert_eq!(fake.info().admin_login.as_deref(), Some("admin@example.com"));
    let users: Vec<Value> = get(&fake, "/api/v1/users").await.json().await.unwrap();
    assert!(
        users.iter().all(|u| u["profile"]["email"].as_str().unwrap().ends_with("@example.com"))
    );
}

#[tokio::test]
async fn sized_tenants_have_awkward_names_absent_null_and_present_descriptions_and_every_status() {
    let fake = start(TenantSize::S, 7).await;
    let url = format!(
        "{}/api/v1/apps/{}/groups?limit=200&expand=group",
        fake.base_url(),
        fake.info().app_id
    );
    let groups: Vec<Value> =
        collect(&fake, &url).await.0.into_iter().map(|a| a["_embedded"]["group"].clone()).collect();
    let names: Vec<&str> = groups.iter().map(|g| g["profile"]["name"].as_str().unwrap()).collect();
    for needle in ["<script>alert(1)</script>", "<b>Bold</b> & \"quotes\"", "開発チーム"] {
        assert!(names.contains(&needle), "{needle}");
    }
    assert!(names.iter().any(|n| n.contains('\u{202E}')));
    assert!(names.iter().any(|n| n.contains('\u{200B}')));
    assert!(names.iter().any(|n| n.chars().any(|c| c as u32 >= 0x1F300)), "emoji");
    let profiles: Vec<&serde_json::Map<String, Value>> =
        groups.iter().map(|g| g["profile"].as_object().unwrap()).collect();
    assert!(profiles.iter().any(|p| !p.contains_key("description")));
    assert!(profiles.iter().any(|p| p.get("description") == Some(&Value::Null)));
    assert!(profiles.iter().any(|p| p.get("description").is_some_and(Value::is_string)));
    let statuses: std::collections::BTreeSet<UserStatus> = fake
        .control()
        .truth()
        .groups
        .iter()
        .flat_map(|g| g.members.iter().map(|m| m.status))
        .collect();
    assert_eq!(statuses.len(), 8);
    let active = fake
        .control()
        .truth()
        .groups
        .iter()
        .flat_map(|g| g.members.clone())
        .filter(|m| m.status == UserStatus::Active)
        .count();
    assert!(active * 10 > 2_000 * 7, "ACTIVE is the large majority ({active})");
}
