//! The audit log in words for people: what each kind of entry is called (for filters), and one
//! sentence per entry ("Roles of IT Admins: Admin added"), read from the JSON the entry keeps.
//!
//! Entries are written by many versions of the Worker and kept for years, so every field is
//! optional here: a field an older version did not write, or a kind this version does not know,
//! reads as a plainer sentence, never as an error.

use serde_json::{Map, Value};

use super::BuiltInRole;

/// The kinds of audit entries, by area: `(area, name for people)`. An area is the part of an
/// action before its first dot; a filter by area matches every action in it.
pub const AUDIT_AREAS: &[(&str, &str)] = &[
    ("group", "Groups and roles"),
    ("invitation", "Invitations"),
    ("sync", "Sync runs"),
    ("settings", "Okta settings"),
    ("super_admin", "superAdmins"),
    ("api_key", "API keys"),
    ("service_token", "Service tokens"),
    ("permission", "Permissions"),
    ("role", "Custom roles"),
    ("webhook", "Webhooks"),
];

/// Every action the Worker records: `(action, name for people)`.
pub const AUDIT_ACTIONS: &[(&str, &str)] = &[
    ("group.roles_set", "Roles changed"),
    ("group.created", "Group created"),
    ("invitation.sent", "Invitation sent"),
    ("invitation.revoked", "Invitation withdrawn"),
    ("sync.started", "Sync started"),
    ("sync.committed", "Sync saved"),
    ("sync.confirmed", "Held sync confirmed"),
    ("sync.discarded", "Held sync discarded"),
    ("sync.failed", "Sync failed"),
    ("settings.okta.updated", "Okta settings changed"),
    ("settings.okta.tested", "Okta connection tested"),
    ("settings.okta.token_resealed", "Okta API token re-sealed"),
    ("settings.okta.service_app_key_made", "Service app key pair made"),
    ("settings.okta.service_app_key_resealed", "Service app key re-sealed"),
    ("settings.okta.hook_secret_made", "Okta Event Hook secret made"),
    ("super_admin.bootstrapped", "First superAdmin"),
    ("super_admin.granted", "superAdmin added"),
    ("super_admin.revoked", "superAdmin removed"),
    ("api_key.issued", "API key issued"),
    ("api_key.revoked", "API key revoked"),
    ("service_token.registered", "Service token registered"),
    ("service_token.revoked", "Service token revoked"),
    ("permission.registered", "Permission registered"),
    ("permission.removed", "Permission removed"),
    ("role.created", "Custom role created"),
    ("role.updated", "Custom role changed"),
    ("role.deleted", "Custom role deleted"),
    ("webhook.endpoint_added", "Webhook endpoint added"),
    ("webhook.endpoint_removed", "Webhook endpoint removed"),
    ("webhook.redelivered", "Webhook event sent again"),
];

/// What an audit filter's `action` names: one action, or every action of an area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditActionFilter {
    /// Exactly this action.
    Action(&'static str),
    /// Every action of this area (`group` matches `group.roles_set` and `group.created`).
    Area(&'static str),
}

impl AuditActionFilter {
    /// Reads a filter: a known action or area; anything else is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        if let Some((action, _)) = AUDIT_ACTIONS.iter().find(|(a, _)| *a == text) {
            return Some(Self::Action(action));
        }
        AUDIT_AREAS.iter().find(|(a, _)| *a == text).map(|(area, _)| Self::Area(area))
    }

    /// Whether `action` passes this filter.
    pub fn matches(self, action: &str) -> bool {
        match self {
            Self::Action(wanted) => action == wanted,
            Self::Area(area) => action.strip_prefix(area).is_some_and(|rest| rest.starts_with('.')),
        }
    }
}

/// Which audit entries a reader wants: every one given must match (values already validated).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditFilter {
    /// Only the entries about this target (a group id, an email, a run id).
    pub target: Option<String>,
    /// Only the entries by actors whose name contains this, ignoring case.
    pub actor: Option<String>,
    /// Only the entries of this action, or of this area of actions.
    pub action: Option<AuditActionFilter>,
    /// Only the entries on or after this day (`YYYY-MM-DD`, UTC).
    pub from: Option<String>,
    /// Only the entries on or before this day (`YYYY-MM-DD`, UTC).
    pub to: Option<String>,
}

/// What an audit entry holds, as the sentence needs it.
#[derive(Debug, Clone, Copy)]
pub struct AuditFacts<'a> {
    /// The stable dotted name (`group.roles_set`).
    pub action: &'a str,
    /// What it was done to: a group id, an email, a run id…
    pub target: Option<&'a str>,
    /// The target's name for people, when it has one (a group's name).
    pub target_name: Option<&'a str>,
    /// The state before, as recorded.
    pub before: Option<&'a Value>,
    /// The state after, as recorded.
    pub after: Option<&'a Value>,
}

/// One sentence for people that says what the entry records.
pub fn describe_audit(facts: &AuditFacts<'_>) -> String {
    let before = facts.before.and_then(Value::as_object);
    let after = facts.after.and_then(Value::as_object);
    let field = |object: Option<&Map<String, Value>>, key: &str| {
        object.and_then(|o| o.get(key)).and_then(Value::as_str).map(str::to_owned)
    };
    let target = facts.target.unwrap_or("(unknown)");
    let group = || {
        let name = facts.target_name.map(str::to_owned).or_else(|| field(after, "name"));
        name.unwrap_or_else(|| format!("group {target}"))
    };
    match facts.action {
        "group.roles_set" => format!(
            "Roles of {}: {}{}",
            group(),
            roles_change(before, after),
            grants_change(before, after)
        ),
        "group.created" => format!("Group {} created by hand", group()),
        "invitation.sent" => match after.and_then(|a| a.get("okta_user_id")) {
            Some(Value::String(_)) => format!("{target} invited"),
            _ => format!("{target} invited (not found in Okta when invited)"),
        },
        "invitation.revoked" => format!("Invitation of {target} withdrawn before it was used"),
        "sync.started" => {
            let flag = |key| after.and_then(|a| a.get(key)).and_then(Value::as_bool);
            let kind = if flag("full") == Some(true) { "Full sync" } else { "Sync" };
            if flag("dry_run") == Some(true) {
                format!("{kind} preview started")
            } else {
                format!("{kind} started")
            }
        }
        "sync.committed" => format!("Sync saved: {}", sync_counts(after)),
        "sync.confirmed" => format!("Held sync confirmed and saved: {}", sync_counts(after)),
        "sync.discarded" => "Held sync discarded: nothing was saved".to_owned(),
        "sync.failed" => match field(after, "error") {
            Some(error) => format!("Sync failed, nothing was saved: {error}"),
            None => "Sync failed, nothing was saved".to_owned(),
        },
        "settings.okta.updated" => format!("Okta settings: {}", settings_change(before, after)),
        "settings.okta.tested" => {
            let ok = after.and_then(|a| a.get("ok")).and_then(Value::as_bool);
            match (ok, field(after, "failure")) {
                (Some(true), _) => format!("Connection to {target} tested: it works"),
                (_, Some(failure)) => format!(
                    "Connection to {target} tested: it failed ({})",
                    failure.replace('_', " ")
                ),
                _ => format!("Connection to {target} tested: it failed"),
            }
        }
        "settings.okta.token_resealed" => {
            "Okta API token sealed again with the current encryption key".to_owned()
        }
        "settings.okta.service_app_key_made" => match field(after, "kid") {
            Some(kid) => format!(
                "A key pair was made for the service app (key id {kid}); it is used once a save with it passes the connection test"
            ),
            None => "A key pair was made for the service app".to_owned(),
        },
        "settings.okta.service_app_key_resealed" => {
            "The service app's private key sealed again with the current encryption key".to_owned()
        }
        "super_admin.bootstrapped" => {
            format!("{target} became the first superAdmin (from the bootstrap list)")
        }
        "super_admin.granted" => format!("{target} made a superAdmin"),
        "super_admin.revoked" => format!("{target} is no longer a superAdmin"),
        "api_key.issued" => {
            let name = field(after, "name").unwrap_or_else(|| target.to_owned());
            format!("API key \u{201c}{name}\u{201d} issued{}", scopes(after))
        }
        "api_key.revoked" => format!("API key {target} revoked"),
        "settings.okta.hook_secret_made" => {
            "A new secret for the Okta Event Hook was made (any earlier one stopped working)"
                .to_owned()
        }
        "webhook.endpoint_added" => {
            let url = field(after, "url").unwrap_or_else(|| target.to_owned());
            format!("Webhook endpoint {url} added")
        }
        "webhook.endpoint_removed" => {
            let url = field(before, "url").unwrap_or_else(|| target.to_owned());
            format!("Webhook endpoint {url} removed")
        }
        "webhook.redelivered" => match field(after, "message_id") {
            Some(message) => format!("Event {message} sent again to webhook endpoint {target}"),
            None => format!("An event sent again to webhook endpoint {target}"),
        },
        "service_token.registered" => format!("Service token {target} registered{}", scopes(after)),
        "service_token.revoked" => format!("Service token {target} revoked"),
        "permission.registered" => format!("Permission {target} of the relying app registered"),
        "permission.removed" => format!("Permission {target} of the relying app removed"),
        "role.created" => {
            let name = field(after, "name").unwrap_or_else(|| target.to_owned());
            format!("Custom role \u{201c}{name}\u{201d} created")
        }
        "role.updated" => role_updated(target, before, after),
        "role.deleted" => {
            let name = field(before, "name").unwrap_or_else(|| target.to_owned());
            let grants = before.and_then(|b| b.get("grant_count")).and_then(Value::as_u64);
            match grants.unwrap_or(0) {
                0 => format!("Custom role \u{201c}{name}\u{201d} deleted"),
                1 => format!("Custom role \u{201c}{name}\u{201d} deleted with its grant"),
                n => format!("Custom role \u{201c}{name}\u{201d} deleted with its {n} grants"),
            }
        }
        other => {
            let change = change_summary(facts.before, facts.after);
            if change.is_empty() { other.to_owned() } else { format!("{other}: {change}") }
        }
    }
}

/// What changed between `before` and `after`, in one line: for two objects, each key whose value
/// differs (`roles: ["viewer"] → ["admin"]`); otherwise the values themselves.
pub fn change_summary(before: Option<&Value>, after: Option<&Value>) -> String {
    match (before, after) {
        (Some(Value::Object(before)), Some(Value::Object(after))) => {
            let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
            keys.sort();
            keys.dedup();
            let changed: Vec<String> = keys
                .into_iter()
                .filter(|k| before.get(*k) != after.get(*k))
                .map(|k| {
                    let shown =
                        |v: Option<&Value>| v.map_or_else(|| "—".to_owned(), Value::to_string);
                    format!("{k}: {} → {}", shown(before.get(k)), shown(after.get(k)))
                })
                .collect();
            changed.join("; ")
        }
        (None, Some(after)) => after.to_string(),
        (Some(before), None) => format!("{before} → (gone)"),
        (Some(before), Some(after)) => format!("{before} → {after}"),
        (None, None) => String::new(),
    }
}

/// "Custom role “Runner”: renamed from “Operator”; runbooks.read added".
fn role_updated(
    key: &str,
    before: Option<&Map<String, Value>>,
    after: Option<&Map<String, Value>>,
) -> String {
    let text = |object: Option<&Map<String, Value>>, field: &str| {
        object.and_then(|o| o.get(field)).and_then(Value::as_str).unwrap_or(key).to_owned()
    };
    let names = |object: Option<&Map<String, Value>>| -> Vec<String> {
        let listed = object.and_then(|o| o.get("permissions")).and_then(Value::as_array);
        listed.into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
    };
    let (was, now) = (names(before), names(after));
    let (old_name, new_name) = (text(before, "name"), text(after, "name"));
    let mut parts = Vec::new();
    if old_name != new_name {
        parts.push(format!("renamed from \u{201c}{old_name}\u{201d}"));
    }
    let added: Vec<&str> = now.iter().filter(|p| !was.contains(p)).map(String::as_str).collect();
    let removed: Vec<&str> = was.iter().filter(|p| !now.contains(p)).map(String::as_str).collect();
    if !added.is_empty() {
        parts.push(format!("{} added", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("{} removed", removed.join(", ")));
    }
    if parts.is_empty() {
        parts.push("saved unchanged".to_owned());
    }
    format!("Custom role \u{201c}{new_name}\u{201d}: {}", parts.join("; "))
}

/// "Admin added, Viewer removed", from the `roles` of before and after.
fn roles_change(before: Option<&Map<String, Value>>, after: Option<&Map<String, Value>>) -> String {
    let roles = |object: Option<&Map<String, Value>>| -> Vec<String> {
        let listed = object.and_then(|o| o.get("roles")).and_then(Value::as_array);
        listed.into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
    };
    let (was, now) = (roles(before), roles(after));
    let shown = |id: &str| {
        BuiltInRole::parse(id).map_or_else(|| id.to_owned(), |r| r.display_name().to_owned())
    };
    let mut parts: Vec<String> =
        now.iter().filter(|r| !was.contains(r)).map(|r| format!("{} added", shown(r))).collect();
    parts.extend(was.iter().filter(|r| !now.contains(r)).map(|r| format!("{} removed", shown(r))));
    match (parts.is_empty(), now.is_empty()) {
        (false, _) => parts.join(", "),
        (true, true) => "saved with no role".to_owned(),
        (true, false) => {
            let kept: Vec<String> = now.iter().map(|r| shown(r)).collect();
            format!("saved unchanged ({})", kept.join(", "))
        }
    }
}

/// `; custom roles: runbook_operator on folder:/prod (were: none)` when the record has the
/// custom grants (it does when the change set them) and they changed; otherwise nothing.
fn grants_change(
    before: Option<&Map<String, Value>>,
    after: Option<&Map<String, Value>>,
) -> String {
    let grants = |object: Option<&Map<String, Value>>| -> Option<Vec<String>> {
        let listed = object?.get("grants")?.as_array()?;
        Some(
            listed
                .iter()
                .map(|grant| {
                    let role = grant.get("role").and_then(Value::as_str).unwrap_or("?");
                    match grant.get("scope").and_then(Value::as_str) {
                        Some(scope) => format!("{role} on {scope}"),
                        None => format!("{role} everywhere"),
                    }
                })
                .collect(),
        )
    };
    let listed = |grants: &[String]| {
        if grants.is_empty() { "none".to_owned() } else { grants.join(", ") }
    };
    match (grants(before), grants(after)) {
        (Some(was), Some(now)) if was != now => {
            format!("; custom roles: {} (were: {})", listed(&now), listed(&was))
        }
        _ => String::new(),
    }
}

/// "3 groups added, 120 memberships added", leaving out what did not change.
fn sync_counts(after: Option<&Map<String, Value>>) -> String {
    let counted = [
        ("groups_added", "group added", "groups added"),
        ("groups_changed", "group renamed or changed", "groups renamed or changed"),
        ("groups_removed", "group removed", "groups removed"),
        ("memberships_added", "membership added", "memberships added"),
        ("memberships_removed", "membership removed", "memberships removed"),
        (
            "users_changed",
            "person's status or profile changed",
            "people's status or profile changed",
        ),
    ];
    let parts: Vec<String> = counted
        .iter()
        .filter_map(|(key, one, many)| {
            let n = after?.get(*key)?.as_u64()?;
            match n {
                0 => None,
                1 => Some(format!("1 {one}")),
                n => Some(format!("{n} {many}")),
            }
        })
        .collect();
    if parts.is_empty() { "nothing changed in Okta".to_owned() } else { parts.join(", ") }
}

/// `" with scopes read_groups, read_users"`, or nothing when none were recorded.
fn scopes(after: Option<&Map<String, Value>>) -> String {
    let listed = after.and_then(|a| a.get("scopes")).and_then(Value::as_array);
    let names: Vec<&str> = listed.into_iter().flatten().filter_map(Value::as_str).collect();
    if names.is_empty() { String::new() } else { format!(" with scopes {}", names.join(", ")) }
}

/// "tenant URL changed from … to …; API token replaced; sync turned on".
fn settings_change(
    before: Option<&Map<String, Value>>,
    after: Option<&Map<String, Value>>,
) -> String {
    fn get<'a>(object: Option<&'a Map<String, Value>>, key: &str) -> Option<&'a Value> {
        object.and_then(|o| o.get(key))
    }
    let text = |object, key| get(object, key).and_then(Value::as_str);
    let flag = |object, key| get(object, key).and_then(Value::as_bool);
    let mut parts = Vec::new();
    for (key, label) in [("tenant_url", "tenant URL"), ("app_id", "App ID")] {
        match (text(before, key), text(after, key)) {
            (was, now) if was == now => {}
            (None, Some(now)) => parts.push(format!("{label} set to {now}")),
            (Some(_), None) => parts.push(format!("{label} cleared")),
            (Some(was), Some(now)) => parts.push(format!("{label} changed from {was} to {now}")),
            (None, None) => {}
        }
    }
    let token = (flag(before, "token_configured"), flag(after, "token_configured"));
    let last4 = (text(before, "token_last4"), text(after, "token_last4"));
    match token {
        (Some(true), Some(false)) => parts.push("API token removed".to_owned()),
        (Some(false) | None, Some(true)) => parts.push(match last4.1 {
            Some(end) => format!("API token added (ends in {end})"),
            None => "API token added".to_owned(),
        }),
        (Some(true), Some(true)) if last4.0 != last4.1 => parts.push(match last4.1 {
            Some(end) => format!("API token replaced (now ends in {end})"),
            None => "API token replaced".to_owned(),
        }),
        _ => {}
    }
    match (text(before, "credential"), text(after, "credential")) {
        (Some(was), Some(now)) if was != now => {
            parts.push(format!("credential changed to {}", credential_name(now)));
        }
        _ => {}
    }
    if let (was, Some(now)) = (text(before, "client_id"), text(after, "client_id"))
        && was != Some(now)
    {
        parts.push(format!("service app client ID set to {now}"));
    }
    if let (was, Some(now)) = (text(before, "service_app_kid"), text(after, "service_app_kid"))
        && was != Some(now)
    {
        parts.push(format!("service app key {now} in use"));
    }
    match (flag(before, "sync_enabled"), flag(after, "sync_enabled")) {
        (Some(false) | None, Some(true)) => parts.push("sync turned on".to_owned()),
        (Some(true), Some(false)) => parts.push("sync turned off".to_owned()),
        _ => {}
    }
    if parts.is_empty() { "saved unchanged".to_owned() } else { parts.join("; ") }
}

/// A credential's name for people.
fn credential_name(credential: &str) -> &str {
    match credential {
        "service_app" => "the OAuth 2.0 service app",
        "api_token" => "the API token",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn describe(action: &str, target: &str, before: Option<Value>, after: Option<Value>) -> String {
        describe_audit(&AuditFacts {
            action,
            target: Some(target),
            target_name: None,
            before: before.as_ref(),
            after: after.as_ref(),
        })
    }

    #[test]
    fn a_custom_roles_change_says_what_it_became() {
        let before = json!({ "name": "Operator", "permissions": ["runbooks.execute"] });
        let after = json!({ "name": "Runner", "permissions": ["runbooks.read"] });
        assert_eq!(
            describe("role.updated", "operator", Some(before.clone()), Some(after)),
            "Custom role \u{201c}Runner\u{201d}: renamed from \u{201c}Operator\u{201d}; \
             runbooks.read added; runbooks.execute removed"
        );
        let deleted = json!({ "name": "Operator", "permissions": [], "grant_count": 3 });
        assert_eq!(
            describe("role.deleted", "operator", Some(deleted), None),
            "Custom role \u{201c}Operator\u{201d} deleted with its 3 grants"
        );
        assert_eq!(
            describe("role.deleted", "operator", Some(before), None),
            "Custom role \u{201c}Operator\u{201d} deleted"
        );
    }

    #[test]
    fn a_roles_change_names_the_group_and_each_role_added_or_removed() {
        let before = json!({ "roles": ["viewer"], "version": 3 });
        let after = json!({ "roles": ["admin"], "version": 4 });
        let facts = AuditFacts {
            action: "group.roles_set",
            target: Some("00g1"),
            target_name: Some("IT Admins"),
            before: Some(&before),
            after: Some(&after),
        };
        assert_eq!(describe_audit(&facts), "Roles of IT Admins: Admin added, Viewer removed");
        let unnamed = describe("group.roles_set", "00g1", Some(after.clone()), Some(after));
        assert_eq!(unnamed, "Roles of group 00g1: saved unchanged (Admin)");
        let cleared =
            describe("group.roles_set", "00g1", Some(json!({ "roles": ["editor"] })), None);
        assert_eq!(cleared, "Roles of group 00g1: Editor removed");
        let before = json!({ "roles": [], "grants": [] });
        let after = json!({ "roles": [], "grants": [
            { "role": "runbook_operator", "scope": "folder:/prod" },
            { "role": "auditor", "scope": null }
        ] });
        assert_eq!(
            describe("group.roles_set", "00g1", Some(before), Some(after)),
            "Roles of group 00g1: saved with no role; custom roles: runbook_operator on \
             folder:/prod, auditor everywhere (were: none)"
        );
    }

    #[test]
    fn every_recorded_action_reads_as_a_sentence_not_as_its_code() {
        for (action, _) in AUDIT_ACTIONS {
            let sentence = describe(action, "t", None, None);
            assert!(!sentence.contains(action), "{action} reads as {sentence}");
            assert!(!sentence.contains('{'), "{action} shows JSON: {sentence}");
        }
    }

    #[test]
    fn a_sync_says_what_it_changed_and_leaves_out_what_did_not() {
        let counts = json!({ "groups_added": 2, "groups_changed": 0, "memberships_added": 1 });
        assert_eq!(
            describe("sync.committed", "run_1", None, Some(counts)),
            "Sync saved: 2 groups added, 1 membership added"
        );
        let nothing = json!({ "groups_added": 0 });
        assert_eq!(
            describe("sync.committed", "run_1", None, Some(nothing)),
            "Sync saved: nothing changed in Okta"
        );
        let failed = json!({ "error": "Okta refused the API token.", "code": "okta_unauthorized" });
        assert_eq!(
            describe("sync.failed", "run_1", None, Some(failed)),
            "Sync failed, nothing was saved: Okta refused the API token."
        );
        let preview = json!({ "dry_run": true, "full": true });
        assert_eq!(
            describe("sync.started", "run_1", None, Some(preview)),
            "Full sync preview started"
        );
    }

    #[test]
    fn settings_changes_name_each_field_and_never_more_of_the_token_than_its_end() {
        let before = json!({ "tenant_url": "https://a.okta.com", "app_id": "0oa1",
            "token_configured": true, "token_last4": "abcd", "sync_enabled": false });
        let after = json!({ "tenant_url": "https://b.okta.com", "app_id": "0oa1",
            "token_configured": true, "token_last4": "wxyz", "sync_enabled": true });
        assert_eq!(
            describe("settings.okta.updated", "okta_settings", Some(before.clone()), Some(after)),
            "Okta settings: tenant URL changed from https://a.okta.com to https://b.okta.com; \
             API token replaced (now ends in wxyz); sync turned on"
        );
        assert_eq!(
            describe("settings.okta.updated", "okta_settings", Some(before.clone()), Some(before)),
            "Okta settings: saved unchanged"
        );
    }

    #[test]
    fn a_switch_to_the_service_app_names_its_client_and_key() {
        let before = json!({ "tenant_url": "https://a.okta.com", "credential": "api_token",
            "client_id": null, "service_app_kid": null, "sync_enabled": true });
        let after = json!({ "tenant_url": "https://a.okta.com", "credential": "service_app",
            "client_id": "0oa9", "service_app_kid": "kid1", "sync_enabled": true });
        assert_eq!(
            describe("settings.okta.updated", "okta_settings", Some(before), Some(after)),
            "Okta settings: credential changed to the OAuth 2.0 service app; service app client \
             ID set to 0oa9; service app key kid1 in use"
        );
    }

    #[test]
    fn an_invitation_says_when_okta_did_not_know_the_person() {
        let known = json!({ "okta_user_id": "00u1" });
        assert_eq!(describe("invitation.sent", "a@x.com", None, Some(known)), "a@x.com invited");
        let unknown = json!({ "okta_user_id": null });
        assert_eq!(
            describe("invitation.sent", "a@x.com", None, Some(unknown)),
            "a@x.com invited (not found in Okta when invited)"
        );
    }

    #[test]
    fn an_action_this_version_does_not_know_still_shows_what_changed() {
        let sentence =
            describe("key.rotated", "k1", Some(json!({ "v": 1 })), Some(json!({ "v": 2 })));
        assert_eq!(sentence, "key.rotated: v: 1 → 2");
    }

    #[test]
    fn filters_take_a_known_action_or_area_and_match_by_area_prefix_only() {
        assert_eq!(
            AuditActionFilter::parse("group.roles_set"),
            Some(AuditActionFilter::Action("group.roles_set"))
        );
        let group = AuditActionFilter::parse("group").expect("an area");
        assert!(group.matches("group.created"));
        assert!(!group.matches("groups.created"), "an area matches up to its dot");
        assert!(!group.matches("sync.started"));
        for unknown in ["", "group.", "grou", "Group", "group.roles_set "] {
            assert_eq!(AuditActionFilter::parse(unknown), None, "{unknown:?}");
        }
        for (action, _) in AUDIT_ACTIONS {
            let area = action.split('.').next().expect("an area");
            let filter = AuditActionFilter::parse(area).expect("every action's area is listed");
            assert!(filter.matches(action));
        }
    }

    #[test]
    fn a_change_of_two_objects_names_only_the_keys_that_differ() {
        let before = json!({ "roles": ["viewer"], "version": 3, "name": "Sales" });
        let after = json!({ "roles": ["admin", "viewer"], "version": 4, "name": "Sales" });
        assert_eq!(
            change_summary(Some(&before), Some(&after)),
            r#"roles: ["viewer"] → ["admin","viewer"]; version: 3 → 4"#
        );
    }

    #[test]
    fn added_removed_and_plain_values_read_plainly() {
        let granted = json!({ "email": "ann@example.com" });
        assert_eq!(change_summary(None, Some(&granted)), r#"{"email":"ann@example.com"}"#);
        assert_eq!(change_summary(Some(&json!(1)), None), "1 → (gone)");
        assert_eq!(change_summary(Some(&json!("a")), Some(&json!("b"))), r#""a" → "b""#);
        let key_gone = change_summary(Some(&json!({ "a": 1 })), Some(&json!({})));
        assert_eq!(key_gone, "a: 1 → —");
        assert_eq!(change_summary(None, None), "");
    }
}
