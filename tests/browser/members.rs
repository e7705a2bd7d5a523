//! A group's members on its screen, a page at a time: the first 50 by email, then the next 50
//! and back, each page saying which members it shows, the focus on the table after a move.

use fake_okta::TenantSize;

use crate::browser::Browser;
use crate::product::{Product, ROOT};

/// The emails in the members table now.
async fn shown_emails(browser: &Browser) -> Vec<String> {
    browser.texts("#members-table tbody tr td:first-child").await
}

#[tokio::test]
async fn the_group_screen_shows_its_members_a_page_at_a_time() {
    let product = Product::start("members-paged", TenantSize::S);
    product.configure_okta().await;
    let run = product.sync().await;
    assert_eq!(run["state"], "succeeded", "{run}");
    let truth = product.control.truth();
    // A group of more than two pages (the S tenant has groups of 200, 201 and 250).
    let group = truth
        .groups
        .iter()
        .filter(|g| (101..1_000).contains(&g.members.len()))
        .min_by_key(|g| g.members.len())
        .expect("a group of a few pages");
    let count = group.members.len();
    let mut members: Vec<(String, String)> =
        group.members.iter().map(|m| (m.login.clone(), m.id.clone())).collect();
    members.sort();
    let emails: Vec<String> = members.into_iter().map(|(email, _)| email).collect();
    let browser = Browser::signed_in(&product, ROOT, &format!("/groups/{}", group.id)).await;

    let status = browser.wait_for_text(".pager [role=status]", "Showing 1–50").await;
    assert_eq!(status, format!("Showing 1–50 of {count} members"));
    assert_eq!(shown_emails(&browser).await, emails[..50], "the first 50, by email");
    assert!(!browser.button_enabled("Previous").await, "no page before the first");

    browser.click_button("Next").await;

    let status = browser.wait_for_text(".pager [role=status]", "Showing 51–100").await;
    assert_eq!(status, format!("Showing 51–100 of {count} members"));
    assert_eq!(shown_emails(&browser).await, emails[50..100], "the next 50");
    browser
        .wait_until(
            "return document.activeElement.id === 'members-table'",
            "the table takes the focus, and its caption says which members it shows",
        )
        .await;
    let caption = browser
        .client
        .execute("return document.querySelector('#members-table caption').textContent", vec![])
        .await
        .expect("the caption");
    assert_eq!(caption, format!("Showing 51–100 of {count} members"));

    browser.click_button("Previous").await;

    browser.wait_for_text(".pager [role=status]", "Showing 1–50").await;
    assert_eq!(shown_emails(&browser).await, emails[..50], "back to the first 50");
    browser.close().await;
}
