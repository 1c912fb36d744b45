//! The status bar: where you are (the pivot breadcrumb), counts, the zone, and the main keys,
//! taken from the keymap so the hints cannot drift from what the keys do.

use crate::text::fit;
use crate::tui::action::hints;
use crate::tui::app::{App, PromptKind};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub const NO_SESSION_NOTE: &str = "these actions have no session ID (legacy/basic auth or system): they cannot be tied to a logon session";

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let width = usize::from(area.width);
    let crumb = format!(" {}", app.breadcrumb());
    let case = match &app.case {
        Some(c) => format!(
            "case {} · ",
            c.path.file_name().unwrap_or_default().to_string_lossy()
        ),
        None => "no case file · ".into(),
    };
    let counts = format!(
        " {} events · {} sessions · ",
        app.store.events.len(),
        app.store.distinct_session_ids(),
    );
    // What the load lost stays in view, first on the line. What gives way when the line is
    // short: the counts first, then the case file, then the breadcrumb's end; never the loss
    // or the zone.
    let mut lost = if app.problems.lost_anything() {
        format!(" {}: ! for details ·", app.problems.summary())
    } else {
        String::new()
    };
    // A slice stays in view too: risk was judged within it, not over the whole tenant.
    let mut slice = Vec::new();
    if let Some(w) = app.window {
        slice.push(format!("{}..{}", short_time(w.from), short_time(w.to)));
    }
    if let Some(n) = &app.narrow {
        slice.extend(n.users.iter().cloned());
        slice.extend(n.sessions.iter().map(|s| format!("session {s}")));
        slice.extend(n.ips.iter().map(|ip| format!("IP {ip}")));
    }
    if !slice.is_empty() {
        lost.push_str(&format!(
            " slice {} (risk within it) ·",
            crate::sanitize::for_terminal(&slice.join(", "))
        ));
    }
    let zone = format!("{} ", app.zone.label());
    let lost_len = lost.chars().count();
    let fits = |right: &str| lost_len + crumb.chars().count() + right.chars().count() <= width;
    let right = [
        format!("{counts}{case}{zone}"),
        format!(" {case}{zone}"),
        format!(" {zone}"),
    ]
    .into_iter()
    .find(|r| fits(r))
    .unwrap_or_else(|| format!(" {zone}"));
    let lost = match lost.is_empty() {
        true => lost,
        false => fit(&lost, width.saturating_sub(right.chars().count()))
            .trim_end()
            .to_string(),
    };
    let left_width = width.saturating_sub(right.chars().count() + lost.chars().count());
    let crumb = fit(&crumb, left_width);
    let top = Line::from(vec![
        Span::styled(lost, theme.warning()),
        Span::styled(crumb, theme.heading()),
        Span::styled(right, theme.dim()),
    ]);
    let no_session_selected = app
        .selected_session()
        .is_some_and(|s| !app.store.sessions[s].has_id());
    let bottom = match &app.prompt {
        Some(p) => {
            let label = match p.kind {
                PromptKind::Search => {
                    let search = app.search.as_ref();
                    let (scope, narrower) = app.search_scope(search.is_some_and(|s| s.other_scope));
                    let wider = match search.and_then(|s| s.wider_total) {
                        Some(n) if n > 0 => format!("; {n} by every user"),
                        _ => String::new(),
                    };
                    let tab = if narrower.is_some() {
                        "Tab widens, "
                    } else {
                        "Tab narrows, "
                    };
                    format!(
                        " /{}▏  ({scope}{wider}; {tab}Enter jumps, Esc cancels)",
                        p.text
                    )
                }
                PromptKind::Note { .. } => {
                    format!(" note: {}▏  (Enter saves, Esc cancels)", p.text)
                }
                PromptKind::Command { .. } => {
                    format!(
                        " :{}▏  (type to filter, Up/Down, Enter runs, Esc closes)",
                        p.text
                    )
                }
            };
            Line::from(Span::styled(fit(&label, width), theme.heading()))
        }
        None => match &app.message {
            Some(m) => Line::from(Span::styled(fit(&format!(" {m}"), width), theme.warning())),
            None if app.scoring() => Line::from(Span::styled(
                fit(
                    " risk is being scored in the background; everything else works now",
                    width,
                ),
                theme.dim(),
            )),
            None if no_session_selected => Line::from(Span::styled(
                fit(&format!(" {NO_SESSION_NOTE}"), width),
                theme.warning(),
            )),
            None => Line::from(Span::styled(
                fit(&format!(" {}", hints()), width),
                theme.dim(),
            )),
        },
    };
    frame.render_widget(Paragraph::new(vec![top, bottom]), area);
}

/// `2024-03-12 04:00`, or the day alone at midnight; the ends of the open window as words.
fn short_time(t: i64) -> String {
    match t {
        i64::MIN => "start".into(),
        i64::MAX => "end".into(),
        t => {
            let s = crate::time::rfc3339(t).replace('T', " ");
            let s = s.trim_end_matches('Z');
            s.strip_suffix(" 00:00:00")
                .map(str::to_string)
                .unwrap_or_else(|| s[..16.min(s.len())].to_string())
        }
    }
}
