//! Whole screens, as an investigator sees them: key events go through the keymap into the
//! app, background work is settled, and the frame is rendered to a `TestBackend` at 80x24
//! and 200x50. Each screen is a snapshot in `tests/snapshots/` (`cargo insta review`, or
//! `INSTA_UPDATE=always cargo test --test screens` then `git diff`, to accept a change).
//! Paths are relative to the checkout (cargo runs tests there), so no screen depends on
//! where the checkout or the temporary folder is.

mod common;
use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sessionscope::case::Case;
use sessionscope::tui::{App, draw, handle_key, settle};
use std::path::{Path, PathBuf};
use std::sync::Arc;

struct Harness {
    app: App,
}

impl Harness {
    /// The demo tenant opened at `size`, with an empty case file of its own.
    fn demo(name: &str, size: (u16, u16)) -> Harness {
        let (store, sources, _) = load_with_sources(&[PathBuf::from("fixtures/demo/tenant.csv")]);
        let case_dir = Path::new("target/screens").join(name);
        let _ = std::fs::remove_dir_all(&case_dir);
        std::fs::create_dir_all(&case_dir).expect("a folder for the case file");
        let case = Case::open(&case_dir.join("case.json")).expect("a new case file");
        let mut app = App::new(Arc::new(store))
            .with_sources(Arc::new(sources))
            .with_case(case);
        app.viewport = size;
        settle(&mut app);
        Harness { app }
    }

    /// Types `keys`: characters as they are, `\n` Enter, `\t` Tab, `\x1b` Esc; then lets
    /// background work finish, as the screen would settle.
    fn keys(&mut self, keys: &str) -> &mut Harness {
        for c in keys.chars() {
            let code = match c {
                '\n' => KeyCode::Enter,
                '\t' => KeyCode::Tab,
                '\x1b' => KeyCode::Esc,
                c => KeyCode::Char(c),
            };
            handle_key(&mut self.app, KeyEvent::new(code, KeyModifiers::NONE));
            settle(&mut self.app);
        }
        self
    }

    fn screen(&self) -> String {
        let (w, h) = self.app.viewport;
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| draw(f, &self.app)).unwrap();
        let buf = t.backend().buffer();
        let text: Vec<String> = (0..h)
            .map(|y| {
                let line: String = (0..w).map(|x| buf[(x, y)].symbol()).collect();
                line.trim_end().to_string()
            })
            .collect();
        text.join("\n")
    }
}

/// The snapshot of one screen at both sizes, after `keys`.
fn screens(name: &str, keys: &str) {
    for (w, h) in [(80, 24), (200, 50)] {
        let mut h = Harness::demo(name, (w, h));
        h.keys(keys);
        insta::assert_snapshot!(format!("{name}_{w}x{}", h.app.viewport.1), h.screen());
    }
}

#[test]
fn first_screen() {
    screens("first_screen", "");
}

/// Sorts by risk and selects the riskiest session: the first row under the first user.
const RISKIEST: &str = "Sgj";

#[test]
fn timeline_of_the_riskiest_session() {
    screens("timeline", &format!("{RISKIEST}\n"));
}

#[test]
fn detail_of_an_inbox_rule() {
    // Search every user (the first screen's scope) for the rule, jump to it, open its detail.
    screens("inbox_rule_detail", "/New-InboxRule\n\n");
}

#[test]
fn command_list() {
    screens("commands", ":pivot");
}

#[test]
fn search_with_hits() {
    screens("search", "/forward");
}

#[test]
fn ip_pivot() {
    screens("ip_pivot", &format!("{RISKIEST}\ni"));
}

#[test]
fn linked_sessions() {
    // The riskiest session marked attacker, then the sessions linked to it.
    screens("linked", &format!("{RISKIEST}AL"));
}

#[test]
fn help() {
    screens("help", "?");
}

#[test]
fn after_the_report() {
    screens("report", &format!("{RISKIEST}AR"));
}
