//! End-to-end tests of the SPA in headless Chromium (Debian's `chromium`, driven by its
//! `chromedriver` over WebDriver), against the Worker and the SPA served by `wrangler dev` and a
//! fake Okta tenant. One test per behaviour a person relies on.
//!
//! Run with `cargo xtask test` (which installs Chromium and builds everything first).

mod accessibility;
mod browser;
mod groups;
mod identity;
mod invite;
mod members;
mod navigation;
mod product;
mod roles;
mod settings;
mod sync;
mod sync_alarm;
mod webhooks;
