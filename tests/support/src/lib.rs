//! The local stack as the black-box tests, the browser tests and `cargo xtask dev` start it:
//! where the workspace and its Node tools are, the environment that keeps wrangler offline and
//! quiet, and [`LocalStack`], a `wrangler dev` with its own local D1/KV/DO state.
//!
//! Standard library only, so that the task runner can depend on it without slowing its build.

mod paths;
mod stack;

pub use paths::{node_bin, workspace_root};
pub use stack::{LocalStack, Logs, StackError, StackOptions, free_port, quiet_wrangler_env};
