//! Groups: the searchable list, one group, its members page by page, its roles (with
//! optimistic concurrency), and local groups made by hand while Okta sync is off.

use groupsync_core::api::{
    CreateGroupRequest, GroupDetail, GroupMember, GroupPage, GroupSource, GroupSummary, MemberPage,
    ProblemCode, SetGroupRolesRequest,
};
use groupsync_core::domain::{BuiltInRole, Permission, roles_changed};
use serde_json::json;
use worker::{Request, Response};

use crate::adapters::d1::{
    AuditRecord, GroupListRow, GroupPageRows, GroupRow, MemberPageRows, MemberRow,
};
use crate::error::ApiError;
use crate::http::context::{Ctx, read_json};
use crate::http::listing::{Cursor, GROUP_PAGING, GROUP_SORTS, MEMBER_PAGING, listing};
use crate::http::respond;
use crate::service::access::Principal;

/// `GET /api/v1/groups?q=&sort=name|-name|members|-members|source&page=&per_page=`.
pub(crate) async fn list_groups(req: &Request, ctx: &Ctx) -> Result<Response, ApiError> {
    let mut order = "g.name COLLATE NOCASE, g.id";
    let query = listing(req, GROUP_PAGING, |name, value| {
        if name != "sort" {
            return Ok(false);
        }
        order = match value {
            "name" => "g.name COLLATE NOCASE, g.id",
            "-name" => "g.name COLLATE NOCASE DESC, g.id",
            "members" => "member_count, g.name COLLATE NOCASE, g.id",
            "-members" => "member_count DESC, g.name COLLATE NOCASE, g.id",
            "source" => "g.source, g.name COLLATE NOCASE, g.id",
            _ => {
                return Err(ApiError::invalid(
                    "sort",
                    format!("one of {}", GROUP_SORTS.join(", ")),
                ));
            }
        };
        Ok(true)
    })?;
    let GroupPageRows { rows, total, last_commit_at } =
        ctx.store.group_page(&query.search, order, query.per_page, query.offset()).await?;
    let groups = rows.into_iter().map(|row| detail(row, last_commit_at.clone())).collect();
    let (page, per_page) = (query.page, query.per_page);
    respond::json(&GroupPage { groups, total, page, per_page, as_of: last_commit_at }, 200)
}

/// `GET /api/v1/groups/{id}`: the group with its member count (its members are paged by
/// [`list_members`]); the `ETag` is its roles version.
pub(crate) async fn get_group(
    id: &str,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let (group, last_commit_at) = ctx.store.group_with_sync(id).await?;
    let mut group = detail(group.ok_or_else(no_such_group)?, last_commit_at);
    // Who saved the roles is told to those who may change them (a save of theirs can meet
    // that person's); for everyone else it is the audit log's, which needs `read_audit`.
    if !principal.permissions.contains(&Permission::AssignRoles) {
        (group.roles_saved_by, group.roles_saved_at) = (None, None);
    }
    let version = group.roles_version;
    let mut response = respond::json(&group, 200)?;
    response.headers_mut().set("ETag", &format!("\"{version}\"")).ok();
    Ok(response)
}

/// `GET /api/v1/groups/{id}/members?q=&after=&per_page=`: a page of the group's members by
/// email, then id, with the count of all that match, read in one D1 batch.
pub(crate) async fn list_members(id: &str, req: &Request, ctx: &Ctx) -> Result<Response, ApiError> {
    let query = listing(req, MEMBER_PAGING, |_, _| Ok(false))?;
    let MemberPageRows { mut rows, total, last_commit_at } = ctx
        .store
        .member_page(
            id,
            &query.search,
            query.after.as_ref().map(|c| (c.key.as_str(), c.id.as_str())),
            query.per_page,
        )
        .await?
        .ok_or_else(no_such_group)?;
    // The store reads one row more than a page: whether it came says whether a page follows.
    let more = rows.len() > query.per_page as usize;
    rows.truncate(query.per_page as usize);
    let next_after = more.then(|| rows.last()).flatten().map(|row| {
        Cursor { key: row.email.clone().unwrap_or_default(), id: row.id.clone() }.encode()
    });
    let members = rows.into_iter().map(member).collect();
    let per_page = query.per_page;
    respond::json(&MemberPage { members, total, per_page, next_after, as_of: last_commit_at }, 200)
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
    // The change is judged against the roles of the version the caller sent, which the write
    // below stores only if it is still current: a version other than the one read is a conflict.
    if body.version != before.roles_version {
        return Err(version_conflict(&before));
    }
    // Adding a role and removing one both change who holds what: both need the role's
    // permissions (otherwise an Editor could make their own group Admin, or strip Admin).
    principal.may_hand_out(&roles_changed(&roles_of(&before), &roles), "grant or remove")?;
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
        // Saved by someone else between the read above and the write: name them.
        let now = ctx.store.group(id).await?.unwrap_or(before);
        return Err(version_conflict(&now));
    }
    get_group(id, ctx, principal).await
}

/// The conflict of a save based on a version older than `current`'s: names who saved it, and
/// when, when that is known.
fn version_conflict(current: &GroupListRow) -> ApiError {
    let first = match (&current.roles_saved_by, &current.roles_saved_at) {
        (Some(by), Some(at)) => format!("{by} changed this group's roles first (at {at})."),
        _ => "Someone else changed this group's roles first.".to_owned(),
    };
    ApiError::client(
        ProblemCode::VersionConflict,
        format!("{first} Reload the group to see their change, then apply yours again."),
    )
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
    let row = GroupRow { id: id.clone(), source: GroupSource::Local, name, description };
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

fn detail(row: GroupListRow, last_synced: Option<String>) -> GroupDetail {
    GroupDetail {
        roles: roles_of(&row),
        last_synced_at: if row.source == GroupSource::Okta { last_synced } else { None },
        member_count: u32::try_from(row.member_count).unwrap_or(0),
        roles_version: row.roles_version,
        roles_saved_by: row.roles_saved_by,
        roles_saved_at: row.roles_saved_at,
        id: row.id,
        source: row.source,
        name: row.name,
        description: row.description,
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
