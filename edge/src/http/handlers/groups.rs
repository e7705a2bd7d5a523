//! Groups: the searchable list, one group, its members page by page, its roles (with
//! optimistic concurrency), and local groups made by hand while Okta sync is off.

use groupsync_core::api::{
    CreateGroupRequest, GroupDetail, GroupMember, GroupPage, GroupSource, MemberPage,
    SetGroupRolesRequest,
};
use groupsync_core::domain::Permission;
use groupsync_core::okta::OktaUserStatus;
use worker::{Env, Request, Response};

use crate::adapters::d1::{GroupOrder, GroupPageRows, MemberPageRows, MemberRow};
use crate::error::ApiError;
use crate::http::context::{Ctx, read_json};
use crate::http::handlers::{PlannedAnswer, answer, answer_alone, answered};
use crate::http::listing::{Cursor, GROUP_PAGING, GROUP_SORTS, MEMBER_PAGING, listing};
use crate::http::respond;
use crate::service::access::Principal;
use crate::service::groups::{self, RoleStores, no_such_group};
use crate::service::ports::GroupListRow;

/// `GET /api/v1/groups?q=&sort=name|-name|members|-members|source&page=&per_page=`.
pub(crate) fn list_groups(req: &Request, ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    let mut order = GroupOrder::default();
    let query = listing(req, GROUP_PAGING, |name, value| {
        if name != "sort" {
            return Ok(false);
        }
        order = GroupOrder::parse(value).ok_or_else(|| {
            ApiError::invalid("sort", format!("one of {}", GROUP_SORTS.join(", ")))
        })?;
        Ok(true)
    })?;
    let (page, per_page) = (query.page, query.per_page);
    let read = ctx.store.plan_group_page(&query.search, order, per_page, query.offset())?;
    Ok(answered(read, move |GroupPageRows { rows, total, last_commit_at }| {
        let groups = rows.into_iter().map(|row| detail(row, last_commit_at.clone())).collect();
        respond::json(&GroupPage { groups, total, page, per_page, as_of: last_commit_at }, 200)
    }))
}

/// `GET /api/v1/groups/{id}`: the group with its member count (its members are paged by
/// [`list_members`]); the `ETag` is its roles version.
pub(crate) fn get_group(id: &str, ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    Ok(ctx.store.plan_group_with_sync(id)?.map(|(group, last_commit_at)| {
        answer(move |principal| {
            let mut group = detail(group.ok_or_else(no_such_group)?, last_commit_at);
            // Who saved the roles is told to those who may change them (a save of theirs can
            // meet that person's); for everyone else it is the audit log's, which needs
            // `read_audit`.
            if !principal.permissions.contains(&Permission::AssignRoles) {
                (group.roles_saved_by, group.roles_saved_at) = (None, None);
            }
            let version = group.roles_version;
            let mut response = respond::json(&group, 200)?;
            response.headers_mut().set("ETag", &format!("\"{version}\"")).ok();
            Ok(response)
        })
    }))
}

/// `GET /api/v1/groups/{id}/members?q=&after=&per_page=`: a page of the group's members by
/// email, then id, with the count of all that match, read in one D1 batch.
pub(crate) fn list_members(id: &str, req: &Request, ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    let query = listing(req, MEMBER_PAGING, |_, _| Ok(false))?;
    let per_page = query.per_page;
    let after = query.after.as_ref().map(|c| (c.key.as_str(), c.id.as_str()));
    let read = ctx.store.plan_member_page(id, &query.search, after, per_page)?;
    Ok(answered(read, move |page| {
        let MemberPageRows { mut rows, total, last_commit_at } = page.ok_or_else(no_such_group)?;
        // The store reads one row more than a page: whether it came says whether a page
        // follows.
        let more = rows.len() > per_page as usize;
        rows.truncate(per_page as usize);
        let next_after = more.then(|| rows.last()).flatten().map(|row| {
            Cursor { key: row.email.clone().unwrap_or_default(), id: row.id.clone() }.encode()
        });
        let members = rows.into_iter().map(member).collect();
        let page = MemberPage { members, total, per_page, next_after, as_of: last_commit_at };
        respond::json(&page, 200)
    }))
}

/// `PUT /api/v1/groups/{id}/roles`: see [`groups::set_group_roles`]; answers the group as
/// [`get_group`] does.
pub(crate) async fn set_group_roles(
    id: &str,
    req: &mut Request,
    ctx: &Ctx,
    env: &Env,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: SetGroupRolesRequest = read_json(req).await?;
    let stores = RoleStores { groups: &ctx.store, catalog: &ctx.store, people: &ctx.store };
    groups::set_group_roles(stores, ctx, principal, id, &body, &ctx.now).await?;
    // The members' `access.changed` events, if an endpoint receives them, are made by the sender.
    crate::webhooks::kick(env).await;
    answer_alone(get_group(id, ctx), &ctx.store, principal).await
}

/// `POST /api/v1/groups`: see [`groups::create_group`].
pub(crate) async fn create_group(
    req: &mut Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: CreateGroupRequest = read_json(req).await?;
    let summary = groups::create_group(&ctx.store, ctx, principal, body, &ctx.now).await?;
    respond::json(&summary, 201)
}

fn detail(row: GroupListRow, last_synced: Option<String>) -> GroupDetail {
    GroupDetail {
        roles: row.roles(),
        grants: row.grants(),
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
    GroupMember { id: row.id, email: row.email, name, status: OktaUserStatus::parse(&row.status) }
}
