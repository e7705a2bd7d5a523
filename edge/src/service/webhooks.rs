//! Signed webhooks out (issue #15): the rules for endpoint secrets, signatures and retries, and
//! how a commit's change of someone's groups or status reads as a change of their roles.
//!
//! Signatures follow the Standard Webhooks specification: the secret is `whsec_` and a random
//! key in base64; each attempt is signed as `v1,` base64(HMAC-SHA256(key, `id.timestamp.body`)),
//! sent with the `webhook-id`, `webhook-timestamp` and `webhook-signature` headers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use groupsync_core::api::{AccessChange, AccessChangedData, WebhookEvent, WebhookEventType};
use groupsync_core::domain::{EffectiveAccess, effective_access};
use groupsync_core::okta::OktaUserStatus;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::service::person_access::group_grants;
use crate::service::ports::CustomGrantRow;

/// The prefix of a Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// Bytes of a signing key (the specification asks for 24 to 64).
const KEY_BYTES: usize = 32;
/// Attempts of one delivery before it is marked failed: the last one about 1.5 days after the
/// first (see [`retry_delay_ms`]).
pub const MAX_ATTEMPTS: u32 = 12;
/// The wait after the first failed attempt; each further failure waits four times longer.
const FIRST_RETRY_MS: u64 = 2_000;
/// The longest wait between two attempts.
const LONGEST_RETRY_MS: u64 = 6 * 60 * 60 * 1_000;
/// People named by one `access.changed` event: a commit that changes 100,000 people's roles
/// sends 1,000 events, not 100,000.
pub const PEOPLE_PER_EVENT: usize = 100;
/// The longest description an endpoint may have.
pub const MAX_DESCRIPTION_CHARS: usize = 200;
/// The most endpoints a deployment may register (each commit stages a delivery per endpoint).
pub const MAX_ENDPOINTS: u64 = 20;

/// Draws a new signing secret (`whsec_…`).
///
/// # Errors
///
/// When the system has no randomness to give.
pub fn issue_secret() -> Result<String, getrandom::Error> {
    let mut key = [0_u8; KEY_BYTES];
    getrandom::fill(&mut key)?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(key)))
}

/// The signing key of a secret, if it is one.
pub fn signing_key(secret: &str) -> Option<Vec<u8>> {
    STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok().filter(|key| !key.is_empty())
}

/// The `webhook-signature` header of one attempt: `v1,` and the signature of
/// `id.timestamp.body` in base64.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The wait before the next attempt after `failed` failed attempts (1 or more).
///
/// `None` when the delivery has had all its attempts. `jitter` in [0, 1) adds up to a tenth, so
/// that the deliveries of one burst do not come back together.
pub fn retry_delay_ms(failed: u32, jitter: f64) -> Option<u64> {
    if failed == 0 || failed >= MAX_ATTEMPTS {
        return None;
    }
    let base =
        FIRST_RETRY_MS.saturating_mul(4_u64.saturating_pow(failed - 1)).min(LONGEST_RETRY_MS);
    let extra = (base as f64 * jitter.clamp(0.0, 1.0) / 10.0) as u64;
    Some(base + extra)
}

/// The id of the event made by the unit of work `unit`.
///
/// A unit is a run's page of people, a job's page of members or a run's commit: the id is the
/// same each time the unit is done again after an invocation died part-way, so that the event is
/// stored, and sent, once.
pub fn event_id(unit: &[&str]) -> String {
    let digest = Sha256::digest(unit.join("\n").as_bytes());
    format!("msg_{}", digest.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>())
}

/// A new id with `prefix` (`msg_`, `we_`) and 128 random bits in hex.
///
/// # Errors
///
/// When the system has no randomness to give.
pub fn new_id(prefix: &str) -> Result<String, getrandom::Error> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{prefix}{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// The body of an `access.changed` event naming `changes`, made by run `run_id` (none: by an
/// admin's change of a group's roles) at `now`.
///
/// # Errors
///
/// None in practice: the event has only string keys.
pub fn access_changed_body(
    run_id: Option<&str>,
    changes: Vec<AccessChange>,
    now: &str,
) -> Result<String, serde_json::Error> {
    serde_json::to_string(&WebhookEvent {
        kind: WebhookEventType::AccessChanged,
        timestamp: now.to_owned(),
        data: AccessChangedData { run_id: run_id.map(str::to_owned), people: changes },
    })
}

/// What a commit changes for one person: their status and groups before and after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonChange {
    /// Their Okta user id.
    pub user_id: String,
    /// Their email, after the commit (else before it).
    pub email: Option<String>,
    /// Their status before the commit (`None`: not synced then).
    pub status_before: Option<OktaUserStatus>,
    /// Their status after it.
    pub status_after: Option<OktaUserStatus>,
    /// Each group they were or are a member of, and the roles it grants.
    pub groups: Vec<MembershipChange>,
}

/// One of a person's groups around a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipChange {
    /// The group's id.
    pub group_id: String,
    /// Its name.
    pub group_name: String,
    /// A member before the commit.
    pub before: bool,
    /// A member after it.
    pub after: bool,
    /// Whether the group is still assigned to the app after the commit.
    pub kept: bool,
    /// The built-in roles it grants.
    pub roles: Vec<String>,
    /// Its custom grants.
    pub custom: Vec<CustomGrantRow>,
    /// What it granted before, when an admin changed its roles (then `roles` and `custom` are
    /// what it grants after).
    pub grants_before: Option<GrantsBefore>,
}

/// A group's roles and custom grants before an admin changed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantsBefore {
    /// The built-in roles.
    pub roles: Vec<String>,
    /// The custom grants.
    pub custom: Vec<CustomGrantRow>,
    /// Who changed them.
    pub changed_by: String,
}

/// The person's change of roles, and why, or `None` when their roles did not change.
pub fn access_change(person: &PersonChange) -> Option<AccessChange> {
    let at = |after: bool| {
        let held =
            person.groups.iter().filter(|g| if after { g.after && g.kept } else { g.before });
        let granted = |g: &MembershipChange| match (&g.grants_before, after) {
            (Some(before), false) => (before.roles.clone(), before.custom.clone()),
            _ => (g.roles.clone(), g.custom.clone()),
        };
        let mut rows = Vec::new();
        let mut custom: Vec<CustomGrantRow> = Vec::new();
        for group in held {
            let (roles, grants) = granted(group);
            rows.push((group.group_id.clone(), group.group_name.clone(), roles));
            custom.extend(grants);
        }
        let status = if after { person.status_after } else { person.status_before };
        role_names(&effective_access(status, &group_grants(rows, &custom), false))
    };
    let (roles_before, roles_after) = (at(false), at(true));
    if roles_before == roles_after {
        return None;
    }
    Some(AccessChange {
        email: person.email.clone(),
        okta_user_id: person.user_id.clone(),
        roles_before,
        roles_after,
        why: reasons(person),
    })
}

/// The roles of an access as events name them: built-in roles (`viewer`), then custom grants
/// (`key`, or `key@scope`), sorted and unique.
pub fn role_names(access: &EffectiveAccess) -> Vec<String> {
    let mut names: Vec<String> = access.roles.iter().map(|r| r.as_str().to_owned()).collect();
    let mut custom: Vec<String> = access
        .grants
        .iter()
        .map(|g| match &g.scope {
            Some(scope) => format!("{}@{}", g.role.as_str(), scope.as_str()),
            None => g.role.as_str().to_owned(),
        })
        .collect();
    custom.sort();
    custom.dedup();
    names.extend(custom);
    names
}

/// Sentences for what changed: status, then each group that grants something.
fn reasons(person: &PersonChange) -> Vec<String> {
    let mut why = Vec::new();
    if person.status_before != person.status_after {
        let name = |s: Option<OktaUserStatus>| s.map_or("not synced", OktaUserStatus::as_str);
        why.push(format!(
            "Okta status changed from {} to {}",
            name(person.status_before),
            name(person.status_after)
        ));
    }
    for group in &person.groups {
        let named = format!("Okta group {} ({})", group.group_name, group.group_id);
        if let Some(before) = &group.grants_before {
            if group.before && group.after && group.kept {
                why.push(format!("Roles of {named} changed by {}", before.changed_by));
            }
            continue;
        }
        if group.roles.is_empty() && group.custom.is_empty() {
            continue;
        }
        match (group.before, group.after && group.kept) {
            (false, true) => why.push(format!("Added to {named}")),
            (true, false) if !group.kept => {
                why.push(format!("{named} is no longer assigned to the app"));
            }
            (true, false) => why.push(format!("Removed from {named}")),
            _ => {}
        }
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: &str, before: bool, after: bool, roles: &[&str]) -> MembershipChange {
        MembershipChange {
            group_id: id.into(),
            group_name: format!("Group {id}"),
            before,
            after,
            kept: true,
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            custom: Vec::new(),
            grants_before: None,
        }
    }

    fn person(status: OktaUserStatus, groups: Vec<MembershipChange>) -> PersonChange {
        PersonChange {
            user_id: "00u1".into(),
            email: Some("ada@example.com".into()),
            status_before: Some(status),
            status_after: Some(status),
            groups,
        }
    }

    #[test]
    fn a_signature_is_the_specification_s_example() {
        // The Standard Webhooks specification's test vector.
        let key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_are_fresh_and_read_back_as_their_key() {
        let (a, b) = (issue_secret().unwrap(), issue_secret().unwrap());
        assert_ne!(a, b);
        assert_eq!(signing_key(&a).unwrap().len(), KEY_BYTES);
        assert_eq!(signing_key("whsec_"), None);
        assert_eq!(signing_key("gsh_abc"), None);
    }

    #[test]
    fn retries_back_off_fourfold_up_to_six_hours_then_stop() {
        assert_eq!(retry_delay_ms(0, 0.0), None);
        assert_eq!(retry_delay_ms(1, 0.0), Some(2_000));
        assert_eq!(retry_delay_ms(2, 0.0), Some(8_000));
        assert_eq!(retry_delay_ms(3, 0.0), Some(32_000));
        assert_eq!(retry_delay_ms(9, 0.0), Some(LONGEST_RETRY_MS));
        assert_eq!(retry_delay_ms(MAX_ATTEMPTS, 0.0), None);
        assert_eq!(retry_delay_ms(1, 0.99), Some(2_198));
        let total: u64 = (1..MAX_ATTEMPTS).filter_map(|n| retry_delay_ms(n, 0.0)).sum();
        assert!(total > 24 * 3_600_000 && total < 48 * 3_600_000, "{total}");
    }

    #[test]
    fn leaving_a_group_with_a_role_is_a_change_with_its_reason() {
        let change = access_change(&person(
            OktaUserStatus::Active,
            vec![group("00g1", true, false, &["editor"]), group("00g2", true, true, &["viewer"])],
        ))
        .unwrap();
        assert_eq!(change.roles_before, ["viewer", "editor"]);
        assert_eq!(change.roles_after, ["viewer"]);
        assert_eq!(change.why, ["Removed from Okta group Group 00g1 (00g1)"]);
    }

    #[test]
    fn a_change_that_leaves_the_roles_as_they_were_is_none() {
        // Joins a group that grants a role they hold through another group.
        assert_eq!(
            access_change(&person(
                OktaUserStatus::Active,
                vec![
                    group("00g1", true, true, &["viewer"]),
                    group("00g2", false, true, &["viewer"])
                ],
            )),
            None
        );
        // Leaves a group that grants nothing.
        assert_eq!(
            access_change(&person(OktaUserStatus::Active, vec![group("00g3", true, false, &[])])),
            None
        );
    }

    #[test]
    fn a_suspension_takes_every_role_and_says_so() {
        let mut suspended =
            person(OktaUserStatus::Active, vec![group("00g1", true, true, &["admin"])]);
        suspended.status_after = Some(OktaUserStatus::Suspended);
        let change = access_change(&suspended).unwrap();
        assert_eq!(change.roles_after, Vec::<String>::new());
        assert_eq!(change.why, ["Okta status changed from ACTIVE to SUSPENDED"]);
    }

    #[test]
    fn a_group_no_longer_assigned_takes_its_roles() {
        let mut unassigned = group("00g1", true, true, &["viewer"]);
        unassigned.kept = false;
        let change = access_change(&person(OktaUserStatus::Active, vec![unassigned])).unwrap();
        assert_eq!(change.roles_after, Vec::<String>::new());
        assert_eq!(change.why, ["Okta group Group 00g1 (00g1) is no longer assigned to the app"]);
    }

    #[test]
    fn custom_grants_are_named_with_their_scope() {
        let mut runbooks = group("00g1", false, true, &[]);
        runbooks.custom = vec![CustomGrantRow {
            group_id: "00g1".into(),
            role: "runbook_operator".into(),
            role_name: "Runbook operator".into(),
            scope: "folder:/prod".into(),
        }];
        let change = access_change(&person(OktaUserStatus::Active, vec![runbooks])).unwrap();
        assert_eq!(change.roles_before, Vec::<String>::new());
        assert_eq!(change.roles_after, ["runbook_operator@folder:/prod"]);
    }

    #[test]
    fn an_admin_s_change_of_a_group_s_roles_names_who_made_it() {
        let mut engineering = group("00g1", true, true, &["viewer"]);
        engineering.grants_before = Some(GrantsBefore {
            roles: vec!["admin".into()],
            custom: Vec::new(),
            changed_by: "root@example.com".into(),
        });
        let change = access_change(&person(OktaUserStatus::Active, vec![engineering.clone()]));
        let change = change.unwrap();
        assert_eq!(
            (change.roles_before, change.roles_after),
            (vec!["admin".into()], vec!["viewer".into()])
        );
        assert_eq!(
            change.why,
            ["Roles of Okta group Group 00g1 (00g1) changed by root@example.com"]
        );
        // A member who holds the same roles through another group is not named.
        let also_admin = group("00g2", true, true, &["admin", "viewer"]);
        assert_eq!(
            access_change(&person(OktaUserStatus::Active, vec![engineering, also_admin])),
            None
        );
    }

    #[test]
    fn an_event_s_id_is_its_unit_s_whatever_the_attempt() {
        let page = event_id(&["run-1", "access.changed", "00u5"]);
        assert_eq!(page, event_id(&["run-1", "access.changed", "00u5"]));
        assert_ne!(page, event_id(&["run-1", "access.changed", "00u6"]));
        assert_ne!(page, event_id(&["run-2", "access.changed", "00u5"]));
        assert!(page.starts_with("msg_") && page.len() == 36, "{page}");
    }
}
