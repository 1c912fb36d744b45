//! The problems view (`!`): every file that lost records or could not be read, with each
//! record's line or number and the reason, wrapped to the screen. File text is
//! attacker-controlled: escaped.

use crate::sanitize::for_terminal;
use crate::tui::app::App;
use crate::tui::problems::ProblemLine;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

fn popup(area: Rect) -> Rect {
    let width = area.width.min(120);
    let height = area.height.saturating_sub(2);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

/// `text` escaped and cut into lines of at most `width` characters, the first indented by
/// `first`, the rest by `rest`.
fn wrapped(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let chars: Vec<char> = for_terminal(text).chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    while at < chars.len() || out.is_empty() {
        let indent = if out.is_empty() { first } else { rest };
        let room = width.saturating_sub(indent.chars().count()).max(8);
        let end = (at + room).min(chars.len());
        out.push(format!(
            "{indent}{}",
            chars[at..end].iter().collect::<String>()
        ));
        at = end;
    }
    out
}

/// The view's lines at a screen `width` wide, each with its style.
fn lines(app: &App, width: u16, theme: Theme) -> Vec<(String, Style)> {
    let inner = usize::from(popup(Rect::new(0, 0, width, 10)).width.saturating_sub(2));
    let mut out = Vec::new();
    for l in &app.problems.lines {
        let (text, first, rest, style) = match l {
            ProblemLine::File(path, what) => {
                for line in wrapped(path, inner, " ", "   ") {
                    out.push((line, theme.heading()));
                }
                (what.clone(), "   ", "     ", theme.dim())
            }
            ProblemLine::Record(at, why) => (format!("{at}: {why}"), "   ", "     ", Style::new()),
            ProblemLine::Note(note) => (note.clone(), "   ", "     ", theme.dim()),
        };
        for line in wrapped(&text, inner, first, rest) {
            out.push((line, style));
        }
    }
    out
}

/// How far the view can scroll at this screen size.
pub fn max_scroll(app: &App, (width, height): (u16, u16)) -> usize {
    let shown = usize::from(
        popup(Rect::new(0, 0, width, height))
            .height
            .saturating_sub(2),
    );
    lines(app, width, Theme { colour: false })
        .len()
        .saturating_sub(shown)
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let text: Vec<Line> = lines(app, area.width, theme)
        .into_iter()
        .map(|(l, style)| Line::from(l).style(style))
        .collect();
    let title = format!(
        " Not read: {} · j/k scroll · Esc closes ",
        app.problems.summary()
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(theme.border(true));
    let scroll = app
        .problems_scroll
        .min(max_scroll(app, (area.width, area.height)));
    let area = popup(area);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(text).block(block).scroll((scroll as u16, 0)),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::wrapped;

    #[test]
    fn long_reasons_wrap_under_their_indent_and_stay_escaped() {
        let lines = wrapped("abcdefghij\u{1b}[2J", 12, "  ", "    ");
        assert_eq!(lines, ["  abcdefghij", "    \\x1b[2J"]);
    }
}
