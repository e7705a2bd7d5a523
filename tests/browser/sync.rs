//! Sync Okta Groups on the User Groups screen: the run's live progress and what it changed, the
//! preview and its Apply, and the guard that holds a sync removing most groups until a
//! superAdmin confirms or discards it.

use std::time::{Duration, Instant};

use fake_okta::{Endpoint, FaultKind, FaultSpec, TenantSize};
use fantoccini::Locator;

use crate::browser::{Browser, SYNC_PATIENCE};
use crate::product::{Product, ROOT};

/// How long one page of members is held while the progress test watches the run part way:
/// many of the screen's polls (every 400 ms) however slow the machine, and less than the
/// client's 30 s timeout, so that the page is answered rather than asked again.
const MEMBERS_HELD_MS: u64 = 15_000;

#[tokio::test]
async fn a_sync_shows_its_progress_while_it_runs_then_what_it_changed() {
    let product = Product::start("sync-progress", TenantSize::S);
    product.configure_okta().await;
    // Slow Okta down so that the run lasts long enough to be watched, and hold one page of
    // members for a while: the run cannot end before that page is answered, so a part-way
    // state is on screen for at least that long, however late the page draws it.
    product.control.set_latency(Duration::from_millis(250));
    let held = FaultSpec::new(FaultKind::Hang { ms: Some(MEMBERS_HELD_MS) });
    product.control.add_fault(held.on(Endpoint::ListGroupUsers).skip(30).times(1));
    let browser = Browser::signed_in(&product, ROOT, "/groups").await;
    browser.wait_for_text(".empty", "No groups yet.").await;

    browser.click_button("Sync Okta Groups").await;

    // Watch the status until the run ends, noting what it showed on the way.
    let started = Instant::now();
    let mut progress_texts = Vec::new();
    let (mut saw_bar, mut saw_button_disabled) = (false, false);
    let finished = loop {
        assert!(started.elapsed() < SYNC_PATIENCE, "no end of the sync; saw {progress_texts:?}");
        let status = browser.texts("#sync-status").await.concat();
        if status.contains("Sync finished.") {
            break status;
        }
        assert!(!status.contains("failed"), "the sync failed: {status}");
        if status.contains("of groups read") && !progress_texts.contains(&status) {
            progress_texts.push(status);
            saw_bar |= browser.client.find(Locator::Css("#sync-status progress")).await.is_ok();
            saw_button_disabled |= !browser.button_enabled("Sync Okta Groups").await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    assert!(
        progress_texts.iter().any(|t| t.contains("Syncing Okta groups…")),
        "a running headline was shown: {progress_texts:?}"
    );
    assert!(
        progress_texts.iter().any(|t| t.contains("groups found; members of")
            && t.contains("of 50 groups read")
            && !t.contains("members of 50 of 50")),
        "the members' progress was shown part way: {progress_texts:?}"
    );
    assert!(saw_bar, "a progress bar was shown while running");
    assert!(saw_button_disabled, "Sync Okta Groups is disabled while the run goes on");
    let okta = &product.okta;
    let changed = format!(
        "Changed: groups {} added, 0 changed, 0 removed; memberships {} added, 0 removed.",
        okta.groups, okta.memberships
    );
    assert!(finished.contains(&changed), "{finished:?} says {changed:?}");
    assert!(
        browser.client.find(Locator::Css("#sync-status progress")).await.is_err(),
        "no progress bar once finished"
    );
    assert!(browser.button_enabled("Sync Okta Groups").await);

    // The table lists the synced groups without a reload.
    browser.wait_for_text("#group-count", "50 groups").await;
    let plain = product
        .control
        .truth()
        .groups
        .into_iter()
        .map(|g| g.name)
        .find(|name| {
            name.trim() == name && name.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
        })
        .expect("a group with a plain name");
    browser.fill("Search groups", &plain).await;
    browser.wait_for_text("[role=table] [role=row]", &plain).await;
    browser.wait_for_text("#group-count", "of 50 groups match").await;
    browser.close().await;
}

#[tokio::test]
async fn a_preview_shows_what_would_change_and_apply_commits_it() {
    let product = Product::start("sync-preview", TenantSize::Demo);
    product.configure_okta().await;
    let browser = Browser::signed_in(&product, ROOT, "/groups").await;
    browser.wait_for_text(".empty", "No groups yet.").await;

    browser.click_button("Preview").await;

    let preview =
        browser.wait_for_text_within("#sync-status", "Preview ready", SYNC_PATIENCE).await;
    assert!(preview.contains("Preview ready: nothing has been changed yet."), "{preview}");
    assert!(preview.contains("Would change: groups 12 added, 0 changed, 0 removed;"), "{preview}");
    assert_eq!(browser.texts("#sync-status h4").await, ["Groups added"]);
    let added = browser.texts("#sync-status .diff li").await;
    assert_eq!(added.len(), 12, "{added:?}");
    for name in ["Engineering", "Sales", "IT Admins"] {
        assert!(added.iter().any(|item| item.starts_with(&format!("{name} 00g"))), "{added:?}");
    }
    // Nothing was stored: the table is still empty.
    assert_eq!(
        browser.texts(".empty").await,
        ["No groups yet. Sync Okta Groups to bring in the groups assigned to the app."]
    );
    assert_eq!(browser.texts("#group-count").await, ["0 groups"]);
    let stored = product.api(ROOT, reqwest::Method::GET, "/api/v1/groups", None).await;
    assert_eq!(stored["total"], 0, "a preview stores no group: {stored}");

    browser.click_button("Apply this sync").await;

    let applied =
        browser.wait_for_text_within("#sync-status", "Sync finished.", SYNC_PATIENCE).await;
    assert!(applied.contains("Changed: groups 12 added, 0 changed, 0 removed;"), "{applied}");
    browser.wait_for_text("#group-count", "12 groups").await;
    browser.wait_for_text("[role=table] [role=row]", "Engineering").await;
    assert!(!browser.has_button("Apply this sync").await, "a finished sync has nothing to apply");
    browser.close().await;
}

#[tokio::test]
async fn a_sync_removing_most_groups_is_held_until_a_super_admin_confirms_or_discards_it() {
    let product = Product::start("sync-guard", TenantSize::Demo);
    product.configure_okta().await;
    let first = product.sync().await;
    assert_eq!(first["state"], "succeeded", "{first}");
    // Seven of the twelve groups leave the app in Okta.
    let truth = product.control.truth().groups;
    let leaving: Vec<_> = truth.iter().rev().take(7).collect();
    for group in &leaving {
        product.control.unassign_group(&group.id).expect("the group is unassigned");
    }
    let browser = Browser::signed_in(&product, ROOT, "/groups").await;
    browser.wait_for_text("#group-count", "12 groups").await;

    browser.click_button("Sync Okta Groups").await;

    let held = expect_held(&browser).await;
    for group in &leaving {
        assert!(held.contains(&format!("{} {}", group.name, group.id)), "{held:?}");
    }
    browser.click_button("Discard").await;
    let discarded = browser.wait_for_text("#sync-status", "discarded").await;
    assert!(discarded.contains("The held sync was discarded; nothing was changed."), "{discarded}");
    assert!(!discarded.contains("Changed:"), "a discarded sync changed nothing: {discarded}");
    assert!(!browser.has_button("Confirm and apply").await);
    browser.goto("/groups").await;
    browser.wait_for_text("#group-count", "12 groups").await;
    browser.wait_for_text("[role=table] [role=row]", &leaving[0].name).await;

    browser.click_button("Sync Okta Groups").await;
    expect_held(&browser).await;
    browser.click_button("Confirm and apply").await;

    let applied =
        browser.wait_for_text_within("#sync-status", "Sync finished.", SYNC_PATIENCE).await;
    assert!(applied.contains("Changed: groups 0 added, 0 changed, 7 removed;"), "{applied}");
    browser.wait_for_text("#group-count", "5 groups").await;
    let rows = browser.texts("[role=table] [role=row]").await.join("\n");
    for group in &leaving {
        assert!(!rows.contains(&group.name), "{} is gone: {rows}", group.name);
    }
    for group in truth.iter().take(5) {
        assert!(rows.contains(&group.name), "{} stays: {rows}", group.name);
    }
    browser.close().await;
}

#[tokio::test]
async fn a_failed_sync_says_why_and_what_to_do_and_changes_nothing() {
    let product = Product::start("sync-failure", TenantSize::Demo);
    product.configure_okta().await;
    let run = product.sync().await;
    assert_eq!(run["state"], "succeeded", "{run}");
    // Someone revokes the API token in Okta.
    product.control.revoke_token(&product.okta.token).expect("the token is revoked");
    let browser = Browser::signed_in(&product, ROOT, "/groups").await;
    browser.wait_for_text("#group-count", "12 groups").await;

    browser.click_button("Sync Okta Groups").await;

    let alert =
        browser.wait_for_text_within("#sync-status [role=alert]", "Okta", SYNC_PATIENCE).await;
    assert!(alert.contains("API token"), "why: {alert}");
    assert!(alert.contains("test the connection, then sync again"), "what to do: {alert}");
    browser.wait_for_text("#sync-status", "The sync failed; nothing was changed.").await;
    browser.wait_for_text(".sync-schedule", "Last sync: failed").await;
    assert!(!alert.contains(&product.okta.token), "the token is never shown");
    // The groups of the last good sync are all still there.
    browser.goto("/groups").await;
    browser.wait_for_text("#group-count", "12 groups").await;
    browser.close().await;
}

/// Waits for the held run's explanation, diff and decisions; returns the diff's items.
async fn expect_held(browser: &Browser) -> String {
    let held = browser.wait_for_text_within("#sync-status", "on hold", SYNC_PATIENCE).await;
    assert!(
        held.contains("This sync is on hold: it would remove many groups or memberships."),
        "{held}"
    );
    assert!(held.contains("This sync would remove 7 of the 12 groups."), "{held}");
    assert_eq!(browser.texts("#sync-status h4").await, ["Groups removed"]);
    assert!(browser.button_enabled("Confirm and apply").await);
    assert!(browser.button_enabled("Discard").await);
    browser.texts("#sync-status .diff li").await.join("\n")
}

#[tokio::test]
async fn the_sync_history_calls_the_first_run_full_and_opens_each_run_with_what_it_changed() {
    let product = Product::start("sync-history", TenantSize::Demo);
    product.configure_okta().await;
    let browser = Browser::signed_in(&product, ROOT, "/groups").await;
    browser.wait_for_text(".empty", "No groups yet.").await;
    browser.click_button("Sync Okta Groups").await;
    browser.wait_for_text_within("#sync-status", "Sync finished.", SYNC_PATIENCE).await;
    // A group is renamed in Okta; the next sync reads only the groups Okta says changed.
    let group = product.control.truth().groups[0].clone();
    product.control.rename_group(&group.id, "Platform Engineering").expect("the group is renamed");
    browser.click_button("Sync Okta Groups").await;
    browser.wait_for_text_within("#sync-status", "groups 0 added, 1 changed", SYNC_PATIENCE).await;

    browser.click_link("Sync history").await;
    browser.wait_for_text("#runs-table", "Full (manual)").await;
    let kinds = browser.texts("#runs-table tbody td:nth-child(2)").await;
    assert_eq!(
        kinds,
        ["Changed groups (manual)", "Full (manual)"],
        "the first run read every group"
    );

    // The first run: everything it added, by name.
    browser.click("#runs-table tbody tr:nth-child(2) a").await;
    browser.expect_heading("Sync run").await;
    let facts = browser.wait_for_text(".facts", "Kind").await;
    assert!(facts.contains("Full (manual)"), "{facts}");
    assert!(facts.contains(&format!("Started by\n{ROOT}")), "{facts}");
    assert!(facts.contains("State\nsucceeded"), "{facts}");
    let run = browser.texts("#run-heading ~ p").await;
    assert!(
        run.iter().any(|p| p.starts_with("Changed: groups 12 added, 0 changed, 0 removed;")),
        "{run:?}"
    );
    assert_eq!(browser.texts("main h3").await, ["Groups added"]);
    let added = browser.texts(".diff li").await;
    assert_eq!(added.len(), 12, "{added:?}");
    assert!(added.iter().any(|item| item.starts_with("Engineering 00g")), "{added:?}");

    // The second: the rename, with the name it had.
    browser.click_link("Sync history").await;
    browser.click("#runs-table tbody tr:nth-child(1) a").await;
    let facts = browser.wait_for_text(".facts", "Changed groups (manual)").await;
    // Its cost in words: "1 Okta request", never "1 Okta requests".
    let okta = facts.lines().skip_while(|line| *line != "Okta").nth(1).expect("the Okta cost");
    let (count, words) = okta.split_once(' ').expect("a count, then words");
    let noun = if count.parse::<u64>().expect("a number") == 1 { "request" } else { "requests" };
    assert_eq!(words, format!("Okta {noun}, no rate-limit wait."), "{okta}");
    assert_eq!(browser.texts("main h3").await, ["Groups renamed or re-described"]);
    let renamed = browser.texts(".diff li").await;
    assert_eq!(renamed, [format!("Platform Engineering (was {}) {}", group.name, group.id)]);
    assert!(browser.path().await.starts_with("/sync/runs/run_"), "the run has its own address");
    browser.close().await;
}
