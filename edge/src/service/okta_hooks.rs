//! Okta Event Hooks in: the rules for the hook's secret and for what Okta delivers.
//!
//! Okta authenticates a delivery with one static header whose value we chose (no signature:
//! `CONTRACT.md` §7), so the secret is long and random, kept only as an HMAC under the API-key
//! pepper, and compared in constant time. A delivery's body is hostile until parsed: it is
//! capped, read into the few fields this app needs, and an event is only a hint that something
//! changed; the run it starts reads the truth from Okta.

use std::collections::BTreeSet;

use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The header Okta sends the secret in (its `authScheme.key`).
pub const SECRET_HEADER: &str = "Authorization";
/// The header of Okta's one-time verification call.
pub const CHALLENGE_HEADER: &str = "x-okta-verification-challenge";
/// The largest delivery read (Okta batches events; a batch of System Log events stays far below).
pub const MAX_DELIVERY_BYTES: usize = 1024 * 1024;
/// The prefix of every secret, so that scanners and people recognize one.
const PREFIX: &str = "gsh_";

/// The event types to subscribe the hook to: the changes of group membership, of the app's
/// group assignments, of groups and of user status that change someone's roles here.
pub const EVENT_TYPES: [&str; 10] = [
    "group.user_membership.add",
    "group.user_membership.remove",
    "group.application_assignment.add",
    "group.application_assignment.remove",
    "group.lifecycle.delete",
    "group.profile.update",
    "user.lifecycle.activate",
    "user.lifecycle.deactivate",
    "user.lifecycle.suspend",
    "user.lifecycle.unsuspend",
];

/// Draws a new secret.
///
/// # Errors
///
/// When the system has no randomness to give.
pub fn issue_secret() -> Result<String, getrandom::Error> {
    let mut secret = [0_u8; 32];
    getrandom::fill(&mut secret)?;
    Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(secret)))
}

/// The stored form of a secret: hex HMAC-SHA256 under `pepper`.
pub fn secret_hash(pepper: &[u8], secret: &str) -> String {
    mac(pepper, secret).finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `presented` is the secret whose hash is `stored`, compared in constant time (the
/// HMAC's own verification), so that the time taken tells nothing about how much matched.
pub fn secret_matches(pepper: &[u8], presented: &str, stored: &str) -> bool {
    let Some(expected) = hex_bytes(stored) else {
        return false;
    };
    mac(pepper, presented).verify_slice(&expected).is_ok()
}

fn mac(pepper: &[u8], secret: &str) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(pepper).expect("HMAC takes keys of any length");
    mac.update(secret.as_bytes());
    mac
}

fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    if hex.len() != 64 {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

/// A verification challenge that may be echoed: what Okta sends is a token of up to a few dozen
/// URL-safe characters; anything else is refused rather than reflected.
pub fn echoable_challenge(challenge: &str) -> Option<&str> {
    let ok = !challenge.is_empty()
        && challenge.len() <= 256
        && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~+/=".contains(&b));
    ok.then_some(challenge)
}

/// A delivery, read: its id and the events it carries that this app acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Okta's `eventId`: the same for a retry or a duplicate of this delivery.
    pub event_id: String,
    /// The events in the delivery.
    pub events: u32,
    /// Of them, the events of a type this app acts on.
    pub relevant: u32,
    /// What those events name, for the run to read again.
    pub hints: Vec<Hint>,
}

/// A group or user that an event names: the next run reads it again from Okta (hints only
/// choose what to read; what is read decides).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Hint {
    /// A group whose members (or assignment, or name) changed.
    Group(String),
    /// A user whose status changed.
    User(String),
}

/// Why a delivery was refused (nothing of it is acted on).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The body is not JSON of Okta's event hook shape.
    #[error("the body is not an Okta event hook delivery: {0}")]
    Shape(String),
    /// A field is missing or out of bounds.
    #[error("the delivery's {0}")]
    Field(&'static str),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    event_type: String,
    event_id: String,
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    events: Vec<Event>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    event_type: String,
    #[serde(default)]
    target: Vec<Target>,
}

#[derive(Deserialize)]
struct Target {
    #[serde(default)]
    id: String,
    #[serde(default, rename = "type")]
    kind: String,
}

impl Event {
    /// The groups and users this event names that a run should read again: a group event's
    /// `UserGroup` targets, a user lifecycle event's `User` targets. An id not of Okta's shape
    /// (20 letters and digits) is hostile and dropped.
    fn hints(&self) -> impl Iterator<Item = Hint> + '_ {
        let wanted = if self.event_type.starts_with("group.") {
            "UserGroup"
        } else if self.event_type.starts_with("user.lifecycle.") {
            "User"
        } else {
            ""
        };
        self.target.iter().filter(move |t| t.kind == wanted && is_okta_id(&t.id)).map(move |t| {
            if wanted == "User" { Hint::User(t.id.clone()) } else { Hint::Group(t.id.clone()) }
        })
    }
}

fn is_okta_id(id: &str) -> bool {
    id.len() == 20 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The events a delivery may carry: Okta batches a few dozen at most.
const MAX_EVENTS: usize = 1_000;

/// Reads a delivery's body.
///
/// # Errors
///
/// When the body is not JSON of Okta's shape (`eventType` `com.okta.event_hook`, an `eventId`,
/// `data.events[].eventType`), or its id or event count are out of bounds.
pub fn parse_delivery(body: &[u8]) -> Result<Delivery, DeliveryError> {
    let body: Body =
        serde_json::from_slice(body).map_err(|e| DeliveryError::Shape(e.to_string()))?;
    if body.event_type != "com.okta.event_hook" {
        return Err(DeliveryError::Field("eventType is not com.okta.event_hook"));
    }
    let id_ok = !body.event_id.is_empty()
        && body.event_id.len() <= 128
        && body.event_id.bytes().all(|b| b.is_ascii_graphic());
    if !id_ok {
        return Err(DeliveryError::Field("eventId is empty, too long or not printable"));
    }
    if body.data.events.len() > MAX_EVENTS {
        return Err(DeliveryError::Field("data.events holds too many events"));
    }
    let relevant: Vec<&Event> =
        body.data.events.iter().filter(|e| EVENT_TYPES.contains(&e.event_type.as_str())).collect();
    let hints: BTreeSet<Hint> = relevant.iter().flat_map(|e| e.hints()).collect();
    Ok(Delivery {
        event_id: body.event_id,
        events: count(body.data.events.len()),
        relevant: count(relevant.len()),
        hints: hints.into_iter().collect(),
    })
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEPPER: [u8; 32] = [7; 32];

    #[test]
    fn a_secret_matches_only_itself_and_is_not_kept_in_its_hash() {
        let secret = issue_secret().unwrap();
        assert!(secret.starts_with(PREFIX) && secret.len() > 40, "{secret}");
        assert_ne!(secret, issue_secret().unwrap());
        let stored = secret_hash(&PEPPER, &secret);
        assert!(!stored.contains(&secret[PREFIX.len()..]));
        assert!(secret_matches(&PEPPER, &secret, &stored));
        for wrong in ["", "gsh_", &secret[..secret.len() - 1], &format!("{secret}x")] {
            assert!(!secret_matches(&PEPPER, wrong, &stored), "{wrong}");
        }
        assert!(!secret_matches(&[8; 32], &secret, &stored), "another pepper");
        assert!(!secret_matches(&PEPPER, &secret, "not hex"), "a broken stored hash");
    }

    #[test]
    fn only_a_token_like_challenge_is_echoed() {
        assert_eq!(echoable_challenge("X1-b_c.d~"), Some("X1-b_c.d~"));
        for hostile in ["", "<script>", "a b", "\"}", &"a".repeat(257)] {
            assert_eq!(echoable_challenge(hostile), None, "{hostile}");
        }
    }

    const GROUP: &str = "00g1emaKYZTWRYYRRTSK";
    const USER: &str = "00u1emaKYZTWRYYRRTSK";

    fn delivery(event_id: &str, types: &[&str]) -> Vec<u8> {
        let targets = serde_json::json!([
            { "id": USER, "type": "User", "alternateId": "a@example.com" },
            { "id": GROUP, "type": "UserGroup" },
            { "id": "0oa1emaKYZTWRYYRRTSK", "type": "AppInstance" },
            { "id": "<script>", "type": "UserGroup" }
        ]);
        let events: Vec<_> = types
            .iter()
            .map(|t| serde_json::json!({ "uuid": "u1", "eventType": t, "target": targets }))
            .collect();
        serde_json::json!({
            "eventType": "com.okta.event_hook",
            "eventTypeVersion": "1.0",
            "eventId": event_id,
            "data": { "events": events },
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn a_delivery_counts_the_events_this_app_acts_on() {
        let body = delivery(
            "85b60edb-1",
            &["group.user_membership.remove", "user.session.start", "user.lifecycle.suspend"],
        );
        let read = parse_delivery(&body).unwrap();
        let hints = vec![Hint::Group(GROUP.into()), Hint::User(USER.into())];
        assert_eq!(read, Delivery { event_id: "85b60edb-1".into(), events: 3, relevant: 2, hints });
    }

    #[test]
    fn a_group_event_names_its_groups_and_a_lifecycle_event_its_users_once_each() {
        let groups = parse_delivery(&delivery("1", &["group.user_membership.add"; 3])).unwrap();
        assert_eq!(groups.hints, [Hint::Group(GROUP.into())]);
        let users = parse_delivery(&delivery("2", &["user.lifecycle.suspend"])).unwrap();
        assert_eq!(users.hints, [Hint::User(USER.into())]);
        let ignored = parse_delivery(&delivery("3", &["user.session.start"])).unwrap();
        assert_eq!((ignored.relevant, ignored.hints.len()), (0, 0));
    }

    #[test]
    fn a_body_of_another_shape_is_refused() {
        let not_hook = br#"{"eventType":"other","eventId":"1","data":{"events":[]}}"#;
        let no_id = br#"{"eventType":"com.okta.event_hook","data":{"events":[]}}"#;
        let long_id = delivery(&"a".repeat(129), &[]);
        let spaced_id = delivery("a b", &[]);
        for body in [&b"not json"[..], b"[]", not_hook, no_id, &long_id, &spaced_id] {
            assert!(parse_delivery(body).is_err(), "{}", String::from_utf8_lossy(body));
        }
        let too_many = delivery("1", &vec!["group.user_membership.add"; MAX_EVENTS + 1]);
        assert_eq!(
            parse_delivery(&too_many),
            Err(DeliveryError::Field("data.events holds too many events"))
        );
    }
}
