//! What the document says to the people and programs that read it: descriptions in the API's
//! words, not Rust's (they come from the wire types' doc comments), and an example of every
//! request body (`core`'s `api::examples`, which the API fuzzer sends first).

use serde_json::Value;

use super::generate::document;

/// What only a Rust reader understands: an intra-doc link, and Rust's names for an absent value
/// and its containers (the document says null, absent, a list).
const RUST: [&str; 5] = ["[`", "None", "Some(", "Vec<", "Option<"];

/// Every `description` in `value`, with where it is; examples, defaults and allowed values are
/// data, not descriptions, and are not looked into.
fn descriptions<'a>(value: &'a Value, at: &str, found: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                let here = format!("{at}/{key}");
                match (key.as_str(), member) {
                    ("description", Value::String(text)) => found.push((here, text)),
                    ("examples" | "example" | "default" | "const" | "enum", _) => {}
                    _ => descriptions(member, &here, found),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                descriptions(item, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// Whether `text` holds `pattern` as a word: a letter it starts or ends with is not part of a
/// longer word (`None`, not `Nonetheless`).
fn holds(text: &str, pattern: &str) -> bool {
    text.match_indices(pattern).any(|(at, _)| {
        let letter = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        let before = text[..at].chars().next_back();
        let after = text[at + pattern.len()..].chars().next();
        let joined_before = pattern.starts_with(char::is_alphanumeric) && letter(before);
        let joined_after = pattern.ends_with(char::is_alphanumeric) && letter(after);
        !joined_before && !joined_after
    })
}

#[test]
fn no_description_speaks_rust() {
    let doc = document();
    let mut found = Vec::new();
    descriptions(&doc, "", &mut found);
    assert!(found.len() > 500, "the document's descriptions are all looked at: {}", found.len());
    let rust: Vec<String> = found
        .iter()
        .filter(|(_, text)| RUST.iter().any(|pattern| holds(text, pattern)))
        .map(|(at, text)| format!("{at}: {text:?}"))
        .collect();
    assert!(
        rust.is_empty(),
        "descriptions in Rust's words (reword the doc comments for API readers):\n{}",
        rust.join("\n")
    );
}

#[test]
fn the_check_finds_the_rust_words_as_words() {
    for text in [
        "The code (see [`ProblemCode`]).",
        "`None` when it can.",
        "None of them.",
        "Some(run) or not",
        "a Vec<String>",
        "an Option<u32>",
    ] {
        assert!(RUST.iter().any(|pattern| holds(text, pattern)), "{text}");
    }
    for text in ["null when it can", "Nonetheless", "a list [of] `things`", "Someone (else)"] {
        assert!(!RUST.iter().any(|pattern| holds(text, pattern)), "{text}");
    }
}

#[test]
fn every_request_body_has_examples() {
    let doc = document();
    let mut bodies = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            // Inline bodies are not ours to exemplify: Okta's events are Okta's.
            let Some(reference) = schema["$ref"].as_str() else { continue };
            let name = reference.trim_start_matches("#/components/schemas/");
            let examples = &doc["components"]["schemas"][name]["examples"];
            assert!(
                examples.as_array().is_some_and(|examples| !examples.is_empty()),
                "{method} {path}: {name} has no example"
            );
            bodies += 1;
        }
    }
    assert!(bodies >= 15, "{bodies} request bodies");
}
