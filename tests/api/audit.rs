//! The audit log as people and auditors read it, black-box: sentences instead of JSON, group
//! names beside ids, filters by person, kind, subject and day, and the CSV export.

use groupsync_core::api::SyncState;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Caller, TestApp, expect_problem};
use crate::sync::{TURN, prepared, run_sync, set_roles};
use crate::world::World;

/// The entries of `GET /api/v1/audit?{query}`.
async fn entries(caller: &Caller<'_>, query: &str) -> Vec<Value> {
    let answer = caller.get(&format!("/api/v1/audit?{query}")).await;
    assert_eq!(answer.status(), StatusCode::OK, "{query}");
    let page: Value = answer.json().await.expect("an audit page");
    page["entries"].as_array().expect("entries").clone()
}

fn field<'a>(entries: &'a [Value], key: &str) -> Vec<&'a str> {
    entries.iter().map(|e| e[key].as_str().unwrap_or_default()).collect()
}

#[tokio::test]
async fn the_audit_log_reads_in_words_and_filters_by_person_kind_subject_and_day() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let group = control.truth().groups.into_iter().next().expect("a group");
    let (id, name) = (group.id.as_str(), group.name.as_str());
    set_roles(&root, id, &["viewer"]).await;
    set_roles(&root, id, &["admin"]).await;

    let about = entries(&root, &format!("target={id}&action=group.roles_set&limit=2")).await;
    assert_eq!(
        field(&about, "description"),
        [
            format!("Roles of {name}: Admin added, Viewer removed"),
            format!("Roles of {name}: Viewer added")
        ]
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
        "{about:?}"
    );
    assert_eq!(field(&about, "target_name"), [name, name], "the group's name beside its id");

    // Kind: one action, or a whole area; a run's entries are not about the group.
    let area = entries(&root, &format!("target={id}&action=group")).await;
    assert!(area.len() >= 2 && field(&area, "action").iter().all(|a| a.starts_with("group.")));
    let runs = entries(&root, "action=sync.committed&limit=3").await;
    assert!(!runs.is_empty(), "the sync before this committed");
    for run in &runs {
        let sentence = run["description"].as_str().unwrap_or_default();
        assert!(sentence.starts_with("Sync saved: "), "{sentence}");
    }
    assert!(entries(&root, &format!("target={id}&action=sync")).await.is_empty());

    // Person: any part of the name, in any case.
    let by_root = entries(&root, &format!("target={id}&actor=ROOT%40EXAMPLE")).await;
    assert_eq!(by_root.len(), area.len());
    assert!(entries(&root, &format!("target={id}&actor=someone-else")).await.is_empty());

    // Days: the day of the change, on or after, on or before.
    let day = &about[0]["at"].as_str().expect("a time")[..10];
    let that_day = entries(&root, &format!("target={id}&from={day}&to={day}")).await;
    assert_eq!(that_day.len(), area.len(), "{day}");
    assert!(entries(&root, &format!("target={id}&from=2999-01-01")).await.is_empty());
    assert!(entries(&root, &format!("target={id}&to=2000-01-01")).await.is_empty());

    for bad in [
        "action=group.deleted",
        "action=Group",
        "from=2023-02-29",
        "to=30-11-2026",
        "from=2026-11-30&to=2026-11-29",
        "actor=",
        "actor=a&actor=b",
    ] {
        let refused = root.get(&format!("/api/v1/audit?{bad}")).await;
        expect_problem(refused, StatusCode::BAD_REQUEST, "invalid_query").await;
    }
    set_roles(&root, id, &[]).await;
}

#[tokio::test]
async fn the_audit_export_is_a_csv_of_the_filtered_entries_safe_to_open_in_a_spreadsheet() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let group = control.truth().groups.into_iter().nth(1).expect("a second group");
    // A name from Okta that a spreadsheet would run as a formula.
    let formula = "=HYPERLINK(\"https://evil.example\",\"Open\")";
    control.rename_group(&group.id, formula).expect("the fake renames the group");
    let renamed = run_sync(&root, json!({})).await;
    assert_eq!(renamed.state, SyncState::Succeeded, "{renamed:?}");
    set_roles(&root, &group.id, &["editor"]).await;

    let export = root.get(&format!("/api/v1/audit/export?target={}", group.id)).await;
    assert_eq!(export.status(), StatusCode::OK);
    let header = |name: &str| export.headers()[name].to_str().expect("ASCII").to_owned();
    assert_eq!(header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(header("content-disposition"), "attachment; filename=\"audit-log.csv\"");
    assert_eq!(header("audit-export-truncated"), "false");
    let listed = entries(&root, &format!("target={}&limit=200", group.id)).await;
    assert_eq!(header("audit-export-entries"), listed.len().to_string());
    let body = export.text().await.expect("a body");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let columns: Vec<String> =
        reader.headers().expect("a header row").iter().map(str::to_owned).collect();
    assert_eq!(
        columns,
        [
            "id",
            "at",
            "actor",
            "actor_kind",
            "action",
            "target",
            "target_name",
            "description",
            "before",
            "after"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    assert_eq!(rows.len(), listed.len(), "the same entries as the listing");
    let newest = &rows[0];
    assert_eq!(&newest[0], listed[0]["id"].to_string(), "newest first");
    assert_eq!(&newest[4], "group.roles_set");
    assert_eq!(&newest[6], format!("'{formula}"), "a formula is written as text");
    assert_eq!(&newest[7], format!("Roles of {formula}: Editor added"));
    let after: Value = serde_json::from_str(&newest[9]).expect("the state after, as JSON");
    assert_eq!(after["roles"], json!(["editor"]));

    // An export holds every matching entry: paging parameters are refused, filters checked.
    for bad in ["limit=5", "before=3", "action=nothing"] {
        let refused = root.get(&format!("/api/v1/audit/export?{bad}")).await;
        expect_problem(refused, StatusCode::BAD_REQUEST, "invalid_query").await;
    }
    // Only callers who may read the audit log may export it.
    let outsider = app.as_person("no-role@example.com").get("/api/v1/audit/export").await;
    expect_problem(outsider, StatusCode::FORBIDDEN, "forbidden").await;

    set_roles(&root, &group.id, &[]).await;
    control.rename_group(&group.id, &group.name).expect("the fake renames the group back");
    let restored = run_sync(&root, json!({})).await;
    assert_eq!(restored.state, SyncState::Succeeded, "{restored:?}");
}
