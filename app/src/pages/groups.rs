//! User Management → User Groups: every group (virtualized, searchable, sortable), the sync
//! controls, and local group creation (locked while sync is on).

use std::cmp::Ordering;
use std::sync::Arc;

use groupsync_core::api::{CreateGroupRequest, GroupDetail, GroupSource};
use groupsync_core::domain::Permission;
use leptos::prelude::*;

use crate::dynamic::{IntoBoxedView, dynamic, handler, keep_value, submit};
use crate::remote::Remote;
use leptos::task::spawn_local;

use crate::api::{self, ClientError, GROUPS_PER_REQUEST};
use crate::components::feedback::{ErrorAlert, Gate, Loading, focus_by_id};
use crate::components::sync_panel::SyncPanel;
use crate::components::virtual_table::{RowView, VirtualTable};
use crate::session::Session;
use crate::text::{count, inert, when};

/// The height of a group row, in px (name and Okta id on two lines).
pub const GROUP_ROW_PX: u32 = 56;

/// The column the table is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// By name.
    Name,
    /// By member count.
    Members,
    /// By last sync.
    LastSynced,
}

/// How the table is sorted: a column and a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    /// The column.
    pub key: SortKey,
    /// Largest, newest or Z first.
    pub descending: bool,
}

impl Sort {
    /// The first click on a column: names A to Z, counts and times largest and newest first.
    pub fn by(key: SortKey) -> Self {
        Self { key, descending: key != SortKey::Name }
    }

    /// After a click on `key`: the other direction when the table is sorted by it already.
    pub fn clicked(self, key: SortKey) -> Self {
        if self.key == key { Self { key, descending: !self.descending } } else { Self::by(key) }
    }

    /// The `aria-sort` of the column `key`.
    fn aria(self, key: SortKey) -> &'static str {
        match (self.key == key, self.descending) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        }
    }
}

/// Where loading every group stands.
#[derive(Debug, Clone, PartialEq)]
enum Loaded {
    Loading,
    /// Some pages are in; the table already shows them.
    Partly {
        loaded: usize,
        total: usize,
    },
    Done,
    Failed(ClientError),
}

/// The positions in `groups` of those whose name, description or id contains `query`.
///
/// They come in the order of `sort` (groups that tie, by id). Letters compare without case in
/// ASCII only: Unicode's case tables would cost the SPA a tenth of its size budget, and
/// non-ASCII text still matches as typed.
pub fn filter_and_sort(groups: &[GroupDetail], query: &str, sort: Sort) -> Vec<usize> {
    let query = query.trim().to_ascii_lowercase();
    let mut shown: Vec<usize> = if query.is_empty() {
        (0..groups.len()).collect()
    } else {
        groups
            .iter()
            .enumerate()
            .filter(|(_, g)| {
                contains_folded(&g.name, &query)
                    || contains_folded(&g.id, &query)
                    || g.description.as_deref().is_some_and(|d| contains_folded(d, &query))
            })
            .map(|(i, _)| i)
            .collect()
    };
    let by = |a: &usize, b: &usize| -> Ordering {
        let (a, b) = (&groups[*a], &groups[*b]);
        let ascending = match sort.key {
            SortKey::Name => cmp_folded(&a.name, &b.name),
            SortKey::Members => a.member_count.cmp(&b.member_count),
            SortKey::LastSynced => a.last_synced_at.cmp(&b.last_synced_at),
        };
        if sort.descending { ascending.reverse() } else { ascending }.then_with(|| a.id.cmp(&b.id))
    };
    // The edge sends groups sorted by name already; skip the work then.
    if !shown.is_sorted_by(|a, b| by(a, b).is_le()) {
        shown.sort_by(by);
    }
    shown
}

/// Whether `text` contains `lowered_query` (already ASCII-lowercased), ignoring ASCII case.
fn contains_folded(text: &str, lowered_query: &str) -> bool {
    let (text, query) = (text.as_bytes(), lowered_query.as_bytes());
    query.is_empty() || text.windows(query.len()).any(|w| w.eq_ignore_ascii_case(query))
}

/// Orders two names ignoring ASCII case, without allocating (10,000 names sort often).
fn cmp_folded(a: &str, b: &str) -> Ordering {
    a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// Leaves a mark on the page's performance timeline (read by the benchmark).
fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}

/// The User Groups screen.
#[component]
pub fn GroupsPage() -> impl IntoView {
    let session = Session::get();
    let groups = RwSignal::new(Vec::<GroupDetail>::new());
    let loaded = RwSignal::new(Loaded::Loading);
    // Each load's ticket: a load stops once a newer one started, so two never interleave pages.
    let loads = StoredValue::new(0_u64);
    let reload = move || {
        loads.update_value(|n| *n += 1);
        let ticket = loads.get_value();
        let current = move || loads.try_get_value() == Some(ticket);
        spawn_local(load_every_group(groups, loaded, current));
    };
    let runs = Remote::call(|| api::get_sync_runs(1));
    let may_read = move || session.can(Permission::ReadGroups);
    Effect::new(move || {
        if may_read() {
            reload();
        }
    });
    view! {
        <h1>"User Groups"</h1>
        <Gate
            permission=Permission::ReadGroups
            reason="Seeing the groups needs the Viewer role or higher."
        >
            <SyncPanel runs on_committed=Callback::new(move |()| reload()) />
            <GroupList groups loaded />
            <CreateGroup runs on_created=Callback::new(move |()| reload()) />
        </Gate>
    }
}

/// How often a listing that keeps changing under the reader is started over before its error
/// is shown (a sync commits at most a few times an hour, so twice is already rare).
const LISTING_ATTEMPTS: u32 = 3;

/// Loads the first page (shown at once), then the others one after the other, each shown as it
/// arrives (one request at a time also spares the edge's D1 a burst). When a page belongs to
/// another listing than the first (a sync committed, or a group was created, meanwhile), it
/// starts over, so the table never mixes two moments. Stops as soon as `current` says a newer
/// load started.
async fn load_every_group(
    groups: RwSignal<Vec<GroupDetail>>,
    loaded: RwSignal<Loaded>,
    current: impl Fn() -> bool,
) {
    loaded.set(Loaded::Loading);
    for _ in 0..LISTING_ATTEMPTS {
        let first = match api::get_group_page(1).await {
            Ok(page) => page,
            Err(error) => return loaded.set(Loaded::Failed(error)),
        };
        if !current() {
            return;
        }
        mark("groups:data");
        let listing = (first.as_of.clone(), first.total);
        let total = first.total as usize;
        let pages = first.total.div_ceil(GROUPS_PER_REQUEST).max(1);
        groups.set(first.groups);
        request_animation_frame(|| mark("groups:rows"));
        let mut whole = true;
        for page in 2..=pages {
            loaded.set(Loaded::Partly { loaded: groups.with_untracked(Vec::len), total });
            let more = match api::get_group_page(page).await {
                Ok(more) => more,
                Err(error) => return loaded.set(Loaded::Failed(error)),
            };
            if !current() {
                return;
            }
            if (more.as_of, more.total) != listing {
                whole = false;
                break;
            }
            groups.update(|all| all.extend(more.groups));
        }
        if whole {
            return loaded.set(Loaded::Done);
        }
    }
    loaded.set(Loaded::Failed(ClientError::ListingKeptChanging));
}

/// The search, the count, and the table.
#[component]
fn GroupList(groups: RwSignal<Vec<GroupDetail>>, loaded: RwSignal<Loaded>) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let sort = RwSignal::new(Sort::by(SortKey::Name));
    let shown = Memo::new(move |_| groups.with(|g| filter_and_sort(g, &query.get(), sort.get())));
    let row_count = Signal::derive(move || shown.with(Vec::len));
    let count_text = move || {
        let total = groups.with(Vec::len);
        let matching = row_count.get();
        let mut text = if query.with(|q| q.trim().is_empty()) {
            count(total as u64, "group", "groups")
        } else {
            format!("{matching} of {} match", count(total as u64, "group", "groups"))
        };
        if let Loaded::Partly { loaded, total } = loaded.get() {
            text.push_str(&format!(" (loading: {loaded} of {total})"));
        }
        text
    };
    // Tracks `shown`: a new order or search repaints the rows in view, even when their number
    // and the scroll position stay the same.
    let render_row: RowView = Arc::new(move |position: usize| {
        let group = shown
            .with(|s| s.get(position).copied())
            .and_then(|index| groups.with_untracked(|g| g.get(index).cloned()));
        group.map(group_cells).into_any()
    });
    view! {
        <section class="panel" aria-labelledby="groups-heading">
            <h2 id="groups-heading">"Groups"</h2>
            <div class="toolbar">
                <label for="group-search">"Search groups"</label>
                <input
                    id="group-search"
                    type="search"
                    autocomplete="off"
                    placeholder="Name, description or Okta id"
                    prop:value=move || query.get()
                    on:input=keep_value(query)
                />
                <p class="hint" role="status" id="group-count">
                    {count_text}
                </p>
            </div>
            {dynamic(move || (match loaded.get() {
                Loaded::Loading => view! { <Loading label="Loading the groups…" /> }.boxed(),
                Loaded::Failed(error) => view! { <ErrorAlert error /> }.boxed(),
                _ if groups.with(Vec::is_empty) => {
                    view! {
                        <p class="empty">
                            "No groups yet. Sync Okta Groups to bring in the groups assigned to the app."
                        </p>
                    }
                        .boxed()
                }
                _ => {
                    view! {
                        <VirtualTable
                            label="Groups"
                            row_count
                            row_height=GROUP_ROW_PX
                            header=move || view! { <GroupHeader sort /> }
                            render_row=render_row.clone()
                        />
                    }
                        .boxed()
                }
            }).boxed())}
        </section>
    }
}

/// The header row, with the sortable columns as buttons: a click sorts by the column, a second
/// click reverses the order.
#[component]
fn GroupHeader(sort: RwSignal<Sort>) -> impl IntoView {
    let sortable = move |key: SortKey, text: &'static str, class: &'static str| {
        view! {
            <div role="columnheader" class=class aria-sort=move || sort.get().aria(key)>
                <button
                    type="button"
                    class="sort"
                    on:click=handler(move |_| sort.update(|now| *now = now.clicked(key)))
                >
                    {text}
                </button>
            </div>
        }
    };
    view! {
        {sortable(SortKey::Name, "Name", "col col--name")}
        <div role="columnheader" class="col col--description">
            "Description"
        </div>
        <div role="columnheader" class="col col--source">
            "Source"
        </div>
        {sortable(SortKey::Members, "Members", "col col--members")}
        <div role="columnheader" class="col col--roles">
            "Roles"
        </div>
        {sortable(SortKey::LastSynced, "Last synced", "col col--synced")}
    }
}

/// One group's cells. Names and descriptions from Okta are text only, made visibly inert.
fn group_cells(group: GroupDetail) -> impl IntoView {
    let roles = if group.roles.is_empty() {
        "—".to_owned()
    } else {
        group.roles.iter().map(|r| r.display_name()).collect::<Vec<_>>().join(", ")
    };
    let source = if group.source == GroupSource::Okta { "Okta" } else { "Local" };
    view! {
        <div role="cell" class="col col--name">
            <a href=format!("/groups/{}", group.id) class="group-name">
                <bdi>{inert(&group.name)}</bdi>
            </a>
            <code class="okta-id">{group.id}</code>
        </div>
        <div role="cell" class="col col--description">
            <bdi>{group.description.as_deref().map(inert).unwrap_or_default()}</bdi>
        </div>
        <div role="cell" class="col col--source">
            {source}
        </div>
        <div role="cell" class="col col--members">
            {group.member_count}
        </div>
        <div role="cell" class="col col--roles">
            {roles}
        </div>
        <div role="cell" class="col col--synced">
            {group.last_synced_at.as_deref().map(when).unwrap_or_else(|| "—".into())}
        </div>
    }
}

/// "Create group": a local group, possible only while sync is off.
#[component]
fn CreateGroup(
    runs: Remote<groupsync_core::api::ListSyncRunsResponse>,
    on_created: Callback<()>,
) -> impl IntoView {
    let session = Session::get();
    let name = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<String, ClientError>>);
    let sync_on = move || matches!(runs.get(), Some(Ok(list)) if list.schedule.sync_enabled);
    let locked_reason = move || {
        if sync_on() {
            Some(
                "Groups come from Okta while sync is on, so none can be made here. Turn sync off in Settings → Okta API Access to manage groups by hand.",
            )
        } else if !session.can(Permission::AssignRoles) {
            Some("Creating groups needs the Editor role or higher.")
        } else {
            None
        }
    };
    let create = move || {
        let group = CreateGroupRequest { name: name.get_untracked(), description: None };
        spawn_local(async move {
            let created = api::create_group(group)
                .await
                .map(|g| format!("Group {} created.", inert(&g.name)));
            if created.is_ok() {
                name.set(String::new());
                on_created.run(());
            }
            outcome.set(Some(created));
            focus_by_id("create-group-outcome");
        });
    };
    view! {
        <section class="panel" aria-labelledby="create-group-heading">
            <h2 id="create-group-heading">"Create group"</h2>
            <form
                class="inline-form"
                on:submit=submit(create)
            >
                <label for="new-group-name">"Group name"</label>
                <input
                    id="new-group-name"
                    type="text"
                    required=true
                    maxlength="200"
                    disabled=move || locked_reason().is_some()
                    prop:value=move || name.get()
                    on:input=keep_value(name)
                />
                <button
                    type="submit"
                    class="button"
                    disabled=move || locked_reason().is_some()
                    aria-describedby="create-group-why"
                >
                    "Create group"
                </button>
            </form>
            <p id="create-group-why" class="hint">
                {dynamic(move || locked_reason().unwrap_or("A local group gets its members by hand.").boxed())}
            </p>
            <div id="create-group-outcome" tabindex="-1">
                {dynamic(move || (match outcome.get() {
                    Some(Ok(text)) => Some(view! { <p role="status">{text}</p> }.boxed()),
                    Some(Err(error)) => Some(view! { <ErrorAlert error /> }.boxed()),
                    None => None,
                }).boxed())}
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: &str, name: &str, members: u32, synced: &str) -> GroupDetail {
        GroupDetail {
            id: id.into(),
            source: GroupSource::Okta,
            name: name.into(),
            description: Some(format!("About {name}")),
            member_count: members,
            roles: Vec::new(),
            grants: Vec::new(),
            roles_version: 0,
            roles_saved_by: None,
            roles_saved_at: None,
            last_synced_at: Some(synced.into()),
        }
    }

    fn groups() -> Vec<GroupDetail> {
        vec![
            group("00g1", "Engineering", 40, "2026-11-01T00:00:00Z"),
            group("00g2", "eng-oncall", 5, "2026-11-03T00:00:00Z"),
            group("00g3", "Sales", 12, "2026-11-02T00:00:00Z"),
            group("00g4", "Équipe Paris", 3, "2026-11-04T00:00:00Z"),
        ]
    }

    #[test]
    fn search_matches_names_descriptions_and_ids_in_any_case() {
        let g = groups();
        let by_name = Sort::by(SortKey::Name);
        assert_eq!(filter_and_sort(&g, "ENG", by_name), [1, 0]);
        assert_eq!(filter_and_sort(&g, "about sales", by_name), [2]);
        assert_eq!(filter_and_sort(&g, "00g4", by_name), [3]);
        assert_eq!(filter_and_sort(&g, "Équipe", by_name), [3]);
        assert_eq!(filter_and_sort(&g, "nothing", by_name), Vec::<usize>::new());
    }

    #[test]
    fn sorting_orders_by_name_members_or_last_sync() {
        let g = groups();
        assert_eq!(filter_and_sort(&g, "", Sort::by(SortKey::Name)), [1, 0, 2, 3]);
        assert_eq!(filter_and_sort(&g, " ", Sort::by(SortKey::Members)), [0, 2, 1, 3]);
        assert_eq!(filter_and_sort(&g, "", Sort::by(SortKey::LastSynced)), [3, 1, 2, 0]);
    }

    #[test]
    fn a_second_click_reverses_the_order_and_another_column_starts_over() {
        let g = groups();
        let members = Sort::by(SortKey::Name).clicked(SortKey::Members);
        assert_eq!(members, Sort { key: SortKey::Members, descending: true });
        let fewest_first = members.clicked(SortKey::Members);
        assert_eq!(filter_and_sort(&g, "", fewest_first), [3, 1, 2, 0]);
        assert_eq!(
            filter_and_sort(&g, "", Sort::by(SortKey::Name).clicked(SortKey::Name)),
            [3, 2, 0, 1]
        );
        assert_eq!(fewest_first.clicked(SortKey::Name), Sort::by(SortKey::Name));
        assert_eq!(fewest_first.aria(SortKey::Members), "ascending");
        assert_eq!(fewest_first.aria(SortKey::Name), "none");
    }

    #[test]
    fn groups_that_tie_keep_the_order_of_their_ids_in_either_direction() {
        let mut g = groups();
        g[2].member_count = 40; // Sales ties Engineering
        assert_eq!(filter_and_sort(&g, "", Sort::by(SortKey::Members)), [0, 2, 1, 3]);
        let reversed = Sort::by(SortKey::Members).clicked(SortKey::Members);
        assert_eq!(filter_and_sort(&g, "", reversed), [3, 1, 0, 2]);
    }
}
