//! Okta object ids as users type them (the App ID and a service app's client id on the settings
//! screen).

use std::fmt;

/// What [`AppId::parse`] accepts, as a JSON Schema pattern (for the API's document).
pub const APP_ID_PATTERN: &str = "^\\s*0oa[A-Za-z0-9]{17}\\s*$";

/// The id of an Okta application: `0oa` and 17 more ASCII letters or digits (20 in all).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppId(String);

/// Why a text is not an Okta App ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppIdError {
    /// Not 20 characters long.
    #[error("an App ID is 20 characters long (it starts with 0oa)")]
    Length,
    /// Does not start with `0oa`, the prefix of every Okta application id.
    #[error("an App ID starts with 0oa (a group id starts with 00g, a user id with 00u)")]
    Prefix,
    /// Holds something other than ASCII letters and digits.
    #[error("an App ID holds only letters and digits")]
    Characters,
}

impl AppId {
    /// Parses an App ID, ignoring whitespace around it (as pasted from the Admin Console).
    ///
    /// # Errors
    ///
    /// See [`AppIdError`].
    pub fn parse(text: &str) -> Result<Self, AppIdError> {
        let id = text.trim();
        if !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(AppIdError::Characters);
        }
        if id.len() != 20 {
            return Err(AppIdError::Length);
        }
        if !id.starts_with("0oa") {
            return Err(AppIdError::Prefix);
        }
        Ok(Self(id.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The longest client id accepted.
pub const MAX_CLIENT_ID_CHARS: usize = 100;

/// An OAuth 2.0 client id of an Okta app: the app's id (`0oa…`) unless it was given another at
/// creation, so the rule is only what can go into a JWT claim and a form field unescaped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

/// Why a text is not a client id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientIdError {
    /// Empty, or longer than [`MAX_CLIENT_ID_CHARS`].
    #[error("a client id is 1 to 100 characters long (Okta shows it on the app's General tab)")]
    Length,
    /// Holds something other than ASCII letters, digits, `-`, `_` and `.`.
    #[error("a client id holds only letters, digits, '-', '_' and '.'")]
    Characters,
}

impl ClientId {
    /// Parses a client id, ignoring whitespace around it (as pasted from the Admin Console).
    ///
    /// # Errors
    ///
    /// See [`ClientIdError`].
    pub fn parse(text: &str) -> Result<Self, ClientIdError> {
        let id = text.trim();
        if id.is_empty() || id.len() > MAX_CLIENT_ID_CHARS {
            return Err(ClientIdError::Length);
        }
        if !id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
            return Err(ClientIdError::Characters);
        }
        Ok(Self(id.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_the_app_id_or_another_plain_name() {
        assert_eq!(
            ClientId::parse(" 0oa1b2c3d4e5f6g7h8i9\n").unwrap().as_str(),
            "0oa1b2c3d4e5f6g7h8i9"
        );
        assert_eq!(ClientId::parse("groups-sync.prod_1").unwrap().as_str(), "groups-sync.prod_1");
        assert_eq!(ClientId::parse("  "), Err(ClientIdError::Length));
        assert_eq!(ClientId::parse(&"a".repeat(101)), Err(ClientIdError::Length));
        assert_eq!(ClientId::parse(&"a".repeat(100)).map(|c| c.as_str().len()), Ok(100));
        for hostile in ["0oa\"x", "a b", "a&scope=okta.users.manage", "ï"] {
            assert_eq!(ClientId::parse(hostile), Err(ClientIdError::Characters), "{hostile}");
        }
    }

    #[test]
    fn app_ids_parse_with_surrounding_whitespace_trimmed() {
        assert_eq!(
            AppId::parse(" 0oa1b2c3d4e5f6g7h8i9\n").unwrap().as_str(),
            "0oa1b2c3d4e5f6g7h8i9"
        );
    }

    #[test]
    fn malformed_app_ids_are_refused_with_the_reason() {
        assert_eq!(AppId::parse("0oa1b2c3"), Err(AppIdError::Length));
        assert_eq!(AppId::parse("00g1b2c3d4e5f6g7h8i9"), Err(AppIdError::Prefix));
        assert_eq!(AppId::parse("0oa1b2c3d4e5f6g7h8/9"), Err(AppIdError::Characters));
        assert_eq!(AppId::parse("0oa1b2c3d4e5f6g7h8i9?x=1"), Err(AppIdError::Characters));
        assert_eq!(AppId::parse("0oa1b2c3d4e5f6g7h8ï9"), Err(AppIdError::Characters));
        assert_eq!(AppId::parse(""), Err(AppIdError::Length));
    }
}
