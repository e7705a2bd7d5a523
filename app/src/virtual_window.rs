//! Which rows of a long list to render: those in view, plus a few on each side so that scrolling
//! shows no gap. Pure, so it is tested natively; the list component only measures and renders.

use std::ops::Range;

/// Rows rendered beyond each edge of the viewport.
pub const OVERSCAN: usize = 8;

/// The rows to render for a list of `total` rows of `row_height` px, scrolled to `scroll_top`
/// px in a viewport `viewport_height` px tall. Always within `0..total`.
pub fn visible_rows(
    total: usize,
    row_height: f64,
    scroll_top: f64,
    viewport_height: f64,
) -> Range<usize> {
    if total == 0 || row_height <= 0.0 {
        return 0..0;
    }
    let first = (scroll_top.max(0.0) / row_height).floor() as usize;
    let in_view = (viewport_height.max(0.0) / row_height).ceil() as usize + 1;
    let start = first.saturating_sub(OVERSCAN).min(total);
    let end = first.saturating_add(in_view).saturating_add(OVERSCAN).min(total);
    start..end.max(start)
}

// Native only: proptest does not run in the browser.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_top_of_a_long_list_renders_a_screenful_and_the_overscan() {
        assert_eq!(visible_rows(10_000, 40.0, 0.0, 400.0), 0..(11 + OVERSCAN));
    }

    #[test]
    fn scrolling_moves_the_window_and_keeps_the_overscan_above() {
        let rows = visible_rows(10_000, 40.0, 4_000.0, 400.0);
        assert_eq!(rows, (100 - OVERSCAN)..(111 + OVERSCAN));
    }

    #[test]
    fn the_end_of_the_list_and_empty_lists_stay_in_bounds() {
        assert_eq!(visible_rows(10, 40.0, 10_000.0, 400.0), 10..10);
        assert_eq!(visible_rows(50, 40.0, 1_600.0, 400.0), (40 - OVERSCAN)..50);
        assert_eq!(visible_rows(0, 40.0, 0.0, 400.0), 0..0);
        assert_eq!(visible_rows(5, 0.0, 0.0, 400.0), 0..0);
    }

    proptest! {
        #[test]
        fn the_window_is_in_bounds_small_and_covers_the_viewport(
            total in 0_usize..50_000,
            row_height in 1.0_f64..200.0,
            scroll_top in -1_000.0_f64..3_000_000.0,
            viewport_height in 0.0_f64..3_000.0,
        ) {
            let rows = visible_rows(total, row_height, scroll_top, viewport_height);
            prop_assert!(rows.start <= rows.end && rows.end <= total);
            let budget = (viewport_height / row_height).ceil() as usize + 1 + 2 * OVERSCAN;
            prop_assert!(rows.len() <= budget);
            // Every row that is at least partly in view is rendered.
            let first_seen = (scroll_top.max(0.0) / row_height).floor() as usize;
            let last_seen = ((scroll_top.max(0.0) + viewport_height) / row_height).ceil() as usize;
            for row in first_seen..last_seen.min(total) {
                prop_assert!(rows.contains(&row), "row {} not in {:?}", row, rows);
            }
        }
    }
}
