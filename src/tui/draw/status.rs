//! The status bar: where you are (the pivot breadcrumb), counts, the zone, and the main keys,
//! taken from the keymap so the hints cannot drift from what the keys do.

use crate::store::Facet;
use crate::text::fit;
use crate::tui::action::{Action, key_of};
use crate::tui::app::App;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub const NO_SESSION_NOTE: &str = "these actions have no session ID (legacy/basic auth or system): they cannot be tied to a logon session";

pub fn hints() -> String {
    let k = key_of;
    format!(
        "{} drill  {} back  {}/{}/{}/{}/{}/{} pivot session/IP/person/client/op/mailbox  {} narrow  {} help  {} quit",
        k(Action::Enter),
        k(Action::Back),
        k(Action::Pivot(Facet::Session)),
        k(Action::Pivot(Facet::Ip)),
        k(Action::Pivot(Facet::User)),
        k(Action::Pivot(Facet::Client)),
        k(Action::Pivot(Facet::Operation)),
        k(Action::Pivot(Facet::Target)),
        k(Action::NarrowToSession),
        k(Action::Help),
        k(Action::Quit),
    )
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let width = usize::from(area.width);
    let crumb = format!(" {}", app.breadcrumb());
    let counts = format!(
        " {} events · {} sessions · {} ",
        app.store.events.len(),
        app.store.distinct_session_ids(),
        app.zone.label()
    );
    // The breadcrumb matters more than the counts: they give way first, the zone never.
    let right = if crumb.chars().count() + counts.chars().count() <= width {
        counts
    } else {
        format!(" {} ", app.zone.label())
    };
    let left_width = width.saturating_sub(right.chars().count());
    let crumb = fit(&crumb, left_width);
    let top = Line::from(vec![
        Span::styled(crumb, theme.heading()),
        Span::styled(right, theme.dim()),
    ]);
    let no_session_selected = app
        .selected_session()
        .is_some_and(|s| !app.store.sessions[s].has_id());
    let bottom = match &app.message {
        Some(m) => Line::from(Span::styled(fit(&format!(" {m}"), width), theme.warning())),
        None if no_session_selected => Line::from(Span::styled(
            fit(&format!(" {NO_SESSION_NOTE}"), width),
            theme.warning(),
        )),
        None => Line::from(Span::styled(
            fit(&format!(" {}", hints()), width),
            theme.dim(),
        )),
    };
    frame.render_widget(Paragraph::new(vec![top, bottom]), area);
}
