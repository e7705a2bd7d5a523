//! [`Load`]: an answer of the edge that a screen waits for, asked again whenever the signals
//! read while asking change, or on [`Load::refetch`].
//!
//! It does what `LocalResource` does for these screens with a plain signal, an effect and a
//! spawned future, which compiles to a fraction of the code (the SPA's size budget counts).

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::ClientError;

/// An answer that may still be on its way.
pub struct Load<T: Send + Sync + 'static> {
    answer: RwSignal<Option<Result<T, ClientError>>>,
    version: RwSignal<u32>,
}

impl<T: std::fmt::Debug + Send + Sync + 'static> std::fmt::Debug for Load<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.answer.with_untracked(|answer| f.debug_tuple("Load").field(answer).finish())
    }
}

impl<T: Send + Sync + 'static> Clone for Load<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Load<T> {}

impl<T: Send + Sync + 'static> Load<T> {
    /// Asks with `fetch` now, and again whenever a signal it reads (before its first `.await`)
    /// changes. A slower earlier answer never replaces a later one.
    pub fn new<Fut>(fetch: impl Fn() -> Fut + 'static) -> Self
    where
        Fut: Future<Output = Result<T, ClientError>> + 'static,
    {
        let answer = RwSignal::new(None);
        let version = RwSignal::new(0_u32);
        let asked = StoredValue::new(0_u64);
        Effect::new(move || {
            version.track();
            let pending = fetch();
            asked.update_value(|n| *n += 1);
            let ticket = asked.get_value();
            spawn_local(async move {
                let result = pending.await;
                if asked.try_get_value() == Some(ticket) {
                    answer.set(Some(result));
                }
            });
        });
        Self { answer, version }
    }

    /// Asks again (the last answer stays shown until the new one arrives).
    pub fn refetch(&self) {
        self.version.update(|v| *v += 1);
    }
}

impl<T: Clone + Send + Sync + 'static> Load<T> {
    /// `None` until the first answer; then the latest answer (tracked).
    pub fn get(&self) -> Option<Result<T, ClientError>> {
        self.answer.get()
    }
}
