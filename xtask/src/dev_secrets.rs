//! The local stack's secrets: the dev sign-in's RSA key, the key that encrypts a typed Okta token
//! and the API-key pepper. Made once per checkout with fresh randomness and kept in
//! `.run/dev-secrets.json` (git-ignored), so that tokens stored locally still open after a
//! restart. Never used outside `cargo xtask dev`.

use std::fs;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs8::EncodePrivateKey;
use rsa::{Generate, PrivateKey};
use serde_json::{Value, json};

use crate::process::Failure;

const FILE: &str = ".run/dev-secrets.json";

/// The Worker variables that carry the local secrets, made on first use.
pub(crate) fn load_or_create(root: &Path) -> Result<Vec<(String, String)>, Failure> {
    let path = root.join(FILE);
    let secrets: Value = match fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map_err(|e| Failure::new(format!("{FILE} is damaged ({e}); delete it")))?,
        Err(_) => {
            let secrets = create()?;
            fs::create_dir_all(root.join(".run"))
                .map_err(|e| Failure::new(format!("creating .run/: {e}")))?;
            fs::write(&path, secrets.to_string())
                .map_err(|e| Failure::new(format!("writing {FILE}: {e}")))?;
            secrets
        }
    };
    let names = ["DEV_SIGNING_KEY", "TOKEN_ENCRYPTION_KEY", "API_KEY_PEPPER"];
    names
        .into_iter()
        .map(|name| {
            let value = secrets[name]
                .as_str()
                .ok_or_else(|| Failure::new(format!("{FILE} lacks {name}; delete it")))?;
            Ok((name.to_owned(), value.to_owned()))
        })
        .collect()
}

fn create() -> Result<Value, Failure> {
    let key = PrivateKey::try_generate()
        .map_err(|e| Failure::new(format!("generating the dev key: {e}")))?;
    let der = key.to_pkcs8_der().map_err(|e| Failure::new(format!("encoding the dev key: {e}")))?;
    Ok(json!({
        "DEV_SIGNING_KEY": STANDARD.encode(der.as_bytes()),
        "TOKEN_ENCRYPTION_KEY": STANDARD.encode(random::<32>()?),
        "API_KEY_PEPPER": STANDARD.encode(random::<32>()?),
    }))
}

fn random<const N: usize>() -> Result<[u8; N], Failure> {
    let mut bytes = [0_u8; N];
    getrandom::fill(&mut bytes).map_err(|e| Failure::new(format!("no randomness: {e}")))?;
    Ok(bytes)
}
