//! Keeping a cursor on screen: the one rule every list and the timeline scroll by.

/// The first row to show so that row `cursor` is on a screen of `height` rows, moving the
/// view as little as possible from `offset`.
pub fn follow(cursor: usize, offset: usize, height: usize) -> usize {
    let height = height.max(1);
    if cursor < offset {
        cursor
    } else if cursor >= offset + height {
        cursor + 1 - height
    } else {
        offset
    }
}
