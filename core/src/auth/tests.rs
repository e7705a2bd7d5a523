//! Tests of token verification, key sets and the key-cache policy, with keys minted here.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::PrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

use super::*;

const ISS: &str = "https://acme.cloudflareaccess.com";
const AUD: &str = "aud-tag-0123456789";
const NOW: u64 = 1_800_000_000;

/// Two signing keys (generating RSA keys is slow, so once per test binary).
fn keys() -> &'static [PrivateKey; 2] {
    static KEYS: OnceLock<[PrivateKey; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        use rsa::Generate;
        [PrivateKey::generate(), PrivateKey::generate()]
    })
}

fn jwk(kid: &str, key: &PrivateKey) -> Value {
    let public = key.to_public_key();
    json!({ "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(public.n_bytes()), "e": URL_SAFE_NO_PAD.encode(public.e_bytes()) })
}

fn key_set() -> Vec<VerificationKey> {
    let set = json!({ "keys": [jwk("k1", &keys()[0]), jwk("k2", &keys()[1])] });
    parse_jwks(set.to_string().as_bytes()).unwrap()
}

fn expect() -> Expectations {
    Expectations { issuer: ISS.into(), audience: AUD.into(), leeway_s: 60 }
}

fn person_claims() -> Value {
    json!({ "iss": ISS, "aud": [AUD], "sub": "u-1", "email": "ann@example.com",
            "exp": NOW + 300, "nbf": NOW - 10, "iat": NOW - 10 })
}

fn token(claims: &Value) -> String {
    sign_rs256(claims, "k1", &keys()[0])
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

#[test]
fn a_valid_person_token_verifies_to_its_email() {
    let claims = verify(&token(&person_claims()), &key_set(), &expect(), NOW).unwrap();
    assert_eq!(claims.email.as_deref(), Some("ann@example.com"));
    assert_eq!(claims.subject, "u-1");
}

#[test]
fn a_service_token_verifies_to_its_common_name() {
    let claims =
        json!({ "iss": ISS, "aud": AUD, "sub": "", "common_name": "svc.access", "exp": NOW + 60 });
    let verified = verify(&token(&claims), &key_set(), &expect(), NOW).unwrap();
    assert_eq!(verified.common_name.as_deref(), Some("svc.access"));
    assert_eq!(verified.email, None);
}

#[test]
fn the_second_key_of_a_rotation_verifies_too() {
    let token = sign_rs256(&person_claims(), "k2", &keys()[1]);
    assert!(verify(&token, &key_set(), &expect(), NOW).is_ok());
}

#[test]
fn claims_outside_the_expectations_are_refused() {
    let cases = [
        (
            with(person_claims(), "iss", json!("https://evil.cloudflareaccess.com")),
            JwtError::Issuer,
        ),
        (with(person_claims(), "iss", json!(format!("{ISS}/"))), JwtError::Issuer),
        (with(person_claims(), "aud", json!(["other-app"])), JwtError::Audience),
        (with(person_claims(), "aud", json!("other-app")), JwtError::Audience),
        (with(person_claims(), "exp", json!(NOW - 61)), JwtError::Expired),
        (with(person_claims(), "nbf", json!(NOW + 61)), JwtError::NotYetValid),
        (with(with(person_claims(), "email", json!("")), "sub", json!("x")), JwtError::NoIdentity),
    ];
    for (claims, expected) in cases {
        assert_eq!(
            verify(&token(&claims), &key_set(), &expect(), NOW),
            Err(expected.clone()),
            "{claims}"
        );
    }
}

#[test]
fn the_leeway_tolerates_small_clock_skew() {
    assert!(
        verify(&token(&with(person_claims(), "exp", json!(NOW - 59))), &key_set(), &expect(), NOW)
            .is_ok()
    );
    assert!(
        verify(&token(&with(person_claims(), "nbf", json!(NOW + 59))), &key_set(), &expect(), NOW)
            .is_ok()
    );
}

#[test]
fn forged_algorithms_are_refused_before_any_key_is_used() {
    let payload = URL_SAFE_NO_PAD.encode(person_claims().to_string());
    for alg in ["none", "HS256", "RS512", "ES256", "PS256", "rs256"] {
        let header = URL_SAFE_NO_PAD.encode(json!({ "alg": alg, "kid": "k1" }).to_string());
        let forged = format!("{header}.{payload}.");
        assert_eq!(
            verify(&forged, &key_set(), &expect(), NOW),
            Err(JwtError::Algorithm(alg.into())),
            "{alg}"
        );
    }
}

#[test]
fn tampered_or_wrongly_signed_tokens_are_refused() {
    let good = token(&person_claims());
    let (head, rest) = good.split_once('.').unwrap();
    let signature = rest.split_once('.').unwrap().1;
    let admin = URL_SAFE_NO_PAD
        .encode(with(person_claims(), "email", json!("root@example.com")).to_string());
    let tampered = format!("{head}.{admin}.{signature}");
    assert_eq!(verify(&tampered, &key_set(), &expect(), NOW), Err(JwtError::BadSignature));

    // Signed by key 2 but claiming key 1.
    let wrong_key = sign_rs256(&person_claims(), "k1", &keys()[1]);
    assert_eq!(verify(&wrong_key, &key_set(), &expect(), NOW), Err(JwtError::BadSignature));
}

#[test]
fn unknown_keys_missing_kids_and_malformed_tokens_are_refused() {
    let unknown = sign_rs256(&person_claims(), "k9", &keys()[0]);
    assert_eq!(verify(&unknown, &key_set(), &expect(), NOW), Err(JwtError::UnknownKey));
    let no_kid = format!(
        "{}.{}.x",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#),
        URL_SAFE_NO_PAD.encode(person_claims().to_string())
    );
    assert_eq!(verify(&no_kid, &key_set(), &expect(), NOW), Err(JwtError::MissingKeyId));
    for malformed in ["", "a", "a.b", "a.b.c.d", "!!.??.x", ".."] {
        assert!(
            matches!(verify(malformed, &key_set(), &expect(), NOW), Err(JwtError::Malformed(_))),
            "{malformed:?}"
        );
    }
    let oversized = "a".repeat(MAX_TOKEN_BYTES + 1);
    assert_eq!(verify(&oversized, &key_set(), &expect(), NOW), Err(JwtError::TooLarge));
}

#[test]
fn key_sets_keep_only_rsa_signing_keys_of_2048_bits_or_more() {
    let set = json!({ "keys": [
        jwk("good", &keys()[0]),
        { "kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA" },
        with(jwk("enc", &keys()[0]), "use", json!("enc")),
        with(jwk("hs", &keys()[0]), "alg", json!("HS256")),
        with(jwk("short", &keys()[0]), "n", json!(URL_SAFE_NO_PAD.encode([0xff_u8; 128]))),
        { "kty": "RSA", "n": "AQAB", "e": "AQAB" },
    ]});
    let parsed = parse_jwks(set.to_string().as_bytes()).unwrap();
    let kids: Vec<&str> = parsed.iter().map(|k| k.kid.as_str()).collect();
    assert_eq!(kids, ["good"]);
    assert_eq!(parse_jwks(b"{\"keys\":[]}"), Err(JwksError::NoUsableKey));
    assert_eq!(parse_jwks(b"<html>"), Err(JwksError::NotAKeySet));
}

/// The production policy: keys used at most an hour after their last fetch; unknown ids fetched
/// again at most every 60 s.
fn policy() -> KeyPolicy {
    KeyPolicy::new(DEFAULT_MAX_STALE_S, 60)
}

fn found(lookup: KeyLookup<'_>) -> bool {
    matches!(lookup, KeyLookup::Found(_))
}

fn refetch_with_fallback(lookup: KeyLookup<'_>) -> bool {
    matches!(lookup, KeyLookup::Refetch { fallback: Some(_) })
}

#[test]
fn the_production_policy_refreshes_after_ten_minutes_and_backs_off_from_1_s_to_5_min() {
    let policy = policy();
    assert_eq!((policy.fresh_for_s, policy.max_stale_s), (600, 3_600));
    let waits: Vec<u64> = (0..=12).map(|failures| policy.backoff_s(failures)).collect();
    assert_eq!(waits, [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
    assert_eq!(policy.backoff_s(u32::MAX), 300, "no overflow after many failures");
    // A shortened window keeps the shape: a refresh after a sixth, waits of at most a tenth.
    let short = KeyPolicy::new(12, 2);
    assert_eq!((short.fresh_for_s, short.backoff_max_s), (2, 1));
}

#[test]
fn the_key_cache_refetches_unknown_ids_at_most_once_per_interval() {
    let policy = policy();
    let mut cache = KeyCache::default();
    assert_eq!(cache.lookup("k1", 0, &policy), KeyLookup::Refetch { fallback: None }, "empty");
    cache.replace(key_set(), 1_000);
    assert!(matches!(cache.lookup("k1", 1_001, &policy), KeyLookup::Found(k) if k.kid == "k1"));
    // A flood of forged ids right after a fetch causes no fetch.
    for i in 0..1_000 {
        assert_eq!(cache.lookup(&format!("forged-{i}"), 1_010, &policy), KeyLookup::Unknown);
    }
    assert_eq!(
        cache.lookup("rotated-in", 1_060, &policy),
        KeyLookup::Refetch { fallback: None },
        "after the interval"
    );
    assert!(refetch_with_fallback(cache.lookup("k1", 1_600, &policy)), "refreshed after 10 min");
}

#[test]
fn stale_keys_serve_for_at_most_an_hour_after_the_last_successful_fetch() {
    let policy = policy();
    let mut cache = KeyCache::default();
    cache.replace(key_set(), 1_000);
    // The certs URL stops answering: every refresh the backoff allows fails.
    let mut failed_fetches = 0;
    for now in 1_600..4_600 {
        match cache.lookup("k1", now, &policy) {
            KeyLookup::Found(_) => {}
            KeyLookup::Refetch { fallback: Some(_) } => {
                cache.fetch_failed(now);
                failed_fetches += 1;
                // The request that tried falls back to the stale key.
                assert!(found(cache.lookup("k1", now, &policy)), "at {now}");
            }
            other => panic!("at {now}, within the hour: {other:?}"),
        }
    }
    // Ten tries 1, 2, 4, … 256 s apart, then one every 5 minutes: 18 tries in 50 minutes, not
    // one a request.
    assert_eq!(failed_fetches, 18);
    // An hour after the last successful fetch, no key is used: not even the one cached.
    let expired = cache.lookup("k1", 4_600, &policy);
    assert!(
        matches!(
            expired,
            KeyLookup::Unavailable { fetched_at_s: Some(1_000), .. }
                | KeyLookup::Refetch { fallback: None }
        ),
        "{expired:?}"
    );
    assert!(!cache.usable(4_600, &policy) && cache.usable(4_599, &policy));
}

#[test]
fn expired_keys_fail_closed_until_a_fetch_succeeds_and_failed_fetches_back_off() {
    let policy = policy();
    let mut cache = KeyCache::default();
    cache.replace(key_set(), 0);
    let mut now = 3_600;
    let mut waits = Vec::new();
    let mut last_try = None;
    while now < 3_600 + 1_200 {
        match cache.lookup("k1", now, &policy) {
            KeyLookup::Refetch { fallback: None } => {
                if let Some(last) = last_try {
                    waits.push(now - last);
                }
                last_try = Some(now);
                cache.fetch_failed(now);
            }
            KeyLookup::Unavailable { fetched_at_s, retry_in_s } => {
                assert_eq!(fetched_at_s, Some(0));
                assert!(retry_in_s > 0 && retry_in_s <= 300, "{retry_in_s}");
            }
            other => panic!("at {now}, an expired set: {other:?}"),
        }
        now += 1;
    }
    assert_eq!(waits[..9], [1, 2, 4, 8, 16, 32, 64, 128, 256]);
    assert!(waits[9..].iter().all(|w| *w == 300), "{waits:?}");
    // The certs URL answers again: the next allowed fetch brings the keys back at once.
    let next = last_try.unwrap() + 300;
    assert_eq!(cache.lookup("k1", next, &policy), KeyLookup::Refetch { fallback: None });
    cache.replace(key_set(), next);
    assert!(found(cache.lookup("k1", next, &policy)));
    assert_eq!(policy.backoff_s(0), 0, "and the backoff starts over");
}

#[test]
fn a_cache_that_never_fetched_fails_closed_while_it_backs_off() {
    let policy = policy();
    let mut cache = KeyCache::default();
    cache.fetch_failed(10);
    assert_eq!(
        cache.lookup("k1", 10, &policy),
        KeyLookup::Unavailable { fetched_at_s: None, retry_in_s: 1 }
    );
    assert_eq!(cache.lookup("k1", 11, &policy), KeyLookup::Refetch { fallback: None });
}

#[test]
fn unknown_ids_wait_for_the_backoff_too() {
    let policy = policy();
    let mut cache = KeyCache::default();
    cache.replace(key_set(), 1_000);
    for failure in 0..5 {
        cache.fetch_failed(1_100 + failure);
    }
    // 5 failures: the next try waits 16 s, though the 60 s interval since the last try is the
    // longer wait here; a known key is served meanwhile.
    assert_eq!(cache.lookup("rotated-in", 1_150, &policy), KeyLookup::Unknown);
    assert_eq!(cache.lookup("rotated-in", 1_164, &policy), KeyLookup::Refetch { fallback: None });
    assert!(found(cache.lookup("k1", 1_120, &policy)));
}

#[test]
fn a_cold_cache_adopts_a_shared_key_set_under_the_same_policy() {
    let policy = policy();
    // Fetched by another isolate a minute ago: used as is, no fetch.
    let mut cache = KeyCache::default();
    assert!(cache.never_tried());
    assert!(cache.adopt(key_set(), 940));
    assert!(!cache.never_tried());
    assert!(found(cache.lookup("k1", 1_000, &policy)));
    assert_eq!(cache.lookup("forged", 1_000, &policy), KeyLookup::Refetch { fallback: None });
    // Fetched over ten minutes ago: due for a refresh, the shared key serving meanwhile.
    let mut cache = KeyCache::default();
    cache.adopt(key_set(), 300);
    assert!(refetch_with_fallback(cache.lookup("k1", 1_000, &policy)));
    // Fetched over an hour ago: never used, a fetch decides.
    let mut cache = KeyCache::default();
    cache.adopt(key_set(), 1_000);
    assert_eq!(cache.lookup("k1", 4_600, &policy), KeyLookup::Refetch { fallback: None });
    assert!(!cache.usable(4_600, &policy));
}

#[test]
fn a_cache_that_fetched_or_tried_keeps_its_own_keys_over_a_shared_set() {
    let policy = policy();
    let mut fetched = KeyCache::default();
    fetched.replace(key_set()[..1].to_vec(), 1_000);
    assert!(!fetched.adopt(key_set(), 1_050));
    assert_eq!(fetched.keys().len(), 1, "the isolate's own fetch stays");
    // One whose fetch failed backs off as before: a shared set does not reset its backoff.
    let mut failed = KeyCache::default();
    failed.fetch_failed(1_000);
    assert!(!failed.adopt(key_set(), 999));
    assert_eq!(
        failed.lookup("k1", 1_000, &policy),
        KeyLookup::Unavailable { fetched_at_s: None, retry_in_s: 1 }
    );
}

/// Runs a future that never waits (the checkers below answer at once).
fn at_once<T>(future: impl Future<Output = T>) -> T {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(value) => value,
        std::task::Poll::Pending => panic!("the checker waited"),
    }
}

#[test]
fn a_signature_checked_elsewhere_decides_like_the_pure_rust_one() {
    let set = key_set();
    let good = token(&person_claims());
    // Signed by the second key, but naming the first.
    let forged = sign_rs256(&person_claims(), "k1", &keys()[1]);
    let pure = async |key: &VerificationKey, signed: &[u8], signature: &[u8]| {
        use rsa::pkcs1v15::{Signature, VerifyingKey};
        use rsa::signature::Verifier;
        let Ok(signature) = Signature::try_from(signature) else { return false };
        VerifyingKey::<rsa::sha2::Sha256>::new(key.key.clone()).verify(signed, &signature).is_ok()
    };
    for token in [&good, &forged] {
        let elsewhere = at_once(verify_with(token, &set, &expect(), NOW, pure));
        assert_eq!(elsewhere, verify(token, &set, &expect(), NOW), "{token}");
    }
    assert!(at_once(verify_with(&good, &set, &expect(), NOW, pure)).is_ok());

    // The claims are checked only after the signature, and only when it holds.
    let refuses = async |_: &VerificationKey, _: &[u8], _: &[u8]| false;
    let refused = at_once(verify_with(&good, &set, &expect(), NOW, refuses));
    assert_eq!(refused, Err(JwtError::BadSignature));
}
