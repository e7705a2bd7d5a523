//! Benchmark (issue #15): how long a person keeps a role after Okta removes them from the group
//! that grants it, with the Okta Event Hook in place. Goal: under 60 s.
//!
//! `cargo xtask build && cargo bench -p api-tests --bench revocation` starts the fake Okta (S
//! tenant unless `-- --size M`) and a fresh local stack, syncs, makes the hook's secret and
//! registers the hook in the fake (which verifies it). Then, `--changes N` times (20 unless
//! told), it removes a member of a group that grants `editor`, and measures the time until
//! `GET /api/v1/users/{email}/access` no longer shows the role; then it adds them back and waits
//! until the role is back, so that every change starts from the same state. It prints each
//! latency and their p50/p95/max. Bounded: loopback only, each change gives up after
//! [`PATIENCE`].

#![expect(clippy::print_stdout, reason = "a benchmark reports its figures on stdout")]

use std::time::{Duration, Instant};

use fake_okta::{HookRegistration, TenantOptions, TenantSize, TruthMember, UserStatus};
use serde_json::{Value, json};

use common::{Api, percentile};

#[expect(dead_code, reason = "this benchmark grants no custom role")]
mod common;

/// The longest one change may take to reach the API before the benchmark fails.
const PATIENCE: Duration = Duration::from_secs(300);
/// How often the person's access is read while waiting.
const POLL: Duration = Duration::from_millis(50);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1));
    let size: TenantSize = value("--size").map_or(TenantSize::S, |s| s.parse().expect("S, M or L"));
    let changes: usize = value("--changes").map_or(20, |n| n.parse().expect("a count"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run(size, changes));
}

async fn run(size: TenantSize, changes: usize) {
    let (fake, _stack, api) =
        common::start_product(size, TenantOptions::default(), None, "bench-revocation", false)
            .await;
    let (run, took) = api.sync(json!({})).await;
    println!("first sync: {} in {took:?}", run["state"]);

    let secret = api.send("POST", "/api/v1/settings/okta/event-hook/secret", &json!({})).await;
    let registration = HookRegistration {
        url: secret["hook"]["url"].as_str().expect("the hook's URL").to_owned(),
        secret: secret["secret"].as_str().expect("the secret").to_owned(),
        duplicate_every: None,
    };
    fake.control().register_event_hook(registration).await.expect("the hook is verified");

    let control = fake.control();
    let group = control
        .truth()
        .groups
        .into_iter()
        .find(|g| g.id != fake.info().everyone_group_id && g.members.len() >= 2)
        .expect("a group with members");
    let detail = api.get(&format!("/api/v1/groups/{}", group.id)).await;
    let roles = json!({ "roles": ["editor"], "version": detail["roles_version"] });
    api.send("PUT", &format!("/api/v1/groups/{}/roles", group.id), &roles).await;
    let members: Vec<&TruthMember> =
        group.members.iter().filter(|m| m.status == UserStatus::Active).collect();

    let mut removals = Vec::with_capacity(changes);
    let mut restorals = Vec::with_capacity(changes);
    for n in 0..changes {
        let member = members[n % members.len()];
        let access = format!("/api/v1/users/{}/access", member.login);
        let started = Instant::now();
        control.remove_member(&group.id, &member.id).expect("remove");
        wait_for_editor(&api, &access, false).await;
        let removed = started.elapsed();
        let started = Instant::now();
        control.add_member(&group.id, &member.id).expect("add back");
        wait_for_editor(&api, &access, true).await;
        let restored = started.elapsed();
        println!(
            "change {:>2}: role gone after {removed:>9.2?}, back after {restored:>9.2?}",
            n + 1
        );
        removals.push(removed.as_millis() as u64);
        restorals.push(restored.as_millis() as u64);
    }
    let sent = control.hook_counters();
    println!(
        "\nrevocation latency over {changes} removals (ms): p50 {} p95 {} max {}",
        percentile(&removals, 50),
        percentile(&removals, 95),
        removals.iter().max().copied().unwrap_or(0)
    );
    println!(
        "restoral latency over {changes} additions (ms): p50 {} p95 {} max {}",
        percentile(&restorals, 50),
        percentile(&restorals, 95),
        restorals.iter().max().copied().unwrap_or(0)
    );
    println!(
        "hook deliveries: {} sent, {} acknowledged, {} retried, {} failed",
        sent.sent, sent.acknowledged, sent.retries, sent.failed
    );
}

/// Reads the person's access until the editor role is there (`holds`) or not.
async fn wait_for_editor(api: &Api, access: &str, holds: bool) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let answer: Value = api.get(access).await;
        let has =
            answer["access"]["roles"].as_array().is_some_and(|r| r.contains(&json!("editor")));
        if has == holds {
            return;
        }
        assert!(Instant::now() < deadline, "the change did not reach the API in {PATIENCE:?}");
        tokio::time::sleep(POLL).await;
    }
}
