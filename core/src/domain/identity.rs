//! Which synced Okta user a signed-in person is: bound once, by an immutable id.
//!
//! An email is not an identity: Okta lets two users share one, and an email can move from one
//! user to another. So a person (the Access `sub`, which never changes for a sign-in identity)
//! is bound to the Okta user id that matched their email the first time there was exactly one
//! match, and from then on their roles follow that Okta user, whatever the emails do. A match
//! that is not clear grants nothing, and says why.

/// A synced Okta user who has the email a person signed in with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailMatch {
    /// The Okta user id.
    pub okta_user_id: String,
    /// The sign-in identity (Access `sub`) bound to that Okta user, if any.
    pub bound_to: Option<String>,
}

/// How a signed-in person resolves to an Okta user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityMatch {
    /// Bound earlier: their roles follow this Okta user.
    Bound(String),
    /// Exactly one Okta user has the email and nobody else is bound to them: bind now.
    NewBinding(String),
    /// No synced Okta user has the email.
    NoOktaUser,
    /// Several synced Okta users have the email: nobody gets roles through it.
    Ambiguous(usize),
    /// The Okta user with the email is bound to another sign-in identity.
    BoundToAnother,
}

impl IdentityMatch {
    /// The Okta user whose groups decide the person's roles, if any.
    pub fn okta_user_id(&self) -> Option<&str> {
        match self {
            Self::Bound(id) | Self::NewBinding(id) => Some(id),
            Self::NoOktaUser | Self::Ambiguous(_) | Self::BoundToAnother => None,
        }
    }

    /// Why the person's email gives them no Okta user's roles, for people; `None` when it
    /// does, or when there is simply no such Okta user (the usual access notes say that).
    pub fn note(&self, email: &str) -> Option<String> {
        match self {
            Self::Ambiguous(n) => Some(format!(
                "{n} Okta users have the email {email}, so it is not clear which one this is and \
                 none of their groups grants a role. Give each Okta user their own email."
            )),
            Self::BoundToAnother => Some(format!(
                "The Okta user with the email {email} belongs to another sign-in, so their \
                 groups grant this one no role. If the email moved to another person in Okta, \
                 sync again; otherwise ask a superAdmin."
            )),
            Self::Bound(_) | Self::NewBinding(_) | Self::NoOktaUser => None,
        }
    }
}

/// Resolves `subject` (already bound to `binding`, if it is) among the synced Okta users who
/// have its email.
pub fn resolve_identity(
    subject: &str,
    binding: Option<&str>,
    matches: &[EmailMatch],
) -> IdentityMatch {
    if let Some(id) = binding {
        return IdentityMatch::Bound(id.to_owned());
    }
    match matches {
        [] => IdentityMatch::NoOktaUser,
        [only] => match &only.bound_to {
            Some(other) if other != subject => IdentityMatch::BoundToAnother,
            _ => IdentityMatch::NewBinding(only.okta_user_id.clone()),
        },
        several => IdentityMatch::Ambiguous(several.len()),
    }
}

/// Resolves an email alone (an admin asking about someone): its one Okta user, if exactly one
/// synced user has it.
pub fn resolve_email(matches: &[EmailMatch]) -> IdentityMatch {
    match matches {
        [] => IdentityMatch::NoOktaUser,
        [only] => IdentityMatch::Bound(only.okta_user_id.clone()),
        several => IdentityMatch::Ambiguous(several.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, bound_to: Option<&str>) -> EmailMatch {
        EmailMatch { okta_user_id: id.into(), bound_to: bound_to.map(str::to_owned) }
    }

    #[test]
    fn a_first_clear_match_binds_and_a_binding_outlives_email_changes() {
        let first = resolve_identity("sub-ann", None, &[user("00u1", None)]);
        assert_eq!(first, IdentityMatch::NewBinding("00u1".into()));
        // Later the email belongs to someone else, or to several users: the binding decides.
        let later = resolve_identity("sub-ann", Some("00u1"), &[user("00u2", None)]);
        assert_eq!(later.okta_user_id(), Some("00u1"));
        let shared = resolve_identity(
            "sub-ann",
            Some("00u1"),
            &[user("00u1", Some("sub-ann")), user("00u2", None)],
        );
        assert_eq!(shared.okta_user_id(), Some("00u1"));
    }

    #[test]
    fn a_shared_email_grants_nothing_and_says_why() {
        let matched = resolve_identity("sub-x", None, &[user("00u1", None), user("00u2", None)]);
        assert_eq!(matched, IdentityMatch::Ambiguous(2));
        assert_eq!(matched.okta_user_id(), None);
        assert!(matched.note("a@example.com").unwrap().contains("2 Okta users have the email"));
        assert_eq!(resolve_email(&[user("00u1", None), user("00u2", None)]).okta_user_id(), None);
    }

    #[test]
    fn nobody_borrows_an_okta_user_bound_to_another_sign_in() {
        let borrowed = resolve_identity("sub-mallory", None, &[user("00u1", Some("sub-ann"))]);
        assert_eq!(borrowed, IdentityMatch::BoundToAnother);
        assert_eq!(borrowed.okta_user_id(), None);
        assert!(borrowed.note("a@example.com").is_some());
        // The owner of the binding is not refused by their own binding.
        let own = resolve_identity("sub-ann", None, &[user("00u1", Some("sub-ann"))]);
        assert_eq!(own.okta_user_id(), Some("00u1"));
    }

    #[test]
    fn no_okta_user_means_no_roles_without_a_special_note() {
        let none = resolve_identity("sub", None, &[]);
        assert_eq!((none.okta_user_id(), none.note("a@example.com")), (None, None));
        assert_eq!(resolve_email(&[user("00u9", Some("s"))]).okta_user_id(), Some("00u9"));
    }
}
