//! Where things are: the workspace root, the tools installed by `npm ci`, and the per-user
//! cache of the pinned tools `cargo xtask setup` installs.

use std::env;
use std::path::{Path, PathBuf};

/// A Python tool the API tests run, which `cargo xtask setup --browser` installs into a virtual
/// environment of the tool cache from its lockfile (every package at its version).
#[derive(Debug, Clone, Copy)]
pub struct PythonTool {
    /// Its package name, which also names its environment.
    pub name: &'static str,
    /// The release the lockfile pins.
    pub version: &'static str,
    /// The lockfile, from the workspace root.
    pub requirements: &'static str,
}

/// Schemathesis, which fuzzes the API from its document.
pub const SCHEMATHESIS: PythonTool = PythonTool {
    name: "schemathesis",
    version: "4.32.5",
    requirements: "tests/api/schemathesis-requirements.txt",
};

/// openapi-python-client, which generates a typed client from the document (and the packages that
/// client needs at run time).
pub const CLIENT_GENERATOR: PythonTool = PythonTool {
    name: "openapi-python-client",
    version: "0.29.1",
    requirements: "tests/api/client/requirements.txt",
};

/// Every Python tool the tests run.
pub const PYTHON_TOOLS: [PythonTool; 2] = [SCHEMATHESIS, CLIENT_GENERATOR];

impl PythonTool {
    /// Its environment in the tool cache (`None` when there is no tool cache).
    pub fn env(&self) -> Option<PathBuf> {
        tool_cache().map(|cache| cache.join(format!("{}-{}", self.name, self.version)))
    }

    /// One of the environment's programs (`python`, or a tool's command).
    ///
    /// # Panics
    /// When the tool is not installed, with the command that installs it.
    pub fn program(&self, program: &str) -> PathBuf {
        self.env()
            .map(|env| env.join("bin").join(program))
            .filter(|bin| bin.is_file())
            .unwrap_or_else(|| {
                panic!(
                    "{} {} is not installed: run `cargo xtask setup --browser`",
                    self.name, self.version
                )
            })
    }
}

/// The root of the workspace (where `Cargo.toml`, `wrangler.toml` and `node_modules/` are).
pub fn workspace_root() -> PathBuf {
    // This crate lives at `tests/support`, two levels below the root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tests/support is two levels below the workspace root")
        .to_path_buf()
}

/// The path of an executable installed by `npm ci`, such as `wrangler` or `wasm-opt`.
pub fn node_bin(root: &Path, name: &str) -> PathBuf {
    root.join("node_modules").join(".bin").join(name)
}

/// The tool cache: `$GROUPSYNC_TOOLS_DIR`, else `$XDG_CACHE_HOME/okta-groups-sync/tools`, else
/// `~/.cache/okta-groups-sync/tools`; `None` when none of them is set.
pub fn tool_cache() -> Option<PathBuf> {
    if let Some(dir) = env::var_os("GROUPSYNC_TOOLS_DIR") {
        return Some(PathBuf::from(dir));
    }
    let cache = env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(cache.join("okta-groups-sync").join("tools"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_root_holds_the_workspace_manifest_and_wrangler_config() {
        let root = workspace_root();
        assert!(root.join("Cargo.toml").is_file(), "{}", root.display());
        assert!(root.join("wrangler.toml").is_file(), "{}", root.display());
    }
}
