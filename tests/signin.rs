//! Entra sign-in exports beside audit exports: every format read the same, joined to audit
//! sessions by session ID (in any case) and by token id (in either encoding), the birth of
//! each session on screen and in `sessions --json`, and bad records named.

mod common;
use common::*;
use sessionscope::analysis::assess_all;
use sessionscope::tui::App;
use sessionscope_synth::records::{self as r, Actor};
use sessionscope_synth::tenant::seed_day;
use std::sync::Arc;

const FORMATS: [&str; 5] = [
    "signin/graph-beta.json",
    "signin/portal.json",
    "signin/extractor.json",
    "signin/portal.csv",
    "signin/sentinel-signinlogs.csv",
];

#[test]
fn every_sign_in_format_gives_the_same_sign_ins() {
    let mut seen = Vec::new();
    for f in FORMATS {
        let (store, report) = load_files(&[fixture(f)]);
        let file = &report.files[0];
        assert!(
            file.format.starts_with("Entra sign-in log"),
            "{f}: {}",
            file.format
        );
        assert_eq!(
            (file.records, file.skipped),
            (4, 0),
            "{f}: {:?}",
            file.problems
        );
        let facts: Vec<_> = store
            .signins
            .all
            .iter()
            .map(|s| {
                (
                    s.time,
                    s.user.clone(),
                    s.session_id.clone(),
                    s.ip.clone(),
                    s.asn,
                    s.country.clone(),
                    s.city.clone(),
                    s.protocol.clone(),
                    s.requirement.clone(),
                    s.compliant,
                    s.succeeded,
                    s.token_id.clone(),
                )
            })
            .collect();
        seen.push((f, facts));
    }
    let (_, first) = &seen[0];
    assert_eq!(first.len(), 4);
    // The attacker's sign-in: its session ID upper-case in the export, lower-case here.
    let evil = &first[2];
    assert_eq!(evil.2.as_deref(), Some(ATTACKER_SESSION));
    assert_eq!(
        (
            evil.3.as_deref(),
            evil.4,
            evil.5.as_deref(),
            evil.7.as_deref()
        ),
        (
            Some("198.51.100.23"),
            Some(64511),
            Some("NL"),
            Some("deviceCode")
        )
    );
    assert!(!first[3].10, "the password spray's sign-in failed");
    for (f, facts) in &seen[1..] {
        assert_eq!(facts, first, "{f} differs from graph-beta.json");
    }
    // Defender's table has no ASN, token id or protocol; the rest is the same.
    let (store, report) = load_files(&[fixture("signin/defender-entraidsigninevents.csv")]);
    assert_eq!((report.files[0].records, report.files[0].skipped), (4, 0));
    for (d, g) in store.signins.all.iter().zip(first) {
        assert_eq!(
            (
                d.time,
                &d.user,
                &d.session_id,
                &d.ip,
                &d.country,
                &d.city,
                &d.requirement,
                d.compliant,
                d.succeeded
            ),
            (g.0, &g.1, &g.2, &g.3, &g.5, &g.6, &g.8, g.9, g.10)
        );
    }
    assert_eq!(
        store.signins.all[1].interactive,
        Some(false),
        "LogonType nonInteractiveUser"
    );
}

#[test]
fn a_sign_in_joins_its_audit_session_by_id_in_any_case() {
    let (store, _) = load_files(&[
        fixture("seed/first-table.csv"),
        fixture("signin/graph-beta.json"),
    ]);
    let rows = json_rows(&sessionscope(&[
        "sessions",
        fixture("seed/first-table.csv").to_str().unwrap(),
        fixture("signin/graph-beta.json").to_str().unwrap(),
        "--json",
    ]));
    let row = |id: &str| rows.iter().find(|r| r["session_id"] == id).unwrap();
    let evil = row(ATTACKER_SESSION);
    assert_eq!(evil["birth"]["ip"], "198.51.100.23");
    assert_eq!(evil["birth"]["protocol"], "deviceCode");
    assert_eq!(evil["birth"]["country"], "NL");
    assert_eq!(evil["sign_ins"].as_array().unwrap().len(), 1);
    let user = row(USER_SESSION);
    // Born at its interactive sign-in, refreshed later without one.
    assert_eq!(user["birth"]["time"], "2024-03-12T03:40:00Z");
    assert_eq!(user["sign_ins"].as_array().unwrap().len(), 2);
    // A sign-in whose session has no audit record is a row of its own.
    let spray = row("7f3c2b1a-0e9d-4c8b-a7f6-e5d4c3b2a190");
    assert_eq!(spray["events"], 0);
    assert_eq!(spray["birth"]["succeeded"], false);
    // The attacker's birth is a reason.
    let all = assess_all(&store, None);
    let i = session_named(&store, ATTACKER_SESSION);
    assert!(
        all[i]
            .reasons
            .iter()
            .any(|r| r.code == "born_risky_protocol" && r.text.contains("device code")),
        "{:?}",
        all[i].texts()
    );
    let o = sessionscope(&[
        "stats",
        fixture("seed/first-table.csv").to_str().unwrap(),
        fixture("signin/portal.csv").to_str().unwrap(),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["sign_ins"], 4);
    assert_eq!(v["sessions_with_sign_ins"], 2);
}

fn pat_with_token(session: &str, token: &str, ip: &str) -> Actor {
    Actor {
        token: Some(token.into()),
        ..pat(session, ip)
    }
}

fn graph_sign_in(
    time: i64,
    session: Option<&str>,
    token: &str,
    ip: &str,
    country: &str,
    asn: u32,
) -> serde_json::Value {
    serde_json::json!({
        "id": format!("{time:08x}-0000-4000-8000-000000000000"),
        "createdDateTime": sessionscope::time::rfc3339(time),
        "userPrincipalName": "Pat@Contoso.com",
        "appDisplayName": "OfficeHome",
        "ipAddress": ip,
        "sessionId": session,
        "uniqueTokenIdentifier": token,
        "autonomousSystemNumber": asn,
        "isInteractive": true,
        "authenticationRequirement": "multiFactorAuthentication",
        "authenticationProtocol": "oAuth2",
        "status": {"errorCode": 0},
        "location": {"countryOrRegion": country, "city": "X"},
        "deviceDetail": {"operatingSystem": "Windows 10", "browser": "Edge", "isCompliant": true}
    })
}

#[test]
fn a_sign_in_without_a_session_id_joins_by_its_token_in_either_encoding() {
    let d = seed_day();
    let mut audit = Vec::new();
    let mut signins = Vec::new();
    for k in 0..3i64 {
        let id = format!("aaaaaaaa-0000-4000-8000-00000000000{k}");
        let token = format!("tok{k}A-b_c");
        let a = pat_with_token(&id, &token, "192.0.2.7");
        audit.push(r::mailbox_login(
            &format!("11111111-0000-4000-8000-00000000000{k}"),
            d + k * 3600 + 60,
            &a,
        ));
        signins.push(graph_sign_in(
            d + k * 3600,
            Some(&id),
            &token,
            "192.0.2.7",
            "US",
            64496,
        ));
    }
    // The attacker's session: its sign-in exported without a session ID, its token id written
    // in base64 with `+/` and padding where the audit record has base64url.
    let evil = pat_with_token(
        "eeeeeeee-0000-4000-8000-000000000009",
        "EvilTok-en_x",
        "198.51.100.9",
    );
    audit.push(r::mailbox_login(
        "11111111-0000-4000-8000-000000000009",
        d + 10 * 3600 + 60,
        &evil,
    ));
    signins.push(graph_sign_in(
        d + 10 * 3600,
        None,
        "EvilTok+en/x==",
        "198.51.100.9",
        "NL",
        64511,
    ));
    let lines = |v: &[serde_json::Value]| {
        v.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let dir = temp_dir("token-join");
    let a = dir.join("audit.jsonl");
    let s = dir.join("signins.json");
    std::fs::write(&a, lines(&audit)).unwrap();
    std::fs::write(&s, serde_json::json!({"value": signins}).to_string()).unwrap();
    let (store, _) = load_files(&[s.clone(), a.clone()]);
    let i = session_named(&store, "eeeeeeee-0000-4000-8000-000000000009");
    let (all, birth) = store.sign_ins_of(&store.sessions[i]);
    assert_eq!(all.len(), 1);
    assert_eq!(birth.unwrap().country.as_deref(), Some("NL"));
    // Born where none of the user's three other sessions was.
    let assessed = assess_all(&store, None);
    let codes: Vec<&str> = assessed[i].reasons.iter().map(|r| r.code).collect();
    assert!(
        codes.contains(&"born_new_country") && codes.contains(&"born_new_asn"),
        "{:?}",
        assessed[i].texts()
    );
    let own = session_named(&store, "aaaaaaaa-0000-4000-8000-000000000001");
    assert!(
        !assessed[own]
            .reasons
            .iter()
            .any(|r| r.code.starts_with("born_")),
        "{:?}",
        assessed[own].texts()
    );
}

#[test]
fn bad_sign_in_records_are_named_and_the_rest_loaded() {
    let d = seed_day();
    let good = graph_sign_in(
        d,
        Some("aaaaaaaa-0000-4000-8000-000000000001"),
        "t1",
        "192.0.2.7",
        "US",
        64496,
    );
    let mut no_time = good.clone();
    no_time.as_object_mut().unwrap().remove("createdDateTime");
    let mut bad_time = good.clone();
    bad_time["createdDateTime"] = "yesterday".into();
    let text = serde_json::json!({"value": [good, no_time, bad_time]}).to_string();
    let path = write_temp("bad-signins.json", text.as_bytes());
    let (store, report) = load_files(&[path]);
    assert_eq!(store.signins.all.len(), 1);
    assert_eq!((report.files[0].records, report.files[0].skipped), (3, 2));
    assert_eq!(
        problems(&report),
        [
            (
                "record 2".to_string(),
                "no time (createdDateTime, Date (UTC), TimeGenerated)".to_string()
            ),
            (
                "record 3".to_string(),
                "time \"yesterday\" is not a timestamp".to_string()
            ),
        ]
    );
    let csv = std::fs::read_to_string(fixture("signin/portal.csv")).unwrap();
    let mut lines: Vec<String> = csv.lines().map(str::to_string).collect();
    lines[2] = lines[2].replacen("2024-03-12T04:10:00+00:00", "not a date", 1);
    let path = write_temp("bad-portal.csv", lines.join("\n").as_bytes());
    let (store, report) = load_files(&[path]);
    assert_eq!(store.signins.all.len(), 3);
    assert_eq!(problems(&report)[0].0, "line 3");
}

#[test]
fn the_attacker_sessions_birth_is_on_the_first_screen_at_80x24() {
    let (store, _) = load_files(&[
        fixture("seed/first-table.csv"),
        fixture("signin/graph-beta.json"),
    ]);
    let mut app = App::new(Arc::new(store));
    app.viewport = (80, 24);
    let s = session_named(&app.store, ATTACKER_SESSION);
    select_session(&mut app, s);
    let lines = screen_lines(&app, 80, 24);
    let born = lines
        .iter()
        .find(|l| l.contains("born 03-12 04:33"))
        .unwrap_or_else(|| panic!("{}", lines.join("\n")));
    assert!(
        born.contains("198.51.100.23 AS64511 NL Amsterdam"),
        "{born}"
    );
    assert!(born.contains("Linux / Firefox"), "{born}");
}

#[test]
fn the_report_says_where_the_attacker_session_was_born() {
    let dir = temp_dir("report-birth");
    let audit = dir.join("first-table.csv");
    let signins = dir.join("signins.csv");
    std::fs::copy(fixture("seed/first-table.csv"), &audit).unwrap();
    std::fs::copy(fixture("signin/portal.csv"), &signins).unwrap();
    let (a, s) = (audit.to_str().unwrap(), signins.to_str().unwrap());
    let o = sessionscope(&["mark", a, s, "--session", ATTACKER_SESSION, "--attacker"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = String::from_utf8(sessionscope(&["report", a, s]).stdout).unwrap();
    assert!(
        md.contains("- born: 03-12 04:33 · 198.51.100.23 AS64511 NL Amsterdam"),
        "{md}"
    );
    assert!(md.contains("deviceCode"), "{md}");
}

#[test]
fn a_sign_in_export_saved_as_utf16_or_gzip_reads_the_same() {
    let csv = std::fs::read_to_string(fixture("signin/portal.csv")).unwrap();
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(csv.encode_utf16().flat_map(u16::to_le_bytes));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, csv.as_bytes()).unwrap();
    let (plain, _) = load_files(&[fixture("signin/portal.csv")]);
    for (name, bytes) in [
        ("portal-utf16.csv", utf16),
        ("portal.csv.gz", gz.finish().unwrap()),
    ] {
        let (store, report) = load_files(&[write_temp(name, &bytes)]);
        assert_eq!(report.files[0].format, "Entra sign-in log (CSV)", "{name}");
        assert_eq!(store.signins.all, plain.signins.all, "{name}");
    }
}

/// What is compared of a sign-in: time, user, session, IP, token, success.
type SignInFacts = (
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
);

/// The facts of every sign-in loaded from `bytes`, named `name`.
fn sign_in_facts(name: &str, bytes: &[u8]) -> Vec<SignInFacts> {
    let (store, report) = load_files(&[write_temp(name, bytes)]);
    let f = &report.files[0];
    assert!(
        f.format.starts_with("Entra sign-in log"),
        "{name}: {}",
        f.format
    );
    assert_eq!(f.skipped, 0, "{name}: {:?}", f.problems);
    store
        .signins
        .all
        .iter()
        .map(|s| {
            (
                s.time,
                s.user.clone(),
                s.session_id.clone(),
                s.ip.clone(),
                s.token_id.clone(),
                s.succeeded,
            )
        })
        .collect()
}

#[test]
fn diagnostic_settings_and_event_hub_sign_ins_read_as_the_graph_ones() {
    use sessionscope_synth::signins::seed_sign_ins;
    let graph = seed_sign_ins();
    // As Entra's diagnostic settings write them (storage account, Event Hub): the sign-in in
    // `properties`, the category saying whether it was interactive, `time` a little later.
    let records: Vec<serde_json::Value> = graph
        .iter()
        .map(|s| {
            let interactive = s["isInteractive"].as_bool().unwrap_or(true);
            serde_json::json!({
                "time": s["createdDateTime"],
                "resourceId": "/tenants/4f1d7c2a-6b3e-4e55-9a0d-2c8b5e7f1a93/providers/Microsoft.aadiam",
                "operationName": "Sign-in activity",
                "category": if interactive { "SignInLogs" } else { "NonInteractiveUserSignInLogs" },
                "resultType": "0",
                "callerIpAddress": s["ipAddress"],
                "Level": 4,
                "properties": s,
            })
        })
        .collect();
    let reference = sign_in_facts(
        "graph.json",
        serde_json::to_string(&graph).unwrap().as_bytes(),
    );
    assert_eq!(reference.len(), graph.len());
    let lines: Vec<String> = records.iter().map(|r| r.to_string()).collect();
    // JSON Lines (PT1H.json today, and Event Hub bodies one a line).
    assert_eq!(
        sign_in_facts("PT1H.json", lines.join("\n").as_bytes()),
        reference
    );
    // The older document shape, `{"records": [...]}`.
    let document = serde_json::json!({ "records": records }).to_string();
    assert_eq!(
        sign_in_facts("PT1H-old.json", document.as_bytes()),
        reference
    );
    // A SIEM's wrapper holding each record as JSON text.
    let wrapped: Vec<String> = records
        .iter()
        .map(|r| serde_json::json!({ "input": { "message": r.to_string() } }).to_string())
        .collect();
    assert_eq!(
        sign_in_facts("siem.jsonl", wrapped.join("\n").as_bytes()),
        reference
    );
    // A SigninLogs query's result saved from Log Analytics' API.
    let saved = query_response(&graph);
    assert_eq!(
        sign_in_facts("signinlogs-query.json", saved.as_bytes()),
        reference
    );
}
