//! "Test connection" against the fake Okta: the good case and each named failure.

use std::time::Duration;

use edge::service::connection_test;
use fake_okta::{Endpoint, FakeOkta, FakeOktaConfig, FaultKind, FaultSpec};
use groupsync_core::api::ConnectionFailure;
use groupsync_core::domain::AppId;
use groupsync_core::okta::{ClientConfig, OktaClient, OktaToken, TenantOrigin};
use okta_tests::{ReqwestTransport, TokioClock};

async fn fake() -> FakeOkta {
    FakeOkta::start(FakeOktaConfig::default(), "127.0.0.1:0".parse().expect("an address"))
        .await
        .expect("the fake starts")
}

async fn test(
    base_url: &str,
    token: &str,
    app_id: &str,
) -> groupsync_core::api::TestOktaConnectionResponse {
    let config = ClientConfig {
        max_rate_limit_retries: 0,
        max_transient_retries: 0,
        request_timeout: Duration::from_secs(2),
        ..ClientConfig::default()
    };
    let origin = TenantOrigin::parse(base_url).expect("an origin");
    let client =
        OktaClient::new(origin, OktaToken::new(token), ReqwestTransport::new(), TokioClock, config);
    connection_test::run(&client, &AppId::parse(app_id).expect("an App ID")).await
}

#[tokio::test]
async fn a_good_token_app_and_tenant_pass() {
    let fake = fake().await;
    let info = fake.info();

    let result = test(fake.base_url(), &info.token, &info.app_id).await;

    assert!(result.ok, "{result:?}");
    assert_eq!(
        result.message,
        "Connected. The token can read the app, its 12 groups and their members."
    );
    assert!(result.app_label.is_some());
}

#[tokio::test]
async fn each_failure_is_named() {
    let fake = fake().await;
    let info = fake.info().clone();
    let cases = [
        (
            "not-the-token",
            info.app_id.as_str(),
            ConnectionFailure::InvalidToken,
            "Okta rejected the API token",
        ),
        (
            info.restricted_token.as_str(),
            info.app_id.as_str(),
            ConnectionFailure::MissingPermission,
            "may not read the members",
        ),
        (
            info.token.as_str(),
            "0oa00000000000000000",
            ConnectionFailure::AppNotFound,
            "no app with this App ID",
        ),
        (
            info.token.as_str(),
            info.oidc_app_id.as_str(),
            ConnectionFailure::NotSaml,
            "not SAML 2.0",
        ),
        (
            info.token.as_str(),
            info.inactive_app_id.as_str(),
            ConnectionFailure::AppInactive,
            "not active",
        ),
    ];
    for (token, app_id, failure, words) in cases {
        let result = test(fake.base_url(), token, app_id).await;
        assert!(!result.ok);
        assert_eq!(result.failure, Some(failure), "{result:?}");
        assert!(result.message.contains(words), "{}", result.message);
        assert!(!result.message.contains(&info.token), "the token never appears");
    }
}

#[tokio::test]
async fn rate_limits_and_outages_are_named() {
    let fake = fake().await;
    let info = fake.info().clone();
    fake.control()
        .add_fault(FaultSpec::new(FaultKind::Error { status: 429 }).on(Endpoint::GetApp).times(1));
    let limited = test(fake.base_url(), &info.token, &info.app_id).await;
    assert_eq!(limited.failure, Some(ConnectionFailure::RateLimited), "{limited:?}");

    let closed = test("http://127.0.0.1:9", &info.token, &info.app_id).await;
    assert_eq!(closed.failure, Some(ConnectionFailure::Unreachable), "{closed:?}");
}
