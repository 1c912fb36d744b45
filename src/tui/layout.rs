//! Where each pane goes. Shared by drawing and by the view-model (paging needs the pane
//! heights), so both agree without the view-model remembering anything about the last frame.
//! It reads only a [`Geometry`], which the view-model gives.

use ratatui::layout::{Constraint, Layout, Rect};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Sessions,
    Timeline,
    Detail,
}

/// What placing the panes depends on.
#[derive(Debug, Clone, Copy)]
pub struct Geometry {
    pub viewport: (u16, u16),
    pub focus: Pane,
    pub detail_open: bool,
    /// The first screen (the timeline has the concurrency sparkline).
    pub at_root: bool,
    /// The session list ends with the selected session's birth line.
    pub birth_line: bool,
}

/// At this width and above, the session list and the timeline sit side by side, each with at
/// least the 80 columns it is laid out for; below it the focused pane takes the whole screen
/// instead of squeezing.
pub const SIDE_BY_SIDE: u16 = 160;

#[derive(Debug, Clone, Copy, Default)]
pub struct Areas {
    pub sessions: Option<Rect>,
    pub timeline: Option<Rect>,
    pub detail: Option<Rect>,
    pub status: Rect,
}

pub fn focused(g: &Geometry) -> Pane {
    let f = g.focus;
    if f == Pane::Detail && !g.detail_open {
        Pane::Timeline
    } else {
        f
    }
}

pub fn areas(g: &Geometry, area: Rect) -> Areas {
    let [body, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(2)]).areas(area);
    let mut a = Areas {
        status,
        ..Areas::default()
    };
    if area.width >= SIDE_BY_SIDE {
        // The list grows with the screen, for its USER and TOP REASON columns.
        let left = (area.width * 2 / 5).clamp(80, 160);
        let [l, r] = Layout::horizontal([Constraint::Length(left), Constraint::Min(1)]).areas(body);
        a.sessions = Some(l);
        if g.detail_open {
            let [t, d] =
                Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(r);
            a.timeline = Some(t);
            a.detail = Some(d);
        } else {
            a.timeline = Some(r);
        }
    } else {
        match focused(g) {
            Pane::Sessions => a.sessions = Some(body),
            Pane::Timeline => a.timeline = Some(body),
            Pane::Detail => a.detail = Some(body),
        }
    }
    a
}

/// Rows of content a pane shows (inside its border, below its header), at the current size.
pub fn list_rows(g: &Geometry, pane: Pane) -> usize {
    let (w, h) = g.viewport;
    let a = areas(g, Rect::new(0, 0, w, h));
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
        Pane::Timeline if g.at_root => 4,
        // With sign-ins loaded, the list's last line is the selected session's birth.
        Pane::Sessions if g.birth_line => 4,
        _ => 3,
    };
    usize::from(rect.height.saturating_sub(chrome))
}
