//! `cargo xtask test`: every check and test of the project, in the order that fails fastest.

use std::process::Command;

use test_support::workspace_root;

use crate::process::{self, Outcome, step};
use crate::setup::{self, Needs};
use crate::tools::Tools;
use crate::{build, size};

/// The crates that are built for the browser or the Workers runtime.
const WASM_CRATES: [&str; 3] = ["groupsync-core", "edge", "app"];

/// Installs what is missing, then checks, builds and tests everything.
pub(crate) fn run() -> Outcome {
    setup::run(Needs::Browser)?;
    let root = workspace_root();
    step("cargo fmt --check", || {
        process::run(Command::new("cargo").current_dir(&root).args(["fmt", "--all", "--check"]))
    })?;
    step("cargo clippy (native)", || {
        process::run(Command::new("cargo").current_dir(&root).args([
            "clippy",
            "--locked",
            "--workspace",
            "--all-targets",
            "--",
            "--deny",
            "warnings",
        ]))
    })?;
    step("cargo clippy (wasm32)", || {
        let mut command = Command::new("cargo");
        command.current_dir(&root).args([
            "clippy",
            "--locked",
            "--target",
            "wasm32-unknown-unknown",
        ]);
        for krate in WASM_CRATES {
            command.args(["--package", krate]);
        }
        process::run(command.args(["--", "--deny", "warnings"]))
    })?;
    build::run()?;
    step("cargo test (SPA components, wasm32 in headless Chromium)", || {
        let mut command = Command::new("cargo");
        command.current_dir(&root).args([
            "test",
            "--locked",
            "--package",
            "app",
            "--target",
            "wasm32-unknown-unknown",
            "--test",
            "components",
        ]);
        // The pinned wasm-bindgen-test-runner on PATH; it drives Debian's chromedriver.
        Tools::locate(&root)?.apply_env(&mut command, &root);
        process::run(&mut command)
    })?;
    step("cargo test (unit, API and browser tests)", || {
        let mut command = Command::new("cargo");
        command.current_dir(&root).args(["test", "--locked", "--workspace"]);
        // The pinned wasm-bindgen on PATH, for wasm-bindgen-test-runner.
        Tools::locate(&root)?.apply_env(&mut command, &root);
        process::run(&mut command)
    })?;
    size::report()
}
