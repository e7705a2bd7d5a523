//! Where things are: the workspace root and the tools installed by `npm ci`.

use std::path::{Path, PathBuf};

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
