//! Sync runs: the Durable Object that coordinates them, one at a time, and the engine it drives.

pub(crate) mod coordinator;
pub(crate) mod engine;
