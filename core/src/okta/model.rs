//! What the client reads from Okta: lenient models of apps, group assignments, groups and users.
//!
//! Okta adds properties at any time and may omit null ones, so unknown fields are ignored and
//! everything but `id` is optional.

use serde::{Deserialize, Serialize};

/// An Okta application (`GET /api/v1/apps/{appId}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OktaApp {
    /// The app id (`0oa…`).
    pub id: String,
    /// The name shown in Okta's Admin Console.
    pub label: Option<String>,
    /// How people sign in to it; this product needs `SAML_2_0`.
    #[serde(rename = "signOnMode")]
    pub sign_on_mode: Option<String>,
    /// `ACTIVE`, `INACTIVE` or `DELETED`.
    pub status: Option<String>,
}

impl OktaApp {
    /// Whether people sign in to this app with SAML 2.0.
    pub fn is_saml2(&self) -> bool {
        self.sign_on_mode.as_deref() == Some("SAML_2_0")
    }

    /// Whether the app is active.
    pub fn is_active(&self) -> bool {
        self.status.as_deref() == Some("ACTIVE")
    }
}

/// A group's assignment to an app (`GET /api/v1/apps/{appId}/groups?expand=group`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OktaGroupAssignment {
    /// The id of the assigned group.
    pub id: String,
    /// When the assignment last changed.
    #[serde(rename = "lastUpdated")]
    pub last_updated: Option<String>,
    #[serde(rename = "_embedded")]
    embedded: Option<EmbeddedGroup>,
}

impl OktaGroupAssignment {
    /// The group itself, embedded by `expand=group`.
    pub fn group(&self) -> Option<&OktaGroup> {
        self.embedded.as_ref().and_then(|e| e.group.as_ref())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct EmbeddedGroup {
    group: Option<OktaGroup>,
}

/// An Okta group.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OktaGroup {
    /// The group id (`00g…`).
    pub id: String,
    /// `OKTA_GROUP`, `APP_GROUP` or `BUILT_IN` (others may appear).
    #[serde(rename = "type")]
    pub group_type: Option<String>,
    /// Name and description.
    #[serde(default)]
    pub profile: OktaGroupProfile,
    /// When the group's profile last changed.
    #[serde(rename = "lastUpdated")]
    pub last_updated: Option<String>,
    /// When the group's membership last changed: unchanged means the stored members are current.
    #[serde(rename = "lastMembershipUpdated")]
    pub last_membership_updated: Option<String>,
}

/// A group's profile. Both fields are text from Okta admins: render them as text only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct OktaGroupProfile {
    /// The group's name.
    pub name: Option<String>,
    /// The group's description.
    pub description: Option<String>,
}

/// An Okta user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OktaUser {
    /// The user id (`00u…`).
    pub id: String,
    /// The lifecycle status; only `ACTIVE` users get roles.
    #[serde(default)]
    pub status: OktaUserStatus,
    /// Login, email and names.
    #[serde(default)]
    pub profile: OktaUserProfile,
}

/// The parts of a user's profile the product uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct OktaUserProfile {
    /// The unique username.
    pub login: Option<String>,
    /// The primary email.
    pub email: Option<String>,
    /// Given name.
    #[serde(rename = "firstName")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(rename = "lastName")]
    pub last_name: Option<String>,
}

/// An Okta user's lifecycle status. The API writes it in Okta's spelling; a status Okta adds
/// later reads (and is written) as `UNKNOWN`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OktaUserStatus {
    /// Signed up and able to sign in.
    Active,
    /// Deactivated.
    Deprovisioned,
    /// Locked out after failed sign-ins.
    LockedOut,
    /// Must change their password.
    PasswordExpired,
    /// Activated by an admin, not yet signed in.
    Provisioned,
    /// Recovering their password.
    Recovery,
    /// Created, not activated.
    Staged,
    /// Suspended by an admin.
    Suspended,
    /// A status this version does not know (Okta may add some), or none given.
    #[default]
    #[serde(other)]
    Unknown,
}

impl OktaUserStatus {
    /// Every status, in Okta's order of the lifecycle, `Unknown` last.
    pub const ALL: [Self; 9] = [
        Self::Staged,
        Self::Provisioned,
        Self::Active,
        Self::Recovery,
        Self::PasswordExpired,
        Self::LockedOut,
        Self::Suspended,
        Self::Deprovisioned,
        Self::Unknown,
    ];

    /// Okta's spelling (`ACTIVE`, `LOCKED_OUT`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Deprovisioned => "DEPROVISIONED",
            Self::LockedOut => "LOCKED_OUT",
            Self::PasswordExpired => "PASSWORD_EXPIRED",
            Self::Provisioned => "PROVISIONED",
            Self::Recovery => "RECOVERY",
            Self::Staged => "STAGED",
            Self::Suspended => "SUSPENDED",
            Self::Unknown => "UNKNOWN",
        }
    }

    /// Reads Okta's spelling; anything else is `Unknown`.
    pub fn parse(text: &str) -> Self {
        Self::ALL.into_iter().find(|s| s.as_str() == text).unwrap_or(Self::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_written_in_oktas_spelling_and_read_back() {
        for status in OktaUserStatus::ALL {
            let written = serde_json::to_value(status).expect("a status serializes");
            assert_eq!(written, status.as_str());
            assert_eq!(serde_json::from_value::<OktaUserStatus>(written).ok(), Some(status));
            assert_eq!(OktaUserStatus::parse(status.as_str()), status);
        }
        // A status Okta adds later reads as Unknown, on the wire as from Okta.
        let newer = serde_json::from_str::<OktaUserStatus>(r#""ON_HOLIDAY""#).ok();
        assert_eq!(newer, Some(OktaUserStatus::Unknown));
    }

    #[test]
    fn assignment_with_embedded_group_reads_leniently() {
        let json = r#"{"id":"00g1","lastUpdated":"2024-01-01T00:00:00.000Z","priority":0,"profile":{},
            "_links":{},"unknownField":1,
            "_embedded":{"group":{"id":"00g1","type":"OKTA_GROUP","objectClass":["okta:user_group"],
              "profile":{"name":"<b>Eng</b>","description":null},
              "lastMembershipUpdated":"2024-02-02T00:00:00.000Z"}}}"#;
        let assignment: OktaGroupAssignment = serde_json::from_str(json).unwrap();
        let group = assignment.group().unwrap();
        assert_eq!(group.profile.name.as_deref(), Some("<b>Eng</b>"));
        assert_eq!(group.profile.description, None);
        assert_eq!(group.last_membership_updated.as_deref(), Some("2024-02-02T00:00:00.000Z"));
    }

    #[test]
    fn unknown_or_missing_user_status_is_unknown() {
        let user: OktaUser =
            serde_json::from_str(r#"{"id":"00u1","status":"ACTIVATING"}"#).unwrap();
        assert_eq!(user.status, OktaUserStatus::Unknown);
        let user: OktaUser = serde_json::from_str(r#"{"id":"00u1"}"#).unwrap();
        assert_eq!(user.status, OktaUserStatus::Unknown);
        let user: OktaUser =
            serde_json::from_str(r#"{"id":"00u1","status":"LOCKED_OUT"}"#).unwrap();
        assert_eq!(user.status, OktaUserStatus::LockedOut);
    }

    #[test]
    fn statuses_round_trip_through_their_spelling() {
        for status in OktaUserStatus::ALL {
            assert_eq!(OktaUserStatus::parse(status.as_str()), status);
            let json = serde_json::to_string(status.as_str()).unwrap();
            if status != OktaUserStatus::Unknown {
                assert_eq!(serde_json::from_str::<OktaUserStatus>(&json).unwrap(), status);
            }
        }
        assert_eq!(OktaUserStatus::parse("active"), OktaUserStatus::Unknown);
    }

    #[test]
    fn app_checks_read_sign_on_mode_and_status() {
        let app: OktaApp =
            serde_json::from_str(r#"{"id":"0oa1","signOnMode":"SAML_2_0","status":"ACTIVE"}"#)
                .unwrap();
        assert!(app.is_saml2() && app.is_active());
        let app: OktaApp =
            serde_json::from_str(r#"{"id":"0oa1","signOnMode":"OPENID_CONNECT"}"#).unwrap();
        assert!(!app.is_saml2() && !app.is_active());
    }
}
