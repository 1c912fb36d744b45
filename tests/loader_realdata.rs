//! Every real record in ../shared/realdata loads (skipped with a message where that folder is
//! absent), and the fields that matter come out right.

mod common;
use common::*;
use sessionscope::facts::TimelineFilter;
use std::path::{Path, PathBuf};

fn realdata() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: {} is absent (it sits beside the checkout)",
            dir.display()
        );
        None
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in std::fs::read_dir(dir).unwrap().flatten() {
        if sub.path().is_dir() {
            for f in std::fs::read_dir(sub.path()).unwrap().flatten() {
                out.push(f.path());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_real_record_loads() {
    let Some(dir) = realdata() else { return };
    let files = files_in(&dir);
    assert_eq!(files.len(), 79, "INVENTORY.md lists 79 files");
    let (store, report) = load_files(&files);
    for f in &report.files {
        assert!(f.error.is_none(), "{}: {:?}", f.path, f.error);
        assert_eq!(f.skipped, 0, "{}: {:?}", f.path, f.problems);
        assert!(f.records >= 1, "{}", f.path);
    }
    // INVENTORY.md: 73 + 4 + 2 + 9 records; identical anonymised copies count as duplicates.
    let read: usize = report.files.iter().map(|f| f.records).sum();
    assert_eq!(read, 88);
    assert_eq!(store.events.len() + report.duplicates(), 88);
}

fn one(path: &Path) -> sessionscope::facts::TimelineRow {
    let (store, report) = load_files(&[path.to_path_buf()]);
    assert_eq!(report.files[0].records, 1, "{}", path.display());
    timeline(&store, &TimelineFilter::default()).remove(0)
}

#[test]
fn real_records_give_sessions_ips_and_summaries() {
    let Some(dir) = realdata() else { return };
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
fn real_sentinel_and_beats_exports() {
    let Some(dir) = realdata() else { return };
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
