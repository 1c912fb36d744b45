//! `update(&mut App, Action)`: every change of the view-model goes through here.

use super::action::Action;
use super::app::{App, Pane, Scope, SessionRow, first_session_row};
use super::detail;
use super::draw::layout;
use crate::intern::Sym;
use crate::store::Facet;
use std::sync::Arc;

pub fn update(app: &mut App, action: Action) {
    app.message = None;
    if app.show_help {
        match action {
            Action::Quit => app.quit = true,
            Action::Back | Action::Help | Action::Enter => app.show_help = false,
            Action::Down => app.help_scroll += 1,
            Action::Up => app.help_scroll = app.help_scroll.saturating_sub(1),
            Action::Top => app.help_scroll = 0,
            _ => {}
        }
        return;
    }
    match action {
        Action::Quit => app.quit = true,
        Action::Help => {
            app.show_help = true;
            app.help_scroll = 0;
        }
        Action::CycleZone => {
            app.zone = app.zone.next();
            rebuild_detail(app);
        }
        Action::CycleSort => cycle_sort(app),
        Action::NextPane | Action::PrevPane => cycle_focus(app, action == Action::NextPane),
        Action::Up => move_cursor(app, -1),
        Action::Down => move_cursor(app, 1),
        Action::PageUp => move_cursor(app, -(page(app) as isize)),
        Action::PageDown => move_cursor(app, page(app) as isize),
        Action::Top => move_cursor(app, isize::MIN / 2),
        Action::Bottom => move_cursor(app, isize::MAX / 2),
        Action::Enter => enter(app),
        Action::Back => back(app),
        Action::Pivot(facet) => pivot(app, facet),
        Action::NarrowToSession => narrow(app),
        Action::Copy => copy(app),
    }
}

fn page(app: &App) -> usize {
    layout::list_rows(app, app.frame().focus).max(1)
}

fn focus(app: &App) -> Pane {
    if app.detail.is_some() && app.frame().focus == Pane::Detail {
        Pane::Detail
    } else {
        app.frame().focus
    }
}

fn cycle_focus(app: &mut App, forward: bool) {
    let mut panes = vec![Pane::Sessions, Pane::Timeline];
    if app.detail.is_some() {
        panes.push(Pane::Detail);
    }
    let at = panes.iter().position(|&p| p == focus(app)).unwrap_or(0);
    let next = if forward {
        (at + 1) % panes.len()
    } else {
        (at + panes.len() - 1) % panes.len()
    };
    app.frame_mut().focus = panes[next];
}

fn clamp_step(cursor: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    (cursor as isize + delta).clamp(0, len as isize - 1) as usize
}

/// The new offset that keeps `cursor` inside a window of `height` rows.
pub fn follow(cursor: usize, offset: usize, height: usize) -> usize {
    let height = height.max(1);
    if cursor < offset {
        cursor
    } else if cursor >= offset + height {
        cursor + 1 - height
    } else {
        offset
    }
}

fn move_cursor(app: &mut App, delta: isize) {
    match focus(app) {
        Pane::Sessions => {
            let f = app.frame();
            let mut row = clamp_step(f.session_cursor, delta, f.session_rows.len());
            // Skip user headings when stepping one row, so j/k land on sessions.
            if delta.abs() == 1
                && matches!(f.session_rows.get(row), Some(SessionRow::User(_)))
                && row != f.session_cursor
            {
                let beyond = clamp_step(row, delta, f.session_rows.len());
                if matches!(f.session_rows.get(beyond), Some(SessionRow::Session(_))) {
                    row = beyond;
                }
            }
            app.select_session_row(row);
        }
        Pane::Timeline => {
            let len = app.timeline_rows().len();
            let height = layout::list_rows(app, Pane::Timeline);
            let f = app.frame_mut();
            f.timeline_cursor = clamp_step(f.timeline_cursor, delta, len);
            f.timeline_offset = follow(f.timeline_cursor, f.timeline_offset, height);
        }
        Pane::Detail => {
            if let Some(d) = &mut app.detail {
                let max = d.lines.len().saturating_sub(1);
                d.scroll = (d.scroll as isize + delta).clamp(0, max as isize) as usize;
            }
        }
    }
}

fn keep_timeline_cursor_visible(app: &mut App) {
    let height = layout::list_rows(app, Pane::Timeline);
    let f = app.frame_mut();
    f.timeline_offset = follow(f.timeline_cursor, f.timeline_offset, height);
}

fn keep_session_cursor_visible(app: &mut App) {
    let height = layout::list_rows(app, Pane::Sessions);
    let f = app.frame_mut();
    f.session_offset = follow(f.session_cursor, f.session_offset, height);
}

fn enter(app: &mut App) {
    match focus(app) {
        Pane::Sessions => {
            let Some(s) = app.selected_session() else {
                app.frame_mut().focus = Pane::Timeline;
                return;
            };
            let id = app.store.sessions[s].id;
            if id.is_empty() {
                // Activity without a session ID: narrow the user's timeline to it instead.
                app.frame_mut().narrowed_to = Some(s);
                app.refresh_timeline();
                app.frame_mut().focus = Pane::Timeline;
                app.frame_mut().timeline_cursor = 0;
                keep_timeline_cursor_visible(app);
                return;
            }
            push_pivot(app, Facet::Session, id, None);
        }
        Pane::Timeline => {
            if let Some(e) = app.selected_event() {
                open_detail(app, e);
            }
        }
        Pane::Detail => {}
    }
}

fn verdict_label(app: &App, event: u32) -> Option<&'static str> {
    let e = &app.store.events[event as usize];
    let s = app.store.session_of(e)?;
    app.verdict(s).map(|v| match v {
        super::app::Verdict::Attacker => "attacker",
        super::app::Verdict::User => "user",
    })
}

fn open_detail(app: &mut App, event: u32) {
    let verdict = verdict_label(app, event);
    app.detail = Some(detail::build(&app.store, event, app.zone, verdict));
    app.frame_mut().focus = Pane::Detail;
}

fn rebuild_detail(app: &mut App) {
    if let Some(d) = &app.detail {
        let (event, scroll) = (d.event, d.scroll);
        let verdict = verdict_label(app, event);
        let mut view = detail::build(&app.store, event, app.zone, verdict);
        view.scroll = scroll;
        app.detail = Some(view);
    }
}

fn back(app: &mut App) {
    if app.detail.is_some() {
        app.detail = None;
        if app.frame().focus == Pane::Detail {
            app.frame_mut().focus = Pane::Timeline;
        }
        return;
    }
    if app.stack.len() > 1 {
        app.stack.pop();
        app.refresh_timeline();
        return;
    }
    if app.frame().narrowed_to.is_some() {
        app.frame_mut().narrowed_to = None;
        app.refresh_timeline();
        return;
    }
    app.message = Some(format!(
        "at the start: {} quits",
        super::action::key_of(Action::Quit)
    ));
}

/// The value of `facet` for what is selected: the action under the cursor in the timeline or
/// detail, or the session in the session list.
fn pivot_value(app: &App, facet: Facet) -> (Sym, Option<u32>) {
    let store = &app.store;
    match focus(app) {
        Pane::Timeline | Pane::Detail => {
            let event = app
                .detail
                .as_ref()
                .filter(|_| focus(app) == Pane::Detail)
                .map(|d| d.event)
                .or_else(|| app.selected_event());
            match event {
                Some(e) => (facet.of(&store.events[e as usize]), Some(e)),
                None => (Sym::EMPTY, None),
            }
        }
        Pane::Sessions => {
            let f = app.frame();
            match f.session_rows.get(f.session_cursor) {
                Some(SessionRow::User(u)) if facet == Facet::User => (*u, None),
                Some(SessionRow::Session(s)) => {
                    let session = &store.sessions[*s];
                    match facet {
                        Facet::Session => (session.id, None),
                        Facet::User => (session.user, None),
                        // The session's first action that has the value.
                        _ => session
                            .events
                            .iter()
                            .map(|&e| (facet.of(&store.events[e as usize]), e))
                            .find(|(v, _)| !v.is_empty())
                            .map_or((Sym::EMPTY, None), |(v, e)| (v, Some(e))),
                    }
                }
                _ => (Sym::EMPTY, None),
            }
        }
    }
}

fn pivot(app: &mut App, facet: Facet) {
    let (value, from_event) = pivot_value(app, facet);
    if value.is_empty() {
        app.message = Some(format!(
            "nothing to pivot on: the selection has no {}",
            facet.label()
        ));
        return;
    }
    push_pivot(app, facet, value, from_event);
}

fn push_pivot(app: &mut App, facet: Facet, value: Sym, keep_event: Option<u32>) {
    let store = Arc::clone(&app.store);
    let events = store.events_with(facet, value).to_vec();
    let frame = app.make_frame(Scope::Pivot(facet, value), events);
    app.detail = None;
    app.stack.push(frame);
    app.refresh_timeline();
    // Stay on the action we pivoted from, and select its session in the list.
    if let Some(e) = keep_event
        && let Some(pos) = app.timeline_rows().iter().position(|&x| x == e)
    {
        app.frame_mut().timeline_cursor = pos;
    }
    let session = app
        .selected_event()
        .and_then(|e| store.session_of(&store.events[e as usize]));
    let row = session
        .and_then(|s| {
            app.frame()
                .session_rows
                .iter()
                .position(|r| *r == SessionRow::Session(s))
        })
        .unwrap_or_else(|| first_session_row(&app.frame().session_rows));
    app.frame_mut().session_cursor = row;
    keep_timeline_cursor_visible(app);
    keep_session_cursor_visible(app);
}

fn narrow(app: &mut App) {
    if app.frame().narrowed_to.is_some() {
        let keep = app.selected_event();
        app.frame_mut().narrowed_to = None;
        app.refresh_timeline();
        if let Some(e) = keep
            && let Some(pos) = app.timeline_rows().iter().position(|&x| x == e)
        {
            app.frame_mut().timeline_cursor = pos;
        }
        keep_timeline_cursor_visible(app);
        return;
    }
    let session = match focus(app) {
        Pane::Sessions => app.selected_session(),
        _ => app
            .selected_event()
            .and_then(|e| app.store.session_of(&app.store.events[e as usize])),
    };
    let Some(s) = session else {
        app.message = Some("select a session to narrow the timeline to".into());
        return;
    };
    let keep = app.selected_event();
    app.frame_mut().narrowed_to = Some(s);
    app.refresh_timeline();
    let pos = keep
        .and_then(|e| app.timeline_rows().iter().position(|&x| x == e))
        .unwrap_or(0);
    app.frame_mut().timeline_cursor = pos;
    keep_timeline_cursor_visible(app);
}

fn cycle_sort(app: &mut App) {
    app.sort = app.sort.next();
    let selected = app.selected_session();
    for i in 0..app.stack.len() {
        let old = &app.stack[i];
        let mut rebuilt = app.make_frame(old.scope, Vec::new());
        let old = &app.stack[i];
        rebuilt.events = old.events.clone();
        rebuilt.narrowed_to = old.narrowed_to;
        rebuilt.timeline_cursor = old.timeline_cursor;
        rebuilt.timeline_offset = old.timeline_offset;
        rebuilt.root_user = old.root_user;
        rebuilt.focus = old.focus;
        rebuilt.session_cursor = selected
            .and_then(|s| {
                rebuilt
                    .session_rows
                    .iter()
                    .position(|r| *r == SessionRow::Session(s))
            })
            .unwrap_or(
                old.session_cursor
                    .min(rebuilt.session_rows.len().saturating_sub(1)),
            );
        app.stack[i] = rebuilt;
    }
    keep_session_cursor_visible(app);
    app.message = Some(format!("sessions sorted by {}", app.sort.label()));
}

fn copy(app: &mut App) {
    let store = Arc::clone(&app.store);
    let value = match focus(app) {
        Pane::Sessions => app
            .selected_session()
            .map(|s| store.sessions[s].id)
            .filter(|s| !s.is_empty())
            .or_else(|| app.selected_user()),
        _ => app.selected_event().map(|e| {
            let ev = &store.events[e as usize];
            if ev.session.is_empty() {
                ev.user
            } else {
                ev.session
            }
        }),
    };
    match value.map(|v| store.str(v).to_string()) {
        Some(v) if !v.is_empty() => {
            app.message = Some(format!("copied {v}"));
            app.clipboard = Some(v);
        }
        _ => app.message = Some("nothing to copy here".into()),
    }
}
