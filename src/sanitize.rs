//! Audit data is attacker-controlled text (rule names, subjects, user agents, user names).
//! Before any of it reaches a terminal it goes through [`for_terminal`]; before it reaches a
//! CSV cell, through [`csv_cell`].

use std::borrow::Cow;
use std::fmt::Write;

/// Characters that act on a terminal or reorder text: C0, DEL, C1 and bidi controls.
fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// Characters that show as nothing: two names that differ only by one look the same
/// (`alex\u{200b}@contoso.com`).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}' // soft hyphen
            | '\u{034f}' // combining grapheme joiner
            | '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}' // Hangul fillers
            | '\u{180e}' // Mongolian vowel separator
            | '\u{200b}'..='\u{200d}' // zero-width space, non-joiner, joiner
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{feff}' // zero-width no-break space (BOM)
    )
}

/// Letters of scripts whose letters look like Latin ones (Cyrillic `а`, Greek `ο`, fullwidth
/// `ａ`...): within one word beside Latin letters they are how a look-alike name is made.
fn is_confusable_script(c: char) -> bool {
    matches!(c,
        '\u{0370}'..='\u{03ff}' // Greek
        | '\u{0400}'..='\u{052f}' // Cyrillic
        | '\u{0530}'..='\u{058f}' // Armenian
        | '\u{13a0}'..='\u{13ff}' // Cherokee
        | '\u{ff21}'..='\u{ff3a}' | '\u{ff41}'..='\u{ff5a}' // fullwidth Latin
    )
}

fn is_latin(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c, '\u{00c0}'..='\u{024f}')
}

/// Places in `s` of letters of a look-alike script sharing a word with Latin letters.
fn mixed_script_letters(s: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    for word in chars.split(|(_, c)| !c.is_alphanumeric()) {
        if word.iter().any(|(_, c)| is_latin(*c)) {
            out.extend(
                word.iter()
                    .filter(|(_, c)| is_confusable_script(*c))
                    .map(|(i, _)| *i),
            );
        }
    }
    out
}

/// Text safe and unambiguous on a terminal: control characters, escape sequences and bidi
/// overrides escaped (`\x1b`, `\n`, `\u{202e}`) so nothing from the data can act on the
/// terminal; invisible characters, and letters of a look-alike script inside a Latin word,
/// escaped too (`\u{200b}`, `\u{430}`) so two names that would render alike are told apart.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    let plain = if s.is_ascii() {
        !s.bytes().any(|b| b.is_ascii_control())
    } else {
        !s.chars().any(|c| is_control(c) || is_invisible(c))
    };
    let mixed = if s.is_ascii() {
        Vec::new()
    } else {
        mixed_script_letters(s)
    };
    if plain && mixed.is_empty() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for (i, c) in s.char_indices() {
        let escape = is_control(c) || is_invisible(c) || mixed.binary_search(&i).is_ok();
        if !escape {
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
    fn look_alike_names_are_told_apart() {
        // Cyrillic а inside a Latin word; a zero-width space; a soft hyphen.
        assert_eq!(
            for_terminal("\u{430}lex@contoso.com"),
            "\\u{430}lex@contoso.com"
        );
        assert_eq!(
            for_terminal("alex\u{200b}@contoso.com"),
            "alex\\u{200b}@contoso.com"
        );
        assert_eq!(for_terminal("al\u{ad}ex"), "al\\xadex");
        // A name in one script, Latin or not, and accents, are left as they are.
        assert_eq!(for_terminal("иван@contoso.com"), "иван@contoso.com");
        assert_eq!(for_terminal("Ζωή Ανδρέου"), "Ζωή Ανδρέου");
        assert_eq!(
            for_terminal("josé.müller@contoso.com"),
            "josé.müller@contoso.com"
        );
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
