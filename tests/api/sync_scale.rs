//! Sync at size, black-box against the Worker and the fake Okta's scale tenant (S with one
//! assigned group of 20,000 members): a group larger than one D1 value syncs; a commit that
//! spans many statements is seen whole or not at all, and requests keep answering while it is
//! written; an unchanged re-sync writes nothing.

use groupsync_core::api::SyncState;
use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::sync::{prepared, run_sync, set_roles, wait_for};
use crate::world::{SCALE_GROUP_MEMBERS, World};

#[tokio::test]
async fn a_group_larger_than_one_d1_value_syncs_and_readers_only_ever_see_whole_commits() {
    let app = TestApp::for_scale();
    let (tenant, control) = &World::get().scale_tenant;
    let root = prepared(&app, tenant).await;

    // The big group is committed whole.
    let big = tenant.big_group_id.clone().expect("the scale tenant has a big group");
    let listing: Value =
        root.get("/api/v1/groups?per_page=1000").await.json().await.expect("the groups");
    let committed = listing["groups"]
        .as_array()
        .expect("a list of groups")
        .iter()
        .find(|g| g["id"] == big.as_str())
        .unwrap_or_else(|| panic!("the big group {big} is listed: {listing}"))
        .clone();
    assert_eq!(committed["member_count"], json!(SCALE_GROUP_MEMBERS), "{committed}");

    // A person moves from a Viewer group to an Editor group in the same run that adds Everyone
    // (every user) to the app: tens of thousands of rows, written over many statements. Any
    // reader between two of them would see the person in both groups or in neither.
    let truth = control.truth();
    let everyone = tenant.everyone_group_id.clone();
    let small = |id: &str| id != big && id != everyone;
    let (from, person) = truth
        .groups
        .iter()
        .filter(|g| small(&g.id))
        .find_map(|g| {
            let active = g.members.iter().find(|m| m.status == fake_okta::UserStatus::Active)?;
            Some((g, active.clone()))
        })
        .expect("a small group with an active member");
    let to = truth
        .groups
        .iter()
        .find(|g| small(&g.id) && g.id != from.id && !g.members.iter().any(|m| m.id == person.id))
        .expect("a small group without that member");
    // Only these two groups grant roles (the stack is this test's alone), so the person's roles
    // say which of them they are in.
    set_roles(&root, &from.id, &["viewer"]).await;
    set_roles(&root, &to.id, &["editor"]).await;
    let access = format!("/api/v1/users/{}/access", person.login);
    let roles = |answer: &Value| answer["access"]["roles"].clone();
    let before: Value = root.get(&access).await.json().await.expect("the access");
    assert_eq!(roles(&before), json!(["viewer"]), "{before}");

    control.remove_member(&from.id, &person.id).expect("the fake changes");
    control.add_member(&to.id, &person.id).expect("the fake changes");
    control.assign_everyone().expect("the fake assigns Everyone");
    let started = root.send(Method::POST, "/api/v1/sync", &json!({})).await;
    assert!(started.status().is_success(), "{}", started.status());
    let started: Value = started.json().await.expect("the run");
    let id = started["run"]["id"].as_str().expect("a run id").to_owned();

    // Read the person's access throughout the run: every answer is the old commit or the new.
    let mut seen = BTreeSet::new();
    let mut answers_while_running = 0_u32;
    loop {
        let answer = root.get(&access).await;
        assert_eq!(answer.status(), StatusCode::OK, "a reader is refused during the run");
        let answer: Value = answer.json().await.expect("the access");
        seen.insert(roles(&answer).to_string());
        let run: Value =
            root.get(&format!("/api/v1/sync/runs/{id}")).await.json().await.expect("the run");
        if run["state"] != "running" {
            break;
        }
        answers_while_running += 1;
    }
    let run = wait_for(&root, &id).await;
    assert_eq!(run.state, SyncState::Succeeded, "{run:?}");
    let whole: BTreeSet<String> =
        [json!(["viewer"]), json!(["editor"])].iter().map(Value::to_string).collect();
    assert!(
        seen.is_subset(&whole),
        "a reader saw a mix of two commits ({answers_while_running} reads during the run): {seen:?}"
    );
    let after: Value = root.get(&access).await.json().await.expect("the access");
    assert_eq!(roles(&after), json!(["editor"]), "{after}");
    let listing: Value =
        root.get("/api/v1/groups?per_page=1000").await.json().await.expect("the groups");
    let everyone_row = listing["groups"]
        .as_array()
        .expect("a list of groups")
        .iter()
        .find(|g| g["id"] == everyone.as_str())
        .unwrap_or_else(|| panic!("Everyone is listed after the commit: {listing}"))
        .clone();
    let users = control.truth().groups.iter().find(|g| g.id == everyone).map(|g| g.members.len());
    assert_eq!(everyone_row["member_count"].as_u64(), users.map(|n| n as u64), "{everyone_row}");

    // Nothing changed in Okta: nothing is written.
    let again = run_sync(&root, json!({})).await;
    assert_eq!(again.state, SyncState::Succeeded, "{again:?}");
    assert_eq!(again.rows_written, 0, "{again:?}");
    control.unassign_everyone().expect("the fake unassigns Everyone");
}
