//! [`Remote`]: an answer of the edge that a screen waits for, on leptos's `LocalResource`.
//!
//! Every screen's resource is one `LocalResource` of a type-erased answer, read back as its
//! type: a `LocalResource` per answer type compiles its async machinery a dozen times, which
//! cost the SPA 16 KB brotli; one shared copy costs a fraction of that.

use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;

use leptos::prelude::*;

use crate::api::{Call, ClientError};

/// Any answer, as the one resource type holds it.
type Erased = Result<Rc<dyn Any>, ClientError>;

/// A request of the one resource type.
type ErasedFuture = Pin<Box<dyn Future<Output = Erased>>>;

/// An answer of the edge that may still be on its way.
///
/// It is asked when made, again whenever a signal read while asking (before the first `.await`)
/// changes, and on [`Remote::refetch`]. `LocalResource` asks one at a time (a new ask waits for
/// the answer on its way), so an earlier answer never replaces a later one; the last answer
/// stays shown while the next is on its way. Leaving the screen cancels a request still on its
/// way (see `api::fetch`).
pub struct Remote<T> {
    resource: LocalResource<Erased>,
    answer: PhantomData<fn() -> T>,
}

impl<T> Clone for Remote<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Remote<T> {}

impl<T: Clone + std::fmt::Debug + 'static> std::fmt::Debug for Remote<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Remote").field(&self.get_untracked()).finish()
    }
}

impl<T: Clone + 'static> Remote<T> {
    /// Asks with `fetch` now and whenever a signal it reads changes.
    pub fn new<Fut>(fetch: impl Fn() -> Fut + 'static) -> Self
    where
        Fut: Future<Output = Result<T, ClientError>> + 'static,
    {
        let erased = move || -> ErasedFuture {
            let pending = fetch();
            Box::pin(async move { pending.await.map(|answer| Rc::new(answer) as Rc<dyn Any>) })
        };
        Self { resource: erased_resource(Box::new(erased)), answer: PhantomData }
    }

    /// As [`Remote::new`], for a plain read of the edge: its erased half is the one future type
    /// of every such read, so no answer type compiles a future of its own here.
    pub fn call(call: impl Fn() -> Call<T> + 'static) -> Self {
        let erased = move || -> ErasedFuture { Box::pin(call().into_any()) };
        Self { resource: erased_resource(Box::new(erased)), answer: PhantomData }
    }

    /// `None` until the first answer; then the latest answer (tracked).
    pub fn get(&self) -> Option<Result<T, ClientError>> {
        self.resource.get().map(typed)
    }

    /// As [`Remote::get`], without tracking.
    pub fn get_untracked(&self) -> Option<Result<T, ClientError>> {
        self.resource.try_get_untracked().flatten().map(typed)
    }

    /// Asks again (the last answer stays shown until the new one arrives).
    pub fn refetch(&self) {
        self.resource.refetch();
    }
}

/// The one `LocalResource` instance of the app, for every answer type.
fn erased_resource(fetch: Box<dyn Fn() -> ErasedFuture>) -> LocalResource<Erased> {
    LocalResource::new(fetch)
}

/// The answer as the type it was asked as (`Remote::new` and `Remote::call` are the only writers, with `T`).
fn typed<T: Clone + 'static>(erased: Erased) -> Result<T, ClientError> {
    erased.map(|answer| {
        answer.downcast_ref::<T>().cloned().expect("a Remote holds answers of its own type")
    })
}
