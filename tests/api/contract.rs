//! The served OpenAPI document against the Worker's real answers: each body the screens' and the
//! relying apps' reads get, and a problem, is valid against the schema the document gives its
//! operation and status, and holds no member the document lacks. The document is generated from
//! the wire types (`edge/src/http/openapi`); this is the check that the handlers answer with them.

use jsonschema::Validator;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::sync::{TURN, prepared};
use crate::world::World;

/// The served document, and validators made from it.
struct Document(Value);

impl Document {
    /// A validator of the body `operation` (`"get /api/v1/…"`) answers with `status`, strict: an
    /// object may hold only the members its schema names. The document lists every status an
    /// operation answers, problems too (there is no catch-all): one it lacks fails here.
    fn validator(&self, operation: &str, status: &str) -> Validator {
        let (method, pattern) = operation.split_once(' ').expect("\"method path\"");
        let answer = &self.0["paths"][pattern][method]["responses"][status];
        assert!(answer.is_object(), "{operation} does not document the status {status}");
        let content = &answer["content"];
        let schema = content["application/json"]["schema"]
            .as_object()
            .or_else(|| content["application/problem+json"]["schema"].as_object())
            .unwrap_or_else(|| panic!("{operation} documents no JSON body for {status}"));
        let mut components = self.0["components"].clone();
        strict(&mut components["schemas"]);
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": components,
            "allOf": [schema],
        });
        jsonschema::draft202012::new(&root).expect("the document's schemas compile")
    }
}

/// Every object schema with named members refuses members it does not name.
fn strict(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("unevaluatedProperties".to_owned(), Value::Bool(false));
            }
            map.values_mut().for_each(strict);
        }
        Value::Array(items) => items.iter_mut().for_each(strict),
        _ => {}
    }
}

#[tokio::test]
async fn every_read_answers_as_the_document_describes() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let document = Document(app.get("/api/v1/openapi.json").await.json().await.unwrap());
    let truth = control.truth();
    let group = truth.groups.iter().max_by_key(|g| g.members.len()).expect("a group");
    let member = &group.members[0].login;
    let runs: Value = root.get("/api/v1/sync/runs").await.json().await.unwrap();
    let run = runs["runs"][0]["id"].as_str().expect("a run").to_owned();
    let reads = [
        ("get /api/v1/me", "/api/v1/me".to_owned()),
        ("get /api/v1/roles", "/api/v1/roles".to_owned()),
        ("get /api/v1/permissions", "/api/v1/permissions".to_owned()),
        ("get /api/v1/settings/okta", "/api/v1/settings/okta".to_owned()),
        ("get /api/v1/settings/okta/event-hook", "/api/v1/settings/okta/event-hook".to_owned()),
        ("get /api/v1/super-admins", "/api/v1/super-admins".to_owned()),
        ("get /api/v1/api-keys", "/api/v1/api-keys".to_owned()),
        ("get /api/v1/service-tokens", "/api/v1/service-tokens".to_owned()),
        ("get /api/v1/webhooks", "/api/v1/webhooks".to_owned()),
        ("get /api/v1/groups", "/api/v1/groups?per_page=5".to_owned()),
        ("get /api/v1/groups/{id}", format!("/api/v1/groups/{}", group.id)),
        (
            "get /api/v1/groups/{id}/members",
            format!("/api/v1/groups/{}/members?per_page=5", group.id),
        ),
        ("get /api/v1/sync/runs", "/api/v1/sync/runs".to_owned()),
        ("get /api/v1/sync/runs/{id}", format!("/api/v1/sync/runs/{run}")),
        ("get /api/v1/sync/status", "/api/v1/sync/status".to_owned()),
        ("get /api/v1/users", "/api/v1/users?per_page=5".to_owned()),
        ("get /api/v1/invitations", "/api/v1/invitations".to_owned()),
        ("get /api/v1/users/{email}/access", format!("/api/v1/users/{member}/access")),
        (
            "get /api/v1/access/check",
            format!("/api/v1/access/check?email={member}&permission=read_groups"),
        ),
        ("get /api/v1/audit", "/api/v1/audit?limit=20".to_owned()),
        ("get /api/v1/health", "/api/v1/health".to_owned()),
        // A problem, as the document lists it under its status.
        ("get /api/v1/groups/{id}", "/api/v1/groups/00gnosuchgroup".to_owned()),
    ];
    for (operation, path) in reads {
        let response = root.get(&path).await;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        if path.ends_with("nosuchgroup") {
            assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        } else {
            assert!(status.is_success(), "{path}: {status} {body}");
        }
        let validator = document.validator(operation, status.as_str());
        let errors: Vec<String> =
            validator.iter_errors(&body).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{path} ({status}) is not as documented: {errors:#?}\n{body}");
    }
}
