//! Use cases and their pure helpers, natively testable: who may do what, API-key secrets, the
//! rules of writes, and the ports (traits) through which they reach D1 and Okta.
//!
//! Refers only to `error`, `config` and `sealed_token` below it: the adapters implement the
//! ports, and the handlers call one use case each.

pub mod access;
pub mod access_check;
pub mod api_keys;
pub mod catalog;
pub mod connection_test;
pub mod credentials;
pub mod groups;
pub mod invitations;
pub mod okta_hooks;
pub mod okta_settings;
pub mod okta_token;
pub mod person_access;
pub mod ports;
pub mod service_app;
pub mod webhooks;

#[cfg(test)]
mod fakes;
