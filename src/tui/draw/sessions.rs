//! The session list, grouped by user.

use super::pane_block;
use crate::text::fit;
use crate::time::short_duration;
use crate::tui::app::{App, Scope, SessionRow, SessionSort};
use crate::tui::scroll::follow;
use crate::tui::theme::{Theme, lane_tag, verdict_glyph};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

struct Columns {
    duration: bool,
    clients: bool,
    last_seen: bool,
    user: usize,
    ops: usize,
}

/// The list's columns at `width` (the cursor mark's included). A flat list (several users'
/// sessions mixed) always has a USER column: on a narrow screen the duration and client count
/// give way to it first; TOP REASON takes what is left, however wide the screen.
fn columns(width: usize, flat: bool) -> Columns {
    // cursor mark, tag, id, risk, first seen, events, IPs and the spaces between them.
    let mut used = 1 + 2 + 8 + 4 + 11 + 6 + 4 + 6;
    let user = match (flat, width) {
        (false, _) => 0,
        (true, w) if w >= 140 => 30,
        (true, w) if w >= 100 => 24,
        (true, _) => 16,
    };
    if user > 0 {
        used += user + 1;
    }
    let mut take = |w: usize, min_left: usize| {
        let fits = width >= used + w + 1 + min_left;
        if fits {
            used += w + 1;
        }
        fits
    };
    let duration = take(6, 20);
    let clients = take(3, 20);
    let last_seen = width >= 100 && take(11, 30);
    Columns {
        duration,
        clients,
        last_seen,
        user,
        ops: width.saturating_sub(used),
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme, focused: bool) {
    let f = app.frame();
    let scoring = if app.scoring() && app.sort == crate::tui::app::SessionSort::Risk {
        ", scoring…"
    } else {
        ""
    };
    let title = if f.scope == crate::tui::app::Scope::Linked {
        // Its own order, whatever the sort.
        format!(
            "Sessions ({}) linked to the attacker, accounts first, strongest link first",
            f.session_count
        )
    } else {
        format!(
            "Sessions ({}, {}{scoring}; S: order)",
            f.session_count,
            app.sort.title()
        )
    };
    let block = pane_block(title, app, theme, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // The cursor's row is marked in its first column as well as in reverse video, which a
    // plain capture or a screen reader does not show.
    let width = usize::from(inner.width).saturating_sub(1);
    // Only the order by user groups sessions under headings; the linked view keeps its own.
    let flat = app.sort != SessionSort::User || f.scope == Scope::Linked;
    let cols = columns(width + 1, flat);
    let with_births = !app.store.signins.is_empty() || !app.store.geo.is_empty();
    let height = usize::from(inner.height.saturating_sub(1 + u16::from(with_births)));

    let mut header = vec![
        fit("", 2),
        fit("SESSION", 8),
        fit("RISK", 4),
        fit("FIRST SEEN", 11),
    ];
    if cols.last_seen {
        header.push(fit("LAST SEEN", 11));
    }
    if cols.duration {
        header.push(fit("DUR", 6));
    }
    header.extend([fit("EVENTS", 6), fit("IPS", 4)]);
    if cols.clients {
        header.push(fit("CL", 3));
    }
    if cols.user > 0 {
        header.push(fit("USER", cols.user));
    }
    header.push(fit("TOP REASON / OPERATIONS", cols.ops));
    let mut lines = vec![Line::from(format!(" {}", header.join(" "))).style(theme.dim())];

    let store = &app.store;
    let fmt = "%m-%d %H:%M";
    for (i, row) in f
        .session_rows
        .iter()
        .enumerate()
        .skip(follow(f.session_cursor, f.session_offset, height))
        .take(height)
    {
        let selected = i == f.session_cursor;
        let line = match *row {
            SessionRow::User(u, n) => {
                let text = format!(
                    "▸ {} ({n} session{})",
                    store.str(u),
                    if n == 1 { "" } else { "s" }
                );
                Line::from(fit(&text, width)).style(theme.heading())
            }
            SessionRow::Session(s) => {
                let session = &store.sessions[s];
                let verdict = app.verdict(s);
                let lane = session.has_id().then(|| app.lane(s));
                let style = theme.session(lane, verdict);
                let tag = match lane {
                    Some(l) => format!("{}{}", verdict_glyph(verdict), lane_tag(l)),
                    None => " -".into(),
                };
                let id = if session.has_id() {
                    store.str(session.id).chars().take(8).collect()
                } else {
                    "no-sess".to_string()
                };
                let risk = app.assessments.get(s);
                let mut cells = vec![
                    fit(&tag, 2),
                    fit(&id, 8),
                    fit(&risk.map_or(String::new(), |a| a.risk.to_string()), 4),
                    fit(&app.zone.format(session.first, fmt), 11),
                ];
                if cols.last_seen {
                    cells.push(fit(&app.zone.format(session.last, fmt), 11));
                }
                if cols.duration {
                    cells.push(fit(&short_duration(session.last - session.first), 6));
                }
                cells.extend([
                    fit(&session.events.len().to_string(), 6),
                    fit(&session.ips.len().to_string(), 4),
                ]);
                if cols.clients {
                    cells.push(fit(&session.clients.len().to_string(), 3));
                }
                if cols.user > 0 {
                    cells.push(fit(store.str(session.user), cols.user));
                }
                let note = app
                    .case
                    .as_ref()
                    .filter(|_| session.has_id())
                    .and_then(|c| c.note(store.str(session.id)));
                let ops = if let Some(shares) = f.notes.get(&s) {
                    shares.clone()
                } else if let Some(note) = note {
                    format!("“{note}”")
                } else if let Some(top) = risk
                    .and_then(|a| a.reasons.first())
                    .filter(|r| r.weight >= crate::analysis::ALARMING)
                {
                    format!("⚠ {}", top.text)
                } else if session.has_id() {
                    session
                        .operations
                        .iter()
                        .take(4)
                        .map(|&(op, n)| format!("{}×{n}", store.str(op)))
                        .collect::<Vec<_>>()
                        .join(" ")
                } else {
                    "no session ID: not tied to a logon".into()
                };
                cells.push(fit(&ops, cols.ops));
                Line::from(Span::styled(cells.join(" "), style))
            }
        };
        let mut line = line;
        line.spans
            .insert(0, Span::raw(if selected { ">" } else { " " }));
        lines.push(if selected {
            line.patch_style(theme.cursor())
        } else {
            line
        });
    }
    if f.session_rows.is_empty() {
        lines.push(Line::from("no sessions").style(Style::new()));
    }
    if with_births {
        // Pinned to the pane's last line, under however many rows the list has.
        while lines.len() < height + 1 {
            lines.push(Line::from(""));
        }
        let born = app.selected_session().map(|s| {
            let session = &store.sessions[s];
            match store.sign_ins_of(session) {
                (all, Some(b)) => format!(
                    "born {} ({} sign-in{})",
                    b.line(app.zone),
                    all.len(),
                    if all.len() == 1 { "" } else { "s" }
                ),
                _ => match session
                    .ips
                    .iter()
                    .map(|&ip| store.str(ip))
                    .find_map(|ip| store.geo.of(ip).map(|p| (ip, p)))
                {
                    Some((ip, place)) => format!("from {ip} · {}", place.line()),
                    None if session.has_id() => {
                        "born: no sign-in of this session was loaded".into()
                    }
                    None => "no session ID: no sign-in to join".into(),
                },
            }
        });
        lines.push(Line::from(fit(&born.unwrap_or_default(), width)).style(theme.heading()));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
