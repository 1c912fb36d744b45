//! Every real audit record in ../shared/realdata loads, and the fields that matter come out
//! right. The folder sits beside the checkout, not in it: these tests are ignored by a plain
//! `cargo test` (the summary says so) and run by `.ci/run`, where a missing folder fails them.

mod common;
use common::*;
use sessionscope::facts::TimelineFilter;
use std::path::{Path, PathBuf};

fn realdata() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata");
    assert!(
        dir.is_dir(),
        "{} is absent: these tests read the real records kept beside the checkout",
        dir.display()
    );
    dir
}

/// The folders of audit exports (INVENTORY.md); the sign-in, Graph activity and warehouse
/// folders beside them are other inputs.
const AUDIT_FOLDERS: [&str; 5] = [
    "sekoia-o365",
    "sekoia-defender",
    "azure-sentinel-training-lab",
    "elastic-beats-o365",
    "sekoia-o365-2026",
];

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|f| f.path())
        .collect();
    out.sort();
    out
}

#[test]
#[ignore = "reads ../shared/realdata beside the checkout; .ci/run runs it"]
fn every_real_audit_record_loads() {
    let dir = realdata();
    let mut files: Vec<PathBuf> = AUDIT_FOLDERS
        .iter()
        .flat_map(|folder| files_in(&dir.join(folder)))
        .collect();
    files.push(dir.join("sentinel-training-lab-exports/office_activity.csv"));
    assert_eq!(
        files.len(),
        82,
        "INVENTORY.md lists 73 + 4 + 1 + 1 + 2 + 1 audit files"
    );
    let (store, report) = load_files(&files);
    for f in &report.files {
        assert!(f.error.is_none(), "{}: {:?}", f.path, f.error);
        assert_eq!(f.skipped, 0, "{}: {:?}", f.path, f.problems);
        assert!(f.records >= 1, "{}", f.path);
    }
    // INVENTORY.md: 73 + 4 + 2 + 9 + 2 + 266 records; identical anonymised copies count as
    // duplicates.
    let read: usize = report.files.iter().map(|f| f.records).sum();
    assert_eq!(read, 356);
    assert_eq!(store.events.len() + report.duplicates(), 356);
}

fn one(path: &Path) -> sessionscope::facts::TimelineRow {
    let (store, report) = load_files(&[path.to_path_buf()]);
    assert_eq!(report.files[0].records, 1, "{}", path.display());
    timeline(&store, &TimelineFilter::default()).remove(0)
}

#[test]
#[ignore = "reads ../shared/realdata beside the checkout; .ci/run runs it"]
fn real_records_give_sessions_ips_and_summaries() {
    let dir = realdata();
    let sekoia = dir.join("sekoia-o365");

    let rule = one(&sekoia.join("inbox_rule.json"));
    assert_eq!(rule.operation, "New-InboxRule");
    assert_eq!(
        rule.session_id.as_deref(),
        Some("984c0958-0631-4b90-b116-15094fc36847")
    );
    assert_eq!(rule.ip.as_deref(), Some("1.2.3.4"));
    assert_eq!(rule.ip_original.as_deref(), Some("1.2.3.4:63070"));
    assert!(
        rule.summary.contains("forward to bob@example.org"),
        "{}",
        rule.summary
    );
    assert!(rule.summary.contains("redirect to joe@example.org"));
    assert!(
        rule.summary
            .contains("move to Historique des conversations")
    );

    // 2025 Exchange record: only AppAccessContext.AADSessionId.
    let soft = one(&sekoia.join("exchange_item_group_4.json"));
    assert_eq!(
        soft.session_id.as_deref(),
        Some("98fb5d83-9a00-4efc-816e-22f61c2d7733")
    );
    assert_eq!(soft.token_id, None, "all-zero token ids are absent");

    // STS logon: the session is in DeviceProperties.
    let logon = one(&sekoia.join("user_logged_in_2.json"));
    assert_eq!(
        logon.session_id.as_deref(),
        Some("77f6d9ce-da8f-46bf-a651-4bec3c189770")
    );
    assert!(
        logon
            .client
            .as_deref()
            .unwrap_or("")
            .contains("Firefox/102.0")
    );

    let client_rule = one(&sekoia.join("operation_properties_01.json"));
    assert!(
        client_rule
            .summary
            .starts_with("ModifyMailboxRule: Forward to john.doe@mail.fr"),
        "{}",
        client_rule.summary
    );

    let mia = one(&sekoia.join("exchange_item_aggregated.json"));
    assert_eq!(mia.summary, "Bind, 3 items in \\Brouillons");
    assert_eq!(mia.ip.as_deref(), Some("192.0.2.1"));

    // Defender CloudAppEvents: the record is properties.RawEventData, with a `Z` time.
    let defender = one(&dir.join("sekoia-defender/test_cloud_app3.json"));
    assert_eq!(defender.operation, "MailItemsAccessed");
    assert_eq!(defender.time, "2024-10-03T11:23:17Z");
    assert_eq!(
        defender.ip.as_deref(),
        Some("fe80:11:2233:4455:6677:8899:aabb:ccdd")
    );
}

#[test]
#[ignore = "reads ../shared/realdata beside the checkout; .ci/run runs it"]
fn real_sentinel_and_beats_exports() {
    let dir = realdata();
    let (store, report) =
        load_files(&[dir.join("azure-sentinel-training-lab/office_activity_inbox_rule.csv")]);
    assert_eq!(report.files[0].format, "sentinel-officeactivity-csv");
    let rows = timeline(&store, &TimelineFilter::default());
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0].ip.as_deref(),
        Some("2a01:110:8068:7:9bf8:aa87:e00a:5f1f")
    );
    assert_eq!(rows[0].user, "adelev@contoso.onmicrosoft.com");
    assert!(rows.iter().all(|r| r.operation == "New-InboxRule"));

    let (store, report) = load_files(&[dir.join("elastic-beats-o365/02-exchange-item.log")]);
    assert_eq!(report.files[0].format, "json-lines");
    assert_eq!(store.events.len(), 9);
    let rows = timeline(&store, &TimelineFilter::default());
    assert!(
        rows.iter()
            .all(|r| r.session_id.is_none() && r.user == "s-1-5-18")
    );
    assert!(
        rows.iter()
            .any(|r| r.operation == "ModifyFolderPermissions")
    );
}

#[test]
fn the_copied_sentinel_fixture_loads_without_realdata() {
    let (store, report) = load_fixture("real/sentinel-office-activity-inbox-rule.csv");
    assert_eq!(report.files[0].records, 2);
    let rows = timeline(&store, &TimelineFilter::default());
    let times: Vec<&str> = rows.iter().map(|r| r.time.as_str()).collect();
    assert_eq!(times, ["2021-04-26T06:37:32Z", "2021-04-26T07:17:10Z"]);
}

/// The real diagnostic-settings / Event Hub sign-in records (SEKOIA's wrapped ones, Elastic's
/// JSON Lines) read as sign-ins, their session and token ids where the record has them; the
/// service principal's sign-in is named as such, not taken for a user's.
#[test]
#[ignore = "reads ../shared/realdata beside the checkout; .ci/run runs it"]
fn real_diagnostic_settings_sign_ins_load() {
    let dir = realdata();
    let mut users = 0;
    for path in files_in(&dir.join("sekoia-entra-signin"))
        .into_iter()
        .chain(files_in(&dir.join("elastic-azure-entra/signinlogs")))
    {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let (store, report) = load_files(std::slice::from_ref(&path));
        let f = &report.files[0];
        assert!(
            f.format.starts_with("Entra sign-in log"),
            "{name}: {}",
            f.format
        );
        assert_eq!(f.records, 1, "{name}");
        if name == "sign-in_activity7.json" {
            assert_eq!(f.skipped, 1);
            assert!(
                f.problems[0].reason.contains("service principal"),
                "{:?}",
                f.problems
            );
            continue;
        }
        assert_eq!(f.skipped, 0, "{name}: {:?}", f.problems);
        let s = &store.signins.all[0];
        users += 1;
        assert!(s.time > 1_600_000_000, "{name}");
        if name == "sign-in_activity6.json" {
            assert_eq!(
                s.session_id.as_deref(),
                Some("22222222-2222-2222-2222-222222222222")
            );
            assert_eq!(s.token_id.as_deref(), Some("URB3vEvKUUuClWlFhN4gAA"));
            assert_eq!(s.interactive, Some(false), "NonInteractiveUserSignInLogs");
        }
        if name == "test-adfs-signin.log" {
            // Its session ID is present but empty: no session, and no parse of `time`, which
            // is US-locale text here.
            assert_eq!(s.session_id, None);
            assert_eq!(s.token_id.as_deref(), Some("c874WMifAk-OqBkIlk-ELg"));
        }
    }
    assert_eq!(users, 9);
}
