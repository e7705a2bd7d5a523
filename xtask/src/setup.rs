//! Installing what the builds and tests need, each piece only when it is missing: Debian's
//! chromium and chromium-driver (tests only), the wasm32 target, the npm packages of the
//! committed lockfile, the pinned cargo tools, and the Python tools of the API tests (Schemathesis
//! and a client generator, tests only, each with its pinned packages in a virtual environment of
//! the tool cache).

use std::env;
use std::fs;
use std::path::Path;
use std::process::Command;

use test_support::{PYTHON_TOOLS, PythonTool, workspace_root};

use crate::process::{self, Failure, Outcome, step};
use crate::tools::{Tools, no_tool_cache};

/// What the task about to run needs installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Needs {
    /// Building and running the product.
    Build,
    /// Building, plus a browser and its driver for the browser tests.
    Browser,
}

/// Where `npm ci` leaves a copy of the lockfile it installed, to skip the next install when the
/// lockfile has not changed.
const NPM_STAMP: &str = "node_modules/.okta-groups-sync-installed-lock.json";

const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Installs whatever `needs` requires and is missing.
pub(crate) fn run(needs: Needs) -> Outcome {
    let root = workspace_root();
    if needs == Needs::Browser {
        step("system packages: chromium, chromium-driver", ensure_browser)?;
        for tool in PYTHON_TOOLS {
            step(&format!("python packages: {} ({})", tool.name, tool.requirements), || {
                ensure_python_tool(&root, tool)
            })?;
        }
    }
    step("rust target wasm32-unknown-unknown", ensure_wasm_target)?;
    step("npm packages (package-lock.json)", || ensure_npm_packages(&root))?;
    step("cargo tools: wasm-bindgen-cli, worker-build", || Tools::locate(&root)?.install_missing())
}

fn ensure_browser() -> Outcome {
    if on_path("chromium") && on_path("chromedriver") {
        return Ok(());
    }
    install_debian(&["chromium", "chromium-driver"])
}

/// Installs Debian `packages` (as root; otherwise says what to run).
fn install_debian(packages: &[&str]) -> Outcome {
    let user = process::output(Command::new("id").arg("-u"))?;
    if user.trim() != "0" {
        return Err(Failure::new(format!(
            "the tests need Debian's {0}: run `apt-get install {0}` as root",
            packages.join(" ")
        )));
    }
    process::run(Command::new("apt-get").args(["update", "-qq"]))?;
    process::run(
        Command::new("apt-get")
            // Another apt (unattended upgrades, a parallel job) may hold the lock for a while.
            .args(["-o", "DPkg::Lock::Timeout=600", "install", "-y", "-qq"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

fn ensure_wasm_target() -> Outcome {
    let installed =
        process::output(Command::new("rustup").args(["target", "list", "--installed"]))?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        return Ok(());
    }
    process::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

fn ensure_npm_packages(root: &Path) -> Outcome {
    let lock = fs::read(root.join("package-lock.json"))
        .map_err(|e| Failure::new(format!("reading package-lock.json: {e}")))?;
    if fs::read(root.join(NPM_STAMP)).is_ok_and(|installed| installed == lock) {
        return Ok(());
    }
    process::run(Command::new("npm").current_dir(root).args([
        "ci",
        "--no-fund",
        "--no-audit",
        "--no-update-notifier",
    ]))?;
    fs::write(root.join(NPM_STAMP), lock)
        .map_err(|e| Failure::new(format!("writing {NPM_STAMP}: {e}")))
}

/// Where an environment keeps a copy of the requirements it installed.
const PYTHON_STAMP: &str = "installed-requirements.txt";

/// Makes `tool`'s environment from its lockfile, every package at its version (installed with
/// `--no-deps`, so nothing unpinned comes in).
fn ensure_python_tool(root: &Path, tool: PythonTool) -> Outcome {
    let env_dir = tool.env().ok_or_else(no_tool_cache)?;
    let requirements = fs::read(root.join(tool.requirements))
        .map_err(|e| Failure::new(format!("reading {}: {e}", tool.requirements)))?;
    let stamp = env_dir.join(PYTHON_STAMP);
    if fs::read(&stamp).is_ok_and(|installed| installed == requirements) {
        return Ok(());
    }
    if !on_path("python3") {
        install_debian(&["python3", "python3-venv"])?;
    }
    let _ = fs::remove_dir_all(&env_dir);
    let make_env = || process::run(Command::new("python3").args(["-m", "venv"]).arg(&env_dir));
    // Debian's python3 has the venv module, but it cannot make an environment (no ensurepip)
    // without python3-venv.
    if make_env().is_err() {
        let _ = fs::remove_dir_all(&env_dir);
        install_debian(&["python3-venv"])?;
        make_env()?;
    }
    process::run(
        Command::new(env_dir.join("bin").join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "--no-deps", "-r"])
            .arg(root.join(tool.requirements)),
    )?;
    fs::write(&stamp, requirements)
        .map_err(|e| Failure::new(format!("writing {PYTHON_STAMP}: {e}")))
}

fn on_path(program: &str) -> bool {
    env::var_os("PATH")
        .is_some_and(|path| env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}
