//! Signed webhooks out: the `WebhookSender` Durable Object that delivers what is due, and the
//! kick that wakes it when a commit releases events.
//!
//! D1 holds every delivery and when it is next due; the object only keeps an alarm set for the
//! earliest one. So a lost kick, an evicted object or a failed invocation delays a delivery until
//! the next alarm or kick (the hourly cron kicks too), and never loses it.

use std::time::Duration;

use futures_util::future::{Either, join_all, select};
use groupsync_core::domain::WebhookUrl;
use wasm_bindgen::JsValue;
use worker::{
    AbortController, Date, Delay, DurableObject, Env, Fetch, Headers, Method, Request, RequestInit,
    RequestRedirect, Response, State, console_error, console_log, durable_object,
};

use crate::adapters::d1::limits::QUERY_BUDGET;
use crate::adapters::d1::{AttemptOutcome, DueDelivery, JobRow, Store, iso_of_ms};
use crate::config::{Config, EnvSource, WEBHOOK_SENDER_BINDING};
use crate::sealed_token::TokenKeys;
use crate::service::webhooks::{
    PEOPLE_PER_EVENT, access_change, access_changed_body, event_id, retry_delay_ms, signature,
    signing_key,
};

/// Deliveries read and sent at once; Workers keeps at most six connections open and queues the
/// rest.
const PER_ROUND: u32 = 24;
/// The most D1 queries one round sends: a page of a role change (the job, 3 reads, 3 writes),
/// the due deliveries (1) and their outcomes (one each).
const ROUND_QUERIES: u32 = 8 + PER_ROUND;
/// How long one invocation sends before it hands over to the next alarm.
const INVOCATION: Duration = Duration::from_secs(15);
/// How long an endpoint has to answer: Standard Webhooks receivers should answer at once and
/// work later.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long events (and their delivery log) are kept.
const KEPT_FOR_MS: f64 = 7.0 * 24.0 * 3_600_000.0;
/// Rows of old events forgotten per invocation.
const FORGET_PER_INVOCATION: u32 = 500;

/// Wakes the sender: something is due now. Best effort: what is due stays due in D1.
pub(crate) async fn kick(env: &Env) {
    if let Err(error) = send_kick(env).await {
        console_error!("waking the webhook sender: {error}");
    }
}

async fn send_kick(env: &Env) -> worker::Result<()> {
    let stub = env.durable_object(WEBHOOK_SENDER_BINDING)?.id_from_name("webhooks")?.get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post);
    stub.fetch_with_request(Request::new_with_init("https://webhook-sender/kick", &init)?).await?;
    Ok(())
}

/// The Durable Object that sends due deliveries: one per deployment, so that no delivery is sent
/// twice at once.
#[durable_object]
#[expect(
    missing_debug_implementations,
    reason = "the runtime's State and Env handles have no Debug"
)]
pub struct WebhookSender {
    state: State,
    env: Env,
}

impl DurableObject for WebhookSender {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, _req: Request) -> worker::Result<Response> {
        self.state.storage().set_alarm(Duration::from_millis(0)).await?;
        Response::ok("kicked")
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let next = match self.send_due().await {
            Ok(next) => next,
            Err(error) => {
                console_error!("sending webhooks: {error}");
                Some(Date::now().as_millis() + 60_000)
            }
        };
        if let Some(at) = next {
            let wait = at.saturating_sub(Date::now().as_millis());
            self.state.storage().set_alarm(Duration::from_millis(wait)).await?;
        }
        Response::ok("sent")
    }
}

impl WebhookSender {
    /// Sends what is due until nothing is or this invocation's time is spent; returns when the
    /// next delivery is due.
    async fn send_due(&self) -> Result<Option<u64>, String> {
        let store = Store::open(&self.env).map_err(|e| e.to_string())?;
        let config = Config::load(&EnvSource(&self.env)).map_err(|e| e.to_string())?;
        if let Some(keys) = &config.token_keys {
            reseal_secrets(&store, keys).await;
        }
        let started = Date::now().as_millis();
        let (mut pages, mut attempts) = (0, 0);
        // A page of a role change's members, then a round of deliveries, in turn: a role change
        // of 100,000 people does not hold back the events due meanwhile (a revocation's).
        loop {
            let job = store.next_webhook_job().await.map_err(|e| e.to_string())?;
            if let Some(job) = &job {
                announce_page(&store, job).await?;
                pages += 1;
            }
            let now_ms = Date::now().as_millis();
            let due =
                store.due_webhook_deliveries(now_ms, PER_ROUND).await.map_err(|e| e.to_string())?;
            if !due.is_empty() {
                let outcomes =
                    join_all(due.iter().map(|delivery| attempt(&config, delivery))).await;
                store
                    .record_webhook_attempts(&outcomes, &iso_of_ms(Date::now().as_millis() as f64))
                    .await
                    .map_err(|e| e.to_string())?;
                attempts += outcomes.len();
            }
            if job.is_none() && due.is_empty() {
                break;
            }
            if spent(started, &store) {
                log_work(pages, attempts, started);
                return Ok(Some(Date::now().as_millis()));
            }
        }
        log_work(pages, attempts, started);
        let before = iso_of_ms(Date::now().as_millis() as f64 - KEPT_FOR_MS);
        if let Err(error) =
            store.forget_webhook_messages_before(&before, FORGET_PER_INVOCATION).await
        {
            console_error!("forgetting old webhook events: {error}");
        }
        store.next_webhook_due_ms().await.map_err(|e| e.to_string())
    }
}

/// Seals again under the current key every endpoint secret sealed with the previous one, so that
/// a key rotation completes within the hour (the cron wakes the sender) without anyone making
/// new secrets. Best effort: the next wake tries again.
async fn reseal_secrets(store: &Store, keys: &TokenKeys) {
    let sealed = match store.webhook_secrets().await {
        Ok(sealed) => sealed,
        Err(error) => return console_error!("reading the webhook secrets: {error}"),
    };
    for (id, old) in sealed {
        let Ok((secret, true)) = keys.open_webhook_secret(&old, &id) else { continue };
        let Ok(new) = keys.seal_webhook_secret(&secret, &id) else { continue };
        if let Err(error) = store.reseal_webhook_secret(&id, &old, &new).await {
            console_error!("sealing the secret of webhook endpoint {id} again: {error}");
        }
    }
}

/// Logs what one invocation did (nothing about the events' contents).
fn log_work(pages: u32, attempts: usize, started: u64) {
    if pages > 0 || attempts > 0 {
        let took = Date::now().as_millis().saturating_sub(started);
        console_log!(
            "webhook sender: {pages} pages of role changes, {attempts} attempts in {took} ms"
        );
    }
}

/// Whether this invocation has sent for as long, or as many D1 queries, as it may: a round
/// costs a few queries per delivery, and D1 refuses an invocation's 1,001st.
fn spent(started: u64, store: &Store) -> bool {
    Date::now().as_millis().saturating_sub(started) > INVOCATION.as_millis() as u64
        || store.queries_sent() + ROUND_QUERIES >= QUERY_BUDGET
}

/// Makes the `access.changed` event of one page of the members of a group whose roles an admin
/// changed (those whose roles it leaves as they were are not named), due now.
async fn announce_page(store: &Store, job: &JobRow) -> Result<(), String> {
    let limit = u32::try_from(PEOPLE_PER_EVENT).unwrap_or(u32::MAX);
    let (mut people, last) = store
        .grant_change_page(&job.group_id, &job.after_user, limit)
        .await
        .map_err(|e| e.to_string())?;
    let before = job.grants_before();
    for person in &mut people {
        for group in person.groups.iter_mut().filter(|g| g.group_id == job.group_id) {
            group.grants_before = Some(before.clone());
        }
    }
    let changes: Vec<_> = people.iter().filter_map(access_change).collect();
    let now_ms = Date::now().as_millis();
    let now = iso_of_ms(now_ms as f64);
    let event = match changes.is_empty() {
        true => None,
        false => Some((
            event_id(&[&job.id, "access.changed", &job.after_user]),
            access_changed_body(None, changes, &now).map_err(|e| e.to_string())?,
        )),
    };
    let reached = last.filter(|_| people.len() >= PEOPLE_PER_EVENT);
    let event = event.as_ref().map(|(id, body)| (id.as_str(), body.as_str()));
    store
        .advance_webhook_job(&job.id, reached.as_deref(), event, &now, now_ms)
        .await
        .map_err(|e| e.to_string())
}

/// Signs and sends one delivery, and says how it went.
async fn attempt(config: &Config, delivery: &DueDelivery) -> AttemptOutcome {
    let (status, error) = match send(config, delivery).await {
        Ok(status) if (200..300).contains(&status) => (Some(status), None),
        Ok(status) if (300..400).contains(&status) => {
            (Some(status), Some(format!("HTTP {status}: redirects are not followed")))
        }
        Ok(status) => (Some(status), Some(format!("HTTP {status}"))),
        Err(error) => (None, Some(error)),
    };
    let failed = u32::try_from(delivery.attempts).unwrap_or(u32::MAX).saturating_add(1);
    let jitter = js_sys::Math::random();
    AttemptOutcome {
        endpoint_id: delivery.endpoint_id.clone(),
        message_id: delivery.message_id.clone(),
        retry_at_ms: error
            .as_ref()
            .and_then(|_| retry_delay_ms(failed, jitter))
            .map(|wait| Date::now().as_millis() + wait),
        error,
        status,
    }
}

/// The endpoint's answer to one signed POST, or why there was none. The URL is checked again
/// (the allow-list may have changed since it was registered); redirects are not followed.
async fn send(config: &Config, delivery: &DueDelivery) -> Result<u16, String> {
    let url = WebhookUrl::parse(&delivery.url, &config.webhook_policy)
        .map_err(|e| format!("not sent: {e}"))?;
    let keys = config.token_keys.as_ref().ok_or("not sent: TOKEN_ENCRYPTION_KEY is not set")?;
    let (secret, _) = keys
        .open_webhook_secret(&delivery.secret_sealed, &delivery.endpoint_id)
        .map_err(|e| format!("not sent: the signing secret cannot be opened ({e})"))?;
    let key = signing_key(&secret).ok_or("not sent: the signing secret is not one")?;
    let timestamp = (Date::now().as_millis() / 1000) as i64;
    let failed = |e: worker::Error| format!("not sent: {e}");
    let headers = Headers::new();
    headers.set("content-type", "application/json").map_err(failed)?;
    headers.set("user-agent", "okta-groups-sync-webhooks").map_err(failed)?;
    headers.set("webhook-id", &delivery.message_id).map_err(failed)?;
    headers.set("webhook-timestamp", &timestamp.to_string()).map_err(failed)?;
    headers
        .set(
            "webhook-signature",
            &signature(&key, &delivery.message_id, timestamp, &delivery.payload),
        )
        .map_err(failed)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(JsValue::from_str(&delivery.payload)));
    let request = Request::new_with_init(url.as_str(), &init).map_err(failed)?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let sent = Fetch::Request(request);
    let answer = Box::pin(sent.send_with_signal(&signal));
    match select(answer, Delay::from(ATTEMPT_TIMEOUT)).await {
        Either::Left((Ok(response), _)) => Ok(response.status_code()),
        Either::Left((Err(error), _)) => Err(format!("no answer: {error}")),
        Either::Right(_) => {
            controller.abort();
            Err(format!("timed out after {} s", ATTEMPT_TIMEOUT.as_secs()))
        }
    }
}
