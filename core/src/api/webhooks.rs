//! Signed webhooks to the apps that rely on this one (issue #15): the endpoints a superAdmin
//! registers, the events sent to them, and the log of their deliveries.

use serde::{Deserialize, Serialize};

#[cfg(feature = "schema")]
use super::examples;

/// The kinds of event sent to an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum WebhookEventType {
    /// People's roles changed: each person, their roles before and after, and why.
    #[serde(rename = "access.changed")]
    AccessChanged,
    /// A sync run committed changes to the synced groups and memberships.
    #[serde(rename = "sync.committed")]
    SyncCommitted,
}

impl WebhookEventType {
    /// Every event type, in the order screens list them.
    pub const ALL: [Self; 2] = [Self::AccessChanged, Self::SyncCommitted];

    /// The name on the wire (`access.changed`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AccessChanged => "access.changed",
            Self::SyncCommitted => "sync.committed",
        }
    }

    /// The event type named `name`, if there is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// `POST /api/v1/webhooks`: a new endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(example = examples::create_webhook()))]
pub struct CreateWebhookRequest {
    /// Where to send events: https, a host on the deployment's `WEBHOOK_ALLOWLIST`.
    pub url: String,
    /// What the endpoint is for, as people read it (may be empty).
    #[serde(default)]
    pub description: String,
    /// The event types to send it (at least one).
    pub events: Vec<WebhookEventType>,
}

/// A registered endpoint (its secret is shown only when it is made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WebhookEndpoint {
    /// `we_…`.
    pub id: String,
    /// Where events are sent.
    pub url: String,
    /// What it is for.
    pub description: String,
    /// The event types it receives.
    pub events: Vec<WebhookEventType>,
    /// Who registered it.
    pub created_by: String,
    /// When.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub created_at: String,
    /// Deliveries not yet answered with a 2xx and still to be tried.
    pub pending: u64,
    /// Deliveries that failed every attempt (until someone redelivers them).
    pub failed: u64,
    /// When an event last reached it.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub last_delivered_at: Option<String>,
}

/// `POST /api/v1/webhooks`: the endpoint, and its signing secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CreateWebhookResponse {
    /// The endpoint registered.
    pub endpoint: WebhookEndpoint,
    /// The Standard Webhooks signing secret (`whsec_` and the key in base64).
    pub secret: String,
}

/// `GET /api/v1/webhooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ListWebhooksResponse {
    /// Every endpoint, oldest first.
    pub endpoints: Vec<WebhookEndpoint>,
    /// The hosts this deployment may send to (`WEBHOOK_ALLOWLIST`), so that a screen can say why
    /// a URL is refused before anyone types it.
    pub allowed_hosts: Vec<String>,
}

/// Where one event's delivery to one endpoint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// To be sent (again) at `next_attempt_at`.
    Pending,
    /// Answered with a 2xx.
    Delivered,
    /// Every attempt failed; a superAdmin may redeliver it.
    Failed,
}

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WebhookDelivery {
    /// The event's id (`msg_…`, the `webhook-id` header): the same for every attempt.
    pub message_id: String,
    /// Its type.
    pub event_type: WebhookEventType,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made.
    pub attempts: u32,
    /// The HTTP status of the last attempt, when the endpoint answered.
    pub last_status: Option<u16>,
    /// Why the last attempt failed, when it did (`timed out`, `HTTP 500`, …).
    pub last_error: Option<String>,
    /// When the next attempt is due (pending deliveries).
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub next_attempt_at: Option<String>,
    /// When it was answered with a 2xx.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub delivered_at: Option<String>,
    /// When the event happened.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub created_at: String,
}

/// `GET /api/v1/webhooks/{id}/deliveries`: the newest deliveries first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ListWebhookDeliveriesResponse {
    /// The endpoint.
    pub endpoint: WebhookEndpoint,
    /// Its deliveries, newest first (at most `limit`).
    pub deliveries: Vec<WebhookDelivery>,
}

/// The body of every event sent (Standard Webhooks' recommended shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// One schema per kind of data, each of its own name (`WebhookEvent_AccessChangedData`).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(rename = "WebhookEvent_{T}"))]
pub struct WebhookEvent<T> {
    /// The event type.
    #[serde(rename = "type")]
    pub kind: WebhookEventType,
    /// When it happened (RFC 3339).
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub timestamp: String,
    /// What happened.
    pub data: T,
}

/// `access.changed`: people whose roles one change changed (at most 100 per event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AccessChangedData {
    /// The sync run whose commit changed them; none when an admin changed a group's roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// Each person whose roles changed.
    pub people: Vec<AccessChange>,
}

/// One person's roles before and after a change, and why they changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AccessChange {
    /// Their email (lowercase), as `/api/v1/users/{email}/access` takes it.
    #[cfg_attr(feature = "schema", schemars(email))]
    pub email: Option<String>,
    /// Their Okta user id.
    pub okta_user_id: String,
    /// Their roles before: built-in role names (`viewer`) and custom grants (`key` or
    /// `key@scope`), sorted.
    pub roles_before: Vec<String>,
    /// Their roles after, the same way.
    pub roles_after: Vec<String>,
    /// Sentences saying why (`Removed from Okta group Engineering (00g…)`, `Okta status is now
    /// SUSPENDED`).
    pub why: Vec<String>,
}

/// `sync.committed`: a run committed changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SyncCommittedData {
    /// The run.
    pub run_id: String,
    /// What started it (`schedule`, `manual`, `okta_event`, …).
    pub trigger: String,
    /// What it changed (`groups_added`, `memberships_removed`, …).
    #[cfg_attr(feature = "schema", schemars(with = "crate::domain::SyncCounts"))]
    pub counts: serde_json::Value,
}
