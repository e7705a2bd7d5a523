//! Sync runs: start (or join), list, read, confirm, discard.

use groupsync_core::api::{
    ListSyncRunsResponse, ProblemCode, StartSyncRequest, StartSyncResponse, SyncProgress, SyncRun,
    SyncSchedule,
};
use groupsync_core::domain::next_scheduled_sync;
use worker::{Env, Method, Request, RequestInit, Response};

use crate::adapters::d1::RunRow;
use crate::config::SYNC_COORDINATOR_BINDING;
use crate::error::{ApiError, StoreError};
use crate::http::context::{Ctx, read_json};
use crate::http::handlers::{PlannedAnswer, answered};
use crate::http::listing::{MAX_SYNC_RUNS_PAGE, SYNC_RUNS_PER_PAGE};
use crate::http::{listing, respond};
use crate::okta_target::OktaTarget;
use crate::service::access::Principal;
use crate::service::ports::SettingsStore;
use crate::sync::coordinator::{Answer, Command};

/// `POST /api/v1/sync`: starts a run, or joins the one running (same run id).
pub(crate) async fn start_sync(
    req: &mut Request,
    ctx: &Ctx,
    env: &Env,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let body: StartSyncRequest = read_json(req).await?;
    OktaTarget::load(&ctx.config, &ctx.store).await?;
    let actor = principal.actor();
    let command = Command::Start {
        actor: actor.name,
        trigger: "manual".into(),
        dry_run: body.dry_run,
        full: body.full,
        now: ctx.now.clone(),
    };
    let answer = ask_coordinator(env, &command).await?;
    let run = started_run(ctx, &answer).await?;
    respond::json(
        &StartSyncResponse { run, joined: answer.joined },
        if answer.joined { 200 } else { 202 },
    )
}

/// The run the coordinator started or joined. A joiner refused because the run it joined was
/// not yet recorded may still find it in D1 now (it recorded itself, or already ended); only a
/// run that is nowhere is a conflict.
async fn started_run(ctx: &Ctx, answer: &Answer) -> Result<SyncRun, ApiError> {
    match (load_run(ctx, &answer.run_id).await, &answer.refused) {
        (Ok(run), _) => Ok(run),
        (Err(_), Some(why)) => Err(ApiError::client(ProblemCode::Conflict, why.clone())),
        (Err(error), None) => Err(error),
    }
}

/// `GET /api/v1/sync/runs`.
pub(crate) fn list_sync_runs(req: &Request, ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    let page = listing::sync_runs_page(&listing::query_pairs(req)?, MAX_SYNC_RUNS_PAGE)?;
    // One more than a page, to know whether another page follows.
    let read = ctx.store.plan_runs(SYNC_RUNS_PER_PAGE + 1, (page - 1) * SYNC_RUNS_PER_PAGE)?;
    let now_s = ctx.now_s;
    Ok(answered(read, move |(mut rows, sync_enabled)| {
        let next_page = (rows.len() > SYNC_RUNS_PER_PAGE as usize).then_some(page + 1);
        rows.truncate(SYNC_RUNS_PER_PAGE as usize);
        let runs = rows.into_iter().map(sync_run).collect();
        let next = sync_enabled.then(|| next_scheduled_sync(now_s)).flatten();
        let schedule = SyncSchedule {
            sync_enabled,
            next_at: next.map(|(at, _)| iso_time(at)),
            next_full: next.is_some_and(|(_, full)| full),
        };
        respond::json(&ListSyncRunsResponse { runs, next_page, schedule }, 200)
    }))
}

/// Epoch seconds as RFC 3339 UTC, as every other time of the API.
fn iso_time(epoch_s: u64) -> String {
    String::from(js_sys::Date::new(&(epoch_s as f64 * 1000.0).into()).to_iso_string())
}

/// `GET /api/v1/sync/runs/{id}`.
pub(crate) fn get_sync_run(id: &str, ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    Ok(answered(ctx.store.plan_run(id)?, |row| respond::json(&found_run(row)?, 200)))
}

/// `POST /api/v1/sync/runs/{id}/confirm` or `…/discard`.
pub(crate) async fn resolve_sync_run(
    id: &str,
    confirm: bool,
    ctx: &Ctx,
    env: &Env,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let actor = ctx.admin_write(principal).await?;
    let (run_id, actor, now) = (id.to_owned(), actor.name, ctx.now.clone());
    let command = if confirm {
        Command::Confirm { run_id, actor, now }
    } else {
        Command::Discard { run_id, actor, now }
    };
    let answer = ask_coordinator(env, &command).await?;
    if let Some(why) = answer.refused {
        return Err(ApiError::client(ProblemCode::Conflict, why));
    }
    respond::json(&load_run(ctx, id).await?, 200)
}

/// Starts a scheduled run (the cron trigger), if Okta is configured and sync is on; `full` for
/// the nightly one.
pub(crate) async fn start_scheduled_sync(
    ctx: &Ctx,
    env: &Env,
    full: bool,
) -> Result<Option<String>, ApiError> {
    let settings = ctx.store.okta_settings().await?;
    if settings.sync_enabled == 0 {
        return Ok(None);
    }
    OktaTarget::from_row(&ctx.config, &settings)?;
    let command = Command::Start {
        actor: "system".into(),
        trigger: "schedule".into(),
        dry_run: false,
        full,
        now: ctx.now.clone(),
    };
    Ok(Some(ask_coordinator(env, &command).await?.run_id))
}

pub(crate) async fn ask_coordinator(env: &Env, command: &Command) -> Result<Answer, ApiError> {
    let internal = |e: worker::Error| {
        ApiError::Internal(StoreError::Database(format!("the sync coordinator: {e}")))
    };
    let namespace = env.durable_object(SYNC_COORDINATOR_BINDING).map_err(internal)?;
    let stub = namespace.id_from_name("sync").map_err(internal)?.get_stub().map_err(internal)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(command).unwrap_or_default().into()));
    let request = Request::new_with_init("https://coordinator/command", &init).map_err(internal)?;
    let mut response = stub.fetch_with_request(request).await.map_err(internal)?;
    response.json().await.map_err(internal)
}

async fn load_run(ctx: &Ctx, id: &str) -> Result<SyncRun, ApiError> {
    found_run(ctx.store.run(id).await?)
}

/// The run read, or `404 not_found`.
fn found_run(row: Option<RunRow>) -> Result<SyncRun, ApiError> {
    row.map(sync_run)
        .ok_or_else(|| ApiError::client(ProblemCode::NotFound, "No sync run has this id."))
}

fn sync_run(row: RunRow) -> SyncRun {
    fn parse<T: serde::de::DeserializeOwned>(text: Option<String>) -> Option<T> {
        text.and_then(|t| serde_json::from_str(&t).ok())
    }
    SyncRun {
        id: row.id,
        state: row.state,
        trigger: row.trigger,
        started_by: row.started_by,
        dry_run: row.dry_run != 0,
        full: row.full != 0,
        started_at: row.started_at,
        ended_at: row.ended_at,
        progress: serde_json::from_str::<SyncProgress>(&row.progress).unwrap_or_default(),
        counts: parse(row.counts),
        okta_requests: u64::try_from(row.okta_requests).unwrap_or(0),
        rate_limit_waits: u64::try_from(row.rate_limit_waits).unwrap_or(0),
        error: row.error,
        error_code: row.error_code,
        held_reason: parse(row.held_reason),
        diff: parse(row.diff),
        rows_written: u64::try_from(row.rows_written).unwrap_or(0),
    }
}
