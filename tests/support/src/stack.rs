//! [`LocalStack`]: `wrangler dev` serving the built Worker and SPA on loopback, with local D1/KV/DO
//! state in a directory of the caller's choosing and the D1 migrations applied to it.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::paths::node_bin;

/// How long wrangler may take from start to its first answer (cold starts on a busy 2-core
/// machine take ~10 s; this leaves room without hiding a hang for long).
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs the command given as its arguments and ends it, with every process it started, when its
/// own standard input closes, that is when the process that started it exits, however it exits
/// (normally, by a panic, or killed). It also ends when the command exits on its own. All of it
/// runs in one process group, which `kill 0` ends as a whole (wrangler starts workerd children).
const WATCHDOG: &str = r#"
exec 3<&0
"$@" </dev/null &
command=$!
cat <&3 >/dev/null &
wait -n
trap '' TERM
kill -TERM 0 2>/dev/null
for _ in $(seq 50); do kill -0 "$command" 2>/dev/null || break; sleep 0.1; done
kill -KILL 0
"#;

/// Where wrangler's output goes.
#[derive(Debug, Clone)]
pub enum Logs {
    /// To this process's own stdout and stderr (`cargo xtask dev`).
    Inherit,
    /// Into this file (tests: printed only when something fails).
    File(PathBuf),
}

/// How to start a [`LocalStack`].
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// The port to serve on; `None` picks a free one.
    pub port: Option<u16>,
    /// The directory that holds the local D1, KV and Durable Object state.
    pub state_dir: PathBuf,
    /// Worker variables, passed as `--var NAME:VALUE`.
    pub vars: Vec<(String, String)>,
    /// Where wrangler's output goes.
    pub logs: Logs,
}

/// Why the local stack did not start.
#[derive(Debug)]
pub enum StackError {
    /// The Worker or the SPA has not been built (`cargo xtask build` builds both).
    NotBuilt(PathBuf),
    /// A process could not be started or a file could not be written.
    Io(String, io::Error),
    /// `wrangler d1 migrations apply` failed; its output.
    Migrations(String),
    /// wrangler exited before answering, or did not answer in time; its last log lines.
    NotReady(String),
}

impl fmt::Display for StackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotBuilt(missing) => write!(
                f,
                "{} is missing: build the Worker and the SPA first (`cargo xtask build`)",
                missing.display()
            ),
            Self::Io(what, error) => write!(f, "{what}: {error}"),
            Self::Migrations(output) => write!(f, "applying the D1 migrations failed:\n{output}"),
            Self::NotReady(why) => write!(f, "wrangler dev did not become ready: {why}"),
        }
    }
}

impl std::error::Error for StackError {}

/// A running `wrangler dev`. Dropping it stops wrangler and workerd.
#[derive(Debug)]
pub struct LocalStack {
    base_url: String,
    watchdog: Child,
    /// Held open for as long as the stack runs: closing it tells the watchdog to stop wrangler.
    lifeline: Option<ChildStdin>,
}

impl LocalStack {
    /// Applies the D1 migrations to `options.state_dir`, starts `wrangler dev` on 127.0.0.1 and
    /// waits until the Worker answers `GET /api/v1/health` (with any status).
    ///
    /// # Errors
    ///
    /// See [`StackError`]; every variant says what to do or carries wrangler's own words.
    pub fn start(root: &Path, options: StackOptions) -> Result<Self, StackError> {
        for built in ["edge/build/index.js", "app/dist/index.html"] {
            if !root.join(built).is_file() {
                return Err(StackError::NotBuilt(root.join(built)));
            }
        }
        fs::create_dir_all(&options.state_dir)
            .map_err(|e| StackError::Io(format!("creating {}", options.state_dir.display()), e))?;
        apply_migrations(root, &options)?;

        let port = match options.port {
            Some(port) => port,
            None => free_port().map_err(|e| StackError::Io("finding a free port".into(), e))?,
        };
        let inspector_port =
            free_port().map_err(|e| StackError::Io("finding a free port".into(), e))?;
        let mut wrangler = wrangler_command(root);
        wrangler
            .arg("dev")
            .args(["--local", "--ip", "127.0.0.1", "--port", &port.to_string()])
            .args(["--inspector-port", &inspector_port.to_string()])
            .arg("--persist-to")
            .arg(&options.state_dir)
            .args(["--show-interactive-dev-session=false", "--test-scheduled"]);
        for (name, value) in &options.vars {
            wrangler.arg("--var").arg(format!("{name}:{value}"));
        }

        let mut command = Command::new("bash");
        command.arg("-c").arg(WATCHDOG).arg("watchdog").arg(wrangler.get_program());
        command.args(wrangler.get_args()).current_dir(root).stdin(Stdio::piped());
        for (name, value) in wrangler.get_envs() {
            if let Some(value) = value {
                command.env(name, value);
            }
        }
        // Its own process group, so that the watchdog's `kill 0` reaches only what it started.
        command.process_group(0);
        let log_file = match &options.logs {
            Logs::Inherit => None,
            Logs::File(path) => {
                let file = File::create(path)
                    .map_err(|e| StackError::Io(format!("creating {}", path.display()), e))?;
                let err = file.try_clone().map_err(|e| StackError::Io("log file".into(), e))?;
                command.stdout(file).stderr(err);
                Some(path.clone())
            }
        };
        let mut watchdog =
            command.spawn().map_err(|e| StackError::Io("starting wrangler dev".into(), e))?;
        let lifeline = watchdog.stdin.take();
        let mut stack = Self { base_url: format!("http://127.0.0.1:{port}"), watchdog, lifeline };
        stack.wait_until_ready(port, log_file.as_deref())?;
        Ok(stack)
    }

    /// The URL the stack serves on, without a trailing slash (`http://127.0.0.1:PORT`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Blocks until wrangler exits by itself.
    ///
    /// # Errors
    ///
    /// When waiting on the process fails.
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        self.watchdog.wait()
    }

    fn wait_until_ready(&mut self, port: u16, log: Option<&Path>) -> Result<(), StackError> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.watchdog.try_wait() {
                return Err(StackError::NotReady(format!("it exited ({status}){}", log_tail(log))));
            }
            if http_status(port, "/api/v1/health").is_some() {
                return Ok(());
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err(StackError::NotReady(format!(
                    "no answer within {READY_TIMEOUT:?}{}",
                    log_tail(log)
                )));
            }
            thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for LocalStack {
    fn drop(&mut self) {
        // Closing the lifeline makes the watchdog stop wrangler and workerd; wait for it so that
        // the port and the state directory are free when this returns.
        drop(self.lifeline.take());
        let _ = self.watchdog.wait();
    }
}

/// Sets the environment that keeps wrangler offline, quiet and out of the user's home.
///
/// No telemetry, no update check (the banner does it), no download of `Request.cf`, and its
/// logs and device id under the workspace's `.run/` instead of `~/.config`.
pub fn quiet_wrangler_env(command: &mut Command, root: &Path) {
    command
        .env("WRANGLER_SEND_METRICS", "false")
        .env("WRANGLER_HIDE_BANNER", "true")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("XDG_CONFIG_HOME", root.join(".run").join("xdg-config"));
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
///
/// # Errors
///
/// When the system has no free port to give.
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port())
}

fn wrangler_command(root: &Path) -> Command {
    let mut command = Command::new(node_bin(root, "wrangler"));
    command.current_dir(root).args(["--config", "wrangler.toml"]);
    quiet_wrangler_env(&mut command, root);
    command
}

fn apply_migrations(root: &Path, options: &StackOptions) -> Result<(), StackError> {
    let mut command = wrangler_command(root);
    command
        .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
        .arg(&options.state_dir)
        // Non-interactive: wrangler answers its own confirmation prompt.
        .env("CI", "true");
    let output =
        command.output().map_err(|e| StackError::Io("running wrangler d1 migrations".into(), e))?;
    if matches!(options.logs, Logs::Inherit) {
        io::stdout().write_all(&output.stdout).ok();
    }
    if output.status.success() {
        Ok(())
    } else {
        Err(StackError::Migrations(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}

/// The status code of `GET path` on 127.0.0.1:`port`, or `None` when nothing answers.
///
/// A minimal HTTP/1.1 exchange, so that this crate needs no HTTP client.
fn http_status(port: u16, path: &str) -> Option<u16> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut head = [0_u8; 12];
    stream.read_exact(&mut head).ok()?;
    let head = std::str::from_utf8(&head).ok()?;
    head.strip_prefix("HTTP/1.1 ")?.parse().ok()
}

fn log_tail(log: Option<&Path>) -> String {
    let Some(text) = log.and_then(|path| fs::read_to_string(path).ok()) else {
        return String::new();
    };
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(40)..].join("\n");
    format!("; wrangler's last lines:\n{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_status_reads_the_status_line_of_an_answer() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = thread::spawn(move || {
            let (mut connection, _) = listener.accept().unwrap();
            let mut request = [0_u8; 256];
            let _ = connection.read(&mut request).unwrap();
            connection.write_all(b"HTTP/1.1 503 Service Unavailable\r\n\r\n").unwrap();
        });
        assert_eq!(http_status(port, "/api/v1/health"), Some(503));
        server.join().unwrap();
    }

    #[test]
    fn http_status_is_none_when_nothing_listens() {
        let port = free_port().unwrap();
        assert_eq!(http_status(port, "/"), None);
    }

    #[test]
    fn a_missing_build_is_reported_before_anything_starts() {
        let empty = std::env::temp_dir().join(format!("no-build-{}", std::process::id()));
        let options = StackOptions {
            port: None,
            state_dir: empty.join("state"),
            vars: Vec::new(),
            logs: Logs::Inherit,
        };
        let error = LocalStack::start(&empty, options).unwrap_err();
        assert!(matches!(error, StackError::NotBuilt(_)), "{error}");
        assert!(error.to_string().contains("cargo xtask build"), "{error}");
    }
}
