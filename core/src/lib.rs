//! Okta Groups Sync's shared core: the JSON wire types of the edge API (`api`) and the pure
//! domain logic that the SPA, the Worker and the tests agree on.
//!
//! This crate does no I/O of its own and depends on neither `worker` nor `leptos`, so it builds
//! natively (where most of the project's unit tests run) and for `wasm32-unknown-unknown`.

pub mod api;
pub mod auth;
pub mod domain;
pub mod okta;

/// The version of this build, reported by `GET /api/v1/health` and shown in the SPA.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
