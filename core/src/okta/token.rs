//! The Okta API token: a secret that never shows in a log line, an error or a `Debug` output.

use std::fmt;

/// An Okta SSWS API token.
///
/// Its `Debug` output is redacted and it has no `Display`, so formatting a value that holds it
/// cannot leak it; the only way to the text is [`OktaToken::expose`], used to build the
/// `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct OktaToken(String);

impl OktaToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token's text, for the `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OktaToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OktaToken([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_does_not_contain_the_token() {
        let token = OktaToken::new("00canary-token-value-1a2b");
        let debug = format!("{token:?} {:?}", Some(&token));
        assert!(!debug.contains("canary"), "{debug}");
        assert_eq!(debug, "OktaToken([redacted]) Some(OktaToken([redacted]))");
        assert_eq!(token.expose(), "00canary-token-value-1a2b");
    }
}
