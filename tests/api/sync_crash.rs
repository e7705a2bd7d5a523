//! Crash safety at size M (1,000 groups, 100,000 memberships): the local stack (`wrangler dev`
//! and its `workerd`) is killed with SIGKILL at five points of a sync (reading, staging,
//! planning, writing the commit, switching) and restarted on the same state. Each interrupted
//! run must resume to `succeeded` with Okta's truth, or end `failed` with a sentence and a code
//! and the previous snapshot intact; while it is unfinished, readers see the previous snapshot
//! exactly; it is decided (committed, held or failed) once; and the next run reaches Okta's
//! truth. A point where any of this breaks is a wrong commit, and there must be none.
//!
//! The kills land at states, never at times. Reading and staging are held in place by a hung
//! Okta page, and the test kills once the run's `progress.phase` says it is there. Past the
//! last Okta page nothing holds the run: it talks to D1 alone, and the writing and the switch
//! last a second or two, so a state seen in a poll may be gone by the time the kill lands. So,
//! once the fake has served the member pages, the test steps the stack: it freezes it
//! (SIGSTOP), reads the run's state from a copy of D1, kills it right there when it is the
//! point, and otherwise lets it run a little and looks again. The kill lands exactly at the
//! state the look read. A look that finds the point passed is a miss: the run is let finish,
//! and the point is tried again in shorter steps.
//!
//! The first four points crash a full sync, whose reading and writing take longest; the switch
//! is crashed in an incremental sync, the hourly kind, so that its reading of the changed groups
//! and of the statuses goes through a crash too.
//!
//! The test has a stack and a fake Okta tenant of its own: nothing else may start or read runs
//! on them while they are killed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use fake_okta::{
    BucketLimits, Control, Endpoint, FakeOktaConfig, FaultKind, FaultSpec, RateLimitConfig,
    TenantInfo, TenantSize, TenantSpec, Truth, UserStatus,
};
use futures_util::{StreamExt, stream};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use test_support::{LocalStack, StackOptions, workspace_root};

use crate::world::{World, fake_okta_of_its_own};

/// How long a full sync of M may take, and how long a run may take to reach a point of it: a
/// minute or so on a quiet machine, several on two busy cores. Each wait ends at the state.
const RUN_PATIENCE: Duration = Duration::from_secs(900);

/// How often a run's progress is polled.
const POLL: Duration = Duration::from_millis(20);

/// How long the stack runs between two looks while the test steps it at first; halved after
/// each miss. Only the number of looks depends on it, never where the kill lands.
const FIRST_STEP: Duration = Duration::from_millis(120);

/// How many times a point is tried before the test gives up on reaching it.
const ATTEMPTS: usize = 4;

/// Requests the snapshot reader sends at once.
const READERS: usize = 6;

/// The superAdmin of the test stack (`SUPER_ADMIN_BOOTSTRAP` of the world's stack variables).
const ROOT: &str = "root@example.com";

/// The page size of the Worker's member listings (`GET /groups/{id}/users?limit=200`).
const MEMBER_PAGE: usize = 200;

/// What readers see of the synced groups: group id → (name, {(member id, Okta status)}).
type Snapshot = BTreeMap<String, (String, BTreeSet<(String, String)>)>;

/// Where the stack is killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Point {
    /// Reading the app's groups: the third page hangs.
    Reading,
    /// Reading members, staged page by page as rows: member pages hang after 300.
    Staging,
    /// Everything read: comparing the staged memberships with the committed ones in SQL and
    /// writing the changes ahead (`writing_memberships`).
    Planning,
    /// Writing the users of the next generation ahead (`writing_users`).
    Writing,
    /// Switching: the run is at `switching`, or has switched and is still tidying what it
    /// staged, before the coordinator has recorded that it ended.
    Switching,
}

impl Point {
    const ALL: [Point; 5] =
        [Point::Reading, Point::Staging, Point::Planning, Point::Writing, Point::Switching];

    fn name(self) -> &'static str {
        match self {
            Point::Reading => "reading",
            Point::Staging => "staging",
            Point::Planning => "planning",
            Point::Writing => "writing the commit",
            Point::Switching => "switching",
        }
    }

    /// The Okta page that hangs, holding the run at the point (none for the later points).
    fn hold(self) -> Option<FaultSpec> {
        let hang = FaultSpec::new(FaultKind::Hang { ms: None }).times(1_000_000);
        match self {
            Point::Reading => Some(hang.on(Endpoint::ListAppGroups).skip(2)),
            Point::Staging => Some(hang.on(Endpoint::ListGroupUsers).skip(300)),
            _ => None,
        }
    }

    /// Whether the run is a full one (see the module's documentation).
    fn full(self) -> bool {
        self != Point::Switching
    }

    /// How long the stack runs between two looks at first: the switch's stretch is short.
    fn first_step(self) -> Duration {
        if self == Point::Switching { FIRST_STEP / 2 } else { FIRST_STEP }
    }

    /// The ranks of [`Landing::rank`] that are this point.
    fn ranks(self) -> std::ops::RangeInclusive<u8> {
        match self {
            Point::Reading => 1..=1,
            Point::Staging => 3..=3,
            Point::Planning => 4..=4,
            Point::Writing => 5..=5,
            Point::Switching => 6..=7,
        }
    }
}

/// A run's state as D1 holds it, read from outside the stack while it is frozen or dead.
#[derive(Debug, Clone)]
struct Landing {
    state: String,
    phase: String,
    progress: Value,
    /// Rows of the next generation written ahead (memberships, users), invisible to readers.
    ahead: (u64, u64),
    /// Rows staged (members, groups), by any run.
    staged: (u64, u64),
}

impl Landing {
    /// Reads it (`None` when wrangler could not).
    fn read(stack: &LocalStack, id: &str) -> Option<Landing> {
        let committed = "(SELECT committed FROM sync_generation WHERE id = 1)";
        let sql = format!(
            "SELECT r.state, r.progress, \
             (SELECT COUNT(*) FROM group_member_versions WHERE from_gen > {committed}) AS ahead_members, \
             (SELECT COUNT(*) FROM okta_user_versions WHERE from_gen > {committed}) AS ahead_users, \
             (SELECT COUNT(*) FROM sync_staged_members) AS staged_members, \
             (SELECT COUNT(*) FROM sync_staged_groups) AS staged_groups \
             FROM sync_runs r WHERE r.id = '{id}'"
        );
        let answer: Value = serde_json::from_str(&stack.query_sql(&sql).ok()?).ok()?;
        let row = &answer[0]["results"][0];
        let progress: Value = serde_json::from_str(row["progress"].as_str()?).ok()?;
        let n = |name: &str| row[name].as_u64().unwrap_or(0);
        Some(Landing {
            state: row["state"].as_str()?.to_owned(),
            phase: progress["phase"].as_str().unwrap_or_default().to_owned(),
            progress,
            ahead: (n("ahead_members"), n("ahead_users")),
            staged: (n("staged_members"), n("staged_groups")),
        })
    }

    /// Where the run is, in the order of a run: 0 tidying, 1 reading groups, 2 reading
    /// statuses, 3 reading members, 4 writing memberships, 5 writing users, 6 switching, 7
    /// switched with what it staged not yet tidied, 8 switched and tidied, 9 ended otherwise.
    fn rank(&self) -> u8 {
        match (self.state.as_str(), self.phase.as_str()) {
            ("running", "tidying") => 0,
            ("running", "reading_groups") => 1,
            ("running", "reading_statuses") => 2,
            ("running", "reading_members") => 3,
            ("running", "writing_memberships") => 4,
            ("running", "writing_users") => 5,
            ("running", _) => 6,
            ("succeeded", _) if self.staged.1 > 0 => 7,
            ("succeeded", _) => 8,
            _ => 9,
        }
    }

    fn words(&self) -> String {
        format!(
            "{} at {} (members read {}/{}), ahead: {} memberships and {} users, staged: {} \
             members of {} groups",
            self.state,
            self.phase,
            self.progress["member_groups_read"],
            self.progress["member_groups_total"],
            self.ahead.0,
            self.ahead.1,
            self.staged.0,
            self.staged.1
        )
    }
}

/// A client of the test's stack, as root.
struct Client {
    base_url: String,
    http: reqwest::Client,
    token: String,
}

impl Client {
    /// A new client (with no pooled connection to a killed stack).
    fn of(stack: &LocalStack) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(120))
            .build()
            .expect("an HTTP client builds");
        Self { base_url: stack.base_url().to_owned(), http, token: World::get().person(ROOT) }
    }

    /// `GET path`. A connection that fails before any answer is tried again, twice: a reused
    /// keep-alive connection may be closed by the server just as the request goes out.
    async fn try_get(&self, path: &str) -> Result<(StatusCode, Value), String> {
        let mut tries = 0;
        let response = loop {
            tries += 1;
            let sent = self
                .http
                .get(format!("{}{path}", self.base_url))
                .header("Accept", "application/json")
                .header("Cf-Access-Jwt-Assertion", &self.token)
                .send()
                .await;
            match sent {
                Ok(response) => break response,
                Err(e) if tries < 3 && (e.is_connect() || e.is_request()) => continue,
                Err(e) => return Err(format!("GET {path}: {}", chain(&e))),
            }
        };
        let status = response.status();
        let body = response.json().await.map_err(|e| format!("GET {path}: {status}, {e}"))?;
        Ok((status, body))
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.try_get(path).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    async fn send(&self, method: Method, path: &str, body: &Value) -> Value {
        let response = self
            .http
            .request(method.clone(), format!("{}{path}", self.base_url))
            .header("Accept", "application/json")
            .header("Cf-Access-Jwt-Assertion", &self.token)
            .header("X-Requested-By", "okta-groups-sync")
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {}", chain(&e)));
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {path}: {status} {answer}");
        answer
    }

    /// Starts a run (a full one when `full`) and returns its id.
    async fn start(&self, full: bool) -> String {
        let started = self.send(Method::POST, "/api/v1/sync", &json!({ "full": full })).await;
        assert_eq!(started["joined"], false, "no other run was running: {started}");
        started["run"]["id"].as_str().expect("a run id").to_owned()
    }

    async fn run(&self, id: &str) -> Value {
        self.get(&format!("/api/v1/sync/runs/{id}")).await
    }

    /// Polls a run until it is no longer running.
    async fn finished(&self, id: &str) -> Value {
        let deadline = Instant::now() + RUN_PATIENCE;
        loop {
            let run = self.run(id).await;
            if run["state"] != "running" {
                return run;
            }
            assert!(Instant::now() < deadline, "run {id} still running: {run}");
            tokio::time::sleep(POLL).await;
        }
    }

    /// Gives a group these roles.
    async fn set_roles(&self, group_id: &str, roles: &[&str]) {
        let group = self.get(&format!("/api/v1/groups/{group_id}")).await;
        let body = json!({ "roles": roles, "version": group["roles_version"] });
        self.send(Method::PUT, &format!("/api/v1/groups/{group_id}/roles"), &body).await;
    }

    /// The members of a group as readers see them, page by page, read again from the start when
    /// a page comes from another commit than the first; `None` when there is no such group.
    async fn members(&self, group_id: &str) -> Option<BTreeSet<(String, String)>> {
        let member = |m: &Value| {
            (
                m["id"].as_str().unwrap_or_default().to_owned(),
                m["status"].as_str().unwrap_or_default().to_owned(),
            )
        };
        'listing: loop {
            let (mut members, mut after, mut as_of) = (BTreeSet::new(), None::<String>, None);
            loop {
                let cursor =
                    after.as_deref().map(|a| format!("&after={}", encoded(a))).unwrap_or_default();
                let path = format!("/api/v1/groups/{group_id}/members?per_page=200{cursor}");
                let (status, page) = self.try_get(&path).await.unwrap_or_else(|e| panic!("{e}"));
                if status == StatusCode::NOT_FOUND {
                    return None;
                }
                assert_eq!(status, StatusCode::OK, "GET {path}: {page}");
                if as_of.get_or_insert_with(|| page["as_of"].clone()) != &page["as_of"] {
                    continue 'listing;
                }
                let listed = page["members"].as_array().expect("a page of members");
                members.extend(listed.iter().map(member));
                match page["next_after"].as_str() {
                    Some(next) => after = Some(next.to_owned()),
                    None => return Some(members),
                }
            }
        }
    }

    /// Every synced group with its members, as readers see them.
    async fn snapshot(&self) -> Snapshot {
        let mut okta: Vec<(String, String)> = Vec::new();
        let mut as_of = None;
        for page in 1_u64.. {
            let listing = self.get(&format!("/api/v1/groups?per_page=1000&page={page}")).await;
            // Pages of one listing come from one commit (the test reads again otherwise).
            if as_of.get_or_insert_with(|| listing["as_of"].clone()) != &listing["as_of"] {
                return Box::pin(self.snapshot()).await;
            }
            let groups = listing["groups"].as_array().expect("a page of groups");
            okta.extend(groups.iter().filter(|g| g["source"] == "okta").map(|g| {
                (
                    g["id"].as_str().unwrap_or_default().to_owned(),
                    g["name"].as_str().unwrap_or_default().to_owned(),
                )
            }));
            if groups.is_empty() || page * 1000 >= listing["total"].as_u64().unwrap_or(0) {
                break;
            }
        }
        stream::iter(okta)
            .map(|(id, name)| async move {
                // Read while no run commits: every group listed is there.
                let members = self.members(&id).await.unwrap_or_else(|| panic!("group {id} gone"));
                (id, (name, members))
            })
            .buffer_unordered(READERS)
            .collect()
            .await
    }

    /// A person's effective access, as readers see it.
    async fn access(&self, email: &str) -> Value {
        self.get(&format!("/api/v1/users/{email}/access")).await
    }
}

/// `text` as a URL query value.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An error with its causes.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let _ = write!(text, ": {inner}");
        cause = inner.source();
    }
    text
}

/// The tenant's truth, as a snapshot.
fn truth(control: &Control) -> Snapshot {
    let Truth { groups } = control.truth();
    groups
        .into_iter()
        .map(|g| {
            let members =
                g.members.into_iter().map(|m| (m.id, m.status.as_str().to_owned())).collect();
            (g.id, (g.name, members))
        })
        .collect()
}

/// How two snapshots differ, in a few words.
fn difference(seen: &Snapshot, expected: &Snapshot) -> String {
    let mut words = String::new();
    for (id, group) in expected {
        match seen.get(id) {
            None => {
                let _ = write!(words, "{id} missing; ");
            }
            Some(other) if other != group => {
                let extra = other.1.difference(&group.1).count();
                let lacking = group.1.difference(&other.1).count();
                let _ = write!(
                    words,
                    "{id} differs ({:?} vs {:?}, {extra} member rows extra, {lacking} lacking); ",
                    other.0, group.0
                );
            }
            Some(_) => {}
        }
    }
    for id in seen.keys().filter(|id| !expected.contains_key(*id)) {
        let _ = write!(words, "{id} extra; ");
    }
    words
}

/// A fake Okta of size M for this test alone, on a runtime of its own that lives as long as the
/// test binary, with rate limits far above what a run uses: this test is about crashes, not
/// waiting.
fn m_tenant() -> (TenantInfo, Control) {
    let unlimited = 1_000_000;
    fake_okta_of_its_own(FakeOktaConfig {
        tenant: TenantSpec { size: TenantSize::M, seed: 10 },
        limits: RateLimitConfig {
            buckets: BucketLimits {
                apps: unlimited,
                app_by_id: unlimited,
                groups: unlimited,
                group_by_id: unlimited,
                users: unlimited,
                user_by_id: unlimited,
                other: unlimited,
            },
            ..RateLimitConfig::default()
        },
        ..FakeOktaConfig::default()
    })
}

/// What a point changes in Okta, and who it concerns.
struct Change {
    /// Groups whose answer must change, and people whose access must.
    groups: Vec<String>,
    people: Vec<String>,
    /// The change, in words.
    words: String,
}

/// Changes Okta as people do: a group leaves the app, a member leaves a group, a person joins
/// one, a person is suspended. `n` picks other groups and people for each point. The groups
/// concerned grant Viewer first, so that every change also changes someone's access.
async fn change_okta(client: &Client, control: &Control, n: usize) -> Change {
    let truth = control.truth();
    let sized: Vec<_> = truth.groups.iter().filter(|g| g.members.len() >= 3).collect();
    let pick = |k: usize| sized[(n * 7 + k) % sized.len()];
    let active = |g: &fake_okta::TruthGroup| {
        g.members
            .iter()
            .find(|m| m.status == UserStatus::Active)
            .cloned()
            .expect("an active member")
    };
    let (leaving, shrinking, growing, suspending) = (pick(0), pick(1), pick(2), pick(3));
    for group in [leaving, shrinking, growing, suspending] {
        client.set_roles(&group.id, &["viewer"]).await;
    }
    let (left_behind, removed, suspended) =
        (active(leaving), active(shrinking), active(suspending));
    let joiner = truth
        .groups
        .iter()
        .flat_map(|g| &g.members)
        .find(|m| m.status == UserStatus::Active && !growing.members.iter().any(|o| o.id == m.id))
        .cloned()
        .expect("a person outside the growing group");
    control.unassign_group(&leaving.id).expect("unassign");
    control.remove_member(&shrinking.id, &removed.id).expect("remove a member");
    control.add_member(&growing.id, &joiner.id).expect("add a member");
    control.set_user_status(&suspended.id, UserStatus::Suspended).expect("suspend");
    Change {
        groups: vec![
            leaving.id.clone(),
            shrinking.id.clone(),
            growing.id.clone(),
            suspending.id.clone(),
        ],
        people: vec![left_behind.login, removed.login, joiner.login, suspended.login],
        words: format!(
            "unassigned {}, removed {} from {}, added {} to {}, suspended {}",
            leaving.id, removed.id, shrinking.id, joiner.id, growing.id, suspended.id
        ),
    }
}

/// What readers see of the groups and people a change concerns. It takes several requests: a
/// commit may land between two of them (the caller then discards what it read).
async fn probe(client: &Client, change: &Change) -> (Vec<Value>, Vec<Value>) {
    let mut groups = Vec::new();
    for id in &change.groups {
        let (status, body) =
            client.try_get(&format!("/api/v1/groups/{id}")).await.unwrap_or_else(|e| panic!("{e}"));
        let members = client.members(id).await;
        groups.push(json!({ "status": status.as_u16(), "name": body["name"], "members": members }));
    }
    let mut people = Vec::new();
    for email in &change.people {
        people.push(client.access(email).await);
    }
    (groups, people)
}

/// One attempt at a point.
struct Outcome {
    point: Point,
    attempt: usize,
    /// What changed in Okta before the run.
    change: String,
    /// Whether the stack was killed at the point: not when a look found the point passed (a
    /// miss: the run was let finish, and the point is tried again).
    killed: bool,
    /// The run's state in D1 where the kill landed (or, after a miss, where the look found it).
    landed: Option<Landing>,
    /// How the run ended after the restart.
    ended: Value,
    /// Reads of what the change concerns that were made, and answered, while it was unfinished.
    unfinished_reads: usize,
    /// Looks at the frozen stack.
    looks: usize,
    /// What went wrong: a wrong commit.
    wrong: Vec<String>,
    took: Duration,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_at_any_point_resumes_or_fails_cleanly_and_never_commits_wrong() {
    let test_started = Instant::now();
    let (tenant, control) = m_tenant();
    let root = workspace_root();
    let options = StackOptions {
        vars: World::get().stack_vars(),
        ..StackOptions::fresh_for_tests(&root, "api-crash").expect("a test stack directory")
    };
    let mut stack = tokio::task::block_in_place(|| LocalStack::start(&root, options))
        .unwrap_or_else(|e| panic!("the local stack starts: {e}"));
    let mut client = Client::of(&stack);
    let settings = json!({ "tenant_url": tenant.base_url, "app_id": tenant.app_id,
                           "api_token": tenant.token, "sync_enabled": true });
    client.send(Method::PUT, "/api/v1/settings/okta", &settings).await;
    let first = client.start(true).await;
    let first = client.finished(&first).await;
    assert_eq!(first["state"], "succeeded", "the first sync: {first}");
    assert_eq!(client.snapshot().await, truth(&control), "the first sync stores the tenant");
    eprintln!("crash test: the first sync of M took {:?}", test_started.elapsed());

    let mut outcomes: Vec<Outcome> = Vec::new();
    for point in Point::ALL {
        let mut step = point.first_step();
        for attempt in 1..=ATTEMPTS {
            let n = outcomes.len();
            let outcome =
                crash_at(point, attempt, step, &mut stack, &mut client, &control, n).await;
            let hit = outcome.killed;
            eprintln!("crash test: {}", line(&outcome));
            outcomes.push(outcome);
            if hit {
                break;
            }
            step /= 2;
        }
    }

    let report: String = outcomes.iter().map(|o| line(o) + "\n").collect();
    eprintln!("crash test, {:?} in all:\n{report}", test_started.elapsed());
    let wrong = outcomes.iter().filter(|o| !o.wrong.is_empty()).count();
    assert_eq!(wrong, 0, "{wrong} wrong commits in {} crashes:\n{report}", outcomes.len());
    for point in Point::ALL {
        assert!(
            outcomes.iter().any(|o| o.point == point && o.killed),
            "no kill landed at {} in {ATTEMPTS} attempts:\n{report}",
            point.name()
        );
    }
}

/// One line of the report.
fn line(o: &Outcome) -> String {
    let at = o.landed.as_ref().map_or_else(|| "(its state unreadable)".to_owned(), Landing::words);
    let landed = if o.killed { format!("killed {at}") } else { format!("missed: passed to {at}") };
    let mut text = format!(
        "{:<18} #{} {landed} ({} looks) → {} {} {}, {} reads while unfinished, {:.0?}",
        o.point.name(),
        o.attempt,
        o.looks,
        o.ended["state"].as_str().unwrap_or("?"),
        o.ended["error_code"].as_str().unwrap_or(""),
        o.ended["error"].as_str().unwrap_or(""),
        o.unfinished_reads,
        o.took
    );
    let _ = write!(text, "\n    Okta: {}", o.change);
    for wrong in &o.wrong {
        let _ = write!(text, "\n    WRONG: {wrong}");
    }
    text
}

/// Changes Okta, starts a sync ([`Point::full`]), kills the stack when the run is at `point`
/// (stepping it by `step` where it cannot be held), restarts it on the same state and checks
/// what follows, up to the next run.
async fn crash_at(
    point: Point,
    attempt: usize,
    step: Duration,
    stack: &mut LocalStack,
    client: &mut Client,
    control: &Control,
    n: usize,
) -> Outcome {
    let started = Instant::now();
    let before = truth(control);
    let change = change_okta(client, control, n).await;
    let seen_before = probe(client, &change).await;
    control.clear_faults();
    if let Some(hold) = point.hold() {
        control.add_fault(hold);
    }
    control.reset_counters();
    // The member pages the run reads: every group's in a full run, those of the groups whose
    // members changed otherwise (at least one page).
    let member_pages: u64 = if point.full() {
        control
            .truth()
            .groups
            .iter()
            .map(|g| g.members.len().div_ceil(MEMBER_PAGE).max(1) as u64)
            .sum()
    } else {
        1
    };
    let id = client.start(point.full()).await;
    let mut wrong = Vec::new();
    let mut looks = 0;
    let deadline = Instant::now() + RUN_PATIENCE;

    let (killed, landed) = if point.hold().is_some() {
        // Held in place by the hung page: kill once the run says it is there.
        let phase = if point == Point::Reading { "reading_groups" } else { "reading_members" };
        loop {
            // The hold first: once a page hangs, the run's row no longer moves.
            let held = control.faults().iter().any(|f| f.fired > 0);
            let run = client.run(&id).await;
            if held && run["state"] == "running" && run["progress"]["phase"] == phase {
                tokio::task::block_in_place(|| stack.kill()).expect("the stack dies");
                break (true, tokio::task::block_in_place(|| Landing::read(stack, &id)));
            }
            assert!(run["state"] == "running", "run {id} ended before {}: {run}", point.name());
            assert!(Instant::now() < deadline, "run {id} never reached {}: {run}", point.name());
            tokio::time::sleep(POLL).await;
        }
    } else {
        // Every member page served: from here on the run only talks to D1. Step it.
        let mut polls = 0;
        while control.counters().endpoint(Endpoint::ListGroupUsers) < member_pages {
            polls += 1;
            if polls % 50 == 0 {
                let run = client.run(&id).await;
                assert!(run["state"] == "running", "run {id} ended while reading: {run}");
            }
            assert!(Instant::now() < deadline, "run {id} never read every member page");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::task::block_in_place(|| stack.pause()).expect("the stack stops");
        loop {
            looks += 1;
            let look = tokio::task::block_in_place(|| Landing::read(stack, &id));
            match look {
                Some(at) if point.ranks().contains(&at.rank()) => {
                    tokio::task::block_in_place(|| stack.kill()).expect("the stack dies");
                    break (true, Some(at));
                }
                Some(at) if at.rank() > *point.ranks().end() => {
                    tokio::task::block_in_place(|| stack.resume()).expect("the stack goes on");
                    break (false, Some(at));
                }
                _ => {}
            }
            assert!(Instant::now() < deadline, "run {id} never reached {}", point.name());
            tokio::task::block_in_place(|| -> Result<(), test_support::StackError> {
                stack.resume()?;
                std::thread::sleep(step);
                stack.pause()
            })
            .expect("the stack runs a step");
        }
    };

    control.clear_faults();
    if killed {
        // On another port: the old one may have been taken meanwhile as the local port of an
        // outgoing connection (it lies in the ephemeral range).
        tokio::task::block_in_place(|| stack.restart_on_new_port())
            .unwrap_or_else(|e| panic!("the stack restarts on the same state: {e}"));
        *client = Client::of(stack);
    }

    // While the run is unfinished, readers see the previous snapshot exactly.
    let mut unfinished_reads = 0;
    let ended = loop {
        let run = client.run(&id).await;
        if run["state"] != "running" {
            break run;
        }
        let seen = probe(client, &change).await;
        // Only what was read while the run was still running counts.
        if client.run(&id).await["state"] == "running" {
            unfinished_reads += 1;
            if seen != seen_before {
                wrong.push(format!(
                    "while unfinished, readers saw other than the previous snapshot: {seen:?}"
                ));
                break client.finished(&id).await;
            }
        }
        assert!(
            Instant::now() < deadline,
            "run {id} still running after the restart: {run}\n{}",
            stack.log_tail()
        );
        tokio::time::sleep(POLL).await;
    };

    // It resumed to Okta's truth, or failed clearly and left the previous snapshot.
    let now = client.snapshot().await;
    match ended["state"].as_str() {
        Some("succeeded") => {
            if now != truth(control) {
                wrong.push(format!(
                    "succeeded, but the store is not Okta's truth: {}",
                    difference(&now, &truth(control))
                ));
            }
        }
        Some("failed") => {
            let sentence = ended["error"].as_str().unwrap_or_default();
            let code = ended["error_code"].as_str().unwrap_or_default();
            if !sentence.ends_with('.') || sentence.len() < 20 || code.is_empty() {
                wrong.push(format!("failed without a clear error: {ended}"));
            }
            if now != before {
                wrong.push(format!(
                    "failed, but the previous snapshot changed: {}",
                    difference(&now, &before)
                ));
            }
        }
        _ => {
            wrong.push(format!("ended neither succeeded nor failed: {ended}"));
            if ended["state"] == "needs_confirmation" {
                client
                    .send(Method::POST, &format!("/api/v1/sync/runs/{id}/discard"), &json!({}))
                    .await;
            }
        }
    }
    // A run is decided (and audited) once.
    let audit = client.get(&format!("/api/v1/audit?target={id}")).await;
    let decisions: Vec<String> = audit["entries"]
        .as_array()
        .expect("a page of the audit log")
        .iter()
        .filter(|e| e["action"] != "sync.started")
        .map(|e| format!("{} at {} with {}", e["action"], e["at"], e["after"]))
        .collect();
    if decisions.len() != 1 {
        wrong.push(format!(
            "the run was decided {} times (after the restart it committed again, and its \
             counts now say {}): {}",
            decisions.len(),
            ended["counts"],
            decisions.join("; ")
        ));
    }

    // The next run reaches Okta's truth.
    let next = client.start(false).await;
    let next = client.finished(&next).await;
    let caught_up = client.snapshot().await;
    if next["state"] != "succeeded" || caught_up != truth(control) {
        wrong.push(format!(
            "the next run did not reach Okta's truth ({}): {}",
            next["state"],
            difference(&caught_up, &truth(control))
        ));
    }
    Outcome {
        point,
        attempt,
        change: change.words,
        killed,
        landed,
        ended,
        unfinished_reads,
        looks,
        wrong,
        took: started.elapsed(),
    }
}
