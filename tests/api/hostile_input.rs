//! Bounded input: hostile values through every query parameter of every list endpoint never
//! make the Worker fail (no 5xx; every refusal is problem+json), a search longer than D1's
//! `LIKE` pattern limit is a 400 (counted in bytes), and a request body is capped while it
//! arrives, also when it declares no length.

use std::collections::BTreeMap;
use std::time::Duration;

use groupsync_core::api::{PROBLEM_CONTENT_TYPE, Problem};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, content_type, expect_problem};
use crate::world::World;

/// Every list endpoint with the query parameters it takes. The members of a group that does not
/// exist: the search runs in the same D1 batch as the group lookup, so its pattern reaches D1.
const LIST_ENDPOINTS: &[(&str, &[&str])] = &[
    ("/api/v1/groups", &["q", "sort", "page", "per_page"]),
    ("/api/v1/groups/00gnosuchgroup/members", &["q", "after", "per_page"]),
    ("/api/v1/users", &["q", "page", "per_page"]),
    ("/api/v1/invitations", &["q", "page", "per_page"]),
    ("/api/v1/sync/runs", &["page"]),
    ("/api/v1/audit", &["before", "limit", "target", "actor", "action", "from", "to"]),
    ("/api/v1/audit/export", &["target", "actor", "action", "from", "to"]),
    // Lists without parameters: a hostile one must not hurt them either.
    ("/api/v1/super-admins", &["x"]),
    ("/api/v1/api-keys", &["x"]),
    ("/api/v1/service-tokens", &["x"]),
    ("/api/v1/roles", &["x"]),
];

/// Hostile values, written as they go into the query string (percent-encoded where needed);
/// `{p}` stands for the parameter's own name.
fn hostile_values() -> Vec<(&'static str, String)> {
    vec![
        ("empty", String::new()),
        ("very long", "a".repeat(8_000)),
        ("NUL", "%00".into()),
        ("NUL inside", "a%00b".into()),
        ("control characters", "%01%02%08%0A%0D%1B%7F".into()),
        ("C1 control", "%C2%85".into()),
        ("invalid UTF-8", "%FF%FE%FD".into()),
        ("overlong UTF-8", "%C0%AF".into()),
        ("truncated UTF-8", "%E2%82".into()),
        ("lone percent", "%".into()),
        ("bad escape", "%ZZ%G1".into()),
        ("SQL quotes", "%27%22%60".into()),
        ("SQL injection", "%27%20OR%201%3D1%3B%20--".into()),
        ("SQL comment", "%2F*%20*%2F--%3B".into()),
        ("LIKE wildcards", "%25%25_%25_".into()),
        ("many underscores", "_".repeat(40)),
        ("backslashes", "%5C%5C%5C%25%5C_".into()),
        ("path traversal", "..%2F..%2F..%2Fetc%2Fpasswd".into()),
        ("raw dots", "../../".into()),
        ("huge number", "99999999999999999999999999999999".into()),
        ("u64 overflow", "18446744073709551616".into()),
        ("i64 max", "9223372036854775807".into()),
        ("negative", "-1".into()),
        ("negative zero", "-0".into()),
        ("zero", "0".into()),
        ("float", "1.5".into()),
        ("exponent", "1e3".into()),
        ("plus sign", "%2B5".into()),
        ("NaN", "NaN".into()),
        ("infinity", "Infinity".into()),
        ("hex", "0x10".into()),
        ("spaces", "%20%201%20".into()),
        ("RTL and zero-width", "%E2%80%AEabc%E2%80%8B%EF%BB%BF".into()),
        ("emoji", "%F0%9F%98%80".repeat(20)),
        ("multibyte over the pattern limit", "%C3%A9".repeat(25)),
        ("HTML script", "%3Cscript%3Ealert(1)%3C%2Fscript%3E".into()),
        ("JSON", "%7B%22a%22%3A%5B1%2Cnull%5D%7D".into()),
        ("ampersand and equals", "a%26b%3Dc".into()),
        ("IIS unicode escape", "%u0041".into()),
        ("repeated parameter", "1&{p}=2".into()),
        ("repeated, hostile second", "1&{p}=%00".into()),
    ]
}

#[tokio::test]
async fn hostile_values_in_every_query_parameter_of_every_list_endpoint_never_answer_5xx() {
    let app = TestApp::new();
    let root = app.as_person("root@example.com");
    let values = hostile_values();
    let (mut requests, mut parameters) = (0_usize, 0_usize);
    let mut server_errors = Vec::new();
    let mut not_problems = Vec::new();
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    for (path, names) in LIST_ENDPOINTS {
        for name in *names {
            parameters += 1;
            for (label, value) in &values {
                let url = format!("{path}?{name}={}", value.replace("{p}", name));
                let response = root.get(&url).await;
                requests += 1;
                let status = response.status();
                *statuses.entry(status.as_u16()).or_default() += 1;
                let is_problem = content_type(&response) == PROBLEM_CONTENT_TYPE;
                let body = response.text().await.unwrap_or_default();
                if status.is_server_error() {
                    server_errors.push(format!("{status} {path} {name}={label}: {body}"));
                } else if status.is_client_error()
                    && !(is_problem
                        && serde_json::from_str::<Problem>(&body)
                            .is_ok_and(|p| p.status == status.as_u16()))
                {
                    not_problems.push(format!("{status} {path} {name}={label}: {body}"));
                }
            }
        }
    }
    eprintln!(
        "hostile query values: {} values x {parameters} parameters of {} list endpoints = \
         {requests} requests; statuses {statuses:?}; 5xx: {}; 4xx that are not problem+json: {}",
        values.len(),
        LIST_ENDPOINTS.len(),
        server_errors.len(),
        not_problems.len()
    );
    assert!(values.len() >= 20);
    assert!(server_errors.is_empty(), "5xx answers:\n{}", server_errors.join("\n"));
    assert!(not_problems.is_empty(), "4xx without problem+json:\n{}", not_problems.join("\n"));
}

#[tokio::test]
async fn a_search_longer_than_d1s_like_pattern_limit_is_a_400_counted_in_bytes() {
    let app = TestApp::new();
    let root = app.as_person("root@example.com");
    let searchable =
        ["/api/v1/groups", "/api/v1/users", "/api/v1/invitations", "/api/v1/groups/00gx/members"];
    // 25 two-byte letters: 25 characters but 50 bytes, a 52-byte pattern with its wildcards.
    let over = [
        "%C3%A9".repeat(25),
        "a".repeat(51),
        "%F0%9F%98%80".repeat(13),
        // 25 wildcards: 25 bytes of search, but 52 of pattern once each is escaped.
        "%25".repeat(13) + &"_".repeat(12),
    ];
    for path in searchable {
        for q in &over {
            let problem = expect_problem(
                root.get(&format!("{path}?q={q}")).await,
                StatusCode::BAD_REQUEST,
                "invalid_query",
            )
            .await;
            assert!(problem.detail.starts_with("q: at most 48 bytes"), "{}", problem.detail);
        }
    }
    // What fits is searched: 24 two-byte letters, 48 bytes.
    for path in &searchable[..3] {
        let fits = root.get(&format!("{path}?q={}", "%C3%A9".repeat(24))).await;
        assert_eq!(fits.status(), StatusCode::OK, "{path}");
    }
}

/// How long a test waits for the Worker's answer to a body still being sent: far longer than it
/// takes (milliseconds), so that only a Worker that waits for the body's end misses it.
const ANSWER_PATIENCE: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_chunked_body_over_64_kib_is_refused_while_it_still_arrives() {
    let app = TestApp::new();
    let token = World::get().person("root@example.com");

    // 80 KiB of a body that never ends: the answer must come while the client still sends.
    let (status, body) = post_chunked_to_the_worker(&app, &token, 80 * 1024, false).await;
    assert_eq!(status, Some(413), "a 413 before the body's end: {body}");
    let problem: Problem = serde_json::from_str(&body).expect("a problem body");
    assert_eq!(problem.code, "payload_too_large");
    wait_until_healthy(&app).await;

    // A whole body of 1 MiB without a length.
    let (status, body) = post_chunked_to_the_worker(&app, &token, 1024 * 1024, true).await;
    assert_eq!(status, Some(413), "{body}");
    wait_until_healthy(&app).await;

    // The Worker stays healthy, and a small chunked body is read as usual.
    let (status, body) = post_chunked_to_the_worker(&app, &token, 16, true).await;
    assert_eq!(status, Some(400), "{body}");
    assert!(body.contains("invalid_json"), "an unreadable small body is read, then refused");
}

/// Waits until the Worker answers its health check. Locally, `wrangler dev`'s proxy reloads its
/// connection to the Worker after an answer that left the request body unread (Cloudflare's
/// edge does not): a GET waits for the reload, while a write sent during it gets the proxy's own
/// 503 ("Your worker restarted mid-request").
async fn wait_until_healthy(app: &TestApp) {
    let status = app.get("/api/v1/health").await.status();
    assert_eq!(status, StatusCode::OK, "the Worker answers after refusing a large body");
}

/// The proxy's answer to a write sent while it reloads (see [`wait_until_healthy`]): the
/// request never reached the Worker.
const PROXY_RELOADING: &str = "Your worker restarted mid-request";

/// [`post_chunked`], sent again while the answer is the proxy's reload rather than the
/// Worker's. The reload starts after the previous answer, so a health check answered before it
/// began does not rule it out; the proxy retries only GET and HEAD itself.
async fn post_chunked_to_the_worker(
    app: &TestApp,
    token: &str,
    size: usize,
    finish: bool,
) -> (Option<u16>, String) {
    for _ in 0..5 {
        let (status, body) = post_chunked(app, token, size, finish).await;
        if status != Some(503) || !body.contains(PROXY_RELOADING) {
            return (status, body);
        }
        wait_until_healthy(app).await;
    }
    panic!("the proxy kept reloading: the Worker was never reached");
}

/// Sends `POST /api/v1/super-admins` as `token` with a chunked body of `size` bytes (not JSON)
/// in 8 KiB chunks, ending it only if `finish`, and returns the answer's status (`None`: no answer
/// within [`ANSWER_PATIENCE`]) and body. The request is written by hand: no client library sends a
/// body it never ends.
async fn post_chunked(
    app: &TestApp,
    token: &str,
    size: usize,
    finish: bool,
) -> (Option<u16>, String) {
    let host = app.origin().trim_start_matches("http://").to_owned();
    let stream = TcpStream::connect(&host).await.expect("the stack accepts a connection");
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST /api/v1/super-admins HTTP/1.1\r\nHost: {host}\r\nCf-Access-Jwt-Assertion: {token}\r\n\
         X-Requested-By: okta-groups-sync\r\nContent-Type: application/json\r\n\
         Accept: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    // The writer goes on in the background: the Worker may answer (and stop reading) before
    // it is done, and then writing fails, which is no error of the test.
    let sender = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        let chunk = vec![b'['; 8 * 1024];
        let mut sent = 0;
        while sent < size {
            let part = &chunk[..chunk.len().min(size - sent)];
            writer.write_all(format!("{:x}\r\n", part.len()).as_bytes()).await?;
            writer.write_all(part).await?;
            writer.write_all(b"\r\n").await?;
            sent += part.len();
        }
        if finish {
            writer.write_all(b"0\r\n\r\n").await?;
        }
        writer.flush().await?;
        // Held open until the answer is read: dropping the writer would end the body.
        std::future::pending::<std::io::Result<()>>().await
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(ANSWER_PATIENCE, async {
        let mut buffer = [0_u8; 4096];
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
            if complete_response(&answer) {
                break;
            }
        }
    })
    .await;
    sender.abort();
    let text = String::from_utf8_lossy(&answer).into_owned();
    if read.is_err() && !complete_response(&answer) {
        return (None, text);
    }
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok());
    let body = text.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default();
    (status, dechunk(&body))
}

/// Whether `answer` holds a whole HTTP response (its head, and a body of its declared length or
/// a finished chunked body).
fn complete_response(answer: &[u8]) -> bool {
    let text = String::from_utf8_lossy(answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else { return false };
    let head = head.to_ascii_lowercase();
    if let Some(length) = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|l| l.trim().parse::<usize>().ok())
    {
        return body.len() >= length;
    }
    body.ends_with("0\r\n\r\n")
}

/// The body of a chunked answer (or the body itself, if it is not chunked).
fn dechunk(body: &str) -> String {
    let mut rest = body;
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else { return body.to_owned() };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    if out.is_empty() { body.to_owned() } else { out }
}
