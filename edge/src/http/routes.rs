//! The route table: every endpoint the Worker serves, with its method and path pattern.
//!
//! Matching a request against it is pure, so the table is tested natively and can be compared
//! with the published API description.

use std::fmt;

use groupsync_core::domain::Permission;

use crate::error::ApiError;
use crate::service::access::Access;

/// An HTTP method the route table can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method's wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }

    /// Reads a method from its wire spelling; methods no route can use give `None`.
    pub fn parse(method: &str) -> Option<Self> {
        [Self::Get, Self::Post, Self::Put, Self::Patch, Self::Delete]
            .into_iter()
            .find(|m| m.as_str() == method)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every endpoint of the edge API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `GET /api/v1/health`: whether the Worker runs and D1 answers.
    Health,
    /// `GET /api/v1/me`: the caller's identity, roles and permissions.
    Me,
    /// `GET /api/v1/roles`: the role and permission catalog.
    ListRoles,
    /// `GET /api/v1/settings/okta`.
    GetOktaSettings,
    /// `PUT /api/v1/settings/okta`.
    UpdateOktaSettings,
    /// `POST /api/v1/settings/okta/test`.
    TestOktaConnection,
    /// `POST /api/v1/settings/okta/service-app/key`: a key pair for the service app, pending
    /// until a save with it passes the connection test.
    MakeServiceAppKey,
    /// `GET /api/v1/settings/okta/event-hook`: the Okta Event Hook, described.
    GetOktaEventHook,
    /// `POST /api/v1/settings/okta/event-hook/secret`: a new secret for the hook, shown once.
    RotateOktaEventHookSecret,
    /// `GET /api/v1/okta/events`: Okta's one-time verification of the hook (the hook's secret,
    /// not a person's identity, authenticates Okta's calls).
    VerifyOktaEventHook,
    /// `POST /api/v1/okta/events`: Okta delivers events.
    ReceiveOktaEvents,
    /// `GET /api/v1/super-admins`.
    ListSuperAdmins,
    /// `POST /api/v1/super-admins`.
    GrantSuperAdmin,
    /// `DELETE /api/v1/super-admins/{email}`.
    RevokeSuperAdmin,
    /// `GET /api/v1/api-keys`.
    ListApiKeys,
    /// `POST /api/v1/api-keys`.
    CreateApiKey,
    /// `DELETE /api/v1/api-keys/{id}`.
    RevokeApiKey,
    /// `GET /api/v1/service-tokens`.
    ListServiceTokens,
    /// `POST /api/v1/service-tokens`.
    RegisterServiceToken,
    /// `DELETE /api/v1/service-tokens/{common_name}`.
    RevokeServiceToken,
    /// `GET /api/v1/groups`.
    ListGroups,
    /// `POST /api/v1/groups`: a local group (refused while sync is on).
    CreateGroup,
    /// `GET /api/v1/audit`.
    ListAudit,
    /// `GET /api/v1/audit/export`.
    ExportAudit,
    /// `POST /api/v1/dev/sign-in`: local only.
    DevSignIn,
    /// `GET /api/v1/groups/{id}`.
    GetGroup,
    /// `GET /api/v1/groups/{id}/members`.
    ListGroupMembers,
    /// `PUT /api/v1/groups/{id}/roles`.
    SetGroupRoles,
    /// `POST /api/v1/sync`.
    StartSync,
    /// `GET /api/v1/sync/runs`.
    ListSyncRuns,
    /// `GET /api/v1/sync/runs/{id}`.
    GetSyncRun,
    /// `GET /api/v1/sync/status`: whether sync keeps failing, and why.
    GetSyncStatus,
    /// `POST /api/v1/sync/runs/{id}/confirm`.
    ConfirmSyncRun,
    /// `POST /api/v1/sync/runs/{id}/discard`.
    DiscardSyncRun,
    /// `POST /api/v1/invitations`.
    CreateInvitation,
    /// `DELETE /api/v1/invitations/{email}`.
    RevokeInvitation,
    /// `GET /api/v1/invitations`.
    ListInvitations,
    /// `GET /api/v1/users`.
    ListUsers,
    /// `GET /api/v1/users/{email}/access`.
    GetUserAccess,
    /// `GET /api/v1/access/check`.
    CheckAccess,
    /// `POST /api/v1/access/checks`.
    CheckAccessBatch,
    /// `GET /api/v1/permissions`.
    ListPermissions,
    /// `POST /api/v1/roles`.
    CreateRole,
    /// `PUT /api/v1/roles/{key}`.
    UpdateRole,
    /// `GET /api/v1/roles/{key}/impact`.
    RoleImpact,
    /// `DELETE /api/v1/roles/{key}`.
    DeleteRole,
    RegisterPermission,
    RemovePermission,
    /// `GET /api/v1/webhooks`.
    ListWebhooks,
    /// `POST /api/v1/webhooks`.
    CreateWebhook,
    /// `DELETE /api/v1/webhooks/{id}`.
    DeleteWebhook,
    /// `GET /api/v1/webhooks/{id}/deliveries`.
    ListWebhookDeliveries,
    /// `POST /api/v1/webhooks/{id}/deliveries/{message_id}/redeliver`.
    RedeliverWebhook,
    /// `GET /api/v1/openapi.json`.
    OpenApi,
}

impl Endpoint {
    /// Whether the endpoint only reads although its method is `POST` (a body carries what it
    /// asks): the caller needs the read, as a machine client may hold it. The request guard
    /// still treats it as a write (the CSRF header, a JSON body).
    pub const fn only_reads(self) -> bool {
        matches!(self, Self::CheckAccessBatch)
    }
}

/// One row of the route table.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// The method the route answers.
    pub method: Method,
    /// The path, where a segment written `{name}` matches any one non-empty segment.
    pub pattern: &'static str,
    /// What answers it.
    pub endpoint: Endpoint,
    /// Who may call it.
    pub access: Access,
    /// What it does, in one line (the OpenAPI summary).
    pub summary: &'static str,
}

const fn route(
    method: Method,
    pattern: &'static str,
    endpoint: Endpoint,
    access: Access,
    summary: &'static str,
) -> Route {
    Route { method, pattern, endpoint, access, summary }
}

/// The route table of the edge API.
pub const ROUTES: &[Route] = {
    use Access::{Authenticated, OktaEventHook, Public, SuperAdmin};
    use Endpoint::*;
    use Method::{Delete, Get, Post, Put};
    use Permission::{
        AssignRoles, InviteUsers, ManageCatalog, ReadAudit, ReadGroups, ReadUsers, RunSync,
    };
    const fn needs(permission: Permission) -> Access {
        Access::Permission(permission)
    }
    &[
        route(Get, "/api/v1/health", Health, Public, "Whether the Worker runs and D1 answers"),
        route(Get, "/api/v1/openapi.json", OpenApi, Public, "This API's description"),
        route(Get, "/api/v1/me", Me, Authenticated, "The caller's identity, roles and permissions"),
        route(Get, "/api/v1/roles", ListRoles, Authenticated, "The role and permission catalog"),
        route(
            Post,
            "/api/v1/roles",
            CreateRole,
            SuperAdmin,
            "Create a custom role of the relying app's permissions",
        ),
        route(
            Put,
            "/api/v1/roles/{key}",
            UpdateRole,
            SuperAdmin,
            "Rename a custom role or change its permissions",
        ),
        route(
            Get,
            "/api/v1/roles/{key}/impact",
            RoleImpact,
            SuperAdmin,
            "What deleting a custom role would take away, and from whom",
        ),
        route(
            Delete,
            "/api/v1/roles/{key}",
            DeleteRole,
            SuperAdmin,
            "Delete a custom role and its grants",
        ),
        route(
            Get,
            "/api/v1/permissions",
            ListPermissions,
            Authenticated,
            "This app's permissions and those the relying app registered",
        ),
        route(
            Post,
            "/api/v1/permissions",
            RegisterPermission,
            needs(ManageCatalog),
            "Register a permission of the relying app",
        ),
        route(
            Delete,
            "/api/v1/permissions/{name}",
            RemovePermission,
            needs(ManageCatalog),
            "Remove a permission no custom role holds",
        ),
        route(Get, "/api/v1/settings/okta", GetOktaSettings, SuperAdmin, "The Okta API settings"),
        route(
            Put,
            "/api/v1/settings/okta",
            UpdateOktaSettings,
            SuperAdmin,
            "Change the Okta API settings",
        ),
        route(
            Post,
            "/api/v1/settings/okta/test",
            TestOktaConnection,
            SuperAdmin,
            "Test the Okta connection",
        ),
        route(
            Post,
            "/api/v1/settings/okta/service-app/key",
            MakeServiceAppKey,
            SuperAdmin,
            "Make a key pair for the OAuth 2.0 service app (its public key is shown to register in Okta)",
        ),
        route(
            Get,
            "/api/v1/settings/okta/event-hook",
            GetOktaEventHook,
            SuperAdmin,
            "The Okta Event Hook: where Okta sends events, and how it authenticates",
        ),
        route(
            Post,
            "/api/v1/settings/okta/event-hook/secret",
            RotateOktaEventHookSecret,
            SuperAdmin,
            "Make a new secret for the Okta Event Hook (shown once; the old one stops working)",
        ),
        route(
            Get,
            "/api/v1/okta/events",
            VerifyOktaEventHook,
            OktaEventHook,
            "Okta's one-time verification of the Event Hook (the hook's secret authenticates it)",
        ),
        route(
            Post,
            "/api/v1/okta/events",
            ReceiveOktaEvents,
            OktaEventHook,
            "Okta delivers events (the hook's secret authenticates it); 204",
        ),
        route(Get, "/api/v1/super-admins", ListSuperAdmins, SuperAdmin, "The superAdmins"),
        route(
            Post,
            "/api/v1/super-admins",
            GrantSuperAdmin,
            SuperAdmin,
            "Make someone a superAdmin",
        ),
        route(
            Delete,
            "/api/v1/super-admins/{email}",
            RevokeSuperAdmin,
            SuperAdmin,
            "Revoke a superAdmin",
        ),
        route(Get, "/api/v1/api-keys", ListApiKeys, SuperAdmin, "The API keys"),
        route(
            Post,
            "/api/v1/api-keys",
            CreateApiKey,
            SuperAdmin,
            "Issue an API key (reads, or manage_catalog)",
        ),
        route(Delete, "/api/v1/api-keys/{id}", RevokeApiKey, SuperAdmin, "Revoke an API key"),
        route(
            Get,
            "/api/v1/webhooks",
            ListWebhooks,
            SuperAdmin,
            "The webhook endpoints, and the hosts they may be on",
        ),
        route(
            Post,
            "/api/v1/webhooks",
            CreateWebhook,
            SuperAdmin,
            "Register a webhook endpoint (its signing secret is shown once); 201",
        ),
        route(
            Delete,
            "/api/v1/webhooks/{id}",
            DeleteWebhook,
            SuperAdmin,
            "Remove a webhook endpoint and its delivery log; 204",
        ),
        route(
            Get,
            "/api/v1/webhooks/{id}/deliveries",
            ListWebhookDeliveries,
            SuperAdmin,
            "A webhook endpoint's deliveries, newest first (`limit`, 1 to 200)",
        ),
        route(
            Post,
            "/api/v1/webhooks/{id}/deliveries/{message_id}/redeliver",
            RedeliverWebhook,
            SuperAdmin,
            "Send a delivered or failed event to the endpoint again; 202",
        ),
        route(
            Get,
            "/api/v1/service-tokens",
            ListServiceTokens,
            SuperAdmin,
            "The Access service tokens",
        ),
        route(
            Post,
            "/api/v1/service-tokens",
            RegisterServiceToken,
            SuperAdmin,
            "Register an Access service token",
        ),
        route(
            Delete,
            "/api/v1/service-tokens/{common_name}",
            RevokeServiceToken,
            SuperAdmin,
            "Revoke a service token",
        ),
        route(
            Get,
            "/api/v1/groups",
            ListGroups,
            needs(ReadGroups),
            "Search, sort and page the groups",
        ),
        route(
            Post,
            "/api/v1/groups",
            CreateGroup,
            needs(AssignRoles),
            "Create a local group (refused while sync is on)",
        ),
        route(
            Get,
            "/api/v1/groups/{id}",
            GetGroup,
            needs(ReadGroups),
            "One group with its member count and roles",
        ),
        route(
            Get,
            "/api/v1/groups/{id}/members",
            ListGroupMembers,
            needs(ReadGroups),
            "A page of a group's members, by email",
        ),
        route(
            Put,
            "/api/v1/groups/{id}/roles",
            SetGroupRoles,
            needs(AssignRoles),
            "Set a group's roles",
        ),
        route(
            Post,
            "/api/v1/sync",
            StartSync,
            needs(RunSync),
            "Start a sync run, or join the running one",
        ),
        route(Get, "/api/v1/sync/runs", ListSyncRuns, needs(ReadGroups), "Sync runs, newest first"),
        route(Get, "/api/v1/sync/runs/{id}", GetSyncRun, needs(ReadGroups), "One sync run"),
        route(
            Get,
            "/api/v1/sync/status",
            GetSyncStatus,
            SuperAdmin,
            "Whether sync keeps failing: since when, and why",
        ),
        route(
            Post,
            "/api/v1/sync/runs/{id}/confirm",
            ConfirmSyncRun,
            SuperAdmin,
            "Commit a run held by the guard",
        ),
        route(
            Post,
            "/api/v1/sync/runs/{id}/discard",
            DiscardSyncRun,
            SuperAdmin,
            "Discard a run held by the guard",
        ),
        route(Post, "/api/v1/invitations", CreateInvitation, needs(InviteUsers), "Invite a user"),
        route(
            Delete,
            "/api/v1/invitations/{email}",
            RevokeInvitation,
            needs(InviteUsers),
            "Withdraw an invitation not yet used",
        ),
        route(
            Get,
            "/api/v1/invitations",
            ListInvitations,
            needs(ReadUsers),
            "A page of the invitations",
        ),
        route(
            Get,
            "/api/v1/users",
            ListUsers,
            needs(ReadUsers),
            "A page of the app's users with their roles",
        ),
        route(
            Get,
            "/api/v1/users/{email}/access",
            GetUserAccess,
            needs(ReadUsers),
            "What a user may do, and why",
        ),
        route(
            Get,
            "/api/v1/access/check",
            CheckAccess,
            needs(ReadUsers),
            "May a person do a permission on a resource, and why (perhaps as if in a group)",
        ),
        route(
            Post,
            "/api/v1/access/checks",
            CheckAccessBatch,
            needs(ReadUsers),
            "Many access checks in one call (a read: it changes nothing)",
        ),
        route(Get, "/api/v1/audit", ListAudit, needs(ReadAudit), "The audit log"),
        route(
            Get,
            "/api/v1/audit/export",
            ExportAudit,
            needs(ReadAudit),
            "The audit log's matching entries as CSV",
        ),
        route(Post, "/api/v1/dev/sign-in", DevSignIn, Public, "Local only: sign in as anyone"),
    ]
};

/// A request matched to an endpoint, with the values of its path parameters.
#[derive(Debug, Clone)]
pub struct Matched {
    /// The endpoint that answers the request.
    pub endpoint: Endpoint,
    /// Who may call it.
    pub access: Access,
    params: Vec<(&'static str, String)>,
}

impl Matched {
    /// The value of the path parameter `name`, as it appeared in the path.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

/// Finds the endpoint for a request.
///
/// # Errors
///
/// [`ApiError::NotFound`] when no route has this path, and [`ApiError::MethodNotAllowed`] when
/// routes have the path but none has the method.
pub fn resolve(method: &str, path: &str) -> Result<Matched, ApiError> {
    let mut allowed = Vec::new();
    for route in ROUTES {
        let Some(params) = match_pattern(route.pattern, path) else { continue };
        if Method::parse(method) == Some(route.method) {
            return Ok(Matched { endpoint: route.endpoint, access: route.access, params });
        }
        allowed.push(route.method.as_str());
    }
    if allowed.is_empty() {
        Err(ApiError::NotFound { path: path.to_owned() })
    } else {
        Err(ApiError::MethodNotAllowed { method: method.to_owned(), allowed })
    }
}

fn match_pattern(pattern: &'static str, path: &str) -> Option<Vec<(&'static str, String)>> {
    let mut pattern_segments = pattern.split('/');
    let mut path_segments = path.split('/');
    let mut params = Vec::new();
    loop {
        match (pattern_segments.next(), path_segments.next()) {
            (None, None) => return Some(params),
            (Some(want), Some(got)) => {
                if let Some(name) = want.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                    if got.is_empty() {
                        return None;
                    }
                    params.push((name, got.to_owned()));
                } else if want != got {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_resolves_for_get() {
        let matched = resolve("GET", "/api/v1/health").unwrap();
        assert_eq!(matched.endpoint, Endpoint::Health);
    }

    #[test]
    fn unknown_path_is_not_found() {
        assert!(matches!(resolve("GET", "/api/v1/nope"), Err(ApiError::NotFound { .. })));
        assert!(matches!(resolve("GET", "/api/v1/health/"), Err(ApiError::NotFound { .. })));
        assert!(matches!(resolve("GET", "/api/v1"), Err(ApiError::NotFound { .. })));
    }

    #[test]
    fn known_path_with_another_method_is_method_not_allowed() {
        let Err(ApiError::MethodNotAllowed { allowed, .. }) = resolve("POST", "/api/v1/health")
        else {
            panic!("expected 405");
        };
        assert_eq!(allowed, vec!["GET"]);
        assert!(matches!(
            resolve("PROPFIND", "/api/v1/health"),
            Err(ApiError::MethodNotAllowed { .. })
        ));
    }

    #[test]
    fn placeholders_capture_one_non_empty_segment() {
        assert_eq!(
            match_pattern("/api/v1/groups/{id}", "/api/v1/groups/00g1"),
            Some(vec![("id", "00g1".to_owned())])
        );
        assert_eq!(match_pattern("/api/v1/groups/{id}", "/api/v1/groups/"), None);
        assert_eq!(match_pattern("/api/v1/groups/{id}", "/api/v1/groups/a/b"), None);
    }

    #[test]
    fn only_health_and_the_dev_sign_in_are_public() {
        let public: Vec<&str> =
            ROUTES.iter().filter(|r| r.access == Access::Public).map(|r| r.pattern).collect();
        assert_eq!(public, ["/api/v1/health", "/api/v1/openapi.json", "/api/v1/dev/sign-in"]);
    }

    #[test]
    fn every_write_needs_more_than_a_valid_identity() {
        for route in
            ROUTES.iter().filter(|r| r.method != Method::Get && r.endpoint != Endpoint::DevSignIn)
        {
            assert!(
                matches!(
                    route.access,
                    Access::SuperAdmin | Access::Permission(_) | Access::OktaEventHook
                ),
                "{} {}",
                route.method,
                route.pattern
            );
        }
    }

    #[test]
    fn only_okta_s_event_hook_calls_bypass_the_identity_checks() {
        let hook: Vec<(Method, &str)> = ROUTES
            .iter()
            .filter(|r| r.access == Access::OktaEventHook)
            .map(|r| (r.method, r.pattern))
            .collect();
        assert_eq!(
            hook,
            [(Method::Get, "/api/v1/okta/events"), (Method::Post, "/api/v1/okta/events")]
        );
    }

    #[test]
    fn every_route_is_under_the_api_prefix_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for route in ROUTES {
            assert!(
                route.pattern.starts_with(groupsync_core::api::API_PREFIX),
                "{}",
                route.pattern
            );
            assert!(seen.insert((route.method, route.pattern)), "duplicate {}", route.pattern);
        }
    }
}
