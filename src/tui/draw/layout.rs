//! Where each pane goes. Shared by drawing and by `update` (paging needs the pane heights), so
//! both agree without the view-model remembering anything about the last frame.

use crate::tui::app::{App, Pane};
use ratatui::layout::{Constraint, Layout, Rect};

/// At this width and above, the session list and the timeline sit side by side; below it the
/// focused pane takes the whole screen instead of squeezing.
pub const SIDE_BY_SIDE: u16 = 120;

#[derive(Debug, Clone, Copy, Default)]
pub struct Areas {
    pub sessions: Option<Rect>,
    pub timeline: Option<Rect>,
    pub detail: Option<Rect>,
    pub status: Rect,
}

pub fn focused(app: &App) -> Pane {
    let f = app.frame().focus;
    if f == Pane::Detail && app.detail.is_none() {
        Pane::Timeline
    } else {
        f
    }
}

pub fn areas(app: &App, area: Rect) -> Areas {
    let [body, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(2)]).areas(area);
    let mut a = Areas {
        status,
        ..Areas::default()
    };
    if area.width >= SIDE_BY_SIDE {
        let left = (area.width * 2 / 5).min(64);
        let [l, r] = Layout::horizontal([Constraint::Length(left), Constraint::Min(1)]).areas(body);
        a.sessions = Some(l);
        if app.detail.is_some() {
            let [t, d] =
                Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(r);
            a.timeline = Some(t);
            a.detail = Some(d);
        } else {
            a.timeline = Some(r);
        }
    } else {
        match focused(app) {
            Pane::Sessions => a.sessions = Some(body),
            Pane::Timeline => a.timeline = Some(body),
            Pane::Detail => a.detail = Some(body),
        }
    }
    a
}

/// Rows of content a pane shows (inside its border, below its header), at the current size.
pub fn list_rows(app: &App, pane: Pane) -> usize {
    let (w, h) = app.viewport;
    let a = areas(app, Rect::new(0, 0, w, h));
    let rect = match pane {
        Pane::Sessions => a.sessions,
        Pane::Timeline => a.timeline,
        Pane::Detail => a.detail,
    };
    // In the one-pane layout an unfocused pane is not on screen; it gets the whole body when
    // it is focused, which is the height that matters for paging it.
    let rect = rect.unwrap_or(Rect::new(0, 0, w, h.saturating_sub(2)));
    let chrome = match pane {
        Pane::Detail => 2,
        // The timeline's header row, and at the root the concurrency sparkline.
        Pane::Timeline if app.frame().scope == crate::tui::app::Scope::Root => 4,
        // With sign-ins loaded, the list's last line is the selected session's birth.
        Pane::Sessions if !app.store.signins.is_empty() || !app.store.geo.is_empty() => 4,
        _ => 3,
    };
    usize::from(rect.height.saturating_sub(chrome))
}
