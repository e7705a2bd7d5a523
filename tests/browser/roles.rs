//! Roles of a group, on its screen: several at once, kept after a reload and shown in the list;
//! and a change made meanwhile by someone else named instead of overwritten.

use fake_okta::TenantSize;
use fantoccini::elements::Element;
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::product::{Product, ROOT};

/// A product on the demo tenant, configured and synced, no role assigned yet.
async fn synced_demo(name: &str) -> Product {
    let product = Product::start(name, TenantSize::Demo);
    product.configure_okta().await;
    let run = product.sync().await;
    assert_eq!(run["state"], "succeeded", "{run}");
    product
}

/// The checkbox of the role `name` (its label starts with the role's name).
async fn role_box(browser: &Browser, name: &str) -> Element {
    browser.input_starting(&format!("{name} — ")).await
}

async fn checked(browser: &Browser, name: &str) -> bool {
    let value = role_box(browser, name).await.prop("checked").await.expect("its state");
    value.as_deref() == Some("true")
}

#[tokio::test]
async fn roles_assigned_on_a_group_are_saved_kept_and_listed() {
    let product = synced_demo("roles-assign").await;
    let group = product.group_named("Design").await;
    let path = format!("/groups/{}", group["id"].as_str().expect("an id"));
    let browser = Browser::signed_in(&product, ROOT, &path).await;
    browser.expect_heading("Design").await;
    assert!(!browser.button_enabled("Save roles").await, "nothing to save yet");

    role_box(&browser, "Admin").await.click().await.expect("checking Admin");
    role_box(&browser, "Viewer").await.click().await.expect("checking Viewer");
    browser.click_button("Save roles").await;

    let saved = browser.wait_for_text("#roles-outcome", "Roles saved").await;
    assert_eq!(saved, "Roles saved: Viewer, Admin.");
    assert!(!browser.button_enabled("Save roles").await, "saved: nothing left to save");
    browser.goto(&path).await;
    browser.expect_heading("Design").await;
    assert!(checked(&browser, "Viewer").await, "Viewer stays checked");
    assert!(!checked(&browser, "Editor").await, "Editor was not chosen");
    assert!(checked(&browser, "Admin").await, "Admin stays checked");
    browser.click_link("User Groups").await;
    let row = browser.wait_for_text("[role=table] [role=row]", "Design").await;
    assert!(row.contains("Viewer, Admin"), "the list shows the roles: {row}");
    browser.close().await;
}

#[tokio::test]
async fn a_role_change_made_meanwhile_names_who_saved_it_and_when_and_one_action_replaces_it() {
    let product = synced_demo("roles-conflict").await;
    let group = product.group_named("Product").await;
    let id = group["id"].as_str().expect("an id").to_owned();
    let browser = Browser::signed_in(&product, ROOT, &format!("/groups/{id}")).await;
    browser.expect_heading("Product").await;
    role_box(&browser, "Admin").await.click().await.expect("checking Admin");

    // Meanwhile another superAdmin makes the group grant Editor.
    let other = "other.admin@example.com";
    let body = json!({ "email": other });
    product.api(ROOT, reqwest::Method::POST, "/api/v1/super-admins", Some(body)).await;
    let body = json!({ "roles": ["editor"], "version": group["roles_version"] });
    let roles_path = format!("/api/v1/groups/{id}/roles");
    product.api(other, reqwest::Method::PUT, &roles_path, Some(body)).await;
    browser.click_button("Save roles").await;

    // Who saved first, what and when, then the one way on.
    let theirs: Value =
        product.api(ROOT, reqwest::Method::GET, &format!("/api/v1/groups/{id}"), None).await;
    let at = theirs["roles_saved_at"].as_str().expect("when they saved");
    let at = format!("{} {} UTC", &at[..10], &at[11..16]);
    let conflict = browser.wait_for_text("#roles-outcome", "Not saved").await;
    assert_eq!(
        conflict,
        format!(
            "Not saved: other.admin@example.com saved this group's roles at {at}, after you \
             opened it: Editor.\nYour choice, Admin, is still selected: “Replace with my choice” \
             saves it over theirs (or change it first)."
        )
    );
    let alerts = browser.texts("#roles-outcome [role=alert]").await;
    assert_eq!(alerts.len(), 1, "the conflict is an alert: {alerts:?}");
    assert!(checked(&browser, "Admin").await, "this person's choice is kept");
    assert!(!checked(&browser, "Editor").await);

    browser.click_button("Replace with my choice").await;

    let saved = browser.wait_for_text("#roles-outcome", "Roles saved").await;
    assert_eq!(saved, "Roles saved: Admin.");
    let stored: Value =
        product.api(ROOT, reqwest::Method::GET, &format!("/api/v1/groups/{id}"), None).await;
    assert_eq!(stored["roles"], json!(["admin"]), "{stored}");
    browser.close().await;
}

#[tokio::test]
async fn an_editor_is_offered_only_the_roles_within_their_own_access() {
    let product = synced_demo("roles-no-escalation").await;
    // Grace is in Sales: make Sales grant Editor, so that she may assign roles.
    let sales = product.group_named("Sales").await;
    let body = json!({ "roles": ["editor"], "version": sales["roles_version"] });
    let path = format!("/api/v1/groups/{}/roles", sales["id"].as_str().expect("an id"));
    product.api(ROOT, reqwest::Method::PUT, &path, Some(body)).await;
    let design = product.group_named("Design").await;
    let page = format!("/groups/{}", design["id"].as_str().expect("an id"));

    let browser = Browser::signed_in(&product, "grace.kim@example.com", &page).await;
    browser.expect_identity("Signed in as grace.kim@example.com · Editor").await;
    browser.expect_heading("Design").await;

    let disabled = |name: &'static str| {
        let browser = &browser;
        async move {
            let value = role_box(browser, name).await.prop("disabled").await.expect("its state");
            value.as_deref() == Some("true")
        }
    };
    assert!(!disabled("Viewer").await, "Viewer is within an Editor's access");
    assert!(!disabled("Editor").await, "Editor is her own role");
    assert!(disabled("Admin").await, "Admin holds permissions she lacks");
    let hint = browser.wait_for_text(".check .hint", "You cannot grant or remove").await;
    assert!(hint.contains("permissions you do not hold"), "{hint}");
    role_box(&browser, "Viewer").await.click().await.expect("checking Viewer");
    browser.click_button("Save roles").await;
    browser.wait_for_text("#roles-outcome", "Roles saved: Viewer.").await;
    browser.close().await;
}

#[tokio::test]
async fn the_audit_log_and_a_groups_history_say_what_changed_in_words_filter_it_and_save_a_csv() {
    let product = synced_demo("roles-audit").await;
    let group = product.group_named("Design").await;
    let id = group["id"].as_str().expect("an id").to_owned();
    let browser = Browser::signed_in(&product, ROOT, &format!("/groups/{id}")).await;
    browser.expect_heading("Design").await;
    role_box(&browser, "Admin").await.click().await.expect("checking Admin");
    browser.click_button("Save roles").await;
    browser.wait_for_text("#roles-outcome", "Roles saved").await;
    // The group's history reads the save at once, in words.
    browser.wait_for_text("#audit-table tbody", "Roles of Design: Admin added").await;

    browser.click_link("Audit log").await;
    browser.expect_heading("Audit log").await;
    let row = browser.wait_for_text("#audit-table tbody tr", "Roles of Design: Admin added").await;
    assert!(row.contains("Roles changed") && row.contains(ROOT), "{row}");
    assert!(!row.contains("group.roles_set") && !row.contains(&id), "no codes or ids: {row}");
    browser.wait_for_text("#audit-table tbody", "Okta settings: tenant URL set to").await;
    let link = format!("document.querySelector('#audit-table a[href=\"/groups/{id}\"]')");
    browser
        .wait_until(&format!("return {link}?.textContent === 'Design'"), "a link to the group")
        .await;

    // Filter by kind: only role changes are left.
    let kind = browser.client.find(fantoccini::Locator::Id("audit-action")).await.expect("Kind");
    kind.select_by_label("Roles changed").await.expect("choosing a kind");
    browser.click_button("Apply filters").await;
    let only_roles = "const rows = [...document.querySelectorAll('#audit-table tbody tr')]; \
        return rows.length === 1 && rows[0].textContent.includes('Roles of Design')";
    browser.wait_until(only_roles, "one role change left").await;

    // What the filters select is saved as a CSV file.
    browser.click_button("Download as CSV").await;
    browser.wait_for_text("[role=status]", "Saved 1 entry to audit-log.csv.").await;

    // A person who changed nothing: no entry, said so.
    browser.fill("Person", "nobody-here").await;
    browser.click_button("Apply filters").await;
    browser.wait_for_text("main", "No entry matches these filters.").await;
    browser.click_button("Clear filters").await;
    browser.wait_for_text("#audit-table tbody", "Okta settings: tenant URL set to").await;
    browser.close().await;
}

#[tokio::test]
async fn a_custom_role_is_made_granted_on_a_scope_renamed_and_deleted_after_reading_its_impact() {
    let product = synced_demo("roles-custom").await;
    let design = product.group_named("Design").await;
    let id = design["id"].as_str().expect("an id").to_owned();
    // The relying app registers its permission through the API; the screen lists it.
    let permission = json!({ "name": "runbooks.execute", "description": "Run a runbook" });
    product.api(ROOT, reqwest::Method::POST, "/api/v1/permissions", Some(permission)).await;
    let browser = Browser::signed_in(&product, ROOT, "/roles").await;
    browser.expect_heading("Roles").await;
    browser.wait_for_text("#custom-roles-heading ~ *", "No custom roles yet").await;
    browser.wait_for_text(".permission-list", "runbooks.execute — Run a runbook").await;

    // A role made of it.
    browser.click_button("New custom role").await;
    browser.fill("Role key", "runbook_operator").await;
    browser.fill("Role name", "Runbook operator").await;
    browser.input_starting("runbooks.execute").await.click().await.expect("checking it");
    browser.click_button("Create role").await;
    browser.wait_for_text("#roles-outcome", "Role Runbook operator saved.").await;
    let row = browser.wait_for_text("#custom-roles-heading ~ * tbody tr", "Runbook operator").await;
    assert!(row.contains("runbook_operator") && row.contains("runbooks.execute"), "{row}");

    // Granted to Design on a scope: a scope that is not one is named, and nothing is sent.
    browser.goto(&format!("/groups/{id}")).await;
    browser.expect_heading("Design").await;
    browser.click_button("Add a custom role").await;
    browser.fill("Scope of custom role 1", "prod").await;
    let message = browser.wait_for_text(".grant .field__message", "Not a scope").await;
    assert!(message.starts_with("Not a scope: "), "{message}");
    assert!(!browser.button_enabled("Save roles").await, "an invalid scope is not saved");
    browser.fill("Scope of custom role 1", "folder:/prod").await;
    browser.click_button("Save roles").await;
    let saved = browser.wait_for_text("#roles-outcome", "Roles saved").await;
    assert_eq!(saved, "Roles saved: Runbook operator on folder:/prod.");
    let detail =
        product.api(ROOT, reqwest::Method::GET, &format!("/api/v1/groups/{id}"), None).await;
    assert_eq!(
        detail["grants"],
        json!([{ "role": "runbook_operator", "scope": "folder:/prod" }]),
        "{detail}"
    );

    // The invitation's preview and Why? name the role with its scope and the group.
    let member = product
        .control
        .truth()
        .groups
        .into_iter()
        .find(|g| g.id == id)
        .and_then(|g| g.members.into_iter().find(|m| m.status == fake_okta::UserStatus::Active))
        .expect("an active member of Design")
        .login;
    browser.click_link("Invite User").await;
    browser.fill("Email", &member).await;
    let preview =
        browser.wait_for_text(".preview", "They will get: Runbook operator on folder:/prod").await;
    assert!(
        preview.contains(&format!("Runbook operator on folder:/prod via Okta group Design {id}")),
        "{preview}"
    );

    // Renamed: the key stays, grants keep working.
    browser.goto("/roles").await;
    browser.click_button("Edit").await;
    browser.fill("Role name", "Runbook runner").await;
    browser.click_button("Save role").await;
    browser.wait_for_text("#roles-outcome", "Role Runbook runner saved.").await;

    // Deleted once its impact is read: the grant on Design goes with it.
    browser.click_button("Delete…").await;
    let impact = browser.wait_for_text(".role-impact", "Design").await;
    assert!(impact.contains("Delete Runbook runner?"), "{impact}");
    assert!(impact.contains("on folder:/prod"), "the grant's scope: {impact}");
    browser.click_button("Delete role and its grants").await;
    browser.wait_for_text("#roles-outcome", "Role Runbook runner deleted, with its grants.").await;
    browser.wait_for_text("#custom-roles-heading ~ *", "No custom roles yet").await;
    let detail =
        product.api(ROOT, reqwest::Method::GET, &format!("/api/v1/groups/{id}"), None).await;
    assert_eq!(detail["grants"], json!([]), "{detail}");
    browser.close().await;
}
