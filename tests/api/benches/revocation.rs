//! Benchmark (issue #15): how long a person keeps a role after Okta removes them from the group
//! that grants it, with the Okta Event Hook in place, and how long until the relying app's
//! webhook hears of it. Goal: both under 60 s.
//!
//! `cargo xtask build && cargo bench -p api-tests --bench revocation` starts the fake Okta (S
//! tenant unless `-- --size M`) and a fresh local stack, syncs, makes the hook's secret and
//! registers the hook in the fake (which verifies it), and registers a webhook endpoint: the API
//! tests' receiver, which verifies every signature. Then, `--changes N` times (20 unless told),
//! it removes a member of a group that grants `editor`, and measures the time until (a)
//! `GET /api/v1/users/{email}/access` no longer shows the role and (b) the receiver takes an
//! `access.changed` event saying so; then it adds them back and waits for both again, so that
//! every change starts from the same state. It prints each latency and their p50/p95/max.
//! Bounded: loopback only, each change gives up after [`PATIENCE`].

#![expect(clippy::print_stdout, reason = "a benchmark reports its figures on stdout")]

use std::time::{Duration, Instant};

use fake_okta::{HookRegistration, TenantOptions, TenantSize, TruthMember, UserStatus};
use serde_json::{Value, json};

use common::{Api, percentile};
use receiver::{Attempt, Receiver};

#[expect(dead_code, reason = "this benchmark grants no custom role")]
mod common;
#[expect(dead_code, reason = "this benchmark reads only what it waits for")]
#[path = "../receiver.rs"]
mod receiver;

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

    let receiver = Receiver::start(0).await;
    let endpoint = json!({ "url": receiver.url(), "events": ["access.changed"] });
    let endpoint = api.send("POST", "/api/v1/webhooks", &endpoint).await;
    receiver.set_secret(endpoint["secret"].as_str().expect("the webhook's secret"));

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

    let (mut removals, mut restorals) = (Vec::new(), Vec::new());
    let (mut removal_hooks, mut restoral_hooks) = (Vec::new(), Vec::new());
    for n in 0..changes {
        let member = members[n % members.len()];
        let access = format!("/api/v1/users/{}/access", member.login);
        let started = Instant::now();
        control.remove_member(&group.id, &member.id).expect("remove");
        wait_for_editor(&api, &access, false).await;
        let removed = started.elapsed();
        let heard = receiver.wait_for("the removal", |a| told(a, &member.id, started, false)).await;
        let removal_hook = heard.at - started;
        let started = Instant::now();
        control.add_member(&group.id, &member.id).expect("add back");
        wait_for_editor(&api, &access, true).await;
        let restored = started.elapsed();
        let heard = receiver.wait_for("the restoral", |a| told(a, &member.id, started, true)).await;
        let restoral_hook = heard.at - started;
        println!(
            "change {:>2}: role gone after {removed:>9.2?} (webhook {removal_hook:>9.2?}), \
             back after {restored:>9.2?} (webhook {restoral_hook:>9.2?})",
            n + 1
        );
        removals.push(removed.as_millis() as u64);
        restorals.push(restored.as_millis() as u64);
        removal_hooks.push(removal_hook.as_millis() as u64);
        restoral_hooks.push(restoral_hook.as_millis() as u64);
    }
    let attempts = receiver.attempts();
    let unverified = attempts.iter().filter(|a| !a.verified).count();
    let sent = control.hook_counters();
    println!();
    for (what, samples) in [
        ("revocation in the API", &removals),
        ("revocation by webhook", &removal_hooks),
        ("restoral in the API", &restorals),
        ("restoral by webhook", &restoral_hooks),
    ] {
        println!(
            "{what} over {changes} changes (ms): p50 {} p95 {} max {}",
            percentile(samples, 50),
            percentile(samples, 95),
            samples.iter().max().copied().unwrap_or(0)
        );
    }
    println!("webhook attempts: {}, of them not verified: {unverified}", attempts.len());
    println!(
        "hook deliveries: {} sent, {} acknowledged, {} retried, {} failed",
        sent.sent, sent.acknowledged, sent.retries, sent.failed
    );
}

/// Whether `attempt`, received after `since`, tells that `user_id` now holds `editor` (`holds`)
/// or lost it.
fn told(attempt: &Attempt, user_id: &str, since: Instant, holds: bool) -> bool {
    attempt.at >= since
        && attempt.body["type"] == "access.changed"
        && attempt.body["data"]["people"].as_array().is_some_and(|people| {
            people.iter().any(|p| {
                let after =
                    p["roles_after"].as_array().is_some_and(|r| r.contains(&json!("editor")));
                p["okta_user_id"] == user_id && after == holds
            })
        })
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
