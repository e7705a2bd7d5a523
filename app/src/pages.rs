//! One module per screen.

pub mod groups;
pub mod invite;
pub mod not_found;
pub mod settings;
