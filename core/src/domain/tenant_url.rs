//! [`TenantUrl`]: the Okta tenant URL a superAdmin types, checked before any token is sent to it.
//!
//! The rules are CONTRACT.md §6: https only, exactly one label under an Okta domain, no admin
//! host, IP literal, port, user info, path, query or fragment. Other hosts only through the
//! operator's allow-list; plain http only to loopback, and only where the local demo allows it.

use std::net::IpAddr;

use url::{Host, Url};

use crate::okta::TenantOrigin;

/// The Okta domains a tenant lives under.
const OKTA_DOMAINS: [&str; 5] =
    ["okta.com", "oktapreview.com", "okta-emea.com", "okta-gov.com", "okta.mil"];

/// What the deployment allows beyond Okta's own domains.
#[derive(Debug, Clone, Default)]
pub struct TenantUrlPolicy {
    /// Exact hosts the operator allows (for example a custom domain), lowercase.
    pub extra_hosts: Vec<String>,
    /// Whether `http://` to a loopback address is allowed: only the local demo's fake Okta.
    pub allow_loopback_http: bool,
}

/// A tenant URL that passed every check, reduced to its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantUrl(TenantOrigin);

/// Why a tenant URL was refused. Each message tells the user what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantUrlError {
    /// Empty, or not a URL at all.
    #[error("enter your Okta URL, such as https://your-company.okta.com")]
    NotAUrl,
    /// Holds whitespace or control characters (CR/LF included).
    #[error("the URL may not contain spaces or control characters")]
    Whitespace,
    /// Not `https://`.
    #[error("the URL must start with https://")]
    NotHttps,
    /// Has `user@` or `user:password@`.
    #[error("the URL may not contain a user name or password")]
    UserInfo,
    /// Names a port.
    #[error("the URL may not name a port")]
    Port,
    /// Has a path, query or fragment.
    #[error("enter only the address of your Okta tenant, without a path, query or fragment")]
    NotBare,
    /// The host is an IP address.
    #[error("enter your Okta domain name, not an IP address")]
    IpAddress,
    /// The Admin Console host (`acme-admin.okta.com`), which is not an API host.
    #[error("that is the Admin Console address: remove \"-admin\" (https://your-company.okta.com)")]
    AdminHost,
    /// Not one label under an Okta domain, nor an allowed host.
    #[error(
        "the host must be your Okta domain, such as your-company.okta.com or your-company.oktapreview.com"
    )]
    NotOkta,
}

impl TenantUrl {
    /// Parses and checks a tenant URL under `policy`.
    ///
    /// # Errors
    ///
    /// See [`TenantUrlError`].
    pub fn parse(text: &str, policy: &TenantUrlPolicy) -> Result<Self, TenantUrlError> {
        let text = text.trim_matches(|c| c == ' ' || c == '\t');
        if text.is_empty() {
            return Err(TenantUrlError::NotAUrl);
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(TenantUrlError::Whitespace);
        }
        let url = Url::parse(text).map_err(|_| TenantUrlError::NotAUrl)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(TenantUrlError::UserInfo);
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(TenantUrlError::NotBare);
        }
        let host = match url.host() {
            Some(Host::Domain(domain)) => domain.strip_suffix('.').unwrap_or(domain).to_owned(),
            Some(Host::Ipv4(ip)) => return Self::loopback(&url, IpAddr::V4(ip), policy),
            Some(Host::Ipv6(ip)) => return Self::loopback(&url, IpAddr::V6(ip), policy),
            None => return Err(TenantUrlError::NotAUrl),
        };
        if host == "localhost"
            && policy.allow_loopback_http
            && url.scheme() == "http"
            && url.port().is_some()
        {
            return Self::from_url(&url);
        }
        if url.scheme() != "https" {
            return Err(TenantUrlError::NotHttps);
        }
        if url.port().is_some() {
            return Err(TenantUrlError::Port);
        }
        if policy.extra_hosts.iter().any(|allowed| allowed.eq_ignore_ascii_case(&host)) {
            return Self::from_url(&url);
        }
        let label = OKTA_DOMAINS
            .iter()
            .find_map(|domain| host.strip_suffix(domain)?.strip_suffix('.'))
            .ok_or(TenantUrlError::NotOkta)?;
        if label.ends_with("-admin") {
            return Err(TenantUrlError::AdminHost);
        }
        if !is_tenant_label(label) {
            return Err(TenantUrlError::NotOkta);
        }
        Ok(Self(tenant_origin(&format!("https://{host}"))?))
    }

    /// The origin the Okta client sends to.
    pub fn origin(&self) -> &TenantOrigin {
        &self.0
    }

    /// The URL as stored and shown (`https://acme.okta.com`).
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Only `http://127.0.0.1:PORT` (or `[::1]`), and only where the local demo allows it: the
    /// fake Okta. Every other IP literal is refused.
    fn loopback(url: &Url, ip: IpAddr, policy: &TenantUrlPolicy) -> Result<Self, TenantUrlError> {
        if policy.allow_loopback_http
            && ip.is_loopback()
            && url.scheme() == "http"
            && url.port().is_some()
        {
            return Self::from_url(url);
        }
        Err(TenantUrlError::IpAddress)
    }

    fn from_url(url: &Url) -> Result<Self, TenantUrlError> {
        Ok(Self(tenant_origin(url.as_str())?))
    }
}

fn tenant_origin(text: &str) -> Result<TenantOrigin, TenantUrlError> {
    TenantOrigin::parse(text).map_err(|_| TenantUrlError::NotAUrl)
}

/// One DNS label as Okta names tenants: ASCII letters, digits and inner hyphens, at most 63
/// characters, and not punycode (an internationalized label could imitate another tenant).
fn is_tenant_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
        && !label.starts_with("xn--")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<String, TenantUrlError> {
        TenantUrl::parse(text, &TenantUrlPolicy::default()).map(|t| t.as_str().to_owned())
    }

    #[test]
    fn okta_tenants_parse_to_their_lowercase_origin() {
        assert_eq!(parse("https://acme.okta.com"), Ok("https://acme.okta.com".into()));
        assert_eq!(parse("https://ACME.Okta.com/"), Ok("https://acme.okta.com".into()));
        assert_eq!(parse("https://acme.okta.com."), Ok("https://acme.okta.com".into()));
        assert_eq!(
            parse(" https://dev-123456.oktapreview.com "),
            Ok("https://dev-123456.oktapreview.com".into())
        );
        assert_eq!(
            parse("https://acme.okta-emea.com:443"),
            Ok("https://acme.okta-emea.com".into())
        );
        for domain in OKTA_DOMAINS {
            assert!(parse(&format!("https://acme.{domain}")).is_ok(), "{domain}");
        }
    }

    #[test]
    fn hostile_and_mistaken_urls_are_refused_with_the_reason() {
        use TenantUrlError::*;
        let cases: &[(&str, TenantUrlError)] = &[
            ("", NotAUrl),
            ("acme.okta.com", NotAUrl),
            ("http://acme.okta.com", NotHttps),
            ("ftp://acme.okta.com", NotHttps),
            ("javascript:alert(1)", NotBare),
            ("https://acme.okta.com/api/v1", NotBare),
            ("https://acme.okta.com?x=1", NotBare),
            ("https://acme.okta.com/?", NotBare),
            ("https://acme.okta.com#frag", NotBare),
            ("https://evil.com#.okta.com", NotBare),
            ("https://evil.com/.okta.com", NotBare),
            ("https://evil.com?.okta.com", NotBare),
            ("https://acme.okta.com@evil.com", UserInfo),
            ("https://user:pass@acme.okta.com", UserInfo),
            ("https://acme.okta.com:8443", Port),
            ("https://acme.okta.com:80", Port),
            ("https://acme-admin.okta.com", AdminHost),
            ("https://okta.com.evil.com", NotOkta),
            ("https://acmeokta.com", NotOkta),
            ("https://okta.com", NotOkta),
            ("https://a.b.okta.com", NotOkta),
            ("https://acme.okta.co", NotOkta),
            ("https://acme.okta.cοm", NotOkta),
            ("https://acmé.okta.com", NotOkta),
            ("https://xn--acm-bpa.okta.com", NotOkta),
            ("https://-acme.okta.com", NotOkta),
            ("https://acme_corp.okta.com", NotOkta),
            ("https://127.0.0.1", IpAddress),
            ("https://[::1]", IpAddress),
            ("https://10.0.0.1", IpAddress),
            ("https://2130706433", IpAddress),
            ("https://0x7f.0.0.1", IpAddress),
            ("https://169.254.169.254", IpAddress),
            ("http://127.0.0.1:9000", IpAddress),
            ("http://localhost:9000", NotHttps),
            ("https://acme.okta.com\r\nX-Injected: 1", Whitespace),
            ("https://acme.okta.com\n", Whitespace),
            ("https://acme .okta.com", Whitespace),
            ("https://acme.okta.com%0d%0a", NotAUrl),
        ];
        let mut failures = Vec::new();
        for (text, expected) in cases {
            let got = parse(text);
            if got.as_ref() != Err(expected) {
                failures.push(format!("{text:?}: expected {expected:?}, got {got:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn the_operator_allow_list_admits_exact_hosts_over_https_only() {
        let policy = TenantUrlPolicy {
            extra_hosts: vec!["login.example.com".into()],
            ..TenantUrlPolicy::default()
        };
        assert!(TenantUrl::parse("https://login.example.com", &policy).is_ok());
        assert_eq!(
            TenantUrl::parse("http://login.example.com", &policy),
            Err(TenantUrlError::NotHttps)
        );
        assert_eq!(
            TenantUrl::parse("https://x.login.example.com", &policy),
            Err(TenantUrlError::NotOkta)
        );
    }

    #[test]
    fn loopback_http_is_allowed_only_by_the_local_demo_policy() {
        let demo = TenantUrlPolicy { allow_loopback_http: true, ..TenantUrlPolicy::default() };
        assert_eq!(
            TenantUrl::parse("http://127.0.0.1:9000", &demo).unwrap().as_str(),
            "http://127.0.0.1:9000"
        );
        assert!(TenantUrl::parse("http://localhost:9000", &demo).is_ok());
        assert_eq!(TenantUrl::parse("http://10.0.0.1:9000", &demo), Err(TenantUrlError::IpAddress));
        assert_eq!(TenantUrl::parse("https://127.0.0.1", &demo), Err(TenantUrlError::IpAddress));
        assert_eq!(
            TenantUrl::parse("http://2130706433:80", &demo),
            Err(TenantUrlError::IpAddress),
            "no port given"
        );
        assert_eq!(TenantUrl::parse("https://localhost", &demo), Err(TenantUrlError::NotOkta));
        assert_eq!(
            TenantUrl::parse("http://127.0.0.1:9000", &TenantUrlPolicy::default()),
            Err(TenantUrlError::IpAddress)
        );
    }
}
