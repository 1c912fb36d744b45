//! Bad input: a clear message naming the file and the line or record, the rest still loaded,
//! a count of what was skipped. Never a panic.

mod common;
use common::*;

fn good_lines() -> Vec<String> {
    std::fs::read_to_string(fixture("formats/json-lines.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn files_that_are_not_exports_get_one_clear_error() {
    let cases: &[(&str, &[u8], &str)] = &[
        ("empty.csv", b"", "empty file"),
        ("blank.json", b"  \n\n ", "empty file"),
        (
            "binary.csv",
            &[0u8, 1, 2, 3, 0xff, 0xfe, 0, 0, 7, 8, 0, 0, 0, 0, 1, 2][..],
            "binary data",
        ),
        ("people.csv", b"name,age\nbob,3\n", "not an audit export"),
        ("notes.txt", b"hello world\n", "not an audit export"),
    ];
    for (name, bytes, expected) in cases {
        let path = write_temp(name, bytes);
        let (store, report) = load_files(&[path]);
        assert!(store.events.is_empty(), "{name}");
        let err = report.files[0].error.as_deref().unwrap_or("");
        assert!(err.contains(expected), "{name}: {err:?}");
    }
}

#[test]
fn a_broken_json_line_is_skipped_and_named() {
    let mut lines = good_lines();
    lines[2] = lines[2][..lines[2].len() / 2].to_string(); // cut mid-record
    lines.insert(4, "{\"Id\":\"x\",\"Operation\":\"Send\"}".into()); // no CreationTime
    let path = write_temp("broken.jsonl", lines.join("\n").as_bytes());
    let (store, report) = load_files(&[path]);
    let f = &report.files[0];
    assert_eq!(store.events.len(), 5);
    assert_eq!(f.skipped, 2);
    assert_eq!(f.problems[0].location, "line 3");
    assert!(
        f.problems[0].reason.contains("JSON"),
        "{}",
        f.problems[0].reason
    );
    assert_eq!(f.problems[1].location, "line 5");
    assert_eq!(f.problems[1].reason, "record has no CreationTime");
}

#[test]
fn a_record_dated_outside_1970_to_2106_is_skipped_and_named() {
    let mut lines = good_lines();
    let dated = |line: &str, when: &str| {
        let at = line.find("\"CreationTime\":\"").expect("CreationTime") + 16;
        format!("{}{when}{}", &line[..at], &line[at + 19..])
    };
    lines[1] = dated(&lines[1], "1969-12-31T23:59:59");
    lines[3] = dated(&lines[3], "2106-02-07T06:28:16");
    lines[4] = dated(&lines[4], "2106-02-07T06:28:15"); // the last second that fits
    let (store, report) = load_files(&[write_temp("dates.jsonl", lines.join("\n").as_bytes())]);
    let f = &report.files[0];
    assert_eq!((store.events.len(), f.skipped), (4, 2), "{:?}", f.problems);
    assert_eq!(f.problems[0].location, "line 2");
    assert_eq!(
        f.problems[0].reason,
        "CreationTime \"1969-12-31T23:59:59\" is outside 1970-2106"
    );
    assert_eq!(f.problems[1].location, "line 4");
    assert_eq!(
        store.events.iter().map(|e| e.time).max(),
        Some(u32::MAX),
        "2106-02-07T06:28:15 is u32::MAX seconds"
    );
}

#[test]
fn a_stretch_of_nul_bytes_is_named_as_such() {
    // What a file zeroed or cut short while it is read gives back on some file systems.
    let lines = good_lines();
    let mut bytes = lines[..3].join("\n").into_bytes();
    bytes.push(b'\n');
    bytes.resize(bytes.len() + (66 << 20), 0);
    bytes.push(b'\n');
    bytes.extend_from_slice(lines[3..].join("\n").as_bytes());
    let (store, report) = load_files(&[write_temp("zeroed.jsonl", &bytes)]);
    let f = &report.files[0];
    assert_eq!(store.events.len(), lines.len(), "{:?}", f.problems);
    assert_eq!(f.problems[0].location, "line 4", "{:?}", f.problems);
    assert!(
        f.problems[0]
            .reason
            .starts_with("66 MB of NUL bytes, not audit data"),
        "{}",
        f.problems[0].reason
    );
}

#[test]
fn invalid_utf8_costs_only_its_line() {
    // A UTF-8 file (a name beyond ASCII reads as UTF-8) with bytes that do not, in line 3.
    let bytes = std::fs::read(fixture("hostile/invalid-utf8.jsonl")).unwrap();
    let first = bytes.iter().position(|&b| b == b'\n').unwrap();
    let line1 = String::from_utf8(bytes[..first].to_vec())
        .unwrap()
        .replacen("alex.wilber", "zoë.wilber", 1);
    let utf8 = [line1.as_bytes(), &bytes[first..]].concat();
    let (store, report) = load_files(&[write_temp("damaged-utf8.jsonl", &utf8)]);
    assert_eq!(report.files[0].encoding, "UTF-8");
    assert_eq!(store.events.len(), 5);
    let p = &report.files[0].problems[0];
    assert_eq!(p.location, "line 3");
    assert!(p.reason.contains("UTF-8"), "{}", p.reason);

    // The same bytes in a file with nothing else beyond ASCII cannot be told from a legacy
    // encoding: every record loads, read as Windows-1252, and the file says so.
    let (store, report) = load_fixture("hostile/invalid-utf8.jsonl");
    let f = &report.files[0];
    assert_eq!((store.events.len(), f.skipped), (6, 0));
    assert_eq!(f.encoding, "Windows-1252");
    assert!(
        f.warnings[0].contains("read as Windows-1252"),
        "{:?}",
        f.warnings
    );
}

#[test]
fn a_truncated_json_array_keeps_the_records_before_the_cut() {
    let text = std::fs::read_to_string(fixture("formats/api-json.json")).unwrap();
    let cut = text.len() * 3 / 4;
    let (store, report) = load_files(&[write_temp("cut.json", &text.as_bytes()[..cut])]);
    let f = &report.files[0];
    assert!(
        store.events.len() >= 3 && store.events.len() < 6,
        "{}",
        store.events.len()
    );
    assert_eq!(f.skipped, 1);
    assert!(
        f.problems[0].reason.contains("JSON cut short"),
        "{:?}",
        f.problems
    );
    assert!(
        f.problems[0]
            .location
            .starts_with(&format!("record {}", store.events.len() + 1))
    );
}

#[test]
fn garbage_rows_in_a_purview_csv_are_skipped_with_their_line() {
    let text = std::fs::read_to_string(fixture("formats/purview-csv.csv")).unwrap();
    let mut rows: Vec<&str> = text.split("\r\n").collect();
    rows.insert(3, "garbage,row,without,json");
    rows.insert(5, "9f0c,\"2024\",1,Op,u,\"{not json}\",,");
    let (store, report) = load_files(&[write_temp("garbage.csv", rows.join("\r\n").as_bytes())]);
    let f = &report.files[0];
    assert_eq!(store.events.len(), 6);
    assert_eq!(f.skipped, 2);
    assert_eq!(f.problems[0].location, "line 4");
    assert!(
        f.problems[0].reason.contains("no AuditData"),
        "{}",
        f.problems[0].reason
    );
    assert_eq!(f.problems[1].location, "line 6");
    assert!(
        f.problems[1].reason.contains("invalid JSON"),
        "{}",
        f.problems[1].reason
    );
}

#[test]
fn an_export_of_exactly_50000_rows_is_flagged_as_truncated() {
    let mut csv = String::from("RecordId,CreationDate,RecordType,Operation,UserId,AuditData\r\n");
    for i in 0..50_000u32 {
        let id = format!("{i:08x}-0000-4000-8000-000000000000");
        let json = format!(
            r#"{{"Id":"{id}","CreationTime":"2024-03-12T00:00:00","Operation":"MailboxLogin","UserId":"u@contoso.com","RecordType":2}}"#
        );
        csv.push_str(&format!(
            "{id},x,2,MailboxLogin,u,\"{}\"\r\n",
            json.replace('"', "\"\"")
        ));
    }
    let (store, report) = load_files(&[write_temp("full.csv", csv.as_bytes())]);
    assert_eq!(store.events.len(), 50_000);
    assert!(
        report.files[0]
            .warnings
            .iter()
            .any(|w| w.contains("truncated"))
    );
}

#[test]
fn one_bad_file_among_good_ones_leaves_the_good_ones_loaded() {
    let bad = write_temp("bad.csv", b"a,b\n1,2\n");
    let (store, sources, report) = load_with_sources(&[bad, fixture("seed/first-table.csv")]);
    assert_eq!(store.events.len(), 6);
    assert!(report.files[0].error.is_some());
    assert!(report.files[1].error.is_none());
    // The detail view can still re-read records of the good file.
    let raw = sources.record(&store, &store.events[0]).unwrap();
    assert_eq!(raw["Operation"], "MailboxLogin");
}

#[test]
fn missing_file_is_reported_not_fatal() {
    let (store, report) = load_files(&[fixture("does-not-exist.csv")]);
    assert!(store.events.is_empty());
    assert!(
        report.files[0]
            .error
            .as_deref()
            .unwrap()
            .starts_with("cannot read")
    );
}

#[test]
fn problem_lines_are_the_same_whatever_the_block_size() {
    use sessionscope::{LoadOptions, load};
    for name in [
        "garbage-rows.csv",
        "invalid-utf8.jsonl",
        "truncated.csv",
        "cut-record.json",
    ] {
        let path = fixture(&format!("hostile/{name}"));
        let whole = load(std::slice::from_ref(&path), &LoadOptions::default()).2;
        for block in [64, 700, 5000] {
            let opts = LoadOptions {
                block_size: block,
                ..LoadOptions::default()
            };
            let (store, _, report) = load(std::slice::from_ref(&path), &opts);
            assert_eq!(
                problems(&report),
                problems(&whole),
                "{name} in blocks of {block}"
            );
            assert_eq!(
                store.events.len(),
                whole.files[0].records,
                "{name} in blocks of {block}"
            );
        }
    }
}

#[test]
fn problems_in_the_second_half_of_a_block_keep_their_line() {
    // The demo is one block, parsed in two halves on two cores; break rows in both halves.
    let text = std::fs::read_to_string(fixture("demo/tenant.csv")).unwrap();
    let mut rows: Vec<&str> = text.split("\r\n").collect();
    let late = rows.len() - 10;
    rows[late] = "broken,row";
    rows[5] = "another broken row";
    let (store, report) = load_files(&[write_temp("halves.csv", rows.join("\r\n").as_bytes())]);
    let f = &report.files[0];
    let lines: Vec<&str> = f.problems.iter().map(|p| p.location.as_str()).collect();
    assert_eq!(lines, ["line 6".to_string(), format!("line {}", late + 1)]);
    assert_eq!(
        store.events.len() + 2,
        rows.len() - 2,
        "header and final empty line aside"
    );
}

/// JSON documents are read a window at a time: characters and records cut by a window's end
/// must read the same as in one piece, and an invalid byte must stop the reading at the same
/// record whatever the window size.
#[test]
fn json_documents_read_the_same_in_any_window() {
    use sessionscope::{LoadOptions, load};
    let records: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(fixture("formats/api-json.json")).unwrap())
            .unwrap();
    let mut text = String::from("[\n");
    for (i, r) in records.iter().enumerate() {
        let mut r = r.clone();
        r["Subject"] = format!("é€😀 {i} ünïcödé").into();
        text.push_str(&serde_json::to_string_pretty(&r).unwrap());
        text.push_str(if i + 1 < records.len() {
            ",\n"
        } else {
            "\n]\n"
        });
    }
    let mut bytes = text.into_bytes();
    let clean = write_temp("multibyte.json", &bytes);
    // An invalid byte inside the fifth record's subject.
    let fifth = bytes
        .windows(6)
        .position(|w| w == "😀 4".as_bytes())
        .expect("the fifth subject");
    bytes[fifth] = 0xff;
    let broken = write_temp("invalid-byte.json", &bytes);
    // The broken record costs only itself.
    for (path, expect_events) in [(clean, records.len()), (broken, records.len() - 1)] {
        let whole = load(std::slice::from_ref(&path), &LoadOptions::default());
        assert_eq!(whole.0.events.len(), expect_events, "{}", path.display());
        let problems = &whole.2.files[0].problems;
        if expect_events < records.len() {
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(
                problems[0].location.starts_with("record 5 (line "),
                "{problems:?}"
            );
            assert!(problems[0].reason.contains("UTF-8"), "{problems:?}");
        } else {
            assert!(problems.is_empty(), "{problems:?}");
        }
        for block in [37, 64, 700, 5000] {
            let opts = LoadOptions {
                block_size: block,
                ..LoadOptions::default()
            };
            let (store, _, report) = load(std::slice::from_ref(&path), &opts);
            assert_eq!(
                store.events.len(),
                expect_events,
                "{} in blocks of {block}: {:?}",
                path.display(),
                report.files[0].problems
            );
            assert_eq!(
                common::problems(&report),
                common::problems(&whole.2),
                "blocks of {block}"
            );
        }
    }
}

/// The header is one line: a stray quote in it used to open a "cell" that swallowed the rows
/// below into the header, so those records vanished without a word.
#[test]
fn a_stray_quote_in_the_header_loses_no_row_silently() {
    let text = std::fs::read_to_string(fixture("formats/purview-csv.csv")).unwrap();
    let damaged = text.replacen("AuditData,", "AuditData,\",", 1);
    assert_ne!(damaged, text);
    let (store, report) = load_files(&[write_temp("stray-quote-header.csv", damaged.as_bytes())]);
    let f = &report.files[0];
    assert_eq!(
        store.events.len() + f.skipped,
        6,
        "every row is loaded or reported: {:?}",
        f.problems
    );
    assert!(f.problems.iter().all(|p| p.location.starts_with("line ")));
}

#[test]
fn a_record_rewritten_since_the_load_is_not_shown_as_the_events_own() {
    let text = std::fs::read_to_string(fixture("formats/json-lines.jsonl")).unwrap();
    let path = write_temp("rewritten.jsonl", text.as_bytes());
    let (store, sources, _) = load_with_sources(std::slice::from_ref(&path));
    let e = &store.events[0];
    let id = sessionscope::facts::record_id(&store, e).unwrap();
    assert!(sources.record(&store, e).is_ok());
    // Another program rewrites the export: same length, another record where this one was.
    let other = format!("{}0", &id[..id.len() - 1]);
    let other = if other == id {
        format!("{}1", &id[..id.len() - 1])
    } else {
        other
    };
    std::fs::write(&path, text.replace(&id, &other)).unwrap();
    let why = sources.record(&store, e).unwrap_err();
    assert!(
        why.contains("the file changed since it was loaded"),
        "{why}"
    );
    assert!(why.contains(&other), "{why}");
}

#[test]
fn risk_is_judged_from_facts_read_at_load_even_when_the_file_is_gone() {
    let path = write_temp(
        "gone.csv",
        &std::fs::read(fixture("seed/first-table.csv")).unwrap(),
    );
    let (store, _) = load_files(std::slice::from_ref(&path));
    std::fs::remove_file(&path).unwrap();
    let rule = store
        .events
        .iter()
        .position(|e| store.str(e.operation) == "New-InboxRule")
        .unwrap() as u32;
    let Some(sessionscope::audit::Action::Rule(r)) = store.action(rule) else {
        panic!(
            "the rule's facts were read at load: {:?}",
            store.telling(rule)
        );
    };
    assert_eq!(r.forward_to, ["billing-archive@proton-mail.example"]);
    let all = sessionscope::analysis::assess_all(&store, None);
    let attacker = store
        .sessions
        .iter()
        .position(|s| store.str(s.id) == ATTACKER_SESSION)
        .unwrap();
    let codes: Vec<&str> = all[attacker].reasons.iter().map(|r| r.code).collect();
    assert!(codes.contains(&"rule_forwards_outside"), "{codes:?}");
    assert!(!codes.contains(&"record_unread"), "{codes:?}");
}

/// The demo tenant written as JSON Lines by the generator, and its record count.
fn demo_json_lines() -> (Vec<u8>, usize) {
    let records = sessionscope_synth::tenant::demo_tenant();
    let n = records.len();
    let mut out = Vec::new();
    sessionscope_synth::write::write("json-lines", records, &mut out).unwrap();
    (out, n)
}

#[test]
fn every_chunk_of_a_split_json_lines_file_loads_what_it_holds() {
    let (text, n) = demo_json_lines();
    // `split -b` into five chunks: each boundary cuts one record in two (unless it falls on a
    // line's start), the halves skipped at the end of one chunk and the start of the next.
    let size = text.len().div_ceil(5);
    let mut cut = 0;
    let mut loaded = 0;
    for (k, chunk) in text.chunks(size).enumerate() {
        if k > 0 && text[k * size - 1] != b'\n' {
            cut += 1;
        }
        let path = write_temp(&format!("chunk-{k}"), chunk);
        let (store, report) = load_files(&[path]);
        let f = &report.files[0];
        assert!(f.error.is_none(), "chunk {k}: {:?}", f.error);
        assert!(f.skipped <= 2, "chunk {k}: {:?}", f.problems);
        if k > 0 && text[k * size - 1] != b'\n' {
            assert_eq!(
                f.problems[0].location, "line 1",
                "chunk {k}: {:?}",
                f.problems
            );
            assert!(
                f.problems[0].reason.contains("the file starts inside one"),
                "chunk {k}: {:?}",
                f.problems
            );
        }
        loaded += store.events.len();
    }
    assert_eq!(loaded, n - cut, "every whole record of every chunk");
}

#[test]
fn a_comment_or_title_line_before_json_lines_costs_only_itself() {
    let (text, n) = demo_json_lines();
    for first in [
        "# exported by a collector 2024-03-15\n",
        "Audit log export\r\n",
    ] {
        let mut bytes = first.as_bytes().to_vec();
        bytes.extend_from_slice(&text);
        let (store, report) = load_files(&[write_temp("titled.jsonl", &bytes)]);
        assert_eq!(store.events.len(), n, "{first:?}");
        assert_eq!(report.files[0].skipped, 1, "{first:?}");
        assert_eq!(report.files[0].problems[0].location, "line 1");
    }
}

#[test]
fn a_gzip_file_cut_short_keeps_every_whole_record_before_the_cut() {
    use std::io::{Read, Write};
    let (text, _) = demo_json_lines();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&text).unwrap();
    let whole = gz.finish().unwrap();
    let cut = &whole[..whole.len() / 2];
    // What zcat recovers: the text before the cut, and of it the whole lines.
    let mut recovered = Vec::new();
    let _ = flate2::read::MultiGzDecoder::new(cut).read_to_end(&mut recovered);
    let whole_lines = recovered.iter().filter(|&&b| b == b'\n').count();
    assert!(whole_lines > 100, "{whole_lines}");

    let (store, report) = load_files(&[write_temp("cut.jsonl.gz", cut)]);
    let f = &report.files[0];
    assert!(f.error.is_none(), "{:?}", f.error);
    assert_eq!(store.events.len(), whole_lines);
    let said: Vec<&str> = f.problems.iter().map(|p| p.reason.as_str()).collect();
    assert!(
        said.iter()
            .any(|r| r.contains("the gzip stream is cut or damaged")
                && r.contains("the file ends there")),
        "{said:?}"
    );
    // Nothing after the cut is in the file: only what the cut line itself cost is counted.
    assert!(f.skipped <= 1, "{:?}", f.problems);
}

#[test]
fn graph_pages_saved_compact_and_appended_are_read_whole() {
    let records = sessionscope_synth::tenant::demo_tenant();
    let n = records.len();
    let (first, second) = records.split_at(n / 2);
    let page = |part: &[serde_json::Value]| {
        let mut pretty = Vec::new();
        sessionscope_synth::write::write("graph-json", part.to_vec(), &mut pretty).unwrap();
        // As the API returns it: on one line.
        let value: serde_json::Value = serde_json::from_slice(&pretty).unwrap();
        serde_json::to_vec(&value).unwrap()
    };
    let one = page(&records);
    assert!(!one.contains(&b'\n'));
    let (store, report) = load_files(&[write_temp("page.json", &one)]);
    assert_eq!(store.events.len(), n, "{:?}", report.files[0]);
    // Two pages appended to one file, as a paging script writes them.
    let mut two = page(first);
    two.extend(page(second));
    let (store, report) = load_files(&[write_temp("pages.json", &two)]);
    assert_eq!(store.events.len(), n, "{:?}", report.files[0]);
    assert_eq!(report.files[0].skipped, 0);
}

#[test]
fn stray_elements_of_a_json_array_cost_only_themselves() {
    let records = sessionscope_synth::tenant::demo_tenant();
    let n = records.len();
    let mut array: Vec<serde_json::Value> = records;
    // Elements that are not records, as a script appending to an array leaves them.
    for (at, stray) in [
        (1, serde_json::Value::Null),
        (50, 5.into()),
        (400, "x".into()),
    ] {
        array.insert(at, stray);
    }
    array.push(serde_json::json!([1, 2]));
    let text = serde_json::to_vec_pretty(&array).unwrap();
    let (store, report) = load_files(&[write_temp("stray.json", &text)]);
    let f = &report.files[0];
    assert_eq!(store.events.len(), n, "every record around the strays");
    assert_eq!(f.skipped, 4);
    let said: Vec<String> = f
        .problems
        .iter()
        .map(|p| format!("{}: {}", p.location, p.reason))
        .collect();
    assert!(said[0].starts_with("record 2 (line "), "{said:?}");
    assert!(
        said[0].ends_with("not a record: null where a record belongs"),
        "{said:?}"
    );
    assert!(
        said[1].contains("record 51 ") && said[1].contains("a number"),
        "{said:?}"
    );
    assert!(
        said[2].contains("record 401 ") && said[2].contains("a string"),
        "{said:?}"
    );
    assert!(said[3].contains("an array"), "{said:?}");
}

#[test]
fn a_record_dated_on_a_day_that_does_not_exist_is_refused_and_named() {
    let mut records = sessionscope_synth::tenant::demo_tenant();
    let n = records.len();
    records[10]["CreationTime"] = "2024-02-30T10:00:00".into();
    let mut text = Vec::new();
    sessionscope_synth::write::write("json-lines", records, &mut text).unwrap();
    let (store, report) = load_files(&[write_temp("feb30.jsonl", &text)]);
    let f = &report.files[0];
    assert_eq!(store.events.len(), n - 1);
    assert_eq!(f.skipped, 1);
    assert_eq!(f.problems[0].location, "line 11");
    assert!(
        f.problems[0].reason.contains("2024-02-30"),
        "{:?}",
        f.problems
    );
    // Nothing was moved into March.
    assert!(
        !store
            .events
            .iter()
            .any(|e| sessionscope::time::rfc3339(i64::from(e.time)).starts_with("2024-03-01T10:00"))
    );
}

/// The demo tenant written by the generator in `format`, one user renamed to a name with an
/// accent, and the record count.
fn demo_with_accent(format: &str) -> (String, usize) {
    let records: Vec<serde_json::Value> = sessionscope_synth::tenant::demo_tenant()
        .into_iter()
        .map(|r| {
            let text = r.to_string().replace("diego.siciliani", "zoë.siciliani");
            serde_json::from_str(&text).unwrap()
        })
        .collect();
    let n = records.len();
    let mut out = Vec::new();
    sessionscope_synth::write::write(format, records, &mut out).unwrap();
    (String::from_utf8(out).unwrap(), n)
}

#[test]
fn a_windows_1252_export_loads_every_record_and_names_its_encoding() {
    // PowerShell 5.1's Export-Csv -Encoding Default on a Western system.
    let (text, n) = demo_with_accent("cmdlet-csv");
    // What Windows-1252 cannot hold (the demo has a few symbols beyond Latin-1) is written as
    // `?`, as PowerShell writes it.
    // (A legacy encoding has no byte-order mark.)
    let text: String = text
        .trim_start_matches('\u{feff}')
        .chars()
        .map(|c| if (c as u32) < 0x100 { c } else { '?' })
        .collect();
    let (legacy, _, lossy) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!lossy);
    assert!(std::str::from_utf8(&legacy).is_err(), "not UTF-8");
    let (store, sources, report) = load_with_sources(&[write_temp("ansi.csv", &legacy)]);
    let f = &report.files[0];
    assert_eq!(f.encoding, "Windows-1252");
    assert_eq!((store.events.len(), f.skipped), (n, 0), "{:?}", f.problems);
    assert!(store.lookup("zoë.siciliani@contoso.com").is_some());
    // The detail view reads the record back as it was loaded.
    let e = store
        .events
        .iter()
        .find(|e| store.str(e.user) == "zoë.siciliani@contoso.com")
        .unwrap();
    let record = sources.record(&store, e).unwrap();
    assert!(record.to_string().contains("zoë.siciliani"), "{record}");
}

#[test]
fn utf16_big_endian_exports_load_with_and_without_bom() {
    let (text, n) = demo_with_accent("json-lines");
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for (bytes, name) in [
        ([&[0xfe, 0xff][..], &be].concat(), "UTF-16BE"),
        (be.clone(), "UTF-16BE without BOM"),
    ] {
        let (store, report) = load_files(&[write_temp("be.jsonl", &bytes)]);
        let f = &report.files[0];
        assert_eq!(f.encoding, name);
        assert_eq!(
            (store.events.len(), f.skipped),
            (n, 0),
            "{name}: {:?}",
            f.problems
        );
        assert!(store.lookup("zoë.siciliani@contoso.com").is_some());
    }
}

#[test]
fn two_records_under_one_id_that_differ_are_both_kept_in_any_order() {
    let records = sessionscope_synth::tenant::demo_tenant();
    let n = records.len();
    let mut original = Vec::new();
    sessionscope_synth::write::write("json-lines", records.clone(), &mut original).unwrap();
    // A second export: the same records (copies), and one of them under its Id says another
    // operation by another user, as a tampered or mislabelled record would.
    let mut altered = records;
    altered[7]["Operation"] = "HardDelete".into();
    altered[7]["UserId"] = "mallory@contoso.com".into();
    let mut second = Vec::new();
    sessionscope_synth::write::write("json-lines", altered, &mut second).unwrap();
    let a = write_temp("first.jsonl", &original);
    let b = write_temp("second.jsonl", &second);
    let mut seen = Vec::new();
    for files in [[a.clone(), b.clone()], [b, a]] {
        let (store, report) = load_files(&files);
        assert_eq!(
            store.events.len(),
            n + 1,
            "the copies dropped, the conflict kept"
        );
        assert_eq!(report.duplicates(), n - 1);
        assert_eq!(sessionscope::facts::id_conflicts(&store), 2);
        assert!(store.lookup("mallory@contoso.com").is_some());
        seen.push(records_of(&store));
    }
    assert_eq!(
        seen[0], seen[1],
        "the same records whichever file comes first"
    );
}

/// Every event's facts, sorted: what a load holds, whatever order it read it in.
fn records_of(store: &sessionscope::Store) -> Vec<String> {
    let mut all = records(store);
    all.sort();
    all
}

#[test]
fn a_utf16_file_that_lost_a_byte_reads_on_after_it() {
    let (text, n) = demo_json_lines();
    let text = String::from_utf8(text).unwrap();
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut damaged = [&[0xff, 0xfe][..], &le].concat();
    // One byte lost a third of the way in: everything after it would read one byte out of
    // step, as characters of another script.
    damaged.remove(damaged.len() / 3);
    let (store, report) = load_files(&[write_temp("lost-byte.json", &damaged)]);
    let f = &report.files[0];
    assert_eq!(f.encoding, "UTF-16LE");
    assert!(f.skipped <= 1, "{:?}", f.problems);
    assert!(store.events.len() >= n - 1, "{} of {n}", store.events.len());
    assert!(
        f.warnings.iter().any(|w| w.contains("had lost 1 byte")),
        "{:?}",
        f.warnings
    );
}

#[test]
fn a_graph_page_cut_part_way_keeps_its_records_before_the_cut() {
    let records = sessionscope_synth::tenant::demo_tenant();
    let n = records.len();
    let mut page = Vec::new();
    sessionscope_synth::write::write("graph-json", records.clone(), &mut page).unwrap();
    // Paging interrupted two thirds of the way through the page.
    let cut = &page[..page.len() * 2 / 3];
    let (store, report) = load_files(&[write_temp("cut-page.json", cut)]);
    let f = &report.files[0];
    assert!(f.error.is_none(), "{:?}", f.error);
    assert_eq!(
        f.skipped, 1,
        "the record the cut went through: {:?}",
        f.problems
    );
    let m = store.events.len();
    assert!(m > n / 2, "{m} of {n}");
    // They are the page's first records, in its order.
    let first_ids: std::collections::HashSet<&str> = records[..=m]
        .iter()
        .filter_map(|r| r["Id"].as_str())
        .collect();
    for e in &store.events {
        let id = sessionscope::facts::record_id(&store, e).unwrap();
        assert!(
            first_ids.contains(id.as_str()),
            "{id} is not among the first {m}"
        );
    }
}

#[test]
fn the_records_read_after_damage_are_counted_as_recovered() {
    use sessionscope::{LoadOptions, load};
    let (text, n) = demo_json_lines();
    let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    // Lines 10 and 20 damaged: records 11 to n read on, all but line 20 (the 10 before the
    // first damage are not "recovered", a reader stopping at the first error had them too).
    lines[9] = b"{\"CreationTime\": \"2024-03-1";
    lines[19] = b"garbage";
    let path = write_temp("damaged.jsonl", &lines.join(&b'\n'));
    for block in [0, 4096] {
        let opts = LoadOptions {
            block_size: block,
            ..LoadOptions::default()
        };
        let (store, _, report) = load(std::slice::from_ref(&path), &opts);
        let f = &report.files[0];
        assert_eq!((store.events.len(), f.skipped), (n - 2, 2));
        assert_eq!(f.recovered, n - 11, "in blocks of {block}");
    }
    let clean = write_temp("clean.jsonl", &text);
    assert_eq!(load_files(&[clean]).1.files[0].recovered, 0);
}

#[test]
fn every_telling_record_has_its_facts_in_every_format_and_after_duplicates_drop() {
    use sessionscope::audit::{Action, classify};
    // The demo tenant's rules, forwarding, grants and consents, in formats read three ways
    // (JSON Lines, a CSV, a JSON document), gzipped, and loaded twice so that copies drop.
    let records = sessionscope_synth::tenant::demo_tenant();
    for format in ["json-lines", "purview-csv", "graph-json"] {
        let mut text = Vec::new();
        sessionscope_synth::write::write(format, records.clone(), &mut text).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &text).unwrap();
        let gz = write_temp(&format!("telling-{format}.gz"), &gz.finish().unwrap());
        let plain = write_temp(&format!("telling-{format}"), &text);
        let (store, report) = load_files(&[plain, gz]);
        assert_eq!(report.duplicates(), store.events.len(), "{format}");
        let telling: Vec<u32> = (0..store.events.len() as u32)
            .filter(|&e| classify(store.str(store.events[e as usize].operation)).wants_record())
            .collect();
        assert!(telling.len() >= 10, "{format}: {}", telling.len());
        for e in telling {
            assert!(
                store.telling(e).is_some(),
                "{format}: no facts for {}",
                store.str(store.events[e as usize].operation)
            );
        }
        let forwards = (0..store.events.len() as u32)
            .filter_map(|e| match store.action(e) {
                Some(Action::Rule(r)) => Some(r.forward_to.clone()),
                _ => None,
            })
            .flatten()
            .any(|to| to == "billing-archive@proton-mail.example");
        assert!(forwards, "{format}: the demo's forwarding rule");
    }
}

/// The demo tenant written by the generator in `format`, with the byte ranges of its records
/// (each from its `{` to its `}`), found by their `Id`s.
fn demo_document(format: &str) -> (Vec<u8>, Vec<std::ops::Range<usize>>) {
    let records = sessionscope_synth::tenant::demo_tenant();
    let mut out = Vec::new();
    sessionscope_synth::write::write(format, records.clone(), &mut out).unwrap();
    let text = String::from_utf8(out.clone()).unwrap();
    // Elements start with `{` on a line of their own or after `[`/`,`; their ends are the
    // next one's start. Find them by their ids, in order.
    let mut starts = Vec::new();
    let mut from = 0;
    for r in &records {
        let id = r["Id"].as_str().unwrap();
        let at = from + text[from..].find(id).expect("each id, in order");
        starts.push(
            text[..at]
                .rfind("{\"")
                .or_else(|| text[..at].rfind('{'))
                .unwrap(),
        );
        from = at;
    }
    let mut ranges: Vec<_> = starts.windows(2).map(|w| w[0]..w[1]).collect();
    ranges.push(*starts.last().unwrap()..text.len());
    (out, ranges)
}

fn load_in_windows(
    path: &std::path::Path,
    block: usize,
) -> (sessionscope::Store, sessionscope::ingest::FileReport) {
    let opts = sessionscope::LoadOptions {
        block_size: block,
        ..sessionscope::LoadOptions::default()
    };
    let (store, _, report) = sessionscope::load(std::slice::from_ref(&path.to_path_buf()), &opts);
    (store, report.files[0].clone())
}

#[test]
fn a_broken_record_in_a_json_array_costs_only_itself() {
    let (mut text, ranges) = demo_document("api-json");
    let n = ranges.len();
    // Record 40 loses a closing quote and brace: the JSON is broken from there.
    let broken = ranges[39].clone();
    let quote = broken.start
        + text[broken.clone()]
            .iter()
            .position(|&b| b == b'"')
            .unwrap();
    text.remove(quote);
    let path = write_temp("broken-element.json", &text);
    for block in [0, 4096, 5000] {
        let (store, f) = load_in_windows(&path, block);
        assert_eq!(
            (store.events.len(), f.skipped),
            (n - 1, 1),
            "blocks of {block}: {:?}",
            f.problems
        );
        assert_eq!(f.recovered, n - 40, "blocks of {block}");
        let p = &f.problems[0];
        assert!(p.location.starts_with("record 40 (line "), "{p:?}");
        assert!(p.reason.contains("the record there is lost"), "{p:?}");
        assert!(p.reason.contains("reading went on at line"), "{p:?}");
    }
}

#[test]
fn a_damaged_stretch_of_a_json_array_counts_the_records_it_cost() {
    let (text, ranges) = demo_document("api-json");
    let n = ranges.len();
    // Records 100 to 149 overwritten (a bad disk sector, a botched merge): every byte an `x`,
    // so not one of their beginnings is legible; only their size tells how many they were.
    let span = ranges[99].start + 1..ranges[149].start - 2;
    let mut wiped = text.clone();
    wiped[span.clone()].fill(b'x');
    // And the same 50 records with every brace turned into a bracket (their structure lost,
    // their text legible): their count is read from the beginnings still legible.
    let mut mangled = text.clone();
    for b in &mut mangled[span] {
        if *b == b'{' || *b == b'}' {
            *b = b'[';
        }
    }
    for (name, bytes) in [("wiped.json", wiped), ("mangled.json", mangled)] {
        let path = write_temp(name, &bytes);
        for block in [0, 4096] {
            let (store, f) = load_in_windows(&path, block);
            let lost = n - store.events.len();
            assert!((50..=51).contains(&lost), "{name}: {lost} lost");
            // Honestly estimated: within a fifth of what was lost, never "1".
            assert!(
                f.skipped * 5 >= lost * 4 && f.skipped * 5 <= lost * 6,
                "{name}, blocks of {block}: {} counted for {lost} lost: {:?}",
                f.skipped,
                f.problems
            );
            assert_eq!(f.problems.len(), 1, "{:?}", f.problems);
            assert!(
                f.problems[0].location.starts_with("record 100 "),
                "{:?}",
                f.problems
            );
            assert!(
                f.problems[0].reason.contains("records lost"),
                "{:?}",
                f.problems
            );
        }
    }
}

#[test]
fn invalid_utf8_inside_a_json_array_costs_only_its_record() {
    let (mut text, ranges) = demo_document("api-json");
    let n = ranges.len();
    // A name beyond ASCII early on, so the file reads as UTF-8; a stray byte in record 70.
    let first = ranges[0].start + 1;
    text.splice(first..first, "\"Note\":\"zoë\",".bytes());
    let in_70 = ranges[69].start + 20 + "\"Note\":\"zoë\",".len();
    text[in_70] = 0xff;
    let path = write_temp("stray-byte.json", &text);
    let (store, f) = load_in_windows(&path, 0);
    assert_eq!(f.encoding, "UTF-8");
    assert_eq!(
        (store.events.len(), f.skipped),
        (n - 1, 1),
        "{:?}",
        f.problems
    );
    assert!(
        f.problems[0].reason.starts_with("invalid UTF-8"),
        "{:?}",
        f.problems
    );
    assert!(
        f.problems[0].location.starts_with("record 70 "),
        "{:?}",
        f.problems
    );
}

#[test]
fn a_broken_record_inside_a_graph_page_costs_only_itself_and_the_next_page_reads() {
    let records = sessionscope_synth::tenant::demo_tenant();
    let n = records.len();
    let (first, second) = records.split_at(n / 2);
    let page = |part: &[serde_json::Value]| {
        let mut out = Vec::new();
        sessionscope_synth::write::write("graph-json", part.to_vec(), &mut out).unwrap();
        out
    };
    let mut one = page(first);
    // The tenth record of the first page broken: its `Id` loses its opening quote.
    let id = first[9]["Id"].as_str().unwrap();
    let at = one
        .windows(id.len())
        .position(|w| w == id.as_bytes())
        .unwrap();
    one.remove(at - 1);
    let two = [one, page(second)].concat();
    let path = write_temp("broken-page.json", &two);
    let (store, f) = load_in_windows(&path, 0);
    assert_eq!(
        (store.events.len(), f.skipped),
        (n - 1, 1),
        "{:?}",
        f.problems
    );
    assert!(
        f.problems[0].location.starts_with("record 10 "),
        "{:?}",
        f.problems
    );
}

#[test]
fn damage_outside_an_array_counts_the_records_left_unread() {
    // Two Graph pages appended, with a line of garbage between them: nothing after the
    // garbage can be told apart from it, so the second page is not read, and counted.
    let records = sessionscope_synth::tenant::demo_tenant();
    let n = records.len();
    let (first, second) = records.split_at(n / 2);
    let page = |part: &[serde_json::Value]| {
        let mut out = Vec::new();
        sessionscope_synth::write::write("graph-json", part.to_vec(), &mut out).unwrap();
        out
    };
    let bytes = [page(first), b"\n-- 8< --\n".to_vec(), page(second)].concat();
    let path = write_temp("garbage-between.json", &bytes);
    for block in [0, 4096] {
        let (store, f) = load_in_windows(&path, block);
        assert_eq!(store.events.len(), first.len());
        assert_eq!(
            f.skipped,
            second.len(),
            "blocks of {block}: {:?}",
            f.problems
        );
        assert!(
            f.problems[0]
                .reason
                .contains("the rest of the file was not read")
        );
    }
}

#[test]
fn a_gzip_stream_damaged_part_way_counts_the_records_after_the_damage() {
    use std::io::Write;
    let (text, n) = demo_json_lines();
    // Three gzip members, as appending compressors and rotated logs write them, each a third
    // of the lines; the middle one's checksum damaged, so its stream breaks at its end and
    // the third member, two fifths of the file's bytes or so, cannot be reached.
    let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    let third = lines.len().div_ceil(3);
    let members: Vec<Vec<u8>> = lines
        .chunks(third)
        .map(|part| {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(&part.concat()).unwrap();
            gz.finish().unwrap()
        })
        .collect();
    let mut damaged = members[1].clone();
    let crc = damaged.len() - 8;
    damaged[crc] ^= 0xff;
    let bytes = [members[0].clone(), damaged, members[2].clone()].concat();
    let (store, report) = load_files(&[write_temp("damaged.jsonl.gz", &bytes)]);
    let f = &report.files[0];
    let read = store.events.len();
    let unreachable = lines.len() - 2 * third;
    assert_eq!(read, n - unreachable);
    // Estimated from the compressed bytes left, at the rate of those read: within a fifth.
    assert!(
        f.skipped * 5 >= unreachable * 4 && f.skipped * 5 <= unreachable * 6,
        "{} counted for {unreachable} lost: {:?}",
        f.skipped,
        f.problems
    );
    let said = &f.problems.last().unwrap().reason;
    assert!(said.contains("the gzip stream is cut or damaged"), "{said}");
    assert!(
        said.contains(&format!("about {} more records were in the", f.skipped)),
        "{said}"
    );
}
