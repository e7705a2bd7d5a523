//! Settings → Webhooks: the endpoints a superAdmin registers for the apps that rely on this one,
//! their delivery log, and a manual redelivery. The sending is `crate::webhooks`'.
//!
//! Registering an endpoint hands everyone's access to its URL, so only superAdmins may, only to
//! hosts the operator allowed (`WEBHOOK_ALLOWLIST`), and the signing secret is sealed at rest and
//! shown once.

use groupsync_core::api::{
    CreateWebhookRequest, CreateWebhookResponse, ListWebhookDeliveriesResponse,
    ListWebhooksResponse, ProblemCode, WebhookEndpoint, WebhookEventType,
};
use groupsync_core::domain::WebhookUrl;
use serde_json::json;
use worker::{Env, Request, Response};

use crate::adapters::d1::{EndpointRow, NewEndpoint};
use crate::error::ApiError;
use crate::http::context::{Ctx, read_json};
use crate::http::handlers::{PlannedAnswer, answered};
use crate::http::listing::{DELIVERIES_SHOWN, MOST_DELIVERIES_SHOWN, invalid_query, query_pairs};
use crate::http::respond;
use crate::sealed_token::TokenKeys;
use crate::service::access::Principal;
use crate::service::ports::AuditRecord;
use crate::service::webhooks::{MAX_DESCRIPTION_CHARS, MAX_ENDPOINTS, issue_secret, new_id};

/// `GET /api/v1/webhooks`.
pub(crate) fn list_webhooks(ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    let allowed_hosts = ctx.config.webhook_policy.allowed_hosts.clone();
    Ok(answered(ctx.store.plan_webhook_endpoints()?, move |rows| {
        let endpoints = rows.into_iter().map(EndpointRow::into_api).collect();
        respond::json(&ListWebhooksResponse { endpoints, allowed_hosts }, 200)
    }))
}

/// `POST /api/v1/webhooks`: registers an endpoint; its secret is shown this once.
pub(crate) async fn create_webhook(
    req: &mut Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let (url, description, events) = checked(read_json(req).await?, ctx)?;
    let keys = ctx.config.token_keys.as_ref().ok_or_else(no_sealing_key)?;
    let actor = ctx.admin_write(principal).await?;
    ensure_room(ctx).await?;
    let (id, secret, sealed) = new_secret(keys)?;
    let audit = AuditRecord {
        after: Some(json!({ "url": url.as_str(), "events": events })),
        ..AuditRecord::of(&actor, "webhook.endpoint_added", id.clone())
    };
    let endpoint = NewEndpoint {
        id: &id,
        url: url.as_str(),
        description: &description,
        events: &events,
        secret_sealed: &sealed,
    };
    ctx.store.insert_webhook_endpoint(&endpoint, &audit, &ctx.now).await?;
    let endpoint = described(ctx, &id).await?;
    respond::json(&CreateWebhookResponse { endpoint, secret }, 201)
}

/// `DELETE /api/v1/webhooks/{id}`: nothing more is sent to it, and its log is gone.
pub(crate) async fn delete_webhook(
    id: &str,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let endpoint = described(ctx, id).await?;
    let actor = ctx.admin_write(principal).await?;
    let audit = AuditRecord {
        before: Some(json!({ "url": endpoint.url })),
        ..AuditRecord::of(&actor, "webhook.endpoint_removed", id.to_owned())
    };
    if !ctx.store.delete_webhook_endpoint(id, &audit, &ctx.now).await? {
        return Err(not_found());
    }
    respond::no_content()
}

/// `GET /api/v1/webhooks/{id}/deliveries?limit=N`: the newest deliveries first (read with the
/// endpoint, whether or not it exists).
pub(crate) fn list_deliveries(
    id: &str,
    req: &Request,
    ctx: &Ctx,
) -> Result<PlannedAnswer, ApiError> {
    let limit = match query_pairs(req)?.iter().find(|(name, _)| name == "limit") {
        None => DELIVERIES_SHOWN,
        Some((_, value)) => value
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MOST_DELIVERIES_SHOWN).contains(n))
            .ok_or_else(|| {
                invalid_query("limit", format!("a number from 1 to {MOST_DELIVERIES_SHOWN}"))
            })?,
    };
    let read =
        ctx.store.plan_webhook_endpoint(id)?.and(ctx.store.plan_webhook_deliveries(id, limit)?);
    Ok(answered(read, |(endpoint, deliveries)| {
        let endpoint = endpoint.ok_or_else(not_found)?.into_api();
        respond::json(&ListWebhookDeliveriesResponse { endpoint, deliveries }, 200)
    }))
}

/// `POST /api/v1/webhooks/{id}/deliveries/{message_id}/redeliver`: sends a delivered or failed
/// event again now (the same id and body, signed anew), then as any pending one.
pub(crate) async fn redeliver(
    id: &str,
    message_id: &str,
    ctx: &Ctx,
    env: &Env,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let actor = ctx.admin_write(principal).await?;
    let audit = AuditRecord {
        after: Some(json!({ "message_id": message_id })),
        ..AuditRecord::of(&actor, "webhook.redelivered", id.to_owned())
    };
    let now_ms = worker::Date::now().as_millis();
    if !ctx.store.redeliver_webhook(id, message_id, now_ms, &audit, &ctx.now).await? {
        let detail = "No delivered or failed delivery of this event to this endpoint (a pending one is sent anyway).";
        return Err(ApiError::client(ProblemCode::NotFound, detail));
    }
    crate::webhooks::kick(env).await;
    let deliveries = ctx.store.webhook_deliveries(id, MOST_DELIVERIES_SHOWN).await?;
    let delivery =
        deliveries.into_iter().find(|d| d.message_id == message_id).ok_or_else(not_found)?;
    respond::json(&delivery, 202)
}

/// The request's URL, description and event types, checked.
fn checked(
    body: CreateWebhookRequest,
    ctx: &Ctx,
) -> Result<(WebhookUrl, String, Vec<WebhookEventType>), ApiError> {
    let url = WebhookUrl::parse(&body.url, &ctx.config.webhook_policy)
        .map_err(|e| ApiError::invalid("url", e))?;
    let description = body.description.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS
        || description.chars().any(char::is_control)
    {
        let why = format!("at most {MAX_DESCRIPTION_CHARS} characters, on one line");
        return Err(ApiError::invalid("description", why));
    }
    let events: Vec<WebhookEventType> =
        WebhookEventType::ALL.into_iter().filter(|e| body.events.contains(e)).collect();
    if events.is_empty() {
        return Err(ApiError::invalid("events", "choose at least one event type"));
    }
    Ok((url, description.to_owned(), events))
}

/// `409` when the deployment has all the endpoints it may.
async fn ensure_room(ctx: &Ctx) -> Result<(), ApiError> {
    if ctx.store.webhook_endpoint_count().await? < MAX_ENDPOINTS {
        return Ok(());
    }
    let detail = format!("At most {MAX_ENDPOINTS} endpoints may be registered; remove one first.");
    Err(ApiError::client(ProblemCode::Conflict, detail))
}

/// A new endpoint id, its secret, and the secret sealed for it.
fn new_secret(keys: &TokenKeys) -> Result<(String, String, String), ApiError> {
    let no_randomness =
        |_| ApiError::client(ProblemCode::Internal, "No randomness to make a secret.");
    let id = new_id("we_").map_err(no_randomness)?;
    let secret = issue_secret().map_err(no_randomness)?;
    let sealed = keys.seal_webhook_secret(&secret, &id).map_err(|e| {
        ApiError::client(ProblemCode::Internal, format!("The secret could not be sealed: {e}."))
    })?;
    Ok((id, secret, sealed))
}

async fn described(ctx: &Ctx, id: &str) -> Result<WebhookEndpoint, ApiError> {
    Ok(ctx.store.webhook_endpoint(id).await?.ok_or_else(not_found)?.into_api())
}

fn not_found() -> ApiError {
    ApiError::client(ProblemCode::NotFound, "No webhook endpoint has this id.")
}

fn no_sealing_key() -> ApiError {
    ApiError::client(
        ProblemCode::Misconfigured,
        "Webhook secrets are sealed with TOKEN_ENCRYPTION_KEY, which this deployment lacks.",
    )
}
