//! Where things are: the workspace root, the tools installed by `npm ci`, and the per-user
//! cache of the pinned tools `cargo xtask setup` installs.

use std::env;
use std::path::{Path, PathBuf};

/// The Schemathesis release the API fuzzing runs (its dependencies are pinned in
/// `tests/api/schemathesis-requirements.txt`).
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";

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

/// The Python environment holding the pinned Schemathesis, in the tool cache.
pub fn schemathesis_env() -> Option<PathBuf> {
    tool_cache().map(|cache| cache.join(format!("schemathesis-{SCHEMATHESIS_VERSION}")))
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
