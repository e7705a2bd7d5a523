//! The wire types' JSON Schemas (the `schema` feature) say what serde writes and reads.
//!
//! Samples of each, serialized, validate against their type's schema under both contracts (what
//! serde reads, what it writes); an object's properties are the keys serde writes, required
//! exactly when serde always writes them (serialize) or cannot read the object without them
//! (deserialize); an enum's values are the spellings serde writes; and the schemas of the types
//! that travel as text accept exactly what their `parse` does.

use std::collections::{BTreeSet, HashSet};

use proptest::prelude::*;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, schema_for};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::*;
use crate::domain::{
    AccessReason, AppPermission, BuiltInRole, Decision, Denial, EffectiveAccess, Grant, GrantChain,
    GrantReason, GuardReason, MemberGroup, Permission, PermissionName, ResourcePath, RoleKey,
    SyncCounts,
};
use crate::okta::OktaUserStatus;

/// The schema of `T` for what serde writes (responses): every member it does not skip is
/// required. `schema_for!` gives the one for what serde reads (requests).
fn serialize_schema<T: JsonSchema>() -> Schema {
    SchemaSettings::draft2020_12().for_serialize().into_generator().into_root_schema_for::<T>()
}

/// A validator of `schema` that checks formats too (`date-time`, `email`).
fn validator(schema: &Schema) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema.as_value())
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}"))
}

/// `sample` serialized, after checking that it validates against both of `T`'s schemas.
fn assert_valid<T: JsonSchema + Serialize>(sample: &T) -> Value {
    let value = serde_json::to_value(sample).expect("serializes");
    for (contract, schema) in [("read", schema_for!(T)), ("written", serialize_schema::<T>())] {
        let errors: Vec<String> = validator(&schema)
            .iter_errors(&value)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{} as {contract} refuses {value}: {errors:#?}",
            T::schema_name()
        );
    }
    value
}

/// The names of `schema`'s properties (`properties`), or of those it requires (`required`).
fn names(schema: &Schema, member: &str) -> BTreeSet<String> {
    match schema.get(member) {
        Some(Value::Object(properties)) => properties.keys().cloned().collect(),
        Some(Value::Array(required)) => {
            required.iter().map(|name| name.as_str().expect("a name").to_owned()).collect()
        }
        _ => BTreeSet::new(),
    }
}

/// The keys of a serialized object.
fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().expect("an object").keys().cloned().collect()
}

/// Checks an object type's members against serde: `full` has every `Option` set, `sparse` none.
///
/// Its properties are the keys serde writes for `full`; written, it requires the keys serde writes
/// even for `sparse`; read, it requires the keys without which serde cannot read `full`. Unknown
/// members are refused by the schema exactly when serde refuses them.
fn assert_members<T: JsonSchema + Serialize + DeserializeOwned>(full: &T, sparse: &T) {
    let name = T::schema_name();
    let (full, sparse) = (assert_valid(full), assert_valid(sparse));
    let (read, written) = (schema_for!(T), serialize_schema::<T>());
    assert_eq!(names(&written, "properties"), keys(&full), "{name}: properties");
    assert_eq!(names(&read, "properties"), keys(&full), "{name}: properties");
    assert_eq!(names(&written, "required"), keys(&sparse), "{name}: required when written");
    let needed: BTreeSet<String> = keys(&full)
        .into_iter()
        .filter(|key| {
            let mut without = full.clone();
            without.as_object_mut().expect("an object").remove(key);
            serde_json::from_value::<T>(without).is_err()
        })
        .collect();
    assert_eq!(names(&read, "required"), needed, "{name}: required when read");
    let mut extra = full;
    extra.as_object_mut().expect("an object").insert("unexpected_member".to_owned(), json!(1));
    assert_eq!(
        validator(&read).is_valid(&extra),
        serde_json::from_value::<T>(extra).is_ok(),
        "{name}: an unknown member"
    );
}

/// The string values a schema of strings allows: its `enum`, or its alternatives' `const`s.
fn enum_values(schema: &Value) -> BTreeSet<String> {
    let text = |v: &Value| v.as_str().expect("a string value").to_owned();
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values.iter().map(text).collect();
    }
    let alternatives = schema.get("oneOf").and_then(Value::as_array).expect("enum or oneOf");
    alternatives.iter().flat_map(enum_values_or_const).collect()
}

fn enum_values_or_const(schema: &Value) -> BTreeSet<String> {
    match schema.get("const") {
        Some(value) => BTreeSet::from([value.as_str().expect("a string const").to_owned()]),
        None => enum_values(schema),
    }
}

/// The values of `T`'s schema are exactly the spellings serde writes for `every` variant, and
/// each is read back.
fn assert_enum<T: JsonSchema + Serialize + DeserializeOwned + std::fmt::Debug>(every: &[T]) {
    let written: BTreeSet<String> = every
        .iter()
        .map(|v| assert_valid(v).as_str().expect("written as a string").to_owned())
        .collect();
    assert_eq!(written.len(), every.len(), "{}: distinct spellings", T::schema_name());
    for schema in [schema_for!(T), serialize_schema::<T>()] {
        assert_eq!(enum_values(schema.as_value()), written, "{}", T::schema_name());
    }
    for value in &written {
        assert!(serde_json::from_value::<T>(json!(value)).is_ok(), "{value} is read");
    }
}

/// For each value, the schema of `T` (read) accepts it exactly when serde reads it.
fn assert_reads_agree<T: JsonSchema + DeserializeOwned>(values: &[Value]) {
    let validator = validator(&schema_for!(T));
    for value in values {
        assert_eq!(
            validator.is_valid(value),
            serde_json::from_value::<T>(value.clone()).is_ok(),
            "{}: {value}",
            T::schema_name()
        );
    }
}

const AT: &str = "2026-01-02T03:04:05.000Z";

fn text(value: &str) -> String {
    value.to_owned()
}

fn role(key: &str) -> RoleKey {
    RoleKey::parse(key).expect("a role key")
}

fn path(text: &str) -> ResourcePath {
    ResourcePath::parse(text).expect("a resource path")
}

#[test]
fn a_problem_is_described_as_serde_writes_it_with_one_of_the_codes() {
    let about =
        Problem::new(ProblemCode::InvalidInput, "email: enter an email").about_field("email");
    assert_members(&about, &Problem::new(ProblemCode::NotFound, "No such group."));
    for code in ProblemCode::ALL {
        assert_valid(&Problem::new(code, "detail"));
    }
    let mut unknown = serde_json::to_value(Problem::new(ProblemCode::Internal, "x")).unwrap();
    unknown["code"] = json!("no_such_code");
    assert!(!validator(&schema_for!(Problem)).is_valid(&unknown), "only the codes sent");
}

#[test]
fn the_problem_codes_are_their_wire_spellings() {
    let spellings: BTreeSet<String> =
        ProblemCode::ALL.iter().map(|c| c.as_str().to_owned()).collect();
    assert_eq!(spellings.len(), ProblemCode::ALL.len());
    assert_eq!(enum_values(schema_for!(ProblemCode).as_value()), spellings);
}

#[test]
fn enums_allow_exactly_the_spellings_serde_writes() {
    assert_enum(&Permission::ALL);
    assert_enum(&BuiltInRole::ALL);
    assert_enum(&OktaUserStatus::ALL);
    assert_enum(&SyncState::ALL);
    assert_enum(&[SyncFailure::ALL.as_slice(), &[SyncFailure::Unknown]].concat());
    assert_enum(&WebhookEventType::ALL);
    assert_enum(&[DeliveryState::Pending, DeliveryState::Delivered, DeliveryState::Failed]);
    assert_enum(&[TokenSource::Deployment, TokenSource::Stored, TokenSource::None]);
    assert_enum(&[CredentialKind::ServiceApp, CredentialKind::ApiToken]);
    assert_enum(&[GroupSource::Okta, GroupSource::Local]);
    assert_enum(&[SyncHealthState::Ok, SyncHealthState::Failing, SyncHealthState::NeverRun]);
    assert_enum(&[CallerKind::Person, CallerKind::Machine]);
    assert_enum(&[AppUserStatus::Invited, AppUserStatus::Active, AppUserStatus::NotInvited]);
}

#[test]
fn a_guard_reason_is_tagged_by_reason_with_its_own_fields_required() {
    let reasons = [
        GuardReason::RemovesEveryGroup { groups: 3 },
        GuardReason::RemovesMostGroups { removed: 30, stored: 50 },
        GuardReason::RemovesMostMemberships { removed: 600, stored: 1000 },
    ];
    let written: Vec<Value> = reasons.iter().map(assert_valid).collect();
    let tags: BTreeSet<String> =
        written.iter().map(|w| w["reason"].as_str().unwrap().to_owned()).collect();
    let schema = schema_for!(GuardReason);
    let alternatives = schema.get("oneOf").and_then(Value::as_array).unwrap();
    let described: BTreeSet<String> = alternatives
        .iter()
        .flat_map(|a| enum_values_or_const(&a["properties"]["reason"]))
        .collect();
    assert_eq!(described, tags);
    assert_reads_agree::<GuardReason>(&[
        json!({"reason": "removes_most_groups", "removed": 30}),
        json!({"reason": "removes_every_group", "removed": 30, "stored": 50}),
        json!({"reason": "removes_every_group", "groups": 3, "removed": 1}),
        json!({"reason": "removes_some_groups", "groups": 3}),
        json!({"groups": 3}),
        json!({"reason": "removes_most_memberships", "removed": -1, "stored": 2}),
    ]);
}

#[test]
fn requests_with_optional_members_are_described_as_serde_reads_them() {
    assert_members(
        &CreateApiKeyRequest {
            name: text("reporting"),
            scopes: Some(vec![Permission::ReadGroups]),
            expires_in_days: Some(30),
        },
        &CreateApiKeyRequest { name: text("reporting"), scopes: None, expires_in_days: None },
    );
    assert_members(
        &UpdateOktaSettingsRequest {
            tenant_url: text("https://acme.okta.com"),
            app_id: text("0oa1b2c3d4e5f6g7h8i9"),
            credential: Some(CredentialKind::ServiceApp),
            api_token: Some(text("secret")),
            client_id: Some(text("0oa9s8r7q6p5o4n3m2l1")),
            sync_enabled: Some(true),
        },
        &UpdateOktaSettingsRequest {
            tenant_url: text("https://acme.okta.com"),
            app_id: text("0oa1b2c3d4e5f6g7h8i9"),
            credential: None,
            api_token: None,
            client_id: None,
            sync_enabled: None,
        },
    );
    let item = |set: bool| AccessCheckItem {
        email: text("ann@example.com"),
        permission: text("runbooks.execute"),
        resource: set.then(|| text("folder:/prod")),
        as_if_member_of: set.then(|| text("00g1")),
        as_if_not_member_of: set.then(|| text("00g2")),
    };
    assert_members(&item(true), &item(false));
    let roles =
        |grants| SetGroupRolesRequest { roles: vec![BuiltInRole::Viewer], grants, version: 3 };
    assert_members(
        &roles(Some(vec![Grant {
            role: role("runbook_operator"),
            scope: Some(path("folder:/prod")),
        }])),
        &roles(None),
    );
    assert_members(&StartSyncRequest { dry_run: true, full: false }, &StartSyncRequest::default());
}

fn audit_entry(set: bool) -> AuditEntry {
    AuditEntry {
        id: 42,
        at: text(AT),
        actor: text("ann@example.com"),
        actor_kind: text("person"),
        action: text("group.roles.updated"),
        target: set.then(|| text("00g1")),
        before: set.then(|| json!({"roles": []})),
        after: set.then(|| json!({"roles": ["viewer"]})),
        summary: text("roles: +viewer"),
        description: text("Roles of IT Admins: Viewer added"),
        target_name: set.then(|| text("IT Admins")),
    }
}

fn group(set: bool) -> GroupDetail {
    GroupDetail {
        id: text("00g1"),
        source: GroupSource::Okta,
        name: text("IT Admins"),
        description: set.then(|| text("The admins")),
        member_count: 12,
        roles: vec![BuiltInRole::Editor],
        grants: vec![
            Grant { role: role("runbook_operator"), scope: Some(path("folder:/prod/db")) },
            Grant { role: role("auditor"), scope: None },
        ],
        roles_version: 7,
        roles_saved_by: set.then(|| text("ann@example.com")),
        roles_saved_at: set.then(|| text(AT)),
        last_synced_at: set.then(|| text(AT)),
    }
}

#[test]
fn list_responses_are_described_as_serde_writes_them() {
    assert_members(
        &ListAuditResponse {
            entries: vec![audit_entry(true), audit_entry(false)],
            next_before: Some(41),
        },
        &ListAuditResponse { entries: Vec::new(), next_before: None },
    );
    assert_members(&audit_entry(true), &audit_entry(false));
    assert_members(
        &GroupPage {
            groups: vec![group(true), group(false)],
            total: 2,
            page: 1,
            per_page: 25,
            as_of: Some(text(AT)),
        },
        &GroupPage { groups: Vec::new(), total: 0, page: 1, per_page: 25, as_of: None },
    );
    assert_members(&group(true), &group(false));
    let user = |set: bool| AppUser {
        email: text("ann@example.com"),
        okta_user_id: set.then(|| text("00u1")),
        status: AppUserStatus::Active,
        invited_by: set.then(|| text("bob@example.com")),
        invited_at: set.then(|| text(AT)),
        activated_at: set.then(|| text(AT)),
        super_admin: false,
        roles: vec![BuiltInRole::Viewer],
    };
    assert_members(
        &ListUsersResponse {
            users: vec![user(true), user(false)],
            total: 2,
            page: 1,
            per_page: 25,
        },
        &ListUsersResponse { users: Vec::new(), total: 0, page: 1, per_page: 25 },
    );
}

fn run(set: bool) -> SyncRun {
    SyncRun {
        id: text("run1"),
        state: SyncState::NeedsConfirmation,
        trigger: text("schedule"),
        started_by: text("system"),
        dry_run: false,
        full: true,
        started_at: text(AT),
        ended_at: set.then(|| text(AT)),
        progress: SyncProgress { group_pages: 2, groups_found: 40, ..SyncProgress::default() },
        counts: set.then(|| SyncCounts { groups_removed: 30, ..SyncCounts::default() }),
        okta_requests: 12,
        rate_limit_waits: 0,
        error: set.then(|| text("Okta refused the API token.")),
        error_code: set.then_some(SyncFailure::OktaTokenRejected),
        held_reason: set.then_some(GuardReason::RemovesMostGroups { removed: 30, stored: 50 }),
        diff: set.then(|| SyncDiff {
            groups_removed: vec![DiffGroup {
                id: text("00g1"),
                name: text("Ops"),
                previous_name: None,
            }],
            ..SyncDiff::default()
        }),
        rows_written: 0,
    }
}

#[test]
fn a_sync_run_and_its_list_are_described_as_serde_writes_them() {
    assert_members(&run(true), &run(false));
    let schedule = |set: bool| SyncSchedule {
        sync_enabled: true,
        next_at: set.then(|| text(AT)),
        next_full: false,
    };
    assert_members(
        &ListSyncRunsResponse {
            runs: vec![run(true), run(false)],
            next_page: Some(2),
            schedule: schedule(true),
        },
        &ListSyncRunsResponse { runs: Vec::new(), next_page: None, schedule: schedule(false) },
    );
}

#[test]
fn an_access_check_is_described_with_its_decision_beside_it() {
    let chain = GrantChain {
        group_name: text("Ops"),
        group_id: text("00g1"),
        role: role("runbook_operator"),
        role_name: text("Runbook operator"),
        scope: Some(path("folder:/prod")),
    };
    let allowed = AccessCheckResponse {
        email: text("ann@example.com"),
        permission: PermissionName::parse("runbooks.execute").unwrap(),
        resource: Some(path("folder:/prod/db")),
        assuming: Some(Assumption::MemberOf(text("00g1"))),
        decision: Decision {
            allowed: true,
            super_admin: false,
            chains: vec![chain.clone()],
            denial: Some(Denial::OnlyElsewhere { grants: vec![chain] }),
            explanation: text("Allowed."),
        },
    };
    let denied = AccessCheckResponse {
        email: text("ann@example.com"),
        permission: PermissionName::parse("read_groups").unwrap(),
        resource: None,
        assuming: None,
        decision: Decision {
            allowed: false,
            super_admin: false,
            chains: Vec::new(),
            denial: None,
            explanation: text("Denied."),
        },
    };
    assert_members(&allowed, &denied);
    for denial in
        [Denial::NoGroup, Denial::Status { status: OktaUserStatus::Suspended }, Denial::NoRoleHolds]
    {
        let decision = Decision { denial: Some(denial), ..denied.decision.clone() };
        assert_valid(&AccessCheckResponse { decision, ..denied.clone() });
    }
    let assuming = AccessCheckResponse {
        assuming: Some(Assumption::NotMemberOf(text("00g2"))),
        ..denied.clone()
    };
    assert_valid(&AccessCheckBatchResponse { results: vec![allowed, denied, assuming] });
}

#[test]
fn a_user_s_access_is_described_as_serde_writes_it() {
    let access = EffectiveAccess {
        super_admin: false,
        roles: vec![BuiltInRole::Admin],
        permissions: vec![Permission::ReadGroups, Permission::RunSync],
        reasons: vec![AccessReason {
            role: BuiltInRole::Admin,
            group_id: text("00g1"),
            group_name: text("Ops"),
            explanation: text("Admin via Okta group Ops (00g1)"),
        }],
        grants: vec![GrantReason {
            role: role("runbook_operator"),
            role_name: text("Runbook operator"),
            scope: Some(path("folder:/")),
            group_id: text("00g1"),
            group_name: text("Ops"),
            explanation: text("Runbook operator on folder:/ via Okta group Ops (00g1)"),
        }],
        notes: vec![text("A note")],
        groups: vec![MemberGroup { name: text("Ops"), id: text("00g1") }],
    };
    assert_members(
        &UserAccessResponse {
            email: text("ann@example.com"),
            okta_user_id: Some(text("00u1")),
            okta_status: Some(OktaUserStatus::LockedOut),
            access: access.clone(),
        },
        &UserAccessResponse {
            email: text("nobody@example.com"),
            okta_user_id: None,
            okta_status: None,
            access,
        },
    );
}

#[test]
fn webhook_events_are_described_as_serde_writes_them() {
    let change = |set: bool| AccessChange {
        email: set.then(|| text("ann@example.com")),
        okta_user_id: text("00u1"),
        roles_before: vec![text("viewer")],
        roles_after: vec![text("viewer"), text("runbook_operator@folder:/prod")],
        why: vec![text("Added to Okta group Ops (00g1)")],
    };
    let access = |set: bool| WebhookEvent {
        kind: WebhookEventType::AccessChanged,
        timestamp: text(AT),
        data: AccessChangedData { run_id: set.then(|| text("run1")), people: vec![change(set)] },
    };
    assert_members(&access(true), &access(false));
    assert_members(&access(true).data, &access(false).data);
    assert_members(&change(true), &change(false));
    let counts = SyncCounts { groups_added: 1, memberships_removed: 4, ..SyncCounts::default() };
    let committed = WebhookEvent {
        kind: WebhookEventType::SyncCommitted,
        timestamp: text(AT),
        data: SyncCommittedData {
            run_id: text("run1"),
            trigger: text("schedule"),
            counts: serde_json::to_value(counts).unwrap(),
        },
    };
    assert_members(&committed, &committed);
    let mut wrong = serde_json::to_value(&committed).unwrap();
    wrong["timestamp"] = json!("yesterday");
    assert!(!validator(&serialize_schema::<WebhookEvent<SyncCommittedData>>()).is_valid(&wrong));
}

#[test]
fn every_wire_type_has_a_schema_of_its_own_name() {
    macro_rules! names {
        ($($type:ty),* $(,)?) => { vec![$(<$type as JsonSchema>::schema_name()),*] };
    }
    let all = names![
        AccessCheckBatchRequest,
        AccessCheckBatchResponse,
        AccessCheckItem,
        AccessCheckResponse,
        ApiKey,
        AppPermissionDescription,
        Assumption,
        AuditEntry,
        CallerKind,
        CreateApiKeyRequest,
        CreateApiKeyResponse,
        CreateRoleRequest,
        CustomRoleDescription,
        DevSignInRequest,
        DevSignInResponse,
        GrantSuperAdminRequest,
        ListApiKeysResponse,
        ListAuditResponse,
        ListPermissionsResponse,
        ListRolesResponse,
        ListServiceTokensResponse,
        ListSuperAdminsResponse,
        MeResponse,
        RegisterPermissionRequest,
        RegisterServiceTokenRequest,
        RoleDescription,
        RoleGrantImpact,
        RoleImpact,
        ServiceToken,
        SuperAdmin,
        UpdateRoleRequest,
        HealthResponse,
        ServiceStatus,
        SyncHealth,
        SyncHealthState,
        SyncStatus,
        Problem,
        ProblemCode,
        ConnectionFailure,
        CreateGroupRequest,
        CredentialKind,
        GroupSource,
        GroupSummary,
        OktaEventHook,
        OktaEventHookSecret,
        OktaSettingsResponse,
        SealedWith,
        ServiceAppKey,
        ServiceAppStatus,
        TestOktaConnectionRequest,
        TestOktaConnectionResponse,
        TokenSource,
        TokenStatus,
        UpdateOktaSettingsRequest,
        AppUser,
        AppUserStatus,
        CreateInvitationRequest,
        CreateInvitationResponse,
        DiffGroup,
        GroupDetail,
        GroupMember,
        GroupPage,
        Invitation,
        InvitationStatus,
        ListInvitationsResponse,
        ListSyncRunsResponse,
        ListUsersResponse,
        MemberPage,
        SetGroupRolesRequest,
        StartSyncRequest,
        StartSyncResponse,
        SyncDiff,
        SyncFailure,
        SyncPhase,
        SyncProgress,
        SyncRun,
        SyncSchedule,
        SyncState,
        UserAccessResponse,
        AccessChange,
        AccessChangedData,
        CreateWebhookRequest,
        CreateWebhookResponse,
        DeliveryState,
        ListWebhookDeliveriesResponse,
        ListWebhooksResponse,
        SyncCommittedData,
        WebhookDelivery,
        WebhookEndpoint,
        WebhookEvent<AccessChangedData>,
        WebhookEvent<SyncCommittedData>,
        WebhookEventType,
        AccessReason,
        AppPermission,
        BuiltInRole,
        Decision,
        Denial,
        EffectiveAccess,
        Grant,
        GrantChain,
        GrantReason,
        GuardReason,
        MemberGroup,
        Permission,
        PermissionName,
        ResourcePath,
        RoleKey,
        SyncCounts,
        OktaUserStatus,
    ];
    let mut seen = HashSet::new();
    for name in &all {
        assert!(seen.insert(name.clone()), "two types are named {name}");
    }
    assert_eq!(WebhookEvent::<AccessChangedData>::schema_name(), "WebhookEvent_AccessChangedData");
}

/// Checks that the schema of `T`, a type that travels as text, accepts `text` exactly when
/// serde reads it.
fn assert_text_agrees<T: JsonSchema + DeserializeOwned>(
    validator: &jsonschema::Validator,
    text: &str,
) {
    let value = json!(text);
    assert_eq!(
        validator.is_valid(&value),
        serde_json::from_value::<T>(value.clone()).is_ok(),
        "{}: {text:?}",
        T::schema_name()
    );
}

/// Texts near the forms of names and resource paths, valid or not.
fn near_names() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_]{0,6}(\\.[a-z0-9_]{0,6}){0,3}",
        "[a-zA-Z0-9_. :-]{0,12}",
        "[a-z_1][a-z0-9_]{0,4}:(/[a-zA-Z0-9._ -]{0,4}){0,18}/?",
        "[a-z]{1,3}:(/(\\.{1,3}|[a-z]{1,2})){1,4}",
    ]
}

/// Names and paths around their length and depth limits.
fn long_texts() -> Vec<String> {
    let mut texts = Vec::new();
    for n in [62, 63, 64, 65, 252, 253, 254, 255] {
        texts.push(format!("a.{}", "b".repeat(n - 2)));
        texts.push("k".repeat(n));
        texts.push(format!("k:/{}", "p".repeat(n - 3)));
    }
    for segments in [15, 16, 17] {
        texts.push(format!("k:{}", "/s".repeat(segments)));
    }
    texts
}

#[test]
fn the_texts_accepted_by_the_schemas_of_names_and_paths_are_those_parse_accepts() {
    let role_key = validator(&schema_for!(RoleKey));
    let app = validator(&schema_for!(AppPermission));
    let permission = validator(&schema_for!(PermissionName));
    let resource = validator(&schema_for!(ResourcePath));
    let check = |text: &str| {
        assert_text_agrees::<RoleKey>(&role_key, text);
        assert_text_agrees::<AppPermission>(&app, text);
        assert_text_agrees::<PermissionName>(&permission, text);
        assert_text_agrees::<ResourcePath>(&resource, text);
    };
    let fixed = [
        "",
        "viewer",
        "read_groups",
        "runbooks.execute",
        "runbooks..execute",
        "Runbooks.execute",
        "runbooks.",
        ".runbooks",
        "runbooks.1execute",
        "a.b",
        "folder:/",
        "folder:/prod/db",
        "folder:/prod/",
        "folder://prod",
        "folder:/./x",
        "folder:/../x",
        "folder:/.../x",
        "folder:/.x/..y",
        "folder:prod",
        "Folder:/x",
        "1folder:/x",
        "folder:/pr od",
        "folder:/é",
        "folder:/a:b",
        "kind_2:/A-b_c.d",
    ];
    for text in fixed.into_iter().map(str::to_owned).chain(long_texts()) {
        check(&text);
    }
    proptest!(ProptestConfig::with_cases(512), |(text in near_names())| check(&text));
}

#[test]
fn the_app_id_pattern_accepts_what_app_id_parse_accepts() {
    // ASCII whitespace only: JSON Schema's `\s` and Rust's `trim` differ on rare code points
    // (U+0085), which no pasted App ID carries.
    let schema = json!({ "type": "string", "pattern": crate::domain::APP_ID_PATTERN });
    let validator = jsonschema::draft202012::new(&schema).expect("the pattern compiles");
    let check = |text: &str| {
        assert_eq!(
            validator.is_valid(&json!(text)),
            crate::domain::AppId::parse(text).is_ok(),
            "{text:?}"
        );
    };
    for text in [
        "0oa1b2c3d4e5f6g7h8i9",
        " 0oa1b2c3d4e5f6g7h8i9\n",
        "0oa1b2c3d4e5f6g7h8i",
        "0oa1b2c3d4e5f6g7h8i9x",
        "00g1b2c3d4e5f6g7h8i9",
        "0oa1b2c3d4e5f6g7h8-9",
        "0oa1b2c3d4e5f6g7h8é",
        "",
    ] {
        check(text);
    }
    proptest!(ProptestConfig::with_cases(256), |(text in "[ \\t\\n]?(0oa)?[A-Za-z0-9-]{15,19}[ \\t\\n]?")| check(&text));
}

/// The examples in `T`'s schema, after checking that there is one at least and that each is a
/// value serde reads and writes back unchanged, valid under both of `T`'s schemas.
fn assert_examples<T: JsonSchema + Serialize + DeserializeOwned>() -> (String, Vec<Value>) {
    let name = T::schema_name().into_owned();
    let examples = match schema_for!(T).get("examples") {
        Some(Value::Array(examples)) => examples.clone(),
        _ => Vec::new(),
    };
    assert!(!examples.is_empty(), "{name} has no example");
    assert_eq!(serialize_schema::<T>().get("examples"), Some(&json!(examples)), "{name}");
    for example in &examples {
        let read: T = serde_json::from_value(example.clone())
            .unwrap_or_else(|e| panic!("{name}: serde does not read the example {example}: {e}"));
        assert_eq!(&assert_valid(&read), example, "{name}: the example is what serde writes");
    }
    (name, examples)
}

/// The examples of every request body and of the answers clients read most.
fn examples() -> Vec<(String, Vec<Value>)> {
    macro_rules! examples {
        ($($type:ty),* $(,)?) => { vec![$(assert_examples::<$type>()),*] };
    }
    examples![
        // Request bodies.
        AccessCheckBatchRequest,
        AccessCheckItem,
        CreateApiKeyRequest,
        CreateGroupRequest,
        CreateInvitationRequest,
        CreateRoleRequest,
        CreateWebhookRequest,
        DevSignInRequest,
        GrantSuperAdminRequest,
        RegisterPermissionRequest,
        RegisterServiceTokenRequest,
        SetGroupRolesRequest,
        StartSyncRequest,
        TestOktaConnectionRequest,
        UpdateOktaSettingsRequest,
        UpdateRoleRequest,
        // Answers.
        AccessCheckResponse,
        GroupSummary,
        Problem,
        SyncRun,
        UserAccessResponse,
    ]
}

#[test]
fn request_bodies_and_the_main_answers_have_examples_that_validate() {
    let examples = examples();
    assert_eq!(examples.len(), 21);
    let allowed = examples.iter().find(|(name, _)| name == "AccessCheckResponse").unwrap();
    let allowed: Vec<&Value> = allowed.1.iter().map(|e| &e["allowed"]).collect();
    assert_eq!(allowed, [&json!(true), &json!(false), &json!(false)], "one allowed, two denied");
}

/// Every text of `value` (object keys aside).
fn texts(value: &Value) -> Vec<&str> {
    match value {
        Value::String(text) => vec![text],
        Value::Array(items) => items.iter().flat_map(texts).collect(),
        Value::Object(members) => members.values().flat_map(texts).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn examples_name_only_example_domains() {
    for (name, examples) in examples() {
        for text in examples.iter().flat_map(texts) {
            if text.contains('@') {
                assert!(text.ends_with("@example.com"), "{name}: {text}");
            }
            if let Some(url) = url::Url::parse(text).ok().filter(url::Url::has_host) {
                let host = url.host_str().unwrap_or_default();
                assert!(
                    host == "acme.okta.com" || host.ends_with(".example.com"),
                    "{name}: {text}"
                );
            }
        }
    }
}

/// The request examples pass the checks the Worker makes of what it reads (those `domain` holds),
/// and tell one story: the role is made of the permission registered, and granted as created.
#[test]
fn request_examples_pass_the_worker_s_checks() {
    use crate::domain::{
        AppId, AppPermission, Email, TenantUrl, TenantUrlPolicy, WebhookUrl, WebhookUrlPolicy,
        role_display_name,
    };

    let email = |text: &str| assert!(Email::parse(text).is_ok(), "{text}");
    let settings = examples::update_okta_settings();
    let test = examples::test_okta_connection();
    for (tenant, app) in [
        (Some(&settings.tenant_url), Some(&settings.app_id)),
        (test.tenant_url.as_ref(), test.app_id.as_ref()),
    ] {
        let tenant = tenant.expect("a tenant URL");
        assert!(TenantUrl::parse(tenant, &TenantUrlPolicy::default()).is_ok(), "{tenant}");
        assert!(AppId::parse(app.expect("an App ID")).is_ok());
    }
    email(&examples::grant_super_admin().email);
    email(&examples::dev_sign_in().email);
    email(&examples::create_invitation().email);

    let key = examples::create_api_key();
    let scopes = key.scopes.expect("scopes");
    assert!(!scopes.is_empty() && scopes.iter().all(|p| p.is_read_only()));
    assert!((1..=365).contains(&key.expires_in_days.expect("days")));
    let token = examples::register_service_token();
    assert!(token.common_name.chars().all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c)));
    assert!(token.scopes.expect("scopes").iter().all(|p| p.is_for_machines()));

    let registered = AppPermission::parse(&examples::register_permission().name).unwrap();
    let role = examples::create_role();
    let key = RoleKey::parse_custom(&role.key).unwrap();
    let update = examples::update_role();
    for (name, permissions) in
        [(&role.name, &role.permissions), (&update.name, &update.permissions)]
    {
        assert!(role_display_name(name).is_ok(), "{name}");
        for permission in permissions {
            assert_eq!(permission, registered.as_str(), "only what was registered");
        }
    }
    assert_eq!(update.version, 1, "the version a new role has");
    let grants = examples::set_group_roles_with_grants().grants.expect("grants");
    assert!(grants.iter().all(|grant| grant.role == key), "the role created");

    let checks = [examples::access_check_batch(), examples::access_check_batch_what_if()];
    for item in
        checks.iter().flat_map(|batch| &batch.checks).chain([&examples::access_check_item()])
    {
        email(&item.email);
        match PermissionName::parse(&item.permission).unwrap() {
            PermissionName::Console(_) => {}
            PermissionName::App(app) => assert_eq!(app, registered),
        }
        if let Some(resource) = &item.resource {
            path(resource);
        }
    }

    let webhook = examples::create_webhook();
    let policy = WebhookUrlPolicy {
        // The allow-list `wrangler.toml` suggests.
        allowed_hosts: vec![text("hooks.example.com")],
        allow_loopback_http: false,
    };
    assert!(WebhookUrl::parse(&webhook.url, &policy).is_ok(), "{}", webhook.url);
    assert!(!webhook.events.is_empty());
}
