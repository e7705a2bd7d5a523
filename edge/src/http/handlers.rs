//! One handler per endpoint: parse the request, call one service or adapter, serialize.
//!
//! The endpoints that only read are planned instead ([`Answer`]): their reads are prepared
//! before the caller is known and go to D1 in the caller's batch (one round trip for the whole
//! request); their answer is made from those reads only once the caller is authorized.

use worker::Response;

use crate::adapters::d1::Planned;
use crate::error::ApiError;
use crate::service::access::Principal;

/// How a read-only endpoint answers an authorized caller, from its reads.
pub(crate) type Answer = Box<dyn FnOnce(&Principal) -> Result<Response, ApiError>>;

/// A read-only endpoint's reads, planned, and how it answers from them.
pub(crate) type PlannedAnswer = Planned<Answer>;

/// An [`Answer`].
pub(crate) fn answer(
    respond: impl FnOnce(&Principal) -> Result<Response, ApiError> + 'static,
) -> Answer {
    Box::new(respond)
}

/// The answer of a read whose response is the same for every caller allowed to ask.
pub(crate) fn answered<T: 'static>(
    read: Planned<T>,
    respond: impl FnOnce(T) -> Result<Response, ApiError> + 'static,
) -> PlannedAnswer {
    read.map(|value| answer(move |_| respond(value)))
}

/// Answers `planned` on its own: its reads in one round trip.
pub(crate) async fn answer_alone(
    planned: Result<PlannedAnswer, ApiError>,
    store: &crate::adapters::d1::Store,
    principal: &Principal,
) -> Result<Response, ApiError> {
    planned?.run(store).await?(principal)
}

pub(crate) mod access;
pub(crate) mod admin;
pub(crate) mod audit;
pub(crate) mod catalog;
pub(crate) mod groups;
pub(crate) mod health;
pub(crate) mod okta_hooks;
pub(crate) mod people;
pub(crate) mod settings;
pub(crate) mod sync;
pub(crate) mod webhooks;
