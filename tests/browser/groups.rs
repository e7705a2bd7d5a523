//! User Groups: sorting by each sortable column both ways, local group creation (locked while
//! groups come from Okta), and Okta group names that try to inject markup or hide characters,
//! shown as inert text.

use fake_okta::TenantSize;
use fantoccini::Locator;

use crate::browser::Browser;
use crate::product::{Product, ROOT, shared_demo};

/// JavaScript that returns whether the rows in view are in `order` ("ascending" or
/// "descending") by the column `class`: member counts as numbers, names without case.
fn rows_in_order(class: &str, order: &str) -> String {
    let value = match class {
        "col--members" => "Number(c.textContent)",
        // Times read as `2026-11-30 16:40 UTC`: in order as text.
        "col--synced" => "c.textContent",
        _ => "c.querySelector('.group-name').textContent.toLowerCase()",
    };
    let ok = if order == "ascending" { "a <= b" } else { "a >= b" };
    format!(
        "const cells = [...document.querySelectorAll('.vtable__body [role=cell].{class}')] \
           .map(c => {value}); \
         return cells.length > 2 && cells.every((b, i) => {{ const a = cells[i - 1]; return i === 0 || {ok}; }});"
    )
}

/// JavaScript that returns whether the table is sorted by the column `class` in `order`: its
/// header says so (`aria-sort`), and the rows are.
fn sorted_by(class: &str, order: &str) -> String {
    format!(
        "const head = document.querySelector('[role=columnheader].{class}'); \
         if (!head || head.getAttribute('aria-sort') !== '{order}') return false; {}",
        rows_in_order(class, order)
    )
}

#[tokio::test]
async fn every_sortable_column_sorts_both_ways_by_mouse_and_keyboard() {
    let product = shared_demo().await;
    let browser = Browser::signed_in(product, ROOT, "/groups").await;
    let (name, members) = ("col--name", "col--members");
    browser.wait_until(&sorted_by(name, "ascending"), "names A to Z at first").await;
    // In name order the member counts are not in order: sorting has something to do.
    let by_size = browser.client.execute(&rows_in_order(members, "descending"), vec![]).await;
    assert_eq!(
        by_size.expect("the script runs"),
        false,
        "the demo's groups by name are not by size"
    );

    browser.click(&format!("[role=columnheader].{members} button")).await;
    browser.wait_until(&sorted_by(members, "descending"), "most members first").await;
    let unsorted = format!(
        "return document.querySelector('[role=columnheader].{name}').getAttribute('aria-sort') === 'none'"
    );
    browser.wait_until(&unsorted, "only the sorted column says it is sorted").await;

    // A second press, from the keyboard, reverses the order.
    let button = browser
        .client
        .find(Locator::Css(&format!("[role=columnheader].{members} button")))
        .await
        .expect("the Members button");
    button.send_keys("\u{E007}").await.expect("Enter");
    browser.wait_until(&sorted_by(members, "ascending"), "fewest members first").await;

    // Names: A to Z first, then Z to A.
    browser.click(&format!("[role=columnheader].{name} button")).await;
    browser.wait_until(&sorted_by(name, "ascending"), "names A to Z").await;
    browser.click(&format!("[role=columnheader].{name} button")).await;
    browser.wait_until(&sorted_by(name, "descending"), "names Z to A").await;

    // Last synced: newest first, then oldest first.
    let synced = "col--synced";
    browser.click(&format!("[role=columnheader].{synced} button")).await;
    browser.wait_until(&sorted_by(synced, "descending"), "newest sync first").await;
    browser.click(&format!("[role=columnheader].{synced} button")).await;
    browser.wait_until(&sorted_by(synced, "ascending"), "oldest sync first").await;
    browser.close().await;
}

#[tokio::test]
async fn creating_a_group_by_hand_is_locked_while_sync_is_on() {
    let product = Product::start("groups-locked", TenantSize::Demo);
    product.configure_okta().await;
    let browser = Browser::signed_in(&product, ROOT, "/groups").await;

    let why = browser.wait_for_text("#create-group-why", "Groups come from Okta").await;
    assert_eq!(
        why,
        "Groups come from Okta while sync is on, so none can be made here. Turn sync off in \
         Settings → Okta API Access to manage groups by hand."
    );
    assert!(!browser.button_enabled("Create group").await, "Create group is disabled");
    let name = browser.input("Group name").await;
    assert!(!name.is_enabled().await.expect("its state"), "the name field is disabled");
    let described = browser.button("Create group").await.attr("aria-describedby").await;
    assert_eq!(described.expect("an attribute").as_deref(), Some("create-group-why"));
    browser.close().await;
}

#[tokio::test]
async fn with_sync_off_a_group_created_by_hand_is_listed_as_local() {
    let product = Product::start("groups-local", TenantSize::Demo);
    let browser = Browser::signed_in(&product, ROOT, "/groups").await;
    browser.wait_for_text(".empty", "No groups yet.").await;
    browser.wait_for_text("#create-group-why", "A local group gets its members by hand.").await;

    browser.fill("Group name", "Contract Reviewers").await;
    browser.click_button("Create group").await;

    let created = browser.wait_for_text("#create-group-outcome", "created").await;
    assert_eq!(created, "Group Contract Reviewers created.");
    let row = browser.wait_for_text("[role=table] [role=row]", "Contract Reviewers").await;
    assert!(row.contains("Local"), "the group is local: {row}");
    let count = browser.wait_for_text("#group-count", "1 group").await;
    assert_eq!(count, "1 group");
    let name = browser.input("Group name").await;
    assert_eq!(name.prop("value").await.expect("its value").as_deref(), Some(""));
    browser.close().await;
}

#[tokio::test]
async fn hostile_okta_group_names_are_shown_as_inert_text() {
    let product = Product::start("groups-hostile", TenantSize::Demo);
    let injected = "<img src=x onerror=\"window.__pwned=1\">Admins\u{202E}nimda";
    let zero_width = "IT\u{200B}Admins";
    let injected_id = product.control.create_group(injected, None, true).expect("a group");
    product.control.create_group(zero_width, None, true).expect("a group");
    product.control.add_member(&injected_id, "alice.johnson@example.com").expect("a member");
    product.configure_okta().await;
    let run = product.sync().await;
    assert_eq!(run["state"], "succeeded", "{run}");
    let browser = Browser::signed_in(&product, ROOT, "/groups").await;

    let shown_injected = "<img src=x onerror=\"window.__pwned=1\">Admins⟨U+202E⟩nimda";
    let row = browser.wait_for_text("[role=table] [role=row]", shown_injected).await;
    assert!(row.contains(&injected_id), "the Okta id is beside the name: {row}");
    let row = browser.wait_for_text("[role=table] [role=row]", "IT⟨U+200B⟩Admins").await;
    assert!(!row.contains('\u{200B}'), "{row:?}");
    // "IT Admins" and the look-alike stay two distinguishable rows.
    browser.wait_for_text("[role=table] [role=row]", "IT Admins").await;
    assert_eq!(browser.texts("[role=table] img").await.len(), 0, "no image was made");
    let rows = browser.texts("[role=table]").await.concat();
    assert!(!rows.contains('\u{202E}') && !rows.contains('\u{200B}'), "{rows:?}");
    assert_not_pwned(&browser).await;

    browser.goto(&format!("/groups/{injected_id}")).await;
    browser.expect_heading(shown_injected).await;
    let legend = browser.wait_for_text("legend", "Roles of").await;
    assert_eq!(legend, format!("Roles of {shown_injected} ({injected_id})"));
    assert!(browser.client.find(Locator::Css("main img")).await.is_err(), "no image was made");
    browser.wait_for_text("main", "alice.johnson@example.com").await;
    assert_not_pwned(&browser).await;
    browser.close().await;
}

/// No script of a group name ran.
async fn assert_not_pwned(browser: &Browser) {
    let pwned = browser.client.execute("return typeof window.__pwned", vec![]).await;
    assert_eq!(pwned.expect("a script runs"), "undefined", "a group name ran a script");
}
