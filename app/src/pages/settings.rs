//! Settings → Okta API Access: tenant URL, App ID and the credential, checked as the edge checks
//! them, with **Test connection** and **Save**; read-only when the deployment manages the token.
//!
//! The credential is an OAuth 2.0 service app (its client id, and a key pair the edge makes and
//! keeps, whose public half is registered in Okta) or an API token.
//!
//! Below them: the Okta Event Hook, and the webhooks sent to the apps that rely on this one.

pub mod webhooks;

use groupsync_core::api::{
    CredentialKind, OktaEventHook, OktaSettingsResponse, Problem, ServiceAppStatus,
    TestOktaConnectionRequest, TestOktaConnectionResponse, TokenSource, UpdateOktaSettingsRequest,
};
use groupsync_core::domain::Permission;
use leptos::prelude::*;

use crate::dynamic::{BoxedView, IntoBoxedView, dynamic, handler, keep_value, submit};
use crate::remote::Remote;
use leptos::task::spawn_local;

use crate::api::{self, ClientError};
use crate::components::feedback::{ErrorAlert, Gate, awaited, focus_by_id};
use crate::forms::{SettingsDraft, SettingsField, check_settings, field_of_problem};
use crate::session::Session;
use crate::text::when;

/// The Okta API Access screen.
#[component]
pub fn OktaSettingsPage() -> impl IntoView {
    let _session = Session::get();
    let settings = Remote::call(api::get_okta_settings);
    view! {
        <h1>"Okta API Access"</h1>
        <p class="page-intro">
            "How this app reads your Okta groups: the address of your Okta tenant, the SAML app whose groups it syncs, and what it signs in to Okta with: an OAuth 2.0 service app or an API token."
        </p>
        <Gate
            permission=Permission::ManageSettings
            reason="Only superAdmins may see and change the Okta settings."
        >
            {awaited(
                move || settings.get(),
                "Loading the settings…",
                move |stored| view! { <SettingsForm stored /> }.boxed(),
            )}
            <EventHookSection />
            <webhooks::WebhooksSection />
        </Gate>
    }
}

/// What the token looks like after saving: never the token itself.
fn token_summary(stored: &OktaSettingsResponse) -> String {
    let token = &stored.token;
    if !token.configured {
        return "Not configured yet.".to_owned();
    }
    let mut text = "Configured".to_owned();
    if let Some(last4) = &token.last4 {
        text.push_str(&format!(" · ends in {last4}"));
    }
    if let Some(by) = &token.set_by {
        text.push_str(&format!(" · set by {by}"));
    }
    if let Some(at) = &token.set_at {
        text.push_str(&format!(" at {}", when(at)));
    }
    text
}

#[component]
fn SettingsForm(stored: OktaSettingsResponse) -> impl IntoView {
    let read_only = stored.read_only;
    let tenant_url = RwSignal::new(stored.tenant_url.clone().unwrap_or_default());
    let app_id = RwSignal::new(stored.app_id.clone().unwrap_or_default());
    let credential = RwSignal::new(stored.credential);
    let service_app = move || credential.get() == CredentialKind::ServiceApp;
    let client_id = RwSignal::new(stored.service_app.client_id.clone().unwrap_or_default());
    let api_token = RwSignal::new(String::new());
    let sync_enabled = RwSignal::new(stored.sync_enabled);
    // Field messages appear once a field was left or the form was submitted.
    let shown = RwSignal::new(false);
    let server_field = RwSignal::new(None::<(SettingsField, String)>);
    let test_result = RwSignal::new(None::<Result<TestOktaConnectionResponse, ClientError>>);
    let save_result = RwSignal::new(None::<Result<(), ClientError>>);
    let key_error = RwSignal::new(None::<ClientError>);
    let busy = RwSignal::new(false);
    // What the edge holds now: updated from the answer of each save, so the form stays put.
    let saved = RwSignal::new(stored.clone());
    let draft = move || {
        saved.with(|s| SettingsDraft {
            tenant_url: tenant_url.get(),
            app_id: app_id.get(),
            api_token: api_token.get(),
            stored_tenant_url: s.tenant_url.clone(),
            stored_app_id: s.app_id.clone(),
            token_configured: s.token.configured,
            service_app: service_app(),
            client_id: client_id.get(),
            has_key: s.service_app.key.is_some() || s.service_app.pending_key.is_some(),
        })
    };
    let problems = Memo::new(move |_| check_settings(&draft()));
    let message_of = move |field: SettingsField| -> Option<String> {
        if let Some((f, message)) = server_field.get()
            && f == field
        {
            return Some(message);
        }
        if !shown.get() {
            return None;
        }
        problems.with(|p| p.iter().find(|(f, _)| *f == field).map(|(_, m)| m.clone()))
    };
    let message = move |field| Signal::derive(move || message_of(field));
    let optional = |text: String| (!text.trim().is_empty()).then(|| text.trim().to_owned());
    // The credential chosen, with its one value typed: the client id, or the token.
    let credential_values = move || {
        let kind = credential.get_untracked();
        let (token, client) = match kind {
            CredentialKind::ServiceApp => (None, optional(client_id.get_untracked())),
            CredentialKind::ApiToken => (optional(api_token.get_untracked()), None),
        };
        (Some(kind), token, client)
    };
    let test = move || {
        test_result.set(None);
        busy.set(true);
        let (credential, api_token, client_id) = credential_values();
        let body = TestOktaConnectionRequest {
            tenant_url: optional(tenant_url.get_untracked()),
            app_id: optional(app_id.get_untracked()),
            credential,
            api_token,
            client_id,
        };
        spawn_local(async move {
            let result = api::test_okta_connection(body).await;
            if let Err(ClientError::Api(problem)) = &result {
                server_field.set(field_of_problem(problem));
            }
            test_result.set(Some(result));
            busy.set(false);
            focus_by_id("test-result");
        });
    };
    let save = move || {
        shown.set(true);
        server_field.set(None);
        save_result.set(None);
        if !problems.with_untracked(Vec::is_empty) {
            focus_first_invalid(&problems.get_untracked());
            return;
        }
        busy.set(true);
        let (credential, api_token_typed, client_id) = credential_values();
        let body = UpdateOktaSettingsRequest {
            tenant_url: tenant_url.get_untracked().trim().to_owned(),
            app_id: app_id.get_untracked().trim().to_owned(),
            credential,
            api_token: api_token_typed,
            client_id,
            sync_enabled: Some(sync_enabled.get_untracked()),
        };
        spawn_local(async move {
            match api::put_okta_settings(body).await {
                Ok(now) => {
                    api_token.set(String::new());
                    saved.set(now);
                    save_result.set(Some(Ok(())));
                }
                Err(error) => {
                    if let ClientError::Api(problem) = &error {
                        server_field.set(field_of_problem(problem));
                    }
                    save_result.set(Some(Err(error)));
                }
            }
            busy.set(false);
            focus_by_id("save-result");
        });
    };
    // A new key pair: shown at once as the pending key, which the next passing save keeps.
    let make_key = move || {
        key_error.set(None);
        busy.set(true);
        spawn_local(async move {
            match api::make_service_app_key().await {
                Ok(key) => saved.update(|s| s.service_app.pending_key = Some(key)),
                Err(error) => key_error.set(Some(error)),
            }
            busy.set(false);
            focus_by_id("service-app-key");
        });
    };
    let token_configured = stored.token.configured;
    view! {
        {read_only.then(|| view! {
            <p class="alert alert--info" role="note">
                {if stored.token.source == TokenSource::Deployment {
                    "The API token is managed by the deployment (a Worker secret), so these settings are read-only here. Change it with `wrangler secret put OKTA_API_TOKEN`."
                } else {
                    "These settings are read-only here."
                }}
            </p>
        })}
        <form
            class="settings-form"
            novalidate=true
            on:submit=submit(save)
        >
            <fieldset disabled=read_only>
                <legend class="visually-hidden">"Okta API settings"</legend>
                <Field
                    field=SettingsField::TenantUrl
                    help="The address you sign in to Okta at, without \"-admin\": for example https://your-company.okta.com. It is shown at the top right of the Okta Admin Console."
                    input_type="url"
                    autocomplete="url"
                    value=tenant_url
                    message=message(SettingsField::TenantUrl)
                    shown
                />
                <Field
                    field=SettingsField::AppId
                    help="In the Admin Console: Applications → Applications → your SAML 2.0 app. The App ID is the part of the browser's address after /instance/; it starts with 0oa."
                    input_type="text"
                    autocomplete="off"
                    value=app_id
                    message=message(SettingsField::AppId)
                    shown
                />
                <fieldset class="field">
                    <legend>"Credential"</legend>
                    {[
                        (CredentialKind::ServiceApp, "credential-service-app", "OAuth 2.0 service app (recommended)"),
                        (CredentialKind::ApiToken, "credential-api-token", "API token"),
                    ].map(|(kind, id, label)| view! {
                        <div class="check">
                            <input
                                type="radio"
                                name="credential"
                                id=id
                                prop:checked=move || credential.get() == kind
                                on:change=handler(move |_| credential.set(kind))
                            />
                            <label for=id>{label}</label>
                        </div>
                    }).collect_view()}
                </fieldset>
                <div hidden=move || !service_app()>
                    <p class="field__help">
                        "Create an API Services app in Okta (Applications → Create App Integration), add this deployment's public key to it (below), grant it the scopes okta.apps.read, okta.groups.read and okta.users.read, and give it a read-only admin role. The README's \"Connecting to Okta\" has each step."
                    </p>
                    <Field
                        field=SettingsField::ClientId
                        help="On the app's General tab in Okta."
                        input_type="text"
                        autocomplete="off"
                        value=client_id
                        message=message(SettingsField::ClientId)
                        shown
                    />
                    <div class="field">
                        <button
                            type="button"
                            class="button"
                            id="service_app_key"
                            aria-describedby="service_app_key-message"
                            disabled=move || busy.get()
                            on:click=handler(move |_| make_key())
                        >
                            "Generate key pair"
                        </button>
                        <p class="field__message" id="service_app_key-message">
                            {dynamic(move || message_of(SettingsField::ServiceAppKey).boxed())}
                        </p>
                    </div>
                    <div id="service-app-key" tabindex="-1">
                        {dynamic(move || (key_error.get().map(|error| view! { <ErrorAlert error /> })).boxed())}
                        {dynamic(move || saved.with(|s| service_app_key(&s.service_app)))}
                    </div>
                </div>
                <div hidden=service_app>
                    <Field
                        field=SettingsField::ApiToken
                        help=if token_configured {
                            "Leave empty to keep the current token. To make one: Security → API → Tokens → Create token, as an admin who may read the app, its groups and users (Okta shows it only once)."
                        } else {
                            "Security → API → Tokens → Create token, as an admin who may read the app, its groups and users. Okta shows it only once; it is stored encrypted and never shown again."
                        }
                        input_type="password"
                        autocomplete="new-password"
                        value=api_token
                        message=message(SettingsField::ApiToken)
                        shown
                    />
                    <p class="token-status" id="token-status">
                        <strong>"Current token: "</strong>
                        {move || saved.with(token_summary)}
                    </p>
                    // Why the stored token cannot be used (the encryption key changed, say).
                    {dynamic(move || saved.with(|s| problem_alert(s.token.problem.clone(), "token-problem")))}
                </div>
                <div class="check">
                    <input
                        type="checkbox"
                        id="sync-enabled"
                        prop:checked=move || sync_enabled.get()
                        on:change=handler(move |event| sync_enabled.set(event_target_checked(&event)))
                    />
                    <label for="sync-enabled">
                        "Groups come from Okta (sync on). While it is on, groups cannot be made by hand and the schedule syncs every hour."
                    </label>
                </div>
                <div class="actions">
                    <button type="button" class="button" disabled=move || busy.get() on:click=handler(move |_| test())>
                        "Test connection"
                    </button>
                    <button type="submit" class="button button--primary" disabled=move || busy.get()>
                        "Save"
                    </button>
                </div>
            </fieldset>
        </form>
        <div id="test-result" tabindex="-1">
            {dynamic(move || (test_result.get().map(|result| match result {
                Ok(answer) if answer.ok => view! {
                    <p class="alert alert--ok" role="status">
                        {answer.message}
                        {answer.app_label.map(|label| format!(" App: {label}."))}
                    </p>
                }.boxed(),
                Ok(answer) => view! {
                    <p class="alert alert--error" role="alert">{answer.message}</p>
                }.boxed(),
                Err(error) => view! { <ErrorAlert error /> }.boxed(),
            })).boxed())}
        </div>
        <div id="save-result" tabindex="-1">
            {dynamic(move || (save_result.get().map(|result| match result {
                Ok(()) => view! {
                    <p class="alert alert--ok" role="status">"Settings saved. The connection was tested first."</p>
                }.boxed(),
                Err(error) => view! { <ErrorAlert error /> }.boxed(),
            })).boxed())}
        </div>
    }
}

/// Why a stored credential cannot be used (the encryption key changed, say), as an alert.
fn problem_alert(problem: Option<Problem>, id: &'static str) -> BoxedView {
    problem.map(|problem| view! { <p class="alert alert--error" role="alert" id=id>{problem.detail}</p> }).boxed()
}

/// The service app's key to register in Okta: the one made for the next save, else the saved
/// one; and why the saved one cannot be used, if it cannot.
fn service_app_key(app: &ServiceAppStatus) -> BoxedView {
    let problem = problem_alert(app.problem.clone(), "service-app-problem");
    let (key, note) = match (&app.pending_key, &app.key) {
        (Some(key), _) => (
            key,
            "New key, not saved yet: add it to the app in Okta (General → Public Keys → Add key → Paste), then Test connection and Save.",
        ),
        (None, Some(key)) => (key, "The key the saved service app signs with."),
        (None, None) => return problem,
    };
    view! {
        <p id="service-app-key-note">{note}</p>
        <dl class="facts">
            <dt>"Key ID (kid)"</dt>
            <dd><code id="service-app-kid">{key.kid.clone()}</code></dd>
            <dt>"Public key (JWK)"</dt>
            <dd><code id="service-app-jwk">{key.public_jwk.clone()}</code></dd>
        </dl>
        {problem}
    }
    .boxed()
}

/// Okta Event Hook: what to register in Okta so that changes arrive in minutes, the secret (made
/// here, shown once), and what Okta has sent so far.
#[component]
fn EventHookSection() -> impl IntoView {
    let hook = Remote::call(api::get_event_hook);
    let made = RwSignal::new(None::<Result<String, ClientError>>);
    let busy = RwSignal::new(false);
    let make = move || {
        busy.set(true);
        made.set(None);
        spawn_local(async move {
            let answer = api::make_event_hook_secret().await;
            made.set(Some(answer.map(|made| made.secret)));
            hook.refetch();
            busy.set(false);
            focus_by_id("hook-secret-result");
        });
    };
    view! {
        <section class="settings-section" aria-labelledby="event-hook-heading">
            <h2 id="event-hook-heading">"Okta Event Hook"</h2>
            <p>
                "With an Event Hook, Okta tells this app when a group's members, a group or a user's status change, and the change reaches everyone's roles within a minute instead of at the next hourly sync. The hourly sync still catches anything a lost event missed."
            </p>
            {awaited(move || hook.get(), "Loading the Event Hook…", move |hook| view! { <EventHookFacts hook /> }.boxed())}
            <div class="actions">
                <button type="button" class="button" disabled=move || busy.get() on:click=handler(move |_| make())>
                    {move || if hook.get().and_then(Result::ok).is_some_and(|h| h.configured) { "Make a new secret" } else { "Make a secret" }}
                </button>
            </div>
            <div id="hook-secret-result" tabindex="-1">
                {dynamic(move || (made.get().map(|result| match result {
                    Ok(secret) => view! {
                        <div class="alert alert--ok" role="status">
                            <p>"The new secret (any earlier one stopped working). Paste it into Okta as the Authorization header's value now: it is not shown again."</p>
                            <p><code id="hook-secret">{secret}</code></p>
                        </div>
                    }.boxed(),
                    Err(error) => view! { <ErrorAlert error /> }.boxed(),
                })).boxed())}
            </div>
        </section>
    }
}

/// What to register in Okta (Workflow → Event Hooks → Create Event Hook), and what it sent.
#[component]
fn EventHookFacts(hook: OktaEventHook) -> impl IntoView {
    let status = match (&hook.last_delivery_at, &hook.verified_at) {
        _ if !hook.configured => {
            "No secret yet: make one, then register the hook in Okta.".to_owned()
        }
        (Some(at), _) => format!(
            "Last events received {} ({} deliveries, {} of them repeats Okta sent again).",
            when(at),
            hook.deliveries,
            hook.duplicates
        ),
        (None, Some(at)) => {
            format!("Verification call answered {}; no events received yet.", when(at))
        }
        (None, None) => {
            "No verification call yet: press Verify in Okta after creating the hook.".to_owned()
        }
    };
    view! {
        <dl class="facts">
            <dt>"Endpoint URL"</dt>
            <dd><code id="hook-url">{hook.url}</code></dd>
            <dt>"Authentication field"</dt>
            <dd><code>{hook.header}</code></dd>
            <dt>"Authentication secret"</dt>
            <dd>"Made here and shown once (below)."</dd>
            <dt>"Events to subscribe to"</dt>
            <dd>
                <ul class="event-types">
                    {hook.event_types.into_iter().map(|t| view! { <li><code>{t}</code></li> }).collect::<Vec<_>>()}
                </ul>
            </dd>
            <dt>"Status"</dt>
            <dd id="hook-status">{status}</dd>
        </dl>
    }
}

fn focus_first_invalid(problems: &[(SettingsField, String)]) {
    if let Some((field, _)) = problems.first() {
        focus_by_id(field.api_name());
    }
}

/// A labelled input with its help and its message (`aria-invalid`, `aria-describedby`).
#[component]
pub fn Field(
    /// Which field (its API name is the input's id).
    field: SettingsField,
    /// Where to find the value, shown under the input.
    help: &'static str,
    /// The input's type (`url`, `text`, `password`).
    input_type: &'static str,
    /// The input's `autocomplete`.
    autocomplete: &'static str,
    /// What is typed.
    value: RwSignal<String>,
    /// What is wrong with it, if anything.
    message: Signal<Option<String>>,
    /// Set when the field is left, to show its message from then on.
    shown: RwSignal<bool>,
) -> impl IntoView {
    let (id, label) = (field.api_name(), field.label());
    let help_id = format!("{id}-help");
    let message_id = format!("{id}-message");
    let described = format!("{help_id} {message_id}");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name=id
                type=input_type
                autocomplete=autocomplete
                spellcheck="false"
                aria-invalid=move || if message.get().is_some() { "true" } else { "false" }
                aria-describedby=described
                prop:value=move || value.get()
                on:input=keep_value(value)
                on:blur=handler(move |_| shown.set(true))
            />
            <p class="field__help" id=help_id>{help}</p>
            <p class="field__message" id=message_id>{dynamic(move || message.get().boxed())}</p>
        </div>
    }
}
