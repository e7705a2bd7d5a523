//! The one email check of the product, and [`Email`], an address parsed once: trimmed,
//! lowercased and plausible. The edge parses every email it is sent (to invite, to grant, to
//! look up) into one, and the SPA parses what a person types the same way before sending.

use std::fmt;

/// An email as this product stores and compares it: trimmed, lowercased (so `Ann@Example.com`
/// and `ann@example.com` are one person) and plausible (see [`looks_like_email`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Email(String);

/// Why a text is not an [`Email`]; the words are for the person who typed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("enter an email address such as ann@example.com")]
pub struct EmailError;

impl Email {
    /// Parses what was typed or sent.
    ///
    /// # Errors
    ///
    /// [`EmailError`] when, trimmed and lowercased, it is not a plausible email.
    pub fn parse(text: &str) -> Result<Self, EmailError> {
        Self::parse_with(text, str::to_lowercase)
    }

    /// [`Email::parse`] with the Unicode lowercasing given: the SPA passes the browser's
    /// (`String.prototype.toLowerCase`, the same default case mapping), which spares it the
    /// 7 KB of case tables `str::to_lowercase` would add to its size.
    ///
    /// # Errors
    ///
    /// [`EmailError`] when, trimmed and lowercased, it is not a plausible email.
    pub fn parse_with(
        text: &str,
        lowercase: impl FnOnce(&str) -> String,
    ) -> Result<Self, EmailError> {
        let email = lowercase(text.trim());
        if looks_like_email(&email) { Ok(Self(email)) } else { Err(EmailError) }
    }

    /// The address, lowercased.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

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
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn an_email_is_trimmed_and_lowercased_once_parsed() {
        let parsed = Email::parse("  Ann.Lee@Example.COM \n").unwrap();
        assert_eq!(parsed.as_str(), "ann.lee@example.com");
        assert_eq!(parsed, Email::parse("ann.lee@example.com").unwrap(), "one person");
        assert_eq!(Email::parse("ann at example.com"), Err(EmailError));
        assert_eq!(Email::parse("ÉMILE@Example.com").unwrap().as_str(), "émile@example.com");
        let ascii_only = Email::parse_with("ÉMILE@Example.com", str::to_ascii_lowercase);
        assert_eq!(ascii_only.unwrap().as_str(), "Émile@example.com", "the lowercasing given");
        assert_eq!(EmailError.to_string(), "enter an email address such as ann@example.com");
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent_and_case_blind(text in "[ a-zA-Z0-9.@+_-]{0,40}") {
            if let Ok(email) = Email::parse(&text) {
                prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
                prop_assert_eq!(Email::parse(&text.to_uppercase()), Ok(email.clone()));
                prop_assert_eq!(email.as_str().trim(), email.as_str());
                prop_assert!(looks_like_email(email.as_str()));
            } else {
                prop_assert!(!looks_like_email(&text.trim().to_lowercase()));
            }
        }
    }

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
