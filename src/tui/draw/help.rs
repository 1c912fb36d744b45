//! Help, generated from the keymap itself.

use crate::tui::action::BINDINGS;
use crate::tui::app::App;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let width = area.width.min(76);
    let height = area.height.saturating_sub(2).min(BINDINGS.len() as u16 + 6);
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
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Help · j/k scroll · Esc closes ")
        .border_style(theme.border(true));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((app.help_scroll as u16, 0)),
        popup,
    );
}
