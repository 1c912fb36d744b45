//! The investigator's screen, driven by actions and read back from a TestBackend buffer at
//! 80x24 and 160x48. No terminal needed.

mod common;
use common::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use sessionscope::store::Facet;
use sessionscope::tui::app::Verdict;
use sessionscope::tui::{Action, App, draw, update};
use std::sync::Arc;

fn app(files: &[&str], size: (u16, u16)) -> App {
    let paths: Vec<_> = files.iter().map(|f| fixture(f)).collect();
    let (store, sources, _) = load_with_sources(&paths);
    let mut app = App::new(Arc::new(store)).with_sources(Arc::new(sources));
    app.viewport = size;
    app.colour = true;
    app
}

fn render(app: &App) -> (Vec<String>, ratatui::buffer::Buffer) {
    let (w, h) = app.viewport;
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    let lines = (0..h)
        .map(|y| {
            (0..w)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect();
    (lines, buf)
}

fn screen(app: &App) -> String {
    render(app).0.join("\n")
}

fn press(app: &mut App, actions: &[Action]) {
    for &a in actions {
        update(app, a);
    }
}

/// Marks the seed's sessions, attacker and user, in the view-model only.
fn mark_seed_sessions(app: &mut App) {
    for (id, v) in [
        (ATTACKER_SESSION, Verdict::Attacker),
        (USER_SESSION, Verdict::User),
    ] {
        let sym = app.store.lookup(id).unwrap();
        app.verdicts.insert(sym, v);
    }
}

/// The open detail view's lines, each as its debug form (kind and text).
fn detail_lines(app: &App) -> Vec<String> {
    app.detail
        .as_ref()
        .unwrap()
        .lines
        .iter()
        .map(|l| format!("{l:?}"))
        .collect()
}

/// The row (y) of the first screen line containing `text`.
fn row_of(lines: &[String], text: &str) -> Option<usize> {
    lines.iter().position(|l| l.contains(text))
}

#[test]
fn first_screen_on_the_seed_fixture_at_80x24() {
    let app = app(&["seed/first-table.csv"], (80, 24));
    let (lines, _) = render(&app);
    assert_eq!(lines.len(), 24);
    assert!(
        lines[0].starts_with("┌ Sessions (2, riskiest first; S: order)"),
        "{}",
        lines[0]
    );
    // Riskiest first, each row naming its user; the cursor's row marked.
    assert!(
        lines[2].contains("│> B 12bce6d0 100  03-12 04:35 4      1    alex.wilber@con…"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].contains("│  A bdcea574 15   03-12 03:42 2      1    alex.wilber@con…"),
        "{}",
        lines[3]
    );
    assert!(lines[22].contains("user alex.wilber@contoso.com"));
    assert!(lines[22].contains("6 events · 2 sessions"), "{}", lines[22]);
    assert!(lines[22].contains("UTC"));
    assert!(lines[23].contains("Enter drill  Esc back"));
}

#[test]
fn first_screen_at_160x48_shows_sessions_and_the_interleaved_timeline() {
    let app = app(&["seed/first-table.csv"], (160, 48));
    let s = screen(&app);
    assert!(
        s.contains("Timeline: alex.wilber@contoso.com, all sessions (6)"),
        "{s}"
    );
    let (lines, buf) = render(&app);
    // The two sessions interleave: A B A B B B, each row coloured by its session.
    // The timeline pane starts at column 80; its rows start with the cursor mark and the
    // time, then the tag.
    let tags: Vec<String> = lines
        .iter()
        .map(|l| l.chars().skip(82).collect::<String>())
        .filter(|t| t.starts_with("03-12 0"))
        .map(|t| t.chars().skip(15).take(2).collect())
        .collect();
    assert_eq!(tags, [" A", " B", " A", " B", " B", " B"], "{s}");
    let y_user = row_of(&lines, "MoveToDeletedItems").unwrap();
    let y_attacker = row_of(&lines, "New-InboxRule").unwrap();
    let x = lines[y_user].find("MoveToDeletedItems").unwrap();
    let fg = |y: usize| buf[(x as u16 + 2, y as u16)].fg;
    assert_ne!(fg(y_user), fg(y_attacker), "sessions must differ in colour");
}

#[test]
fn drilling_into_the_attacker_session() {
    let mut app = app(&["seed/first-table.csv"], (80, 24));
    // The riskiest session is the first row.
    press(&mut app, &[Action::Enter]);
    let s = screen(&app);
    assert!(
        s.contains("alex.wilber@contoso.com's session 12bce6d0-bfeb-4a82-abe6-98ccf3196a11"),
        "{s}"
    );
    assert!(
        s.contains("session 12bce6d0 (alex.wilber@contoso.com) < user alex.wilber@contoso.co"),
        "{s}"
    );
    for op in [
        "MailboxLogin",
        "New-InboxRule",
        "AddFolderPermissi",
        "Set-Mailbox",
    ] {
        assert!(s.contains(op), "{op}");
    }
    assert!(
        !s.contains("MoveToDeletedItems"),
        "the user's actions are not in it"
    );
}

#[test]
fn pivot_to_same_ip_and_back_with_esc() {
    let mut app = app(&["seed/first-table.csv"], (80, 24));
    // The attacker session, its inbox rule, then every action from that IP.
    press(
        &mut app,
        &[Action::Enter, Action::Down, Action::Pivot(Facet::Ip)],
    );
    let s = screen(&app);
    assert!(
        s.contains("IP 198.51.100.23 < session 12bce6d0 (alex.wilber@contoso.com) < user"),
        "{s}"
    );
    assert!(s.contains("Same IP: 198.51.100.23 (4)"), "{s}");
    // The cursor stayed on the action pivoted from.
    let (lines, buf) = render(&app);
    let y = row_of(&lines, "New-InboxRule").unwrap();
    assert!(buf[(5, y as u16)].modifier.contains(Modifier::REVERSED));

    press(&mut app, &[Action::Back]);
    let s = screen(&app);
    assert!(
        s.contains("alex.wilber@contoso.com's session 12bce6d0"),
        "{s}"
    );
    assert!(!s.contains("IP 198.51.100.23 <"));
    press(&mut app, &[Action::Back]);
    assert!(screen(&app).contains("Sessions (2, riskiest first; S: order)"));
}

#[test]
fn corporate_vpn_ip_pivot_shows_both_sessions_of_the_account() {
    let mut app = app(&["seed/corporate-vpn.csv"], (160, 48));
    press(&mut app, &[Action::NextPane, Action::Pivot(Facet::Ip)]);
    let s = screen(&app);
    assert!(s.contains("Same IP: 203.0.113.10 (11)"), "{s}");
    assert!(s.contains("Sessions (2, riskiest first; S: order)"), "{s}");
}

#[test]
fn detail_of_the_inbox_rule_shows_forward_address_and_keyword() {
    let mut app = app(&["seed/first-table.csv"], (80, 24));
    press(&mut app, &[Action::Enter, Action::Down, Action::Enter]);
    let s = screen(&app);
    assert!(
        s.contains("operation    New-InboxRule (ExchangeAdmin, record type 1)"),
        "{s}"
    );
    let all = detail_lines(&app);
    let text = all.join("\n");
    assert!(
        text.contains("forward to billing-archive@proton-mail.example"),
        "{text}"
    );
    assert!(text.contains("invoice;payment"), "{text}");
    // Not kept in the event: read back from the record.
    assert!(
        text.contains("\"token issued\", \"2024-03-12T04:33:00Z\""),
        "{text}"
    );
    assert!(
        text.contains("\"ForwardTo\", \"billing-archive@proton-mail.example\""),
        "{text}"
    );
    // Scrolled to it, the payload in plain words is on screen.
    let what = all.iter().position(|l| l.contains("What it did")).unwrap();
    for _ in 0..what {
        update(&mut app, Action::Down);
    }
    let s = screen(&app);
    assert!(s.contains("What it did"), "{s}");
    assert!(s.contains("\"invoice;payment\""), "{s}");
    assert!(s.contains("billing-archive@proton-mail.example"), "{s}");
}

#[test]
fn no_color_still_tells_sessions_apart() {
    let mut app = app(&["seed/first-table.csv"], (160, 48));
    app.colour = false;
    mark_seed_sessions(&mut app);
    let (lines, buf) = render(&app);
    for y in 0..48u16 {
        for x in 0..160u16 {
            let c = &buf[(x, y)];
            assert!(
                c.fg == Color::Reset && c.bg == Color::Reset,
                "colour at {x},{y} with NO_COLOR"
            );
        }
    }
    let rule = &lines[row_of(&lines, "New-InboxRule").unwrap()];
    let login = &lines[row_of(&lines, "MoveToDeletedItems").unwrap()];
    assert!(rule.contains("!B  12bce6d0"), "{rule}");
    assert!(login.contains("+A  bdcea574"), "{login}");
}

#[test]
fn marked_sessions_are_red_and_green() {
    let mut app = app(&["seed/first-table.csv"], (160, 48));
    mark_seed_sessions(&mut app);
    let (lines, buf) = render(&app);
    let y = row_of(&lines, "New-InboxRule").unwrap() as u16;
    let x = lines[y as usize].find("New-InboxRule").unwrap() as u16;
    assert_eq!(buf[(x + 1, y)].fg, Color::LightRed);
    let y = row_of(&lines, "MoveToDeletedItems").unwrap() as u16;
    assert_eq!(buf[(x + 1, y)].fg, Color::Green);
}

#[test]
fn narrow_to_the_selected_session_and_back() {
    let mut app = app(&["seed/first-table.csv"], (160, 48));
    press(&mut app, &[Action::NarrowToSession]);
    assert_eq!(app.timeline_rows().len(), 4);
    assert!(screen(&app).contains("only 12bce6d0 (f: all)"));
    press(&mut app, &[Action::NarrowToSession]);
    assert_eq!(app.timeline_rows().len(), 6);
}

#[test]
fn help_is_generated_from_the_keymap() {
    let mut app = app(&["seed/first-table.csv"], (80, 24));
    press(&mut app, &[Action::Help]);
    let s = screen(&app);
    for b in sessionscope::tui::action::BINDINGS.iter().take(12) {
        assert!(s.contains(b.help), "help lacks {}", b.help);
    }
    press(&mut app, &[Action::Back]);
    assert!(!screen(&app).contains("Help · j/k scroll"));
}

#[test]
fn no_session_group_is_labelled_as_such() {
    let mut app = app(&["demo/tenant.csv"], (160, 48));
    let joni = app
        .frame()
        .session_rows
        .iter()
        .position(|r| matches!(r, sessionscope::tui::app::SessionRow::Session(s) if app.store.str(app.store.sessions[*s].user).starts_with("joni") && !app.store.sessions[*s].has_id()))
        .unwrap();
    app.select_session_row(joni);
    let s = screen(&app);
    assert!(s.contains("no-sess"), "{s}");
    assert!(
        s.contains("these actions have no session ID (legacy/basic auth or system): they cannot be tied to a logon session"),
        "{s}"
    );
}

#[test]
fn hostile_text_never_reaches_the_screen_raw() {
    let evil = json_lines_with_rule_name(r"\u001b]52;c;ZXZpbA==\u0007\u202eevil");
    let path = write_temp("evil.jsonl", evil.as_bytes());
    let (store, sources, _) = load_with_sources(&[path]);
    let mut app = App::new(Arc::new(store)).with_sources(Arc::new(sources));
    app.viewport = (160, 48);
    press(&mut app, &[Action::Enter, Action::Down, Action::Enter]);
    let s = screen(&app);
    assert!(s.contains("\\x1b]52;c;ZXZpbA==\\x07\\u{202e}evil"), "{s}");
    assert!(
        !s.chars()
            .any(|c| c == '\u{1b}' || c == '\u{202e}' || c == '\u{7}')
    );
    // Pane titles and the breadcrumb carry attacker text too (a pivot on the user).
    let text = std::fs::read_to_string(fixture("formats/json-lines.jsonl")).unwrap();
    let evil = text.replace(
        "alex.wilber@contoso.com",
        "alex\\u001b[2J\\u202e@contoso.com",
    );
    let (store, _) = load_files(&[write_temp("evil-user.jsonl", evil.as_bytes())]);
    let mut app = App::new(Arc::new(store));
    app.viewport = (160, 48);
    press(&mut app, &[Action::NextPane, Action::Pivot(Facet::User)]);
    let s = screen(&app);
    assert!(
        s.contains("Same user: alex\\x1b[2j\\u{202e}@contoso.com"),
        "{s}"
    );
    assert!(!s.chars().any(|c| c == '\u{1b}' || c == '\u{202e}'));
}

#[test]
fn paging_moves_a_screenful_and_the_view_follows_the_cursor() {
    let mut app = app(&["demo/tenant.csv"], (80, 24));
    press(&mut app, &[Action::NextPane, Action::PageDown]);
    let rows = app.list_rows(sessionscope::tui::app::Pane::Timeline);
    assert_eq!(app.frame().timeline_cursor, rows);
    press(&mut app, &[Action::Bottom]);
    let last = app.timeline_rows().len() - 1;
    assert_eq!(app.frame().timeline_cursor, last);
    let (lines, buf) = render(&app);
    let y = (0..24).find(|&y| buf[(3, y)].modifier.contains(Modifier::REVERSED));
    assert!(
        y.is_some(),
        "the cursor row is on screen:\n{}",
        lines.join("\n")
    );
}

#[test]
fn y_copies_the_selected_session_id_for_osc52() {
    let mut app = app(&["seed/first-table.csv"], (80, 24));
    press(&mut app, &[Action::Copy]);
    assert_eq!(app.clipboard.as_deref(), Some(ATTACKER_SESSION));
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .starts_with("copied 12bce6d0")
    );
    // From the timeline: the session of the action under the cursor.
    app.clipboard = None;
    press(&mut app, &[Action::NextPane, Action::Top, Action::Copy]);
    assert_eq!(app.clipboard.as_deref(), Some(USER_SESSION));
    assert_eq!(
        sessionscope::tui::clipboard::osc52(USER_SESSION, false),
        format!(
            "\u{1b}]52;c;{}\u{7}",
            "YmRjZWE1NzQtNWNmZC00OGIxLWFiNWItZDgyNmYxNjRkYTUz"
        )
    );
}

#[test]
fn help_lists_every_key_and_scrolls_to_its_last_line() {
    let mut app = app(&["seed/first-table.csv"], (80, 24));
    press(&mut app, &[Action::Help, Action::Bottom]);
    let s = screen(&app);
    assert!(s.contains("suspend to the shell"), "{s}");
    assert!(s.contains("! marks an attacker session"), "{s}");
    // One step up from the bottom moves the view at once (no dead scrolling past the end).
    let before = screen(&app);
    press(&mut app, &[Action::Up]);
    assert_ne!(screen(&app), before);
    press(&mut app, &[Action::Top]);
    let s = screen(&app);
    assert!(
        s.contains("next row") && s.contains("fuzzy search actions"),
        "{s}"
    );
}

#[test]
fn detail_says_what_the_rule_does_and_which_reasons_it_is_behind() {
    let mut app = app(&["seed/first-table.csv"], (80, 24));
    press(&mut app, &[Action::Enter, Action::Down, Action::Enter]);
    let lines = detail_lines(&app);
    let text = lines.join("\n");
    assert!(text.contains("What the record says it did"), "{text}");
    assert!(
        text.contains("forwards to: billing-archive@proton-mail.example"),
        "{text}"
    );
    assert!(
        text.contains("hides mail from its owner: moves to RSS Feeds, marks as read"),
        "{text}"
    );
    // The rule is behind the hiding reason, not behind the Set-Mailbox forwarding.
    assert!(
        lines
            .iter()
            .any(|l| l.contains("» inbox rule that hides mail")),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("· mail forwarded outside the tenant")
                && l.contains("mailbox forwarding")),
        "{text}"
    );
}

#[test]
fn search_from_the_first_screen_finds_a_user_who_is_not_selected() {
    let mut app = app(&["demo/tenant.csv"], (80, 24));
    let megan = app.store.lookup("megan.bowen@contoso.com").unwrap();
    assert_ne!(
        app.selected_user(),
        Some(megan),
        "the test needs another user selected"
    );
    update(&mut app, Action::Search);
    for c in "Conversation History".chars() {
        update(&mut app, Action::Input(c));
    }
    let search = app.search.as_ref().unwrap();
    assert!(
        search.results.total >= 1,
        "nothing found from the first screen"
    );
    let hit = search.results.hits[0].event;
    assert_eq!(app.store.events[hit as usize].user, megan);
    let s = screen(&app);
    assert!(s.contains("1 match (every user)"), "{s}");
    // The hit says when, who, which session and what.
    assert!(
        s.contains(">03-14 22:05 megan.bowen@con… 7c3e9a51 New-InboxRule"),
        "{s}"
    );
    // Enter jumps to it: its session opens, named as megan's in the title and in the
    // breadcrumb, whoever was selected before.
    update(&mut app, Action::Confirm);
    assert_eq!(app.selected_event(), Some(hit));
    assert_eq!(
        app.breadcrumb(),
        "session 7c3e9a51 (megan.bowen@contoso.com) < user svc-finance@contoso.com"
    );
    let s = screen(&app);
    assert!(
        s.contains("megan.bowen@contoso.com's session 7c3e9a51"),
        "{s}"
    );
}

#[test]
fn a_search_with_no_match_here_says_how_many_the_whole_store_has() {
    let mut app = app(&["demo/tenant.csv"], (80, 24));
    // Into one session of another user than megan's, then look for megan's rule.
    update(&mut app, Action::Pivot(Facet::Session));
    update(&mut app, Action::Search);
    for c in "Conversation History".chars() {
        update(&mut app, Action::Input(c));
    }
    let search = app.search.as_ref().unwrap();
    assert_eq!(search.results.total, 0);
    let wider = search.wider_total.unwrap();
    assert!(wider >= 1);
    let s = screen(&app);
    assert!(
        s.contains(&format!("0 matches (this session) · {wider} by every user")),
        "{s}"
    );
    update(&mut app, Action::ToggleScope);
    assert_eq!(app.search.as_ref().unwrap().results.total, wider);
}

#[test]
fn the_list_comes_first_and_risk_fills_in_when_scored() {
    let paths = [fixture("seed/first-table.csv")];
    let (store, _) = load_files(&paths);
    let mut app = App::unscored(Arc::new(store));
    app.viewport = (80, 24);
    assert!(
        app.assessments.is_empty(),
        "nothing is scored before the screen"
    );
    app.score_in_background();
    assert!(app.scoring());
    let s = screen(&app);
    assert!(s.contains("12bce6d0"), "the list is there at once: {s}");
    assert!(s.contains("risk is being scored in the background"), "{s}");
    assert!(app.take_scores(true));
    assert!(!app.scoring());
    let attacker = session_named(&app.store, ATTACKER_SESSION);
    assert_eq!(app.risk(attacker), 100);
    let s = screen(&app);
    assert!(!s.contains("being scored"), "{s}");
    assert!(s.contains("⚠ mail forwarded o"), "{s}");
}

#[test]
fn a_big_search_runs_in_the_background_and_ends_as_a_small_one() {
    let mut front = app(&["demo/tenant.csv"], (80, 24));
    let mut back = app(&["demo/tenant.csv"], (80, 24));
    back.search_background_at = 0;
    for app in [&mut front, &mut back] {
        update(app, Action::Search);
        for c in "inbx".chars() {
            update(app, Action::Input(c));
        }
    }
    assert!(!front.searching());
    // The last keystroke's search runs in the background (each one dropped the one before).
    assert!(back.searching());
    assert!(back.search.as_ref().unwrap().searched.is_some());
    let s = screen(&back);
    assert!(
        s.contains("searched"),
        "a running search says how far it is: {s}"
    );
    while back.searching() {
        back.take_search(true);
    }
    let (f, b) = (
        front.search.as_ref().unwrap(),
        back.search.as_ref().unwrap(),
    );
    assert_eq!(b.query, "inbx");
    assert!(b.searched.is_none());
    assert_eq!(b.results.total, f.results.total);
    assert_eq!(
        b.results.hits.iter().map(|h| h.event).collect::<Vec<_>>(),
        f.results.hits.iter().map(|h| h.event).collect::<Vec<_>>()
    );
    assert!(!screen(&back).contains("searched"));
    // Esc stops a search that still runs.
    update(&mut back, Action::Search);
    update(&mut back, Action::Input('x'));
    update(&mut back, Action::Cancel);
    assert!(!back.searching() && back.search.is_none());
}

#[test]
fn a_pivot_that_reads_every_action_fills_in_and_ends_as_a_direct_one() {
    for facet in [Facet::Operation, Facet::Client, Facet::Target] {
        let mut front = app(&["demo/tenant.csv"], (80, 24));
        let mut back = app(&["demo/tenant.csv"], (80, 24));
        back.pivot_background_at = 0;
        back.pivot_chunk = 40;
        let keys = [
            Action::NextPane,
            Action::Down,
            Action::Down,
            Action::Down,
            Action::Pivot(facet),
        ];
        // From alex's timeline, whose fourth action has a client and a target.
        for app in [&mut front, &mut back] {
            let alex = app
                .store
                .sessions
                .iter()
                .position(|s| app.store.str(s.user) == "alex.wilber@contoso.com")
                .unwrap();
            select_session(app, alex);
        }
        press(&mut front, &keys);
        press(&mut back, &keys);
        assert_eq!(front.stack.len(), 2, "{facet:?}: {:?}", front.message);
        assert!(!front.finding());
        // The pivot is on screen at once, saying how far the reading is.
        assert!(back.finding() && back.frame().finding.is_some());
        let s = screen(&back);
        assert!(s.contains("so far, ") && s.contains("% read)"), "{s}");
        // Every step adds the next actions in time order, never out of place.
        let want = front.frame().events.clone();
        let mut steps = 0;
        while back.finding() {
            back.take_pivots(true);
            assert!(want.starts_with(&back.frame().events), "{facet:?}");
            steps += 1;
        }
        assert!(steps > 3, "{facet:?}: read in {steps} steps");
        assert_eq!(back.frame().events, want);
        assert_eq!(back.frame().session_rows, front.frame().session_rows);
        assert_eq!(back.frame().timeline_cursor, front.frame().timeline_cursor);
        assert_eq!(back.frame().session_cursor, front.frame().session_cursor);
        assert_eq!(screen(&back), screen(&front), "{facet:?}");
    }
    // Leaving a pivot still being read stops it.
    let mut back = app(&["demo/tenant.csv"], (80, 24));
    back.pivot_background_at = 0;
    back.pivot_chunk = 40;
    press(
        &mut back,
        &[Action::NextPane, Action::Pivot(Facet::Operation)],
    );
    assert!(back.finding());
    press(&mut back, &[Action::Back]);
    assert!(!back.finding());
    assert_eq!(back.stack.len(), 1);
    assert!(!back.take_pivots(false));
}

#[test]
fn every_help_line_can_be_reached_at_80x24() {
    let mut app = app(&["seed/first-table.csv"], (80, 24));
    press(&mut app, &[Action::Help]);
    let first = screen(&app);
    assert!(first.contains("next row"), "{first}");
    press(&mut app, &[Action::Bottom]);
    for _ in 0..100 {
        press(&mut app, &[Action::Down]);
    }
    let last = screen(&app);
    assert!(
        last.contains("* after the lane: the session also used from other networks"),
        "{last}"
    );
    assert!(last.contains("close the prompt without saving"), "{last}");
}

#[test]
fn what_the_load_lost_stays_on_screen_and_the_problems_view_lists_it() {
    let mut lines: Vec<String> = std::fs::read_to_string(fixture("formats/json-lines.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines.insert(2, "{\"CreationTime\":\"2024-03-12T04:4".into());
    lines.insert(4, "not json at all".into());
    let damaged = write_temp("damaged.jsonl", lines.join("\n").as_bytes());
    let stranger = write_temp("people.csv", b"name,age\nbob,3\n");
    let (store, report) = load_files(&[damaged, stranger]);
    let problems = sessionscope::tui::problems::LoadProblems::of(&report);
    let mut app = App::new(Arc::new(store)).with_problems(problems);
    app.viewport = (80, 24);

    let s = screen(&app);
    let status = s.lines().rev().nth(1).unwrap();
    assert!(
        status.contains("2 records skipped in 1 file, 1 file not read: ! for"),
        "{s}"
    );
    // A message on the line below does not hide it.
    press(&mut app, &[Action::MarkAttacker]);
    let s = screen(&app);
    assert!(s.contains("no case file is open"), "{s}");
    assert!(s.contains("2 records skipped in 1 file"), "{s}");

    press(&mut app, &[Action::Problems]);
    let s = screen(&app);
    assert!(s.contains("damaged.jsonl"), "{s}");
    assert!(
        s.contains("json-lines: 6 record(s) read (4 of them after damage), 2 skipped"),
        "{s}"
    );
    assert!(s.contains("line 3: JSON cut short"), "{s}");
    assert!(s.contains("line 5: invalid JSON"), "{s}");
    assert!(s.contains("people.csv"), "{s}");
    assert!(s.contains("not read: "), "{s}");
    assert!(s.contains("audit"), "{s}");
    press(&mut app, &[Action::Back]);
    assert!(!screen(&app).contains("line 3: JSON cut short"), "closed");
}

#[test]
fn nothing_lost_shows_no_mark_and_says_so_on_request() {
    let mut app = app(&["seed/first-table.csv"], (80, 24));
    assert!(!screen(&app).contains("! for details"));
    press(&mut app, &[Action::Problems]);
    assert!(screen(&app).contains("every record of every file was read"));
}

#[test]
fn the_command_list_names_every_action_and_runs_the_one_chosen() {
    let mut app = app(&["seed/first-table.csv"], (80, 24));
    update(&mut app, Action::Commands);
    let s = screen(&app);
    let all = sessionscope::tui::action::BINDINGS.len();
    assert!(s.contains(&format!("Commands · {all} of {all}")), "{s}");
    assert!(s.contains(">down"), "{s}");
    // Typing filters by name and help; the key is shown beside the name.
    for c in "attacker".chars() {
        update(&mut app, Action::Input(c));
    }
    let s = screen(&app);
    assert!(s.contains(">mark-attacker"), "{s}");
    assert!(s.contains(" A "), "{s}");
    update(&mut app, Action::Confirm);
    assert!(app.prompt.is_none());
    let selected = app.selected_session().unwrap();
    assert_eq!(app.verdict(selected), None, "no case file: nothing saved");
    assert!(
        app.message.as_deref().unwrap().contains("no case file"),
        "{:?}",
        app.message
    );
    // Esc closes it without running anything.
    update(&mut app, Action::Commands);
    update(&mut app, Action::Input('q'));
    update(&mut app, Action::Cancel);
    assert!(app.prompt.is_none() && !app.quit);
}

#[test]
fn the_demos_three_attacks_open_the_first_screen_at_80x24() {
    let app = app(&["demo/tenant.csv"], (80, 24));
    let (lines, _) = render(&app);
    // The three attacker sessions, riskiest first, each naming its account.
    for (row, (id, user)) in [
        ("9a7e3b10", "svc-finance@con"),
        ("12bce6d0", "alex.wilber@con"),
        ("7c3e9a51", "megan.bowen@con"),
    ]
    .into_iter()
    .enumerate()
    {
        let line = &lines[2 + row];
        assert!(
            line.contains(id) && line.contains(" 100 ") && line.contains(user),
            "row {row}: {}",
            lines.join("\n")
        );
    }
    assert!(lines[2].starts_with("│>"), "the cursor on the riskiest");
}

#[test]
fn q_copies_the_kql_that_pulls_the_view_from_sentinel() {
    let mut app = app(&["seed/first-table.csv"], (80, 24));
    // At the start: the selected session, the attacker's.
    update(&mut app, Action::CopyQuery);
    let q = app.clipboard.take().expect("a query on the clipboard");
    assert!(
        q.contains(&format!("let sessions = dynamic([\"{ATTACKER_SESSION}\"])")),
        "{q}"
    );
    assert!(q.contains("OfficeActivity |"), "{q}");
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .starts_with("copied the KQL for 12bce6d0")
    );
    // In an IP pivot: that IP.
    press(
        &mut app,
        &[
            Action::Enter,
            Action::Down,
            Action::Pivot(Facet::Ip),
            Action::CopyQuery,
        ],
    );
    let q = app.clipboard.take().expect("a query on the clipboard");
    assert!(q.contains("let ips = dynamic([\"198.51.100.23\"])"), "{q}");
}

#[test]
fn q_in_the_linked_view_copies_a_hunt_for_the_attackers_indicators() {
    let mut app = app(&["demo/tenant.csv"], (80, 24));
    let id = "9a7e3b10-4c2d-4f8e-a1b3-6d5c4e3f2a10";
    let s = session_named(&app.store, id);
    select_session(&mut app, s);
    app.verdicts
        .insert(app.store.lookup(id).unwrap(), Verdict::Attacker);
    update(&mut app, Action::Linked);
    assert!(
        app.breadcrumb().starts_with("linked to attacker"),
        "{:?}",
        app.message
    );
    update(&mut app, Action::CopyQuery);
    let q = app.clipboard.take().unwrap_or_default();
    assert!(
        q.contains("let ips = dynamic([\"203.0.113.10\"])"),
        "{q}\n{:?}",
        app.message
    );
    assert!(q.contains("UniqueTokenIdentifier in (tokens)"), "{q}");
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .starts_with("copied the KQL hunt")
    );
}

/// Esc then a key, typed quickly over SSH or in tmux, arrives as Alt and the key: in a prompt
/// it closes the prompt and the key does what it does, rather than being typed into it.
#[test]
fn a_quick_esc_then_a_key_closes_a_prompt_and_the_key_acts() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use sessionscope::tui::handle_key;
    let mut app = app(&["seed/first-table.csv"], (80, 24));
    for prompt in [Action::Search, Action::Commands] {
        update(&mut app, prompt);
        handle_key(
            &mut app,
            KeyEvent::new(KeyCode::Char('u'), KeyModifiers::NONE),
        );
        handle_key(
            &mut app,
            KeyEvent::new(KeyCode::Char('?'), KeyModifiers::ALT),
        );
        assert!(app.prompt.is_none(), "{prompt:?}: the prompt is closed");
        assert!(app.show_help, "{prompt:?}: ? opened the help");
        update(&mut app, Action::Back);
    }
}
