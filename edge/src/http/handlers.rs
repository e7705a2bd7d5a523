//! One handler per endpoint: parse the request, call one service or adapter, serialize.

pub(crate) mod access;
pub(crate) mod admin;
pub(crate) mod audit;
pub(crate) mod catalog;
pub(crate) mod groups;
pub(crate) mod health;
pub(crate) mod people;
pub(crate) mod settings;
pub(crate) mod sync;
