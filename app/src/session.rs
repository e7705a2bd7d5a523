//! Who is signed in, asked once per page load and shared with every screen through the context.
//! It only shapes what is shown: the edge decides every request on its own.

use groupsync_core::api::MeResponse;
use groupsync_core::domain::{BuiltInRole, Permission, beyond_caller};
use leptos::prelude::*;

use crate::api::{self, ClientError};
use crate::remote::Remote;

/// The caller as the edge sees them.
#[derive(Debug, Clone, Copy)]
pub struct Session {
    me: Remote<MeResponse>,
}

impl Session {
    /// Asks the edge who the caller is, and provides the answer to every screen.
    pub fn provide() -> Self {
        let session = Self { me: Remote::call(api::get_me) };
        provide_context(session);
        session
    }

    /// The session of the app.
    pub fn get() -> Self {
        expect_context::<Self>()
    }

    /// `None` while asking; then who the caller is, or why that is not known.
    pub fn me(&self) -> Option<Result<MeResponse, ClientError>> {
        self.me.get()
    }

    /// Whether the caller holds `permission` (false until the edge has answered).
    pub fn can(&self, permission: Permission) -> bool {
        matches!(self.me.get(), Some(Ok(me)) if me.permissions.contains(&permission))
    }

    /// Whether the caller may grant or remove `role`: only roles within their own permissions
    /// (the edge refuses the others; the screens do not offer them).
    pub fn may_hand_out(&self, role: BuiltInRole) -> bool {
        match self.me.get() {
            Some(Ok(me)) => {
                let held = me.permissions.iter().copied().collect();
                beyond_caller(&held, &[role]).is_none()
            }
            _ => false,
        }
    }

    /// Whether the caller is a superAdmin (false until the edge has answered).
    pub fn is_super_admin(&self) -> bool {
        matches!(self.me.get(), Some(Ok(me)) if me.super_admin)
    }

    /// Whether the edge has answered with an identity.
    pub fn is_signed_in(&self) -> bool {
        matches!(self.me.get(), Some(Ok(_)))
    }
}
