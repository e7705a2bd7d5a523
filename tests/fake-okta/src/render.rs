//! The JSON of Okta objects (`Application`, `Group`, `User`, `ApplicationGroupAssignment`) as the real
//! API sends them, with `_links` built on the origin the client called (`http://{Host}`).

use serde_json::{Map, Value, json};

use crate::clock::iso8601;
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
    let time = |t: Option<i64>| t.map_or(Value::Null, |t| json!(iso8601(t)));
    let has_password = !matches!(user.status, UserStatus::Staged | UserStatus::Provisioned);
    let credentials = if has_password {
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
            "email": user.login,
        },
        "credentials": credentials,
        "_links": { "self": href(format!("{origin}/api/v1/users/{}", user.id)) },
    })
}
