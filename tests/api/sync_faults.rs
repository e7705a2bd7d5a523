//! Fault runs: every fault profile of the fake Okta, repeated, against full syncs. Afterwards the
//! stored state equals either the previous commit (the run failed) or the tenant's truth (the
//! run recovered); never a mix. The count of wrong commits must be zero.

use groupsync_core::api::{SyncRun, SyncState};
use std::time::Duration;

use fake_okta::{Endpoint, FaultKind, FaultSpec, RateLimitConfig};
use serde_json::json;

use crate::helpers::TestApp;
use crate::sync::{prepared, run_sync, stored, truth};
use crate::world::World;

/// How a fault profile must end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The client's retries recover; the run commits the truth.
    Recovers,
    /// The run fails and commits nothing.
    Fails,
}

#[tokio::test]
async fn no_fault_profile_ever_commits_a_mix() {
    let app = TestApp::for_faults();
    let (tenant, control) = &World::get().fault_tenant;
    // Short rate-limit windows, so that a 429 storm is waited out in seconds.
    control.set_limits(RateLimitConfig {
        window: Duration::from_secs(2),
        ..RateLimitConfig::default()
    });
    let root = prepared(&app, tenant).await;
    let big = control.truth().groups.into_iter().max_by_key(|g| g.members.len()).expect("a group");
    assert!(big.members.len() > 200, "a group with a second page of members");
    let big_path = format!("/groups/{}/users", big.id);
    let on_members = |kind: FaultKind| FaultSpec::new(kind).on(Endpoint::ListGroupUsers);
    let profiles: Vec<(&str, Vec<FaultSpec>, Expect)> = vec![
        (
            "429 storm",
            vec![on_members(FaultKind::Error { status: 429 }).skip(3).times(3)],
            Expect::Recovers,
        ),
        (
            "5xx burst",
            vec![on_members(FaultKind::Error { status: 500 }).skip(5).times(2)],
            Expect::Recovers,
        ),
        (
            "5xx that persists",
            vec![
                FaultSpec::new(FaultKind::Error { status: 503 })
                    .on(Endpoint::ListAppGroups)
                    .times(100),
            ],
            Expect::Fails,
        ),
        (
            "malformed pages",
            vec![on_members(FaultKind::MalformedJson).skip(10).times(100)],
            Expect::Fails,
        ),
        (
            "truncated pages",
            vec![on_members(FaultKind::TruncatedBody).skip(10).times(100)],
            Expect::Fails,
        ),
        (
            "next link to a foreign host",
            vec![on_members(FaultKind::NextLinkForeignHost).path_contains(&big_path).times(100)],
            Expect::Fails,
        ),
        (
            "next link to another scheme",
            vec![on_members(FaultKind::NextLinkOtherScheme).path_contains(&big_path).times(100)],
            Expect::Fails,
        ),
        (
            "redirect",
            vec![
                FaultSpec::new(FaultKind::Redirect { location: None })
                    .on(Endpoint::ListAppGroups)
                    .times(100),
            ],
            Expect::Fails,
        ),
        (
            "pagination loop",
            vec![on_members(FaultKind::PaginationLoop).path_contains(&big_path).times(100)],
            Expect::Fails,
        ),
        (
            "token revoked mid-run",
            vec![on_members(FaultKind::Error { status: 401 }).skip(12).times(100)],
            Expect::Fails,
        ),
        (
            "a hang, then an answer",
            vec![on_members(FaultKind::Hang { ms: Some(40_000) }).skip(4).times(1)],
            Expect::Recovers,
        ),
    ];
    let mut runs = 0;
    let mut wrong_commits = Vec::new();
    for (name, faults, expect) in &profiles {
        let repeats = if name.starts_with("a hang") { 1 } else { 2 };
        for repeat in 0..repeats {
            // Change the tenant, so that a partial commit would show.
            let victim = control.truth().groups[repeat + 1].id.clone();
            control.rename_group(&victim, &format!("{name} #{repeat}")).unwrap();
            let before = stored(&root).await;
            control.clear_faults();
            for fault in faults {
                control.add_fault(fault.clone());
            }
            let run = run_sync(&root, json!({ "full": true })).await;
            control.clear_faults();
            runs += 1;
            let after = stored(&root).await;
            let state = run.state;
            let consistent = match state {
                SyncState::Succeeded => after == truth(control),
                SyncState::Failed => {
                    after == before && run.error.as_ref().is_some_and(|e| !e.is_empty())
                }
                _ => false,
            };
            let expected_state =
                if *expect == Expect::Recovers { SyncState::Succeeded } else { SyncState::Failed };
            if !consistent || state != expected_state {
                wrong_commits.push(format!("{name} #{repeat}: {state:?} (expected {expected_state:?}), consistent: {consistent}, {}", summary(&run)));
            }
            // Catch up, so the next profile starts from the truth.
            run_sync(&root, json!({})).await;
        }
    }
    assert!(
        wrong_commits.is_empty(),
        "{} of {runs} runs went wrong:\n{}",
        wrong_commits.len(),
        wrong_commits.join("\n")
    );
    assert!(runs >= 21, "{runs} fault runs");
}

fn summary(run: &SyncRun) -> String {
    format!("error: {:?}, requests: {}", run.error, run.okta_requests)
}

/// Renames a table for as long as it lives, and back when dropped (even when a test fails).
struct TableAway<'a> {
    app: &'a TestApp,
    table: &'static str,
}

impl<'a> TableAway<'a> {
    fn new(app: &'a TestApp, table: &'static str) -> Self {
        app.execute_sql(&format!("ALTER TABLE {table} RENAME TO {table}_away"));
        Self { app, table }
    }
}

impl Drop for TableAway<'_> {
    fn drop(&mut self) {
        self.app.execute_sql(&format!("ALTER TABLE {0}_away RENAME TO {0}", self.table));
    }
}

/// Waits until the coordinator has tidied what a failed run left (what it staged and wrote
/// ahead), as its own probe finds it. Renaming a table back from outside while the Worker's D1
/// runs the tidying statements makes the local D1 drop the Worker's connections (production has
/// no such outside change), so the test renames only once the Worker is done.
async fn wait_until_tidied(app: &TestApp) {
    let committed = "(SELECT committed FROM sync_generation WHERE id = 1)";
    let probe = format!(
        "SELECT (SELECT COUNT(*) FROM group_member_versions WHERE from_gen > {committed} OR to_gen IS NOT NULL) \
         + (SELECT COUNT(*) FROM okta_user_versions WHERE from_gen > {committed} OR to_gen IS NOT NULL) \
         + (SELECT COUNT(*) FROM sync_removed_groups) + (SELECT COUNT(*) FROM sync_staged_members) \
         + (SELECT COUNT(*) FROM sync_staged_users) + (SELECT COUNT(*) FROM sync_staged_statuses) \
         + (SELECT COUNT(*) FROM sync_staged_groups) AS untidy"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let rows = app.query_rows(&probe);
        if rows.first().and_then(|row| row["untidy"].as_u64()) == Some(0) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "the failed run is never tidied: {rows:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn d1_failures_at_staging_and_at_commit_change_nothing() {
    // The dev stack has its own D1; its sync tenant is the fault tenant's twin seed.
    let app = TestApp::with_dev_sign_in();
    let (tenant, control) = &World::get().sync_tenant;
    let _turn = crate::sync::TURN.lock().await;
    let root = prepared(&app, tenant).await;
    let mut runs = 0;
    let mut wrong = Vec::new();
    for repeat in 0..2 {
        // Staging fails: the table the run writes what it read into is gone.
        let before = stored(&root).await;
        let away = TableAway::new(&app, "sync_staged_members");
        let failed = run_sync(&root, json!({ "full": true })).await;
        drop(away);
        app.wait_until_serving().await;
        runs += 1;
        if failed.state != SyncState::Failed || stored(&root).await != before {
            wrong.push(format!("staging #{repeat}: {}", summary(&failed)));
        }

        // The commit fails half-way: a group leaves (its roles must be archived) and a member
        // leaves another group, but the archive table is gone, so the one batch fails as a whole.
        let truth_now = control.truth();
        let leaving = truth_now.groups[10 + repeat].id.clone();
        let shrinking = &truth_now.groups[20 + repeat];
        control.unassign_group(&leaving).unwrap();
        control.remove_member(&shrinking.id, &shrinking.members[0].id).unwrap();
        let before = stored(&root).await;
        let away = TableAway::new(&app, "archived_group_roles");
        let failed = run_sync(&root, json!({})).await;
        wait_until_tidied(&app).await;
        drop(away);
        app.wait_until_serving().await;
        runs += 1;
        if failed.state != SyncState::Failed || stored(&root).await != before {
            wrong.push(format!("commit #{repeat}: {}", summary(&failed)));
        }
        let recovered = run_sync(&root, json!({})).await;
        runs += 1;
        if recovered.state != SyncState::Succeeded || stored(&root).await != truth(control) {
            wrong.push(format!("recovery #{repeat}: {}", summary(&recovered)));
        }
        control.assign_group(&leaving).unwrap();
        control.add_member(&shrinking.id, &shrinking.members[0].id).unwrap();
        run_sync(&root, json!({})).await;
    }
    assert!(wrong.is_empty(), "{} of {runs} runs went wrong:\n{}", wrong.len(), wrong.join("\n"));
}
