//! The HTTP surface of the Worker: the route table and the listings' query (pure,
//! native-testable) and, in wasm32, the handlers and the response helpers that turn results into
//! HTTP answers.

pub mod audit_csv;
pub mod guard;
pub mod listing;
pub mod openapi;
pub mod routes;

#[cfg(target_arch = "wasm32")]
pub(crate) mod context;
#[cfg(target_arch = "wasm32")]
pub(crate) mod handlers;
#[cfg(target_arch = "wasm32")]
pub(crate) mod identity;
#[cfg(target_arch = "wasm32")]
pub(crate) mod respond;
#[cfg(target_arch = "wasm32")]
pub(crate) mod webcrypto;
