//! Starting fakes and calling them the way a client would.

use std::net::SocketAddr;

use fake_okta::{FakeOkta, FakeOktaConfig, TenantOptions, TenantSize, TenantSpec};
use reqwest::Response;
use serde_json::Value;

pub(crate) fn localhost() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Starts a fake with the given tenant and default limits.
pub(crate) async fn start(size: TenantSize, seed: u64) -> FakeOkta {
    let config = FakeOktaConfig { tenant: TenantSpec { size, seed }, ..FakeOktaConfig::default() };
    start_with(config).await
}

pub(crate) async fn start_with(config: FakeOktaConfig) -> FakeOkta {
    FakeOkta::start(config, localhost()).await.expect("the fake starts")
}

/// Starts a fake with the given tenant, its additions, and `limits` (default limits if `None`).
pub(crate) async fn start_with_options(
    size: TenantSize,
    seed: u64,
    options: TenantOptions,
    limits: Option<fake_okta::RateLimitConfig>,
) -> FakeOkta {
    let config = FakeOktaConfig {
        tenant: TenantSpec { size, seed },
        limits: limits.unwrap_or_default(),
        ..FakeOktaConfig::default()
    };
    FakeOkta::start_with_options(config, options, localhost()).await.expect("the fake starts")
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a reqwest client")
}

/// `GET {base_url}{path}` with the full-access token.
pub(crate) async fn get(fake: &FakeOkta, path: &str) -> Response {
    get_url(fake, &format!("{}{path}", fake.base_url())).await
}

/// `GET url` with the full-access token.
pub(crate) async fn get_url(fake: &FakeOkta, url: &str) -> Response {
    get_as(url, Some(&format!("SSWS {}", fake.info().token))).await
}

/// `GET url` with any `Authorization` header (or none).
pub(crate) async fn get_as(url: &str, authorization: Option<&str>) -> Response {
    let mut request = client().get(url).header("Accept", "application/json");
    if let Some(auth) = authorization {
        request = request.header("Authorization", auth);
    }
    request.send().await.expect("the request is answered")
}

/// The `Link` header lines as `(url, rel)`.
pub(crate) fn links(response: &Response) -> Vec<(String, String)> {
    response
        .headers()
        .get_all("link")
        .iter()
        .map(|v| {
            let v = v.to_str().expect("ascii link");
            let (url, rel) = v.split_once(">; rel=").expect("link format");
            (url.trim_start_matches('<').to_owned(), rel.trim_matches('"').to_owned())
        })
        .collect()
}

pub(crate) fn next_link(response: &Response) -> Option<String> {
    links(response).into_iter().find(|(_, rel)| rel == "next").map(|(url, _)| url)
}

pub(crate) fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("header {name}"))
        .to_str()
        .expect("ascii header")
        .to_owned()
}

pub(crate) fn header_u64(response: &Response, name: &str) -> u64 {
    header(response, name).parse().expect("numeric header")
}

/// Follows `next` links from `url`; returns every item and the number of pages.
pub(crate) async fn collect(fake: &FakeOkta, url: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut next = Some(url.to_owned());
    while let Some(url) = next {
        let response = get_url(fake, &url).await;
        assert_eq!(response.status(), 200, "{url}");
        next = next_link(&response);
        pages += 1;
        let page: Vec<Value> = response.json().await.expect("a JSON array");
        items.extend(page);
        assert!(pages < 100_000, "runaway paging");
    }
    (items, pages)
}

/// The Okta error code of a response.
pub(crate) async fn error_code(response: Response) -> String {
    let body: Value = response.json().await.expect("a JSON error body");
    body["errorCode"].as_str().expect("errorCode").to_owned()
}
