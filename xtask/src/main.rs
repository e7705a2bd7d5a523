//! The task runner (`cargo xtask <task>`): every build, run and check of the project, so that a
//! fresh machine needs nothing but `cargo` to get going. Each task installs what it is missing.

#![expect(clippy::print_stdout, reason = "a command-line tool reports to its user on stdout")]

mod build;
mod dev;
mod dev_secrets;
mod process;
mod repeat;
mod setup;
mod short_imports;
mod size;
mod test;
mod tools;

use std::process::ExitCode;

use process::Failure;

const HELP: &str = "\
Usage: cargo xtask <task> [options]

Tasks:
  dev [--port N]   Build everything, apply the D1 migrations to the local state and run the product
                   with `wrangler dev` on http://127.0.0.1:8787 (or port N). Ctrl-C stops it.
  test             Install what is missing, then run every check and test: format, clippy (native
                   and wasm32), the builds, the unit, API and browser tests, and the size report.
  test --repeat N  Build, then run the API and browser tests N times (each run's output in
                   target/test-repeat/); name every test that failed at least once.
  build            Build the Worker (edge/build) and the SPA (app/dist) for release.
  size             Build, then print the SPA's and the Worker's sizes (raw, gzip, brotli) and
                   check that `wrangler deploy --dry-run` produces the deployable bundle offline.
  setup [--browser]
                   Install the toolchain pieces only: the wasm32 target, the npm packages, the
                   pinned cargo tools, and with --browser Debian's chromium and chromium-driver.
  help             Print this text.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("dev") => dev::run(&args[1..]),
        Some("test") => match repeat_count(&args[1..]) {
            Ok(None) => test::run(),
            Ok(Some(runs)) => repeat::run(runs),
            Err(failure) => Err(failure),
        },
        Some("build") => setup::run(setup::Needs::Build).and_then(|()| build::run()),
        Some("size") => size::run(),
        Some("setup") => setup::run(if args.iter().any(|a| a == "--browser") {
            setup::Needs::Browser
        } else {
            setup::Needs::Build
        }),
        Some("help" | "--help" | "-h") | None => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => Err(Failure::new(format!("unknown task `{other}`; see `cargo xtask help`"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// The `N` of `test --repeat N`, or `None` for a plain `test`.
fn repeat_count(args: &[String]) -> Result<Option<u32>, Failure> {
    match args {
        [] => Ok(None),
        [flag, count] if flag == "--repeat" => {
            count.parse().ok().filter(|n| *n >= 1).map(Some).ok_or_else(|| {
                Failure::new(format!("--repeat takes a number of runs from 1, not `{count}`"))
            })
        }
        _ => Err(Failure::new(format!("`test` takes only `--repeat N`, not `{}`", args.join(" ")))),
    }
}
