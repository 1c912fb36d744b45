//! Verdicts that are never lost, the search that finds inbox rules, the linked-session view and
//! the incident report.

mod common;
use common::*;
use sessionscope::case::{Case, Verdict};
use sessionscope::search::Searcher;
use sessionscope::store::Facet;
use sessionscope::tui::{Action, App, update};
use std::process::Command;
use std::sync::Arc;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sessionscope"))
}

/// A copy of the seed fixture in a fresh folder, so its default case file is the test's own.
fn seed_copy(name: &str) -> std::path::PathBuf {
    let path = temp_dir(name).join("first-table.csv");
    std::fs::copy(fixture("seed/first-table.csv"), &path).unwrap();
    path
}

#[test]
fn verdicts_survive_a_restart_and_reach_sessions_json() {
    let input = seed_copy("restart");
    let case_path = input.with_file_name("first-table.csv.case.json");
    {
        let (store, _) = load_files(std::slice::from_ref(&input));
        let case = Case::for_input(&input).unwrap();
        assert_eq!(case.path, case_path);
        assert!(!case_path.exists(), "opening a case writes nothing");
        let mut app = App::new(Arc::new(store)).with_case(case);
        let (attacker, user) = (
            session_named(&app.store, ATTACKER_SESSION),
            session_named(&app.store, USER_SESSION),
        );
        select_session(&mut app, attacker);
        update(&mut app, Action::MarkAttacker);
        assert!(app.message.as_deref().unwrap().contains("marked attacker"));
        select_session(&mut app, user);
        update(&mut app, Action::MarkUser);
        select_session(&mut app, attacker);
        update(&mut app, Action::EditNote);
        for c in "inbox rule to proton".chars() {
            update(&mut app, Action::Input(c));
        }
        update(&mut app, Action::Confirm);
    } // the process "ends": nothing kept in memory
    let case = Case::open(&case_path).unwrap();
    assert_eq!(case.verdict(ATTACKER_SESSION), Some(Verdict::Attacker));
    assert_eq!(case.verdict(USER_SESSION), Some(Verdict::User));
    assert_eq!(case.note(ATTACKER_SESSION), Some("inbox rule to proton"));

    // A fresh App over the same export shows them again.
    let (store, _) = load_files(std::slice::from_ref(&input));
    let app = App::new(Arc::new(store)).with_case(case);
    let attacker = session_named(&app.store, ATTACKER_SESSION);
    assert_eq!(app.verdict(attacker), Some(Verdict::Attacker));

    // The batch commands read the same default case file.
    let rows = json_rows(&sessionscope(&[
        "sessions",
        input.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(rows[0]["verdict"], "user");
    assert!(rows[0]["note"].is_null());
    assert_eq!(rows[1]["verdict"], "attacker");
    assert_eq!(rows[1]["note"], "inbox rule to proton");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&case_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn two_writers_on_one_case_file_keep_each_others_verdicts() {
    let dir = temp_dir("two-writers");
    let path = dir.join("shared.case.json");
    let mut a = Case::open(&path).unwrap();
    let mut b = Case::open(&path).unwrap(); // opened before A wrote anything
    a.set_verdict(ATTACKER_SESSION, "alex", Some(Verdict::Attacker))
        .unwrap();
    b.set_verdict(USER_SESSION, "alex", Some(Verdict::User))
        .unwrap();
    // B merged A's verdict on its write; A sees B's after a refresh.
    assert_eq!(b.verdict(ATTACKER_SESSION), Some(Verdict::Attacker));
    a.refresh();
    assert_eq!(a.verdict(USER_SESSION), Some(Verdict::User));
    let on_disk = Case::open(&path).unwrap();
    assert_eq!(on_disk.data.sessions.len(), 2);

    // A clear is a change too: it wins over the older verdict in the other process.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    a.set_verdict(ATTACKER_SESSION, "alex", None).unwrap();
    b.set_note(USER_SESSION, "alex", "the real Alex, on the VPN")
        .unwrap();
    let on_disk = Case::open(&path).unwrap();
    assert_eq!(on_disk.verdict(ATTACKER_SESSION), None);
    assert_eq!(
        on_disk.note(USER_SESSION),
        Some("the real Alex, on the VPN")
    );
}

#[test]
fn a_killed_writer_leaves_the_previous_case_file_intact() {
    let input = seed_copy("killed");
    let case_path = sessionscope::case::beside_path(&input);
    let status = bin()
        .args([
            "mark",
            input.to_str().unwrap(),
            "--session",
            USER_SESSION,
            "--user",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let before = std::fs::read(&case_path).unwrap();

    // The next writer is killed half-way through writing its temporary file.
    let mut child = bin()
        .args([
            "mark",
            input.to_str().unwrap(),
            "--session",
            ATTACKER_SESSION,
            "--attacker",
        ])
        .env("SESSIONSCOPE_TEST_SLOW_CASE_WRITE_MS", "5000")
        .spawn()
        .unwrap();
    let tmp_prefix = "first-table.csv.case.json.tmp-";
    let mut waited = 0;
    while waited < 100
        && !std::fs::read_dir(case_path.parent().unwrap())
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(tmp_prefix))
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
        waited += 1;
    }
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(
        std::fs::read(&case_path).unwrap(),
        before,
        "the case file is the previous one"
    );
    let case = Case::open(&case_path).unwrap();
    assert!(case.warning.is_none());
    assert_eq!(case.verdict(USER_SESSION), Some(Verdict::User));
    assert_eq!(case.verdict(ATTACKER_SESSION), None);
}

#[test]
fn a_corrupt_case_file_is_kept_aside_not_overwritten() {
    let dir = temp_dir("corrupt");
    let path = dir.join("x.case.json");
    std::fs::write(&path, b"{\"schema_version\": 1, \"sessions\": {").unwrap();
    let mut case = Case::open(&path).unwrap();
    let warning = case.warning.clone().unwrap();
    assert!(warning.contains("kept aside"), "{warning}");
    let aside: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(
        std::fs::read(aside[0].path()).unwrap(),
        b"{\"schema_version\": 1, \"sessions\": {"
    );
    case.set_verdict(ATTACKER_SESSION, "alex", Some(Verdict::Attacker))
        .unwrap();
    assert_eq!(
        Case::open(&path).unwrap().verdict(ATTACKER_SESSION),
        Some(Verdict::Attacker)
    );
}

#[test]
fn a_case_that_cannot_be_written_beside_the_export_moves_to_its_fallback() {
    let dir = temp_dir("fallback");
    // A "folder" that is a file: nothing can be written inside it, even as root.
    std::fs::write(dir.join("readonly-share"), b"").unwrap();
    let blocked = dir.join("readonly-share").join("export.csv.case.json");
    let elsewhere = dir.join("data").join("export.csv.case.json-1234");
    let mut case = Case::open_placed(&blocked, Some(elsewhere.clone())).unwrap();
    case.set_verdict(ATTACKER_SESSION, "alex", Some(Verdict::Attacker))
        .unwrap();
    assert_eq!(case.path, elsewhere);
    assert!(
        case.warning
            .as_deref()
            .unwrap()
            .contains("cannot write beside the export")
    );
    assert_eq!(
        Case::open(&elsewhere).unwrap().verdict(ATTACKER_SESSION),
        Some(Verdict::Attacker)
    );
    // Without a fallback the error is the caller's to report.
    let mut stuck = Case::open(&blocked).unwrap();
    assert!(
        stuck
            .set_verdict(USER_SESSION, "alex", Some(Verdict::User))
            .is_err()
    );
}

#[test]
fn inbx_puts_inbox_rule_actions_first() {
    let (store, _) = load_fixture("demo/tenant.csv");
    let searcher = Searcher::new(&store);
    let results = searcher.search(&store, "inbx", None, 50);
    assert!(
        results.total > 100,
        "MailItemsAccessed in \\Inbox match too: {}",
        results.total
    );
    let first: Vec<&str> = results.hits[..4]
        .iter()
        .map(|h| store.str(store.events[h.event as usize].operation))
        .collect();
    assert!(
        first
            .iter()
            .all(|op| op.contains("InboxRule") || *op == "UpdateInboxRules"),
        "{first:?}"
    );
    // Matched characters are highlighted in the field that matched.
    let marks = searcher.highlight("New-InboxRule", "inbx");
    assert_eq!(marks.len(), 4);
    // Searching the current view only: alex's timeline has one inbox rule.
    let alex = store.lookup("alex.wilber@contoso.com").unwrap();
    let scoped = searcher.search(
        &store,
        "inbx",
        Some(&store.events_with(Facet::User, alex)),
        50,
    );
    assert_eq!(
        store.str(store.events[scoped.hits[0].event as usize].operation),
        "New-InboxRule"
    );
    assert!(scoped.total < results.total);
}

#[test]
fn search_prompt_jumps_to_the_hit_and_n_cycles() {
    let (store, _) = load_fixture("seed/first-table.csv");
    let mut app = App::new(Arc::new(store));
    app.viewport = (80, 24);
    update(&mut app, Action::Search);
    for c in "inbx".chars() {
        update(&mut app, Action::Input(c));
    }
    let total = app.search.as_ref().unwrap().results.total;
    assert!(total >= 2, "the rule, and actions in \\Inbox: {total}");
    // Hits in time order, the cursor on the best.
    let search = app.search.as_ref().unwrap();
    let events: Vec<u32> = search.results.hits.iter().map(|h| h.event).collect();
    assert!(events.is_sorted(), "{events:?}");
    let best = search.selected;
    update(&mut app, Action::Confirm);
    assert!(app.prompt.is_none());
    let op = |app: &App| {
        let e = app.selected_event().unwrap();
        app.store
            .str(app.store.events[e as usize].operation)
            .to_string()
    };
    assert_eq!(op(&app), "New-InboxRule");
    let rule = app.selected_event().unwrap();
    update(&mut app, Action::NextHit);
    assert_ne!(op(&app), "New-InboxRule");
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .starts_with(&format!("hit {}/", (best + 1) % total + 1)),
        "{:?}",
        app.message
    );
    if best + 1 < total {
        assert!(app.selected_event().unwrap() > rule, "the next hit in time");
    }
    update(&mut app, Action::PrevHit);
    assert_eq!(op(&app), "New-InboxRule");
    // Tab widens to the whole store; typing goes into the prompt, not to the keymap.
    update(&mut app, Action::Search);
    update(&mut app, Action::Backspace);
    update(&mut app, Action::ToggleScope);
    assert!(app.search.as_ref().unwrap().other_scope);
    update(&mut app, Action::Input('q'));
    assert!(!app.quit);
    update(&mut app, Action::Cancel);
    assert!(app.search.is_none());
}

#[test]
fn linked_view_finds_the_other_account_the_attacker_used() {
    let input = temp_dir("linked").join("tenant.csv");
    std::fs::copy(fixture("demo/tenant.csv"), &input).unwrap();
    let (store, _) = load_files(std::slice::from_ref(&input));
    let case = Case::for_input(&input).unwrap();
    let mut app = App::new(Arc::new(store)).with_case(case);
    update(&mut app, Action::Linked);
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .contains("mark a session attacker first")
    );

    let attacker = session_named(&app.store, ATTACKER_SESSION);
    let row = app
        .frame()
        .session_rows
        .iter()
        .position(|r| *r == sessionscope::tui::app::SessionRow::Session(attacker))
        .unwrap();
    app.select_session_row(row);
    update(&mut app, Action::MarkAttacker);
    update(&mut app, Action::Linked);
    let hopper = session_named(&app.store, "7c3e9a51-2f84-4d6b-b0c1-5e9d8a4f2b17");
    let note = app
        .frame()
        .notes
        .get(&hopper)
        .expect("megan's attacker session is linked");
    assert!(note.contains("client Client=OWA"), "{note}");
    assert!(note.contains("Firefox"), "{note}");
    // It can be marked in place, and Enter opens it.
    let row = app
        .frame()
        .session_rows
        .iter()
        .position(|r| *r == sessionscope::tui::app::SessionRow::Session(hopper))
        .unwrap();
    app.select_session_row(row);
    update(&mut app, Action::MarkAttacker);
    assert_eq!(app.verdict(hopper), Some(Verdict::Attacker));
    assert!(app.breadcrumb().starts_with("linked to attacker"));
    update(&mut app, Action::Enter);
    assert!(
        app.breadcrumb()
            .starts_with("session 7c3e9a51 (megan.bowen@contoso.com) < linked to attacker"),
        "{}",
        app.breadcrumb()
    );
    assert_eq!(
        app.timeline_rows().len(),
        app.store.sessions[hopper].events.len()
    );
}

#[test]
fn report_lists_the_attackers_inbox_rule_and_folder_permissions() {
    let input = seed_copy("report");
    let path = input.to_str().unwrap();
    assert!(
        bin()
            .args(["mark", path, "--session", ATTACKER_SESSION, "--attacker"])
            .status()
            .unwrap()
            .success()
    );
    let o = bin().args(["report", path]).output().unwrap();
    assert!(o.status.success());
    let md = String::from_utf8(o.stdout).unwrap();
    assert!(
        md.contains("## What the attacker changed, and what to do"),
        "{md}"
    );
    assert!(
        md.contains("- [ ] **inbox rule** (alex.wilber@contoso.com; New-InboxRule;"),
        "{md}"
    );
    assert!(md.contains("billing-archive@proton-mail.example"), "{md}");
    assert!(md.contains("**permission**"), "{md}");
    assert!(md.contains("\\\\Inbox: ReadItems for anonymous"), "{md}");
    assert!(md.contains("**forwarding**"), "{md}");
    // The account's own steps, and why the session was judged the attacker's.
    assert!(md.contains("## Accounts to secure"), "{md}");
    assert!(
        md.contains("- [ ] revoke every session and refresh token"),
        "{md}"
    );
    assert!(md.contains("- risk 100 of 100, because:"), "{md}");
    assert!(
        !md.contains("MoveToDeletedItems"),
        "the user's own session is not in it"
    );

    let o = bin()
        .args(["report", path, "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["attacker_sessions"][0]["session_id"], ATTACKER_SESSION);
    assert_eq!(
        v["attacker_sessions"][0]["actions"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let categories: Vec<&str> = v["remediation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["category"].as_str().unwrap())
        .collect();
    assert_eq!(categories, ["inbox rule", "forwarding", "permission"]);
}

#[test]
fn report_csv_neutralises_formula_cells() {
    let evil = json_lines_with_rule_name(r#"=HYPERLINK(\"http://x.example\",\"open\")"#);
    let input = temp_dir("report-csv").join("evil.jsonl");
    std::fs::write(&input, evil).unwrap();
    let path = input.to_str().unwrap();
    assert!(
        bin()
            .args(["mark", path, "--session", ATTACKER_SESSION, "--attacker"])
            .status()
            .unwrap()
            .success()
    );
    let o = bin()
        .args(["report", path, "--format", "csv"])
        .output()
        .unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let mut saw_rule = false;
    for row in reader.records() {
        let row = row.unwrap();
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "formula cell {cell:?}"
            );
        }
        if &row[5] == "New-InboxRule" {
            saw_rule = true;
            assert!(row[8].contains("=HYPERLINK"), "{}", &row[8]);
        }
    }
    assert!(saw_rule);
}

#[test]
fn links_through_values_every_account_uses_come_last_and_say_so() {
    let (store, _) = load_fixture("demo/tenant.csv");
    // The corporate-VPN attacker: its IP is the VPN egress that most employees use too.
    let attacker = session_named(&store, "9a7e3b10-4c2d-4f8e-a1b3-6d5c4e3f2a10");
    let links = sessionscope::linked::linked_sessions(&store, &[attacker]);
    assert!(links.len() > 50, "{}", links.len());
    let weak: Vec<_> = links.iter().filter(|l| l.strength() == 0).collect();
    assert!(!weak.is_empty());
    let first_weak = links.iter().position(|l| l.strength() == 0).unwrap();
    assert!(
        links[first_weak..].iter().all(|l| l.strength() == 0),
        "weak links last"
    );
    let text = weak[0].describe(&store);
    assert!(
        text.contains("only common values: 203.0.113.10 (used by"),
        "{text}"
    );

    // The seed attacker's browser string is shared with one other account: a strong link.
    let alex = session_named(&store, ATTACKER_SESSION);
    let links = sessionscope::linked::linked_sessions(&store, &[alex]);
    let hopper = session_named(&store, "7c3e9a51-2f84-4d6b-b0c1-5e9d8a4f2b17");
    assert_eq!(links[0].session, hopper, "{:?}", links[0].describe(&store));
}

#[test]
fn remediation_follows_what_the_action_did_not_its_name() {
    use sessionscope_synth::records::{self as r, Actor};
    let a = Actor {
        user: "pat@contoso.com".into(),
        session: Some("aaaaaaaa-0000-4000-8000-000000000001".into()),
        ip: "192.0.2.7".into(),
        client_info: "Client=Microsoft.Exchange.PowerShell;Version=3.0".into(),
        token: None,
        issued_at: None,
    };
    let t = sessionscope_synth::tenant::seed_day();
    let records = [
        r::cmdlet(
            "11111111-0000-4000-8000-000000000001",
            t,
            &a,
            "Get-MailboxPermission",
            "pat",
            &[("Identity", "ceo@contoso.com")],
        ),
        r::cmdlet(
            "11111111-0000-4000-8000-000000000002",
            t + 60,
            &a,
            "Set-Mailbox",
            "pat",
            &[
                ("Identity", "pat@contoso.com"),
                ("ProhibitSendQuota", "49 GB"),
            ],
        ),
        r::cmdlet(
            "11111111-0000-4000-8000-000000000003",
            t + 120,
            &a,
            "Add-MailboxPermission",
            "ceo",
            &[
                ("Identity", "ceo@contoso.com"),
                ("User", "pat@contoso.com"),
                ("AccessRights", "FullAccess"),
            ],
        ),
        r::cmdlet(
            "11111111-0000-4000-8000-000000000004",
            t + 180,
            &a,
            "Set-Mailbox",
            "pat",
            &[
                ("Identity", "pat@contoso.com"),
                ("ForwardingAddress", "Outside Contact"),
            ],
        ),
    ];
    let text: Vec<String> = records.iter().map(|v| v.to_string()).collect();
    let path = write_temp("remedies.jsonl", text.join("\n").as_bytes());
    let p = path.to_str().unwrap();
    let marked = bin()
        .args([
            "mark",
            p,
            "--session",
            "aaaaaaaa-0000-4000-8000-000000000001",
        ])
        .arg("--attacker")
        .status()
        .unwrap();
    assert!(marked.success());
    let o = bin()
        .args(["report", p, "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let remedies: Vec<(&str, &str)> = v["remediation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["category"].as_str().unwrap(),
                r["operation"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        remedies,
        [
            ("forwarding", "Set-Mailbox"),
            ("permission", "Add-MailboxPermission")
        ]
    );
    // A forward to a recipient object is alarming: the record does not say where it goes.
    let rows = json_rows(&sessionscope(&["sessions", p, "--json"]));
    let codes: Vec<&str> = rows[0]["reasons_detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"mailbox_forwards_to_recipient"),
        "{codes:?}"
    );
    assert!(codes.contains(&"grant_mailbox"), "{codes:?}");
}

#[test]
fn background_scoring_uses_the_cases_verdicts_as_scoring_in_front_does() {
    let input = temp_dir("background").join("tenant.csv");
    std::fs::copy(fixture("demo/tenant.csv"), &input).unwrap();
    let (store, _) = load_files(std::slice::from_ref(&input));
    let store = Arc::new(store);
    // One of alex's ordinary sessions marked user: the baseline of alex's sessions changes.
    let alex = store.lookup("alex.wilber@contoso.com").unwrap();
    let ordinary = store
        .sessions
        .iter()
        .find(|s| s.user == alex && s.has_id() && store.str(s.id) != ATTACKER_SESSION)
        .unwrap();
    let mut case = Case::for_input(&input).unwrap();
    case.set_verdict(
        store.str(ordinary.id),
        "alex.wilber@contoso.com",
        Some(Verdict::User),
    )
    .unwrap();
    let case_path = case.path.clone();
    let unmarked = App::new(Arc::clone(&store));
    let mut front = App::new(Arc::clone(&store)).with_case(Case::open(&case_path).unwrap());
    assert!(
        front.scoring(),
        "a new baseline is scored in the background"
    );
    front.take_scores(true);
    assert_ne!(
        front.assessments, unmarked.assessments,
        "the verdict changes the scores"
    );
    let mut back = App::unscored(store).with_case(Case::open(&case_path).unwrap());
    assert!(
        back.assessments.is_empty(),
        "with_case does not score an unscored app"
    );
    back.score_in_background();
    assert!(back.take_scores(true));
    assert_eq!(back.assessments, front.assessments);
}

#[test]
fn a_search_in_chunks_ends_where_one_search_does_and_stops_when_told() {
    let (store, _) = load_fixture("demo/tenant.csv");
    let searcher = Searcher::new(&store);
    for query in ["inbx", "payment", "198.51", "i"] {
        let whole = searcher.search(&store, query, None, 50);
        let mut calls = Vec::new();
        let chunked = searcher
            .search_in_chunks(&store, query, None, 50, 500, |so_far, searched| {
                calls.push((so_far.total, searched));
                true
            })
            .unwrap();
        assert_eq!(chunked.total, whole.total, "{query}");
        assert_eq!(
            chunked.hits.iter().map(|h| h.event).collect::<Vec<_>>(),
            whole.hits.iter().map(|h| h.event).collect::<Vec<_>>(),
            "{query}"
        );
        if whole.total > 0 {
            // Partial counts only grow, and say how far the search has gone.
            assert_eq!(
                calls[0],
                (0, 0),
                "{query}: first, once the strings are scored"
            );
            assert_eq!(calls.len(), store.events.len().div_ceil(500), "{query}");
            assert!(
                calls
                    .windows(2)
                    .all(|w| w[0].0 <= w[1].0 && w[0].1 < w[1].1)
            );
        }
    }
    let stopped = searcher.search_in_chunks(&store, "i", None, 50, 500, |_, _| false);
    assert!(stopped.is_none());
    // A stopped search leaves no score behind for the next query.
    assert_eq!(
        searcher.search(&store, "payment", None, 50).total,
        Searcher::new(&store)
            .search(&store, "payment", None, 50)
            .total
    );
}

#[test]
fn a_verdict_is_drawn_at_once_and_only_a_new_baseline_is_scored_behind_it() {
    let dir = temp_dir("keys-never-block");
    let (store, _) = load_files(&[fixture("demo/tenant.csv")]);
    let case = Case::open(&dir.join("case.json")).unwrap();
    let mut app = App::new(Arc::new(store)).with_case(case);
    app.take_scores(true);
    let store = Arc::clone(&app.store);
    let before = app.assessments.clone();
    // The cursor on a session of alex's that is not the attacker's.
    let alex = store.lookup("alex.wilber@contoso.com").unwrap();
    let ordinary = (0..store.sessions.len())
        .find(|&s| {
            let s = &store.sessions[s];
            s.user == alex && s.has_id() && store.str(s.id) != ATTACKER_SESSION
        })
        .unwrap();
    let row = app
        .frame()
        .session_rows
        .iter()
        .position(|r| *r == sessionscope::tui::app::SessionRow::Session(ordinary))
        .unwrap();
    app.select_session_row(row);
    let id = store.sessions[ordinary].id;

    update(&mut app, Action::MarkAttacker);
    assert_eq!(app.verdicts.get(&id), Some(&Verdict::Attacker));
    assert!(!app.scoring(), "an attacker mark changes no baseline");

    update(&mut app, Action::EditNote);
    for c in "phished".chars() {
        update(&mut app, Action::Input(c));
    }
    update(&mut app, Action::Confirm);
    assert!(!app.scoring(), "a note scores nothing");

    update(&mut app, Action::MarkUser);
    assert_eq!(app.verdicts.get(&id), Some(&Verdict::User), "drawn at once");
    assert!(
        app.scoring(),
        "the new baseline is scored in the background"
    );
    assert_eq!(
        app.assessments, before,
        "the list keeps its risk until then"
    );
    app.take_scores(true);
    assert_ne!(app.assessments, before, "then takes the new risk");
    let saved = Case::open(&dir.join("case.json")).unwrap();
    let sid = store.str(id);
    assert_eq!(saved.verdict(sid), Some(Verdict::User));
    assert_eq!(saved.note(sid), Some("phished"));
}

/// The names in `dir`, sorted.
fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn two_case_files_set_aside_in_the_same_second_are_both_kept() {
    let dir = temp_dir("aside-twice");
    let path = dir.join("x.case.json");
    std::fs::write(&path, b"first damaged file").unwrap();
    Case::open(&path).unwrap();
    std::fs::write(&path, b"second damaged file").unwrap();
    Case::open(&path).unwrap();
    let aside: Vec<String> = names_in(&dir)
        .into_iter()
        .filter(|n| n.contains(".corrupt-"))
        .collect();
    assert_eq!(aside.len(), 2, "{aside:?}");
    let mut kept: Vec<Vec<u8>> = aside
        .iter()
        .map(|n| std::fs::read(dir.join(n)).unwrap())
        .collect();
    kept.sort();
    assert_eq!(
        kept,
        [
            b"first damaged file".to_vec(),
            b"second damaged file".to_vec()
        ]
    );
}

#[test]
fn commands_that_only_read_leave_a_damaged_or_newer_case_file_as_it_is() {
    let input = seed_copy("read-only-case");
    let dir = input.parent().unwrap().to_path_buf();
    let case = dir.join("team.case.json");
    let newer = br#"{"schema_version": 99, "sessions": {}, "from_the_future": true}"#;
    for content in [&b"not json"[..], &newer[..]] {
        std::fs::write(&case, content).unwrap();
        let before = names_in(&dir);
        for command in ["sessions", "timeline", "stats", "report"] {
            let out = bin()
                .args([
                    command,
                    input.to_str().unwrap(),
                    "--case",
                    case.to_str().unwrap(),
                ])
                .output()
                .unwrap();
            assert!(out.status.success(), "{command}: {out:?}");
            assert_eq!(std::fs::read(&case).unwrap(), content, "{command}");
            assert_eq!(names_in(&dir), before, "{command} wrote nothing beside it");
        }
    }
    // The newer file is not ours to rewrite: mark refuses, says why, and leaves it.
    let out = bin()
        .args([
            "mark",
            input.to_str().unwrap(),
            "--case",
            case.to_str().unwrap(),
            "--session",
            ATTACKER_SESSION,
            "--attacker",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("newer sessionscope"), "{err}");
    assert_eq!(std::fs::read(&case).unwrap(), newer);
    assert!(!names_in(&dir).iter().any(|n| n.contains(".corrupt-")));
}

#[cfg(unix)]
#[test]
fn a_case_file_that_is_a_link_is_updated_where_it_points() {
    let input = seed_copy("linked-case");
    let dir = input.parent().unwrap();
    let team = dir.join("team");
    std::fs::create_dir_all(&team).unwrap();
    let mut shared = Case::open(&team.join("shared.case.json")).unwrap();
    shared
        .set_verdict(USER_SESSION, "alex", Some(Verdict::User))
        .unwrap();
    let link = dir.join("mine.case.json");
    std::os::unix::fs::symlink("team/shared.case.json", &link).unwrap();
    let out = bin()
        .args([
            "mark",
            input.to_str().unwrap(),
            "--case",
            link.to_str().unwrap(),
            "--session",
            ATTACKER_SESSION,
            "--attacker",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is still a link"
    );
    let team_file = Case::open(&team.join("shared.case.json")).unwrap();
    assert_eq!(team_file.verdict(ATTACKER_SESSION), Some(Verdict::Attacker));
    assert_eq!(team_file.verdict(USER_SESSION), Some(Verdict::User));
}

#[cfg(unix)]
#[test]
fn the_report_never_replaces_a_file_nor_follows_a_link() {
    use std::os::unix::fs::PermissionsExt;
    let input = seed_copy("report-files");
    let dir = input.parent().unwrap().to_path_buf();
    let (store, _) = load_files(std::slice::from_ref(&input));
    let mut case = Case::for_input(&input).unwrap();
    case.set_verdict(ATTACKER_SESSION, "alex", Some(Verdict::Attacker))
        .unwrap();
    let mut app = App::new(Arc::new(store)).with_case(case);
    let report = dir.join("first-table.csv.report.md");

    update(&mut app, Action::WriteReport);
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .starts_with("report written: ")
    );
    let mode = std::fs::metadata(&report).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "readable by its owner only");
    // The investigator edits it; another R keeps the edit and says where the new one went.
    std::fs::write(&report, "edited by hand").unwrap();
    // A link where the next report would go, to a file that must not be touched.
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "untouched").unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("first-table.csv.report-2.md")).unwrap();
    update(&mut app, Action::WriteReport);
    let said = app.message.clone().unwrap();
    assert!(said.contains("first-table.csv.report-3.md"), "{said}");
    assert!(said.contains("was there already and is kept"), "{said}");
    assert_eq!(std::fs::read_to_string(&report).unwrap(), "edited by hand");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    let third = std::fs::read_to_string(dir.join("first-table.csv.report-3.md")).unwrap();
    assert!(third.contains(ATTACKER_SESSION), "{third}");
}

#[test]
fn u_undoes_verdicts_and_notes_one_by_one_and_the_undo_is_saved() {
    let input = seed_copy("undo");
    let case_path = input.with_file_name("first-table.csv.case.json");
    {
        let (store, _) = load_files(std::slice::from_ref(&input));
        let mut app = App::new(Arc::new(store)).with_case(Case::for_input(&input).unwrap());
        update(&mut app, Action::Undo);
        assert!(
            app.message
                .as_deref()
                .unwrap()
                .starts_with("nothing to undo")
        );
        let attacker = session_named(&app.store, ATTACKER_SESSION);
        select_session(&mut app, attacker);
        update(&mut app, Action::MarkUser);
        update(&mut app, Action::MarkAttacker);
        update(&mut app, Action::EditNote);
        for c in "rule to proton".chars() {
            update(&mut app, Action::Input(c));
        }
        update(&mut app, Action::Confirm);
        // The note goes first, the verdict stays.
        update(&mut app, Action::Undo);
        let case = Case::open(&case_path).unwrap();
        assert_eq!(case.note(ATTACKER_SESSION), None);
        assert_eq!(case.verdict(ATTACKER_SESSION), Some(Verdict::Attacker));
        // Then the attacker verdict: back to the user verdict given before it.
        update(&mut app, Action::Undo);
        assert!(
            app.message
                .as_deref()
                .unwrap()
                .contains("back to marked user"),
            "{:?}",
            app.message
        );
        assert_eq!(app.verdict(attacker), Some(Verdict::User));
    }
    // Saved as any change is: a restart sees the undone state.
    let case = Case::open(&case_path).unwrap();
    assert_eq!(case.verdict(ATTACKER_SESSION), Some(Verdict::User));
    assert_eq!(case.note(ATTACKER_SESSION), None);
}

/// An attacker session that changes more than mail: three rules alike, an anonymous sharing
/// link, a group membership and a folder permission.
fn non_mail_session() -> (Vec<serde_json::Value>, &'static str) {
    use sessionscope_synth::records::{self as r, Actor};
    let session = "6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
    let a = Actor {
        user: "alex.wilber@contoso.com".into(),
        session: Some(session.into()),
        ip: "185.220.101.7".into(),
        client_info: "Client=OWA;Action=ViaProxy".into(),
        token: Some("0017abcdef0123456789ab".into()),
        issued_at: Some(1_710_237_000),
    };
    let t = 1_710_237_600; // 2024-03-12T10:00:00Z
    let mut out = vec![r::mailbox_login(
        "a1d3c0de-0000-4000-8000-000000000001",
        t,
        &a,
    )];
    for (i, name) in ["a", "b", "c"].iter().enumerate() {
        out.push(r::new_inbox_rule(
            &format!("a1d3c0de-0000-4000-8000-00000000001{i}"),
            t + 60 * (i as i64 + 1),
            &a,
            &[
                ("Name", name),
                ("MoveToFolder", "RSS Feeds"),
                ("MarkAsRead", "True"),
            ],
        ));
    }
    let context =
        serde_json::json!({"AADSessionId": session, "UniqueTokenId": "0017abcdef0123456789ab"});
    out.push(serde_json::json!({
        "CreationTime": "2024-03-12T10:20:00", "Id": "a1d3c0de-0000-4000-8000-000000000020",
        "Operation": "AnonymousLinkCreated", "RecordType": 14, "Workload": "OneDrive",
        "UserId": "alex.wilber@contoso.com", "UserType": 0, "ClientIP": "185.220.101.7",
        "ObjectId": "https://contoso-my.sharepoint.com/personal/alex_wilber_contoso_com/Documents/Payroll.xlsx",
        "AppAccessContext": context, "UserAgent": "Mozilla/5.0 (X11; Linux x86_64)"
    }));
    out.push(serde_json::json!({
        "CreationTime": "2024-03-12T10:25:00", "Id": "a1d3c0de-0000-4000-8000-000000000021",
        "Operation": "Add member to group.", "RecordType": 8, "Workload": "AzureActiveDirectory",
        "UserId": "alex.wilber@contoso.com", "UserType": 0, "ClientIP": "185.220.101.7",
        "ObjectId": "Finance Approvers", "AppAccessContext": context,
        "Target": [{"ID": "Finance Approvers", "Type": 1}]
    }));
    out.push(r::add_folder_permissions(
        "a1d3c0de-0000-4000-8000-000000000030",
        t + 1800,
        &a,
        "\\Inbox",
        "Default",
        "Reviewer",
    ));
    (out, session)
}

#[test]
fn the_report_names_every_change_groups_the_alike_and_keeps_the_evidence() {
    let (records, session) = non_mail_session();
    let lines: Vec<String> = records.iter().map(|v| v.to_string()).collect();
    let input = temp_dir("report-non-mail").join("tenant.jsonl");
    std::fs::write(&input, lines.join("\n")).unwrap();
    let path = input.to_str().unwrap();
    assert!(
        bin()
            .args(["mark", path, "--session", &session[..8], "--attacker"])
            .status()
            .unwrap()
            .success()
    );
    let o = bin()
        .args(["report", path, "--format", "json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let items = v["remediation"].as_array().unwrap();
    let categories: Vec<&str> = items
        .iter()
        .map(|r| r["category"].as_str().unwrap())
        .collect();
    assert_eq!(
        categories,
        ["inbox rule", "permission", "sharing", "group membership"],
        "{items:#?}"
    );
    // Three rules alike: one item, with its count, names and records.
    let rules = &items[0];
    assert_eq!(rules["count"], 3);
    assert_eq!(rules["names"], serde_json::json!(["a", "b", "c"]));
    assert_eq!(rules["record_ids"].as_array().unwrap().len(), 3);
    let advice = rules["what_to_do"].as_str().unwrap();
    assert!(advice.contains("it moves mail to RSS Feeds"), "{advice}");
    assert!(
        !advice.contains("forward"),
        "they forward nowhere: {advice}"
    );
    assert!(
        items[2]["what_to_do"]
            .as_str()
            .unwrap()
            .contains("delete the anonymous link")
    );
    assert_eq!(
        items[2]["record_ids"],
        serde_json::json!(["a1d3c0de-0000-4000-8000-000000000020"])
    );
    // The account's steps, why the session is the attacker's, and the evidence.
    assert_eq!(v["accounts"][0]["user"], "alex.wilber@contoso.com");
    assert_eq!(v["accounts"][0]["steps"].as_array().unwrap().len(), 4);
    assert!(v["attacker_sessions"][0]["risk"].as_u64().unwrap() > 0);
    assert!(
        !v["attacker_sessions"][0]["reasons"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(v["time_zone"], "UTC");
    assert_eq!(v["tool_version"], env!("CARGO_PKG_VERSION"));
    let sha = Command::new("sha256sum").arg(&input).output().unwrap();
    let sha = String::from_utf8(sha.stdout).unwrap();
    assert_eq!(
        v["inputs"][0]["sha256"],
        sha.split_whitespace().next().unwrap()
    );
    assert_eq!(
        v["inputs"][0]["size"],
        std::fs::metadata(&input).unwrap().len()
    );

    let md = String::from_utf8(bin().args(["report", path]).output().unwrap().stdout).unwrap();
    assert!(md.contains("3 items"), "{md}");
    assert!(md.contains("\"a\", \"b\", \"c\""), "{md}");
    assert!(md.contains("**sharing**"), "{md}");
    assert!(md.contains("**group membership**"), "{md}");
    assert!(md.contains("## Evidence"), "{md}");
    assert!(md.contains(sha.split_whitespace().next().unwrap()), "{md}");
}
