//! Signed webhooks out, black-box: endpoints registered by superAdmins on allowed hosts only,
//! events signed per Standard Webhooks (verified by the specification's own library in
//! `receiver.rs`), retried with backoff after the receiver fails, logged, and sent again on
//! request; an admin's change of a group's roles told of as a run's changes are; and nothing
//! sent for a run that does not commit.

use fake_okta::UserStatus;
use groupsync_core::api::{
    AccessChange, CreateWebhookResponse, DeliveryState, GroupDetail, ListWebhookDeliveriesResponse,
    ListWebhooksResponse, WebhookDelivery, WebhookEventType,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Caller, TestApp, expect_problem};
use crate::okta_hooks::{Editor, an_editor};
use crate::receiver::{Attempt, Receiver};
use crate::sync::{TURN, prepared, run_sync, set_roles};
use crate::world::World;

const WEBHOOKS: &str = "/api/v1/webhooks";

async fn register(root: &Caller<'_>, url: &str, events: &[&str]) -> CreateWebhookResponse {
    let body = json!({ "url": url, "description": "the relying app", "events": events });
    let made = root.send(Method::POST, WEBHOOKS, &body).await;
    let status = made.status();
    let text = made.text().await.expect("a body");
    assert_eq!(status, StatusCode::CREATED, "{text}");
    serde_json::from_str(&text).expect("an endpoint and its secret")
}

#[tokio::test]
async fn superadmins_register_endpoints_on_allowed_hosts_only_and_see_the_secret_once() {
    let app = TestApp::new();
    let root = app.as_person("root@example.com");
    let url = "https://hooks.example.test/okta-groups?app=billing";

    // Only superAdmins.
    let someone = app.as_person("someone-webhooks@example.com");
    let body = json!({ "url": url, "events": ["access.changed"] });
    expect_problem(
        someone.send(Method::POST, WEBHOOKS, &body).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_problem(someone.get(WEBHOOKS).await, StatusCode::FORBIDDEN, "forbidden").await;

    // The tenant URL's rules against request forgery, and the operator's allow-list.
    for (refused_url, why) in [
        ("http://hooks.example.test/x", "https://"),
        ("https://evil.example.test/x", "WEBHOOK_ALLOWLIST"),
        ("https://apps.example.test/x", "WEBHOOK_ALLOWLIST"),
        ("https://10.0.0.7/x", "IP address"),
        ("http://127.0.0.1/x", "IP address"),
        ("https://u:p@hooks.example.test/x", "user name"),
        ("https://hooks.example.test:8443/x", "port"),
        ("https://hooks.example.test/x#frag", "fragment"),
    ] {
        let body = json!({ "url": refused_url, "events": ["access.changed"] });
        let refused = root.send(Method::POST, WEBHOOKS, &body).await;
        let problem =
            expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
        assert_eq!(problem.field.as_deref(), Some("url"), "{refused_url}: {problem:?}");
        assert!(problem.detail.contains(why), "{refused_url}: {problem:?}");
    }
    let no_events = root.send(Method::POST, WEBHOOKS, &json!({ "url": url, "events": [] })).await;
    let problem =
        expect_problem(no_events, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    assert_eq!(problem.field.as_deref(), Some("events"));
    let unknown = json!({ "url": url, "events": ["user.deleted"] });
    let unknown = root.send(Method::POST, WEBHOOKS, &unknown).await;
    expect_problem(unknown, StatusCode::BAD_REQUEST, "invalid_json").await;

    // Registered: the secret is a Standard Webhooks secret, shown this once.
    let made = register(&root, url, &["sync.committed", "access.changed", "sync.committed"]).await;
    assert!(made.secret.starts_with("whsec_"), "{}", made.secret);
    assert_eq!(made.endpoint.url, url);
    assert_eq!(
        made.endpoint.events,
        [WebhookEventType::AccessChanged, WebhookEventType::SyncCommitted]
    );
    let below = register(&root, "https://billing.apps.example.test/h", &["access.changed"]).await;
    let listed: ListWebhooksResponse = root.read(WEBHOOKS).await;
    assert!(listed.endpoints.contains(&made.endpoint), "{listed:?}");
    assert_eq!(listed.allowed_hosts, ["hooks.example.test", "*.apps.example.test"]);
    let everything = serde_json::to_string(&listed).expect("JSON");
    assert!(!everything.contains(&made.secret) && !everything.contains(&below.secret));
    // Sealed at rest, not stored as typed.
    let stored = app.query_rows(&format!(
        "SELECT secret_sealed FROM webhook_endpoints WHERE id = '{}'",
        made.endpoint.id
    ));
    let sealed = stored[0]["secret_sealed"].as_str().expect("a sealed secret");
    assert!(!sealed.contains(made.secret.trim_start_matches("whsec_")), "{sealed}");

    // Its log starts empty; removing it forgets it, and a second removal finds nothing.
    let log: ListWebhookDeliveriesResponse =
        root.read(&format!("{WEBHOOKS}/{}/deliveries", made.endpoint.id)).await;
    assert_eq!(log.deliveries, []);
    let bad_limit = root.get(&format!("{WEBHOOKS}/{}/deliveries?limit=0", made.endpoint.id)).await;
    expect_problem(bad_limit, StatusCode::BAD_REQUEST, "invalid_query").await;
    for endpoint in [&made.endpoint, &below.endpoint] {
        let removed = root.delete(&format!("{WEBHOOKS}/{}", endpoint.id)).await;
        assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    }
    let again = root.delete(&format!("{WEBHOOKS}/{}", made.endpoint.id)).await;
    expect_problem(again, StatusCode::NOT_FOUND, "not_found").await;
    let listed: ListWebhooksResponse = root.read(WEBHOOKS).await;
    assert!(listed.endpoints.iter().all(|e| e.id != made.endpoint.id && e.id != below.endpoint.id));

    // Audited.
    let audit: Value = root.read("/api/v1/audit?action=webhook").await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"webhook.endpoint_added")
            && actions.contains(&"webhook.endpoint_removed"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_revocation_is_signed_sent_and_retried_until_the_receiver_takes_it_and_sent_again_on_request()
 {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let Editor { group, member, .. } = an_editor(&root, control).await;

    // The relying app fails the first two attempts of every event.
    let receiver = Receiver::start(2).await;
    let made = register(&root, receiver.url(), &["access.changed", "sync.committed"]).await;
    receiver.set_secret(&made.secret);
    let endpoint = made.endpoint.id.clone();

    // Okta removes the member; the run that reads it commits, and says who lost what, and why.
    control.remove_member(&group.id, &member.id).expect("remove a member");
    let run = run_sync(&root, json!({})).await;
    let lost = |a: &Attempt| {
        change_of(a, &member.id).is_some_and(|c| {
            c.roles_before.contains(&"editor".to_owned())
                && !c.roles_after.contains(&"editor".to_owned())
        })
    };
    let taken = receiver.wait_for("access.changed naming the removed member", lost).await;
    let change = change_of(&taken, &member.id).expect("the member's change");
    assert_eq!(taken.body["data"]["run_id"], run.id.as_str());
    assert_eq!(change.email.as_deref(), Some(member.login.to_lowercase().as_str()));
    assert!(
        change
            .why
            .iter()
            .any(|w| w.starts_with("Removed from Okta group") && w.contains(&group.id)),
        "{change:?}"
    );

    // Every attempt of that event was signed (and verified by the receiver's library) with the
    // same id: two refused, then the third taken, after the backoff's waits.
    let tries: Vec<Attempt> =
        receiver.attempts().into_iter().filter(|a| a.id == taken.id).collect();
    assert!(tries.iter().all(|a| a.verified), "{tries:#?}");
    assert_eq!(tries.iter().map(|a| a.answered).collect::<Vec<_>>(), [500, 500, 204]);
    assert!(tries[1].at - tries[0].at >= std::time::Duration::from_secs(2), "{tries:#?}");
    assert!(tries[2].at - tries[1].at >= std::time::Duration::from_secs(8), "{tries:#?}");
    let committed = receiver
        .wait_for("sync.committed", |a| {
            a.body["type"] == "sync.committed" && a.body["data"]["run_id"] == run.id.as_str()
        })
        .await;
    assert_eq!(committed.body["data"]["counts"]["memberships_removed"], 1, "{:?}", committed.body);

    // The log says so, and a superAdmin can send the event again: the same id, signed anew.
    let delivery = wait_for_state(&root, &endpoint, &taken.id, DeliveryState::Delivered).await;
    assert_eq!((delivery.attempts, delivery.last_status), (3, Some(204)), "{delivery:?}");
    let redeliver = format!("{WEBHOOKS}/{endpoint}/deliveries/{}/redeliver", taken.id);
    let again = root.send(Method::POST, &redeliver, &json!({})).await;
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    let resent =
        receiver.wait_for("the event sent again", |a| a.id == taken.id && a.at > tries[2].at).await;
    assert!(resent.verified && resent.body == taken.body, "{resent:?}");
    let unknown = format!("{WEBHOOKS}/{endpoint}/deliveries/msg_unknown/redeliver");
    expect_problem(
        root.send(Method::POST, &unknown, &json!({})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // A dry run commits nothing, so it sends nothing; the real run after it does.
    control.add_member(&group.id, &member.id).expect("add the member back");
    let dry = run_sync(&root, json!({ "dry_run": true })).await;
    let restored = run_sync(&root, json!({})).await;
    let back = |a: &Attempt| {
        change_of(a, &member.id).is_some_and(|c| c.roles_after.contains(&"editor".to_owned()))
    };
    let back = receiver.wait_for("access.changed giving the role back", back).await;
    assert_eq!(back.body["data"]["run_id"], restored.id.as_str());
    let dry_sent =
        receiver.attempts().into_iter().any(|a| a.body["data"]["run_id"] == dry.id.as_str());
    assert!(!dry_sent, "a dry run sends nothing");

    // An admin's change of the group's roles is told of too, with who made it (and no run).
    set_roles(&root, &group.id, &["viewer"]).await;
    let demoted = |a: &Attempt| {
        change_of(a, &member.id).is_some_and(|c| {
            c.roles_before.contains(&"editor".to_owned())
                && !c.roles_after.contains(&"editor".to_owned())
                && c.roles_after.contains(&"viewer".to_owned())
        })
    };
    let demoted = receiver.wait_for("access.changed of the admin's change", demoted).await;
    assert!(demoted.body["data"].get("run_id").is_none(), "{:?}", demoted.body);
    let change = change_of(&demoted, &member.id).expect("the member's change");
    let by_root =
        format!("Roles of Okta group {} ({}) changed by root@example.com", group.name, group.id);
    assert_eq!(change.why, [by_root]);

    let removed = root.delete(&format!("{WEBHOOKS}/{endpoint}")).await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_custom_role_granted_then_deleted_is_told_of_to_each_holder_with_its_scope() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let group = control.truth().groups.swap_remove(12);
    let member =
        group.members.iter().find(|m| m.status == UserStatus::Active).expect("an active member");
    let permission = json!({ "name": "runbooks.run", "description": "" });
    let registered = root.send(Method::POST, "/api/v1/permissions", &permission).await;
    assert!(matches!(registered.status(), StatusCode::CREATED | StatusCode::CONFLICT));
    let role = json!({ "key": "runbook_runner", "name": "Runbook runner", "permissions": ["runbooks.run"] });
    assert_eq!(root.send(Method::POST, "/api/v1/roles", &role).await.status(), StatusCode::CREATED);
    let receiver = Receiver::start(0).await;
    let made = register(&root, receiver.url(), &["access.changed"]).await;
    receiver.set_secret(&made.secret);

    // Granted on a scope: its holders gain it, named with the scope.
    let held = "runbook_runner@service:/runbooks".to_owned();
    let current: GroupDetail = root.read(&format!("/api/v1/groups/{}", group.id)).await;
    let body = json!({
        "roles": current.roles,
        "grants": [{ "role": "runbook_runner", "scope": "service:/runbooks" }],
        "version": current.roles_version,
    });
    let granted =
        root.send(Method::PUT, &format!("/api/v1/groups/{}/roles", group.id), &body).await;
    assert_eq!(granted.status(), StatusCode::OK);
    let gained =
        |a: &Attempt| change_of(a, &member.id).is_some_and(|c| c.roles_after.contains(&held));
    receiver.wait_for("access.changed granting the custom role", gained).await;

    // Deleted: its holders lose it.
    assert_eq!(root.delete("/api/v1/roles/runbook_runner").await.status(), StatusCode::OK);
    let lost = |a: &Attempt| {
        change_of(a, &member.id)
            .is_some_and(|c| c.roles_before.contains(&held) && !c.roles_after.contains(&held))
    };
    let lost = receiver.wait_for("access.changed taking the deleted role", lost).await;
    assert!(lost.verified);

    assert_eq!(
        root.delete(&format!("{WEBHOOKS}/{}", made.endpoint.id)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(root.delete("/api/v1/permissions/runbooks.run").await.status(), StatusCode::OK);
}

/// The change an `access.changed` attempt tells of `user_id`, if it names them.
fn change_of(attempt: &Attempt, user_id: &str) -> Option<AccessChange> {
    if attempt.body["type"] != "access.changed" {
        return None;
    }
    let people: Vec<AccessChange> =
        serde_json::from_value(attempt.body["data"]["people"].clone()).ok()?;
    people.into_iter().find(|p| p.okta_user_id == user_id)
}

/// Waits until the endpoint's log shows the event in `state`.
async fn wait_for_state(
    root: &Caller<'_>,
    endpoint: &str,
    message_id: &str,
    state: DeliveryState,
) -> WebhookDelivery {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let log: ListWebhookDeliveriesResponse =
            root.read(&format!("{WEBHOOKS}/{endpoint}/deliveries?limit=200")).await;
        let found = log.deliveries.into_iter().find(|d| d.message_id == message_id);
        if let Some(delivery) = found.filter(|d| d.state == state) {
            return delivery;
        }
        assert!(std::time::Instant::now() < deadline, "{message_id} never {state:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
