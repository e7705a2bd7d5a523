//! Where a grant applies, and what an access check asks about: a resource path of the app that
//! relies on this product, such as `folder:/prod/db` (issue #14).
//!
//! A grant's scope covers its own path and every path below it, segment by segment:
//! `folder:/prod` covers `folder:/prod/db`, but not `folder:/production` (a prefix of the text
//! is not a parent) nor `project:/prod` (another kind). A grant without a scope applies
//! everywhere.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest resource path accepted, in bytes (kind, colon and path).
pub const MAX_RESOURCE_LEN: usize = 256;

/// The most segments a path may have.
pub const MAX_SEGMENTS: usize = 16;

/// A resource path: a kind (`folder`) and an absolute path of segments (`/prod/db`), or the
/// kind's root (`folder:/`). As a grant's scope it covers itself and everything below it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourcePath {
    /// The whole text, as parsed (it is already canonical: parsing refuses other spellings).
    text: String,
    /// Where the path starts in `text` (after `kind:`).
    path_start: usize,
}

/// Why a text is not a resource path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourcePathError {
    /// Longer than [`MAX_RESOURCE_LEN`] bytes.
    #[error("a resource is at most {MAX_RESOURCE_LEN} characters long")]
    TooLong,
    /// No `kind:` before the path.
    #[error("a resource starts with its kind and a colon, such as folder:/prod/db")]
    NoKind,
    /// The kind is not a lowercase word.
    #[error(
        "a resource's kind is a lowercase word of letters, digits and underscores that starts with a letter, such as folder"
    )]
    Kind,
    /// The path does not start with `/`.
    #[error("a resource's path starts with /, such as folder:/prod/db")]
    NotAbsolute,
    /// An empty segment (`//` or a trailing `/`), `.` or `..`.
    #[error("a resource's path has no empty segment, no trailing /, and no . or .. segment")]
    Segment,
    /// A character other than letters, digits, `-`, `_` and `.`.
    #[error("a resource's path holds only letters, digits, -, _ and . between its / separators")]
    Character,
    /// More than [`MAX_SEGMENTS`] segments.
    #[error("a resource's path has at most {MAX_SEGMENTS} segments")]
    TooDeep,
}

impl ResourcePath {
    /// Parses `kind:/a/b`. Only one spelling of each path is accepted (no trailing slash, no
    /// `.` or `..`, ASCII only), so two paths are the same resource exactly when their texts are
    /// equal, and nothing a client sends can climb out of a scope.
    ///
    /// # Errors
    ///
    /// See [`ResourcePathError`].
    pub fn parse(text: &str) -> Result<Self, ResourcePathError> {
        if text.len() > MAX_RESOURCE_LEN {
            return Err(ResourcePathError::TooLong);
        }
        let (kind, path) = text.split_once(':').ok_or(ResourcePathError::NoKind)?;
        let kind_ok = kind.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
            && kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !kind_ok {
            return Err(ResourcePathError::Kind);
        }
        let rest = path.strip_prefix('/').ok_or(ResourcePathError::NotAbsolute)?;
        if !rest.is_empty() {
            let segments: Vec<&str> = rest.split('/').collect();
            if segments.len() > MAX_SEGMENTS {
                return Err(ResourcePathError::TooDeep);
            }
            for segment in segments {
                if segment.is_empty() || segment == "." || segment == ".." {
                    return Err(ResourcePathError::Segment);
                }
                let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
                if !segment.bytes().all(allowed) {
                    return Err(ResourcePathError::Character);
                }
            }
        }
        Ok(Self { text: text.to_owned(), path_start: kind.len() + 1 })
    }

    /// The kind (`folder`).
    pub fn kind(&self) -> &str {
        &self.text[..self.path_start - 1]
    }

    /// The path (`/prod/db`, or `/` for the kind's root).
    pub fn path(&self) -> &str {
        &self.text[self.path_start..]
    }

    /// The whole text (`folder:/prod/db`).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether this scope covers `resource`: the same kind, and the same path or a path below
    /// it (whole segments only).
    pub fn covers(&self, resource: &ResourcePath) -> bool {
        if self.kind() != resource.kind() {
            return false;
        }
        let (scope, path) = (self.path(), resource.path());
        scope == "/"
            || path == scope
            || path.strip_prefix(scope).is_some_and(|below| below.starts_with('/'))
    }
}

/// Where a grant applies, in words: `on folder:/prod`, or `everywhere` for no scope. Every
/// sentence about a grant (the access check's chain, a person's access, a refusal, the screens)
/// says it so.
pub fn scope_in_words(scope: Option<&ResourcePath>) -> String {
    match scope {
        Some(scope) => format!("on {scope}"),
        None => "everywhere".to_owned(),
    }
}

impl fmt::Display for ResourcePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for ResourcePath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for ResourcePath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The JSON Schema of a resource path, which travels as text: it says exactly what
/// [`ResourcePath::parse`] accepts (the `schema` tests check the pattern against `parse`).
#[cfg(feature = "schema")]
impl schemars::JsonSchema for ResourcePath {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ResourcePath".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        // A segment: letters, digits, `-`, `_` and `.`, but not `.` or `..` alone.
        let segment = r"(?:\.{0,2}[A-Za-z0-9_-][A-Za-z0-9._-]*|\.{3}[A-Za-z0-9._-]*)";
        let more = MAX_SEGMENTS - 1;
        schemars::json_schema!({
            "type": "string",
            "description": "A resource path of the relying app: a kind (a lowercase word) and an \
                absolute path (`folder:/prod/db`), or the kind's root (`folder:/`). Segments hold \
                letters, digits, `-`, `_` and `.` (never `.` or `..` alone), at most 16 of them; \
                at most 256 characters. As a grant's scope it covers itself and everything below \
                it.",
            "pattern": format!("^[a-z][a-z0-9_]*:/(?:{segment}(?:/{segment}){{0,{more}}})?$"),
            "maxLength": MAX_RESOURCE_LEN,
            "examples": ["folder:/prod/db"],
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn path(text: &str) -> ResourcePath {
        ResourcePath::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn a_scope_covers_itself_and_the_paths_below_it_by_whole_segments() {
        let prod = path("folder:/prod");
        assert!(prod.covers(&path("folder:/prod")));
        assert!(prod.covers(&path("folder:/prod/db")));
        assert!(prod.covers(&path("folder:/prod/db/replica-1")));
        assert!(!prod.covers(&path("folder:/production")), "a text prefix is not a parent");
        assert!(!prod.covers(&path("folder:/staging")));
        assert!(!prod.covers(&path("folder:/")), "a scope does not cover its parent");
        assert!(!prod.covers(&path("project:/prod")), "another kind");
        assert!(path("folder:/").covers(&path("folder:/anything/below")));
        assert!(!path("folder:/").covers(&path("project:/x")));
    }

    #[test]
    fn only_one_spelling_of_a_path_is_accepted() {
        use ResourcePathError::*;
        let cases = [
            ("/prod", NoKind),
            ("folder", NoKind),
            (":/prod", Kind),
            ("Folder:/prod", Kind),
            ("1folder:/prod", Kind),
            ("folder:prod", NotAbsolute),
            ("folder:", NotAbsolute),
            ("folder:/prod/", Segment),
            ("folder://prod", Segment),
            ("folder:/prod/../secrets", Segment),
            ("folder:/./prod", Segment),
            ("folder:/prod db", Character),
            ("folder:/prod%2Fdb", Character),
            ("folder:/pröd", Character),
            ("folder:/a:b", Character),
        ];
        for (text, error) in cases {
            assert_eq!(ResourcePath::parse(text), Err(error), "{text}");
        }
        let deep = format!("folder:{}", "/a".repeat(MAX_SEGMENTS + 1));
        assert_eq!(ResourcePath::parse(&deep), Err(TooDeep));
        let long = format!("folder:/{}", "a".repeat(MAX_RESOURCE_LEN));
        assert_eq!(ResourcePath::parse(&long), Err(TooLong));
        let parsed = path("runbook_folder:/prod/db.v2/x_1");
        assert_eq!((parsed.kind(), parsed.path()), ("runbook_folder", "/prod/db.v2/x_1"));
    }

    #[test]
    fn a_path_reads_back_from_its_wire_text_and_bad_text_is_refused() {
        let parsed: ResourcePath = serde_json::from_str("\"folder:/prod\"").expect("parses");
        assert_eq!(serde_json::to_string(&parsed).expect("writes"), "\"folder:/prod\"");
        assert!(serde_json::from_str::<ResourcePath>("\"folder:/prod/..\"").is_err());
    }

    fn segments() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec("[a-c]{1,2}", 0..5)
    }

    fn join(kind: &str, segments: &[String]) -> ResourcePath {
        path(&format!("{kind}:/{}", segments.join("/")))
    }

    proptest! {
        /// `covers` is exactly "same kind, and the scope's segments are a prefix of the
        /// resource's segments".
        #[test]
        fn covering_is_a_segment_prefix_of_the_same_kind(
            scope in segments(),
            resource in segments(),
            same_kind in any::<bool>(),
        ) {
            let scope_path = join("folder", &scope);
            let resource_path = join(if same_kind { "folder" } else { "project" }, &resource);
            let model = same_kind && resource.starts_with(&scope);
            prop_assert_eq!(scope_path.covers(&resource_path), model);
        }
    }
}
