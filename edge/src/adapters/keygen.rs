//! Key pairs for the Okta service app, made by the runtime's `WebCrypto`
//! (`crypto.subtle.generateKey`): native code in workerd, where an RSA key in Rust compiled to
//! wasm would take seconds of CPU to find its primes. The private key is exported once as PKCS#8,
//! to be sealed; it never leaves the Worker.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto, WorkerGlobalScope};

use groupsync_core::api::ProblemCode;
use groupsync_core::okta::oauth::ServiceAppKey;

use crate::error::ApiError;
use crate::service::ports::KeyMaker;
use crate::service::service_app::KeyPair;

/// RS256: the algorithm Okta accepts for `private_key_jwt` with an RSA key.
const ALGORITHM: &str = "RSASSA-PKCS1-v1_5";
/// The modulus size: 2048 bits, what Okta's own examples use, and the cheapest to sign with.
const MODULUS_BITS: u32 = 2048;

/// Key pairs from `WebCrypto`.
pub(crate) struct WebCryptoKeys;

impl KeyMaker for WebCryptoKeys {
    async fn new_key_pair(&self) -> Result<KeyPair, ApiError> {
        let subtle = subtle().map_err(failed)?;
        Ok(KeyPair { client: rsa_key(&subtle).await?, dpop: rsa_key(&subtle).await? })
    }
}

fn subtle() -> Result<SubtleCrypto, JsValue> {
    Ok(js_sys::global().unchecked_into::<WorkerGlobalScope>().crypto()?.subtle())
}

/// A new RSA key, read back through its PKCS#8 export.
async fn rsa_key(subtle: &SubtleCrypto) -> Result<ServiceAppKey, ApiError> {
    let der = exported_private_key(subtle).await.map_err(failed)?;
    ServiceAppKey::from_pkcs8_der(&der).map_err(|e| failed(JsValue::from_str(&e.to_string())))
}

async fn exported_private_key(subtle: &SubtleCrypto) -> Result<Vec<u8>, JsValue> {
    let algorithm = Object::new();
    Reflect::set(&algorithm, &"name".into(), &ALGORITHM.into())?;
    Reflect::set(&algorithm, &"modulusLength".into(), &MODULUS_BITS.into())?;
    Reflect::set(&algorithm, &"publicExponent".into(), &Uint8Array::from(&[1_u8, 0, 1][..]))?;
    Reflect::set(&algorithm, &"hash".into(), &"SHA-256".into())?;
    let usages = Array::of2(&"sign".into(), &"verify".into());
    let pair = JsFuture::from(subtle.generate_key_with_object(&algorithm, true, &usages)?).await?;
    let private: CryptoKey = Reflect::get(&pair, &"privateKey".into())?.dyn_into()?;
    let exported = JsFuture::from(subtle.export_key("pkcs8", &private)?).await?;
    Ok(Uint8Array::new(&exported).to_vec())
}

/// The runtime's reason goes to the log (it names no key), the caller gets a plain sentence.
fn failed(error: JsValue) -> ApiError {
    worker::console_error!("WebCrypto could not make a key pair: {error:?}");
    ApiError::client(
        ProblemCode::Internal,
        "The Worker could not make a key pair (its log says why). Try again.",
    )
}
