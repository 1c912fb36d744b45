//! A big tenant's logs where they are kept: a folder tree of Log Analytics data-export blobs
//! (`y=/m=/d=/h=/m=` partitions), walked, and narrowed to a time window before anything
//! outside it is opened.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The demo tenant as Log Analytics' data export lays OfficeActivity out: one `PT05M.json`
/// per hour of records; and its record count per day (`YYYY-MM-DD`).
fn data_export_tree(root: &Path) -> std::collections::BTreeMap<String, usize> {
    let records = sessionscope_synth::tenant::demo_tenant();
    let mut out = Vec::new();
    sessionscope_synth::write::write("la-officeactivity-json-lines", records, &mut out).unwrap();
    let mut per_hour: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut per_day: std::collections::BTreeMap<String, usize> = Default::default();
    for line in String::from_utf8(out).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let t = v["TimeGenerated"].as_str().unwrap().to_string();
        let (y, m, d, h) = (&t[0..4], &t[5..7], &t[8..10], &t[11..13]);
        per_hour
            .entry(format!("y={y}/m={m}/d={d}/h={h}/m=00"))
            .or_default()
            .push(line.to_string());
        *per_day.entry(t[..10].to_string()).or_default() += 1;
    }
    let base = root.join(
        "am-OfficeActivity/WorkspaceResourceId=/subscriptions/x/resourcegroups/y/providers/microsoft.operationalinsights/workspaces/z",
    );
    for (partition, lines) in per_hour {
        let dir = base.join(partition);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("PT05M.json"), lines.join("\n")).unwrap();
    }
    per_day
}

fn stats(args: &[&str]) -> serde_json::Value {
    let o = Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .arg("stats")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn a_folder_is_walked_and_a_window_opens_only_its_partitions() {
    let root: PathBuf = temp_dir("warehouse-tree");
    let per_day = data_export_tree(&root);
    let total: usize = per_day.values().sum();
    let path = root.to_str().unwrap();
    // The whole tree.
    let all = stats(&[path]);
    assert_eq!(all["events"], total);
    assert_eq!(all["window"], serde_json::Value::Null);
    let files = all["files"].as_array().unwrap().len();
    assert!(files > 20, "{files} partitions");
    // One day: only its hours are opened, the rest passed over unopened.
    let day = stats(&[path, "--from", "2024-03-12", "--to", "2024-03-12"]);
    assert_eq!(day["events"], per_day["2024-03-12"]);
    assert_eq!(day["window"]["from"], "2024-03-12T00:00:00Z");
    assert_eq!(day["window"]["to"], "2024-03-13T00:00:00Z");
    assert_eq!(
        day["passed_over"], 0,
        "hour partitions inside the day hold only its records"
    );
    let opened = day["files"].as_array().unwrap().len();
    assert!(opened < files / 3, "{opened} of {files} opened");
    assert!(day["pruned"].as_u64().unwrap() > 0);
    // A window within an hour's partition: the hour is opened, its other records passed over.
    let hour = stats(&[
        path,
        "--from",
        "2024-03-12T04:40",
        "--to",
        "2024-03-12T05:00",
    ]);
    assert!(hour["passed_over"].as_u64().unwrap() > 0, "{hour}");
    assert_eq!(hour["files"].as_array().unwrap().len(), 1);
}

#[test]
fn a_bad_window_is_refused_in_words() {
    let o = Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .args(["stats", "fixtures/demo/tenant.csv", "--from", "yesterday"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--from \"yesterday\" is not a time"));
    let o = Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .args([
            "stats",
            "fixtures/demo/tenant.csv",
            "--from",
            "2024-03-13",
            "--to",
            "2024-03-12",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_investigator_says_it_shows_a_slice() {
    let window = sessionscope::ingest::tree::Window {
        from: 1_710_201_600, // 2024-03-12
        to: 1_710_288_000,
    };
    let (store, _, report) = sessionscope::load(
        &[PathBuf::from("fixtures/demo/tenant.csv")],
        &sessionscope::LoadOptions {
            window: Some(window),
            ..Default::default()
        },
    );
    assert!(report.passed_over > 0);
    let mut app = sessionscope::tui::App::new(std::sync::Arc::new(store));
    app.window = report.window;
    let lines = screen_lines(&app, 80, 24);
    assert!(
        lines[22].contains("slice 2024-03-12..2024-03-13 (risk within it)"),
        "{}",
        lines.join("\n")
    );
}

#[test]
fn user_session_and_ip_narrow_what_is_loaded() {
    let demo = "fixtures/demo/tenant.csv";
    let all = stats(&[demo]);
    let alex = stats(&[demo, "--user", "Alex.Wilber@contoso.com"]);
    let alex_events = all["per_user"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user"] == "alex.wilber@contoso.com")
        .unwrap();
    assert_eq!(alex["users"], 1);
    assert_eq!(
        alex["events"].as_u64().unwrap() + alex["passed_over"].as_u64().unwrap(),
        all["events"].as_u64().unwrap()
    );
    assert!(alex_events["sessions"].as_u64().unwrap() >= alex["sessions"].as_u64().unwrap());
    // One session by the 8 characters a table prints, and one IP of it.
    let session = stats(&[demo, "--session", "12bce6d0"]);
    assert_eq!(session["sessions"], 1);
    assert_eq!(session["events"], 4);
    let ip = stats(&[demo, "--ip", "198.51.100.23:41952", "--session", "12bce6d0"]);
    assert!(ip["events"].as_u64().unwrap() >= 1);
    assert_eq!(ip["sessions"], 1);
}
