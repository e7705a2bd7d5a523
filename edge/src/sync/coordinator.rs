//! The `SyncCoordinator` Durable Object.
//!
//! It is bound and migrated now so that the deployed class exists from the first release; the
//! sync engine gives it its work (one run at a time, driven in chunks by alarms). Until then it
//! answers every request with its idle state.

use worker::{DurableObject, Env, Request, Response, State, durable_object};

/// Coordinates sync runs: one object per deployment, addressed by a fixed name.
#[durable_object(fetch)]
#[expect(
    missing_debug_implementations,
    reason = "the runtime's State and Env handles have no Debug"
)]
pub struct SyncCoordinator {
    _state: State,
    _env: Env,
}

impl DurableObject for SyncCoordinator {
    fn new(state: State, env: Env) -> Self {
        Self { _state: state, _env: env }
    }

    async fn fetch(&self, _req: Request) -> worker::Result<Response> {
        Response::from_json(&serde_json::json!({ "state": "idle" }))
    }
}
