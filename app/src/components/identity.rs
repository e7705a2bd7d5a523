//! Who is signed in, in the header of every screen; and, locally, the dev sign-in form.

use groupsync_core::api::{CallerKind, MeResponse};
use leptos::prelude::*;

use crate::dynamic::{IntoBoxedView, dynamic, handler, keep_value, submit};

use crate::api::{self, ClientError};
use crate::session::Session;

/// Who the caller is, with their standing; a 401 shows how to sign in.
#[component]
pub fn IdentityBar() -> impl IntoView {
    let session = Session::get();
    view! {
        <div class="identity">
            {dynamic(move || (match session.me() {
                None => view! { <p class="identity__text">"Checking who you are…"</p> }.boxed(),
                Some(Ok(me)) => view! { <SignedIn me /> }.boxed(),
                Some(Err(ClientError::Api(problem))) if problem.status == 401 => {
                    view! { <SignIn /> }.boxed()
                }
                Some(Err(error)) => {
                    view! {
                        <p class="identity__text identity__text--error" role="alert">
                            {error.to_string()}
                        </p>
                    }
                        .boxed()
                }
            }).boxed())}
        </div>
    }
}

/// The standing shown beside a name: superAdmin, the roles, or none.
pub fn standing(me: &MeResponse) -> String {
    if me.super_admin {
        "superAdmin".to_owned()
    } else if !me.roles.is_empty() {
        me.roles.iter().map(|r| r.display_name()).collect::<Vec<_>>().join(", ")
    } else if me.kind == CallerKind::Machine {
        "machine client".to_owned()
    } else {
        "no role".to_owned()
    }
}

/// Starts the app again, so that every screen asks the edge with the new identity.
fn reload() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

/// The signed-in caller: name, superAdmin or roles, and (for a dev sign-in) a way out.
#[component]
fn SignedIn(
    /// Who the edge says the caller is.
    me: MeResponse,
) -> impl IntoView {
    let standing = standing(&me);
    // Why a person holds nothing when it is not plain (an email several Okta users share).
    let note = me.notes.first().cloned();
    view! {
        <p class="identity__text">
            "Signed in as " <strong class="identity__name">{me.name}</strong> " · " {standing}
        </p>
        {note.map(|note| view! { <p class="identity__text identity__text--error" role="note">{note}</p> })}
        {api::has_dev_token()
            .then(|| view! {
            <button
                type="button"
                class="button button--quiet"
                on:click=handler(move |_| {
                    api::dev_sign_out();
                    reload();
                })
            >
                "Sign out"
            </button>
            })}
    }
}

/// The local dev sign-in: any email, only where the edge allows it (local, loopback).
#[component]
fn SignIn() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let sign_in = Action::new_local(move |address: &String| api::dev_sign_in(address.clone()));
    Effect::new(move || {
        if matches!(sign_in.value().get(), Some(Ok(_))) {
            reload();
        }
    });
    let failure = move || match sign_in.value().get() {
        Some(Err(ClientError::Api(problem))) if problem.status == 404 => Some(
            "Sign in through your company's Okta (Cloudflare Access); the local sign-in is not \
             available here."
                .to_owned(),
        ),
        Some(Err(error)) => Some(error.to_string()),
        _ => None,
    };
    view! {
        <form
            class="identity__sign-in"
            on:submit=submit(move || {
                sign_in.dispatch(email.get_untracked());
            })
        >
            <label for="dev-sign-in-email">"Email (local sign-in)"</label>
            <input
                id="dev-sign-in-email"
                type="email"
                autocomplete="email"
                required=true
                prop:value=move || email.get()
                on:input=keep_value(email)
            />
            <button type="submit" class="button" disabled=move || sign_in.pending().get()>
                "Sign in"
            </button>
            {dynamic(move || ({
                failure()
                    .map(|text| view! { <p class="identity__text--error" role="alert">{text}</p> })
            }).boxed())}
        </form>
    }
}
