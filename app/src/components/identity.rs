//! Who is signed in, in the header of every screen; and, locally, the dev sign-in form.

use groupsync_core::api::{CallerKind, MeResponse};
use leptos::prelude::*;

use crate::api::{self, ClientError};

/// Asks the edge who the caller is, and shows it; a 401 shows how to sign in.
#[component]
pub fn IdentityBar() -> impl IntoView {
    // Bumped on every sign-in and sign-out, to ask again.
    let version = RwSignal::new(0_u32);
    let me = LocalResource::new(move || {
        version.get();
        api::get_me()
    });
    let refresh = move || version.update(|v| *v += 1);
    view! {
        <div class="identity">
            {move || match me.get() {
                None => view! { <p class="identity__text" role="status">"Checking who you are…"</p> }.into_any(),
                Some(Ok(me)) => view! { <SignedIn me on_sign_out=refresh /> }.into_any(),
                Some(Err(ClientError::Api(problem))) if problem.status == 401 => {
                    view! { <SignIn on_signed_in=refresh /> }.into_any()
                }
                Some(Err(error)) => {
                    view! { <p class="identity__text identity__text--error" role="alert">{error.to_string()}</p> }
                        .into_any()
                }
            }}
        </div>
    }
}

/// The signed-in caller: name, superAdmin or roles, and (for a dev sign-in) a way out.
#[component]
fn SignedIn(
    /// Who the edge says the caller is.
    me: MeResponse,
    /// Called after signing out.
    on_sign_out: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let standing = if me.super_admin {
        "superAdmin".to_owned()
    } else if me.roles.is_empty() {
        if me.kind == CallerKind::Machine {
            "machine client".to_owned()
        } else {
            "no role".to_owned()
        }
    } else {
        me.roles.iter().map(|r| r.display_name()).collect::<Vec<_>>().join(", ")
    };
    view! {
        <p class="identity__text">
            "Signed in as " <strong class="identity__name">{me.name.clone()}</strong> " · " {standing}
        </p>
        <Show when=api::has_dev_token>
            <button
                type="button"
                class="identity__sign-out"
                on:click=move |_| {
                    api::dev_sign_out();
                    on_sign_out();
                }
            >
                "Sign out"
            </button>
        </Show>
    }
}

/// The local dev sign-in: any email, only where the edge allows it (local, loopback).
#[component]
fn SignIn(
    /// Called after a successful sign-in.
    on_signed_in: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let sign_in = Action::new_local(move |address: &String| {
        let address = address.clone();
        async move { api::dev_sign_in(address).await }
    });
    Effect::new(move || {
        if matches!(sign_in.value().get(), Some(Ok(_))) {
            on_signed_in();
        }
    });
    let failure = move || {
        match sign_in.value().get() {
        Some(Err(ClientError::Api(problem))) if problem.status == 404 => Some(
            "Sign in through your company's Okta (Cloudflare Access); the local sign-in is not available here."
                .to_owned(),
        ),
        Some(Err(error)) => Some(error.to_string()),
        _ => None,
    }
    };
    view! {
        <form
            class="identity__sign-in"
            on:submit=move |event| {
                event.prevent_default();
                sign_in.dispatch(email.get_untracked());
            }
        >
            <label for="dev-sign-in-email">"Email (local sign-in)"</label>
            <input
                id="dev-sign-in-email"
                type="email"
                autocomplete="email"
                required=true
                prop:value=move || email.get()
                on:input=move |event| email.set(event_target_value(&event))
            />
            <button type="submit" disabled=move || sign_in.pending().get()>"Sign in"</button>
            {move || failure().map(|text| view! { <p class="identity__text--error" role="alert">{text}</p> })}
        </form>
    }
}
