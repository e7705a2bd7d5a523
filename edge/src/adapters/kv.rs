//! KV, for caches only: nothing read from it decides a request on its own. It holds Access's
//! public signing keys as the last isolate fetched them, so that a cold isolate (a new
//! deployment, another data center, an evicted one) verifies its first tokens without fetching
//! the key set again. The keys are parsed as hostile input when read, and the freshness policy
//! (`groupsync_core::auth::KeyPolicy`) judges them by when they were fetched, as if this isolate
//! had fetched them.

use serde::{Deserialize, Serialize};
use worker::{Env, KvStore, console_warn};

use crate::config::CACHE_BINDING;

/// The version of the entries' format, in their keys: a new format starts from an empty cache.
const KEY_PREFIX: &str = "access-keys:v1:";
/// KV's shortest expiry.
const MIN_TTL_S: u64 = 60;

/// The key set of an Access team's certs URL, as an isolate fetched it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SharedKeySet {
    /// The key set as the certs URL answered it (JWKS JSON), parsed again by its reader.
    pub(crate) jwks: String,
    /// When it was fetched, in epoch seconds.
    pub(crate) fetched_at_s: u64,
}

/// The cache namespace. Without the binding there is none (`Cache::open` is `None`), and each
/// isolate fetches the keys itself.
pub(crate) struct Cache {
    kv: KvStore,
}

impl Cache {
    /// Opens the namespace, if bound.
    pub(crate) fn open(env: &Env) -> Option<Self> {
        env.kv(CACHE_BINDING).ok().map(|kv| Self { kv })
    }

    /// The key set last stored for `certs_url`; `None` when there is none, or it cannot be read
    /// or parsed (a cache miss: the caller fetches).
    pub(crate) async fn access_keys(&self, certs_url: &str) -> Option<SharedKeySet> {
        let text = match self.kv.get(&key(certs_url)).text().await {
            Ok(text) => text?,
            Err(error) => {
                console_warn!("reading the shared Access keys failed: {error}");
                return None;
            }
        };
        serde_json::from_str(&text).ok()
    }

    /// Stores a freshly fetched key set for `certs_url`, kept for `keep_s` seconds (the stale
    /// window: an older set could not be used anyway). A failure only costs other isolates a
    /// fetch, so it is logged, not raised.
    pub(crate) async fn store_access_keys(&self, certs_url: &str, set: &SharedKeySet, keep_s: u64) {
        // A struct of a string and a number always serializes.
        let Ok(value) = serde_json::to_string(set) else { return };
        let stored = match self.kv.put(&key(certs_url), value) {
            Ok(put) => put.expiration_ttl(keep_s.max(MIN_TTL_S)).execute().await,
            Err(error) => Err(error),
        };
        if let Err(error) = stored {
            console_warn!("writing the shared Access keys failed: {error}");
        }
    }
}

fn key(certs_url: &str) -> String {
    format!("{KEY_PREFIX}{certs_url}")
}
