//! Reusable pieces of the screens.

pub mod backend_status;
pub mod feedback;
pub mod identity;
pub mod pager;
pub mod sync_alarm;
pub mod sync_panel;
pub mod table_scroll;
pub mod virtual_table;
