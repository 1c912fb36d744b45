//! The session list's order under each sort (`S`): by risk or first seen, one list across
//! accounts, by the sort's key; by user, accounts grouped by name, each account's sessions by
//! first seen; the same rules in a pivot (risk counted over the pivot's sessions only), and a
//! re-sorted view keeps its sessions.

mod common;
use common::*;
use sessionscope::case::Case;
use sessionscope::store::Facet;
use sessionscope::tui::app::{Scope, SessionRow, SessionSort};
use sessionscope::tui::{Action, App, update};
use sessionscope_synth::attacks::attack_tenant;
use std::collections::BTreeSet;
use std::sync::Arc;

fn open_attack_tenant() -> App {
    let tenant = attack_tenant(2);
    let text: Vec<String> = tenant.records.iter().map(|v| v.to_string()).collect();
    let path = write_temp("sorting.jsonl", text.join("\n").as_bytes());
    let (store, report) = load_files(std::slice::from_ref(&path));
    assert_eq!(report.skipped(), 0);
    App::new(Arc::new(store)).with_case(Case::for_input(&path).unwrap())
}

/// The sort's key of a session: the list shows smaller keys first.
fn key(app: &App, s: usize) -> i64 {
    let session = &app.store.sessions[s];
    match app.sort {
        SessionSort::FirstSeen | SessionSort::User => session.first,
        SessionSort::Risk => {
            let (risk, score) = app.rank(s);
            -((i64::from(risk) << 32) | i64::from(score))
        }
    }
}

/// Checks the current frame's list against the rules, and that it holds exactly `expected`.
fn assert_list_order(app: &App, expected: &BTreeSet<usize>) {
    let rows = &app.frame().session_rows;
    if app.sort != SessionSort::User {
        // One list across accounts, by the key, ties by the user's name.
        let sessions: Vec<usize> = rows
            .iter()
            .map(|r| match *r {
                SessionRow::Session(s) => s,
                SessionRow::User(..) => panic!("no headings sorted by {}", app.sort.label()),
            })
            .collect();
        let listed: BTreeSet<usize> = sessions.iter().copied().collect();
        assert_eq!(listed.len(), sessions.len(), "a session listed twice");
        assert_eq!(&listed, expected, "sorted by {}", app.sort.label());
        let keys: Vec<(i64, &str)> = sessions
            .iter()
            .map(|&s| (key(app, s), app.store.str(app.store.sessions[s].user)))
            .collect();
        assert!(keys.is_sorted(), "sorted by {}: {keys:?}", app.sort.label());
        return;
    }
    let mut accounts: Vec<(String, Vec<usize>)> = Vec::new();
    for row in rows {
        match *row {
            SessionRow::User(u, n) => accounts.push((app.store.str(u).to_string(), vec![n])),
            SessionRow::Session(s) => {
                let (name, sessions) = accounts.last_mut().expect("a heading comes first");
                assert_eq!(app.store.str(app.store.sessions[s].user), name);
                sessions.push(s);
            }
        }
    }
    let listed: BTreeSet<usize> = accounts.iter().flat_map(|a| a.1[1..].to_vec()).collect();
    assert_eq!(&listed, expected, "sorted by {}", app.sort.label());
    let names: Vec<&str> = accounts.iter().map(|a| a.0.as_str()).collect();
    let distinct: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(distinct.len(), names.len(), "an account listed twice");
    for (name, sessions) in &accounts {
        let (count, sessions) = (sessions[0], &sessions[1..]);
        assert_eq!(
            count,
            sessions.len(),
            "{name}'s heading counts its sessions"
        );
        let keys: Vec<(i64, usize)> = sessions.iter().map(|&s| (key(app, s), s)).collect();
        assert!(
            keys.is_sorted(),
            "{name}'s sessions by first seen: {keys:?}"
        );
    }
    assert!(names.is_sorted(), "accounts by name: {names:?}");
}

#[test]
fn every_sort_groups_accounts_and_orders_their_sessions_by_its_key() {
    let mut app = open_attack_tenant();
    let all: BTreeSet<usize> = (0..app.store.sessions.len()).collect();
    let mut seen = Vec::new();
    for _ in 0..4 {
        assert_list_order(&app, &all);
        seen.push(app.sort);
        update(&mut app, Action::CycleSort);
    }
    assert_eq!(seen.first(), seen.last(), "S comes back to the first order");
    assert_eq!(
        seen[..3],
        [SessionSort::Risk, SessionSort::FirstSeen, SessionSort::User],
        "risk first, then first seen, then user"
    );
    // Under risk the list starts with the riskiest session of the tenant.
    while app.sort != SessionSort::Risk {
        update(&mut app, Action::CycleSort);
    }
    let riskiest = (0..app.store.sessions.len())
        .map(|s| app.rank(s))
        .max()
        .unwrap();
    let SessionRow::Session(first) = app.frame().session_rows[0] else {
        panic!("the list starts with a session");
    };
    assert_eq!(app.rank(first), riskiest);
}

#[test]
fn a_pivot_lists_its_sessions_by_the_same_rules_and_sorting_keeps_them() {
    let mut app = open_attack_tenant();
    // The IP used by the most accounts: a pivot with several accounts to order.
    let store = Arc::clone(&app.store);
    let shared_ip = store
        .sessions
        .iter()
        .flat_map(|s| s.ips.iter().copied())
        .max_by_key(|&ip| {
            store
                .sessions
                .iter()
                .filter(|s| s.ips.contains(&ip))
                .map(|s| s.user)
                .collect::<BTreeSet<_>>()
                .len()
        })
        .unwrap();
    let with_ip: BTreeSet<usize> = (0..store.sessions.len())
        .filter(|&s| store.sessions[s].ips.contains(&shared_ip))
        .collect();
    let s = *with_ip.iter().next().unwrap();
    select_session(&mut app, s);
    update(&mut app, Action::Pivot(Facet::Ip));
    assert_eq!(
        app.breadcrumb().split(" < ").next().unwrap(),
        format!("IP {}", store.str(shared_ip))
    );
    for _ in 0..4 {
        assert_list_order(&app, &with_ip);
        update(&mut app, Action::CycleSort);
    }
    update(&mut app, Action::Back);
    // A client and an operation of that session: their pivots list every session that has
    // the value among its own, and only those.
    for facet in [Facet::Client, Facet::Operation] {
        select_session(&mut app, s);
        update(&mut app, Action::Pivot(facet));
        let Scope::Pivot(_, value) = app.frame().scope else {
            panic!("no {facet:?} pivot: {:?}", app.message);
        };
        let expected: BTreeSet<usize> = (0..store.sessions.len())
            .filter(|&i| {
                let session = &store.sessions[i];
                match facet {
                    Facet::Client => session.clients.contains(&value),
                    _ => session.operations.iter().any(|&(op, _)| op == value),
                }
            })
            .collect();
        assert!(!expected.is_empty());
        assert_list_order(&app, &expected);
        update(&mut app, Action::Back);
    }

    // The linked view keeps its own order, strongest link first, whatever the sort.
    select_session(&mut app, s);
    update(&mut app, Action::MarkAttacker);
    update(&mut app, Action::Linked);
    assert!(
        app.breadcrumb().starts_with("linked to attacker <"),
        "{:?}",
        app.message
    );
    let linked = app.frame().session_rows.clone();
    assert!(linked.len() > 1, "{linked:?}");
    for _ in 0..4 {
        update(&mut app, Action::CycleSort);
        assert_eq!(
            app.frame().session_rows,
            linked,
            "sorted by {}",
            app.sort.label()
        );
    }
}
