//! Semantic styles in the 16 ANSI colours, on the terminal's own background. With `NO_COLOR`
//! every style keeps its modifiers (bold, reverse) and loses its colour; sessions stay apart by
//! their lane tag and verdict glyph.

use crate::case::Verdict;
use ratatui::style::{Color, Modifier, Style};

/// Colours for unmarked sessions: red and green are kept for attacker and user.
const PALETTE: [Color; 8] = [
    Color::Cyan,
    Color::Yellow,
    Color::Magenta,
    Color::Blue,
    Color::LightCyan,
    Color::LightYellow,
    Color::LightMagenta,
    Color::LightBlue,
];

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub colour: bool,
}

impl Theme {
    fn fg(self, c: Color) -> Style {
        if self.colour {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    /// A session's rows: red for attacker, green for user, a palette colour otherwise,
    /// grey for activity without a session ID.
    pub fn session(self, lane: Option<usize>, verdict: Option<Verdict>) -> Style {
        match (verdict, lane) {
            (Some(Verdict::Attacker), _) => self.fg(Color::LightRed).add_modifier(Modifier::BOLD),
            (Some(Verdict::User), _) => self.fg(Color::Green),
            (None, Some(l)) => self.fg(PALETTE[l % PALETTE.len()]),
            (None, None) => self.fg(Color::DarkGray),
        }
    }

    pub fn cursor(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// Rows of the session selected in the list, in the timeline.
    pub fn highlight(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    pub fn heading(self) -> Style {
        self.fg(Color::White).add_modifier(Modifier::BOLD)
    }

    pub fn dim(self) -> Style {
        if self.colour {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn border(self, focused: bool) -> Style {
        if focused {
            self.fg(Color::White).add_modifier(Modifier::BOLD)
        } else {
            self.dim()
        }
    }

    pub fn warning(self) -> Style {
        self.fg(Color::Yellow)
    }
}

/// The one-letter tag of a lane: A..Z, then a..z, then `#`.
pub fn lane_tag(lane: usize) -> char {
    match lane {
        0..=25 => (b'A' + lane as u8) as char,
        26..=51 => (b'a' + (lane - 26) as u8) as char,
        _ => '#',
    }
}

/// The verdict glyph: `!` attacker, `+` user, blank unmarked. ASCII, so any terminal shows it.
pub fn verdict_glyph(verdict: Option<Verdict>) -> char {
    match verdict {
        Some(Verdict::Attacker) => '!',
        Some(Verdict::User) => '+',
        None => ' ',
    }
}
