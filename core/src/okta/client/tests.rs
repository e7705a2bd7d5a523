//! Unit tests of the client over a scripted transport and a virtual clock: each answer Okta can
//! give, and what the client makes of it. (Tests against the fake Okta server live in
//! `tests/okta`.)

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;

use futures_executor::block_on;

use super::*;

const APP: &str = "0oa1bcdefghijklmnopq";
const GROUP: &str = "00g1bcdefghijklmnopq";
const ORIGIN: &str = "https://acme.okta.com";

/// What the scripted Okta does with one request.
#[derive(Debug)]
enum Step {
    Answer(HttpResponse),
    Fail(TransportError),
    Hang,
}

/// Answers requests from a script, in order, and records what was asked.
#[derive(Debug, Default)]
struct Script {
    steps: RefCell<VecDeque<Step>>,
    requests: RefCell<Vec<HttpRequest>>,
    /// The bodies of POST requests, in order.
    posted: RefCell<Vec<String>>,
}

impl HttpTransport for &Script {
    async fn get(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.answer(request).await
    }

    async fn post_form(
        &self,
        request: HttpRequest,
        body: String,
    ) -> Result<HttpResponse, TransportError> {
        self.posted.borrow_mut().push(body);
        self.answer(request).await
    }
}

impl Script {
    async fn answer(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.requests.borrow_mut().push(request);
        let step = self
            .steps
            .borrow_mut()
            .pop_front()
            .expect("the script has an answer for every request");
        match step {
            Step::Answer(response) => Ok(response),
            Step::Fail(error) => Err(error),
            Step::Hang => std::future::pending().await,
        }
    }
}

/// A clock whose sleeps pass at once, moving virtual time.
#[derive(Debug, Default)]
struct VirtualClock {
    now_ms: Cell<u64>,
    slept: RefCell<Vec<Duration>>,
}

impl Clock for &VirtualClock {
    fn now_ms(&self) -> u64 {
        self.now_ms.get()
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> {
        // Time passes only for a sleep that is awaited, not for a timeout that lost its race.
        let clock: &VirtualClock = self;
        async move {
            clock.slept.borrow_mut().push(duration);
            clock.now_ms.set(clock.now_ms.get() + u64::try_from(duration.as_millis()).unwrap());
        }
    }
}

fn answer(status: u16, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![
            ("X-Okta-Request-Id".into(), format!("req-{status}")),
            ("X-Rate-Limit-Limit".into(), "1200".into()),
            ("X-Rate-Limit-Remaining".into(), "1199".into()),
            ("X-Rate-Limit-Reset".into(), "1060".into()),
            ("Date".into(), "Thu, 01 Jan 1970 00:16:40 GMT".into()),
        ],
        body: body.as_bytes().to_vec(),
    }
}

fn with_next(mut response: HttpResponse, next: &str) -> HttpResponse {
    response.headers.push(("link".into(), format!("<{ORIGIN}/self>; rel=\"self\"")));
    response.headers.push(("link".into(), format!("<{next}>; rel=\"next\"")));
    response
}

fn okta_error(status: u16, code: &str) -> HttpResponse {
    answer(
        status,
        &format!(
            r#"{{"errorCode":"{code}","errorSummary":"x","errorLink":"{code}","errorId":"oae1","errorCauses":[]}}"#
        ),
    )
}

fn user(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","status":"ACTIVE","profile":{{"login":"{id}@example.com","email":"{id}@example.com"}}}}"#
    )
}

fn client<'a>(
    script: &'a Script,
    clock: &'a VirtualClock,
) -> OktaClient<&'a Script, &'a VirtualClock> {
    let config =
        ClientConfig { request_timeout: Duration::from_secs(5), ..ClientConfig::default() };
    OktaClient::new(
        TenantOrigin::parse(ORIGIN).unwrap(),
        OktaToken::new("canary-token"),
        script,
        clock,
        config,
    )
}

fn script(steps: Vec<Step>) -> Script {
    Script { steps: RefCell::new(steps.into()), ..Script::default() }
}

#[test]
fn every_request_carries_ssws_auth_json_accept_and_a_user_agent() {
    let script = script(vec![Step::Answer(answer(
        200,
        r#"{"id":"0oa1bcdefghijklmnopq","signOnMode":"SAML_2_0","status":"ACTIVE"}"#,
    ))]);
    let clock = VirtualClock::default();

    let app = block_on(client(&script, &clock).get_app(APP)).unwrap();

    assert!(app.is_saml2());
    let requests = script.requests.borrow();
    assert_eq!(requests[0].url, format!("{ORIGIN}/api/v1/apps/{APP}"));
    let header =
        |name: &str| requests[0].headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone());
    assert_eq!(header("Authorization").as_deref(), Some("SSWS canary-token"));
    assert_eq!(header("Accept").as_deref(), Some("application/json"));
    assert!(header("User-Agent").unwrap().starts_with("OktaGroupsSync/"));
}

#[test]
fn a_listing_follows_next_links_verbatim_to_the_last_page() {
    let next = format!("{ORIGIN}/api/v1/groups/{GROUP}/users?limit=200&after=opaque%2Bcursor");
    let script = script(vec![
        Step::Answer(with_next(answer(200, &format!("[{},{}]", user("a"), user("b"))), &next)),
        Step::Answer(answer(200, &format!("[{}]", user("c")))),
    ]);
    let clock = VirtualClock::default();

    let members = block_on(client(&script, &clock).list_group_members(GROUP)).unwrap();

    let ids: Vec<&str> = members.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    let requests = script.requests.borrow();
    assert_eq!(requests[0].url, format!("{ORIGIN}/api/v1/groups/{GROUP}/users?limit=200"));
    assert_eq!(requests[1].url, next, "the next link is followed exactly as given");
}

#[test]
fn a_next_link_to_another_host_scheme_or_port_is_refused_and_nothing_is_returned() {
    for foreign in [
        "https://evil.example/api/v1/groups/x/users?after=1",
        "http://acme.okta.com/api/v1/groups/x/users?after=1",
        "https://acme.okta.com:8443/api/v1/groups/x/users?after=1",
    ] {
        let script = script(vec![Step::Answer(with_next(
            answer(200, &format!("[{}]", user("a"))),
            foreign,
        ))]);
        let clock = VirtualClock::default();

        let error = block_on(client(&script, &clock).list_group_members(GROUP)).unwrap_err();

        assert!(matches!(error.kind, OktaErrorKind::ForeignNextLink(_)), "{foreign}: {error}");
        assert_eq!(script.requests.borrow().len(), 1, "{foreign}: the token went nowhere else");
    }
}

#[test]
fn a_pagination_loop_is_detected() {
    let first = format!("{ORIGIN}/api/v1/groups/{GROUP}/users?limit=200");
    let second = format!("{first}&after=2");
    let script = script(vec![
        Step::Answer(with_next(answer(200, "[]"), &second)),
        Step::Answer(with_next(answer(200, "[]"), &first)),
    ]);
    let clock = VirtualClock::default();

    let error = block_on(client(&script, &clock).list_group_members(GROUP)).unwrap_err();

    assert_eq!(error.kind, OktaErrorKind::PaginationLoop);
}

#[test]
fn the_page_cap_stops_an_endless_listing() {
    let steps = (0..3)
        .map(|i| {
            Step::Answer(with_next(
                answer(200, "[]"),
                &format!("{ORIGIN}/api/v1/groups/{GROUP}/users?after={i}"),
            ))
        })
        .collect();
    let script = script(steps);
    let clock = VirtualClock::default();
    let config = ClientConfig { max_pages: 3, ..ClientConfig::default() };
    let client = OktaClient::new(
        TenantOrigin::parse(ORIGIN).unwrap(),
        OktaToken::new("t"),
        &script,
        &clock,
        config,
    );

    let error = block_on(client.list_group_members(GROUP)).unwrap_err();

    assert_eq!(error.kind, OktaErrorKind::TooManyPages(3));
}

#[test]
fn okta_errors_are_typed_with_their_request_id() {
    let cases = [
        (okta_error(401, "E0000011"), OktaErrorKind::InvalidToken),
        (okta_error(403, "E0000006"), OktaErrorKind::PermissionDenied),
        (okta_error(404, "E0000007"), OktaErrorKind::NotFound("app")),
        (
            okta_error(400, "E0000001"),
            OktaErrorKind::Rejected { status: 400, error_code: Some("E0000001".into()) },
        ),
    ];
    for (response, expected) in cases {
        let status = response.status;
        let script = script(vec![Step::Answer(response)]);
        let clock = VirtualClock::default();

        let error = block_on(client(&script, &clock).get_app(APP)).unwrap_err();

        assert_eq!(error.kind, expected);
        assert_eq!(error.request_id, Some(format!("req-{status}")));
        assert_eq!(script.requests.borrow().len(), 1, "{status} is not retried");
    }
}

#[test]
fn a_redirect_is_never_followed() {
    let mut redirect = answer(302, "");
    redirect.headers.push(("Location".into(), "https://evil.example/steal".into()));
    let script = script(vec![Step::Answer(redirect)]);
    let clock = VirtualClock::default();

    let error = block_on(client(&script, &clock).get_app(APP)).unwrap_err();

    assert_eq!(error.kind, OktaErrorKind::Redirect(302));
    assert_eq!(script.requests.borrow().len(), 1);
}

#[test]
fn a_5xx_burst_is_retried_with_growing_backoff_and_okta_retry_headers() {
    let script = script(vec![
        Step::Answer(okta_error(500, "E0000009")),
        Step::Answer(okta_error(503, "E0000010")),
        Step::Answer(answer(200, r#"{"id":"00g1bcdefghijklmnopq","profile":{"name":"Eng"}}"#)),
    ]);
    let clock = VirtualClock::default();
    let client = client(&script, &clock);

    let group = block_on(client.get_group(GROUP)).unwrap();

    assert_eq!(group.profile.name.as_deref(), Some("Eng"));
    let backoffs = clock.slept.borrow().clone();
    assert_eq!(backoffs.len(), 2);
    assert!(
        backoffs[0] >= Duration::from_millis(500) && backoffs[0] <= Duration::from_millis(750),
        "{backoffs:?}"
    );
    assert!(
        backoffs[1] >= Duration::from_millis(1000) && backoffs[1] <= Duration::from_millis(1250),
        "{backoffs:?}"
    );
    let requests = script.requests.borrow();
    let retry_for =
        requests[2].headers.iter().find(|(n, _)| *n == "X-Okta-Retry-For").map(|(_, v)| v.as_str());
    assert_eq!(retry_for, Some("req-503"));
    assert_eq!(client.stats().retries, 2);
}

#[test]
fn a_5xx_that_persists_fails_after_the_bounded_retries() {
    let script = script((0..4).map(|_| Step::Answer(okta_error(503, "E0000010"))).collect());
    let clock = VirtualClock::default();

    let error = block_on(client(&script, &clock).get_group(GROUP)).unwrap_err();

    assert_eq!(
        error.kind,
        OktaErrorKind::Upstream { status: 503, error_code: Some("E0000010".into()) }
    );
    assert_eq!(script.requests.borrow().len(), 4, "one try and three retries");
}

#[test]
fn a_hanging_request_times_out_and_is_retried() {
    let script =
        script(vec![Step::Hang, Step::Answer(answer(200, r#"{"id":"00g1bcdefghijklmnopq"}"#))]);
    let clock = VirtualClock::default();

    let group = block_on(client(&script, &clock).get_group(GROUP)).unwrap();

    assert_eq!(group.id, "00g1bcdefghijklmnopq");
    assert_eq!(
        clock.slept.borrow()[0],
        Duration::from_secs(5),
        "the per-request timeout elapsed first"
    );
}

#[test]
fn a_429_waits_until_reset_measured_by_okta_date_plus_a_second_and_jitter() {
    let mut limited = okta_error(429, "E0000047");
    // Okta's clock says 1000 s, the window resets at 1030 s: 30 s from the answer.
    limited.headers.retain(|(n, _)| !n.starts_with("X-Rate-Limit"));
    limited.headers.push(("X-Rate-Limit-Limit".into(), "100".into()));
    limited.headers.push(("X-Rate-Limit-Remaining".into(), "0".into()));
    limited.headers.push(("X-Rate-Limit-Reset".into(), "1030".into()));
    let script = script(vec![
        Step::Answer(limited),
        Step::Answer(answer(200, r#"{"id":"00g1bcdefghijklmnopq"}"#)),
    ]);
    // The local clock is far from Okta's: only Reset − Date matters.
    let clock = VirtualClock { now_ms: Cell::new(5_000_000), ..VirtualClock::default() };
    let client = client(&script, &clock);

    block_on(client.get_group(GROUP)).unwrap();

    let waited = clock.slept.borrow()[0];
    assert!(
        waited >= Duration::from_secs(31) && waited <= Duration::from_millis(31_250),
        "{waited:?}"
    );
    let stats = client.stats();
    assert_eq!((stats.rate_limited, stats.rate_limit_waits, stats.requests), (1, 1, 2));
}

#[test]
fn a_malformed_or_truncated_body_is_an_error_not_a_short_list() {
    for body in ["[{\"id\":\"a\"", "<html>oops</html>", "{\"not\":\"a list\"}"] {
        let script = script(vec![Step::Answer(answer(200, body))]);
        let clock = VirtualClock::default();

        let error = block_on(client(&script, &clock).list_group_members(GROUP)).unwrap_err();

        assert!(matches!(error.kind, OktaErrorKind::Malformed(_)), "{body}: {error}");
    }
}

#[test]
fn an_oversized_answer_is_refused() {
    let script = script(vec![Step::Fail(TransportError::BodyTooLarge(8))]);
    let clock = VirtualClock::default();

    let error = block_on(client(&script, &clock).get_group(GROUP)).unwrap_err();

    assert_eq!(error.kind, OktaErrorKind::TooLarge(8));
}

#[test]
fn ids_that_are_not_okta_ids_never_reach_the_network() {
    let script = script(Vec::new());
    let clock = VirtualClock::default();
    let client = client(&script, &clock);

    for id in ["", "../../users", "0oa1bcdefghijklmnop?x", "0oa1bcdefghijklmnopqr"] {
        let error = block_on(client.get_app(id)).unwrap_err();
        assert!(matches!(error.kind, OktaErrorKind::InvalidInput(_)), "{id}");
    }
    let error = block_on(client.find_users_by_email("a\"@example.com")).unwrap_err();
    assert!(matches!(error.kind, OktaErrorKind::InvalidInput(_)));
    assert!(script.requests.borrow().is_empty());
}

#[test]
fn users_are_found_by_an_encoded_email_search() {
    let script = script(vec![Step::Answer(answer(200, &format!("[{}]", user("ann"))))]);
    let clock = VirtualClock::default();

    let users = block_on(client(&script, &clock).find_users_by_email("Ann+x@example.com")).unwrap();

    assert_eq!(users.len(), 1);
    let url = script.requests.borrow()[0].url.clone();
    assert_eq!(
        url,
        format!(
            "{ORIGIN}/api/v1/users?search=profile.email+eq+%22Ann%2Bx%40example.com%22&limit=200"
        )
    );
}

#[test]
fn no_error_or_debug_output_contains_the_token() {
    let script = script(vec![Step::Answer(okta_error(401, "E0000011"))]);
    let clock = VirtualClock::default();
    let client = client(&script, &clock);

    let error = block_on(client.get_app(APP)).unwrap_err();

    let shown = format!("{error} {error:?} {client:?} {:?}", script.requests.borrow());
    assert!(!shown.contains("canary"), "{shown}");
}

mod service_app {
    //! A service app's access tokens: fetched, presented as `Bearer` or `DPoP` with a proof per
    //! request, renewed once after a 401, and Okta's refusals typed.

    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::super::super::oauth::access_token_hash;
    use super::super::super::oauth::fixtures::test_key;
    use super::*;
    use crate::okta::{OktaCredential, ServiceAppCredential, ServiceAppProblem};

    const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzY3AiOltdfQ.c2ln";
    const CLIENT_ID: &str = "0oa1serviceapp000001";

    fn token_answer(token_type: &str) -> Step {
        Step::Answer(answer(
            200,
            &format!(
                r#"{{"token_type":"{token_type}","expires_in":3600,"access_token":"{TOKEN}","scope":"okta.apps.read okta.groups.read okta.users.read"}}"#
            ),
        ))
    }

    fn oauth_error(status: u16, error: &str) -> HttpResponse {
        answer(status, &format!(r#"{{"error":"{error}","error_description":"x"}}"#))
    }

    fn nonce_challenge(nonce: &str) -> Step {
        let mut response = oauth_error(400, "use_dpop_nonce");
        response.headers.push(("DPoP-Nonce".into(), nonce.into()));
        Step::Answer(response)
    }

    fn app_answer() -> Step {
        Step::Answer(answer(
            200,
            r#"{"id":"0oa1bcdefghijklmnopq","signOnMode":"SAML_2_0","status":"ACTIVE"}"#,
        ))
    }

    fn service_app_client<'a>(
        script: &'a Script,
        clock: &'a VirtualClock,
    ) -> OktaClient<&'a Script, &'a VirtualClock> {
        let next = Cell::new(0_u64);
        let ids = move || {
            next.set(next.get() + 1);
            format!("id-{}", next.get())
        };
        // One key for both jobs here: these tests are about the flow, not whose key signs.
        let credential =
            ServiceAppCredential::new(CLIENT_ID, test_key().clone(), test_key().clone(), ids);
        let config =
            ClientConfig { request_timeout: Duration::from_secs(5), ..ClientConfig::default() };
        OktaClient::with_credential(
            TenantOrigin::parse(ORIGIN).unwrap(),
            OktaCredential::ServiceApp(credential),
            script,
            clock,
            config,
        )
    }

    fn header(request: &HttpRequest, name: &str) -> Option<String> {
        request.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone())
    }

    /// The claims of a compact JWS (its signature is checked by the oauth module's tests).
    fn claims(jws: &str) -> serde_json::Value {
        let payload = jws.split('.').nth(1).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
    }

    fn token_url() -> String {
        format!("{ORIGIN}/oauth2/v1/token")
    }

    #[test]
    fn a_dpop_token_is_fetched_once_and_each_call_carries_a_fresh_bound_proof() {
        let script = script(vec![
            nonce_challenge("n-1"),
            token_answer("DPoP"),
            Step::Answer(answer(200, "[]")),
            Step::Answer(answer(200, "[]")),
        ]);
        let clock = VirtualClock::default();
        let client = service_app_client(&script, &clock);

        block_on(client.list_group_members(GROUP)).unwrap();
        block_on(client.list_group_members(GROUP)).unwrap();

        let requests = script.requests.borrow();
        assert_eq!(requests.len(), 4, "one nonce retry, one token, two calls");
        for (i, request) in requests[..2].iter().enumerate() {
            assert_eq!(request.url, token_url());
            let content_type = header(request, "Content-Type");
            assert_eq!(content_type.as_deref(), Some("application/x-www-form-urlencoded"));
            let proof = claims(&header(request, "DPoP").unwrap());
            assert_eq!(proof["htm"], "POST");
            assert_eq!(proof["htu"], token_url());
            assert_eq!(proof.get("nonce").and_then(|n| n.as_str()), [None, Some("n-1")][i]);
        }
        let posted = script.posted.borrow();
        let assertion_jti = |body: &str| {
            let (_, assertion) = url::form_urlencoded::parse(body.as_bytes())
                .find(|(name, _)| name == "client_assertion")
                .unwrap();
            claims(&assertion)["jti"].clone()
        };
        assert_ne!(assertion_jti(&posted[0]), assertion_jti(&posted[1]), "a new assertion");

        let mut proof_ids = Vec::new();
        for request in &requests[2..] {
            assert_eq!(header(request, "Authorization").unwrap(), format!("DPoP {TOKEN}"));
            let proof = claims(&header(request, "DPoP").unwrap());
            assert_eq!(proof["htm"], "GET");
            assert_eq!(proof["htu"], format!("{ORIGIN}/api/v1/groups/{GROUP}/users"));
            let expected_ath = access_token_hash(&client_token(&client).expect("a cached token"));
            assert_eq!(proof["ath"], expected_ath);
            proof_ids.push(proof["jti"].clone());
        }
        assert_ne!(proof_ids[0], proof_ids[1], "a fresh proof per request");
    }

    /// The cached token of `client`.
    fn client_token(
        client: &OktaClient<&Script, &VirtualClock>,
    ) -> Option<super::super::super::oauth::AccessToken> {
        let Credential::ServiceApp(app) = &client.credential else { return None };
        app.cache.borrow().get(0).map(|cached| cached.token.access_token.clone())
    }

    #[test]
    fn a_bearer_token_is_sent_without_a_proof() {
        let script = script(vec![token_answer("Bearer"), app_answer()]);
        let clock = VirtualClock::default();

        block_on(service_app_client(&script, &clock).get_app(APP)).unwrap();

        let requests = script.requests.borrow();
        let call = &requests[1];
        assert_eq!(header(call, "Authorization").unwrap(), format!("Bearer {TOKEN}"));
        assert_eq!(header(call, "DPoP"), None);
        let debug = format!("{call:?}");
        assert!(!debug.contains(TOKEN), "{debug}");
    }

    #[test]
    fn a_401_renews_the_token_once_and_a_second_401_fails() {
        let script = script(vec![
            token_answer("Bearer"),
            Step::Answer(okta_error(401, "E0000011")),
            token_answer("Bearer"),
            Step::Answer(okta_error(401, "E0000011")),
        ]);
        let clock = VirtualClock::default();

        let error = block_on(service_app_client(&script, &clock).get_app(APP)).unwrap_err();

        assert_eq!(error.kind, OktaErrorKind::InvalidToken);
        let urls: Vec<String> = script.requests.borrow().iter().map(|r| r.url.clone()).collect();
        assert_eq!(urls[0], token_url());
        assert_eq!(urls[2], token_url(), "the refused token was dropped");
        assert_eq!(urls.len(), 4, "no third token");
    }

    #[test]
    fn a_401_then_a_success_returns_the_answer() {
        let script = script(vec![
            token_answer("Bearer"),
            Step::Answer(okta_error(401, "E0000011")),
            token_answer("Bearer"),
            app_answer(),
        ]);
        let clock = VirtualClock::default();

        block_on(service_app_client(&script, &clock).get_app(APP)).unwrap();
    }

    #[test]
    fn a_second_nonce_challenge_fails_as_a_dpop_problem() {
        let script = script(vec![nonce_challenge("n-1"), nonce_challenge("n-2")]);
        let clock = VirtualClock::default();

        let error = block_on(service_app_client(&script, &clock).get_app(APP)).unwrap_err();

        assert_eq!(error.kind.service_app_problem(), Some(ServiceAppProblem::Dpop));
        assert_eq!(script.requests.borrow().len(), 2);
    }

    #[test]
    fn token_endpoint_refusals_are_typed_and_not_retried() {
        let cases = [
            (oauth_error(401, "invalid_client"), ServiceAppProblem::InvalidClient),
            (oauth_error(400, "invalid_scope"), ServiceAppProblem::MissingScope),
            (oauth_error(400, "invalid_dpop_proof"), ServiceAppProblem::Dpop),
        ];
        for (response, problem) in cases {
            let status = response.status;
            let script = script(vec![Step::Answer(response)]);
            let clock = VirtualClock::default();

            let error = block_on(service_app_client(&script, &clock).get_app(APP)).unwrap_err();

            assert!(matches!(error.kind, OktaErrorKind::TokenRefused(_)), "{error}");
            assert_eq!(error.kind.service_app_problem(), Some(problem));
            assert_eq!(error.request_id, Some(format!("req-{status}")));
            assert_eq!(script.requests.borrow().len(), 1);
        }
    }

    #[test]
    fn a_token_endpoint_outage_is_retried_like_any_call() {
        let script = script(vec![
            Step::Answer(answer(503, "")),
            Step::Fail(TransportError::Failed("reset".into())),
            token_answer("Bearer"),
            app_answer(),
        ]);
        let clock = VirtualClock::default();
        let client = service_app_client(&script, &clock);

        block_on(client.get_app(APP)).unwrap();

        assert_eq!(client.stats().retries, 2);
        assert_eq!(clock.slept.borrow().len(), 2, "backed off before each retry");
    }

    #[test]
    fn a_403_to_a_service_app_names_the_missing_scope_or_the_role() {
        let mut scope = okta_error(403, "E0000006");
        scope.headers.push((
            "WWW-Authenticate".into(),
            r#"Bearer realm="x", error="insufficient_scope", error_description="y", scope="okta.users.read""#.into(),
        ));
        let cases = [
            (scope, OktaErrorKind::MissingScope(Some("okta.users.read".into()))),
            (okta_error(403, "E0000006"), OktaErrorKind::NoAdminRole),
        ];
        for (response, expected) in cases {
            let script = script(vec![token_answer("Bearer"), Step::Answer(response)]);
            let clock = VirtualClock::default();

            let error = block_on(service_app_client(&script, &clock).get_app(APP)).unwrap_err();

            assert_eq!(error.kind, expected);
            assert_eq!(script.requests.borrow().len(), 2, "a 403 is not retried");
        }
    }

    #[test]
    fn the_client_debug_shows_no_secret() {
        let script = script(vec![token_answer("DPoP"), app_answer()]);
        let clock = VirtualClock::default();
        let client = service_app_client(&script, &clock);
        block_on(client.get_app(APP)).unwrap();

        let debug = format!("{:?}", client.credential);
        assert!(debug.contains(CLIENT_ID), "{debug}");
        assert!(debug.contains("AccessToken([redacted])"), "{debug}");
        assert!(!debug.contains("eyJ"), "{debug}");
    }
}
