//! Okta Event Hooks in: the endpoint Okta calls (its one-time verification and its deliveries),
//! and Settings → Okta API Access's part that sets the hook up (its secret, made here and shown
//! once).
//!
//! Okta's calls carry no person's identity, only the secret we made: they are answered before
//! the identity checks, by [`receive_events`] and [`verify_hook`], which check the secret
//! themselves. A delivery is acknowledged within Okta's 3 s by handing the work to the sync
//! coordinator (a run a few seconds later, one for a burst); a forged, replayed or malformed
//! delivery starts nothing.

use groupsync_core::api::{OktaEventHook, OktaEventHookSecret, ProblemCode};
use serde_json::json;
use worker::{Env, Request, Response};

use crate::adapters::d1::EventHookRow;
use crate::error::ApiError;
use crate::http::context::{Ctx, own_origin, read_body};
use crate::http::handlers::sync::ask_coordinator;
use crate::http::handlers::{PlannedAnswer, answered};
use crate::http::{identity, respond};
use crate::service::access::Principal;
use crate::service::okta_hooks::{
    self, CHALLENGE_HEADER, EVENT_TYPES, MAX_DELIVERY_BYTES, SECRET_HEADER,
};
use crate::service::ports::AuditRecord;
use crate::sync::coordinator::Command;

/// The path Okta calls.
pub(crate) const HOOK_PATH: &str = "/api/v1/okta/events";

/// `GET /api/v1/okta/events`: Okta's one-time verification, answered with its challenge.
pub(crate) async fn verify_hook(req: &Request, env: &Env) -> Result<Response, ApiError> {
    let ctx = Ctx::new(env)?;
    let hook = configured_hook(&ctx).await?;
    // Whether Okta sends the secret on this call is not documented: a missing one is taken, a
    // wrong one never is (CONTRACT.md §7).
    if header(req, SECRET_HEADER).is_some() {
        authenticate(req, &ctx, &hook).await?;
    }
    let challenge = header(req, CHALLENGE_HEADER).unwrap_or_default();
    let Some(challenge) = okta_hooks::echoable_challenge(&challenge) else {
        return Err(ApiError::client(
            ProblemCode::InvalidInput,
            format!("The {CHALLENGE_HEADER} header is missing or not a challenge Okta sends."),
        ));
    };
    ctx.store.record_event_hook_verified(&ctx.now).await?;
    respond::json(&json!({ "verification": challenge }), 200)
}

/// `POST /api/v1/okta/events`: a delivery of events. A new delivery with events this app acts on
/// asks for an incremental run; a retry or duplicate (same `eventId`) is acknowledged only.
pub(crate) async fn receive_events(req: &mut Request, env: &Env) -> Result<Response, ApiError> {
    let ctx = Ctx::new(env)?;
    let hook = configured_hook(&ctx).await?;
    authenticate(req, &ctx, &hook).await?;
    let body = read_body(req, MAX_DELIVERY_BYTES).await?;
    let delivery = okta_hooks::parse_delivery(&body)
        .map_err(|e| ApiError::client(ProblemCode::InvalidJson, format!("{e}.")))?;
    let (seen, sync_enabled) = ctx.store.delivery_seen(&delivery.event_id).await?;
    // The run is asked for before the delivery is recorded: if recording fails, Okta's retry
    // asks again (and joins the same run), rather than finding the delivery taken.
    if !seen && sync_enabled && delivery.relevant > 0 {
        ask_coordinator(env, &Command::Hint).await?;
    }
    ctx.store.record_delivery(&delivery, &ctx.now, ctx.now_s).await?;
    respond::no_content()
}

/// `GET /api/v1/settings/okta/event-hook`.
pub(crate) fn get_event_hook(req: &Request, ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    let origin = own_origin(req);
    let described =
        move |hook: Option<EventHookRow>| respond::json(&describe(&origin, hook.as_ref()), 200);
    Ok(answered(ctx.store.plan_event_hook()?, described))
}

/// `POST /api/v1/settings/okta/event-hook/secret`: a new secret, shown this once; the old one
/// stops working at once.
pub(crate) async fn rotate_event_hook_secret(
    req: &Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let pepper = ctx.config.api_key_pepper.as_deref().ok_or_else(no_pepper)?;
    let actor = ctx.admin_write(principal).await?;
    let secret = okta_hooks::issue_secret()
        .map_err(|_| ApiError::client(ProblemCode::Internal, "No randomness to make a secret."))?;
    let audit = AuditRecord::of(&actor, "settings.okta.hook_secret_made", HOOK_PATH.to_owned());
    let hash = okta_hooks::secret_hash(pepper, &secret);
    ctx.store.replace_event_hook_secret(&hash, &audit, &ctx.now).await?;
    let hook = ctx.store.event_hook().await?;
    let hook = describe(&own_origin(req), hook.as_ref());
    respond::json(&OktaEventHookSecret { secret, hook }, 201)
}

/// The hook as the API describes it, its URL on `origin` (this Worker's).
fn describe(origin: &str, hook: Option<&EventHookRow>) -> OktaEventHook {
    OktaEventHook {
        configured: hook.is_some(),
        url: format!("{origin}{HOOK_PATH}"),
        header: SECRET_HEADER.to_owned(),
        event_types: EVENT_TYPES.iter().map(|t| (*t).to_owned()).collect(),
        created_by: hook.map(|h| h.created_by.clone()),
        created_at: hook.map(|h| h.created_at.clone()),
        verified_at: hook.and_then(|h| h.verified_at.clone()),
        last_delivery_at: hook.and_then(|h| h.last_delivery_at.clone()),
        deliveries: hook.map_or(0, |h| u64::try_from(h.deliveries).unwrap_or(0)),
        duplicates: hook.map_or(0, |h| u64::try_from(h.duplicates).unwrap_or(0)),
    }
}

/// The hook, or `401` while no secret has been made (nothing could authenticate Okta).
async fn configured_hook(ctx: &Ctx) -> Result<EventHookRow, ApiError> {
    ctx.store.event_hook().await?.ok_or_else(|| ApiError::Unauthenticated {
        reason: "an Okta event hook call, but no hook secret has been made".into(),
    })
}

/// Checks the secret Okta sent (in constant time); `401` when it is missing or wrong, counted
/// against the client's address as any refused credential is (`429` past the limit).
async fn authenticate(req: &Request, ctx: &Ctx, hook: &EventHookRow) -> Result<(), ApiError> {
    let pepper = ctx.config.api_key_pepper.as_deref().ok_or_else(no_pepper)?;
    let presented = header(req, SECRET_HEADER).unwrap_or_default();
    if okta_hooks::secret_matches(pepper, &presented, &hook.secret_hash) {
        return Ok(());
    }
    // The presented value is never logged: it may be a near miss of the real secret.
    let refused = ApiError::Unauthenticated {
        reason: format!("an Okta event hook call without the hook's secret in {SECRET_HEADER}"),
    };
    Err(identity::counted_refusal(req, ctx, refused).await)
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// The hook's secret is kept as a hash under the API-key pepper, without which no secret can be
/// made or checked.
fn no_pepper() -> ApiError {
    ApiError::client(
        ProblemCode::Misconfigured,
        "The Okta event hook needs the API_KEY_PEPPER secret, which this deployment lacks.",
    )
}
