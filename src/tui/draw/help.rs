//! Help, generated from the keymap itself.

use crate::tui::action::BINDINGS;
use crate::tui::app::App;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// Lines of help: a line per binding, a blank line and two notes.
const LINES: usize = BINDINGS.len() + 3;

fn popup_height(screen_height: u16) -> u16 {
    screen_height.saturating_sub(2).min(LINES as u16 + 2)
}

/// How far help can scroll on a screen this high: until its last line reaches the bottom.
pub fn max_scroll(screen_height: u16) -> usize {
    LINES.saturating_sub(usize::from(popup_height(screen_height).saturating_sub(2)))
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let width = area.width.min(76);
    let height = popup_height(area.height);
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height.saturating_sub(height)) / 2,
        width,
        height,
    );
    let mut lines: Vec<Line> = BINDINGS
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!(" {:<14}", b.keys), theme.heading()),
                Span::raw(b.help),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(
        Line::from(" Rows are coloured by session; the tag column names the session's lane.")
            .style(theme.dim()),
    );
    lines.push(
        Line::from(" ! marks an attacker session, + the user's, - no session ID.")
            .style(theme.dim()),
    );
    lines.push(
        Line::from(" * after the lane: the session also used from other networks at once.")
            .style(theme.dim()),
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Help · j/k scroll · Esc closes ")
        .border_style(theme.border(true));
    let scroll = app.help_scroll.min(max_scroll(area.height));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll as u16, 0)),
        popup,
    );
}
