//! What tests learn about a running fake: [`TenantInfo`] (printed by the binary as its first
//! line) and [`Truth`], the live state of the assigned groups and their members, to check that a
//! client's listing is exactly complete.

use serde::{Deserialize, Serialize};

use crate::tenant::{Tenant, TenantSize, UserStatus};

/// The facts about a started tenant that a test needs to call it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantInfo {
    /// `http://127.0.0.1:PORT`, the origin of the Okta surface and of `/__control`.
    pub base_url: String,
    /// A full-access API token (`Authorization: SSWS {token}`).
    pub token: String,
    /// A token that may read the apps (`/api/v1/apps/*`) but gets 403 `E0000006` on the groups
    /// and users endpoints.
    pub restricted_token: String,
    /// The product's app: `SAML_2_0`, `ACTIVE`.
    pub app_id: String,
    /// An active `OPENID_CONNECT` app (not SAML).
    pub oidc_app_id: String,
    /// An `INACTIVE` SAML app.
    pub inactive_app_id: String,
    /// The tenant's size.
    pub size: TenantSize,
    /// The tenant's seed.
    pub seed: u64,
    /// Groups assigned to the app, at start.
    pub groups: u32,
    /// Memberships of the assigned groups, at start.
    pub memberships: u64,
    /// Member count of each assigned group, in listing order, at start.
    pub assigned_group_member_counts: Vec<u32>,
    /// A demo-friendly admin login (`admin@example.com` in the demo tenant), if there is one.
    pub admin_login: Option<String>,
    /// Users in the org, at start: all of them are members of `Everyone`.
    pub users: u32,
    /// The id of the built-in `Everyone` group (type `BUILT_IN`, every user), assigned or not.
    pub everyone_group_id: String,
    /// Whether `Everyone` was assigned to the app at start (`--assign-everyone`).
    pub everyone_assigned: bool,
    /// The id of the big group (`All Staff`, assigned), if the tenant has one (`--big-group N`).
    pub big_group_id: Option<String>,
}

impl TenantInfo {
    pub(crate) fn new(base_url: String, tenant: &Tenant) -> TenantInfo {
        let token = |full: bool| {
            let mut tokens: Vec<&String> = tenant
                .tokens
                .iter()
                .filter(|(_, access)| (**access == crate::tenant::Access::Full) == full)
                .map(|(token, _)| token)
                .collect();
            tokens.sort();
            tokens.first().map(|t| (*t).clone()).unwrap_or_default()
        };
        let counts: Vec<u32> = tenant
            .assigned
            .keys()
            .map(|&g| tenant.groups[g as usize].members.len() as u32)
            .collect();
        TenantInfo {
            base_url,
            token: token(true),
            restricted_token: token(false),
            app_id: tenant.apps[0].id.clone(),
            oidc_app_id: tenant.apps[1].id.clone(),
            inactive_app_id: tenant.apps[2].id.clone(),
            size: tenant.spec.size,
            seed: tenant.spec.seed,
            groups: counts.len() as u32,
            memberships: counts.iter().map(|&c| u64::from(c)).sum(),
            assigned_group_member_counts: counts,
            admin_login: tenant
                .user("admin@example.com")
                .map(|u| tenant.users[u as usize].login.clone()),
            users: tenant.users.len() as u32,
            everyone_group_id: tenant.everyone_id().unwrap_or_default(),
            everyone_assigned: tenant.everyone.is_some_and(|g| tenant.assigned.contains_key(&g)),
            big_group_id: tenant.big_group.map(|g| tenant.groups[g as usize].id.clone()),
        }
    }

    /// The fewest requests a complete sync can make at start, with `page_size` as the `limit`
    /// of every listing: one `GET /apps/{id}`, the pages of `/apps/{id}/groups?expand=group`,
    /// and the pages of each group's members (an empty group still takes one request). A page
    /// size is capped as the fake caps it (200 for the app's groups, 1000 for members).
    pub fn minimum_requests(&self, page_size: u32) -> u64 {
        let pages = |items: u64, size: u32| items.div_ceil(u64::from(size.max(1))).max(1);
        let group_pages = pages(u64::from(self.groups), page_size.clamp(20, 200));
        let member_pages: u64 = self
            .assigned_group_member_counts
            .iter()
            .map(|&c| pages(u64::from(c), page_size.min(1000)))
            .sum();
        1 + group_pages + member_pages
    }
}

/// The live truth about the app's groups, as a complete and correct sync would see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truth {
    /// The groups assigned to the app, in listing order.
    pub groups: Vec<TruthGroup>,
}

/// One assigned group and its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthGroup {
    /// The group id.
    pub id: String,
    /// `profile.name`.
    pub name: String,
    /// The members, in listing order.
    pub members: Vec<TruthMember>,
}

/// One member of an assigned group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthMember {
    /// The user id.
    pub id: String,
    /// `profile.login` (also the email).
    pub login: String,
    /// The user's status (members of every status are listed by Okta).
    pub status: UserStatus,
}

impl Truth {
    pub(crate) fn of(tenant: &Tenant) -> Truth {
        let groups = tenant
            .assigned
            .keys()
            .map(|&g| {
                let group = &tenant.groups[g as usize];
                let members = group
                    .members
                    .iter()
                    .map(|&u| {
                        let user = &tenant.users[u as usize];
                        TruthMember {
                            id: user.id.clone(),
                            login: user.login.clone(),
                            status: user.status,
                        }
                    })
                    .collect();
                TruthGroup { id: group.id.clone(), name: group.name.clone(), members }
            })
            .collect();
        Truth { groups }
    }

    /// The number of memberships over all groups.
    pub fn memberships(&self) -> u64 {
        self.groups.iter().map(|g| g.members.len() as u64).sum()
    }
}
