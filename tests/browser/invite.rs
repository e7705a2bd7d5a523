//! Invite User: the roles an email will get (and through which Okta group) before sending, the
//! invitation in the users table, and **Why?** explaining a user's access.

use serde_json::json;

use crate::browser::Browser;
use crate::product::{ROOT, shared_demo};

#[tokio::test]
async fn typing_an_email_shows_the_roles_it_will_get_before_the_invitation_is_sent() {
    let product = shared_demo().await;
    let browser = Browser::signed_in(product, ROOT, "/invite").await;
    browser.expect_heading("Invite User").await;

    // Alice is in Engineering, which grants Admin.
    browser.fill("Email", "alice.johnson@example.com").await;
    let preview = browser.wait_for_text(".preview", "They will get: Admin").await;
    let engineering = product.group_named("Engineering").await;
    let engineering_id = engineering["id"].as_str().expect("an id");
    assert!(
        preview.contains(&format!("Admin via Okta group Engineering {engineering_id}")),
        "{preview}"
    );

    // George is only in Contractors, a group not assigned to the app.
    browser.fill("Email", "george.hall@example.com").await;
    let preview = browser.wait_for_text(".preview", "They will get: no role").await;
    let notes = browser.texts(".preview .note").await;
    assert!(!notes.is_empty() && notes.iter().all(|n| !n.is_empty()), "why no role: {preview}");
    assert!(!preview.contains("via Okta group"), "{preview}");

    browser.fill("Email", "alice.johnson@example.com").await;
    browser.wait_for_text(".preview", "They will get: Admin").await;
    let alice = "alice.johnson@example.com";
    // She holds Admin through her group already: the access review lists her, never invited.
    let never_invited = format!("{alice} | not invited | Admin | Never invited");
    browser.wait_for_text("tbody tr", alice).await;
    let before = record_row_states(&browser, alice).await;
    assert_eq!(before, std::slice::from_ref(&never_invited), "Alice before she is invited");
    browser.click_button("Send invitation").await;

    let sent = browser.wait_for_text("#invite-result", "Invitation sent").await;
    assert_eq!(sent, "Invitation sent to alice.johnson@example.com. Roles: Admin.");
    // The table is read again after the answer: wait until the row shows the invitation.
    let invited = format!("{alice} | invited | Admin | by {ROOT} at ");
    let shows_invitation = format!(
        "const states = window.__rowStates; \
         return states.length > 0 && states[states.length - 1].startsWith({});",
        json!(invited)
    );
    browser.wait_until(&shows_invitation, "Alice's row shows her invitation").await;
    // Every state the row was ever in, from its first paint on, is whole and true.
    let states = recorded_row_states(&browser).await;
    for state in &states {
        assert!(
            *state == never_invited || state.starts_with(&invited),
            "a state of Alice's row: {state:?} (all: {states:?})"
        );
    }
    browser.close().await;
}

#[tokio::test]
async fn the_preview_of_a_member_who_is_not_active_names_her_groups_and_what_her_status_means() {
    let product = shared_demo().await;
    let browser = Browser::signed_in(product, ROOT, "/invite").await;
    browser.expect_heading("Invite User").await;

    // Quinn is SUSPENDED in Okta and a member of Support, as the Support page lists her.
    browser.fill("Email", "quinn.murphy@example.com").await;
    let preview = browser.wait_for_text(".preview", "SUSPENDED").await;
    assert!(preview.contains("They will get: no role"), "{preview}");
    assert!(preview.contains("until they are unsuspended"), "{preview}");
    let groups = browser.wait_for_text(".preview .groups", "Support").await;
    assert!(groups.starts_with("In the app's Okta groups:"), "{groups}");
    assert!(!preview.contains("no group assigned"), "she is in Support: {preview}");

    // Chris is LOCKED_OUT and Wendy's password expired: sign-in problems, not the end of their
    // employment, so their groups' roles still apply, and the preview says so.
    for (email, status) in [
        ("chris.evans@example.com", "LOCKED_OUT"),
        ("wendy.clarke@example.com", "PASSWORD_EXPIRED"),
    ] {
        browser.fill("Email", email).await;
        let preview = browser.wait_for_text(".preview", status).await;
        assert!(preview.contains("still apply"), "{preview}");
        assert!(!preview.contains("no group assigned"), "{preview}");
    }

    // Sent, the answer says what the preview said (it used to say "none of them grants a role").
    let quinn = "quinn.murphy@example.com";
    browser.fill("Email", quinn).await;
    browser.wait_for_text(".preview", "SUSPENDED").await;
    browser.click_button("Send invitation").await;
    let sent = browser.wait_for_text("#invite-result", "Invitation sent").await;
    assert!(sent.contains("SUSPENDED") && sent.contains("until they are unsuspended"), "{sent}");
    assert!(!sent.contains("none of them grants a role"), "{sent}");

    // Why? says it too, naming her group.
    browser.click(&format!("button[aria-label=\"Why does {quinn} have this access?\"]")).await;
    let why = browser.wait_for_text(".why", "SUSPENDED").await;
    assert!(why.contains("Support"), "{why}");
    assert!(!why.contains("no group assigned"), "{why}");

    // And the groups' pages list each of them with what their status means.
    for (group, email, status) in [
        ("Support", quinn, "SUSPENDED · no roles"),
        ("Customer Success", "chris.evans@example.com", "LOCKED_OUT · keeps this group's roles"),
    ] {
        let id = product.group_named(group).await["id"].as_str().expect("an id").to_owned();
        browser.goto(&format!("/groups/{id}")).await;
        let row = format!(
            "return [...document.querySelectorAll('#members-table tbody tr')]\
             .some(row => row.cells[0].textContent.trim() === '{email}' \
                  && row.cells[2].textContent.trim() === \"{status}\")"
        );
        browser.wait_until(&row, &format!("{group} lists {email} as {status}")).await;
    }
    browser.close().await;
}

#[tokio::test]
async fn an_invitation_can_be_sent_only_once_its_preview_is_shown() {
    let product = shared_demo().await;
    let browser = Browser::signed_in(product, ROOT, "/invite").await;
    browser.expect_heading("Invite User").await;
    // The form comes in after the heading (once who is signed in is known): record once it is.
    let form = "return ['#invite-email', '.preview', 'button[type=submit]']
        .every(css => document.querySelector(css) !== null)";
    browser.wait_until(form, "the invitation form is shown").await;
    // Every state of the form a person could have seen, from now on (see `record_row_states`).
    let script = "window.__formStates = [];
        const record = () => {
            const email = document.getElementById('invite-email').value.trim();
            const preview = document.querySelector('.preview').textContent;
            const button = document.querySelector('button[type=submit]');
            window.__formStates.push({ email, shown: preview.includes('They will get'), enabled: !button.disabled });
        };
        new MutationObserver(record).observe(document.body,
            { childList: true, subtree: true, characterData: true, attributes: true });
        document.getElementById('invite-email').addEventListener('input', record);
        record();";
    browser.client.execute(script, vec![]).await.expect("the recorder starts");

    let emails = ["alice.johnson@example.com", "quinn.murphy@example.com"];
    for email in emails {
        browser.fill("Email", email).await;
        browser.wait_for_text(".preview", "They will get").await;
        // The button follows the preview in the same update, but wait for the state itself.
        let enabled = "return !document.querySelector('button[type=submit]').disabled";
        browser.wait_until(enabled, &format!("{email}: once shown, it may be sent")).await;
    }
    let states = browser.client.execute("return window.__formStates", vec![]).await;
    let states: Vec<serde_json::Value> =
        serde_json::from_value(states.expect("the record")).expect("a list");
    let early: Vec<&serde_json::Value> = states
        .iter()
        // Whole addresses (a partial one is refused with a message when sent).
        .filter(|s| s["email"].as_str().is_some_and(|e| emails.contains(&e)) && s["shown"] == false)
        .filter(|s| s["enabled"] == true)
        .collect();
    assert!(early.is_empty(), "Send was offered before the preview: {early:?}");
    browser.close().await;
}

/// Records the cells of the people-table row of `email` each time the page changes, from now
/// on. A `MutationObserver` runs before the browser paints the change it reports, so the record
/// holds every state of the row a person could have seen. Returns the states recorded so far.
async fn record_row_states(browser: &Browser, email: &str) -> Vec<String> {
    let script = "const email = arguments[0];
        window.__rowStates = [];
        const record = () => {
            for (const row of document.querySelectorAll('tbody tr')) {
                const cells = Array.from(row.cells, cell => cell.textContent.trim());
                if (cells[0] === email) window.__rowStates.push(cells.slice(0, 4).join(' | '));
            }
        };
        new MutationObserver(record)
            .observe(document.body, { childList: true, subtree: true, characterData: true });
        record();";
    browser.client.execute(script, vec![json!(email)]).await.expect("the recorder starts");
    recorded_row_states(browser).await
}

/// The states [`record_row_states`] recorded.
async fn recorded_row_states(browser: &Browser) -> Vec<String> {
    let states = browser.client.execute("return window.__rowStates", vec![]).await;
    serde_json::from_value(states.expect("the record")).expect("a list of states")
}

#[tokio::test]
async fn why_explains_a_users_access_by_role_and_group_and_takes_the_focus() {
    let product = shared_demo().await;
    let bob = "bob.martinez@example.com";
    let body = json!({ "email": bob });
    product.api(ROOT, reqwest::Method::POST, "/api/v1/invitations", Some(body)).await;
    let browser = Browser::signed_in(product, ROOT, "/invite").await;
    browser.wait_for_text("tbody tr", bob).await;

    let label = format!("Why does {bob} have this access?");
    browser.click(&format!("button[aria-label=\"{label}\"]")).await;

    let heading = browser.wait_for_text(".why h2", "has this access").await;
    assert_eq!(heading, format!("Why {bob} has this access"));
    let panel = browser.wait_for_text(".why", "Roles: Admin").await;
    let engineering = product.group_named("Engineering").await;
    let engineering_id = engineering["id"].as_str().expect("an id");
    assert!(
        panel.contains(&format!("Admin via Okta group Engineering {engineering_id}")),
        "{panel}"
    );
    assert!(panel.contains("Okta status: ACTIVE."), "{panel}");
    assert!(!panel.contains("via Okta group Security"), "Security grants nothing: {panel}");
    // Every group he is in is named, as the groups' pages list him.
    assert!(panel.contains("In the app's Okta groups: Engineering, Security"), "{panel}");
    browser
        .wait_until("return document.activeElement.id === 'why-heading'", "Why? takes the focus")
        .await;

    browser.click_button("Close").await;
    browser
        .wait_until("return document.querySelector('.why') === null", "Close closes the panel")
        .await;
    browser.close().await;
}

#[tokio::test]
async fn an_email_okta_does_not_know_is_invited_only_when_confirmed_and_can_be_withdrawn() {
    let product = shared_demo().await;
    let browser = Browser::signed_in(product, ROOT, "/invite").await;
    browser.expect_heading("Invite User").await;
    let newcomer = "newcomer@example.com";

    browser.fill("Email", newcomer).await;
    browser.wait_for_text(".preview", "They will get: no role").await;
    browser.click_button("Send invitation").await;
    let refused = browser.wait_for_text("#invite-result", "Okta has no user").await;
    assert!(refused.contains(newcomer) && refused.contains("confirm"), "{refused}");
    browser.click_button("Invite anyway").await;
    let sent = browser.wait_for_text("#invite-result", "Invitation sent").await;
    assert!(sent.starts_with(&format!("Invitation sent to {newcomer}. Roles: no role.")), "{sent}");
    assert!(sent.contains("not a user in Okta"), "the warning stays: {sent}");

    // A second invitation of the same email says when the first was sent, and by whom.
    browser.click_button("Send invitation").await;
    let again = browser.wait_for_text("#invite-result", "already invited on").await;
    assert!(again.contains(&format!("by {ROOT}")), "{again}");

    // Unused, it can be withdrawn: the row goes, and the page says so.
    let withdraw = format!("button[aria-label=\"Withdraw the invitation of {newcomer}\"]");
    browser.click(&withdraw).await;
    let notice = browser.wait_for_text("#people-notice", "was withdrawn").await;
    assert_eq!(
        notice,
        format!("The invitation of {newcomer} was withdrawn. Invite them again at any time.")
    );
    let gone = format!(
        "return ![...document.querySelectorAll('#people-table tbody tr')]\
         .some(row => row.cells[0].textContent.trim() === '{newcomer}')"
    );
    browser.wait_until(&gone, "the withdrawn invitation leaves the table").await;
    browser.close().await;
}

#[tokio::test]
async fn someone_who_signed_in_without_an_invitation_or_a_role_is_listed_among_the_people() {
    let product = shared_demo().await;
    // Not an Okta user, in no group, never invited: signing in is all they did.
    let visitor = "aaa.visitor@example.com";
    product.api(visitor, reqwest::Method::GET, "/api/v1/me", None).await;
    let browser = Browser::signed_in(product, ROOT, "/invite").await;
    // The first four cells of the visitor's row, or '' while it is not shown.
    let cells = format!(
        "([...document.querySelectorAll('#people-table tbody tr')]\
         .map(row => Array.from(row.cells, cell => cell.textContent.trim()))\
         .find(cells => cells[0] === '{visitor}') ?? []).slice(0, 4).join(' | ')"
    );
    browser.wait_until(&format!("return {cells} !== ''"), "the visitor's row").await;
    let cells = browser.client.execute(&format!("return {cells}"), vec![]).await.expect("the row");
    let cells = cells.as_str().expect("its cells").to_owned();
    assert!(
        cells.starts_with(&format!(
            "{visitor} | not invited | no role | Never invited; first signed in at "
        )),
        "{cells}"
    );
    browser.close().await;
}
