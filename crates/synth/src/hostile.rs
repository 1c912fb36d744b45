//! A corpus of hostile and broken inputs. Each entry says what it tries; the small ones are
//! written to `fixtures/hostile/`, the large ones (a 10 MB cell, a 100 MB line) only by the test
//! that needs them.

use super::tenant;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub struct Case {
    pub file: &'static str,
    pub tries: &'static str,
    /// Records of the seed story that must still load from it.
    pub good_records: usize,
    /// Whether the loader must say something about it (an error or a skipped record).
    pub reported: bool,
    pub large: bool,
}

pub const CASES: &[Case] = &[
    Case {
        file: "escapes.jsonl",
        tries: "terminal escape sequences (CSI colour, OSC title, OSC 52 clipboard write), BEL, DEL, C1 controls and bidi overrides in rule names, subjects, user agents and user ids",
        good_records: 6,
        reported: false,
        large: false,
    },
    Case {
        file: "truncated.csv",
        tries: "a Purview CSV cut off in the middle of a row",
        good_records: 5,
        reported: true,
        large: false,
    },
    Case {
        file: "cut-record.json",
        tries: "a JSON array whose fourth record is cut mid-JSON",
        good_records: 3,
        reported: true,
        large: false,
    },
    Case {
        file: "invalid-utf8.jsonl",
        tries: "bytes that are not UTF-8 inside one record of an otherwise ASCII file: read as \
                Windows-1252, with a warning saying so",
        good_records: 6,
        reported: true,
        large: false,
    },
    Case {
        file: "nul-byte.jsonl",
        tries: "a NUL byte inside one record's subject",
        good_records: 5,
        reported: true,
        large: false,
    },
    Case {
        file: "deep-nesting.jsonl",
        tries: "a record nested 10,000 levels deep (stack exhaustion); it is valid JSON, so it loads, its payload unread",
        good_records: 7,
        reported: false,
        large: false,
    },
    Case {
        file: "garbage-rows.csv",
        tries: "a Purview CSV with the right header and garbage rows among the good ones",
        good_records: 6,
        reported: true,
        large: false,
    },
    Case {
        file: "binary.csv",
        tries: "binary data named .csv",
        good_records: 0,
        reported: true,
        large: false,
    },
    Case {
        file: "empty.csv",
        tries: "an empty file",
        good_records: 0,
        reported: true,
        large: false,
    },
    Case {
        file: "utf16-no-bom.json",
        tries: "UTF-16LE without a byte-order mark",
        good_records: 6,
        reported: false,
        large: false,
    },
    Case {
        file: "huge-cell.csv",
        tries: "a 10 MB AuditData cell",
        good_records: 6,
        reported: false,
        large: true,
    },
    Case {
        file: "huge-line.jsonl",
        tries: "a 100 MB line with no newline after the good records",
        good_records: 6,
        reported: true,
        large: true,
    },
];

fn lines(records: &[Value]) -> Vec<String> {
    records.iter().map(Value::to_string).collect()
}

fn purview(records: Vec<Value>) -> Vec<u8> {
    let mut out = Vec::new();
    super::write::write("purview-csv", records, &mut out).expect("in memory");
    out
}

fn hostile_records() -> Vec<Value> {
    let mut records = tenant::seed_first_table();
    let evil = "\u{1b}[31mred\u{1b}[0m \u{1b}]0;pwned\u{7} \u{1b}]52;c;ZXZpbA==\u{7} \u{9b}2J \u{7f} \u{202e}txt.exe \u{2066}x\u{2069}";
    for r in &mut records {
        if let Some(params) = r["Parameters"].as_array_mut() {
            for p in params {
                if p["Name"] == "Name" {
                    p["Value"] = Value::from(format!("rule {evil}"));
                }
            }
        }
        if let Some(items) = r["AffectedItems"].as_array_mut() {
            for i in items {
                i["Subject"] = Value::from(format!("subject {evil}"));
            }
        }
        r["ClientInfoString"] = Value::from(format!("Client=OWA;{evil}"));
    }
    records
}

/// The bytes of one corpus entry.
pub fn contents(file: &str) -> Vec<u8> {
    let seed = tenant::seed_first_table();
    let jl = lines(&seed);
    match file {
        "escapes.jsonl" => lines(&hostile_records()).join("\n").into_bytes(),
        "truncated.csv" => {
            let full = purview(seed);
            full[..full.len() - 700].to_vec()
        }
        "cut-record.json" => {
            let text = serde_json::to_string_pretty(&seed).expect("json");
            let cut = text
                .find("\"Operation\": \"New-InboxRule\"")
                .unwrap_or(text.len() / 2);
            text.as_bytes()[..cut].to_vec()
        }
        "invalid-utf8.jsonl" => {
            let mut out = Vec::new();
            for (i, l) in jl.iter().enumerate() {
                if i == 2 {
                    out.extend_from_slice(&l.as_bytes()[..60]);
                    out.extend_from_slice(b"\xc3\x28\xff\xfe");
                    out.extend_from_slice(&l.as_bytes()[60..]);
                } else {
                    out.extend_from_slice(l.as_bytes());
                }
                out.push(b'\n');
            }
            out
        }
        "nul-byte.jsonl" => {
            let mut out = jl.join("\n").into_bytes();
            let at = out
                .windows(16)
                .position(|w| w == b"Lunch on Friday?")
                .unwrap_or(10);
            out.insert(at + 5, 0);
            out
        }
        "deep-nesting.jsonl" => {
            let deep = format!(
                "{{\"CreationTime\":\"2024-03-12T06:00:00\",\"Operation\":\"Send\",\"Item\":{}1{}}}",
                "[".repeat(10_000),
                "]".repeat(10_000)
            );
            let mut all = jl.clone();
            all.insert(3, deep);
            all.join("\n").into_bytes()
        }
        "garbage-rows.csv" => {
            let text = String::from_utf8(purview(seed)).expect("utf8");
            let mut rows: Vec<&str> = text.split("\r\n").collect();
            rows.insert(2, "not,a,real,row");
            rows.insert(4, "\"unterminated quote,but,the,row,ends");
            rows.insert(6, "x,y,1,Op,u,\"{\"\"CreationTime\"\":12}\",,");
            rows.join("\r\n").into_bytes()
        }
        "binary.csv" => (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect(),
        "empty.csv" => Vec::new(),
        "utf16-no-bom.json" => serde_json::to_string(&seed)
            .expect("json")
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect(),
        "huge-cell.csv" => {
            let mut records = seed;
            records[2]["AffectedItems"][0]["Subject"] = Value::from("A".repeat(10 << 20));
            purview(records)
        }
        "huge-line.jsonl" => {
            let mut out = jl.join("\n").into_bytes();
            out.extend_from_slice(b"\n{\"Id\":\"");
            out.resize(out.len() + (100 << 20), b'x');
            out
        }
        other => panic!("no corpus entry {other}"),
    }
}

/// Writes the corpus to `dir` (the large entries only when `large`), with a README line each.
pub fn write_corpus(dir: &Path, large: bool) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut readme = String::from(
        "# Hostile and broken inputs\n\nWritten by `cargo run -p sessionscope-synth --bin gen-tenant -- fixtures fixtures`; each file and what it tries. \
         The 10 MB cell and the 100 MB line are generated by `tests/hostile.rs` only.\n\n",
    );
    let mut paths = Vec::new();
    for c in CASES {
        readme.push_str(&format!("- `{}`: {}\n", c.file, c.tries));
        if c.large && !large {
            continue;
        }
        let path = dir.join(c.file);
        std::fs::write(&path, contents(c.file))?;
        paths.push(path);
    }
    if !large {
        std::fs::write(dir.join("README.md"), readme)?;
    }
    Ok(paths)
}
