//! Micro-benchmarks of the hot paths: `cargo bench`. A plain harness (no extra crate): each
//! case runs for about a second and prints the median time per operation over 15 samples.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sessionscope::intern::Interner;
use sessionscope::model::SourceRef;
use sessionscope::search::Searcher;
use sessionscope::tui::{Action, App, draw, update};
use sessionscope_ingest::internals::csv::rows_in_block;
use sessionscope_ingest::internals::format::{CsvLayout, RecordText};
use sessionscope_ingest::internals::normalise::normalise_json;
use sessionscope_ingest::internals::record::AuditRecord;
use sessionscope_ingest::internals::record_scan::read_record;
use sessionscope_ingest::internals::scan;
use sessionscope_synth::{tenant, write};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn bench(name: &str, per_op: u64, mut f: impl FnMut()) {
    // `cargo bench -- WORD` runs only the cases whose name holds WORD.
    if let Some(only) = std::env::args().skip(1).find(|a| !a.starts_with('-'))
        && !name.contains(&only)
    {
        return;
    }
    // Calibrate: how many runs fill about 1/15 s.
    let mut runs = 1u32;
    loop {
        let t = Instant::now();
        for _ in 0..runs {
            f();
        }
        if t.elapsed() > Duration::from_millis(66) || runs > 1 << 24 {
            break;
        }
        runs *= 2;
    }
    let mut samples: Vec<f64> = (0..15)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..runs {
                f();
            }
            t.elapsed().as_secs_f64() / f64::from(runs) / per_op as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    let median = samples[samples.len() / 2];
    let (value, unit) = if median < 1e-6 {
        (median * 1e9, "ns")
    } else if median < 1e-3 {
        (median * 1e6, "µs")
    } else {
        (median * 1e3, "ms")
    };
    println!("{name:<40} {value:>9.2} {unit}/op");
}

fn main() {
    let records: Vec<serde_json::Value> = tenant::scale_tenant(20_000, 3).collect();
    let mut csv = Vec::new();
    write::write("purview-csv", records.clone(), &mut csv).unwrap();
    let rows = csv.iter().filter(|&&b| b == b'\n').count() as u64;
    let mb = csv.len() as f64 / 1e6;
    println!("data: {} records, {mb:.1} MB of Purview CSV", records.len());

    bench("csv: split rows (per row)", rows, || {
        black_box(rows_in_block(black_box(&csv), 1, true));
    });

    let (spans, _, _) = rows_in_block(&csv, 1, true);
    let header: Vec<String> =
        sessionscope_ingest::internals::csv::fields(&csv[spans[0].start..spans[0].end])
            .into_iter()
            .map(sessionscope_ingest::internals::csv::text)
            .collect();
    let layout = CsvLayout::from_header(&header).unwrap();
    // A few dozen rows, so they stay in cache as they do when the loader reads them right
    // after splitting them.
    let mut r = 1;
    bench("csv: AuditData cell of a row, found", 1, || {
        let s = spans[1 + r % 64];
        r += 1;
        black_box(layout.record_json(&csv[s.start..s.end]).unwrap());
    });
    let source = SourceRef::new(0, 0, 0);
    let mut interner = Interner::default();
    bench("csv: row read in place + normalise + summary", 1, || {
        let s = spans[1 + r % 64];
        r += 1;
        let text = layout.record_json(&csv[s.start..s.end]).unwrap();
        black_box(normalise_json(&text, source, &mut interner).unwrap());
    });

    let jsons: Vec<String> = records.iter().map(|r| r.to_string()).collect();
    // 64 records from across the tenant, in cache as they are right after the split.
    let hot: Vec<&String> = jsons.iter().step_by(jsons.len() / 64).collect();
    let mut i = 0;
    let mut tokens = Vec::new();
    bench("record: token index", 1, || {
        let j = hot[i % hot.len()];
        i += 1;
        black_box(scan::index(j.as_bytes(), &mut tokens));
    });
    let mut i = 0;
    bench("record: fields by serde", 1, || {
        let j = hot[i % hot.len()];
        i += 1;
        black_box(serde_json::from_str::<AuditRecord>(j).unwrap());
    });
    let mut i = 0;
    bench("record: fields by token reader", 1, || {
        let j = hot[i % hot.len()];
        i += 1;
        black_box(read_record(j).unwrap());
    });
    let source = SourceRef::new(0, 0, 0);
    let mut interner = Interner::default();
    let mut i = 0;
    bench("record: parse + normalise + summary", 1, || {
        let j = hot[i % hot.len()];
        i += 1;
        black_box(normalise_json(&RecordText::plain(j.as_bytes()), source, &mut interner).unwrap());
    });

    let ips: Vec<String> = records
        .iter()
        .filter_map(|r| r["ClientIP"].as_str().map(str::to_string))
        .collect();
    let mut k = 0;
    bench("ip: normalise", 1, || {
        k += 1;
        black_box(sessionscope::ip::normalise(&ips[k % ips.len()]));
    });

    let ops: Vec<String> = records
        .iter()
        .map(|r| r["UserId"].as_str().unwrap_or("").to_string())
        .collect();
    let mut interner = Interner::default();
    let mut n = 0;
    bench("intern: existing string", 1, || {
        n += 1;
        black_box(interner.intern(&ops[n % ops.len()]));
    });

    let dir = std::env::temp_dir().join(format!("sessionscope-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tenant.csv");
    std::fs::write(&path, &csv).unwrap();
    bench(
        "load: whole file (per record)",
        records.len() as u64,
        || {
            black_box(sessionscope::load(
                std::slice::from_ref(&path),
                &Default::default(),
            ));
        },
    );

    let (store, _, _) = sessionscope::load(std::slice::from_ref(&path), &Default::default());
    let searcher = Searcher::new(&store);
    // A keystroke of a fuzzy search over every action: a common word and a rare one.
    for query in ["inbx", "payment"] {
        bench(&format!("search: \"{query}\", whole store"), 1, || {
            black_box(searcher.search(&store, black_box(query), None, 5000));
        });
    }
    let mut app = App::new(Arc::new(store));
    app.viewport = (200, 50);
    update(&mut app, Action::NextPane);
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    bench("draw: 200x50 frame after a key", 1, || {
        update(&mut app, Action::Down);
        terminal.draw(|f| draw(f, &app)).unwrap();
    });
    let _ = std::fs::remove_dir_all(&dir);
}
