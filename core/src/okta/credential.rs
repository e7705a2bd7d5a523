//! How the client authenticates to Okta: an SSWS API token, or an OAuth 2.0 service app that
//! signs its own token requests (CONTRACT.md §9).

use std::fmt;

use super::oauth::{PublicJwk, ServiceAppKey};
use super::token::OktaToken;

/// The credential an [`OktaClient`](super::OktaClient) is built with.
///
/// Its `Debug` shows which kind it is and, for a service app, the client id and key id: never a
/// token or a private key.
#[derive(Debug)]
pub enum OktaCredential {
    /// An SSWS API token, sent as `Authorization: SSWS …` on every request.
    ApiToken(OktaToken),
    /// An "API Services" app: access tokens are requested from the org authorization server
    /// with a `private_key_jwt` client assertion and a `DPoP` proof, cached and renewed.
    ServiceApp(ServiceAppCredential),
}

impl From<OktaToken> for OktaCredential {
    fn from(token: OktaToken) -> Self {
        Self::ApiToken(token)
    }
}

impl From<ServiceAppCredential> for OktaCredential {
    fn from(app: ServiceAppCredential) -> Self {
        Self::ServiceApp(app)
    }
}

/// A service app's client id and private keys, and where its assertions and proofs get their
/// unique ids (`jti`).
///
/// Two keys, as Okta's `DPoP` guide asks: the client key signs the client assertions (its public
/// half is registered on the app), the `DPoP` key signs the proofs (its public half travels in
/// each proof, and the tokens are bound to it).
pub struct ServiceAppCredential {
    client_id: String,
    key: Box<ServiceAppKey>,
    dpop_key: Box<ServiceAppKey>,
    unique_id: Box<dyn Fn() -> String>,
}

impl ServiceAppCredential {
    /// The app `client_id` (Okta's `0oa…`), authenticating with `key`, whose public half is
    /// registered on the app, and proving possession of its tokens with `dpop_key` (another key).
    ///
    /// `unique_id` is called for every client assertion and `DPoP` proof, and must never return
    /// the same text twice (Okta refuses a replayed `jti`): in the Worker, 16 bytes from
    /// `crypto.getRandomValues` in base64url; in tests, a counter. The text goes into a JWT claim
    /// as is, so it should be short and printable.
    pub fn new(
        client_id: impl Into<String>,
        key: ServiceAppKey,
        dpop_key: ServiceAppKey,
        unique_id: impl Fn() -> String + 'static,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            key: Box::new(key),
            dpop_key: Box::new(dpop_key),
            unique_id: Box::new(unique_id),
        }
    }

    /// The app's client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The public key to register on the app.
    pub fn public_jwk(&self) -> &PublicJwk {
        self.key.public_jwk()
    }

    pub(super) fn key(&self) -> &ServiceAppKey {
        &self.key
    }

    pub(super) fn dpop_key(&self) -> &ServiceAppKey {
        &self.dpop_key
    }

    pub(super) fn unique_id(&self) -> String {
        (self.unique_id)()
    }
}

impl fmt::Debug for ServiceAppCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAppCredential")
            .field("client_id", &self.client_id)
            .field("key", &self.key)
            .field("dpop_key", &self.dpop_key)
            .finish_non_exhaustive()
    }
}
