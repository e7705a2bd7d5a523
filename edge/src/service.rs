//! Use cases and their pure helpers, natively testable: the sealing of the Okta token, API-key
//! secrets, and the checks that guard writes.

pub mod access;
pub mod api_keys;
pub mod connection_test;
pub mod sealed_token;
