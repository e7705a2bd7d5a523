//! A table that stays smooth with tens of thousands of rows.
//!
//! Only the rows in view (and a few around them) are in the page. It keeps table semantics for
//! screen readers (`aria-rowcount`, `aria-rowindex`) and scrolls with the keyboard (the scroller
//! is focusable).

use std::sync::Arc;

use leptos::html;
use leptos::prelude::*;

use crate::dynamic::{handler, patched};

use crate::virtual_window::visible_rows;

/// The height of the viewport before it is measured (CSS gives the scroller its real height).
const DEFAULT_VIEWPORT_PX: f64 = 600.0;

/// Renders the cells of the row at a position; boxed, so that every table shares one copy of
/// the rendering code.
pub type RowView = Arc<dyn Fn(usize) -> AnyView + Send + Sync>;

/// A scrollable table of `row_count` rows of `row_height` px, rendering only what is visible.
#[component]
pub fn VirtualTable(
    /// The table's accessible name.
    label: &'static str,
    /// How many rows there are.
    #[prop(into)]
    row_count: Signal<usize>,
    /// The height of every row, in px (rows never wrap).
    row_height: u32,
    /// The header row's cells (`role="columnheader"`).
    #[prop(into)]
    header: ViewFn,
    /// Renders the cells of the row at a position (`0..row_count`).
    render_row: RowView,
) -> impl IntoView {
    let scroller = NodeRef::<html::Div>::new();
    let scroll_top = RwSignal::new(0.0_f64);
    let viewport = RwSignal::new(DEFAULT_VIEWPORT_PX);
    let measure = move || {
        if let Some(element) = scroller.get_untracked() {
            scroll_top.set(f64::from(element.scroll_top()));
            let height = f64::from(element.client_height());
            if height > 0.0 {
                viewport.set(height);
            }
        }
    };
    // Measure once the scroller is in the page; a shorter list may also clamp the scroll.
    Effect::new(move || {
        row_count.track();
        if scroller.get().is_some() {
            measure();
        }
    });
    let rows = Memo::new(move |_| {
        visible_rows(row_count.get(), f64::from(row_height), scroll_top.get(), viewport.get())
    });
    view! {
        <div
            class="vtable"
            node_ref=scroller
            on:scroll=handler(move |_| measure())
            tabindex="0"
            role="region"
            aria-label=format!("{label} (scrollable)")
        >
            <div role="table" aria-label=label aria-rowcount=move || row_count.get() + 1>
                <div role="rowgroup" class="vtable__head">
                    <div role="row" aria-rowindex="1" class="vtable__row">
                        {header.run()}
                    </div>
                </div>
                <div
                    role="rowgroup"
                    class="vtable__body"
                    style:height=move || px(row_count.get(), row_height)
                    style:padding-top=move || px(rows.get().start, row_height)
                >
                    // Patched, not redrawn: it runs on every scroll.
                    {patched(move || ({
                        let render_row = render_row.clone();
                        rows.get()
                            .map(|position| {
                                view! {
                                    <div
                                        role="row"
                                        class="vtable__row"
                                        aria-rowindex=position + 2
                                        style:height=px(1, row_height)
                                    >
                                        {render_row(position)}
                                    </div>
                                }
                            })
                            .collect_view()
                    }).into_any())}
                </div>
            </div>
        </div>
    }
}

/// `rows` rows of `row_height` px, as a CSS length (integers: no float formatting in the wasm).
fn px(rows: usize, row_height: u32) -> String {
    format!("{}px", rows as u64 * u64::from(row_height))
}
