//! The batch commands, run as a user or a script would run them.

mod common;
use common::*;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .args(args)
        .output()
        .expect("run sessionscope")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn seed() -> String {
    fixture("seed/first-table.csv").display().to_string()
}

#[test]
fn stats_json_has_the_contract_fields() {
    let dup = fixture("formats/json-lines.jsonl").display().to_string();
    let o = run(&["stats", &seed(), &dup, "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["events"], 6);
    assert_eq!(v["duplicates"], 6);
    assert_eq!(v["skipped"], 0);
    assert_eq!(v["users"], 1);
    assert_eq!(v["sessions"], 2);
    assert_eq!(v["events_without_session"], 0);
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["format"], "purview-csv");
    assert_eq!(files[0]["records"], 6);
    assert!(
        files[0]["path"]
            .as_str()
            .unwrap()
            .ends_with("first-table.csv")
    );
    assert!(files[0]["problems"].as_array().unwrap().is_empty());
    assert_eq!(files[1]["skipped"], 0);
}

#[test]
fn sessions_json_lines_sorted_by_first_seen() {
    let o = run(&["sessions", &seed(), "--json"]);
    assert!(o.status.success());
    let rows: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["session_id"], USER_SESSION);
    assert_eq!(rows[1]["session_id"], ATTACKER_SESSION);
    for key in [
        "user",
        "first_seen",
        "last_seen",
        "events",
        "ips",
        "clients",
        "operations",
    ] {
        assert!(rows[1].get(key).is_some(), "{key}");
    }
    assert_eq!(rows[1]["first_seen"], "2024-03-12T04:35:00Z");
    assert_eq!(rows[1]["operations"]["Set-Mailbox"], 1);
    assert_eq!(rows[1]["ips"][0], "198.51.100.23");
}

#[test]
fn timeline_json_filters_by_session_and_keeps_nulls() {
    let o = run(&[
        "timeline",
        &seed(),
        "--session",
        &ATTACKER_SESSION.to_uppercase(),
        "--json",
    ]);
    assert!(o.status.success());
    let rows: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 4);
    for key in [
        "time",
        "user",
        "session_id",
        "operation",
        "ip",
        "client",
        "target",
        "summary",
        "record_id",
    ] {
        assert!(rows[0].get(key).is_some(), "{key}");
    }
    let legacy = fixture("demo/tenant.csv").display().to_string();
    let o = run(&[
        "timeline",
        &legacy,
        "--user",
        "joni.sherman@contoso.com",
        "--ip",
        "198.51.100.77",
        "--json",
    ]);
    let first: serde_json::Value =
        serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
    assert!(first["session_id"].is_null());
}

#[test]
fn timeline_csv_neutralises_formula_cells() {
    let text = std::fs::read_to_string(fixture("formats/json-lines.jsonl")).unwrap();
    let evil = text.lines().next().unwrap().replace(
        "\"UserId\":\"alex.wilber@contoso.com\"",
        "\"UserId\":\"=HYPERLINK(\\\"http://x.example\\\")\"",
    );
    let path = write_temp("evil.jsonl", evil.as_bytes());
    let o = run(&["timeline", &path.display().to_string(), "--csv"]);
    assert!(o.status.success());
    let out = stdout(&o);
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let row = reader.records().next().unwrap().unwrap();
    assert!(row[1].starts_with("'=hyperlink"), "{}", &row[1]);
}

#[test]
fn tables_fit_80_columns_and_escape_control_characters() {
    let evil = json_lines_with_rule_name(r"\u001b]0;owned\u0007\u202e");
    let path = write_temp("evil.jsonl", evil.as_bytes());
    let demo = fixture("demo/tenant.csv").display().to_string();
    for args in [
        vec!["timeline", path.to_str().unwrap()],
        vec!["sessions", &demo],
        vec!["stats", &demo],
        vec!["timeline", &demo],
    ] {
        let o = run(&args);
        assert!(o.status.success());
        let out = stdout(&o);
        for line in out.lines() {
            assert!(
                unicode_width::UnicodeWidthStr::width(line) <= 80,
                "{args:?}: {line}"
            );
            assert!(
                !line.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "{line:?}"
            );
        }
    }
    let o = run(&["timeline", path.to_str().unwrap()]);
    assert!(stdout(&o).contains("rule \"\\x1b]0;"), "{}", stdout(&o));
}

#[test]
fn nothing_usable_exits_2_naming_the_file() {
    let path = write_temp("people.csv", b"name,age\nbob,3\n");
    let o = run(&["stats", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(err.contains("people.csv"), "{err}");
    assert!(err.contains("not an audit export"), "{err}");
}

#[test]
fn stats_json_still_prints_the_reasons_when_nothing_could_be_read() {
    let bad = write_temp("people.csv", b"name,age\nbob,3\n");
    let cut = write_temp("cut.jsonl", b"{\"CreationTime\":\"2024-03-1");
    let o = run(&[
        "stats",
        bad.to_str().unwrap(),
        cut.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(2), "the exit code is unchanged");
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    assert_eq!(v["events"], 0);
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert!(
        files[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("not an audit export")),
        "{}",
        files[0]
    );
    assert!(files[1]["path"].as_str().unwrap().ends_with("cut.jsonl"));
}

#[test]
fn skipped_records_are_reported_on_stderr_with_their_line() {
    let mut lines: Vec<String> = std::fs::read_to_string(fixture("formats/json-lines.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines[1] = "{oops".into();
    let path = write_temp("some-bad.jsonl", lines.join("\n").as_bytes());
    let o = run(&["stats", path.to_str().unwrap(), "--json"]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        err.contains("some-bad.jsonl: line 2: invalid JSON"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["skipped"], 1);
    assert_eq!(v["files"][0]["problems"][0]["location"], "line 2");
}

#[test]
fn reading_commands_leave_the_evidence_folder_untouched() {
    let dir = temp_dir("evidence");
    let input = dir.join("export.csv");
    std::fs::copy(fixture("seed/first-table.csv"), &input).unwrap();
    let before = std::fs::metadata(&dir).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    for cmd in ["stats", "sessions", "timeline", "report"] {
        assert!(
            run(&[cmd, input.to_str().unwrap(), "--json"][..if cmd == "report" { 2 } else { 3 }])
                .status
                .success()
        );
    }
    let entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(entries, ["export.csv"]);
    assert_eq!(std::fs::metadata(&dir).unwrap().modified().unwrap(), before);
}

fn demo() -> String {
    fixture("demo/tenant.csv").display().to_string()
}

/// Session IDs of the demo, from `sessions --json`.
fn demo_session_ids() -> Vec<String> {
    let o = run(&["sessions", &demo(), "--json"]);
    stdout(&o)
        .lines()
        .filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["session_id"].as_str().map(str::to_string)
        })
        .collect()
}

#[test]
fn a_unique_prefix_of_a_session_id_names_the_session() {
    let ids = demo_session_ids();
    // The 8 characters the tables print, and the shortest prefix no other ID shares.
    let id = &ids[5];
    let shortest = (1..=id.len())
        .map(|n| &id[..n])
        .find(|p| ids.iter().filter(|i| i.starts_with(p)).count() == 1)
        .unwrap();
    let whole = run(&["timeline", &demo(), "--session", id, "--json"]);
    assert!(whole.status.success());
    assert!(!stdout(&whole).is_empty());
    for given in [&id[..8], shortest, &id.to_uppercase()[..8]] {
        let o = run(&["timeline", &demo(), "--session", given, "--json"]);
        assert!(
            o.status.success(),
            "{given}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(stdout(&o), stdout(&whole), "{given}");
    }
}

#[test]
fn an_ambiguous_prefix_lists_the_sessions_it_could_be() {
    let ids = demo_session_ids();
    // A first character several IDs share.
    let shared = ids
        .iter()
        .map(|i| &i[..1])
        .find(|p| ids.iter().filter(|i| i.starts_with(p)).count() > 1)
        .unwrap();
    let candidates: Vec<&String> = ids.iter().filter(|i| i.starts_with(shared)).collect();
    let o = run(&["timeline", &demo(), "--session", shared]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).is_empty());
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains("give more of it"), "{said}");
    for c in candidates {
        assert!(said.contains(c.as_str()), "{c} not listed: {said}");
    }
}

#[test]
fn a_filter_that_matches_nothing_says_so_and_exits_1() {
    for (args, said) in [
        (
            vec!["timeline", "--session", "ffffffffzz"],
            "no record matches --session ffffffffzz",
        ),
        (
            vec!["timeline", "--user", "nobody@x"],
            "no record matches --user nobody@x",
        ),
        (
            vec!["timeline", "--ip", "192.0.2.99"],
            "no record matches --ip 192.0.2.99",
        ),
        (
            vec!["timeline", "--operation", "NoSuchOp"],
            "no action matches --operation NoSuchOp",
        ),
        (
            vec!["sessions", "--user", "nobody@x"],
            "no record matches --user nobody@x",
        ),
    ] {
        let demo = demo();
        let mut all = args.clone();
        all.insert(1, &demo);
        let o = run(&all);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
    }
}

#[test]
fn timeline_narrows_to_operations_in_any_case() {
    let o = run(&[
        "timeline",
        &demo(),
        "--operation",
        "new-inboxrule",
        "--operation",
        "Set-InboxRule",
        "--json",
    ]);
    assert!(o.status.success());
    let ops: Vec<String> = stdout(&o)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["operation"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(ops.iter().any(|o| o == "New-InboxRule"), "{ops:?}");
    assert!(
        ops.iter()
            .all(|o| o == "New-InboxRule" || o == "Set-InboxRule"),
        "{ops:?}"
    );
    // None missed: as many as the whole timeline holds.
    let all = run(&["timeline", &demo(), "--json"]);
    let rules_total = stdout(&all)
        .matches("\"operation\":\"New-InboxRule\"")
        .count();
    assert_eq!(
        ops.iter().filter(|o| *o == "New-InboxRule").count(),
        rules_total
    );
}

#[test]
fn the_investigator_without_a_terminal_says_what_to_run_instead() {
    let o = Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .arg(demo())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run sessionscope");
    let said = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{said}");
    assert!(said.contains("needs a terminal"), "{said}");
    assert!(said.contains("sessionscope sessions FILE"), "{said}");
    assert!(!said.contains("No such device"), "{said}");
    assert!(o.stdout.is_empty(), "nothing drawn into the pipe");
}

#[test]
fn tables_take_the_width_they_are_given() {
    let run_at = |columns: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sessionscope"));
        c.args(["sessions", &demo(), "--sort", "risk"]);
        match columns {
            Some(n) => c.env("COLUMNS", n),
            None => c.env_remove("COLUMNS"),
        };
        String::from_utf8(c.output().unwrap().stdout).unwrap()
    };
    let narrow = run_at(None);
    let wide = run_at(Some("160"));
    let widest = |t: &str| t.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest(&narrow) <= 80, "{narrow}");
    assert!(widest(&wide) > 100 && widest(&wide) <= 160, "{wide}");
    // What 80 columns cut, 160 show whole.
    assert!(narrow.contains("svc-finance@contoso…"), "{narrow}");
    assert!(wide.contains("svc-finance@contoso.com "), "{wide}");
    assert!(
        wide.contains("AddFolderPermissions,UpdateInboxRules"),
        "{wide}"
    );
}
