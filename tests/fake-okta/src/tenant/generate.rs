//! Deterministic generation of a tenant from a [`TenantSpec`]: the same seed gives the same ids,
//! names, statuses, timestamps, memberships and tokens on every run.
//!
//! Sized tenants (S, M, L) have a skewed group-size distribution whose total over the assigned
//! groups is exactly the size's figure: a few fixed "special" sizes (larger than 1000, exactly
//! 200 and 201 to hit page boundaries, empty groups), then a long tail drawn from a skewed
//! distribution. Members are drawn as arithmetic progressions modulo the user count with a
//! stride coprime to it, which yields distinct users in O(group size) time and no extra memory,
//! so L generates in well under a second in release builds.
//!
//! [`TenantOptions`] add to a tenant after its size's content, from random streams of their
//! own, so that everything else stays exactly as it is without them: the `Everyone` group's
//! assignment, and a big group (`All Staff`, N members: the first N users, creating the users it
//! lacks, who also join `Everyone`). A big group of 250,000 on S (248,800 users created) starts
//! in about 2 s in a debug build, at 140 MB (about 540 bytes per created user: its strings and
//! index entries); on L, in about 2 s at 148 MB.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::names::{
    AWKWARD_GROUP_NAMES, DEMO_GROUPS, DEMO_PEOPLE, DEMO_UNASSIGNED_GROUPS, DEPARTMENTS,
    FIRST_NAMES, LAST_NAMES, QUALIFIERS,
};
use super::{
    Access, App, Assignment, BIG_GROUP_NAME, Description, Group, GroupKind, Tenant, TenantOptions,
    TenantSize, TenantSpec, User, UserStatus,
};
use crate::rng::Rng;

/// 2019-01-01T00:00:00Z: generated objects were created after it.
const EPOCH_2019_MS: i64 = 1_546_300_800_000;
/// Five years: the span over which generated objects were created.
const SPAN_MS: u64 = 5 * 365 * 86_400_000;
/// A day in milliseconds.
const DAY_MS: u64 = 86_400_000;

/// The shape of a sized tenant.
struct Plan {
    assigned_groups: u32,
    memberships: u64,
    users: u32,
    unassigned_groups: u32,
    /// Group sizes placed among the assigned groups before the long tail is drawn.
    special_sizes: &'static [u32],
}

fn plan(size: TenantSize) -> Option<Plan> {
    let (assigned_groups, memberships) = size.figures()?;
    Some(match size {
        TenantSize::Demo | TenantSize::S => Plan {
            assigned_groups,
            memberships,
            users: 1_200,
            unassigned_groups: 8,
            special_sizes: &[1_001, 250, 201, 200, 0],
        },
        TenantSize::M => Plan {
            assigned_groups,
            memberships,
            users: 25_000,
            unassigned_groups: 40,
            special_sizes: &[5_000, 2_500, 1_500, 1_001, 1_000, 999, 401, 201, 200, 0, 0],
        },
        TenantSize::L => Plan {
            assigned_groups,
            memberships,
            users: 120_000,
            unassigned_groups: 200,
            special_sizes: &[60_000, 25_000, 10_000, 5_000, 2_001, 1_001, 1_000, 201, 200, 0, 0, 0],
        },
    })
}

/// Generates the tenant described by `spec`, with the additions of `options`.
pub(crate) fn generate(spec: TenantSpec, options: TenantOptions) -> Tenant {
    let mut b = Builder::new(spec);
    match plan(spec.size) {
        Some(plan) => b.sized(&plan),
        None => b.demo(),
    }
    b.options(options);
    b.tenant
}

/// The random streams of the options' additions (streams 1 to 6 make the size's content).
const OPTION_STREAMS: (u64, u64, u64) = (7, 8, 9);

struct Builder {
    tenant: Tenant,
    ids: Rng,
    times: Rng,
    rng: Rng,
}

impl Builder {
    fn new(spec: TenantSpec) -> Self {
        let seed = spec.seed;
        let mut ids = Rng::new(seed, 1);
        let mut times = Rng::new(seed, 2);
        let mut tokens = Rng::new(seed, 3);
        let app = |ids: &mut Rng, times: &mut Rng, name: &str, label: &str, saml, active| {
            let created = EPOCH_2019_MS + times.below(SPAN_MS) as i64;
            App {
                id: ids.okta_id("0oa"),
                name: name.to_owned(),
                label: label.to_owned(),
                saml,
                active,
                created,
                last_updated: created + times.below(DAY_MS * 30) as i64,
            }
        };
        let apps = vec![
            app(
                &mut ids,
                &mut times,
                "examplecorp_oktagroupssync_1",
                "Okta Groups Sync",
                true,
                true,
            ),
            app(&mut ids, &mut times, "oidc_client", "Internal Dashboard", false, true),
            app(&mut ids, &mut times, "examplecorp_legacywiki_1", "Legacy Wiki", true, false),
        ];
        let full = format!("00{}", tokens.base62(40));
        let restricted = format!("00{}", tokens.base62(40));
        let user_type_id = ids.okta_id("oty");
        let tenant = Tenant {
            spec,
            cursor_salt: Rng::new(seed, 4).next_u64(),
            apps,
            groups: Vec::new(),
            users: Vec::new(),
            group_ix: HashMap::new(),
            user_ix: HashMap::new(),
            login_ix: HashMap::new(),
            assigned: BTreeMap::new(),
            tokens: HashMap::from([(full, Access::Full), (restricted, Access::AppsOnly)]),
            revoked: HashSet::new(),
            user_type_id,
            id_rng: Rng::new(seed, 5),
            everyone: None,
            big_group: None,
            search_lags: false,
        };
        Builder { tenant, ids, times, rng: Rng::new(seed, 6) }
    }

    fn unique_id(&mut self, prefix: &str) -> String {
        loop {
            let id = self.ids.okta_id(prefix);
            if !self.tenant.group_ix.contains_key(&id) && !self.tenant.user_ix.contains_key(&id) {
                return id;
            }
        }
    }

    fn add_user(&mut self, first: &str, last: &str, login: String, status: UserStatus) -> u32 {
        let t = &mut self.times;
        let created = EPOCH_2019_MS + t.below(SPAN_MS) as i64;
        let mut at = |after: i64| after + 1 + t.below(DAY_MS * 60) as i64;
        let never_activated = status == UserStatus::Staged;
        let no_password = never_activated || status == UserStatus::Provisioned;
        let activated = (!never_activated).then(|| at(created));
        let password_changed = if no_password { None } else { activated.map(&mut at) };
        let last_login = if no_password { None } else { password_changed.map(&mut at) };
        let status_changed = match status {
            UserStatus::Active | UserStatus::Provisioned => activated,
            UserStatus::Staged => None,
            _ => Some(at(last_login.or(activated).unwrap_or(created))),
        };
        let last_updated = [Some(created), activated, password_changed, last_login, status_changed]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(created);
        let id = self.unique_id("00u");
        let ix = self.tenant.users.len() as u32;
        self.tenant.user_ix.insert(id.clone(), ix);
        self.tenant.login_ix.insert(login.to_lowercase(), ix);
        self.tenant.users.push(User {
            id,
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            login,
            email: None,
            status,
            searched_status: status,
            created,
            activated,
            status_changed,
            last_login,
            last_updated,
            password_changed,
        });
        ix
    }

    fn add_group(
        &mut self,
        name: String,
        description: Description,
        kind: GroupKind,
        members: Vec<u32>,
    ) -> u32 {
        let created = EPOCH_2019_MS + self.times.below(SPAN_MS) as i64;
        let last_updated = created + self.times.below(DAY_MS * 200) as i64;
        let last_membership_updated = created + self.times.below(DAY_MS * 400) as i64;
        let id = self.unique_id("00g");
        let ix = self.tenant.groups.len() as u32;
        self.tenant.group_ix.insert(id.clone(), ix);
        self.tenant.groups.push(Group {
            id,
            name,
            description,
            kind,
            created,
            last_updated,
            last_membership_updated,
            members,
            deleted: false,
        });
        ix
    }

    fn assign(&mut self, group: u32) {
        let created = self.tenant.groups[group as usize].created;
        let priority = self.tenant.assigned.len() as u32;
        let last_updated = created + 1 + self.times.below(DAY_MS * 100) as i64;
        self.tenant.assigned.insert(group, Assignment { priority, last_updated });
    }

    fn everyone(&mut self) {
        let all = (0..self.tenant.users.len() as u32).collect();
        let description = Description::Text("All users in your organization".into());
        let g = self.add_group("Everyone".into(), description, GroupKind::BuiltIn, all);
        self.tenant.everyone = Some(g);
    }

    /// The additions of `options`, from streams of their own (see the module docs).
    fn options(&mut self, options: TenantOptions) {
        if options == TenantOptions::default() {
            return;
        }
        let seed = self.tenant.spec.seed;
        let (ids, times, rng) = OPTION_STREAMS;
        (self.ids, self.times, self.rng) =
            (Rng::new(seed, ids), Rng::new(seed, times), Rng::new(seed, rng));
        if let Some(size) = options.big_group {
            self.big_group(size);
        }
        if options.assign_everyone
            && let Some(everyone) = self.tenant.everyone
        {
            self.assign(everyone);
        }
    }

    /// Adds `All Staff`, assigned, with the first `size` users as members, creating the users
    /// the tenant lacks (they join `Everyone`, whose members stay sorted: they come last).
    fn big_group(&mut self, size: u32) {
        let existing = self.tenant.users.len() as u32;
        self.tenant.users.reserve(size.saturating_sub(existing) as usize);
        for i in existing..size {
            self.generated_user(i);
        }
        if let Some(everyone) = self.tenant.everyone {
            self.tenant.groups[everyone as usize].members.extend(existing..size);
        }
        let description = Description::Text(format!("Everyone on staff: {size} people"));
        let g = self.add_group(
            BIG_GROUP_NAME.into(),
            description,
            GroupKind::Okta,
            (0..size).collect(),
        );
        self.assign(g);
        self.tenant.big_group = Some(g);
    }

    /// The `i`th user of a sized tenant (or one added for a big group): random names, a login
    /// made unique by `i`, and a status that is ACTIVE 88 % of the time.
    fn generated_user(&mut self, i: u32) -> u32 {
        let forced = &UserStatus::ALL[1..];
        let (first, first_slug) = *self.rng.pick(FIRST_NAMES);
        let (last, last_slug) = *self.rng.pick(LAST_NAMES);
        let login = format!("{first_slug}.{last_slug}.{i}@example.com");
        // Users 1..=7 carry every non-ACTIVE status and are members of the largest group
        // (whose members are 0..n), so every status is always present among the members.
        let status = match forced.get((i as usize).wrapping_sub(1)) {
            Some(status) => *status,
            None if self.rng.percent(88) => UserStatus::Active,
            None => *self.rng.pick(forced),
        };
        self.add_user(first, last, login, status)
    }

    fn demo(&mut self) {
        const STATUSES: &[(&str, UserStatus)] = &[
            ("Quinn", UserStatus::Suspended),
            ("Xavier", UserStatus::Deprovisioned),
            ("Chris", UserStatus::LockedOut),
            ("George", UserStatus::Staged),
            ("Isaac", UserStatus::Provisioned),
            ("Wendy", UserStatus::PasswordExpired),
            ("Ethan", UserStatus::Recovery),
        ];
        let mut memberships: Vec<Vec<u32>> =
            vec![Vec::new(); DEMO_GROUPS.len() + DEMO_UNASSIGNED_GROUPS.len()];
        for (i, (first, last, groups)) in DEMO_PEOPLE.iter().enumerate() {
            let login = if i == 0 {
                "admin@example.com".to_owned()
            } else {
                format!("{}.{}@example.com", first.to_lowercase(), last.to_lowercase())
            };
            let status = STATUSES
                .iter()
                .find(|(name, _)| name == first)
                .map_or(UserStatus::Active, |(_, status)| *status);
            let u = self.add_user(first, last, login, status);
            for &g in groups.iter() {
                memberships[g].push(u);
            }
        }
        self.everyone();
        let all_groups = DEMO_GROUPS.iter().chain(DEMO_UNASSIGNED_GROUPS);
        for (i, ((name, description), mut members)) in all_groups.zip(memberships).enumerate() {
            members.sort_unstable();
            let description =
                description.map_or(Description::Absent, |d| Description::Text(d.into()));
            let g = self.add_group((*name).to_owned(), description, GroupKind::Okta, members);
            if i < DEMO_GROUPS.len() {
                self.assign(g);
            }
        }
    }

    fn sized(&mut self, plan: &Plan) {
        for i in 0..plan.users {
            self.generated_user(i);
        }
        self.everyone();
        let sizes = self.group_sizes(plan);
        let largest = sizes.iter().enumerate().max_by_key(|(_, s)| **s).map_or(0, |(i, _)| i);
        for (i, &size) in sizes.iter().enumerate() {
            let members = if i == largest {
                (0..size).collect()
            } else {
                self.draw_members(size, plan.users)
            };
            let (name, kind) = self.group_name(i);
            let description = self.description();
            let g = self.add_group(name, description, kind, members);
            self.assign(g);
        }
        for i in 0..plan.unassigned_groups {
            let size = self.rng.below(60) as u32;
            let members = self.draw_members(size, plan.users);
            let dept = *self.rng.pick(DEPARTMENTS);
            let description = self.description();
            self.add_group(format!("{dept} Alumni {i:03}"), description, GroupKind::Okta, members);
        }
    }

    /// Sizes of the assigned groups, summing exactly to `plan.memberships`.
    fn group_sizes(&mut self, plan: &Plan) -> Vec<u32> {
        let special: u64 = plan.special_sizes.iter().map(|&s| u64::from(s)).sum();
        let tail_count = plan.assigned_groups as usize - plan.special_sizes.len();
        let tail_total = plan.memberships - special;
        let weights: Vec<f64> = (0..tail_count)
            .map(|_| {
                let x = self.rng.unit();
                1.0 + 20.0 * x * x * x * x
            })
            .collect();
        let weight_sum: f64 = weights.iter().sum();
        let mut tail: Vec<u32> = weights
            .iter()
            .map(|w| ((w / weight_sum) * tail_total as f64).floor() as u32)
            .map(|s| s.min(999))
            .collect();
        let mut missing = tail_total - tail.iter().map(|&s| u64::from(s)).sum::<u64>();
        let mut i = 0;
        while missing > 0 {
            if tail[i % tail_count] < 999 {
                tail[i % tail_count] += 1;
                missing -= 1;
            }
            i += 1;
        }
        let mut sizes: Vec<u32> = plan.special_sizes.iter().copied().chain(tail).collect();
        self.rng.shuffle(&mut sizes);
        sizes
    }

    /// `size` distinct users out of `users`, sorted.
    fn draw_members(&mut self, size: u32, users: u32) -> Vec<u32> {
        let n = u64::from(users);
        let start = self.rng.below(n);
        let stride = loop {
            let stride = 1 + self.rng.below(n - 1);
            if gcd(stride, n) == 1 {
                break stride;
            }
        };
        let mut members: Vec<u32> =
            (0..u64::from(size)).map(|j| ((start + j * stride) % n) as u32).collect();
        members.sort_unstable();
        members
    }

    fn group_name(&mut self, i: usize) -> (String, GroupKind) {
        if let Some(name) = AWKWARD_GROUP_NAMES.get(i) {
            return ((*name).to_owned(), GroupKind::Okta);
        }
        let dept = *self.rng.pick(DEPARTMENTS);
        let qual = *self.rng.pick(QUALIFIERS);
        if self.rng.percent(10) {
            (format!("AD-{dept}-{qual}-{i:05}"), GroupKind::App)
        } else {
            (format!("{dept} {qual} {i:05}"), GroupKind::Okta)
        }
    }

    fn description(&mut self) -> Description {
        match self.rng.below(10) {
            0..=2 => Description::Absent,
            3..=4 => Description::Null,
            5 => Description::Text(String::new()),
            6 => Description::Text("<i>Internal</i> & confidential — ne pas partager".into()),
            _ => Description::Text(format!("Members of {}", self.rng.pick(DEPARTMENTS))),
        }
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assigned_memberships(t: &Tenant) -> u64 {
        t.assigned.keys().map(|&g| t.groups[g as usize].members.len() as u64).sum()
    }

    /// The size's tenant, without additions.
    fn plain(size: TenantSize, seed: u64) -> Tenant {
        generate(TenantSpec { size, seed }, TenantOptions::default())
    }

    fn with(size: TenantSize, seed: u64, assign_everyone: bool, big_group: Option<u32>) -> Tenant {
        generate(TenantSpec { size, seed }, TenantOptions { assign_everyone, big_group })
    }

    fn everyone(t: &Tenant) -> &Group {
        &t.groups[t.everyone.expect("every tenant has Everyone") as usize]
    }

    #[test]
    fn small_tenant_has_exactly_fifty_groups_and_two_thousand_memberships() {
        let t = plain(TenantSize::S, 7);
        assert_eq!(t.assigned.len(), 50);
        assert_eq!(assigned_memberships(&t), 2_000);
    }

    #[test]
    fn medium_tenant_has_exactly_its_figures() {
        let t = plain(TenantSize::M, 11);
        assert_eq!(t.assigned.len(), 1_000);
        assert_eq!(assigned_memberships(&t), 100_000);
        let big = t.assigned.keys().filter(|&&g| t.groups[g as usize].members.len() > 1000);
        assert!(big.count() >= 3);
    }

    #[test]
    fn group_members_are_distinct_and_sorted() {
        let t = plain(TenantSize::S, 3);
        for g in &t.groups {
            assert!(g.members.windows(2).all(|w| w[0] < w[1]), "{}", g.name);
        }
    }

    #[test]
    fn every_status_appears_among_assigned_members() {
        let t = plain(TenantSize::S, 99);
        for status in UserStatus::ALL {
            let present = t.assigned.keys().any(|&g| {
                t.groups[g as usize].members.iter().any(|&u| t.users[u as usize].status == status)
            });
            assert!(present, "{status:?}");
        }
    }

    #[test]
    fn ids_are_unique_and_well_formed() {
        let t = plain(TenantSize::S, 5);
        assert_eq!(t.user_ix.len(), t.users.len());
        assert_eq!(t.group_ix.len(), t.groups.len());
        assert!(t.users.iter().all(|u| u.id.len() == 20 && u.id.starts_with("00u")));
        assert!(t.groups.iter().all(|g| g.id.len() == 20 && g.id.starts_with("00g")));
    }

    #[test]
    fn demo_tenant_has_an_active_admin_in_it_admins() {
        let t = plain(TenantSize::Demo, 7);
        let admin = t.user("admin@example.com").expect("admin exists");
        assert_eq!(t.users[admin as usize].status, UserStatus::Active);
        let it_admins = t.groups.iter().find(|g| g.name == "IT Admins").expect("IT Admins");
        assert!(it_admins.members.contains(&admin));
        assert_eq!(t.assigned.len(), 12);
    }

    #[test]
    fn every_tenant_has_a_built_in_everyone_group_of_every_user_unassigned() {
        for size in [TenantSize::Demo, TenantSize::S] {
            let t = plain(size, 7);
            let everyone = everyone(&t);
            assert_eq!((everyone.name.as_str(), everyone.kind), ("Everyone", GroupKind::BuiltIn));
            let all: Vec<u32> = (0..t.users.len() as u32).collect();
            assert_eq!(everyone.members, all);
            assert!(!t.assigned.contains_key(&t.everyone.unwrap()), "{size}");
            assert_eq!(t.big_group, None);
        }
    }

    #[test]
    fn assign_everyone_assigns_it_with_the_next_priority_and_changes_nothing_else() {
        let plain = plain(TenantSize::S, 7);
        let t = with(TenantSize::S, 7, true, None);
        let g = t.everyone.unwrap();
        assert_eq!(t.assigned.len(), 51);
        assert_eq!(t.assigned.keys().next(), Some(&g), "Everyone is listed first");
        assert_eq!(t.assigned[&g].priority, 50);
        assert_eq!(format!("{:?}", t.users), format!("{:?}", plain.users));
        assert_eq!(format!("{:?}", t.groups), format!("{:?}", plain.groups));
        for (g, a) in &plain.assigned {
            assert_eq!(format!("{:?}", t.assigned[g]), format!("{a:?}"));
        }
    }

    #[test]
    fn a_big_group_has_the_first_n_users_and_the_users_it_creates_join_everyone_only() {
        let plain = plain(TenantSize::S, 7);
        let t = with(TenantSize::S, 7, false, Some(5_000));
        let big = t.big_group.expect("a big group");
        let group = &t.groups[big as usize];
        let all: Vec<u32> = (0..5_000).collect();
        assert_eq!((group.name.as_str(), group.kind), (BIG_GROUP_NAME, GroupKind::Okta));
        assert_eq!(group.members, all);
        assert!(t.assigned.contains_key(&big));
        assert_eq!(t.users.len(), 5_000);
        assert_eq!(everyone(&t).members, all, "Everyone has every user, old and new");
        for u in 1_200..5_000 {
            let groups = t.groups_of(u);
            assert_eq!(groups, [t.everyone.unwrap(), big], "user {u}");
        }
        let created = &t.users[1_200..];
        assert_eq!(t.user_ix.len(), 5_000);
        assert!(created.iter().all(|u| t.user(&u.login) == t.user(&u.id)));
        let active = created.iter().filter(|u| u.status == UserStatus::Active).count();
        assert!((80..=95).contains(&(active * 100 / created.len())), "{active}");
        // The size's content is untouched: the same users first, the same groups (Everyone
        // aside, which gained the new users), the same assignments.
        assert_eq!(format!("{:?}", &t.users[..1_200]), format!("{:?}", plain.users));
        assert_eq!(
            format!("{:?}", &t.groups[1..plain.groups.len()]),
            format!("{:?}", &plain.groups[1..])
        );
        assert_eq!(t.assigned.len(), 51);
        assert_eq!(t.tokens, plain.tokens);
        assert_eq!(t.cursor_salt, plain.cursor_salt);
    }

    #[test]
    fn a_big_group_smaller_than_the_org_creates_no_users() {
        let t = with(TenantSize::M, 7, false, Some(1_000));
        assert_eq!(t.users.len(), 25_000);
        let group = &t.groups[t.big_group.unwrap() as usize];
        assert_eq!(group.members, (0..1_000).collect::<Vec<u32>>());
        assert_eq!(everyone(&t).members.len(), 25_000);
    }

    #[test]
    fn the_additions_are_deterministic() {
        let a = with(TenantSize::Demo, 3, true, Some(2_000));
        let b = with(TenantSize::Demo, 3, true, Some(2_000));
        let c = with(TenantSize::Demo, 4, true, Some(2_000));
        assert_eq!(format!("{:?}", a.users), format!("{:?}", b.users));
        assert_eq!(format!("{:?}", a.groups), format!("{:?}", b.groups));
        assert_ne!(format!("{:?}", a.users[100]), format!("{:?}", c.users[100]));
    }
}
