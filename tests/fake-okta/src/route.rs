//! Which Okta endpoint a request path names, with its path parameters, and the rate-limit
//! bucket it counts in.

use serde::{Deserialize, Serialize};

use crate::rate_limit::Bucket;

/// An endpoint of the Okta surface, for counters and fault targeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `GET /api/v1/apps/{appId}` (`getApplication`).
    GetApp,
    /// `GET /api/v1/apps/{appId}/groups` (`listApplicationGroupAssignments`).
    ListAppGroups,
    /// `GET /api/v1/groups/{groupId}` (`getGroup`).
    GetGroup,
    /// `GET /api/v1/groups/{groupId}/users` (`listGroupUsers`).
    ListGroupUsers,
    /// `GET /api/v1/users` (`listUsers`, with `search`/`filter`/`q`).
    ListUsers,
    /// `GET /api/v1/users/{idOrLogin}` (`getUser`).
    GetUser,
    /// `GET /api/v1/users/{idOrLogin}/groups` (`listUserGroups`).
    ListUserGroups,
    /// Any other path (answered 404 `E0000007`).
    Other,
}

/// A parsed request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    pub(crate) endpoint: Endpoint,
    /// The path parameter (app, group or user id), percent-decoded.
    pub(crate) id: String,
}

impl Route {
    /// Parses a request path (still percent-encoded).
    pub(crate) fn parse(path: &str) -> Route {
        let segments: Vec<String> = path
            .trim_end_matches('/')
            .split('/')
            .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let (endpoint, id) = match segments.as_slice() {
            ["", "api", "v1", "apps", id] => (Endpoint::GetApp, *id),
            ["", "api", "v1", "apps", id, "groups"] => (Endpoint::ListAppGroups, *id),
            ["", "api", "v1", "groups", id] => (Endpoint::GetGroup, *id),
            ["", "api", "v1", "groups", id, "users"] => (Endpoint::ListGroupUsers, *id),
            ["", "api", "v1", "users"] => (Endpoint::ListUsers, ""),
            ["", "api", "v1", "users", id] => (Endpoint::GetUser, *id),
            ["", "api", "v1", "users", id, "groups"] => (Endpoint::ListUserGroups, *id),
            _ => (Endpoint::Other, ""),
        };
        Route { endpoint, id: id.to_owned() }
    }

    /// The rate-limit bucket of a path (see `rate_limit` for the mapping).
    pub(crate) fn bucket(&self, path: &str) -> Bucket {
        match self.endpoint {
            Endpoint::GetApp => Bucket::AppById,
            Endpoint::ListAppGroups => Bucket::Apps,
            Endpoint::GetGroup => Bucket::GroupById,
            Endpoint::ListUsers => Bucket::Users,
            Endpoint::GetUser => Bucket::UserById,
            Endpoint::ListGroupUsers | Endpoint::ListUserGroups => Bucket::Other,
            Endpoint::Other if path.starts_with("/api/v1/apps") => Bucket::Apps,
            Endpoint::Other if path.starts_with("/api/v1/groups") => Bucket::Groups,
            Endpoint::Other if path.starts_with("/api/v1/users") => Bucket::Users,
            Endpoint::Other => Bucket::Other,
        }
    }

    /// Whether a token limited to apps (the restricted token) may call this endpoint.
    pub(crate) fn is_apps_scope(&self) -> bool {
        matches!(self.endpoint, Endpoint::GetApp | Endpoint::ListAppGroups)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_endpoints_and_buckets() {
        let cases = [
            ("/api/v1/apps/0oa1", Endpoint::GetApp, Bucket::AppById),
            ("/api/v1/apps/0oa1/groups", Endpoint::ListAppGroups, Bucket::Apps),
            ("/api/v1/groups/00g1", Endpoint::GetGroup, Bucket::GroupById),
            ("/api/v1/groups/00g1/users", Endpoint::ListGroupUsers, Bucket::Other),
            ("/api/v1/users", Endpoint::ListUsers, Bucket::Users),
            ("/api/v1/users/00u1/groups", Endpoint::ListUserGroups, Bucket::Other),
            ("/api/v1/groups", Endpoint::Other, Bucket::Groups),
            ("/api/v1/apps", Endpoint::Other, Bucket::Apps),
            ("/api/v1/logs", Endpoint::Other, Bucket::Other),
        ];
        for (path, endpoint, bucket) in cases {
            let route = Route::parse(path);
            assert_eq!(route.endpoint, endpoint, "{path}");
            assert_eq!(route.bucket(path), bucket, "{path}");
        }
    }

    #[test]
    fn path_parameters_are_percent_decoded() {
        let route = Route::parse("/api/v1/users/admin%40example.com/groups");
        assert_eq!(route.id, "admin@example.com");
    }
}
