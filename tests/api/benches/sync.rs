//! Benchmark: a full sync and re-syncs through the Worker (wrangler dev, workerd, local D1 and
//! Durable Object) against the fake Okta with 50 ms of latency and Okta's default limits.
//!
//! `cargo xtask build && cargo bench -p api-tests --bench sync` runs sizes S and M (about 3
//! minutes: M's 1,200 requests need three rate-limit windows); `-- --sizes S` for S alone.
//! `-- --assign-everyone` assigns the fake's `Everyone` group (every user) to the app, and
//! `-- --big-group N` adds a group of N members (creating users as needed), in every size.
//!
//! `-- --window-secs N` compresses the fake's rate-limit windows to N seconds (Okta's are 60 s):
//! L's 10,000 requests need about twenty windows.
//!
//! `-- --credential api-token|service-app-dpop|service-app-bearer` chooses how the Worker
//! authenticates to Okta (issue #16; default `api-token`, the fake's SSWS token). With a service
//! app the bench sets it up on its stack through the API as an admin does: the Worker makes a key
//! pair (`POST /api/v1/settings/okta/service-app/key`), the fake registers a service app with its
//! public JWK (`DPoP` required or not, the three read scopes, an admin role), and the settings
//! are saved with `credential: "service_app"` (which tests the connection). Every Okta call of
//! the runs then carries an access token, and with `DPoP` a fresh RS256 proof signed in wasm: the
//! full sync's wall time against the native listing (which always uses the API token) shows what
//! that costs. The credential is printed in the header line; below each row, the access tokens
//! issued during the full sync and its Okta calls by scheme.
//!
//! Per size it prints: the full sync's Okta requests vs the minimum (⌈groups/200⌉ +
//! Σ⌈members/200⌉; goal ≤ 1.01), its 429s, its wall time vs the native Okta client listing the
//! same tenant at the same limits just before (goal ≤ 1.25), p50/p99 of `GET /api/v1/me` sent
//! back to back while the run writes and switches (goal p99 < 1 s; during the reading `/me` is
//! asked every 200 ms, and those latencies are printed below the row), the peak memory of the
//! stack's `workerd`, and D1 rows written; then a re-sync after 1 % of the groups changed
//! (requests, and their share of the full sync's; goal ≤ 5 % at L); then a re-sync of the
//! unchanged tenant (requests and rows written, which must be 0). Last, the access check's
//! p50/p99 for members of the largest group, granted a custom role on a folder (issue #14),
//! beside the health probe's in the same run.

#![expect(clippy::print_stdout, reason = "a benchmark reports its figures on stdout")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use fake_okta::{FakeOkta, ServiceApp, TenantOptions, TenantSize};
use groupsync_core::okta::{ClientConfig, OktaClient, OktaToken, TenantOrigin};
use okta_tests::{ReqwestTransport, TokioClock};
use serde_json::{Value, json};

use common::{Api, RUN_POLL};

mod common;

fn main() {
    let mut sizes = vec![TenantSize::S, TenantSize::M];
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--sizes") {
        let list = args.get(i + 1).expect("--sizes takes a list such as S,M");
        sizes = list.split(',').map(|s| s.parse().expect("sizes are S, M or L")).collect();
    }
    let options = TenantOptions {
        assign_everyone: args.iter().any(|a| a == "--assign-everyone"),
        big_group: args.iter().position(|a| a == "--big-group").map(|i| {
            let count = args.get(i + 1).expect("--big-group takes a member count");
            count.parse().expect("--big-group takes a member count such as 250000")
        }),
    };
    let window = args.iter().position(|a| a == "--window-secs").map(|i| {
        let secs = args.get(i + 1).expect("--window-secs takes a number of seconds");
        Duration::from_secs(secs.parse().expect("--window-secs takes a number such as 2"))
    });
    let credential =
        args.iter().position(|a| a == "--credential").map_or(Credential::ApiToken, |i| {
            let name = args.get(i + 1).expect("--credential takes a credential");
            name.parse().unwrap_or_else(|why| panic!("--credential: {why}"))
        });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    println!(
        "{:<5} {:>6} {:>9} | {:>6} {:>6} {:>6} {:>5} {:>7} {:>7} {:>6} | {:>6} {:>6} {:>5} {:>6} {:>8} | {:>6} {:>5} {:>6} | {:>5} {:>5}   credential: {}",
        "size",
        "groups",
        "members",
        "full",
        "min",
        "ratio",
        "429s",
        "wall s",
        "native",
        "ratio",
        "me p50",
        "me p99",
        "me n",
        "peak",
        "rows",
        "1% req",
        "share",
        "wall s",
        "same",
        "rows",
        credential.as_str(),
    );
    for size in sizes {
        runtime.block_on(run(size, options, window, credential));
    }
}

/// How the Worker authenticates to Okta (`--credential`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Credential {
    /// The fake's API token (SSWS), as saved by [`common::start_product`].
    ApiToken,
    /// A service app whose tokens are `DPoP`-bound: every call carries a fresh RS256 proof.
    ServiceAppDpop,
    /// A service app without `DPoP`: `Bearer` access tokens.
    ServiceAppBearer,
}

impl Credential {
    fn as_str(self) -> &'static str {
        match self {
            Self::ApiToken => "api-token",
            Self::ServiceAppDpop => "service-app-dpop",
            Self::ServiceAppBearer => "service-app-bearer",
        }
    }

    /// The scheme of the `Authorization` header of every Okta call.
    fn scheme(self) -> &'static str {
        match self {
            Self::ApiToken => "SSWS",
            Self::ServiceAppDpop => "DPoP",
            Self::ServiceAppBearer => "Bearer",
        }
    }
}

impl std::str::FromStr for Credential {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        [Self::ApiToken, Self::ServiceAppDpop, Self::ServiceAppBearer]
            .into_iter()
            .find(|c| c.as_str() == name)
            .ok_or_else(|| {
                format!("{name:?} is not api-token, service-app-dpop or service-app-bearer")
            })
    }
}

/// The Okta API scopes the service app is granted: the three reads the sync needs.
const SCOPES: [&str; 3] = ["okta.apps.read", "okta.groups.read", "okta.users.read"];

async fn run(
    size: TenantSize,
    options: TenantOptions,
    window: Option<Duration>,
    credential: Credential,
) {
    let (fake, stack, api) =
        common::start_product(size, options, window, &format!("bench-sync-{size:?}"), true).await;
    let info = fake.info().clone();
    if credential != Credential::ApiToken {
        api.use_service_app(&fake, credential == Credential::ServiceAppDpop).await;
    }

    // The native client lists the same tenant at the same limits, from fresh windows.
    fake.control().reset_rate_limits();
    let native_wall = native_listing(&fake).await;
    fake.control().reset_rate_limits();
    fake.control().reset_counters();
    let (full, full_wall, me) = api.sync_measuring_me(json!({ "full": true })).await;
    let full_counters = fake.control().counters();
    let oauth_calls: u64 = full_counters.oauth_calls.values().sum();
    assert_eq!(
        full_counters.oauth_calls_with(credential.scheme()),
        if credential == Credential::ApiToken { 0 } else { full_counters.total },
        "every call of the full sync went with the credential's scheme: {:?}",
        full_counters.oauth_calls
    );
    let minimum = info.minimum_requests(200) - 1; // the sync does not read the app itself

    // Change 1 % of the groups: one member leaves each.
    let truth = fake.control().truth();
    let changed = (truth.groups.len() / 100).max(1);
    // Okta manages Everyone's members itself: nobody removes a member from it.
    let everyone = &info.everyone_group_id;
    let groups = truth.groups.iter().filter(|g| !g.members.is_empty() && &g.id != everyone);
    for group in groups.take(changed) {
        fake.control().remove_member(&group.id, &group.members[0].id).expect("a member leaves");
    }
    fake.control().reset_counters();
    let (_, resync_wall) = api.sync(json!({})).await;
    let resync_requests = fake.control().counters().total;

    fake.control().reset_counters();
    let (same, _) = api.sync(json!({})).await;
    let same_requests = fake.control().counters().total;
    let peak = peak_workerd_kib(&format!("bench-sync-{size:?}"));
    let checks = api.measure_access_checks(&fake).await;

    println!(
        "{:<5} {:>6} {:>9} | {:>6} {:>6} {:>6.3} {:>5} {:>7.1} {:>7.1} {:>6.2} | {:>6} {:>6} {:>5} {:>6} {:>8} | {:>6} {:>4.1}% {:>6.1} | {:>5} {:>5}",
        format!("{size:?}"),
        info.groups,
        info.memberships,
        full_counters.total,
        minimum,
        full_counters.total as f64 / minimum as f64,
        full_counters.rate_limited,
        full_wall.as_secs_f64(),
        native_wall.as_secs_f64(),
        full_wall.as_secs_f64() / native_wall.as_secs_f64(),
        me.percentile(50),
        me.percentile(99),
        me.samples.len(),
        peak.map_or_else(|| "?".to_owned(), |kib| format!("{}M", kib / 1024)),
        full["rows_written"],
        resync_requests,
        100.0 * resync_requests as f64 / full_counters.total as f64,
        resync_wall.as_secs_f64(),
        same_requests,
        same["rows_written"],
    );
    println!(
        "      {} full sync: access tokens issued {} (token requests {}, refusals {:?}); Okta calls \
         by scheme: DPoP {}, Bearer {}, other (SSWS) {}; {:.2} ms of wall time per call",
        credential.as_str(),
        full_counters.oauth_tokens_issued,
        full_counters.oauth_token_requests,
        full_counters.oauth_refusals,
        full_counters.oauth_calls_with("DPoP"),
        full_counters.oauth_calls_with("Bearer"),
        full_counters.total - oauth_calls,
        full_wall.as_secs_f64() * 1000.0 / full_counters.total as f64,
    );
    println!(
        "      GET /api/v1/me every 200 ms throughout the full sync: p50 {}, p99 {}, {} requests",
        percentile(&me.all, 50),
        percentile(&me.all, 99),
        me.all.len()
    );
    println!(
        "      GET /api/v1/access/check ({} memberships in the group granted on folder:/prod), {CHECKS} back to back: \
         p50 {}, p99 {}; GET /api/v1/health p50 {}, p99 {}; p50 ratio {:.2}",
        checks.group_members,
        percentile(&checks.check, 50),
        percentile(&checks.check, 99),
        percentile(&checks.health, 50),
        percentile(&checks.health, 99),
        median(&checks.check) as f64 / median(&checks.health).max(1) as f64,
    );
    println!(
        "      POST /api/v1/access/checks, {BATCH} checks about 10 members each, {} calls: p50 {}, p99 {} \
         ({:.2} ms a check at p50)",
        checks.batch.len(),
        percentile(&checks.batch, 50),
        percentile(&checks.batch, 99),
        median(&checks.batch) as f64 / BATCH as f64,
    );
    drop(stack);
}

/// Lists the app's groups and every group's members with the native client, as the Worker
/// reads them (6 requests in flight, the default share of each rate-limit bucket).
async fn native_listing(fake: &FakeOkta) -> Duration {
    let info = fake.info();
    let client = OktaClient::new(
        TenantOrigin::parse(fake.base_url()).expect("the fake's origin"),
        OktaToken::new(&info.token),
        ReqwestTransport::new(),
        TokioClock,
        ClientConfig::default(),
    );
    let started = Instant::now();
    let assignments = client.list_app_groups(&info.app_id).await.expect("the app's groups");
    let ids: Vec<String> = assignments.iter().map(|a| a.id.clone()).collect();
    let members = client.list_members_of_groups(&ids).await.expect("every group's members");
    let wall = started.elapsed();
    let listed: u64 = members.iter().map(|m| m.len() as u64).sum();
    assert_eq!(listed, info.memberships, "the native listing is complete");
    wall
}

/// The peak resident memory (KiB) of the `workerd` processes of the stack whose state
/// directory is named `stack`: its wrangler's process group, whose `workerd` children report
/// their high-water mark (`VmHWM`).
fn peak_workerd_kib(stack: &str) -> Option<u64> {
    let processes: Vec<(u32, String, String)> = std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let group = stat.rsplit_once(") ")?.1.split(' ').nth(2)?.to_owned();
            Some((pid, String::from_utf8_lossy(&cmdline).replace('\0', " "), group))
        })
        .collect();
    let group = &processes.iter().find(|(_, cmd, _)| cmd.contains(stack))?.2;
    processes
        .iter()
        .filter(|(_, cmd, pgrp)| pgrp == group && cmd.contains("workerd"))
        .filter_map(|(pid, _, _)| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .max()
}

/// Latencies of `GET /api/v1/me`, in milliseconds: while the run wrote and switched, and
/// throughout.
struct Latencies {
    samples: Vec<u64>,
    all: Vec<u64>,
}

impl Latencies {
    fn percentile(&self, p: usize) -> String {
        percentile(&self.samples, p)
    }
}

fn percentile(samples: &[u64], p: usize) -> String {
    if samples.is_empty() {
        "-".to_owned()
    } else {
        format!("{}ms", common::percentile(samples, p))
    }
}

/// Access checks measured after the sync, one request at a time.
const CHECKS: usize = 200;

/// Latencies (ms) of access checks and of the health probe, asked alternately in one run.
struct CheckLatencies {
    group_members: usize,
    check: Vec<u64>,
    health: Vec<u64>,
    /// Batches of [`BATCH`] checks about ten members, one call each.
    batch: Vec<u64>,
}

/// The checks of one batch (the most the API takes).
const BATCH: usize = 100;

fn median(samples: &[u64]) -> u64 {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied().unwrap_or(0)
}

impl Api {
    /// Makes the service app the credential, through the API as an admin does (issue #16): the
    /// Worker makes a key pair, the fake registers a service app with its public JWK (the
    /// sync's three read scopes, an admin role, `DPoP` required or not), and the settings are
    /// saved with its client id, which the Worker tests before it saves.
    async fn use_service_app(&self, fake: &FakeOkta, dpop_required: bool) {
        let key = self.send("POST", "/api/v1/settings/okta/service-app/key", &json!({})).await;
        let jwk: Value = serde_json::from_str(key["public_jwk"].as_str().expect("a public JWK"))
            .expect("the public JWK is JSON");
        let mut app = ServiceApp::new(json!({ "keys": [jwk] }), &SCOPES);
        app.dpop_required = dpop_required;
        let client_id =
            fake.control().register_service_app(app).expect("the fake registers the app");
        let info = fake.info();
        let settings = json!({ "tenant_url": info.base_url, "app_id": info.app_id,
                               "credential": "service_app", "client_id": client_id,
                               "sync_enabled": true });
        let saved = self.send("PUT", "/api/v1/settings/okta", &settings).await;
        assert_eq!(saved["credential"], "service_app", "{saved}");
        assert_eq!(saved["service_app"]["client_id"], client_id.as_str(), "{saved}");
    }

    /// Issue #14's figure: registers a permission and a custom role holding it, grants it to
    /// the largest synced group on `folder:/prod`, then asks [`CHECKS`] checks of its members
    /// on a folder below (allowed), alternating with the health probe (one D1 query) as the
    /// baseline of the same moment.
    async fn measure_access_checks(&self, fake: &FakeOkta) -> CheckLatencies {
        let group = self.grant_runbook_operator(fake).await;
        let mut latencies = CheckLatencies {
            group_members: group.members.len(),
            check: Vec::new(),
            health: Vec::new(),
            batch: Vec::new(),
        };
        for i in 0..CHECKS {
            let member = &group.members[i % group.members.len()].login;
            let path = format!(
                "/api/v1/access/check?email={member}&permission=runbooks.execute&resource=folder:/prod/db"
            );
            let started = Instant::now();
            let answer = self.get(&path).await;
            latencies.check.push(started.elapsed().as_millis() as u64);
            assert!(answer["allowed"].is_boolean(), "{answer}");
            let started = Instant::now();
            self.get("/api/v1/health").await;
            latencies.health.push(started.elapsed().as_millis() as u64);
        }
        // A relying app's page of 100 resources for ten people: one call each time.
        for round in 0..CHECKS / 10 {
            let checks: Vec<Value> = (0..BATCH)
                .map(|i| {
                    let member = &group.members[(round * 10 + i % 10) % group.members.len()].login;
                    json!({ "email": member, "permission": "runbooks.execute", "resource": format!("folder:/prod/r{i}") })
                })
                .collect();
            let started = Instant::now();
            let answer =
                self.send("POST", "/api/v1/access/checks", &json!({ "checks": checks })).await;
            latencies.batch.push(started.elapsed().as_millis() as u64);
            assert_eq!(answer["results"].as_array().map(Vec::len), Some(BATCH), "{answer}");
        }
        latencies
    }

    /// Runs a sync to its end while people use the app: `GET /api/v1/me` every
    /// [`ME_PACE`] on one connection throughout, and back to back on a second one from the first
    /// poll that sees the run writing (at M a commit is written in a second or two; polls are
    /// [`RUN_POLL`] apart). Returns the run, its wall time, the latencies of the requests sent while it
    /// wrote and switched (both connections), and those of the paced requests throughout. The
    /// back-to-back requests are left out of the reading, where they would load the one
    /// isolate that also runs the sync, which the native listing it is compared with never has.
    async fn sync_measuring_me(&self, body: Value) -> (Value, Duration, Latencies) {
        let started = Instant::now();
        let paced = Prober::start(self, started, Some(ME_PACE));
        let id = self.start_sync(body).await;
        let mut last_reading = Duration::ZERO;
        let mut flood: Option<Prober> = None;
        let run = loop {
            let polled = started.elapsed();
            let run = self.get(&format!("/api/v1/sync/runs/{id}")).await;
            if run["state"] != "running" {
                assert_eq!(run["state"], "succeeded", "{run}");
                break run;
            }
            let phase = run["progress"]["phase"].as_str().unwrap_or_default();
            if phase.starts_with("reading") || phase == "tidying" {
                last_reading = polled;
            } else if flood.is_none() {
                flood = Some(Prober::start(self, started, None));
            }
            tokio::time::sleep(RUN_POLL).await;
        };
        let wall = started.elapsed();
        let paced = paced.stop().await;
        let flood = match flood {
            Some(flood) => flood.stop().await,
            None => Vec::new(),
        };
        let all = paced.iter().map(|&(_, latency)| latency).collect();
        let samples = paced
            .into_iter()
            .chain(flood)
            .filter(|&(sent, _)| sent >= last_reading)
            .map(|(_, latency)| latency)
            .collect();
        (run, wall, Latencies { samples, all })
    }
}

/// How often the paced prober asks `GET /api/v1/me`: a few people with the app open.
const ME_PACE: Duration = Duration::from_millis(200);

/// Sends `GET /api/v1/me` on its own connection, every `pace` or back to back, until stopped:
/// each request's send time (since `started`) and latency in ms.
struct Prober {
    done: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<(Duration, u64)>>,
}

impl Prober {
    fn start(api: &Api, started: Instant, pace: Option<Duration>) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&done);
        let (http, url, token) =
            (reqwest::Client::new(), format!("{}/api/v1/me", api.base), api.token.clone());
        let task = tokio::spawn(async move {
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let sent = Instant::now();
                let answer = http
                    .get(&url)
                    .header("Cf-Access-Jwt-Assertion", &token)
                    .send()
                    .await
                    .expect("the Worker answers");
                assert!(answer.status().is_success(), "/me: {}", answer.status());
                samples.push((sent - started, sent.elapsed().as_millis() as u64));
                if let Some(pace) = pace {
                    tokio::time::sleep(pace.saturating_sub(sent.elapsed())).await;
                }
            }
            samples
        });
        Self { done, task }
    }

    async fn stop(self) -> Vec<(Duration, u64)> {
        self.done.store(true, Ordering::Relaxed);
        self.task.await.expect("the prober ends")
    }
}
