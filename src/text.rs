//! Text cut to terminal columns: attacker text escaped, widths measured in display columns
//! (wide and combining characters keep tables aligned). Used by CLI tables and the TUI.

use crate::sanitize::for_terminal;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `s` escaped for the terminal, cut with `…` and padded to exactly `width` columns.
pub fn fit(s: &str, width: usize) -> String {
    let safe = for_terminal(s);
    let mut out = String::with_capacity(width + 4);
    let mut used = 0;
    if safe.width() <= width {
        out.push_str(&safe);
        used = safe.width();
    } else if width > 0 {
        for c in safe.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width - 1 {
                break;
            }
            out.push(c);
            used += w;
        }
        out.push('…');
        used += 1;
    }
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

/// Like [`fit`], but a value too long loses its start (`…/dir/file.csv`): for paths.
pub fn fit_end(s: &str, width: usize) -> String {
    let safe = for_terminal(s);
    if safe.width() <= width || width == 0 {
        return fit(&safe, width);
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 1;
    for c in safe.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            break;
        }
        tail.push(c);
        used += w;
    }
    let mut out: String = std::iter::once('…').chain(tail.into_iter().rev()).collect();
    out.extend(std::iter::repeat_n(' ', width - used));
    out
}

/// A row of cells, each fitted to its column, the last one not padded.
pub fn row(cells: &[(&str, usize)]) -> String {
    let mut line = cells
        .iter()
        .map(|(s, w)| fit(s, *w))
        .collect::<Vec<_>>()
        .join(" ");
    line.truncate(line.trim_end().len());
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_wide_and_hostile_text() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("日本語テキスト", 6).width(), 6);
        // Combining marks take no column: the cell still fills exactly its width.
        assert_eq!(fit("e\u{301}tude", 8).width(), 8);
        assert_eq!(fit("e\u{301}tude", 8).chars().count(), 9);
        assert_eq!(fit("\u{1b}[31mred", 12), "\\x1b[31mred ");
        assert_eq!(fit_end("fixtures/seed/first-table.csv", 12), "…t-table.csv");
    }
}
