//! The route table: every endpoint the Worker serves, with its method and path pattern.
//!
//! Matching a request against it is pure, so the table is tested natively and can be compared
//! with the published API description.

use std::fmt;

use crate::error::ApiError;

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
}

/// The route table of the edge API.
pub const ROUTES: &[Route] =
    &[Route { method: Method::Get, pattern: "/api/v1/health", endpoint: Endpoint::Health }];

/// A request matched to an endpoint, with the values of its path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// The endpoint that answers the request.
    pub endpoint: Endpoint,
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
            return Ok(Matched { endpoint: route.endpoint, params });
        }
        allowed.push(route.method);
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
        assert_eq!(allowed, vec![Method::Get]);
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
