//! [`TenantOrigin`]: where an Okta tenant's API lives, and the only origin a `next` link may name.

use std::fmt;

use url::Url;

/// The scheme, host and port of an Okta tenant (`https://acme.okta.com`).
///
/// This type guarantees a bare origin (no user info, path, query or fragment). Which hosts are
/// acceptable at all (Okta domains, https only) is decided where settings are validated.
#[derive(Clone, PartialEq, Eq)]
pub struct TenantOrigin {
    url: Url,
}

/// Why a tenant origin was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    /// The text is not an absolute URL.
    #[error("not an absolute URL")]
    NotAUrl,
    /// The scheme is neither https nor http.
    #[error("only https (or http for a local fake) is allowed")]
    Scheme,
    /// The URL has user info, a path, a query or a fragment.
    #[error("an origin has no user info, path, query or fragment")]
    NotBare,
}

impl TenantOrigin {
    /// Parses `https://host[:port]` (a trailing `/` is allowed).
    ///
    /// # Errors
    ///
    /// See [`OriginError`].
    pub fn parse(text: &str) -> Result<Self, OriginError> {
        let url = Url::parse(text).map_err(|_| OriginError::NotAUrl)?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(OriginError::Scheme);
        }
        let bare = url.username().is_empty()
            && url.password().is_none()
            && url.path() == "/"
            && url.query().is_none()
            && url.fragment().is_none()
            && url.host().is_some();
        if !bare {
            return Err(OriginError::NotBare);
        }
        Ok(Self { url })
    }

    /// Whether `url` has this origin's scheme, host and port (the default port counts as given).
    pub fn is_origin_of(&self, url: &Url) -> bool {
        url.scheme() == self.url.scheme()
            && url.host() == self.url.host()
            && url.port_or_known_default() == self.url.port_or_known_default()
    }

    /// The URL of `path` (which starts with `/`) on this origin.
    pub(crate) fn url(&self, path: &str) -> Url {
        let mut url = self.url.clone();
        url.set_path(path);
        url
    }

    /// The origin as text, without a trailing slash.
    pub fn as_str(&self) -> &str {
        self.url.as_str().trim_end_matches('/')
    }
}

impl fmt::Debug for TenantOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantOrigin({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_origins_parse_and_others_are_refused() {
        assert_eq!(
            TenantOrigin::parse("https://acme.okta.com").unwrap().as_str(),
            "https://acme.okta.com"
        );
        assert!(TenantOrigin::parse("http://127.0.0.1:8080/").is_ok());
        assert_eq!(TenantOrigin::parse("ftp://acme.okta.com"), Err(OriginError::Scheme));
        for text in [
            "https://acme.okta.com/api",
            "https://acme.okta.com?x=1",
            "https://acme.okta.com#frag",
            "https://user@acme.okta.com",
        ] {
            assert_eq!(TenantOrigin::parse(text), Err(OriginError::NotBare), "{text}");
        }
        assert_eq!(TenantOrigin::parse("acme.okta.com"), Err(OriginError::NotAUrl));
    }

    #[test]
    fn origin_match_compares_scheme_host_and_port() {
        let origin = TenantOrigin::parse("https://acme.okta.com").unwrap();
        let same = |u: &str| origin.is_origin_of(&Url::parse(u).unwrap());
        assert!(same("https://acme.okta.com/api/v1/groups?after=x"));
        assert!(same("https://acme.okta.com:443/api/v1/groups"));
        assert!(!same("http://acme.okta.com/api/v1/groups"));
        assert!(!same("https://acme.okta.com:8443/api/v1/groups"));
        assert!(!same("https://evil.com/api/v1/groups"));
        assert!(!same("https://acme.okta.com.evil.com/api/v1/groups"));
    }
}
