//! [`Supervised`]: a child process that cannot outlive the process that started it.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::stack::StackError;

/// Runs the command given as its arguments and ends it, with every process it started, when its
/// own standard input closes, that is when the process that started it exits, however it exits
/// (normally, by a panic, or killed). It also ends when the command exits on its own. All of it
/// runs in one process group, which `kill 0` ends as a whole (wrangler starts workerd children).
///
/// It waits for the command by its pid, which works even when the command is already gone, and
/// hears of the lifeline's end by a signal from the process that watches it. (`wait -n` over both
/// lost a command that exited before the watcher started: bash had already reaped and forgotten
/// it, and the watchdog then waited for the lifeline alone.)
const WATCHDOG: &str = r#"
exec 3<&0
end() {
    trap '' TERM
    kill -TERM 0 2>/dev/null
    for _ in $(seq 50); do kill -0 "$command" 2>/dev/null || break; sleep 0.1; done
    kill -KILL 0
}
trap end USR1
"$@" </dev/null &
command=$!
{ cat >/dev/null; kill -USR1 $$; } <&3 &
wait "$command"
end
"#;

/// Where a supervised process's output goes.
#[derive(Debug, Clone)]
pub enum Logs {
    /// To this process's own stdout and stderr (`cargo xtask dev`).
    Inherit,
    /// Into this file (tests: shown only when something fails).
    File(PathBuf),
}

/// A child process (and all of its own children) that ends when this value is dropped or when
/// this process exits, even by a crash: tests that panic leave no server behind.
#[derive(Debug)]
pub struct Supervised {
    watchdog: Child,
    /// Held open for as long as the child runs: closing it tells the watchdog to end the child.
    lifeline: Option<ChildStdin>,
    log: Option<PathBuf>,
    /// Whether the group is stopped ([`Self::pause`]).
    paused: bool,
}

impl Supervised {
    /// Starts `command` under the watchdog, with its output sent to `logs`.
    ///
    /// # Errors
    ///
    /// When the log file cannot be created or the process cannot be started.
    pub fn spawn(command: &Command, logs: &Logs) -> Result<Self, StackError> {
        Self::spawn_logging(command, logs, false)
    }

    /// [`Self::spawn`], adding to the log file instead of emptying it first (a process started
    /// again after [`Self::kill`], whose earlier words explain what it finds).
    ///
    /// # Errors
    ///
    /// As [`Self::spawn`].
    pub fn spawn_appending(command: &Command, logs: &Logs) -> Result<Self, StackError> {
        Self::spawn_logging(command, logs, true)
    }

    fn spawn_logging(command: &Command, logs: &Logs, append: bool) -> Result<Self, StackError> {
        let mut watched = Command::new("bash");
        watched.arg("-c").arg(WATCHDOG).arg("watchdog").arg(command.get_program());
        watched.args(command.get_args()).stdin(Stdio::piped());
        if let Some(dir) = command.get_current_dir() {
            watched.current_dir(dir);
        }
        for (name, value) in command.get_envs() {
            match value {
                Some(value) => watched.env(name, value),
                None => watched.env_remove(name),
            };
        }
        // Its own process group, so that the watchdog's `kill 0` reaches only what it started.
        watched.process_group(0);
        let log = match logs {
            Logs::Inherit => None,
            Logs::File(path) => {
                let file = File::options()
                    .write(true)
                    .create(true)
                    .append(append)
                    .truncate(!append)
                    .open(path)
                    .map_err(|e| StackError::Io(format!("creating {}", path.display()), e))?;
                let err = file.try_clone().map_err(|e| StackError::Io("a log file".into(), e))?;
                watched.stdout(file).stderr(err);
                Some(path.clone())
            }
        };
        let program = command.get_program().to_string_lossy().into_owned();
        let mut watchdog =
            watched.spawn().map_err(|e| StackError::Io(format!("starting {program}"), e))?;
        let lifeline = watchdog.stdin.take();
        Ok(Self { watchdog, lifeline, log, paused: false })
    }

    /// Waits until `GET path` on 127.0.0.1:`port` gets an HTTP answer (any status).
    ///
    /// # Errors
    ///
    /// [`StackError::NotReady`], with the last lines of the log, when the process exits first or
    /// nothing answers within `timeout`.
    pub fn wait_until_answers(
        &mut self,
        port: u16,
        path: &str,
        timeout: Duration,
    ) -> Result<(), StackError> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.watchdog.try_wait() {
                return Err(StackError::NotReady(format!(
                    "it exited ({status}){}",
                    self.log_tail()
                )));
            }
            if http_status(port, path).is_some() {
                return Ok(());
            }
            if started.elapsed() > timeout {
                return Err(StackError::NotReady(format!(
                    "no answer within {timeout:?}{}",
                    self.log_tail()
                )));
            }
            thread::sleep(Duration::from_millis(200));
        }
    }

    /// Stops the child, its watchdog and every process they started with `SIGSTOP`, and returns
    /// once every one of them is stopped: nothing of theirs runs until [`Self::resume`], so that
    /// what they left on disk can be read as it stands (and, with [`Self::kill`], a crash placed
    /// exactly there). Dropping a paused process resumes it first.
    ///
    /// # Errors
    ///
    /// When the signal cannot be sent, or a process of the group still runs after a minute.
    pub fn pause(&mut self) -> Result<(), StackError> {
        let group = self.watchdog.id();
        signal_group("STOP", group)?;
        self.paused = true;
        let started = Instant::now();
        while group_states(group).iter().any(|&state| state != 'T') {
            if started.elapsed() > KILL_PATIENCE {
                return Err(StackError::NotReady(format!(
                    "a process of group {group} still runs a minute after SIGSTOP"
                )));
            }
            thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    }

    /// Lets a [`Self::pause`]d group run on (`SIGCONT`).
    ///
    /// # Errors
    ///
    /// When the signal cannot be sent.
    pub fn resume(&mut self) -> Result<(), StackError> {
        signal_group("CONT", self.watchdog.id())?;
        self.paused = false;
        Ok(())
    }

    /// Ends the child, its watchdog and every process they started at once with `SIGKILL`, as a
    /// crash or the kernel's OOM killer would: none of them gets to clean up or to save
    /// anything. Returns once no process of the group runs anymore (so that its ports are free
    /// and its files are no longer written); afterwards, dropping this value does nothing more.
    ///
    /// # Errors
    ///
    /// When the signal cannot be sent, or a process of the group still runs after a minute.
    pub fn kill(&mut self) -> Result<(), StackError> {
        let group = self.watchdog.id();
        let sent = signal_group("KILL", group);
        // (A failed `kill` of a group that had ended by itself already is no failure.)
        if sent.is_err() && !group_states(group).is_empty() {
            return sent;
        }
        let _ = self.watchdog.wait();
        self.lifeline = None;
        self.paused = false;
        let started = Instant::now();
        while !group_states(group).is_empty() {
            if started.elapsed() > KILL_PATIENCE {
                return Err(StackError::NotReady(format!(
                    "a process of group {group} still runs a minute after SIGKILL"
                )));
            }
            thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Blocks until the child exits by itself.
    ///
    /// # Errors
    ///
    /// When waiting on the process fails.
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        self.watchdog.wait()
    }

    /// The last lines of the log file, to explain a failure.
    pub fn log_tail(&self) -> String {
        log_tail(self.log.as_deref())
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        if self.paused {
            let _ = self.resume();
        }
        // Closing the lifeline makes the watchdog end the child and its children; wait for it so
        // that ports and state directories are free when this returns.
        drop(self.lifeline.take());
        let _ = self.watchdog.wait();
    }
}

/// How long the processes of a group may take to die after `SIGKILL`: at once on a quiet
/// machine; the wait ends as soon as they are gone.
const KILL_PATIENCE: Duration = Duration::from_secs(60);

/// Sends `SIGNAL` to every process of process group `group` at once (the watchdog, the command,
/// and what the command started, such as wrangler's workerd), by bash's `kill`: the standard
/// library sends no signal but SIGKILL, and to one process only.
fn signal_group(signal: &str, group: u32) -> Result<(), StackError> {
    let sent = Command::new("bash")
        .arg("-c")
        .arg(format!("kill -{signal} -- -{group}"))
        .status()
        .map_err(|e| StackError::Io(format!("sending SIG{signal}"), e))?;
    if sent.success() {
        Ok(())
    } else {
        Err(StackError::NotReady(format!(
            "SIG{signal} could not be sent to group {group} ({sent})"
        )))
    }
}

/// The states (`R`, `S`, `T` …) of the processes of process group `group` that have not died:
/// zombies, which a container's first process may never reap, do not count.
fn group_states(group: u32) -> Vec<char> {
    let Ok(entries) = fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let stat = fs::read_to_string(entry.path().join("stat")).ok()?;
            // After the command's name (which may hold spaces and parentheses): state, ppid, pgrp.
            let mut fields = stat.rsplit_once(") ")?.1.split(' ');
            let state = fields.next()?.chars().next()?;
            let pgrp = fields.nth(1)?.parse::<u32>().ok()?;
            (pgrp == group && state != 'Z' && state != 'X').then_some(state)
        })
        .collect()
}

/// The status code of `GET path` on 127.0.0.1:`port`, or `None` when nothing answers.
///
/// A minimal HTTP/1.1 exchange, so that this crate needs no HTTP client.
pub fn http_status(port: u16, path: &str) -> Option<u16> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    // One write: `write!` on the stream would send the request in several pieces.
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
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
    format!("; its last lines:\n{tail}")
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;
    use crate::free_port;

    /// How long these tests wait for a process to do something (start, die, exit): generous, as
    /// each wait ends as soon as the state is reached, and CI runs them on two busy cores.
    const PATIENCE: Duration = Duration::from_secs(60);

    #[test]
    fn http_status_reads_the_status_line_of_an_answer() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = thread::spawn(move || {
            let (mut connection, _) = listener.accept().unwrap();
            // The whole request first: closing with unread bytes would reset the connection.
            let mut request = Vec::new();
            let mut byte = [0_u8; 1];
            while !request.ends_with(b"\r\n\r\n") && connection.read(&mut byte).unwrap() == 1 {
                request.push(byte[0]);
            }
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
    fn dropping_a_supervised_process_ends_it_and_its_children() {
        let pid_file = std::env::temp_dir().join(format!("supervised-{}.pid", std::process::id()));
        let _ = fs::remove_file(&pid_file);
        let mut command = Command::new("bash");
        // A grandchild that says who it is, then would live on for five minutes: far longer than
        // the test waits for its death, so that only the supervisor can end it in time.
        command
            .arg("-c")
            .arg(format!("(echo $BASHPID > {}; exec sleep 300) & wait", pid_file.display()));
        let child = Supervised::spawn(&command, &Logs::Inherit).unwrap();
        let started = Instant::now();
        let grandchild = loop {
            let text = fs::read_to_string(&pid_file).unwrap_or_default();
            // A whole line, so that a number caught half-written is not taken for the pid.
            if let Some(Ok(pid)) = text.strip_suffix('\n').map(str::parse::<u32>) {
                break pid;
            }
            assert!(started.elapsed() < PATIENCE, "the grandchild never started");
            thread::sleep(Duration::from_millis(20));
        };
        // Its state and start time (fields 3 and 22 of /proc/PID/stat): the start time tells it
        // from a later process that a busy machine gave the same pid.
        let stat = Path::new("/proc").join(grandchild.to_string()).join("stat");
        let process = || {
            let text = fs::read_to_string(&stat).ok()?;
            let mut fields = text.rsplit_once(") ")?.1.split(' ');
            Some((fields.next()?.to_owned(), fields.nth(18)?.to_owned()))
        };
        let (_, born) = process().expect("the grandchild runs");

        drop(child);

        // Dead once the drop returns: gone, or a zombie waiting to be reaped. Death is delivered
        // by signals, which a loaded machine may act on late: wait for it, not for a time.
        let alive = || process().is_some_and(|(state, start)| state != "Z" && start == born);
        let started = Instant::now();
        while alive() && started.elapsed() < PATIENCE {
            thread::sleep(Duration::from_millis(20));
        }
        let _ = fs::remove_file(&pid_file);
        assert!(!alive(), "a child outlived its supervisor");
    }

    #[test]
    fn killing_a_supervised_process_ends_its_whole_group_at_once_without_cleanup() {
        let dir = std::env::temp_dir().join(format!("supervised-kill-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let (pid_file, cleaned) = (dir.join("grandchild.pid"), dir.join("cleaned"));
        let mut command = Command::new("bash");
        // A child that would clean up on SIGTERM (as the watchdog's ordinary end sends), with a
        // grandchild that says who it is and would live for five minutes.
        command.arg("-c").arg(format!(
            "trap 'echo yes > {}; exit' TERM; (echo $BASHPID > {}; exec sleep 300) & wait",
            cleaned.display(),
            pid_file.display()
        ));
        let mut child = Supervised::spawn(&command, &Logs::Inherit).unwrap();
        let group = child.watchdog.id();
        let started = Instant::now();
        while !fs::read_to_string(&pid_file).unwrap_or_default().ends_with('\n') {
            assert!(started.elapsed() < PATIENCE, "the grandchild never started");
            thread::sleep(Duration::from_millis(20));
        }

        child.kill().unwrap();

        // Gone when `kill` returns: no waiting here, `kill` waited for the group's death.
        assert!(group_states(group).is_empty(), "a process of the group outlived SIGKILL");
        assert!(!cleaned.exists(), "the child was given the chance to clean up");
        drop(child);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_paused_process_does_nothing_until_it_is_resumed_or_killed() {
        let dir = std::env::temp_dir().join(format!("supervised-pause-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let counter = dir.join("counter");
        let mut command = Command::new("bash");
        // Counts as fast as it can, one line per count.
        command.arg("-c").arg(format!("while true; do echo x >> {}; done", counter.display()));
        let mut child = Supervised::spawn(&command, &Logs::Inherit).unwrap();
        let lines = || fs::read_to_string(&counter).unwrap_or_default().lines().count();
        let wait_for_more = |than: usize| {
            let started = Instant::now();
            while lines() <= than {
                assert!(started.elapsed() < PATIENCE, "the child never counted past {than}");
                thread::sleep(Duration::from_millis(5));
            }
        };
        wait_for_more(0);

        child.pause().unwrap();
        let frozen = lines();
        // Paused: it does not count however long it is watched (a handful of looks suffices to
        // catch a process that still runs: it counts thousands a second).
        for _ in 0..20 {
            thread::sleep(Duration::from_millis(5));
            assert_eq!(lines(), frozen, "a paused process went on");
        }
        child.resume().unwrap();
        wait_for_more(frozen);

        child.pause().unwrap();
        child.kill().unwrap();
        drop(child);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_killed_process_can_be_started_again_and_add_to_its_log() {
        let log = std::env::temp_dir().join(format!("supervised-again-{}.log", std::process::id()));
        let say = |word: &str| {
            let mut command = Command::new("bash");
            command.arg("-c").arg(format!("echo {word}; exec sleep 300"));
            command
        };
        let mut first = Supervised::spawn(&say("first"), &Logs::File(log.clone())).unwrap();
        let started = Instant::now();
        while !fs::read_to_string(&log).unwrap_or_default().contains("first") {
            assert!(started.elapsed() < PATIENCE, "the first process never spoke");
            thread::sleep(Duration::from_millis(20));
        }
        first.kill().unwrap();

        let second = Supervised::spawn_appending(&say("second"), &Logs::File(log.clone())).unwrap();
        let started = Instant::now();
        while !fs::read_to_string(&log).unwrap_or_default().contains("second") {
            assert!(started.elapsed() < PATIENCE, "the second process never spoke");
            thread::sleep(Duration::from_millis(20));
        }
        drop(second);
        assert_eq!(fs::read_to_string(&log).unwrap(), "first\nsecond\n");
        let _ = fs::remove_file(log);
    }

    #[test]
    fn a_child_that_exits_early_is_reported_with_its_log() {
        let log = std::env::temp_dir().join(format!("supervised-{}.log", std::process::id()));
        let mut command = Command::new("bash");
        command.arg("-c").arg("echo 'port already in use'; exit 3");
        let mut child = Supervised::spawn(&command, &Logs::File(log.clone())).unwrap();
        // Port 0, where nothing can answer: only the child's exit ends the wait early, and the
        // patience is long enough that it always does (the error then says so).
        let error = child.wait_until_answers(0, "/", PATIENCE).unwrap_err();
        assert!(error.to_string().contains("it exited"), "{error}");
        assert!(error.to_string().contains("port already in use"), "{error}");
        let _ = fs::remove_file(log);
    }

    #[test]
    fn a_child_that_exits_at_once_is_noticed_every_time() {
        // A command that ends before the watchdog has started watching its lifeline: the race
        // that once left the watchdog waiting for the lifeline alone (about one start in five).
        for attempt in 1..=20 {
            let mut child = Supervised::spawn(&Command::new("true"), &Logs::Inherit).unwrap();
            let error = child.wait_until_answers(0, "/", PATIENCE).unwrap_err();
            assert!(error.to_string().contains("it exited"), "start {attempt}: {error}");
        }
    }
}
