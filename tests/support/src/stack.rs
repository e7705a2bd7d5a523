//! [`LocalStack`]: `wrangler dev` serving the built Worker and SPA on loopback, with local D1/KV/DO
//! state in a directory of the caller's choosing and the D1 migrations applied to it.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

use crate::paths::node_bin;
use crate::supervised::{Logs, Supervised};

/// How long wrangler may take from start to its first answer (cold starts on a busy 2-core
/// machine take ~10 s; this leaves room without hiding a hang for long).
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// How to start a [`LocalStack`].
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// The port to serve on; `None` picks a free one.
    pub port: Option<u16>,
    /// The directory that holds the local D1, KV and Durable Object state.
    pub state_dir: PathBuf,
    /// Worker variables, passed as `--var NAME:VALUE`.
    pub vars: Vec<(String, String)>,
    /// Files of `NAME=VALUE` lines passed with `--env-file`: wrangler treats their values as
    /// secrets and never prints them.
    pub env_files: Vec<PathBuf>,
    /// Whether to apply the D1 migrations first (tests of a broken database turn this off).
    pub migrate: bool,
    /// Where wrangler's output goes.
    pub logs: Logs,
    /// Whether wrangler logs every request (and the Worker's `console.log`). A load test turns
    /// this off: wrangler's request log is a call from its proxy to its Node process for every
    /// request, which on a machine of two cores takes the CPU the Worker is measured on.
    pub log_requests: bool,
    /// Whether wrangler opens the Worker's `DevTools` inspector. Its proxy sends every message of
    /// the Worker's runtime (a network event for each D1 query among them) to wrangler's Node
    /// process, which costs more CPU than the Worker itself: tests and benchmarks leave it off,
    /// `cargo xtask dev` keeps it for people who debug.
    pub inspector: bool,
}

impl StackOptions {
    /// Options for a test stack named `name`: a free port, migrated, fresh state and a log file
    /// under `target/test-stacks/<name>/`, emptied first so that no rows from an earlier run can
    /// make a test pass.
    ///
    /// # Errors
    ///
    /// When the directory cannot be emptied or created.
    pub fn fresh_for_tests(root: &Path, name: &str) -> Result<Self, StackError> {
        let dir = root.join("target").join("test-stacks").join(name);
        if dir.exists() {
            fs::remove_dir_all(&dir)
                .map_err(|e| StackError::Io(format!("emptying {}", dir.display()), e))?;
        }
        fs::create_dir_all(&dir)
            .map_err(|e| StackError::Io(format!("creating {}", dir.display()), e))?;
        Ok(Self {
            port: None,
            state_dir: dir.join("state"),
            vars: Vec::new(),
            env_files: Vec::new(),
            migrate: true,
            logs: Logs::File(dir.join("wrangler.log")),
            log_requests: true,
            inspector: false,
        })
    }
}

/// Why the local stack (or another supervised process) did not start.
#[derive(Debug)]
pub enum StackError {
    /// The Worker or the SPA has not been built (`cargo xtask build` builds both).
    NotBuilt(PathBuf),
    /// A process could not be started or a file could not be written.
    Io(String, io::Error),
    /// A `wrangler d1` command (the migrations, or SQL of a test) failed; its output.
    Migrations(String),
    /// The process exited before answering, or did not answer in time; its last log lines.
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
            Self::NotReady(why) => write!(f, "the server did not become ready: {why}"),
        }
    }
}

impl std::error::Error for StackError {}

/// A running `wrangler dev`. Dropping it stops wrangler and workerd.
#[derive(Debug)]
pub struct LocalStack {
    base_url: String,
    root: PathBuf,
    /// How it was started, with the port it serves on: what a restart starts again.
    options: StackOptions,
    wrangler: Supervised,
}

impl LocalStack {
    /// Applies the D1 migrations to `options.state_dir` (unless told not to), starts `wrangler dev` on 127.0.0.1 and
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
        if options.migrate {
            apply_migrations(root, &options)?;
        }

        let port = match options.port {
            Some(port) => port,
            None => free_port().map_err(|e| StackError::Io("finding a free port".into(), e))?,
        };
        let options = StackOptions { port: Some(port), ..options };
        let wrangler = spawn_wrangler(root, &options, port, false)?;
        Ok(Self {
            base_url: format!("http://127.0.0.1:{port}"),
            root: root.to_path_buf(),
            options,
            wrangler,
        })
    }

    /// Kills the stack as a crash would: `SIGKILL` to wrangler, its workerd and everything else
    /// they started, all at once, so that nothing is flushed or shut down in order. The state
    /// directory keeps whatever had reached it. Nothing answers until [`Self::restart`].
    ///
    /// # Errors
    ///
    /// When the processes cannot be signalled or do not die.
    pub fn kill(&mut self) -> Result<(), StackError> {
        self.wrangler.kill()
    }

    /// Freezes the stack (`SIGSTOP` to wrangler, workerd and the rest) until [`Self::resume`]:
    /// nothing of it runs meanwhile, so that its state can be read from outside
    /// ([`Self::query_sql`]) exactly as it stands, and [`Self::kill`] crashes it right there.
    ///
    /// # Errors
    ///
    /// When the processes cannot be signalled or do not stop.
    pub fn pause(&mut self) -> Result<(), StackError> {
        self.wrangler.pause()
    }

    /// Lets a [`Self::pause`]d stack run on.
    ///
    /// # Errors
    ///
    /// When the processes cannot be signalled.
    pub fn resume(&mut self) -> Result<(), StackError> {
        self.wrangler.resume()
    }

    /// Starts `wrangler dev` again after [`Self::kill`] (or after it exited) on the same state
    /// directory, with the same variables and on the same port, without applying the migrations
    /// (a restart, not a deploy), and waits until the Worker answers. Its output goes on in the
    /// same log, after a line that marks the restart.
    ///
    /// The port lies in the ephemeral range, so that meanwhile it may have become the local
    /// port of an outgoing connection: [`Self::restart_on_new_port`] cannot meet that.
    ///
    /// # Errors
    ///
    /// As [`Self::start`]; also when the port is still taken after two minutes.
    pub fn restart(&mut self) -> Result<(), StackError> {
        let port = self.port();
        // The kernel closes a killed process's listening socket at once, but the port may have
        // been taken meanwhile: wait until it can be bound again.
        let started = Instant::now();
        while TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_err() {
            if started.elapsed() > READY_TIMEOUT {
                return Err(StackError::NotReady(format!("port {port} is still taken")));
            }
            thread::sleep(Duration::from_millis(50));
        }
        self.respawn(port)
    }

    /// [`Self::restart`] on another free port: the stack's URL ([`Self::base_url`]) changes.
    ///
    /// # Errors
    ///
    /// As [`Self::start`].
    pub fn restart_on_new_port(&mut self) -> Result<(), StackError> {
        let port = free_port().map_err(|e| StackError::Io("finding a free port".into(), e))?;
        self.respawn(port)
    }

    fn respawn(&mut self, port: u16) -> Result<(), StackError> {
        if let Logs::File(path) = &self.options.logs {
            let mut log = fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
                .map_err(|e| StackError::Io(format!("opening {}", path.display()), e))?;
            writeln!(log, "\n--- restarted on the same state, on port {port} ---\n")
                .map_err(|e| StackError::Io(format!("writing {}", path.display()), e))?;
        }
        self.options.port = Some(port);
        // The old watchdog is replaced; dropping a killed one ends nothing more.
        self.wrangler = spawn_wrangler(&self.root, &self.options, port, true)?;
        self.base_url = format!("http://127.0.0.1:{port}");
        Ok(())
    }

    /// Runs SQL on the stack's local D1 from outside the Worker (`wrangler d1 execute`), as a
    /// test does to break the database under a running Worker.
    ///
    /// # Errors
    ///
    /// When wrangler fails to run the statement.
    pub fn execute_sql(&self, sql: &str) -> Result<(), StackError> {
        let mut command = wrangler_command(&self.root);
        command
            .args(["d1", "execute", "DB", "--local", "--persist-to"])
            .arg(&self.options.state_dir);
        command.args(["--command", sql]);
        run_d1_command(command, false)
    }

    /// Runs a query on a copy of the stack's local D1 (`wrangler d1 execute --json`) and returns
    /// wrangler's JSON: an array with one object per statement, whose `results` are the rows. A
    /// test reads with it what the API does not show, such as the state a killed stack left.
    ///
    /// The copy is taken first, so that the stack's own database is never opened by a second
    /// process (whose writes, even wrangler's own bookkeeping, would make the Worker's next
    /// write fail with `SQLITE_BUSY_SNAPSHOT`). It is consistent when the stack is
    /// [`Self::pause`]d or killed; a running stack may be caught half-way through writing.
    ///
    /// # Errors
    ///
    /// When the copy cannot be made or wrangler fails to run the query.
    pub fn query_sql(&self, sql: &str) -> Result<String, StackError> {
        let copy = self.copy_of_state("v3/d1", "copy")?;
        let mut command = wrangler_command(&self.root);
        command.args(["d1", "execute", "DB", "--local", "--json", "--persist-to"]).arg(&copy);
        command.args(["--command", sql]);
        run_for_output(command, "running wrangler d1")
    }

    /// The keys of the stack's local KV namespace `binding` as wrangler lists them (`wrangler
    /// kv key list --local`: a JSON array of objects with a `name`), read from a copy of its
    /// files as [`Self::query_sql`] reads D1, and as consistent: only when the stack is
    /// [`Self::pause`]d or killed. A test reads with it whether a value has reached the disk.
    ///
    /// # Errors
    ///
    /// When the copy cannot be made or wrangler fails to list the keys.
    pub fn kv_keys(&self, binding: &str) -> Result<String, StackError> {
        let copy = self.copy_of_state("v3/kv", "kv-copy")?;
        let mut command = wrangler_command(&self.root);
        command.args(["kv", "key", "list", "--local", "--binding", binding, "--persist-to"]);
        command.arg(&copy);
        run_for_output(command, "running wrangler kv")
    }

    /// A fresh copy of the state's `part` (`v3/d1`, `v3/kv`) beside the state directory, with
    /// the extension `extension`, so that wrangler reads it without opening the stack's files.
    fn copy_of_state(&self, part: &str, extension: &str) -> Result<PathBuf, StackError> {
        let copy = self.options.state_dir.with_extension(extension);
        if copy.exists() {
            fs::remove_dir_all(&copy)
                .map_err(|e| StackError::Io(format!("emptying {}", copy.display()), e))?;
        }
        copy_database_files(&self.options.state_dir.join(part), &copy.join(part))?;
        Ok(copy)
    }

    /// The URL the stack serves on, without a trailing slash (`http://127.0.0.1:PORT`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The port the stack serves on.
    pub fn port(&self) -> u16 {
        self.options.port.unwrap_or_default()
    }

    /// The directory that holds the stack's local D1, KV and Durable Object state.
    pub fn state_dir(&self) -> &Path {
        &self.options.state_dir
    }

    /// Blocks until wrangler exits by itself.
    ///
    /// # Errors
    ///
    /// When waiting on the process fails.
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        self.wrangler.wait()
    }

    /// The last lines of wrangler's log, to explain a failed test.
    pub fn log_tail(&self) -> String {
        self.wrangler.log_tail()
    }
}

/// Copies the database files under `from` to `to`, with their write-ahead logs (`-wal`) but
/// without their shared-memory indexes (`-shm`): the index of a copy is rebuilt from its log,
/// which keeps exactly the transactions that were committed.
fn copy_database_files(from: &Path, to: &Path) -> Result<(), StackError> {
    fs::create_dir_all(to).map_err(|e| StackError::Io(format!("creating {}", to.display()), e))?;
    let entries =
        fs::read_dir(from).map_err(|e| StackError::Io(format!("reading {}", from.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| StackError::Io(format!("reading {}", from.display()), e))?;
        let (path, name) = (entry.path(), entry.file_name());
        if path.is_dir() {
            copy_database_files(&path, &to.join(&name))?;
        } else if !name.to_string_lossy().ends_with("-shm") {
            fs::copy(&path, to.join(&name))
                .map_err(|e| StackError::Io(format!("copying {}", path.display()), e))?;
        }
    }
    Ok(())
}

/// Starts `wrangler dev` with `options` on `port` and waits until the Worker answers.
fn spawn_wrangler(
    root: &Path,
    options: &StackOptions,
    port: u16,
    append_log: bool,
) -> Result<Supervised, StackError> {
    let mut command = wrangler_command(root);
    command
        .arg("dev")
        .args(["--local", "--ip", "127.0.0.1", "--port", &port.to_string()])
        .arg("--persist-to")
        .arg(&options.state_dir)
        .args(["--show-interactive-dev-session=false", "--test-scheduled"]);
    if !options.log_requests {
        command.args(["--log-level", "warn"]);
    }
    if options.inspector {
        let inspector_port =
            free_port().map_err(|e| StackError::Io("finding a free port".into(), e))?;
        command.args(["--inspector-port", &inspector_port.to_string()]);
    } else {
        // wrangler's command line has no switch for this; it leaves the inspector off in a VS
        // Code debug terminal, which it recognises by this variable alone (wrangler 4.86:
        // `ProxyController.inspectorEnabled`; miniflare then starts no watchdog without VS
        // Code's bootloader in NODE_OPTIONS). The Worker's logs still arrive, through
        // workerd's structured logs.
        command.env("VSCODE_INSPECTOR_OPTIONS", "off");
    }
    for (name, value) in &options.vars {
        command.arg("--var").arg(format!("{name}:{value}"));
    }
    for file in &options.env_files {
        command.arg("--env-file").arg(file);
    }
    // wrangler's dev registry lives in its config folder and connects sessions of the same
    // Worker name (Durable Objects included): each stack gets its own, so that two stacks
    // never serve each other's requests.
    if let Some(parent) = options.state_dir.parent() {
        command.env("XDG_CONFIG_HOME", parent.join("xdg-config"));
    }
    let mut wrangler = if append_log {
        Supervised::spawn_appending(&command, &options.logs)?
    } else {
        Supervised::spawn(&command, &options.logs)?
    };
    wrangler.wait_until_answers(port, "/api/v1/health", READY_TIMEOUT)?;
    Ok(wrangler)
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

/// Runs a wrangler command that reads local state, and returns what it printed; its words when
/// it fails. `doing` says what it was for, should it not start.
fn run_for_output(mut command: Command, doing: &str) -> Result<String, StackError> {
    let output =
        command.env("CI", "true").output().map_err(|e| StackError::Io(doing.to_owned(), e))?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    Err(StackError::Migrations(format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )))
}

fn wrangler_command(root: &Path) -> Command {
    let mut command = Command::new(node_bin(root, "wrangler"));
    command.current_dir(root).args(["--config", "wrangler.toml"]);
    quiet_wrangler_env(&mut command, root);
    command
}

/// How often the migrations are tried before their failure is reported.
const MIGRATION_ATTEMPTS: usize = 3;

/// Applies the migrations, trying again when wrangler fails: on a loaded machine it now and
/// then dies on an internal assertion (`✘ [ERROR] false == true`, from its HTTP client) while
/// it talks to its local D1. Applied migrations are recorded and skipped, so another attempt
/// applies only what the failed one did not; a real failure fails every attempt, and is
/// reported with each attempt's words.
fn apply_migrations(root: &Path, options: &StackOptions) -> Result<(), StackError> {
    let mut failures = Vec::new();
    for _ in 0..MIGRATION_ATTEMPTS {
        let mut command = wrangler_command(root);
        command
            .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
            .arg(&options.state_dir);
        match run_d1_command(command, matches!(options.logs, Logs::Inherit)) {
            Ok(()) => return Ok(()),
            Err(StackError::Migrations(output)) => failures.push(output),
            Err(other) => return Err(other),
        }
    }
    Err(StackError::Migrations(failures.join("\n--- and on the next attempt:\n")))
}

/// Runs a `wrangler d1 …` command non-interactively (wrangler answers its own confirmation
/// prompts), echoing its output when `echo` is set; a failure carries wrangler's words.
fn run_d1_command(mut command: Command, echo: bool) -> Result<(), StackError> {
    let output = command
        .env("CI", "true")
        .output()
        .map_err(|e| StackError::Io("running wrangler d1".into(), e))?;
    if echo {
        io::stdout().write_all(&output.stdout).ok();
    }
    if output.status.success() {
        return Ok(());
    }
    Err(StackError::Migrations(format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_build_is_reported_before_anything_starts() {
        let empty = std::env::temp_dir().join(format!("no-build-{}", std::process::id()));
        let options = StackOptions {
            port: None,
            state_dir: empty.join("state"),
            vars: Vec::new(),
            env_files: Vec::new(),
            migrate: true,
            logs: Logs::Inherit,
            log_requests: true,
            inspector: false,
        };
        let error = LocalStack::start(&empty, options).unwrap_err();
        assert!(matches!(error, StackError::NotBuilt(_)), "{error}");
        assert!(error.to_string().contains("cargo xtask build"), "{error}");
    }

    #[test]
    fn fresh_test_options_empty_the_stack_directory() {
        let root = std::env::temp_dir().join(format!("fresh-stack-{}", std::process::id()));
        let leftover = root.join("target/test-stacks/unit/state/leftover.sqlite");
        fs::create_dir_all(leftover.parent().unwrap()).unwrap();
        fs::write(&leftover, b"old rows").unwrap();

        let options = StackOptions::fresh_for_tests(&root, "unit").unwrap();

        assert!(!leftover.exists());
        assert!(options.state_dir.starts_with(root.join("target/test-stacks/unit")));
        assert!(options.migrate);
        let _ = fs::remove_dir_all(root);
    }
}
