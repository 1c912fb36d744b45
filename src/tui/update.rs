//! `update(&mut App, Action)`: every change of the view-model goes through here.

use super::action::Action;
use super::app::{App, Frame, Pane, Prompt, PromptKind, Scope, SearchState, SessionRow, Verdict};
use super::detail;
use super::pivot_job::PivotJob;
use super::scroll;
use super::search_job::SearchJob;
use crate::intern::Sym;
use crate::store::Facet;
use std::sync::Arc;

pub fn update(app: &mut App, action: Action) {
    app.message = None;
    if action == Action::Suspend {
        app.suspend = true;
        return;
    }
    if app.prompt.is_some() {
        prompt(app, action);
        return;
    }
    if app.show_help {
        let max = help_max(app);
        if overlay(action, &mut app.help_scroll, max, Action::Help) {
            app.show_help = false;
        }
        app.quit |= action == Action::Quit;
        return;
    }
    if app.show_problems {
        let max = super::draw::problems::max_scroll(app, app.viewport);
        if overlay(action, &mut app.problems_scroll, max, Action::Problems) {
            app.show_problems = false;
        }
        app.quit |= action == Action::Quit;
        return;
    }
    match action {
        Action::Quit => app.quit = true,
        Action::Help => {
            app.show_help = true;
            app.help_scroll = 0;
        }
        Action::Problems if app.problems.lines.is_empty() => {
            app.message = Some("every record of every file was read".into());
        }
        Action::Problems => {
            app.show_problems = true;
            app.problems_scroll = 0;
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
        Action::PivotAsn => pivot_asn(app),
        Action::NarrowToSession => narrow(app),
        Action::Copy => copy(app),
        Action::MarkAttacker => mark(app, Some(Verdict::Attacker)),
        Action::MarkUser => mark(app, Some(Verdict::User)),
        Action::ClearVerdict => mark(app, None),
        Action::EditNote => edit_note(app),
        Action::Search => open_search(app),
        Action::Commands => {
            app.prompt = Some(Prompt {
                kind: PromptKind::Command { selected: 0 },
                text: String::new(),
            });
        }
        Action::Undo => undo(app),
        Action::CopyQuery => copy_query(app),
        Action::NextHit => step_hit(app, true),
        Action::PrevHit => step_hit(app, false),
        Action::Linked => linked(app),
        Action::WriteReport => write_report(app),
        // Taken before any mode above.
        Action::Suspend => app.suspend = true,
        Action::Input(_)
        | Action::Backspace
        | Action::Confirm
        | Action::Cancel
        | Action::ToggleScope => {}
    }
}

/// The session the verdict keys act on, or a message saying why there is none.
fn markable_session(app: &mut App) -> Option<usize> {
    let Some(s) = app.target_session() else {
        app.message = Some("select a session (or an action of one) first".into());
        return None;
    };
    if !app.store.sessions[s].has_id() {
        app.message =
            Some("activity without a session ID cannot be marked: it is not one logon".into());
        return None;
    }
    Some(s)
}

/// Saves a change to session `s` in the case file and says how it went in the status line.
/// `change` returns what to say on success.
fn save_to_case(
    app: &mut App,
    s: usize,
    change: impl FnOnce(&mut crate::case::Case, &str, &str) -> Result<String, crate::case::CaseError>,
) {
    let store = Arc::clone(&app.store);
    let session = &store.sessions[s];
    let (id, user) = (store.str(session.id), store.str(session.user));
    let Some(case) = app.case.as_mut() else {
        app.message = Some("no case file is open: nothing can be saved".into());
        return;
    };
    let before = case.entry(id).cloned();
    app.message = Some(match change(case, id, user) {
        Ok(said) => {
            app.undo.push(super::app::Undo { session: s, before });
            format!("{said} · saved to {}", case.path.display())
        }
        Err(e) => format!("NOT SAVED: {e}"),
    });
    after_case_change(app);
}

/// `u`: puts the session of the last verdict or note change back as it was, saved.
fn undo(app: &mut App) {
    let Some(step) = app.undo.pop() else {
        app.message = Some("nothing to undo: no verdict or note was changed in this run".into());
        return;
    };
    let store = Arc::clone(&app.store);
    let session = &store.sessions[step.session];
    let (id, user) = (store.str(session.id), store.str(session.user));
    let Some(case) = app.case.as_mut() else {
        return;
    };
    let short: String = id.chars().take(8).collect();
    let back_to = match step.before.as_ref().and_then(|e| e.verdict) {
        Some(v) => format!("marked {}", v.label()),
        None => "no verdict".into(),
    };
    app.message = Some(match case.restore_entry(id, user, step.before) {
        Ok(()) => format!(
            "undone: {short} is back to {back_to} · saved to {}",
            case.path.display()
        ),
        Err(e) => {
            // Not undone: it can be tried again.
            app.undo.push(super::app::Undo {
                session: step.session,
                before: case.entry(id).cloned(),
            });
            format!("NOT UNDONE: {e}")
        }
    });
    after_case_change(app);
}

/// What follows any change of the case file: the drawn verdicts, the risk when the baseline
/// changed, the detail.
fn after_case_change(app: &mut App) {
    let users_before = users_own_sessions(app);
    app.sync_verdicts();
    // Only sessions marked user change the risk (they become their account's baseline): a
    // note or an attacker verdict is drawn at once and scores nothing. A new baseline is
    // scored in the background; the list takes the new risk when it is in.
    if users_own_sessions(app) != users_before {
        app.rescore();
    }
    rebuild_detail(app);
}

/// The sessions marked user: the baseline the analysis compares each account's sessions with.
fn users_own_sessions(app: &App) -> Vec<Sym> {
    let mut marked: Vec<_> = app
        .verdicts
        .iter()
        .filter(|(_, v)| **v == Verdict::User)
        .map(|(id, _)| *id)
        .collect();
    marked.sort_unstable();
    marked
}

fn mark(app: &mut App, verdict: Option<Verdict>) {
    // On the lane of a session's other networks, the keys mark that part alone.
    if let Some((s, networks)) = app.target_part() {
        save_to_case(app, s, |case, id, user| {
            case.set_network_verdict(id, user, &networks, verdict)?;
            let short: String = id.chars().take(8).collect();
            let part = format!("{short}'s part from {} other networks", networks.len());
            Ok(match verdict {
                Some(v) => format!("{part} marked {}", v.label()),
                None => format!("{part}: verdict cleared"),
            })
        });
        return;
    }
    let Some(s) = markable_session(app) else {
        return;
    };
    save_to_case(app, s, |case, id, user| {
        case.set_verdict(id, user, verdict)?;
        let short: String = id.chars().take(8).collect();
        Ok(match verdict {
            Some(v) => format!("{short} marked {}", v.label()),
            None => format!("{short}: verdict cleared"),
        })
    });
}

fn edit_note(app: &mut App) {
    let Some(s) = markable_session(app) else {
        return;
    };
    let id = app.store.str(app.store.sessions[s].id).to_string();
    let text = app
        .case
        .as_ref()
        .and_then(|c| c.note(&id))
        .unwrap_or_default()
        .to_string();
    app.prompt = Some(Prompt {
        kind: PromptKind::Note { session: s },
        text,
    });
}

/// Keys while a prompt is open.
fn prompt(app: &mut App, action: Action) {
    let Some(p) = app.prompt.as_mut() else { return };
    let is_search = p.kind == PromptKind::Search;
    if let PromptKind::Command { selected } = &mut p.kind {
        let shown = super::action::commands(&p.text).len();
        match action {
            Action::Input(_) | Action::Backspace => *selected = 0,
            Action::Up => *selected = selected.saturating_sub(1),
            Action::Down => *selected = (*selected + 1).min(shown.saturating_sub(1)),
            _ => {}
        }
    }
    match action {
        Action::Quit => app.quit = true,
        Action::Input(c) => {
            p.text.push(c);
            if is_search {
                run_search(app);
            }
        }
        Action::Backspace => {
            p.text.pop();
            if is_search {
                run_search(app);
            }
        }
        Action::ToggleScope if is_search => {
            if let Some(s) = app.search.as_mut() {
                s.other_scope = !s.other_scope;
            }
            run_search(app);
        }
        Action::Up | Action::Down if is_search => {
            if let Some(s) = app.search.as_mut() {
                let n = s.results.hits.len();
                if n > 0 {
                    s.selected = if action == Action::Down {
                        (s.selected + 1).min(n - 1)
                    } else {
                        s.selected.saturating_sub(1)
                    };
                }
            }
        }
        Action::Cancel => {
            app.prompt = None;
            if is_search {
                app.search_job = None;
                app.search = None;
            }
        }
        Action::Confirm => {
            let p = app.prompt.take().expect("prompt is open");
            match p.kind {
                PromptKind::Search => jump_to_selected_hit(app),
                PromptKind::Note { session } => save_note(app, session, &p.text),
                PromptKind::Command { selected } => {
                    match super::action::commands(&p.text).get(selected) {
                        Some(b) => update(app, b.action),
                        None => app.message = Some("no action has that name".into()),
                    }
                }
            }
        }
        _ => {}
    }
}

fn save_note(app: &mut App, s: usize, note: &str) {
    save_to_case(app, s, |case, id, user| {
        case.set_note(id, user, note)?;
        Ok("note saved".to_string())
    });
}

/// How many hits a search keeps ranked (the count of all matches is kept too).
const SEARCH_LIMIT: usize = 5000;

fn open_search(app: &mut App) {
    let text = app
        .search
        .as_ref()
        .map(|s| s.query.clone())
        .unwrap_or_default();
    let other_scope = app.search.as_ref().is_some_and(|s| s.other_scope);
    app.search = Some(SearchState::new(
        text.clone(),
        other_scope,
        Default::default(),
    ));
    app.prompt = Some(Prompt {
        kind: PromptKind::Search,
        text,
    });
    run_search(app);
}

fn run_search(app: &mut App) {
    let Some(query) = app.prompt.as_ref().map(|p| p.text.clone()) else {
        return;
    };
    // A newer keystroke: the search of the older text is no longer wanted.
    app.search_job = None;
    let searcher = Arc::clone(
        app.searcher
            .get_or_insert_with(|| Arc::new(crate::search::Searcher::new(&app.store))),
    );
    let other_scope = app.search.as_ref().is_some_and(|s| s.other_scope);
    let (_, scope) = app.search_scope(other_scope);
    let size = scope.as_ref().map_or(app.store.events.len(), Vec::len);
    if size < app.search_background_at || query.trim().is_empty() {
        let results = searcher.search(&app.store, &query, scope.as_deref(), SEARCH_LIMIT);
        let wider_total = searcher.wider_total(&app.store, &query, &results, scope.is_some());
        let mut state = SearchState::new(query, other_scope, results);
        state.wider_total = wider_total;
        app.search = Some(state);
        return;
    }
    let mut state = SearchState::new(query.clone(), other_scope, Default::default());
    state.searched = Some((0, size));
    app.search = Some(state);
    let store = Arc::clone(&app.store);
    app.search_job = Some(SearchJob::start(
        store,
        searcher,
        query,
        scope,
        SEARCH_LIMIT,
    ));
}

fn jump_to_selected_hit(app: &mut App) {
    let Some(hit) = app
        .search
        .as_ref()
        .and_then(|s| s.results.hits.get(s.selected).copied())
    else {
        app.message = Some("no match".into());
        return;
    };
    jump_to_event(app, hit.event);
    if let Some(s) = &app.search {
        app.message = Some(format!(
            "hit {}/{} for \"{}\" (n/N: next/previous)",
            s.selected + 1,
            s.results.hits.len(),
            s.query
        ));
    }
}

/// Shows `event` in a timeline: here if the current timeline has it, else in its session's
/// (or, without a session, its user's) timeline, pushed as a pivot.
fn jump_to_event(app: &mut App, event: u32) {
    app.detail = None;
    if app.frame().narrowed_to.is_some() && !app.timeline_rows().contains(&event) {
        app.frame_mut().narrowed_to = None;
        app.refresh_timeline();
    }
    if let Some(pos) = app.timeline_rows().iter().position(|&e| e == event) {
        app.frame_mut().timeline_cursor = pos;
        app.frame_mut().focus = Pane::Timeline;
        app.keep_timeline_cursor_visible();
        return;
    }
    let e = app.store.events[event as usize];
    let (facet, value) = if e.session.is_empty() {
        (Facet::User, e.user)
    } else {
        (Facet::Session, e.session)
    };
    push_pivot(app, facet, value, Some(event));
}

fn step_hit(app: &mut App, forward: bool) {
    let Some(s) = app.search.as_mut() else {
        app.message = Some(format!(
            "no search yet: {} searches",
            super::action::key_of(Action::Search)
        ));
        return;
    };
    let n = s.results.hits.len();
    if n == 0 {
        app.message = Some("no match".into());
        return;
    }
    s.selected = if forward {
        (s.selected + 1) % n
    } else {
        (s.selected + n - 1) % n
    };
    jump_to_selected_hit(app);
}

fn linked(app: &mut App) {
    let store = Arc::clone(&app.store);
    let attackers: Vec<usize> = (0..store.sessions.len())
        .filter(|&s| app.verdict(s) == Some(Verdict::Attacker))
        .collect();
    if attackers.is_empty() {
        app.message = Some(format!(
            "mark a session attacker first ({}), then {} lists the sessions linked to it",
            super::action::key_of(Action::MarkAttacker),
            super::action::key_of(Action::Linked)
        ));
        return;
    }
    let links = crate::linked::linked_sessions(&store, &attackers);
    if links.is_empty() {
        app.message =
            Some("no other session shares an IP, client or token with the attacker".into());
        return;
    }
    let mut events: Vec<u32> = links
        .iter()
        .flat_map(|l| store.sessions[l.session].events.iter().copied())
        .collect();
    events.sort_unstable();
    // Strongest link first, rather than grouped by user.
    let rows = links
        .iter()
        .map(|l| SessionRow::Session(l.session))
        .collect();
    let mut frame = Frame::new(Scope::Linked, events, rows, links.len());
    frame.notes = links
        .iter()
        .map(|l| {
            let note = if l.same_place_and_time() && l.account {
                format!(
                    "⚠ {} from the attacker, same IP and client: {}",
                    crate::time::short_duration(l.gap),
                    l.describe(&store)
                )
            } else {
                format!("shares {}", l.describe(&store))
            };
            (l.session, note)
        })
        .collect();
    app.detail = None;
    app.stack.push(frame);
    app.refresh_timeline();
    app.select_session_row(0);
    let weak = links.iter().filter(|l| l.strength() == 0).count();
    app.message = Some(format!(
        "{} session(s) share an IP, client or token with {} attacker session(s); \
         {weak} more share only values most accounts use (listed last)",
        links.len() - weak,
        attackers.len()
    ));
}

fn write_report(app: &mut App) {
    let report = crate::report::build(
        &app.store,
        app.case.as_ref(),
        app.input_evidence(),
        Some(&app.assessments),
    );
    if report.attacker_sessions.is_empty() {
        app.message = Some("no session is marked attacker: nothing to report".into());
        return;
    }
    let Some(case) = &app.case else {
        app.message = Some("no case file is open".into());
        return;
    };
    let first = crate::case::report_path(&case.path);
    app.message = Some(
        match crate::case::write_new_report(&case.path, &crate::report::markdown(&report)) {
            Ok(path) => format!(
                "report written: {}{} ({} attacker session(s), {} remediation item(s))",
                path.display(),
                if path == first {
                    String::new()
                } else {
                    format!("; {} was there already and is kept", first.display())
                },
                report.attacker_sessions.len(),
                report.remediation.len()
            ),
            Err(e) => format!("report NOT written beside {}: {e}", first.display()),
        },
    );
}

/// A key in a scrolling overlay (help, problems): moves `scroll` within `max`; true when the
/// key closes the overlay (Esc, Enter, or the key that opened it).
fn overlay(action: Action, scroll: &mut usize, max: usize, opened_by: Action) -> bool {
    match action {
        Action::Back | Action::Enter => return true,
        a if a == opened_by => return true,
        Action::Down => *scroll = (*scroll + 1).min(max),
        Action::PageDown => *scroll = (*scroll + 10).min(max),
        Action::Bottom => *scroll = max,
        Action::Up => *scroll = scroll.saturating_sub(1),
        Action::PageUp => *scroll = scroll.saturating_sub(10),
        Action::Top => *scroll = 0,
        _ => {}
    }
    false
}

/// How far help can scroll at the current screen height.
fn help_max(app: &App) -> usize {
    super::draw::help::max_scroll(app.viewport.1)
}

fn page(app: &App) -> usize {
    app.list_rows(app.frame().focus).max(1)
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

fn move_cursor(app: &mut App, delta: isize) {
    match focus(app) {
        Pane::Sessions => {
            let f = app.frame();
            let mut row = clamp_step(f.session_cursor, delta, f.session_rows.len());
            // Skip user headings when stepping one row, so j/k land on sessions.
            if delta.abs() == 1
                && matches!(f.session_rows.get(row), Some(SessionRow::User(..)))
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
            let height = app.list_rows(Pane::Timeline);
            let f = app.frame_mut();
            f.timeline_cursor = clamp_step(f.timeline_cursor, delta, len);
            f.timeline_offset = scroll::follow(f.timeline_cursor, f.timeline_offset, height);
        }
        Pane::Detail => {
            if let Some(d) = &mut app.detail {
                let max = d.lines.len().saturating_sub(1);
                d.scroll = (d.scroll as isize + delta).clamp(0, max as isize) as usize;
            }
        }
    }
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
                app.keep_timeline_cursor_visible();
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
    app.verdict(s).map(|v| v.label())
}

fn session_note(app: &App, event: u32) -> Option<String> {
    let e = &app.store.events[event as usize];
    let case = app.case.as_ref()?;
    case.note(app.store.str(e.session)).map(str::to_string)
}

fn detail_of(app: &App, event: u32) -> detail::DetailView {
    let note = session_note(app, event);
    detail::build(
        &app.store,
        &app.sources,
        event,
        app.zone,
        verdict_label(app, event),
        note.as_deref(),
        &app.assessments,
    )
}

fn open_detail(app: &mut App, event: u32) {
    app.detail = Some(detail_of(app, event));
    app.frame_mut().focus = Pane::Detail;
}

/// After a verdict, note or zone change: the same action, the same scroll, fresh text.
fn rebuild_detail(app: &mut App) {
    if let Some((event, scroll)) = app.detail.as_ref().map(|d| (d.event, d.scroll)) {
        let mut view = detail_of(app, event);
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
        let depth = app.stack.len();
        app.pivot_jobs.retain(|job| job.depth < depth);
        app.refresh_timeline();
        return;
    }
    if app.frame().narrowed_to.is_some() {
        app.frame_mut().narrowed_to = None;
        app.refresh_timeline();
        return;
    }
    // A user's timeline opened from the list: back to the list.
    if app.frame().focus != Pane::Sessions {
        app.frame_mut().focus = Pane::Sessions;
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
                Some(SessionRow::User(u, _)) if facet == Facet::User => (*u, None),
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

/// Every action from an IP of the selection's IP's autonomous system.
fn pivot_asn(app: &mut App) {
    let (ip, from_event) = pivot_value(app, Facet::Ip);
    let store = Arc::clone(&app.store);
    if ip.is_empty() {
        app.message = Some("nothing to pivot on: the selection has no IP".into());
        return;
    }
    let Some(asn) = store.geo.of(store.str(ip)).and_then(|p| p.asn) else {
        app.message = Some(format!(
            "the network owner (ASN) of {} is not known: load sign-ins beside the audit export, or give --ip-db",
            store.str(ip)
        ));
        return;
    };
    let mut ips: Vec<Sym> = store
        .sessions
        .iter()
        .flat_map(|s| s.ips.iter().copied())
        .filter(|&i| store.geo.of(store.str(i)).and_then(|p| p.asn) == Some(asn))
        .collect();
    ips.sort_unstable();
    ips.dedup();
    let mut events: Vec<u32> = ips
        .iter()
        .flat_map(|&i| store.events_with(Facet::Ip, i).into_owned())
        .collect();
    events.sort_unstable();
    push_frame(app, Scope::Asn(asn), events, from_event);
}

fn push_pivot(app: &mut App, facet: Facet, value: Sym, keep_event: Option<u32>) {
    let store = Arc::clone(&app.store);
    if store.needs_scan(facet) && store.events.len() >= app.pivot_background_at {
        // Reading every action takes longer than a keystroke may: the pivot shows at once
        // and its timeline fills in as the reading goes.
        push_frame(app, Scope::Pivot(facet, value), Vec::new(), None);
        app.frame_mut().finding = Some((0, store.events.len()));
        let depth = app.stack.len() - 1;
        let chunk = app.pivot_chunk;
        let job = PivotJob::start(store, facet, value, depth, keep_event, chunk);
        app.pivot_jobs.push(job);
        return;
    }
    let events = store.events_with(facet, value).into_owned();
    push_frame(app, Scope::Pivot(facet, value), events, keep_event);
}

fn push_frame(app: &mut App, scope: Scope, events: Vec<u32>, keep_event: Option<u32>) {
    let frame = app.make_frame(scope, events);
    app.detail = None;
    app.stack.push(frame);
    app.refresh_timeline();
    // Stay on the action we pivoted from, and select its session in the list.
    let row = keep_event.and_then(|e| app.timeline_rows().binary_search(&e).ok());
    app.stay_on_row(row.unwrap_or(0));
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
        app.keep_timeline_cursor_visible();
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
    app.keep_timeline_cursor_visible();
}

fn cycle_sort(app: &mut App) {
    app.sort = app.sort.next();
    app.ensure_order();
    let selected = app.selected_session();
    for i in 0..app.stack.len() {
        if app.stack[i].scope == Scope::Linked {
            // Its list is in order of link strength, not of the sort.
            continue;
        }
        let events = std::mem::take(&mut app.stack[i].events);
        let mut rebuilt = app.make_frame(app.stack[i].scope, events);
        let old = &app.stack[i];
        rebuilt.narrowed_to = old.narrowed_to;
        rebuilt.finding = old.finding;
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
    app.keep_session_cursor_visible();
    app.message = Some(format!("sessions sorted by {}", app.sort.label()));
}

/// `Q`: the KQL that pulls what the view shows from Sentinel: a pivot's value (session,
/// user, IP), or at the start the selected session, within the load's time window.
fn copy_query(app: &mut App) {
    use sessionscope_ingest::tree::Narrow;
    let store = Arc::clone(&app.store);
    // From L: a hunt for the attacker's IPs, clients and tokens across the tenant.
    if app.frame().scope == Scope::Linked {
        let mut ind = crate::query::Indicators::default();
        for (s, session) in store.sessions.iter().enumerate() {
            if app.verdict(s) != Some(Verdict::Attacker) {
                continue;
            }
            for (list, values) in [
                (&mut ind.ips, &session.ips),
                (&mut ind.clients, &session.clients),
                (&mut ind.tokens, &session.tokens),
            ] {
                for &v in values {
                    let v = store.str(v).to_string();
                    if !v.is_empty() && !list.contains(&v) {
                        list.push(v);
                    }
                }
            }
        }
        match crate::query::hunt(&ind, app.window) {
            Ok(q) => {
                app.message = Some(format!(
                    "copied the KQL hunt for the attacker's {} IP(s), {} client(s), {} token(s)",
                    ind.ips.len(),
                    ind.clients.len(),
                    ind.tokens.len()
                ));
                app.clipboard = Some(q);
            }
            Err(why) => app.message = Some(why),
        }
        return;
    }
    let one = |v: crate::intern::Sym| vec![store.str(v).to_string()];
    let narrow = match app.frame().scope {
        Scope::Pivot(Facet::Session, v) => Narrow::new(&[], &one(v), &[]),
        Scope::Pivot(Facet::User, v) => Narrow::new(&one(v), &[], &[]),
        Scope::Pivot(Facet::Ip, v) => Narrow::new(&[], &[], &one(v)),
        _ => match app.selected_session().map(|s| &store.sessions[s]) {
            Some(s) if s.has_id() => Narrow::new(&[], &one(s.id), &[]),
            Some(s) => Narrow::new(&one(s.user), &[], &[]),
            None => Narrow::default(),
        },
    };
    match crate::query::query(crate::query::Dialect::Kql, &narrow, app.window) {
        Ok(q) => {
            app.message = Some(format!(
                "copied the KQL for {} ({} lines)",
                [&narrow.sessions, &narrow.users, &narrow.ips]
                    .iter()
                    .flat_map(|v| v.iter())
                    .next()
                    .map_or("this view", String::as_str),
                q.lines().count()
            ));
            app.clipboard = Some(q);
        }
        Err(_) => {
            app.message =
                Some("no session, user or IP here to query: select a session or pivot".into());
        }
    }
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
