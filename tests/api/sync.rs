//! Sync runs, black-box against the Worker and the fake Okta's S tenant: the first sync, a
//! re-sync after each kind of Okta change, effective access before and after, the guard, dry
//! runs, concurrent starts, group roles and invitations.
//!
//! The tests share one stack and one tenant, so they take turns (`TURN`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use fake_okta::{Control, UserStatus};
use groupsync_core::api::{DiffGroup, StartSyncResponse, SyncRun, SyncState};
use groupsync_core::domain::GuardReason;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::helpers::{Caller, TestApp, expect_problem};
use crate::world::World;

/// One test at a time on the shared stack and tenant.
pub(crate) static TURN: Mutex<()> = Mutex::const_new(());

/// How long a sync run of the S tenant may take to end: a few seconds on a quiet machine, far
/// more on two busy cores (and a fault run holds a hung request for the client's 30 s timeout).
const RUN_PATIENCE: Duration = Duration::from_secs(120);

/// Configures the stack for `tenant` (once), and syncs, so that the test starts from the
/// tenant's truth whatever the tests before it changed.
pub(crate) async fn prepared<'a>(app: &'a TestApp, tenant: &fake_okta::TenantInfo) -> Caller<'a> {
    let root = app.as_person("root@example.com");
    let settings: Value =
        root.get("/api/v1/settings/okta").await.json().await.expect("the settings");
    if settings["app_id"] != tenant.app_id.as_str() {
        let body = json!({ "tenant_url": tenant.base_url, "app_id": tenant.app_id, "api_token": tenant.token, "sync_enabled": true });
        let saved = root.send(Method::PUT, "/api/v1/settings/okta", &body).await;
        assert_eq!(saved.status(), StatusCode::OK, "{}", saved.text().await.expect("a body"));
    }
    let caught_up = run_sync(&root, json!({})).await;
    assert_eq!(caught_up.state, SyncState::Succeeded, "{caught_up:?}");
    root
}

/// Starts a sync and waits for it to leave `running`.
pub(crate) async fn run_sync(caller: &Caller<'_>, body: Value) -> SyncRun {
    let started = caller.send(Method::POST, "/api/v1/sync", &body).await;
    let status = started.status();
    let text = started.text().await.expect("a body");
    assert!(status.is_success(), "{status}: {text}");
    let started: StartSyncResponse =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not a started run ({e}): {text}"));
    wait_for(caller, &started.run.id).await
}

/// Polls a run until it is no longer running.
pub(crate) async fn wait_for(caller: &Caller<'_>, id: &str) -> SyncRun {
    let deadline = Instant::now() + RUN_PATIENCE;
    loop {
        let run: SyncRun = caller.read(&format!("/api/v1/sync/runs/{id}")).await;
        if run.state != SyncState::Running {
            return run;
        }
        assert!(Instant::now() < deadline, "run {id} still running: {run:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the Worker stores: group id → (name, member ids).
pub(crate) async fn stored(caller: &Caller<'_>) -> BTreeMap<String, (String, BTreeSet<String>)> {
    let page: Value = caller
        .get("/api/v1/groups?per_page=1000")
        .await
        .json()
        .await
        .expect("the Worker answers as documented");
    let mut groups = BTreeMap::new();
    for group in page["groups"]
        .as_array()
        .expect("the Worker answers as documented")
        .iter()
        .filter(|g| g["source"] == "okta")
    {
        let id = group["id"].as_str().expect("the Worker answers as documented");
        let members = crate::paging::member_ids(caller, id).await;
        // The count kept with the group is the members listed, after every kind of run.
        assert_eq!(
            group["member_count"].as_u64(),
            Some(members.len() as u64),
            "the member count of {id} agrees with its members"
        );
        groups.insert(
            id.to_owned(),
            (group["name"].as_str().expect("the Worker answers as documented").to_owned(), members),
        );
    }
    groups
}

/// What the fake says: group id → (name, member ids).
pub(crate) fn truth(control: &Control) -> BTreeMap<String, (String, BTreeSet<String>)> {
    control
        .truth()
        .groups
        .into_iter()
        .map(|g| (g.id, (g.name, g.members.into_iter().map(|m| m.id).collect())))
        .collect()
}

/// Gives a group these roles, on top of its current version.
pub(crate) async fn set_roles(caller: &Caller<'_>, group_id: &str, roles: &[&str]) {
    let path = format!("/api/v1/groups/{group_id}");
    let group: Value = caller.get(&path).await.json().await.expect("the group");
    let body = json!({ "roles": roles, "version": group["roles_version"] });
    let set = caller.send(Method::PUT, &format!("{path}/roles"), &body).await;
    assert_eq!(set.status(), StatusCode::OK, "setting roles");
}

fn counts(run: &SyncRun) -> [u32; 5] {
    let c = run.counts.unwrap_or_default();
    [c.groups_added, c.groups_changed, c.groups_removed, c.memberships_added, c.memberships_removed]
}

#[tokio::test]
async fn a_sync_stores_exactly_the_tenant_and_an_unchanged_resync_writes_nothing() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    assert_eq!(stored(&root).await, truth(control));

    let again = run_sync(&root, json!({})).await;

    assert_eq!(again.state, SyncState::Succeeded);
    assert_eq!(counts(&again), [0; 5], "{again:?}");
    assert_eq!(again.counts.map(|c| c.users_changed), Some(0));
    assert_eq!(again.rows_written, 0, "an unchanged re-sync writes no rows");
    assert!(again.okta_requests <= 3, "incremental: {again:?}");
}

#[tokio::test]
async fn a_full_sync_begins_with_the_largest_groups() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    // Everyone (every user) joins the app; the groups' sizes are committed.
    let _everyone = EveryoneAssigned::new(control);
    let with_everyone = run_sync(&root, json!({})).await;
    assert_eq!(with_everyone.state, SyncState::Succeeded, "{with_everyone:?}");

    // A group's pages can only be read one after another, so a run that left the largest
    // group for last would wait for it alone. The Worker reads six groups at once (the Workers
    // limit on connections); each answer takes long enough here for all six first requests to
    // arrive before any answer, so the first six listings begun are the six it chose first.
    control.set_latency(Duration::from_millis(300));
    control.reset_counters();
    let full = run_sync(&root, json!({ "full": true })).await;
    control.set_latency(Duration::ZERO);
    assert_eq!(full.state, SyncState::Succeeded, "{full:?}");

    let sizes: BTreeMap<String, usize> =
        control.truth().groups.into_iter().map(|g| (g.id, g.members.len())).collect();
    let mut largest: Vec<usize> = sizes.values().copied().collect();
    largest.sort_unstable_by(|a, b| b.cmp(a));
    let begun = control.counters().member_listings_begun;
    let first = &begun[..6.min(begun.len())];
    assert!(first.contains(&tenant.everyone_group_id), "Everyone is read first: {first:?}");
    for id in first {
        assert!(
            sizes[id] >= largest[5],
            "group {id} ({} members) was begun among the first six, but six groups are larger \
             (sizes: {largest:?})",
            sizes[id]
        );
    }
}

#[tokio::test]
async fn groups_of_unknown_size_are_read_in_oktas_order() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    // Eight new groups of one member each: nothing tells their sizes apart.
    let member = control.truth().groups[0].members[0].login.clone();
    let created = CreatedGroups::new(control, 8);
    for id in &created.0 {
        control.add_member(id, &member).expect("the member joins");
    }
    let listed: Vec<String> = control
        .truth()
        .groups
        .into_iter()
        .map(|g| g.id)
        .filter(|id| created.0.contains(id))
        .collect();
    let mut by_id = listed.clone();
    by_id.sort_unstable();
    assert_ne!(listed, by_id, "the fake lists these groups in an order other than by id");

    // Six listings are read at once. The first one goes alone (it learns the rate limit), the
    // next six go together, and each answer takes long enough here that the eighth begins only
    // after all of them: so the order begun is fixed up to the order within that wave.
    control.set_latency(Duration::from_millis(300));
    control.reset_counters();
    let run = run_sync(&root, json!({})).await;
    control.set_latency(Duration::ZERO);
    assert_eq!(run.state, SyncState::Succeeded, "{run:?}");

    let begun = control.counters().member_listings_begun;
    assert_eq!(begun.len(), listed.len(), "only the new groups are read: {begun:?}");
    let wave = |ids: &[String]| ids.iter().cloned().collect::<BTreeSet<_>>();
    assert_eq!(
        (&begun[0], wave(&begun[1..7]), &begun[7]),
        (&listed[0], wave(&listed[1..7]), &listed[7]),
        "groups of the same size are begun in the order Okta lists them ({listed:?}), not \
         {begun:?}"
    );
}

/// Groups made for a test and assigned to the app, deleted from the fake's tenant when this is
/// dropped.
struct CreatedGroups<'a>(Vec<String>, &'a Control);

impl<'a> CreatedGroups<'a> {
    fn new(control: &'a Control, count: usize) -> Self {
        let ids = (0..count)
            .map(|i| {
                let name = format!("Unsized group {i}");
                control.create_group(&name, None, true).expect("the fake creates a group")
            })
            .collect();
        Self(ids, control)
    }
}

impl Drop for CreatedGroups<'_> {
    fn drop(&mut self) {
        for id in &self.0 {
            let _ = self.1.delete_group(id);
        }
    }
}

/// Everyone stays assigned to the app while this lives.
struct EveryoneAssigned<'a>(&'a Control);

impl<'a> EveryoneAssigned<'a> {
    fn new(control: &'a Control) -> Self {
        control.assign_everyone().expect("the fake assigns Everyone");
        Self(control)
    }
}

impl Drop for EveryoneAssigned<'_> {
    fn drop(&mut self) {
        let _ = self.0.unassign_everyone();
    }
}

#[tokio::test]
async fn each_kind_of_okta_change_reaches_the_store_and_effective_access() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let truth_now = control.truth();
    let group = &truth_now.groups[0];
    let member =
        group.members.iter().find(|m| m.status == UserStatus::Active).expect("an active member");
    set_roles(&root, &group.id, &["editor"]).await;
    let access_path = format!("/api/v1/users/{}/access", member.login);
    let before: Value = root.get(&access_path).await.json().await.unwrap();
    assert!(before["access"]["roles"].as_array().unwrap().contains(&json!("editor")), "{before}");
    let explanation = format!("Editor via Okta group {} ({})", group.name, group.id);
    assert!(before.to_string().contains(&explanation), "{before}");

    // A rename keeps the role mapping.
    control.rename_group(&group.id, "Renamed <b>group</b>").unwrap();
    let renamed = run_sync(&root, json!({})).await;
    assert_eq!(counts(&renamed)[1], 1, "{renamed:?}");
    // A committed run keeps its diff, as a preview does: the run detail names the group.
    let renamed_group = DiffGroup {
        id: group.id.clone(),
        name: "Renamed <b>group</b>".into(),
        previous_name: Some(group.name.clone()),
    };
    let diff = renamed.diff.as_ref().expect("a committed run keeps its diff");
    assert_eq!(diff.groups_changed, [renamed_group], "{renamed:?}");
    let detail: Value =
        root.get(&format!("/api/v1/groups/{}", group.id)).await.json().await.unwrap();
    assert_eq!(
        (detail["name"].as_str(), detail["roles"].clone()),
        (Some("Renamed <b>group</b>"), json!(["editor"]))
    );

    // A suspended member loses the group's roles at the commit.
    control.set_user_status(&member.id, UserStatus::Suspended).unwrap();
    let suspended = run_sync(&root, json!({})).await;
    assert_eq!(suspended.state, SyncState::Succeeded);
    let after: Value = root.get(&access_path).await.json().await.unwrap();
    assert_eq!(after["access"]["roles"], json!([]), "{after}");
    assert!(after.to_string().contains("SUSPENDED"), "{after}");
    control.set_user_status(&member.id, UserStatus::Active).unwrap();
    run_sync(&root, json!({})).await;
    let back: Value = root.get(&access_path).await.json().await.unwrap();
    assert_eq!(back["access"]["roles"], json!(["editor"]));

    // A member removed from the group loses its roles; added back, regains them.
    control.remove_member(&group.id, &member.id).unwrap();
    let removed = run_sync(&root, json!({})).await;
    assert_eq!(counts(&removed)[4], 1, "{removed:?}");
    let gone: Value = root.get(&access_path).await.json().await.unwrap();
    assert_eq!(gone["access"]["roles"], json!([]));
    control.add_member(&group.id, &member.id).unwrap();
    let added = run_sync(&root, json!({})).await;
    assert_eq!(counts(&added)[3], 1, "{added:?}");

    // An unassigned group stops granting at the commit; its mapping is archived, not re-granted.
    control.unassign_group(&group.id).unwrap();
    let unassigned = run_sync(&root, json!({})).await;
    assert_eq!(counts(&unassigned)[2], 1, "{unassigned:?}");
    let none: Value = root.get(&access_path).await.json().await.unwrap();
    assert!(!none.to_string().contains(&group.id), "{none}");
    control.assign_group(&group.id).unwrap();
    let returned = run_sync(&root, json!({})).await;
    assert_eq!(counts(&returned)[0], 1, "{returned:?}");
    let detail: Value =
        root.get(&format!("/api/v1/groups/{}", group.id)).await.json().await.unwrap();
    assert_eq!(
        detail["roles"],
        json!([]),
        "a returning group is not silently re-granted its roles"
    );

    assert_eq!(stored(&root).await, truth(control), "the store equals the tenant after all that");
}

#[tokio::test]
async fn roles_follow_employment_and_every_answer_says_what_a_status_means() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let truth_now = control.truth();
    let group = &truth_now.groups[3];
    let member = group.members.iter().find(|m| m.status == UserStatus::Active).unwrap().clone();
    set_roles(&root, &group.id, &["viewer"]).await;
    let access_path = format!("/api/v1/users/{}/access", member.login);

    // Locked out (a sign-in problem): still employed, so the group's roles stay, and say why.
    control.set_user_status(&member.id, UserStatus::LockedOut).unwrap();
    assert_eq!(run_sync(&root, json!({})).await.state, SyncState::Succeeded);
    let locked: Value = root.get(&access_path).await.json().await.unwrap();
    assert_eq!(locked["okta_status"], "LOCKED_OUT", "{locked}");
    assert_eq!(locked["access"]["roles"], json!(["viewer"]), "{locked}");
    let notes = locked["access"]["notes"].to_string();
    assert!(notes.contains("LOCKED_OUT") && notes.contains("still apply"), "{locked}");
    let me: Value = app.as_person(&member.login).get("/api/v1/me").await.json().await.unwrap();
    assert!(
        me["roles"].as_array().unwrap().contains(&json!("viewer")),
        "the request holds it: {me}"
    );

    // Suspended: no roles, and every answer names the status instead of denying the group.
    control.set_user_status(&member.id, UserStatus::Suspended).unwrap();
    assert_eq!(run_sync(&root, json!({})).await.state, SyncState::Succeeded);
    let suspended: Value = root.get(&access_path).await.json().await.unwrap();
    assert_eq!(suspended["okta_status"], "SUSPENDED", "{suspended}");
    assert_eq!(suspended["access"]["roles"], json!([]), "{suspended}");
    let notes = suspended["access"]["notes"].to_string();
    assert!(notes.contains("SUSPENDED") && notes.contains("unsuspended"), "{suspended}");
    assert!(!notes.contains("no group"), "she is in a group, as its page says: {suspended}");
    let members = crate::paging::member_ids(&root, &group.id).await;
    assert!(members.contains(&member.id), "the group page lists her");
    let invited: Value = root
        .send(Method::POST, "/api/v1/invitations", &json!({ "email": member.login }))
        .await
        .json()
        .await
        .unwrap();
    let warning = invited["warning"].as_str().unwrap_or_default();
    assert!(warning.contains("SUSPENDED") && !warning.contains("no group"), "{invited}");

    control.set_user_status(&member.id, UserStatus::Active).unwrap();
    assert_eq!(run_sync(&root, json!({})).await.state, SyncState::Succeeded);
    set_roles(&root, &group.id, &[]).await;
}

#[tokio::test]
async fn the_guard_holds_a_mass_removal_until_a_super_admin_decides() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let before = stored(&root).await;
    let doomed: Vec<String> =
        control.truth().groups.iter().take(30).map(|g| g.id.clone()).collect();
    for id in &doomed {
        control.unassign_group(id).unwrap();
    }

    let held = run_sync(&root, json!({})).await;
    assert_eq!(held.state, SyncState::NeedsConfirmation, "{held:?}");
    let reason = held.held_reason.as_ref().expect("a held run says why");
    assert!(matches!(reason, GuardReason::RemovesMostGroups { .. }), "{reason:?}");
    let diff = held.diff.as_ref().expect("a held run has its diff");
    assert_eq!(diff.groups_removed.len(), 25, "the diff names the first 25");
    assert_eq!(stored(&root).await, before, "nothing is committed while held");
    let joined: StartSyncResponse =
        root.send(Method::POST, "/api/v1/sync", &json!({})).await.json().await.unwrap();
    assert_eq!(joined.run.id, held.id, "a held run blocks new runs");
    let viewer_try = app
        .as_person("nobody@example.com")
        .write(Method::POST, &format!("/api/v1/sync/runs/{}/confirm", held.id));
    assert_eq!(viewer_try.send().await.unwrap().status(), StatusCode::FORBIDDEN);

    let discard = root
        .write(Method::POST, &format!("/api/v1/sync/runs/{}/discard", held.id))
        .send()
        .await
        .unwrap();
    let discarded: SyncRun = discard.json().await.unwrap();
    assert_eq!(discarded.state, SyncState::Discarded);
    assert_eq!(stored(&root).await, before);

    let held_again = run_sync(&root, json!({})).await;
    assert_eq!(held_again.state, SyncState::NeedsConfirmation);
    let confirm = root
        .write(Method::POST, &format!("/api/v1/sync/runs/{}/confirm", held_again.id))
        .send()
        .await
        .unwrap();
    assert_eq!(confirm.status(), StatusCode::OK);
    assert_eq!(stored(&root).await, truth(control), "confirmed: the tenant is committed");
    let again = root
        .write(Method::POST, &format!("/api/v1/sync/runs/{}/confirm", held_again.id))
        .send()
        .await
        .unwrap();
    expect_problem(again, StatusCode::CONFLICT, "conflict").await;

    for id in &doomed {
        control.assign_group(id).unwrap();
    }
    let restored = run_sync(&root, json!({})).await;
    assert_eq!(restored.state, SyncState::Succeeded, "adding groups back is never held");
}

#[tokio::test]
async fn a_dry_run_shows_the_diff_and_commits_nothing() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let group = control.truth().groups[1].clone();
    control.rename_group(&group.id, "Dry-run rename").unwrap();
    let before = stored(&root).await;

    let dry = run_sync(&root, json!({ "dry_run": true })).await;

    assert_eq!((dry.state, dry.dry_run), (SyncState::Succeeded, true));
    let changed = &dry.diff.as_ref().expect("a dry run shows its diff").groups_changed[0];
    assert_eq!(changed.name, "Dry-run rename", "{dry:?}");
    assert_eq!(changed.previous_name.as_deref(), Some(group.name.as_str()));
    assert_eq!(stored(&root).await, before, "nothing committed");
    let real = run_sync(&root, json!({})).await;
    assert_eq!(counts(&real)[1], 1);
}

#[tokio::test]
async fn concurrent_starts_join_exactly_one_run() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    // Most groups leave the app, so that each burst's run is held by the guard until it is
    // discarded: however slowly a loaded machine serves the burst, its last start still finds
    // the run there. (A run that had ended before a late start would rightly let it begin
    // another, and the count below would say nothing about concurrent starts.)
    let leaving: Vec<String> =
        control.truth().groups.iter().take(30).map(|g| g.id.clone()).collect();
    for id in &leaving {
        control.unassign_group(id).unwrap();
    }
    let full = json!({ "full": true });
    for burst in [2, 10, 50] {
        let requests = (0..burst).map(|_| root.send(Method::POST, "/api/v1/sync", &full));
        let answers = futures_util::future::join_all(requests).await;
        let mut ids = BTreeSet::new();
        for answer in answers {
            assert!(answer.status().is_success());
            let body: Value = answer.json().await.unwrap();
            ids.insert(body["run"]["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(ids.len(), 1, "a burst of {burst} started {} runs", ids.len());
        let id = ids.first().unwrap();
        let run = wait_for(&root, id).await;
        assert_eq!(run.state, SyncState::NeedsConfirmation, "{run:?}");
        let discard = root.write(Method::POST, &format!("/api/v1/sync/runs/{id}/discard"));
        assert_eq!(discard.send().await.unwrap().status(), StatusCode::OK);
    }
    for id in &leaving {
        control.assign_group(id).unwrap();
    }
    let restored = run_sync(&root, json!({})).await;
    assert_eq!(restored.state, SyncState::Succeeded, "{restored:?}");
}

#[tokio::test]
async fn an_invitation_predicts_the_roles_and_warns_when_there_are_none() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let truth_now = control.truth();
    let group = &truth_now.groups[2];
    let member = group.members.iter().find(|m| m.status == UserStatus::Active).unwrap();
    set_roles(&root, &group.id, &["viewer"]).await;

    let invited: Value = root
        .send(Method::POST, "/api/v1/invitations", &json!({ "email": member.login.to_uppercase() }))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(invited["invitation"]["email"], member.login.as_str());
    assert_eq!(invited["invitation"]["okta_user_id"], member.id.as_str());
    assert!(invited["access"]["roles"].as_array().unwrap().contains(&json!("viewer")), "{invited}");
    assert_eq!(invited["warning"], Value::Null);

    // An email Okta does not know is invited only once that is confirmed.
    let unconfirmed = json!({ "email": "stranger@example.com" });
    let refused = root.send(Method::POST, "/api/v1/invitations", &unconfirmed).await;
    let problem =
        expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "unknown_to_okta").await;
    assert!(problem.detail.contains("Okta has no user with the email stranger@example.com"));
    let listed: Value = root.get("/api/v1/invitations").await.json().await.unwrap();
    assert!(!listed.to_string().contains("stranger@example.com"), "nothing stored: {listed}");
    let confirmed = json!({ "email": "stranger@example.com", "confirm_unknown": true });
    let stranger: Value =
        root.send(Method::POST, "/api/v1/invitations", &confirmed).await.json().await.unwrap();
    assert!(stranger["warning"].as_str().unwrap().contains("not a user in Okta"), "{stranger}");
    let listed: Value = root.get("/api/v1/invitations").await.json().await.unwrap();
    assert!(listed.to_string().contains("stranger@example.com"));

    // The invited person becomes active on first sign-in, with the roles of their groups.
    let me: Value = app.as_person(&member.login).get("/api/v1/me").await.json().await.unwrap();
    assert!(me["roles"].as_array().unwrap().contains(&json!("viewer")), "{me}");
    let users: Value = root.get("/api/v1/users").await.json().await.unwrap();
    let entry = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == member.login.as_str())
        .unwrap()
        .clone();
    assert_eq!(entry["status"], "active");
}

#[tokio::test]
async fn the_users_listing_shows_each_invitation_whole_with_the_roles_it_grants_now() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let truth_now = control.truth();
    let group = &truth_now.groups[2];
    // Not the member `an_invitation_predicts…` invites: an email is invited once.
    let member = group.members.iter().filter(|m| m.status == UserStatus::Active).nth(1).unwrap();
    set_roles(&root, &group.id, &["viewer"]).await;
    for email in [member.login.as_str(), "root@example.com"] {
        let body = json!({ "email": email, "confirm_unknown": true });
        let sent = root.send(Method::POST, "/api/v1/invitations", &body).await;
        assert_eq!(sent.status(), StatusCode::CREATED);
    }

    let users: Value = root.get("/api/v1/users").await.json().await.unwrap();
    let entry = |email: &str| {
        users["users"].as_array().unwrap().iter().find(|u| u["email"] == email).cloned().unwrap()
    };
    let person = entry(&member.login);
    assert_eq!(person["okta_user_id"], member.id.as_str(), "{person}");
    assert_eq!(person["invited_by"], "root@example.com", "{person}");
    assert!(person["invited_at"].as_str().is_some_and(|at| !at.is_empty()), "{person}");
    assert!(person["roles"].as_array().unwrap().contains(&json!("viewer")), "{person}");
    assert_eq!(person["super_admin"], false, "{person}");
    let super_admin = entry("root@example.com");
    assert_eq!(super_admin["super_admin"], true, "{super_admin}");
}

#[tokio::test]
async fn the_pages_of_a_group_listing_name_the_sync_they_come_from() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let page = async |n: u32| -> Value {
        root.get(&format!("/api/v1/groups?per_page=2&page={n}")).await.json().await.unwrap()
    };
    let (first, second) = (page(1).await, page(2).await);
    assert!(first["as_of"].is_string(), "{first}");
    assert_eq!((&first["as_of"], &first["total"]), (&second["as_of"], &second["total"]));

    let group = &control.truth().groups[5];
    control.rename_group(&group.id, &format!("{} (renamed)", group.name)).unwrap();
    let run = run_sync(&root, json!({})).await;
    assert_eq!(run.state, SyncState::Succeeded, "{run:?}");
    let after = page(1).await;
    assert_eq!(after["as_of"].as_str(), run.ended_at.as_deref(), "{after}");
    assert_ne!(after["as_of"], first["as_of"], "a commit starts a new listing");
}

#[tokio::test]
async fn two_admins_saving_the_same_version_cannot_overwrite_each_other() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let id = control.truth().groups[3].id.clone();
    let group: Value = root.get(&format!("/api/v1/groups/{id}")).await.json().await.unwrap();
    let version = group["roles_version"].clone();

    let first = root
        .send(
            Method::PUT,
            &format!("/api/v1/groups/{id}/roles"),
            &json!({ "roles": ["admin"], "version": version }),
        )
        .await;
    let second = root
        .send(
            Method::PUT,
            &format!("/api/v1/groups/{id}/roles"),
            &json!({ "roles": ["viewer"], "version": version }),
        )
        .await;

    assert_eq!(first.status(), StatusCode::OK);
    let refused = expect_problem(second, StatusCode::CONFLICT, "version_conflict").await;
    let now: Value = root.get(&format!("/api/v1/groups/{id}")).await.json().await.unwrap();
    assert_eq!(now["roles"], json!(["admin"]));
    // The one refused is told who saved first, and when; so is anyone who reads the group.
    let at = now["roles_saved_at"].as_str().expect("when the roles were saved");
    assert_eq!(now["roles_saved_by"], "root@example.com", "{now}");
    assert_eq!(
        refused.detail,
        format!(
            "root@example.com changed this group's roles first (at {at}). Reload the group to \
             see their change, then apply yours again."
        )
    );
    // A reader who may not assign roles (a read-only API key) is not told who did: that is
    // the audit log's.
    let key: Value = root
        .send(Method::POST, "/api/v1/api-keys", &json!({ "name": "Roles reader" }))
        .await
        .json()
        .await
        .unwrap();
    let reader = app.with_api_key(key["secret"].as_str().expect("the key's secret"));
    let seen: Value = reader.get(&format!("/api/v1/groups/{id}")).await.json().await.unwrap();
    assert_eq!(seen["roles"], json!(["admin"]), "{seen}");
    assert_eq!((&seen["roles_saved_by"], &seen["roles_saved_at"]), (&Value::Null, &Value::Null));
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes_served() {
    let app = TestApp::new();
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let root = app.as_person("root@example.com");
    for (path, item) in doc["paths"].as_object().unwrap() {
        // The dev sign-in is documented, and exists only where it is switched on (not here).
        if path == "/api/v1/dev/sign-in" {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            // Not root: other tests of this stack make a second superAdmin for a moment, and
            // root must not be revoked meanwhile by this sweep.
            let concrete =
                path.replace("{email}", "nobody%40example.com").replace('{', "x").replace('}', "");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response =
                root.write(method.clone(), &concrete).json(&json!({})).send().await.unwrap();
            let problem: Option<Value> = response.json().await.ok();
            let code = problem.as_ref().and_then(|p| p["code"].as_str()).unwrap_or("");
            let detail = problem.as_ref().and_then(|p| p["detail"].as_str()).unwrap_or("");
            // A 404 for an unknown id is fine; a 404 for an unknown route is not.
            assert!(
                code != "method_not_allowed" && !detail.starts_with("No API route matches"),
                "{method} {path}: {detail}"
            );
        }
    }
    let missing = app.get("/api/v1/not-in-the-document").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_cron_trigger_runs_the_same_sync_incremental_hourly_and_full_nightly() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, _) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    for (cron, full) in [("0 * * * *", false), ("30 3 * * *", true)] {
        let fired = app
            .raw(Method::GET, &format!("/__scheduled?cron={}", cron.replace(' ', "+")))
            .send()
            .await
            .unwrap();
        assert_eq!(fired.status(), StatusCode::OK, "{cron}");
        let deadline = Instant::now() + RUN_PATIENCE;
        let run = loop {
            let runs: Value = root.get("/api/v1/sync/runs").await.json().await.unwrap();
            let newest = runs["runs"][0].clone();
            if newest["trigger"] == "schedule"
                && newest["full"] == full
                && newest["state"] != "running"
            {
                break newest;
            }
            assert!(Instant::now() < deadline, "no scheduled run for {cron}: {runs}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(
            (run["state"].as_str(), run["started_by"].as_str()),
            (Some("succeeded"), Some("system")),
            "{run}"
        );
    }
    let runs: Value = root.get("/api/v1/sync/runs").await.json().await.unwrap();
    let schedule = &runs["schedule"];
    assert_eq!(schedule["sync_enabled"], true, "{schedule}");
    let next_at = schedule["next_at"].as_str().unwrap_or_default();
    assert!(next_at.ends_with(":00:00.000Z") || next_at.ends_with("03:30:00.000Z"), "{schedule}");
}

#[tokio::test]
async fn the_run_history_pages_and_names_the_next_scheduled_sync() {
    let app = TestApp::new();
    let root = app.as_person("root@example.com");
    // Dated ahead of every real run of this shared stack, so that they are the newest 30.
    let values: Vec<String> = (0..30)
        .map(|i| {
            format!(
                "('run-{i:02}', 'succeeded', 'schedule', 'system', 0, 0, \
                 '2099-01-01T00:{i:02}:00.000Z', '2099-01-01T00:{i:02}:30.000Z')"
            )
        })
        .collect();
    app.execute_sql(&format!(
        "INSERT INTO sync_runs (id, state, trigger, started_by, dry_run, full, started_at, ended_at) \
         VALUES {};",
        values.join(", ")
    ));

    let first: Value = root.get("/api/v1/sync/runs").await.json().await.unwrap();
    let second: Value = root.get("/api/v1/sync/runs?page=2").await.json().await.unwrap();

    let ids = |page: &Value| -> Vec<String> {
        page["runs"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().into()).collect()
    };
    assert_eq!(ids(&first).len(), 25);
    assert_eq!(ids(&first)[0], "run-29", "newest first");
    assert_eq!(first["next_page"], 2);
    assert_eq!(ids(&second)[..5], ["run-04", "run-03", "run-02", "run-01", "run-00"]);
    // The schedule is named exactly while sync is on (other tests may turn it on here).
    let schedule = &first["schedule"];
    assert_eq!(
        schedule["sync_enabled"].as_bool(),
        Some(schedule["next_at"].is_string()),
        "{schedule}"
    );
    let bad = root.get("/api/v1/sync/runs?page=0").await;
    expect_problem(bad, StatusCode::BAD_REQUEST, "invalid_query").await;

    // A state or failure code outside the closed sets cannot be stored, so none is ever read
    // back as something it is not (an unknown state used to read as running).
    for (state, code) in [("paused", "NULL"), ("failed", "'okta_on_fire'")] {
        let refused = app.refused_sql(&format!(
            "INSERT INTO sync_runs (id, state, trigger, started_by, dry_run, full, started_at, \
             error_code) VALUES ('run-odd', '{state}', 'manual', 'x', 0, 0, '2000-01-01', {code});"
        ));
        assert!(refused.contains("CHECK constraint failed"), "{state} {code}: {refused}");
    }
}
