//! Hostile and broken files: no panic, no hang, bounded memory, a clear message naming the file
//! and line, and the good records still loaded.

mod common;
use common::*;
use sessionscope_synth::hostile::{CASES, write_corpus};
use std::time::{Duration, Instant};

#[test]
fn every_hostile_file_loads_what_it_can_and_says_what_it_could_not() {
    let dir = temp_dir("hostile");
    let paths = write_corpus(&dir, true).unwrap();
    for (case, path) in CASES.iter().zip(&paths) {
        let started = Instant::now();
        let (store, sources, report) = load_with_sources(std::slice::from_ref(path));
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(60),
            "{}: took {took:?}",
            case.file
        );
        let f = &report.files[0];
        assert_eq!(
            store.events.len(),
            case.good_records,
            "{}: {:?} {:?}",
            case.file,
            f.error,
            f.problems
        );
        let said = f.error.is_some() || !f.problems.is_empty() || !f.warnings.is_empty();
        assert_eq!(
            said, case.reported,
            "{}: error {:?}, problems {:?}",
            case.file, f.error, f.problems
        );
        for p in &f.problems {
            assert!(
                p.location.starts_with("line ") || p.location.starts_with("record "),
                "{}: {p:?}",
                case.file
            );
        }
        // The detail view can re-read every record that loaded; a record too deep to show
        // says so instead.
        for e in &store.events {
            match sources.record(&store, e) {
                Ok(_) => {}
                Err(err) if case.file == "deep-nesting.jsonl" => {
                    assert!(err.contains("recursion limit"), "{err}")
                }
                Err(err) => panic!("{}: {err}", case.file),
            }
        }
    }
}

#[test]
fn hostile_text_is_escaped_in_tables_and_csv_and_kept_in_json() {
    let dir = temp_dir("hostile-out");
    write_corpus(&dir, false).unwrap();
    let file = dir.join("escapes.jsonl");
    let run = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_sessionscope"))
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success());
        String::from_utf8(o.stdout).unwrap()
    };
    let f = file.to_str().unwrap();
    // CSV too: it is printed to the terminal as often as it is redirected to a file.
    for table in [
        run(&["timeline", f]),
        run(&["sessions", f]),
        run(&["timeline", f, "--csv"]),
        run(&["sessions", f, "--csv"]),
    ] {
        assert!(
            !table.chars().any(|c| (c.is_control() && c != '\n')
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)),
            "{table:?}"
        );
    }
    // JSON stays valid and carries the original text.
    let json = run(&["timeline", f, "--json"]);
    let rule = json
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["operation"] == "New-InboxRule")
        .unwrap();
    assert!(
        rule["summary"]
            .as_str()
            .unwrap()
            .contains("\u{1b}]52;c;ZXZpbA==\u{7}")
    );
    assert!(rule["client"].as_str().unwrap().contains('\u{202e}'));
}

#[test]
fn the_committed_corpus_matches_the_generator() {
    for case in CASES.iter().filter(|c| !c.large) {
        let committed = std::fs::read(fixture(&format!("hostile/{}", case.file))).unwrap();
        assert_eq!(
            committed,
            sessionscope_synth::hostile::contents(case.file),
            "{}",
            case.file
        );
    }
}

#[test]
fn look_alike_users_are_told_apart_in_tables_and_on_screen() {
    let text = std::fs::read_to_string(fixture("formats/json-lines.jsonl")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let n = lines.len();
    // The last two records by a Cyrillic "а" look-alike, one by a name with a zero-width space.
    for line in &mut lines[n - 2..] {
        *line = line.replace("alex.wilber@contoso.com", "\u{430}lex.wilber@contoso.com");
    }
    lines[n - 3] =
        lines[n - 3].replace("alex.wilber@contoso.com", "alex.wilber\u{200b}@contoso.com");
    let path = write_temp("lookalike.jsonl", lines.join("\n").as_bytes());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .args(["sessions", path.to_str().unwrap()])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    // Cut to the column, the three names still differ where they begin.
    assert!(table.contains("\\u{430}lex.wilber@c"), "{table}");
    assert!(table.contains("alex.wilber\\u{200b}"), "{table}");
    assert!(table.contains("alex.wilber@contoso"), "{table}");
    // JSON keeps the exact text.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .args(["sessions", path.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("\"\u{430}lex.wilber@contoso.com\"")
    );

    let (store, _) = load_files(&[path]);
    let mut app = sessionscope::tui::App::new(std::sync::Arc::new(store));
    app.viewport = (160, 48);
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).unwrap();
    t.draw(|f| sessionscope::tui::draw(f, &app)).unwrap();
    let buf = t.backend().buffer();
    let screen: String = (0..48)
        .map(|y| (0..160).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
        .collect();
    // The list's USER column cuts the names, but where they differ shows; the timeline's
    // title names the selected one whole.
    assert!(screen.contains("\\u{430}lex.wilb"), "{screen}");
    assert!(screen.contains("alex.wilber\\u{2"), "{screen}");
    assert!(
        screen.contains("Timeline: alex.wilber\\u{200b}@contoso.com"),
        "{screen}"
    );
}
