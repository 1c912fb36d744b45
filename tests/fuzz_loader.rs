//! Property tests (proptest) of the format sniffer and the record parser: arbitrary bytes and
//! mutated real-shaped exports never panic, and every record is either loaded or counted as
//! skipped. Bounded (a few hundred cases each) so CI runs them every time; raise
//! PROPTEST_CASES to fuzz longer.

mod common;
use common::*;
use proptest::prelude::*;
use sessionscope::intern::Interner;
use sessionscope::model::SourceRef;
use sessionscope_ingest::internals::format::RecordText;
use sessionscope_ingest::internals::normalise::normalise_json;

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (
            any::<usize>(),
            prop::collection::vec(
                prop_oneof![
                    Just(b'"'),
                    Just(b','),
                    Just(b'\n'),
                    Just(b'{'),
                    Just(b']'),
                    Just(0u8),
                    any::<u8>()
                ],
                1..8
            )
        )
            .prop_map(|(i, v)| Edit::Insert(i, v)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Edit::Delete(i, n)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        if bytes.is_empty() {
            break;
        }
        let len = bytes.len();
        match e {
            Edit::Flip(i, b) => bytes[i % len] ^= b | 1,
            Edit::Insert(i, v) => {
                let at = i % len;
                bytes.splice(at..at, v.iter().copied());
            }
            Edit::Delete(i, n) => {
                let at = i % len;
                bytes.drain(at..(at + n).min(len));
            }
            Edit::Truncate(i) => bytes.truncate(i % len),
        }
    }
    bytes
}

fn load_bytes(name: &str, bytes: &[u8]) -> (usize, usize, usize) {
    let path = write_temp(name, bytes);
    let (store, report) = load_files(std::slice::from_ref(&path));
    let f = &report.files[0];
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
    (store.events.len(), f.records, f.skipped)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: proptest_cases(256), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let (events, records, _) = load_bytes("arbitrary.bin", &bytes);
        prop_assert_eq!(events, records);
    }

    #[test]
    fn mutated_purview_csv_never_panics(edits in prop::collection::vec(edit(), 1..6)) {
        let bytes = apply(fixture_bytes("formats/purview-csv.csv"), &edits);
        let (events, records, skipped) = load_bytes("mutated.csv", &bytes);
        prop_assert_eq!(events, records);
        prop_assert!(records + skipped <= 6 + edits.len() * 8);
    }

    #[test]
    fn mutated_json_documents_never_panic(edits in prop::collection::vec(edit(), 1..6)) {
        for name in ["formats/extractor-json.json", "formats/graph-json.json", "formats/siem-json-lines.jsonl"] {
            let bytes = apply(fixture_bytes(name), &edits);
            let (events, records, _) = load_bytes("mutated.json", &bytes);
            prop_assert_eq!(events, records);
        }
    }

    /// Files are read a window at a time: however a file is damaged, small windows must read
    /// the same records and report the same problems at the same places as one big window.
    #[test]
    fn damaged_files_read_the_same_in_small_windows(
        edits in prop::collection::vec(edit(), 1..6),
        block in 16usize..600,
    ) {
        use sessionscope::{LoadOptions, load};
        for name in [
            "formats/api-json.json",
            "formats/graph-json.json",
            "formats/purview-csv.csv",
            "formats/json-lines.jsonl",
        ] {
            let bytes = apply(fixture_bytes(name), &edits);
            let path = write_temp(name.rsplit('/').next().unwrap(), &bytes);
            let files = std::slice::from_ref(&path);
            let (whole, _, whole_report) = load(files, &LoadOptions::default());
            let opts = LoadOptions { block_size: block, ..LoadOptions::default() };
            let (small, _, small_report) = load(files, &opts);
            let _ = std::fs::remove_dir_all(path.parent().unwrap());
            prop_assert_eq!(records(&small), records(&whole), "{} in windows of {}", name, block);
            prop_assert_eq!(problems(&small_report), problems(&whole_report), "{} in windows of {}", name, block);
        }
    }

    #[test]
    fn the_record_parser_accepts_or_refuses_but_never_panics(edits in prop::collection::vec(edit(), 1..4)) {
        let line = String::from_utf8(fixture_bytes("formats/json-lines.jsonl")).unwrap();
        let record = line.lines().nth(3).unwrap().as_bytes().to_vec();
        let bytes = apply(record, &edits);
        let mut interner = Interner::default();
        let source = SourceRef::new(0, 0, bytes.len() as u32);
        let _ = normalise_json(&RecordText::plain(&bytes), source, &mut interner);
        // The same record as a CSV cell holds it, read in place.
        let doubled = String::from_utf8_lossy(&bytes).replace('"', "\"\"");
        let cell = RecordText { json: doubled.as_bytes().into(), doubled: true, wrapper_id: None };
        let _ = normalise_json(&cell, source, &mut interner);
    }
}
