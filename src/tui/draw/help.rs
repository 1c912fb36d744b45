//! Help, generated from the keymaps themselves.

use crate::tui::action::{BINDINGS, Binding, PROMPT_BINDINGS};
use crate::tui::app::App;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

const NOTES: [&str; 3] = [
    " Rows are coloured by session; the tag column names the session's lane.",
    " ! marks an attacker session, + the user's, - no session ID.",
    " * after the lane: the session also used from other networks at once.",
];

/// Every line of help: the keymap, the prompt's keys, then the notes.
fn lines(theme: Theme) -> Vec<Line<'static>> {
    let binding = |b: &Binding| {
        Line::from(vec![
            Span::styled(format!(" {:<14}", b.label()), theme.heading()),
            Span::raw(b.help),
        ])
    };
    let mut lines: Vec<Line> = BINDINGS.iter().map(binding).collect();
    lines.push(Line::from(""));
    lines.push(Line::from(" In a prompt (/ search, e note); other keys type:").style(theme.dim()));
    lines.extend(PROMPT_BINDINGS.iter().map(binding));
    lines.push(Line::from(""));
    lines.extend(NOTES.iter().map(|n| Line::from(*n).style(theme.dim())));
    lines
}

fn line_count() -> usize {
    BINDINGS.len() + 2 + PROMPT_BINDINGS.len() + 1 + NOTES.len()
}

fn popup_height(screen_height: u16) -> u16 {
    screen_height.saturating_sub(2).min(line_count() as u16 + 2)
}

/// How far help can scroll on a screen this high: until its last line reaches the bottom.
pub fn max_scroll(screen_height: u16) -> usize {
    line_count().saturating_sub(usize::from(popup_height(screen_height).saturating_sub(2)))
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
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Help · j/k scroll · Esc closes ")
        .border_style(theme.border(true));
    let scroll = app.help_scroll.min(max_scroll(area.height));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines(theme))
            .block(block)
            .scroll((scroll as u16, 0)),
        popup,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_is_the_lines_drawn() {
        assert_eq!(line_count(), lines(Theme { colour: false }).len());
    }
}
