//! Drawing: a pure function of the view-model. Only visible rows are formatted, so a frame
//! costs the same over a million events as over a hundred.

mod commands;
mod detail;
pub mod help;
pub mod problems;
use super::layout;
pub mod loading;
mod search;
mod sessions;
mod status;
mod timeline;

use super::app::{App, Pane};
use super::theme::Theme;
use ratatui::Frame;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders};

pub fn draw(frame: &mut Frame, app: &App) {
    let theme = Theme { colour: app.colour };
    let a = layout::areas(&app.geometry(), frame.area());
    let focus = layout::focused(&app.geometry());
    if let Some(r) = a.sessions {
        sessions::draw(frame, r, app, theme, focus == Pane::Sessions);
    }
    if let Some(r) = a.timeline {
        timeline::draw(frame, r, app, theme, focus == Pane::Timeline);
    }
    if let (Some(r), Some(d)) = (a.detail, &app.detail) {
        detail::draw(frame, r, app, d, theme, focus == Pane::Detail);
    }
    status::draw(frame, a.status, app, theme);
    if app
        .prompt
        .as_ref()
        .is_some_and(|p| p.kind == super::app::PromptKind::Search)
    {
        search::draw(frame, frame.area(), app, theme);
    }
    commands::draw(frame, frame.area(), app, theme);
    if app.show_help {
        help::draw(frame, frame.area(), app, theme);
    }
    if app.show_problems {
        problems::draw(frame, frame.area(), app, theme);
    }
}

/// `done` of `of` in whole percent, for the progress of background work.
fn percent(done: usize, of: usize) -> usize {
    (done * 100).checked_div(of).unwrap_or(0)
}

/// A pane's frame; in the one-pane layout the title says how to reach the others.
fn pane_block<'a>(title: String, app: &App, theme: Theme, focused: bool) -> Block<'a> {
    let mut title = title;
    if app.viewport.0 < layout::SIDE_BY_SIDE {
        title.push_str(" · Tab: next pane");
    }
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(
            Line::from(format!(" {} ", crate::sanitize::for_terminal(&title)))
                .style(theme.heading()),
        )
}
