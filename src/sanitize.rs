//! Audit data is attacker-controlled text (rule names, subjects, user agents). Before any of it
//! reaches a terminal it goes through [`for_terminal`]; before it reaches a CSV cell, through
//! [`csv_cell`].

use std::borrow::Cow;
use std::fmt::Write;

fn is_dangerous(c: char) -> bool {
    c.is_control() // C0, DEL, C1
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
        || c == '\u{feff}'
}

/// Control characters, escape sequences and bidi overrides shown visibly escaped
/// (`\x1b`, `\n`, `\u{202e}`), so nothing from the data can act on the terminal.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_dangerous) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_dangerous(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// A CSV cell that a spreadsheet will show as text, never run as a formula, and that cannot
/// act on the terminal it is often printed to: controls and bidi overrides escaped as
/// [`for_terminal`] escapes them (so no cell starts with a tab or CR either), and cells
/// starting with `=`, `+`, `-` or `@` get a leading apostrophe.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    let s = for_terminal(s);
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@') => Cow::Owned(format!("'{s}")),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls_and_bidi() {
        assert_eq!(for_terminal("plain rule"), "plain rule");
        assert_eq!(
            for_terminal("a\u{1b}]0;pwned\u{7}b"),
            "a\\x1b]0;pwned\\x07b"
        );
        assert_eq!(for_terminal("x\u{9b}31m"), "x\\x9b31m");
        assert_eq!(for_terminal("evil\u{202e}fdp.exe"), "evil\\u{202e}fdp.exe");
        assert_eq!(for_terminal("l1\nl2\t"), "l1\\nl2\\t");
        assert_eq!(for_terminal("\u{7f}"), "\\x7f");
    }

    #[test]
    fn neutralises_formula_cells() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "\\tx");
        assert_eq!(
            csv_cell("=1\u{1b}]52;c;eA==\u{7}"),
            "'=1\\x1b]52;c;eA==\\x07"
        );
        assert_eq!(csv_cell("alex@contoso.com"), "alex@contoso.com");
    }
}
