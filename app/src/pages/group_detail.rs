//! One group: its roles (assigned here, with conflicts named), its members with their Okta
//! status (paged), and the history of changes to it.

use groupsync_core::api::{
    CustomRoleDescription, GroupDetail, GroupMember, GroupSource, ProblemCode, SetGroupRolesRequest,
};
use groupsync_core::domain::{
    BuiltInRole, Grant, Permission, ResourcePath, ResourcePathError, RoleKey, STATUS_RULE,
    StatusRoles, scope_in_words, status_roles,
};
use groupsync_core::okta::OktaUserStatus;
use leptos::prelude::*;

use crate::dynamic::{IntoBoxedView, dynamic, handler, keep_value, submit};
use crate::remote::Remote;
use leptos::task::spawn_local;

use crate::api::{self, AuditFilters, ClientError};
use crate::components::feedback::{
    ErrorAlert, FocusOnDraw, Loading, focus_by_id, focus_by_id_owned,
};
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
    let group = Remote::call(move || api::get_group(&id));
    view! {
        <p class="breadcrumb">
            <a href="/groups">"User Groups"</a>
            " › group"
        </p>
        {dynamic(move || (match group.get() {
            None => view! { <h1>"Group"</h1> <Loading label="Loading the group…" /> }.boxed(),
            Some(Err(error)) => view! { <h1>"Group"</h1> <ErrorAlert error /> }.boxed(),
            Some(Ok(detail)) => view! { <GroupView detail /> }.boxed(),
        }).boxed())}
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
                    view! { <AuditEntries filters=AuditFilters { target: id.clone(), ..AuditFilters::default() } changes=saves.into() /> }.boxed()
                } else {
                    view! { <p class="hint">"The history needs the Admin role or superAdmin."</p> }
                        .boxed()
                }
            })}
        </section>
    }
}

/// The roles a group grants: built-in ones, and custom ones each everywhere or on a scope;
/// saved against the version they were read at, so that a change made meanwhile by someone else
/// is named instead of overwritten.
#[component]
fn RoleEditor(
    detail: GroupDetail,
    /// Called after the roles were saved.
    on_saved: Callback<()>,
) -> impl IntoView {
    let session = Session::get();
    // The custom roles there are, to choose from and to name the group's grants.
    let catalog = Remote::call(api::get_catalog);
    let chosen = RwSignal::new(detail.roles.clone());
    let saved = RwSignal::new(detail.roles.clone());
    let rows = RwSignal::new(detail.grants.iter().map(GrantRow::of).collect::<Vec<_>>());
    let saved_grants = RwSignal::new(detail.grants.clone());
    let version = RwSignal::new(detail.roles_version);
    let outcome = RwSignal::new(None::<Result<String, ClientError>>);
    // What someone else saved meanwhile, when a save met their change.
    let conflict = RwSignal::new(None::<GroupDetail>);
    let pending = RwSignal::new(false);
    let id = StoredValue::new(detail.id.clone());
    let label = format!("Roles of {} ({})", inert(&detail.name), detail.id);
    let may_assign = move || session.can(Permission::AssignRoles);
    let names =
        move || catalog.get().and_then(Result::ok).map(|c| c.custom_roles).unwrap_or_default();
    let grants = move || rows.with(|rows| drafted(rows));
    let unchanged = move || {
        chosen.get() == saved.get() && saved_grants.with(|saved| grants().as_ref() == Ok(saved))
    };
    let save = move || {
        // A scope that is not one is said beside it, and the button waits for it.
        let Ok(grants) = rows.with_untracked(|rows| drafted(rows)) else { return };
        pending.set(true);
        let body = SetGroupRolesRequest {
            roles: chosen.get_untracked(),
            version: version.get_untracked(),
            grants: Some(grants),
        };
        spawn_local(async move {
            let id = id.get_value();
            let names = names();
            match api::put_group_roles(&id, body).await {
                Ok(group) => {
                    version.set(group.roles_version);
                    saved.set(group.roles.clone());
                    saved_grants.set(group.grants.clone());
                    conflict.set(None);
                    let text = role_names(&group.roles, &group.grants, &names);
                    outcome.set(Some(Ok(format!("Roles saved: {text}."))));
                    on_saved.run(());
                }
                Err(error) if error.is_code(ProblemCode::VersionConflict) => {
                    // Read what the other person saved; keep this person's choice to re-apply.
                    match api::get_group(&id).await {
                        Ok(latest) => {
                            version.set(latest.roles_version);
                            saved.set(latest.roles.clone());
                            saved_grants.set(latest.grants.clone());
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
            <form on:submit=submit(save)>
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
                                        on:change=handler(move |event| {
                                            let on = event_target_checked(&event);
                                            chosen.update(|c| {
                                                c.retain(|r| *r != role);
                                                if on {
                                                    c.push(role);
                                                    c.sort();
                                                }
                                            });
                                        })
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
                                            .boxed()
                                    })}
                                </div>
                            }
                        })
                        .collect_view()}
                    {dynamic(move || {
                        let roles = names();
                        // Untracked: adding or removing a row redraws the rows, not the section.
                        (!roles.is_empty() || rows.with_untracked(|r| !r.is_empty()))
                            .then(|| view! { <CustomGrants rows roles /> })
                            .boxed()
                    })}
                    <button
                        type="submit"
                        class="button button--primary"
                        disabled=move || pending.get() || unchanged() || grants().is_err()
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
                    .boxed()
            })}
            <div id="roles-outcome" tabindex="-1">
                {dynamic(move || (match (outcome.get(), conflict.get()) {
                    (Some(Ok(text)), _) => Some(view! { <p role="status" class="alert alert--ok">{text}</p> }.boxed()),
                    (Some(Err(error)), _) => Some(view! { <ErrorAlert error /> }.boxed()),
                    (None, Some(theirs)) => {
                        let mine = grants().unwrap_or_default();
                        let (first, then) = conflict_words(&theirs, &chosen.get(), &mine, &names());
                        Some(view! {
                            <div class="alert alert--error" role="alert">
                                <p><strong>"Not saved: "</strong>{first}</p>
                                <p>{then}</p>
                            </div>
                        }.boxed())
                    }
                    (None, None) => None,
                }).boxed())}
            </div>
        </section>
    }
}

/// A custom grant as the form holds it while it is edited: the role's key and the scope typed
/// (each its own signal, so that typing redraws only its field).
#[derive(Debug, Clone, Copy)]
struct GrantRow {
    role: RwSignal<String>,
    scope: RwSignal<String>,
}

impl GrantRow {
    fn of(grant: &Grant) -> Self {
        let scope = grant.scope.as_ref().map(|s| s.as_str().to_owned()).unwrap_or_default();
        Self { role: RwSignal::new(grant.role.as_str().to_owned()), scope: RwSignal::new(scope) }
    }
}

/// The grants the rows say; `Err` while a row's role or scope is not one.
fn drafted(rows: &[GrantRow]) -> Result<Vec<Grant>, ()> {
    rows.iter()
        .map(|row| {
            let role = RoleKey::parse(&row.role.get()).map_err(drop)?;
            Ok(Grant { role, scope: scope_of(&row.scope.get()).map_err(drop)? })
        })
        .collect()
}

/// The scope typed: blank is everywhere.
fn scope_of(text: &str) -> Result<Option<ResourcePath>, ResourcePathError> {
    match text.trim() {
        "" => Ok(None),
        text => ResourcePath::parse(text).map(Some),
    }
}

/// The custom roles a group grants, each with the scope it applies on (empty: everywhere).
#[component]
fn CustomGrants(rows: RwSignal<Vec<GrantRow>>, roles: Vec<CustomRoleDescription>) -> impl IntoView {
    let roles = StoredValue::new(roles);
    let add = move |_| {
        let first = roles.with_value(|r| r.first().map(|r| r.key.as_str().to_owned()));
        rows.update(|rows| {
            rows.push(GrantRow {
                role: RwSignal::new(first.unwrap_or_default()),
                scope: RwSignal::new(String::new()),
            });
        });
        let last = rows.with_untracked(Vec::len);
        focus_by_id_owned(format!("grant-{last}-role"));
    };
    view! {
        <fieldset class="grants">
            <legend>"Custom roles"</legend>
            <p class="hint" id="grants-help">
                "Each applies everywhere, or on a scope such as folder:/prod, which covers its sub-paths (folder:/prod/db)."
            </p>
            {dynamic(move || rows.get().into_iter().enumerate().map(|(i, row)| {
                let n = i + 1;
                let (role_id, scope_id) = (format!("grant-{n}-role"), format!("grant-{n}-scope"));
                let current = row.role.get_untracked();
                let known = roles.with_value(|r| r.iter().any(|r| r.key.as_str() == current));
                let message_id = format!("grant-{n}-message");
                let problem = move || scope_of(&row.scope.get()).err();
                view! {
                    <div class="grant">
                        <label for=role_id.clone()>{format!("Custom role {n}")}</label>
                        <select id=role_id on:change=keep_value(row.role)>
                            {(!known).then(|| view! { <option value=current.clone() selected=true>{current.clone()}</option> })}
                            {roles.with_value(|roles| roles.iter().map(|role| {
                                let key = role.key.as_str().to_owned();
                                let selected = key == current;
                                view! { <option value=key selected=selected>{inert(&role.name)}</option> }
                            }).collect_view())}
                        </select>
                        <label for=scope_id.clone()>{format!("Scope of custom role {n}")}</label>
                        <input id=scope_id type="text" autocomplete="off" placeholder="everywhere"
                            aria-describedby=format!("grants-help {message_id}")
                            aria-invalid=move || if problem().is_some() { "true" } else { "false" }
                            prop:value=move || row.scope.get()
                            on:input=keep_value(row.scope) />
                        <button type="button" class="button" aria-label=format!("Remove custom role {n}")
                            on:click=handler(move |_| {
                                rows.update(|rows| {
                                    rows.remove(i);
                                });
                                focus_by_id("grant-add");
                            })>"Remove"</button>
                        <p class="field__message" id=message_id.clone()>
                            {dynamic(move || problem().map(|e| format!("Not a scope: {e}.")).boxed())}
                        </p>
                    </div>
                }
            }).collect_view().boxed())}
            {dynamic(move || roles.with_value(|r| !r.is_empty()).then(|| view! {
                <button type="button" id="grant-add" class="button" on:click=handler(add)>"Add a custom role"</button>
            }).boxed())}
        </fieldset>
    }
}

/// What a person reads when their save met someone else's: who saved what and when, then
/// what their one action does.
fn conflict_words(
    theirs: &GroupDetail,
    mine: &[BuiltInRole],
    my_grants: &[Grant],
    names: &[CustomRoleDescription],
) -> (String, String) {
    let who = theirs.roles_saved_by.as_deref().unwrap_or("someone else");
    let at =
        theirs.roles_saved_at.as_deref().map(|at| format!(" at {}", when(at))).unwrap_or_default();
    (
        format!(
            "{who} saved this group's roles{at}, after you opened it: {}.",
            role_names(&theirs.roles, &theirs.grants, names)
        ),
        format!(
            "Your choice, {}, is still selected: “Replace with my choice” saves it over theirs (or change it first).",
            role_names(mine, my_grants, names)
        ),
    )
}

/// The roles and grants in words: `Editor, Runbook operator on folder:/prod`.
fn role_names(roles: &[BuiltInRole], grants: &[Grant], names: &[CustomRoleDescription]) -> String {
    let built_in = roles.iter().map(|r| r.display_name().to_owned());
    let custom = grants.iter().map(|grant| {
        let name = names
            .iter()
            .find(|r| r.key == grant.role)
            .map_or_else(|| grant.role.as_str().to_owned(), |r| inert(&r.name));
        format!("{name} {}", scope_in_words(grant.scope.as_ref()))
    });
    let all = built_in.chain(custom).collect::<Vec<_>>();
    if all.is_empty() { "no role".to_owned() } else { all.join(", ") }
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
    let focus = FocusOnDraw::new();
    let go = move |after: Option<String>| {
        pages.update(|p| match after {
            Some(after) => p.push(Some(after)),
            None => drop(p.pop()),
        });
        focus.request("members-table");
    };
    view! {
        <section class="panel" aria-labelledby="members-heading">
            <h2 id="members-heading">"Members"</h2>
            <p class="hint">{STATUS_RULE}</p>
            {dynamic(move || (match page.get() {
                None => view! { <Loading label="Loading the members…" /> }.boxed(),
                Some(Err(error)) => view! { <ErrorAlert error /> }.boxed(),
                Some(Ok((_, list))) if list.members.is_empty() => {
                    view! { <p class="empty">"No members."</p> }.boxed()
                }
                Some(Ok((before, list))) => {
                    focus.drawn();
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
                        .boxed()
                }
            }).boxed())}
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

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(role: &str, scope: Option<&str>) -> Grant {
        Grant {
            role: RoleKey::parse(role).unwrap(),
            scope: scope.map(|s| ResourcePath::parse(s).unwrap()),
        }
    }

    fn custom(key: &str, name: &str) -> CustomRoleDescription {
        CustomRoleDescription {
            key: RoleKey::parse(key).unwrap(),
            name: name.into(),
            permissions: vec![],
            version: 1,
            updated_by: "root@example.com".into(),
            updated_at: "2026-12-01T10:00:00Z".into(),
        }
    }

    #[test]
    fn roles_read_built_in_first_then_each_custom_grant_by_name_and_scope() {
        let names = [custom("runbook_operator", "Runbook operator")];
        let grants =
            [grant("runbook_operator", Some("folder:/prod")), grant("runbook_operator", None)];
        assert_eq!(
            role_names(&[BuiltInRole::Editor], &grants, &names),
            "Editor, Runbook operator on folder:/prod, Runbook operator everywhere"
        );
        assert_eq!(role_names(&[], &[], &names), "no role");
        // A role the catalog did not name (not read yet) reads as its key.
        assert_eq!(role_names(&[], &[grant("gone", None)], &[]), "gone everywhere");
    }

    #[test]
    fn a_blank_scope_is_everywhere_and_anything_else_must_be_a_resource() {
        assert_eq!(scope_of("  "), Ok(None));
        assert_eq!(
            scope_of(" folder:/prod "),
            Ok(Some(ResourcePath::parse("folder:/prod").unwrap()))
        );
        assert!(scope_of("prod").is_err());
    }

    #[test]
    fn rows_become_grants_only_when_every_row_is_one() {
        let row = |role: &str, scope: &str| GrantRow {
            role: RwSignal::new(role.to_owned()),
            scope: RwSignal::new(scope.to_owned()),
        };
        let rows = [row("runbook_operator", "folder:/prod"), row("runbook_operator", "")];
        assert_eq!(
            drafted(&rows),
            Ok(vec![
                grant("runbook_operator", Some("folder:/prod")),
                grant("runbook_operator", None)
            ])
        );
        assert_eq!(drafted(&[row("runbook_operator", "not a scope")]), Err(()));
        assert_eq!(drafted(&[row("", "")]), Err(()));
    }
}
