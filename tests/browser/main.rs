//! End-to-end tests of the SPA in headless Chromium (Debian's `chromium`, driven by its
//! `chromedriver` over WebDriver), against the Worker and the SPA served by `wrangler dev`.
//!
//! Run with `cargo xtask test` (which installs Chromium and builds everything first).

mod browser;
mod identity;
mod navigation;
