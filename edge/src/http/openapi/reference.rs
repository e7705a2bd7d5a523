//! The API reference for people (`docs/api.md`), rendered from the generated document: each
//! operation with who may call it, its parameters, its request body and its answers, then each
//! schema with its members and examples. Like the document, it is generated and checked, never hand-written.

use std::fmt::Write as _;

use serde_json::Value;

/// How the reference begins: what a client needs before the first call.
const PREAMBLE: &str = "# The edge API reference

Generated from [`edge/openapi.json`](../edge/openapi.json) (the document the Worker serves at
`/api/v1/openapi.json`) by `UPDATE_OPENAPI=1 cargo test -p edge openapi`; do not edit it by hand.

**Authentication.** A person signs in through Cloudflare Access, which sends the
`Cf-Access-Jwt-Assertion` header with every request; a program sends an API key
(`Authorization: Bearer <key>`, made by a superAdmin under Settings, with the permissions it
needs) or a registered Access service token. Every write also sends
`X-Requested-By: okta-groups-sync` and a JSON body. For example, with an API key:

```sh
curl -s -H \"Authorization: Bearer $GROUPSYNC_API_KEY\" \\
  \"https://groups.example.com/api/v1/access/check?email=ann%40example.com&permission=read_groups\"
```

Errors are `application/problem+json` with a stable `code` (see [`Problem`](#problem)). Each
operation lists every status it can answer with a problem, and the codes each carries; a `500`
(`internal`, `misconfigured`) is the service's own failure, listed nowhere.
";

/// The reference of `doc`.
pub(super) fn markdown(doc: &Value) -> String {
    let mut out = String::from(PREAMBLE);
    out.push_str("\n## Operations\n");
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            operation_section(&mut out, &method.to_uppercase(), path, operation);
        }
    }
    out.push_str("\n## Schemas\n");
    for (name, schema) in doc["components"]["schemas"].as_object().into_iter().flatten() {
        schema_section(&mut out, name, schema);
    }
    out
}

fn operation_section(out: &mut String, method: &str, path: &str, operation: &Value) {
    let _ = write!(
        out,
        "\n### `{method} {path}`\n\n{}. {} (`{}`)\n",
        text(&operation["summary"]),
        text(&operation["description"]),
        text(&operation["operationId"])
    );
    if let Some(parameters) = operation["parameters"].as_array() {
        out.push_str("\n| Parameter | In | Required | Type | Description |\n| --- | --- | --- | --- | --- |\n");
        for parameter in parameters {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                text(&parameter["name"]),
                text(&parameter["in"]),
                if parameter["required"] == true { "yes" } else { "no" },
                type_of(&parameter["schema"]),
                cell(&parameter["description"])
            );
        }
    }
    if let Some(body) = operation["requestBody"]["content"]["application/json"].get("schema") {
        let _ = writeln!(out, "\nRequest body (JSON): {}", type_of(body));
    }
    out.push_str("\n| Answer | Body |\n| --- | --- |\n");
    for (status, answer) in operation["responses"].as_object().into_iter().flatten() {
        let body =
            answer["content"].as_object().and_then(|content| content.iter().next()).map_or_else(
                || "none".to_owned(),
                |(media, body)| format!("{} (`{media}`)", type_of(&body["schema"])),
            );
        let _ = writeln!(out, "| {status}: {} | {body} |", lines(&answer["description"]));
    }
    let links: Vec<String> = operation["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, answer)| answer["links"].as_object())
        .flat_map(|links| links.values())
        .map(|link| {
            let filled: Vec<String> = link["parameters"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, value)| format!("`{name}` = `{}`", text(value)))
                .collect();
            format!("`{}` ({})", text(&link["operationId"]), filled.join(", "))
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !links.is_empty() {
        let _ = writeln!(out, "\nLeads to: {}.", links.join("; "));
    }
}

fn schema_section(out: &mut String, name: &str, schema: &Value) {
    let _ = writeln!(out, "\n### {name}\n");
    // Markdown already (a closed set's description lists its values).
    if let Some(description) = schema["description"].as_str() {
        let _ = writeln!(out, "{}\n", description.trim());
    }
    match schema["properties"].as_object() {
        Some(properties) => members_table(out, schema, properties),
        None => {
            let _ = writeln!(out, "{}", type_of(schema));
        }
    }
    for example in schema["examples"].as_array().into_iter().flatten() {
        let pretty = serde_json::to_string_pretty(example).unwrap_or_else(|_| example.to_string());
        let _ = writeln!(out, "\nExample:\n\n```json\n{pretty}\n```");
    }
}

fn members_table(out: &mut String, schema: &Value, properties: &serde_json::Map<String, Value>) {
    let required: Vec<&str> =
        schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    out.push_str("| Member | Type | Always there | Description |\n| --- | --- | --- | --- |\n");
    for (member, property) in properties {
        let _ = writeln!(
            out,
            "| `{member}` | {} | {} | {} |",
            type_of(property),
            if required.contains(&member.as_str()) { "yes" } else { "no" },
            cell(&property["description"])
        );
    }
}

/// A schema in a few words: its type, format and values, with links to named schemas.
fn type_of(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return format!("[`{name}`](#{})", name.to_lowercase());
    }
    for combined in ["anyOf", "oneOf", "allOf"] {
        if let Some(parts) = schema[combined].as_array() {
            let joiner = if combined == "allOf" { " and " } else { " or " };
            return parts.iter().map(type_of).collect::<Vec<_>>().join(joiner);
        }
    }
    if let Some(values) = schema["enum"].as_array() {
        let values: Vec<String> = values.iter().map(|v| format!("`{}`", text(v))).collect();
        return format!("one of {}", values.join(", "));
    }
    if let Some(value) = schema.get("const") {
        return format!("`{}`", text(value));
    }
    let kinds: Vec<String> = match &schema["type"] {
        Value::Array(kinds) => kinds.iter().map(text).collect(),
        Value::String(kind) => vec![kind.clone()],
        _ => vec!["any".to_owned()],
    };
    kinds
        .iter()
        .map(|kind| match (kind.as_str(), schema["format"].as_str()) {
            ("array", _) => format!("array of {}", type_of(&schema["items"])),
            ("object", _) => match schema["properties"].as_object() {
                Some(members) => {
                    let names: Vec<String> = members.keys().map(|m| format!("`{m}`")).collect();
                    format!("object with {}", names.join(", "))
                }
                None => "object".to_owned(),
            },
            ("null", _) => "null".to_owned(),
            (kind, Some(format)) => format!("{kind} ({format})"),
            (kind, None) => kind.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A JSON string as text, anything else as JSON.
fn text(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

/// A description fit for a table cell (none: empty): one line, its pipes escaped.
fn cell(value: &Value) -> String {
    value.as_str().map_or_else(String::new, |text| one_line(text).replace('|', "\\|"))
}

/// A description of several lines (a problem answer's, a line per code) fit for a table cell:
/// each line a cell's, joined by line breaks.
fn lines(value: &Value) -> String {
    let lines = value.as_str().unwrap_or_default().lines();
    lines.map(|line| cell(&Value::from(line))).collect::<Vec<_>>().join("<br>")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
