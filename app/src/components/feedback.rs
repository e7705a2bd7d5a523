//! Loading, error and "not allowed" states, the same on every screen.

use leptos::prelude::*;

use crate::api::ClientError;

/// A read in progress.
#[component]
pub fn Loading(
    /// What is being loaded, e.g. "Loading the groups…".
    #[prop(into)]
    label: String,
) -> impl IntoView {
    view! {
        <p class="loading" role="status">
            {label}
        </p>
    }
}

/// An error from the edge, with its problem+json detail; a 403 reads as "not allowed", never as
/// a crash.
#[component]
pub fn ErrorAlert(
    /// What failed.
    error: ClientError,
) -> impl IntoView {
    view! {
        <div class="alert alert--error" role="alert">
            {error_text(&error)}
        </div>
    }
}

/// The words for an error: what kind of failure, then the edge's detail.
pub fn error_text(error: &ClientError) -> String {
    match error.status() {
        Some(401) => format!("Sign in to continue. {error}"),
        Some(403) => format!("Not allowed: {error}"),
        Some(409 | 412) => format!("Conflict: {error}"),
        _ => error.to_string(),
    }
}

/// A screen or action the caller may not use, with the reason.
#[component]
pub fn NotAllowed(
    /// Why, e.g. "Only superAdmins may change the Okta settings."
    #[prop(into)]
    reason: String,
) -> impl IntoView {
    view! {
        <div class="alert alert--info" role="note">
            {reason}
        </div>
    }
}

/// Moves the keyboard focus to the element with `id` once it is in the page (after an action,
/// so that screen readers read its outcome).
pub fn focus_by_id(id: &'static str) {
    request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        let element = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(element) = element {
            let _ = element.focus();
        }
    });
}
