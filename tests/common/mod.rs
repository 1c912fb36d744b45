#![allow(dead_code)]

pub mod tmux;

use sessionscope::facts::{self, TimelineFilter, TimelineRow};
use sessionscope::{LoadOptions, LoadReport, Store, load};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

pub const USER_SESSION: &str = "bdcea574-5cfd-48b1-ab5b-d826f164da53";
pub const ATTACKER_SESSION: &str = "12bce6d0-bfeb-4a82-abe6-98ccf3196a11";

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

pub fn load_files(paths: &[PathBuf]) -> (Store, LoadReport) {
    let (store, _, report) = load(paths, &LoadOptions::default());
    (store, report)
}

/// The store, the handle that reads its records again, and the report.
pub fn load_with_sources(paths: &[PathBuf]) -> (Store, sessionscope::Sources, LoadReport) {
    load(paths, &LoadOptions::default())
}

pub fn load_fixture(rel: &str) -> (Store, LoadReport) {
    load_files(&[fixture(rel)])
}

pub fn timeline(store: &Store, filter: &TimelineFilter) -> Vec<TimelineRow> {
    facts::timeline(store, filter)
        .into_iter()
        .map(|i| facts::timeline_row(store, i))
        .collect()
}

/// Every record of a store, in time order, as (record id, time, summary): two loads of the same
/// data must give the same list, however the files were read.
/// Every event's facts, every field of them, in time order.
pub fn records(store: &Store) -> Vec<String> {
    timeline(store, &TimelineFilter::default())
        .into_iter()
        .map(|r| serde_json::to_string(&r).expect("a row serialises"))
        .collect()
}

/// The first file's problems as (location, reason).
pub fn problems(report: &LoadReport) -> Vec<(String, String)> {
    report.files[0]
        .problems
        .iter()
        .map(|p| (p.location.clone(), p.reason.clone()))
        .collect()
}

pub fn session_timeline(store: &Store, session: &str) -> Vec<TimelineRow> {
    timeline(
        store,
        &TimelineFilter {
            sessions: vec![session.to_string()],
            ..Default::default()
        },
    )
}

/// (HH:MM, operation) of each row.
pub fn clock_ops(rows: &[TimelineRow]) -> Vec<(String, String)> {
    rows.iter()
        .map(|r| (r.time[11..16].to_string(), r.operation.clone()))
        .collect()
}

/// A fresh empty directory under the system temp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sessionscope-test-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn write_temp(name: &str, bytes: &[u8]) -> PathBuf {
    let path = temp_dir(name).join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Runs the sessionscope binary.
pub fn sessionscope(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .args(args)
        .output()
        .expect("run sessionscope")
}

/// The JSON Lines a command printed.
pub fn json_rows(o: &std::process::Output) -> Vec<serde_json::Value> {
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Index in `store.sessions` of the session with this ID (its first user's).
pub fn session_named(store: &Store, id: &str) -> usize {
    store
        .sessions
        .iter()
        .position(|s| store.str(s.id) == id)
        .unwrap_or_else(|| panic!("no session {id}"))
}

/// The JSON Lines fixture with its inbox rule's name (the one `"Value":"."`) replaced by
/// `escaped`, the body of a JSON string: attacker text where screens and exports show it.
/// Fails if the fixture no longer has that value, so no test goes on without its attack.
pub fn json_lines_with_rule_name(escaped: &str) -> String {
    let text = std::fs::read_to_string(fixture("formats/json-lines.jsonl")).unwrap();
    let evil = text.replace("\"Value\":\".\"", &format!("\"Value\":\"{escaped}\""));
    assert_ne!(evil, text, "the fixture has no rule name to replace");
    evil
}

/// Cases per property test: `default`, or `PROPTEST_CASES` to fuzz longer (proptest itself
/// ignores that variable once a test sets its own count).
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// An actor of `pat@contoso.com` in OWA: the user of tests that build their own records.
pub fn pat(session: &str, ip: &str) -> sessionscope_synth::records::Actor {
    sessionscope_synth::records::Actor {
        user: "pat@contoso.com".into(),
        session: Some(session.into()),
        ip: ip.into(),
        client_info: "Client=OWA;Action=ViaProxy".into(),
        token: None,
        issued_at: None,
    }
}

/// Puts the session list's cursor on session `s` (index in `store.sessions`).
pub fn select_session(app: &mut sessionscope::tui::App, s: usize) {
    use sessionscope::tui::app::SessionRow;
    let row = app
        .frame()
        .session_rows
        .iter()
        .position(|r| matches!(r, SessionRow::Session(x) if *x == s))
        .unwrap_or_else(|| panic!("session {s} is not in the list"));
    app.select_session_row(row);
}

/// The screen `app` draws at `w` x `h`, one string a row.
pub fn screen_lines(app: &sessionscope::tui::App, w: u16, h: u16) -> Vec<String> {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    t.draw(|f| sessionscope::tui::draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

/// `objects` as a Log Analytics query API response saved to a file: one table whose columns
/// are every key met, rows in column order, objects and arrays as JSON text (the API's
/// `dynamic`), missing cells null.
pub fn query_response(objects: &[serde_json::Value]) -> String {
    let mut columns: Vec<String> = Vec::new();
    for o in objects {
        for k in o.as_object().expect("an object").keys() {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let rows: Vec<Vec<serde_json::Value>> = objects
        .iter()
        .map(|o| {
            columns
                .iter()
                .map(|c| match o.get(c) {
                    Some(v @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
                        serde_json::Value::String(v.to_string())
                    }
                    Some(v) => v.clone(),
                    None => serde_json::Value::Null,
                })
                .collect()
        })
        .collect();
    let columns: Vec<serde_json::Value> = columns
        .iter()
        .map(|c| serde_json::json!({ "name": c, "type": "string" }))
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "tables": [{ "name": "PrimaryResult", "columns": columns, "rows": rows }]
    }))
    .unwrap()
}
