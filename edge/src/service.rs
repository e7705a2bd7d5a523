//! Use cases and their pure helpers, natively testable: who may do what, API-key
//! secrets, and the checks that guard writes.

pub mod access;
pub mod api_keys;
pub mod connection_test;
