//! The interleaved timeline: every row coloured by its session and tagged with its lane, so two
//! sessions of one account read apart at a glance.

use super::pane_block;
use crate::store::Facet;
use crate::text::fit;
use crate::tui::app::{App, Scope};
use crate::tui::scroll::follow;
use crate::tui::theme::{Theme, lane_tag, verdict_glyph};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

struct Columns {
    time: usize,
    session: usize,
    user: usize,
    operation: usize,
    client: usize,
    target: usize,
    summary: usize,
}

/// The timeline's columns at `width`. Where rows of several users can appear, the USER column
/// is always there: on a narrow screen the time loses its seconds, the session ID and the
/// operation shorten, to make room for it.
fn columns(width: usize, many_users: bool) -> Columns {
    let narrow = many_users && width < 14 + 3 + 8 + 22 + 18 + 15 + 6 + 20;
    let (time, session, operation) = if narrow { (11, 4, 14) } else { (14, 8, 18) };
    // time, tag, session, operation, IP and the spaces between them.
    let mut used = time + 3 + session + operation + 15 + 5;
    let mut take = |w: usize, min_left: usize| {
        if width >= used + w + 1 + min_left {
            used += w + 1;
            w
        } else {
            0
        }
    };
    let user = match (many_users, narrow) {
        (false, _) => 0,
        (true, true) => take(14, 8),
        (true, false) => take(22, 20),
    };
    let client = take(18, 24);
    let target = take(22, 24);
    Columns {
        time,
        session,
        user,
        operation,
        client,
        target,
        summary: width.saturating_sub(used),
    }
}

fn title(app: &App) -> String {
    let f = app.frame();
    let store = &app.store;
    let mut t = match f.scope {
        Scope::Root => match f.root_user {
            Some(u) => format!("Timeline: {}, all sessions", store.str(u)),
            None => "Timeline".into(),
        },
        Scope::Linked => "Actions of sessions linked to the attacker".into(),
        Scope::Asn(a) => format!("Same network owner: AS{a}"),
        Scope::Pivot(Facet::Session, v) => {
            match crate::tui::app::session_owners(store, v).as_slice() {
                [one] => format!("{}'s session {}", store.str(*one), store.str(v)),
                _ => format!("Session {} (several users)", store.str(v)),
            }
        }
        Scope::Pivot(facet, v) => format!("Same {}: {}", facet.label(), store.str(v)),
    };
    if let Some(s) = f.narrowed_to {
        let id = store.sessions[s].id;
        let shown: String = if id.is_empty() {
            "no session ID".into()
        } else {
            store.str(id).chars().take(8).collect()
        };
        t.push_str(&format!(" · only {shown} (f: all)"));
    }
    match f.finding {
        Some((read, of)) => format!(
            "{t} ({} so far, {}% read)",
            app.timeline_rows().len(),
            super::percent(read, of)
        ),
        None => format!("{t} ({})", app.timeline_rows().len()),
    }
}

/// A sparkline of how many of the user's sessions were active across their time span, with
/// the peak. Several sessions at once on one account is what the seed asks to see.
fn concurrency_line(
    app: &App,
    user: crate::intern::Sym,
    width: usize,
    theme: Theme,
) -> Line<'static> {
    const BARS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let store = &app.store;
    let sessions: Vec<&crate::store::Session> = store
        .sessions_of_user(user)
        .iter()
        .map(|&i| &store.sessions[i as usize])
        .filter(|s| s.has_id())
        .collect();
    let (from, to) = sessions.iter().fold((i64::MAX, i64::MIN), |(a, b), s| {
        (a.min(s.first), b.max(s.last))
    });
    let label = "concurrent ";
    let (peak_all, at) = app.peaks.get(&user).copied().unwrap_or((0, 0));
    let suffix = format!(
        " peak {peak_all} at once, {}",
        app.zone.format(at, "%m-%d %H:%M")
    );
    let room = width.saturating_sub(label.len() + suffix.len());
    if sessions.is_empty() || room < 4 {
        return Line::from("");
    }
    let series = crate::analysis::concurrency_series(&sessions, from, to, room);
    let peak = series.iter().copied().max().unwrap_or(0);
    let bars: String = series
        .iter()
        .map(|&n| BARS[((n * 8).div_ceil(peak.max(1))) as usize])
        .collect();
    let style = if peak > 1 {
        theme.warning()
    } else {
        theme.dim()
    };
    Line::from(vec![
        ratatui::text::Span::styled(label, theme.dim()),
        ratatui::text::Span::styled(bars, style),
        ratatui::text::Span::styled(suffix, style),
    ])
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme, focused: bool) {
    let block = pane_block(title(app), app, theme, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // The cursor's row is marked in its first column as well as in reverse video.
    let width = usize::from(inner.width).saturating_sub(1);
    let f = app.frame();
    let many_users = match f.scope {
        Scope::Root | Scope::Pivot(Facet::User, _) => false,
        // A session's rows are its owner's, named in the title.
        Scope::Pivot(Facet::Session, v) => crate::tui::app::session_owners(&app.store, v).len() > 1,
        Scope::Pivot(..) | Scope::Linked | Scope::Asn(_) => true,
    };
    let cols = columns(width, many_users);
    let mut height = usize::from(inner.height.saturating_sub(1));
    let mut lines = Vec::new();
    if let (Scope::Root, Some(user)) = (f.scope, f.root_user) {
        lines.push(concurrency_line(app, user, usize::from(inner.width), theme));
        height = height.saturating_sub(1);
    }

    let mut header = vec![
        fit("TIME", cols.time),
        fit("", 3),
        fit(
            if cols.session < 7 { "ID" } else { "SESSION" },
            cols.session,
        ),
    ];
    if cols.user > 0 {
        header.push(fit("USER", cols.user));
    }
    header.extend([fit("OPERATION", cols.operation), fit("IP", 15)]);
    if cols.client > 0 {
        header.push(fit("CLIENT", cols.client));
    }
    if cols.target > 0 {
        header.push(fit("TARGET", cols.target));
    }
    header.push(fit("SUMMARY", cols.summary));
    lines.push(Line::from(format!(" {}", header.join(" "))).style(theme.dim()));

    let store = &app.store;
    let highlighted = app.selected_session();
    let rows = app.timeline_rows();
    // After a resize the stored offset may not show the cursor; draw from one that does.
    let offset = follow(f.timeline_cursor, f.timeline_offset, height);
    for (i, &event) in rows.iter().enumerate().skip(offset).take(height) {
        let e = &store.events[event as usize];
        let session = store.session_of(e);
        // A session used from two places at once shows its other networks as a lane of
        // their own: the same letter, marked `*`, in another colour.
        let foreign = app.in_foreign_part(event);
        let lane = session
            .filter(|_| !e.session.is_empty())
            .map(|s| app.lane(s));
        let verdict = app.event_verdict(event);
        let tag = match lane {
            Some(l) => format!(
                "{}{}{}",
                verdict_glyph(verdict),
                lane_tag(l),
                if foreign { '*' } else { ' ' }
            ),
            None => " - ".into(),
        };
        // Half the palette away: another colour than the session's own part.
        let lane = lane.map(|l| if foreign { l + 4 } else { l });
        let id: String = match (e.session.is_empty(), cols.session >= 7) {
            (true, true) => "no-sess".into(),
            (true, false) => "-".into(),
            (false, _) => store.str(e.session).chars().take(cols.session).collect(),
        };
        let time_format = if cols.time < 14 {
            "%m-%d %H:%M"
        } else {
            "%m-%d %H:%M:%S"
        };
        let mut cells = vec![
            if i == f.timeline_cursor { ">" } else { " " }.to_string()
                + &fit(&app.zone.format(i64::from(e.time), time_format), cols.time),
            fit(&tag, 3),
            fit(&id, cols.session),
        ];
        if cols.user > 0 {
            cells.push(fit(store.str(e.user), cols.user));
        }
        cells.extend([
            fit(store.str(e.operation), cols.operation),
            fit(store.str(e.ip), 15),
        ]);
        if cols.client > 0 {
            cells.push(fit(store.str(e.client), cols.client));
        }
        if cols.target > 0 {
            cells.push(fit(store.str(e.target), cols.target));
        }
        cells.push(fit(store.str(e.summary), cols.summary));
        let mut style = theme.session(lane, verdict);
        if highlighted.is_some() && session == highlighted && f.narrowed_to.is_none() {
            style = style.patch(theme.highlight());
        }
        if i == f.timeline_cursor {
            style = style.patch(theme.cursor());
        }
        lines.push(Line::from(cells.join(" ")).style(style));
    }
    if rows.is_empty() {
        lines.push(Line::from("no actions here").style(theme.dim()));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
