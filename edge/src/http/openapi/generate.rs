//! Generates the OpenAPI document from the route table (every route the Worker serves, with who
//! may call it) and `core`'s wire types (every request and response body, by `schemars`), and
//! checks that `edge/openapi.json`, which the Worker serves, is what it generates.

use groupsync_core::api::{self as wire, Problem};
use groupsync_core::domain::{AUDIT_ACTIONS, AUDIT_AREAS, PermissionName, ResourcePath, RoleKey};
use schemars::generate::{Contract as SerdeContract, SchemaGenerator, SchemaSettings};
use schemars::transform::RecursiveTransform;
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

use super::closed_sets::closed_set_as_enum;
use super::links;
use super::problems::{self, Operation};
use crate::http::listing::{
    DELIVERIES_SHOWN, GROUP_PAGING, GROUP_SORTS, MAX_PAGE, MAX_SEARCH_BYTES, MAX_SYNC_RUNS_PAGE,
    MEMBER_PAGING, MOST_DELIVERIES_SHOWN, PEOPLE_PAGING, SYNC_RUNS_PER_PAGE,
};
use crate::http::routes::{Endpoint, ROUTES};
use crate::service::access::Access;

/// Where the served document lives, from the crate's root.
const DOCUMENT_FILE: &str = "openapi.json";

/// Where the reference for people lives, from the crate's root.
const REFERENCE_FILE: &str = "../docs/api.md";

/// A body's schema, from the generator that collects the definitions it refers to.
type BodySchema = fn(&mut SchemaGenerator) -> Schema;

/// The schema of `T` (a reference to its definition).
fn body<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// What an operation takes and answers.
struct Exchange {
    /// The JSON request body, if it takes one.
    request: Option<BodySchema>,
    /// The success status and its JSON body (`None`: no body).
    success: (u16, Option<BodySchema>),
    /// Another success the operation can answer, with the same body.
    also: Option<(u16, &'static str)>,
}

/// What each endpoint exchanges: the wire types its handler reads and answers.
#[expect(clippy::too_many_lines, reason = "one arm per endpoint, the table itself")]
fn exchange(endpoint: Endpoint) -> Exchange {
    use Endpoint as E;
    let (request, status, response): (Option<BodySchema>, u16, Option<BodySchema>) = match endpoint
    {
        E::Health => (None, 200, Some(body::<wire::HealthResponse>)),
        E::OpenApi => (None, 200, Some(body::<Map<String, Value>>)),
        E::Me => (None, 200, Some(body::<wire::MeResponse>)),
        E::ListRoles | E::DeleteRole => (None, 200, Some(body::<wire::ListRolesResponse>)),
        E::GetOktaSettings => (None, 200, Some(body::<wire::OktaSettingsResponse>)),
        E::UpdateOktaSettings => (
            Some(body::<wire::UpdateOktaSettingsRequest>),
            200,
            Some(body::<wire::OktaSettingsResponse>),
        ),
        E::TestOktaConnection => (
            Some(body::<wire::TestOktaConnectionRequest>),
            200,
            Some(body::<wire::TestOktaConnectionResponse>),
        ),
        E::GetOktaEventHook => (None, 200, Some(body::<wire::OktaEventHook>)),
        E::RotateOktaEventHookSecret => (None, 201, Some(body::<wire::OktaEventHookSecret>)),
        E::MakeServiceAppKey => (None, 201, Some(body::<wire::ServiceAppKey>)),
        E::VerifyOktaEventHook => (None, 200, Some(body::<OktaHookVerification>)),
        E::ReceiveOktaEvents => (Some(body::<Map<String, Value>>), 204, None),
        E::ListSuperAdmins | E::RevokeSuperAdmin => {
            (None, 200, Some(body::<wire::ListSuperAdminsResponse>))
        }
        E::GrantSuperAdmin => (
            Some(body::<wire::GrantSuperAdminRequest>),
            201,
            Some(body::<wire::ListSuperAdminsResponse>),
        ),
        E::ListApiKeys | E::RevokeApiKey => (None, 200, Some(body::<wire::ListApiKeysResponse>)),
        E::CreateApiKey => {
            (Some(body::<wire::CreateApiKeyRequest>), 201, Some(body::<wire::CreateApiKeyResponse>))
        }
        E::ListServiceTokens | E::RevokeServiceToken => {
            (None, 200, Some(body::<wire::ListServiceTokensResponse>))
        }
        E::RegisterServiceToken => {
            (Some(body::<wire::RegisterServiceTokenRequest>), 201, Some(body::<wire::ServiceToken>))
        }
        E::ListGroups => (None, 200, Some(body::<wire::GroupPage>)),
        E::CreateGroup => {
            (Some(body::<wire::CreateGroupRequest>), 201, Some(body::<wire::GroupSummary>))
        }
        E::ListAudit => (None, 200, Some(body::<wire::ListAuditResponse>)),
        // CSV, described by the operation itself.
        E::ExportAudit => (None, 200, None),
        E::DevSignIn => {
            (Some(body::<wire::DevSignInRequest>), 200, Some(body::<wire::DevSignInResponse>))
        }
        E::GetGroup => (None, 200, Some(body::<wire::GroupDetail>)),
        E::ListGroupMembers => (None, 200, Some(body::<wire::MemberPage>)),
        E::SetGroupRoles => {
            (Some(body::<wire::SetGroupRolesRequest>), 200, Some(body::<wire::GroupDetail>))
        }
        E::StartSync => {
            (Some(body::<wire::StartSyncRequest>), 202, Some(body::<wire::StartSyncResponse>))
        }
        E::ListSyncRuns => (None, 200, Some(body::<wire::ListSyncRunsResponse>)),
        E::GetSyncRun | E::ConfirmSyncRun | E::DiscardSyncRun => {
            (None, 200, Some(body::<wire::SyncRun>))
        }
        E::GetSyncStatus => (None, 200, Some(body::<wire::SyncStatus>)),
        E::CreateInvitation => (
            Some(body::<wire::CreateInvitationRequest>),
            201,
            Some(body::<wire::CreateInvitationResponse>),
        ),
        E::RevokeInvitation => (None, 200, Some(body::<wire::Invitation>)),
        E::ListInvitations => (None, 200, Some(body::<wire::ListInvitationsResponse>)),
        E::ListUsers => (None, 200, Some(body::<wire::ListUsersResponse>)),
        E::GetUserAccess => (None, 200, Some(body::<wire::UserAccessResponse>)),
        E::CheckAccess => (None, 200, Some(body::<wire::AccessCheckResponse>)),
        E::CheckAccessBatch => (
            Some(body::<wire::AccessCheckBatchRequest>),
            200,
            Some(body::<wire::AccessCheckBatchResponse>),
        ),
        E::ListPermissions | E::RemovePermission => {
            (None, 200, Some(body::<wire::ListPermissionsResponse>))
        }
        E::CreateRole => {
            (Some(body::<wire::CreateRoleRequest>), 201, Some(body::<wire::CustomRoleDescription>))
        }
        E::UpdateRole => {
            (Some(body::<wire::UpdateRoleRequest>), 200, Some(body::<wire::CustomRoleDescription>))
        }
        E::RoleImpact => (None, 200, Some(body::<wire::RoleImpact>)),
        E::RegisterPermission => (
            Some(body::<wire::RegisterPermissionRequest>),
            201,
            Some(body::<wire::AppPermissionDescription>),
        ),
        E::ListWebhooks => (None, 200, Some(body::<wire::ListWebhooksResponse>)),
        E::CreateWebhook => (
            Some(body::<wire::CreateWebhookRequest>),
            201,
            Some(body::<wire::CreateWebhookResponse>),
        ),
        E::DeleteWebhook => (None, 204, None),
        E::ListWebhookDeliveries => (None, 200, Some(body::<wire::ListWebhookDeliveriesResponse>)),
        E::RedeliverWebhook => (None, 202, Some(body::<wire::WebhookDelivery>)),
    };
    let also = match endpoint {
        E::Health => Some((503, "Degraded: D1 did not answer")),
        E::StartSync => Some((200, "Joined the run already under way")),
        _ => None,
    };
    Exchange { request, success: (status, response), also }
}

/// The answer to Okta's one-time verification of the Event Hook.
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only its schema is used: the handler answers with json!")]
struct OktaHookVerification {
    /// The value of Okta's `x-okta-verification-challenge` header.
    verification: String,
}

/// A generator of schemas for the document: JSON Schema 2020-12 (OpenAPI 3.1's dialect), its
/// definitions under `components/schemas`, describing what serde's side `contract` does.
fn generator(contract: SerdeContract) -> SchemaGenerator {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    settings.contract = contract;
    settings.with_transform(RecursiveTransform(closed_set_as_enum)).into_generator()
}

/// The document (`GET /api/v1/openapi.json`).
pub(super) fn document() -> Value {
    // Requests are what the Worker deserializes (a member with a default may be left out);
    // responses what it serializes (every member it always writes is required).
    let mut requests = generator(SerdeContract::Deserialize);
    let mut responses = generator(SerdeContract::Serialize);
    let problem = responses.subschema_for::<Problem>().to_value();
    let mut paths = Map::new();
    for route in ROUTES {
        let names: Vec<&str> = route
            .pattern
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        let parameters: Vec<Value> =
            names.iter().map(|name| path_parameter(name, &mut requests)).collect();
        let (security, who) = match route.access {
            Access::Public => (json!([]), "Anyone.".to_owned()),
            Access::Authenticated => (secured(), "Any signed-in caller.".to_owned()),
            Access::Permission(permission) => {
                (secured(), format!("Callers with the `{permission}` permission."))
            }
            Access::SuperAdmin => (secured(), "superAdmins.".to_owned()),
            Access::OktaEventHook => (
                json!([]),
                "Okta, with the Event Hook's secret in the `Authorization` header.".to_owned(),
            ),
        };
        let Exchange { request, success: (status, response), also } = exchange(route.endpoint);
        let mut success = match response {
            Some(schema) => {
                json!({ "description": "Success", "content": { "application/json": { "schema": schema(&mut responses) } } })
            }
            None if route.endpoint == Endpoint::ExportAudit => {
                json!({ "description": "The matching entries as CSV", "content": { "text/csv": { "schema": { "type": "string" } } } })
            }
            None => json!({ "description": "Success, no body" }),
        };
        let links = links::links(route.endpoint);
        if !links.is_empty() {
            success["links"] = links::document_links(&links, operation_id);
        }
        let mut answers = Map::new();
        answers.insert(status.to_string(), success.clone());
        if let Some((other, description)) = also {
            let mut other_answer = success;
            other_answer["description"] = json!(description);
            answers.insert(other.to_string(), other_answer);
        }
        let query = query_parameters(route.endpoint, &mut requests);
        let facts =
            Operation { route, path: &names, body: request.is_some(), query: !query.is_empty() };
        answers.extend(problems::responses(&facts, &problem));
        let mut operation = json!({
            "operationId": operation_id(route.endpoint),
            "summary": route.summary,
            "description": who,
            "security": security,
            "responses": answers,
        });
        let parameters: Vec<Value> = parameters.into_iter().chain(query).collect();
        if !parameters.is_empty() {
            operation["parameters"] = Value::Array(parameters);
        }
        if let Some(schema) = request {
            operation["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": schema(&mut requests) } } });
        }
        let item = paths.entry(route.pattern).or_insert_with(|| json!({}));
        item[route.method.as_str().to_lowercase()] = operation;
    }
    let schemas = definitions(requests, responses, &mut paths);
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Okta Groups Sync edge API", "version": groupsync_core::VERSION },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "access": { "type": "apiKey", "in": "header", "name": "Cf-Access-Jwt-Assertion" },
                "apiKey": { "type": "http", "scheme": "bearer" }
            },
            "schemas": schemas,
        }
    })
}

/// The definitions both generators collected, and the request bodies renamed to match. A type
/// read and written alike has one schema. One whose two sides differ (a member with a default may
/// be left out of a request, and is always in a response) gets a second definition, `…Input`, for
/// requests; so does every request type that refers to one of those.
fn definitions(
    mut requests: SchemaGenerator,
    mut responses: SchemaGenerator,
    paths: &mut Map<String, Value>,
) -> Map<String, Value> {
    let mut all = responses.take_definitions(true);
    let mut inputs = requests.take_definitions(true);
    let mut renamed: Vec<String> = Vec::new();
    loop {
        let differing: Vec<String> = inputs
            .iter()
            .filter(|(name, schema)| {
                !renamed.contains(name) && all.get(*name).is_some_and(|output| output != *schema)
            })
            .map(|(name, _)| name.clone())
            .collect();
        if differing.is_empty() {
            break;
        }
        for name in &differing {
            let (from, to) = (reference(name), reference(&format!("{name}Input")));
            for schema in inputs.values_mut() {
                rename_references(schema, &from, &to);
            }
            for operation in paths.values_mut().filter_map(Value::as_object_mut) {
                for body in operation.values_mut().filter_map(|m| m.get_mut("requestBody")) {
                    rename_references(body, &from, &to);
                }
            }
        }
        renamed.extend(differing);
    }
    for (name, schema) in inputs {
        let name = if renamed.contains(&name) { format!("{name}Input") } else { name };
        all.entry(name).or_insert(schema);
    }
    all.sort_keys();
    all
}

/// The `$ref` of the definition `name`.
fn reference(name: &str) -> String {
    format!("#/components/schemas/{name}")
}

/// Points every `$ref` to `from` in `value` at `to`.
fn rename_references(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if key == "$ref" && inner == from {
                    *inner = Value::String(to.to_owned());
                } else {
                    rename_references(inner, from, to);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| rename_references(item, from, to)),
        _ => {}
    }
}

/// The query parameters of the audit log's filters (and, for the listing, its paging).
fn audit_parameters(endpoint: Endpoint) -> Vec<Value> {
    let query = |name: &str, schema: Value, description: &str| json!({ "name": name, "in": "query", "required": false, "schema": schema, "description": description });
    let actions: Vec<&str> =
        AUDIT_ACTIONS.iter().chain(AUDIT_AREAS).map(|(action, _)| *action).collect();
    let mut parameters = vec![
        query(
            "target",
            json!({ "type": "string" }),
            "Only the entries about this (a group id, an email, a run id)",
        ),
        query(
            "actor",
            json!({ "type": "string" }),
            "Only the entries by actors whose name contains this (case-insensitive)",
        ),
        query(
            "action",
            json!({ "type": "string", "enum": actions }),
            "Only the entries of this action, or of every action of this area",
        ),
        query(
            "from",
            json!({ "type": "string", "format": "date" }),
            "Only the entries on or after this day (UTC)",
        ),
        query(
            "to",
            json!({ "type": "string", "format": "date" }),
            "Only the entries on or before this day (UTC)",
        ),
    ];
    if endpoint == Endpoint::ListAudit {
        parameters.push(query(
            "before",
            json!({ "type": "integer", "minimum": 1 }),
            "Entries older than this one: the `next_before` of the page before",
        ));
        parameters.push(query(
            "limit",
            json!({ "type": "integer", "minimum": 1, "maximum": 200, "default": 50 }),
            "Entries per page",
        ));
    }
    parameters
}

/// The access check's query parameters (`service::access_check::parse_check_query`).
fn access_check_parameters(requests: &mut SchemaGenerator) -> Vec<Value> {
    let parameter = |name: &str, required: bool, schema: Value, description: &str| json!({ "name": name, "in": "query", "required": required, "schema": schema, "description": description });
    let text = || json!({ "type": "string" });
    vec![
        parameter(
            "email",
            true,
            json!({ "type": "string", "format": "email" }),
            "The person's email",
        ),
        parameter(
            "permission",
            true,
            requests.subschema_for::<PermissionName>().to_value(),
            "A permission of this app (such as read_groups) or of the relying app (such as runbooks.execute)",
        ),
        parameter(
            "resource",
            false,
            requests.subschema_for::<ResourcePath>().to_value(),
            "The resource, as kind:/path (such as folder:/prod/db); absent: none in particular, which only grants everywhere answer",
        ),
        parameter(
            "as_if_member_of",
            false,
            text(),
            "Answer as if the person were also in this group (its id)",
        ),
        parameter(
            "as_if_not_member_of",
            false,
            text(),
            "Answer as if the person were not in this group (its id); not with as_if_member_of",
        ),
    ]
}

/// The one number the sync runs' listing (`page`) and a webhook endpoint's deliveries (`limit`)
/// read from their query, with the bounds their handlers check.
fn numbered_parameters(endpoint: Endpoint) -> Vec<Value> {
    let (name, maximum, default, description) = match endpoint {
        Endpoint::ListSyncRuns => (
            "page",
            MAX_SYNC_RUNS_PAGE,
            1,
            format!("The page, from 1 ({SYNC_RUNS_PER_PAGE} runs each)"),
        ),
        _ => (
            "limit",
            MOST_DELIVERIES_SHOWN,
            DELIVERIES_SHOWN,
            "The deliveries shown, newest first".to_owned(),
        ),
    };
    vec![json!({
        "name": name,
        "in": "query",
        "required": false,
        "schema": { "type": "integer", "minimum": 1, "maximum": maximum, "default": default },
        "description": description,
    })]
}

/// A path parameter, with the schema of what its handler parses it as.
fn path_parameter(name: &str, requests: &mut SchemaGenerator) -> Value {
    let (schema, description) = match name {
        "email" => (
            json!({ "type": "string", "format": "email" }),
            "An email address (any case; compared trimmed and lowercased)",
        ),
        "key" => (requests.subschema_for::<RoleKey>().to_value(), "A role's key"),
        "name" => (requests.subschema_for::<PermissionName>().to_value(), "A permission's name"),
        "common_name" => (json!({ "type": "string" }), "The service token's Client ID"),
        "message_id" => (json!({ "type": "string" }), "The event's message id, as listed"),
        _ => (json!({ "type": "string" }), "The id, as listed"),
    };
    json!({ "name": name, "in": "path", "required": true, "schema": schema, "description": description })
}

/// The query parameters of a paged listing, from the paging its handler validates with.
fn query_parameters(endpoint: Endpoint, requests: &mut SchemaGenerator) -> Vec<Value> {
    let (paging, noun) = match endpoint {
        Endpoint::ListAudit | Endpoint::ExportAudit => return audit_parameters(endpoint),
        Endpoint::CheckAccess => return access_check_parameters(requests),
        Endpoint::ListSyncRuns | Endpoint::ListWebhookDeliveries => {
            return numbered_parameters(endpoint);
        }
        Endpoint::ListGroups => (GROUP_PAGING, "groups"),
        Endpoint::ListGroupMembers => (MEMBER_PAGING, "members"),
        Endpoint::ListUsers => (PEOPLE_PAGING, "users"),
        Endpoint::ListInvitations => (PEOPLE_PAGING, "invitations"),
        _ => return Vec::new(),
    };
    let query = |name: &str, schema: Value, description: String| json!({ "name": name, "in": "query", "required": false, "schema": schema, "description": description });
    let mut parameters = vec![
        query(
            "q",
            json!({ "type": "string", "maxLength": MAX_SEARCH_BYTES }),
            format!(
                "Only the {noun} whose text contains this (case-insensitive; at most \
                 {MAX_SEARCH_BYTES} bytes of UTF-8, where % _ \\ count twice)"
            ),
        ),
        query(
            "per_page",
            json!({ "type": "integer", "minimum": 1, "maximum": paging.max_per_page, "default": paging.default_per_page }),
            format!("The {noun} per page"),
        ),
    ];
    parameters.push(if paging.keyset {
        query(
            "after",
            json!({ "type": "string" }),
            "Where the page starts: the `next_after` of the page before (absent: the first page)"
                .to_owned(),
        )
    } else {
        query(
            "page",
            json!({ "type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1 }),
            "The page, from 1".to_owned(),
        )
    });
    if endpoint == Endpoint::ListGroups {
        parameters.push(query(
            "sort",
            json!({ "type": "string", "enum": GROUP_SORTS, "default": "name" }),
            "The order: by name, member count or source (`-`: descending)".to_owned(),
        ));
    }
    parameters
}

fn secured() -> Value {
    json!([{ "access": [] }, { "apiKey": [] }])
}

fn operation_id(endpoint: Endpoint) -> String {
    let debug = format!("{endpoint:?}");
    let mut id = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            id.push('_');
        }
        id.push(c.to_ascii_lowercase());
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_every_route_once_with_its_method() {
        let doc = document();
        let mut operations = 0;
        for route in ROUTES {
            let operation = &doc["paths"][route.pattern][route.method.as_str().to_lowercase()];
            assert!(operation.is_object(), "{} {}", route.method, route.pattern);
            operations += 1;
        }
        let listed: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|item| item.as_object().unwrap().len())
            .sum();
        assert_eq!(listed, operations, "nothing listed that is not served");
    }

    #[test]
    fn operation_ids_are_snake_case_and_unique() {
        let doc = document();
        let mut ids = std::collections::HashSet::new();
        for item in doc["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                let id = operation["operationId"].as_str().unwrap().to_owned();
                assert!(id.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{id}");
                assert!(ids.insert(id));
            }
        }
        assert!(ids.contains("set_group_roles") && ids.contains("get_user_access"));
    }

    #[test]
    fn path_parameters_carry_the_schema_their_handler_parses() {
        let doc = document();
        let parameter =
            |path: &str, method: &str| doc["paths"][path][method]["parameters"][0].clone();
        let email = parameter("/api/v1/users/{email}/access", "get");
        assert_eq!(email["schema"]["format"], "email", "{email}");
        let key = parameter("/api/v1/roles/{key}", "put");
        assert_eq!(key["schema"]["$ref"], "#/components/schemas/RoleKey", "{key}");
        let name = parameter("/api/v1/permissions/{name}", "delete");
        assert_eq!(name["schema"]["$ref"], "#/components/schemas/PermissionName", "{name}");
        for item in doc["paths"].as_object().expect("paths").values() {
            for operation in item.as_object().expect("operations").values() {
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    assert!(parameter["description"].is_string(), "{parameter}");
                }
            }
        }
    }

    #[test]
    fn the_paged_listings_document_their_query_with_its_bounds() {
        let doc = document();
        let names = |path: &str| -> Vec<String> {
            doc["paths"][path]["get"]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["in"] == "query")
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(names("/api/v1/groups"), ["q", "per_page", "page", "sort"]);
        assert_eq!(names("/api/v1/groups/{id}/members"), ["q", "per_page", "after"]);
        assert_eq!(names("/api/v1/users"), ["q", "per_page", "page"]);
        assert_eq!(names("/api/v1/invitations"), ["q", "per_page", "page"]);
        let members = &doc["paths"]["/api/v1/groups/{id}/members"]["get"]["parameters"];
        assert_eq!(members[0]["name"], "id", "the path parameter comes first");
        assert_eq!(members[2]["schema"]["maximum"], 200);
        assert_eq!(members[2]["schema"]["default"], 50);
        // Whatever the document names, the listing's parser accepts.
        for (path, paging) in
            [("/api/v1/groups/{id}/members", MEMBER_PAGING), ("/api/v1/users", PEOPLE_PAGING)]
        {
            let pairs: Vec<(String, String)> = names(path)
                .into_iter()
                .map(|name| {
                    let value = if name == "after" { "61.62" } else { "1" };
                    (name, value.to_owned())
                })
                .collect();
            assert!(
                crate::http::listing::parse(&pairs, paging, |_, _| Ok(false)).is_ok(),
                "{path}"
            );
        }
    }

    #[test]
    fn health_and_sync_status_describe_their_bodies_and_health_no_sentence() {
        let doc = document();
        let health = &doc["paths"]["/api/v1/health"]["get"]["responses"];
        let schema = "#/components/schemas/HealthResponse";
        assert_eq!(health["200"]["content"]["application/json"]["schema"]["$ref"], schema);
        assert_eq!(health["503"]["content"]["application/json"]["schema"]["$ref"], schema);
        let status = &doc["paths"]["/api/v1/sync/status"]["get"];
        assert_eq!(status["description"], "superAdmins.");
        // The schema names exactly the fields the Worker sends.
        let keys = |value: &Value| -> Vec<String> {
            let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
            keys.sort_unstable();
            keys
        };
        let sent = groupsync_core::api::SyncHealth::new(true, 1, None, None);
        let documented = &doc["components"]["schemas"]["SyncHealth"]["properties"];
        assert_eq!(keys(documented), keys(&serde_json::to_value(sent).unwrap()));
    }

    #[test]
    fn every_operation_names_its_bodies_and_every_reference_resolves() {
        let doc = document();
        for route in ROUTES {
            let operation = &doc["paths"][route.pattern][route.method.as_str().to_lowercase()];
            let name = format!("{} {}", route.method, route.pattern);
            let responses = operation["responses"].as_object().unwrap();
            let success: Vec<&String> = responses.keys().filter(|k| k.starts_with('2')).collect();
            assert!(!success.is_empty(), "{name}: a success status");
            let Exchange { request, success: (_, response), .. } = exchange(route.endpoint);
            assert_eq!(request.is_some(), operation["requestBody"].is_object(), "{name}");
            if response.is_some() {
                let body = &responses[success[0].as_str()]["content"]["application/json"];
                assert!(body["schema"].is_object(), "{name}: its success body");
            }
        }
        // Every `$ref` points at a schema of the document.
        let text = doc.to_string();
        let prefix = "\"$ref\":\"#/components/schemas/";
        for piece in text.split(prefix).skip(1) {
            let target = &piece[..piece.find('"').unwrap()];
            assert!(doc["components"]["schemas"][target].is_object(), "{target} is defined");
        }
    }

    /// The document the Worker serves is the one the code makes: a route, a wire type or a
    /// parameter changed without `edge/openapi.json` fails here. `UPDATE_OPENAPI=1` writes it.
    #[test]
    fn the_served_document_is_the_generated_one() {
        let generated = document();
        let text = serde_json::to_string_pretty(&generated).unwrap() + "\n";
        if updated(DOCUMENT_FILE, &text) {
            return;
        }
        let served: Value = serde_json::from_str(super::super::DOCUMENT).unwrap();
        assert!(served == generated, "{}", stale(DOCUMENT_FILE));
    }

    /// The reference for people is the document's: `docs/api.md` changes with it.
    #[test]
    fn the_reference_is_the_generated_one() {
        let rendered = super::super::reference::markdown(&document());
        if updated(REFERENCE_FILE, &rendered) {
            return;
        }
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(REFERENCE_FILE);
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(committed == rendered, "{}", stale(REFERENCE_FILE));
    }

    /// With `UPDATE_OPENAPI` set, writes `text` to `file` (from the crate's root) and says so.
    fn updated(file: &str, text: &str) -> bool {
        if std::env::var_os("UPDATE_OPENAPI").is_none() {
            return false;
        }
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        std::fs::write(path, text).unwrap();
        true
    }

    fn stale(file: &str) -> String {
        format!(
            "edge/{file} is not what the code generates: run \
             `UPDATE_OPENAPI=1 cargo test -p edge openapi` and commit it"
        )
    }
}
