//! User Management → Roles (issue #14).
//!
//! The built-in roles; the custom roles made of the relying app's permissions, which superAdmins
//! create, rename, change and delete (after reading who would lose what); and the relying app's
//! permissions they are made of (which it registers through the API).

use groupsync_core::api::{
    AppPermissionDescription, CreateRoleRequest, CustomRoleDescription, ProblemCode, RoleImpact,
    UpdateRoleRequest,
};
use groupsync_core::domain::{BuiltInRole, PermissionName, scope_in_words};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, Catalog, ClientError};
use crate::components::feedback::{ErrorAlert, awaited, focus_by_id};
use crate::components::table_scroll::TableScroll;
use crate::dynamic::{IntoBoxedView, dynamic, handler, keep_value, submit};
use crate::remote::Remote;
use crate::session::Session;
use crate::text::{count, inert, when};

/// What the custom roles' panel below their table shows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Panel {
    /// The form of a new role.
    Create,
    /// The form of the role with this key.
    Edit(String),
    /// What deleting the role with this key would take away, and the button that does it.
    Delete(String),
}

/// The outcome of the screen's last write, said where the focus goes after it.
type Outcome = RwSignal<Option<Result<String, ClientError>>>;

/// The Roles screen (`/roles`).
#[component]
pub fn RolesPage() -> impl IntoView {
    let session = Session::get();
    let catalog = Remote::call(api::get_catalog);
    let panel = RwSignal::new(None::<Panel>);
    let outcome: Outcome = RwSignal::new(None);
    // After a write: say what it did, read the catalog again, close the panel.
    let done = Callback::new(move |text: String| {
        outcome.set(Some(Ok(text)));
        panel.set(None);
        catalog.refetch();
        focus_by_id("roles-outcome");
    });
    let failed = Callback::new(move |error: ClientError| {
        // Someone changed the role first: the form is drawn again from their version (the
        // message names them), so that the next save is based on it.
        if error.is_code(ProblemCode::VersionConflict) {
            catalog.refetch();
        }
        outcome.set(Some(Err(error)));
        focus_by_id("roles-outcome");
    });
    let app_permissions = move || match catalog.get() {
        Some(Ok(list)) => list.app_permissions,
        _ => Vec::new(),
    };
    view! {
        <h1>"Roles"</h1>
        <p class="hint">
            "A group's members hold the roles it grants; a role is a set of permissions. The built-in roles are this console's; custom roles are made of the permissions the app that relies on this one registered."
        </p>
        <div id="roles-outcome" tabindex="-1">
            {dynamic(move || match outcome.get() {
                Some(Ok(text)) => view! { <p role="status" class="alert alert--ok">{text}</p> }.boxed(),
                Some(Err(error)) => view! { <ErrorAlert error /> }.boxed(),
                None => ().boxed(),
            })}
        </div>
        <BuiltInRoles />
        <section class="panel" aria-labelledby="custom-roles-heading">
            <h2 id="custom-roles-heading">"Custom roles"</h2>
            {awaited(move || catalog.get(), "Loading the roles…", move |list| {
                view! { <CustomRoles list=list.custom_roles panel /> }.boxed()
            })}
            {dynamic(move || {
                if !session.is_super_admin() {
                    return view! { <p class="hint">"Only superAdmins create, change or delete roles."</p> }.boxed();
                }
                let current = catalog.get().and_then(Result::ok);
                match (panel.get(), current) {
                    (None, _) => view! {
                        <button type="button" class="button button--primary" on:click=handler(move |_| {
                            panel.set(Some(Panel::Create));
                            focus_by_id("role-name");
                        })>"New custom role"</button>
                    }.boxed(),
                    (Some(Panel::Create), _) => view! {
                        <RoleForm role=None app=app_permissions() panel done failed />
                    }.boxed(),
                    (Some(Panel::Edit(key)), Some(list)) => match custom(&list, &key) {
                        Some(role) => view! {
                            <RoleForm role=Some(role) app=app_permissions() panel done failed />
                        }.boxed(),
                        None => ().boxed(),
                    },
                    (Some(Panel::Delete(key)), _) => view! { <DeleteRole key panel done failed /> }.boxed(),
                    (Some(Panel::Edit(_)), None) => ().boxed(),
                }
            })}
        </section>
        {dynamic(move || view! { <AppPermissions app=app_permissions() /> }.boxed())}
    }
}

/// The custom role of `key` in the catalog.
fn custom(list: &Catalog, key: &str) -> Option<CustomRoleDescription> {
    list.custom_roles.iter().find(|r| r.key.as_str() == key).cloned()
}

/// The three built-in roles and what they allow (fixed: they cannot be changed).
#[component]
fn BuiltInRoles() -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="built-in-heading">
            <h2 id="built-in-heading">"Built-in roles"</h2>
            <p class="hint">"This console's own roles; they cannot be changed."</p>
            <TableScroll label="Table of built-in roles">
                <table>
                    <thead>
                        <tr>
                            <th scope="col">"Role"</th>
                            <th scope="col">"Permissions"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {BuiltInRole::ALL
                            .into_iter()
                            .map(|role| {
                                let permissions = role
                                    .permissions()
                                    .iter()
                                    .map(|p| p.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ");
                                view! {
                                    <tr>
                                        <th scope="row">{role.display_name()}</th>
                                        <td>{permissions}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </TableScroll>
        </section>
    }
}

/// The custom roles' table, with their Edit and Delete buttons for superAdmins.
#[component]
fn CustomRoles(list: Vec<CustomRoleDescription>, panel: RwSignal<Option<Panel>>) -> impl IntoView {
    let session = Session::get();
    if list.is_empty() {
        return view! { <p class="empty">"No custom roles yet."</p> }.boxed();
    }
    let rows = list
        .into_iter()
        .map(|role| {
            let name = inert(&role.name);
            let permissions = role.permissions.iter().map(PermissionName::as_str).collect::<Vec<_>>();
            let changed = format!("{} · {}", role.updated_by, when(&role.updated_at));
            let edit = role.key.as_str().to_owned();
            let delete = edit.clone();
            let (edit_label, delete_label) = (format!("Edit {name}"), format!("Delete {name}"));
            let actions = move || {
                let (edit, delete) = (edit.clone(), delete.clone());
                session.is_super_admin().then(|| {
                    view! {
                        <button type="button" class="button" aria-label=edit_label.clone() on:click=handler(move |_| {
                            panel.set(Some(Panel::Edit(edit.clone())));
                            focus_by_id("role-name");
                        })>"Edit"</button>
                        " "
                        <button type="button" class="button button--danger" aria-label=delete_label.clone() on:click=handler(move |_| {
                            panel.set(Some(Panel::Delete(delete.clone())));
                            focus_by_id("role-impact");
                        })>"Delete…"</button>
                    }
                })
            };
            view! {
                <tr>
                    <th scope="row"><bdi>{name}</bdi></th>
                    <td><code>{role.key.as_str().to_owned()}</code></td>
                    <td>{permissions.join(", ")}</td>
                    <td>{changed}</td>
                    <td>{dynamic(move || actions().boxed())}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <TableScroll label="Table of custom roles">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Key"</th>
                        <th scope="col">"Permissions"</th>
                        <th scope="col">"Last changed"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </TableScroll>
    }
    .boxed()
}

/// The form of a new custom role (`role` is `None`) or of a change to one, based on the version
/// shown (a change someone else saved meanwhile is refused and named, not overwritten).
#[component]
fn RoleForm(
    role: Option<CustomRoleDescription>,
    /// The relying app's permissions, which a custom role is made of.
    app: Vec<AppPermissionDescription>,
    panel: RwSignal<Option<Panel>>,
    done: Callback<String>,
    failed: Callback<ClientError>,
) -> impl IntoView {
    let editing = role.as_ref().map(|r| (r.key.as_str().to_owned(), r.version));
    let key = RwSignal::new(String::new());
    let name = RwSignal::new(role.as_ref().map(|r| r.name.clone()).unwrap_or_default());
    let chosen = RwSignal::new(
        role.as_ref()
            .map(|r| r.permissions.iter().map(|p| p.as_str().to_owned()).collect::<Vec<_>>())
            .unwrap_or_default(),
    );
    let pending = RwSignal::new(false);
    let heading = match &role {
        Some(role) => format!("Change {}", inert(&role.name)),
        None => "New custom role".to_owned(),
    };
    let creating = editing.is_none();
    let editing = StoredValue::new(editing);
    let save = move || {
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        let name = name.get_untracked();
        let permissions = chosen.get_untracked();
        spawn_local(async move {
            let answer = match editing.get_value() {
                Some((key, version)) => {
                    let body = UpdateRoleRequest { name: name.clone(), permissions, version };
                    api::update_role(&key, &body).await
                }
                None => {
                    let body = CreateRoleRequest {
                        key: key.get_untracked(),
                        name: name.clone(),
                        permissions,
                    };
                    api::create_role(&body).await
                }
            };
            pending.set(false);
            match answer {
                Ok(()) => done.run(format!("Role {} saved.", inert(name.trim()))),
                Err(error) => failed.run(error),
            }
        });
    };
    view! {
        <form class="role-form" aria-labelledby="role-form-heading" on:submit=submit(save)>
            <h3 id="role-form-heading">{heading}</h3>
            {creating.then(|| view! {
                <div class="field">
                    <label for="role-key">"Role key"</label>
                    <input id="role-key" type="text" autocomplete="off" required=true aria-describedby="role-key-help"
                        prop:value=move || key.get()
                        on:input=keep_value(key) />
                    <p class="field__help" id="role-key-help">
                        "How grants and the API name it, never changed: a lowercase word such as runbook_operator."
                    </p>
                </div>
            })}
            <div class="field">
                <label for="role-name">"Role name"</label>
                <input id="role-name" type="text" autocomplete="off" required=true
                    prop:value=move || name.get()
                    on:input=keep_value(name) />
            </div>
            <fieldset>
                <legend>"Permissions"</legend>
                {if app.is_empty() {
                    view! { <p class="hint">"The relying app has registered no permission yet (see below)."</p> }.boxed()
                } else {
                    app.into_iter().enumerate().map(|(i, permission)| {
                        let id = format!("role-permission-{i}");
                        let value = permission.name.as_str().to_owned();
                        let checked = value.clone();
                        view! {
                            <div class="check">
                                <input type="checkbox" id=id.clone()
                                    prop:checked=move || chosen.with(|c| c.contains(&checked))
                                    on:change=handler(move |event| {
                                        let on = event_target_checked(&event);
                                        chosen.update(|c| {
                                            c.retain(|p| *p != value);
                                            if on {
                                                c.push(value.clone());
                                            }
                                        });
                                    }) />
                                <label for=id>
                                    <code>{permission.name.as_str().to_owned()}</code>
                                    {(!permission.description.is_empty()).then(|| format!(" — {}", inert(&permission.description)))}
                                </label>
                            </div>
                        }
                    }).collect_view().boxed()
                }}
            </fieldset>
            <button type="submit" class="button button--primary" disabled=move || pending.get()>
                {if creating { "Create role" } else { "Save role" }}
            </button>
            " "
            <button type="button" class="button" on:click=handler(move |_| panel.set(None))>"Cancel"</button>
        </form>
    }
}

/// What deleting a role would take away (its grants, the people who hold it through them), and
/// the button that deletes it with its grants.
#[component]
fn DeleteRole(
    key: String,
    panel: RwSignal<Option<Panel>>,
    done: Callback<String>,
    failed: Callback<ClientError>,
) -> impl IntoView {
    let asked = key.clone();
    let impact = Remote::call(move || api::get_role_impact(&asked));
    let key = StoredValue::new(key);
    let pending = RwSignal::new(false);
    let delete = move |name: String| {
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        spawn_local(async move {
            let answer = api::delete_role(&key.get_value()).await;
            pending.set(false);
            match answer {
                Ok(()) => done.run(format!("Role {name} deleted, with its grants.")),
                Err(error) => failed.run(error),
            }
        });
    };
    view! {
        <div id="role-impact" class="role-impact" tabindex="-1" role="region" aria-label="Delete a role">
            {awaited(move || impact.get(), "Reading who holds this role…", move |impact: RoleImpact| {
                let name = inert(&impact.role.name);
                let heading = format!("Delete {name}?");
                let more = impact.people.saturating_sub(impact.first_people.len() as u64);
                view! {
                    <h3>{heading}</h3>
                    <p>{impact.summary.clone()}</p>
                    {(!impact.grants.is_empty()).then(|| view! {
                        <ul>
                            {impact.grants.iter().map(|grant| {
                                let href = format!("/groups/{}", grant.group_id);
                                let scope = scope_in_words(grant.scope.as_ref());
                                view! {
                                    <li>
                                        <a href=href><bdi>{inert(&grant.group_name)}</bdi></a>
                                        {format!(" — {scope}, {}", count(grant.members, "member", "members"))}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    })}
                    {(!impact.first_people.is_empty()).then(|| view! {
                        <p>
                            <strong>"Who holds it through them: "</strong>
                            {impact.first_people.join(", ")}
                            {(more > 0).then(|| format!(" and {more} more"))}
                        </p>
                    })}
                    <button type="button" class="button button--danger" disabled=move || pending.get()
                        on:click=handler(move |_| delete(name.clone()))>
                        "Delete role and its grants"
                    </button>
                    " "
                    <button type="button" class="button" on:click=handler(move |_| panel.set(None))>"Cancel"</button>
                }.boxed()
            })}
        </div>
    }
}

/// The relying app's permissions, which it registers itself through the API (with an API key
/// given `manage_catalog`), or a superAdmin does (`POST /api/v1/permissions`).
#[component]
fn AppPermissions(app: Vec<AppPermissionDescription>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="app-permissions-heading">
            <h2 id="app-permissions-heading">"The relying app's permissions"</h2>
            <p class="hint">
                "The app that relies on this one registers them through the API (POST /api/v1/permissions, with an API key given manage_catalog); custom roles are made of them."
            </p>
            {if app.is_empty() {
                view! { <p class="empty">"None registered yet."</p> }.boxed()
            } else {
                view! {
                    <ul class="permission-list">
                        {app.into_iter().map(|permission| view! {
                            <li>
                                <code>{permission.name.as_str().to_owned()}</code>
                                {(!permission.description.is_empty()).then(|| format!(" — {}", inert(&permission.description)))}
                            </li>
                        }).collect_view()}
                    </ul>
                }.boxed()
            }}
        </section>
    }
}
