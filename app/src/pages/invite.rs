//! User Management → Invite User: the roles an email will get (and through which groups) before
//! the invitation is sent; the invitations and users with their effective roles, paged; **Why?**.

use groupsync_core::api::{
    AppUser, AppUserStatus, CreateInvitationResponse, ProblemCode, UserAccessResponse,
};
use groupsync_core::domain::{BuiltInRole, EffectiveAccess, Email, Permission, scope_in_words};
use leptos::prelude::*;

use crate::dynamic::{IntoBoxedView, dynamic, handler, submit};
use crate::remote::Remote;
use leptos::task::spawn_local;

use crate::api::{self, ClientError};
use crate::components::feedback::{ErrorAlert, FocusOnDraw, Gate, Loading, focus_by_id};
use crate::components::pager::Pager;
use crate::components::table_scroll::TableScroll;
use crate::session::Session;
use crate::text::{inert, showing, when};

/// The Invite User screen.
#[component]
pub fn InvitePage() -> impl IntoView {
    let _session = Session::get();
    // The page of the users shown; set to the first after an invitation (always read again
    // when set: a signal's `set` notifies even when the value stays), where the invitation is.
    let page = RwSignal::new(1_u32);
    let why = RwSignal::new(None::<String>);
    view! {
        <h1>"Invite User"</h1>
        <Gate
            permission=Permission::InviteUsers
            reason="Inviting users needs the Editor role or higher."
        >
            <InviteForm on_sent=Callback::new(move |()| page.set(1)) />
        </Gate>
        <Gate
            permission=Permission::ReadUsers
            reason="Seeing the users needs the Viewer role or higher."
        >
            <People page why />
            <WhyPanel why />
        </Gate>
    }
}

/// What is typed, as the edge will read it (trimmed, lowercased), when it is an email. Lowercased
/// by the browser: the same Unicode mapping as the edge's, without its tables in the SPA.
fn parse_email(text: &str) -> Option<Email> {
    Email::parse_with(text, |text| String::from(js_sys::JsString::from(text).to_lower_case())).ok()
}

#[component]
fn InviteForm(on_sent: Callback<()>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let preview = RwSignal::new(None::<Result<UserAccessResponse, ClientError>>);
    let result = RwSignal::new(None::<Result<CreateInvitationResponse, ClientError>>);
    let touched = RwSignal::new(false);
    // The email typed (tracked, for the form; untracked, in the handlers).
    let typed = move || email.with(|text| parse_email(text));
    let typed_now = move || email.with_untracked(|text| parse_email(text));
    let invalid = move || touched.get() && typed().is_none();
    let check = move || {
        let Some(address) = typed_now() else {
            preview.set(None);
            return;
        };
        spawn_local(async move {
            let answer = api::get_user_access(address.as_str()).await;
            // Only the answer for what is still typed.
            if typed_now() == Some(address) {
                preview.set(Some(answer));
            }
        });
    };
    let sending = RwSignal::new(false);
    // An invitation hands out what the preview shows: it is sent only once the preview of the
    // email typed is in, and once at a time.
    let waiting_for_preview = move || typed().is_some() && preview.get().is_none();
    // `confirm_unknown`: the person confirmed an email Okta does not know.
    let send = move |confirm_unknown: bool| {
        touched.set(true);
        let Some(address) = typed_now() else {
            focus_by_id("invite-email");
            return;
        };
        if sending.get_untracked() || preview.with_untracked(Option::is_none) {
            return;
        }
        sending.set(true);
        spawn_local(async move {
            let answer = api::invite(address.into_string(), confirm_unknown).await;
            if answer.is_ok() {
                on_sent.run(());
            }
            result.set(Some(answer));
            sending.set(false);
            focus_by_id("invite-result");
        });
    };
    view! {
        <section class="panel" aria-labelledby="invite-heading">
            <h2 id="invite-heading">"Invite someone"</h2>
            <form
                novalidate=true
                on:submit=submit(move || send(false))
            >
                <div class="field">
                    <label for="invite-email">"Email"</label>
                    <input
                        id="invite-email"
                        type="email"
                        autocomplete="off"
                        aria-describedby="invite-email-help invite-email-message"
                        aria-invalid=move || if invalid() { "true" } else { "false" }
                        prop:value=move || email.get()
                        on:input=handler(move |event| {
                            email.set(event_target_value(&event));
                            result.set(None);
                            // The preview of what was typed before is not this email's.
                            preview.set(None);
                            check();
                        })
                        on:blur=handler(move |_| touched.set(true))
                    />
                    <p class="field__help" id="invite-email-help">
                        "Their Okta email. The roles they will get appear below before you send."
                    </p>
                    <p class="field__message" id="invite-email-message">
                        {dynamic(move || invalid().then_some("Enter an email address such as ann@example.com.").boxed())}
                    </p>
                </div>
                <div class="preview" role="status" aria-label="Roles this person will get">
                    {dynamic(move || waiting_for_preview().then(|| view! {
                        <p class="loading">"Checking which roles they will get…"</p>
                    }).boxed())}
                    {dynamic(move || (preview.get().map(|answer| match answer {
                        Ok(access) => view! {
                            <p><strong>"They will get: "</strong>{roles_line(&access.access)}</p>
                            <AccessReasons access=access.access />
                        }.boxed(),
                        Err(error) => view! { <ErrorAlert error /> }.boxed(),
                    })).boxed())}
                </div>
                <button
                    type="submit"
                    class="button button--primary"
                    disabled=move || sending.get() || waiting_for_preview()
                >
                    "Send invitation"
                </button>
            </form>
            <div id="invite-result" tabindex="-1">
                {dynamic(move || (result.get().map(|answer| match answer {
                    Ok(sent) => view! {
                        <p class="alert alert--ok" role="status">
                            {format!("Invitation sent to {}. Roles: {}.", sent.invitation.email, roles_line(&sent.access))}
                        </p>
                        {sent.warning.map(|w| view! { <p class="alert alert--warn" role="alert">{w}</p> })}
                    }.boxed(),
                    Err(error) => {
                        // Okta does not know the email: inviting it anyway is a choice made
                        // explicitly, after reading why.
                        let unknown = error.is_code(ProblemCode::UnknownToOkta);
                        view! {
                            <ErrorAlert error />
                            {unknown.then(|| view! {
                                <button type="button" class="button" on:click=handler(move |_| send(true))>
                                    "Invite anyway"
                                </button>
                            })}
                        }.boxed()
                    }
                })).boxed())}
            </div>
        </section>
    }
}

/// `Admin, Viewer, Runbook operator on folder:/prod`, or a plain "no role".
fn roles_line(access: &EffectiveAccess) -> String {
    if access.super_admin || access.grants.is_empty() {
        return roles_in_words(access.super_admin, &access.roles);
    }
    let built_in = access.roles.iter().map(|r| r.display_name().to_owned());
    let custom = access.grants.iter().map(|grant| {
        format!("{} {}", inert(&grant.role_name), scope_in_words(grant.scope.as_ref()))
    });
    let mut all = built_in.chain(custom).collect::<Vec<_>>();
    // Two groups may grant the same role on the same scope: say it once.
    all.dedup();
    all.join(", ")
}

/// What a person holds, in words: everything for a superAdmin, else their roles or "no role".
fn roles_in_words(super_admin: bool, roles: &[BuiltInRole]) -> String {
    if super_admin {
        return "every permission (superAdmin)".to_owned();
    }
    if roles.is_empty() {
        return "no role".to_owned();
    }
    roles.iter().map(|r| r.display_name()).collect::<Vec<_>>().join(", ")
}

/// Each role with the group that grants it, the notes (e.g. why there is none), and the groups
/// the person is in.
#[component]
fn AccessReasons(access: EffectiveAccess) -> impl IntoView {
    view! {
        <ul class="reasons">
            {access
                .reasons
                .into_iter()
                .map(|reason| {
                    view! {
                        <li>
                            <strong>{reason.role.display_name()}</strong>
                            " via Okta group "
                            <bdi>{inert(&reason.group_name)}</bdi>
                            " "
                            <code class="okta-id">{reason.group_id}</code>
                        </li>
                    }
                })
                .collect_view()}
            {access
                .grants
                .into_iter()
                .map(|grant| {
                    let scope = format!(" {}", scope_in_words(grant.scope.as_ref()));
                    view! {
                        <li>
                            <strong>{inert(&grant.role_name)}</strong>
                            {scope}
                            " via Okta group "
                            <bdi>{inert(&grant.group_name)}</bdi>
                            " "
                            <code class="okta-id">{grant.group_id}</code>
                        </li>
                    }
                })
                .collect_view()}
            {access
                .notes
                .into_iter()
                .map(|note| view! { <li class="note">{note}</li> })
                .collect_view()}
            {(!access.groups.is_empty()).then(|| {
                let names = access.groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>();
                view! { <li class="groups">"In the app's Okta groups: "<bdi>{inert(&names.join(", "))}</bdi></li> }
            })}
        </ul>
    }
}

/// Invitations and users, with status, effective roles and **Why?**, from one answer of the edge
/// (each row is one moment: never an invitation beside roles it does not have), a page at a
/// time.
#[component]
fn People(page: RwSignal<u32>, why: RwSignal<Option<String>>) -> impl IntoView {
    let users = Remote::call(move || api::get_users(page.get()));
    let focus = FocusOnDraw::new();
    let go = move |to: u32| {
        page.set(to);
        focus.request("people-table");
    };
    // What the last withdrawal did, in words (the table is read again after it).
    let notice = RwSignal::new(None::<Result<String, ClientError>>);
    let revoke = Callback::new(move |email: String| {
        spawn_local(async move {
            let done = api::revoke_invitation(&email).await;
            notice.set(Some(done.map(|()| {
                format!("The invitation of {email} was withdrawn. Invite them again at any time.")
            })));
            // The same page, read again (a set notifies even when the value stays).
            page.set(page.get_untracked());
            focus_by_id("people-notice");
        });
    });
    view! {
        <section class="panel" aria-labelledby="people-heading">
            <h2 id="people-heading">"Users and invitations"</h2>
            <div id="people-notice" tabindex="-1">
                {dynamic(move || (notice.get().map(|said| match said {
                    Ok(text) => view! { <p class="alert alert--ok" role="status">{text}</p> }.boxed(),
                    Err(error) => view! { <ErrorAlert error /> }.boxed(),
                })).boxed())}
            </div>
            {dynamic(move || (match users.get() {
                None => view! { <Loading label="Loading the users…" /> }.boxed(),
                Some(Err(error)) => view! { <ErrorAlert error /> }.boxed(),
                Some(Ok(answer)) if answer.users.is_empty() => {
                    view! { <p class="empty">"No one has signed in or been invited yet."</p> }.boxed()
                }
                Some(Ok(answer)) => {
                    focus.drawn();
                    let (current, per_page) = (answer.page, answer.per_page);
                    let first = u64::from(current - 1) * u64::from(per_page) + 1;
                    let shown =
                        showing(first, answer.users.len() as u64, answer.total.into(), "users");
                    let caption = shown.clone();
                    let more = current * per_page < answer.total;
                    view! {
                        <TableScroll label="Table of users and invitations">
                            <table id="people-table" tabindex="-1">
                                <caption class="visually-hidden">{caption}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"Email"</th>
                                        <th scope="col">"Status"</th>
                                        <th scope="col">"Roles"</th>
                                        <th scope="col">"Invited"</th>
                                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {answer.users.into_iter().map(|user| person_row(PersonRow::of(user), why, revoke)).collect_view()}
                                </tbody>
                            </table>
                        </TableScroll>
                        <Pager
                            label="User pages"
                            shown
                            previous=(current > 1).then(|| Callback::new(move |()| go(current - 1)))
                            next=more.then(|| Callback::new(move |()| go(current + 1)))
                        />
                    }
                        .boxed()
                }
            }).boxed())}
        </section>
    }
}

/// One line of the people table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRow {
    /// The email.
    pub email: String,
    /// Where they stand.
    pub status: AppUserStatus,
    /// Effective roles, in words.
    pub roles: String,
    /// Who invited them, and when.
    pub invited: String,
}

impl PersonRow {
    /// The row of a user as the edge lists them.
    pub fn of(user: AppUser) -> Self {
        Self {
            roles: roles_in_words(user.super_admin, &user.roles),
            invited: match (&user.invited_by, &user.invited_at, &user.activated_at) {
                (Some(by), Some(at), _) => format!("by {by} at {}", when(at)),
                (_, _, Some(first)) => format!("Never invited; first signed in at {}", when(first)),
                _ => "Never invited".to_owned(),
            },
            email: user.email,
            status: user.status,
        }
    }
}

/// A person's status as the people table says it.
pub fn status_word(status: AppUserStatus) -> &'static str {
    match status {
        AppUserStatus::Invited => "invited",
        AppUserStatus::Active => "active",
        AppUserStatus::NotInvited => "not invited",
    }
}

fn person_row(
    row: PersonRow,
    why: RwSignal<Option<String>>,
    revoke: Callback<String>,
) -> impl IntoView {
    let email = row.email.clone();
    let label = format!("Why does {} have this access?", row.email);
    // Only an invitation nobody used yet can be withdrawn.
    let withdraw = (row.status == AppUserStatus::Invited).then(|| {
        let label = format!("Withdraw the invitation of {}", row.email);
        let email = row.email.clone();
        view! {
            <button
                type="button"
                class="button button--quiet"
                aria-label=label
                on:click=handler(move |_| revoke.run(email.clone()))
            >
                "Withdraw"
            </button>
        }
    });
    view! {
        <tr>
            <td>{row.email}</td>
            <td>{status_word(row.status)}</td>
            <td>{row.roles}</td>
            <td>{row.invited}</td>
            <td class="row-actions">
                <button
                    type="button"
                    class="button button--quiet"
                    aria-label=label
                    on:click=handler(move |_| {
                        why.set(Some(email.clone()));
                        focus_by_id("why-heading");
                    })
                >
                    "Why?"
                </button>
                {withdraw}
            </td>
        </tr>
    }
}

/// The explanation of one user's access, opened by **Why?**.
#[component]
fn WhyPanel(why: RwSignal<Option<String>>) -> impl IntoView {
    dynamic(move || why.get().map(|email| view! { <Why email why /> }).boxed())
}

#[component]
fn Why(email: String, why: RwSignal<Option<String>>) -> impl IntoView {
    let asked = email.clone();
    let access = Remote::call(move || api::get_user_access(&asked));
    view! {
        <section class="panel why" aria-labelledby="why-heading">
            <h2 id="why-heading" tabindex="-1">
                {format!("Why {email} has this access")}
            </h2>
            {dynamic(move || match access.get() {
                None => view! { <Loading label="Loading the explanation…" /> }.boxed(),
                Some(Err(error)) => view! { <ErrorAlert error /> }.boxed(),
                Some(Ok(answer)) => view! { <Explanation answer /> }.boxed(),
            })}
            <button type="button" class="button" on:click=handler(move |_| why.set(None))>
                "Close"
            </button>
        </section>
    }
}

/// A user's Okta status, roles with the groups that grant them, and permissions.
#[component]
fn Explanation(answer: UserAccessResponse) -> impl IntoView {
    let status = answer
        .okta_status
        .map(|s| format!("Okta status: {}.", s.as_str()))
        .unwrap_or_else(|| "Not found among the synced Okta users.".into());
    let permissions = answer
        .access
        .permissions
        .iter()
        .map(|p| p.as_str().replace('_', " "))
        .collect::<Vec<_>>()
        .join(", ");
    let permissions = if permissions.is_empty() { "nothing yet".to_owned() } else { permissions };
    view! {
        <p>{status}</p>
        <p>
            <strong>"Roles: "</strong>
            {roles_line(&answer.access)}
        </p>
        <AccessReasons access=answer.access />
        <p>
            <strong>"May: "</strong>
            {permissions}
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(email: &str, roles: Vec<BuiltInRole>, super_admin: bool) -> AppUser {
        AppUser {
            email: email.into(),
            okta_user_id: None,
            status: AppUserStatus::Invited,
            invited_by: Some("root@example.com".into()),
            invited_at: Some("2026-11-28T10:00:00.000Z".into()),
            activated_at: None,
            super_admin,
            roles,
        }
    }

    #[test]
    fn a_row_names_the_roles_and_who_invited_when() {
        let row = PersonRow::of(user(
            "ann@example.com",
            vec![BuiltInRole::Admin, BuiltInRole::Viewer],
            false,
        ));
        assert_eq!(row.roles, "Admin, Viewer");
        assert_eq!(row.invited, "by root@example.com at 2026-11-28 10:00 UTC");
        assert_eq!(PersonRow::of(user("bo@example.com", vec![], false)).roles, "no role");
    }

    #[test]
    fn someone_holding_access_without_an_invitation_reads_so() {
        let never = AppUser {
            status: AppUserStatus::NotInvited,
            invited_by: None,
            invited_at: None,
            ..user("cy@example.com", vec![BuiltInRole::Viewer], false)
        };
        let row = PersonRow::of(never.clone());
        assert_eq!(
            (row.invited.as_str(), status_word(row.status)),
            ("Never invited", "not invited")
        );
        let signed_in = AppUser { activated_at: Some("2026-11-29T08:05:00Z".into()), ..never };
        assert_eq!(
            PersonRow::of(signed_in).invited,
            "Never invited; first signed in at 2026-11-29 08:05 UTC"
        );
    }

    #[test]
    fn a_super_admin_reads_as_holding_every_permission_even_without_roles() {
        let row = PersonRow::of(user("root@example.com", vec![], true));
        assert_eq!(row.roles, "every permission (superAdmin)");
    }

    #[test]
    fn the_roles_line_names_custom_roles_with_their_scope_once_each() {
        use groupsync_core::domain::{GrantReason, ResourcePath, RoleKey};
        let grant = |scope: Option<&str>, group: &str| GrantReason {
            role: RoleKey::parse("runbook_operator").unwrap(),
            role_name: "Runbook operator".into(),
            scope: scope.map(|s| ResourcePath::parse(s).unwrap()),
            group_id: format!("00g{group}"),
            group_name: group.into(),
            explanation: String::new(),
        };
        let access = EffectiveAccess {
            super_admin: false,
            roles: vec![BuiltInRole::Viewer],
            permissions: vec![],
            reasons: vec![],
            notes: vec![],
            groups: vec![],
            grants: vec![
                grant(None, "Ops"),
                grant(Some("folder:/prod"), "Dev"),
                grant(Some("folder:/prod"), "Ops"),
            ],
        };
        assert_eq!(
            roles_line(&access),
            "Viewer, Runbook operator everywhere, Runbook operator on folder:/prod"
        );
        let root = EffectiveAccess { super_admin: true, ..access };
        assert_eq!(roles_line(&root), "every permission (superAdmin)");
    }
}
