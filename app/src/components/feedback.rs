//! Loading, error and "not allowed" states, the same on every screen.

use groupsync_core::api::ProblemCode;
use groupsync_core::domain::{BuiltInRole, Permission};
use leptos::prelude::*;

use crate::api::ClientError;
use crate::dynamic::{BoxedView, Dynamic, IntoBoxedView, dynamic};
use crate::forms::field_problem_in_words;
use crate::session::Session;

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
    // Okta not configured yet: the next step is a screen away, so link it.
    let configure = error.is_code(ProblemCode::OktaNotConfigured);
    view! {
        <div class="alert alert--error" role="alert">
            {error_text(&error)}
            {configure.then(|| view! { " " <a href="/settings/okta">"Open Settings → Okta API Access"</a> })}
        </div>
    }
}

/// What a signed-out person reads where a screen would be.
pub const SIGNED_OUT: &str = "You are not signed in. Open this app from your company's Okta \
     dashboard or the link your admin gave you (it signs you in through Cloudflare Access); on a \
     local stack, sign in with your email at the top of the page.";

/// The words for an error: a problem about a form's field named by its label, else what kind of
/// failure, then the edge's detail.
pub fn error_text(error: &ClientError) -> String {
    if let ClientError::Api(problem) = error
        && let Some(text) = field_problem_in_words(problem)
    {
        return text;
    }
    match error.status() {
        // The edge's words are for programs (they mention API keys): people get their own.
        Some(401) => SIGNED_OUT.to_owned(),
        Some(403) => format!("Not allowed: {error} {ASK_A_SUPER_ADMIN}"),
        Some(409 | 412) if !error.is_code(ProblemCode::OktaNotConfigured) => {
            format!("Conflict: {error}")
        }
        _ => error.to_string(),
    }
}

/// The next step for someone without the role a screen needs: who can give it.
const ASK_FOR_A_ROLE: &str = "Roles come from your Okta groups: ask a superAdmin of this app to \
     give one of your groups the role, or your Okta admin to add you to a group that has it.";

/// The next step for someone refused what only superAdmins (or a role) may do.
const ASK_A_SUPER_ADMIN: &str = "Ask a superAdmin of this app if you need it.";

/// A screen or action the caller may not use, with the reason and who to ask.
#[component]
pub fn NotAllowed(
    /// Why, e.g. "Only superAdmins may change the Okta settings."
    #[prop(into)]
    reason: String,
    /// What it needs: the next step depends on whether a role grants it.
    permission: Permission,
) -> impl IntoView {
    let ask = if BuiltInRole::least_granting(permission).is_some() {
        ASK_FOR_A_ROLE
    } else {
        ASK_A_SUPER_ADMIN
    };
    view! {
        <div class="alert alert--info" role="note">
            {reason}
            " "
            {ask}
        </div>
    }
}

/// Moves the keyboard focus to the element with `id` once it is in the page (after an action,
/// so that screen readers read its outcome).
pub fn focus_by_id(id: &'static str) {
    focus_by_id_owned(id.to_owned());
}

/// As [`focus_by_id`], for an id made at run time (a row's).
pub fn focus_by_id_owned(id: String) {
    request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        let element = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(&id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(element) = element {
            let _ = element.focus();
        }
    });
}

/// A move of the keyboard focus into a view about to be redrawn (another page of a table).
///
/// Asked for when the reader asks for the page, made once the page is drawn: a redrawn view
/// replaces the nodes that had the focus (see `dynamic`).
#[derive(Debug, Clone, Copy)]
pub struct FocusOnDraw(StoredValue<Option<&'static str>>);

impl FocusOnDraw {
    /// Nothing to focus yet.
    pub fn new() -> Self {
        Self(StoredValue::new(None))
    }

    /// Focus the element with `id` once the next answer is drawn.
    pub fn request(&self, id: &'static str) {
        self.0.set_value(Some(id));
    }

    /// Called where an answer is drawn: makes the move asked for, if any.
    pub fn drawn(&self) {
        if let Some(id) = self.0.try_update_value(Option::take).flatten() {
            focus_by_id(id);
        }
    }
}

impl Default for FocusOnDraw {
    fn default() -> Self {
        Self::new()
    }
}

/// A screen's content, shown once the caller is known to hold `permission`; until then who
/// they are is being checked, and without it the screen says why not.
#[component]
pub fn Gate(
    /// What the content needs.
    permission: Permission,
    /// Why not, for those without it.
    reason: &'static str,
    /// The content.
    children: ChildrenFn,
) -> impl IntoView {
    let session = Session::get();
    dynamic(move || match session.me() {
        None => loading("Checking who you are…"),
        Some(Err(error)) => failed(error),
        Some(Ok(_)) if !session.can(permission) => {
            view! { <NotAllowed reason permission /> }.boxed()
        }
        Some(Ok(_)) => children().boxed(),
    })
}

/// A read that may still be on its way: loading, its error, or `render` of its answer.
pub fn awaited<T: 'static>(
    answer: impl Fn() -> Option<Result<T, ClientError>> + Send + 'static,
    label: &'static str,
    render: impl Fn(T) -> BoxedView + Send + 'static,
) -> Dynamic {
    dynamic(move || match answer() {
        None => loading(label),
        Some(Err(error)) => failed(error),
        Some(Ok(value)) => render(value),
    })
}

// Not inlined: every screen shares these two.
#[inline(never)]
fn loading(label: &'static str) -> BoxedView {
    view! { <Loading label /> }.boxed()
}

#[inline(never)]
fn failed(error: ClientError) -> BoxedView {
    view! { <ErrorAlert error /> }.boxed()
}
