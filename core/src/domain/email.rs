//! The one email check of the product: the edge applies it before inviting or granting, and the
//! SPA before sending.

/// A plausible email: one `@`, something on each side, a dot in the domain, no spaces, at most
/// 254 characters. Delivery is Okta's concern; this only keeps nonsense out.
pub fn looks_like_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ','))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_emails_pass_and_nonsense_does_not() {
        for good in ["ann@example.com", "ann.lee+x@sub.example.org"] {
            assert!(looks_like_email(good), "{good}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "a@b@c.d",
            "ann@.com",
            "ann@example.",
            "<a>@example.com",
            long.as_str(),
        ] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }
}
