//! What reaches the Worker and what reaches the SPA: unknown API paths are problems, every
//! other navigation gets the SPA's HTML.

use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, content_type, expect_problem};

#[tokio::test]
async fn unknown_api_path_is_a_404_problem_naming_the_path() {
    let app = TestApp::new();

    let response = app.get("/api/v1/no-such-thing").await;

    let problem = expect_problem(response, StatusCode::NOT_FOUND, "not_found").await;
    assert!(problem.detail.contains("/api/v1/no-such-thing"), "{}", problem.detail);
}

#[tokio::test]
async fn api_paths_outside_v1_reach_the_worker_not_the_spa() {
    let app = TestApp::new();

    // A browser navigation would get index.html if the SPA fallback answered /api/* paths.
    let response = app.navigate("/api/not-a-version").await;

    expect_problem(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn wrong_method_is_a_405_problem_with_allow() {
    let app = TestApp::new();

    let response = app.request(Method::DELETE, "/api/v1/health").await;

    assert_eq!(response.headers()["allow"], "GET");
    expect_problem(response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
}

#[tokio::test]
async fn a_method_no_route_knows_is_a_405_not_read_as_a_get() {
    let app = TestApp::new();
    // workers-rs reads a method it has no name for as GET; a signed-in caller could then read
    // through any method at all.
    let query = Method::from_bytes(b"QUERY").expect("a method");

    for path in ["/api/v1/groups", "/api/v1/health"] {
        let response = app.as_person("root@example.com").builder(query.clone(), path).send().await;

        let response = response.expect("an answer");
        let allow = response.headers()["allow"].to_str().expect("a header").to_owned();
        assert!(allow.starts_with("GET"), "{path}: {allow}");
        expect_problem(response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    }
}

#[tokio::test]
async fn deep_link_returns_the_spa_html() {
    let app = TestApp::new();

    let index = app.navigate("/").await.text().await.unwrap();
    let response = app.navigate("/groups").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(content_type(&response).starts_with("text/html"), "{}", content_type(&response));
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"<script type="module" src="/boot.js">"#), "{html}");
    assert_eq!(html, index, "a deep link gets the same index.html as the root");
}

#[tokio::test]
async fn spa_assets_are_served_with_their_types() {
    let app = TestApp::new();

    for (path, expected) in [
        ("/app_bg.wasm", "application/wasm"),
        ("/app.js", "text/javascript"),
        ("/app.css", "text/css"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            content_type(&response).starts_with(expected),
            "{path}: {}",
            content_type(&response)
        );
    }
}
