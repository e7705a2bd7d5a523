//! The OpenAPI document of the edge API, made from the route table, so that it lists exactly
//! the routes the Worker serves, with who may call each.

use serde_json::{Map, Value, json};

use crate::http::routes::{Access, ROUTES};

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
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status", "detail", "code"],
                    "properties": {
                        "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" },
                        "detail": { "type": "string" }, "code": { "type": "string" }
                    }
                }
            }
        }
    })
}

fn secured() -> Value {
    json!([{ "access": [] }, { "apiKey": [] }])
}

fn operation_id(endpoint: crate::http::routes::Endpoint) -> String {
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
}
