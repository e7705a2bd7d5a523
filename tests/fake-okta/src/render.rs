//! The JSON of Okta objects (`Application`, `Group`, `User`, `ApplicationGroupAssignment`) as the real
//! API sends them, with `_links` built on the origin the client called (`http://{Host}`).

use serde_json::{Map, Value, json};

use crate::clock::{iso8601, write_iso8601};
use crate::tenant::{App, Description, Group, GroupKind, Tenant, User, UserStatus};

/// An `href` object.
fn href(url: String) -> Value {
    json!({ "href": url })
}

/// The `Application` object (SAML 2.0 or `OpenID` Connect).
pub(crate) fn app(origin: &str, app: &App) -> Value {
    let base = format!("{origin}/api/v1/apps/{}", app.id);
    let status = if app.active { "ACTIVE" } else { "INACTIVE" };
    let lifecycle = if app.active { "deactivate" } else { "activate" };
    let mut value = json!({
        "id": app.id,
        "orn": format!("orn:okta:idp:00o1n8sbwArJ7OQRw406:apps:{}:{}", app.name, app.id),
        "name": app.name,
        "label": app.label,
        "status": status,
        "created": iso8601(app.created),
        "lastUpdated": iso8601(app.last_updated),
        "accessibility": { "selfService": false },
        "visibility": {
            "autoSubmitToolbar": false,
            "hide": { "iOS": false, "web": false },
            "appLinks": { format!("{}_link", app.name): true },
        },
        "features": [],
        "_links": {
            "self": href(base.clone()),
            "groups": href(format!("{base}/groups")),
            "users": href(format!("{base}/users")),
            lifecycle: href(format!("{base}/lifecycle/{lifecycle}")),
            "logo": [{ "name": "medium", "href": format!("{origin}/assets/img/logos/default.png"), "type": "image/png" }],
            "appLinks": [{ "name": format!("{}_link", app.name), "href": format!("{origin}/home/{}/{}/aln1", app.name, app.id), "type": "text/html" }],
        },
    });
    if app.saml {
        value["signOnMode"] = json!("SAML_2_0");
        value["credentials"] = json!({
            "userNameTemplate": { "template": "${source.login}", "type": "BUILT_IN" },
            "signing": { "kid": "mXtzOtml09Dg1ZCeKxTRBo3KrQuBWFkJ5oxhVagjTzo" },
        });
        value["settings"] = json!({
            "app": {},
            "notifications": { "vpn": { "network": { "connection": "DISABLED" } } },
            "manualProvisioning": false,
            "implicitAssignment": false,
            "signOn": {
                "defaultRelayState": "",
                "ssoAcsUrl": "https://groupsync.example.com/saml/acs",
                "recipient": "https://groupsync.example.com/saml/acs",
                "destination": "https://groupsync.example.com/saml/acs",
                "audience": "https://groupsync.example.com/saml/metadata",
                "idpIssuer": "http://www.okta.com/${org.externalKey}",
                "subjectNameIdTemplate": "${user.userName}",
                "subjectNameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
                "responseSigned": true,
                "assertionSigned": true,
                "requestCompressed": false,
                "allowMultipleAcsEndpoints": false,
                "acsEndpoints": [],
                "signatureAlgorithm": "RSA_SHA256",
                "digestAlgorithm": "SHA256",
                "honorForceAuthn": true,
                "authnContextClassRef": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
                "attributeStatements": [],
            },
        });
        value["_links"]["metadata"] =
            json!({ "href": format!("{base}/sso/saml/metadata"), "type": "application/xml" });
    } else {
        value["signOnMode"] = json!("OPENID_CONNECT");
        value["credentials"] = json!({
            "userNameTemplate": { "template": "${source.login}", "type": "BUILT_IN" },
            "signing": { "kid": "5gbe0HpzAYj2rsWSLxx1fYHdh-SzWqyKqwmfJ6qDk5g" },
            "oauthClient": {
                "autoKeyRotation": true,
                "client_id": app.id,
                "token_endpoint_auth_method": "client_secret_basic",
            },
        });
        value["settings"] = json!({
            "app": {},
            "notifications": { "vpn": { "network": { "connection": "DISABLED" } } },
            "oauthClient": {
                "client_uri": "https://dashboard.example.com",
                "redirect_uris": ["https://dashboard.example.com/callback"],
                "response_types": ["code"],
                "grant_types": ["authorization_code"],
                "application_type": "web",
                "consent_method": "REQUIRED",
                "issuer_mode": "ORG_URL",
            },
        });
    }
    value
}

/// The Group object.
pub(crate) fn group(origin: &str, group: &Group) -> Value {
    let base = format!("{origin}/api/v1/groups/{}", group.id);
    let mut profile = Map::new();
    profile.insert("name".into(), json!(group.name));
    match &group.description {
        Description::Absent => {}
        Description::Null => {
            profile.insert("description".into(), Value::Null);
        }
        Description::Text(text) => {
            profile.insert("description".into(), json!(text));
        }
    }
    let (kind, object_class) = match group.kind {
        GroupKind::Okta => ("OKTA_GROUP", "okta:user_group"),
        GroupKind::App => ("APP_GROUP", "okta:windows_security_principal"),
        GroupKind::BuiltIn => ("BUILT_IN", "okta:user_group"),
    };
    let mut links = json!({
        "logo": [
            { "name": "medium", "href": format!("{origin}/assets/img/logos/groups/okta-medium.png"), "type": "image/png" },
            { "name": "large", "href": format!("{origin}/assets/img/logos/groups/okta-large.png"), "type": "image/png" },
        ],
        "users": href(format!("{base}/users")),
        "apps": href(format!("{base}/apps")),
    });
    if group.kind == GroupKind::App {
        let sam = group.name.replace(' ', "_");
        profile.insert(
            "dn".into(),
            json!(format!("CN={},OU=Groups,DC=corp,DC=example,DC=com", group.name)),
        );
        profile.insert("externalId".into(), json!(format!("{}==", &group.id[3..])));
        profile.insert("samAccountName".into(), json!(sam));
        profile.insert("windowsDomainQualifiedName".into(), json!(format!("CORP\\{sam}")));
        links["source"] = href(format!("{origin}/api/v1/apps/0oa1ad0irectory7Fl4h"));
    }
    json!({
        "id": group.id,
        "created": iso8601(group.created),
        "lastUpdated": iso8601(group.last_updated),
        "lastMembershipUpdated": iso8601(group.last_membership_updated),
        "objectClass": [object_class],
        "type": kind,
        "profile": profile,
        "_links": links,
    })
}

/// The `ApplicationGroupAssignment` of group index `g`, with the Group under `_embedded.group`
/// when `expand=group` was asked for.
pub(crate) fn assignment(origin: &str, tenant: &Tenant, g: u32, embed_group: bool) -> Value {
    let group_value = &tenant.groups[g as usize];
    let assignment = tenant.assigned[&g];
    let app = tenant.app();
    let mut value = json!({
        "id": group_value.id,
        "lastUpdated": iso8601(assignment.last_updated),
        "priority": assignment.priority,
        "profile": {},
        "_links": {
            "app": href(format!("{origin}/api/v1/apps/{}", app.id)),
            "self": href(format!("{origin}/api/v1/apps/{}/groups/{}", app.id, group_value.id)),
            "group": href(format!("{origin}/api/v1/groups/{}", group_value.id)),
        },
    });
    if embed_group {
        value["_embedded"] = json!({ "group": group(origin, group_value) });
    }
    value
}

/// The User object as collections list it (`_links` holds only `self`).
pub(crate) fn user(origin: &str, tenant: &Tenant, user: &User) -> Value {
    let mut out = Vec::new();
    write_user(&mut out, origin, tenant, user);
    serde_json::from_slice(&out).unwrap_or_default()
}

/// Appends the JSON text of [`user`], written directly rather than through a `Value`: member
/// pages of up to 1000 users are the fake's hottest path (a 250,000-member group is 1,250 pages
/// of 200), and building and dropping a `Value` per user made them several times slower in the
/// debug builds tests run. The keys come in the order `serde_json` sorts them, so the text is
/// the same as before; a test checks that it parses to [`user_value`], the object built with
/// `json!`.
pub(crate) fn write_user(out: &mut Vec<u8>, origin: &str, tenant: &Tenant, user: &User) {
    let time = |out: &mut Vec<u8>, key: &str, t: Option<i64>| {
        out.extend_from_slice(key.as_bytes());
        match t {
            Some(t) => {
                out.push(b'"');
                write_iso8601(out, t);
                out.push(b'"');
            }
            None => out.extend_from_slice(b"null"),
        }
    };
    out.extend_from_slice(b"{\"_links\":{\"self\":{\"href\":");
    write_str(out, &[origin, "/api/v1/users/", &user.id]);
    time(out, "}},\"activated\":", user.activated);
    time(out, ",\"created\":", Some(user.created));
    out.extend_from_slice(b",\"credentials\":{");
    if has_password(user) {
        out.extend_from_slice(b"\"password\":{},");
    }
    out.extend_from_slice(b"\"provider\":{\"name\":\"OKTA\",\"type\":\"OKTA\"}},\"id\":");
    write_str(out, &[&user.id]);
    time(out, ",\"lastLogin\":", user.last_login);
    time(out, ",\"lastUpdated\":", Some(user.last_updated));
    time(out, ",\"passwordChanged\":", user.password_changed);
    out.extend_from_slice(b",\"profile\":{\"email\":");
    write_str(out, &[user.email()]);
    out.extend_from_slice(b",\"firstName\":");
    write_str(out, &[&user.first_name]);
    out.extend_from_slice(b",\"lastName\":");
    write_str(out, &[&user.last_name]);
    out.extend_from_slice(b",\"login\":");
    write_str(out, &[&user.login]);
    out.extend_from_slice(b",\"mobilePhone\":null,\"secondEmail\":null},\"status\":");
    write_str(out, &[user.status.as_str()]);
    time(out, ",\"statusChanged\":", user.status_changed);
    out.extend_from_slice(b",\"type\":{\"id\":");
    write_str(out, &[&tenant.user_type_id]);
    out.extend_from_slice(b"}}");
}

fn has_password(user: &User) -> bool {
    !matches!(user.status, UserStatus::Staged | UserStatus::Provisioned)
}

/// Appends the concatenation of `parts` as one JSON string, escaped as `serde_json` escapes.
fn write_str(out: &mut Vec<u8>, parts: &[&str]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for part in parts {
        for &byte in part.as_bytes() {
            match byte {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0C => out.extend_from_slice(b"\\f"),
                0x00..0x20 => {
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(byte >> 4)]);
                    out.push(HEX[usize::from(byte & 0xF)]);
                }
                _ => out.push(byte),
            }
        }
    }
    out.push(b'"');
}

/// [`user`] built with `json!`: the reference that [`write_user`] must match.
#[cfg(test)]
fn user_value(origin: &str, tenant: &Tenant, user: &User) -> Value {
    let time = |t: Option<i64>| t.map_or(Value::Null, |t| json!(iso8601(t)));
    let credentials = if has_password(user) {
        json!({ "password": {}, "provider": { "type": "OKTA", "name": "OKTA" } })
    } else {
        json!({ "provider": { "type": "OKTA", "name": "OKTA" } })
    };
    json!({
        "id": user.id,
        "status": user.status.as_str(),
        "created": iso8601(user.created),
        "activated": time(user.activated),
        "statusChanged": time(user.status_changed),
        "lastLogin": time(user.last_login),
        "lastUpdated": iso8601(user.last_updated),
        "passwordChanged": time(user.password_changed),
        "type": { "id": tenant.user_type_id },
        "profile": {
            "firstName": user.first_name,
            "lastName": user.last_name,
            "mobilePhone": null,
            "secondEmail": null,
            "login": user.login,
            "email": user.email(),
        },
        "credentials": credentials,
        "_links": { "self": href(format!("{origin}/api/v1/users/{}", user.id)) },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::{TenantOptions, TenantSize, TenantSpec, generate};

    #[test]
    fn written_users_equal_the_json_built_ones_for_every_status_and_odd_text() {
        let spec = TenantSpec { size: TenantSize::S, seed: 7 };
        let tenant = generate(spec, TenantOptions::default());
        let mut odd = tenant.users[3].clone();
        odd.first_name = "Zoë \"Q\" \\ \u{1}\t\n\r\u{8}\u{c}\u{1f} \u{202E}😀".into();
        odd.login = "o'dd/é@example.com".into();
        let origins = ["http://127.0.0.1:8080", "http://we\"ird\\host"];
        for origin in origins {
            for user in tenant.users.iter().chain([&odd]) {
                let mut text = Vec::new();
                write_user(&mut text, origin, &tenant, user);
                let written: Value = serde_json::from_slice(&text).expect("valid JSON");
                assert_eq!(written, user_value(origin, &tenant, user), "{}", user.login);
            }
        }
        let statuses: std::collections::HashSet<_> =
            tenant.users.iter().map(|u| u.status).collect();
        assert_eq!(statuses.len(), 8, "every status was compared");
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let text = "a\"b\\c\u{0}\u{1f}\n\t/é\u{2028}";
        let mut out = Vec::new();
        write_str(&mut out, &[text, text]);
        let expected = serde_json::to_string(&format!("{text}{text}")).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }
}
