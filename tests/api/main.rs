//! Black-box tests of the edge API: the built Worker running in workerd under `wrangler dev`,
//! with fresh local D1/KV/DO state, driven over HTTP like any other client.
//!
//! Run with `cargo xtask test` (which builds the Worker and the SPA first).

mod access_check;
mod access_rules;
mod admin;
mod audit;
mod auth;
mod client;
mod contract;
mod credentials;
mod fuzz;
mod health;
mod helpers;
mod hostile_input;
mod invitations;
mod okta_hooks;
mod paging;
mod receiver;
mod routing;
mod secrets;
mod service_app;
mod settings;
mod sync;
mod sync_crash;
mod sync_faults;
mod sync_scale;
mod webhooks;
mod world;
