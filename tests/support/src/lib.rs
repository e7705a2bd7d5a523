//! The local stack as the black-box tests, the browser tests and `cargo xtask dev` start it:
//! where the workspace and its Node tools are, the environment that keeps wrangler offline and
//! quiet, the fake Okta as a process ([`FakeOktaProcess`]), [`LocalStack`] (a `wrangler dev` with its own local D1/KV/DO state) and
//! [`Supervised`] processes that cannot outlive the process that started them.
//!
//! Standard library only, so that the task runner can depend on it without slowing its build.

mod fake_okta;
mod paths;
mod stack;
mod supervised;

pub use fake_okta::FakeOktaProcess;
pub use paths::{
    CLIENT_GENERATOR, PYTHON_TOOLS, PythonTool, SCHEMATHESIS, node_bin, tool_cache, workspace_root,
};
pub use stack::{LocalStack, StackError, StackOptions, free_port, quiet_wrangler_env};
pub use supervised::{Logs, Supervised, http_status};
