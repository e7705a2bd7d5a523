//! Running commands: each one echoed before it runs, failures turned into [`Failure`], and steps
//! timed so that the output of a run shows where its minutes went.

use std::fmt;
use std::process::Command;
use std::time::Instant;

/// Why a task failed, in words for the person who ran it.
#[derive(Debug)]
pub(crate) struct Failure(String);

impl Failure {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The result of a task or step.
pub(crate) type Outcome = Result<(), Failure>;

/// Runs `command` with inherited output and fails unless it exits with 0.
pub(crate) fn run(command: &mut Command) -> Outcome {
    println!("$ {}", describe(command));
    let status = command
        .status()
        .map_err(|e| Failure::new(format!("could not start `{}`: {e}", describe(command))))?;
    if status.success() {
        Ok(())
    } else {
        Err(Failure::new(format!("`{}` failed ({status})", describe(command))))
    }
}

/// Runs `command` and returns its standard output, failing unless it exits with 0.
pub(crate) fn output(command: &mut Command) -> Result<String, Failure> {
    let output = command
        .output()
        .map_err(|e| Failure::new(format!("could not start `{}`: {e}", describe(command))))?;
    if !output.status.success() {
        return Err(Failure::new(format!(
            "`{}` failed ({}):\n{}",
            describe(command),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs one named step of a task and prints how long it took.
pub(crate) fn step(name: &str, body: impl FnOnce() -> Outcome) -> Outcome {
    println!("\n==> {name}");
    let started = Instant::now();
    let outcome = body();
    let verdict = if outcome.is_ok() { "done" } else { "FAILED" };
    println!("==> {name}: {verdict} in {:.1} s", started.elapsed().as_secs_f64());
    outcome
}

fn describe(command: &Command) -> String {
    let mut words = vec![command.get_program().to_string_lossy().into_owned()];
    words.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
    words.join(" ")
}
