//! The names of the Worker's bindings: the contract between `wrangler.toml` and this code.
//! Every binding name appears here once and nowhere else in the Rust code.

/// The D1 database holding all durable state.
pub const DB_BINDING: &str = "DB";

/// The KV namespace used for caches only; nothing that authorizes a request is read from it.
pub const CACHE_BINDING: &str = "CACHE";

/// The Durable Object namespace of the sync coordinator.
pub const SYNC_COORDINATOR_BINDING: &str = "SYNC_COORDINATOR";
