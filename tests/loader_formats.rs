//! Every supported export format reads to the same events, with the right fields.

mod common;
use common::*;
use sessionscope::facts::{self, TimelineFilter};

const SIX_RECORD_FORMATS: &[(&str, &str)] = &[
    ("formats/purview-csv.csv", "purview-csv"),
    ("formats/purview-csv-2023.csv", "purview-csv"),
    ("formats/classic-csv.csv", "classic-csv"),
    ("formats/cmdlet-csv.csv", "unified-audit-log-csv"),
    ("formats/graph-csv.csv", "graph-csv"),
    ("formats/json-lines.jsonl", "json-lines"),
    ("formats/json-lines.jsonl.gz", "json-lines"),
    ("formats/api-json.json", "json"),
    ("formats/extractor-json.json", "json"),
    ("formats/extractor-json-utf16.json", "json"),
    ("formats/graph-json.json", "json"),
    ("formats/siem-json-lines.jsonl", "json-lines"),
    ("formats/defender-json-lines.jsonl", "json-lines"),
    ("formats/sentinel-csv.csv", "sentinel-officeactivity-csv"),
    ("formats/la-officeactivity-json-lines.jsonl", "json-lines"),
];

#[test]
fn each_format_reads_the_six_records_with_their_fields() {
    for (file, format) in SIX_RECORD_FORMATS {
        let (store, report) = load_fixture(file);
        let f = &report.files[0];
        assert_eq!(f.format, *format, "{file}");
        assert_eq!((f.records, f.skipped), (6, 0), "{file}: {:?}", f.problems);
        assert_eq!(store.distinct_session_ids(), 2, "{file}");

        let rows = timeline(&store, &TimelineFilter::default());
        let rule = rows
            .iter()
            .find(|r| r.operation == "New-InboxRule")
            .unwrap_or_else(|| panic!("{file}: no inbox rule"));
        assert_eq!(rule.time, "2024-03-12T04:59:00Z", "{file}");
        assert_eq!(rule.user, "alex.wilber@contoso.com", "{file}");
        assert_eq!(rule.session_id.as_deref(), Some(ATTACKER_SESSION), "{file}");
        assert_eq!(rule.ip.as_deref(), Some("198.51.100.23"), "{file}");
        assert_eq!(
            rule.ip_original.as_deref(),
            Some("198.51.100.23:41952"),
            "{file}"
        );
        assert_eq!(rule.record_type, 1, "{file}");
        assert_eq!(rule.record_type_name, "ExchangeAdmin", "{file}");
        assert!(rule.record_id.is_some(), "{file}");
        assert!(
            rule.summary
                .contains("subject or body contains \"invoice;payment\"")
                && rule
                    .summary
                    .contains("forward to billing-archive@proton-mail.example"),
            "{file}: {}",
            rule.summary
        );

        let login = rows
            .iter()
            .find(|r| {
                r.operation == "MailboxLogin" && r.session_id.as_deref() == Some(USER_SESSION)
            })
            .unwrap_or_else(|| panic!("{file}: no user login"));
        assert_eq!(login.time, "2024-03-12T03:42:00Z", "{file}");
        assert_eq!(
            login.target.as_deref(),
            Some("alex.wilber@contoso.com"),
            "{file}"
        );
        assert!(
            login
                .client
                .as_deref()
                .unwrap_or("")
                .starts_with("Client=OWA"),
            "{file}"
        );
    }
}

#[test]
fn mailbox_audit_log_export_reads_its_mailbox_records() {
    let (store, report) = load_fixture("formats/mailbox-audit-log-csv.csv");
    assert_eq!(report.files[0].format, "mailbox-audit-log-csv");
    assert_eq!(report.files[0].records, 4);
    let rows = timeline(&store, &TimelineFilter::default());
    let ops: Vec<&str> = rows.iter().map(|r| r.operation.as_str()).collect();
    assert_eq!(
        ops,
        [
            "MailboxLogin",
            "MailboxLogin",
            "MoveToDeletedItems",
            "AddFolderPermissions"
        ]
    );
    assert_eq!(rows[3].session_id.as_deref(), Some(ATTACKER_SESSION));
    assert_eq!(rows[3].summary, "\\Inbox: ReadItems for anonymous");
    assert_eq!(
        rows[2].summary,
        "1 item from \\Inbox to \\Deleted Items: \"Lunch on Friday?\""
    );
    assert!(report.files[0].warnings.iter().any(|w| w.contains("UTC")));
}

#[test]
fn overlapping_exports_drop_duplicates() {
    let (store, report) = load_files(&[
        fixture("formats/purview-csv.csv"),
        fixture("formats/json-lines.jsonl"),
        fixture("formats/graph-json.json"),
    ]);
    assert_eq!(store.events.len(), 6);
    assert_eq!(report.duplicates(), 12);
    assert_eq!(report.files[1].duplicates, 6);

    // A partial overlap: the first four records and the last four.
    let text = std::fs::read_to_string(fixture("formats/json-lines.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let a = write_temp("early.jsonl", lines[..4].join("\n").as_bytes());
    let b = write_temp("late.jsonl", lines[2..].join("\n").as_bytes());
    let (store, report) = load_files(&[a.clone(), b.clone()]);
    assert_eq!(store.events.len(), 6);
    assert_eq!(report.duplicates(), 2);

    // A file that cannot be read in between: the copies are still charged to the file
    // that holds them.
    let missing = a.with_file_name("missing.jsonl");
    let (store, report) = load_files(&[a, missing, b]);
    assert_eq!(store.events.len(), 6);
    let duplicates: Vec<usize> = report.files.iter().map(|f| f.duplicates).collect();
    assert_eq!(duplicates, [0, 0, 2]);
    assert!(report.files[1].error.is_some());
}

/// An event's fields kept apart from it (the IP as the record wrote it, with its port; the
/// workload, result and file, shared with other events) stay its own when copies read from
/// another file are dropped and the rest is put in time order.
#[test]
fn fields_kept_beside_the_events_follow_them_past_dropped_copies() {
    let demo = fixture("demo/tenant.csv");
    let (alone, _) = load_files(std::slice::from_ref(&demo));
    let rows = records(&alone);
    let with_ports = timeline(&alone, &TimelineFilter::default())
        .iter()
        .filter(|r| {
            r.ip_original
                .as_ref()
                .is_some_and(|o| Some(o) != r.ip.as_ref())
        })
        .count();
    assert!(
        with_ports > 10,
        "{with_ports} addresses written with a port"
    );
    // The demo's second half in a file of its own, loaded first: its records are kept from
    // it, the demo's copies of them dropped.
    let text = std::fs::read_to_string(&demo).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let half = [&lines[..1], &lines[lines.len() / 2..]]
        .concat()
        .join("\r\n");
    let late = write_temp("late-half.csv", half.as_bytes());
    let (both, report) = load_files(&[late, demo]);
    assert!(report.duplicates() > rows.len() / 3);
    assert_eq!(records(&both).len(), rows.len());
    // Rows from either file: every field as the demo's own (a row does not name its file).
    assert_eq!(records(&both), rows);
    let files: std::collections::BTreeSet<u16> =
        both.events.iter().map(|e| both.kind(e).file).collect();
    assert_eq!(files.into_iter().collect::<Vec<_>>(), [0, 1]);
}

#[test]
fn sessions_facts_carry_the_contract_fields() {
    let (store, _) = load_fixture("seed/first-table.csv");
    let rows: Vec<_> = facts::sessions(&store, Some("Alex.Wilber@Contoso.com"))
        .into_iter()
        .map(|s| facts::session_row(&store, s, None, None))
        .collect();
    assert_eq!(rows.len(), 2);
    let attacker = &rows[1];
    assert_eq!(attacker.session_id.as_deref(), Some(ATTACKER_SESSION));
    assert_eq!(attacker.first_seen, "2024-03-12T04:35:00Z");
    assert_eq!(attacker.last_seen, "2024-03-12T05:30:00Z");
    assert_eq!(attacker.events, 4);
    assert_eq!(attacker.ips, ["198.51.100.23"]);
    assert_eq!(attacker.operations.get("New-InboxRule"), Some(&1));
    assert_eq!(attacker.operations.len(), 4);
}

#[test]
fn ip_filter_accepts_any_form_of_the_address() {
    let (store, _) = load_fixture("seed/first-table.csv");
    for form in ["198.51.100.23", "198.51.100.23:1", "::ffff:198.51.100.23"] {
        let rows = timeline(
            &store,
            &TimelineFilter {
                ip: Some(form.into()),
                ..Default::default()
            },
        );
        assert_eq!(rows.len(), 4, "{form}");
    }
}

#[test]
fn streaming_in_small_blocks_reads_the_same_events() {
    use sessionscope::{LoadOptions, load};
    for file in [
        "demo/tenant.csv",
        "formats/graph-csv.csv",
        "formats/sentinel-csv.csv",
        "formats/json-lines.jsonl.gz",
        "formats/cmdlet-csv.csv",
        "formats/api-json.json",
        "formats/graph-json.json",
        "formats/extractor-json.json",
        "formats/extractor-json-utf16.json",
    ] {
        let paths = [fixture(file)];
        let (whole, _, _) = load(&paths, &LoadOptions::default());
        for block in [4096, 1000, 37] {
            let opts = LoadOptions {
                block_size: block,
                ..LoadOptions::default()
            };
            let (small, sources, report) = load(&paths, &opts);
            assert_eq!(
                report.skipped(),
                0,
                "{file} in blocks of {block}: {:?}",
                report.files[0].problems
            );
            assert_eq!(
                records(&small),
                records(&whole),
                "{file} in blocks of {block}"
            );
            // Records are re-read from the right place.
            let last = small.events.last().unwrap();
            let raw = sources.record(&small, last).unwrap();
            assert_eq!(
                raw["Operation"],
                small.str(last.operation),
                "{file} in blocks of {block}"
            );
        }
    }
}

/// Regular files are memory-mapped; anything else (here a named pipe, as `<(zcat ...)` gives)
/// is streamed through a buffer. Both must read the same events, including CSV rows that
/// straddle the blocks.
#[cfg(unix)]
#[test]
fn a_pipe_streams_the_same_events_as_a_mapped_file() {
    use sessionscope::{LoadOptions, load};
    let file = fixture("demo/tenant.csv");
    let (mapped, _, _) = load(std::slice::from_ref(&file), &LoadOptions::default());
    let dir = temp_dir("pipe");
    let fifo = dir.join("export.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let writer = {
        let (file, fifo) = (file.clone(), fifo.clone());
        std::thread::spawn(move || {
            let mut out = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
            std::io::copy(&mut std::fs::File::open(file).unwrap(), &mut out).unwrap();
        })
    };
    let opts = LoadOptions {
        block_size: 64 << 10,
        ..LoadOptions::default()
    };
    let (streamed, _, report) = load(std::slice::from_ref(&fifo), &opts);
    writer.join().unwrap();
    assert_eq!(report.skipped(), 0, "{:?}", report.files[0].problems);
    assert_eq!(records(&streamed), records(&mapped));
}

/// A JSON array over a megabyte is cut in two where an element probably starts and split on
/// two cores: it must read exactly what one splitter reads, problems and their places included.
#[test]
fn a_large_json_array_reads_the_same_split_on_two_cores() {
    use sessionscope::{LoadOptions, load};
    use sessionscope_synth::{tenant, write};
    let tenant: Vec<serde_json::Value> = tenant::scale_tenant(4000, 7).collect();
    let mut array = Vec::new();
    write::write("api-json", tenant.clone(), &mut array).unwrap();
    let mut lines = Vec::new();
    write::write("json-lines", tenant, &mut lines).unwrap();
    assert!(array.len() > 3 << 20, "{} bytes", array.len());
    // The windows below (2 MiB) have a place to cut, so two splitters do run.
    for window in array.chunks(2 << 20).take(2) {
        assert!(
            sessionscope_ingest::internals::split::record_start_after(window, window.len() / 2)
                .is_some()
        );
    }
    // Three quarters in, one record's closing brace goes missing: the reading stops there.
    let mut broken = array.clone();
    let at = broken.len() * 3 / 4;
    let brace = at + broken[at..].windows(3).position(|w| w == b"},{").unwrap();
    broken.remove(brace);
    let files = [
        write_temp("array.json", &array),
        write_temp("lines.jsonl", &lines),
        write_temp("broken.json", &broken),
    ];
    let read = |path: &std::path::PathBuf, threads: usize| {
        let opts = LoadOptions {
            threads,
            block_size: 2 << 20,
            ..LoadOptions::default()
        };
        load(std::slice::from_ref(path), &opts)
    };
    let (lines_store, _, _) = read(&files[1], 1);
    for file in [&files[0], &files[2]] {
        let (one, _, one_report) = read(file, 1);
        let (two, _, two_report) = read(file, 2);
        assert_eq!(records(&two), records(&one), "{}", file.display());
        assert_eq!(
            problems(&two_report),
            problems(&one_report),
            "{}",
            file.display()
        );
    }
    assert_eq!(read(&files[0], 2).0.events.len(), lines_store.events.len());
    let (broken_store, _, broken_report) = read(&files[2], 2);
    assert!(broken_store.events.len() < lines_store.events.len());
    assert!(broken_store.events.len() > lines_store.events.len() / 2);
    assert_eq!(broken_report.files[0].problems.len(), 1);
}

/// The loading screen's counters end at what was read: every record (read, skipped or a
/// duplicate) and every byte after the header, whether the file is mapped, streamed or read in
/// pieces on two cores.
#[test]
fn progress_counters_end_at_the_records_and_bytes_read() {
    use sessionscope::{LoadOptions, load};
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    for file in [
        "demo/tenant.csv",
        "formats/json-lines.jsonl",
        "formats/sentinel-csv.csv",
        "formats/api-json.json",
        "formats/json-lines.jsonl.gz",
        "hostile/garbage-rows.csv",
        "hostile/nul-byte.jsonl",
    ] {
        for block in [0, 4096] {
            let (records, bytes) = (AtomicUsize::new(0), AtomicU64::new(0));
            let opts = LoadOptions {
                records_read: Some(&records),
                bytes_read: Some(&bytes),
                block_size: block,
                ..LoadOptions::default()
            };
            let (_, _, report) = load(&[fixture(file)], &opts);
            let f = &report.files[0];
            assert!(f.records > 0, "{file}");
            assert_eq!(
                records.load(Ordering::Relaxed),
                f.records + f.skipped,
                "{file} in blocks of {block}"
            );
            // The decoded text (the gzip fixture holds the JSON Lines one), less a CSV's header.
            let text = std::fs::read(fixture(file.trim_end_matches(".gz"))).unwrap();
            let header = match file.ends_with(".csv") {
                true => text.iter().position(|&b| b == b'\n').unwrap() + 1,
                false => 0,
            };
            assert_eq!(
                bytes.load(Ordering::Relaxed),
                (text.len() - header) as u64,
                "{file} in blocks of {block}"
            );
        }
    }
}

#[test]
fn every_record_of_every_format_reads_back_as_itself() {
    let dir = fixture("formats");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|f| f.path())
        .collect();
    files.sort();
    let mut read_back = 0;
    for file in &files {
        let (store, sources, _) = load_with_sources(std::slice::from_ref(file));
        for e in &store.events {
            if let Err(why) = sources.record(&store, e) {
                panic!("{}: {why}", file.display());
            }
            read_back += 1;
        }
    }
    assert!(read_back > 50, "{read_back} records read back");
}

/// Defender's CloudAppEvents as Azure storage keeps a diagnostic-settings export: the older
/// `{"records": [...]}` document of Event Hub records, each holding the audit record in
/// `properties.RawEventData`; the same records as the JSON Lines the newer exports write.
#[test]
fn a_diagnostic_settings_records_document_reads_as_its_json_lines() {
    let records = sessionscope_synth::tenant::demo_tenant();
    let n = records.len();
    let mut lines = Vec::new();
    sessionscope_synth::write::write("defender-json-lines", records, &mut lines).unwrap();
    let text = String::from_utf8(lines).unwrap();
    let items: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let document = serde_json::json!({ "records": items }).to_string();
    let (from_lines, _) = load_files(&[write_temp("PT1H.json", text.as_bytes())]);
    let (from_document, report) =
        load_files(&[write_temp("PT1H-records.json", document.as_bytes())]);
    assert_eq!(report.files[0].skipped, 0, "{:?}", report.files[0].problems);
    assert_eq!(from_document.events.len(), n);
    assert_eq!(from_lines.events.len(), n);
    let sessions = |s: &sessionscope::Store| s.distinct_session_ids();
    assert_eq!(sessions(&from_document), sessions(&from_lines));
}

/// The warehouse shapes of one generated tenant read as its Purview CSV does: the same
/// events, users and sessions, each session with the same events.
#[test]
fn a_tenant_in_each_warehouse_shape_reads_as_its_purview_csv() {
    let records = sessionscope_synth::tenant::demo_tenant();
    let written = |format: &str| {
        let mut out = Vec::new();
        sessionscope_synth::write::write(format, records.clone(), &mut out).unwrap();
        out
    };
    let sessions_of = |store: &sessionscope::Store| {
        let mut rows: Vec<(String, String, usize)> = store
            .sessions
            .iter()
            .map(|s| {
                (
                    store.str(s.id).to_string(),
                    store.str(s.user).to_string(),
                    s.events.len(),
                )
            })
            .collect();
        rows.sort();
        rows
    };
    let (reference, _) = load_files(&[write_temp("tenant.csv", &written("purview-csv"))]);
    let defender = String::from_utf8(written("defender-json-lines")).unwrap();
    let records_document = serde_json::json!({
        "records": defender
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .collect::<Vec<_>>()
    })
    .to_string();
    let office_activity = String::from_utf8(written("la-officeactivity-json-lines")).unwrap();
    let rows: Vec<serde_json::Value> = office_activity
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let saved_query = query_response(&rows);
    for (name, bytes) in [
        ("PT05M.json", office_activity.clone().into_bytes()),
        ("officeactivity-query.json", saved_query.into_bytes()),
        ("cloudappevents.jsonl", defender.clone().into_bytes()),
        ("PT1H.json", records_document.into_bytes()),
    ] {
        let (store, report) = load_files(&[write_temp(name, &bytes)]);
        assert_eq!(
            report.files[0].skipped, 0,
            "{name}: {:?}",
            report.files[0].problems
        );
        let expected_format = if name.ends_with("-query.json") {
            "query-response"
        } else {
            report.files[0].format
        };
        assert_eq!(report.files[0].format, expected_format);
        assert_eq!(store.events.len(), reference.events.len(), "{name}");
        assert_eq!(store.user_count(), reference.user_count(), "{name}");
        assert_eq!(sessions_of(&store), sessions_of(&reference), "{name}");
    }
}
