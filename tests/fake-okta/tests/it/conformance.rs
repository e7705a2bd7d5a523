//! The fake's bodies validate against the schemas of Okta's official OpenAPI spec (vendored in
//! `spec/`), converted from the OpenAPI 3.0 dialect to JSON Schema 2020-12.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use fake_okta::{TenantSize, UserStatus};
use jsonschema::Validator;
use serde_json::{Value, json};

use crate::helpers::{collect, get, get_as, start};

/// `components.schemas` of the spec, converted; parsed once per test binary.
static SCHEMAS: LazyLock<Value> = LazyLock::new(|| {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/management-minimal.yaml");
    let text = std::fs::read_to_string(path).expect("the vendored spec is readable");
    let spec: Value = serde_norway::from_str(&text).expect("the spec is valid YAML");
    let mut schemas = spec["components"]["schemas"].clone();
    convert(&mut schemas);
    patch_known_defects(&mut schemas);
    schemas
});

static VALIDATORS: LazyLock<Mutex<HashMap<String, &'static Validator>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// OpenAPI 3.0 → JSON Schema: `nullable: true` becomes a `null` alternative. `$ref`s to
/// `#/components/schemas/…` resolve as they are, because the schemas are validated inside a
/// document of that shape; `discriminator`, `readOnly`, `example` and `x-…` are annotations
/// that JSON Schema ignores.
fn convert(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                // Examples are data, not schemas (some contain literal `$ref`s).
                if key != "example" && key != "examples" {
                    convert(child);
                }
            }
            if map.remove("nullable") == Some(Value::Bool(true)) {
                match map.get("type").cloned() {
                    Some(Value::String(t)) => {
                        map.insert("type".into(), json!([t, "null"]));
                        if let Some(Value::Array(values)) = map.get_mut("enum") {
                            values.push(Value::Null);
                        }
                    }
                    _ => {
                        let inner = Value::Object(std::mem::take(map));
                        map.insert("anyOf".into(), json!([inner, { "type": "null" }]));
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(convert),
        _ => {}
    }
}

/// Where the spec contradicts documented Okta behaviour, the schema is corrected here, narrowly
/// and with the reason, rather than bending the fake's output.
fn patch_known_defects(schemas: &mut Value) {
    // CONTRACT §2.1: a group's `description` "can be absent or null" (real Okta sends
    // `"description": null` for groups created without one), but `OktaUserGroupProfile` and
    // `OktaActiveDirectoryGroupProfile` declare it as a non-nullable string.
    for profile in ["OktaUserGroupProfile", "OktaActiveDirectoryGroupProfile"] {
        let description = &mut schemas[profile]["properties"]["description"];
        if description.is_object() {
            description["type"] = json!(["string", "null"]);
        }
    }
}

fn validator(schema_name: &str) -> &'static Validator {
    let mut cache = VALIDATORS.lock().expect("validator cache");
    cache.entry(schema_name.to_owned()).or_insert_with(|| {
        let root = json!({
            "$ref": format!("#/components/schemas/{schema_name}"),
            "components": { "schemas": SCHEMAS.clone() },
        });
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("schema {schema_name} compiles: {e}"));
        Box::leak(Box::new(validator))
    })
}

#[track_caller]
fn assert_valid(schema_name: &str, instance: &Value) {
    let errors: Vec<String> = validator(schema_name)
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema_name} violations: {errors:#?}\nin {instance:#}");
}

/// `Application` is polymorphic on `signOnMode` (a `discriminator` JSON Schema does not
/// apply): validate against the mapped schema, as an OpenAPI validator would.
fn assert_valid_application(app: &Value) {
    let mode = app["signOnMode"].as_str().expect("signOnMode");
    let mapping = &SCHEMAS["Application"]["discriminator"]["mapping"][mode];
    let target = mapping.as_str().expect("mapped schema").rsplit('/').next().expect("name");
    assert_valid(target, app);
}

#[tokio::test]
async fn apps_match_the_schema_their_sign_on_mode_maps_to() {
    let fake = start(TenantSize::Demo, 7).await;
    let info = fake.info();
    for (id, mode) in [
        (&info.app_id, "SAML_2_0"),
        (&info.oidc_app_id, "OPENID_CONNECT"),
        (&info.inactive_app_id, "SAML_2_0"),
    ] {
        let app: Value = get(&fake, &format!("/api/v1/apps/{id}")).await.json().await.unwrap();
        assert_eq!(app["signOnMode"], mode);
        assert_valid_application(&app);
    }
}

#[tokio::test]
async fn app_group_assignments_and_embedded_groups_match_the_spec() {
    let fake = start(TenantSize::S, 7).await;
    let url = format!(
        "{}/api/v1/apps/{}/groups?limit=200&expand=group",
        fake.base_url(),
        fake.info().app_id
    );
    let (items, _) = collect(&fake, &url).await;
    assert_eq!(items.len(), 50);
    for item in &items {
        assert_valid("ApplicationGroupAssignment", item);
        assert_valid("Group", &item["_embedded"]["group"]);
    }
    let types: Vec<&str> =
        items.iter().filter_map(|i| i["_embedded"]["group"]["type"].as_str()).collect();
    assert!(
        types.contains(&"APP_GROUP") && types.contains(&"OKTA_GROUP"),
        "both kinds are checked"
    );
}

#[tokio::test]
async fn groups_and_their_members_match_the_spec() {
    let fake = start(TenantSize::S, 7).await;
    let mut statuses = std::collections::BTreeSet::new();
    for group in fake.control().truth().groups.iter().take(20) {
        let body: Value =
            get(&fake, &format!("/api/v1/groups/{}", group.id)).await.json().await.unwrap();
        assert_valid("Group", &body);
        let url = format!("{}/api/v1/groups/{}/users?limit=200", fake.base_url(), group.id);
        for user in collect(&fake, &url).await.0 {
            assert_valid("User", &user);
            statuses.insert(user["status"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(statuses.len(), UserStatus::ALL.len(), "users of every status were checked");
}

#[tokio::test]
async fn users_search_get_and_user_groups_match_the_spec() {
    let fake = start(TenantSize::Demo, 7).await;
    let users: Value = get(&fake, "/api/v1/users?limit=200").await.json().await.unwrap();
    for user in users.as_array().unwrap() {
        assert_valid("User", user);
    }
    let found: Value =
        get(&fake, "/api/v1/users?search=profile.email%20eq%20%22admin%40example.com%22")
            .await
            .json()
            .await
            .unwrap();
    assert_valid("User", &found[0]);
    let one: Value = get(&fake, "/api/v1/users/admin@example.com").await.json().await.unwrap();
    assert_valid("User", &one);
    let groups: Value =
        get(&fake, "/api/v1/users/admin@example.com/groups").await.json().await.unwrap();
    for group in groups.as_array().unwrap() {
        assert_valid("Group", group);
    }
}

#[tokio::test]
async fn error_bodies_match_the_spec() {
    let fake = start(TenantSize::Demo, 7).await;
    let base = fake.base_url();
    let restricted = format!("SSWS {}", fake.info().restricted_token);
    let responses = [
        get_as(&format!("{base}/api/v1/apps/x"), None).await,
        get_as(&format!("{base}/api/v1/users"), Some(&restricted)).await,
        get(&fake, "/api/v1/groups/00gnothere").await,
        get(&fake, "/api/v1/users?search=nonsense").await,
        get(&fake, &format!("/api/v1/apps/{}/groups?limit=5", fake.info().app_id)).await,
    ];
    for response in responses {
        let body: Value = response.json().await.unwrap();
        assert_valid("Error", &body);
    }
}
