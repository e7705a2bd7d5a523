//! Who may do what, hardened (issue #11), black-box on the shared sync stack and S tenant: no
//! caller hands out more than they hold, a person is bound to one Okta user by an immutable id,
//! held runs are audited with the superAdmin who decided, and the access review lists everyone
//! who holds access or has signed in.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use fake_okta::{TruthMember, UserStatus};
use groupsync_core::api::{
    AccessCheckResponse, AppUser, AppUserStatus, GroupDetail, ListAuditResponse, ListUsersResponse,
    MeResponse, SyncState, UserAccessResponse,
};
use groupsync_core::domain::{BuiltInRole, Permission};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Caller, TestApp, expect_problem};
use crate::sync::{TURN, prepared, run_sync, set_roles};
use crate::world::World;

/// A signed-in person with this email and this Access subject (the sign-in identity).
fn signed_in<'a>(app: &'a TestApp, email: &str, subject: &str) -> Caller<'a> {
    let world = World::get();
    let mut claims = world.person_claims(email);
    claims["sub"] = json!(subject);
    app.with_jwt(&world.token(&claims, "k1", 0))
}

/// A subject no test has used: a person signing in for the first time.
fn fresh_subject(label: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("sub-{label}-{now}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

async fn me(caller: &Caller<'_>) -> MeResponse {
    caller.read("/api/v1/me").await
}

async fn group(caller: &Caller<'_>, id: &str) -> GroupDetail {
    caller.read(&format!("/api/v1/groups/{id}")).await
}

/// The active members of the tenant's `index`-th group.
fn active_members(index: usize) -> (String, Vec<TruthMember>) {
    let (_, control) = &World::get().sync_tenant;
    let group = control.truth().groups.swap_remove(index);
    let members = group.members.into_iter().filter(|m| m.status == UserStatus::Active).collect();
    (group.id, members)
}

/// Someone in none of the given groups, active, and in some synced group.
pub(crate) fn outsider(groups: &[&str]) -> TruthMember {
    let (_, control) = &World::get().sync_tenant;
    let truth = control.truth();
    let inside = |m: &TruthMember| {
        truth.groups.iter().any(|g| groups.contains(&g.id.as_str()) && g.members.contains(m))
    };
    truth
        .groups
        .iter()
        .flat_map(|g| g.members.iter())
        .find(|m| m.status == UserStatus::Active && !inside(m))
        .expect("the S tenant has people outside a few groups")
        .clone()
}

#[tokio::test]
async fn an_editor_can_neither_make_a_group_admin_nor_strip_admin_from_one() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, _) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let (editors, editor_members) = active_members(4);
    let (admins, _) = active_members(5);
    let (spare, _) = active_members(6);
    for (group, roles) in [(&editors, &["editor"][..]), (&admins, &["admin"]), (&spare, &[])] {
        set_roles(&root, group, roles).await;
    }
    let editor = signed_in(&app, &editor_members[0].login, &fresh_subject("editor"));
    assert!(me(&editor).await.roles.contains(&BuiltInRole::Editor));

    // The escalation the issue reports: her own group made Admin.
    let version = group(&editor, &editors).await.roles_version;
    let body = json!({ "roles": ["editor", "admin"], "version": version });
    let refused = editor.send(Method::PUT, &format!("/api/v1/groups/{editors}/roles"), &body).await;
    let problem = expect_problem(refused, StatusCode::FORBIDDEN, "beyond_own_access").await;
    assert!(
        problem.detail.contains("Admin") && problem.detail.contains("read_audit"),
        "{problem:?}"
    );
    let after = me(&editor).await;
    assert!(!after.permissions.contains(&Permission::RunSync), "nothing was granted: {after:?}");

    // Taking Admin away is handing out access too.
    let version = group(&editor, &admins).await.roles_version;
    let strip = json!({ "roles": [], "version": version });
    let refused = editor.send(Method::PUT, &format!("/api/v1/groups/{admins}/roles"), &strip).await;
    expect_problem(refused, StatusCode::FORBIDDEN, "beyond_own_access").await;
    assert_eq!(group(&root, &admins).await.roles, [BuiltInRole::Admin]);

    // Within her own permissions she still may.
    set_roles(&editor, &spare, &["viewer", "editor"]).await;

    // An invitation hands out what the person's groups grant: an Admin's is beyond her.
    let admin_member = active_members(5).1.into_iter().next().expect("an active Admin");
    let body = json!({ "email": admin_member.login });
    let refused = editor.send(Method::POST, "/api/v1/invitations", &body).await;
    expect_problem(refused, StatusCode::FORBIDDEN, "beyond_own_access").await;
    let plain = outsider(&[&admins]);
    let body = json!({ "email": plain.login });
    let sent = editor.send(Method::POST, "/api/v1/invitations", &body).await;
    assert_eq!(sent.status(), StatusCode::CREATED, "{}", sent.text().await.unwrap());

    for group in [&editors, &admins, &spare] {
        set_roles(&root, group, &[]).await;
    }
}

#[tokio::test]
async fn an_email_shared_by_two_okta_users_grants_nothing_and_says_why() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let (admins, members) = active_members(7);
    set_roles(&root, &admins, &["admin"]).await;
    let owner = &members[0];
    let other = outsider(&[&admins]);
    control.set_user_email(&other.id, &owner.login).unwrap();
    // A profile change moves no group's membership stamp: the full run reads it.
    let synced = run_sync(&root, json!({ "full": true })).await;
    assert_eq!(synced.state, SyncState::Succeeded, "{synced:?}");

    let newcomer = me(&signed_in(&app, &owner.login, &fresh_subject("shared"))).await;
    let why: UserAccessResponse = root.read(&format!("/api/v1/users/{}/access", owner.login)).await;
    let check_path = format!("/api/v1/access/check?email={}&permission=read_groups", owner.login);
    let checked: AccessCheckResponse = root.read(&check_path).await;

    control.set_user_email(&other.id, &other.login).unwrap();
    set_roles(&root, &admins, &[]).await;
    assert_eq!(run_sync(&root, json!({ "full": true })).await.state, SyncState::Succeeded);
    assert!(newcomer.roles.is_empty(), "{newcomer:?}");
    assert_eq!(newcomer.okta_user_id, None, "{newcomer:?}");
    assert!(newcomer.notes[0].contains("2 Okta users have the email"), "{newcomer:?}");
    assert!(why.access.roles.is_empty(), "{why:?}");
    assert!(why.access.notes[0].contains("2 Okta users"), "{why:?}");
    assert!(!checked.decision.allowed, "{checked:?}");
    assert!(checked.decision.explanation.contains("2 Okta users"), "{checked:?}");
}

#[tokio::test]
async fn an_okta_user_bound_to_one_sign_in_is_never_borrowed_by_another() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let (admins, members) = active_members(8);
    set_roles(&root, &admins, &["admin"]).await;
    let person = &members[0];
    let (ann, mallory) = (fresh_subject("ann"), fresh_subject("mallory"));

    let first = me(&signed_in(&app, &person.login, &ann)).await;
    let borrowed = me(&signed_in(&app, &person.login, &mallory)).await;
    // The email moves in Okta: Ann's sign-in keeps her Okta user, whatever her email says.
    let moved = format!("moved.{}", person.login);
    control.set_user_email(&person.id, &moved).unwrap();
    assert_eq!(run_sync(&root, json!({ "full": true })).await.state, SyncState::Succeeded);
    let after_move = me(&signed_in(&app, &moved, &ann)).await;

    control.set_user_email(&person.id, &person.login).unwrap();
    set_roles(&root, &admins, &[]).await;
    assert_eq!(run_sync(&root, json!({ "full": true })).await.state, SyncState::Succeeded);
    assert!(first.roles.contains(&BuiltInRole::Admin), "{first:?}");
    assert_eq!(first.okta_user_id.as_deref(), Some(person.id.as_str()));
    assert!(borrowed.roles.is_empty(), "another sign-in with the same email: {borrowed:?}");
    assert!(borrowed.notes[0].contains("another sign-in"), "{borrowed:?}");
    assert!(after_move.roles.contains(&BuiltInRole::Admin), "{after_move:?}");
}

#[tokio::test]
async fn a_first_sign_in_whose_requests_arrive_together_gets_its_roles_in_each() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, _) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let (admins, members) = active_members(10);
    set_roles(&root, &admins, &["admin"]).await;
    // A screen's first load sends several requests at once, each of which binds the sign-in.
    let person = signed_in(&app, &members[0].login, &fresh_subject("burst"));

    let answers = futures_util::future::join_all((0..8).map(|_| me(&person))).await;

    set_roles(&root, &admins, &[]).await;
    for answer in &answers {
        assert!(
            answer.roles.contains(&BuiltInRole::Admin),
            "every request of the burst: {answer:?}"
        );
    }
}

#[tokio::test]
async fn a_held_run_is_audited_with_the_super_admin_who_decided() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let granted = root
        .send(Method::POST, "/api/v1/super-admins", &json!({ "email": "decider@example.com" }))
        .await;
    assert!(granted.status().is_success(), "{}", granted.status());
    let decider = app.as_person("decider@example.com");
    let doomed: Vec<String> =
        control.truth().groups.iter().take(30).map(|g| g.id.clone()).collect();
    for id in &doomed {
        control.unassign_group(id).unwrap();
    }

    let mut decided = Vec::new();
    for verb in ["discard", "confirm"] {
        let held = run_sync(&root, json!({})).await;
        assert_eq!(held.state, SyncState::NeedsConfirmation, "{held:?}");
        let id = held.id.to_owned();
        let answer = decider
            .write(Method::POST, &format!("/api/v1/sync/runs/{id}/{verb}"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{verb}");
        decided.push(id);
    }
    let audit: ListAuditResponse = root.read("/api/v1/audit?limit=200").await;

    for id in &doomed {
        control.assign_group(id).unwrap();
    }
    assert_eq!(run_sync(&root, json!({})).await.state, SyncState::Succeeded);
    root.delete("/api/v1/super-admins/decider%40example.com").await;
    let entry = |id: &str, action: &str| {
        audit.entries.iter().find(|e| e.target.as_deref() == Some(id) && e.action == action)
    };
    for (id, action) in decided.iter().zip(["sync.discarded", "sync.confirmed"]) {
        let decision =
            entry(id, action).unwrap_or_else(|| panic!("no {action} for {id} in {audit:?}"));
        assert_eq!(decision.actor, "decider@example.com", "{decision:?}");
        let started = entry(id, "sync.started").expect("the start is audited");
        assert_eq!(started.actor, "root@example.com", "the starter stays the starter");
    }
}

#[tokio::test]
async fn the_access_review_lists_everyone_who_holds_a_role_and_who_was_never_invited() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    // A group with an ACTIVE member and a LOCKED_OUT one (both hold its role: roles follow
    // employment) and a SUSPENDED one (who holds none). The largest group has every status.
    let with = |status: UserStatus| move |m: &&TruthMember| m.status == status;
    let group = control
        .truth()
        .groups
        .into_iter()
        .find(|g| {
            [UserStatus::Active, UserStatus::LockedOut, UserStatus::Suspended]
                .into_iter()
                .all(|status| g.members.iter().any(|m| with(status)(&m)))
        })
        .expect("the S tenant has a group with members of every status");
    let viewers = group.id.clone();
    set_roles(&root, &viewers, &["viewer"]).await;
    let holder = group.members.iter().find(with(UserStatus::Active)).expect("an active member");
    let locked_out = group.members.iter().find(with(UserStatus::LockedOut)).expect("locked out");
    let not_holding = group.members.iter().find(with(UserStatus::Suspended)).expect("suspended");

    let listed = |email: String| {
        let root = &root;
        async move {
            let page: ListUsersResponse = root.read(&format!("/api/v1/users?q={email}")).await;
            page.users.into_iter().find(|user| user.email == email)
        }
    };
    let row = listed(holder.login.clone()).await;
    let locked_out_row = listed(locked_out.login.clone()).await;
    let absent = listed(not_holding.login.clone()).await;
    let super_admin = listed("root@example.com".into()).await;
    set_roles(&root, &viewers, &[]).await;

    let row = row.expect("a role holder who was never invited is listed");
    assert_eq!(row.status, AppUserStatus::NotInvited, "{row:?}");
    assert_eq!(row.invited_by, None, "{row:?}");
    assert_eq!(row.roles, [BuiltInRole::Viewer], "{row:?}");
    let locked_out_row = locked_out_row.expect("a locked-out member still holds the role");
    assert_eq!(locked_out_row.roles, [BuiltInRole::Viewer], "{locked_out_row:?}");
    // A suspended member holds no role: listed only once they have signed in, and without it.
    let no_role = absent.is_none_or(|row| row.roles.is_empty() && row.activated_at.is_some());
    assert!(no_role, "a suspended member holds no role");
    assert!(super_admin.is_some_and(|s| s.super_admin), "superAdmins hold access");
}

#[tokio::test]
async fn the_access_review_lists_everyone_who_signed_in_even_without_a_role_or_an_invitation() {
    let app = TestApp::new();
    let root = app.as_person("root@example.com");
    // Unknown to Okta, in no group, never invited: signing in is all they did.
    let email = format!("{}@example.net", fresh_subject("drifter").to_lowercase());
    let row = async || -> Option<AppUser> {
        let page: ListUsersResponse = root.read(&format!("/api/v1/users?q={email}")).await;
        page.users.into_iter().find(|user| user.email == email)
    };
    assert_eq!(row().await, None, "not listed before signing in");

    let me: MeResponse = app.as_person(&email).read("/api/v1/me").await;
    assert!(me.roles.is_empty(), "{me:?}");
    let first = row().await.expect("listed once signed in");
    assert_eq!(first.status, AppUserStatus::NotInvited, "{first:?}");
    assert_eq!(first.invited_by, None, "{first:?}");
    assert!(first.roles.is_empty(), "{first:?}");
    let first_at = first.activated_at.expect("their first sign-in");
    app.as_person(&email).get("/api/v1/me").await;
    let again = row().await.unwrap();
    assert_eq!(again.activated_at.as_ref(), Some(&first_at), "the first sign-in is kept");

    // Invited after signing in: invited until their next request, then active.
    let body = json!({ "email": email, "confirm_unknown": true });
    let sent = root.send(Method::POST, "/api/v1/invitations", &body).await;
    assert_eq!(sent.status(), StatusCode::CREATED);
    assert_eq!(row().await.unwrap().status, AppUserStatus::Invited);
    app.as_person(&email).get("/api/v1/me").await;
    let active = row().await.unwrap();
    assert_eq!(active.status, AppUserStatus::Active, "{active:?}");
    assert!(active.activated_at.is_some(), "{active:?}");
}

/// The reads of a read-only endpoint travel in the caller's batch, before the caller is known to
/// be allowed: its answer, a refusal of its query included, waits until they are.
#[tokio::test]
async fn a_bad_query_is_told_only_to_a_caller_allowed_to_ask_it() {
    let app = TestApp::new();
    for (path, field) in [("/api/v1/sync/runs?page=0", "page"), ("/api/v1/groups?sort=x", "sort")] {
        expect_problem(app.get(path).await, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        let nobody = signed_in(&app, "asks-nothing@example.com", &fresh_subject("bad-query"));
        expect_problem(nobody.get(path).await, StatusCode::FORBIDDEN, "forbidden").await;
        let root = app.as_person("root@example.com");
        let problem =
            expect_problem(root.get(path).await, StatusCode::BAD_REQUEST, "invalid_query").await;
        assert_eq!(problem.field.as_deref(), Some(field), "{path}");
    }
}
