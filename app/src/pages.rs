//! One module per screen.

pub mod audit;
pub mod group_detail;
pub mod groups;
pub mod invite;
pub mod not_found;
pub mod roles;
pub mod settings;
pub mod sync_history;
pub mod sync_run;
