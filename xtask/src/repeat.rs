//! `cargo xtask test --repeat N`: the API and browser tests N times over, to find a flaky test
//! before CI does. Every run's output is kept, and the end names each test that failed at least
//! once, with how often.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use test_support::workspace_root;

use crate::build;
use crate::process::{self, Failure, Outcome, step};
use crate::setup::{self, Needs};
use crate::tools::Tools;

/// The test crates that drive the running product: their races are the ones a loaded machine
/// finds.
const PRODUCT_TEST_CRATES: [&str; 2] = ["api-tests", "browser-tests"];

/// Builds once, then runs the API and browser tests `runs` times; fails if any test failed.
pub(crate) fn run(runs: u32) -> Outcome {
    setup::run(Needs::Browser)?;
    build::run()?;
    let root = workspace_root();
    let logs = root.join("target").join("test-repeat");
    fs::create_dir_all(&logs)
        .map_err(|e| Failure::new(format!("creating {}: {e}", logs.display())))?;
    step("build the API and browser tests", || {
        let mut command = test_command(&root)?;
        process::run(command.arg("--no-run"))
    })?;
    let mut failures: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut failed_runs = 0;
    for run in 1..=runs {
        let log = logs.join(format!("run-{run}.log"));
        let started = Instant::now();
        let failed = one_run(&root, &log)?;
        println!(
            "==> run {run} of {runs}: {} in {:.1} s (output in {})",
            if failed.is_empty() {
                "passed".to_owned()
            } else {
                format!("{} failed", failed.len())
            },
            started.elapsed().as_secs_f64(),
            log.display()
        );
        if !failed.is_empty() {
            failed_runs += 1;
        }
        for test in failed {
            failures.entry(test).or_default().push(run);
        }
    }
    println!("\n==> {runs} runs of the API and browser tests: {failed_runs} with a failure");
    for (test, in_runs) in &failures {
        let list: Vec<String> = in_runs.iter().map(u32::to_string).collect();
        println!("    {test}: failed {} of {runs} (runs {})", in_runs.len(), list.join(", "));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(format!("{} tests failed at least once", failures.len())))
    }
}

/// `cargo test` of the product test crates, every binary to its end even when one fails.
fn test_command(root: &Path) -> Result<Command, Failure> {
    let mut command = Command::new("cargo");
    command.current_dir(root).args(["test", "--locked", "--no-fail-fast"]);
    for krate in PRODUCT_TEST_CRATES {
        command.args(["--package", krate]);
    }
    Tools::locate(root)?.apply_env(&mut command, root);
    Ok(command)
}

/// Runs the tests once, copying their output to the terminal and to `log`; returns the names
/// of the tests that failed (libtest's `test NAME ... FAILED` lines).
fn one_run(root: &Path, log: &Path) -> Result<Vec<String>, Failure> {
    let mut command = test_command(root)?;
    command.stdout(Stdio::piped()).stderr(Stdio::inherit());
    let mut child =
        command.spawn().map_err(|e| Failure::new(format!("could not start cargo test: {e}")))?;
    let mut file = fs::File::create(log)
        .map_err(|e| Failure::new(format!("creating {}: {e}", log.display())))?;
    let mut failed = Vec::new();
    let stdout = child.stdout.take().ok_or_else(|| Failure::new("cargo test's output"))?;
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| Failure::new(format!("reading cargo test's output: {e}")))?;
        println!("{line}");
        writeln!(file, "{line}").map_err(|e| Failure::new(format!("writing the log: {e}")))?;
        if let Some(test) = failed_test(&line) {
            failed.push(test.to_owned());
        }
    }
    let status = child.wait().map_err(|e| Failure::new(format!("waiting for cargo test: {e}")))?;
    if !status.success() && failed.is_empty() {
        // A binary that crashed or did not build fails the run without naming a test.
        failed.push(format!("(cargo test exited with {status} without naming a failed test)"));
    }
    Ok(failed)
}

/// The test a libtest line reports as failed: `test invite::sends ... FAILED`.
fn failed_test(line: &str) -> Option<&str> {
    line.strip_prefix("test ")?.strip_suffix(" ... FAILED")
}

#[cfg(test)]
mod tests {
    use super::failed_test;

    #[test]
    fn only_libtest_failure_lines_name_a_failed_test() {
        assert_eq!(failed_test("test invite::sends_it ... FAILED"), Some("invite::sends_it"));
        assert_eq!(failed_test("test invite::sends_it ... ok"), None);
        assert_eq!(failed_test("test result: FAILED. 1 passed; 1 failed"), None);
        assert_eq!(failed_test("    invite::sends_it"), None);
    }
}
