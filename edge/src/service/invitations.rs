//! Inviting people and withdrawing invitations: the rules of both writes.
//!
//! An email invited already is refused with when and by whom. Okta is asked at invite time, and
//! an email it does not know (or could not be asked about) needs `confirm_unknown`. An
//! invitation hands out the roles the person's groups grant, so only within the inviter's own
//! (no escalation). One that was used to sign in cannot be withdrawn. Every write carries its
//! audit row.

use groupsync_core::api::{CreateInvitationResponse, Invitation, InvitationStatus, ProblemCode};
use groupsync_core::domain::{EffectiveAccess, holds_group_roles, status_meaning};
use groupsync_core::okta::OktaUserStatus;
use serde_json::json;

use crate::error::ApiError;
use crate::service::access::Principal;
use crate::service::person_access::{PersonAccess, access_of};
use crate::service::ports::{
    AuditRecord, Directory, DirectoryUser, InvitationRow, PeopleStore, RateLimiter,
};

/// What an inviter asked for: whom, and whether to invite them although Okta does not know them.
#[derive(Debug, Clone, Copy)]
pub struct InvitationRequest<'a> {
    /// The email, parsed (trimmed and lowercased).
    pub email: &'a str,
    /// Invite even when Okta has no such user, or could not be asked.
    pub confirm_unknown: bool,
}

/// Invites `request.email` on behalf of `principal`: binds the invitation to the Okta user
/// found by email, and says which roles they will get and why (or warns why they will get none).
///
/// # Errors
///
/// `already_exists` when the email is invited already (also when someone invited it meanwhile);
/// `unknown_to_okta` when Okta does not know it (or could not be asked) and it was not
/// confirmed; `beyond_own_access` when their roles go beyond the inviter's; the write limit's
/// refusal.
pub async fn create_invitation(
    store: &impl PeopleStore,
    directory: &impl Directory,
    limits: &impl RateLimiter,
    principal: &Principal,
    request: InvitationRequest<'_>,
    now: &str,
) -> Result<CreateInvitationResponse, ApiError> {
    let email = request.email;
    let actor = limits.admit_write(principal).await?;
    if let Some(existing) = store.invitation(email).await? {
        return Err(already_invited(&existing));
    }
    // Okta is asked at invite time; when it cannot be asked, the synced data still answers.
    let found = directory.find_users_by_email(email).await;
    let okta_user_id =
        found.as_deref().ok().and_then(|users| user_with_email(users, email)).map(str::to_owned);
    if okta_user_id.is_none() && !request.confirm_unknown {
        return Err(unknown_to_okta(email, found.is_ok()));
    }
    let PersonAccess { status, access, .. } =
        access_of(store, email, okta_user_id.as_deref()).await?;
    // An invitation hands out the roles the person's groups grant: only within the inviter's.
    principal.may_hand_out(&access.roles, "invite someone with")?;
    let audit = AuditRecord {
        after: Some(json!({ "okta_user_id": okta_user_id })),
        ..AuditRecord::of(&actor, "invitation.sent", email)
    };
    let recorded = store.insert_invitation(email, okta_user_id.as_deref(), &audit, now).await?;
    let invitation = match store.invitation(email).await? {
        // Invited by someone else meanwhile: theirs stands.
        Some(row) if !recorded => return Err(already_invited(&row)),
        Some(row) => invitation(row),
        None => {
            return Err(ApiError::client(ProblemCode::Internal, "The invitation was not stored."));
        }
    };
    let warning = warning(email, okta_user_id.is_some(), status, &access);
    Ok(CreateInvitationResponse { invitation, access, warning })
}

/// Withdraws the invitation of `email`, on behalf of `principal`, while nobody has used it. One
/// used to sign in stays: access follows the person's Okta groups, not the invitation.
///
/// # Errors
///
/// `not_found` when `email` is not invited; `conflict` when the invitation was used (also when
/// it was used meanwhile); the write limit's refusal.
pub async fn revoke_invitation(
    store: &impl PeopleStore,
    limits: &impl RateLimiter,
    principal: &Principal,
    email: &str,
    now: &str,
) -> Result<Invitation, ApiError> {
    let actor = limits.admit_write(principal).await?;
    let Some(existing) = store.invitation(email).await? else {
        return Err(not_invited(email));
    };
    if existing.status != InvitationStatus::Invited {
        return Err(used(&existing));
    }
    let audit = AuditRecord {
        before: Some(json!({
            "invited_by": existing.invited_by,
            "invited_at": existing.invited_at,
            "okta_user_id": existing.okta_user_id,
        })),
        ..AuditRecord::of(&actor, "invitation.revoked", email)
    };
    if !store.revoke_invitation(email, &audit, now).await? {
        // Used (or withdrawn) meanwhile.
        return match store.invitation(email).await? {
            Some(row) => Err(used(&row)),
            None => Err(not_invited(email)),
        };
    }
    Ok(invitation(existing))
}

/// Which of the users Okta's search answered is the one whose email is `email`.
///
/// The first whose profile email is `email` in any ASCII case. Okta's search may also return
/// users it matched on something else (a login, a secondary email); they are never chosen,
/// since the user chosen decides which roles the no-escalation check sees.
pub fn user_with_email<'a>(candidates: &'a [DirectoryUser], email: &str) -> Option<&'a str> {
    candidates
        .iter()
        .find(|u| u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email)))
        .map(|u| u.id.as_str())
}

/// The wire form of a stored invitation.
pub fn invitation(row: InvitationRow) -> Invitation {
    Invitation {
        email: row.email,
        okta_user_id: row.okta_user_id,
        status: row.status,
        invited_by: row.invited_by,
        invited_at: row.invited_at,
        activated_at: row.activated_at,
    }
}

/// `422 unknown_to_okta`: Okta has no such user (`okta_answered`), or could not be asked. The
/// two read differently, because only the first means the address is likely wrong.
fn unknown_to_okta(email: &str, okta_answered: bool) -> ApiError {
    let why = if okta_answered {
        format!("Okta has no user with the email {email}")
    } else {
        format!("Okta could not be asked whether {email} is one of its users")
    };
    ApiError::client(
        ProblemCode::UnknownToOkta,
        format!(
            "{why}: they would get no role until Okta has them. Check the address, or confirm to \
             invite them anyway."
        ),
    )
}

/// Why an invited person will get no role, when they will get none.
fn warning(
    email: &str,
    in_okta: bool,
    status: Option<OktaUserStatus>,
    access: &EffectiveAccess,
) -> Option<String> {
    match (in_okta, status) {
        (false, _) => Some(format!(
            "{email} is not a user in Okta (or Okta could not be asked): they will get no role until they are."
        )),
        (true, None) => {
            Some(format!("{email} is in no group assigned to the app, so they will get no role."))
        }
        (true, Some(status)) if !holds_group_roles(status) => Some(status_meaning(email, status)),
        _ if access.roles.is_empty() && access.grants.is_empty() => {
            Some(format!("{email} is in groups of the app, but none of them grants a role."))
        }
        _ => None,
    }
}

/// `404 not_found` for an email nobody invited (or whose invitation was withdrawn).
fn not_invited(email: &str) -> ApiError {
    ApiError::client(ProblemCode::NotFound, format!("{email} is not invited."))
}

/// `409 conflict` for withdrawing an invitation that was used to sign in.
fn used(row: &InvitationRow) -> ApiError {
    ApiError::client(
        ProblemCode::Conflict,
        format!(
            "{} already signed in{} with this invitation, so it cannot be withdrawn. Their roles \
             follow their Okta groups: remove them from those groups in Okta to end their access.",
            row.email,
            row.activated_at
                .as_deref()
                .map(|at| format!(" on {}", shown_time(at)))
                .unwrap_or_default()
        ),
    )
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

#[cfg(test)]
mod tests {
    use groupsync_core::domain::BuiltInRole;

    use super::*;
    use crate::service::fakes::{FakeDirectory, FakePeople, FakeRateLimiter, person};

    const NOW: &str = "2026-11-30T16:40:12.345Z";
    const ANN: &str = "ann@example.com";

    fn asking(email: &str) -> InvitationRequest<'_> {
        InvitationRequest { email, confirm_unknown: false }
    }

    fn confirmed(email: &str) -> InvitationRequest<'_> {
        InvitationRequest { email, confirm_unknown: true }
    }

    fn admin() -> Principal {
        person("boss@example.com", &[BuiltInRole::Admin])
    }

    fn problem(error: ApiError) -> (u16, String, String) {
        let problem = error.to_problem();
        (problem.status, problem.code.as_str().to_owned(), problem.detail)
    }

    #[tokio::test]
    async fn an_invitation_binds_the_okta_user_and_says_which_roles_they_get() {
        let store =
            FakePeople::default().with_user("00u1", ANN, OktaUserStatus::Active, &["viewer"]);
        let okta = FakeDirectory::knowing(&[("Ann@Example.com", "00u1")]);
        let created =
            create_invitation(&store, &okta, &FakeRateLimiter::open(), &admin(), asking(ANN), NOW)
                .await
                .expect("invited");
        assert_eq!(created.invitation.okta_user_id.as_deref(), Some("00u1"));
        assert_eq!(created.invitation.invited_by, "boss@example.com");
        assert_eq!(created.invitation.status, InvitationStatus::Invited);
        assert_eq!(created.access.roles, [BuiltInRole::Viewer]);
        assert_eq!(created.warning, None);
        let audit = store.audit();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].actor, "boss@example.com");
        assert_eq!((audit[0].action, audit[0].target.as_deref()), ("invitation.sent", Some(ANN)));
        assert_eq!(audit[0].after, Some(json!({ "okta_user_id": "00u1" })));
    }

    #[tokio::test]
    async fn an_email_invited_before_is_refused_with_when_and_by_whom() {
        let store = FakePeople::default().with_invitation(InvitationRow {
            activated_at: Some("2026-11-29T08:05:00Z".into()),
            status: InvitationStatus::Active,
            ..FakePeople::invited(ANN, "carol@example.com", "2026-11-28T10:15:00Z")
        });
        let okta = FakeDirectory::knowing(&[(ANN, "00u1")]);
        let error =
            create_invitation(&store, &okta, &FakeRateLimiter::open(), &admin(), asking(ANN), NOW)
                .await;
        assert_eq!(
            problem(error.unwrap_err()),
            (
                409,
                "already_exists".into(),
                "ann@example.com was already invited on 2026-11-28 10:15 UTC by \
                 carol@example.com; they signed in on 2026-11-29 08:05 UTC."
                    .into()
            )
        );
        assert!(store.audit().is_empty());
    }

    #[tokio::test]
    async fn an_email_okta_does_not_know_needs_confirmation() {
        let store = FakePeople::default();
        let okta = FakeDirectory::knowing(&[("bob@example.com", "00u2")]);
        let error =
            create_invitation(&store, &okta, &FakeRateLimiter::open(), &admin(), asking(ANN), NOW)
                .await;
        let (status, code, detail) = problem(error.unwrap_err());
        assert_eq!((status, code.as_str()), (422, "unknown_to_okta"));
        assert!(detail.starts_with("Okta has no user with the email ann@example.com:"), "{detail}");
        assert!(store.invitations().is_empty(), "nothing is stored");
    }

    #[tokio::test]
    async fn an_okta_that_cannot_be_asked_reads_apart_from_an_unknown_user() {
        let store = FakePeople::default();
        let error = create_invitation(
            &store,
            &FakeDirectory::Unreachable,
            &FakeRateLimiter::open(),
            &admin(),
            asking(ANN),
            NOW,
        )
        .await;
        let (status, code, detail) = problem(error.unwrap_err());
        assert_eq!((status, code.as_str()), (422, "unknown_to_okta"));
        assert!(
            detail.starts_with(
                "Okta could not be asked whether ann@example.com is one of its users:"
            ),
            "{detail}"
        );
    }

    #[tokio::test]
    async fn a_confirmed_unknown_email_is_invited_with_a_warning() {
        let store = FakePeople::default();
        let created = create_invitation(
            &store,
            &FakeDirectory::Unreachable,
            &FakeRateLimiter::open(),
            &admin(),
            confirmed(ANN),
            NOW,
        )
        .await
        .expect("invited");
        assert_eq!(created.invitation.okta_user_id, None);
        assert_eq!(
            created.warning.as_deref(),
            Some(
                "ann@example.com is not a user in Okta (or Okta could not be asked): they will \
                 get no role until they are."
            )
        );
        assert_eq!(store.invitations().len(), 1);
    }

    #[tokio::test]
    async fn an_inviter_cannot_hand_out_roles_they_do_not_hold() {
        let store =
            FakePeople::default().with_user("00u1", ANN, OktaUserStatus::Active, &["admin"]);
        let okta = FakeDirectory::knowing(&[(ANN, "00u1")]);
        let editor = person("ed@example.com", &[BuiltInRole::Editor]);
        let error =
            create_invitation(&store, &okta, &FakeRateLimiter::open(), &editor, asking(ANN), NOW)
                .await;
        let (status, code, detail) = problem(error.unwrap_err());
        assert_eq!((status, code.as_str()), (403, "beyond_own_access"));
        assert!(detail.starts_with("You cannot invite someone with the Admin role"), "{detail}");
        assert!(store.invitations().is_empty() && store.audit().is_empty(), "nothing is written");
    }

    #[tokio::test]
    async fn an_invitation_made_meanwhile_by_someone_else_stands() {
        let theirs = FakePeople::invited(ANN, "carol@example.com", "2026-11-30T16:40:11Z");
        let store = FakePeople::default().inviting_meanwhile(theirs.clone());
        let okta = FakeDirectory::knowing(&[(ANN, "00u1")]);
        let error =
            create_invitation(&store, &okta, &FakeRateLimiter::open(), &admin(), asking(ANN), NOW)
                .await;
        let (status, _, detail) = problem(error.unwrap_err());
        assert_eq!(status, 409);
        assert!(detail.contains("by carol@example.com"), "{detail}");
        assert_eq!(store.invitations(), [theirs]);
    }

    #[tokio::test]
    async fn an_invitation_says_which_custom_roles_they_get_and_where_unless_suspended() {
        for (status, held) in [(OktaUserStatus::Active, true), (OktaUserStatus::Suspended, false)] {
            let store = FakePeople::default()
                .with_user("00u1", ANN, status, &[])
                .with_custom_grant("00u1", "runbook_operator", "Runbook operator", "folder:/prod")
                .with_custom_grant("00u2", "runbook_reader", "Runbook reader", "");
            let okta = FakeDirectory::knowing(&[(ANN, "00u1")]);
            let created = create_invitation(
                &store,
                &okta,
                &FakeRateLimiter::open(),
                &admin(),
                asking(ANN),
                NOW,
            )
            .await
            .expect("invited");
            let explanations: Vec<&str> =
                created.access.grants.iter().map(|g| g.explanation.as_str()).collect();
            if held {
                assert_eq!(
                    explanations,
                    ["Runbook operator on folder:/prod via Okta group Group of 00u1 (00g-00u1)"]
                );
                assert_eq!(created.warning, None, "a custom role is a role");
            } else {
                assert!(explanations.is_empty(), "{explanations:?}");
                assert!(created.warning.is_some_and(|w| w.contains("SUSPENDED")));
            }
        }
    }

    #[tokio::test]
    async fn the_warning_says_why_an_invited_okta_user_gets_no_role() {
        let cases = [
            (FakePeople::default(), "is in no group assigned to the app"),
            (
                FakePeople::default().with_user_in_no_group("00u1", ANN),
                "is in no group assigned to the app",
            ),
            (
                FakePeople::default().with_user(
                    "00u1",
                    ANN,
                    OktaUserStatus::Suspended,
                    &["viewer"],
                ),
                "is SUSPENDED in Okta",
            ),
            (
                FakePeople::default().with_user("00u1", ANN, OktaUserStatus::Active, &[]),
                "is in groups of the app, but none of them grants a role",
            ),
        ];
        for (store, expected) in cases {
            let okta = FakeDirectory::knowing(&[(ANN, "00u1")]);
            let created = create_invitation(
                &store,
                &okta,
                &FakeRateLimiter::open(),
                &admin(),
                asking(ANN),
                NOW,
            )
            .await
            .expect("invited");
            let warning = created.warning.unwrap_or_default();
            assert!(warning.contains(expected), "{expected}: {warning}");
        }
    }

    #[tokio::test]
    async fn an_unused_invitation_is_withdrawn_with_its_audit_record() {
        let row = FakePeople::invited(ANN, "carol@example.com", "2026-11-28T10:15:00Z");
        let store = FakePeople::default().with_invitation(row.clone());
        let withdrawn = revoke_invitation(&store, &FakeRateLimiter::open(), &admin(), ANN, NOW)
            .await
            .expect("withdrawn");
        assert_eq!(withdrawn, invitation(row));
        assert!(store.invitations().is_empty());
        let audit = store.audit();
        assert_eq!(audit[0].action, "invitation.revoked");
        assert_eq!(
            audit[0].before,
            Some(json!({
                "invited_by": "carol@example.com",
                "invited_at": "2026-11-28T10:15:00Z",
                "okta_user_id": null,
            }))
        );
    }

    #[tokio::test]
    async fn a_used_invitation_is_not_withdrawn() {
        let store = FakePeople::default().with_invitation(InvitationRow {
            status: InvitationStatus::Active,
            activated_at: Some("2026-11-29T08:05:00Z".into()),
            ..FakePeople::invited(ANN, "carol@example.com", "2026-11-28T10:15:00Z")
        });
        let (status, code, detail) = problem(
            revoke_invitation(&store, &FakeRateLimiter::open(), &admin(), ANN, NOW)
                .await
                .unwrap_err(),
        );
        assert_eq!((status, code.as_str()), (409, "conflict"));
        assert!(
            detail.starts_with("ann@example.com already signed in on 2026-11-29 08:05 UTC"),
            "{detail}"
        );
        assert_eq!(store.invitations().len(), 1, "it stays");
        assert!(store.audit().is_empty());
    }

    #[tokio::test]
    async fn withdrawing_an_email_nobody_invited_is_not_found() {
        let store = FakePeople::default();
        let error = revoke_invitation(&store, &FakeRateLimiter::open(), &admin(), ANN, NOW)
            .await
            .unwrap_err();
        assert_eq!(
            problem(error),
            (404, "not_found".into(), "ann@example.com is not invited.".into())
        );
    }

    #[tokio::test]
    async fn an_invitation_counts_against_the_write_limit_before_its_refusals() {
        // Pins today's order (see `RateLimiter`): the write is counted first, so each refusal
        // below has used one.
        let editor = person("ed@example.com", &[BuiltInRole::Editor]);
        let invited = FakePeople::default().with_invitation(FakePeople::invited(
            ANN,
            "carol@example.com",
            "2026-11-28T10:15:00Z",
        ));
        let escalating =
            FakePeople::default().with_user("00u1", ANN, OktaUserStatus::Active, &["admin"]);
        let cases = [
            (invited, FakeDirectory::knowing(&[(ANN, "00u1")]), "already_exists"),
            (FakePeople::default(), FakeDirectory::knowing(&[]), "unknown_to_okta"),
            (escalating, FakeDirectory::knowing(&[(ANN, "00u1")]), "beyond_own_access"),
        ];
        for (store, okta, expected) in cases {
            let limits = FakeRateLimiter::open();
            let error = create_invitation(&store, &okta, &limits, &editor, asking(ANN), NOW).await;
            assert_eq!(problem(error.unwrap_err()).1, expected);
            assert_eq!(limits.admitted(), 1, "{expected} is counted");
        }
    }

    #[tokio::test]
    async fn a_withdrawal_counts_against_the_write_limit_before_its_refusals() {
        let used = FakePeople::default().with_invitation(InvitationRow {
            status: InvitationStatus::Active,
            activated_at: Some("2026-11-29T08:05:00Z".into()),
            ..FakePeople::invited(ANN, "carol@example.com", "2026-11-28T10:15:00Z")
        });
        for (store, expected) in [(FakePeople::default(), "not_found"), (used, "conflict")] {
            let limits = FakeRateLimiter::open();
            let error = revoke_invitation(&store, &limits, &admin(), ANN, NOW).await;
            assert_eq!(problem(error.unwrap_err()).1, expected);
            assert_eq!(limits.admitted(), 1, "{expected} is counted");
        }
    }

    #[tokio::test]
    async fn an_editor_cannot_invite_someone_whose_okta_user_grants_admin_under_an_older_email() {
        // No synced user has the email (Okta's user was synced under an older one): the user
        // Okta names now decides, and its group grants Admin.
        let store = FakePeople::default().with_user(
            "00u7",
            "ann.old@example.com",
            OktaUserStatus::Active,
            &["admin"],
        );
        let okta = FakeDirectory::knowing(&[(ANN, "00u7")]);
        let editor = person("ed@example.com", &[BuiltInRole::Editor]);
        let error =
            create_invitation(&store, &okta, &FakeRateLimiter::open(), &editor, asking(ANN), NOW)
                .await;
        let (status, code, detail) = problem(error.unwrap_err());
        assert_eq!((status, code.as_str()), (403, "beyond_own_access"));
        assert!(detail.starts_with("You cannot invite someone with the Admin role"), "{detail}");
        assert!(store.invitations().is_empty());
    }

    #[tokio::test]
    async fn a_shared_email_grants_nothing_even_with_the_user_okta_names() {
        let store = FakePeople::default()
            .with_user("00u1", ANN, OktaUserStatus::Active, &["admin"])
            .with_user("00u2", ANN, OktaUserStatus::Active, &["admin"]);
        let okta = FakeDirectory::knowing(&[(ANN, "00u1")]);
        let editor = person("ed@example.com", &[BuiltInRole::Editor]);
        let created =
            create_invitation(&store, &okta, &FakeRateLimiter::open(), &editor, asking(ANN), NOW)
                .await
                .expect("nothing is handed out, so an Editor may invite");
        assert_eq!(created.invitation.okta_user_id.as_deref(), Some("00u1"));
        assert!(created.access.roles.is_empty(), "{:?}", created.access.roles);
        let note = created.access.notes.first().cloned().unwrap_or_default();
        assert!(note.starts_with("2 Okta users have the email ann@example.com"), "{note}");
    }

    fn candidate(id: &str, email: Option<&str>) -> DirectoryUser {
        DirectoryUser { id: id.into(), email: email.map(str::to_owned) }
    }

    #[test]
    fn the_user_with_the_email_is_chosen_in_any_ascii_case() {
        let users = [candidate("00u1", Some("Ann@Example.COM"))];
        assert_eq!(user_with_email(&users, ANN), Some("00u1"));
    }

    #[test]
    fn no_candidate_with_the_email_chooses_nobody() {
        let users = [candidate("00u1", Some("ann@example.org")), candidate("00u2", None)];
        assert_eq!(user_with_email(&users, ANN), None);
        assert_eq!(user_with_email(&[], ANN), None);
    }

    #[test]
    fn among_several_candidates_only_the_exact_email_is_chosen() {
        let users = [
            candidate("00u1", Some("ann@example.com.evil")),
            candidate("00u2", Some("xann@example.com")),
            candidate("00u3", Some("ANN@example.com")),
            candidate("00u4", None),
        ];
        assert_eq!(user_with_email(&users, ANN), Some("00u3"));
    }

    #[test]
    fn candidates_without_an_email_choose_nobody() {
        let users = [candidate("00u1", None), candidate("00u2", None)];
        assert_eq!(user_with_email(&users, ANN), None);
    }

    #[tokio::test]
    async fn a_user_okta_matched_on_something_else_is_not_bound() {
        // Okta's search answers with an Admin-granting user whose email is another one: the
        // invitation is not bound to them, so it needs confirmation like an unknown email.
        let store =
            FakePeople::default().with_user("00u9", ANN, OktaUserStatus::Active, &["admin"]);
        let okta = FakeDirectory::knowing(&[("ann.other@example.com", "00u9")]);
        let error =
            create_invitation(&store, &okta, &FakeRateLimiter::open(), &admin(), asking(ANN), NOW)
                .await;
        let (status, code, _) = problem(error.unwrap_err());
        assert_eq!((status, code.as_str()), (422, "unknown_to_okta"));
        assert!(store.invitations().is_empty());
    }

    #[test]
    fn times_read_as_day_minute_and_utc() {
        assert_eq!(shown_time("2026-11-30T16:40:12.345Z"), "2026-11-30 16:40 UTC");
        assert_eq!(shown_time("yesterday"), "yesterday");
    }
}
