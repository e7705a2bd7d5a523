//! `cargo xtask dev`: the whole product on this machine, with local D1/KV/DO state that persists
//! across runs under `.wrangler/state`.

use test_support::{FakeOktaProcess, LocalStack, Logs, StackOptions, workspace_root};

use crate::build;
use crate::process::{Failure, Outcome, step};
use crate::setup::{self, Needs};

/// The port the product is served on unless `--port` says otherwise.
const DEFAULT_PORT: u16 = 8787;

/// The fake Okta's demo tenant: a small company with believable groups and people.
const DEMO_TENANT: (&str, u64) = ("demo", 7);

/// The demo tenant's port, fixed so that settings saved in one run still point at it in the next
/// (its token is fixed by the seed).
const DEMO_OKTA_PORT: u16 = 8788;

/// Installs what is missing, builds, and serves the product until Ctrl-C.
pub(crate) fn run(args: &[String]) -> Outcome {
    let port = parse_port(args)?;
    setup::run(Needs::Build)?;
    build::run()?;
    let root = workspace_root();
    let mut fake_okta = None;
    step("start the fake Okta (demo tenant)", || {
        let log = root.join(".run").join("fake-okta.log");
        std::fs::create_dir_all(root.join(".run"))
            .map_err(|e| Failure::new(format!("creating .run/: {e}")))?;
        let (tenant, seed) = DEMO_TENANT;
        let process = FakeOktaProcess::start(&root, tenant, seed, DEMO_OKTA_PORT, &log)
            .map_err(|e| Failure::new(e.to_string()))?;
        fake_okta = Some(process);
        Ok(())
    })?;
    let info_json = fake_okta.as_ref().map(|f| f.info_json().to_owned()).unwrap_or_default();
    let options = StackOptions {
        port: Some(port),
        state_dir: root.join(".wrangler").join("state"),
        vars: local_vars(&info_json),
        env_files: vec![crate::dev_secrets::env_file(&root)?],
        migrate: true,
        logs: Logs::Inherit,
        log_requests: true,
        inspector: true,
    };
    let mut stack = None;
    step("start the local stack (D1 migrations, wrangler dev)", || {
        stack = Some(LocalStack::start(&root, options).map_err(|e| Failure::new(e.to_string()))?);
        Ok(())
    })?;
    let Some(mut stack) = stack else {
        return Err(Failure::new("the local stack did not start"));
    };
    println!("\nOkta Groups Sync is running at {}/  (Ctrl-C stops it)", stack.base_url());
    println!("{}\n", demo_summary(&info_json));
    let status = stack.wait().map_err(|e| Failure::new(format!("waiting for wrangler: {e}")))?;
    Err(Failure::new(format!("wrangler dev exited ({status})")))
}

fn parse_port(args: &[String]) -> Result<u16, Failure> {
    match args {
        [] => Ok(DEFAULT_PORT),
        [flag, port] if flag == "--port" => port
            .parse()
            .map_err(|_| Failure::new(format!("--port takes a port number, not `{port}`"))),
        _ => Err(Failure::new("usage: cargo xtask dev [--port N]")),
    }
}

/// What a person needs to connect the app to the demo tenant, from the fake's first line.
fn demo_summary(info_json: &str) -> String {
    let Ok(info) = serde_json::from_str::<serde_json::Value>(info_json) else {
        return format!("Fake Okta: {info_json}");
    };
    let field = |name: &str| info[name].as_str().unwrap_or("?").to_owned();
    format!(
        "Sign in (dev sign-in) as {}, the first superAdmin.\n\
         Fake Okta (demo tenant, {} groups, {} memberships) at {}\n  App ID: {}\n  API token: {}",
        field("admin_login"),
        info["groups"],
        info["memberships"],
        field("base_url"),
        field("app_id"),
        field("token")
    )
}

/// The local environment: the dev sign-in on, and the demo tenant's admin as the first
/// superAdmin. (The secrets come from the env file.)
fn local_vars(info_json: &str) -> Vec<(String, String)> {
    let admin = serde_json::from_str::<serde_json::Value>(info_json)
        .ok()
        .and_then(|info| info["admin_login"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "admin@example.com".to_owned());
    vec![
        ("ENVIRONMENT".to_owned(), "local".to_owned()),
        ("DEV_SIGN_IN".to_owned(), "true".to_owned()),
        ("SUPER_ADMIN_BOOTSTRAP".to_owned(), admin),
    ]
}
