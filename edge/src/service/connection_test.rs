//! "Test connection": whether a credential (an API token or a service app), tenant and App ID
//! will let the sync read what it needs.
//!
//! The token works; the app exists, signs in with SAML 2.0 and is active; the token may list the
//! app's groups and read their members. Each failure is named by category, in words an admin can
//! act on. Generic over the Okta client's seam, so it runs natively against the fake Okta.

use groupsync_core::api::{ConnectionFailure, TestOktaConnectionResponse};
use groupsync_core::domain::AppId;
use groupsync_core::okta::{
    Clock, HttpTransport, OktaClient, OktaError, OktaErrorKind, OktaGroupAssignment, OktaUser,
    ServiceAppProblem,
};

/// Runs every check in order and stops at the first failure.
pub async fn run<T: HttpTransport, C: Clock>(
    client: &OktaClient<T, C>,
    app_id: &AppId,
) -> TestOktaConnectionResponse {
    let app = match client.get_app(app_id.as_str()).await {
        Ok(app) => app,
        Err(error) => return failed(classify(&error, Step::App), None),
    };
    let label = app.label.clone();
    if !app.is_saml2() {
        let mode = app.sign_on_mode.as_deref().unwrap_or("an unknown method");
        let message =
            format!("The app exists, but people sign in to it with {mode}, not SAML 2.0.");
        return failed((ConnectionFailure::NotSaml, message), label);
    }
    if !app.is_active() {
        return failed(
            (
                ConnectionFailure::AppInactive,
                "The app exists, but it is not active in Okta.".into(),
            ),
            label,
        );
    }
    let first_page = match client.app_groups_first_page(app_id.as_str()) {
        Ok(page) => client.fetch_page::<OktaGroupAssignment>(&page, "app").await,
        Err(error) => Err(error),
    };
    let assignments = match first_page {
        Ok(page) => page.items,
        Err(error) => return failed(classify(&error, Step::Groups), label),
    };
    if let Some(group) = assignments.first() {
        let members = match client.group_members_first_page(&group.id) {
            Ok(page) => client.fetch_page::<OktaUser>(&page, "group").await.map(|_| ()),
            Err(error) => Err(error),
        };
        if let Err(error) = members {
            return failed(classify(&error, Step::Members), label);
        }
    }
    let message = match assignments.len() {
        0 => "Connected. The app has no groups assigned yet.".to_owned(),
        n if n >= 200 => {
            "Connected. The token can read the app, its groups and their members.".to_owned()
        }
        n => format!("Connected. The token can read the app, its {n} groups and their members."),
    };
    TestOktaConnectionResponse { ok: true, failure: None, message, app_label: label }
}

#[derive(Debug, Clone, Copy)]
enum Step {
    App,
    Groups,
    Members,
}

fn classify(error: &OktaError, step: Step) -> (ConnectionFailure, String) {
    use ConnectionFailure as F;
    let reference = error
        .request_id
        .as_deref()
        .map(|id| format!(" (Okta request id {id})"))
        .unwrap_or_default();
    if let Some(problem) = error.kind.service_app_problem() {
        let failure = match problem {
            ServiceAppProblem::InvalidClient => F::ServiceAppNotAccepted,
            ServiceAppProblem::MissingScope => F::ScopeNotGranted,
            ServiceAppProblem::NoAdminRole => F::AdminRoleMissing,
            ServiceAppProblem::Dpop => F::DpopRefused,
        };
        // The core error's words already name what to change in Okta.
        let kind = &error.kind;
        return (failure, format!("{}{reference}", sentence(&kind.to_string())));
    }
    let (failure, message) = match (&error.kind, step) {
        (OktaErrorKind::InvalidToken, _) => (
            F::InvalidToken,
            "Okta rejected the API token: it is wrong, expired or revoked.".to_owned(),
        ),
        (OktaErrorKind::PermissionDenied, Step::App) => {
            (F::MissingPermission, "The token works, but it may not read this app.".to_owned())
        }
        (OktaErrorKind::PermissionDenied, Step::Groups) => (
            F::MissingPermission,
            "The token works, but it may not read this app's groups.".to_owned(),
        ),
        (OktaErrorKind::PermissionDenied, Step::Members) => (
            F::MissingPermission,
            "The token works, but it may not read the members of the app's groups.".to_owned(),
        ),
        (OktaErrorKind::NotFound(_), _) => {
            (F::AppNotFound, "Okta has no app with this App ID.".to_owned())
        }
        (OktaErrorKind::RateLimited { .. }, _) => {
            (F::RateLimited, "Okta's rate limit was reached; try again in a minute.".to_owned())
        }
        (kind, _) => {
            (F::Unreachable, format!("Okta could not be reached or answered wrongly: {kind}."))
        }
    };
    (failure, format!("{message}{reference}"))
}

/// `text` as a sentence: a capital first letter and a full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let Some(first) = chars.next() else { return String::new() };
    let end = if text.ends_with('.') { "" } else { "." };
    format!("{}{}{end}", first.to_uppercase(), chars.as_str())
}

fn failed(
    (failure, message): (ConnectionFailure, String),
    app_label: Option<String>,
) -> TestOktaConnectionResponse {
    TestOktaConnectionResponse { ok: false, failure: Some(failure), message, app_label }
}
