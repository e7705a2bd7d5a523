//! Identity: verifying the Cloudflare Access JWTs that say who is calling, and the key-cache
//! policy that keeps forged key ids from turning into a flood of key fetches.

mod jwks;
mod jwt;
mod key_cache;

pub use jwks::{JwksError, VerificationKey, parse_jwks};
pub use jwt::{
    Claims, Expectations, JwtError, MAX_TOKEN_BYTES, key_id, sign_rs256, verify, verify_with,
};
pub use key_cache::{DEFAULT_MAX_STALE_S, KeyCache, KeyLookup, KeyPolicy};

#[cfg(test)]
mod tests;
