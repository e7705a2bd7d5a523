//! Benchmark: read an app's groups and all their members through the Okta client from the fake
//! Okta, with Okta-like rate limits and added latency, and compare with the theoretical bests.
//!
//! `cargo bench -p okta-tests --bench okta_listing` runs sizes S and M (about 2 minutes);
//! `-- --sizes S,M,L` adds L (about 25 minutes: a million memberships at Okta's rate limits);
//! `--latency-ms N` changes the added latency (default 50).
//!
//! It prints, per size: requests made vs the minimum (⌈groups/200⌉ + Σ⌈members/200⌉), 429s
//! received, and wall time vs the floor that the limits and the latency imply:
//! the app-group pages one after another, then the member pages at most `B` per window
//! (`B` = the token's share of the bucket) and 6 at a time:
//! `floor = pages_groups·L + (w − 1)·W + ⌈r/6⌉·L`, with `w = ⌈pages_members/B⌉` windows of
//! length `W` and `r` member pages in the last one.

#![expect(clippy::print_stdout, reason = "a benchmark reports its figures on stdout")]

use std::time::{Duration, Instant};

use fake_okta::{FakeOkta, FakeOktaConfig, RateLimitConfig, TenantSize, TenantSpec};
use groupsync_core::okta::{ClientConfig, OktaClient, OktaToken, TenantOrigin};
use okta_tests::{ReqwestTransport, TokioClock};

const PAGE_SIZE: u64 = 200;
const IN_FLIGHT: u64 = 6;

struct Options {
    sizes: Vec<TenantSize>,
    latency: Duration,
}

fn options() -> Options {
    let mut options =
        Options { sizes: vec![TenantSize::S, TenantSize::M], latency: Duration::from_millis(50) };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--sizes" => {
                let list = args.next().expect("--sizes takes a list such as S,M,L");
                options.sizes = list
                    .split(',')
                    .map(|s| s.parse().expect("sizes are S, M, L or demo"))
                    .collect();
            }
            "--latency-ms" => {
                let ms =
                    args.next().and_then(|v| v.parse().ok()).expect("--latency-ms takes a number");
                options.latency = Duration::from_millis(ms);
            }
            // `cargo bench` passes `--bench`; anything else is a mistake worth hearing about.
            "--bench" => {}
            other => panic!("unknown option {other}; see the module docs"),
        }
    }
    options
}

fn main() {
    let options = options();
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    println!(
        "{:<5} {:>7} {:>10} {:>9} {:>9} {:>6} {:>6} {:>10} {:>10} {:>6}",
        "size",
        "groups",
        "members",
        "requests",
        "minimum",
        "ratio",
        "429s",
        "wall (s)",
        "floor (s)",
        "ratio"
    );
    for size in options.sizes {
        runtime.block_on(run(size, options.latency));
    }
}

async fn run(size: TenantSize, latency: Duration) {
    let limits = RateLimitConfig::default();
    let config = FakeOktaConfig { tenant: TenantSpec { size, seed: 7 }, limits, latency };
    let fake = FakeOkta::start(config, "127.0.0.1:0".parse().expect("an address"))
        .await
        .expect("the fake starts");
    let info = fake.info().clone();
    let origin = TenantOrigin::parse(fake.base_url()).expect("the fake's origin");
    let client_config = ClientConfig::default();
    let share = client_config.rate_share;
    let client = OktaClient::new(
        origin,
        OktaToken::new(&info.token),
        ReqwestTransport::new(),
        TokioClock,
        client_config,
    );

    let started = Instant::now();
    let assignments = client.list_app_groups(&info.app_id).await.expect("the app's groups");
    let ids: Vec<String> = assignments.iter().map(|a| a.id.clone()).collect();
    let members = client.list_members_of_groups(&ids).await.expect("every group's members");
    let wall = started.elapsed();

    let listed: u64 = members.iter().map(|m| m.len() as u64).sum();
    assert_eq!(
        (ids.len() as u64, listed),
        (u64::from(info.groups), info.memberships),
        "a complete read"
    );

    let group_pages = u64::from(info.groups).div_ceil(PAGE_SIZE).max(1);
    let member_pages: u64 = info
        .assigned_group_member_counts
        .iter()
        .map(|&c| u64::from(c).div_ceil(PAGE_SIZE).max(1))
        .sum();
    let minimum = group_pages + member_pages;
    let budget = (share * f64::from(limits.buckets.other)).floor() as u64;
    let windows = member_pages.div_ceil(budget);
    let last_window = member_pages - (windows - 1) * budget;
    let floor = latency * group_pages as u32
        + limits.window * (windows - 1) as u32
        + latency * last_window.div_ceil(IN_FLIGHT) as u32;

    let counters = fake.control().counters();
    println!(
        "{:<5} {:>7} {:>10} {:>9} {:>9} {:>6.3} {:>6} {:>10.2} {:>10.2} {:>6.3}",
        format!("{size:?}"),
        info.groups,
        info.memberships,
        counters.total,
        minimum,
        counters.total as f64 / minimum as f64,
        counters.rate_limited,
        wall.as_secs_f64(),
        floor.as_secs_f64(),
        wall.as_secs_f64() / floor.as_secs_f64(),
    );
}
