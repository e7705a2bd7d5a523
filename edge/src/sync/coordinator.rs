//! The `SyncCoordinator` Durable Object: one per deployment, so that there is one sync run at a
//! time. Requests start a run (or join the running one), confirm or discard a held one; alarms
//! drive the run in bounded chunks, each within the Workers per-invocation limits.

use std::time::Duration;

use groupsync_core::api::{ProblemCode, SyncFailure, SyncState};
use groupsync_core::okta::ClientConfig;
use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{
    DurableObject, Env, Request, Response, State, console_error, console_log, durable_object,
};

use crate::adapters::d1::limits::QUERY_BUDGET;
use crate::adapters::d1::{RunEnd, RunRow, Store};
use crate::config::{Config, EnvSource};
use crate::error::{ApiError, StoreError};
use crate::okta_target::{Client, OktaTarget};
use crate::service::ports::{AuditRecord, SettingsStore};
use crate::sync::engine::{Ending, Phase, RunState, SyncError, actor_named, failure};

/// The storage key of the current run.
const RUN_KEY: &str = "run";
/// The storage key of the run that Okta's event hook asked for (see [`Hinted`]).
const HINT_KEY: &str = "hint";
/// How long after the last of Okta's events the run they ask for starts: a bulk change in Okta
/// delivers a burst of events, and one run reads them all.
const HINT_SETTLE: Duration = Duration::from_secs(5);
/// The longest a stream of events keeps that run waiting after the first of them.
const HINT_MAX_WAIT: Duration = Duration::from_secs(30);
/// How long one invocation reads before it hands over to the next alarm. Well under the Workers
/// CPU and wall limits; with 6 requests in flight this is a few hundred Okta requests, under the
/// subrequest limit.
const CHUNK: Duration = Duration::from_secs(20);
/// Units that end within this long of the last save follow each other without another one (a
/// state save and a turn of the event loop; a new phase is still shown at once): a small
/// tenant's first phases, the pieces of a quiet re-sync's commit. Writes nothing twice: every
/// unit can be repeated.
const SAVE_EVERY_MS: u64 = 100;
/// How often a run's progress counters are written to D1 within one phase.
const PROGRESS_EVERY_MS: u64 = 1_000;
/// How a joiner waits for the run it joins to be recorded: 1,200 × 25 ms (30 s) at most, as
/// long as a D1 write may take under load, so that a burst of starts all join one run.
const JOIN_POLLS: u32 = 1_200;
const JOIN_POLL: Duration = Duration::from_millis(25);

/// What the Worker asks the coordinator.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub(crate) enum Command {
    /// Start a run, or join the one running.
    Start { actor: String, trigger: String, dry_run: bool, full: bool, now: String },
    /// Commit a held run.
    Confirm { run_id: String, actor: String, now: String },
    /// Discard a held run.
    Discard { run_id: String, actor: String, now: String },
    /// Okta said that groups or users changed: run an incremental sync soon (one run for a
    /// burst of events, and one more after a run that was already reading).
    Hint,
}

/// A run that Okta's events asked for.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum Hinted {
    /// Due at `at_ms` (epoch ms), [`HINT_SETTLE`] after the last event and at most
    /// [`HINT_MAX_WAIT`] after the first (`first_ms`); events until then join it.
    Due { at_ms: u64, first_ms: u64 },
    /// Due once the current run ends: it may have read the changed groups before they changed.
    AfterRun,
}

/// The coordinator's answer.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Answer {
    /// The run concerned.
    pub(crate) run_id: String,
    /// Whether a start joined a running run.
    pub(crate) joined: bool,
    /// Why the command was refused, when it was.
    pub(crate) refused: Option<String>,
}

/// Coordinates sync runs: one object per deployment, addressed by a fixed name.
#[durable_object]
#[expect(
    missing_debug_implementations,
    reason = "the runtime's State and Env handles have no Debug"
)]
pub struct SyncCoordinator {
    state: State,
    env: Env,
}

impl DurableObject for SyncCoordinator {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let command: Command = req.json().await?;
        let answer = match command {
            Command::Start { actor, trigger, dry_run, full, now } => {
                self.start(actor, trigger, dry_run, full, &now).await?
            }
            Command::Confirm { run_id, actor, now } => {
                self.resolve(&run_id, &actor, true, &now).await?
            }
            Command::Discard { run_id, actor, now } => {
                self.resolve(&run_id, &actor, false, &now).await?
            }
            Command::Hint => self.hint().await?,
        };
        Response::from_json(&answer)
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let Some(mut run) = self.state.storage().get::<RunState>(RUN_KEY).await? else {
            return self.start_hinted_run().await;
        };
        if run.phase == Phase::Held {
            return Response::ok("held");
        }
        let driven = self.drive(&mut run).await;
        // A new run replaces an ended one that is still tidying (`start`), even while this
        // invocation awaits: from then on, the stored run is the new one's to change.
        if !self.is_current(&run).await? {
            return Response::ok("replaced");
        }
        if let Err(error) = driven {
            console_error!("sync run {} failed: {error}", run.id);
            if run.phase == Phase::Ended {
                // Tidying failed: the next alarm (or the next run) goes on with it.
                self.state.storage().put(RUN_KEY, &run).await?;
                self.state.storage().set_alarm(Duration::from_secs(60)).await?;
                return Response::ok("tidying");
            }
            self.fail(&run, &error, &now()).await;
            run.phase = Phase::Ended;
        }
        match run.phase {
            Phase::Held => self.state.storage().put(RUN_KEY, &run).await?,
            Phase::Ended => {
                let tidied = self.tidied(&run).await;
                if !self.is_current(&run).await? {
                    return Response::ok("replaced");
                }
                if tidied {
                    self.state.storage().delete(RUN_KEY).await?;
                    self.schedule_hinted_run_after(&run).await?;
                } else {
                    // Ended (perhaps just now, by a failure): the next alarm only tidies.
                    self.state.storage().put(RUN_KEY, &run).await?;
                }
            }
            _ => {
                self.state.storage().put(RUN_KEY, &run).await?;
                self.state.storage().set_alarm(Duration::from_millis(0)).await?;
            }
        }
        Response::ok("done")
    }
}

impl SyncCoordinator {
    async fn start(
        &self,
        actor: String,
        trigger: String,
        dry_run: bool,
        full: bool,
        now: &str,
    ) -> worker::Result<Answer> {
        // Storage reads and writes hold the object's input gate, so two starts cannot both see
        // no run: the second one finds the first one's run and joins it, once its row is in D1.
        // An ended run only tidies: the new run's first phase goes on with that.
        if let Some(run) = self.state.storage().get::<RunState>(RUN_KEY).await?
            && run.phase != Phase::Ended
        {
            return self.join(run).await;
        }
        let id = format!("run_{}_{}", now.replace([':', '-', '.', 'T', 'Z'], ""), random_suffix());
        let mut run = RunState::new(id.clone(), dry_run, full, actor.clone());
        self.state.storage().put(RUN_KEY, &run).await?;
        let row = RunRow {
            id: id.clone(),
            state: SyncState::Running,
            trigger,
            started_by: actor.clone(),
            dry_run: i64::from(dry_run),
            full: i64::from(full),
            started_at: now.to_owned(),
            ended_at: None,
            progress: run.progress_json().to_string(),
            counts: None,
            okta_requests: 0,
            rate_limit_waits: 0,
            error: None,
            error_code: None,
            held_reason: None,
            diff: None,
            rows_written: 0,
        };
        let actor = actor_named(&actor);
        let audit = AuditRecord {
            actor: &actor,
            action: "sync.started",
            target: Some(id.clone()),
            before: None,
            after: Some(json!({ "dry_run": dry_run, "full": full })),
        };
        let stored = match Store::open(&self.env) {
            Ok(store) => {
                // Best effort: a database too broken to clean up will fail the run itself.
                if let Err(error) = store.end_orphaned_runs(now).await {
                    console_error!("ending orphaned sync runs: {error}");
                }
                store.insert_run(&row, &audit, now).await
            }
            Err(error) => Err(error),
        };
        if let Err(error) = stored {
            self.state.storage().delete(RUN_KEY).await?;
            return Err(worker::Error::RustError(error.to_string()));
        }
        run.recorded = true;
        self.state.storage().put(RUN_KEY, &run).await?;
        self.state.storage().set_alarm(Duration::from_millis(0)).await?;
        Ok(Answer { run_id: id, joined: false, refused: None })
    }

    /// Takes Okta's hint: a run is due [`HINT_SETTLE`] after this event (at most
    /// [`HINT_MAX_WAIT`] after the first one it gathers), or after the current run.
    async fn hint(&self) -> worker::Result<Answer> {
        let storage = self.state.storage();
        let current = storage.get::<RunState>(RUN_KEY).await?;
        if let Some(run) = current.filter(|run| run.phase != Phase::Ended) {
            storage.put(HINT_KEY, &Hinted::AfterRun).await?;
            return Ok(Answer { run_id: run.id, joined: true, refused: None });
        }
        let now_ms = worker::Date::now().as_millis();
        let first_ms = match storage.get::<Hinted>(HINT_KEY).await? {
            Some(Hinted::Due { first_ms, .. }) => first_ms,
            _ => now_ms,
        };
        self.hinted_run_due(first_ms, now_ms).await?;
        Ok(Answer { run_id: String::new(), joined: false, refused: None })
    }

    /// Stores when the hinted run is due, and sets the alarm then.
    async fn hinted_run_due(&self, first_ms: u64, now_ms: u64) -> worker::Result<()> {
        let settle = HINT_SETTLE.as_millis() as u64;
        let at_ms = (now_ms + settle).min(first_ms + HINT_MAX_WAIT.as_millis() as u64);
        let storage = self.state.storage();
        storage.put(HINT_KEY, &Hinted::Due { at_ms, first_ms }).await?;
        storage.set_alarm(Duration::from_millis(at_ms.saturating_sub(now_ms))).await
    }

    /// After a run ended: a run asked for meanwhile is due after the settling time.
    async fn schedule_hinted_run_after(&self, run: &RunState) -> worker::Result<()> {
        let storage = self.state.storage();
        match storage.get::<Hinted>(HINT_KEY).await? {
            None => Ok(()),
            Some(Hinted::AfterRun) => {
                console_log!("events arrived during sync run {}: another run follows", run.id);
                let now_ms = worker::Date::now().as_millis();
                self.hinted_run_due(now_ms, now_ms).await
            }
            Some(Hinted::Due { at_ms, .. }) => {
                let wait = at_ms.saturating_sub(worker::Date::now().as_millis());
                storage.set_alarm(Duration::from_millis(wait)).await
            }
        }
    }

    /// With no run under way: starts the run Okta's events asked for, once it is due.
    async fn start_hinted_run(&self) -> worker::Result<Response> {
        let storage = self.state.storage();
        let Some(hinted) = storage.get::<Hinted>(HINT_KEY).await? else {
            return Response::ok("idle");
        };
        if let Hinted::Due { at_ms, .. } = hinted {
            let wait = at_ms.saturating_sub(worker::Date::now().as_millis());
            if wait > 0 {
                storage.set_alarm(Duration::from_millis(wait)).await?;
                return Response::ok("waiting");
            }
        }
        // Sync may have been turned off since the events arrived. A database that does not answer
        // fails the alarm, which the runtime retries, and keeps the hint for then.
        let unusable = |e: StoreError| worker::Error::RustError(e.to_string());
        let settings = Store::open(&self.env).map_err(unusable)?.okta_settings().await;
        let on = settings.map_err(unusable)?.sync_enabled != 0;
        storage.delete(HINT_KEY).await?;
        if !on {
            console_log!("Okta events arrived, but sync is off: no run");
            return Response::ok("sync off");
        }
        let answer = self.start("system".into(), "okta_event".into(), false, false, &now()).await?;
        console_log!("sync run {} started for Okta's events", answer.run_id);
        Response::ok("started")
    }

    /// Joins the current run, waiting (briefly) until its starter has recorded it in D1.
    async fn join(&self, mut run: RunState) -> worker::Result<Answer> {
        for _ in 0..JOIN_POLLS {
            if run.recorded {
                return Ok(Answer { run_id: run.id, joined: true, refused: None });
            }
            worker::Delay::from(JOIN_POLL).await;
            match self.state.storage().get::<RunState>(RUN_KEY).await? {
                Some(current) if current.id == run.id => run = current,
                // The run ended (or failed to start) meanwhile: the caller may start anew.
                _ => break,
            }
        }
        Ok(Answer {
            run_id: run.id,
            joined: true,
            refused: Some("The run being started did not record itself; try again.".into()),
        })
    }

    async fn resolve(
        &self,
        run_id: &str,
        actor: &str,
        confirm: bool,
        now: &str,
    ) -> worker::Result<Answer> {
        let refused = |why: &str| Answer {
            run_id: run_id.to_owned(),
            joined: false,
            refused: Some(why.to_owned()),
        };
        let Some(mut run) = self.state.storage().get::<RunState>(RUN_KEY).await? else {
            return Ok(refused("No run is waiting for confirmation."));
        };
        if run.id != run_id || run.phase != Phase::Held {
            return Ok(refused("This run is not waiting for confirmation."));
        }
        let store = Store::open(&self.env).map_err(|e| worker::Error::RustError(e.to_string()))?;
        let outcome = if confirm {
            run.decide(&store, Some(actor), now).await.map(|_| ())
        } else {
            let progress = run.progress_json();
            let end = RunEnd {
                counts: None,
                error: None,
                error_code: None,
                diff: None,
                held_reason: None,
                progress: &progress,
                requests: run.requests,
                waits: run.waits,
                rows_written: 0,
            };
            let actor = actor_named(actor);
            let audit = AuditRecord {
                actor: &actor,
                action: "sync.discarded",
                target: Some(run.id.clone()),
                before: None,
                after: None,
            };
            store
                .finish_run(&run.id, "discarded", &end, Some(&audit), now)
                .await
                .map_err(SyncError::from)
        };
        match outcome {
            Err(error) => {
                console_error!("deciding held sync run {}: {error}", run.id);
                self.fail(&run, &error, now).await;
            }
            // The commit released the run's events.
            Ok(()) if confirm => crate::webhooks::kick(&self.env).await,
            Ok(()) => {}
        }
        // What the run wrote ahead is tidied away (discarded) or made stale (confirmed).
        run.phase = Phase::Ended;
        self.state.storage().put(RUN_KEY, &run).await?;
        self.state.storage().set_alarm(Duration::from_millis(0)).await?;
        Ok(Answer { run_id: run_id.to_owned(), joined: false, refused: None })
    }

    /// Works on the run until it is held or decided, or until this invocation's share of time
    /// or D1 queries is spent (the alarm then goes on).
    async fn drive(&self, run: &mut RunState) -> Result<(), SyncError> {
        let store = Store::open(&self.env)?;
        let started = worker::Date::now().as_millis();
        let mut okta: Option<(Client, groupsync_core::domain::AppId)> = None;
        let (mut reported_phase, mut reported_at) = (serde_json::Value::Null, 0);
        let mut saved_at = started;
        loop {
            match run.phase {
                Phase::Held => return Ok(()),
                Phase::Ended => {
                    while store.tidy_step().await? {
                        if self.spent(&store, started) {
                            return Ok(());
                        }
                        yield_to_requests().await;
                        if !self.is_current(run).await.unwrap_or(false) {
                            return Ok(());
                        }
                    }
                    return Ok(());
                }
                Phase::Decide => {
                    let ending = run.decide(&store, None, &now()).await?;
                    if !run.dry_run && matches!(ending, Ending::Done) {
                        // A commit released the run's events.
                        crate::webhooks::kick(&self.env).await;
                    }
                    // Saved at once: a restart after the switch must not decide again.
                    self.state
                        .storage()
                        .put(RUN_KEY, &*run)
                        .await
                        .map_err(|e| SyncError::Unusable(e.to_string()))?;
                    continue;
                }
                _ => {}
            }
            if run.reads_okta() && okta.is_none() {
                okta = Some(self.okta_client(&store).await?);
            }
            run.advance(&store, okta.as_ref().map(|(client, app)| (client, app))).await?;
            let spent = self.spent(&store, started);
            let progress = run.progress_json();
            let now_ms = worker::Date::now().as_millis();
            // A new phase shows at once; counters within a phase at most every second, so that
            // short units (pieces of the commit) do not each cost a D1 write.
            if spent
                || progress["phase"] != reported_phase
                || now_ms - reported_at >= PROGRESS_EVERY_MS
            {
                store.update_run_progress(&run.id, &progress, run.requests, run.waits).await?;
                reported_phase = progress["phase"].clone();
                reported_at = now_ms;
            }
            if spent {
                return Ok(());
            }
            if now_ms - saved_at < SAVE_EVERY_MS {
                continue;
            }
            yield_to_requests().await;
            // Keep the resumable state current: a restarted invocation repeats one unit, or
            // SAVE_EVERY_MS of short ones, at most.
            self.state
                .storage()
                .put(RUN_KEY, &*run)
                .await
                .map_err(|e| SyncError::Unusable(e.to_string()))?;
            saved_at = worker::Date::now().as_millis();
        }
    }

    /// Whether `run` is still the stored run (a start replaces an ended run that tidies).
    async fn is_current(&self, run: &RunState) -> worker::Result<bool> {
        let stored = self.state.storage().get::<RunState>(RUN_KEY).await?;
        Ok(stored.is_some_and(|stored| stored.id == run.id))
    }

    /// Whether this invocation has used its share of wall time or D1 queries.
    fn spent(&self, store: &Store, started: u64) -> bool {
        worker::Date::now().as_millis() - started > CHUNK.as_millis() as u64
            || store.queries_sent() >= QUERY_BUDGET
    }

    /// The Okta client of the current settings.
    async fn okta_client(
        &self,
        store: &Store,
    ) -> Result<(Client, groupsync_core::domain::AppId), SyncError> {
        let config = Config::load(&EnvSource(&self.env))
            .map_err(|e| SyncError::NotConfigured(e.to_string()))?;
        let target = OktaTarget::load(&config, store).await.map_err(sync_failure)?;
        let client = target.client(ClientConfig::default());
        Ok((client, target.app_id))
    }

    /// Whether an ended run has left nothing to tidy (the alarm goes on otherwise).
    async fn tidied(&self, run: &RunState) -> bool {
        let Ok(store) = Store::open(&self.env) else { return false };
        match store.tidy_step().await {
            Ok(more) => {
                if more {
                    let _ = self.state.storage().set_alarm(Duration::from_millis(0)).await;
                }
                !more
            }
            Err(error) => {
                console_error!("tidying after sync run {}: {error}", run.id);
                let _ = self.state.storage().set_alarm(Duration::from_secs(60)).await;
                false
            }
        }
    }

    /// Records a failed run: its error as a code and a sentence for people (the raw cause was
    /// logged by the caller), and its audit row.
    async fn fail(&self, run: &RunState, error: &SyncError, now: &str) {
        let (code, sentence) = failure(error);
        let progress = run.progress_json();
        let end = RunEnd {
            counts: None,
            error: Some(&sentence),
            error_code: Some(code),
            diff: None,
            held_reason: None,
            progress: &progress,
            requests: run.requests,
            waits: run.waits,
            rows_written: 0,
        };
        let actor = actor_named(&run.actor);
        let audit = AuditRecord {
            actor: &actor,
            action: "sync.failed",
            target: Some(run.id.clone()),
            before: None,
            after: Some(json!({ "error": sentence, "code": code })),
        };
        let Ok(store) = Store::open(&self.env) else {
            console_error!("recording the failure of sync run {}: no database", run.id);
            return;
        };
        if let Err(e) = store.finish_run(&run.id, "failed", &end, Some(&audit), now).await {
            console_error!(
                "recording the failure of sync run {}: {e}; marking it failed alone",
                run.id
            );
            if let Err(e) = store.mark_failed(&run.id, code, &sentence, now).await {
                console_error!("marking sync run {} failed: {e}", run.id);
            }
        }
    }
}

/// Lets the requests waiting for this isolate run before the next unit. Locally, D1 answers
/// without a turn of the event loop, so a run of statements back to back (writing a commit
/// ahead, tidying) kept every other request of the isolate waiting until it ended: 2 to 5 s
/// for `GET /api/v1/me` during an M commit. A timer is a turn of the event loop.
async fn yield_to_requests() {
    worker::Delay::from(Duration::from_millis(1)).await;
}

fn now() -> String {
    String::from(js_sys::Date::new_0().to_iso_string())
}

fn random_suffix() -> String {
    let mut bytes = [0_u8; 4];
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a sync run cannot use the target: a refused token keeps its code (`token_key_changed`,
/// `deployment_tenant_mismatch`) in the run's failure, anything else is `not_configured`.
fn sync_failure(error: ApiError) -> SyncError {
    match error {
        ApiError::Client {
            code: code @ (ProblemCode::TokenKeyChanged | ProblemCode::DeploymentTenantMismatch),
            detail,
            ..
        } => SyncError::TokenRefused(
            if code == ProblemCode::TokenKeyChanged {
                SyncFailure::TokenKeyChanged
            } else {
                SyncFailure::DeploymentTenantMismatch
            },
            detail,
        ),
        other => SyncError::NotConfigured(other.to_problem().detail),
    }
}
