//! Plain text helpers for the words the model and analysis write. Nothing here escapes: text
//! from audit records stays as it was, and is escaped only where it is shown (a terminal, a
//! CSV cell).

use std::borrow::Cow;

/// `s` cut to at most `max` characters, the last of them `…` when it was cut.
pub fn clip(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some(_) if max == 0 => Cow::Borrowed(""),
        Some(_) => {
            let end = s.char_indices().nth(max - 1).map_or(s.len(), |(i, _)| i);
            Cow::Owned(format!("{}…", &s[..end]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn clip_cuts_by_characters_and_keeps_control_text_as_it_was() {
        assert_eq!(clip("Inbox", 10), "Inbox");
        assert_eq!(clip("Inbox", 5), "Inbox");
        assert_eq!(clip("Inboxes", 5), "Inbo…");
        assert_eq!(clip("ééééé!", 3), "éé…");
        assert_eq!(
            clip("a\u{1b}[31mb", 20),
            "a\u{1b}[31mb",
            "escaping is the viewer's job"
        );
        assert_eq!(clip("abc", 0), "");
    }
}
