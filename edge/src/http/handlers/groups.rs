//! Groups: the searchable list, one group with its members, its roles (with optimistic
//! concurrency), and local groups made by hand while Okta sync is off.

use groupsync_core::api::{
    CreateGroupRequest, GroupDetail, GroupMember, GroupPage, GroupSummary, ProblemCode,
    SetGroupRolesRequest,
};
use groupsync_core::domain::BuiltInRole;
use serde_json::json;
use worker::{Request, Response};

use crate::adapters::d1::{
    AuditRecord, GroupListRow, GroupPageRows, GroupRow, GroupWithMembers, MemberRow,
};
use crate::error::ApiError;
use crate::http::context::{Ctx, read_json};
use crate::http::respond;
use crate::service::access::Principal;

const DEFAULT_PER_PAGE: u32 = 100;
const MAX_PER_PAGE: u32 = 1_000;

/// `GET /api/v1/groups?q=&sort=name|-name|members|-members|source&page=&per_page=`.
pub(crate) async fn list_groups(req: &Request, ctx: &Ctx) -> Result<Response, ApiError> {
    let url = req.url().map_err(|_| ApiError::invalid("url", "unreadable"))?;
    let (mut search, mut order, mut page, mut per_page): (String, &str, u32, u32) =
        (String::new(), "g.name COLLATE NOCASE, g.id", 1, DEFAULT_PER_PAGE);
    for (name, value) in url.query_pairs() {
        match name.as_ref() {
            "q" => search = value.chars().take(200).collect(),
            "sort" => {
                order = match value.as_ref() {
                    "name" => "g.name COLLATE NOCASE, g.id",
                    "-name" => "g.name COLLATE NOCASE DESC, g.id",
                    "members" => "member_count, g.name COLLATE NOCASE, g.id",
                    "-members" => "member_count DESC, g.name COLLATE NOCASE, g.id",
                    "source" => "g.source, g.name COLLATE NOCASE, g.id",
                    _ => {
                        return Err(ApiError::invalid(
                            "sort",
                            "one of name, -name, members, -members, source",
                        ));
                    }
                }
            }
            "page" => {
                page = value
                    .parse()
                    .ok()
                    .filter(|p| *p >= 1)
                    .ok_or_else(|| ApiError::invalid("page", "a page number from 1"))?;
            }
            "per_page" => {
                per_page =
                    value.parse().ok().filter(|p| (1..=MAX_PER_PAGE).contains(p)).ok_or_else(
                        || ApiError::invalid("per_page", format!("between 1 and {MAX_PER_PAGE}")),
                    )?;
            }
            other => return Err(ApiError::invalid(other, "is not a parameter of this listing")),
        }
    }
    let offset = (page - 1).saturating_mul(per_page);
    let GroupPageRows { rows, total, last_commit_at } =
        ctx.store.group_page(&search, order, per_page, offset).await?;
    let groups = rows.into_iter().map(|row| detail(row, last_commit_at.clone(), None)).collect();
    respond::json(&GroupPage { groups, total, page, per_page, as_of: last_commit_at }, 200)
}

/// `GET /api/v1/groups/{id}`: the group with its members; the `ETag` is its roles version.
pub(crate) async fn get_group(id: &str, ctx: &Ctx) -> Result<Response, ApiError> {
    let GroupWithMembers { group, members, last_commit_at } =
        ctx.store.group_with_members(id).await?.ok_or_else(no_such_group)?;
    let group = detail(group, last_commit_at, Some(members.into_iter().map(member).collect()));
    let version = group.roles_version;
    let mut response = respond::json(&group, 200)?;
    response.headers_mut().set("ETag", &format!("\"{version}\"")).ok();
    Ok(response)
}

/// `PUT /api/v1/groups/{id}/roles`: replaces the group's roles if nobody changed them since
/// `version` (409 `version_conflict` otherwise, so two admins cannot overwrite each other).
pub(crate) async fn set_group_roles(
    id: &str,
    req: &mut Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: SetGroupRolesRequest = read_json(req).await?;
    let before = ctx.store.group(id).await?.ok_or_else(no_such_group)?;
    let mut roles: Vec<BuiltInRole> = body.roles.clone();
    roles.sort();
    roles.dedup();
    let names: Vec<String> = roles.iter().map(|r| r.as_str().to_owned()).collect();
    let actor = ctx.admin_write(principal).await?;
    let audit = AuditRecord {
        actor: &actor,
        action: "group.roles_set",
        target: Some(id.to_owned()),
        before: Some(json!({ "roles": roles_of(&before), "version": before.roles_version })),
        after: Some(json!({ "roles": names, "version": body.version + 1 })),
    };
    let mut nonce = [0_u8; 8];
    getrandom::fill(&mut nonce)
        .map_err(|_| ApiError::client(ProblemCode::Internal, "No randomness."))?;
    let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    if !ctx.store.set_group_roles(id, &names, body.version, &nonce, &audit, &ctx.now).await? {
        return Err(ApiError::client(
            ProblemCode::VersionConflict,
            "Someone else changed this group's roles first. Reload the group to see their change, then apply yours again.",
        ));
    }
    get_group(id, ctx).await
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

fn roles_of(row: &GroupListRow) -> Vec<BuiltInRole> {
    let names: Vec<String> =
        row.roles.as_deref().and_then(|r| serde_json::from_str(r).ok()).unwrap_or_default();
    let mut roles: Vec<BuiltInRole> = names.iter().filter_map(|n| BuiltInRole::parse(n)).collect();
    roles.sort();
    roles
}

fn detail(
    row: GroupListRow,
    last_synced: Option<String>,
    members: Option<Vec<GroupMember>>,
) -> GroupDetail {
    GroupDetail {
        roles: roles_of(&row),
        last_synced_at: if row.source == "okta" { last_synced } else { None },
        member_count: u32::try_from(row.member_count).unwrap_or(0),
        roles_version: row.roles_version,
        id: row.id,
        source: row.source,
        name: row.name,
        description: row.description,
        members,
    }
}

fn member(row: MemberRow) -> GroupMember {
    let name = match (&row.first_name, &row.last_name) {
        (Some(first), Some(last)) => Some(format!("{first} {last}")),
        (Some(one), None) | (None, Some(one)) => Some(one.clone()),
        (None, None) => row.login.clone(),
    };
    GroupMember { id: row.id, email: row.email, name, status: row.status }
}

fn no_such_group() -> ApiError {
    ApiError::client(ProblemCode::NotFound, "No group has this id.")
}
