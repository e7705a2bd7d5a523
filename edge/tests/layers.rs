//! The edge's top-level modules form layers, and no module refers to one above its own (issue
//! #12): handlers may call services and adapters, never the other way round, so a change to how
//! a request is parsed or answered cannot reach the rules or the store. Read from the source
//! files, so a new upward `crate::…` path fails here, and a new top-level module must be placed.
//!
//! The handlers stay thin: each parses, calls one use case of `service` and answers, so none is
//! longer than [`MAX_HANDLER_LINES`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layers, lowest first: a module may refer to its own layer and those before it.
const LAYERS: &[&str] = &[
    // Sealing of the Okta token at rest (pure crypto).
    "sealed_token",
    // The typed configuration, read once per request.
    "config",
    // The one error type of the API boundary.
    "error",
    // Who may do what, and the rules of writes (pure).
    "service",
    // D1 and the Okta transport.
    "adapters",
    // The configured Okta client.
    "okta_target",
    // Signed webhooks out: the Durable Object that sends them, and its kick.
    "webhooks",
    // The sync engine and its Durable Object.
    "sync",
    // Routes, parsing, handlers and answers.
    "http",
    // The Worker's entry point.
    "entry",
];

/// The longest a handler (a `pub(crate) async fn` of `http/handlers/`) may be, signature and
/// closing brace included.
const MAX_HANDLER_LINES: usize = 25;

#[test]
fn no_module_refers_to_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut upward = Vec::new();
    let mut unplaced = BTreeSet::new();
    for file in rust_files(&src) {
        let relative = file.strip_prefix(&src).expect("under src").to_string_lossy().into_owned();
        let module = top_module(&relative);
        if module == "lib" {
            continue;
        }
        let Some(own) = layer(&module) else {
            unplaced.insert(module);
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for target in referenced_modules(code) {
                match layer(&target) {
                    Some(theirs) if theirs > own => upward.push(format!(
                        "{relative}:{}: {module} refers to {target}, a layer above it",
                        number + 1
                    )),
                    Some(_) => {}
                    None => {
                        unplaced.insert(target);
                    }
                }
            }
        }
    }
    assert!(upward.is_empty(), "imports that run back up a layer:\n{}", upward.join("\n"));
    assert!(unplaced.is_empty(), "modules missing from LAYERS: {unplaced:?}");
}

#[test]
fn the_check_sees_an_upward_path() {
    assert_eq!(referenced_modules("use crate::http::routes::Method;"), ["http"]);
    assert_eq!(
        referenced_modules("let x = crate::okta_target::f(crate::error::E);"),
        ["okta_target", "error"]
    );
    assert!(layer("http") > layer("service"), "services sit below the handlers");
}

#[test]
fn no_handler_is_longer_than_a_paragraph() {
    let handlers = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http/handlers");
    let mut long = Vec::new();
    for file in rust_files(&handlers) {
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        for (name, lines) in handler_lengths(&text) {
            if lines > MAX_HANDLER_LINES {
                long.push(format!("{}: {name} has {lines} lines", file.display()));
            }
        }
    }
    assert!(long.is_empty(), "handlers over {MAX_HANDLER_LINES} lines:\n{}", long.join("\n"));
}

#[test]
fn the_check_measures_a_handler_from_its_signature_to_its_closing_brace() {
    let text = "use x;\n\npub(crate) async fn list(\n    ctx: &Ctx,\n) -> R {\n    one();\n}\n\nfn helper() {}\n";
    assert_eq!(handler_lengths(text), [("list".to_owned(), 5)]);
}

/// Each top-level `pub(crate) async fn` of a file, with its length in lines.
fn handler_lengths(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut handlers = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let Some(rest) = line.strip_prefix("pub(crate) async fn ") else { continue };
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let end = lines[start..].iter().position(|l| *l == "}").map_or(lines.len(), |i| start + i);
        handlers.push((name, end - start + 1));
    }
    handlers
}

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|name| *name == module)
}

/// `service/access.rs` → `service`; `config.rs` → `config`.
fn top_module(relative: &str) -> String {
    let first = relative.split(['/', '\\']).next().unwrap_or(relative);
    first.trim_end_matches(".rs").to_owned()
}

/// The top-level modules a line names through `crate::`.
fn referenced_modules(code: &str) -> Vec<String> {
    code.match_indices("crate::")
        .filter(|(at, _)| !code[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        .map(|(at, prefix)| {
            code[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a readable directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}
