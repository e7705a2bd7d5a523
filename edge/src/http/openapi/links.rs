//! The document's links: where an operation's answer names something another operation takes
//! in its path (a started run's id, a new webhook endpoint's id). A client learns the API's
//! workflows from them, and Schemathesis follows them (its stateful phase), reaching
//! operations whose ids it could not guess otherwise.

use serde_json::{Map, Value, json};

use crate::http::routes::Endpoint;

/// A link from an answer to an operation: the operation, the path parameter it fills, and the
/// runtime expression of the value (a JSON pointer into the answer's body, or the request's).
pub(super) struct Link {
    /// The operation the value is for.
    pub(super) to: Endpoint,
    /// Its path parameter.
    pub(super) parameter: &'static str,
    /// Where the value is: `$response.body#/…` or `$request.body#/…`.
    pub(super) value: &'static str,
}

const fn link(to: Endpoint, parameter: &'static str, value: &'static str) -> Link {
    Link { to, parameter, value }
}

/// The links from `endpoint`'s success answer.
pub(super) fn links(endpoint: Endpoint) -> Vec<Link> {
    use Endpoint as E;
    match endpoint {
        E::StartSync => {
            let run = "$response.body#/run/id";
            vec![
                link(E::GetSyncRun, "id", run),
                link(E::ConfirmSyncRun, "id", run),
                link(E::DiscardSyncRun, "id", run),
            ]
        }
        E::CreateGroup => {
            let group = "$response.body#/id";
            vec![
                link(E::GetGroup, "id", group),
                link(E::ListGroupMembers, "id", group),
                link(E::SetGroupRoles, "id", group),
            ]
        }
        E::CreateInvitation => {
            let email = "$response.body#/invitation/email";
            vec![link(E::RevokeInvitation, "email", email), link(E::GetUserAccess, "email", email)]
        }
        E::CreateRole => {
            let key = "$response.body#/key";
            vec![
                link(E::UpdateRole, "key", key),
                link(E::RoleImpact, "key", key),
                link(E::DeleteRole, "key", key),
            ]
        }
        E::RegisterPermission => vec![link(E::RemovePermission, "name", "$response.body#/name")],
        E::CreateApiKey => vec![link(E::RevokeApiKey, "id", "$response.body#/key/id")],
        E::RegisterServiceToken => {
            vec![link(E::RevokeServiceToken, "common_name", "$response.body#/common_name")]
        }
        E::GrantSuperAdmin => vec![link(E::RevokeSuperAdmin, "email", "$request.body#/email")],
        E::CreateWebhook => {
            let id = "$response.body#/endpoint/id";
            vec![link(E::ListWebhookDeliveries, "id", id), link(E::DeleteWebhook, "id", id)]
        }
        _ => Vec::new(),
    }
}

/// `links` as the document writes them, named by the target's `operationId`.
pub(super) fn document_links(links: &[Link], operation_id: impl Fn(Endpoint) -> String) -> Value {
    let mut named = Map::new();
    for link in links {
        let id = operation_id(link.to);
        named.insert(
            id.clone(),
            json!({ "operationId": id, "parameters": { link.parameter: link.value } }),
        );
    }
    Value::Object(named)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema a JSON pointer reaches from `schema`, following `$ref`s and `properties`.
    fn reach<'a>(doc: &'a Value, mut schema: &'a Value, pointer: &str) -> Option<&'a Value> {
        for member in pointer.split('/').filter(|segment| !segment.is_empty()) {
            while let Some(reference) = schema["$ref"].as_str() {
                schema = doc.pointer(reference.strip_prefix('#')?)?;
            }
            schema = schema["properties"].get(member)?;
        }
        Some(schema)
    }

    /// Every operation of the document with its method and path.
    fn operations(doc: &Value) -> Vec<(String, &Value)> {
        let paths = doc["paths"].as_object().expect("paths");
        paths
            .iter()
            .flat_map(|(path, item)| {
                let methods = item.as_object().expect("operations");
                methods
                    .iter()
                    .map(move |(method, operation)| (format!("{method} {path}"), operation))
            })
            .collect()
    }

    #[test]
    fn every_link_fills_a_path_parameter_of_its_target_from_a_member_that_exists() {
        let doc = super::super::generate::document();
        let all = operations(&doc);
        let mut count = 0;
        for (name, operation) in &all {
            for answer in operation["responses"].as_object().expect("responses").values() {
                for link in answer["links"].as_object().into_iter().flatten().map(|(_, l)| l) {
                    count += 1;
                    let target = &link["operationId"];
                    let (_, to) = all
                        .iter()
                        .find(|(_, candidate)| candidate["operationId"] == *target)
                        .unwrap_or_else(|| panic!("{name}: no operation {target}"));
                    for (parameter, value) in link["parameters"].as_object().expect("parameters") {
                        let in_path = to["parameters"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|p| p["in"] == "path" && p["name"] == parameter.as_str());
                        assert!(in_path, "{name} → {target}: no path parameter {parameter}");
                        let value = value.as_str().expect("an expression");
                        let (source, pointer) = if let Some(p) =
                            value.strip_prefix("$response.body#")
                        {
                            (&answer["content"]["application/json"]["schema"], p)
                        } else if let Some(p) = value.strip_prefix("$request.body#") {
                            (&operation["requestBody"]["content"]["application/json"]["schema"], p)
                        } else {
                            panic!("{name}: {value} is not a body pointer");
                        };
                        let reached = reach(&doc, source, pointer)
                            .unwrap_or_else(|| panic!("{name}: {value} names no member"));
                        assert!(reached.is_object(), "{name}: {value}");
                    }
                }
            }
        }
        assert!(count >= 10, "{count} links");
    }
}
