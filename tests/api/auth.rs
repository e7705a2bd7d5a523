//! Identity and authorization, black-box: the auth matrix.
//!
//! Every case sends one request to the Worker with crafted credentials (tokens minted here with
//! the test's own RSA keys, published by the test's own key-set server) and asserts the answer.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::{Method, StatusCode};
use rsa::pkcs8::EncodePublicKey;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{TestApp, expect_problem};
use crate::world::{AUDIENCE, World, now_s};

/// The key-set refetch interval the test stacks are given (`ACCESS_KEYS_REFETCH_SECONDS`).
const REFETCH_INTERVAL: Duration = Duration::from_secs(2);

/// How long a newly published key may take to be accepted: many refetch intervals, and less
/// than the 30 s default one that a Worker ignoring `ACCESS_KEYS_REFETCH_SECONDS` would use.
const KEY_ROTATION_PATIENCE: Duration = Duration::from_secs(20);

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().expect("claims are an object").remove(key);
    claims
}

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// A token whose header names `alg`, signed (when not `none`) by HMAC with the public key as
/// the secret: the classic key-confusion forgery.
fn forged(alg: &str, claims: &Value) -> String {
    let world = World::get();
    let signed =
        format!("{}.{}", encode(&json!({ "alg": alg, "kid": "k1", "typ": "JWT" })), encode(claims));
    if alg == "none" {
        return format!("{signed}.");
    }
    let public = world.keys[0].to_public_key().to_public_key_der().expect("a DER public key");
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(public.as_bytes()).expect("any key length");
    mac.update(signed.as_bytes());
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// A named set of request headers and the status it must get.
type Case = (&'static str, Vec<(&'static str, String)>, StatusCode);

/// The credential cases against `GET /api/v1/me`, with the status each must get.
fn credential_cases() -> Vec<Case> {
    let world = World::get();
    let claims = world.person_claims("ann@example.com");
    let jwt = |token: String| vec![("Cf-Access-Jwt-Assertion", token)];
    let signed = |claims: &Value| jwt(world.token(claims, "k1", 0));
    let good = world.person("ann@example.com");
    let (head, rest) = good.split_once('.').expect("a JWT");
    let signature = rest.split_once('.').expect("a JWT").1;
    let now = now_s();
    vec![
        ("a valid Access token", jwt(good.clone()), StatusCode::OK),
        (
            "a valid token signed by the second published key",
            jwt(world.token(&claims, "k2", 1)),
            StatusCode::OK,
        ),
        (
            "an audience list that contains ours",
            signed(&with(claims.clone(), "aud", json!(["other", AUDIENCE]))),
            StatusCode::OK,
        ),
        (
            "an exp 30 s ago, inside the leeway",
            signed(&with(claims.clone(), "exp", json!(now - 30))),
            StatusCode::OK,
        ),
        ("no credentials at all", vec![], StatusCode::UNAUTHORIZED),
        ("an empty assertion header", jwt(String::new()), StatusCode::UNAUTHORIZED),
        ("alg none", jwt(forged("none", &claims)), StatusCode::UNAUTHORIZED),
        (
            "HS256 keyed with the public key",
            jwt(forged("HS256", &claims)),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "HS512 keyed with the public key",
            jwt(forged("HS512", &claims)),
            StatusCode::UNAUTHORIZED,
        ),
        ("RS512 claimed", jwt(forged("RS512", &claims)), StatusCode::UNAUTHORIZED),
        ("ES256 claimed", jwt(forged("ES256", &claims)), StatusCode::UNAUTHORIZED),
        ("an unknown kid", jwt(world.token(&claims, "no-such-kid", 0)), StatusCode::UNAUTHORIZED),
        (
            "an unpublished key under a published kid",
            jwt(world.token(&claims, "k1", 3)),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "an unpublished key under its own kid",
            jwt(world.token(&claims, "k4", 3)),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "expired",
            signed(&with(claims.clone(), "exp", json!(now - 120))),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "not valid before a future nbf",
            signed(&with(claims.clone(), "nbf", json!(now + 300))),
            StatusCode::UNAUTHORIZED,
        ),
        ("no exp", signed(&without(claims.clone(), "exp")), StatusCode::UNAUTHORIZED),
        (
            "another application's audience",
            signed(&with(claims.clone(), "aud", json!(["other-app"]))),
            StatusCode::UNAUTHORIZED,
        ),
        ("no audience", signed(&without(claims.clone(), "aud")), StatusCode::UNAUTHORIZED),
        (
            "another issuer",
            signed(&with(claims.clone(), "iss", json!("https://evil.cloudflareaccess.com"))),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "the issuer with a trailing slash",
            signed(&with(claims.clone(), "iss", json!(format!("{}/", world.issuer)))),
            StatusCode::UNAUTHORIZED,
        ),
        ("no issuer", signed(&without(claims.clone(), "iss")), StatusCode::UNAUTHORIZED),
        (
            "a tampered payload (another email)",
            jwt(format!(
                "{head}.{}.{signature}",
                encode(&with(claims.clone(), "email", json!("root@example.com")))
            )),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "a tampered signature",
            jwt(format!("{}x", &good[..good.len() - 1])),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "no signature",
            jwt(format!("{head}.{}.", rest.split_once('.').expect("a JWT").0)),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "two parts",
            jwt(format!("{head}.{}", rest.split_once('.').expect("a JWT").0)),
            StatusCode::UNAUTHORIZED,
        ),
        ("not base64", jwt("!!!.???.***".into()), StatusCode::UNAUTHORIZED),
        (
            "an oversized token",
            jwt(format!("{good}{}", "A".repeat(9_000))),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "no email and no common name",
            signed(&without(claims.clone(), "email")),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "an unregistered service token",
            signed(&with(without(claims.clone(), "email"), "common_name", json!("svc.unknown"))),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "the Access cookie only",
            vec![("Cookie", format!("CF_Authorization={good}"))],
            StatusCode::UNAUTHORIZED,
        ),
        (
            "the unsigned email header only",
            vec![("Cf-Access-Authenticated-User-Email", "root@example.com".into())],
            StatusCode::UNAUTHORIZED,
        ),
        (
            "a token in the Authorization header",
            vec![("Authorization", format!("Bearer {good}"))],
            StatusCode::UNAUTHORIZED,
        ),
        (
            "Basic credentials",
            vec![("Authorization", "Basic cm9vdDpyb290".into())],
            StatusCode::UNAUTHORIZED,
        ),
        (
            "an API key of the right shape that was never issued",
            vec![("Authorization", format!("Bearer gsk_nosuchkey_{}", "A".repeat(43)))],
            StatusCode::UNAUTHORIZED,
        ),
        (
            "a dev sign-in token where the dev sign-in is off",
            jwt(world.token(&claims, "dev-sign-in", 3)),
            StatusCode::UNAUTHORIZED,
        ),
    ]
}

#[tokio::test]
async fn the_credential_matrix_admits_only_valid_access_tokens() {
    let app = TestApp::new();
    let mut failures = Vec::new();
    let cases = credential_cases();
    for (name, headers, expected) in &cases {
        let response = app.with_headers(headers.clone()).get("/api/v1/me").await;
        let status = response.status();
        let content_type =
            response.headers().get("content-type").map(|v| v.to_str().unwrap_or("").to_owned());
        if status != *expected {
            failures.push(format!("{name}: expected {expected}, got {status}"));
        } else if status == StatusCode::UNAUTHORIZED
            && content_type.as_deref() != Some("application/problem+json")
        {
            failures.push(format!("{name}: a 401 without problem+json"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(cases.len() >= 36, "the matrix has {} credential cases", cases.len());
}

#[tokio::test]
async fn the_identity_comes_from_the_signed_token_not_from_other_headers() {
    let app = TestApp::new();
    let caller = app.with_headers(vec![
        ("Cf-Access-Jwt-Assertion", World::get().person("Ann@Example.com")),
        ("Cf-Access-Authenticated-User-Email", "root@example.com".into()),
    ]);

    let me: Value = caller.get("/api/v1/me").await.json().await.unwrap();

    assert_eq!(me["name"], "ann@example.com", "lowercased, and not the unsigned header's");
    assert_eq!(me["super_admin"], false);
}

#[tokio::test]
async fn a_flood_of_forged_key_ids_causes_at_most_one_key_fetch_per_interval() {
    // A stack of its own: every other stack fetches the main team's keys whenever its tests
    // need them, and those fetches must not be counted as this flood's.
    let app = TestApp::with_own_access_team();
    let world = World::get();
    let claims = with(world.person_claims("flood@example.com"), "iss", json!(world.own_team));
    // Warm the cache, then let the refetch interval pass (a wait that can only be too long).
    let warm = app.with_jwt(&world.token(&claims, "k1", 0)).get("/api/v1/me").await;
    assert_eq!(warm.status(), StatusCode::OK, "the stack trusts its own team");
    tokio::time::sleep(REFETCH_INTERVAL + Duration::from_secs(1)).await;
    let before = world.own_team_key_fetches();

    let started = Instant::now();
    let requests = (0..40).map(|i| {
        let token = world.token(&claims, &format!("forged-{i}"), 3);
        let app = &app;
        async move { app.with_jwt(&token).get("/api/v1/me").await.status() }
    });
    let statuses = futures_util::future::join_all(requests).await;
    let elapsed = started.elapsed();

    assert!(statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED), "{statuses:?}");
    // On a loaded machine the flood may outlast an interval, and each interval allows a fetch.
    // The Worker times them in whole seconds from the start of the request that fetched: two
    // fetches are REFETCH_INTERVAL apart on its clock, all within the flood, whose whole
    // seconds span at most `elapsed.as_secs() + 1`.
    let allowed = 1 + ((elapsed.as_secs() + 1) / REFETCH_INTERVAL.as_secs()) as usize;
    let fetched = world.own_team_key_fetches() - before;
    assert!(
        fetched <= allowed,
        "{fetched} key fetches for 40 forged key ids in {elapsed:?} (allowed {allowed})"
    );
}

#[tokio::test]
async fn a_rotated_in_key_is_accepted_after_it_is_published() {
    let app = TestApp::new();
    let world = World::get();
    let claims = world.person_claims("rotation@example.com");
    let new_key_token = world.token(&claims, "k3", 2);
    assert_eq!(
        app.with_jwt(&new_key_token).get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );

    world.publish(2, "k3");

    // The Worker looks for an unknown key id in a fresh key set at most every REFETCH_INTERVAL,
    // and a fetch another test started before the rotation may still be answering: ask until
    // the new key is in, as a person would reload.
    let started = Instant::now();
    loop {
        let status = app.with_jwt(&new_key_token).get("/api/v1/me").await.status();
        if status == StatusCode::OK {
            break;
        }
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(started.elapsed() < KEY_ROTATION_PATIENCE, "k3 is still refused");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let old_key_token = world.token(&claims, "k1", 0);
    assert_eq!(
        app.with_jwt(&old_key_token).get("/api/v1/me").await.status(),
        StatusCode::OK,
        "overlap"
    );
}

/// Every route that needs more than a signed-in person, with a harmless request for it.
fn protected_routes() -> Vec<(Method, &'static str, Value)> {
    vec![
        (Method::GET, "/api/v1/settings/okta", Value::Null),
        (
            Method::PUT,
            "/api/v1/settings/okta",
            json!({ "tenant_url": "https://acme.okta.com", "app_id": "0oa1b2c3d4e5f6g7h8i9" }),
        ),
        (Method::POST, "/api/v1/settings/okta/test", json!({})),
        (Method::GET, "/api/v1/super-admins", Value::Null),
        (Method::POST, "/api/v1/super-admins", json!({ "email": "mallory@example.com" })),
        (Method::DELETE, "/api/v1/super-admins/root%40example.com", Value::Null),
        (Method::GET, "/api/v1/api-keys", Value::Null),
        (Method::POST, "/api/v1/api-keys", json!({ "name": "x" })),
        (Method::DELETE, "/api/v1/api-keys/abc", Value::Null),
        (Method::POST, "/api/v1/permissions", json!({ "name": "app.x", "description": "" })),
        (Method::DELETE, "/api/v1/permissions/app.x", Value::Null),
        (Method::POST, "/api/v1/roles", json!({ "key": "x", "name": "X", "permissions": [] })),
        (Method::GET, "/api/v1/service-tokens", Value::Null),
        (Method::POST, "/api/v1/service-tokens", json!({ "common_name": "svc.x", "name": "x" })),
        (Method::DELETE, "/api/v1/service-tokens/svc.x", Value::Null),
        (Method::GET, "/api/v1/groups", Value::Null),
        (Method::POST, "/api/v1/groups", json!({ "name": "x" })),
        (Method::GET, "/api/v1/audit", Value::Null),
    ]
}

#[tokio::test]
async fn a_signed_in_person_without_roles_is_refused_every_protected_route() {
    let app = TestApp::new();
    let nobody = app.as_person("nobody@example.com");
    for (method, path, body) in protected_routes() {
        let response = if body.is_null() {
            nobody.write(method.clone(), path).send().await.unwrap()
        } else {
            nobody.send(method.clone(), path, &body).await
        };
        let problem = expect_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        // In words for people: the role to ask for, never a permission id.
        let named = ["Viewer role", "Editor role", "Admin role", "superAdmins"];
        assert!(
            named.iter().any(|n| problem.detail.contains(n)),
            "{method} {path}: {}",
            problem.detail
        );
        assert!(!problem.detail.contains('_'), "{method} {path}: {}", problem.detail);
    }
    let me: Value = nobody.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["permissions"], json!([]), "deny by default");
}

#[tokio::test]
async fn machine_clients_read_but_never_write() {
    let app = TestApp::new();
    let root = app.as_person("root@example.com");
    let registered = root
        .send(
            Method::POST,
            "/api/v1/service-tokens",
            &json!({ "common_name": "svc.reports", "name": "Reports" }),
        )
        .await;
    assert_eq!(registered.status(), StatusCode::CREATED);
    let world = World::get();
    let service_claims = with(
        without(world.person_claims("x@example.com"), "email"),
        "common_name",
        json!("svc.reports"),
    );
    let service = app.with_jwt(&world.token(&service_claims, "k1", 0));
    let created: Value = root
        .send(Method::POST, "/api/v1/api-keys", &json!({ "name": "Exporter" }))
        .await
        .json()
        .await
        .unwrap();
    let api_key = app.with_api_key(created["secret"].as_str().unwrap());

    for machine in [&service, &api_key] {
        let me: Value = machine.get("/api/v1/me").await.json().await.unwrap();
        assert_eq!(me["kind"], "machine");
        assert_eq!(machine.get("/api/v1/groups").await.status(), StatusCode::OK);
        for (method, path, body) in
            protected_routes().into_iter().filter(|(m, _, _)| *m != Method::GET)
        {
            let response = if body.is_null() {
                machine.write(method.clone(), path).send().await.unwrap()
            } else {
                machine.send(method.clone(), path, &body).await
            };
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {path}");
        }
        assert_eq!(machine.get("/api/v1/settings/okta").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(machine.get("/api/v1/super-admins").await.status(), StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn a_revoked_api_key_stops_working_on_the_next_request() {
    let app = TestApp::new();
    let root = app.as_person("root@example.com");
    let created: Value = root
        .send(Method::POST, "/api/v1/api-keys", &json!({ "name": "Short-lived" }))
        .await
        .json()
        .await
        .unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["key"]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.with_api_key(&secret).get("/api/v1/groups").await.status(), StatusCode::OK);

    let listed: Value = root.get("/api/v1/api-keys").await.json().await.unwrap();
    assert!(!listed.to_string().contains(&secret), "the secret is shown only once");
    assert_eq!(root.delete(&format!("/api/v1/api-keys/{id}")).await.status(), StatusCode::OK);

    assert_eq!(
        app.with_api_key(&secret).get("/api/v1/groups").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let wrong_secret = format!("gsk_{id}_{}", "B".repeat(43));
    assert_eq!(
        app.with_api_key(&wrong_secret).get("/api/v1/groups").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_revoked_super_admin_loses_access_on_the_next_request() {
    let app = TestApp::new();
    let root = app.as_person("root@example.com");
    let bob = app.as_person("bob@example.com");
    assert_eq!(bob.get("/api/v1/settings/okta").await.status(), StatusCode::FORBIDDEN);

    let granted = root
        .send(Method::POST, "/api/v1/super-admins", &json!({ "email": "Bob@Example.com" }))
        .await;
    assert_eq!(granted.status(), StatusCode::CREATED);
    assert_eq!(bob.get("/api/v1/settings/okta").await.status(), StatusCode::OK);

    assert_eq!(
        root.delete("/api/v1/super-admins/bob%40example.com").await.status(),
        StatusCode::OK
    );
    assert_eq!(bob.get("/api/v1/settings/okta").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_dev_sign_in_does_not_exist_where_it_is_off() {
    let app = TestApp::new();
    let response = app
        .with_headers(Vec::new())
        .send(Method::POST, "/api/v1/dev/sign-in", &json!({ "email": "root@example.com" }))
        .await;
    expect_problem(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn the_dev_sign_in_works_locally_and_its_token_goes_through_the_verifier() {
    let app = TestApp::with_dev_sign_in();
    let anonymous = app.with_headers(Vec::new());

    let signed_in: Value = anonymous
        .send(Method::POST, "/api/v1/dev/sign-in", &json!({ "email": "Root@Example.com" }))
        .await
        .json()
        .await
        .unwrap();
    let token = signed_in["token"].as_str().expect("a token");

    let me: Value = app.with_jwt(token).get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(
        (me["name"].as_str(), me["super_admin"].as_bool()),
        (Some("root@example.com"), Some(true))
    );
    let mut tampered = token.to_owned();
    tampered.pop();
    assert_eq!(app.with_jwt(&tampered).get("/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);
    let not_loopback = anonymous
        .write(Method::POST, "/api/v1/dev/sign-in")
        .header("Host", "okta-groups-sync.example.com")
        .json(&json!({ "email": "root@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(not_loopback.status(), StatusCode::NOT_FOUND, "only on a loopback host");
}

#[tokio::test]
async fn the_production_configuration_refuses_to_start_the_dev_path() {
    let app = TestApp::production_with_dev_sign_in();
    let anonymous = app.with_headers(Vec::new());

    let sign_in = anonymous
        .send(Method::POST, "/api/v1/dev/sign-in", &json!({ "email": "root@example.com" }))
        .await;
    let problem = expect_problem(sign_in, StatusCode::INTERNAL_SERVER_ERROR, "misconfigured").await;
    assert!(
        !problem.detail.contains("DEV_SIGN_IN"),
        "the cause is for the logs: {}",
        problem.detail
    );
    let me = anonymous.get("/api/v1/me").await;
    expect_problem(me, StatusCode::INTERNAL_SERVER_ERROR, "misconfigured").await;
}
