//! Rate limits: bucket figures, decreasing `Remaining`, window resets, the per-token share,
//! 429s counting toward usage, and the concurrency limit.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fake_okta::{
    BucketLimits, Endpoint, FakeOkta, FakeOktaConfig, FaultKind, FaultSpec, RateLimitConfig,
    TenantSize, TenantSpec,
};
use serde_json::Value;
use tokio::task::JoinSet;

use crate::helpers::{error_code, get, get_as, header, header_u64, start, start_with};

/// The clock's time in whole seconds, as `X-Rate-Limit-Reset` and `Date` count it.
fn epoch_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs()
}

fn config(limits: RateLimitConfig) -> FakeOktaConfig {
    FakeOktaConfig {
        tenant: TenantSpec { size: TenantSize::Demo, seed: 7 },
        limits,
        ..FakeOktaConfig::default()
    }
}

#[tokio::test]
async fn each_endpoint_reports_its_buckets_workforce_limit() {
    let fake = start(TenantSize::Demo, 7).await;
    let info = fake.info();
    let group = fake.control().truth().groups[0].id.clone();
    let cases = [
        (format!("/api/v1/apps/{}", info.app_id), 500),
        (format!("/api/v1/apps/{}/groups", info.app_id), 100),
        (format!("/api/v1/groups/{group}"), 1000),
        (format!("/api/v1/groups/{group}/users"), 1200),
        ("/api/v1/users".to_owned(), 600),
        ("/api/v1/users/admin@example.com/groups".to_owned(), 1200),
        ("/api/v1/groups".to_owned(), 500),
    ];
    for (path, limit) in cases {
        let response = get(&fake, &path).await;
        assert_eq!(header_u64(&response, "x-rate-limit-limit"), limit, "{path}");
    }
}

#[tokio::test]
async fn remaining_counts_down_and_reset_is_the_end_of_the_window() {
    let fake = start(TenantSize::Demo, 7).await;
    let path = format!("/api/v1/apps/{}/groups", fake.info().app_id);
    let before = epoch_secs();
    let first = get(&fake, &path).await;
    let second = get(&fake, &path).await;
    let after = epoch_secs();
    assert_eq!(header_u64(&first, "x-rate-limit-remaining"), 99);
    assert_eq!(header_u64(&second, "x-rate-limit-remaining"), 98);
    let reset = header_u64(&first, "x-rate-limit-reset");
    assert_eq!(reset, header_u64(&second, "x-rate-limit-reset"), "one window");
    // The window began with the first request, between `before` and `after` however long that
    // took, and lasts 60 s; its end is rounded up to a whole second.
    assert!((before + 60..=after + 61).contains(&reset), "reset {reset}, {before}–{after}");
}

#[tokio::test]
async fn a_token_gets_429_at_exactly_its_share_while_the_org_has_quota_left() {
    let buckets = BucketLimits { apps: 10, ..BucketLimits::default() };
    let fake = start_with(config(RateLimitConfig { buckets, ..RateLimitConfig::default() })).await;
    let path = format!("/api/v1/apps/{}/groups", fake.info().app_id);
    for i in 0..5 {
        assert_eq!(get(&fake, &path).await.status(), 200, "request {i}");
    }
    let refused = get(&fake, &path).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(header_u64(&refused, "x-rate-limit-limit"), 10);
    assert_eq!(header_u64(&refused, "x-rate-limit-remaining"), 4);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000047");
    assert_eq!(body["errorSummary"], "API call exceeded rate limit due to too many requests.");
    // Another token still has its own share.
    let other = format!("SSWS {}", fake.info().restricted_token);
    let response = get_as(&format!("{}{path}", fake.base_url()), Some(&other)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(fake.control().counters().rate_limited, 1);
}

#[tokio::test]
async fn requests_answered_429_still_count_toward_the_bucket() {
    let buckets = BucketLimits { apps: 4, ..BucketLimits::default() };
    let limits =
        RateLimitConfig { buckets, token_share_percent: 100, ..RateLimitConfig::default() };
    let fake = start_with(config(limits)).await;
    let path = format!("/api/v1/apps/{}/groups", fake.info().app_id);
    for _ in 0..4 {
        assert_eq!(get(&fake, &path).await.status(), 200);
    }
    for _ in 0..3 {
        let response = get(&fake, &path).await;
        assert_eq!(response.status(), 429);
        assert_eq!(header_u64(&response, "x-rate-limit-remaining"), 0);
    }
    // The org limit holds for every token.
    let other = format!("SSWS {}", fake.info().restricted_token);
    let response = get_as(&format!("{}{path}", fake.base_url()), Some(&other)).await;
    assert_eq!(response.status(), 429);
    assert_eq!(fake.control().counters().rate_limited, 4);
}

#[tokio::test]
async fn a_new_window_starts_after_the_configured_length() {
    // Long enough that two requests in a row share the window however slow the machine is (they
    // take milliseconds), short enough to wait out.
    const WINDOW: Duration = Duration::from_secs(3);
    let buckets = BucketLimits { apps: 2, ..BucketLimits::default() };
    let limits = RateLimitConfig { buckets, window: WINDOW, ..RateLimitConfig::default() };
    let fake = start_with(config(limits)).await;
    let path = format!("/api/v1/apps/{}/groups", fake.info().app_id);
    let before = epoch_secs();
    let first = get(&fake, &path).await;
    assert_eq!(first.status(), 200);
    assert_eq!(get(&fake, &path).await.status(), 429);
    let after = epoch_secs();
    let reset = header_u64(&first, "x-rate-limit-reset");
    let server_now = httpdate_secs(&header(&first, "date"));
    assert!((before..=after).contains(&server_now), "date {server_now}, {before}–{after}");
    // The window began with the first request and lasts 3 s; its end is rounded up.
    assert!((before + 3..=after + 4).contains(&reset), "reset {reset}, {before}–{after}");
    // Sleeping past the window can only overshoot: the next request is in a new one.
    tokio::time::sleep(WINDOW + Duration::from_millis(100)).await;
    let later = get(&fake, &path).await;
    assert_eq!(later.status(), 200);
    assert_eq!(header_u64(&later, "x-rate-limit-remaining"), 1);
    assert!(header_u64(&later, "x-rate-limit-reset") > reset);
}

/// Seconds of an RFC 7231 date (`Sun, 06 Nov 1994 08:49:37 GMT`), for comparing with `Reset`.
fn httpdate_secs(date: &str) -> u64 {
    let parts: Vec<&str> = date.split([' ', ':']).collect();
    let day: i64 = parts[1].parse().expect("an RFC 7231 date");
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        .iter()
        .position(|m| *m == parts[2])
        .expect("an RFC 7231 date") as i64
        + 1;
    let year: i64 = parts[3].parse().expect("an RFC 7231 date");
    let (h, m, s): (i64, i64, i64) = (
        parts[4].parse().expect("an RFC 7231 date"),
        parts[5].parse().expect("an RFC 7231 date"),
        parts[6].parse().expect("an RFC 7231 date"),
    );
    // Days from civil (Howard Hinnant).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (days * 86_400 + h * 3600 + m * 60 + s) as u64
}

#[tokio::test]
async fn requests_over_the_concurrency_limit_get_429_with_limit_and_remaining_zero() {
    // Two requests hold both slots by hanging, for far longer than the next three take to be
    // refused (milliseconds): the three go once the slots are taken, a state, not a time.
    const HOLD: Duration = Duration::from_secs(10);
    let limits = RateLimitConfig { concurrency_limit: 2, ..RateLimitConfig::default() };
    let fake = start_with(config(limits)).await;
    let hang = FaultKind::Hang { ms: Some(HOLD.as_millis() as u64) };
    fake.control().add_fault(FaultSpec::new(hang).on(Endpoint::GetApp).times(2));
    let path = format!("/api/v1/apps/{}", fake.info().app_id);
    let holders = send_at_once(&fake, &path, 2);
    let started = Instant::now();
    while fake.control().faults()[0].fired < 2 {
        assert!(started.elapsed() < HOLD, "the first two requests never took the slots");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let refused = send_at_once(&fake, &path, 3).join_all().await;

    for r in &refused {
        assert_eq!(r.status(), 429);
        assert_eq!(header_u64(r, "x-rate-limit-limit"), 0);
        assert_eq!(header_u64(r, "x-rate-limit-remaining"), 0);
    }
    for held in holders.join_all().await {
        assert_eq!(held.status(), 200, "a request that held a slot is answered");
    }
    let counters = fake.control().counters();
    assert_eq!(counters.concurrency_rejected, 3);
    assert_eq!(counters.rate_limited, 3);
    let after = get(&fake, &path).await;
    assert_eq!(after.status(), 200, "slots are released");
    assert_eq!(error_code(get(&fake, "/api/v1/users?limit=0").await).await, "E0000001");
}

/// Sends `n` requests at once, each from a task of its own; the set yields their answers.
fn send_at_once(fake: &FakeOkta, path: &str, n: usize) -> JoinSet<reqwest::Response> {
    let mut set = JoinSet::new();
    for _ in 0..n {
        let url = format!("{}{path}", fake.base_url());
        let auth = format!("SSWS {}", fake.info().token);
        set.spawn(async move { get_as(&url, Some(&auth)).await });
    }
    set
}
