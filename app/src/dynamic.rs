//! Views of one type: [`BoxedView`], and the reactive views made of them ([`Dynamic`]).
//!
//! Every view type is compiled to its own rendering code, and leptos's `AnyView` erases a type
//! by compiling, for each one, both the code that draws it and the code that patches a drawn
//! copy in place (`rebuild`), which is the larger half. A [`BoxedView`] erases a type with only
//! the code that draws it: when its reactive closure runs again, the new view is drawn whole and
//! replaces the old one. Measured on this SPA, it keeps 21.6 KB brotli of patching code out of
//! the wasm (issue #14). What it gives up: DOM nodes are not reused across a re-run, so a
//! re-run moves the keyboard focus out of what it redraws. Screens put `dynamic` around what
//! changes on its own (answers, messages), not around an input being typed in; a view that
//! must be patched in place (the virtual table's rows, redrawn on every scroll; a running sync's
//! status, on every poll) uses [`patched`].

use leptos::prelude::*;
use leptos::tachys::html::attribute::any_attribute::AnyAttribute;
use leptos::tachys::hydration::Cursor;
use leptos::tachys::renderer::Rndr;
use leptos::tachys::renderer::types::{Element, Node, Placeholder};
use leptos::tachys::view::{Mountable, Position, PositionState, Render, RenderHtml};

/// A reactive view, boxed: every screen shares one copy of the code that runs it.
pub type Dynamic = Box<dyn FnMut() -> BoxedView + Send>;

/// Boxes a reactive view closure (whose result is made a [`BoxedView`]).
pub fn dynamic(view: impl FnMut() -> BoxedView + Send + 'static) -> Dynamic {
    Box::new(view)
}

/// A reactive view whose re-runs are patched into the drawn copy (leptos's `AnyView`): for the
/// few views redrawn so often that keeping their nodes matters.
pub type Patched = Box<dyn FnMut() -> AnyView + Send>;

/// Boxes a reactive view closure that is patched in place when it runs again.
pub fn patched(view: impl FnMut() -> AnyView + Send + 'static) -> Patched {
    Box::new(view)
}

/// A view of any type, drawn whole (never patched).
pub struct BoxedView(Box<dyn FnOnce() -> Box<dyn Mountable> + Send>);

impl std::fmt::Debug for BoxedView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BoxedView")
    }
}

/// Makes any view a [`BoxedView`].
pub trait IntoBoxedView {
    /// The view, type-erased.
    fn boxed(self) -> BoxedView;
}

impl<T: Render + Send + 'static> IntoBoxedView for T {
    fn boxed(self) -> BoxedView {
        BoxedView(Box::new(move || Box::new(self.build())))
    }
}

/// A drawn [`BoxedView`]: its nodes, then a marker that holds its place while it is empty and
/// when it is replaced.
pub struct BoxedViewState {
    view: Box<dyn Mountable>,
    marker: Placeholder,
}

impl std::fmt::Debug for BoxedViewState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BoxedViewState")
    }
}

impl Render for BoxedView {
    type State = BoxedViewState;

    fn build(self) -> Self::State {
        BoxedViewState { view: (self.0)(), marker: Rndr::create_placeholder() }
    }

    fn rebuild(self, state: &mut Self::State) {
        let mut view = (self.0)();
        state.marker.insert_before_this(view.as_mut());
        state.view.unmount();
        state.view = view;
    }
}

impl Mountable for BoxedViewState {
    fn unmount(&mut self) {
        self.view.unmount();
        self.marker.unmount();
    }

    fn mount(&mut self, parent: &Element, marker: Option<&Node>) {
        self.view.mount(parent, marker);
        self.marker.mount(parent, marker);
    }

    fn insert_before_this(&self, child: &mut dyn Mountable) -> bool {
        self.view.insert_before_this(child) || self.marker.insert_before_this(child)
    }

    fn elements(&self) -> Vec<Element> {
        self.view.elements()
    }
}

impl leptos::tachys::view::add_attr::AddAnyAttr for BoxedView {
    type Output<SomeNewAttr: leptos::tachys::html::attribute::Attribute> = BoxedView;

    fn add_any_attr<NewAttr: leptos::tachys::html::attribute::Attribute>(
        self,
        _attr: NewAttr,
    ) -> Self::Output<NewAttr> {
        self
    }
}

/// The SPA renders in the browser only (leptos's `csr`): nothing here renders to HTML or
/// hydrates, as with `AnyView` in this build.
impl RenderHtml for BoxedView {
    type AsyncOutput = Self;
    type Owned = Self;

    const MIN_LENGTH: usize = 0;

    fn dry_resolve(&mut self) {}

    async fn resolve(self) -> Self::AsyncOutput {
        self
    }

    fn to_html_with_buf(
        self,
        _buf: &mut String,
        _position: &mut Position,
        _escape: bool,
        _mark_branches: bool,
        _extra_attrs: Vec<AnyAttribute>,
    ) {
        unreachable!("the SPA renders in the browser only");
    }

    fn hydrate<const FROM_SERVER: bool>(
        self,
        _cursor: &Cursor,
        _position: &PositionState,
    ) -> Self::State {
        unreachable!("the SPA renders in the browser only");
    }

    fn into_owned(self) -> Self::Owned {
        self
    }
}

/// An event handler, boxed: one type for every handler of an event (`on:click`, `on:input`, …).
///
/// leptos compiles the code that attaches, clones and type-erases a listener once per handler
/// type; with every handler boxed, that is once per event (3.7 KB brotli less for this SPA's 65
/// handlers).
pub type Handler<E> = Box<dyn FnMut(E)>;

/// Boxes an event handler (see [`Handler`]).
pub fn handler<E>(handler: impl FnMut(E) + 'static) -> Handler<E> {
    Box::new(handler)
}

/// A form's submit handler: the browser's own submission is prevented, then `submit` runs.
pub fn submit(mut submit: impl FnMut() + 'static) -> Handler<web_sys::SubmitEvent> {
    handler(move |event: web_sys::SubmitEvent| {
        event.prevent_default();
        submit();
    })
}

/// An input's handler that keeps what is typed (or chosen) in `value`.
pub fn keep_value<E: wasm_bindgen::JsCast + 'static>(value: RwSignal<String>) -> Handler<E> {
    handler(move |event: E| value.set(event_target_value(&event)))
}
