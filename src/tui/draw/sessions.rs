//! The session list, grouped by user.

use super::pane_block;
use crate::text::fit;
use crate::time::short_duration;
use crate::tui::app::{App, SessionRow};
use crate::tui::scroll::follow;
use crate::tui::theme::{Theme, lane_tag, verdict_glyph};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

struct Columns {
    clients: bool,
    last_and_user: bool,
    ops: usize,
}

fn columns(width: usize) -> Columns {
    // tag, id, risk, first seen, duration, events, IPs and the spaces between them.
    let base = 2 + 8 + 4 + 11 + 6 + 6 + 4 + 7;
    let clients = width >= base + 4 + 12;
    let last_and_user = width >= 100;
    let used = base + if clients { 4 } else { 0 } + if last_and_user { 12 + 21 } else { 0 };
    Columns {
        clients,
        last_and_user,
        ops: width.saturating_sub(used),
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme, focused: bool) {
    let f = app.frame();
    let title = format!("Sessions ({}, S: by {})", f.session_count, app.sort.label());
    let block = pane_block(title, app, theme, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let cols = columns(width);
    let with_births = !app.store.signins.is_empty() || !app.store.geo.is_empty();
    let height = usize::from(inner.height.saturating_sub(1 + u16::from(with_births)));

    let mut header = vec![
        fit("", 2),
        fit("SESSION", 8),
        fit("RISK", 4),
        fit("FIRST SEEN", 11),
    ];
    if cols.last_and_user {
        header.push(fit("LAST SEEN", 11));
    }
    header.extend([fit("DUR", 6), fit("EVENTS", 6), fit("IPS", 4)]);
    if cols.clients {
        header.push(fit("CL", 3));
    }
    if cols.last_and_user {
        header.push(fit("USER", 20));
    }
    header.push(fit("TOP REASON / OPERATIONS", cols.ops));
    let mut lines = vec![Line::from(header.join(" ")).style(theme.dim())];

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
                if cols.last_and_user {
                    cells.push(fit(&app.zone.format(session.last, fmt), 11));
                }
                cells.extend([
                    fit(&short_duration(session.last - session.first), 6),
                    fit(&session.events.len().to_string(), 6),
                    fit(&session.ips.len().to_string(), 4),
                ]);
                if cols.clients {
                    cells.push(fit(&session.clients.len().to_string(), 3));
                }
                if cols.last_and_user {
                    cells.push(fit(store.str(session.user), 20));
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
