//! Groups: the list, and local groups made by hand while Okta sync is off.

use groupsync_core::api::{CreateGroupRequest, GroupSummary, ListGroupsResponse, ProblemCode};
use serde_json::json;
use worker::{Request, Response};

use crate::adapters::d1::{AuditRecord, GroupRow};
use crate::error::ApiError;
use crate::http::context::{Ctx, read_json};
use crate::http::respond;
use crate::service::access::Principal;

/// `GET /api/v1/groups`.
pub(crate) async fn list_groups(ctx: &Ctx) -> Result<Response, ApiError> {
    let groups = ctx
        .store
        .list_groups()
        .await?
        .into_iter()
        .map(|g| GroupSummary {
            id: g.id,
            source: g.source,
            name: g.name,
            description: g.description,
        })
        .collect();
    respond::json(&ListGroupsResponse { groups }, 200)
}

/// `POST /api/v1/groups`: refused with 409 while groups come from Okta.
pub(crate) async fn create_group(
    req: &mut Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: CreateGroupRequest = read_json(req).await?;
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid("name", "1 to 200 characters, no control characters"));
    }
    let description = body.description.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
    if description.as_ref().is_some_and(|d| d.chars().count() > 1_000) {
        return Err(ApiError::invalid("description", "at most 1,000 characters"));
    }
    let actor = ctx.admin_write(principal).await?;
    let mut id_bytes = [0_u8; 8];
    getrandom::fill(&mut id_bytes)
        .map_err(|_| ApiError::client(ProblemCode::Internal, "No randomness for an id."))?;
    let id = format!("loc{}", id_bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let row = GroupRow { id: id.clone(), source: "local".into(), name, description };
    let audit = AuditRecord {
        actor: &actor,
        action: "group.created",
        target: Some(id),
        before: None,
        after: Some(json!({ "name": row.name, "description": row.description })),
    };
    if !ctx.store.create_local_group(&row, &actor.name, &audit, &ctx.now).await? {
        return Err(ApiError::client(
            ProblemCode::SyncEnabled,
            "Groups come from Okta while Okta sync is on, so none can be created by hand. \
             Assign the group to the Okta app instead, or turn sync off in Settings.",
        ));
    }
    let summary = GroupSummary {
        id: row.id,
        source: row.source,
        name: row.name,
        description: row.description,
    };
    respond::json(&summary, 201)
}
