//! The local stack's secrets: the dev sign-in's RSA key, the token encryption key, the pepper.
//!
//! Made once per checkout with fresh randomness and kept in `.run/dev.vars` (git-ignored), so
//! that tokens stored locally still open after a restart. wrangler reads the file with
//! `--env-file`, so it treats the values as secrets and never prints them. Never used outside
//! `cargo xtask dev`.

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs8::EncodePrivateKey;
use rsa::{Generate, PrivateKey};

use crate::process::Failure;

const FILE: &str = ".run/dev.vars";

/// The path of the secrets file, made on first use.
pub(crate) fn env_file(root: &Path) -> Result<PathBuf, Failure> {
    let path = root.join(FILE);
    if path.is_file() {
        return Ok(path);
    }
    let key = PrivateKey::try_generate()
        .map_err(|e| Failure::new(format!("generating the dev key: {e}")))?;
    let der = key.to_pkcs8_der().map_err(|e| Failure::new(format!("encoding the dev key: {e}")))?;
    let text = format!(
        "DEV_SIGNING_KEY={}\nTOKEN_ENCRYPTION_KEY={}\nAPI_KEY_PEPPER={}\n",
        STANDARD.encode(der.as_bytes()),
        STANDARD.encode(random::<32>()?),
        STANDARD.encode(random::<32>()?)
    );
    fs::create_dir_all(root.join(".run"))
        .map_err(|e| Failure::new(format!("creating .run/: {e}")))?;
    fs::write(&path, text).map_err(|e| Failure::new(format!("writing {FILE}: {e}")))?;
    Ok(path)
}

fn random<const N: usize>() -> Result<[u8; N], Failure> {
    let mut bytes = [0_u8; N];
    getrandom::fill(&mut bytes).map_err(|e| Failure::new(format!("no randomness: {e}")))?;
    Ok(bytes)
}
