//! Black-box tests of the fake Okta over real HTTP (reqwest), one module per concern.

mod binary;
mod conformance;
mod control;
mod errors;
mod faults;
mod helpers;
mod oauth;
mod paging;
mod rate_limits;
mod tenant;
