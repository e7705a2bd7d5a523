//! The backend status shown in the header of every screen.

use leptos::prelude::*;

use crate::dynamic::{IntoBoxedView, dynamic, handler};
use crate::remote::Remote;

use crate::api::{self, ClientError, Health};

/// Asks the edge for its health once, and shows whether it and its database answer, with a
/// retry when they don't.
#[component]
pub fn BackendStatus() -> impl IntoView {
    let health = Remote::call(api::get_health);
    view! {
        <div class="backend-status">
            {dynamic(move || (match health.get() {
                None => {
                    view! {
                        <p class="backend-status__text" role="status">
                            "Checking the backend…"
                        </p>
                    }
                        .boxed()
                }
                Some(Ok(health)) => view! { <HealthSummary health /> }.boxed(),
                Some(Err(error)) => {
                    view! { <HealthError error on_retry=move || health.refetch() /> }.boxed()
                }
            }).boxed())}
        </div>
    }
}

/// The answered health: online with the database, or degraded without it.
#[component]
fn HealthSummary(
    /// What `GET /api/v1/health` answered.
    health: Health,
) -> impl IntoView {
    let (modifier, text) = if health.database_ok {
        ("ok", format!("Backend online · database OK · v{}", health.version))
    } else {
        ("degraded", format!("Backend degraded · database not answering · v{}", health.version))
    };
    view! {
        <p class=format!("backend-status__text backend-status__text--{modifier}") role="status">
            <span class="backend-status__dot" aria-hidden="true"></span>
            {text}
        </p>
    }
}

/// The backend could not be asked: why, and a way to ask again.
#[component]
fn HealthError(
    /// Why the health request failed.
    error: ClientError,
    /// Called when the user asks to check again.
    on_retry: impl Fn() + 'static,
) -> impl IntoView {
    view! {
        <p class="backend-status__text backend-status__text--down" role="alert">
            <span class="backend-status__dot" aria-hidden="true"></span>
            {format!("Backend unreachable: {error}")}
        </p>
        <button type="button" class="backend-status__retry" on:click=handler(move |_| on_retry())>
            "Retry"
        </button>
    }
}
