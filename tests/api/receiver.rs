//! A webhook receiver for the tests: an app that relies on this one, on a loopback port. It
//! verifies every delivery's signature with the Standard Webhooks project's own Rust library
//! (not with the Worker's code), answers `500` to the first attempts of each event when told to,
//! and keeps what it received for the tests to wait on.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One attempt the receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    /// `webhook-id`.
    pub(crate) id: String,
    /// Whether the signature verified with the endpoint's secret (and a fresh timestamp).
    pub(crate) verified: bool,
    /// The status it answered.
    pub(crate) answered: u16,
    /// The body, parsed.
    pub(crate) body: Value,
    /// When it arrived.
    pub(crate) at: Instant,
}

#[derive(Debug, Default)]
struct State {
    secret: Option<String>,
    fail_first: u32,
    attempts: Vec<Attempt>,
    per_event: HashMap<String, u32>,
}

/// The running receiver; stops when dropped.
#[derive(Debug)]
pub(crate) struct Receiver {
    url: String,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Receiver {
    /// Starts a receiver that answers `500` to the first `fail_first` attempts of each event.
    pub(crate) async fn start(fail_first: u32) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let url =
            format!("http://{}/hooks/okta-groups", listener.local_addr().expect("its address"));
        let state = Arc::new(Mutex::new(State { fail_first, ..State::default() }));
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let shared = Arc::clone(&shared);
                        async move { Ok::<_, Infallible>(receive(&shared, req).await) }
                    });
                    let _ =
                        http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        Self { url, state, task }
    }

    /// Where it listens.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The endpoint's signing secret, once registered.
    pub(crate) fn set_secret(&self, secret: &str) {
        self.lock().secret = Some(secret.to_owned());
    }

    /// Every attempt so far.
    pub(crate) fn attempts(&self) -> Vec<Attempt> {
        self.attempts_after(0)
    }

    /// The attempts after the first `seen`.
    pub(crate) fn attempts_after(&self, seen: usize) -> Vec<Attempt> {
        self.lock().attempts.iter().skip(seen).cloned().collect()
    }

    /// Waits until an attempt answered `2xx` satisfies `wanted`, and returns it.
    pub(crate) async fn wait_for(&self, what: &str, wanted: impl Fn(&Attempt) -> bool) -> Attempt {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let found = self.attempts().into_iter().find(|a| a.answered < 300 && wanted(a));
            if let Some(found) = found {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} received in time: {:#?}",
                self.attempts()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How long a delivery may take to arrive: the run, then the retries' backoff (2 s, then 8 s),
/// on two busy cores.
const PATIENCE: Duration = Duration::from_secs(180);

async fn receive(state: &Arc<Mutex<State>>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map(http_body_util::Collected::to_bytes).unwrap_or_default();
    let id = header(&parts.headers, "webhook-id");
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    let verified = state.secret.as_deref().is_some_and(|secret| {
        standardwebhooks::Webhook::new(secret)
            .and_then(|hook| hook.verify(&body, &parts.headers))
            .is_ok()
    });
    let tries = state.per_event.entry(id.clone()).or_default();
    *tries += 1;
    let answered = match (verified, *tries <= state.fail_first) {
        (false, _) => StatusCode::UNAUTHORIZED,
        (true, true) => StatusCode::INTERNAL_SERVER_ERROR,
        (true, false) => StatusCode::NO_CONTENT,
    };
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    state.attempts.push(Attempt {
        id,
        verified,
        answered: answered.as_u16(),
        body,
        at: Instant::now(),
    });
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = answered;
    response
}

fn header(headers: &hyper::HeaderMap, name: &str) -> String {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}
