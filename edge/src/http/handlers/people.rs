//! People: invitations, the app's users, and "what may this user do, and why?".

use groupsync_core::api::{
    AppUser, CreateInvitationRequest, CreateInvitationResponse, Invitation,
    ListInvitationsResponse, ListUsersResponse, UserAccessResponse,
};
use groupsync_core::domain::{
    BuiltInRole, EffectiveAccess, GroupGrant, effective_access, holds_group_roles, status_meaning,
};
use groupsync_core::okta::{ClientConfig, OktaUserStatus};
use serde_json::json;
use worker::{Request, Response};

use crate::adapters::d1::{AuditRecord, GroupRoles, InvitationRow, People, PersonRecord, Store};
use crate::error::ApiError;
use crate::http::context::{Ctx, read_json};
use groupsync_core::domain::looks_like_email;

use crate::http::handlers::access::invalid_email;
use crate::http::listing::{PEOPLE_PAGING, listing};
use crate::http::respond;
use crate::okta_target::OktaTarget;
use crate::service::access::Principal;

/// `POST /api/v1/invitations`: binds the invitation to the Okta user found by email, and says
/// which roles they will get and why (or warns that no assigned group includes them).
pub(crate) async fn create_invitation(
    req: &mut Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: CreateInvitationRequest = read_json(req).await?;
    let email = body.email.trim().to_lowercase();
    if !looks_like_email(&email) {
        return Err(invalid_email());
    }
    let actor = ctx.admin_write(principal).await?;
    // Okta is asked at invite time; when it cannot be asked, the synced data still answers.
    let okta_user_id = match OktaTarget::load(&ctx.config, &ctx.store).await {
        Ok(target) => {
            let client = target
                .client(ClientConfig { max_rate_limit_retries: 1, ..ClientConfig::default() });
            client.find_users_by_email(&email).await.ok().and_then(|users| {
                users
                    .into_iter()
                    .find(|u| {
                        u.profile.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&email))
                    })
                    .map(|u| u.id)
            })
        }
        Err(_) => None,
    };
    // An invitation hands out the roles the person's groups grant: only within the inviter's.
    let (_, status, access) = access_of(&ctx.store, &email, okta_user_id.as_deref()).await?;
    principal.may_hand_out(&access.roles, "invite someone with")?;
    let audit = AuditRecord {
        actor: &actor,
        action: "invitation.sent",
        target: Some(email.clone()),
        before: None,
        after: Some(json!({ "okta_user_id": okta_user_id })),
    };
    ctx.store.upsert_invitation(&email, okta_user_id.as_deref(), &audit, &ctx.now).await?;
    let warning = match (&okta_user_id, status) {
        (None, _) => Some(format!(
            "{email} is not a user in Okta (or Okta could not be asked): they will get no role until they are."
        )),
        (Some(_), None) => {
            Some(format!("{email} is in no group assigned to the app, so they will get no role."))
        }
        (Some(_), Some(status)) if !holds_group_roles(status) => {
            Some(status_meaning(&email, status))
        }
        _ if access.roles.is_empty() => {
            Some(format!("{email} is in groups of the app, but none of them grants a role."))
        }
        _ => None,
    };
    let invitation = ctx.store.invitation(&email).await?.map(invitation).ok_or_else(|| {
        ApiError::client(
            groupsync_core::api::ProblemCode::Internal,
            "The invitation was not stored.",
        )
    })?;
    respond::json(&CreateInvitationResponse { invitation, access, warning }, 201)
}

/// `GET /api/v1/invitations?q=&page=&per_page=`: newest first.
pub(crate) async fn list_invitations(req: &Request, ctx: &Ctx) -> Result<Response, ApiError> {
    let query = listing(req, PEOPLE_PAGING, |_, _| Ok(false))?;
    let (rows, total) =
        ctx.store.invitation_page(&query.search, query.per_page, query.offset()).await?;
    let invitations = rows.into_iter().map(invitation).collect();
    let (page, per_page) = (query.page, query.per_page);
    respond::json(&ListInvitationsResponse { invitations, total, page, per_page }, 200)
}

/// `GET /api/v1/users?q=&page=&per_page=`: the access review, a page of everyone invited or
/// holding access (status `not_invited` for those never invited) with their roles now, each
/// row whole from one read (a screen never shows a person beside roles from another moment), in
/// one D1 batch whatever the page holds.
pub(crate) async fn list_users(req: &Request, ctx: &Ctx) -> Result<Response, ApiError> {
    let query = listing(req, PEOPLE_PAGING, |_, _| Ok(false))?;
    let People { invitations, total, mut grants, super_admins } =
        ctx.store.people_page(&query.search, query.per_page, query.offset()).await?;
    let users = invitations
        .into_iter()
        .map(|row| {
            let super_admin = super_admins.contains(&row.email);
            let roles = grants.remove(&row.email).map_or_else(Vec::new, |person| {
                let status = OktaUserStatus::parse(&person.status);
                effective_access(Some(status), &group_grants(person.grants), super_admin).roles
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
        })
        .collect();
    let (page, per_page) = (query.page, query.per_page);
    respond::json(&ListUsersResponse { users, total, page, per_page }, 200)
}

/// `GET /api/v1/users/{email}/access`: the effective roles and permissions, and why, from D1.
pub(crate) async fn get_user_access(email: &str, ctx: &Ctx) -> Result<Response, ApiError> {
    let email = email.trim().to_lowercase();
    if !looks_like_email(&email) {
        return Err(invalid_email());
    }
    let (okta_user_id, status, access) = access_of(&ctx.store, &email, None).await?;
    respond::json(
        &UserAccessResponse {
            email,
            okta_user_id,
            okta_status: status.map(|s| s.as_str().to_owned()),
            access,
        },
        200,
    )
}

/// The roles a person holds through the synced groups (for the principal of a request).
pub(crate) fn roles_of_person(person: PersonRecord) -> Vec<BuiltInRole> {
    let Some(user) = &person.user else { return Vec::new() };
    let grants = group_grants(person.grants);
    effective_access(Some(OktaUserStatus::parse(&user.status)), &grants, false).roles
}

/// The synced Okta user of `email` (or of `okta_user_id`), their status, and their access, all
/// of one moment.
async fn access_of(
    store: &Store,
    email: &str,
    okta_user_id: Option<&str>,
) -> Result<(Option<String>, Option<OktaUserStatus>, EffectiveAccess), ApiError> {
    let person = store.person(email, None, okta_user_id).await?;
    let user_id = person.user.as_ref().map(|u| u.id.clone()).or(okta_user_id.map(str::to_owned));
    let status = person.user.as_ref().map(|u| OktaUserStatus::parse(&u.status));
    let in_groups = !person.grants.is_empty();
    let mut access = effective_access(status, &group_grants(person.grants), person.super_admin);
    // A shared email grants nothing: say so first, the usual notes would not explain it.
    if let Some(note) = person.identity.note(email) {
        access.notes.insert(0, note);
    }
    Ok((user_id, if in_groups { status } else { None }, access))
}

/// The groups of a synced user, with the roles each grants (perhaps none).
fn group_grants(rows: Vec<GroupRoles>) -> Vec<GroupGrant> {
    rows.into_iter()
        .map(|(group_id, group_name, roles)| GroupGrant {
            group_id,
            group_name,
            roles: roles.iter().filter_map(|r| BuiltInRole::parse(r)).collect(),
        })
        .collect()
}

fn invitation(row: InvitationRow) -> Invitation {
    Invitation {
        email: row.email,
        okta_user_id: row.okta_user_id,
        status: row.status,
        invited_by: row.invited_by,
        invited_at: row.invited_at,
        activated_at: row.activated_at,
    }
}
