//! [`WebhookUrl`]: where a superAdmin asks the Worker to send signed events, checked before it is
//! stored and again before every attempt (the allow-list may have shrunk since).
//!
//! The tenant URL's rules against server-side request forgery, adapted to an endpoint: https
//! only, no user info, no IP literal, no port but the default, no fragment; and, since events
//! carry who may do what, only hosts the operator put on the allow-list (exactly, or below a
//! `*.` entry). A path and a query are allowed: receivers route by them. Plain http only to a
//! loopback address with a port, and only where the local stack allows it.

use std::net::IpAddr;

use url::{Host, Url};

/// The longest URL accepted.
const MAX_URL_BYTES: usize = 2_048;

/// Where the deployment lets events go.
#[derive(Debug, Clone, Default)]
pub struct WebhookUrlPolicy {
    /// Hosts the operator allows, lowercase: `hooks.example.com`, or `*.example.com` for every
    /// host below `example.com` (not `example.com` itself).
    pub allowed_hosts: Vec<String>,
    /// Whether `http://` to a loopback address is allowed: only the local stack's receivers.
    pub allow_loopback_http: bool,
}

/// A URL that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

/// Why a URL was refused. Each message says what would be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookUrlError {
    /// Empty, not a URL, or too long.
    #[error("enter the endpoint's URL, such as https://hooks.example.com/okta-groups")]
    NotAUrl,
    /// Holds whitespace or control characters.
    #[error("the URL may not contain spaces or control characters")]
    Whitespace,
    /// Not `https://`.
    #[error("the URL must start with https://")]
    NotHttps,
    /// Has `user@` or `user:password@`.
    #[error("the URL may not contain a user name or password")]
    UserInfo,
    /// Names a port other than https's.
    #[error("the URL may not name a port")]
    Port,
    /// Has a fragment, which is never sent.
    #[error("the URL may not have a #fragment")]
    Fragment,
    /// The host is an IP address.
    #[error("enter a domain name, not an IP address")]
    IpAddress,
    /// The host is not on the operator's allow-list.
    #[error("{0} is not on this deployment's WEBHOOK_ALLOWLIST; ask its operator to add it")]
    NotAllowed(String),
}

impl WebhookUrl {
    /// Parses and checks `text` under `policy`.
    ///
    /// # Errors
    ///
    /// The first rule the URL breaks.
    pub fn parse(text: &str, policy: &WebhookUrlPolicy) -> Result<Self, WebhookUrlError> {
        let text = text.trim_matches(|c| c == ' ' || c == '\t');
        if text.is_empty() || text.len() > MAX_URL_BYTES {
            return Err(WebhookUrlError::NotAUrl);
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(WebhookUrlError::Whitespace);
        }
        let url = Url::parse(text).map_err(|_| WebhookUrlError::NotAUrl)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(WebhookUrlError::UserInfo);
        }
        if url.fragment().is_some() {
            return Err(WebhookUrlError::Fragment);
        }
        let local = policy.allow_loopback_http && url.scheme() == "http" && url.port().is_some();
        let host = match url.host() {
            Some(Host::Domain(domain)) => domain.strip_suffix('.').unwrap_or(domain).to_owned(),
            Some(Host::Ipv4(ip)) if local && IpAddr::V4(ip).is_loopback() => {
                return Ok(Self(url.into()));
            }
            Some(Host::Ipv6(ip)) if local && IpAddr::V6(ip).is_loopback() => {
                return Ok(Self(url.into()));
            }
            Some(Host::Ipv4(_) | Host::Ipv6(_)) => return Err(WebhookUrlError::IpAddress),
            None => return Err(WebhookUrlError::NotAUrl),
        };
        if host == "localhost" && local {
            return Ok(Self(url.into()));
        }
        if url.scheme() != "https" {
            return Err(WebhookUrlError::NotHttps);
        }
        // `url` drops https's default port, so any port left is another one.
        if url.port().is_some() {
            return Err(WebhookUrlError::Port);
        }
        if !policy.allowed_hosts.iter().any(|allowed| host_allowed(allowed, &host)) {
            return Err(WebhookUrlError::NotAllowed(host));
        }
        Ok(Self(url.into()))
    }

    /// The URL as stored and requested.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `host` (lowercase, as `url` gives it) is `allowed`, or below a `*.` entry.
fn host_allowed(allowed: &str, host: &str) -> bool {
    match allowed.strip_prefix("*.") {
        Some(parent) => {
            host.strip_suffix(parent).is_some_and(|below| below.len() > 1 && below.ends_with('.'))
        }
        None => allowed.eq_ignore_ascii_case(host),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn production() -> WebhookUrlPolicy {
        WebhookUrlPolicy {
            allowed_hosts: vec!["hooks.example.com".into(), "*.relying.example".into()],
            allow_loopback_http: false,
        }
    }

    fn refused(text: &str) -> WebhookUrlError {
        WebhookUrl::parse(text, &production()).unwrap_err()
    }

    #[test]
    fn an_allowed_https_host_with_a_path_and_query_is_taken_as_written() {
        let url = WebhookUrl::parse(" https://hooks.example.com/okta?app=1 ", &production());
        assert_eq!(url.unwrap().as_str(), "https://hooks.example.com/okta?app=1");
        let below = WebhookUrl::parse("https://a.b.relying.example/x", &production()).unwrap();
        assert_eq!(below.as_str(), "https://a.b.relying.example/x");
        // https's own port is no port.
        assert!(WebhookUrl::parse("https://HOOKS.example.com:443/", &production()).is_ok());
    }

    #[test]
    fn hosts_off_the_allow_list_are_refused_by_name() {
        assert_eq!(
            refused("https://evil.example.com/"),
            WebhookUrlError::NotAllowed("evil.example.com".into())
        );
        // A wildcard allows hosts below it, not the parent nor a look-alike.
        assert!(matches!(refused("https://relying.example/"), WebhookUrlError::NotAllowed(_)));
        assert!(matches!(refused("https://xrelying.example/"), WebhookUrlError::NotAllowed(_)));
        assert!(matches!(
            refused("https://hooks.example.com.evil.net/"),
            WebhookUrlError::NotAllowed(_)
        ));
        // Nothing is allowed without a list.
        let none = WebhookUrl::parse("https://hooks.example.com/", &WebhookUrlPolicy::default());
        assert!(matches!(none, Err(WebhookUrlError::NotAllowed(_))));
    }

    #[test]
    fn the_tenant_url_s_forgery_rules_hold() {
        assert_eq!(refused("http://hooks.example.com/"), WebhookUrlError::NotHttps);
        assert_eq!(refused("https://u:p@hooks.example.com/"), WebhookUrlError::UserInfo);
        assert_eq!(refused("https://hooks.example.com:8443/"), WebhookUrlError::Port);
        assert_eq!(refused("https://hooks.example.com/#x"), WebhookUrlError::Fragment);
        assert_eq!(refused("https://10.0.0.1/"), WebhookUrlError::IpAddress);
        assert_eq!(refused("https://[::1]/"), WebhookUrlError::IpAddress);
        assert_eq!(refused("https://2130706433/"), WebhookUrlError::IpAddress);
        assert_eq!(refused("http://127.0.0.1:9000/"), WebhookUrlError::IpAddress);
        assert_eq!(refused("https://hooks.example.com/a\nb"), WebhookUrlError::Whitespace);
        assert_eq!(refused("file:///etc/passwd"), WebhookUrlError::NotAUrl);
        assert_eq!(refused(""), WebhookUrlError::NotAUrl);
        let long = format!("https://hooks.example.com/{}", "a".repeat(MAX_URL_BYTES));
        assert_eq!(refused(&long), WebhookUrlError::NotAUrl);
    }

    #[test]
    fn locally_loopback_http_with_a_port_is_allowed() {
        let local = WebhookUrlPolicy { allow_loopback_http: true, ..WebhookUrlPolicy::default() };
        assert!(WebhookUrl::parse("http://127.0.0.1:4100/hook", &local).is_ok());
        assert!(WebhookUrl::parse("http://localhost:4100/hook", &local).is_ok());
        assert!(WebhookUrl::parse("http://[::1]:4100/hook", &local).is_ok());
        // Not without a port, not another address, not https to an IP.
        assert_eq!(
            WebhookUrl::parse("http://127.0.0.1/hook", &local),
            Err(WebhookUrlError::IpAddress)
        );
        assert_eq!(
            WebhookUrl::parse("http://10.0.0.1:80/hook", &local),
            Err(WebhookUrlError::IpAddress)
        );
        assert_eq!(
            WebhookUrl::parse("https://127.0.0.1:4100/hook", &local),
            Err(WebhookUrlError::IpAddress)
        );
    }
}
