//! The Okta client against the fake Okta: a complete listing, or a typed error and no partial
//! result, for every fault the fake can inject; and the rate governor keeping within the limits.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{Client, read_everything, truth};
use fake_okta::{
    Endpoint, FakeOkta, FakeOktaConfig, FaultKind, FaultSpec, RateLimitConfig, TenantSize,
    TenantSpec,
};
use groupsync_core::okta::{ClientConfig, OktaClient, OktaErrorKind, OktaToken, TenantOrigin};
use okta_tests::{ReqwestTransport, TokioClock};

async fn fake(size: TenantSize) -> FakeOkta {
    fake_with(FakeOktaConfig { tenant: TenantSpec { size, seed: 7 }, ..FakeOktaConfig::default() })
        .await
}

async fn fake_with(config: FakeOktaConfig) -> FakeOkta {
    FakeOkta::start(config, "127.0.0.1:0".parse().expect("an address"))
        .await
        .expect("the fake starts")
}

fn client(fake: &FakeOkta) -> Client {
    client_with(fake, &fake.info().token, ClientConfig::default())
}

fn client_with(fake: &FakeOkta, token: &str, config: ClientConfig) -> Client {
    let origin = TenantOrigin::parse(fake.base_url()).expect("the fake's origin");
    OktaClient::new(origin, OktaToken::new(token), ReqwestTransport::new(), TokioClock, config)
}

/// How long [`quick_to_time_out`] waits for an answer: short, so that a hang is given up fast.
const HANG_TIMEOUT: Duration = Duration::from_millis(500);

/// A client that backs off briefly between retries, for faults that never clear. It keeps the
/// default timeout: a short one can expire on a sound request of a loaded machine (the fake
/// answers on the test's own thread), and add a retry that a test counting them does not expect.
fn impatient() -> ClientConfig {
    ClientConfig { initial_backoff: Duration::from_millis(20), ..ClientConfig::default() }
}

/// [`impatient`], and quick to give up a request that hangs.
fn quick_to_time_out() -> ClientConfig {
    ClientConfig { request_timeout: HANG_TIMEOUT, ..impatient() }
}

#[tokio::test]
async fn a_complete_read_of_tenant_s_matches_the_fakes_truth_exactly() {
    let fake = fake(TenantSize::S).await;
    let client = client(&fake);

    let read = read_everything(&client, &fake.info().app_id).await.unwrap();

    assert_eq!(read, truth(&fake));
    let memberships: usize = read.values().map(BTreeSet::len).sum();
    assert_eq!((read.len(), memberships), (50, 2_000));
    let counters = fake.control().counters();
    assert_eq!(
        counters.total,
        fake.info().minimum_requests(200) - 1,
        "no request beyond the minimum (no get_app here)"
    );
    assert_eq!(counters.rate_limited, 0);
}

#[tokio::test]
async fn the_app_check_reads_sign_on_mode_and_status() {
    let fake = fake(TenantSize::Demo).await;
    let client = client(&fake);
    let info = fake.info();

    let app = client.get_app(&info.app_id).await.unwrap();
    assert!(app.is_saml2() && app.is_active());
    assert!(!client.get_app(&info.oidc_app_id).await.unwrap().is_saml2());
    assert!(!client.get_app(&info.inactive_app_id).await.unwrap().is_active());
    let missing = client.get_app("0oa00000000000000000").await.unwrap_err();
    assert_eq!(missing.kind, OktaErrorKind::NotFound("app"));
    assert!(missing.request_id.is_some(), "Okta's request id is kept");
}

#[tokio::test]
async fn a_wrong_token_and_a_token_without_permission_are_told_apart() {
    let fake = fake(TenantSize::Demo).await;
    let app_id = fake.info().app_id.clone();

    let wrong = client_with(&fake, "not-a-token", ClientConfig::default());
    assert_eq!(wrong.get_app(&app_id).await.unwrap_err().kind, OktaErrorKind::InvalidToken);

    let restricted = client_with(&fake, &fake.info().restricted_token, ClientConfig::default());
    assert!(restricted.get_app(&app_id).await.is_ok(), "it may read the app");
    let assignments = restricted.list_app_groups(&app_id).await.unwrap();
    let error = restricted.list_group_members(&assignments[0].id).await.unwrap_err();
    assert_eq!(error.kind, OktaErrorKind::PermissionDenied, "but not the groups' members");
}

#[tokio::test]
async fn a_token_revoked_mid_read_fails_the_read() {
    let fake = fake(TenantSize::S).await;
    let client = client(&fake);
    let info = fake.info().clone();
    let assignments = client.list_app_groups(&info.app_id).await.unwrap();

    fake.control().revoke_token(&info.token).unwrap();
    let ids: Vec<String> = assignments.iter().map(|a| a.id.clone()).collect();
    let error = client.list_members_of_groups(&ids).await.unwrap_err();

    assert_eq!(error.kind, OktaErrorKind::InvalidToken);
}

#[tokio::test]
async fn a_5xx_burst_is_retried_and_the_listing_completes() {
    let fake = fake(TenantSize::S).await;
    fake.control().add_fault(
        FaultSpec::new(FaultKind::Error { status: 503 })
            .on(Endpoint::ListGroupUsers)
            .skip(5)
            .times(2),
    );
    let client = client_with(&fake, &fake.info().token, impatient());

    let read = read_everything(&client, &fake.info().app_id).await.unwrap();

    assert_eq!(read, truth(&fake));
    assert_eq!(client.stats().retries, 2);
}

#[tokio::test]
async fn a_5xx_that_persists_is_a_typed_error() {
    let fake = fake(TenantSize::S).await;
    fake.control().add_fault(
        FaultSpec::new(FaultKind::Error { status: 500 }).on(Endpoint::ListAppGroups).times(100),
    );
    let client = client_with(&fake, &fake.info().token, impatient());

    let error = read_everything(&client, &fake.info().app_id).await.unwrap_err();

    assert_eq!(error, OktaErrorKind::Upstream { status: 500, error_code: Some("E0000009".into()) });
}

#[tokio::test]
async fn a_hanging_request_times_out_and_the_retry_completes_the_listing() {
    let fake = fake(TenantSize::S).await;
    fake.control().add_fault(
        FaultSpec::new(FaultKind::Hang { ms: None }).on(Endpoint::ListGroupUsers).skip(3).times(1),
    );
    let client = client_with(&fake, &fake.info().token, quick_to_time_out());

    let read = read_everything(&client, &fake.info().app_id).await.unwrap();

    assert_eq!(read, truth(&fake));
    assert_eq!(fake.control().faults()[0].fired, 1, "one request hung");
    // The hung request was retried. A sound one that a loaded machine slowed past the short
    // timeout is retried too, so the count is at least one, not exactly one.
    assert!(client.stats().retries >= 1, "{:?}", client.stats());
}

#[tokio::test]
async fn requests_that_always_hang_end_in_a_timeout_error() {
    let fake = fake(TenantSize::Demo).await;
    fake.control()
        .add_fault(FaultSpec::new(FaultKind::Hang { ms: None }).on(Endpoint::GetApp).times(100));
    let client = client_with(&fake, &fake.info().token, quick_to_time_out());

    let error = client.get_app(&fake.info().app_id).await.unwrap_err();

    assert_eq!(error.kind, OktaErrorKind::Timeout(HANG_TIMEOUT));
}

#[tokio::test]
async fn malformed_and_truncated_pages_give_an_error_never_a_short_list() {
    for (kind, expected) in
        [(FaultKind::MalformedJson, "malformed"), (FaultKind::TruncatedBody, "unreachable")]
    {
        let fake = fake(TenantSize::S).await;
        // From the eighth member listing on, every answer is broken, and stays broken.
        fake.control().add_fault(
            FaultSpec::new(kind.clone()).on(Endpoint::ListGroupUsers).skip(7).times(100),
        );
        let client = client_with(&fake, &fake.info().token, impatient());

        let error = read_everything(&client, &fake.info().app_id).await.unwrap_err();

        let matches = match expected {
            "malformed" => matches!(error, OktaErrorKind::Malformed(_)),
            _ => matches!(error, OktaErrorKind::Unreachable(_) | OktaErrorKind::Malformed(_)),
        };
        assert!(matches, "{kind:?}: {error:?}");
    }
}

#[tokio::test]
async fn next_links_off_the_tenant_are_never_followed() {
    for kind in [
        FaultKind::NextLinkForeignHost,
        FaultKind::NextLinkOtherScheme,
        FaultKind::NextLinkOtherPort,
    ] {
        let fake = fake(TenantSize::S).await;
        fake.control().add_fault(FaultSpec::new(kind.clone()).on(Endpoint::ListAppGroups).times(1));
        let client = client(&fake);

        let error = client.list_app_groups(&fake.info().app_id).await.unwrap_err();

        assert!(matches!(error.kind, OktaErrorKind::ForeignNextLink(_)), "{kind:?}: {error}");
        assert_eq!(
            fake.control().counters().total,
            1,
            "{kind:?}: nothing was sent after the bad link"
        );
    }
}

#[tokio::test]
async fn a_redirect_is_refused_and_a_pagination_loop_detected() {
    let fake = fake(TenantSize::S).await;
    let client = client(&fake);
    let app_id = fake.info().app_id.clone();

    fake.control().add_fault(
        FaultSpec::new(FaultKind::Redirect { location: None }).on(Endpoint::GetApp).times(1),
    );
    assert_eq!(client.get_app(&app_id).await.unwrap_err().kind, OktaErrorKind::Redirect(302));

    fake.control().add_fault(
        FaultSpec::new(FaultKind::PaginationLoop).on(Endpoint::ListAppGroups).times(100),
    );
    assert_eq!(
        client.list_app_groups(&app_id).await.unwrap_err().kind,
        OktaErrorKind::PaginationLoop
    );
}

#[tokio::test]
async fn a_429_is_waited_out_until_reset_by_the_answers_date_then_retried() {
    // A 3-second window, so that the wait is measurable but short.
    let limits = RateLimitConfig { window: Duration::from_secs(3), ..RateLimitConfig::default() };
    let fake = fake_with(FakeOktaConfig { limits, ..FakeOktaConfig::default() }).await;
    fake.control()
        .add_fault(FaultSpec::new(FaultKind::Error { status: 429 }).on(Endpoint::GetApp).times(1));
    let client = client(&fake);

    let started = Instant::now();
    let app = client.get_app(&fake.info().app_id).await.unwrap();
    let elapsed = started.elapsed();

    assert!(app.is_saml2());
    let stats = client.stats();
    assert_eq!((stats.rate_limited, stats.requests), (1, 2));
    // The window began with this request, after `started`, so it resets 3 s after `started` at
    // the earliest, and the retry must not come sooner. (A bound that slowness cannot break.)
    assert!(elapsed >= Duration::from_secs(3), "retried after {elapsed:?}");
    // The client planned its wait from Reset − Date (whole seconds, at most 4 s), plus a second
    // and up to 250 ms of jitter, and slept all of it. Time a loaded machine lost before the
    // answer only shortens the plan, so the plan has no lower bound here: the one above counts.
    let waited = Duration::from_millis(stats.rate_limit_wait_ms);
    assert!(waited <= Duration::from_millis(5_250), "{waited:?}");
    assert!(elapsed >= waited, "slept {waited:?} in {elapsed:?}");
}

#[tokio::test]
async fn the_governor_stays_within_the_share_and_never_draws_a_429() {
    // Small limits and 2-second windows: the members of tenant S need many windows.
    let mut limits =
        RateLimitConfig { window: Duration::from_secs(2), ..RateLimitConfig::default() };
    limits.buckets.other = 40;
    limits.buckets.apps = 10;
    let fake = fake_with(FakeOktaConfig {
        tenant: TenantSpec { size: TenantSize::S, seed: 7 },
        limits,
        latency: Duration::from_millis(5),
    })
    .await;
    let client = client(&fake);

    let read = read_everything(&client, &fake.info().app_id).await.unwrap();

    assert_eq!(read, truth(&fake));
    let counters = fake.control().counters();
    assert_eq!(counters.rate_limited, 0, "the budget kept every request under the token's share");
    assert!(client.stats().rate_limit_waits > 0, "it had to wait for windows to reset");
}

#[tokio::test]
async fn at_most_six_requests_are_in_flight() {
    let limits = RateLimitConfig { concurrency_limit: 6, ..RateLimitConfig::default() };
    let fake = fake_with(FakeOktaConfig {
        tenant: TenantSpec { size: TenantSize::S, seed: 7 },
        limits,
        latency: Duration::from_millis(40),
    })
    .await;
    let client = client(&fake);

    read_everything(&client, &fake.info().app_id).await.unwrap();

    assert_eq!(fake.control().counters().concurrency_rejected, 0);
}
