//! Sync coordination: the Durable Object through which sync runs will go, one at a time.

pub(crate) mod coordinator;
