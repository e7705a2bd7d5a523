//! The banner superAdmins see on every screen while Okta sync keeps failing: since when, why
//! (the last failure's sentence) and where to act.

use std::cell::Cell;

use leptos::prelude::*;

use crate::api::{self, SyncAlarmStatus};
use crate::dynamic::{IntoBoxedView, dynamic};
use crate::remote::Remote;
use crate::session::Session;
use crate::text::{count, when};

/// Whether sync keeps failing, asked once the caller is known to be a superAdmin (nobody else
/// asks), and again when a run watched in this tab ends.
#[derive(Debug, Clone, Copy)]
pub struct SyncAlarm(Remote<Option<SyncAlarmStatus>>);

thread_local! {
    /// The app's alarm: the banner shows it, and [`SyncAlarm::refresh`] finds it from a task
    /// that has no reactive owner (a context could not be found there).
    static ALARM: Cell<Option<SyncAlarm>> = const { Cell::new(None) };
}

impl SyncAlarm {
    /// Asks (for superAdmins), for the banner and [`SyncAlarm::refresh`].
    pub fn provide() {
        let session = Session::get();
        let status = Remote::new(move || {
            let super_admin = session.is_super_admin();
            async move { if super_admin { api::get_sync_status().await.map(Some) } else { Ok(None) } }
        });
        ALARM.set(Some(Self(status)));
    }

    /// Asks again, when the app has an alarm (not in a component test): a run has ended.
    pub fn refresh() {
        if let Some(alarm) = ALARM.get() {
            alarm.0.refetch();
        }
    }
}

/// "Okta sync has been failing since …", with the last failure's sentence and a link to the
/// Okta settings; nothing while sync works (or for anyone but a superAdmin).
#[component]
pub fn SyncAlarmBanner() -> impl IntoView {
    let alarm = ALARM.get();
    dynamic(move || {
        let Some(Some(Ok(Some(status)))) = alarm.map(|alarm| alarm.0.get()) else {
            return ().boxed();
        };
        let Some(since) = status.failing_since else {
            return ().boxed();
        };
        let runs = count(u64::from(status.failures), "failed run", "failed runs in a row");
        let text = format!(
            "Okta sync has been failing since {} ({runs}). {} ",
            when(&since),
            status.last_error.unwrap_or_default()
        );
        view! {
            <p class="alert alert--error sync-alarm" role="alert">
                {text}
                <a href="/settings/okta">"Check Okta API Access"</a>
            </p>
        }
        .boxed()
    })
}
