//! The detail pane: fields, the payload in plain words, the raw record; scrollable.

use super::pane_block;
use crate::sanitize::for_terminal;
use crate::tui::app::App;
use crate::tui::detail::{DetailLine, DetailView};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, d: &DetailView, theme: Theme, focused: bool) {
    let title = format!(
        "Detail · line {}/{} · Esc closes",
        d.scroll + 1,
        d.lines.len()
    );
    let block = pane_block(title, app, theme, focused);
    let lines: Vec<Line> = d
        .lines
        .iter()
        .skip(d.scroll)
        .take(usize::from(area.height) * 4)
        .map(|l| match l {
            DetailLine::Heading(h) => {
                Line::from(Span::styled(for_terminal(h).into_owned(), theme.heading()))
            }
            DetailLine::Field(name, value) => Line::from(vec![
                Span::styled(format!("  {name:<12} "), theme.dim()),
                Span::raw(for_terminal(value).into_owned()),
            ]),
            DetailLine::Text(t) => Line::from(format!("  {}", for_terminal(t))),
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
