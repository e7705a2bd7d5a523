//! The access check the relying apps call (issue #14), black-box on the shared sync stack and
//! S tenant: allowed with the chain that grants it, denied with the reason, what-if memberships
//! for access reviews, and a clear refusal of a question it cannot answer.

use fake_okta::{TruthMember, UserStatus};
use groupsync_core::api::SyncState;
use groupsync_core::api::{
    AccessCheckBatchResponse, AccessCheckResponse, AppPermissionDescription, Assumption,
    CreateApiKeyResponse, CustomRoleDescription, GroupDetail, ListAuditResponse,
    ListPermissionsResponse, ListRolesResponse, RoleImpact, UserAccessResponse,
};
use groupsync_core::domain::{Denial, GrantReason, PermissionName, ResourcePath};
use groupsync_core::okta::OktaUserStatus;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::access_rules::outsider;
use crate::helpers::{Caller, TestApp, expect_problem};
use crate::sync::{TURN, prepared, run_sync, set_roles};
use crate::world::World;

/// The tenant's `index`-th group and its active members.
fn active_members(index: usize) -> (String, String, Vec<TruthMember>) {
    let (_, control) = &World::get().sync_tenant;
    let group = control.truth().groups.swap_remove(index);
    let members = group.members.into_iter().filter(|m| m.status == UserStatus::Active).collect();
    (group.id, group.name, members)
}

async fn check(caller: &Caller<'_>, query: &str) -> AccessCheckResponse {
    caller.read(&format!("/api/v1/access/check?{query}")).await
}

#[tokio::test]
async fn a_check_says_allowed_with_the_grant_that_allows_it_or_denied_and_why() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, _) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let (editors, editors_name, members) = active_members(9);
    set_roles(&root, &editors, &["editor"]).await;
    let member = &members[0].login;
    let outsider = outsider(&[&editors]).login;

    let allowed = check(&root, &format!("email={member}&permission=assign_roles")).await;
    assert!(allowed.decision.allowed, "{allowed:?}");
    assert_eq!(allowed.permission.as_str(), "assign_roles");
    let chain = &allowed.decision.chains[0];
    assert_eq!((chain.group_id.as_str(), chain.role.as_str()), (editors.as_str(), "editor"));
    assert_eq!(chain.scope, None, "a built-in role's grant applies everywhere");
    assert!(allowed.decision.explanation.contains(&editors_name), "{allowed:?}");

    // A grant everywhere answers for any resource too.
    let query = format!("email={member}&permission=assign_roles&resource=folder:/prod/db");
    let on_a_folder = check(&root, &query).await;
    assert!(on_a_folder.decision.allowed, "{on_a_folder:?}");
    assert_eq!(on_a_folder.resource.map(|r| r.to_string()).as_deref(), Some("folder:/prod/db"));

    // What the Editor role does not hold is denied, and the answer says so.
    let settings = check(&root, &format!("email={member}&permission=manage_settings")).await;
    assert!(!settings.decision.allowed);
    assert_eq!(settings.decision.denial, Some(Denial::NoRoleHolds));
    assert!(settings.decision.explanation.starts_with("Denied: manage_settings."), "{settings:?}");

    // What-if, for access reviews: someone outside the group, as if in it, and a member as if
    // not. Neither changes anything.
    let query = format!("email={outsider}&permission=assign_roles&as_if_member_of={editors}");
    let as_if_in = check(&root, &query).await;
    assert!(as_if_in.decision.allowed, "{as_if_in:?}");
    assert_eq!(as_if_in.assuming, Some(Assumption::MemberOf(editors.clone())));
    let query = format!("email={member}&permission=assign_roles&as_if_not_member_of={editors}");
    let as_if_out = check(&root, &query).await;
    assert!(!as_if_out.decision.allowed, "{as_if_out:?}");
    let today = check(&root, &format!("email={outsider}&permission=assign_roles")).await;
    assert!(!today.decision.allowed, "a what-if changes nothing: {today:?}");

    set_roles(&root, &editors, &[]).await;
    let after = check(&root, &format!("email={member}&permission=assign_roles")).await;
    assert!(!after.decision.allowed, "a role taken away is gone from the next answer: {after:?}");
}

#[tokio::test]
async fn a_question_the_check_cannot_answer_is_refused_by_the_parameter_at_fault() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, _) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let cases = [
        ("email=ann@example.com&permission=nothing.registered", "permission"),
        ("email=ann@example.com&permission=runbooks", "permission"),
        ("email=ann@example.com", "permission"),
        ("permission=read_groups", "email"),
        ("email=ann@example.com&permission=read_groups&resource=folder:/a/../b", "resource"),
        (
            "email=ann@example.com&permission=read_groups&as_if_member_of=00gnosuchgroup",
            "as_if_member_of",
        ),
        ("email=ann@example.com&permission=read_groups&role=admin", "role"),
    ];
    for (query, field) in cases {
        let response = root.get(&format!("/api/v1/access/check?{query}")).await;
        let problem = expect_problem(response, StatusCode::BAD_REQUEST, "invalid_query").await;
        assert_eq!(problem.field.as_deref(), Some(field), "{query}: {problem:?}");
    }
    assert!(PermissionName::parse("nothing.registered").is_ok(), "well formed, not registered");
}

#[tokio::test]
async fn the_relying_app_registers_its_permissions_and_the_check_knows_them_until_removed() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, _) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let (_, _, members) = active_members(9);
    let member = &members[0].login;
    let body = json!({ "name": "reviews.approve", "description": "Approve a review" });

    let refused = app.as_person(member).send(Method::POST, "/api/v1/permissions", &body).await;
    expect_problem(refused, StatusCode::FORBIDDEN, "forbidden").await;
    let made = root.send(Method::POST, "/api/v1/permissions", &body).await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let made: AppPermissionDescription = made.json().await.expect("the permission");
    assert_eq!(
        (made.name.as_str(), made.created_by.as_str()),
        ("reviews.approve", "root@example.com")
    );
    let again = root.send(Method::POST, "/api/v1/permissions", &body).await;
    expect_problem(again, StatusCode::CONFLICT, "already_exists").await;
    let bad = json!({ "name": "Reviews Approve" });
    let refused = root.send(Method::POST, "/api/v1/permissions", &bad).await;
    assert_eq!(
        expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input")
            .await
            .field
            .as_deref(),
        Some("name")
    );

    let catalog: ListPermissionsResponse = app.as_person(member).read("/api/v1/permissions").await;
    assert!(catalog.app.contains(&made), "{catalog:?}");
    assert!(catalog.console.iter().any(|p| p.as_str() == "read_groups"));

    // Registered, the check answers about it: no role holds it yet.
    let query = format!("email={member}&permission=reviews.approve&resource=folder:/prod");
    let denied = check(&root, &query).await;
    assert!(!denied.decision.allowed, "{denied:?}");

    let removed = root.delete("/api/v1/permissions/reviews.approve").await;
    assert_eq!(removed.status(), StatusCode::OK);
    let left: ListPermissionsResponse = removed.json().await.expect("the catalog left");
    assert!(left.app.iter().all(|p| p.name.as_str() != "reviews.approve"), "{left:?}");
    let response = root.get(&format!("/api/v1/access/check?{query}")).await;
    expect_problem(response, StatusCode::BAD_REQUEST, "invalid_query").await;
    let gone = root.delete("/api/v1/permissions/reviews.approve").await;
    expect_problem(gone, StatusCode::NOT_FOUND, "not_found").await;

    let audit: ListAuditResponse = root.read("/api/v1/audit?target=reviews.approve").await;
    let actions: Vec<&str> = audit.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["permission.removed", "permission.registered"], "{audit:?}");
    assert!(audit.entries[1].description.contains("reviews.approve"), "{audit:?}");

    // The relying app keeps its permissions in step with its releases through an API key of
    // the narrow manage_catalog scope, and the audit names the key.
    let issued: CreateApiKeyResponse = root
        .send(
            Method::POST,
            "/api/v1/api-keys",
            &json!({ "name": "Runbooks deploy", "scopes": ["manage_catalog"] }),
        )
        .await
        .json()
        .await
        .expect("the key");
    let deploy = app.with_api_key(&issued.secret);
    let body = json!({ "name": "reviews.comment", "description": "Comment on a review" });
    let made = deploy.send(Method::POST, "/api/v1/permissions", &body).await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let grant =
        json!({ "key": "reviewer", "name": "Reviewer", "permissions": ["reviews.comment"] });
    let refused = deploy.send(Method::POST, "/api/v1/roles", &grant).await;
    expect_problem(refused, StatusCode::FORBIDDEN, "forbidden").await;
    let removed = deploy.delete("/api/v1/permissions/reviews.comment").await;
    assert_eq!(removed.status(), StatusCode::OK);
    let audit: ListAuditResponse = root.read("/api/v1/audit?target=reviews.comment").await;
    let actors: Vec<&str> = audit.entries.iter().map(|e| e.actor.as_str()).collect();
    assert_eq!(actors, ["Runbooks deploy", "Runbooks deploy"], "{audit:?}");
    let revoked = root.delete(&format!("/api/v1/api-keys/{}", issued.key.id)).await;
    assert_eq!(revoked.status(), StatusCode::OK);
}

/// Issue #14's "done when": an app permission, a custom role holding it, granted to a synced
/// group on `folder:/prod`, and the check's three answers with their explanations.
#[tokio::test]
async fn a_custom_role_granted_on_a_folder_allows_below_it_denies_elsewhere_and_answers_what_if() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, _) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let (operators, operators_name, members) = active_members(10);
    let member = &members[0].login;
    let outsider = outsider(&[&operators]).login;

    let body = json!({ "name": "runbooks.execute", "description": "Run a runbook" });
    let registered = root.send(Method::POST, "/api/v1/permissions", &body).await;
    assert_eq!(registered.status(), StatusCode::CREATED);
    let body = json!({ "key": "runbook_operator", "name": "Runbook operator", "permissions": ["runbooks.execute"] });
    let made = root.send(Method::POST, "/api/v1/roles", &body).await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let made: CustomRoleDescription = made.json().await.expect("the role");
    assert_eq!(
        made.permissions.iter().map(PermissionName::as_str).collect::<Vec<_>>(),
        ["runbooks.execute"]
    );
    let roles: ListRolesResponse = root.read("/api/v1/roles").await;
    assert_eq!(roles.custom_roles, [made]);
    // The catalog in one read: the app's permissions the roles are made of come with them.
    let app: Vec<&str> = roles.app_permissions.iter().map(|p| p.name.as_str()).collect();
    assert!(app.contains(&"runbooks.execute"), "{app:?}");
    let again = root.send(Method::POST, "/api/v1/roles", &body).await;
    expect_problem(again, StatusCode::CONFLICT, "already_exists").await;
    let console = json!({ "key": "sneaky", "name": "Sneaky", "permissions": ["manage_settings"] });
    let refused = root.send(Method::POST, "/api/v1/roles", &console).await;
    let problem = expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    assert_eq!(problem.field.as_deref(), Some("permissions"));

    let path = format!("/api/v1/groups/{operators}/roles");
    let group: GroupDetail = root.read(&format!("/api/v1/groups/{operators}")).await;
    let grant = json!({ "roles": [], "grants": [{ "role": "runbook_operator", "scope": "folder:/prod" }], "version": group.roles_version });
    let saved = root.send(Method::PUT, &path, &grant).await;
    assert_eq!(saved.status(), StatusCode::OK);
    let saved: GroupDetail = saved.json().await.expect("the group");
    assert_eq!(saved.grants.len(), 1);
    assert_eq!(
        saved.grants[0].scope.as_ref().map(ToString::to_string).as_deref(),
        Some("folder:/prod")
    );

    // A client that knows only the built-in roles (the SPA) keeps the grants it does not send.
    let roles_only = json!({ "roles": ["viewer"], "version": saved.roles_version });
    let kept: GroupDetail =
        root.send(Method::PUT, &path, &roles_only).await.json().await.expect("the group");
    assert_eq!(kept.grants, saved.grants, "{kept:?}");

    let on_db = check(
        &root,
        &format!("email={member}&permission=runbooks.execute&resource=folder:/prod/db"),
    )
    .await;
    assert!(on_db.decision.allowed, "{on_db:?}");
    let chain = &on_db.decision.chains[0];
    assert_eq!(
        (chain.group_id.as_str(), chain.role.as_str()),
        (operators.as_str(), "runbook_operator")
    );
    assert_eq!(
        on_db.decision.explanation,
        format!(
            "Allowed: runbooks.execute on folder:/prod/db via Okta group {operators_name} ({operators}) \
             → role Runbook operator on folder:/prod."
        )
    );

    let on_staging = check(
        &root,
        &format!("email={member}&permission=runbooks.execute&resource=folder:/staging"),
    )
    .await;
    assert!(!on_staging.decision.allowed, "{on_staging:?}");
    assert!(
        matches!(on_staging.decision.denial, Some(Denial::OnlyElsewhere { .. })),
        "{on_staging:?}"
    );
    assert!(on_staging.decision.explanation.contains("only elsewhere"), "{on_staging:?}");

    let query = format!("email={outsider}&permission=runbooks.execute&resource=folder:/prod/db");
    assert!(!check(&root, &query).await.decision.allowed, "not a member today");
    let as_if = check(&root, &format!("{query}&as_if_member_of={operators}")).await;
    assert!(as_if.decision.allowed, "{as_if:?}");
    assert!(as_if.decision.explanation.contains("folder:/prod"), "{as_if:?}");

    let cleared = json!({ "roles": [], "grants": [], "version": kept.roles_version });
    let cleared: GroupDetail =
        root.send(Method::PUT, &path, &cleared).await.json().await.expect("the group");
    assert!(cleared.grants.is_empty() && cleared.roles.is_empty(), "{cleared:?}");
    assert!(
        !check(
            &root,
            &format!("email={member}&permission=runbooks.execute&resource=folder:/prod/db")
        )
        .await
        .decision
        .allowed
    );
}

#[tokio::test]
async fn a_group_that_leaves_the_app_takes_its_custom_grants_and_is_not_re_granted_on_return() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let (leaving, _, members) = active_members(12);
    let member = &members[0].login;
    let body = json!({ "name": "tickets.close" });
    assert!(root.send(Method::POST, "/api/v1/permissions", &body).await.status().is_success());
    let role = json!({ "key": "ticket_closer", "name": "Ticket closer", "permissions": ["tickets.close"] });
    assert!(root.send(Method::POST, "/api/v1/roles", &role).await.status().is_success());
    let group: GroupDetail = root.read(&format!("/api/v1/groups/{leaving}")).await;
    let grant = json!({ "roles": [], "grants": [{ "role": "ticket_closer" }], "version": group.roles_version });
    let saved = root.send(Method::PUT, &format!("/api/v1/groups/{leaving}/roles"), &grant).await;
    assert_eq!(saved.status(), StatusCode::OK);
    let query = format!("email={member}&permission=tickets.close");
    assert!(check(&root, &query).await.decision.allowed, "granted everywhere");

    control.unassign_group(&leaving).expect("the group leaves the app");
    assert_eq!(run_sync(&root, json!({})).await.state, SyncState::Succeeded);
    assert!(!check(&root, &query).await.decision.allowed, "gone with its group");
    control.assign_group(&leaving).expect("the group comes back");
    assert_eq!(run_sync(&root, json!({})).await.state, SyncState::Succeeded);
    let back: GroupDetail = root.read(&format!("/api/v1/groups/{leaving}")).await;
    assert!(back.grants.is_empty(), "a returning group is not silently re-granted: {back:?}");
    assert!(!check(&root, &query).await.decision.allowed);
}

#[tokio::test]
async fn a_custom_role_is_edited_on_the_version_seen_and_deleted_with_its_grants_after_a_preview() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, _) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let (approvers, _, members) = active_members(11);
    let member = &members[0].login;
    for name in ["deploys.view", "deploys.approve"] {
        let body = json!({ "name": name, "description": "" });
        assert_eq!(
            root.send(Method::POST, "/api/v1/permissions", &body).await.status(),
            StatusCode::CREATED
        );
    }
    let body = json!({ "key": "deploy_approver", "name": "Deploy viewer", "permissions": ["deploys.view"] });
    let made = root.send(Method::POST, "/api/v1/roles", &body).await;
    let made: CustomRoleDescription = made.json().await.expect("the role");
    assert_eq!((made.version, made.updated_by.as_str()), (1, "root@example.com"));
    let group: GroupDetail = root.read(&format!("/api/v1/groups/{approvers}")).await;
    let grant = json!({
        "roles": group.roles,
        "grants": [{ "role": "deploy_approver", "scope": "service:/payments" }],
        "version": group.roles_version,
    });
    let path = format!("/api/v1/groups/{approvers}/roles");
    assert_eq!(root.send(Method::PUT, &path, &grant).await.status(), StatusCode::OK);
    let query = format!("email={member}&permission=deploys.approve&resource=service:/payments/api");
    assert!(!check(&root, &query).await.decision.allowed, "the role does not hold it yet");

    // Edited, the role gives its new permission to everyone it is granted to, at once.
    let edit = json!({
        "name": "Deploy approver",
        "permissions": ["deploys.view", "deploys.approve"],
        "version": made.version,
    });
    let edited = root.send(Method::PUT, "/api/v1/roles/deploy_approver", &edit).await;
    assert_eq!(edited.status(), StatusCode::OK);
    let edited: CustomRoleDescription = edited.json().await.expect("the role");
    assert_eq!((edited.name.as_str(), edited.version), ("Deploy approver", 2));
    let allowed = check(&root, &query).await;
    assert!(allowed.decision.allowed, "{allowed:?}");
    assert!(allowed.decision.explanation.contains("role Deploy approver on service:/payments"));
    let stale = root.send(Method::PUT, "/api/v1/roles/deploy_approver", &edit).await;
    expect_problem(stale, StatusCode::CONFLICT, "version_conflict").await;
    let built_in = root.send(Method::PUT, "/api/v1/roles/admin", &edit).await;
    expect_problem(built_in, StatusCode::CONFLICT, "conflict").await;
    let a_member = app.as_person(member);
    let by_a_member = a_member.send(Method::PUT, "/api/v1/roles/deploy_approver", &edit).await;
    expect_problem(by_a_member, StatusCode::FORBIDDEN, "forbidden").await;

    // The preview names the grant, counts who holds the role through it, and names the first.
    let impact: RoleImpact = root.read("/api/v1/roles/deploy_approver/impact").await;
    assert_eq!(impact.role, edited);
    assert_eq!(impact.grants.len(), 1, "{impact:?}");
    let only = &impact.grants[0];
    assert_eq!(only.group_id, approvers);
    assert_eq!(only.scope.as_ref().map(ResourcePath::as_str), Some("service:/payments"));
    assert_eq!(only.members, impact.people, "one group: its holding members are the people");
    assert!(impact.people >= members.len() as u64, "every active member holds it: {impact:?}");
    let mut sorted = impact.first_people.clone();
    sorted.sort();
    assert_eq!(impact.first_people, sorted, "by email");
    assert!(
        impact
            .first_people
            .contains(&members.iter().map(|m| m.login.to_lowercase()).min().expect("a member"))
    );
    assert!(impact.summary.contains("deploys.approve") && impact.summary.contains("1 grant"));

    let deleted = root.delete("/api/v1/roles/deploy_approver").await;
    assert_eq!(deleted.status(), StatusCode::OK);
    let left: ListRolesResponse = deleted.json().await.expect("the roles left");
    assert!(left.custom_roles.iter().all(|r| r.key.as_str() != "deploy_approver"), "{left:?}");
    assert!(!check(&root, &query).await.decision.allowed, "gone with its role");
    let group: GroupDetail = root.read(&format!("/api/v1/groups/{approvers}")).await;
    assert!(group.grants.is_empty(), "{group:?}");
    let gone = root.get("/api/v1/roles/deploy_approver/impact").await;
    expect_problem(gone, StatusCode::NOT_FOUND, "not_found").await;

    // A role made again with the key starts with no grant: the old one left with the old role.
    let again = root.send(Method::POST, "/api/v1/roles", &body).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    let fresh: RoleImpact = root.read("/api/v1/roles/deploy_approver/impact").await;
    assert!(fresh.grants.is_empty() && fresh.people == 0, "{fresh:?}");

    let audit: ListAuditResponse = root.read("/api/v1/audit?target=deploy_approver").await;
    let actions: Vec<&str> = audit.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["role.created", "role.deleted", "role.updated", "role.created"]);
    assert_eq!(
        audit.entries[1].description,
        "Custom role \u{201c}Deploy approver\u{201d} deleted with its grant"
    );
    assert_eq!(
        audit.entries[2].description,
        "Custom role \u{201c}Deploy approver\u{201d}: renamed from \u{201c}Deploy viewer\u{201d}; \
         deploys.approve added"
    );
    assert_eq!(root.delete("/api/v1/roles/deploy_approver").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_batch_answers_each_check_as_the_single_check_does_for_a_read_only_key_too() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, _) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let (group, _, members) = active_members(9);
    let outsider = outsider(&[&group]).login;
    let items = [
        json!({ "email": members[0].login, "permission": "read_groups" }),
        json!({ "email": members[1].login, "permission": "assign_roles", "resource": "folder:/x" }),
        json!({ "email": outsider, "permission": "read_groups", "as_if_member_of": group }),
        json!({ "email": members[0].login, "permission": "read_groups", "as_if_not_member_of": group }),
        json!({ "email": "nobody@example.com", "permission": "manage_settings" }),
    ];
    let issued: CreateApiKeyResponse = root
        .send(
            Method::POST,
            "/api/v1/api-keys",
            &json!({ "name": "Reviews", "scopes": ["read_users"] }),
        )
        .await
        .json()
        .await
        .expect("the key");
    let reviews = app.with_api_key(&issued.secret);
    let answered =
        reviews.send(Method::POST, "/api/v1/access/checks", &json!({ "checks": items })).await;
    assert_eq!(answered.status(), StatusCode::OK);
    let batch: AccessCheckBatchResponse = answered.json().await.expect("the answers");
    assert_eq!(batch.results.len(), items.len());
    for (item, answer) in items.iter().zip(&batch.results) {
        let query: Vec<String> = item
            .as_object()
            .expect("an object")
            .iter()
            .map(|(name, value)| format!("{name}={}", value.as_str().expect("text")))
            .collect();
        let single = check(&reviews, &query.join("&")).await;
        assert_eq!(*answer, single, "{item}");
    }
    assert_eq!(batch.results[2].assuming, Some(Assumption::MemberOf(group.clone())));
    assert!(
        matches!(batch.results[4].decision.denial, Some(Denial::NoGroup)),
        "{:?}",
        batch.results[4]
    );

    let unknown =
        json!({ "checks": [items[0], { "email": outsider, "permission": "nothing.registered" }] });
    let refused = reviews.send(Method::POST, "/api/v1/access/checks", &unknown).await;
    let problem = expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    assert_eq!(problem.field.as_deref(), Some("checks[1].permission"));
    let no_reads = app.with_api_key(&{
        let body = json!({ "name": "Catalog only", "scopes": ["manage_catalog"] });
        let issued: CreateApiKeyResponse =
            root.send(Method::POST, "/api/v1/api-keys", &body).await.json().await.expect("the key");
        issued.secret
    });
    let refused =
        no_reads.send(Method::POST, "/api/v1/access/checks", &json!({ "checks": items })).await;
    expect_problem(refused, StatusCode::FORBIDDEN, "forbidden").await;
}

/// Saves `grants` on `group`, with `roles` (none given: the roles it has).
async fn put_grants(
    caller: &Caller<'_>,
    group: &str,
    roles: &[&str],
    grants: serde_json::Value,
) -> reqwest::Response {
    let current: GroupDetail = caller.read(&format!("/api/v1/groups/{group}")).await;
    let roles: Vec<String> = if roles.is_empty() {
        current.roles.iter().map(|r| r.as_str().to_owned()).collect()
    } else {
        roles.iter().map(|r| (*r).to_owned()).collect()
    };
    let body = json!({ "roles": roles, "grants": grants, "version": current.roles_version });
    caller.send(Method::PUT, &format!("/api/v1/groups/{group}/roles"), &body).await
}

#[tokio::test]
async fn an_admin_hands_out_a_custom_role_only_where_they_hold_it_themselves() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, _) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let (admins, _, members) = active_members(13);
    let (target, _, _) = active_members(14);
    let body = json!({ "name": "reports.read", "description": "Read a report" });
    assert_eq!(
        root.send(Method::POST, "/api/v1/permissions", &body).await.status(),
        StatusCode::CREATED
    );
    let role =
        json!({ "key": "report_reader", "name": "Report reader", "permissions": ["reports.read"] });
    assert_eq!(root.send(Method::POST, "/api/v1/roles", &role).await.status(), StatusCode::CREATED);
    let granted = put_grants(
        &root,
        &admins,
        &["admin"],
        json!([{ "role": "report_reader", "scope": "folder:/prod" }]),
    )
    .await;
    assert_eq!(granted.status(), StatusCode::OK);

    let admin = app.as_person(&members[0].login);
    let below = put_grants(
        &admin,
        &target,
        &[],
        json!([{ "role": "report_reader", "scope": "folder:/prod/db" }]),
    )
    .await;
    assert_eq!(below.status(), StatusCode::OK, "within the Admin's own access");
    let everywhere = put_grants(&admin, &target, &[], json!([{ "role": "report_reader" }])).await;
    let problem = expect_problem(everywhere, StatusCode::FORBIDDEN, "beyond_own_access").await;
    assert!(
        problem.detail.contains("Report reader role everywhere")
            && problem.detail.contains("reports.read"),
        "{problem:?}"
    );
    let group: GroupDetail = root.read(&format!("/api/v1/groups/{target}")).await;
    assert_eq!(group.grants.len(), 1, "the refused save changed nothing: {group:?}");

    for group in [&target, &admins] {
        let cleared = put_grants(&root, group, &[], json!([])).await;
        assert_eq!(cleared.status(), StatusCode::OK);
    }
    set_roles(&root, &admins, &[]).await;
}

/// The Why? answer lists the custom roles a person holds through their groups, each with its
/// scope and a sentence, by the status rule of the built-in roles: a suspended member of the
/// same group holds none. The S tenant's group 31 has active members and a suspended one.
#[tokio::test]
async fn a_persons_access_names_the_custom_roles_their_groups_grant_and_where_unless_suspended() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let group = control.truth().groups.swap_remove(31);
    let with = |status: UserStatus| {
        let found = group.members.iter().find(|m| m.status == status);
        found.unwrap_or_else(|| panic!("group 31 has a {status:?} member")).login.clone()
    };
    let (member, suspended) = (with(UserStatus::Active), with(UserStatus::Suspended));
    let body = json!({ "name": "incidents.resolve", "description": "Resolve an incident" });
    let registered = root.send(Method::POST, "/api/v1/permissions", &body).await;
    assert_eq!(registered.status(), StatusCode::CREATED);
    let role = json!({ "key": "incident_responder", "name": "Incident responder", "permissions": ["incidents.resolve"] });
    assert_eq!(root.send(Method::POST, "/api/v1/roles", &role).await.status(), StatusCode::CREATED);
    let scoped = json!([{ "role": "incident_responder", "scope": "service:/payments" }]);
    assert_eq!(put_grants(&root, &group.id, &[], scoped).await.status(), StatusCode::OK);

    let access = |email: String| {
        let root = &root;
        async move { root.read::<UserAccessResponse>(&format!("/api/v1/users/{email}/access")).await }
    };
    let held = access(member.clone()).await;
    let from_group: Vec<&GrantReason> =
        held.access.grants.iter().filter(|g| g.group_id == group.id).collect();
    assert_eq!(from_group.len(), 1, "{held:?}");
    let grant = from_group[0];
    assert_eq!(
        (grant.role.as_str(), grant.role_name.as_str()),
        ("incident_responder", "Incident responder")
    );
    assert_eq!(grant.scope.as_ref().map(ResourcePath::as_str), Some("service:/payments"));
    assert_eq!(grant.group_name, group.name);
    assert_eq!(
        grant.explanation,
        format!(
            "Incident responder on service:/payments via Okta group {} ({})",
            group.name, group.id
        )
    );
    let not_held = access(suspended).await;
    assert_eq!(not_held.okta_status, Some(OktaUserStatus::Suspended), "{not_held:?}");
    assert!(not_held.access.grants.is_empty(), "a suspended member holds no role: {not_held:?}");
    assert!(not_held.access.groups.iter().any(|g| g.id == group.id), "still named as a member");

    // Deleting the role takes its grant, and the answer stops naming it.
    assert_eq!(root.delete("/api/v1/roles/incident_responder").await.status(), StatusCode::OK);
    let after = access(member).await;
    assert!(after.access.grants.iter().all(|g| g.group_id != group.id), "{after:?}");
    assert_eq!(root.delete("/api/v1/permissions/incidents.resolve").await.status(), StatusCode::OK);
}
