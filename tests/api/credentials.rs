//! Credential abuse: refused credentials are limited per client address (429 with `Retry-After`
//! before any credential is looked at, other addresses unaffected), and Access's signing keys are
//! used for a bounded time once their endpoint stops answering, then requests fail closed with a
//! 503 that says so, fetches back off meanwhile, and sign-ins work again once it answers.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use reqwest::{Response, StatusCode};
use serde_json::Value;
use test_support::LocalStack;

use crate::helpers::{TestApp, expect_problem, start_stack};
use crate::world::{World, now_s};

/// Failed credential attempts per address per minute on the limited stack.
const FAILURE_LIMIT: usize = 5;
/// How long stale keys serve on the stale-keys stack, in seconds.
const MAX_STALE_S: u64 = 12;

static LIMITED_FAILURES_STACK: OnceLock<LocalStack> = OnceLock::new();
static STALE_KEYS_STACK: OnceLock<LocalStack> = OnceLock::new();

/// A stack allowing [`FAILURE_LIMIT`] refused credentials per address and minute.
fn limited_failures() -> TestApp {
    TestApp::connect(LIMITED_FAILURES_STACK.get_or_init(|| {
        let limit = [("RATE_LIMIT_AUTH_FAILURES_PER_MINUTE", FAILURE_LIMIT.to_string())];
        start_stack("api-credentials", true, World::get().stack_vars_with(|_| false, &limit))
    }))
}

/// A stack whose Access team is `World::switchable_team` (whose key endpoint the test turns off
/// and on), using stale keys for at most [`MAX_STALE_S`].
fn stale_keys() -> TestApp {
    TestApp::connect(STALE_KEYS_STACK.get_or_init(|| {
        let world = World::get();
        let set = [
            ("ACCESS_TEAM_DOMAIN", world.switchable_team.clone()),
            ("ACCESS_KEYS_MAX_STALE_SECONDS", MAX_STALE_S.to_string()),
        ];
        start_stack("api-stale-keys", true, world.stack_vars_with(|_| false, &set))
    }))
}

/// A client address of the documentation ranges, different on every call.
fn fresh_address() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!("2001:db8::{:x}:{n:x}", std::process::id() & 0xffff)
}

/// `GET /api/v1/me` from `address` with `headers` as credentials.
async fn me_from(
    app: &TestApp,
    address: &str,
    mut headers: Vec<(&'static str, String)>,
) -> Response {
    headers.push(("CF-Connecting-IP", address.to_owned()));
    app.with_headers(headers).get("/api/v1/me").await
}

fn root_jwt() -> Vec<(&'static str, String)> {
    vec![("Cf-Access-Jwt-Assertion", World::get().person("root@example.com"))]
}

/// A refused credential of each kind, in turn: a token signed by a key Access never published,
/// and an API key nobody issued.
fn refused_credential(index: usize) -> Vec<(&'static str, String)> {
    let world = World::get();
    if index.is_multiple_of(2) {
        let forged = world.token(&world.person_claims("root@example.com"), "k1", 3);
        vec![("Cf-Access-Jwt-Assertion", forged)]
    } else {
        vec![("Authorization", format!("Bearer gsk_guess{index}_{}", "A".repeat(43)))]
    }
}

#[tokio::test]
async fn failed_credentials_are_limited_per_address_with_a_429_and_retry_after() {
    let app = limited_failures();
    // The limit counts in fixed minutes: a round that straddles a minute's end starts over,
    // from fresh addresses.
    let (attacker, retry_after_s) = 'round: {
        for _ in 0..3 {
            let minute = now_s() / 60;
            let attacker = fresh_address();
            for attempt in 0..FAILURE_LIMIT {
                let refused = me_from(&app, &attacker, refused_credential(attempt)).await;
                assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
            }
            // Past the limit, even a valid credential from that address is refused, unread.
            let limited = me_from(&app, &attacker, root_jwt()).await;
            if now_s() / 60 != minute {
                continue;
            }
            let retry_after: u64 = limited
                .headers()
                .get("Retry-After")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .expect("a Retry-After in seconds");
            let problem =
                expect_problem(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
            assert!(problem.detail.contains("try again in"), "{}", problem.detail);
            assert!((1..=60).contains(&retry_after), "{retry_after}");
            break 'round (attacker, retry_after);
        }
        panic!("three rounds in a row straddled a minute's end");
    };
    let refused_again = me_from(&app, &attacker, refused_credential(0)).await;
    expect_problem(refused_again, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;

    // Another address is not affected: its valid credential works, its refusals are its own.
    let neighbour = fresh_address();
    assert_eq!(me_from(&app, &neighbour, root_jwt()).await.status(), StatusCode::OK);
    let refused = me_from(&app, &neighbour, refused_credential(1)).await;
    expect_problem(refused, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    // A request without credentials guesses nothing and is not counted.
    for _ in 0..FAILURE_LIMIT {
        let anonymous = me_from(&app, &neighbour, Vec::new()).await;
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(me_from(&app, &neighbour, root_jwt()).await.status(), StatusCode::OK);

    // When the window ends, the address may sign in again (waiting for that state, polled).
    let limited_at = Instant::now();
    let deadline = limited_at + Duration::from_secs(retry_after_s + 30);
    loop {
        let status = me_from(&app, &attacker, root_jwt()).await.status();
        if status == StatusCode::OK {
            break;
        }
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(Instant::now() < deadline, "still limited {retry_after_s} s + 30 s later");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        limited_at.elapsed() + Duration::from_secs(2) >= Duration::from_secs(retry_after_s),
        "not before its Retry-After ({retry_after_s} s; {:?})",
        limited_at.elapsed()
    );
}

/// The claims of root's token on the switchable team.
fn switchable_root_token() -> String {
    let world = World::get();
    let mut claims = world.person_claims("root@example.com");
    claims["iss"] = Value::String(world.switchable_team.clone());
    world.token(&claims, "k1", 0)
}

#[tokio::test]
async fn stale_access_keys_serve_for_a_bounded_time_then_fail_closed_with_a_503_and_recover() {
    let app = stale_keys();
    let world = World::get();
    let certs = &world.switchable_certs;
    let root = app.with_jwt(&switchable_root_token());
    certs.set_down(false);
    assert_eq!(root.get("/api/v1/me").await.status(), StatusCode::OK);
    let fetched_at = certs.last_answered().expect("the Worker fetched the keys");

    // The certs URL stops answering.
    certs.set_down(true);
    let refused_before = certs.refused();
    let window = Duration::from_secs(MAX_STALE_S);
    // The Worker's clock counts whole seconds: allow it one on either side.
    let margin = Duration::from_secs(2);
    let mut served_stale = 0;
    let unavailable = loop {
        let response = root.get("/api/v1/me").await;
        let (status, age) = (response.status(), fetched_at.elapsed());
        if status == StatusCode::SERVICE_UNAVAILABLE {
            break response;
        }
        assert_eq!(status, StatusCode::OK, "at {age:?} after the last fetch");
        assert!(age < window + margin, "still served {age:?} after the last fetch");
        if certs.refused() > refused_before {
            served_stale += 1;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let age = fetched_at.elapsed();
    assert!(age + margin >= window, "refused after only {age:?}");
    assert!(served_stale > 0, "stale keys were used after a refresh failed");
    assert!(unavailable.headers().contains_key("Retry-After"));
    let problem =
        expect_problem(unavailable, StatusCode::SERVICE_UNAVAILABLE, "access_keys_unavailable")
            .await;
    assert!(
        problem.detail.starts_with(&format!(
            "Cloudflare Access's signing keys could not be fetched for over {MAX_STALE_S} seconds;"
        )),
        "{}",
        problem.detail
    );

    // While failing closed, fetches back off: a burst of requests is not a burst of fetches.
    let (burst, started, refused_at_start) = (20, Instant::now(), certs.refused());
    for _ in 0..burst {
        let status = root.get("/api/v1/me").await.status();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    }
    let fetches = certs.refused() - refused_at_start;
    // At most one try a second here (the backoff's cap is a tenth of the window), plus the edges.
    let allowed = started.elapsed().as_secs() as usize + 2;
    eprintln!(
        "stale keys: served {served_stale} requests stale, 503 after {age:?} (window \
         {MAX_STALE_S} s), {fetches} key fetches for {burst} requests in {:?}",
        started.elapsed()
    );
    assert!(fetches <= allowed && fetches < burst, "{fetches} fetches for {burst} requests");

    // The certs URL answers again: sign-ins work again once the backoff lets a fetch through.
    let answered_before = certs.answered();
    certs.set_down(false);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = root.get("/api/v1/me").await.status();
        if status == StatusCode::OK {
            break;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(Instant::now() < deadline, "still 503 30 s after the keys came back");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(certs.answered() > answered_before, "the keys were fetched again");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_worker_verifies_with_the_access_keys_kept_in_kv_without_fetching_them() {
    let world = World::get();
    let set = [("ACCESS_TEAM_DOMAIN", world.restarted_team.clone())];
    let mut stack = tokio::task::block_in_place(|| {
        start_stack("api-shared-keys", true, world.stack_vars_with(|_| false, &set))
    });
    let mut claims = world.person_claims("root@example.com");
    claims["iss"] = Value::String(world.restarted_team.clone());
    let token = world.token(&claims, "k1", 0);
    assert_eq!(status_of_me(stack.base_url(), &token).await, StatusCode::OK);
    let fetched = world.restarted_team_key_fetches();
    assert_eq!(fetched, 1, "the first isolate fetches the key set once");

    // The local KV writes its files after the put has answered: kill the Worker only once
    // the key set is on disk (paused, so that the files are read whole).
    let deadline = Instant::now() + Duration::from_secs(60);
    tokio::task::block_in_place(|| {
        loop {
            stack.pause().expect("the stack pauses");
            let keys = stack.kv_keys("CACHE").expect("wrangler lists the local KV");
            if keys.contains("access-keys:") {
                return;
            }
            assert!(Instant::now() < deadline, "the key set never reached KV: {keys}");
            stack.resume().expect("the stack goes on");
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    // A new process on the same state: a cold isolate, with the local KV of the first.
    tokio::task::block_in_place(|| stack.kill().and_then(|()| stack.restart_on_new_port()))
        .unwrap_or_else(|e| panic!("the stack restarts on the same state: {e}"));
    assert_eq!(status_of_me(stack.base_url(), &token).await, StatusCode::OK);
    assert_eq!(
        world.restarted_team_key_fetches(),
        fetched,
        "the cold isolate verified with the keys from KV, without a fetch; the Worker's log:\n{}",
        stack.log_tail()
    );
}

/// The status of `GET /api/v1/me` at `base` with the Access JWT `token` (a stack that no
/// [`TestApp`] holds, since the test restarts it).
async fn status_of_me(base: &str, token: &str) -> StatusCode {
    let response = reqwest::Client::new()
        .get(format!("{base}/api/v1/me"))
        .header("Cf-Access-Jwt-Assertion", token)
        .send()
        .await
        .expect("the Worker answers");
    response.status()
}

#[tokio::test]
async fn wrong_okta_event_hook_secrets_count_as_refused_credentials_of_their_address() {
    let app = limited_failures();
    let root = app.as_person("root@example.com");
    let made = root
        .send(
            reqwest::Method::POST,
            "/api/v1/settings/okta/event-hook/secret",
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let guess = |address: &str| {
        app.raw(reqwest::Method::POST, "/api/v1/okta/events")
            .header("Authorization", "gsh_a-guess")
            .header("Content-Type", "application/json")
            .header("CF-Connecting-IP", address)
            .body("{}")
            .send()
    };
    // The limit counts in fixed minutes: a round that straddles a minute's end starts over.
    for _ in 0..3 {
        let minute = now_s() / 60;
        let attacker = fresh_address();
        for attempt in 0..FAILURE_LIMIT {
            let refused = guess(&attacker).await.expect("the Worker answers");
            assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
        }
        let limited = guess(&attacker).await.expect("the Worker answers");
        if now_s() / 60 != minute {
            continue;
        }
        expect_problem(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
        return;
    }
    panic!("three rounds in a row straddled a minute's end");
}
