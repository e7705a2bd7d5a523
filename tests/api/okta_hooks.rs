//! Okta Event Hooks in, black-box: the secret made in Settings, Okta's verification call, and
//! deliveries: a forged or malformed one changes nothing, a burst becomes one run that revokes
//! what Okta removed, and a retried or duplicated delivery is acknowledged without being acted
//! on again.
//!
//! The tests share the sync stack and tenant with `sync.rs`, so they take its turns.

use std::time::{Duration, Instant};

use fake_okta::{Control, HookEvent, TruthGroup, TruthMember, UserStatus, delivery_body};
use groupsync_core::api::{
    ListSyncRunsResponse, OktaEventHook, OktaEventHookSecret, SyncRun, SyncState,
    UserAccessResponse,
};
use groupsync_core::domain::BuiltInRole;
use groupsync_core::okta::OktaUserStatus;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Caller, TestApp, expect_problem};
use crate::sync::{TURN, prepared, set_roles};
use crate::world::World;

const HOOK: &str = "/api/v1/okta/events";
const SETTINGS: &str = "/api/v1/settings/okta/event-hook";

/// How long the run that events ask for may take to start and end (it starts a few seconds after
/// the last event; the S tenant's run takes seconds, far more on two busy cores).
const RUN_PATIENCE: Duration = Duration::from_secs(180);

/// Okta's delivery body (CONTRACT.md §7, as the fake Okta writes it), with events of the given
/// types about `group` and `user`.
fn delivery(event_id: &str, types: &[&'static str], group: &str, user: &str) -> Value {
    let events: Vec<(HookEvent, i64)> = types
        .iter()
        .map(|event_type| {
            let targets = vec![("User", user.to_owned()), ("UserGroup", group.to_owned())];
            (HookEvent { event_type, targets }, 1_764_583_200_000)
        })
        .collect();
    serde_json::from_str(&delivery_body(event_id, &events)).expect("the fake writes JSON")
}

/// Sends a delivery as Okta does: the secret as the whole `Authorization` value, no CSRF header.
async fn deliver(app: &TestApp, secret: &str, body: &Value) -> reqwest::Response {
    app.raw(Method::POST, HOOK)
        .header("Authorization", secret)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("the Worker answers")
}

#[tokio::test]
async fn okta_verifies_the_hook_with_its_secret_and_forged_or_malformed_deliveries_change_nothing()
{
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, _) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;

    // Only a superAdmin makes the secret; it is shown once, with what to register in Okta.
    let nobody = app.as_person("nobody-hooks@example.com");
    let refused = nobody.send(Method::POST, &format!("{SETTINGS}/secret"), &json!({})).await;
    expect_problem(refused, StatusCode::FORBIDDEN, "forbidden").await;
    let made = make_secret(&root).await;
    assert!(made.hook.configured && made.hook.url.ends_with(HOOK), "{made:?}");
    assert_eq!(made.hook.header, "Authorization");
    assert!(made.hook.event_types.iter().any(|t| t == "group.user_membership.remove"));
    let described: OktaEventHook = root.read(SETTINGS).await;
    assert_eq!(described, made.hook, "the secret is never shown again");
    assert!(!serde_json::to_string(&described).unwrap().contains(&made.secret));

    // Verification: the challenge is echoed with the secret or without it, never with a wrong one.
    let verify = |secret: Option<&str>| {
        let mut request =
            app.raw(Method::GET, HOOK).header("x-okta-verification-challenge", "c1-X_y");
        if let Some(secret) = secret {
            request = request.header("Authorization", secret);
        }
        request.send()
    };
    for secret in [Some(made.secret.as_str()), None] {
        let answer = verify(secret).await.expect("the Worker answers");
        assert_eq!(answer.status(), StatusCode::OK);
        let body: Value = answer.json().await.expect("JSON");
        assert_eq!(body, json!({ "verification": "c1-X_y" }));
    }
    let forged = verify(Some("gsh_forged")).await.expect("the Worker answers");
    expect_problem(forged, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let verified: OktaEventHook = root.read(SETTINGS).await;
    assert!(verified.verified_at.is_some(), "{verified:?}");

    // A forged, missing or stale secret, and a body not of Okta's shape, are refused and counted
    // nowhere.
    let body = delivery("forged-1", &["group.user_membership.remove"], "00gX", "00uX");
    for secret in ["gsh_forged", "", &made.secret[..made.secret.len() - 1]] {
        let answer = deliver(&app, secret, &body).await;
        expect_problem(answer, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    }
    let not_okta =
        json!({ "eventType": "something.else", "eventId": "x", "data": { "events": [] } });
    let malformed = deliver(&app, &made.secret, &not_okta).await;
    expect_problem(malformed, StatusCode::BAD_REQUEST, "invalid_json").await;
    let untouched: OktaEventHook = root.read(SETTINGS).await;
    assert_eq!((untouched.deliveries, &untouched.last_delivery_at), (0, &None), "{untouched:?}");

    // A new secret replaces the old one at once.
    let renewed = make_secret(&root).await;
    assert_ne!(renewed.secret, made.secret);
    let stale = deliver(&app, &made.secret, &delivery("stale-1", &[], "00gX", "00uX")).await;
    expect_problem(stale, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn a_burst_of_events_starts_one_run_that_revokes_the_removed_member_and_duplicates_are_taken_once()
 {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let made = make_secret(&root).await;
    let Editor { group, member, access_path } = an_editor(&root, control).await;
    let before: UserAccessResponse = root.read(&access_path).await;
    assert!(before.access.roles.contains(&BuiltInRole::Editor), "{before:?}");
    let last_run_before = last_run(&root).await;

    // Okta removes the member and delivers 100 events in 20 deliveries, each one twice (Okta
    // delivers at least once), all within the few seconds the events gather for.
    control.remove_member(&group.id, &member.id).expect("remove a member");
    let started = Instant::now();
    let mut deliveries = Vec::new();
    for n in 0..20 {
        let types = ["group.user_membership.remove"; 5];
        let body = delivery(&format!("burst-{n}"), &types, &group.id, &member.id);
        deliveries.push(body.clone());
        deliveries.push(body);
    }
    let answers = futures_util::future::join_all(
        deliveries.iter().map(|body| deliver(&app, &made.secret, body)),
    )
    .await;
    for answer in answers {
        assert_eq!(answer.status(), StatusCode::NO_CONTENT);
    }
    let delivered_in = started.elapsed();
    let hook: OktaEventHook = root.read(SETTINGS).await;
    assert_eq!((hook.deliveries, hook.duplicates), (40, 20), "{hook:?}");

    // One run follows, started by the events, and the member's role is gone when it ends.
    let run = wait_for_run(&root, last_run_before.as_deref(), "okta_event").await;
    assert_eq!(run.state, SyncState::Succeeded, "{run:?}");
    assert!(!run.full && !run.dry_run, "an incremental run: {run:?}");
    let after: UserAccessResponse = root.read(&access_path).await;
    assert!(!after.access.roles.contains(&BuiltInRole::Editor), "{after:?}");
    let runs_after: ListSyncRunsResponse = root.read("/api/v1/sync/runs").await;
    let new_runs: Vec<&SyncRun> =
        runs_after.runs.iter().take_while(|r| Some(&r.id) != last_run_before.as_ref()).collect();
    assert_eq!(
        new_runs.len(),
        1,
        "one run for the burst (delivered in {delivered_in:?}): {new_runs:?}"
    );

    // A retry of a delivery already taken, long after, is acknowledged and counted, not acted on.
    let retried = deliver(&app, &made.secret, &deliveries[0]).await;
    assert_eq!(retried.status(), StatusCode::NO_CONTENT);
    let hook: OktaEventHook = root.read(SETTINGS).await;
    assert_eq!((hook.deliveries, hook.duplicates), (41, 21), "{hook:?}");

    control.add_member(&group.id, &member.id).expect("add the member back");
}

/// A member of the tenant's first group, given `editor` through it: whose access a test watches.
pub(crate) struct Editor {
    pub(crate) group: TruthGroup,
    pub(crate) member: TruthMember,
    pub(crate) access_path: String,
}

pub(crate) async fn an_editor(root: &Caller<'_>, control: &Control) -> Editor {
    let group = control.truth().groups.swap_remove(0);
    let member = group
        .members
        .iter()
        .find(|m| m.status == UserStatus::Active)
        .expect("an active member")
        .clone();
    set_roles(root, &group.id, &["editor"]).await;
    let access_path = format!("/api/v1/users/{}/access", member.login);
    Editor { group, member, access_path }
}

/// Makes the hook's secret, as a superAdmin does in Settings.
async fn make_secret(root: &Caller<'_>) -> OktaEventHookSecret {
    let made = root.send(Method::POST, &format!("{SETTINGS}/secret"), &json!({})).await;
    assert_eq!(made.status(), StatusCode::CREATED);
    made.json().await.expect("a secret")
}

/// Waits until the newest run after `after` was started by `trigger` and has ended.
async fn wait_for_run(caller: &Caller<'_>, after: Option<&str>, trigger: &str) -> SyncRun {
    let deadline = Instant::now() + RUN_PATIENCE;
    loop {
        let runs: ListSyncRunsResponse = caller.read("/api/v1/sync/runs").await;
        if let Some(run) = runs.runs.first()
            && Some(run.id.as_str()) != after
        {
            assert_eq!(run.trigger, trigger, "{run:?}");
            if run.state != SyncState::Running {
                return run.clone();
            }
        }
        assert!(Instant::now() < deadline, "no run started by {trigger} ended in time");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The newest run's id.
async fn last_run(caller: &Caller<'_>) -> Option<String> {
    let runs: ListSyncRunsResponse = caller.read("/api/v1/sync/runs").await;
    runs.runs.first().map(|run| run.id.clone())
}

#[tokio::test]
async fn a_suspension_okta_names_is_read_by_id_although_the_user_search_has_not_caught_up() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let made = make_secret(&root).await;
    let Editor { group, member, access_path } = an_editor(&root, control).await;

    // Okta suspends the member; its user search does not show it yet. An incremental run, which
    // reads statuses from that search, misses it.
    control.set_search_lag(true);
    control.set_user_status(&member.id, UserStatus::Suspended).expect("suspend");
    let missed = crate::sync::run_sync(&root, json!({})).await;
    assert_eq!(missed.state, SyncState::Succeeded, "{missed:?}");
    let still: UserAccessResponse = root.read(&access_path).await;
    assert!(still.access.roles.contains(&BuiltInRole::Editor), "the search lags: {still:?}");

    // The event names the user: the run it starts reads them by id, and the role is gone.
    let body = delivery("suspend-1", &["user.lifecycle.suspend"], &group.id, &member.id);
    assert_eq!(deliver(&app, &made.secret, &body).await.status(), StatusCode::NO_CONTENT);
    let run = wait_for_run(&root, Some(&missed.id), "okta_event").await;
    assert_eq!(run.state, SyncState::Succeeded, "{run:?}");
    let after: UserAccessResponse = root.read(&access_path).await;
    assert!(!after.access.roles.contains(&BuiltInRole::Editor), "{after:?}");
    assert_eq!(after.okta_status.map(OktaUserStatus::as_str), Some("SUSPENDED"), "{after:?}");

    control.set_search_lag(false);
    control.set_user_status(&member.id, UserStatus::Active).expect("reactivate");
}

/// Unregisters the fake Okta's hook when the test ends, however it ends: the other tests on this
/// tenant must not see deliveries they did not ask for.
struct Registered<'a>(&'a Control);

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.0.unregister_event_hook();
    }
}

/// Waits until the fake Okta has had `n` deliveries acknowledged (a duplicate is sent after the
/// first one's answer, and may still be on its way when the run has revoked the role).
async fn wait_for_acknowledged(control: &Control, n: u64) -> fake_okta::HookCounters {
    let deadline = Instant::now() + RUN_PATIENCE;
    loop {
        let sent = control.hook_counters();
        if sent.acknowledged >= n || sent.failed > 0 {
            return sent;
        }
        assert!(Instant::now() < deadline, "the fake's deliveries were not answered: {sent:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `access_path` until `holds` says the editor role is there (or not).
async fn wait_for_editor(caller: &Caller<'_>, access_path: &str, holds: bool) {
    let deadline = Instant::now() + RUN_PATIENCE;
    loop {
        let access: UserAccessResponse = caller.read(access_path).await;
        if access.access.roles.contains(&BuiltInRole::Editor) == holds {
            return;
        }
        assert!(Instant::now() < deadline, "the editor role is still {}: {access:?}", !holds);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_fake_okta_s_own_hook_is_verified_and_its_deliveries_and_duplicates_revoke_once() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let made = make_secret(&root).await;
    let Editor { group, member, access_path } = an_editor(&root, control).await;

    // Okta verifies the hook before it delivers anything; every delivery is sent twice.
    let registration = fake_okta::HookRegistration {
        url: made.hook.url.clone(),
        secret: made.secret.clone(),
        duplicate_every: Some(1),
    };
    control.register_event_hook(registration).await.expect("the hook is verified");
    let _registered = Registered(control);
    let verified: OktaEventHook = root.read(SETTINGS).await;
    assert!(verified.verified_at.is_some(), "{verified:?}");

    control.remove_member(&group.id, &member.id).expect("remove a member");
    wait_for_editor(&root, &access_path, false).await;
    let sent = wait_for_acknowledged(control, 2).await;
    assert!(sent.acknowledged >= 2 && sent.duplicates >= 1 && sent.failed == 0, "{sent:?}");
    let hook: OktaEventHook = root.read(SETTINGS).await;
    assert!(hook.duplicates >= 1 && hook.deliveries >= 2 * hook.duplicates, "{hook:?}");

    // Added back, the member regains the role the same way.
    control.add_member(&group.id, &member.id).expect("add the member back");
    wait_for_editor(&root, &access_path, true).await;
}

#[tokio::test]
async fn a_change_whose_event_is_lost_is_caught_by_the_next_scheduled_run() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let Editor { group, member, access_path } = an_editor(&root, control).await;
    let last_run_before = last_run(&root).await;

    // No hook delivers this change; the hourly run reads it.
    control.remove_member(&group.id, &member.id).expect("remove a member");
    let fired = app.raw(Method::GET, "/__scheduled?cron=0+*+*+*+*").send().await.unwrap();
    assert!(fired.status().is_success(), "{}", fired.status());
    let run = wait_for_run(&root, last_run_before.as_deref(), "schedule").await;
    assert_eq!(run.state, SyncState::Succeeded, "{run:?}");
    let after: UserAccessResponse = root.read(&access_path).await;
    assert!(!after.access.roles.contains(&BuiltInRole::Editor), "{after:?}");

    control.add_member(&group.id, &member.id).expect("add the member back");
}
