//! Reusable pieces of the screens.

pub mod backend_status;
pub mod identity;
