//! Form checks that run before anything is sent.
//!
//! They use the same rules and words as the edge (both use `groupsync-core`). Also maps the
//! edge's problems about a field (`Problem::field`) back onto the forms' fields and labels.
//! Pure, so it is tested natively.

use groupsync_core::api::Problem;
use groupsync_core::domain::{AppId, ClientId, TenantUrlError};

/// A field of the Okta settings form, named as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsField {
    /// `tenant_url`.
    TenantUrl,
    /// `app_id`.
    AppId,
    /// `api_token`.
    ApiToken,
    /// `client_id`: the OAuth 2.0 service app's.
    ClientId,
    /// `service_app_key`: the service app's key pair (its input is the button that makes one).
    ServiceAppKey,
}

impl SettingsField {
    /// The API's name of the field.
    pub const fn api_name(self) -> &'static str {
        match self {
            Self::TenantUrl => "tenant_url",
            Self::AppId => "app_id",
            Self::ApiToken => "api_token",
            Self::ClientId => "client_id",
            Self::ServiceAppKey => "service_app_key",
        }
    }

    /// The field's label on the screen, which messages about it use too.
    pub const fn label(self) -> &'static str {
        match self {
            Self::TenantUrl => "Okta tenant URL",
            Self::AppId => "App ID",
            Self::ApiToken => "API token",
            Self::ClientId => "Client ID",
            Self::ServiceAppKey => "Key pair",
        }
    }

    fn from_api_name(name: &str) -> Option<Self> {
        [Self::TenantUrl, Self::AppId, Self::ApiToken, Self::ClientId, Self::ServiceAppKey]
            .into_iter()
            .find(|f| f.api_name() == name)
    }
}

/// What the settings form holds, and what is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsDraft {
    /// The tenant URL typed.
    pub tenant_url: String,
    /// The App ID typed.
    pub app_id: String,
    /// The API token typed (empty: keep the stored one).
    pub api_token: String,
    /// The stored tenant URL.
    pub stored_tenant_url: Option<String>,
    /// The stored App ID.
    pub stored_app_id: Option<String>,
    /// Whether a token is stored.
    pub token_configured: bool,
    /// Whether the OAuth 2.0 service app is the chosen credential (else the API token).
    pub service_app: bool,
    /// The service app's client id typed.
    pub client_id: String,
    /// Whether the service app has a key pair (saved, or made for the next save).
    pub has_key: bool,
}

/// The problems of a draft, one per field at most, in form order.
pub fn check_settings(draft: &SettingsDraft) -> Vec<(SettingsField, String)> {
    let mut problems = Vec::new();
    if let Some(error) = tenant_url_precheck(&draft.tenant_url) {
        problems.push((SettingsField::TenantUrl, sentence(&error.to_string())));
    }
    if let Err(error) = AppId::parse(&draft.app_id) {
        problems.push((SettingsField::AppId, sentence(&error.to_string())));
    }
    if draft.service_app {
        if let Err(error) = ClientId::parse(&draft.client_id) {
            problems.push((SettingsField::ClientId, sentence(&error.to_string())));
        }
        if !draft.has_key {
            problems.push((
                SettingsField::ServiceAppKey,
                "Generate a key pair, and add its public key to the app in Okta.".to_owned(),
            ));
        }
        return problems;
    }
    let token = draft.api_token.trim();
    if token.is_empty() {
        let target_changed = draft.stored_tenant_url.as_deref() != Some(draft.tenant_url.trim())
            || draft.stored_app_id.as_deref() != Some(draft.app_id.trim());
        if !draft.token_configured {
            problems.push((SettingsField::ApiToken, "Enter the Okta API token.".to_owned()));
        } else if target_changed {
            problems.push((
                SettingsField::ApiToken,
                "Changing the tenant URL or App ID requires the API token again.".to_owned(),
            ));
        }
    } else if !token.bytes().all(|b| b.is_ascii_graphic()) {
        problems.push((
            SettingsField::ApiToken,
            "An Okta API token is printable ASCII without spaces.".to_owned(),
        ));
    }
    problems
}

/// The mistakes a tenant URL can be seen to have without parsing it, named as the edge names
/// them. The edge's full check (with the `url` crate, whose Unicode tables would double the
/// SPA's size) and its host allow-list decide the rest when the form is tested or saved.
fn tenant_url_precheck(text: &str) -> Option<TenantUrlError> {
    let text = text.trim();
    if text.is_empty() {
        return Some(TenantUrlError::NotAUrl);
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some(TenantUrlError::Whitespace);
    }
    let lower = text.to_ascii_lowercase();
    let (rest, local_http) = match (lower.strip_prefix("https://"), lower.strip_prefix("http://")) {
        (Some(rest), _) => (rest, false),
        (None, Some(rest))
            if ["127.0.0.1", "localhost", "[::1]"].iter().any(|h| rest.starts_with(h)) =>
        {
            (rest, true)
        }
        (None, Some(_)) => return Some(TenantUrlError::NotHttps),
        (None, None) if lower.contains("://") => return Some(TenantUrlError::NotHttps),
        (None, None) => return Some(TenantUrlError::NotAUrl),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(end);
    if host.contains('@') {
        return Some(TenantUrlError::UserInfo);
    }
    if !(tail.is_empty() || tail == "/") {
        return Some(TenantUrlError::NotBare);
    }
    if local_http {
        return None;
    }
    if host.contains(':') {
        return Some(TenantUrlError::Port);
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Some(TenantUrlError::IpAddress);
    }
    if host.split('.').next().is_some_and(|label| label.ends_with("-admin")) {
        return Some(TenantUrlError::AdminHost);
    }
    None
}

/// The settings field an edge problem is about, with its message as a sentence.
pub fn field_of_problem(problem: &Problem) -> Option<(SettingsField, String)> {
    let field = SettingsField::from_api_name(problem.field.as_deref()?)?;
    Some((field, sentence(problem.message())))
}

/// The label a form of this app shows for the request field `api_name`, for the fields the
/// edge can refuse after the form's own checks passed.
fn field_label(api_name: &str) -> Option<&'static str> {
    match api_name {
        "email" => Some("Email"),
        "name" => Some("Group name"),
        // The webhooks form's.
        "url" => Some("Endpoint URL"),
        "description" => Some("Description"),
        "events" => Some("Events to send"),
        other => SettingsField::from_api_name(other).map(SettingsField::label),
    }
}

/// What an edge problem says about the request field `api_name`, as a sentence, when it is about
/// that field: a form shows it under the field's input.
pub fn problem_about(problem: &Problem, api_name: &str) -> Option<String> {
    (problem.field.as_deref() == Some(api_name)).then(|| sentence(problem.message()))
}

/// An edge problem about a field of a form, named by the field's label as the screen shows it
/// ("Okta tenant URL: The host must be…"), not by its API name.
pub fn field_problem_in_words(problem: &Problem) -> Option<String> {
    let label = field_label(problem.field.as_deref()?)?;
    Some(format!("{label}: {}", sentence(problem.message())))
}

/// A message as a sentence: capital first letter, final period.
fn sentence(message: &str) -> String {
    let mut chars = message.trim().chars();
    let mut text: String = match chars.next() {
        Some(first) => std::iter::once(first.to_ascii_uppercase()).chain(chars).collect(),
        None => return String::new(),
    };
    if !text.ends_with(['.', '?', '!']) {
        text.push('.');
    }
    text
}

#[cfg(test)]
mod tests {
    use groupsync_core::api::ProblemCode;
    use groupsync_core::domain::{TenantUrl, TenantUrlPolicy};

    use super::*;

    #[test]
    fn an_edge_problem_about_a_field_is_named_by_its_label_not_its_api_name() {
        let problem = Problem::new(
            ProblemCode::InvalidInput,
            "tenant_url: the host must be your Okta domain, such as your-company.okta.com",
        )
        .about_field("tenant_url");
        assert_eq!(
            field_problem_in_words(&problem).as_deref(),
            Some(
                "Okta tenant URL: The host must be your Okta domain, such as your-company.okta.com."
            )
        );
        assert_eq!(
            field_of_problem(&problem).map(|(field, _)| field),
            Some(SettingsField::TenantUrl),
            "the settings form marks that input"
        );
        let group = Problem::new(ProblemCode::InvalidInput, "name: 1 to 200 characters")
            .about_field("name");
        assert_eq!(
            field_problem_in_words(&group).as_deref(),
            Some("Group name: 1 to 200 characters."),
        );
        assert_eq!(field_of_problem(&group), None, "not a settings field");
        let email = Problem::new(ProblemCode::InvalidInput, "email: enter an email address")
            .about_field("email");
        assert_eq!(
            field_problem_in_words(&email).as_deref(),
            Some("Email: Enter an email address.")
        );
    }

    #[test]
    fn a_refused_webhook_url_is_said_under_its_input_and_named_by_its_label_elsewhere() {
        let problem = Problem::new(
            ProblemCode::InvalidInput,
            "url: the host example.com is not on WEBHOOK_ALLOWLIST",
        )
        .about_field("url");
        assert_eq!(
            problem_about(&problem, "url").as_deref(),
            Some("The host example.com is not on WEBHOOK_ALLOWLIST.")
        );
        assert_eq!(problem_about(&problem, "events"), None, "another field's input says nothing");
        assert_eq!(
            field_problem_in_words(&problem).as_deref(),
            Some("Endpoint URL: The host example.com is not on WEBHOOK_ALLOWLIST.")
        );
    }

    #[test]
    fn a_problem_about_no_field_is_not_read_as_one_from_its_words() {
        // A detail that happens to start like `field: ` is not a field problem: the code says so.
        let conflict = Problem::new(ProblemCode::Conflict, "tenant_url: changed meanwhile");
        assert_eq!(field_problem_in_words(&conflict), None);
        assert_eq!(field_of_problem(&conflict), None);
        let unknown =
            Problem::new(ProblemCode::InvalidQuery, "sort: one of name").about_field("sort");
        assert_eq!(field_problem_in_words(&unknown), None, "no form of this app has it");
    }

    fn draft(tenant_url: &str, app_id: &str, api_token: &str) -> SettingsDraft {
        SettingsDraft {
            tenant_url: tenant_url.into(),
            app_id: app_id.into(),
            api_token: api_token.into(),
            ..SettingsDraft::default()
        }
    }

    const APP: &str = "0oa1b2c3d4e5f6g7h8i9";

    #[test]
    fn a_complete_first_configuration_passes() {
        assert_eq!(check_settings(&draft("https://acme.okta.com", APP, "00abc-DEF_123")), []);
    }

    #[test]
    fn each_field_says_what_to_type_instead() {
        let problems = check_settings(&draft("https://acme-admin.okta.com", "00g123", ""));
        let fields: Vec<SettingsField> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [SettingsField::TenantUrl, SettingsField::AppId, SettingsField::ApiToken]
        );
        assert!(problems[0].1.contains("remove \"-admin\""), "{problems:?}");
        assert!(problems[1].1.starts_with("An App ID"), "{problems:?}");
    }

    #[test]
    fn the_precheck_names_each_visible_mistake_as_the_edge_does() {
        let cases = [
            ("", TenantUrlError::NotAUrl),
            ("acme.okta.com", TenantUrlError::NotAUrl),
            ("https://acme .okta.com", TenantUrlError::Whitespace),
            ("http://acme.okta.com", TenantUrlError::NotHttps),
            ("ftp://acme.okta.com", TenantUrlError::NotHttps),
            ("https://me@acme.okta.com", TenantUrlError::UserInfo),
            ("https://acme.okta.com/app/UserHome", TenantUrlError::NotBare),
            ("https://acme.okta.com?x=1", TenantUrlError::NotBare),
            ("https://acme.okta.com:8443", TenantUrlError::Port),
            ("https://10.0.0.1", TenantUrlError::IpAddress),
            ("https://acme-admin.okta.com", TenantUrlError::AdminHost),
        ];
        // The edge's full check (linked here in tests only) says the same of each.
        let edge = TenantUrlPolicy { extra_hosts: Vec::new(), allow_loopback_http: true };
        for (text, expected) in cases {
            assert_eq!(tenant_url_precheck(text), Some(expected.clone()), "{text:?}");
            assert_eq!(TenantUrl::parse(text, &edge).err(), Some(expected), "the edge on {text:?}");
        }
        for fine in [
            "https://acme.okta.com",
            "https://acme.okta.com/",
            "HTTPS://Acme.Okta.com",
            "http://127.0.0.1:8788",
        ] {
            assert_eq!(tenant_url_precheck(fine), None, "{fine:?}");
        }
    }

    #[test]
    fn hosts_outside_okta_are_left_to_the_edge_which_knows_its_allow_list() {
        assert_eq!(check_settings(&draft("https://login.acme.com", APP, "t")), []);
    }

    #[test]
    fn the_stored_token_is_kept_unless_the_target_changes() {
        let mut kept = draft("https://acme.okta.com", APP, "");
        kept.stored_tenant_url = Some("https://acme.okta.com".into());
        kept.stored_app_id = Some(APP.into());
        kept.token_configured = true;
        assert_eq!(check_settings(&kept), []);
        kept.tenant_url = "https://other.okta.com".into();
        let problems = check_settings(&kept);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, SettingsField::ApiToken);
        assert!(problems[0].1.contains("requires the API token again"));
    }

    #[test]
    fn the_service_app_needs_a_client_id_and_a_key_and_no_token() {
        let mut service = draft("https://acme.okta.com", APP, "");
        service.service_app = true;
        let problems = check_settings(&service);
        let fields: Vec<SettingsField> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, [SettingsField::ClientId, SettingsField::ServiceAppKey]);
        assert!(problems[0].1.starts_with("A client id is 1 to 100 characters"), "{problems:?}");
        service.client_id = "0oa app".into();
        service.has_key = true;
        let problems = check_settings(&service);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].1.contains("only letters, digits"), "{problems:?}");
        service.client_id = " 0oa1b2c3d4e5f6g7h8i9 ".into();
        assert_eq!(check_settings(&service), [], "pasted with spaces around it");
    }

    #[test]
    fn the_edge_s_problems_about_the_service_app_mark_its_fields() {
        let key = Problem::new(ProblemCode::TokenRequired, "generate a key pair first.")
            .about_field("service_app_key");
        assert_eq!(
            field_of_problem(&key),
            Some((SettingsField::ServiceAppKey, "Generate a key pair first.".to_owned()))
        );
        assert_eq!(
            field_problem_in_words(&key).as_deref(),
            Some("Key pair: Generate a key pair first.")
        );
        let client = Problem::new(ProblemCode::TokenRequired, "enter the client ID.")
            .about_field("client_id");
        assert_eq!(field_of_problem(&client).map(|(f, _)| f), Some(SettingsField::ClientId));
    }

    #[test]
    fn tokens_with_spaces_are_refused_without_echoing_them() {
        let problems = check_settings(&draft("https://acme.okta.com", APP, "secret value"));
        assert_eq!(problems.len(), 1);
        assert!(!problems[0].1.contains("secret"));
    }
}
