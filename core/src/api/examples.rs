//! The examples in the wire types' JSON Schemas (the `schema` feature): each is built as the
//! Rust value and serialized by `schemars`, so an example cannot drift from its type.
//!
//! They tell one story, with example domains only: Acme's tenant (`https://acme.okta.com`), its
//! people at `example.com`, its Okta groups Engineering and On-call, and a relying app that
//! registers `runbooks.execute`, makes it the custom role `runbook_operator` and grants that to
//! Engineering on `folder:/prod`. Each request passes the checks the Worker makes of what it
//! reads (a test holds them to `domain`'s), and each builds on the ones before it (the role is
//! made of the permission registered): the API fuzzer sends the examples first, and valid ones
//! reach past those checks into the handlers. Each answer is one the Worker could give: the
//! access answers are `domain`'s own, computed from the story.

use crate::api::{
    AccessCheckBatchRequest, AccessCheckItem, AccessCheckResponse, Assumption, CreateApiKeyRequest,
    CreateGroupRequest, CreateInvitationRequest, CreateRoleRequest, CreateWebhookRequest,
    CredentialKind, DevSignInRequest, DiffGroup, GrantSuperAdminRequest, GroupSource, GroupSummary,
    Problem, ProblemCode, RegisterPermissionRequest, RegisterServiceTokenRequest,
    SetGroupRolesRequest, StartSyncRequest, SyncDiff, SyncPhase, SyncProgress, SyncRun, SyncState,
    TestOktaConnectionRequest, UpdateOktaSettingsRequest, UpdateRoleRequest, UserAccessResponse,
    WebhookEventType,
};
use crate::domain::{
    AppPermission, BuiltInRole, Catalog, Grant, GroupGrant, GuardFigures, MemberOf, NamedGrant,
    Permission, PermissionName, Person, ResourcePath, RoleDefinition, RoleKey, SyncCounts,
    TenantUrlError, WhatIf, check, effective_access, guard_figures,
};
use crate::okta::OktaUserStatus;

/// The tenant.
const TENANT_URL: &str = "https://acme.okta.com";
/// The Okta SAML app's App ID.
const APP_ID: &str = "0oa1b2c3d4e5f6g7h8i9";
/// A typed API token (not a real one).
const API_TOKEN: &str = "00aBcDeF-example-api-token";
/// The client id of Acme's "Groups Sync" API Services app.
const CLIENT_ID: &str = "0oa9s8r7q6p5o4n3m2l1";
/// A person of the app.
const ANN: &str = "ann@example.com";
/// Another, whom the requests invite and make a superAdmin.
const DANA: &str = "dana@example.com";
/// Ann's Okta user id.
const ANN_OKTA_ID: &str = "00u1a2b3c4d5e6f7g8h9";
/// The Okta group Engineering (id, name).
const ENGINEERING: (&str, &str) = ("00g1emaKYZTWRYYRRTSK", "Engineering");
/// The Okta group On-call.
const ON_CALL: (&str, &str) = ("00g2f8d1kzQmR7bT5x4L", "On-call");
/// The relying app's permission.
const RUNBOOKS_EXECUTE: &str = "runbooks.execute";
/// The custom role made of it (key, name).
const RUNBOOK_OPERATOR: (&str, &str) = ("runbook_operator", "Runbook operator");
/// Where Engineering holds that role.
const PROD: &str = "folder:/prod";
/// When the manual run started.
const STARTED: &str = "2026-05-04T09:15:00.000Z";
/// When it ended.
const ENDED: &str = "2026-05-04T09:15:42.000Z";

fn text(value: &str) -> String {
    value.to_owned()
}

fn resource(path: &str) -> ResourcePath {
    ResourcePath::parse(path).expect("an example resource path")
}

fn runbooks_execute() -> PermissionName {
    PermissionName::parse(RUNBOOKS_EXECUTE).expect("an example permission")
}

/// The custom role as granted to Engineering.
fn runbook_operator_on_prod() -> Grant {
    let role = RoleKey::parse_custom(RUNBOOK_OPERATOR.0).expect("an example role key");
    Grant { role, scope: Some(resource(PROD)) }
}

/// `PUT /api/v1/settings/okta`: the tenant, the app and a new token.
pub(super) fn update_okta_settings() -> UpdateOktaSettingsRequest {
    UpdateOktaSettingsRequest {
        tenant_url: text(TENANT_URL),
        app_id: text(APP_ID),
        credential: Some(CredentialKind::ServiceApp),
        api_token: None,
        client_id: Some(text(CLIENT_ID)),
        sync_enabled: Some(true),
    }
}

/// `POST /api/v1/settings/okta/test`: the values typed, before saving them.
pub(super) fn test_okta_connection() -> TestOktaConnectionRequest {
    TestOktaConnectionRequest {
        tenant_url: Some(text(TENANT_URL)),
        app_id: Some(text(APP_ID)),
        credential: Some(CredentialKind::ApiToken),
        api_token: Some(text(API_TOKEN)),
        client_id: None,
    }
}

/// `POST /api/v1/super-admins`.
pub(super) fn grant_super_admin() -> GrantSuperAdminRequest {
    GrantSuperAdminRequest { email: text(DANA) }
}

/// `POST /api/v1/api-keys`: a reporting script's key.
pub(super) fn create_api_key() -> CreateApiKeyRequest {
    CreateApiKeyRequest {
        name: text("Quarterly access review export"),
        scopes: Some(vec![Permission::ReadGroups, Permission::ReadUsers]),
        expires_in_days: Some(90),
    }
}

/// `POST /api/v1/service-tokens`: the relying app's Access service token.
pub(super) fn register_service_token() -> RegisterServiceTokenRequest {
    RegisterServiceTokenRequest {
        common_name: text("4f8e2c1a9b7d6e5f3a2b1c0d9e8f7a6b.access"),
        name: text("Runbooks app"),
        scopes: Some(vec![Permission::ReadUsers, Permission::ManageCatalog]),
    }
}

/// `POST /api/v1/groups` (while sync is off).
pub(super) fn create_group() -> CreateGroupRequest {
    CreateGroupRequest {
        name: text("Contractors"),
        description: Some(text("People outside Acme who need to read the groups")),
    }
}

/// `POST /api/v1/dev/sign-in` (local only).
pub(super) fn dev_sign_in() -> DevSignInRequest {
    DevSignInRequest { email: text(ANN) }
}

/// `PUT /api/v1/groups/{id}/roles`: a group's first roles (its version is 0 until then),
/// built-in ones only, custom grants left as they are.
pub(super) fn set_group_roles() -> SetGroupRolesRequest {
    SetGroupRolesRequest { roles: vec![BuiltInRole::Editor], grants: None, version: 0 }
}

/// `PUT /api/v1/groups/{id}/roles`: then the custom role on a scope too.
pub(super) fn set_group_roles_with_grants() -> SetGroupRolesRequest {
    SetGroupRolesRequest {
        roles: vec![BuiltInRole::Editor],
        grants: Some(vec![runbook_operator_on_prod()]),
        version: 1,
    }
}

/// `POST /api/v1/sync`: a preview.
pub(super) fn start_sync() -> StartSyncRequest {
    StartSyncRequest { dry_run: true, full: false }
}

/// `POST /api/v1/invitations`.
pub(super) fn create_invitation() -> CreateInvitationRequest {
    CreateInvitationRequest { email: text(DANA), confirm_unknown: false }
}

/// One check: may Ann run runbooks on the production database?
pub(super) fn access_check_item() -> AccessCheckItem {
    AccessCheckItem {
        email: text(ANN),
        permission: text(RUNBOOKS_EXECUTE),
        resource: Some(text("folder:/prod/db")),
        as_if_member_of: None,
        as_if_not_member_of: None,
    }
}

/// `POST /api/v1/access/checks`: this console's own permissions, which every deployment knows.
pub(super) fn access_check_batch() -> AccessCheckBatchRequest {
    let item = |email: &str, permission: Permission| AccessCheckItem {
        email: text(email),
        permission: text(permission.as_str()),
        resource: None,
        as_if_member_of: None,
        as_if_not_member_of: None,
    };
    AccessCheckBatchRequest {
        checks: vec![item(ANN, Permission::ReadGroups), item(DANA, Permission::InviteUsers)],
    }
}

/// `POST /api/v1/access/checks`: the relying app's permission, as is and as if Dana were in
/// Engineering.
pub(super) fn access_check_batch_what_if() -> AccessCheckBatchRequest {
    let what_if = AccessCheckItem {
        email: text(DANA),
        as_if_member_of: Some(text(ENGINEERING.0)),
        ..access_check_item()
    };
    AccessCheckBatchRequest { checks: vec![access_check_item(), what_if] }
}

/// `POST /api/v1/roles`.
pub(super) fn create_role() -> CreateRoleRequest {
    CreateRoleRequest {
        key: text(RUNBOOK_OPERATOR.0),
        name: text(RUNBOOK_OPERATOR.1),
        permissions: vec![text(RUNBOOKS_EXECUTE)],
    }
}

/// `PUT /api/v1/roles/{key}`: renamed, based on the version creating it gave.
pub(super) fn update_role() -> UpdateRoleRequest {
    UpdateRoleRequest {
        name: text("Runbook runner"),
        permissions: vec![text(RUNBOOKS_EXECUTE)],
        version: 1,
    }
}

/// `POST /api/v1/permissions`.
pub(super) fn register_permission() -> RegisterPermissionRequest {
    RegisterPermissionRequest {
        name: text(RUNBOOKS_EXECUTE),
        description: text("Run a runbook against a resource"),
    }
}

/// `POST /api/v1/webhooks`.
pub(super) fn create_webhook() -> CreateWebhookRequest {
    CreateWebhookRequest {
        url: text("https://hooks.example.com/okta-groups"),
        description: text("Runbooks app: revoke sessions when access changes"),
        events: vec![WebhookEventType::AccessChanged, WebhookEventType::SyncCommitted],
    }
}

/// A manual run that committed a few changes.
pub(super) fn sync_run() -> SyncRun {
    SyncRun {
        id: text("run_20260504091500000_3f9a1c2e"),
        state: SyncState::Succeeded,
        trigger: text("manual"),
        started_by: text(ANN),
        dry_run: false,
        full: false,
        started_at: text(STARTED),
        ended_at: Some(text(ENDED)),
        progress: SyncProgress {
            group_pages: 1,
            groups_found: 12,
            member_groups_total: 2,
            member_groups_read: 2,
            status_pages: 1,
            phase: SyncPhase::Switching,
        },
        counts: Some(SyncCounts {
            groups_added: 1,
            groups_changed: 1,
            groups_removed: 0,
            memberships_added: 7,
            memberships_removed: 2,
            users_changed: 6,
        }),
        okta_requests: 9,
        rate_limit_waits: 0,
        error: None,
        error_code: None,
        held_reason: None,
        diff: Some(SyncDiff {
            groups_added: vec![DiffGroup {
                id: text(ON_CALL.0),
                name: text(ON_CALL.1),
                previous_name: None,
            }],
            groups_changed: vec![DiffGroup {
                id: text(ENGINEERING.0),
                name: text(ENGINEERING.1),
                previous_name: Some(text("Engineers")),
            }],
            groups_removed: Vec::new(),
        }),
        rows_written: 17,
    }
}

/// A scheduled run the guard holds: it would remove two of the three groups.
pub(super) fn sync_run_held() -> SyncRun {
    let removed = |(id, name): (&str, &str)| DiffGroup {
        id: text(id),
        name: text(name),
        previous_name: None,
    };
    SyncRun {
        id: text("run_20260504100000000_a71c09d4"),
        state: SyncState::NeedsConfirmation,
        trigger: text("schedule"),
        started_by: text("system"),
        dry_run: false,
        full: true,
        started_at: text("2026-05-04T10:00:00.000Z"),
        ended_at: None,
        progress: SyncProgress {
            group_pages: 1,
            groups_found: 1,
            member_groups_total: 1,
            member_groups_read: 1,
            status_pages: 0,
            phase: SyncPhase::Switching,
        },
        counts: Some(SyncCounts {
            groups_removed: 2,
            memberships_removed: 14,
            users_changed: 9,
            ..SyncCounts::default()
        }),
        okta_requests: 3,
        rate_limit_waits: 0,
        error: None,
        error_code: None,
        held_reason: guard_figures(&GuardFigures {
            stored_groups: 3,
            removed_groups: 2,
            stored_memberships: 20,
            removed_memberships: 14,
        }),
        diff: Some(SyncDiff {
            groups_removed: vec![removed(ENGINEERING), removed(ON_CALL)],
            ..SyncDiff::default()
        }),
        rows_written: 0,
    }
}

/// A group synced from Okta.
pub(super) fn group_summary() -> GroupSummary {
    GroupSummary {
        id: text(ENGINEERING.0),
        source: GroupSource::Okta,
        name: text(ENGINEERING.1),
        description: Some(text("Everyone who builds Acme's product")),
    }
}

/// The group `create_group` makes.
pub(super) fn group_summary_local() -> GroupSummary {
    let CreateGroupRequest { name, description } = create_group();
    GroupSummary { id: text("loc9f2c4e1a7b3d8e60"), source: GroupSource::Local, name, description }
}

/// The refusal of a tenant URL outside Okta's domains.
pub(super) fn problem() -> Problem {
    let field = "tenant_url";
    Problem::new(ProblemCode::InvalidInput, format!("{field}: {}", TenantUrlError::NotOkta))
        .about_field(field)
}

/// `GET /api/v1/users/ann@example.com/access`: Ann is an Editor through Engineering, which also
/// grants the custom role on `folder:/prod`, and is in On-call, which grants nothing.
pub(super) fn user_access() -> UserAccessResponse {
    let group = |(id, name): (&str, &str), roles: Vec<BuiltInRole>, custom: Vec<NamedGrant>| {
        GroupGrant { group_id: text(id), group_name: text(name), roles, custom }
    };
    let custom =
        NamedGrant { grant: runbook_operator_on_prod(), role_name: text(RUNBOOK_OPERATOR.1) };
    let groups = [
        group(ENGINEERING, vec![BuiltInRole::Editor], vec![custom]),
        group(ON_CALL, Vec::new(), Vec::new()),
    ];
    UserAccessResponse {
        email: text(ANN),
        okta_user_id: Some(text(ANN_OKTA_ID)),
        okta_status: Some(OktaUserStatus::Active),
        access: effective_access(Some(OktaUserStatus::Active), &groups, false),
    }
}

/// The catalog of the story, and Ann as the access check sees her (as `user_access` does).
fn catalog_and_ann() -> (Catalog, Person) {
    let permission = AppPermission::parse(RUNBOOKS_EXECUTE).expect("an example permission");
    let role = RoleDefinition {
        key: runbook_operator_on_prod().role,
        name: text(RUNBOOK_OPERATOR.1),
        permissions: [runbooks_execute()].into(),
    };
    let group = |(id, name): (&str, &str), grants: Vec<Grant>| MemberOf {
        group_id: text(id),
        group_name: text(name),
        grants,
    };
    let editor = Grant { role: RoleKey::of(BuiltInRole::Editor), scope: None };
    let ann = Person {
        super_admin: false,
        status: Some(OktaUserStatus::Active),
        groups: vec![
            group(ENGINEERING, vec![editor, runbook_operator_on_prod()]),
            group(ON_CALL, Vec::new()),
        ],
    };
    (Catalog::new([permission], [role]), ann)
}

/// `GET /api/v1/access/check` of Ann on `path`.
fn ann_may_execute_on(path: &str) -> AccessCheckResponse {
    let (catalog, ann) = catalog_and_ann();
    let (permission, resource) = (runbooks_execute(), resource(path));
    let decision = check(&catalog, &ann, &permission, Some(&resource));
    AccessCheckResponse {
        email: text(ANN),
        permission,
        resource: Some(resource),
        assuming: None,
        decision,
    }
}

/// Allowed: Engineering grants the role on `folder:/prod`, which covers its database.
pub(super) fn access_check() -> AccessCheckResponse {
    ann_may_execute_on("folder:/prod/db")
}

/// Denied: the role holds the permission only elsewhere.
pub(super) fn access_check_denied() -> AccessCheckResponse {
    ann_may_execute_on("folder:/staging/db")
}

/// Denied, as if Ann were not in Engineering.
pub(super) fn access_check_what_if() -> AccessCheckResponse {
    let (catalog, ann) = catalog_and_ann();
    let (permission, resource) = (runbooks_execute(), resource("folder:/prod/db"));
    let without = ann.assuming(WhatIf::NotMemberOf(text(ENGINEERING.0)));
    AccessCheckResponse {
        email: text(ANN),
        decision: check(&catalog, &without, &permission, Some(&resource)),
        permission,
        resource: Some(resource),
        assuming: Some(Assumption::NotMemberOf(text(ENGINEERING.0))),
    }
}
