//! The `fake-okta` binary: its first stdout line is the tenant info, and SIGTERM stops it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long the binary may take to exit after SIGTERM: it exits at once, but a loaded machine
/// may take its time to schedule that. The wait ends as soon as it has exited.
const EXIT_PATIENCE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn the_binary_prints_tenant_info_first_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-okta"))
        .args(["--listen", "127.0.0.1:0", "--tenant", "s", "--seed", "7"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let info: Value = serde_json::from_str(&line).expect("the first line is JSON");
    assert_eq!(info["groups"], 50);
    assert_eq!(info["memberships"], 2000);
    let base = info["base_url"].as_str().unwrap();
    assert!(base.starts_with("http://127.0.0.1:"));
    let response = reqwest::Client::new()
        .get(format!("{base}/api/v1/apps/{}", info["app_id"].as_str().unwrap()))
        .header("Authorization", format!("SSWS {}", info["token"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(started.elapsed() < EXIT_PATIENCE, "exits on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn assign_everyone_and_big_group_flags_shape_the_tenant() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-okta"))
        .args(["--tenant", "demo", "--assign-everyone", "--big-group", "1000", "--seed", "7"])
        .arg("--stop-on-stdin-eof")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let info: Value = serde_json::from_str(&line).expect("the first line is JSON");
    assert_eq!(info["everyone_assigned"], true);
    assert_eq!(info["users"], 1000, "users were created for the big group");
    assert!(info["big_group_id"].as_str().is_some_and(|id| id.starts_with("00g")));
    // The demo's 12 groups (46 memberships), then Everyone and All Staff, 1000 members each.
    assert_eq!((info["groups"].as_u64(), info["memberships"].as_u64()), (Some(14), Some(2_046)));
    assert_eq!(info["assigned_group_member_counts"][0], 1000, "Everyone is listed first");
    drop(child.stdin.take());
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(started.elapsed() < EXIT_PATIENCE, "exits when stdin closes");
        std::thread::sleep(Duration::from_millis(20));
    }

    let refused = Command::new(env!("CARGO_BIN_EXE_fake-okta"))
        .args(["--big-group", "many"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(refused.code(), Some(2));
}
