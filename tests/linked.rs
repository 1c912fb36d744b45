//! Scoping a compromise (`L`, `linked`): on a tenant shaped like the real 2023 export's lateral
//! movement, the second account the attacker used comes first, and the attacker's own
//! anonymous-link visitors do not make its IP look common.

mod common;
use common::*;
use sessionscope::case::Case;
use sessionscope::tui::{Action, App, update};
use sessionscope_synth::tenant::{LATERAL_IP, LATERAL_SESSION, SECOND_VICTIM, lateral_movement};
use std::process::Command;
use std::sync::Arc;

fn lateral_file(name: &str) -> std::path::PathBuf {
    let lines: Vec<String> = lateral_movement().iter().map(|v| v.to_string()).collect();
    write_temp(name, lines.join("\n").as_bytes())
}

fn linked_json(
    path: &std::path::Path,
    extra: &[&str],
) -> (Vec<serde_json::Value>, std::process::Output) {
    let out = Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .arg("linked")
        .arg(path)
        .args(extra)
        .arg("--json")
        .output()
        .expect("run sessionscope");
    let rows = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (rows, out)
}

#[test]
fn linked_lists_the_second_account_first_with_what_it_shares() {
    let path = lateral_file("lateral.jsonl");
    // The 8 characters a table shows are enough to name the attacker session.
    let (rows, out) = linked_json(&path, &["--attacker", &LATERAL_SESSION[..8]]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = &rows[0];
    assert_eq!(first["user"], SECOND_VICTIM, "{rows:#?}");
    assert!(first["session_id"].is_string());
    assert_eq!(first["shares"]["ips"], serde_json::json!([LATERAL_IP]));
    assert_eq!(first["shares"]["clients"].as_array().unwrap().len(), 1);
    // Only the one account uses that IP besides the attacker: not common.
    assert_eq!(first["shares"]["common"], serde_json::json!([]));
    let why = first["why"].as_str().unwrap();
    assert!(why.contains("the same IP and client"), "{why}");
    assert!(why.contains("from an attacker session"), "{why}");
    // Its first action five minutes after the attacker session's last.
    assert_eq!(first["gap_seconds"], 300);
    assert!(
        first["first_seen"]
            .as_str()
            .unwrap()
            .starts_with("2024-03-12T10:30")
    );
    // Then the account that only shares the browser, days apart; the visitors of the
    // attacker's anonymous links are listed last, as not accounts.
    let users: Vec<&str> = rows.iter().map(|r| r["user"].as_str().unwrap()).collect();
    assert_eq!(
        users,
        [
            SECOND_VICTIM,
            "irvin.sayers@contoso.com",
            "anonymous",
            "urn:spo:anon#8f3c2b1a",
            "urn:spo:anon#d41e07c9"
        ]
    );
    assert!(
        rows[2]["why"]
            .as_str()
            .unwrap()
            .starts_with("not an account")
    );
}

#[test]
fn linked_without_a_marked_session_says_how_to_give_one() {
    let path = lateral_file("lateral-unmarked.jsonl");
    let (rows, out) = linked_json(&path, &[]);
    assert!(rows.is_empty());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give --attacker"));
}

#[test]
fn l_in_the_investigator_lists_the_second_account_first() {
    let path = lateral_file("lateral-tui.jsonl");
    let (store, _) = load_files(std::slice::from_ref(&path));
    let mut app = App::new(Arc::new(store)).with_case(Case::for_input(&path).unwrap());
    app.viewport = (80, 24);
    let attacker = session_named(&app.store, LATERAL_SESSION);
    select_session(&mut app, attacker);
    update(&mut app, Action::MarkAttacker);
    update(&mut app, Action::Linked);
    let lines = screen_lines(&app, 80, 24);
    let first = &lines[2];
    // The first row, marked as the cursor's, names the second account and why.
    assert!(first.starts_with("│>"), "{}", lines.join("\n"));
    assert!(first.contains("pradeep.gupta@c"), "{}", lines.join("\n"));
    assert!(lines[0].contains("linked to the attacker, accounts first"));
    assert!(first.contains("⚠ 5m from the atta"), "{}", lines.join("\n"));
}

#[test]
fn the_report_names_the_sessions_linked_to_each_attacker_session() {
    let path = lateral_file("lateral-report.jsonl");
    let bin = || Command::new(env!("CARGO_BIN_EXE_sessionscope"));
    assert!(
        bin()
            .args([
                "mark",
                path.to_str().unwrap(),
                "--session",
                LATERAL_SESSION,
                "--attacker"
            ])
            .status()
            .unwrap()
            .success()
    );
    let o = bin()
        .args(["report", path.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let linked = v["attacker_sessions"][0]["linked"].as_array().unwrap();
    assert_eq!(linked[0]["user"], SECOND_VICTIM, "{linked:#?}");
    assert!(
        linked[0]["why"]
            .as_str()
            .unwrap()
            .contains("the same IP and client")
    );
    // Only accounts: the anonymous-link visitors are not named as linked sessions.
    assert!(
        linked
            .iter()
            .all(|l| l["user"].as_str().unwrap().contains('@'))
    );
}

/// A session ID is the record's text: in `linked --csv` a formula-like one is neutralised,
/// as every other cell is.
#[test]
fn linked_csv_neutralises_a_formula_like_session_id() {
    let evil = "=hyperlink(\"http://x.example\",\"open\")";
    let lines: Vec<String> = lateral_movement()
        .iter()
        .map(|v| {
            let mut v = v.clone();
            if v["UserId"] == SECOND_VICTIM {
                v["SessionId"] = evil.into();
                v["AppAccessContext"]["AADSessionId"] = evil.into();
            }
            v.to_string()
        })
        .collect();
    let path = write_temp("lateral-evil.jsonl", lines.join("\n").as_bytes());
    let o = Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .args([
            "linked",
            path.to_str().unwrap(),
            "--attacker",
            LATERAL_SESSION,
            "--csv",
        ])
        .output()
        .unwrap();
    let csv = String::from_utf8(o.stdout).unwrap();
    let row = csv
        .lines()
        .find(|l| l.contains(SECOND_VICTIM))
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(row.starts_with("\"'=hyperlink("), "{row}");
}
