//! Reactive views of one type.
//!
//! Every `move || …` closure in a view is a type of its own, and the framework's rendering code
//! is compiled again for each one. Boxing them all as [`Dynamic`] compiles that code once, which
//! keeps the SPA within its size budget.

use leptos::prelude::*;

/// A reactive view, boxed.
pub type Dynamic = Box<dyn FnMut() -> AnyView + Send>;

/// Boxes a reactive view closure (whose result is made an [`AnyView`]).
pub fn dynamic(view: impl FnMut() -> AnyView + Send + 'static) -> Dynamic {
    Box::new(view)
}
