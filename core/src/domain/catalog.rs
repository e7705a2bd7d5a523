//! Roles as data (issue #14): the permissions that the app relying on this product defines,
//! beside this console's own fixed [`Permission`]s, and roles (the built-ins and custom ones)
//! as named sets of both.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::{BuiltInRole, Permission};

/// The longest app permission or role key accepted, in bytes.
pub const MAX_NAME_LEN: usize = 64;

/// The longest role display name accepted, in characters.
pub const MAX_ROLE_NAME_CHARS: usize = 80;

/// The longest description of a permission, in characters.
pub const MAX_PERMISSION_DESCRIPTION_CHARS: usize = 200;

/// A permission the app relying on this product defines, such as `runbooks.execute`.
///
/// Two or more lowercase words joined by dots. The dot keeps the two catalogs apart: this
/// console's own permissions (`read_groups`, …) have none.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AppPermission(String);

/// A permission of either catalog, as grants, roles and access checks name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PermissionName {
    /// One of this console's own permissions.
    Console(Permission),
    /// One the relying app defined.
    App(AppPermission),
}

/// The key of a role, as grants store it: a built-in's (`viewer`, `editor`, `admin`) or a
/// custom role's, chosen when it is made (`runbook_operator`) and never changed (its display
/// name can be).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoleKey(String);

/// Why a name of the catalog is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogNameError {
    /// Not a permission of either catalog's form.
    #[error(
        "a permission is one of this app's own (such as read_groups) or the relying app's: lowercase words joined by dots, such as runbooks.execute, at most 64 characters"
    )]
    Permission,
    /// Not a role key's form.
    #[error(
        "a role key is a lowercase word of letters, digits and underscores that starts with a letter, at most 64 characters, such as runbook_operator"
    )]
    RoleKey,
    /// A built-in role's key, or `super_admin`.
    #[error("{0} is the key of a built-in role; choose another")]
    Reserved(String),
    /// A display name that is empty, too long, or holds control characters.
    #[error("a role's name is 1 to 80 characters without line breaks or other control characters")]
    RoleName,
}

/// A lowercase word: a letter, then letters, digits and underscores.
fn is_word(text: &str) -> bool {
    text.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl AppPermission {
    /// Parses `runbooks.execute`.
    ///
    /// # Errors
    ///
    /// [`CatalogNameError::Permission`] for any other form.
    pub fn parse(text: &str) -> Result<Self, CatalogNameError> {
        let words = text.split('.').count();
        if text.len() <= MAX_NAME_LEN && words >= 2 && text.split('.').all(is_word) {
            Ok(Self(text.to_owned()))
        } else {
            Err(CatalogNameError::Permission)
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PermissionName {
    /// Parses a permission of either catalog (whether the relying app registered it is the
    /// catalog's question: [`Catalog::knows`]).
    ///
    /// # Errors
    ///
    /// [`CatalogNameError::Permission`].
    pub fn parse(text: &str) -> Result<Self, CatalogNameError> {
        match Permission::ALL.into_iter().find(|p| p.as_str() == text) {
            Some(console) => Ok(Self::Console(console)),
            None => AppPermission::parse(text).map(Self::App),
        }
    }

    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Console(permission) => permission.as_str(),
            Self::App(permission) => permission.as_str(),
        }
    }
}

impl RoleKey {
    /// Parses a role key, built-in or custom.
    ///
    /// # Errors
    ///
    /// [`CatalogNameError::RoleKey`].
    pub fn parse(text: &str) -> Result<Self, CatalogNameError> {
        if text.len() <= MAX_NAME_LEN && is_word(text) {
            Ok(Self(text.to_owned()))
        } else {
            Err(CatalogNameError::RoleKey)
        }
    }

    /// Parses the key of a new custom role: a role key that no built-in role has.
    ///
    /// # Errors
    ///
    /// [`CatalogNameError::RoleKey`], or [`CatalogNameError::Reserved`].
    pub fn parse_custom(text: &str) -> Result<Self, CatalogNameError> {
        let key = Self::parse(text)?;
        if key.built_in().is_some() || text == "super_admin" || text == "superadmin" {
            return Err(CatalogNameError::Reserved(text.to_owned()));
        }
        Ok(key)
    }

    /// A built-in role's key.
    pub fn of(role: BuiltInRole) -> Self {
        Self(role.as_str().to_owned())
    }

    /// The built-in role of this key, if it is one.
    pub fn built_in(&self) -> Option<BuiltInRole> {
        BuiltInRole::parse(&self.0)
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a role's display name and returns it trimmed.
///
/// # Errors
///
/// [`CatalogNameError::RoleName`].
pub fn role_display_name(text: &str) -> Result<String, CatalogNameError> {
    let name = text.trim();
    let chars = name.chars().count();
    if (1..=MAX_ROLE_NAME_CHARS).contains(&chars) && !name.chars().any(char::is_control) {
        Ok(name.to_owned())
    } else {
        Err(CatalogNameError::RoleName)
    }
}

/// A role: a named set of permissions that groups can be granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDefinition {
    /// The key grants store.
    pub key: RoleKey,
    /// The name shown to people.
    pub name: String,
    /// What the role allows.
    pub permissions: BTreeSet<PermissionName>,
}

impl RoleDefinition {
    /// The definition of a built-in role (its console permissions; it cannot be changed).
    pub fn built_in(role: BuiltInRole) -> Self {
        Self {
            key: RoleKey::of(role),
            name: role.display_name().to_owned(),
            permissions: role.permissions().into_iter().map(PermissionName::Console).collect(),
        }
    }

    /// Whether this is one of the built-in roles.
    pub fn is_built_in(&self) -> bool {
        self.key.built_in().is_some()
    }
}

/// Everything a role can be made of and every role: the built-ins, the relying app's
/// registered permissions, and the custom roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    app_permissions: BTreeSet<AppPermission>,
    roles: BTreeMap<RoleKey, RoleDefinition>,
}

impl Catalog {
    /// The built-in roles, `app_permissions`, and the `custom` roles (a custom role that reuses
    /// a built-in key is ignored: the built-ins cannot be changed).
    pub fn new(
        app_permissions: impl IntoIterator<Item = AppPermission>,
        custom: impl IntoIterator<Item = RoleDefinition>,
    ) -> Self {
        let mut roles: BTreeMap<RoleKey, RoleDefinition> = custom
            .into_iter()
            .filter(|role| !role.is_built_in())
            .map(|role| (role.key.clone(), role))
            .collect();
        for built_in in BuiltInRole::ALL {
            roles.insert(RoleKey::of(built_in), RoleDefinition::built_in(built_in));
        }
        Self { app_permissions: app_permissions.into_iter().collect(), roles }
    }

    /// A role by its key.
    pub fn role(&self, key: &RoleKey) -> Option<&RoleDefinition> {
        self.roles.get(key)
    }

    /// Every role, by key.
    pub fn roles(&self) -> impl Iterator<Item = &RoleDefinition> {
        self.roles.values()
    }

    /// Whether `permission` exists: always for this console's own, once registered for the
    /// relying app's.
    pub fn knows(&self, permission: &PermissionName) -> bool {
        match permission {
            PermissionName::Console(_) => true,
            PermissionName::App(app) => self.app_permissions.contains(app),
        }
    }

    /// The keys of the roles that hold `permission` (removing it is refused while any does).
    pub fn roles_using(&self, permission: &PermissionName) -> Vec<&RoleKey> {
        self.roles
            .values()
            .filter(|role| role.permissions.contains(permission))
            .map(|role| &role.key)
            .collect()
    }
}

macro_rules! text_on_the_wire {
    ($type:ty) => {
        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

text_on_the_wire!(AppPermission);
text_on_the_wire!(PermissionName);
text_on_the_wire!(RoleKey);

/// The JSON Schemas of the names above, which travel as text: each says exactly what its
/// `parse` accepts (the `schema` tests check the patterns against `parse`).
#[cfg(feature = "schema")]
mod schema {
    use std::borrow::Cow;

    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

    use super::{AppPermission, MAX_NAME_LEN, PermissionName, RoleKey};
    use crate::domain::Permission;

    /// A lowercase word, as `is_word` checks it.
    const WORD: &str = "[a-z][a-z0-9_]*";

    impl JsonSchema for AppPermission {
        fn schema_name() -> Cow<'static, str> {
            "AppPermission".into()
        }

        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "type": "string",
                "description": "A permission the app relying on this product defines, such as \
                    `runbooks.execute`: two or more lowercase words (a letter, then letters, \
                    digits and underscores) joined by dots, at most 64 characters.",
                "pattern": format!("^{WORD}(\\.{WORD})+$"),
                "maxLength": MAX_NAME_LEN,
                "examples": ["runbooks.execute"],
            })
        }
    }

    impl JsonSchema for PermissionName {
        fn schema_name() -> Cow<'static, str> {
            "PermissionName".into()
        }

        fn json_schema(generator: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "description": "A permission of either catalog: one of this console's own \
                    (`read_groups`, …) or one the relying app defined (`runbooks.execute`).",
                "anyOf": [
                    generator.subschema_for::<Permission>(),
                    generator.subschema_for::<AppPermission>(),
                ],
            })
        }
    }

    impl JsonSchema for RoleKey {
        fn schema_name() -> Cow<'static, str> {
            "RoleKey".into()
        }

        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "type": "string",
                "description": "The key of a role, as grants store it: a built-in's (`viewer`, \
                    `editor`, `admin`) or a custom role's (`runbook_operator`). A lowercase word: \
                    a letter, then letters, digits and underscores, at most 64 characters.",
                "pattern": format!("^{WORD}$"),
                "maxLength": MAX_NAME_LEN,
                "examples": ["runbook_operator"],
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(text: &str) -> AppPermission {
        AppPermission::parse(text).expect("an app permission")
    }

    #[test]
    fn app_permissions_are_dotted_lowercase_words_and_never_a_console_permission() {
        for good in ["runbooks.execute", "a.b", "runbooks.v2.read_all", "x1.y_2"] {
            assert!(AppPermission::parse(good).is_ok(), "{good}");
        }
        let too_long = format!("a.{}", "b".repeat(MAX_NAME_LEN - 1));
        for bad in [
            "runbooks",
            "read_groups",
            "Runbooks.execute",
            "runbooks..execute",
            ".runbooks",
            "runbooks.",
            "runbooks.1execute",
            "runbooks.exe cute",
            "runbooks:execute",
            "",
            too_long.as_str(),
        ] {
            assert_eq!(AppPermission::parse(bad), Err(CatalogNameError::Permission), "{bad}");
        }
        for console in Permission::ALL {
            assert_eq!(
                PermissionName::parse(console.as_str()),
                Ok(PermissionName::Console(console))
            );
        }
        assert_eq!(
            PermissionName::parse("runbooks.execute"),
            Ok(PermissionName::App(app("runbooks.execute")))
        );
    }

    #[test]
    fn custom_role_keys_are_words_that_no_built_in_role_has() {
        assert!(RoleKey::parse_custom("runbook_operator").is_ok());
        for built_in in ["viewer", "editor", "admin", "super_admin"] {
            assert_eq!(
                RoleKey::parse_custom(built_in),
                Err(CatalogNameError::Reserved(built_in.to_owned()))
            );
        }
        for bad in ["Runbook", "1role", "role-x", "", "a.b"] {
            assert_eq!(RoleKey::parse_custom(bad), Err(CatalogNameError::RoleKey), "{bad}");
        }
        assert_eq!(RoleKey::parse("viewer").map(|k| k.built_in()), Ok(Some(BuiltInRole::Viewer)));
    }

    #[test]
    fn role_names_are_trimmed_and_refused_when_empty_long_or_with_control_characters() {
        assert_eq!(role_display_name("  Runbook operator "), Ok("Runbook operator".to_owned()));
        assert_eq!(role_display_name(&"é".repeat(MAX_ROLE_NAME_CHARS)).map(|n| n.len()), Ok(160));
        for bad in ["", "   ", "two\nlines", "tab\there"] {
            assert_eq!(role_display_name(bad), Err(CatalogNameError::RoleName), "{bad:?}");
        }
        let long = "x".repeat(MAX_ROLE_NAME_CHARS + 1);
        assert_eq!(role_display_name(&long), Err(CatalogNameError::RoleName));
    }

    #[test]
    fn the_catalog_keeps_the_built_ins_unchangeable_and_says_which_roles_use_a_permission() {
        let execute = PermissionName::App(app("runbooks.execute"));
        let operator = RoleDefinition {
            key: RoleKey::parse_custom("runbook_operator").expect("a key"),
            name: "Runbook operator".to_owned(),
            permissions: [execute.clone()].into(),
        };
        let hijack = RoleDefinition {
            key: RoleKey::of(BuiltInRole::Viewer),
            name: "Viewer".to_owned(),
            permissions: [PermissionName::Console(Permission::ManageSettings)].into(),
        };
        let catalog = Catalog::new([app("runbooks.execute")], [operator.clone(), hijack]);
        let viewer = catalog.role(&RoleKey::of(BuiltInRole::Viewer)).expect("the viewer");
        assert_eq!(viewer, &RoleDefinition::built_in(BuiltInRole::Viewer));
        assert!(viewer.is_built_in() && !operator.is_built_in());
        assert_eq!(catalog.roles().count(), 4);
        assert!(catalog.knows(&execute));
        assert!(!catalog.knows(&PermissionName::App(app("runbooks.delete"))));
        assert!(catalog.knows(&PermissionName::Console(Permission::RunSync)));
        assert_eq!(catalog.roles_using(&execute), [&operator.key]);
        let read_groups = PermissionName::Console(Permission::ReadGroups);
        assert_eq!(catalog.roles_using(&read_groups).len(), 3);
    }

    #[test]
    fn names_travel_as_their_text_and_bad_text_is_refused() {
        let name: PermissionName = serde_json::from_str("\"runbooks.execute\"").expect("parses");
        assert_eq!(serde_json::to_string(&name).expect("writes"), "\"runbooks.execute\"");
        assert!(serde_json::from_str::<PermissionName>("\"runbooks\"").is_err());
        assert!(serde_json::from_str::<RoleKey>("\"Not a key\"").is_err());
    }
}
