//! The Okta Management API client: the calls the product makes, Okta's paging by `Link`
//! headers, its errors typed by `errorCode`, and a rate governor that stays within a share of
//! each rate-limit bucket.
//!
//! It authenticates with an SSWS API token or as an OAuth 2.0 service app ([`OktaCredential`],
//! [`oauth`]).
//!
//! The client does no I/O of its own: it sends through an [`HttpTransport`] and waits through a
//! [`Clock`], so the same code runs natively (tests, benchmarks) and in the Worker (Workers
//! fetch). See `../shared/okta/CONTRACT.md` for the facts it follows.

mod client;
mod credential;
mod date;
mod error;
mod governor;
mod link;
mod model;
pub mod oauth;
mod origin;
mod token;
mod transport;

pub use client::{ClientConfig, ClientStats, OktaClient, Page, PageUrl};
pub use credential::{OktaCredential, ServiceAppCredential};
pub use error::{OktaError, OktaErrorKind, ServiceAppProblem};
pub use model::{
    OktaApp, OktaGroup, OktaGroupAssignment, OktaGroupProfile, OktaUser, OktaUserProfile,
    OktaUserStatus,
};
pub use origin::{OriginError, TenantOrigin};
pub use token::OktaToken;
pub use transport::{Clock, HttpRequest, HttpResponse, HttpTransport, TransportError};
