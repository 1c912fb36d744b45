//! Search results while typing: the best matches in time order, each with its time, user,
//! session and operation, the cursor on the best one, matched characters highlighted.

use crate::sanitize::for_terminal;
use crate::search::Field;
use crate::text::fit;
use crate::tui::app::App;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(search) = &app.search else { return };
    let height = area.height.saturating_sub(4).max(3);
    let popup = Rect::new(
        area.x,
        area.y + 1,
        area.width,
        height.min(area.height.saturating_sub(3)),
    );
    let (scope, _) = app.search_scope(search.other_scope);
    let wider = match search.wider_total {
        Some(n) if n > 0 => format!(" · {n} by every user (Tab)"),
        _ => String::new(),
    };
    // A search still running says how far it has come: the count grows as it goes.
    let wider = match search.searched {
        Some((done, of)) => format!("{wider} so far, {}% searched", super::percent(done, of)),
        None => wider,
    };
    let title = format!(
        " Search \"{}\" · {} match{} ({scope}){wider} ",
        for_terminal(&search.query),
        search.results.total,
        if search.results.total == 1 { "" } else { "es" }
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(theme.border(true));
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    let rows = usize::from(inner.height);
    let width = usize::from(inner.width);
    let offset = search.selected.saturating_sub(rows.saturating_sub(1));
    let store = &app.store;
    let searcher = app.searcher.as_ref();
    let mut lines = Vec::new();
    for (i, hit) in search
        .results
        .hits
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows)
    {
        let e = &store.events[hit.event as usize];
        // When, who, which session, what; then the field that matched.
        let session: String = if e.session.is_empty() {
            "no-sess".into()
        } else {
            store.str(e.session).chars().take(8).collect()
        };
        let (user_width, op_width) = if width >= 120 { (26, 18) } else { (16, 14) };
        let prefix = format!(
            "{}{} {} {:<8} {} ",
            if i == search.selected { ">" } else { " " },
            app.zone.format(i64::from(e.time), "%m-%d %H:%M"),
            fit(store.str(e.user), user_width),
            session,
            fit(store.str(e.operation), op_width)
        );
        // The field that matched, with its matched characters highlighted.
        let mut text = for_terminal(store.str(hit.field.of(e))).into_owned();
        if hit.field == Field::Operation && !e.summary.is_empty() {
            // The operation is already in the row: show what it did instead, after the match.
            text = format!("{text} · {}", for_terminal(store.str(e.summary)));
        }
        let label = if hit.field == Field::Operation || hit.field == Field::Summary {
            String::new()
        } else {
            format!("{}: ", hit.field.label())
        };
        let room = width.saturating_sub(prefix.chars().count() + label.chars().count());
        let marks = searcher
            .map(|s| s.highlight(&text, &search.query))
            .unwrap_or_default();
        let mut spans = vec![Span::raw(prefix), Span::styled(label, theme.dim())];
        for (ci, c) in text.chars().take(room).enumerate() {
            let style = if marks.contains(&ci) {
                theme.heading().add_modifier(Modifier::UNDERLINED)
            } else {
                ratatui::style::Style::new()
            };
            spans.push(Span::styled(c.to_string(), style));
        }
        let mut line = Line::from(spans);
        if i == search.selected {
            line = line.patch_style(theme.cursor());
        }
        lines.push(line);
    }
    if search.results.hits.is_empty() {
        lines.push(Line::from(if search.query.trim().is_empty() {
            "type to search operations, summaries, targets, IPs, clients, users"
        } else {
            "no match"
        }));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
