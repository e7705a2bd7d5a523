//! RS256 signatures checked by the runtime's `WebCrypto` (`crypto.subtle.verify`) instead of
//! Rust compiled to wasm: in workerd it is native code, measured in `benches/load.rs` (see the
//! README's figures). The token's other checks stay `groupsync_core::auth`'s, tested natively
//! with the pure-Rust verifier, which gives the same answers.
//!
//! Imported keys are kept per isolate by key id and modulus, so a key is imported once; a key
//! that cannot be imported, or a failing verification, counts as a signature that does not hold
//! (the request is refused).

use std::cell::RefCell;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use groupsync_core::auth::VerificationKey;
use js_sys::{Array, Object};
use rsa::traits::PublicKeyParts;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto, WorkerGlobalScope};
use worker::console_warn;

/// The most imported keys kept: Access publishes two or three at a time.
const MAX_IMPORTED: usize = 8;

/// RS256 is RSASSA-PKCS1-v1_5 with SHA-256.
const ALGORITHM: &str = "RSASSA-PKCS1-v1_5";

thread_local! {
    /// Keys imported into `WebCrypto`: key id, modulus, the imported key.
    static IMPORTED: RefCell<Vec<(String, Vec<u8>, CryptoKey)>> = const { RefCell::new(Vec::new()) };
}

/// Whether `signature` is `key`'s RS256 signature of `signed`.
pub(crate) async fn rs256_signature_holds(
    key: &VerificationKey,
    signed: &[u8],
    signature: &[u8],
) -> bool {
    match verify(key, signed, signature).await {
        Ok(holds) => holds,
        Err(error) => {
            console_warn!("WebCrypto could not check a signature: {error:?}");
            false
        }
    }
}

async fn verify(key: &VerificationKey, signed: &[u8], signature: &[u8]) -> Result<bool, JsValue> {
    let subtle = js_sys::global().unchecked_into::<WorkerGlobalScope>().crypto()?.subtle();
    let crypto_key = imported(&subtle, key).await?;
    let promise = subtle.verify_with_str_and_u8_array_and_u8_array(
        ALGORITHM,
        &crypto_key,
        signature,
        signed,
    )?;
    Ok(JsFuture::from(promise).await?.as_bool() == Some(true))
}

/// `key` as a `WebCrypto` key, imported once per isolate.
async fn imported(subtle: &SubtleCrypto, key: &VerificationKey) -> Result<CryptoKey, JsValue> {
    let modulus = key.key.n_bytes();
    let found = IMPORTED.with_borrow(|keys| {
        keys.iter()
            .find(|(kid, n, _)| *kid == key.kid && **n == *modulus)
            .map(|(_, _, k)| k.clone())
    });
    if let Some(found) = found {
        return Ok(found);
    }
    let jwk = object(&[
        ("kty", "RSA".into()),
        ("n", URL_SAFE_NO_PAD.encode(&modulus).into()),
        ("e", URL_SAFE_NO_PAD.encode(key.key.e_bytes()).into()),
        ("alg", "RS256".into()),
        ("ext", true.into()),
    ])?;
    let algorithm = object(&[("name", ALGORITHM.into()), ("hash", "SHA-256".into())])?;
    let usages = Array::of1(&"verify".into());
    let promise = subtle.import_key_with_object("jwk", &jwk, &algorithm, false, &usages)?;
    let crypto_key: CryptoKey = JsFuture::from(promise).await?.unchecked_into();
    IMPORTED.with_borrow_mut(|keys| {
        if keys.len() >= MAX_IMPORTED {
            keys.clear();
        }
        keys.push((key.kid.clone(), modulus.to_vec(), crypto_key.clone()));
    });
    Ok(crypto_key)
}

fn object(fields: &[(&str, JsValue)]) -> Result<Object, JsValue> {
    let object = Object::new();
    for (name, value) in fields {
        js_sys::Reflect::set(&object, &(*name).into(), value)?;
    }
    Ok(object)
}
