//! The command list (`:`): every action of the keymap by name, with its key and what it does,
//! filtered by what is typed; Enter runs the selected one.

use crate::text::fit;
use crate::tui::action::commands;
use crate::tui::app::{App, PromptKind};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(p) = &app.prompt else { return };
    let PromptKind::Command { selected } = p.kind else {
        return;
    };
    let shown = commands(&p.text);
    // Over the panes, above the status lines.
    let height = area.height.saturating_sub(2).max(3);
    let popup = Rect::new(area.x, area.y, area.width, height);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(
            " Commands · {} of {} · type to filter, Enter runs, Esc closes ",
            shown.len(),
            commands("").len()
        ))
        .border_style(theme.border(true));
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    let rows = usize::from(inner.height);
    let width = usize::from(inner.width);
    let offset = selected.saturating_sub(rows.saturating_sub(1));
    let mut lines = Vec::new();
    for (i, b) in shown.iter().enumerate().skip(offset).take(rows) {
        let text = format!(
            "{}{} {} {}",
            if i == selected { ">" } else { " " },
            fit(b.action.name(), 18),
            fit(&b.label(), 14),
            b.help
        );
        let line = Line::from(fit(&text, width));
        lines.push(if i == selected {
            line.patch_style(theme.cursor())
        } else {
            line
        });
    }
    if shown.is_empty() {
        lines.push(Line::from("no action has these words in its name or help"));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
