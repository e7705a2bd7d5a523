//! OAuth 2.0 service apps: the org token endpoint (`private_key_jwt`, scopes, `DPoP` with its
//! nonce challenge) and resource calls with `Bearer` and `DPoP` access tokens, driven over HTTP
//! as a client would. Nothing sleeps: expiry is forced through the control API, and expired
//! assertions are signed with a past `exp`.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fake_okta::{FakeOkta, ServiceApp, TOKEN_PATH, TenantSize};
use rsa::Generate;
use rsa::signature::{SignatureEncoding, Signer as _};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{client, get_as, header, start};

const ALL_SCOPES: [&str; 3] = ["okta.apps.read", "okta.groups.read", "okta.users.read"];
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A private key a test signs with.
#[derive(Clone)]
enum Key {
    Rsa(rsa::PrivateKey),
    Ec(p256::ecdsa::SigningKey),
}

/// RSA key generation takes a moment: two keys serve every test.
fn rsa_key(which: usize) -> Key {
    static KEYS: OnceLock<[rsa::PrivateKey; 2]> = OnceLock::new();
    let keys = KEYS.get_or_init(|| [rsa::PrivateKey::generate(), rsa::PrivateKey::generate()]);
    Key::Rsa(keys[which].clone())
}

fn ec_key() -> Key {
    Key::Ec(p256::ecdsa::SigningKey::generate())
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Key {
    fn alg(&self) -> &'static str {
        match self {
            Key::Rsa(_) => "RS256",
            Key::Ec(_) => "ES256",
        }
    }

    /// The public JWK, with `kid` if given.
    fn jwk(&self, kid: Option<&str>) -> Value {
        let mut jwk = match self {
            Key::Rsa(key) => {
                let public = key.to_public_key();
                json!({ "kty": "RSA", "n": b64(&public.n_bytes()), "e": b64(&public.e_bytes()) })
            }
            Key::Ec(key) => {
                let point = key.verifying_key().to_sec1_point(false);
                let bytes = point.as_bytes();
                json!({ "kty": "EC", "crv": "P-256", "x": b64(&bytes[1..33]), "y": b64(&bytes[33..]) })
            }
        };
        if let Some(kid) = kid {
            jwk["kid"] = json!(kid);
        }
        jwk
    }

    /// A compact JWS of `claims` under `header` (to which `alg` is added).
    fn sign(&self, mut header: Value, claims: &Value) -> String {
        header["alg"] = json!(self.alg());
        let signed = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature = match self {
            Key::Rsa(key) => rsa::pkcs1v15::SigningKey::<rsa::sha2::Sha256>::new(key.clone())
                .sign(signed.as_bytes())
                .to_vec(),
            Key::Ec(key) => {
                let signature: p256::ecdsa::Signature = key.sign(signed.as_bytes());
                signature.to_bytes().to_vec()
            }
        };
        format!("{signed}.{}", b64(&signature))
    }
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

/// A `jti` never used before in this test binary.
fn fresh_jti() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("jti-{}-{}", now_s(), NEXT.fetch_add(1, Ordering::Relaxed))
}

fn token_url(fake: &FakeOkta) -> String {
    format!("{}{TOKEN_PATH}", fake.base_url())
}

/// The claims of a valid client assertion for `client_id`.
fn assertion_claims(fake: &FakeOkta, client_id: &str) -> Value {
    let now = now_s();
    json!({ "iss": client_id, "sub": client_id, "aud": token_url(fake),
            "iat": now, "exp": now + 300, "jti": fresh_jti() })
}

fn assertion(key: &Key, kid: &str, claims: &Value) -> String {
    key.sign(json!({ "kid": kid }), claims)
}

/// A `DPoP` proof for `htm htu`, with `nonce` and the `ath` of `token` if given.
fn proof(key: &Key, htm: &str, htu: &str, nonce: Option<&str>, token: Option<&str>) -> String {
    let mut claims = json!({ "htm": htm, "htu": htu, "iat": now_s(), "jti": fresh_jti() });
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    if let Some(token) = token {
        claims["ath"] = json!(b64(&Sha256::digest(token.as_bytes())));
    }
    key.sign(json!({ "typ": "dpop+jwt", "jwk": key.jwk(None) }), &claims)
}

/// `POST /oauth2/v1/token` with a form and an optional `DPoP` header.
async fn token_request(
    fake: &FakeOkta,
    form: &[(&str, &str)],
    dpop: Option<&str>,
) -> reqwest::Response {
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let mut request = client()
        .post(token_url(fake))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .body(body);
    if let Some(dpop) = dpop {
        request = request.header("DPoP", dpop);
    }
    request.send().await.expect("the token endpoint answers")
}

/// The usual token request: client credentials with `assertion` for `scope`.
async fn request_token(
    fake: &FakeOkta,
    assertion: &str,
    scope: &str,
    dpop: Option<&str>,
) -> reqwest::Response {
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", scope),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
    ];
    token_request(fake, &form, dpop).await
}

/// Registers an app with `key` under kid `k1`.
fn register(fake: &FakeOkta, key: &Key, scopes: &[&str], dpop: bool, admin: bool) -> String {
    let mut app = ServiceApp::new(json!({ "keys": [key.jwk(Some("k1"))] }), scopes);
    app.dpop_required = dpop;
    app.admin_role = admin;
    fake.control().register_service_app(app).expect("the app registers")
}

/// A Bearer token for an app without `DPoP`.
async fn bearer_token(fake: &FakeOkta, client_id: &str, key: &Key, scope: &str) -> String {
    let signed = assertion(key, "k1", &assertion_claims(fake, client_id));
    let response = request_token(fake, &signed, scope, None).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("a token");
    assert_eq!(body["token_type"], "Bearer");
    body["access_token"].as_str().expect("an access token").to_owned()
}

/// The OAuth error body of a refusal, checked against `status` and `error`.
async fn oauth_error(response: reqwest::Response, status: u16, error: &str) -> Value {
    assert_eq!(response.status(), status, "{error}");
    let body: Value = response.json().await.expect("a JSON error body");
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
    body
}

#[tokio::test]
async fn a_valid_assertion_gets_a_bearer_token_that_reads_the_groups() {
    let fake = start(TenantSize::Demo, 7).await;
    let key = rsa_key(0);
    let client_id = register(&fake, &key, &ALL_SCOPES, false, true);
    assert!(client_id.starts_with("0oa") && client_id.len() == 20, "{client_id}");

    let signed = assertion(&key, "k1", &assertion_claims(&fake, &client_id));
    let response = request_token(&fake, &signed, &ALL_SCOPES.join(" "), None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "cache-control"), "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], ALL_SCOPES.join(" "));
    assert!(body.get("refresh_token").is_none());
    let token = body["access_token"].as_str().unwrap();

    let auth = format!("Bearer {token}");
    let url = format!(
        "{}/api/v1/apps/{}/groups?limit=200&expand=group",
        fake.base_url(),
        fake.info().app_id
    );
    let response = get_as(&url, Some(&auth)).await;
    assert_eq!(response.status(), 200);
    let listed: Vec<Value> = response.json().await.unwrap();
    let truth = fake.control().truth();
    assert_eq!(listed.len(), truth.groups.len());
    let members =
        format!("{}/api/v1/groups/{}/users?limit=200", fake.base_url(), truth.groups[0].id);
    let response = get_as(&members, Some(&auth)).await;
    assert_eq!(response.status(), 200);
    let users: Vec<Value> = response.json().await.unwrap();
    assert_eq!(users.len(), truth.groups[0].members.len());

    let counters = fake.control().counters();
    assert_eq!(counters.oauth_token_requests, 1);
    assert_eq!(counters.oauth_tokens_issued, 1);
    assert!(counters.oauth_refusals.is_empty());
}

#[tokio::test]
async fn an_es256_key_signs_assertions_too() {
    let fake = start(TenantSize::Demo, 7).await;
    let key = ec_key();
    let client_id = register(&fake, &key, &["okta.apps.read"], false, true);
    let token = bearer_token(&fake, &client_id, &key, "okta.apps.read").await;
    let url = format!("{}/api/v1/apps/{}", fake.base_url(), fake.info().app_id);
    assert_eq!(get_as(&url, Some(&format!("bearer {token}"))).await.status(), 200);
}

#[tokio::test]
async fn dpop_needs_a_nonce_then_binds_the_token_to_the_proof_key() {
    let fake = start(TenantSize::Demo, 7).await;
    let key = rsa_key(0);
    let dpop_key = ec_key();
    let client_id = register(&fake, &key, &ALL_SCOPES, true, true);
    let token_url = token_url(&fake);
    let signed = assertion(&key, "k1", &assertion_claims(&fake, &client_id));
    let scope = "okta.apps.read okta.groups.read";

    let without_proof = request_token(&fake, &signed, scope, None).await;
    oauth_error(without_proof, 400, "invalid_dpop_proof").await;
    let wrong_htu =
        proof(&dpop_key, "POST", "http://elsewhere.invalid/oauth2/v1/token", None, None);
    let response = request_token(&fake, &signed, scope, Some(&wrong_htu)).await;
    oauth_error(response, 400, "invalid_dpop_proof").await;

    let first = proof(&dpop_key, "POST", &token_url, None, None);
    let challenged = request_token(&fake, &signed, scope, Some(&first)).await;
    let nonce = header(&challenged, "dpop-nonce");
    assert_eq!(nonce, fake.control().dpop_nonce());
    oauth_error(challenged, 400, "use_dpop_nonce").await;

    let second = proof(&dpop_key, "POST", &token_url, Some(&nonce), None);
    let response = request_token(&fake, &signed, scope, Some(&second)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "DPoP");
    let token = body["access_token"].as_str().unwrap().to_owned();

    // Resource calls: a fresh proof per request, with `ath`, `htu` without the query.
    let path = format!("/api/v1/apps/{}/groups", fake.info().app_id);
    let htu = format!("{}{path}", fake.base_url());
    let url = format!("{htu}?limit=200&expand=group");
    let auth = format!("DPoP {token}");
    let call = |proof: Option<String>, auth: String| {
        let url = url.clone();
        async move {
            let mut request = client().get(&url).header("Authorization", auth);
            if let Some(proof) = proof {
                request = request.header("DPoP", proof);
            }
            request.send().await.expect("an answer")
        }
    };
    let good = proof(&dpop_key, "GET", &htu, None, Some(&token));
    assert_eq!(call(Some(good.clone()), auth.clone()).await.status(), 200);

    let refusals = [
        ("no proof", None, auth.clone()),
        ("a replayed proof", Some(good), auth.clone()),
        ("no ath", Some(proof(&dpop_key, "GET", &htu, None, None)), auth.clone()),
        ("another key", Some(proof(&ec_key(), "GET", &htu, None, Some(&token))), auth.clone()),
        (
            "the wrong method",
            Some(proof(&dpop_key, "POST", &htu, None, Some(&token))),
            auth.clone(),
        ),
        (
            "the token URL",
            Some(proof(&dpop_key, "GET", &token_url, None, Some(&token))),
            auth.clone(),
        ),
    ];
    for (case, proof, auth) in refusals {
        let response = call(proof, auth).await;
        assert_eq!(response.status(), 401, "{case}");
        let challenge = header(&response, "www-authenticate");
        assert!(
            challenge.starts_with("DPoP ") && challenge.contains("error=\"invalid_dpop_proof\""),
            "{case}: {challenge}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errorCode"], "E0000011", "{case}");
    }
    let as_bearer = call(None, format!("Bearer {token}")).await;
    assert_eq!(as_bearer.status(), 401);
    assert!(header(&as_bearer, "www-authenticate").contains("error=\"invalid_token\""));

    // The same assertion can't get a second token.
    let third = proof(&dpop_key, "POST", &token_url, Some(&nonce), None);
    let replay = request_token(&fake, &signed, scope, Some(&third)).await;
    oauth_error(replay, 401, "invalid_client").await;

    let counters = fake.control().counters();
    assert_eq!(counters.oauth_tokens_issued, 1);
    assert_eq!(counters.oauth_refused("use_dpop_nonce"), 1);
    assert_eq!(counters.oauth_refused("invalid_dpop_proof"), 2 + 6);
    assert_eq!(counters.oauth_refused("wrong_token_scheme"), 1);
    assert_eq!(counters.oauth_refused("replayed_assertion"), 1);
}

#[tokio::test]
async fn a_rotated_nonce_is_challenged_again() {
    let fake = start(TenantSize::Demo, 7).await;
    let key = ec_key();
    let client_id = register(&fake, &key, &["okta.apps.read"], true, true);
    let old = fake.control().dpop_nonce();
    fake.control().rotate_dpop_nonce();
    let signed = assertion(&key, "k1", &assertion_claims(&fake, &client_id));
    let stale = proof(&key, "POST", &token_url(&fake), Some(&old), None);
    let response = request_token(&fake, &signed, "okta.apps.read", Some(&stale)).await;
    assert_ne!(header(&response, "dpop-nonce"), old);
    oauth_error(response, 400, "use_dpop_nonce").await;
}

#[tokio::test]
async fn bad_assertions_unknown_clients_and_ungranted_scopes_are_refused() {
    let fake = start(TenantSize::Demo, 7).await;
    let key = rsa_key(0);
    let other_key = rsa_key(1);
    let client_id = register(&fake, &key, &["okta.apps.read", "okta.groups.read"], false, true);
    let claims = |change: &dyn Fn(&mut Value)| {
        let mut claims = assertion_claims(&fake, &client_id);
        change(&mut claims);
        claims
    };
    let scope = "okta.apps.read";
    let now = now_s();
    let cases: Vec<(&str, String, &str, u16, &str)> = vec![
        ("wrong key", assertion(&other_key, "k1", &claims(&|_| {})), scope, 401, "bad_signature"),
        ("unknown kid", assertion(&key, "k9", &claims(&|_| {})), scope, 401, "unknown_kid"),
        (
            "wrong aud",
            assertion(
                &key,
                "k1",
                &claims(&|c| {
                    c["aud"] = json!(format!("{}/oauth2/default/v1/token", fake.base_url()));
                }),
            ),
            scope,
            401,
            "wrong_audience",
        ),
        (
            "expired",
            assertion(&key, "k1", &claims(&|c| c["exp"] = json!(now - 5))),
            scope,
            401,
            "expired_assertion",
        ),
        (
            "exp too far",
            assertion(&key, "k1", &claims(&|c| c["exp"] = json!(now + 7200))),
            scope,
            401,
            "assertion_lifetime_too_long",
        ),
        (
            "no jti",
            assertion(&key, "k1", &claims(&|c| c["jti"] = Value::Null)),
            scope,
            401,
            "missing_jti",
        ),
        (
            "sub differs",
            assertion(&key, "k1", &claims(&|c| c["sub"] = json!("someone"))),
            scope,
            401,
            "iss_sub_mismatch",
        ),
        (
            "unknown client",
            assertion(
                &key,
                "k1",
                &claims(&|c| {
                    c["iss"] = json!("0oaNOBODY0000000000x");
                    c["sub"] = json!("0oaNOBODY0000000000x");
                }),
            ),
            scope,
            401,
            "unknown_client",
        ),
        ("not a JWT", "not-a-jwt".into(), scope, 401, "malformed_assertion"),
        (
            "missing scope",
            assertion(&key, "k1", &claims(&|_| {})),
            "okta.apps.read okta.users.read",
            400,
            "scope_not_granted",
        ),
        ("no scope", assertion(&key, "k1", &claims(&|_| {})), "", 400, "missing_scope"),
    ];
    for (case, signed, scope, status, reason) in cases {
        let error = if status == 400 { "invalid_scope" } else { "invalid_client" };
        let before = fake.control().counters().oauth_refused(reason);
        let response = request_token(&fake, &signed, scope, None).await;
        let body = oauth_error(response, status, error).await;
        assert_eq!(fake.control().counters().oauth_refused(reason), before + 1, "{case}: {body}");
    }

    // A replayed assertion: the first use gets a token, the second is refused.
    let signed = assertion(&key, "k1", &claims(&|_| {}));
    assert_eq!(request_token(&fake, &signed, scope, None).await.status(), 200);
    let replay = request_token(&fake, &signed, scope, None).await;
    oauth_error(replay, 401, "invalid_client").await;
    assert_eq!(fake.control().counters().oauth_refused("replayed_assertion"), 1);

    let wrong_grant = [("grant_type", "password"), ("scope", scope)];
    oauth_error(token_request(&fake, &wrong_grant, None).await, 400, "unsupported_grant_type")
        .await;
    let no_assertion = [("grant_type", "client_credentials"), ("scope", scope)];
    oauth_error(token_request(&fake, &no_assertion, None).await, 401, "invalid_client").await;
    assert_eq!(fake.control().counters().oauth_tokens_issued, 1);
}

#[tokio::test]
async fn an_expired_access_token_gets_401_and_a_new_one_works() {
    let fake = start(TenantSize::Demo, 7).await;
    let key = ec_key();
    let client_id = register(&fake, &key, &ALL_SCOPES, false, true);
    let url = format!("{}/api/v1/apps/{}/groups", fake.base_url(), fake.info().app_id);
    let token = bearer_token(&fake, &client_id, &key, "okta.apps.read").await;
    assert_eq!(get_as(&url, Some(&format!("Bearer {token}"))).await.status(), 200);

    assert_eq!(fake.control().expire_access_tokens(), 1);
    let response = get_as(&url, Some(&format!("Bearer {token}"))).await;
    assert_eq!(response.status(), 401);
    let challenge = header(&response, "www-authenticate");
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains("error=\"invalid_token\""),
        "{challenge}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000011");
    assert_eq!(body["errorSummary"], "Invalid token provided");

    let renewed = bearer_token(&fake, &client_id, &key, "okta.apps.read").await;
    assert_ne!(renewed, token);
    assert_eq!(get_as(&url, Some(&format!("Bearer {renewed}"))).await.status(), 200);
    let unknown = get_as(&url, Some("Bearer eyJnot.a.token")).await;
    assert_eq!(unknown.status(), 401);

    let counters = fake.control().counters();
    assert_eq!(counters.oauth_tokens_issued, 2);
    assert_eq!(counters.oauth_refused("expired_token"), 1);
    assert_eq!(counters.oauth_refused("unknown_token"), 1);
}

#[tokio::test]
async fn a_token_without_the_operations_scope_or_an_app_without_a_role_gets_403() {
    let fake = start(TenantSize::Demo, 7).await;
    let key = ec_key();
    let base = fake.base_url();
    let group = fake.control().truth().groups[0].id.clone();
    let user = fake.control().truth().groups[0].members[0].id.clone();
    let apps_only = register(&fake, &key, &ALL_SCOPES, false, true);
    let token = bearer_token(&fake, &apps_only, &key, "okta.apps.read okta.groups.read").await;
    let auth = format!("Bearer {token}");
    assert_eq!(
        get_as(&format!("{base}/api/v1/apps/{}", fake.info().app_id), Some(&auth)).await.status(),
        200
    );
    assert_eq!(
        get_as(&format!("{base}/api/v1/groups/{group}/users"), Some(&auth)).await.status(),
        200
    );
    for path in [format!("/api/v1/users/{user}/groups"), "/api/v1/users".to_owned()] {
        let response = get_as(&format!("{base}{path}"), Some(&auth)).await;
        assert_eq!(response.status(), 403, "{path}");
        let challenge = header(&response, "www-authenticate");
        assert!(
            challenge.contains("error=\"insufficient_scope\"")
                && challenge.contains("scope=\"okta.users.read\""),
            "{challenge}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errorCode"], "E0000006");
    }

    let no_role_key = ec_key();
    let mut app = ServiceApp::new(json!({ "keys": [no_role_key.jwk(Some("k1"))] }), &ALL_SCOPES);
    app.dpop_required = false;
    app.admin_role = false;
    let no_role = fake.control().register_service_app(app).unwrap();
    let token = bearer_token(&fake, &no_role, &no_role_key, "okta.apps.read").await;
    let response = get_as(
        &format!("{base}/api/v1/apps/{}", fake.info().app_id),
        Some(&format!("Bearer {token}")),
    )
    .await;
    assert_eq!(response.status(), 403);
    assert!(response.headers().get("www-authenticate").is_none());
    assert_eq!(crate::helpers::error_code(response).await, "E0000006");
    let counters = fake.control().counters();
    assert_eq!(counters.oauth_refused("insufficient_scope"), 2);
    assert_eq!(counters.oauth_refused("no_admin_role"), 1);
}

#[tokio::test]
async fn service_apps_lifetime_and_expiry_are_controlled_over_http() {
    let fake = start(TenantSize::Demo, 7).await;
    let key = ec_key();
    let control = |path: &str| format!("{}/__control/oauth/{path}", fake.base_url());
    let app = json!({ "jwks": { "keys": [key.jwk(Some("k1"))] }, "scopes": ["okta.apps.read"], "dpop_required": false });
    let registered: Value =
        client().post(control("apps")).json(&app).send().await.unwrap().json().await.unwrap();
    let client_id = registered["client_id"].as_str().unwrap().to_owned();
    let listed: Value = client().get(control("apps")).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed[0]["client_id"], client_id.as_str());
    assert_eq!(listed[0]["admin_role"], true);

    let no_kid = json!({ "jwks": { "keys": [key.jwk(None)] } });
    assert_eq!(client().post(control("apps")).json(&no_kid).send().await.unwrap().status(), 400);

    let put = client()
        .put(control("token-lifetime"))
        .json(&json!({ "seconds": 120 }))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    assert_eq!(fake.control().access_token_lifetime(), Duration::from_secs(120));
    let signed = assertion(&key, "k1", &assertion_claims(&fake, &client_id));
    let body: Value =
        request_token(&fake, &signed, "okta.apps.read", None).await.json().await.unwrap();
    assert_eq!(body["expires_in"], 120);

    let expired: Value =
        client().post(control("tokens/expire")).send().await.unwrap().json().await.unwrap();
    assert_eq!(expired["expired"], 1);
    let url = format!("{}/api/v1/apps/{}", fake.base_url(), fake.info().app_id);
    let auth = format!("Bearer {}", body["access_token"].as_str().unwrap());
    assert_eq!(get_as(&url, Some(&auth)).await.status(), 401);
}

#[tokio::test]
async fn tokens_expire_after_the_resource_calls_asked_for_and_calls_are_counted_by_scheme() {
    let fake = start(TenantSize::Demo, 7).await;
    let key = ec_key();
    let client_id = register(&fake, &key, &ALL_SCOPES, false, true);
    let control = |path: &str| format!("{}/__control/oauth/{path}", fake.base_url());
    let url = format!("{}/api/v1/apps/{}", fake.base_url(), fake.info().app_id);
    let token = bearer_token(&fake, &client_id, &key, "okta.apps.read").await;
    let auth = format!("Bearer {token}");
    assert_eq!(get_as(&url, Some(&auth)).await.status(), 200, "nothing armed yet");

    let armed = client()
        .post(control("tokens/expire-after"))
        .json(&json!({ "requests": 2 }))
        .send()
        .await
        .unwrap();
    assert_eq!(armed.status(), 200);
    let pending = || async {
        let state: Value = client()
            .get(control("tokens/expire-after"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        state["remaining"].clone()
    };
    assert_eq!(pending().await, 2);
    // A refused call does not count: only calls that authenticate do.
    assert_eq!(get_as(&url, Some("Bearer unknown")).await.status(), 401);
    assert_eq!(get_as(&url, Some(&auth)).await.status(), 200);
    assert_eq!(pending().await, 1);
    assert_eq!(get_as(&url, Some(&auth)).await.status(), 200, "the call that fires is served");
    assert_eq!(pending().await, Value::Null, "fired, and disarmed");
    assert_eq!(fake.control().access_token_expiry_pending(), None);
    let refused = get_as(&url, Some(&auth)).await;
    assert_eq!(refused.status(), 401, "the next call finds the token expired");
    assert!(header(&refused, "www-authenticate").contains("The access token is expired."));

    // Fired once: a token issued afterwards lives on.
    let renewed = bearer_token(&fake, &client_id, &key, "okta.apps.read").await;
    for _ in 0..3 {
        assert_eq!(get_as(&url, Some(&format!("Bearer {renewed}"))).await.status(), 200);
    }
    // Disarming: 0.
    fake.control().expire_access_tokens_after(1);
    fake.control().expire_access_tokens_after(0);
    assert_eq!(get_as(&url, Some(&format!("Bearer {renewed}"))).await.status(), 200);

    let counters = fake.control().counters();
    assert_eq!(counters.oauth_refused("expired_token"), 1, "{:?}", counters.oauth_refusals);
    assert_eq!(counters.oauth_calls_with("Bearer"), 1 + 2 + 3 + 1, "{:?}", counters.oauth_calls);
    assert_eq!(counters.oauth_calls_with("DPoP"), 0);

    let tokens: Value = client().get(control("tokens")).send().await.unwrap().json().await.unwrap();
    let mut listed: Vec<&str> =
        tokens["access_tokens"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    listed.sort_unstable();
    let mut issued = vec![token.as_str(), renewed.as_str()];
    issued.sort_unstable();
    assert_eq!(listed, issued, "every token issued, expired or not");
    assert_eq!(fake.control().issued_access_tokens().len(), 2);
}

#[tokio::test]
async fn the_last_accepted_assertion_can_be_read_and_is_refused_when_replayed() {
    let fake = start(TenantSize::Demo, 7).await;
    let key = rsa_key(0);
    let client_id = register(&fake, &key, &ALL_SCOPES, true, true);
    let control = format!("{}/__control/oauth/last-assertion", fake.base_url());
    let last = || async {
        let body: Value = client().get(&control).send().await.unwrap().json().await.unwrap();
        body["client_assertion"].clone()
    };
    assert_eq!(last().await, Value::Null, "no assertion got a token yet");

    // Refused for its nonce: not accepted yet.
    let signed = assertion(&key, "k1", &assertion_claims(&fake, &client_id));
    let dpop_key = ec_key();
    let first = proof(&dpop_key, "POST", &token_url(&fake), None, None);
    let challenged = request_token(&fake, &signed, "okta.apps.read", Some(&first)).await;
    let nonce = header(&challenged, "dpop-nonce");
    oauth_error(challenged, 400, "use_dpop_nonce").await;
    assert_eq!(last().await, Value::Null);
    let second = proof(&dpop_key, "POST", &token_url(&fake), Some(&nonce), None);
    let response = request_token(&fake, &signed, "okta.apps.read", Some(&second)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(last().await, signed.as_str());
    assert_eq!(fake.control().last_accepted_assertion().as_deref(), Some(signed.as_str()));

    // Replayed (with or without a proof), it is an invalid client: the `jti` is spent.
    let replay = request_token(&fake, &signed, "okta.apps.read", None).await;
    oauth_error(replay, 401, "invalid_client").await;
    let third = proof(&dpop_key, "POST", &token_url(&fake), Some(&nonce), None);
    let replay = request_token(&fake, &signed, "okta.apps.read", Some(&third)).await;
    oauth_error(replay, 401, "invalid_client").await;
    let counters = fake.control().counters();
    assert_eq!(counters.oauth_refused("replayed_assertion"), 2, "{:?}", counters.oauth_refusals);
    assert_eq!(counters.oauth_tokens_issued, 1);
}

#[tokio::test]
async fn a_dpop_clock_offset_refuses_every_proof_as_not_recent() {
    let fake = start(TenantSize::Demo, 7).await;
    let key = rsa_key(1);
    let client_id = register(&fake, &key, &ALL_SCOPES, true, true);
    let offset_url = format!("{}/__control/oauth/dpop-clock-offset", fake.base_url());
    let put = client().put(&offset_url).json(&json!({ "seconds": 600 })).send().await.unwrap();
    assert_eq!(put.status(), 200);
    assert_eq!(fake.control().dpop_clock_offset(), 600);
    let read: Value = client().get(&offset_url).send().await.unwrap().json().await.unwrap();
    assert_eq!(read["seconds"], 600);

    let nonce = fake.control().dpop_nonce();
    let dpop_key = ec_key();
    let signed = assertion(&key, "k1", &assertion_claims(&fake, &client_id));
    let fresh = proof(&dpop_key, "POST", &token_url(&fake), Some(&nonce), None);
    let refused = request_token(&fake, &signed, "okta.apps.read", Some(&fresh)).await;
    let body = oauth_error(refused, 400, "invalid_dpop_proof").await;
    assert!(body["error_description"].as_str().unwrap().contains("not recent"), "{body}");

    // Back on time, the same assertion (not spent by the refusal) gets its token.
    fake.control().set_dpop_clock_offset(0);
    let fresh = proof(&dpop_key, "POST", &token_url(&fake), Some(&nonce), None);
    let response = request_token(&fake, &signed, "okta.apps.read", Some(&fresh)).await;
    assert_eq!(response.status(), 200);
    let token: Value = response.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();

    // Resource calls' proofs are read by the same clock.
    let path = format!("/api/v1/apps/{}", fake.info().app_id);
    let url = format!("{}{path}", fake.base_url());
    let call = |offset: i64| {
        let (url, token, dpop_key) = (url.clone(), token.clone(), dpop_key.clone());
        let fake = &fake;
        async move {
            fake.control().set_dpop_clock_offset(offset);
            client()
                .get(&url)
                .header("Authorization", format!("DPoP {token}"))
                .header("DPoP", proof(&dpop_key, "GET", &url, None, Some(&token)))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(call(-600).await, 401);
    assert_eq!(call(0).await, 200);
    let counters = fake.control().counters();
    assert_eq!(counters.oauth_refused("invalid_dpop_proof"), 2, "{:?}", counters.oauth_refusals);
    assert_eq!(counters.oauth_calls_with("DPoP"), 1, "{:?}", counters.oauth_calls);
}
