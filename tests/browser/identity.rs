//! Who is signed in: the header's identity, and the local sign-in.

use crate::browser::Browser;

#[tokio::test]
async fn signing_in_locally_shows_who_you_are_and_signing_out_forgets_it() {
    let browser = Browser::open().await;
    browser.goto("/groups").await;

    browser.fill("Email (local sign-in)", "Root@Example.com").await;
    browser.click_button("Sign in").await;

    browser.expect_identity("Signed in as root@example.com · superAdmin").await;
    browser.click_button("Sign out").await;
    browser.fill("Email (local sign-in)", "nobody@example.com").await;
    browser.click_button("Sign in").await;
    browser.expect_identity("Signed in as nobody@example.com · no role").await;
    browser.close().await;
}
