//! Wire types of the edge API (`/api/v1`): what travels as JSON between the Worker, the SPA and
//! other services. Types here carry no logic beyond construction and small accessors.

mod health;
mod problem;

pub use health::{HealthResponse, ServiceStatus};
pub use problem::{PROBLEM_CONTENT_TYPE, Problem, ProblemCode};

/// The path prefix every edge API route lives under.
pub const API_PREFIX: &str = "/api/v1";
