//! The fake Okta as a separate process (`tests/fake-okta`), as the local demo and the Worker's
//! tests run it: built in debug (it generates even the large tenant in about a second), started
//! under a watchdog, and read back through the one JSON line it prints first.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::stack::StackError;
use crate::supervised::{Logs, Supervised};

/// How long the fake may take to generate its tenant and print its first line: about a second
/// even for the large tenant, but far more on a busy machine (the wait ends at the line).
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A running fake Okta process. Dropping it stops the process.
#[derive(Debug)]
pub struct FakeOktaProcess {
    info_json: String,
    _process: Supervised,
}

impl FakeOktaProcess {
    /// Builds the fake (if needed) and starts it with `tenant` (`demo`, `S`, `M` or `L`) and
    /// `seed` on 127.0.0.1:`port` (0 picks a free port), logging to `log`.
    ///
    /// # Errors
    ///
    /// When the build fails, the process does not start, or it prints no first line in time.
    pub fn start(
        root: &Path,
        tenant: &str,
        seed: u64,
        port: u16,
        log: &Path,
    ) -> Result<Self, StackError> {
        let built = Command::new("cargo")
            .current_dir(root)
            .args(["build", "--quiet", "--package", "fake-okta", "--bin", "fake-okta"])
            .status()
            .map_err(|e| StackError::Io("building the fake Okta".into(), e))?;
        if !built.success() {
            return Err(StackError::NotReady(format!("building the fake Okta failed ({built})")));
        }
        let mut command = Command::new(binary(root));
        command.current_dir(root).args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--tenant",
            tenant,
            "--seed",
            &seed.to_string(),
        ]);
        let process = Supervised::spawn(&command, &Logs::File(log.to_path_buf()))?;
        let started = Instant::now();
        loop {
            let text = fs::read_to_string(log).unwrap_or_default();
            // Only a whole line: the fake may be caught half-way through writing a long one (the
            // large tenant's is tens of kilobytes), and its newline comes last.
            let info = text.split_inclusive('\n').find(|l| l.starts_with('{') && l.ends_with('\n'));
            if let Some(line) = info {
                return Ok(Self { info_json: line.trim_end().to_owned(), _process: process });
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(StackError::NotReady(format!(
                    "the fake Okta printed nothing{}",
                    process.log_tail()
                )));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// The tenant's facts as the fake printed them: one JSON object with `base_url`, `token`,
    /// `app_id`, `groups`, `memberships` and more.
    pub fn info_json(&self) -> &str {
        &self.info_json
    }
}

fn binary(root: &Path) -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    target.join("debug").join("fake-okta")
}
