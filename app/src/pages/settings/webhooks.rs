//! Settings → Webhooks (issue #15): where the apps that rely on this one receive its events.
//!
//! The endpoints, which receive `access.changed` and `sync.committed` events signed per Standard
//! Webhooks; the form that adds one (its signing secret shown once); and each endpoint's log of
//! deliveries, where an event no longer waiting for its next attempt can be sent again.
//!
//! Written for size (the SPA's budget counts): each distinct view type compiles code of its own,
//! so the two tables share one shell and one kind of cell, and every button but the form's submit
//! is one `button`.

use groupsync_core::api::{CreateWebhookRequest, DeliveryState, WebhookEventType};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ClientError, DELIVERIES_SHOWN, WebhookDelivery, WebhookEndpoint, Webhooks};
use crate::components::feedback::{ErrorAlert, awaited, focus_by_id, focus_by_id_owned};
use crate::components::table_scroll::TableScroll;
use crate::dynamic::{BoxedView, IntoBoxedView, dynamic, handler, keep_value, submit};
use crate::forms::problem_about;
use crate::remote::Remote;
use crate::text::{inert, when};

/// The outcome of the section's last write, said where the focus goes after it.
type Outcome = RwSignal<Option<Result<String, ClientError>>>;

/// The endpoint whose deliveries are shown: its id and URL.
type Selected = RwSignal<Option<(String, String)>>;

/// The endpoints, the confirmation of a removal, the deliveries of the endpoint chosen, and the
/// form that adds one.
#[component]
pub fn WebhooksSection() -> impl IntoView {
    let list = Remote::call(api::get_webhooks);
    let selected: Selected = RwSignal::new(None);
    // The endpoint whose Remove… was pressed: removing it takes a second, explicit press.
    let removing = RwSignal::new(None::<WebhookEndpoint>);
    let notice: Outcome = RwSignal::new(None);
    view! {
        <section class="settings-section" aria-labelledby="webhooks-heading">
            <h2 id="webhooks-heading">"Webhooks"</h2>
            <p>
                "Apps that rely on this one are told of changes here: each endpoint receives "
                <code>"access.changed"</code>
                " (whose roles changed, and why) and "
                <code>"sync.committed"</code>
                " (a sync saved changes) events, signed per Standard Webhooks with its own secret and retried until it answers."
            </p>
            {awaited(move || list.get(), "Loading the webhooks…", move |answer| {
                endpoints(answer, selected, removing)
            })}
            {dynamic(move || removing.get().map(|endpoint| view! {
                <ConfirmRemoval endpoint removing selected notice list />
            }).boxed())}
            <div id="webhooks-notice" tabindex="-1">
                {dynamic(move || match notice.get() {
                    Some(Ok(text)) => view! { <p class="alert alert--ok" role="status">{text}</p> }.boxed(),
                    Some(Err(error)) => view! { <ErrorAlert error /> }.boxed(),
                    None => ().boxed(),
                })}
            </div>
            {dynamic(move || selected.get().map(|(id, url)| view! {
                <Deliveries id url selected notice list />
            }).boxed())}
            <AddEndpoint list />
        </section>
    }
}

/// A button that runs `run`, disabled while `busy` (when given) is set; with `expanded`, a
/// toggle that says whether what it shows is shown.
fn button(
    text: &'static str,
    class: &'static str,
    // What it acts on, when its text alone does not say (a row's button).
    label: Option<String>,
    id: Option<String>,
    busy: Option<RwSignal<bool>>,
    expanded: Option<Signal<bool>>,
    run: Callback<()>,
) -> impl IntoView {
    view! {
        <button
            type="button"
            class=class
            id=id
            aria-label=label
            aria-expanded=move || expanded.map(|shown| if shown.get() { "true" } else { "false" })
            disabled=move || busy.is_some_and(|busy| busy.get())
            on:click=handler(move |_| run.run(()))
        >
            {text}
        </button>
    }
}

/// A table that may be wider than the screen: its `columns`' headers, then `rows`.
fn table(
    id: &'static str,
    label: &'static str,
    caption: &'static str,
    columns: &'static [&'static str],
    rows: Vec<BoxedView>,
) -> BoxedView {
    let headers = columns.iter().map(|column| view! { <th scope="col">{*column}</th> });
    view! {
        <TableScroll label>
            <table id=id>
                <caption class="visually-hidden">{caption}</caption>
                <thead><tr>{headers.collect_view()}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </TableScroll>
    }
    .boxed()
}

/// A row's cells after its first, as text.
fn cells(texts: Vec<String>) -> impl IntoView {
    texts.into_iter().map(|text| view! { <td>{text}</td> }).collect_view()
}

/// Where endpoints may be, then the endpoints' table, oldest first.
fn endpoints(
    answer: Webhooks,
    selected: Selected,
    removing: RwSignal<Option<WebhookEndpoint>>,
) -> BoxedView {
    let hosts = if answer.allowed_hosts.is_empty() {
        "Only hosts on the deployment's WEBHOOK_ALLOWLIST may be used, and it names none yet (a local stack also takes loopback addresses with a port, such as http://127.0.0.1:9000/hook).".to_owned()
    } else {
        format!("Hosts allowed (WEBHOOK_ALLOWLIST): {}.", answer.allowed_hosts.join(", "))
    };
    let list = if answer.endpoints.is_empty() {
        view! { <p class="empty" id="webhooks-empty">"No endpoints yet."</p> }.boxed()
    } else {
        let rows = answer.endpoints.into_iter().map(|e| endpoint_row(e, selected, removing));
        table(
            "webhooks-table",
            "Table of webhook endpoints",
            "Webhook endpoints, oldest first",
            &["URL", "Events", "Pending", "Failed", "Last delivered", "Actions"],
            rows.collect(),
        )
    };
    view! { <p class="hint" id="webhook-hosts">{hosts}</p>{list} }.boxed()
}

fn endpoint_row(
    endpoint: WebhookEndpoint,
    selected: Selected,
    removing: RwSignal<Option<WebhookEndpoint>>,
) -> BoxedView {
    let url = inert(&endpoint.url);
    let id = endpoint.id.clone();
    let chosen = (endpoint.id.clone(), endpoint.url.clone());
    let shown = chosen.clone();
    let is_shown = move || selected.with(|s| s.as_ref() == Some(&shown));
    let texts = vec![
        endpoint.events.join(", "),
        endpoint.pending.to_string(),
        endpoint.failed.to_string(),
        endpoint.last_delivered_at.as_deref().map_or_else(|| "Never".to_owned(), when),
    ];
    let description = inert(&endpoint.description);
    let toggle = Callback::new(move |()| {
        if selected.with_untracked(|s| s.as_ref() == Some(&chosen)) {
            selected.set(None);
        } else {
            selected.set(Some(chosen.clone()));
            focus_by_id("webhook-deliveries-heading");
        }
    });
    let remove = Callback::new(move |()| {
        removing.set(Some(endpoint.clone()));
        focus_by_id("webhook-remove");
    });
    view! {
        <tr>
            <th scope="row"><bdi>{url.clone()}</bdi><span class="webhook-note">{description}</span></th>
            {cells(texts)}
            <td class="row-actions">
                // A toggle (`aria-expanded`): pressed again, it hides the log it showed.
                {button(
                    "Deliveries",
                    "button",
                    Some(format!("Deliveries to {url}")),
                    Some(format!("webhook-deliveries-{id}")),
                    None,
                    Some(Signal::derive(is_shown)),
                    toggle,
                )}
                {button(
                    "Remove…",
                    "button button--danger",
                    Some(format!("Remove {url}…")),
                    Some(format!("webhook-remove-{id}")),
                    None,
                    None,
                    remove,
                )}
            </td>
        </tr>
    }
    .boxed()
}

/// What removing an endpoint does, and the button that does it.
#[component]
fn ConfirmRemoval(
    endpoint: WebhookEndpoint,
    removing: RwSignal<Option<WebhookEndpoint>>,
    selected: Selected,
    notice: Outcome,
    list: Remote<Webhooks>,
) -> impl IntoView {
    let pending = RwSignal::new(false);
    let url = inert(&endpoint.url);
    let what = format!("No more events will be sent to {url}, and its delivery log is deleted.");
    let id = endpoint.id;
    let back_to = format!("webhook-remove-{id}");
    let remove = Callback::new(move |()| {
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        let (id, url) = (id.clone(), url.clone());
        spawn_local(async move {
            let answer = api::delete_webhook(&id).await;
            pending.set(false);
            if answer.is_ok() {
                removing.set(None);
                if selected.with_untracked(|s| s.as_ref().is_some_and(|(s, _)| *s == id)) {
                    selected.set(None);
                }
            }
            // Read again either way: a failure may be someone else's removal.
            list.refetch();
            notice.set(Some(answer.map(|()| format!("Endpoint {url} removed."))));
            focus_by_id("webhooks-notice");
        });
    });
    let cancel = Callback::new(move |()| {
        removing.set(None);
        focus_by_id_owned(back_to.clone());
    });
    view! {
        <div
            id="webhook-remove"
            class="webhook-panel"
            role="region"
            aria-labelledby="webhook-remove-heading"
            tabindex="-1"
        >
            <h3 id="webhook-remove-heading">"Remove this endpoint?"</h3>
            <p>{what}</p>
            <div class="actions">
                {button("Remove endpoint", "button button--danger", None, None, Some(pending), None, remove)}
                {button("Cancel", "button", None, None, None, None, cancel)}
            </div>
        </div>
    }
}

/// What an event type tells the endpoint, after its name in the form.
const fn event_meaning(kind: WebhookEventType) -> &'static str {
    match kind {
        WebhookEventType::AccessChanged => " — whose roles changed, before and after, and why",
        WebhookEventType::SyncCommitted => " — a sync saved changes to groups or members",
    }
}

/// Add endpoint: its URL, what it is for, and the events it receives; its secret shown once.
#[component]
fn AddEndpoint(list: Remote<Webhooks>) -> impl IntoView {
    let url = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    // Every event type is sent unless unchecked.
    let events = WebhookEventType::ALL.map(|kind| (kind, RwSignal::new(true)));
    // A URL refused (by the form or by the edge) and why: said while it is what is typed.
    let refused = RwSignal::new(None::<(String, String)>);
    let url_message = move || {
        let typed = url.with(|text| text.trim().to_owned());
        refused.with(|r| r.as_ref().filter(|(url, _)| *url == typed).map(|(_, why)| why.clone()))
    };
    let events_message = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // The URL added and its secret, or why not.
    let result = RwSignal::new(None::<Result<(String, String), ClientError>>);
    let add = move || {
        if busy.get_untracked() {
            return;
        }
        let typed = url.get_untracked().trim().to_owned();
        let chosen: Vec<WebhookEventType> =
            events.iter().filter(|(_, on)| on.get_untracked()).map(|(kind, _)| *kind).collect();
        // Only what needs no rules, in the edge's words: whether a URL is allowed is the edge's to
        // say (it knows the allow-list and parses URLs), and its words appear under the field.
        refused.set(typed.is_empty().then(|| {
            (
                String::new(),
                "Enter the endpoint's URL, such as https://hooks.example.com/okta-groups."
                    .to_owned(),
            )
        }));
        events_message.set(chosen.is_empty().then(|| "Choose at least one event type.".to_owned()));
        if typed.is_empty() || chosen.is_empty() {
            focus_by_id(if typed.is_empty() { "webhook-url" } else { "webhook-event-0" });
            return;
        }
        busy.set(true);
        result.set(None);
        let body = CreateWebhookRequest {
            url: typed.clone(),
            description: description.get_untracked().trim().to_owned(),
            events: chosen,
        };
        spawn_local(async move {
            let answer = api::create_webhook(body).await;
            busy.set(false);
            let mut field = false;
            match &answer {
                Ok(_) => {
                    url.set(String::new());
                    description.set(String::new());
                    list.refetch();
                }
                Err(ClientError::Api(problem)) => {
                    let why = problem_about(problem, "url");
                    field = why.is_some();
                    refused.set(why.map(|why| (typed.clone(), why)));
                    events_message.set(problem_about(problem, "events"));
                }
                Err(_) => {}
            }
            result.set(Some(answer.map(|made| (typed, made.secret))));
            // A refused URL is fixed where it was typed; anything else is read where it is said.
            focus_by_id(if field { "webhook-url" } else { "webhook-add-result" });
        });
    };
    view! {
        <form
            class="webhook-form"
            novalidate=true
            aria-labelledby="webhook-add-heading"
            on:submit=submit(add)
        >
            <h3 id="webhook-add-heading">"Add endpoint"</h3>
            <div class="field">
                <label for="webhook-url">"Endpoint URL"</label>
                <input
                    id="webhook-url"
                    type="url"
                    autocomplete="off"
                    spellcheck="false"
                    aria-describedby="webhook-url-help webhook-url-message"
                    aria-invalid=move || if url_message().is_some() { "true" } else { "false" }
                    prop:value=move || url.get()
                    on:input=keep_value(url)
                />
                <p class="field__help" id="webhook-url-help">
                    "Where the app receives events: https, on an allowed host (above)."
                </p>
                <p class="field__message" id="webhook-url-message">{dynamic(move || url_message().boxed())}</p>
            </div>
            <div class="field">
                <label for="webhook-description">"Description (optional)"</label>
                <input
                    id="webhook-description"
                    type="text"
                    autocomplete="off"
                    aria-describedby="webhook-description-help"
                    prop:value=move || description.get()
                    on:input=keep_value(description)
                />
                <p class="field__help" id="webhook-description-help">"What it is for, such as the app's name."</p>
            </div>
            <fieldset aria-describedby="webhook-events-message">
                <legend>"Events to send"</legend>
                {events.into_iter().enumerate().map(|(i, (kind, on))| {
                    let id = format!("webhook-event-{i}");
                    view! {
                        <div class="check">
                            <input
                                type="checkbox"
                                id=id.clone()
                                prop:checked=move || on.get()
                                on:change=handler(move |event| {
                                    on.set(event_target_checked(&event));
                                    events_message.set(None);
                                })
                            />
                            <label for=id><code>{kind.as_str()}</code>{event_meaning(kind)}</label>
                        </div>
                    }
                }).collect_view()}
                <p class="field__message" id="webhook-events-message">{dynamic(move || events_message.get().boxed())}</p>
            </fieldset>
            <button type="submit" class="button button--primary" disabled=move || busy.get()>
                "Add endpoint"
            </button>
        </form>
        <div id="webhook-add-result" tabindex="-1">
            {dynamic(move || (result.get().map(|answer| match answer {
                Ok((url, secret)) => view! {
                    <div class="alert alert--ok" role="status">
                        <p>
                            {format!("Endpoint {} added. ", inert(&url))}
                            "Copy its signing secret into the app now, to check the events' signatures: it is not shown again."
                        </p>
                        <div class="field">
                            <label for="webhook-secret">"Signing secret"</label>
                            <input
                                id="webhook-secret"
                                type="text"
                                readonly=true
                                autocomplete="off"
                                spellcheck="false"
                                value=secret
                            />
                        </div>
                    </div>
                }.boxed(),
                Err(error) => view! { <ErrorAlert error /> }.boxed(),
            })).boxed())}
        </div>
    }
}

/// One endpoint's deliveries, newest first, with Redeliver on those not waiting for an attempt.
#[component]
fn Deliveries(
    id: String,
    url: String,
    selected: Selected,
    notice: Outcome,
    list: Remote<Webhooks>,
) -> impl IntoView {
    let asked = id.clone();
    let log = Remote::call(move || api::get_webhook_deliveries(&asked));
    // One event sent again at a time: no press sends twice.
    let sending = RwSignal::new(false);
    let endpoint = StoredValue::new(id.clone());
    let redeliver = Callback::new(move |message_id: String| {
        if sending.get_untracked() {
            return;
        }
        sending.set(true);
        let pending = api::redeliver_webhook(&endpoint.get_value(), &message_id);
        spawn_local(async move {
            let answer = pending.await;
            sending.set(false);
            notice.set(Some(
                answer.map(|()| format!("Event {message_id} will be delivered again shortly.")),
            ));
            // Its state changed, and so did the endpoint's counts.
            log.refetch();
            list.refetch();
            focus_by_id("webhooks-notice");
        });
    });
    let heading = format!("Deliveries to {}", inert(&url));
    let toggle = format!("webhook-deliveries-{id}");
    let refresh = Callback::new(move |()| log.refetch());
    let close = Callback::new(move |()| {
        selected.set(None);
        focus_by_id_owned(toggle.clone());
    });
    view! {
        <section id="webhook-deliveries" class="webhook-panel" aria-labelledby="webhook-deliveries-heading">
            <h3 id="webhook-deliveries-heading" tabindex="-1">{heading}</h3>
            <p class="hint">
                {format!("The {DELIVERIES_SHOWN} newest events. Failed or delivered ones can be sent again.")}
            </p>
            {awaited(move || log.get(), "Loading the deliveries…", move |answer| {
                if answer.deliveries.is_empty() {
                    return view! { <p class="empty">"No deliveries yet."</p> }.boxed();
                }
                let rows = answer.deliveries.into_iter().map(|d| delivery_row(d, sending, redeliver));
                table(
                    "webhook-deliveries-table",
                    "Table of webhook deliveries",
                    "Deliveries, newest first",
                    &["Event", "Type", "State", "Attempts", "Last result", "Next attempt", "Delivered", "Actions"],
                    rows.collect(),
                )
            })}
            <div class="actions">
                {button("Refresh", "button", None, None, None, None, refresh)}
                {button("Close", "button", None, None, None, None, close)}
            </div>
        </section>
    }
}

/// A delivery's state in words.
const fn state_word(state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Pending => "pending",
        DeliveryState::Delivered => "delivered",
        DeliveryState::Failed => "failed",
    }
}

fn delivery_row(
    delivery: WebhookDelivery,
    sending: RwSignal<bool>,
    redeliver: Callback<String>,
) -> BoxedView {
    let time = |at: Option<String>| at.as_deref().map_or_else(|| "—".to_owned(), when);
    let last = match (delivery.last_error, delivery.last_status) {
        (Some(error), _) => inert(&error),
        (None, Some(status)) => format!("HTTP {status}"),
        (None, None) => "—".to_owned(),
    };
    let texts = vec![
        delivery.event_type,
        state_word(delivery.state).to_owned(),
        delivery.attempts.to_string(),
        last,
        time(delivery.next_attempt_at),
        time(delivery.delivered_at),
    ];
    // A pending delivery is tried again at its next attempt anyway.
    let action = (delivery.state != DeliveryState::Pending).then(|| {
        let label = format!("Redeliver {}", delivery.message_id);
        let message_id = delivery.message_id.clone();
        let run = Callback::new(move |()| redeliver.run(message_id.clone()));
        button("Redeliver", "button", Some(label), None, Some(sending), None, run)
    });
    view! {
        <tr>
            <th scope="row"><code>{delivery.message_id}</code></th>
            {cells(texts)}
            <td class="row-actions">{action}</td>
        </tr>
    }
    .boxed()
}
