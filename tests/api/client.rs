//! A typed client generated from the served document by a standard generator
//! (openapi-python-client, pinned, installed by `cargo xtask setup`) drives the main flows against
//! a stack of its own: settings, a sync and its run, groups and roles, an invitation, effective
//! access, and a relying app's permission check with an API key (`tests/api/client/flow.py`).
//!
//! Generation fails on a document the generator cannot read; the flow fails on any status the
//! document does not give an operation, and on a body its models cannot parse. What the flow saw
//! is then compared here with the demo tenant it synced.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

use groupsync_core::domain::BuiltInRole;
use serde_json::Value;
use test_support::{CLIENT_GENERATOR, LocalStack, workspace_root};

use crate::helpers::start_stack;
use crate::world::World;

static CLIENT_STACK: OnceLock<LocalStack> = OnceLock::new();

/// The members the flow asks for on the largest group's first page.
const FIRST_MEMBERS: u64 = 200;

/// The flow's output, or a failure with everything the tool said.
fn succeeded(what: &str, output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Generates the client package `groupsync_client` from `document` into `dir`.
fn generate_client(document: &Path, dir: &Path) {
    let generated = Command::new(CLIENT_GENERATOR.program("openapi-python-client"))
        .arg("generate")
        .arg("--path")
        .arg(document)
        .arg("--config")
        .arg(workspace_root().join("tests/api/client/config.yaml"))
        .args(["--meta", "none", "--overwrite", "--output-path"])
        .arg(dir.join("groupsync_client"))
        .output()
        .expect("openapi-python-client runs");
    let said = succeeded("generating the client", generated);
    // The generator skips what it cannot read with a warning, and still succeeds.
    assert!(!said.contains("Warning"), "the generator read the whole document:\n{said}");
}

#[tokio::test]
async fn a_client_generated_from_the_document_drives_the_main_flows() {
    let stack =
        CLIENT_STACK.get_or_init(|| start_stack("api-client", true, World::get().stack_vars()));
    let world = World::get();
    let tenant = &world.okta;
    let work_dir = workspace_root().join("target").join("test-stacks").join("api-client");
    let document = reqwest::get(format!("{}/api/v1/openapi.json", stack.base_url()))
        .await
        .expect("the document is served")
        .text()
        .await
        .expect("a document");
    let document_file = work_dir.join("openapi.json");
    std::fs::write(&document_file, document).expect("the document is saved");
    let client_dir = work_dir.join("client");
    generate_client(&document_file, &client_dir);

    let flow = Command::new(CLIENT_GENERATOR.program("python"))
        .arg(workspace_root().join("tests/api/client/flow.py"))
        .env("PYTHONPATH", &client_dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("GROUPSYNC_BASE_URL", stack.base_url())
        .env("GROUPSYNC_ACCESS_TOKEN", world.person("root@example.com"))
        .env("OKTA_TENANT_URL", &tenant.base_url)
        .env("OKTA_API_TOKEN", &tenant.token)
        .env("OKTA_APP_ID", &tenant.app_id)
        .output()
        .expect("the flow runs");
    let seen: Value = serde_json::from_str(&succeeded("the client flow", flow))
        .expect("the flow prints what it saw as JSON");

    assert_eq!(seen["me"]["name"], "root@example.com");
    assert_eq!(seen["me"]["super_admin"], true);
    assert_eq!(seen["settings"]["tenant_url"], tenant.base_url.as_str());
    assert_eq!(seen["settings"]["app_id"], tenant.app_id.as_str());
    assert!(
        !seen["settings"].to_string().contains(&tenant.token),
        "the saved settings never show the token: {}",
        seen["settings"]
    );
    assert_eq!(seen["connection"]["ok"], true, "{}", seen["connection"]);

    let run = &seen["run"];
    assert_eq!(run["state"], "succeeded", "{run}");
    assert_eq!(run["groups_added"], tenant.groups, "the first run adds every assigned group");
    assert_eq!(run["listed"][0], run["id"], "the run is the latest listed");

    // The groups the API lists are the tenant's, with their sizes, largest first.
    let groups = &seen["groups"];
    assert_eq!(groups["total"], tenant.groups);
    let mut sizes: Vec<u64> =
        tenant.assigned_group_member_counts.iter().map(|&n| u64::from(n)).collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    let listed: Vec<u64> = groups["listed"]
        .as_object()
        .expect("group id → member count")
        .values()
        .map(|n| n.as_u64().expect("a count"))
        .collect();
    let mut listed_sorted = listed.clone();
    listed_sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(listed_sorted, sizes[..listed.len()], "each group's member count");
    assert_eq!(groups["listed"][groups["largest"].as_str().expect("an id")], sizes[0]);
    assert_eq!(groups["members_total"], sizes[0], "the largest group's members");
    let first_members = groups["first_members"].as_array().expect("member ids");
    let distinct: BTreeSet<&str> =
        first_members.iter().map(|id| id.as_str().expect("an id")).collect();
    assert_eq!(distinct.len(), first_members.len(), "each member once");
    assert_eq!(first_members.len() as u64, sizes[0].min(FIRST_MEMBERS), "a full first page");
    assert_eq!(groups["roles_after"], serde_json::json!(["editor"]));
    assert_eq!(
        groups["roles_version_after"].as_u64(),
        groups["roles_version_before"].as_u64().map(|v| v + 1),
        "the roles' version moves on"
    );

    // The invited member holds `editor` through that group, and its permissions.
    let invitee = seen["invitation"]["email"].as_str().expect("an email");
    let listed_invitations = seen["invitation"]["listed"].as_array().expect("invitations");
    assert!(listed_invitations.iter().any(|email| email == invitee), "{listed_invitations:?}");
    let access = &seen["access"];
    assert_eq!(access["email"], invitee);
    assert!(
        access["roles"].as_array().expect("roles").iter().any(|role| role == "editor"),
        "{access}"
    );
    assert_eq!(access["granted_by"], serde_json::json!([groups["largest"]]));
    let permissions = access["permissions"].as_array().expect("permissions");
    for permission in BuiltInRole::Editor.permissions() {
        assert!(permissions.iter().any(|p| p == permission.as_str()), "{permission:?}: {access}");
    }

    // The relying app's answers agree with the member's permissions.
    let checks = &seen["checks"];
    for (permission, check) in checks.as_object().expect("permission → answer") {
        let held = permissions.iter().any(|p| p == permission.as_str());
        assert_eq!(check["allowed"], held, "{permission}: {check}");
        assert_eq!(check["chains"].as_u64().is_some_and(|n| n > 0), held, "{permission}: {check}");
    }
    assert_eq!(checks["invite_users"]["allowed"], true, "an editor invites users");
    assert_eq!(checks["manage_settings"]["allowed"], false, "an editor does not manage settings");
}
