//! Event Hooks, as Okta sends them (CONTRACT.md §7): a registered hook is verified once (a `GET`
//! with a challenge that must come back), then every change made through the control API is
//! delivered as a System Log event, batched, `POST`ed with the hook's secret as the whole
//! `Authorization` value. A delivery that times out (3 s) or gets a 5xx is retried once, a 4xx
//! never; every `duplicate_every`-th delivery is sent twice, as Okta's at-least-once delivery
//! may.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::clock::{iso8601, now_ms};
use crate::control::lock;

/// Okta waits this long for an answer.
const TIMEOUT: Duration = Duration::from_secs(3);
/// How long events gather before a delivery (Okta batches what happens together).
const BATCH_WINDOW: Duration = Duration::from_millis(100);
/// The most events one delivery carries.
const MAX_BATCH: usize = 50;

/// A hook's registration.
#[derive(Debug, Clone)]
pub struct HookRegistration {
    /// The endpoint (`…/api/v1/okta/events`).
    pub url: String,
    /// The value sent as `Authorization`.
    pub secret: String,
    /// Every n-th delivery is sent twice (`None`: never).
    pub duplicate_every: Option<u32>,
}

/// What the hook sender did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct HookCounters {
    /// Events handed to the sender.
    pub events: u64,
    /// Deliveries sent (retries and duplicates included).
    pub sent: u64,
    /// Deliveries answered 2xx.
    pub acknowledged: u64,
    /// Retries after a timeout or a 5xx.
    pub retries: u64,
    /// Deliveries sent again on purpose.
    pub duplicates: u64,
    /// Deliveries given up (a 4xx, or a failed retry).
    pub failed: u64,
}

/// Why a hook could not be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookError {
    /// The endpoint did not answer the verification with the challenge.
    VerificationFailed(String),
}

/// One change, as Okta's System Log describes it.
#[derive(Debug, Clone)]
pub struct HookEvent {
    /// `group.user_membership.remove`, …
    pub event_type: &'static str,
    /// `(type, id)` of each target: `User`, `UserGroup`.
    pub targets: Vec<(&'static str, String)>,
}

/// The registered hook, its queue and its counters.
#[derive(Debug, Default)]
pub(crate) struct Hooks {
    registration: Mutex<Option<HookRegistration>>,
    queue: Mutex<VecDeque<(HookEvent, i64)>>,
    counters: Mutex<HookCounters>,
    wake: Notify,
}

impl Hooks {
    /// Queues an event for the registered hook (none: it is dropped, as Okta sends nothing).
    pub(crate) fn emit(&self, event: HookEvent) {
        if lock(&self.registration).is_none() {
            return;
        }
        lock(&self.queue).push_back((event, now_ms()));
        lock(&self.counters).events += 1;
        self.wake.notify_one();
    }

    /// Forgets the registration and the events still queued.
    pub(crate) fn unregister(&self) {
        *lock(&self.registration) = None;
        lock(&self.queue).clear();
    }

    pub(crate) fn counters(&self) -> HookCounters {
        *lock(&self.counters)
    }
}

/// Verifies `registration` as Okta does, then keeps delivering on the current runtime.
pub(crate) async fn register(
    hooks: Arc<Hooks>,
    registration: HookRegistration,
) -> Result<(), HookError> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let challenge = format!("challenge{}", now_ms());
    let request = Request::builder()
        .method(Method::GET)
        .uri(&registration.url)
        .header("x-okta-verification-challenge", &challenge)
        .body(Full::new(Bytes::new()))
        .map_err(|e| HookError::VerificationFailed(e.to_string()))?;
    let answer = tokio::time::timeout(TIMEOUT, client.request(request))
        .await
        .map_err(|_| HookError::VerificationFailed("timed out".into()))?
        .map_err(|e| HookError::VerificationFailed(e.to_string()))?;
    let status = answer.status();
    let body = answer
        .into_body()
        .collect()
        .await
        .map_err(|e| HookError::VerificationFailed(e.to_string()))?
        .to_bytes();
    let echoed = serde_json::from_slice::<Value>(&body).ok();
    if !status.is_success() || echoed != Some(json!({ "verification": challenge })) {
        return Err(HookError::VerificationFailed(format!(
            "{status}: {}",
            String::from_utf8_lossy(&body)
        )));
    }
    let first = lock(&hooks.registration).replace(registration).is_none();
    if first {
        tokio::spawn(deliver_forever(hooks, client));
    }
    Ok(())
}

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

async fn deliver_forever(hooks: Arc<Hooks>, client: HttpClient) {
    let mut seq: u64 = 0;
    loop {
        if lock(&hooks.queue).is_empty() {
            hooks.wake.notified().await;
        }
        tokio::time::sleep(BATCH_WINDOW).await;
        let batch: Vec<(HookEvent, i64)> = {
            let mut queue = lock(&hooks.queue);
            let n = queue.len().min(MAX_BATCH);
            queue.drain(..n).collect()
        };
        let Some(registration) = lock(&hooks.registration).clone() else { continue };
        if batch.is_empty() {
            continue;
        }
        seq += 1;
        let body = delivery_body(&format!("{:x}-{seq}", now_ms()), &batch);
        let twice =
            registration.duplicate_every.is_some_and(|n| n > 0 && seq.is_multiple_of(u64::from(n)));
        deliver(&hooks, &client, &registration, &body).await;
        if twice {
            lock(&hooks.counters).duplicates += 1;
            deliver(&hooks, &client, &registration, &body).await;
        }
    }
}

/// One delivery, retried once after a timeout or a 5xx.
async fn deliver(hooks: &Hooks, client: &HttpClient, registration: &HookRegistration, body: &str) {
    for attempt in 0..2 {
        if attempt > 0 {
            lock(&hooks.counters).retries += 1;
        }
        lock(&hooks.counters).sent += 1;
        let Ok(request) = Request::builder()
            .method(Method::POST)
            .uri(&registration.url)
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .header("Authorization", &registration.secret)
            .body(Full::new(Bytes::from(body.to_owned())))
        else {
            break;
        };
        match tokio::time::timeout(TIMEOUT, client.request(request)).await {
            Ok(Ok(answer)) if answer.status().is_success() => {
                lock(&hooks.counters).acknowledged += 1;
                return;
            }
            Ok(Ok(answer)) if answer.status().is_client_error() => break,
            _ => {}
        }
    }
    lock(&hooks.counters).failed += 1;
}

/// Okta's delivery body (CONTRACT.md §7) of `batch`, each event with the time it happened
/// (epoch ms), under `event_id` (the same for a retry or a duplicate of the delivery).
pub fn delivery_body(event_id: &str, batch: &[(HookEvent, i64)]) -> String {
    let events: Vec<Value> = batch
        .iter()
        .enumerate()
        .map(|(i, (event, at))| {
            let targets: Vec<Value> = event
                .targets
                .iter()
                .map(|(kind, id)| json!({ "id": id, "type": kind, "alternateId": id, "displayName": id }))
                .collect();
            json!({
                "uuid": format!("{event_id}-{i}"),
                "published": iso8601(*at),
                "eventType": event.event_type,
                "version": "0",
                "displayMessage": event.event_type,
                "severity": "INFO",
                "actor": { "id": "00ufakeadmin00000000", "type": "User", "alternateId": "admin@example.com" },
                "target": targets,
                "outcome": { "result": "SUCCESS" }
            })
        })
        .collect();
    json!({
        "eventType": "com.okta.event_hook",
        "eventTypeVersion": "1.0",
        "cloudEventsVersion": "0.1",
        "source": "https://fake.okta.local/api/v1/eventHooks/whofake",
        "eventId": event_id,
        "eventTime": iso8601(now_ms()),
        "contentType": "application/json",
        "data": { "events": events }
    })
    .to_string()
}
