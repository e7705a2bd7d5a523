//! Settings → Webhooks: a superAdmin adds an endpoint and sees its signing secret once, opens
//! its deliveries and removes it; a URL the deployment does not allow is refused in the edge's
//! words, under the field, and adds nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fake_okta::TenantSize;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::browser::Browser;
use crate::product::{Product, ROOT};

/// An endpoint a local stack accepts (loopback), where nothing listens (the discard port): no
/// event is sent to it in this test, and none could be delivered.
const HOOK: &str = "http://127.0.0.1:9/hook";

/// Refused everywhere: plain http off loopback, to a host on no allow-list.
const REFUSED: &str = "http://example.com/hook";

#[tokio::test]
async fn a_super_admin_adds_a_webhook_sees_its_secret_once_opens_its_deliveries_and_removes_it() {
    let product = Product::start("settings-webhooks", TenantSize::Demo);
    let browser = Browser::signed_in(&product, ROOT, "/settings/okta").await;
    browser.expect_heading("Okta API Access").await;
    browser.wait_for_text("#webhooks-heading", "Webhooks").await;
    browser.wait_for_text("#webhooks-empty", "No endpoints yet.").await;
    browser.wait_for_text("#webhook-hosts", "WEBHOOK_ALLOWLIST").await;

    // A URL the deployment does not allow: the edge's words under the field, and nothing added.
    browser.fill("Endpoint URL", REFUSED).await;
    browser.click_button("Add endpoint").await;
    let said = "return document.getElementById('webhook-url-message').textContent.trim() !== ''";
    browser.wait_until(said, "the refusal is said under the URL field").await;
    let shown = browser.texts("#webhook-url-message").await.concat();
    let body = json!({ "url": REFUSED, "events": ["access.changed"] });
    let problem =
        product.api_refused(ROOT, reqwest::Method::POST, "/api/v1/webhooks", Some(body)).await;
    assert_eq!((&problem["code"], &problem["field"]), (&json!("invalid_input"), &json!("url")));
    let detail = problem["detail"].as_str().expect("a detail");
    let words = detail.strip_prefix("url: ").unwrap_or(detail).trim_end_matches('.');
    // The screen says it as a sentence (a capital first letter, a final period).
    let after_first: String = words.chars().skip(1).collect();
    assert!(shown.contains(&after_first), "{shown:?} says {detail:?}");
    let url_field = browser.input("Endpoint URL").await;
    assert_eq!(url_field.attr("aria-invalid").await.expect("its state").as_deref(), Some("true"));
    let alert = browser.wait_for_text("#webhook-add-result [role=alert]", "Endpoint URL:").await;
    assert!(!alert.contains("url:"), "no API names for people: {alert}");
    assert_eq!(listed(&product).await, Vec::<Value>::new(), "nothing was added");
    browser.wait_for_text("#webhooks-empty", "No endpoints yet.").await;

    // Both event types are sent unless unchecked.
    for event in ["access.changed", "sync.committed"] {
        let checkbox = browser.input_starting(event).await;
        let checked = checkbox.prop("checked").await.expect("its state");
        assert_eq!(checked.as_deref(), Some("true"), "{event} is checked at first");
    }

    // An allowed URL: the secret is shown once, read-only, with what to do with it.
    browser.fill("Endpoint URL", HOOK).await;
    browser.fill("Description (optional)", "Runbooks app").await;
    browser.click_button("Add endpoint").await;
    let added = browser.wait_for_text("#webhook-add-result [role=status]", "added").await;
    assert!(added.contains(HOOK) && added.contains("it is not shown again"), "{added}");
    let field = browser.input("Signing secret").await;
    let secret = field.prop("value").await.expect("its value").unwrap_or_default();
    assert!(secret.starts_with("whsec_") && secret.len() > 20, "{secret:?}");
    assert_eq!(field.attr("readonly").await.expect("its state").as_deref(), Some("true"));
    assert_eq!(url_field.attr("aria-invalid").await.expect("its state").as_deref(), Some("false"));

    // The endpoint is in the table, with its events, and nothing delivered yet.
    let row = browser.wait_for_text("#webhooks-table tbody tr", HOOK).await;
    for part in ["Runbooks app", "access.changed", "sync.committed", "Never"] {
        assert!(row.contains(part), "the row says {part:?}: {row}");
    }
    let endpoints = listed(&product).await;
    assert_eq!(endpoints.len(), 1, "{endpoints:?}");
    assert_eq!(endpoints[0]["url"], HOOK);

    // Its deliveries: none yet, said so.
    browser.click_button("Deliveries").await;
    browser.wait_for_text("#webhook-deliveries-heading", &format!("Deliveries to {HOOK}")).await;
    browser.wait_for_text("#webhook-deliveries", "No deliveries yet.").await;
    let toggle = browser.button("Deliveries").await;
    assert_eq!(toggle.attr("aria-expanded").await.expect("its state").as_deref(), Some("true"));
    let violations = browser.axe_violations().await;
    assert!(violations.is_empty(), "axe found: {violations:?}");

    // The secret is not shown again.
    browser.goto("/settings/okta").await;
    browser.wait_for_text("#webhooks-table tbody tr", HOOK).await;
    let gone = "return document.getElementById('webhook-secret') === null";
    browser.wait_until(gone, "the secret is not shown again").await;
    let page = browser.client.source().await.expect("the page");
    assert!(!page.contains(&secret), "the secret is nowhere in the page");

    // Removing takes a confirmation, which takes the keyboard's focus; then the table is empty.
    browser.click_button("Deliveries").await;
    browser.wait_for_text("#webhook-deliveries", "No deliveries yet.").await;
    browser.click_button("Remove…").await;
    browser.wait_for_text("#webhook-remove", "Remove this endpoint?").await;
    let focused = "return document.activeElement === document.getElementById('webhook-remove')";
    browser.wait_until(focused, "the confirmation takes the focus").await;
    browser.click_button("Remove endpoint").await;
    let removed = browser.wait_for_text("#webhooks-notice [role=status]", "removed").await;
    assert!(removed.contains(HOOK), "{removed}");
    browser.wait_for_text("#webhooks-empty", "No endpoints yet.").await;
    let closed = "return document.getElementById('webhooks-table') === null \
                  && document.getElementById('webhook-deliveries') === null \
                  && document.getElementById('webhook-remove') === null";
    browser.wait_until(closed, "the table, its log and the confirmation are gone").await;
    assert_eq!(listed(&product).await, Vec::<Value>::new(), "the endpoint was removed");
    browser.close().await;
}

/// The endpoints the API lists.
async fn listed(product: &Product) -> Vec<Value> {
    let answer = product.api(ROOT, reqwest::Method::GET, "/api/v1/webhooks", None).await;
    answer["endpoints"].as_array().cloned().unwrap_or_else(|| panic!("a list: {answer}"))
}

#[tokio::test]
async fn a_delivered_event_is_in_the_log_and_sent_again_on_request() {
    let product = Product::start("settings-webhooks-log", TenantSize::Demo);
    let (url, received) = receiver().await;
    let body = json!({ "url": url, "events": ["sync.committed"] });
    product.api(ROOT, reqwest::Method::POST, "/api/v1/webhooks", Some(body)).await;
    product.configure_okta().await;
    let run = product.sync().await;
    assert_eq!(run["state"], "succeeded", "{run}");
    wait_for_count(&received, 1).await;

    // The log shows the run's event, delivered at the first attempt.
    let browser = Browser::signed_in(&product, ROOT, "/settings/okta").await;
    browser.wait_for_text("#webhooks-table tbody tr", &url).await;
    browser.click_button("Deliveries").await;
    let row = browser.wait_for_text("#webhook-deliveries-table tbody tr", "delivered").await;
    assert!(row.contains("sync.committed") && row.contains("HTTP 204"), "{row}");

    // Sent again on request: said, received again, and logged as a second attempt.
    browser.click_button("Redeliver").await;
    browser.wait_for_text("#webhooks-notice [role=status]", "will be delivered again").await;
    wait_for_count(&received, 2).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        browser.click_button("Refresh").await;
        // The row's cells after the event id: type, state, attempts, last result, …
        let cells = browser.texts("#webhook-deliveries-table tbody tr td").await;
        let cell = |i: usize| cells.get(i).map(|c| c.trim().to_owned()).unwrap_or_default();
        if (cell(1).as_str(), cell(2).as_str(), cell(3).as_str()) == ("delivered", "2", "HTTP 204")
        {
            break;
        }
        assert!(Instant::now() < deadline, "the log never showed the second attempt: {cells:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    browser.close().await;
}

/// A receiver on a loopback port that answers every request `204` and counts them: an app that
/// takes every event (the API tests' receiver checks the signatures).
async fn receiver() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let url = format!("http://{}/events", listener.local_addr().expect("its address"));
    let received = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&received);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let counted = Arc::clone(&counted);
            tokio::spawn(async move {
                let mut stream = BufReader::new(stream);
                let mut length = 0;
                let mut line = String::new();
                // The request's head, then its body, read whole before the answer.
                while stream.read_line(&mut line).await.is_ok_and(|n| n > 0) && line != "\r\n" {
                    let lower = line.to_ascii_lowercase();
                    if let Some(value) = lower.strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                let mut body = vec![0; length];
                if stream.read_exact(&mut body).await.is_ok() {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
                let answer = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
                let _ = stream.get_mut().write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, received)
}

/// Waits until the receiver has taken `n` requests.
async fn wait_for_count(received: &AtomicUsize, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while received.load(Ordering::SeqCst) < n {
        assert!(Instant::now() < deadline, "the receiver took fewer than {n} events");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
