//! `cargo xtask dev`: the whole product on this machine, with local D1/KV/DO state that persists
//! across runs under `.wrangler/state`.

use test_support::{LocalStack, Logs, StackOptions, workspace_root};

use crate::build;
use crate::process::{Failure, Outcome, step};
use crate::setup::{self, Needs};

/// The port the product is served on unless `--port` says otherwise.
const DEFAULT_PORT: u16 = 8787;

/// Installs what is missing, builds, and serves the product until Ctrl-C.
pub(crate) fn run(args: &[String]) -> Outcome {
    let port = parse_port(args)?;
    setup::run(Needs::Build)?;
    build::run()?;
    let root = workspace_root();
    let options = StackOptions {
        port: Some(port),
        state_dir: root.join(".wrangler").join("state"),
        vars: Vec::new(),
        migrate: true,
        logs: Logs::Inherit,
    };
    let mut stack = None;
    step("start the local stack (D1 migrations, wrangler dev)", || {
        stack = Some(LocalStack::start(&root, options).map_err(|e| Failure::new(e.to_string()))?);
        Ok(())
    })?;
    let Some(mut stack) = stack else {
        return Err(Failure::new("the local stack did not start"));
    };
    println!("\nOkta Groups Sync is running at {}/  (Ctrl-C stops it)\n", stack.base_url());
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
