//! A session used from the user's network and others at once (a stolen token): the timeline
//! shows its other networks as a lane of their own, and that part can be marked attacker
//! while the rest stays the user's; the case file, a restart, `mark` and the report agree.

mod common;
use common::*;
use sessionscope::case::{Case, Verdict};
use sessionscope::store::Facet;
use sessionscope::tui::app::Pane;
use sessionscope::tui::{Action, App, update};
use sessionscope_synth::attacks::{Attack, attack_tenant};
use std::sync::Arc;

/// The tenant as JSON Lines in a folder of its own, and the replayed session's ID.
fn replay_tenant(name: &str) -> (std::path::PathBuf, String) {
    let t = attack_tenant(1);
    let text: Vec<String> = t.records.iter().map(|v| v.to_string()).collect();
    let path = write_temp(name, text.join("\n").as_bytes());
    let replay = t
        .attacks
        .iter()
        .find(|p| p.attack == Attack::TokenReplay)
        .unwrap();
    (path, replay.session.clone().unwrap())
}

fn open(path: &std::path::Path) -> App {
    let (store, _) = load_files(&[path.to_path_buf()]);
    let mut app = App::new(Arc::new(store)).with_case(Case::for_input(path).unwrap());
    app.viewport = (80, 24);
    app
}

/// Drills into `id`'s own timeline and puts the cursor on its first row that `wanted` says yes
/// to.
fn to_row_of(app: &mut App, id: &str, wanted: impl Fn(&App, u32) -> bool) {
    let s = session_named(&app.store, id);
    select_session(app, s);
    update(app, Action::Pivot(Facet::Session));
    assert_eq!(app.frame().focus, Pane::Timeline);
    let rows = app.timeline_rows().to_vec();
    let at = rows
        .iter()
        .position(|&e| wanted(app, e))
        .expect("such a row");
    for _ in 0..at {
        update(app, Action::Down);
    }
}

fn screen(app: &App) -> Vec<String> {
    screen_lines(app, 80, 24)
}

#[test]
fn the_foreign_part_of_a_replayed_session_is_its_own_lane_and_is_marked_alone() {
    let (path, id) = replay_tenant("split.jsonl");
    let short: String = id.chars().take(8).collect();
    let mut app = open(&path);
    to_row_of(&mut app, &id, |app, e| app.in_foreign_part(e));
    let lines = screen(&app);
    let foreign_rows: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains(&short) && l.contains("198.19."))
        .collect();
    let home_rows: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains(&short) && l.contains("203.0.113.10"))
        .collect();
    assert!(
        !foreign_rows.is_empty() && !home_rows.is_empty(),
        "{}",
        lines.join("\n")
    );
    // Same lane letter; the part from other networks carries `*`.
    assert!(
        foreign_rows
            .iter()
            .all(|l| l.contains(&format!("* {short}"))),
        "{foreign_rows:?}"
    );
    assert!(
        home_rows.iter().all(|l| !l.contains(&format!("* {short}"))),
        "{home_rows:?}"
    );

    update(&mut app, Action::MarkAttacker);
    let said = app.message.clone().unwrap();
    assert!(
        said.contains("part from") && said.contains("marked attacker"),
        "{said}"
    );
    let lines = screen(&app);
    for l in lines.iter().filter(|l| l.contains(&short)) {
        if l.contains("198.19.") {
            let at = l.find(&format!("* {short}")).unwrap();
            assert_eq!(&l[at - 2..at - 1], "!", "{l}");
        } else {
            assert!(!l.contains('!'), "the user's own part stays unmarked: {l}");
        }
    }
    // Marking the user's own part: move to a home row, U.
    let rows = app.timeline_rows().to_vec();
    let home = rows.iter().position(|&e| !app.in_foreign_part(e)).unwrap();
    let cursor = app.frame().timeline_cursor;
    for _ in home..cursor {
        update(&mut app, Action::Up);
    }
    for _ in cursor..home {
        update(&mut app, Action::Down);
    }
    update(&mut app, Action::MarkUser);
    assert!(
        app.message
            .clone()
            .unwrap()
            .contains(&format!("{short} marked user"))
    );
    drop(app);

    // A restart shows both verdicts: each action with its part's.
    let app = open(&path);
    let s = session_named(&app.store, &id);
    for &e in &app.store.sessions[s].events {
        let want = if app.in_foreign_part(e) {
            Verdict::Attacker
        } else {
            Verdict::User
        };
        assert_eq!(app.event_verdict(e), Some(want));
    }
    let case = Case::for_input(&path).unwrap();
    let entry = case.entry(&id).unwrap();
    assert_eq!(entry.verdict, Some(Verdict::User));
    assert!(entry.networks.len() >= 3, "{entry:?}");
    assert!(entry.networks.values().all(|v| *v == Verdict::Attacker));

    // The report lists only the attacker's part of the session.
    let o = sessionscope(&["report", path.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let sessions = v["attacker_sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["session_id"], id.as_str());
    let actions = sessions[0]["actions"].as_array().unwrap();
    assert!(!actions.is_empty());
    assert!(
        actions
            .iter()
            .all(|a| a["ip"].as_str().unwrap().starts_with("198.19."))
    );
    assert!(!sessions[0]["networks"].as_array().unwrap().is_empty());
    // sessions --json says which networks were marked.
    let rows = json_rows(&sessionscope(&[
        "sessions",
        path.to_str().unwrap(),
        "--json",
    ]));
    let row = rows
        .iter()
        .find(|r| r["session_id"] == id.as_str())
        .unwrap();
    assert_eq!(row["verdict"], "user");
    assert!(
        row["network_verdicts"]
            .as_object()
            .unwrap()
            .values()
            .all(|v| v == "attacker")
    );
    assert!(!row["other_network_ips"].as_array().unwrap().is_empty());
}

#[test]
fn mark_other_networks_from_the_command_line() {
    let (path, id) = replay_tenant("split-cli.jsonl");
    let p = path.to_str().unwrap();
    let o = sessionscope(&[
        "mark",
        p,
        "--session",
        &id,
        "--attacker",
        "--other-networks",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("other networks: attacker"));
    let case = Case::for_input(&path).unwrap();
    assert_eq!(case.verdict(&id), None, "the session itself is not marked");
    assert!(case.entry(&id).unwrap().networks.len() >= 3);
    // A session that was not used from two places cannot be split.
    let t = attack_tenant(1);
    let other = t
        .attacks
        .iter()
        .find(|p| p.attack == Attack::BecSameClient)
        .unwrap();
    let o = sessionscope(&[
        "mark",
        p,
        "--session",
        other.session.as_deref().unwrap(),
        "--attacker",
        "--other-networks",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("mark it whole"));
}
