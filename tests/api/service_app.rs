//! The OAuth 2.0 service app credential (issue #16), black-box against the Worker and a fake Okta
//! of its own (the demo tenant): a key pair made by the Worker and registered on a service app,
//! full syncs with `DPoP`-bound and with `Bearer` access tokens, each misconfiguration named by
//! Test connection (and never saved), an access token that expires between two calls of a run,
//! a replayed client assertion, a sync the app may no longer make (its admin role removed) that
//! fails naming what to fix, and neither the private key nor an access token in any answer (nor
//! an access token in any file of the stack).
//!
//! Nothing waits for time: the fake expires its tokens after a number of calls, and refuses
//! `DPoP` proofs by reading its clock ahead. The tests share one stack and one fake, whose
//! settings and counters they change, so they take turns (`TURN`).

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fake_okta::{Control, FakeOktaConfig, ServiceApp, TOKEN_PATH, TenantInfo};
use groupsync_core::api::{
    ConnectionFailure, CredentialKind, OktaSettingsResponse, ServiceAppKey, SyncFailure, SyncRun,
    SyncState, TestOktaConnectionResponse,
};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use test_support::{LocalStack, workspace_root};
use tokio::sync::Mutex;

use crate::helpers::{Caller, TestApp, expect_problem, start_stack};
use crate::sync::{run_sync, stored, truth};
use crate::world::{World, fake_okta_of_its_own};

/// One test at a time on the shared stack and fake.
static TURN: Mutex<()> = Mutex::const_new(());

const SETTINGS: &str = "/api/v1/settings/okta";
const TEST: &str = "/api/v1/settings/okta/test";
const NEW_KEY: &str = "/api/v1/settings/okta/service-app/key";
const ALL_SCOPES: [&str; 3] = ["okta.apps.read", "okta.groups.read", "okta.users.read"];
/// The stack's name, and its directory under `target/test-stacks/`.
const STACK_NAME: &str = "api-service-app";
/// The private members of an RSA JWK (RFC 7518 §6.3.2), none of which may ever be shown.
const PRIVATE_JWK_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

/// The stack these tests configure with a service app.
fn app() -> TestApp {
    static STACK: OnceLock<LocalStack> = OnceLock::new();
    TestApp::connect(STACK.get_or_init(|| start_stack(STACK_NAME, true, World::get().stack_vars())))
}

/// The fake Okta of these tests (the demo tenant), started on first use on a runtime of its own
/// that lives as long as the test binary.
fn okta() -> &'static (TenantInfo, Control) {
    static OKTA: OnceLock<(TenantInfo, Control)> = OnceLock::new();
    OKTA.get_or_init(|| fake_okta_of_its_own(FakeOktaConfig::default()))
}

/// How a test registers its service app on the fake.
struct AppSpec {
    scopes: &'static [&'static str],
    dpop_required: bool,
    admin_role: bool,
}

impl Default for AppSpec {
    fn default() -> Self {
        Self { scopes: &ALL_SCOPES, dpop_required: true, admin_role: true }
    }
}

/// Every answer body a test has seen, to look for secrets in.
#[derive(Default)]
struct Seen(Vec<String>);

impl Seen {
    /// The status and body of `response`, kept.
    async fn take(&mut self, response: Response) -> (StatusCode, String) {
        let status = response.status();
        let text = response.text().await.expect("a body");
        self.0.push(text.clone());
        (status, text)
    }

    /// `GET path` as `caller`, which must succeed, read as `T`.
    async fn read<T: serde::de::DeserializeOwned>(&mut self, caller: &Caller<'_>, path: &str) -> T {
        let (status, text) = self.take(caller.get(path).await).await;
        assert!(status.is_success(), "GET {path}: {status}: {text}");
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("GET {path}: not its wire type ({e}): {text}"))
    }

    /// Asserts that no answer seen shows a private key member, a PEM private key, a client
    /// assertion that got a token, or an access token the fake issued.
    fn assert_no_secrets(&self, control: &Control) {
        let tokens = control.issued_access_tokens();
        assert!(!tokens.is_empty(), "the fake issued tokens to look for");
        let assertion = control.last_accepted_assertion();
        for text in &self.0 {
            for token in &tokens {
                assert!(!text.contains(token.as_str()), "an answer shows an access token: {text}");
            }
            if let Some(assertion) = &assertion {
                assert!(!text.contains(assertion.as_str()), "an answer shows an assertion: {text}");
            }
            assert!(!text.contains("PRIVATE KEY"), "an answer shows a PEM key: {text}");
            for member in PRIVATE_JWK_MEMBERS {
                // As a member of JSON, and of JSON inside a JSON string (`public_jwk`).
                for pattern in [format!("\"{member}\":"), format!("\\\"{member}\\\":")] {
                    assert!(!text.contains(&pattern), "an answer shows {pattern}: {text}");
                }
            }
        }
    }
}

/// The canary sweep of the access tokens: no file of the stack (the Worker's log, D1, KV,
/// Durable Object storage) holds one the fake issued in plaintext.
fn sweep_for_access_tokens(control: &Control) {
    let tokens = control.issued_access_tokens();
    assert!(!tokens.is_empty(), "the fake issued tokens to look for");
    let mut files = vec![workspace_root().join("target").join("test-stacks").join(STACK_NAME)];
    let mut checked = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            let entries = std::fs::read_dir(&path).expect("a readable directory");
            files.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
        } else if let Ok(bytes) = std::fs::read(&path) {
            checked += 1;
            for token in &tokens {
                let found = bytes.windows(token.len()).any(|w| w == token.as_bytes());
                assert!(!found, "{} holds an access token in plaintext", path.display());
            }
        }
    }
    assert!(checked >= 2, "the sweep read the log and the database ({checked} files)");
}

/// The settings body that makes the service app `client_id` the credential for the fake's app.
fn service_app_settings(client_id: &str) -> Value {
    let (tenant, _) = okta();
    json!({ "tenant_url": tenant.base_url, "app_id": tenant.app_id, "credential": "service_app",
            "client_id": client_id, "sync_enabled": true })
}

/// Asks the Worker for a key pair; checks what it shows of it and that it is now pending.
async fn new_key(root: &Caller<'_>, seen: &mut Seen) -> ServiceAppKey {
    let (status, text) = seen.take(root.send(Method::POST, NEW_KEY, &json!({})).await).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let key: ServiceAppKey = serde_json::from_str(&text).expect("a service-app key");
    let jwk: Value = serde_json::from_str(&key.public_jwk).expect("the public JWK is JSON");
    assert_eq!((jwk["kty"].as_str(), jwk["kid"].as_str()), (Some("RSA"), Some(key.kid.as_str())));
    assert!(jwk["n"].is_string() && jwk["e"].is_string(), "{jwk}");
    for member in PRIVATE_JWK_MEMBERS {
        assert!(jwk.get(member).is_none(), "the public JWK has {member}: {jwk}");
    }
    assert_eq!(key.created_by.as_deref(), Some("root@example.com"));
    let settings: OktaSettingsResponse = seen.read(root, SETTINGS).await;
    assert_eq!(settings.service_app.pending_key.as_ref(), Some(&key), "{settings:?}");
    key
}

/// Registers a service app on the fake with the Worker's public key (as an admin pastes it into
/// Okta); returns its client id.
fn register(key: &ServiceAppKey, spec: &AppSpec) -> String {
    let jwk: Value = serde_json::from_str(&key.public_jwk).expect("the public JWK is JSON");
    register_jwk(jwk, spec)
}

fn register_jwk(jwk: Value, spec: &AppSpec) -> String {
    let (_, control) = okta();
    let mut app = ServiceApp::new(json!({ "keys": [jwk] }), spec.scopes);
    app.dpop_required = spec.dpop_required;
    app.admin_role = spec.admin_role;
    control.register_service_app(app).expect("the fake registers the app")
}

/// Makes a key, registers an app with it and saves the service app as the credential, with sync
/// on; checks what the settings then say.
async fn configure(root: &Caller<'_>, spec: &AppSpec, seen: &mut Seen) -> (ServiceAppKey, String) {
    let key = new_key(root, seen).await;
    let client_id = register(&key, spec);
    let put = root.send(Method::PUT, SETTINGS, &service_app_settings(&client_id)).await;
    let (status, text) = seen.take(put).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let saved: OktaSettingsResponse = serde_json::from_str(&text).expect("the settings");
    assert_eq!(saved.credential, CredentialKind::ServiceApp, "{saved:?}");
    let service_app = &saved.service_app;
    assert_eq!(service_app.client_id.as_deref(), Some(client_id.as_str()), "{saved:?}");
    assert_eq!(service_app.key.as_ref().map(|k| k.kid.as_str()), Some(key.kid.as_str()));
    assert_eq!(service_app.pending_key, None, "the tested key is saved, no longer pending");
    assert_eq!(service_app.problem, None, "{saved:?}");
    assert!(saved.sync_enabled);
    (key, client_id)
}

/// Runs a full sync to its end, which must succeed and store exactly the fake's tenant.
async fn full_sync(root: &Caller<'_>, seen: &mut Seen) -> SyncRun {
    let (_, control) = okta();
    let run = run_sync(root, json!({ "full": true })).await;
    seen.0.push(serde_json::to_string(&run).expect("a run"));
    assert_eq!(run.state, SyncState::Succeeded, "{run:?}");
    assert_eq!((run.error.as_deref(), run.error_code), (None, None), "{run:?}");
    assert!(run.okta_requests > 0, "{run:?}");
    assert_eq!(stored(root).await, truth(control), "the store equals the demo tenant");
    run
}

/// `POST /oauth2/v1/token` at the fake with the client credentials form around `assertion` (a
/// compact JWS: base64url and dots, nothing to escape in a form).
async fn token_request(assertion: &str) -> (StatusCode, Value) {
    let (tenant, _) = okta();
    assert!(assertion.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
    let body = format!(
        "grant_type=client_credentials&scope={}&client_assertion_type={}&client_assertion={assertion}",
        ALL_SCOPES.join("%20"),
        "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer",
    );
    let response = reqwest::Client::new()
        .post(format!("{}{TOKEN_PATH}", tenant.base_url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("the token endpoint answers");
    let status = response.status();
    (status, response.json().await.expect("an OAuth JSON body"))
}

/// The claims of a compact JWS, unverified.
fn claims(jws: &str) -> Value {
    let payload = jws.split('.').nth(1).expect("a compact JWS");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url"))
        .expect("JSON claims")
}

/// Refusals the fake counted other than the `DPoP` nonce challenge (which every first token
/// request of a `DPoP` app meets).
fn refusals_besides_the_nonce(control: &Control) -> Vec<(String, u64)> {
    let counters = control.counters();
    counters.oauth_refusals.into_iter().filter(|(reason, _)| reason != "use_dpop_nonce").collect()
}

#[tokio::test]
async fn a_service_app_with_dpop_required_syncs_the_tenant_with_dpop_bound_tokens() {
    let _turn = TURN.lock().await;
    let app = app();
    let root = app.as_person("root@example.com");
    let (_, control) = okta();
    let mut seen = Seen::default();
    control.reset_counters();

    configure(&root, &AppSpec::default(), &mut seen).await;
    let (status, text) = seen.take(root.send(Method::POST, TEST, &json!({})).await).await;
    let tested: TestOktaConnectionResponse = serde_json::from_str(&text).expect("a test result");
    assert!(status.is_success() && tested.ok, "the saved service app tests well: {text}");
    let run = full_sync(&root, &mut seen).await;

    let counters = control.counters();
    assert!(counters.oauth_tokens_issued >= 1, "{counters:?}");
    assert!(counters.oauth_calls_with("DPoP") >= 1, "{:?}", counters.oauth_calls);
    assert_eq!(
        counters.oauth_calls_with("DPoP"),
        counters.total,
        "every call to Okta's API (the save's test, the run's {} calls) went with a DPoP-bound token",
        run.okta_requests
    );
    assert_eq!(counters.oauth_calls_with("Bearer"), 0, "{:?}", counters.oauth_calls);
    assert_eq!(refusals_besides_the_nonce(control), [], "{:?}", counters.oauth_refusals);
    let settings: OktaSettingsResponse = seen.read(&root, SETTINGS).await;
    assert_eq!(settings.credential, CredentialKind::ServiceApp);
    seen.assert_no_secrets(control);
}

#[tokio::test]
async fn a_service_app_without_dpop_syncs_the_tenant_with_bearer_tokens() {
    let _turn = TURN.lock().await;
    let app = app();
    let root = app.as_person("root@example.com");
    let (_, control) = okta();
    let mut seen = Seen::default();
    control.reset_counters();

    configure(&root, &AppSpec { dpop_required: false, ..AppSpec::default() }, &mut seen).await;
    let run = full_sync(&root, &mut seen).await;

    let counters = control.counters();
    assert!(counters.oauth_tokens_issued >= 1, "{counters:?}");
    assert!(counters.oauth_calls_with("Bearer") >= 1, "{:?}", counters.oauth_calls);
    assert_eq!(
        counters.oauth_calls_with("Bearer"),
        counters.total,
        "every call to Okta's API (the save's test, the run's {} calls) went with a Bearer token",
        run.okta_requests
    );
    assert_eq!(counters.oauth_calls_with("DPoP"), 0, "{:?}", counters.oauth_calls);
    // Without DPoP required there is no nonce challenge either: nothing at all is refused.
    assert!(counters.oauth_refusals.is_empty(), "{:?}", counters.oauth_refusals);
    seen.assert_no_secrets(control);
}

/// Puts the fake's `DPoP` clock back on time when dropped, whatever the test did.
struct ClockOnTime<'a>(&'a Control);

impl Drop for ClockOnTime<'_> {
    fn drop(&mut self) {
        self.0.set_dpop_clock_offset(0);
    }
}

#[tokio::test]
async fn test_connection_names_each_service_app_misconfiguration_and_nothing_is_saved() {
    let _turn = TURN.lock().await;
    let app = app();
    let root = app.as_person("root@example.com");
    let (tenant, control) = okta();
    let mut seen = Seen::default();

    // The API token is the credential before; every failed save below must leave it so.
    let api_token = json!({ "tenant_url": tenant.base_url, "app_id": tenant.app_id,
                            "credential": "api_token", "api_token": tenant.token });
    let (status, text) = seen.take(root.send(Method::PUT, SETTINGS, &api_token).await).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let key = new_key(&root, &mut seen).await;
    let before: OktaSettingsResponse = seen.read(&root, SETTINGS).await;
    assert_eq!(before.credential, CredentialKind::ApiToken, "{before:?}");
    assert_eq!(before.service_app.pending_key.as_ref(), Some(&key));

    let other_key = &World::get().keys[3];
    let cases: [(&str, String, ConnectionFailure, &[&str]); 5] = [
        (
            "an unknown client id",
            "0oaunknownclient0001".to_owned(),
            ConnectionFailure::ServiceAppNotAccepted,
            &["unknown_client"],
        ),
        (
            "an app registered with another key under the same kid",
            register_jwk(crate::world::jwk(&key.kid, other_key), &AppSpec::default()),
            ConnectionFailure::ServiceAppNotAccepted,
            &["bad_signature"],
        ),
        (
            "a scope not granted",
            register(&key, &AppSpec { scopes: &ALL_SCOPES[..2], ..AppSpec::default() }),
            ConnectionFailure::ScopeNotGranted,
            &["scope_not_granted", "insufficient_scope"],
        ),
        (
            "no admin role",
            register(&key, &AppSpec { admin_role: false, ..AppSpec::default() }),
            ConnectionFailure::AdminRoleMissing,
            &["no_admin_role"],
        ),
        (
            "a DPoP proof refused (the clocks disagree)",
            register(&key, &AppSpec::default()),
            ConnectionFailure::DpopRefused,
            &["invalid_dpop_proof"],
        ),
    ];
    for (case, client_id, failure, reasons) in cases {
        let _on_time = ClockOnTime(control);
        if failure == ConnectionFailure::DpopRefused {
            // Ten minutes ahead: every fresh proof reads as older than Okta's five minutes.
            control.set_dpop_clock_offset(600);
        }
        control.reset_counters();
        let body = json!({ "credential": "service_app", "client_id": client_id });
        let (status, text) = seen.take(root.send(Method::POST, TEST, &body).await).await;
        assert_eq!(status, StatusCode::OK, "{case}: {text}");
        let result: TestOktaConnectionResponse =
            serde_json::from_str(&text).expect("a test result");
        assert_eq!((result.ok, result.failure), (false, Some(failure)), "{case}: {text}");
        assert!(!result.message.is_empty(), "{case}: a message says what to fix");
        let counters = control.counters();
        let refused: u64 = reasons.iter().map(|r| counters.oauth_refused(r)).sum();
        assert!(refused >= 1, "{case}: the fake refused it ({reasons:?}): {counters:?}");
        assert_eq!(counters.oauth_refused("replayed_assertion"), 0, "{case}");

        // Saved, it fails the same test and nothing changes.
        let put = root.send(Method::PUT, SETTINGS, &service_app_settings(&client_id)).await;
        let problem =
            expect_problem(put, StatusCode::UNPROCESSABLE_ENTITY, "okta_test_failed").await;
        seen.0.push(problem.detail.clone());
        let after: OktaSettingsResponse = seen.read(&root, SETTINGS).await;
        assert_eq!(after, before, "{case}: a failed save changes nothing");
    }
    seen.assert_no_secrets(control);
}

#[tokio::test]
async fn an_access_token_that_expires_mid_run_is_renewed_and_the_run_succeeds() {
    let _turn = TURN.lock().await;
    let app = app();
    let root = app.as_person("root@example.com");
    let (_, control) = okta();
    let mut seen = Seen::default();
    control.reset_counters();
    configure(&root, &AppSpec::default(), &mut seen).await;
    let issued_before_the_run = control.counters().oauth_tokens_issued;
    assert!(issued_before_the_run >= 1, "the save's test got a token");

    // Every token issued so far expires once two calls of the run have been served: the run's
    // next call (the same run reads the groups, then several groups' members at once) finds its
    // token expired, whatever the timing.
    control.expire_access_tokens_after(2);
    let run = full_sync(&root, &mut seen).await;

    assert_eq!(control.access_token_expiry_pending(), None, "the expiry fired during the run");
    assert!(run.okta_requests > 2, "the run made calls after the expiry: {run:?}");
    let counters = control.counters();
    assert!(
        counters.oauth_refused("expired_token") >= 1,
        "the run met the expired token: {:?}",
        counters.oauth_refusals
    );
    assert!(
        counters.oauth_tokens_issued >= 2 && counters.oauth_tokens_issued > issued_before_the_run,
        "a new token was issued during the run: {counters:?}"
    );
    assert_eq!(counters.oauth_refused("replayed_assertion"), 0, "every assertion was fresh");
    let others: Vec<(String, u64)> = refusals_besides_the_nonce(control)
        .into_iter()
        .filter(|(reason, _)| reason != "expired_token")
        .collect();
    assert_eq!(others, [], "{:?}", counters.oauth_refusals);
    seen.assert_no_secrets(control);
    sweep_for_access_tokens(control);
}

#[tokio::test]
async fn every_assertion_is_used_once_and_a_replayed_one_is_refused() {
    let _turn = TURN.lock().await;
    let app = app();
    let root = app.as_person("root@example.com");
    let (tenant, control) = okta();
    let mut seen = Seen::default();
    control.reset_counters();
    let (key, client_id) = configure(&root, &AppSpec::default(), &mut seen).await;
    // A token for the test of each save, and for runs: each from an assertion of its own.
    for _ in 0..2 {
        let (status, text) = seen.take(root.send(Method::POST, TEST, &json!({})).await).await;
        assert!(status.is_success() && text.contains("\"ok\":true"), "{text}");
    }
    full_sync(&root, &mut seen).await;
    let counters = control.counters();
    assert!(counters.oauth_tokens_issued >= 1, "{counters:?}");
    assert_eq!(counters.oauth_refused("replayed_assertion"), 0, "{:?}", counters.oauth_refusals);

    // The last assertion the Worker sent, captured at the fake: it is the Worker's, for this app.
    let captured = control.last_accepted_assertion().expect("an assertion got a token");
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD.decode(captured.split('.').next().expect("a JWS")).expect("base64url"),
    )
    .expect("a JSON header");
    assert_eq!(header["kid"], key.kid.as_str(), "signed with the saved key: {header}");
    let claims = claims(&captured);
    assert_eq!(
        (claims["iss"].as_str(), claims["sub"].as_str()),
        (Some(&*client_id), Some(&*client_id))
    );
    assert_eq!(claims["aud"], format!("{}{TOKEN_PATH}", tenant.base_url), "{claims}");
    assert!(claims["jti"].as_str().is_some_and(|jti| !jti.is_empty()), "{claims}");

    let (status, body) = token_request(&captured).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "invalid_client", "{body}");
    assert!(body.get("access_token").is_none(), "{body}");
    let counters = control.counters();
    assert_eq!(counters.oauth_refused("replayed_assertion"), 1, "{:?}", counters.oauth_refusals);

    // The Worker itself is unharmed: its next test signs a fresh assertion.
    let (status, text) = seen.take(root.send(Method::POST, TEST, &json!({})).await).await;
    assert!(status.is_success() && text.contains("\"ok\":true"), "{text}");
    assert_eq!(control.counters().oauth_refused("replayed_assertion"), 1);
    seen.assert_no_secrets(control);
    sweep_for_access_tokens(control);
}

/// Puts the service app back as it was registered when dropped, whatever the test did: the
/// fake replaces an app registered again under its client id.
struct AppRestored<'a> {
    control: &'a Control,
    app: ServiceApp,
}

impl Drop for AppRestored<'_> {
    fn drop(&mut self) {
        self.control.register_service_app(self.app.clone()).expect("the app is registered again");
    }
}

#[tokio::test]
async fn a_sync_the_service_app_may_no_longer_make_fails_naming_what_to_fix() {
    let _turn = TURN.lock().await;
    let app = app();
    let root = app.as_person("root@example.com");
    let (_, control) = okta();
    let mut seen = Seen::default();
    let (_, client_id) = configure(&root, &AppSpec::default(), &mut seen).await;
    full_sync(&root, &mut seen).await;
    let before = stored(&root).await;

    // Someone removes the app's admin role in Okta: the same client id, registered again
    // without one (its tokens stay valid; every call is now refused 403).
    let registered =
        control.service_apps().into_iter().find(|a| a.client_id.as_ref() == Some(&client_id));
    let registered = registered.expect("the app is registered");
    assert!(registered.admin_role, "{registered:?}");
    let restore = AppRestored { control, app: registered.clone() };
    let demoted = ServiceApp { admin_role: false, ..registered };
    assert_eq!(control.register_service_app(demoted).as_deref(), Ok(client_id.as_str()));
    control.reset_counters();

    let run = run_sync(&root, json!({ "full": true })).await;
    seen.0.push(serde_json::to_string(&run).expect("a run"));
    assert_eq!(run.state, SyncState::Failed, "{run:?}");
    assert_eq!(run.error_code, Some(SyncFailure::OktaPermissionDenied), "{run:?}");
    let message = run.error.as_deref().expect("a failed run says why");
    for words in ["service app", "admin role"] {
        assert!(message.contains(words), "the message names {words:?}: {message}");
    }
    assert!(message.contains("Nothing was changed"), "{message}");
    let counters = control.counters();
    assert!(counters.oauth_refused("no_admin_role") >= 1, "{:?}", counters.oauth_refusals);
    assert_eq!(stored(&root).await, before, "a failed run changes no group");

    // With its role back, the same app syncs again.
    drop(restore);
    full_sync(&root, &mut seen).await;
    seen.assert_no_secrets(control);
}

#[tokio::test]
async fn test_connection_tests_the_credential_it_is_asked_about_not_the_saved_one() {
    let _turn = TURN.lock().await;
    let app = app();
    let root = app.as_person("root@example.com");
    let (tenant, control) = okta();
    let mut seen = Seen::default();
    // A token stored, then the service app saved as the credential: both secrets are kept.
    let api_token = json!({ "tenant_url": tenant.base_url, "app_id": tenant.app_id,
                            "credential": "api_token", "api_token": tenant.token });
    let (status, text) = seen.take(root.send(Method::PUT, SETTINGS, &api_token).await).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    configure(&root, &AppSpec::default(), &mut seen).await;

    // The admin chooses "API token" on the screen and presses Test without typing one: the
    // stored token is tested, not the service app the settings still name.
    for (asked, scheme) in [("api_token", None), ("service_app", Some("DPoP"))] {
        control.reset_counters();
        let body = json!({ "credential": asked });
        let (status, text) = seen.take(root.send(Method::POST, TEST, &body).await).await;
        let tested: TestOktaConnectionResponse = serde_json::from_str(&text).expect("a result");
        assert!(status.is_success() && tested.ok, "{asked}: {text}");
        let counters = control.counters();
        let oauth: u64 = counters.oauth_calls.values().sum();
        assert!(counters.total >= 1, "{asked}: {counters:?}");
        match scheme {
            None => assert_eq!(oauth, 0, "{asked}: SSWS only: {:?}", counters.oauth_calls),
            Some(scheme) => assert_eq!(counters.oauth_calls_with(scheme), counters.total),
        }
    }
    let settings: OktaSettingsResponse = seen.read(&root, SETTINGS).await;
    assert_eq!(settings.credential, CredentialKind::ServiceApp, "a test saves nothing");
    seen.assert_no_secrets(control);
}
