//! Benchmark (issue #15): `access.changed` at scale, and what announcing costs a run.
//!
//! `cargo xtask build && cargo bench -p api-tests --bench webhooks` starts the fake Okta (M
//! tenant unless `-- --size S|L`, with Everyone assigned to the app) and a fresh local stack,
//! syncs, and registers a webhook endpoint: the API tests' receiver, which verifies every
//! signature. Then it measures, and prints:
//!
//! 1. an admin grants `viewer` to Everyone: how long until the receiver holds the events naming
//!    every active member, how many events and people, and people per second;
//! 2. 1 % of Everyone's members (at most 1,000) leave a group that grants `editor`: the sync's
//!    wall time and the time until every one of them was told of, with the endpoint; then the
//!    same change undone and made again with no endpoint, for the wall time's ratio (the
//!    announcing's share of a run).
//!
//! Bounded: loopback only, each wait gives up after [`PATIENCE`].

#![expect(clippy::print_stdout, reason = "a benchmark reports its figures on stdout")]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use fake_okta::{TenantOptions, TenantSize, TruthGroup, UserStatus};
use serde_json::{Value, json};

use common::Api;
use receiver::Receiver;

#[expect(dead_code, reason = "this benchmark grants no custom role")]
mod common;
#[expect(dead_code, reason = "this benchmark waits on its own terms")]
#[path = "../receiver.rs"]
mod receiver;

/// The longest one wait may take before the benchmark fails.
const PATIENCE: Duration = Duration::from_secs(900);
/// How often the receiver's attempts are counted while waiting.
const POLL: Duration = Duration::from_secs(1);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1));
    let size: TenantSize = value("--size").map_or(TenantSize::M, |s| s.parse().expect("S, M or L"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run(size));
}

async fn run(size: TenantSize) {
    let options = TenantOptions { assign_everyone: true, big_group: None };
    let (fake, _stack, api) =
        common::start_product(size, options, None, "bench-webhooks", false).await;
    let (_, took) = api.sync(json!({})).await;
    println!("{size:?} tenant: first sync in {took:.1?}");
    let control = fake.control();
    let everyone_id = fake.info().everyone_group_id.clone();
    let truth = control.truth();
    let everyone = truth.groups.iter().find(|g| g.id == everyone_id).expect("Everyone").clone();
    let active: Vec<String> = everyone
        .members
        .iter()
        .filter(|m| m.status == UserStatus::Active)
        .map(|m| m.id.clone())
        .collect();

    let receiver = Receiver::start(0).await;
    let endpoint = json!({ "url": receiver.url(), "events": ["access.changed", "sync.committed"] });
    let endpoint = api.send("POST", "/api/v1/webhooks", &endpoint).await;
    receiver.set_secret(endpoint["secret"].as_str().expect("the webhook's secret"));

    // 1. An admin's change of Everyone's roles: every active member is told of.
    let started = Instant::now();
    set_roles(&api, &everyone, &["viewer"]).await;
    let saved = started.elapsed();
    let (events, took) = wait_for_people(&receiver, &active, started, |p| holds(p, "viewer")).await;
    println!(
        "viewer granted to Everyone ({} active members): saved in {saved:.2?}; {events} events, \
         all received after {took:.1?} ({:.0} people/s)",
        active.len(),
        active.len() as f64 / took.as_secs_f64()
    );

    // 2. Members leave a group that grants `editor`: with the endpoint, then without.
    let group = truth
        .groups
        .iter()
        .filter(|g| g.id != everyone_id)
        .max_by_key(|g| g.members.len())
        .expect("a group")
        .clone();
    set_roles(&api, &group, &["editor"]).await;
    let leaving: Vec<String> = group
        .members
        .iter()
        .filter(|m| m.status == UserStatus::Active)
        .take((active.len() / 100).clamp(1, 1_000))
        .map(|m| m.id.clone())
        .collect();
    let (with_endpoint, events, told) =
        leave_and_sync(&api, &fake, &group, &leaving, Some(&receiver)).await;
    println!(
        "{} of {} members leave {} (editor): sync {with_endpoint:.2?} with the endpoint; \
         {events} events, everyone told after {told:.2?}",
        leaving.len(),
        group.members.len(),
        group.name
    );
    for id in &leaving {
        control.add_member(&group.id, id).expect("back");
    }
    api.sync(json!({})).await;
    let removed = api
        .http
        .delete(format!(
            "{}/api/v1/webhooks/{}",
            api.base,
            endpoint["endpoint"]["id"].as_str().unwrap_or_default()
        ))
        .header("Cf-Access-Jwt-Assertion", &api.token)
        .header("X-Requested-By", "okta-groups-sync")
        .send()
        .await
        .expect("the Worker answers");
    assert_eq!(removed.status().as_u16(), 204);
    let (without, _, _) = leave_and_sync(&api, &fake, &group, &leaving, None).await;
    println!(
        "the same without an endpoint: sync {without:.2?}; with/without {:.2}",
        with_endpoint.as_secs_f64() / without.as_secs_f64()
    );
    let attempts = receiver.attempts();
    let unverified = attempts.iter().filter(|a| !a.verified).count();
    println!("webhook attempts: {}, of them not verified: {unverified}", attempts.len());
}

/// Removes `leaving` from `group` in Okta and syncs; returns the sync's wall time and, with a
/// receiver, the events and the time until every one of them was told they lost `editor`.
async fn leave_and_sync(
    api: &Api,
    fake: &fake_okta::FakeOkta,
    group: &TruthGroup,
    leaving: &[String],
    receiver: Option<&Receiver>,
) -> (Duration, usize, Duration) {
    for id in leaving {
        fake.control().remove_member(&group.id, id).expect("a member leaves");
    }
    let started = Instant::now();
    let (_, wall) = api.sync(json!({})).await;
    let Some(receiver) = receiver else { return (wall, 0, Duration::ZERO) };
    let (events, told) = wait_for_people(receiver, leaving, started, |p| !holds(p, "editor")).await;
    (wall, events, told)
}

/// Waits until the receiver holds, from events received after `since`, a change for every one
/// of `people` that `wanted` accepts; returns how many events named them, and the time taken.
/// Reads only the attempts new since its last look, once a second, so that the benchmark's own
/// work stays out of the way of the Worker and the receiver on a small machine.
async fn wait_for_people(
    receiver: &Receiver,
    people: &[String],
    since: Instant,
    wanted: impl Fn(&Value) -> bool,
) -> (usize, Duration) {
    let people: HashSet<&str> = people.iter().map(String::as_str).collect();
    let (mut told, mut events, mut seen) = (HashSet::new(), HashSet::new(), 0);
    let (mut first, mut last) = (None, since);
    loop {
        let new = receiver.attempts_after(seen);
        seen += new.len();
        for attempt in new.iter().filter(|a| a.at >= since && a.answered < 300) {
            for person in attempt.body["data"]["people"].as_array().into_iter().flatten() {
                let id = person["okta_user_id"].as_str().unwrap_or_default();
                if people.contains(id) && wanted(person) {
                    told.insert(id.to_owned());
                    events.insert(attempt.id.clone());
                    first = first.or(Some(attempt.at));
                    last = last.max(attempt.at);
                }
            }
        }
        if told.len() == people.len() {
            let first = first.map_or(Duration::ZERO, |at| at - since);
            println!("      (the first of those events arrived after {first:.1?})");
            return (events.len(), last - since);
        }
        assert!(
            since.elapsed() < PATIENCE,
            "{} of {} told in {PATIENCE:?}",
            told.len(),
            people.len()
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Whether a person's change leaves them holding `role`.
fn holds(person: &Value, role: &str) -> bool {
    person["roles_after"].as_array().is_some_and(|r| r.contains(&json!(role)))
}

async fn set_roles(api: &Api, group: &TruthGroup, roles: &[&str]) {
    let detail = api.get(&format!("/api/v1/groups/{}", group.id)).await;
    let body = json!({ "roles": roles, "version": detail["roles_version"] });
    api.send("PUT", &format!("/api/v1/groups/{}/roles", group.id), &body).await;
}
