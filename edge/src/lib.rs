//! Okta Groups Sync's edge function: the Cloudflare Worker that serves `/api/v1`, holds the Okta
//! token, persists everything in D1 and coordinates sync runs in a Durable Object.
//!
//! Only the pure modules (`config`, `error`, `http::routes`) build natively, so that
//! `cargo test -p edge` runs their tests without the Workers runtime; the entry point, the
//! handlers and the adapters exist only for `wasm32`, where `worker` is available.

pub mod config;
pub mod error;
pub mod http;
pub mod sealed_token;
pub mod service;

#[cfg(target_arch = "wasm32")]
mod adapters;
#[cfg(target_arch = "wasm32")]
mod entry;
#[cfg(target_arch = "wasm32")]
mod okta_target;
#[cfg(target_arch = "wasm32")]
mod sync;
#[cfg(target_arch = "wasm32")]
mod webhooks;
