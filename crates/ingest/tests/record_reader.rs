//! The token reader (`load::record_scan`) against serde: for every record it accepts, it must
//! give exactly what serde gives; whatever serde refuses, it must decline (serde then reports
//! the error). Checked on every real-shaped record the project has, on hand-made edge cases,
//! and on records damaged at random. Each record is also read as a Purview CSV cell holds it,
//! every quote doubled, by the reader that reads such cells in place.

use proptest::prelude::*;
use sessionscope_ingest::internals::csv::unquote_json;
use sessionscope_ingest::internals::record::AuditRecord;
use sessionscope_ingest::internals::record_scan::{read_record, read_record_doubled, recycle};

/// A file of the workspace's `fixtures/`.
fn fixture(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rel)
}

/// `PROPTEST_CASES` from the environment, else `default`: more cases for a longer fuzz.
fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `true`: the reader read `text` and agreed with serde; `false`: it declined. Panics (with
/// both sides) when it accepted something serde reads differently or refuses. Checks the
/// in-place CSV reader on the same record too ([`doubled_agrees_with_copy`]). The record's
/// lists are recycled as the loader does, so that the next records fill lists used before.
fn agrees_with_serde(text: &str) -> bool {
    doubled_agrees_with_copy(text);
    let fast = read_record(text).map(|mut r| {
        let shown = format!("{r:?}");
        recycle(&mut r);
        shown
    });
    let slow = serde_json::from_str::<AuditRecord>(text).map(|r| format!("{r:?}"));
    match (fast, slow) {
        (Some(fast), Ok(slow)) => {
            assert_eq!(fast, slow, "reader and serde differ on {text}");
            true
        }
        (Some(fast), Err(e)) => panic!("reader accepted what serde refuses ({e}): {text}\n{fast}"),
        (None, _) => false,
    }
}

/// `text` with its quotes doubled, as a CSV cell holds it: whatever the in-place reader accepts
/// must read exactly as serde reads the copy the loader makes of the cell otherwise (one quote
/// of each pair blanked, or removed). `true` if it accepted.
fn doubled_agrees_with_copy(text: &str) -> bool {
    in_place_agrees_with_copy(&text.replace('"', "\"\""))
}

/// The in-place CSV reader on a cell's inner text `doubled` against serde on the copy the
/// loader makes of the cell otherwise. `true` if it accepted.
fn in_place_agrees_with_copy(doubled: &str) -> bool {
    let copy = unquote_json(format!("\"{doubled}\"").as_bytes()).into_owned();
    let copy = String::from_utf8(copy).expect("quotes removed from UTF-8 leave UTF-8");
    let fast = read_record_doubled(doubled).map(|r| format!("{r:?}"));
    let slow = serde_json::from_str::<AuditRecord>(&copy).map(|r| format!("{r:?}"));
    match (fast, slow) {
        (Some(fast), Ok(slow)) => {
            assert_eq!(fast, slow, "in place and copied differ on {doubled}");
            true
        }
        (Some(fast), Err(e)) => {
            panic!("in place accepted what serde refuses in the copy ({e}): {doubled}\n{fast}")
        }
        (None, _) => false,
    }
}

fn records() -> &'static [String] {
    static RECORDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    RECORDS.get_or_init(read_records)
}

fn read_records() -> Vec<String> {
    let mut out: Vec<String> = sessionscope_synth::tenant::scale_tenant(3000, 7)
        .map(|r| r.to_string())
        .collect();
    for name in [
        "formats/json-lines.jsonl",
        "formats/siem-json-lines.jsonl",
        "hostile/escapes.jsonl",
    ] {
        let text = std::fs::read_to_string(fixture(name)).unwrap();
        out.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string),
        );
    }
    // Short records, so that random damage lands on every part of them.
    out.extend(EDGE_CASES.iter().map(|(text, _)| text.to_string()));
    out
}

#[test]
fn every_real_shaped_record_is_read_as_serde_reads_it() {
    let all = records();
    let real = &all[..all.len() - EDGE_CASES.len()];
    let declined: Vec<&String> = real.iter().filter(|r| !agrees_with_serde(r)).collect();
    assert!(
        declined.is_empty(),
        "{} of {} declined, e.g. {}",
        declined.len(),
        real.len(),
        declined[0]
    );
    // In a CSV cell, only an escaped quote (`\""`) sends a record to the copy.
    let declined_in_place: Vec<&String> = real
        .iter()
        .filter(|r| !r.contains("\\\"") && !doubled_agrees_with_copy(r))
        .collect();
    assert!(
        declined_in_place.is_empty(),
        "{} of {} declined in place, e.g. {}",
        declined_in_place.len(),
        real.len(),
        declined_in_place[0]
    );
}

#[test]
fn edge_cases_are_read_alike_or_left_to_serde() {
    for (text, taken) in EDGE_CASES {
        assert_eq!(agrees_with_serde(text), *taken, "{text}");
    }
    let deep = format!("{{\"X\":{}{}}}", "[".repeat(120), "]".repeat(120));
    assert!(
        !agrees_with_serde(&deep),
        "nesting near serde's limit is left to serde"
    );
    let fine = format!("{{\"X\":{}{}}}", "[".repeat(40), "]".repeat(40));
    assert!(agrees_with_serde(&fine));
    // Past 1 MiB a record is left to serde, so the reader's buffer stays small.
    let long = |n: usize| format!("{{\"Id\":\"a\",\"X\":\"{}\"}}", "x".repeat(n));
    assert!(agrees_with_serde(&long((1 << 20) - 20)));
    assert!(!agrees_with_serde(&long(1 << 20)));
}

/// (record, whether the reader takes it itself)
const EDGE_CASES: &[(&str, bool)] = &[
    // (record, whether the reader should take it itself)
    (r#"{"Id":"a","CreationTime":"2024-01-01T00:00:00"}"#, true),
    (
        r#"  {"Id" : "a" ,"RecordType": 15 , "X":[1, 2.5e3, -0, true, null, {}]}  "#,
        true,
    ),
    (
        r#"{"RecordType":-15,"LogonType":true,"UserId":null,"ResultStatus":false}"#,
        true,
    ),
    (r#"{"UserId":{"a":[1,{"b":"}"}]},"Operation":["x"]}"#, true),
    (
        r#"{"Parameters":[{"Name":"A","Value":1},{"Value":"v","Name":"B","X":[]},3,"s",null,[1]]}"#,
        true,
    ),
    (
        r#"{"Parameters":"[{\"Name\":\"A\",\"Value\":\"1\"}]"}"#,
        true,
    ),
    (
        r#"{"Parameters":{"Name":"A"},"OperationProperties":7,"DeviceProperties":null}"#,
        true,
    ),
    (
        r#"{"Folders":[{"Path":"\\Inbox","FolderItems":[{},{},{"x":1}]},{"Path":"\\A","Path":"\\B"},5,[]]}"#,
        true,
    ),
    (
        r#"{"Folders":[{"FolderItems":{"a":1}},{"FolderItems":"x"}],"Item":{"Subject":"s"}}"#,
        true,
    ),
    (
        r#"{"AuditData":"{\"Id\":\"x\"}","Identity":"y","message":null,"AppAccessContext":{"AADSessionId":"s"}}"#,
        true,
    ),
    (
        r#"{"UserId":"caf\u00e9 \"q\" \\ \/ \b\f\n\r\t","SessionId":"é"}"#,
        true,
    ),
    (r#"{"\u0049d":"escaped key","Na\nme":1}"#, true),
    // AppAccessContext is read as a payload of its own: a wrong shape gives an empty context.
    (
        r#"{"AppAccessContext":{"UniqueTokenId":5,"X":[1,{"a":"b"}],"AADSessionId":true}}"#,
        true,
    ),
    (
        r#"{"AppAccessContext":{"AADSessionId":"a","UniqueTokenId":"t","AADSessionId":"b"}}"#,
        true,
    ),
    (r#"{"AppAccessContext":"x","UserId":"u"}"#, true),
    (r#"{"AppAccessContext":null}"#, true),
    (r#"{"AppAccessContext":{"AADSessionId":{"x":1}}}"#, true),
    // Item, Folder, DestFolder, AffectedItems likewise, in the shapes Exchange writes.
    (
        r#"{"Item":{"Subject":"s","ParentFolder":{"Path":"\\Inbox","Name":"Inbox","X":[1]}}}"#,
        true,
    ),
    (r#"{"Item":{"ParentFolder":null,"Subject":5,"X":{}}}"#, true),
    (r#"{"Item":null,"Folder":null,"AffectedItems":null}"#, true),
    (
        r#"{"AffectedItems":[{"Subject":"a"},{"ParentFolder":{"Path":"p"}}],"Folder":{"Path":"f"},"DestFolder":{"Path":"d","MemberUpn":"m","MemberRights":"r"}}"#,
        true,
    ),
    (r#"{"AffectedItems":[],"Folder":{}}"#, true),
    // Left to serde: it reports these, or prints their numbers in its own way.
    (r#"{"Id":"a","Id":"b"}"#, false),
    (r#"{"AppAccessContext":["s","t"]}"#, false),
    (r#"{"Item":"s"}"#, false),
    (r#"{"Item":[]}"#, false),
    (r#"{"Item":{"Subject":"a","Subject":"b"}}"#, false),
    (r#"{"Item":{"ParentFolder":"x"}}"#, false),
    (
        r#"{"Item":{"ParentFolder":{"Path":"a","Path":"b"}}}"#,
        false,
    ),
    (r#"{"AffectedItems":[{"Subject":"a"},null]}"#, false),
    (r#"{"AffectedItems":{"Subject":"a"}}"#, false),
    (r#"{"Folder":["p"]}"#, false),
    (r#"{"AppAccessContext":{"AADSessionId":1.5}}"#, false),
    (r#"{"Parameters":[{"Name":"A","Name":"B"}]}"#, false),
    (r#"{"RecordType":1.0}"#, false),
    (r#"{"RecordType":-0}"#, false),
    (r#"{"RecordType":123456789012345678901}"#, false),
    (r#"{"UserId":"\ud83d\ude00"}"#, false),
    (r#"{"UserId":"a\x"}"#, false),
    (r#"{"Id":"a",}"#, false),
    (r#"{"Id":"a"} x"#, false),
    (r#"{"Id":01}"#, false),
    (r#"{"X":[1,]}"#, false),
    (r#"{"X":{"a" 1}}"#, false),
    (r#"{"X":[}"#, false),
    (r#"{"X":tru}"#, false),
    (r#"["Id"]"#, false),
    ("{\"Id\":\"a\tb\"}", false),
];

/// A record (every other pick a short one), its quotes doubled if `doubled`, damaged by
/// `edits`; `None` if the damage left it invalid UTF-8.
fn damaged(
    pick: prop::sample::Index,
    edits: Vec<(usize, Vec<u8>, usize)>,
    doubled: bool,
) -> Option<String> {
    let all = records();
    let short = &all[all.len() - EDGE_CASES.len()..];
    let pool = if pick.index(2) == 0 { all } else { short };
    let record = pick.get(pool);
    let mut bytes = if doubled {
        record.replace('"', "\"\"")
    } else {
        record.clone()
    }
    .into_bytes();
    for (at, insert, delete) in edits {
        // A quarter of the damage lands in the last bytes, where the record ends.
        let at = if at % 4 == 0 {
            bytes.len().saturating_sub(at / 4 % 4)
        } else {
            at % (bytes.len() + 1)
        };
        let end = (at + delete).min(bytes.len());
        bytes.splice(at..end, insert);
    }
    String::from_utf8(bytes).ok()
}

fn json_edit() -> impl Strategy<Value = (usize, Vec<u8>, usize)> {
    let byte = prop_oneof![
        Just(b'"'),
        Just(b'\\'),
        Just(b'{'),
        Just(b'}'),
        Just(b'['),
        Just(b']'),
        Just(b':'),
        Just(b','),
        Just(b' '),
        Just(b'\t'),
        Just(b'0'),
        Just(b'-'),
        Just(b'.'),
        Just(b'e'),
        Just(b'u'),
        Just(b'n'),
        Just(1u8),
        any::<u8>().prop_filter("ASCII", u8::is_ascii),
    ];
    // (where, bytes to insert, how many bytes to delete there first)
    (
        any::<usize>(),
        prop::collection::vec(byte, 0..4),
        prop_oneof![Just(0usize), 1usize..4],
    )
}

/// A JSON object as text, written compactly or with spaces, its keys drawn from the fields the
/// reader looks for (and the keys inside them) as well as others, its values anything.
fn json_record() -> impl Strategy<Value = String> {
    let scalar = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("-0".to_string()),
        Just("1.5e3".to_string()),
        Just("123456789012345678901".to_string()),
        "[a-z\\\\\"é ]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just("\"\\u00e9\\n\\\\Inbox\"".to_string()),
        Just("\"\\u0000\\u001F\\uFFFF\\/\\b\\f\\r\\t\\\"x\"".to_string()),
    ];
    let key = prop_oneof![
        Just("Id"),
        Just("UserId"),
        Just("RecordType"),
        Just("Parameters"),
        Just("Folders"),
        Just("FolderItems"),
        Just("Path"),
        Just("Name"),
        Just("Value"),
        Just("Item"),
        Just("AppAccessContext"),
        Just("AADSessionId"),
        Just("UniqueTokenId"),
        Just("Subject"),
        Just("ParentFolder"),
        Just("Folder"),
        Just("DestFolder"),
        Just("AffectedItems"),
        Just("MemberRights"),
        Just("AuditData"),
        Just("Other"),
    ];
    let space = || prop_oneof![Just(""), Just(" "), Just("\n  ")];
    let object = move |value: BoxedStrategy<String>| {
        (prop::collection::vec((key.clone(), value), 0..6), space()).prop_map(|(entries, s)| {
            let entries: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("\"{k}\"{s}:{s}{v}"))
                .collect();
            format!("{{{s}{}{s}}}", entries.join(","))
        })
    };
    let nested = object.clone();
    let value = scalar
        .prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                (prop::collection::vec(inner.clone(), 0..6), space())
                    .prop_map(|(items, s)| format!("[{s}{}{s}]", items.join(&format!(",{s}")))),
                nested(inner),
            ]
        })
        .boxed();
    object(value)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: proptest_cases(2048), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn damaged_records_are_read_alike_or_left_to_serde(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec(json_edit(), 1..4),
    ) {
        if let Some(text) = damaged(pick, edits, false) {
            agrees_with_serde(&text);
        }
    }

    /// Records as CSV cells hold them, damaged after their quotes were doubled: lone quotes,
    /// runs of three, a pair split by a byte, damage at the cell's end.
    #[test]
    fn damaged_cells_are_read_alike_or_left_to_the_copy(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec(json_edit(), 1..4),
    ) {
        if let Some(text) = damaged(pick, edits, true) {
            in_place_agrees_with_copy(&text);
        }
    }

    /// Small records whose damage mostly falls on their punctuation: one byte replaced,
    /// inserted or deleted where a bracket, quote, colon or comma is.
    #[test]
    fn random_records_are_read_alike_or_left_to_serde(
        record in json_record(),
        edits in prop::collection::vec((any::<usize>(), json_edit()), 0..3),
    ) {
        let mut bytes = record.into_bytes();
        for (pick, (at, insert, delete)) in edits {
            let marks: Vec<usize> = (0..bytes.len()).filter(|&i| b"{}[]:,\"".contains(&bytes[i])).collect();
            let at = if pick % 4 != 0 && !marks.is_empty() {
                marks[pick / 4 % marks.len()]
            } else {
                at % (bytes.len() + 1)
            };
            let end = (at + delete.min(1)).min(bytes.len());
            bytes.splice(at..end, insert.into_iter().take(1));
        }
        if let Ok(text) = String::from_utf8(bytes) {
            agrees_with_serde(&text);
        }
    }
}
