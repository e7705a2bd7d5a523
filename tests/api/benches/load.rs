//! Benchmark (issue #17): the API under load, on the local stack (wrangler dev, workerd, local D1)
//! with the M tenant synced.
//!
//! `cargo xtask build && cargo bench -p api-tests --bench load` runs 1, 10 and 50 concurrent
//! connections for 30 s each over a realistic mix of reads, then 10 connections while a full
//! sync runs and commits. Options: `-- --size S|M|L`, `--seconds N` (per phase),
//! `--connections 1,10,50`, and `--only "GET /health,GET /me"` (those endpoints alone, no phase
//! during a sync).
//!
//! The mix, asked round robin by every connection (each connection starts at another place in
//! it): `GET /api/v1/me`, the groups list, a group search, a group, a page of a group's members,
//! a person's effective access, the sync status, an access check by a person, an access check
//! by an API key (a relying app), the Okta settings and the audit log's first page (the admin
//! screens), and `GET /api/v1/health` (one D1 query: the baseline). The
//! people's requests carry the dev sign-in's JWT, verified on every request as Access's is.
//!
//! Per phase it prints requests/s and errors, then per endpoint the count, p50/p95/p99 and
//! errors; for one connection also each endpoint's p50 against health's (goal ≤ 1.5) and its
//! p99 against its own p50 (goal ≤ 3). Bounded: loopback only, each phase ends after its time
//! or [`MAX_REQUESTS_PER_PHASE`] requests, whichever comes first.

#![expect(clippy::print_stdout, reason = "a benchmark reports its figures on stdout")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fake_okta::{FakeOkta, TenantOptions, TenantSize};
use serde_json::json;

use common::{Api, percentile};

mod common;

/// The most requests one phase sends, whatever its time.
const MAX_REQUESTS_PER_PHASE: usize = 200_000;
/// The fake's rate-limit windows: this benchmark measures the Worker, not Okta's pacing.
const OKTA_WINDOW: Duration = Duration::from_secs(2);
/// The connections of the phase measured while a full sync runs.
const SYNC_CONNECTIONS: usize = 10;
/// The longest a full sync may run under load before the benchmark gives up on it.
const SYNC_PATIENCE: Duration = Duration::from_secs(600);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1));
    let size: TenantSize = value("--size").map_or(TenantSize::M, |s| s.parse().expect("S, M or L"));
    let seconds: u64 = value("--seconds").map_or(30, |s| s.parse().expect("a number of seconds"));
    let connections: Vec<usize> = value("--connections").map_or(vec![1, 10, 50], |list| {
        list.split(',').map(|n| n.parse().expect("counts such as 1,10,50")).collect()
    });
    // A diagnosis: only these endpoints of the mix (names as printed, comma-separated), and no
    // phase during a sync. `--only "GET /health"` measures what the stack itself can serve.
    let only: Option<Vec<String>> =
        value("--only").map(|names| names.split(',').map(|n| n.trim().to_owned()).collect());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run(size, Duration::from_secs(seconds), &connections, only));
}

async fn run(size: TenantSize, phase: Duration, connections: &[usize], only: Option<Vec<String>>) {
    let options = TenantOptions::default();
    let (fake, stack, api) =
        common::start_product(size, options, Some(OKTA_WINDOW), "bench-load", false).await;
    api.sync(json!({ "full": true })).await;
    let mut mix = Mix::prepare(&api, &fake).await;
    if let Some(names) = &only {
        mix.targets.retain(|target| names.iter().any(|name| name == target.name));
        assert!(!mix.targets.is_empty(), "--only names none of the mix's endpoints");
    }
    println!(
        "Load on {size:?} ({} groups, {} memberships), {} s per phase, one connection per client",
        fake.info().groups,
        fake.info().memberships,
        phase.as_secs()
    );
    for &count in connections {
        let report = load(&mix, count, phase, None).await;
        report.print(&format!("{count} connection(s)"), count == 1);
    }
    if only.is_some() {
        drop(stack);
        return;
    }
    let run = api.start_sync(json!({ "full": true })).await;
    let report = load(&mix, SYNC_CONNECTIONS, SYNC_PATIENCE, Some((&api, &run))).await;
    report.print(
        &format!("{SYNC_CONNECTIONS} connections while a full sync runs and commits"),
        false,
    );
    api.finished_run(&run).await;
    drop(stack);
}

/// Who sends a request.
#[derive(Clone, Copy)]
enum Credential {
    /// The signed-in person (a superAdmin), by the Access JWT header.
    Person,
    /// A read-only API key, by `Authorization: Bearer`.
    ApiKey,
}

/// One endpoint of the mix: its name in the report and the paths asked in turn.
struct Target {
    name: &'static str,
    paths: Vec<String>,
    credential: Credential,
}

/// The requests of the mix, with the credentials they carry.
struct Mix {
    base: String,
    targets: Vec<Target>,
    jwt: String,
    api_key: String,
}

impl Mix {
    /// Makes what the mix asks about: a custom role granted on `folder:/prod` to the largest
    /// group (so that checks walk a real chain), and a read-only API key.
    async fn prepare(api: &Api, fake: &FakeOkta) -> Self {
        let group = api.grant_runbook_operator(fake).await;
        let truth = fake.control().truth();
        let key = api.send("POST", "/api/v1/api-keys", &json!({ "name": "load bench" })).await;

        let members: Vec<&str> = group.members.iter().take(50).map(|m| m.login.as_str()).collect();
        let groups: Vec<&str> = truth.groups.iter().take(50).map(|g| g.id.as_str()).collect();
        let words: Vec<String> = truth
            .groups
            .iter()
            .take(20)
            .filter_map(|g| g.name.split_whitespace().next())
            .map(|word| word.chars().take(4).collect())
            .collect();
        let check = |email: &&str| {
            format!(
                "/api/v1/access/check?email={email}&permission=runbooks.execute&resource=folder:/prod/db"
            )
        };
        let target = |name, paths: Vec<String>, credential| Target { name, paths, credential };
        let person = Credential::Person;
        let targets = vec![
            target("GET /me", vec!["/api/v1/me".into()], person),
            target("GET /groups", vec!["/api/v1/groups?per_page=50".into()], person),
            target(
                "GET /groups?q=",
                words.iter().map(|w| format!("/api/v1/groups?q={w}&per_page=50")).collect(),
                person,
            ),
            target(
                "GET /groups/{id}",
                groups.iter().map(|id| format!("/api/v1/groups/{id}")).collect(),
                person,
            ),
            target(
                "GET /groups/{id}/members",
                vec![format!("/api/v1/groups/{}/members?per_page=50", group.id)],
                person,
            ),
            target(
                "GET /users/{email}/access",
                members.iter().map(|email| format!("/api/v1/users/{email}/access")).collect(),
                person,
            ),
            target("GET /sync/status", vec!["/api/v1/sync/status".into()], person),
            target("GET /access/check", members.iter().map(check).collect(), person),
            target(
                "GET /access/check (key)",
                members.iter().map(check).collect(),
                Credential::ApiKey,
            ),
            // The admin screens' reads: every read-only endpoint is one round trip too.
            target("GET /settings/okta", vec!["/api/v1/settings/okta".into()], person),
            target("GET /audit", vec!["/api/v1/audit".into()], person),
            target("GET /health", vec!["/api/v1/health".into()], person),
        ];
        Self {
            base: api.base.clone(),
            targets,
            jwt: api.token.clone(),
            api_key: key["secret"].as_str().expect("the key's secret").to_owned(),
        }
    }

    /// Sends request number `n` of this connection, and returns its target and outcome.
    async fn send(&self, http: &reqwest::Client, n: usize) -> (usize, Outcome) {
        let index = n % self.targets.len();
        let target = &self.targets[index];
        let path = &target.paths[(n / self.targets.len()) % target.paths.len()];
        let request = http.get(format!("{}{path}", self.base));
        let request = match target.credential {
            Credential::Person => request.header("Cf-Access-Jwt-Assertion", &self.jwt),
            Credential::ApiKey => request.bearer_auth(&self.api_key),
        };
        let started = Instant::now();
        let ok = match request.send().await {
            Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
            Err(_) => false,
        };
        (index, Outcome { micros: started.elapsed().as_micros() as u64, ok })
    }
}

/// How one request went.
struct Outcome {
    micros: u64,
    ok: bool,
}

/// What one phase measured, per target of the mix (latencies in µs).
struct Report {
    names: Vec<&'static str>,
    latencies: Vec<Vec<u64>>,
    errors: Vec<usize>,
    wall: Duration,
}

/// Sends the mix on `connections` connections until `length` has passed (or, with a run, until
/// the run has ended), within [`MAX_REQUESTS_PER_PHASE`].
async fn load(
    mix: &Mix,
    connections: usize,
    length: Duration,
    run: Option<(&Api, &str)>,
) -> Report {
    let sent = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + length;
    let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let clients = (0..connections).map(|connection| {
        let (sent, running) = (Arc::clone(&sent), Arc::clone(&running));
        async move {
            // One connection per client, as a browser tab or a relying app's worker keeps.
            let http =
                reqwest::Client::builder().pool_max_idle_per_host(1).build().expect("a client");
            let mut outcomes = Vec::new();
            let mut n = connection;
            while running.load(Ordering::Relaxed)
                && Instant::now() < deadline
                && sent.fetch_add(1, Ordering::Relaxed) < MAX_REQUESTS_PER_PHASE
            {
                outcomes.push(mix.send(&http, n).await);
                n += 1;
            }
            outcomes
        }
    });
    let watch = async {
        if let Some((api, id)) = run {
            api.finished_run(id).await;
            running.store(false, Ordering::Relaxed);
        }
    };
    let (outcomes, ()) =
        futures_util::future::join(futures_util::future::join_all(clients), watch).await;
    let mut report = Report {
        names: mix.targets.iter().map(|t| t.name).collect(),
        latencies: vec![Vec::new(); mix.targets.len()],
        errors: vec![0; mix.targets.len()],
        wall: started.elapsed(),
    };
    for (index, outcome) in outcomes.into_iter().flatten() {
        report.latencies[index].push(outcome.micros);
        if !outcome.ok {
            report.errors[index] += 1;
        }
    }
    report
}

impl Report {
    fn print(&self, title: &str, against_health: bool) {
        let total: usize = self.latencies.iter().map(Vec::len).sum();
        let errors: usize = self.errors.iter().sum();
        println!(
            "\n{title}: {total} requests in {:.1} s, {:.0} requests/s, {errors} errors",
            self.wall.as_secs_f64(),
            total as f64 / self.wall.as_secs_f64()
        );
        let health = self
            .names
            .iter()
            .position(|name| *name == "GET /health")
            .map_or(0, |i| percentile(&self.latencies[i], 50));
        println!(
            "  {:<26} {:>7} {:>8} {:>8} {:>8} {:>6}{}",
            "endpoint",
            "n",
            "p50",
            "p95",
            "p99",
            "errors",
            if against_health { "  p50/health  p99/p50" } else { "" }
        );
        for ((name, latencies), errors) in self.names.iter().zip(&self.latencies).zip(&self.errors)
        {
            let p50 = percentile(latencies, 50);
            let ratios = if against_health {
                format!(
                    "  {:>10.2}  {:>7.2}",
                    p50 as f64 / health.max(1) as f64,
                    percentile(latencies, 99) as f64 / p50.max(1) as f64
                )
            } else {
                String::new()
            };
            println!(
                "  {name:<26} {:>7} {:>8} {:>8} {:>8} {errors:>6}{ratios}",
                latencies.len(),
                ms(p50),
                ms(percentile(latencies, 95)),
                ms(percentile(latencies, 99)),
            );
        }
    }
}

/// Microseconds as milliseconds, to a tenth.
fn ms(micros: u64) -> String {
    format!("{:.1}ms", micros as f64 / 1000.0)
}
