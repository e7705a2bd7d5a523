//! The fake Okta as a process, for tests that cannot run it in process (the Worker's):
//!
//! `fake-okta --listen 127.0.0.1:0 --tenant S --seed 7 [--assign-everyone] [--big-group N]
//! [--latency-ms N] [--window-secs N] [--token-share-percent N] [--concurrency-limit N]
//! [--stop-on-stdin-eof]`
//!
//! `--assign-everyone` assigns the built-in `Everyone` group (every user) to the app at start;
//! `--big-group N` adds one more assigned group, `All Staff`, with N members, creating the users
//! the tenant lacks (e.g. `--big-group 250000`; see [`fake_okta::TenantOptions`]).
//!
//! The first line on stdout is the [`fake_okta::TenantInfo`] as one JSON object (`base_url`,
//! `token`, `app_id`, `groups`, `memberships`, …); nothing else is printed there. It serves until
//! SIGTERM or SIGINT (or, with `--stop-on-stdin-eof`, until stdin closes, so that it cannot
//! outlive a parent that holds its stdin).

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use fake_okta::{FakeOkta, FakeOktaConfig, TenantOptions, TenantSize, TenantSpec};
use tokio::io::AsyncReadExt;
use tokio::signal::unix::{SignalKind, signal};

struct Args {
    listen: SocketAddr,
    config: FakeOktaConfig,
    options: TenantOptions,
    stop_on_stdin_eof: bool,
}

const USAGE: &str = "usage: fake-okta [--listen ADDR] [--tenant demo|S|M|L] [--seed N] \
    [--assign-everyone] [--big-group N] [--latency-ms N] [--window-secs N] [--token-share-percent N] [--concurrency-limit N] \
    [--stop-on-stdin-eof]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        config: FakeOktaConfig::default(),
        options: TenantOptions::default(),
        stop_on_stdin_eof: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        // The flags without a value.
        let switch = match flag.as_str() {
            "--stop-on-stdin-eof" => Some(&mut args.stop_on_stdin_eof),
            "--assign-everyone" => Some(&mut args.options.assign_everyone),
            _ => None,
        };
        if let Some(switch) = switch {
            *switch = true;
            continue;
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = || value.parse::<u64>().map_err(|e| format!("{flag} {value}: {e}"));
        let config = &mut args.config;
        match flag.as_str() {
            "--listen" => args.listen = value.parse().map_err(|e| format!("--listen: {e}"))?,
            "--tenant" => {
                let size: TenantSize = value.parse()?;
                config.tenant = TenantSpec { size, ..config.tenant };
            }
            "--seed" => config.tenant.seed = number()?,
            "--big-group" => {
                let members = value.parse::<u32>().map_err(|e| format!("{flag} {value}: {e}"))?;
                args.options.big_group = Some(members);
            }
            "--latency-ms" => config.latency = Duration::from_millis(number()?),
            "--window-secs" => config.limits.window = Duration::from_secs(number()?),
            "--token-share-percent" => config.limits.token_share_percent = number()? as u32,
            "--concurrency-limit" => config.limits.concurrency_limit = number()? as u32,
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(why) => {
            eprintln!("{why}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime can be built at startup");
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("fake-okta: {why}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: Args) -> std::io::Result<()> {
    // Handlers first: a parent may send SIGTERM as soon as it has read the first line.
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let fake = FakeOkta::start_with_options(args.config, args.options, args.listen).await?;
    announce(fake.info())?;
    let stdin_closed = async {
        if args.stop_on_stdin_eof {
            let mut stdin = tokio::io::stdin();
            let mut buf = [0u8; 256];
            while stdin.read(&mut buf).await.is_ok_and(|n| n > 0) {}
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
        () = stdin_closed => {}
    }
    drop(fake);
    Ok(())
}

#[expect(clippy::print_stdout, reason = "the one documented stdout line: the tenant info")]
fn announce(info: &fake_okta::TenantInfo) -> std::io::Result<()> {
    let line = serde_json::to_string(info).map_err(std::io::Error::other)?;
    println!("{line}");
    std::io::stdout().flush()
}
