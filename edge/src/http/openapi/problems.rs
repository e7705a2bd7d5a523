//! The problems each operation can answer, as the document lists them: one response per status,
//! its description naming each code it can carry and when, its schema `Problem` with `status`
//! and `code` narrowed to those. No catch-all: a status an operation answers but the document
//! does not list is drift, which Schemathesis (`status_code_conformance`) and any client that
//! refuses undocumented statuses see.
//!
//! Most of an operation's problems follow from what it is: who may call it (the route's
//! `Access`, decided by the same `Principal::authorize` the Worker runs), whether it writes,
//! whether it takes a JSON body, names something in its path or reads a query. The rest are its
//! own ([`particular`]): its conflicts, its own refusals and the per-caller limits it counts
//! against.
//!
//! Not listed, on purpose:
//! - `500` (`internal`, `misconfigured`): the service's failure, never an answer a client should
//!   plan for (and Schemathesis' `not_a_server_error` must keep failing on one);
//! - `405 method_not_allowed`: the answer to a method the path has no operation for, so no
//!   operation's;
//! - a `413` or `415` for a body sent to an operation that takes none (the guard looks at every
//!   request's `Content-Length`): such a request is outside the operation's contract.

use std::collections::BTreeMap;

use groupsync_core::api::ProblemCode;
use groupsync_core::domain::Permission;
use serde_json::{Map, Value, json};

use crate::http::guard::{self, CSRF_HEADER, MAX_BODY_BYTES};
use crate::http::routes::{Endpoint, Route};
use crate::service::access::{Access, Principal};
use crate::service::okta_hooks::MAX_DELIVERY_BYTES;

/// A problem an operation can answer: its code, and when (a sentence).
type Cause = (ProblemCode, String);

/// The codes one status carries, each with when, in the order a request meets them.
type Codes = Vec<(ProblemCode, Vec<String>)>;

/// What the generator knows of an operation that decides the problems it can answer.
pub(super) struct Operation<'a> {
    /// Its route: method, pattern, endpoint and who may call it.
    pub(super) route: &'a Route,
    /// The names of its path parameters.
    pub(super) path: &'a [&'a str],
    /// Whether it takes a JSON body.
    pub(super) body: bool,
    /// Whether it reads query parameters (each is validated, and an unknown one refused).
    pub(super) query: bool,
}

/// The `429` of the failed credential attempts, counted per client address.
const FAILED_ATTEMPTS: &str = "This client address made too many failed credential attempts \
                               this minute: every request from it is refused until the minute \
                               ends.";

/// The `429` of the changes a caller may make per minute.
const WRITES: (ProblemCode, &str) = (
    ProblemCode::RateLimited,
    "The caller made more changes this minute than the deployment allows.",
);

/// The `429` of the Okta connection tests a caller may run per minute.
const OKTA_TESTS: (ProblemCode, &str) = (
    ProblemCode::RateLimited,
    "The caller tested an Okta connection more often this minute than the deployment allows.",
);

/// The refusal to change a built-in role.
const BUILT_IN: (ProblemCode, &str) =
    (ProblemCode::Conflict, "The role is a built-in one, which cannot be changed.");

/// Why the configured Okta tenant, app and credential cannot be used
/// (`okta_target::access_for`).
const OKTA_TARGET: [(ProblemCode, &str); 5] = [
    (ProblemCode::OktaNotConfigured, "The tenant URL, App ID or credential is not set yet."),
    (
        ProblemCode::DeploymentTenantMismatch,
        "The tenant is not the deployment's (`OKTA_TENANT_URL`), the only one its token goes to.",
    ),
    (
        ProblemCode::TokenKeyChanged,
        "The stored token or service-app key was sealed with a key the deployment no longer has.",
    ),
    (
        ProblemCode::TokenRequired,
        "The stored token belongs to another tenant URL or App ID, or cannot be read: enter it \
         again.",
    ),
    (
        ProblemCode::TokenRequired,
        "The service app is chosen without a client ID (`field`: `client_id`) or a key pair \
         (`field`: `service_app_key`).",
    ),
];

/// The problem answers of `operation`, by status: each with a description that names the codes
/// it can carry and when, and the `Problem` schema (`problem`) narrowed to them.
pub(super) fn responses(operation: &Operation<'_>, problem: &Value) -> Map<String, Value> {
    let mut by_status: BTreeMap<u16, Codes> = BTreeMap::new();
    for (code, when) in causes(operation) {
        let codes = by_status.entry(code.status()).or_default();
        match codes.iter_mut().find(|(c, _)| *c == code) {
            Some((_, whens)) if !whens.contains(&when) => whens.push(when),
            Some(_) => {}
            None => codes.push((code, vec![when])),
        }
    }
    by_status
        .into_iter()
        .map(|(status, codes)| (status.to_string(), response(status, &codes, problem)))
        .collect()
}

/// One status's answer: its codes, each with when, and `problem` narrowed to them.
fn response(status: u16, codes: &Codes, problem: &Value) -> Value {
    let description: Vec<String> = codes
        .iter()
        .map(|(code, whens)| format!("`{}`: {}", code.as_str(), whens.join(" ")))
        .collect();
    let names: Vec<&str> = codes.iter().map(|(code, _)| code.as_str()).collect();
    let mut schema = problem.clone();
    schema["properties"] = json!({ "status": { "const": status }, "code": { "enum": names } });
    json!({
        "description": description.join("\n"),
        "content": { "application/problem+json": { "schema": schema } },
    })
}

/// Every problem `operation` can answer, in the order a request meets them.
fn causes(operation: &Operation<'_>) -> Vec<Cause> {
    let Operation { route, path, body, query } = *operation;
    let particular = particular(route.endpoint).into_iter().map(|(code, when)| (code, when.into()));
    identity(route)
        .into_iter()
        .chain(forgery(route))
        .chain(request_body(route, body))
        .chain(path_parameters(route.endpoint, path))
        .chain(query_string(query))
        .chain(particular)
        .collect()
}

/// Who may call the route: a secured one refuses a caller it cannot identify or who may not
/// call it; Okta's calls carry the Event Hook's secret instead; public ones refuse no one.
fn identity(route: &Route) -> Vec<Cause> {
    let access = route.access;
    match access {
        Access::Public => Vec::new(),
        Access::OktaEventHook => vec![
            (
                ProblemCode::Unauthenticated,
                "No Event Hook secret has been made yet, or the call carries a wrong one (a \
                 delivery must carry it)."
                    .to_owned(),
            ),
            (ProblemCode::RateLimited, FAILED_ATTEMPTS.to_owned()),
        ],
        Access::Authenticated | Access::Permission(_) | Access::SuperAdmin => {
            let write = guard::is_write(route.method.as_str()) && !route.endpoint.only_reads();
            let mut causes = vec![
                (
                    ProblemCode::Unauthenticated,
                    "No valid Access token, API key or registered service token.".to_owned(),
                ),
                (ProblemCode::RateLimited, FAILED_ATTEMPTS.to_owned()),
                (
                    ProblemCode::AccessKeysUnavailable,
                    "Cloudflare Access's signing keys could not be fetched for too long, so no \
                     token can be verified."
                        .to_owned(),
                ),
            ];
            causes.extend(refusals(access, write).into_iter().map(|d| (ProblemCode::Forbidden, d)));
            causes
        }
    }
}

/// How the Worker's own decision refuses the callers who may be refused here: a person without
/// roles, and a machine client with every permission machines may hold. None: everyone who is
/// identified may call it.
fn refusals(access: Access, write: bool) -> Vec<String> {
    let person = Principal::person("nobody@example.com".into(), "nobody".into(), false, Vec::new());
    let scopes = Permission::ALL.into_iter().filter(|p| p.is_for_machines()).collect();
    let machine = Principal::machine("a machine client".into(), scopes);
    let mut details: Vec<String> = Vec::new();
    for caller in [person, machine] {
        if let Err(refused) = caller.authorize(access, write) {
            let detail = refused.to_problem().detail;
            if !details.contains(&detail) {
                details.push(detail);
            }
        }
    }
    details
}

/// The cross-site request checks of every write (`http::guard`). Okta's calls skip them: they
/// carry the hook's secret, which no cross-site request can forge.
fn forgery(route: &Route) -> Option<Cause> {
    if route.access == Access::OktaEventHook || !guard::is_write(route.method.as_str()) {
        return None;
    }
    let (name, value) = CSRF_HEADER;
    let when = format!(
        "The write lacks the `{name}: {value}` header, or a browser sent it from another site or \
         origin."
    );
    Some((ProblemCode::CsrfRejected, when))
}

/// The refusals of a JSON body: unreadable, too large, of another type, or with an invalid
/// value. Okta's deliveries skip the guard (so no `415`), are read up to their own cap, and are
/// parsed (a `400`), not validated.
fn request_body(route: &Route, takes_body: bool) -> Vec<Cause> {
    if !takes_body {
        return Vec::new();
    }
    let too_large = |cap: usize| {
        (ProblemCode::PayloadTooLarge, format!("The body is larger than {cap} bytes."))
    };
    if route.access == Access::OktaEventHook {
        return vec![
            (ProblemCode::InvalidJson, "The body is not a delivery of Okta's shape.".to_owned()),
            too_large(MAX_DELIVERY_BYTES),
        ];
    }
    vec![
        (
            ProblemCode::InvalidJson,
            "The body is not JSON of the request's shape (a member missing, unknown or of \
             another type)."
                .to_owned(),
        ),
        too_large(MAX_BODY_BYTES),
        (ProblemCode::UnsupportedMediaType, "The body is not `application/json`.".to_owned()),
        (ProblemCode::InvalidInput, "A value of the body is invalid; `field` names it.".to_owned()),
    ]
}

/// What the path's parameters can be refused for: an `email` that is not one, and a name that
/// names nothing. A user's access is answered for any email (none, for a stranger): the one
/// path that looks nothing up.
fn path_parameters(endpoint: Endpoint, names: &[&str]) -> Vec<Cause> {
    let mut causes = Vec::new();
    if names.contains(&"email") {
        let when = "The `email` in the path is not an email address.";
        causes.push((ProblemCode::InvalidInput, when.to_owned()));
    }
    if !names.is_empty() && endpoint != Endpoint::GetUserAccess {
        let names: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
        let when = format!("Nothing has the path's {}.", names.join(" and "));
        causes.push((ProblemCode::NotFound, when));
    }
    causes
}

/// The refusal of a query the operation cannot read (`http::listing`): every operation that
/// reads one validates what it reads, and all but a webhook's deliveries refuse a parameter
/// they do not know or that is given twice.
fn query_string(reads_query: bool) -> Option<Cause> {
    let when = "A query parameter is unknown, given twice, malformed or out of range; `field` \
                names it.";
    reads_query.then(|| (ProblemCode::InvalidQuery, when.to_owned()))
}

/// The problems particular to each endpoint: its conflicts, its own refusals, and the
/// per-caller limits it counts against (read from its handler and use case).
#[expect(clippy::too_many_lines, reason = "one arm per endpoint, the table itself")]
fn particular(endpoint: Endpoint) -> Vec<(ProblemCode, &'static str)> {
    use Endpoint as E;
    use ProblemCode as P;
    match endpoint {
        E::Health
        | E::OpenApi
        | E::Me
        | E::ListRoles
        | E::ListPermissions
        | E::GetOktaSettings
        | E::GetOktaEventHook
        | E::ReceiveOktaEvents
        | E::ListSuperAdmins
        | E::ListApiKeys
        | E::ListServiceTokens
        | E::ListGroups
        | E::GetGroup
        | E::ListGroupMembers
        | E::ListSyncRuns
        | E::GetSyncRun
        | E::GetSyncStatus
        | E::ListInvitations
        | E::ListUsers
        | E::GetUserAccess
        | E::ListAudit
        | E::ExportAudit
        | E::ListWebhooks
        | E::ListWebhookDeliveries => Vec::new(),
        E::DevSignIn => vec![
            (
                P::NotFound,
                "The dev sign-in is off, or the request did not come to a loopback host.",
            ),
            (P::RateLimited, "Too many dev sign-ins this minute."),
        ],
        E::UpdateOktaSettings => vec![
            (
                P::TokenManagedByDeployment,
                "A token was typed while the deployment sets it (`OKTA_API_TOKEN`).",
            ),
            OKTA_TARGET[1],
            (
                P::TokenRequired,
                "The tenant URL, the App ID or the credential changes to the API token without \
                 it.",
            ),
            (
                P::OktaTestFailed,
                "The connection test with these settings failed: nothing was saved.",
            ),
            (
                P::VersionConflict,
                "The settings changed while the test ran (a key pair made, another save): nothing \
                 was saved.",
            ),
            WRITES,
            OKTA_TESTS,
        ],
        E::TestOktaConnection => [&OKTA_TARGET[..], &[OKTA_TESTS]].concat(),
        E::MakeServiceAppKey => vec![
            (
                P::TokenManagedByDeployment,
                "The deployment sets the API token (`OKTA_API_TOKEN`): no service app here.",
            ),
            (P::VersionConflict, "A save of the settings landed while the key was made: retry."),
            WRITES,
        ],
        E::RotateOktaEventHookSecret
        | E::CreateApiKey
        | E::RevokeApiKey
        | E::RevokeServiceToken
        | E::DeleteWebhook
        | E::RedeliverWebhook => vec![WRITES],
        E::VerifyOktaEventHook => vec![(
            P::InvalidInput,
            "The `x-okta-verification-challenge` header is missing, or not a challenge Okta sends.",
        )],
        E::GrantSuperAdmin => {
            vec![(P::AlreadyExists, "The person is a superAdmin already."), WRITES]
        }
        E::RevokeSuperAdmin => {
            vec![(P::LastSuperAdmin, "The person is the last superAdmin."), WRITES]
        }
        E::RegisterServiceToken => {
            vec![(P::AlreadyExists, "The service token is registered already."), WRITES]
        }
        E::CreateGroup => vec![
            (P::SyncEnabled, "Groups come from Okta while sync is on: none can be made by hand."),
            WRITES,
        ],
        E::SetGroupRoles => vec![
            (
                P::VersionConflict,
                "Someone else saved the group's roles first: reload, then apply the change again.",
            ),
            (
                P::BeyondOwnAccess,
                "A role or grant added or removed holds a permission the caller does not.",
            ),
            WRITES,
        ],
        E::StartSync => [
            &OKTA_TARGET[..],
            &[
                (
                    P::InvalidInput,
                    "The stored tenant URL or App ID no longer passes the deployment's rules.",
                ),
                (P::Conflict, "The run it would join did not record itself: try again."),
            ],
        ]
        .concat(),
        E::ConfirmSyncRun | E::DiscardSyncRun => {
            vec![(P::Conflict, "The run is not held for confirmation."), WRITES]
        }
        E::CreateInvitation => vec![
            (P::AlreadyExists, "The email is invited already."),
            (
                P::UnknownToOkta,
                "Okta has no user with the email, or could not be asked, and `confirm_unknown` \
                 is not set.",
            ),
            (
                P::BeyondOwnAccess,
                "The roles the person would get hold a permission the caller does not.",
            ),
            WRITES,
        ],
        E::RevokeInvitation => vec![
            (P::Conflict, "The invitation was used to sign in, so it cannot be withdrawn."),
            WRITES,
        ],
        E::CheckAccess => vec![(
            P::InvalidQuery,
            "The permission is not registered, or no group has the what-if group's id.",
        )],
        E::CheckAccessBatch => vec![(
            P::InvalidInput,
            "A check's permission is not registered, or no group has its what-if group's id.",
        )],
        E::CreateRole => vec![
            (P::AlreadyExists, "A role has the key or the name already."),
            (P::Conflict, "There are as many custom roles as there may be."),
            WRITES,
        ],
        E::UpdateRole => vec![
            BUILT_IN,
            (
                P::VersionConflict,
                "Someone else changed the role first: reload, then apply the change again.",
            ),
            (P::AlreadyExists, "Another role has the name."),
            WRITES,
        ],
        E::RoleImpact => vec![BUILT_IN],
        E::DeleteRole => vec![BUILT_IN, WRITES],
        E::RegisterPermission => vec![
            (P::AlreadyExists, "The permission is registered already."),
            (P::Conflict, "The relying app has as many permissions as there may be."),
            WRITES,
        ],
        E::RemovePermission => vec![(P::Conflict, "A custom role holds the permission."), WRITES],
        E::CreateWebhook => {
            vec![(P::Conflict, "As many endpoints are registered as there may be."), WRITES]
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::http::routes::{Method, ROUTES};

    /// The document's answers of `route`, by status.
    fn answers(doc: &Value, route: &Route) -> Map<String, Value> {
        let operation = &doc["paths"][route.pattern][route.method.as_str().to_lowercase()];
        operation["responses"].as_object().cloned().unwrap_or_default()
    }

    /// The codes the answer `status` of `route` may carry (none: no such answer).
    fn codes(doc: &Value, route: &Route, status: &str) -> Vec<String> {
        let answers = Value::Object(answers(doc, route));
        let schema = &answers[status]["content"]["application/problem+json"]["schema"];
        let codes = schema["properties"]["code"]["enum"].as_array().cloned().unwrap_or_default();
        codes.iter().filter_map(|code| code.as_str().map(str::to_owned)).collect()
    }

    fn lists(doc: &Value, route: &Route, status: &str, code: &str) -> bool {
        codes(doc, route, status).iter().any(|listed| listed == code)
    }

    fn name(route: &Route) -> String {
        format!("{} {}", route.method, route.pattern)
    }

    fn secured(route: &Route) -> bool {
        matches!(route.access, Access::Authenticated | Access::Permission(_) | Access::SuperAdmin)
    }

    fn has_path_parameter(route: &Route) -> bool {
        route.pattern.contains('{')
    }

    #[test]
    fn no_operation_answers_a_catch_all_or_a_server_error() {
        let doc = super::super::generate::document();
        for route in ROUTES {
            for status in answers(&doc, route).keys() {
                assert_ne!(status, "default", "{}: a catch-all answer", name(route));
                assert!(!status.starts_with('5') || status == "503", "{}: {status}", name(route));
            }
            for code in ["internal", "misconfigured"] {
                assert!(!lists(&doc, route, "500", code), "{}: {code}", name(route));
            }
        }
    }

    /// Each problem answer is a `Problem` whose `status` is its own and whose codes are those
    /// of that status, each named by its description.
    #[test]
    fn each_problem_answer_names_its_codes_and_only_codes_of_its_status() {
        let doc = super::super::generate::document();
        let mut problem_answers = 0;
        for route in ROUTES {
            for (status, answer) in answers(&doc, route) {
                let Some(schema) = answer["content"].get("application/problem+json") else {
                    assert!(
                        status.starts_with('2') || status == "503",
                        "{}: {status}",
                        name(route)
                    );
                    continue;
                };
                let schema = &schema["schema"];
                assert_eq!(schema["$ref"], "#/components/schemas/Problem", "{}", name(route));
                assert_eq!(schema["properties"]["status"]["const"].to_string(), status);
                let listed = codes(&doc, route, &status);
                assert!(!listed.is_empty(), "{} {status}: no code", name(route));
                let description = answer["description"].as_str().unwrap_or_default();
                for code in &listed {
                    let known = ProblemCode::ALL.into_iter().find(|c| c.as_str() == code);
                    let known = known.unwrap_or_else(|| panic!("{code} is not a code"));
                    assert_eq!(known.status().to_string(), status, "{}: {code}", name(route));
                    assert!(description.contains(&format!("`{code}`: ")), "{description}");
                }
                problem_answers += 1;
            }
        }
        assert!(problem_answers > ROUTES.len(), "most operations answer several problems");
    }

    #[test]
    fn only_secured_operations_refuse_a_caller_they_cannot_identify() {
        let doc = super::super::generate::document();
        for route in ROUTES {
            let hook = route.access == Access::OktaEventHook;
            let identifies = secured(route);
            assert_eq!(
                lists(&doc, route, "401", "unauthenticated"),
                identifies || hook,
                "{}",
                name(route)
            );
            assert_eq!(
                lists(&doc, route, "503", "access_keys_unavailable"),
                identifies,
                "{}",
                name(route)
            );
            // Whoever presents a credential counts against its address's failed attempts.
            assert_eq!(
                lists(&doc, route, "429", "rate_limited"),
                identifies || hook || route.endpoint == Endpoint::DevSignIn,
                "{}",
                name(route)
            );
        }
    }

    /// `forbidden` wherever an identified caller can be turned away: the route needs a
    /// permission or superAdmin, or it writes (machine clients only read, but for the catalog);
    /// `csrf_rejected` on every write the request guard sees.
    #[test]
    fn callers_are_refused_where_the_route_needs_more_than_an_identity() {
        let doc = super::super::generate::document();
        for route in ROUTES.iter().filter(|route| secured(route)) {
            let writes = route.method != Method::Get && !route.endpoint.only_reads();
            let needs_more = matches!(route.access, Access::Permission(_) | Access::SuperAdmin);
            assert_eq!(
                lists(&doc, route, "403", "forbidden"),
                needs_more || writes,
                "{}",
                name(route)
            );
        }
        for route in ROUTES {
            let guarded = route.method != Method::Get && route.access != Access::OktaEventHook;
            assert_eq!(lists(&doc, route, "403", "csrf_rejected"), guarded, "{}", name(route));
        }
        let me = ROUTES.iter().find(|r| r.endpoint == Endpoint::Me).unwrap();
        assert!(codes(&doc, me, "403").is_empty(), "anyone identified may ask who they are");
        let catalog = ROUTES.iter().find(|r| r.endpoint == Endpoint::RegisterPermission).unwrap();
        let description = answers(&doc, catalog)["403"]["description"].as_str().unwrap().to_owned();
        assert!(!description.contains("Machine clients"), "machines may register: {description}");
    }

    #[test]
    fn every_operation_with_a_body_refuses_a_body_it_cannot_take() {
        let doc = super::super::generate::document();
        let mut bodies = 0;
        for route in ROUTES {
            let operation = &doc["paths"][route.pattern][route.method.as_str().to_lowercase()];
            let body = operation["requestBody"].is_object();
            let guarded = body && route.access != Access::OktaEventHook;
            let name = name(route);
            assert_eq!(lists(&doc, route, "400", "invalid_json"), body, "{name}");
            assert_eq!(lists(&doc, route, "413", "payload_too_large"), body, "{name}");
            assert_eq!(lists(&doc, route, "415", "unsupported_media_type"), guarded, "{name}");
            if guarded {
                assert!(lists(&doc, route, "422", "invalid_input"), "{name}");
            }
            bodies += usize::from(body);
        }
        assert!(bodies > 10, "the writes take bodies");
    }

    #[test]
    fn every_path_parameter_can_name_nothing() {
        let doc = super::super::generate::document();
        for route in ROUTES {
            // A user's access is answered for any email: nobody's is no access.
            let looks_up = has_path_parameter(route) && route.endpoint != Endpoint::GetUserAccess;
            // The dev sign-in is not there at all where it is off.
            let absent = route.endpoint == Endpoint::DevSignIn;
            let not_found = lists(&doc, route, "404", "not_found");
            assert_eq!(not_found, looks_up || absent, "{}", name(route));
            if route.pattern.contains("{email}") {
                assert!(lists(&doc, route, "422", "invalid_input"), "{}", name(route));
            }
        }
    }

    #[test]
    fn every_operation_that_reads_its_query_refuses_a_bad_one() {
        let doc = super::super::generate::document();
        for route in ROUTES {
            let operation = &doc["paths"][route.pattern][route.method.as_str().to_lowercase()];
            let parameters = operation["parameters"].as_array().cloned().unwrap_or_default();
            let query = parameters.iter().any(|p| p["in"] == "query");
            assert_eq!(lists(&doc, route, "400", "invalid_query"), query, "{}", name(route));
        }
    }

    /// A code added to `core` is documented where it can be answered, or listed here with
    /// why it is not.
    #[test]
    fn every_code_a_client_can_meet_is_documented() {
        let doc = super::super::generate::document();
        let mut documented = BTreeSet::new();
        for route in ROUTES {
            for status in answers(&doc, route).keys() {
                documented.extend(codes(&doc, route, status));
            }
        }
        let undocumented: Vec<&str> = ProblemCode::ALL
            .into_iter()
            .map(ProblemCode::as_str)
            .filter(|code| !documented.contains(*code))
            .collect();
        // 405 answers a method the path has no operation for; 500s are the service's failures.
        assert_eq!(undocumented, ["method_not_allowed", "misconfigured", "internal"]);
    }

    #[test]
    fn codes_sharing_a_status_share_one_answer_and_its_description() {
        let route = ROUTES.iter().find(|r| r.endpoint == Endpoint::UpdateRole).unwrap();
        let facts = Operation { route, path: &["key"], body: true, query: false };
        let answers = responses(&facts, &json!({ "$ref": "#/components/schemas/Problem" }));
        let conflict = &answers["409"];
        let description = conflict["description"].as_str().unwrap();
        assert_eq!(description.lines().count(), 3, "{description}");
        assert!(description.starts_with("`conflict`: The role is a built-in one"));
        let schema = &conflict["content"]["application/problem+json"]["schema"];
        assert_eq!(
            schema["properties"]["code"]["enum"],
            json!(["conflict", "version_conflict", "already_exists"])
        );
        // Two reasons for one code are one line.
        let limited = answers["429"]["description"].as_str().unwrap();
        assert_eq!(limited.lines().count(), 1, "{limited}");
        assert!(limited.contains("failed credential attempts") && limited.contains("changes"));
    }
}
