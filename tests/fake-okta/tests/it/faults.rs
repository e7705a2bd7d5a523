//! Each fault class is observable on the wire, and faults can be aimed at one page of one
//! listing.

use std::time::{Duration, Instant};

use fake_okta::{Endpoint, FakeOkta, FaultKind, FaultSpec, TenantSize};
use serde_json::Value;

use crate::helpers::{client, error_code, get, get_url, header, links, next_link, start};

async fn members_url(fake: &FakeOkta) -> String {
    let truth = fake.control().truth();
    let group = truth.groups.iter().find(|g| g.members.len() == 1001).expect("the 1001 group");
    format!("{}/api/v1/groups/{}/users?limit=200", fake.base_url(), group.id)
}

#[tokio::test]
async fn a_5xx_burst_answers_the_next_n_requests_then_recovers() {
    let fake = start(TenantSize::Demo, 7).await;
    fake.control().add_fault(FaultSpec::new(FaultKind::Error { status: 500 }).times(2));
    fake.control().add_fault(FaultSpec::new(FaultKind::Error { status: 503 }));
    let path = format!("/api/v1/apps/{}", fake.info().app_id);
    for (status, code) in [(500, "E0000009"), (500, "E0000009"), (503, "E0000010")] {
        let response = get(&fake, &path).await;
        assert_eq!(response.status(), status);
        header(&response, "x-rate-limit-remaining");
        assert_eq!(error_code(response).await, code);
    }
    assert_eq!(get(&fake, &path).await.status(), 200);
    assert_eq!(fake.control().counters().faults_fired, 3);
}

#[tokio::test]
async fn a_hang_outlasts_a_client_timeout() {
    let fake = start(TenantSize::Demo, 7).await;
    fake.control().add_fault(FaultSpec::new(FaultKind::Hang { ms: None }).on(Endpoint::GetApp));
    let url = format!("{}/api/v1/apps/{}", fake.base_url(), fake.info().app_id);
    let result = client()
        .get(&url)
        .header("Authorization", format!("SSWS {}", fake.info().token))
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(result.is_err_and(|e| e.is_timeout()));
    assert_eq!(get_url(&fake, &url).await.status(), 200, "only the next request hangs");
}

#[tokio::test]
async fn a_short_hang_delays_the_answer() {
    let fake = start(TenantSize::Demo, 7).await;
    fake.control().add_fault(FaultSpec::new(FaultKind::Hang { ms: Some(300) }));
    let started = Instant::now();
    assert_eq!(get(&fake, "/api/v1/users").await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn malformed_json_is_a_200_whose_body_does_not_parse() {
    let fake = start(TenantSize::Demo, 7).await;
    fake.control().add_fault(FaultSpec::new(FaultKind::MalformedJson));
    let response = get(&fake, "/api/v1/users").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.starts_with("[{"));
    assert!(serde_json::from_str::<Value>(&text).is_err());
}

#[tokio::test]
async fn a_truncated_body_breaks_off_before_its_announced_length() {
    let fake = start(TenantSize::Demo, 7).await;
    fake.control().add_fault(FaultSpec::new(FaultKind::TruncatedBody));
    let response = get(&fake, "/api/v1/users").await;
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.is_err(), "reading the body fails");
    assert_eq!(get(&fake, "/api/v1/users").await.status(), 200, "the server is fine afterwards");
}

#[tokio::test]
async fn next_link_faults_point_to_another_origin() {
    let fake = start(TenantSize::S, 7).await;
    let url = members_url(&fake).await;
    let base = fake.base_url();
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    let cases = [
        (FaultKind::NextLinkForeignHost, "http://okta.evil.invalid/".to_owned()),
        (FaultKind::NextLinkOtherScheme, base.replace("http://", "https://") + "/"),
        (FaultKind::NextLinkOtherPort, format!("http://127.0.0.1:{}/", port + 1)),
    ];
    for (kind, prefix) in cases {
        fake.control().add_fault(FaultSpec::new(kind.clone()));
        let next = next_link(&get_url(&fake, &url).await).unwrap();
        assert!(next.starts_with(&prefix), "{kind:?}: {next}");
        assert!(next.contains("after="), "{next}");
    }
}

#[tokio::test]
async fn a_redirect_fault_answers_302_with_a_location() {
    let fake = start(TenantSize::Demo, 7).await;
    fake.control().add_fault(FaultSpec::new(FaultKind::Redirect { location: None }));
    let response = get(&fake, "/api/v1/users?limit=5").await;
    assert_eq!(response.status(), 302);
    assert_eq!(header(&response, "location"), "http://redirected.invalid/api/v1/users?limit=5");
}

#[tokio::test]
async fn a_pagination_loop_points_next_back_to_the_first_page() {
    let fake = start(TenantSize::S, 7).await;
    let url = members_url(&fake).await;
    let second = next_link(&get_url(&fake, &url).await).unwrap();
    fake.control().add_fault(FaultSpec::new(FaultKind::PaginationLoop));
    let response = get_url(&fake, &second).await;
    assert_eq!(next_link(&response), Some(url));
}

#[tokio::test]
async fn a_fault_can_hit_the_third_page_of_one_listing_only() {
    let fake = start(TenantSize::S, 7).await;
    let url = members_url(&fake).await;
    let group_path = url.split("/api/v1").nth(1).unwrap().split('?').next().unwrap().to_owned();
    fake.control().add_fault(
        FaultSpec::new(FaultKind::Error { status: 500 })
            .on(Endpoint::ListGroupUsers)
            .path_contains(format!("/api/v1{group_path}"))
            .skip(2),
    );
    // Other listings are not affected and do not advance the rule.
    get(&fake, "/api/v1/users").await;
    let mut next = Some(url);
    let mut statuses = Vec::new();
    while let Some(url) = next.take() {
        let response = get_url(&fake, &url).await;
        statuses.push(response.status().as_u16());
        if response.status() == 200 {
            next = next_link(&response);
        }
    }
    assert_eq!(statuses, [200, 200, 500]);
    let faults = fake.control().faults();
    assert_eq!((faults[0].seen, faults[0].fired), (3, 1));
}

#[tokio::test]
async fn latency_delays_every_okta_request() {
    let fake = start(TenantSize::Demo, 7).await;
    fake.control().set_latency(Duration::from_millis(200));
    let started = Instant::now();
    let response = get(&fake, "/api/v1/users").await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(links(&response).len(), 1);
}
