//! Closed sets of strings as OpenAPI tools read them.
//!
//! `schemars` writes an enum whose variants carry doc comments as `oneOf` one `const` per value,
//! so that each value keeps its description. Generators of typed clients read `enum` (an
//! `enum` becomes a literal type or an enum class); a `oneOf` of `const`s becomes a chain of
//! checks, and openapi-python-client 0.29 generates one that accepts only the first value. So the
//! document writes every such set as `enum`, and each value's description moves into the set's
//! own, as a list.

use schemars::Schema;
use serde_json::{Map, Value};

/// The members a `oneOf` branch may have for the set to be rewritten: a string constant and its
/// description, nothing that would be lost.
const VALUE_MEMBERS: [&str; 3] = ["const", "type", "description"];

/// Rewrites `schema` as `enum` when it is a `oneOf` of string constants (see the module).
pub(super) fn closed_set_as_enum(schema: &mut Schema) {
    let Some(object) = schema.as_object_mut() else { return };
    let branches = object.get("oneOf").and_then(Value::as_array).map(Vec::as_slice);
    let Some(values) = branches.and_then(string_values) else {
        return;
    };
    let meanings: Vec<String> = values
        .iter()
        .filter_map(|(value, meaning)| Some(format!("- `{value}`: {}", meaning.as_ref()?)))
        .collect();
    object.remove("oneOf");
    object.insert("type".to_owned(), Value::from("string"));
    object.insert(
        "enum".to_owned(),
        values.iter().map(|(value, _)| Value::from(value.as_str())).collect(),
    );
    if !meanings.is_empty() {
        let described = match object.get("description").and_then(Value::as_str) {
            Some(description) => format!("{description}\n\n{}", meanings.join("\n")),
            None => meanings.join("\n"),
        };
        object.insert("description".to_owned(), Value::from(described));
    }
}

/// Each branch's value and description, when every branch is a string constant.
fn string_values(branches: &[Value]) -> Option<Vec<(String, Option<String>)>> {
    branches
        .iter()
        .map(|branch| {
            let branch: &Map<String, Value> = branch.as_object()?;
            let only_a_value = branch.keys().all(|key| VALUE_MEMBERS.contains(&key.as_str()));
            let value = branch.get("const")?.as_str()?;
            let is_string = branch.get("type").is_none_or(|t| t == "string");
            (only_a_value && is_string).then(|| {
                (
                    value.to_owned(),
                    branch.get("description").and_then(Value::as_str).map(str::to_owned),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rewritten(value: Value) -> Value {
        let mut schema = Schema::try_from(value).expect("a schema");
        closed_set_as_enum(&mut schema);
        schema.to_value()
    }

    #[test]
    fn a_one_of_of_string_constants_becomes_an_enum_with_each_meaning_listed() {
        let set = json!({
            "description": "Where a run is.",
            "oneOf": [
                { "const": "running", "type": "string", "description": "Under way." },
                { "const": "failed", "type": "string" },
            ],
        });
        assert_eq!(
            rewritten(set),
            json!({
                "description": "Where a run is.\n\n- `running`: Under way.",
                "type": "string",
                "enum": ["running", "failed"],
            })
        );
    }

    #[test]
    fn a_one_of_that_is_not_only_string_constants_is_kept() {
        let tagged = json!({ "oneOf": [
            { "const": "a", "type": "string" },
            { "type": "object", "properties": { "reason": { "const": "b" } } },
        ] });
        assert_eq!(rewritten(tagged.clone()), tagged);
        let numbers = json!({ "oneOf": [{ "const": 1, "type": "integer" }] });
        assert_eq!(rewritten(numbers.clone()), numbers);
        let with_more =
            json!({ "oneOf": [{ "const": "a", "type": "string", "deprecated": true }] });
        assert_eq!(rewritten(with_more.clone()), with_more);
    }

    /// Whether `value` holds a closed set left as a `oneOf` of string constants.
    fn holds_a_constant_one_of(value: &Value) -> bool {
        match value {
            Value::Object(map) => {
                let branches = map.get("oneOf").and_then(Value::as_array).map(Vec::as_slice);
                branches.and_then(string_values).is_some()
                    || map.values().any(holds_a_constant_one_of)
            }
            Value::Array(items) => items.iter().any(holds_a_constant_one_of),
            _ => false,
        }
    }

    #[test]
    fn the_document_writes_every_closed_set_as_an_enum() {
        let document: Value =
            serde_json::from_str(crate::http::openapi::DOCUMENT).expect("the document is JSON");
        assert!(!holds_a_constant_one_of(&document));
        let permission = &document["components"]["schemas"]["Permission"];
        assert_eq!(permission["enum"][0], "read_groups", "{permission}");
    }
}
