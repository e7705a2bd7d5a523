//! OAuth 2.0 for the Okta management APIs (CONTRACT.md §9): the second credential type, an
//! Okta "API Services" app that authenticates with a private key instead of an SSWS token.
//!
//! Everything here is pure: no I/O, no clock, no randomness. The client
//! ([`OktaClient::with_credential`](super::OktaClient::with_credential) with a
//! [`ServiceAppCredential`](super::ServiceAppCredential)) supplies the time, the unique ids and
//! the network, and these pieces decide what to send and what an answer means. That keeps each
//! rule testable natively and identical in the Worker.
//!
//! The flow the pieces serve:
//!
//! 1. [`ServiceAppKey`]: our RS256 key. The admin registers its public half ([`PublicJwk`], whose
//!    `kid` is the RFC 7638 thumbprint) in Okta; the private half is kept sealed as PKCS#8.
//! 2. [`ClientAssertion`]: `private_key_jwt` is the only client authentication Okta allows for
//!    service apps asking for Okta API scopes, so every token request carries a short-lived JWT
//!    signed with that key, placed in a [`TokenRequestBody`] for the org token endpoint
//!    ([`token_endpoint`]).
//! 3. [`DpopProof`]: when the app requires `DPoP` (RFC 9449), the token request and every API call
//!    carry a proof signed by the same key; Okta first answers `use_dpop_nonce` with a
//!    [`DpopNonce`] to put in the next proof, and API calls bind the proof to the token (`ath`).
//! 4. [`parse_token_answer`]: the token endpoint's answer is untrusted input; it becomes an
//!    [`IssuedToken`] or a [`TokenEndpointError`] whose [`OAuthErrorKind`] names the likely cause
//!    (wrong key, missing scope, `DPoP` setting) for the admin.
//! 5. [`TokenCache`], [`UnauthorizedRule`] and [`NonceRule`]: when to reuse the token (until
//!    five minutes before it expires), when a 401 earns one fresh token before failing, and when
//!    a nonce challenge earns one retry.
//!
//! Every type holding something that could be replayed (the private key, the assertion, a proof,
//! the form body, the access token) has a redacted `Debug` and no `Display`, like
//! [`OktaToken`](super::OktaToken): the token never leaves the Worker and never appears in a log.

mod answer;
mod cache;
mod dpop;
mod key;
mod request;

pub use answer::{
    AccessToken, IssuedToken, MAX_ACCESS_TOKEN_BYTES, MAX_ANSWER_BYTES, MAX_EXPIRES_IN_S,
    OAuthError, OAuthErrorKind, TokenEndpointError, TokenType, parse_token_answer,
};
pub use cache::{
    AfterNonceChallenge, AfterUnauthorized, CachedToken, NonceRule, RENEW_EARLY_S, TokenCache,
    TokenGeneration, TokenLifetime, UnauthorizedRule,
};
pub use dpop::{DpopClaims, DpopNonce, DpopProof, Method, access_token_hash, htu};
pub use key::{
    KeyError, MAX_KEY_BITS, MIN_KEY_BITS, Pkcs8Der, PublicJwk, ServiceAppKey, jwk_has_kid,
};
pub use request::{
    ASSERTION_LIFETIME_S, CLIENT_ASSERTION_TYPE, ClientAssertion, FORM_CONTENT_TYPE, SCOPES,
    TOKEN_PATH, TokenRequestBody, token_endpoint,
};

#[cfg(test)]
pub(crate) mod fixtures;
