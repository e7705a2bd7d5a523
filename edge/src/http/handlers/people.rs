//! People: invitations, the app's users, and "what may this user do, and why?".

use std::collections::BTreeMap;

use groupsync_core::api::{
    AccessCheckBatchResponse, AppUser, CreateInvitationRequest, ListInvitationsResponse,
    ListUsersResponse, UserAccessResponse,
};
use groupsync_core::domain::{BuiltInRole, effective_access};
use groupsync_core::okta::OktaUserStatus;
use worker::{Request, Response};

use crate::adapters::d1::{People, PersonGrants, PersonRecord, ReviewRow};
use crate::error::ApiError;
use crate::http::context::{Ctx, read_json};
use crate::http::handlers::access::parse_email;
use crate::http::handlers::{PlannedAnswer, answered};
use crate::http::listing::{PEOPLE_PAGING, listing, query_pairs};
use crate::http::respond;
use crate::okta_target::OktaDirectory;
use crate::service::access::Principal;
use crate::service::access_check::{
    answer_batch, answer_check, check_subjects, parse_check_batch, parse_check_query,
};
use crate::service::invitations::{self, InvitationRequest};
use crate::service::person_access::{PersonAccess, access_from_facts, group_grants};

/// `POST /api/v1/invitations`: see [`invitations::create_invitation`].
pub(crate) async fn create_invitation(
    req: &mut Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: CreateInvitationRequest = read_json(req).await?;
    let email = parse_email(&body.email)?;
    let okta = OktaDirectory { config: &ctx.config, store: &ctx.store };
    let request = InvitationRequest { email: &email, confirm_unknown: body.confirm_unknown };
    let created =
        invitations::create_invitation(&ctx.store, &okta, ctx, principal, request, &ctx.now)
            .await?;
    respond::json(&created, 201)
}

/// `DELETE /api/v1/invitations/{email}`: see [`invitations::revoke_invitation`].
pub(crate) async fn revoke_invitation(
    email: &str,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let email = parse_email(email)?;
    let withdrawn =
        invitations::revoke_invitation(&ctx.store, ctx, principal, &email, &ctx.now).await?;
    respond::json(&withdrawn, 200)
}

/// `GET /api/v1/invitations?q=&page=&per_page=`: newest first.
pub(crate) fn list_invitations(req: &Request, ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    let query = listing(req, PEOPLE_PAGING, |_, _| Ok(false))?;
    let (page, per_page) = (query.page, query.per_page);
    let read = ctx.store.plan_invitation_page(&query.search, per_page, query.offset())?;
    Ok(answered(read, move |(rows, total)| {
        let invitations = rows.into_iter().map(invitations::invitation).collect();
        respond::json(&ListInvitationsResponse { invitations, total, page, per_page }, 200)
    }))
}

/// `GET /api/v1/users?q=&page=&per_page=`: the access review, a page of everyone invited or
/// holding access (status `not_invited` for those never invited) with their roles now, each
/// row whole from one read (a screen never shows a person beside roles from another moment), in
/// one D1 batch whatever the page holds.
pub(crate) fn list_users(req: &Request, ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    let query = listing(req, PEOPLE_PAGING, |_, _| Ok(false))?;
    let (page, per_page) = (query.page, query.per_page);
    let read = ctx.store.plan_people_page(&query.search, per_page, query.offset())?;
    Ok(answered(read, move |People { invitations, total, mut grants, super_admins }| {
        let users =
            invitations.into_iter().map(|row| app_user(row, &mut grants, &super_admins)).collect();
        respond::json(&ListUsersResponse { users, total, page, per_page }, 200)
    }))
}

/// A row of the access review as the wire shows it, with the person's roles now (taken out of
/// `grants`, each person's once).
fn app_user(
    row: ReviewRow,
    grants: &mut BTreeMap<String, PersonGrants>,
    super_admins: &[String],
) -> AppUser {
    let super_admin = super_admins.contains(&row.email);
    let roles = grants.remove(&row.email).map_or_else(Vec::new, |person| {
        let status = OktaUserStatus::parse(&person.status);
        effective_access(Some(status), &group_grants(person.grants, &[]), super_admin).roles
    });
    AppUser {
        email: row.email,
        okta_user_id: row.okta_user_id,
        status: row.status,
        invited_by: row.invited_by,
        invited_at: row.invited_at,
        activated_at: row.activated_at,
        super_admin,
        roles,
    }
}

/// `GET /api/v1/users/{email}/access`: the effective roles and permissions, and why, from D1.
pub(crate) fn get_user_access(email: &str, ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    let email = parse_email(email)?;
    let read = ctx.store.plan_person(&email, None, None)?;
    Ok(answered(read, move |person| {
        let PersonAccess { okta_user_id, status, access } =
            access_from_facts(&email, person.into_facts(), None);
        let response = UserAccessResponse { email, okta_user_id, okta_status: status, access };
        respond::json(&response, 200)
    }))
}

/// `GET /api/v1/access/check`: may a person do a permission on a resource, and why.
pub(crate) fn check_access(req: &Request, ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    let query = parse_check_query(&query_pairs(req)?)?;
    let (emails, what_if_ids) = check_subjects(std::slice::from_ref(&query));
    let read = ctx.store.plan_check_reads(emails, &what_if_ids)?;
    Ok(answered(read, move |reads| respond::json(&answer_check(reads, query)?, 200)))
}

/// `POST /api/v1/access/checks`: many checks, answered in their order, read in one batch.
pub(crate) async fn check_access_batch(req: &mut Request, ctx: &Ctx) -> Result<Response, ApiError> {
    let queries = parse_check_batch(read_json(req).await?)?;
    let (emails, what_if_ids) = check_subjects(&queries);
    let reads = ctx.store.plan_check_reads(emails, &what_if_ids)?.run(&ctx.store).await?;
    let results = answer_batch(reads, queries)?;
    respond::json(&AccessCheckBatchResponse { results }, 200)
}

/// The roles a person holds through the synced groups (for the principal of a request).
pub(crate) fn roles_of_person(person: PersonRecord) -> Vec<BuiltInRole> {
    let Some(user) = &person.user else { return Vec::new() };
    let grants = group_grants(person.grants, &[]);
    effective_access(Some(OktaUserStatus::parse(&user.status)), &grants, false).roles
}
