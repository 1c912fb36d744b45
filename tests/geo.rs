//! IP enrichment from local MaxMind-format databases, built in the test itself (documentation
//! ranges, private ASNs): places in `sessions --json` and the report, the session list's line,
//! the `a` pivot on a network owner, and reasons for a session first seen in a new country.

mod common;
use common::*;
use ipnet::IpNet;
use serde_json::json;
use sessionscope::ingest::ipdb::IpDb;
use sessionscope::tui::app::Scope;
use sessionscope::tui::{Action, App, update};
use sessionscope::{LoadOptions, load};
use sessionscope_synth::records::{self as r, Actor};
use sessionscope_synth::tenant::seed_day;
use std::path::PathBuf;
use std::sync::Arc;

/// A GeoLite2-style city+ASN database and an IPinfo-style one, in a fresh folder.
fn databases() -> (PathBuf, PathBuf) {
    let dir = temp_dir("mmdb");
    let mut geolite = mmdb_writer::Writer::new("GeoLite2-City");
    for (net, cc, city, asn, org) in [
        (
            "198.51.100.0/24",
            "NL",
            "Amsterdam",
            64511,
            "Example Transit",
        ),
        ("203.0.113.0/24", "US", "Seattle", 64496, "Contoso Corp Net"),
    ] {
        let record = json!({
            "country": {"iso_code": cc, "names": {"en": cc}},
            "city": {"names": {"en": city}},
            "autonomous_system_number": asn,
            "autonomous_system_organization": org,
        });
        geolite
            .insert(net.parse::<IpNet>().unwrap(), &record)
            .unwrap();
    }
    let mut ipinfo = mmdb_writer::Writer::new("ipinfo lite");
    let record = json!({"country_code": "DE", "asn": "AS64500", "as_name": "Home ISP"});
    ipinfo
        .insert("192.0.2.0/24".parse::<IpNet>().unwrap(), &record)
        .unwrap();
    let a = dir.join("geolite.mmdb");
    let b = dir.join("ipinfo.mmdb");
    std::fs::write(&a, geolite.to_bytes().unwrap()).unwrap();
    std::fs::write(&b, ipinfo.to_bytes().unwrap()).unwrap();
    (a, b)
}

#[test]
fn both_database_layouts_place_an_ip() {
    let (a, b) = databases();
    let db = IpDb::open(&[a, b]).unwrap();
    let nl = db.lookup("198.51.100.23");
    assert_eq!(
        (
            nl.asn,
            nl.as_org.as_deref(),
            nl.country.as_deref(),
            nl.city.as_deref()
        ),
        (
            Some(64511),
            Some("Example Transit"),
            Some("NL"),
            Some("Amsterdam")
        )
    );
    let de = db.lookup("192.0.2.7");
    assert_eq!((de.asn, de.country.as_deref()), (Some(64500), Some("DE")));
    assert_eq!(db.lookup("100.64.0.1"), Default::default());
    assert_eq!(db.lookup("not an ip"), Default::default());
}

#[test]
fn places_reach_sessions_json_and_a_bad_database_is_a_clear_error() {
    let (a, b) = databases();
    let seed = fixture("seed/first-table.csv");
    let rows = json_rows(&sessionscope(&[
        "sessions",
        seed.to_str().unwrap(),
        "--ip-db",
        a.to_str().unwrap(),
        "--ip-db",
        b.to_str().unwrap(),
        "--json",
    ]));
    let evil = rows
        .iter()
        .find(|r| r["session_id"] == ATTACKER_SESSION)
        .unwrap();
    assert_eq!(evil["places"]["198.51.100.23"]["asn"], 64511);
    assert_eq!(evil["places"]["198.51.100.23"]["country"], "NL");
    let o = sessionscope(&[
        "sessions",
        seed.to_str().unwrap(),
        "--ip-db",
        seed.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not a readable MaxMind database"), "{err}");
}

#[test]
fn a_session_first_seen_in_a_new_country_is_named_and_pivots_on_its_asn() {
    let (a, b) = databases();
    let d = seed_day();
    let mut records = Vec::new();
    for k in 0..3i64 {
        let who = pat(
            &format!("aaaaaaaa-0000-4000-8000-00000000000{k}"),
            "203.0.113.45",
        );
        records.push(r::mailbox_login(
            &format!("11111111-0000-4000-8000-00000000000{k}"),
            d + k * 3600,
            &who,
        ));
    }
    let evil = pat("eeeeeeee-0000-4000-8000-000000000009", "198.51.100.23");
    records.push(r::mailbox_login(
        "11111111-0000-4000-8000-000000000009",
        d + 9 * 3600,
        &evil,
    ));
    let other = Actor {
        user: "lee@contoso.com".into(),
        ..pat("bbbbbbbb-0000-4000-8000-000000000001", "198.51.100.77")
    };
    records.push(r::mailbox_login(
        "11111111-0000-4000-8000-000000000010",
        d + 9 * 3600 + 60,
        &other,
    ));
    let text: Vec<String> = records.iter().map(|v| v.to_string()).collect();
    let path = write_temp("geo.jsonl", text.join("\n").as_bytes());
    let db = IpDb::open(&[a, b]).unwrap();
    let (store, _, _) = load(
        &[path],
        &LoadOptions {
            ip_db: Some(&db),
            ..LoadOptions::default()
        },
    );
    let all = sessionscope::analysis::assess_all(&store, None);
    let i = session_named(&store, "eeeeeeee-0000-4000-8000-000000000009");
    let country = all[i]
        .reasons
        .iter()
        .find(|r| r.code == "born_new_country")
        .unwrap_or_else(|| panic!("{:?}", all[i].texts()));
    assert!(
        country.text.starts_with("first seen in NL (Amsterdam)"),
        "{}",
        country.text
    );
    assert!(
        all[i]
            .texts()
            .iter()
            .any(|t| t.contains("AS64511 Example Transit"))
    );

    // The session list names where the selected session came from; `a` opens every action
    // from the same network owner, of any user.
    let mut app = App::new(Arc::new(store));
    app.viewport = (80, 24);
    select_session(&mut app, i);
    let screen = screen_lines(&app, 80, 24).join("\n");
    assert!(
        screen.contains("from 198.51.100.23 · AS64511 Example Transit · NL Amsterdam"),
        "{screen}"
    );
    update(&mut app, Action::PivotAsn);
    assert_eq!(app.frame().scope, Scope::Asn(64511), "{:?}", app.message);
    let users: Vec<&str> = app
        .timeline_rows()
        .iter()
        .map(|&e| app.store.str(app.store.events[e as usize].user))
        .collect();
    assert_eq!(users, ["pat@contoso.com", "lee@contoso.com"]);
}

#[test]
fn a_broken_database_in_the_config_folder_warns_and_the_run_goes_on() {
    let config = temp_dir("xdg");
    let dir = config.join("sessionscope").join("ip-db");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("broken.mmdb"), b"not a database").unwrap();
    let seed = fixture("seed/first-table.csv");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .args(["sessions", seed.to_str().unwrap(), "--json"])
        .env("XDG_CONFIG_HOME", &config)
        .output()
        .unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("warning") && err.contains("broken.mmdb"),
        "{err}"
    );
    assert_eq!(json_rows(&o).len(), 2);
    // A good one there is used without being named.
    let (a, _) = databases();
    std::fs::remove_file(dir.join("broken.mmdb")).unwrap();
    std::fs::copy(a, dir.join("geolite.mmdb")).unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .args(["sessions", seed.to_str().unwrap(), "--json"])
        .env("XDG_CONFIG_HOME", &config)
        .output()
        .unwrap();
    let rows = json_rows(&o);
    let evil = rows
        .iter()
        .find(|r| r["session_id"] == ATTACKER_SESSION)
        .unwrap();
    assert_eq!(evil["places"]["198.51.100.23"]["country"], "NL");
}
