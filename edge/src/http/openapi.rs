//! The OpenAPI document of the edge API (`GET /api/v1/openapi.json`).
//!
//! The Worker serves `edge/openapi.json` as it is. The document is generated natively from the
//! route table and `core`'s wire types ([`generate`], with `schemars`; the problems each
//! operation can answer by [`problems`]), so that the Worker carries neither the generator nor
//! the schemas' code, only their text; a test fails when the file is not what the generator makes
//! of the code (`UPDATE_OPENAPI=1 cargo test -p edge openapi` writes it again), and so does the
//! reference for people, `docs/api.md` ([`reference`]).

/// The document, as generated.
pub const DOCUMENT: &str = include_str!("../../openapi.json");

#[cfg(test)]
mod closed_sets;
#[cfg(test)]
mod generate;
#[cfg(test)]
mod links;
#[cfg(test)]
mod problems;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod wording;
