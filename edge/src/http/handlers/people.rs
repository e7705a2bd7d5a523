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
use groupsync_core::api::ProblemCode;

use crate::http::handlers::access::parse_email;
use crate::http::listing::{PEOPLE_PAGING, listing};
use crate::http::respond;
use crate::okta_target::OktaTarget;
use crate::service::access::Principal;

/// `POST /api/v1/invitations`: binds the invitation to the Okta user found by email, and says
/// which roles they will get and why (or warns that no assigned group includes them). An email
/// invited already is refused with when and by whom; one Okta does not know needs
/// `confirm_unknown`.
pub(crate) async fn create_invitation(
    req: &mut Request,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: CreateInvitationRequest = read_json(req).await?;
    let email = parse_email(&body.email)?;
    let actor = ctx.admin_write(principal).await?;
    if let Some(existing) = ctx.store.invitation(&email).await? {
        return Err(already_invited(&existing));
    }
    // Okta is asked at invite time; when it cannot be asked, the synced data still answers.
    let found = match OktaTarget::load(&ctx.config, &ctx.store).await {
        Ok(target) => {
            let client = target
                .client(ClientConfig { max_rate_limit_retries: 1, ..ClientConfig::default() });
            client.find_users_by_email(&email).await.ok().map(|users| {
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
    // `None`: Okta could not be asked; `Some(None)`: it has no such user.
    let okta_user_id = found.clone().flatten();
    if okta_user_id.is_none() && !body.confirm_unknown {
        let why = match found {
            Some(_) => format!("Okta has no user with the email {email}"),
            None => format!("Okta could not be asked whether {email} is one of its users"),
        };
        return Err(ApiError::client(
            ProblemCode::UnknownToOkta,
            format!(
                "{why}: they would get no role until Okta has them. Check the address, or \
                 confirm to invite them anyway."
            ),
        ));
    }
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
    let recorded =
        ctx.store.insert_invitation(&email, okta_user_id.as_deref(), &audit, &ctx.now).await?;
    let stored = ctx.store.invitation(&email).await?;
    let invitation = match stored {
        // Invited by someone else meanwhile: theirs stands.
        Some(row) if !recorded => return Err(already_invited(&row)),
        Some(row) => invitation(row),
        None => {
            return Err(ApiError::client(ProblemCode::Internal, "The invitation was not stored."));
        }
    };
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
    respond::json(&CreateInvitationResponse { invitation, access, warning }, 201)
}

/// `DELETE /api/v1/invitations/{email}`: withdraws an invitation nobody has used yet. One used
/// to sign in stays: access follows the person's Okta groups, not the invitation.
pub(crate) async fn revoke_invitation(
    email: &str,
    ctx: &Ctx,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let email = parse_email(email)?;
    let actor = ctx.admin_write(principal).await?;
    let Some(existing) = ctx.store.invitation(&email).await? else {
        return Err(not_invited(&email));
    };
    let used = |row: &InvitationRow| {
        ApiError::client(
            ProblemCode::Conflict,
            format!(
                "{email} already signed in{} with this invitation, so it cannot be withdrawn. \
                 Their roles follow their Okta groups: remove them from those groups in Okta \
                 to end their access.",
                row.activated_at
                    .as_deref()
                    .map(|at| format!(" on {}", shown_time(at)))
                    .unwrap_or_default()
            ),
        )
    };
    if existing.status != "invited" {
        return Err(used(&existing));
    }
    let audit = AuditRecord {
        actor: &actor,
        action: "invitation.revoked",
        target: Some(email.clone()),
        before: Some(json!({
            "invited_by": existing.invited_by,
            "invited_at": existing.invited_at,
            "okta_user_id": existing.okta_user_id,
        })),
        after: None,
    };
    if !ctx.store.revoke_invitation(&email, &audit, &ctx.now).await? {
        // Used (or withdrawn) meanwhile.
        return match ctx.store.invitation(&email).await? {
            Some(row) => Err(used(&row)),
            None => Err(not_invited(&email)),
        };
    }
    respond::json(&invitation(existing), 200)
}

/// `404 not_found` for an email nobody invited (or whose invitation was withdrawn).
fn not_invited(email: &str) -> ApiError {
    ApiError::client(ProblemCode::NotFound, format!("{email} is not invited."))
}

/// `409 already_exists` for an email invited before: when, by whom, and whether it was used.
fn already_invited(row: &InvitationRow) -> ApiError {
    let used = row
        .activated_at
        .as_deref()
        .map(|at| format!("; they signed in on {}", shown_time(at)))
        .unwrap_or_default();
    ApiError::client(
        ProblemCode::AlreadyExists,
        format!(
            "{} was already invited on {} by {}{used}.",
            row.email,
            shown_time(&row.invited_at),
            row.invited_by
        ),
    )
}

/// An RFC 3339 time as people read it: `2026-11-30 16:40 UTC`.
fn shown_time(at: &str) -> String {
    match (at.get(..10), at.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time} UTC"),
        _ => at.to_owned(),
    }
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
    let email = parse_email(email)?;
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
