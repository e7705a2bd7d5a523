//! The cargo-installed tools, at pinned versions, in a per-user cache shared by every checkout
//! (each version in its own folder, so a bump never clobbers another checkout's tools):
//!
//! - `wasm-bindgen-cli`, at exactly the lockfile's `wasm-bindgen` version (the CLI refuses to
//!   process a module built by another version);
//! - `worker-build`, at the minor version of the `worker` crate.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use test_support::node_bin;

use crate::process::{self, Failure, Outcome};

/// worker-build's version; its minor must match the `worker` crate's (0.8).
const WORKER_BUILD_VERSION: &str = "0.8.7";

/// The one lock entry of wasm-bindgen-cli 0.2.130's own lockfile that the registry reachable here
/// does not serve, and the version to move it to (see [`Tools::install_wasm_bindgen`]).
const WEBPKI_ROOTS_FIX: (&str, &str) = ("webpki-roots", "1.0.10");

/// Where the pinned tools are, and how to install them.
#[derive(Debug)]
pub(crate) struct Tools {
    cache: PathBuf,
    wasm_bindgen_version: String,
}

impl Tools {
    /// Finds the tool cache and the wasm-bindgen version the lockfile requires.
    pub(crate) fn locate(workspace: &Path) -> Result<Self, Failure> {
        let lock = fs::read_to_string(workspace.join("Cargo.lock"))
            .map_err(|e| Failure::new(format!("reading Cargo.lock: {e}")))?;
        let wasm_bindgen_version = locked_version(&lock, "wasm-bindgen")
            .ok_or_else(|| Failure::new("Cargo.lock has no wasm-bindgen entry"))?;
        Ok(Self { cache: cache_dir()?, wasm_bindgen_version })
    }

    /// The `wasm-bindgen` CLI matching the lockfile.
    pub(crate) fn wasm_bindgen(&self) -> PathBuf {
        self.bin_dir("wasm-bindgen", &self.wasm_bindgen_version).join("wasm-bindgen")
    }

    /// The `worker-build` CLI.
    pub(crate) fn worker_build(&self) -> PathBuf {
        self.bin_dir("worker-build", WORKER_BUILD_VERSION).join("worker-build")
    }

    /// Installs the tools that are not in the cache yet.
    pub(crate) fn install_missing(&self) -> Outcome {
        if !self.worker_build().is_file() {
            process::run(Command::new("cargo").args(["install", "--locked", "--root"]).args([
                self.prefix("worker-build", WORKER_BUILD_VERSION).as_os_str(),
                "worker-build".as_ref(),
                "--version".as_ref(),
                WORKER_BUILD_VERSION.as_ref(),
            ]))?;
        }
        if !self.wasm_bindgen().is_file() {
            self.install_wasm_bindgen()?;
        }
        Ok(())
    }

    /// Points a build command at the pinned tools. worker-build never looks on `PATH` and would
    /// download wasm-bindgen, wasm-opt and esbuild from the internet without these variables;
    /// wasm-opt comes from npm's binaryen, because Debian's is too old to parse the Worker's wasm
    /// (it predates exnref).
    pub(crate) fn apply_env(&self, command: &mut Command, workspace: &Path) {
        let wasm_bindgen_dir = self.bin_dir("wasm-bindgen", &self.wasm_bindgen_version);
        let mut path = vec![wasm_bindgen_dir];
        path.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
        command
            .env("PATH", env::join_paths(path).unwrap_or_default())
            .env("WASM_BINDGEN_BIN", self.wasm_bindgen())
            .env("WASM_OPT_BIN", node_bin(workspace, "wasm-opt"))
            .env("ESBUILD_BIN", node_bin(workspace, "esbuild"));
    }

    /// Installs wasm-bindgen-cli. Its own lockfile pins a `webpki-roots` version that the registry
    /// here does not serve, so when the locked install fails on it, the unpacked crate is copied,
    /// that one entry moved back a patch version, and the copy installed, still `--locked`.
    fn install_wasm_bindgen(&self) -> Outcome {
        let version = &self.wasm_bindgen_version;
        let prefix = self.prefix("wasm-bindgen", version);
        let locked = process::run(
            Command::new("cargo").args(["install", "--locked", "--root"]).arg(&prefix).args([
                "wasm-bindgen-cli",
                "--version",
                version,
            ]),
        );
        if locked.is_ok() {
            return Ok(());
        }
        println!("retrying with {} {} in its lockfile", WEBPKI_ROOTS_FIX.0, WEBPKI_ROOTS_FIX.1);
        let source = unpacked_crate(&format!("wasm-bindgen-cli-{version}"))?;
        let copy =
            env::temp_dir().join(format!("wasm-bindgen-cli-{version}-{}", std::process::id()));
        process::run(Command::new("cp").arg("-r").arg(&source).arg(&copy))?;
        process::run(Command::new("cargo").current_dir(&copy).args([
            "update",
            "-p",
            WEBPKI_ROOTS_FIX.0,
            "--precise",
            WEBPKI_ROOTS_FIX.1,
        ]))?;
        let installed = process::run(
            Command::new("cargo")
                .current_dir(&copy)
                .args(["install", "--locked", "--path", ".", "--root"])
                .arg(&prefix),
        );
        let _ = fs::remove_dir_all(&copy);
        installed
    }

    fn prefix(&self, tool: &str, version: &str) -> PathBuf {
        self.cache.join(format!("{tool}-{version}"))
    }

    fn bin_dir(&self, tool: &str, version: &str) -> PathBuf {
        self.prefix(tool, version).join("bin")
    }
}

/// The tool cache (see [`test_support::tool_cache`]).
fn cache_dir() -> Result<PathBuf, Failure> {
    test_support::tool_cache().ok_or_else(no_tool_cache)
}

/// Why there is no tool cache.
pub(crate) fn no_tool_cache() -> Failure {
    Failure::new("neither GROUPSYNC_TOOLS_DIR, XDG_CACHE_HOME nor HOME is set")
}

/// Where cargo unpacked a downloaded crate (`$CARGO_HOME/registry/src/<index>/<name-version>`).
fn unpacked_crate(name_version: &str) -> Result<PathBuf, Failure> {
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .ok_or_else(|| Failure::new("neither CARGO_HOME nor HOME is set"))?;
    let indexes = fs::read_dir(cargo_home.join("registry").join("src"))
        .map_err(|e| Failure::new(format!("reading cargo's registry sources: {e}")))?;
    indexes
        .filter_map(Result::ok)
        .map(|index| index.path().join(name_version))
        .find(|candidate| candidate.is_dir())
        .ok_or_else(|| Failure::new(format!("cargo did not unpack {name_version}")))
}

/// The version of package `name` in a `Cargo.lock`.
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    lines.find(|line| *line == wanted)?;
    let version = lines.next()?.strip_prefix("version = \"")?.strip_suffix('"')?;
    Some(version.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_version_reads_the_line_after_the_exact_name() {
        let lock = "[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"9.9.9\"\n\n\
                    [[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(locked_version(lock, "wasm-bindgen").as_deref(), Some("0.2.130"));
        assert_eq!(locked_version(lock, "serde"), None);
    }

    #[test]
    fn the_workspace_lock_pins_the_wasm_bindgen_the_workspace_manifest_asks_for() {
        let root = test_support::workspace_root();
        let lock = fs::read_to_string(root.join("Cargo.lock")).unwrap();
        let manifest = fs::read_to_string(root.join("Cargo.toml")).unwrap();
        let locked = locked_version(&lock, "wasm-bindgen").unwrap();
        assert!(manifest.contains(&format!("wasm-bindgen = \"={locked}\"")), "{locked}");
    }
}
