//! Validated domain values: text from users and from Okta becomes one of these at the edge of
//! the program, or a precise error.

mod access;
mod okta_ids;
mod tenant_url;

pub use access::{BuiltInRole, Permission, permissions_of};
pub use okta_ids::{AppId, AppIdError};
pub use tenant_url::{TenantUrl, TenantUrlError, TenantUrlPolicy};
