//! Invitations as admins manage them, black-box: an email is invited once (a second invitation
//! says when and by whom), one Okta does not know only when confirmed, and an invitation nobody
//! used yet can be withdrawn, audited.

use fake_okta::UserStatus;
use groupsync_core::api::{ListAuditResponse, ListInvitationsResponse};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, expect_problem};
use crate::sync::{TURN, prepared};
use crate::world::World;

#[tokio::test]
async fn an_email_is_invited_once_and_an_unused_invitation_can_be_withdrawn_and_sent_again() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    // Members no other test invites (or changes): the first two active members of group 10.
    let truth = control.truth();
    let mut active = truth.groups[10].members.iter().filter(|m| m.status == UserStatus::Active);
    let (first, second) = (active.next().expect("a member"), active.next().expect("another"));
    let invite = |email: &str| json!({ "email": email });

    let not_an_email = root.send(Method::POST, "/api/v1/invitations", &invite("ann at acme")).await;
    let problem =
        expect_problem(not_an_email, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    assert_eq!(problem.field.as_deref(), Some("email"), "{}", problem.detail);

    let sent = root.send(Method::POST, "/api/v1/invitations", &invite(&first.login)).await;
    assert_eq!(sent.status(), StatusCode::CREATED);
    let again = root.send(Method::POST, "/api/v1/invitations", &invite(&first.login)).await;
    let problem = expect_problem(again, StatusCode::CONFLICT, "already_exists").await;
    let said = format!("{} was already invited on ", first.login);
    assert!(problem.detail.starts_with(&said), "{}", problem.detail);
    assert!(problem.detail.contains("by root@example.com"), "{}", problem.detail);
    // The same address in capitals, with spaces around it, is the same person.
    let shouted = format!("  {}  ", first.login.to_uppercase());
    let again = root.send(Method::POST, "/api/v1/invitations", &invite(&shouted)).await;
    expect_problem(again, StatusCode::CONFLICT, "already_exists").await;
    // A path that names no email is refused as such, not looked up.
    let nobody = root.delete("/api/v1/invitations/not-an-email").await;
    let nobody = expect_problem(nobody, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    assert_eq!(nobody.field.as_deref(), Some("email"), "{}", nobody.detail);

    // Withdrawn while unused: gone from the listing, audited, and it may be sent again.
    let path = format!("/api/v1/invitations/{}", first.login.replace('@', "%40"));
    let withdrawn = root.delete(&path).await;
    assert_eq!(withdrawn.status(), StatusCode::OK);
    let listed: ListInvitationsResponse = root.read("/api/v1/invitations?per_page=200").await;
    assert!(listed.invitations.iter().all(|i| i.email != first.login), "{listed:?}");
    let audit: ListAuditResponse =
        root.read(&format!("/api/v1/audit?action=invitation.revoked&target={}", first.login)).await;
    let entry = audit.entries.first().expect("the withdrawal is audited");
    assert_eq!(entry.actor, "root@example.com", "{entry:?}");
    let before = entry.before.as_ref().expect("what was withdrawn");
    assert_eq!(before["invited_by"], "root@example.com", "{entry:?}");
    let sentence = format!("Invitation of {} withdrawn before it was used", first.login);
    assert_eq!(entry.description, sentence);
    let resent = root.send(Method::POST, "/api/v1/invitations", &invite(&first.login)).await;
    assert_eq!(resent.status(), StatusCode::CREATED);

    // Once used to sign in, it stays: access follows the Okta groups, and the answer says so.
    let sent = root.send(Method::POST, "/api/v1/invitations", &invite(&second.login)).await;
    assert_eq!(sent.status(), StatusCode::CREATED);
    let me = app.as_person(&second.login).get("/api/v1/me").await;
    assert_eq!(me.status(), StatusCode::OK);
    let used = root.delete(&format!("/api/v1/invitations/{}", second.login)).await;
    let problem = expect_problem(used, StatusCode::CONFLICT, "conflict").await;
    assert!(problem.detail.contains("already signed in on "), "{}", problem.detail);
    assert!(problem.detail.contains("Okta groups"), "{}", problem.detail);
    let again = root.send(Method::POST, "/api/v1/invitations", &invite(&second.login)).await;
    let problem = expect_problem(again, StatusCode::CONFLICT, "already_exists").await;
    assert!(problem.detail.contains("; they signed in on "), "{}", problem.detail);

    let nobody = root.delete("/api/v1/invitations/nobody%40example.com").await;
    expect_problem(nobody, StatusCode::NOT_FOUND, "not_found").await;
    let outsider = app.as_person("no-role@example.com").delete(&path).await;
    expect_problem(outsider, StatusCode::FORBIDDEN, "forbidden").await;
}
