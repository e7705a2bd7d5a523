//! One group: its roles (assigned here, with conflicts named), its members with their Okta
//! status (paged), and the history of changes to it.

use groupsync_core::api::{
    GroupDetail, GroupMember, GroupSource, ProblemCode, SetGroupRolesRequest,
};
use groupsync_core::domain::{BuiltInRole, Permission, STATUS_RULE, StatusRoles, status_roles};
use groupsync_core::okta::OktaUserStatus;
use leptos::prelude::*;

use crate::dynamic::dynamic;
use crate::remote::Remote;
use leptos::task::spawn_local;

use crate::api::{self, AuditFilters, ClientError};
use crate::components::feedback::{ErrorAlert, Loading, focus_by_id};
use crate::components::pager::Pager;
use crate::components::table_scroll::TableScroll;
use crate::pages::audit::AuditEntries;
use crate::session::Session;
use crate::text::{inert, showing, when};

/// The group screen (`/groups/{id}`).
#[component]
pub fn GroupDetailPage(
    /// The group's id, from the address.
    id: String,
) -> impl IntoView {
    let group = Remote::new(move || api::get_group(&id));
    view! {
        <p class="breadcrumb">
            <a href="/groups">"User Groups"</a>
            " › group"
        </p>
        {dynamic(move || (match group.get() {
            None => view! { <h1>"Group"</h1> <Loading label="Loading the group…" /> }.into_any(),
            Some(Err(error)) => view! { <h1>"Group"</h1> <ErrorAlert error /> }.into_any(),
            Some(Ok(detail)) => view! { <GroupView detail /> }.into_any(),
        }).into_any())}
    }
}

#[component]
fn GroupView(detail: GroupDetail) -> impl IntoView {
    let session = Session::get();
    let name = inert(&detail.name);
    // The member count is said by the members' pages, each of one moment with its count.
    let facts = format!(
        "{} · last synced {}",
        if detail.source == GroupSource::Okta { "From Okta" } else { "Local group" },
        detail.last_synced_at.as_deref().map(when).unwrap_or_else(|| "never".into())
    );
    let id = detail.id.clone();
    let members = detail.id.clone();
    // Each saved change of the roles, so that the history below shows it.
    let saves = RwSignal::new(0_u32);
    view! {
        <h1>
            <bdi>{name}</bdi>
        </h1>
        <p class="hint">
            {if detail.source == GroupSource::Okta { "Okta group id " } else { "Group id " }}
            <code class="okta-id">{detail.id.clone()}</code>
            " · "
            {facts}
        </p>
        {detail.description.as_deref().map(|d| view! { <p><bdi>{inert(d)}</bdi></p> })}
        <RoleEditor detail on_saved=Callback::new(move |()| saves.update(|n| *n += 1)) />
        <Members id=members />
        <section class="panel" aria-labelledby="history-heading">
            <h2 id="history-heading">"History of changes"</h2>
            {dynamic(move || {
                if session.can(Permission::ReadAudit) {
                    view! { <AuditEntries filters=AuditFilters { target: id.clone(), ..AuditFilters::default() } changes=saves.into() /> }.into_any()
                } else {
                    view! { <p class="hint">"The history needs the Admin role or superAdmin."</p> }
                        .into_any()
                }
            })}
        </section>
    }
}

/// The roles a group grants: several at once, saved against the version they were read at, so
/// that a change made meanwhile by someone else is named instead of overwritten.
#[component]
fn RoleEditor(
    detail: GroupDetail,
    /// Called after the roles were saved.
    on_saved: Callback<()>,
) -> impl IntoView {
    let session = Session::get();
    let chosen = RwSignal::new(detail.roles.clone());
    let saved = RwSignal::new(detail.roles.clone());
    let version = RwSignal::new(detail.roles_version);
    let outcome = RwSignal::new(None::<Result<String, ClientError>>);
    // What someone else saved meanwhile, when a save met their change.
    let conflict = RwSignal::new(None::<GroupDetail>);
    let pending = RwSignal::new(false);
    let id = StoredValue::new(detail.id.clone());
    let label = format!("Roles of {} ({})", inert(&detail.name), detail.id);
    let may_assign = move || session.can(Permission::AssignRoles);
    let save = move || {
        pending.set(true);
        let body = SetGroupRolesRequest {
            roles: chosen.get_untracked(),
            version: version.get_untracked(),
            grants: None,
        };
        spawn_local(async move {
            let id = id.get_value();
            match api::put_group_roles(&id, body).await {
                Ok(group) => {
                    version.set(group.roles_version);
                    saved.set(group.roles.clone());
                    conflict.set(None);
                    outcome.set(Some(Ok(format!("Roles saved: {}.", role_names(&group.roles)))));
                    on_saved.run(());
                }
                Err(error) if error.is_code(ProblemCode::VersionConflict) => {
                    // Read what the other person saved; keep this person's choice to re-apply.
                    match api::get_group(&id).await {
                        Ok(latest) => {
                            version.set(latest.roles_version);
                            saved.set(latest.roles.clone());
                            conflict.set(Some(latest));
                            outcome.set(None);
                        }
                        Err(_) => outcome.set(Some(Err(error))),
                    }
                }
                Err(error) => outcome.set(Some(Err(error))),
            }
            pending.set(false);
            focus_by_id("roles-outcome");
        });
    };
    view! {
        <section class="panel" aria-labelledby="roles-heading">
            <h2 id="roles-heading">"Roles"</h2>
            <form on:submit=move |event| {
                event.prevent_default();
                save();
            }>
                <fieldset disabled=move || !may_assign()>
                    <legend>{label}</legend>
                    {BuiltInRole::ALL
                        .into_iter()
                        .map(|role| {
                            let input_id = format!("role-{}", role.as_str());
                            let permissions = role
                                .permissions()
                                .iter()
                                .map(|p| p.as_str().replace('_', " "))
                                .collect::<Vec<_>>()
                                .join(", ");
                            let beyond_id = format!("role-{}-beyond", role.as_str());
                            let beyond = move || may_assign() && !session.may_hand_out(role);
                            view! {
                                <div class="check">
                                    <input
                                        type="checkbox"
                                        id=input_id.clone()
                                        disabled=beyond
                                        aria-describedby={
                                            let beyond_id = beyond_id.clone();
                                            move || beyond().then(|| beyond_id.clone())
                                        }
                                        prop:checked=move || chosen.with(|c| c.contains(&role))
                                        on:change=move |event| {
                                            let on = event_target_checked(&event);
                                            chosen.update(|c| {
                                                c.retain(|r| *r != role);
                                                if on {
                                                    c.push(role);
                                                    c.sort();
                                                }
                                            });
                                        }
                                    />
                                    <label for=input_id>
                                        <strong>{role.display_name()}</strong>
                                        " — "
                                        {permissions}
                                    </label>
                                    {dynamic(move || {
                                        beyond()
                                            .then(|| view! {
                                                <p class="hint" id=beyond_id.clone()>
                                                    "You cannot grant or remove this role: it includes permissions you do not hold."
                                                </p>
                                            })
                                            .into_any()
                                    })}
                                </div>
                            }
                        })
                        .collect_view()}
                    <button
                        type="submit"
                        class="button button--primary"
                        disabled=move || pending.get() || chosen.get() == saved.get()
                    >
                        {move || {
                            if conflict.with(Option::is_some) {
                                "Replace with my choice"
                            } else {
                                "Save roles"
                            }
                        }}
                    </button>
                </fieldset>
            </form>
            {dynamic(move || {
                (!may_assign())
                    .then(|| view! { <p class="hint">"Assigning roles needs the Editor role or higher."</p> })
                    .into_any()
            })}
            <div id="roles-outcome" tabindex="-1">
                {dynamic(move || (match (outcome.get(), conflict.get()) {
                    (Some(Ok(text)), _) => Some(view! { <p role="status" class="alert alert--ok">{text}</p> }.into_any()),
                    (Some(Err(error)), _) => Some(view! { <ErrorAlert error /> }.into_any()),
                    (None, Some(theirs)) => {
                        let (first, then) = conflict_words(&theirs, &chosen.get());
                        Some(view! {
                            <div class="alert alert--error" role="alert">
                                <p><strong>"Not saved: "</strong>{first}</p>
                                <p>{then}</p>
                            </div>
                        }.into_any())
                    }
                    (None, None) => None,
                }).into_any())}
            </div>
        </section>
    }
}

/// What a person reads when their save met someone else's: who saved what and when, then
/// what their one action does.
fn conflict_words(theirs: &GroupDetail, mine: &[BuiltInRole]) -> (String, String) {
    let who = theirs.roles_saved_by.as_deref().unwrap_or("someone else");
    let at =
        theirs.roles_saved_at.as_deref().map(|at| format!(" at {}", when(at))).unwrap_or_default();
    (
        format!(
            "{who} saved this group's roles{at}, after you opened it: {}.",
            role_names(&theirs.roles)
        ),
        format!(
            "Your choice, {}, is still selected: “Replace with my choice” saves it over theirs (or change it first).",
            role_names(mine)
        ),
    )
}

fn role_names(roles: &[BuiltInRole]) -> String {
    if roles.is_empty() {
        "no role".to_owned()
    } else {
        roles.iter().map(|r| r.display_name()).collect::<Vec<_>>().join(", ")
    }
}

/// The members, with their Okta status, a page at a time: a group may have 100,000.
#[component]
fn Members(id: String) -> impl IntoView {
    // The `after` of each page shown so far: the last one is the current page.
    let pages = RwSignal::new(vec![None::<String>]);
    let id = StoredValue::new(id);
    let page = Remote::new(move || {
        let (before, after) = pages.with(|p| (p.len() - 1, p.last().cloned().flatten()));
        let page = id.with_value(|id| api::get_members(id, after.as_deref()));
        // With the count of the pages before it, to say which members it shows.
        async move { page.await.map(|page| (before, page)) }
    });
    let go = move |after: Option<String>| {
        pages.update(|p| match after {
            Some(after) => p.push(Some(after)),
            None => drop(p.pop()),
        });
        focus_by_id("members-table");
    };
    view! {
        <section class="panel" aria-labelledby="members-heading">
            <h2 id="members-heading">"Members"</h2>
            <p class="hint">{STATUS_RULE}</p>
            {dynamic(move || (match page.get() {
                None => view! { <Loading label="Loading the members…" /> }.into_any(),
                Some(Err(error)) => view! { <ErrorAlert error /> }.into_any(),
                Some(Ok((_, list))) if list.members.is_empty() => {
                    view! { <p class="empty">"No members."</p> }.into_any()
                }
                Some(Ok((before, list))) => {
                    let first = before as u64 * u64::from(list.per_page) + 1;
                    let shown =
                        showing(first, list.members.len() as u64, list.total.into(), "members");
                    let caption = shown.clone();
                    view! {
                        <TableScroll label="Table of members">
                            <table id="members-table" tabindex="-1">
                                <caption class="visually-hidden">{caption}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"Email"</th>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Okta status"</th>
                                    </tr>
                                </thead>
                                <tbody>{list.members.into_iter().map(member_row).collect_view()}</tbody>
                            </table>
                        </TableScroll>
                        <Pager
                            label="Member pages"
                            shown
                            previous=(before > 0).then(|| Callback::new(move |()| go(None)))
                            next=list.next_after.map(|after| Callback::new(move |()| go(Some(after.clone()))))
                        />
                    }
                        .into_any()
                }
            }).into_any())}
        </section>
    }
}

fn member_row(member: GroupMember) -> impl IntoView {
    let status = member.status;
    // The status alone does not say what it means for the group's roles: say it beside it.
    let roles = status_roles(status);
    let meaning = match (status, roles) {
        (OktaUserStatus::Active, _) => None,
        (_, StatusRoles::Held) => Some("keeps this group's roles"),
        (_, StatusRoles::OnceActivated) => Some("roles once activated"),
        (_, StatusRoles::Withheld) => Some("no roles"),
    };
    view! {
        <tr>
            <td>{member.email.unwrap_or(member.id)}</td>
            <td>{member.name.as_deref().map(inert)}</td>
            <td class:status--inactive=roles != StatusRoles::Held>
                {status.as_str()}
                {meaning.map(|meaning| view! { <span class="status-meaning">" · "{meaning}</span> })}
            </td>
        </tr>
    }
}
