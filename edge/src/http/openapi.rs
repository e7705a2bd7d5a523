//! The OpenAPI document of the edge API, made from the route table, so that it lists exactly
//! the routes the Worker serves, with who may call each.

use groupsync_core::domain::{AUDIT_ACTIONS, AUDIT_AREAS};
use serde_json::{Map, Value, json};

use crate::http::listing::{
    GROUP_PAGING, GROUP_SORTS, MAX_PAGE, MAX_SEARCH_BYTES, MEMBER_PAGING, PEOPLE_PAGING,
};
use crate::http::routes::{Endpoint, ROUTES};
use crate::service::access::Access;

/// The document (`GET /api/v1/openapi.json`).
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let parameters: Vec<Value> = route
            .pattern
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
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
        let mut operation = json!({
            "operationId": operation_id(route.endpoint),
            "summary": route.summary,
            "description": who,
            "security": security,
            "responses": {
                "2XX": { "description": "Success", "content": { "application/json": {} } },
                "default": { "description": "A problem", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
            }
        });
        if route.endpoint == Endpoint::ExportAudit {
            operation["responses"]["2XX"]["content"] =
                json!({ "text/csv": { "schema": { "type": "string" } } });
        }
        if let Some(schema) = response_schema(route.endpoint) {
            let body = json!({ "schema": { "$ref": format!("#/components/schemas/{schema}") } });
            operation["responses"]["2XX"]["content"]["application/json"] = body.clone();
            if route.endpoint == Endpoint::Health {
                operation["responses"]["503"] = json!({
                    "description": "Degraded: D1 did not answer",
                    "content": { "application/json": body }
                });
            }
        }
        let parameters: Vec<Value> =
            parameters.into_iter().chain(query_parameters(route.endpoint)).collect();
        if !parameters.is_empty() {
            operation["parameters"] = Value::Array(parameters);
        }
        if matches!(route.method.as_str(), "POST" | "PUT") {
            operation["requestBody"] =
                json!({ "required": true, "content": { "application/json": {} } });
        }
        let item = paths.entry(route.pattern).or_insert_with(|| json!({}));
        item[route.method.as_str().to_lowercase()] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Okta Groups Sync edge API", "version": groupsync_core::VERSION },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "access": { "type": "apiKey", "in": "header", "name": "Cf-Access-Jwt-Assertion" },
                "apiKey": { "type": "http", "scheme": "bearer" }
            },
            "schemas": {
                "SyncState": {
                    "type": "string",
                    "enum": ["ok", "failing", "never_run"],
                    "description": "Of the finished runs that were not dry runs: `failing` when the last one failed (whatever started it), `ok` when it succeeded, `never_run` when none has finished."
                },
                "SyncHealth": {
                    "type": "object",
                    "required": ["state", "failing_since", "failures", "last_error_code"],
                    "properties": {
                        "state": { "$ref": "#/components/schemas/SyncState" },
                        "failing_since": { "type": ["string", "null"], "format": "date-time", "description": "When the first run that failed after the last success ended" },
                        "failures": { "type": "integer", "description": "Runs failed in a row since the last success" },
                        "last_error_code": { "type": ["string", "null"], "description": "The last failure's stable code (okta_token_rejected, okta_unavailable, storage_failed, …)" }
                    }
                },
                "Health": {
                    "type": "object",
                    "required": ["status", "version", "database_ok", "schema_version", "sync"],
                    "properties": {
                        "status": { "type": "string", "enum": ["ok", "degraded"] },
                        "version": { "type": "string" },
                        "database_ok": { "type": "boolean" },
                        "schema_version": { "type": ["integer", "null"] },
                        "sync": {
                            "oneOf": [{ "$ref": "#/components/schemas/SyncHealth" }, { "type": "null" }],
                            "description": "Whether sync keeps failing (null when D1 did not answer); never a sentence or an id"
                        }
                    }
                },
                "SyncStatus": {
                    "description": "SyncHealth with the last failure in words (superAdmins only)",
                    "allOf": [
                        { "$ref": "#/components/schemas/SyncHealth" },
                        {
                            "type": "object",
                            "required": ["last_error"],
                            "properties": { "last_error": { "type": ["string", "null"], "description": "What failed and what to do" } }
                        }
                    ]
                },
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status", "detail", "code"],
                    "properties": {
                        "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" },
                        "detail": { "type": "string" }, "code": { "type": "string" },
                        "field": { "type": "string", "description": "The body member or query parameter the problem is about, by its API name (absent when it is about none)" }
                    }
                }
            }
        }
    })
}

/// The schema of an endpoint's success body, where the document describes it.
fn response_schema(endpoint: Endpoint) -> Option<&'static str> {
    match endpoint {
        Endpoint::Health => Some("Health"),
        Endpoint::GetSyncStatus => Some("SyncStatus"),
        _ => None,
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
fn access_check_parameters() -> Vec<Value> {
    let parameter = |name: &str, required: bool, description: &str| json!({ "name": name, "in": "query", "required": required, "schema": { "type": "string" }, "description": description });
    vec![
        parameter("email", true, "The person's email"),
        parameter(
            "permission",
            true,
            "A permission of this app (such as read_groups) or of the relying app (such as runbooks.execute)",
        ),
        parameter(
            "resource",
            false,
            "The resource, as kind:/path (such as folder:/prod/db); absent: none in particular, which only grants everywhere answer",
        ),
        parameter(
            "as_if_member_of",
            false,
            "Answer as if the person were also in this group (its id)",
        ),
        parameter(
            "as_if_not_member_of",
            false,
            "Answer as if the person were not in this group (its id); not with as_if_member_of",
        ),
    ]
}

/// The query parameters of a paged listing, from the paging its handler validates with.
fn query_parameters(endpoint: Endpoint) -> Vec<Value> {
    let (paging, noun) = match endpoint {
        Endpoint::ListAudit | Endpoint::ExportAudit => return audit_parameters(endpoint),
        Endpoint::CheckAccess => return access_check_parameters(),
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
        let schema = "#/components/schemas/Health";
        assert_eq!(health["2XX"]["content"]["application/json"]["schema"]["$ref"], schema);
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
}
