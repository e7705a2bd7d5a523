//! Property-based testing of the API from its document: Schemathesis (pinned, installed by
//! `cargo xtask setup`) reads `/api/v1/openapi.json`, makes requests for every operation from its
//! schemas (examples, boundary values, random ones, then sequences that follow the document's
//! links, such as a webhook endpoint made and then deleted; a bounded number each, from a fixed
//! seed) as a signed-in superAdmin, and checks every answer: never a server error, and always a status,
//! content type and body the document gives the operation.
//!
//! The stack is its own (writes are fuzzed too) and has no Okta settings, so nothing it does
//! reaches the fake Okta that the sync tests share. `positive_data_acceptance` is not checked: a
//! schema cannot say every rule a write follows (a tenant URL's forgery rules, a scope's parent
//! grant), and such a refusal is a documented `422` problem.

use std::process::Command;
use std::sync::OnceLock;

use test_support::{LocalStack, SCHEMATHESIS, workspace_root};

use crate::helpers::{TestApp, start_stack};
use crate::world::World;

static FUZZ_STACK: OnceLock<LocalStack> = OnceLock::new();

/// The variable that hands the superAdmin's token to Schemathesis (its `schemathesis.toml`
/// names it rather than holding the token).
const TOKEN_VARIABLE: &str = "GROUPSYNC_FUZZ_TOKEN";

/// Cases per operation and phase: enough to reach each operation's refusals and edges, few
/// enough for CI (about 2,200 requests in all).
const MAX_EXAMPLES: &str = "10";

#[tokio::test]
async fn schema_fuzzing_finds_no_server_error_and_no_answer_the_document_lacks() {
    let stack = FUZZ_STACK.get_or_init(|| start_stack("api-fuzz", true, World::get().stack_vars()));
    let app = TestApp::connect(stack);
    let token = World::get().person("root@example.com");
    // The superAdmin exists once the bootstrap address has been seen.
    let me = app.as_person("root@example.com").get("/api/v1/me").await;
    assert!(me.status().is_success(), "root signs in");
    let bin = SCHEMATHESIS.program("schemathesis");
    let work_dir = workspace_root().join("target").join("test-stacks").join("api-fuzz");
    // The token is the credential of the document's `access` scheme, configured (not a plain
    // header): Schemathesis then drops the credentials it makes up for the other scheme, an
    // `Authorization` header that the Worker reads first and that turned most requests into 401s.
    let config = format!("[auth.openapi.access]\napi_key = \"${{{TOKEN_VARIABLE}}}\"\n");
    std::fs::write(work_dir.join("schemathesis.toml"), config).expect("Schemathesis' config");
    let output = Command::new(bin)
        .current_dir(&work_dir)
        .env(TOKEN_VARIABLE, &token)
        .args(["run", &format!("{}/api/v1/openapi.json", stack.base_url())])
        .args(["--header", "X-Requested-By: okta-groups-sync"])
        .args(["--max-examples", MAX_EXAMPLES, "--seed", "1"])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args([
            "--checks",
            "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
        ])
        // The dev sign-in is off here, and Okta's calls carry the hook's secret, not a person.
        .args(["--exclude-path", "/api/v1/dev/sign-in"])
        .args(["--exclude-path-regex", "^/api/v1/okta/events"])
        .args(["--no-color", "--request-timeout", "30"])
        .output()
        .expect("Schemathesis runs");
    let report = String::from_utf8_lossy(&output.stdout);
    let summary = report.lines().skip_while(|line| !line.contains("SUMMARY")).collect::<Vec<_>>();
    println!("{}", summary.join("\n"));
    assert!(
        output.status.success(),
        "Schemathesis found answers the document does not allow:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains(" passed"), "Schemathesis ran cases:\n{report}");
}
