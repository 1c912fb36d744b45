//! Risk scores with reasons, concurrency, and activity without a session ID.

mod common;
use common::*;
use sessionscope::analysis::{ALARMING, Assessment, assess_all};
use sessionscope::intern::Sym;
use sessionscope::store::Store;
use sessionscope_synth::records::{self as r, Actor};
use sessionscope_synth::tenant::seed_day;

fn by_id<'a>(store: &Store, all: &'a [Assessment], id: &str, user: &str) -> &'a Assessment {
    let i = store
        .session_index(store.lookup(id).unwrap(), store.lookup(user).unwrap())
        .unwrap();
    &all[i]
}

fn has(a: &Assessment, text: &str) -> bool {
    a.reasons.iter().any(|r| r.text.contains(text))
}

#[test]
fn seed_attacker_sessions_outscore_the_users_with_the_expected_reasons() {
    let (store, _) = load_fixture("seed/first-table.csv");
    let all = assess_all(&store, None);
    let attacker = by_id(&store, &all, ATTACKER_SESSION, "alex.wilber@contoso.com");
    let user = by_id(&store, &all, USER_SESSION, "alex.wilber@contoso.com");
    assert!(attacker.risk > user.risk, "{attacker:?} vs {user:?}");
    assert!(has(
        attacker,
        "inbox rule created or changed (New-InboxRule ×1)"
    ));
    assert!(has(
        attacker,
        "mail forwarded outside the tenant, to billing-archive@proton-mail.example"
    ));
    assert!(has(
        attacker,
        "permission granted (AddFolderPermissions ×1)"
    ));
    assert!(has(attacker, "money words (\"invoice\")"));
    assert!(user.reasons.iter().all(|r| r.weight < ALARMING), "{user:?}");

    let (store, _) = load_fixture("seed/corporate-vpn.csv");
    let all = assess_all(&store, None);
    let attacker = by_id(&store, &all, ATTACKER_SESSION, "svc-finance@contoso.com");
    let user = by_id(&store, &all, USER_SESSION, "svc-finance@contoso.com");
    assert!(attacker.risk > user.risk);
    assert!(has(
        attacker,
        "actions over MAPI (Outlook); this account normally works through PowerShell"
    ));
    assert!(has(
        attacker,
        "a second session beside the user's own on the same IP (203.0.113.10) with a client the user's sessions never used"
    ));
    assert!(has(
        attacker,
        "inbox rule created or changed (UpdateInboxRules ×2)"
    ));
}

#[test]
fn in_the_demo_tenant_every_attacker_session_tops_its_account() {
    let (store, _) = load_fixture("demo/tenant.csv");
    let all = assess_all(&store, None);
    let attackers = [
        ("alex.wilber@contoso.com", ATTACKER_SESSION),
        (
            "svc-finance@contoso.com",
            "9a7e3b10-4c2d-4f8e-a1b3-6d5c4e3f2a10",
        ),
        (
            "megan.bowen@contoso.com",
            "7c3e9a51-2f84-4d6b-b0c1-5e9d8a4f2b17",
        ),
    ];
    for (user, id) in attackers {
        let a = by_id(&store, &all, id, user);
        let u = store.lookup(user).unwrap();
        for (i, s) in store.sessions.iter().enumerate() {
            if s.user == u && s.has_id() && s.id != store.lookup(id).unwrap() {
                assert!(
                    a.risk > all[i].risk,
                    "{user}: {id} {} <= {} {:?}",
                    a.risk,
                    all[i].risk,
                    all[i]
                );
            }
        }
    }
    let hopper = by_id(
        &store,
        &all,
        "7c3e9a51-2f84-4d6b-b0c1-5e9d8a4f2b17",
        "megan.bowen@contoso.com",
    );
    assert!(has(hopper, "42 IPs in 3h"), "{hopper:?}");
    assert!(
        has(
            hopper,
            "across 41 networks; the user's sessions normally use 1"
        ),
        "{hopper:?}"
    );
    assert!(has(hopper, "350 mail items opened"), "{hopper:?}");
    assert!(has(hopper, "inbox rule that hides mail"), "{hopper:?}");
}

#[test]
fn a_quiet_account_gets_no_alarming_reason() {
    let (store, _) = load_fixture("demo/tenant.csv");
    let all = assess_all(&store, None);
    let quiet = store.lookup("lidia.holloway@contoso.com").unwrap();
    let mut n = 0;
    for (i, s) in store
        .sessions
        .iter()
        .enumerate()
        .filter(|(_, s)| s.user == quiet)
    {
        n += 1;
        assert!(
            all[i].reasons.iter().all(|r| r.weight < ALARMING),
            "{}: {:?}",
            store.str(s.id),
            all[i]
        );
    }
    assert!(n >= 8);
}

fn session_at(
    rng_id: &mut u32,
    session: &str,
    from: (i64, i64),
    to: (i64, i64),
) -> Vec<serde_json::Value> {
    let d = seed_day();
    let a = Actor {
        user: "pat@contoso.com".into(),
        session: Some(session.into()),
        ip: "192.0.2.7".into(),
        client_info: "Client=OWA;Action=ViaProxy".into(),
        token: None,
        issued_at: None,
    };
    let mut id = || {
        *rng_id += 1;
        format!("00000000-0000-4000-8000-{:012}", *rng_id)
    };
    vec![
        r::mailbox_login(&id(), d + from.0 * 3600 + from.1 * 60, &a),
        r::mailbox_login(&id(), d + to.0 * 3600 + to.1 * 60, &a),
    ]
}

#[test]
fn concurrency_counts_overlapping_sessions() {
    let mut n = 0;
    let mut records = Vec::new();
    records.extend(session_at(
        &mut n,
        "aaaaaaaa-0000-4000-8000-000000000001",
        (1, 0),
        (3, 0),
    ));
    records.extend(session_at(
        &mut n,
        "bbbbbbbb-0000-4000-8000-000000000002",
        (2, 0),
        (4, 0),
    ));
    records.extend(session_at(
        &mut n,
        "cccccccc-0000-4000-8000-000000000003",
        (2, 30),
        (2, 45),
    ));
    records.extend(session_at(
        &mut n,
        "dddddddd-0000-4000-8000-000000000004",
        (5, 0),
        (6, 0),
    ));
    let text: Vec<String> = records.iter().map(|v| v.to_string()).collect();
    let path = write_temp("overlap.jsonl", text.join("\n").as_bytes());
    let o = sessionscope(&["stats", path.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let pat = &v["per_user"][0];
    assert_eq!(pat["user"], "pat@contoso.com");
    assert_eq!(pat["sessions"], 4);
    assert_eq!(pat["max_concurrent_sessions"], 3);
    assert_eq!(pat["max_concurrent_at"], "2024-03-12T02:30:00Z");
}

#[test]
fn activity_without_a_session_is_counted_per_user() {
    let (store, report) = load_fixture("demo/tenant.csv");
    let stats = sessionscope::facts::stats(&store, &report);
    let joni = stats
        .per_user
        .iter()
        .find(|u| u.user == "joni.sherman@contoso.com")
        .unwrap();
    assert!(joni.events_without_session >= 12);
    assert_eq!(joni.no_session_ips, ["198.51.100.77"]);
    assert_eq!(
        joni.no_session_clients,
        ["Client=POP3/IMAP4;Protocol=IMAP4"]
    );
}

#[test]
fn sessions_sort_by_risk_puts_attackers_first() {
    let demo = fixture("demo/tenant.csv");
    let rows = json_rows(&sessionscope(&[
        "sessions",
        demo.to_str().unwrap(),
        "--json",
        "--sort",
        "risk",
    ]));
    let top: Vec<&str> = rows[..3]
        .iter()
        .map(|r| r["session_id"].as_str().unwrap())
        .collect();
    for id in [
        ATTACKER_SESSION,
        "9a7e3b10-4c2d-4f8e-a1b3-6d5c4e3f2a10",
        "7c3e9a51-2f84-4d6b-b0c1-5e9d8a4f2b17",
    ] {
        assert!(top.contains(&id), "{top:?}");
    }
    assert!(rows[0]["risk"].as_u64().unwrap() >= rows[3]["risk"].as_u64().unwrap());
    assert!(rows[0]["reasons"].as_array().unwrap().len() >= 3);
}

/// Three sessions of pat@contoso.com, one an hour from 08:00: the baseline a test's odd
/// session is compared with.
fn three_ordinary_sessions_of_pat() -> Vec<serde_json::Value> {
    let mut n = 0;
    (0..3)
        .flat_map(|k| {
            session_at(
                &mut n,
                &format!("aaaaaaaa-0000-4000-8000-00000000000{k}"),
                (8 + k, 0),
                (9 + k, 0),
            )
        })
        .collect()
}

#[test]
fn a_forwarding_rule_with_sixty_keywords_still_forwards() {
    let words: Vec<String> = (0..60).map(|i| format!("keyword{i:02}")).collect();
    let d = seed_day();
    let mut records = three_ordinary_sessions_of_pat();
    let evil = pat("eeeeeeee-0000-4000-8000-000000000009", "192.0.2.7");
    records.push(r::new_inbox_rule(
        "11111111-0000-4000-8000-000000000001",
        d + 15 * 3600,
        &evil,
        &[
            ("Name", "Archive"),
            ("SubjectOrBodyContainsWords", &words.join(";")),
            ("ForwardTo", "drop@exfil.example"),
        ],
    ));
    let text: Vec<String> = records.iter().map(|v| v.to_string()).collect();
    let path = write_temp("sixty-words.jsonl", text.join("\n").as_bytes());
    let (store, _) = load_files(&[path]);
    let rule = session_timeline(&store, "eeeeeeee-0000-4000-8000-000000000009");
    assert!(
        !rule[0].summary.contains("exfil.example"),
        "the summary is cut before the forward target: {}",
        rule[0].summary
    );
    let all = assess_all(&store, None);
    let a = by_id(
        &store,
        &all,
        "eeeeeeee-0000-4000-8000-000000000009",
        "pat@contoso.com",
    );
    let forward = a
        .reasons
        .iter()
        .find(|r| r.code == "rule_forwards_outside")
        .unwrap_or_else(|| panic!("no forwarding reason: {:?}", a.texts()));
    assert!(
        forward.text.contains("drop@exfil.example"),
        "{}",
        forward.text
    );
    assert_eq!(forward.record_count, 1);
    assert!(forward.weight >= ALARMING);
}

#[test]
fn reasons_detail_names_the_records_behind_each_reason() {
    let demo = fixture("seed/first-table.csv");
    let rows = json_rows(&sessionscope(&[
        "sessions",
        demo.to_str().unwrap(),
        "--json",
    ]));
    let attacker = rows
        .iter()
        .find(|r| r["session_id"] == ATTACKER_SESSION)
        .unwrap();
    let detail = attacker["reasons_detail"].as_array().unwrap();
    assert_eq!(detail.len(), attacker["reasons"].as_array().unwrap().len());
    let timeline = json_rows(&sessionscope(&[
        "timeline",
        demo.to_str().unwrap(),
        "--session",
        ATTACKER_SESSION,
        "--json",
    ]));
    let id_of = |op: &str| {
        timeline
            .iter()
            .find(|t| t["operation"] == op)
            .map(|t| t["record_id"].clone())
            .unwrap()
    };
    let by_code = |code: &str| {
        detail
            .iter()
            .filter(|d| d["code"] == code)
            .collect::<Vec<_>>()
    };
    let hides = by_code("rule_hides_mail");
    assert_eq!(hides.len(), 1, "{detail:?}");
    assert_eq!(
        hides[0]["records"],
        serde_json::json!([id_of("New-InboxRule")])
    );
    let forwards = by_code("mailbox_forwards_outside");
    assert_eq!(
        forwards[0]["records"],
        serde_json::json!([id_of("Set-Mailbox")])
    );
    assert!(
        forwards[0]["text"]
            .as_str()
            .unwrap()
            .contains("a copy is kept")
    );
    for d in detail {
        assert!(d["weight"].as_u64().unwrap() > 0);
        assert!(!d["code"].as_str().unwrap().is_empty());
    }
}

#[test]
fn rules_in_a_gzip_export_are_judged_as_in_the_plain_one() {
    let texts = |rel: &str| {
        let (store, _) = load_fixture(rel);
        let all = assess_all(&store, None);
        let a = by_id(&store, &all, ATTACKER_SESSION, "alex.wilber@contoso.com");
        a.reasons
            .iter()
            .map(|r| (r.code, r.text.clone()))
            .collect::<Vec<_>>()
    };
    let plain = texts("formats/json-lines.jsonl");
    assert!(
        plain.iter().any(|(c, _)| *c == "rule_forwards_outside"),
        "{plain:?}"
    );
    assert_eq!(texts("formats/json-lines.jsonl.gz"), plain);
}

#[test]
fn the_in_memory_benchmark_store_scores_its_attackers_first() {
    let store = sessionscope_synth::scale_store::scale_store(100_000, 3);
    assert!(
        (90_000..110_000).contains(&store.events.len()),
        "{}",
        store.events.len()
    );
    let all = assess_all(&store, None);
    let rule = store.lookup("New-InboxRule").unwrap();
    let attackers: Vec<usize> = (0..store.sessions.len())
        .filter(|&i| {
            store.sessions[i]
                .operations
                .iter()
                .any(|&(op, _)| op == rule)
        })
        .collect();
    assert!(attackers.len() >= 4, "{}", attackers.len());
    let weakest = attackers.iter().map(|&i| all[i].risk).min().unwrap();
    for (i, a) in all.iter().enumerate() {
        if !attackers.contains(&i) {
            assert!(a.risk < weakest, "{} {:?}", a.risk, a.texts());
        }
    }
    // No file is behind these records, and the analysis says so rather than guessing.
    assert!(
        all[attackers[0]]
            .reasons
            .iter()
            .any(|r| r.code == "record_unread")
    );
}

#[test]
fn mail_read_by_an_unknown_app_without_a_session_is_alarming() {
    let mut records = three_ordinary_sessions_of_pat();
    let app_only = Actor {
        user: "pat@contoso.com".into(),
        session: None,
        ip: "192.0.2.7".into(),
        client_info: String::new(),
        token: None,
        issued_at: None,
    };
    let mut rng = sessionscope_synth::Rng::new(5);
    for (k, app) in [
        "7ab7862c-4c57-491e-8a45-d52a7e023983",
        "27922004-5251-4030-b22d-91ecd9a37ea4",
    ]
    .iter()
    .enumerate()
    {
        for j in 0..4 {
            let mut v = r::mail_items_accessed(
                &format!("22222222-0000-4000-8000-0000000000{k}{j}"),
                seed_day() + 20 * 3600 + (k * 10 + j) as i64 * 60,
                &app_only,
                "Bind",
                "\\Inbox",
                5,
                &mut rng,
            );
            v["ClientAppId"] = (*app).into();
            records.push(v);
        }
    }
    let text: Vec<String> = records.iter().map(|v| v.to_string()).collect();
    let path = write_temp("app-only.jsonl", text.join("\n").as_bytes());
    let (store, _) = load_files(&[path]);
    let all = assess_all(&store, None);
    let pat = store.lookup("pat@contoso.com").unwrap();
    let row = store.session_index(Sym::EMPTY, pat).unwrap();
    let app = all[row]
        .reasons
        .iter()
        .find(|r| r.code == "app_only_access")
        .unwrap_or_else(|| panic!("{:?}", all[row].texts()));
    assert!(
        app.text.contains("7ab7862c-4c57-491e-8a45-d52a7e023983"),
        "{}",
        app.text
    );
    assert_eq!(app.record_count, 4);
    assert!(
        !all[row].texts().iter().any(|t| t.contains("27922004")),
        "Outlook Mobile is Microsoft's own: {:?}",
        all[row].texts()
    );
    // The app is the client of its records, for pivots.
    let rows = timeline(&store, &Default::default());
    assert!(
        rows.iter()
            .any(|r| r.client.as_deref() == Some("AppId=7ab7862c-4c57-491e-8a45-d52a7e023983"))
    );
}

#[test]
fn readme_lists_every_reason_of_the_catalogue() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let table = sessionscope::analysis::catalogue::markdown_table();
    assert!(
        readme.contains(&table),
        "README's table of reasons differs from the catalogue; it should read:\n{table}"
    );
}

#[test]
fn a_session_hopping_across_networks_names_the_first_event_on_each() {
    // 2,000 IPs, 200 to a network: ten networks none of the user's sessions used.
    let store = sessionscope_synth::scale_store::many_ips_store(2_000);
    let all = assess_all(&store, None);
    let hopping = store
        .sessions
        .iter()
        .position(|s| store.str(s.id) == "00000000-0000-4000-8000-0000000000aa")
        .unwrap();
    let many = all[hopping]
        .reasons
        .iter()
        .find(|r| r.code == "many_networks")
        .expect("many networks");
    assert!(many.text.starts_with("2000 IPs in "), "{}", many.text);
    assert_eq!(many.record_count, 10);
    // Each network's first event: the session's events 0, 200, 400... in time order.
    let events = &store.sessions[hopping].events;
    let firsts: Vec<u32> = (0..10).map(|k| events[k * 200]).collect();
    assert_eq!(many.records, firsts);
}
