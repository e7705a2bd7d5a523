//! The Okta client as an OAuth 2.0 service app against the fake Okta: complete listings with
//! `DPoP`-bound and `Bearer` access tokens, a token renewed when it expires between pages, and
//! each misconfiguration of the app failing with the kind "Test connection" names.
//!
//! Nothing waits for time: the fake expires its tokens on request.

mod common;

use std::collections::BTreeSet;

use common::{Client, read_everything, truth};
use fake_okta::{FakeOkta, FakeOktaConfig, TenantSize, TenantSpec};
use groupsync_core::okta::oauth::{OAuthErrorKind, ServiceAppKey};
use groupsync_core::okta::{
    ClientConfig, OktaClient, OktaCredential, OktaErrorKind, OktaUser, ServiceAppCredential,
    ServiceAppProblem, TenantOrigin,
};
use okta_tests::{ReqwestTransport, TokioClock, unique_id};

/// The key the client signs with, made with `openssl genpkey` for these tests only.
const KEY_PEM: &str = include_str!("testdata/service-app-key.pem");
/// Another such key, registered on an app in place of the client's.
const OTHER_KEY_PEM: &str = include_str!("testdata/other-key.pem");

const CLIENT_ID: &str = "0oaserviceapptest001";
const ALL_SCOPES: [&str; 3] = ["okta.apps.read", "okta.groups.read", "okta.users.read"];

fn key(pem: &str) -> ServiceAppKey {
    ServiceAppKey::from_pkcs8_text(pem).expect("the test key loads")
}

async fn fake() -> FakeOkta {
    let config = FakeOktaConfig {
        tenant: TenantSpec { size: TenantSize::S, seed: 7 },
        ..FakeOktaConfig::default()
    };
    FakeOkta::start(config, "127.0.0.1:0".parse().expect("an address"))
        .await
        .expect("the fake starts")
}

/// How a test registers its service app on the fake.
struct App<'a> {
    key_pem: &'a str,
    scopes: &'a [&'a str],
    dpop_required: bool,
    admin_role: bool,
}

impl Default for App<'_> {
    fn default() -> Self {
        Self { key_pem: KEY_PEM, scopes: &ALL_SCOPES, dpop_required: true, admin_role: true }
    }
}

/// Registers `app` as [`CLIENT_ID`] through the fake's control API over HTTP (its JSON body
/// needs no JSON library: the JWKS comes serialized from the key).
async fn register(fake: &FakeOkta, app: &App<'_>) {
    let scopes: Vec<String> = app.scopes.iter().map(|s| format!("\"{s}\"")).collect();
    let body = format!(
        r#"{{"client_id":"{CLIENT_ID}","jwks":{},"scopes":[{}],"dpop_required":{},"admin_role":{}}}"#,
        key(app.key_pem).public_jwk().to_jwks_json(),
        scopes.join(","),
        app.dpop_required,
        app.admin_role,
    );
    let response = reqwest::Client::new()
        .post(format!("{}/__control/oauth/apps", fake.base_url()))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the control API answers");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "registration failed: {status} {text}");
}

/// A client of the fake authenticating as the service app [`CLIENT_ID`] with [`KEY_PEM`], its
/// `DPoP` proofs signed with another key ([`OTHER_KEY_PEM`], which the app does not know: a
/// `DPoP` key is never registered).
fn client(fake: &FakeOkta) -> Client {
    let origin = TenantOrigin::parse(fake.base_url()).expect("the fake's origin");
    let credential =
        ServiceAppCredential::new(CLIENT_ID, key(KEY_PEM), key(OTHER_KEY_PEM), unique_id);
    OktaClient::with_credential(
        origin,
        OktaCredential::ServiceApp(credential),
        ReqwestTransport::new(),
        TokioClock,
        ClientConfig::default(),
    )
}

/// The kind of the error `client.get_app` fails with.
async fn get_app_error(fake: &FakeOkta) -> OktaErrorKind {
    let client = client(fake);
    client.get_app(&fake.info().app_id).await.expect_err("the call fails").kind
}

#[tokio::test]
async fn a_service_app_with_dpop_reads_everything_after_one_nonce_challenge() {
    let fake = fake().await;
    register(&fake, &App::default()).await;
    let client = client(&fake);

    let read = read_everything(&client, &fake.info().app_id).await.unwrap();
    assert_eq!(read, truth(&fake));
    let counters = fake.control().counters();
    assert_eq!(counters.oauth_tokens_issued, 1, "one token serves the whole listing");
    // The first token request is challenged for the nonce; nothing else is refused.
    assert_eq!(counters.oauth_refused("use_dpop_nonce"), 1, "{:?}", counters.oauth_refusals);
    assert_eq!(counters.oauth_refusals.values().sum::<u64>(), 1, "{:?}", counters.oauth_refusals);

    let debug = format!("{client:?}");
    assert!(debug.contains("AccessToken([redacted])"), "{debug}");
    assert!(!debug.contains("eyJ"), "no token, assertion or proof in {debug}");
}

#[tokio::test]
async fn a_service_app_without_dpop_reads_everything_with_a_bearer_token() {
    let fake = fake().await;
    register(&fake, &App { dpop_required: false, ..App::default() }).await;
    let client = client(&fake);

    let read = read_everything(&client, &fake.info().app_id).await.unwrap();
    assert_eq!(read, truth(&fake));
    let counters = fake.control().counters();
    assert_eq!(counters.oauth_tokens_issued, 1);
    assert!(counters.oauth_refusals.is_empty(), "{:?}", counters.oauth_refusals);
    assert!(format!("{client:?}").contains("token_type: Bearer"));
}

#[tokio::test]
async fn an_access_token_expired_between_pages_is_renewed_and_the_listing_completes() {
    for dpop_required in [true, false] {
        let fake = fake().await;
        register(&fake, &App { dpop_required, ..App::default() }).await;
        let client = client(&fake);
        let (group, expected) = truth(&fake)
            .into_iter()
            .max_by_key(|(_, members)| members.len())
            .expect("the tenant has groups");
        assert!(expected.len() > 200, "the biggest group has several pages");

        let first = client.group_members_first_page(&group).unwrap();
        let mut page = client.fetch_page::<OktaUser>(&first, "group").await.unwrap();
        let mut members: BTreeSet<String> = page.items.iter().map(|u| u.id.clone()).collect();
        assert_eq!(fake.control().expire_access_tokens(), 1);
        while let Some(next) = page.next {
            page = client.fetch_page::<OktaUser>(&next, "group").await.unwrap();
            members.extend(page.items.iter().map(|u| u.id.clone()));
        }

        assert_eq!(members, expected, "dpop_required: {dpop_required}");
        let counters = fake.control().counters();
        assert_eq!(counters.oauth_tokens_issued, 2, "dpop_required: {dpop_required}");
        assert_eq!(counters.oauth_refused("expired_token"), 1, "{:?}", counters.oauth_refusals);
        assert_eq!(client.stats().retries, 1, "the refused page is sent once more");
    }
}

#[tokio::test]
async fn an_app_registered_with_another_key_is_an_invalid_client() {
    let fake = fake().await;
    register(&fake, &App { key_pem: OTHER_KEY_PEM, ..App::default() }).await;

    let kind = get_app_error(&fake).await;
    assert!(
        matches!(&kind, OktaErrorKind::TokenRefused(e) if e.kind == OAuthErrorKind::InvalidClient),
        "{kind:?}"
    );
    assert_eq!(kind.service_app_problem(), Some(ServiceAppProblem::InvalidClient));
    assert_eq!(fake.control().counters().oauth_tokens_issued, 0);
}

#[tokio::test]
async fn an_unknown_client_id_is_an_invalid_client() {
    let fake = fake().await;

    let kind = get_app_error(&fake).await;
    assert_eq!(kind.service_app_problem(), Some(ServiceAppProblem::InvalidClient), "{kind:?}");
}

#[tokio::test]
async fn a_scope_not_granted_is_a_missing_scope() {
    let fake = fake().await;
    register(&fake, &App { scopes: &ALL_SCOPES[..2], ..App::default() }).await;

    let kind = get_app_error(&fake).await;
    assert!(
        matches!(&kind, OktaErrorKind::TokenRefused(e) if e.kind == OAuthErrorKind::InvalidScope),
        "{kind:?}"
    );
    assert_eq!(kind.service_app_problem(), Some(ServiceAppProblem::MissingScope));
    assert!(kind.to_string().contains("okta.users.read"), "{kind}");
}

#[tokio::test]
async fn an_app_without_an_admin_role_is_named() {
    let fake = fake().await;
    register(&fake, &App { admin_role: false, ..App::default() }).await;

    let kind = get_app_error(&fake).await;
    assert_eq!(kind, OktaErrorKind::NoAdminRole);
    assert_eq!(kind.service_app_problem(), Some(ServiceAppProblem::NoAdminRole));
}
