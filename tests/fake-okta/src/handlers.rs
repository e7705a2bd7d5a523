//! The Okta endpoints themselves: given the tenant and a parsed request, the JSON to answer and,
//! for listings, where the next page starts. Synchronous, called under the tenant's read lock;
//! headers, auth, limits and faults are `okta`'s job.

use bytes::Bytes;
use serde_json::Value;

use crate::cursor::{self, Listing};
use crate::errors::OktaError;
use crate::query::{LimitRule, Query};
use crate::render;
use crate::route::{Endpoint, Route};
use crate::search::{Dialect, Expr};
use crate::tenant::{Tenant, UserStatus};

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The JSON text.
    pub(crate) body: Bytes,
    /// For collections: the `after` cursor of the next page, if there is one. `None` for
    /// single objects, which carry no `Link` header.
    pub(crate) page: Option<Option<String>>,
}

impl Reply {
    fn object(body: Value) -> Reply {
        Reply { body: json_bytes(&body), page: None }
    }

    fn page(items: Vec<Value>, next: Option<String>) -> Reply {
        Reply { body: json_bytes(&Value::Array(items)), page: Some(next) }
    }

    /// A page of users, written straight to JSON text (see [`render::write_user`]).
    fn users(tenant: &Tenant, origin: &str, users: &[u32], next: Option<String>) -> Reply {
        let mut body = Vec::with_capacity(users.len() * 700 + 2);
        body.push(b'[');
        for (i, &u) in users.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            render::write_user(&mut body, origin, tenant, &tenant.users[u as usize]);
        }
        body.push(b']');
        Reply { body: Bytes::from(body), page: Some(next) }
    }
}

fn json_bytes(value: &Value) -> Bytes {
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

/// Answers a GET on the Okta surface.
pub(crate) fn dispatch(
    tenant: &Tenant,
    route: &Route,
    query: &Query,
    origin: &str,
    path: &str,
) -> Result<Reply, OktaError> {
    let id = route.id.as_str();
    match route.endpoint {
        Endpoint::GetApp => get_app(tenant, id, origin),
        Endpoint::ListAppGroups => list_app_groups(tenant, id, query, origin),
        Endpoint::GetGroup => get_group(tenant, id, origin),
        Endpoint::ListGroupUsers => list_group_users(tenant, id, query, origin),
        Endpoint::ListUsers => list_users(tenant, query, origin),
        Endpoint::GetUser => get_user(tenant, id, origin),
        Endpoint::ListUserGroups => list_user_groups(tenant, id, origin),
        Endpoint::Other => Err(OktaError::NotFound { id: path.to_owned(), kind: "Path" }),
    }
}

fn after(tenant: &Tenant, listing: Listing, query: &Query) -> Result<Option<u32>, OktaError> {
    let Some(raw) = query.get("after") else { return Ok(None) };
    cursor::decode(tenant.cursor_salt, listing, raw).map(Some).ok_or_else(|| {
        OktaError::Validation { field: "after", cause: "after: Invalid cursor.".into() }
    })
}

/// Takes up to `limit` items after the cursor; the next cursor names the last item taken when
/// more items follow.
fn take_page(
    tenant: &Tenant,
    listing: Listing,
    positions: impl Iterator<Item = u32>,
    limit: u32,
) -> (Vec<u32>, Option<String>) {
    let mut positions = positions.peekable();
    let page: Vec<u32> = positions.by_ref().take(limit as usize).collect();
    let next = match (positions.peek(), page.last()) {
        (Some(_), Some(&last)) => Some(cursor::encode(tenant.cursor_salt, listing, last)),
        _ => None,
    };
    (page, next)
}

fn app_not_found(id: &str) -> OktaError {
    OktaError::NotFound { id: id.to_owned(), kind: "AppInstance" }
}

fn get_app(tenant: &Tenant, id: &str, origin: &str) -> Result<Reply, OktaError> {
    let app = tenant.apps.iter().find(|a| a.id == id).ok_or_else(|| app_not_found(id))?;
    Ok(Reply::object(render::app(origin, app)))
}

fn list_app_groups(
    tenant: &Tenant,
    id: &str,
    query: &Query,
    origin: &str,
) -> Result<Reply, OktaError> {
    let app = tenant.apps.iter().position(|a| a.id == id).ok_or_else(|| app_not_found(id))?;
    let limit = LimitRule::APP_GROUPS.page_size(query)?;
    let start = after(tenant, Listing::AppGroups, query)?;
    let prefix = query.get("q").map(str::to_lowercase);
    let embed = query.get("expand").is_some_and(|e| e.split(',').any(|e| e == "group"));
    // Only the product's app (apps[0]) has group assignments.
    let assigned = tenant.assigned.keys().copied().filter(|_| app == 0);
    let positions = assigned.filter(|&g| start.is_none_or(|s| g > s)).filter(|&g| {
        prefix
            .as_deref()
            .is_none_or(|p| tenant.groups[g as usize].name.to_lowercase().starts_with(p))
    });
    let (page, next) = take_page(tenant, Listing::AppGroups, positions, limit);
    let items = page.iter().map(|&g| render::assignment(origin, tenant, g, embed)).collect();
    Ok(Reply::page(items, next))
}

fn group_index(tenant: &Tenant, id: &str) -> Result<u32, OktaError> {
    tenant.group(id).ok_or_else(|| OktaError::NotFound { id: id.to_owned(), kind: "UserGroup" })
}

fn user_index(tenant: &Tenant, id: &str) -> Result<u32, OktaError> {
    tenant.user(id).ok_or_else(|| OktaError::NotFound { id: id.to_owned(), kind: "User" })
}

fn get_group(tenant: &Tenant, id: &str, origin: &str) -> Result<Reply, OktaError> {
    let g = group_index(tenant, id)?;
    Ok(Reply::object(render::group(origin, &tenant.groups[g as usize])))
}

fn list_group_users(
    tenant: &Tenant,
    id: &str,
    query: &Query,
    origin: &str,
) -> Result<Reply, OktaError> {
    let group = &tenant.groups[group_index(tenant, id)? as usize];
    let limit = LimitRule::GROUP_USERS.page_size(query)?;
    let start = after(tenant, Listing::GroupUsers, query)?;
    let from = start.map_or(0, |s| group.members.partition_point(|&m| m <= s));
    let positions = group.members[from..].iter().copied();
    let (page, next) = take_page(tenant, Listing::GroupUsers, positions, limit);
    Ok(Reply::users(tenant, origin, &page, next))
}

fn list_users(tenant: &Tenant, query: &Query, origin: &str) -> Result<Reply, OktaError> {
    let expr = match (query.get("search"), query.get("filter")) {
        (Some(text), _) => {
            Some(Expr::parse(text, Dialect::Search).ok_or(OktaError::InvalidSearch)?)
        }
        (None, Some(text)) => {
            Some(Expr::parse(text, Dialect::Filter).ok_or(OktaError::InvalidSearch)?)
        }
        (None, None) => None,
    };
    let q = query.get("q").map(str::to_lowercase);
    let rule = match q {
        Some(_) if query.get("limit").is_none() => LimitRule { default: 10, ..LimitRule::USERS },
        _ => LimitRule::USERS,
    };
    let limit = rule.page_size(query)?;
    let start = after(tenant, Listing::Users, query)?;
    let first = start.map_or(0, |s| s + 1);
    let positions = (first..tenant.users.len() as u32).filter(|&u| {
        let user = &tenant.users[u as usize];
        match (&expr, &q) {
            // `search` and `filter` include DEPROVISIONED users (CONTRACT §2 note 7).
            (Some(expr), _) => expr.matches(user),
            (None, Some(q)) => {
                user.status != UserStatus::Deprovisioned
                    && [&user.first_name, &user.last_name, &user.login]
                        .iter()
                        .any(|f| f.to_lowercase().starts_with(q.as_str()))
            }
            // A plain list omits them.
            (None, None) => user.status != UserStatus::Deprovisioned,
        }
    });
    let (page, next) = take_page(tenant, Listing::Users, positions, limit);
    Ok(Reply::users(tenant, origin, &page, next))
}

fn get_user(tenant: &Tenant, id: &str, origin: &str) -> Result<Reply, OktaError> {
    let u = user_index(tenant, id)?;
    Ok(Reply::object(render::user(origin, tenant, &tenant.users[u as usize])))
}

/// `listUserGroups` declares no paging parameters (CONTRACT §11.6): the whole list comes in one
/// page, with a `self` link only; `limit` and `after` are ignored.
fn list_user_groups(tenant: &Tenant, id: &str, origin: &str) -> Result<Reply, OktaError> {
    let u = user_index(tenant, id)?;
    let items = tenant
        .groups_of(u)
        .iter()
        .map(|&g| render::group(origin, &tenant.groups[g as usize]))
        .collect();
    Ok(Reply::page(items, None))
}
