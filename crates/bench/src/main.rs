//! `sessionscope-bench FILE...`: loads the files as `sessionscope` does and measures what an
//! investigator feels: load time, memory per event, and the time to draw a 200x50 frame while
//! moving through the timeline. Run it under `/usr/bin/time -v` for the peak RSS (bench/run.sh
//! does).

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sessionscope::tui::{Action, App, draw, update};
use sessionscope::{LoadOptions, load};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The process's resident memory now (`VmRSS`, split into heap and mapped-file pages) and at
/// its peak so far (`VmHWM`), in MiB, from /proc (Linux).
fn resident() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    match (
        kib("VmRSS:"),
        kib("VmHWM:"),
        kib("RssAnon:"),
        kib("RssFile:"),
    ) {
        (Some(now), Some(peak), Some(anon), Some(file)) => format!(
            "{} MiB resident ({} MiB heap, {} MiB pages of mapped files), peak {} MiB",
            now / 1024,
            anon / 1024,
            file / 1024,
            peak / 1024
        ),
        _ => "resident memory unknown".into(),
    }
}

/// What the store's memory goes to.
fn print_parts(store: &sessionscope::Store) {
    for (part, bytes) in store.heap_parts() {
        println!("  {part:<18} {:.1} MiB", bytes as f64 / (1 << 20) as f64);
    }
    println!("  ({} distinct strings)", store.interner.len());
}

/// The heap the sessions' assessments hold (reasons, their texts and records).
fn assessments_bytes(all: &[sessionscope::analysis::Assessment]) -> usize {
    use sessionscope::analysis::{Assessment, Reason};
    all.iter()
        .map(|a| {
            std::mem::size_of::<Assessment>()
                + a.foreign_ips.len() * 4
                + a.reasons
                    .iter()
                    .map(|r| std::mem::size_of::<Reason>() + r.text.len() + r.records.len() * 4)
                    .sum::<usize>()
        })
        .sum()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// `bench --scoring EVENTS...`: risk scoring on stores built in memory (no export files).
fn scoring(sizes: &[usize]) {
    for &n in sizes {
        let t = Instant::now();
        let store = sessionscope_synth::scale_store::scale_store(n, 7);
        let built = t.elapsed();
        let mut runs = Vec::new();
        let mut alarming = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let all = sessionscope::analysis::assess_all(&store, None);
            runs.push(t.elapsed());
            alarming = all
                .iter()
                .filter(|a| {
                    a.reasons
                        .iter()
                        .any(|r| r.weight >= sessionscope::analysis::ALARMING)
                })
                .count();
        }
        println!(
            "scoring {} events, {} sessions, {} users: median {:.3} s of 3 (store built in {:.1} s; {alarming} sessions with an alarming reason)",
            store.events.len(),
            store.sessions.len(),
            store.users().len(),
            median(runs).as_secs_f64(),
            built.as_secs_f64()
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--tui") {
        let n = args
            .get(1)
            .and_then(|a| a.parse().ok())
            .unwrap_or(1_000_000);
        let t = Instant::now();
        let store = sessionscope_synth::scale_store::scale_store(n, 7);
        println!(
            "in-memory store of {} events built in {:.1} s",
            store.events.len(),
            t.elapsed().as_secs_f64()
        );
        println!(
            "store bytes/event    {:.0}",
            store.heap_bytes() as f64 / store.events.len().max(1) as f64
        );
        print_parts(&store);
        println!("after the build      {}", resident());
        measure_app(store);
        return;
    }
    if args.first().map(String::as_str) == Some("--many-ips") {
        let n = args
            .get(1)
            .and_then(|a| a.parse().ok())
            .unwrap_or(1_000_000);
        let store = sessionscope_synth::scale_store::many_ips_store(n);
        let t = Instant::now();
        let all = sessionscope::analysis::assess_all(&store, None);
        let hopping = all.iter().max_by_key(|a| a.score).map_or(0, |a| a.risk);
        println!(
            "risk scoring, one session of {n} IPs: {:.2} s (its risk {hopping})",
            t.elapsed().as_secs_f64()
        );
        return;
    }
    if args.first().map(String::as_str) == Some("--scoring") {
        let sizes: Vec<usize> = args[1..].iter().filter_map(|a| a.parse().ok()).collect();
        scoring(if sizes.is_empty() {
            &[1_000_000, 10_000_000]
        } else {
            &sizes
        });
        return;
    }
    let files: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if files.is_empty() {
        eprintln!("usage: sessionscope-bench FILE...");
        std::process::exit(2);
    }
    let started = Instant::now();
    let (store, _, report) = load(&files, &LoadOptions::default());
    let load_time = started.elapsed();
    let events = store.events.len().max(1);
    println!("events               {}", store.events.len());
    println!("load                 {:.3} s", load_time.as_secs_f64());
    for (what, secs) in &report.timings {
        println!("  {what:<18} {secs:.3} s");
    }
    println!(
        "store bytes/event    {:.0} (event struct {} bytes)",
        store.heap_bytes() as f64 / events as f64,
        std::mem::size_of::<sessionscope::model::Event>()
    );
    print_parts(&store);
    println!("after load           {}", resident());

    measure_app(store);
}

/// What an investigator feels on `store`: the first screen, moving, searching, sorting,
/// pivoting and the linked-sessions view, each timed on its own.
fn measure_app(store: sessionscope::Store) {
    // As the investigator opens it: the list at once, risk scored in the background.
    let t = Instant::now();
    let mut app = App::unscored(Arc::new(store));
    println!("list before scoring   {:.3} s", t.elapsed().as_secs_f64());
    app.score_in_background();
    app.take_scores(true);
    println!(
        "app (risk, concurrency, list orders) {:.3} s",
        t.elapsed().as_secs_f64()
    );
    println!("with the app         {}", resident());
    println!(
        "  assessments        {:.1} MiB",
        assessments_bytes(&app.assessments) as f64 / (1 << 20) as f64
    );
    // Timed after the app is measured: memory freed here may stay with the allocator.
    let t = Instant::now();
    let _ = sessionscope::analysis::assess_all(&app.store, None);
    println!("  risk scoring alone {:.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let _ = sessionscope::analysis::max_concurrent(&app.store);
    println!("  concurrency alone  {:.3} s", t.elapsed().as_secs_f64());
    app.viewport = (200, 50);
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("test backend");
    let first = Instant::now();
    terminal.draw(|f| draw(f, &app)).expect("draw");
    println!(
        "first frame          {:.2} ms",
        first.elapsed().as_secs_f64() * 1e3
    );

    // Move through the largest timeline: the root user with the most events.
    update(&mut app, Action::NextPane);
    let mut frames = Vec::new();
    for i in 0..400 {
        let t = Instant::now();
        update(
            &mut app,
            if i % 50 == 49 {
                Action::PageDown
            } else {
                Action::Down
            },
        );
        terminal.draw(|f| draw(f, &app)).expect("draw");
        frames.push(t.elapsed());
    }
    println!(
        "frame 200x50 median  {:.3} ms (key + update + draw, {} frames)",
        median(frames.clone()).as_secs_f64() * 1e3,
        frames.len()
    );
    // Fuzzy search, keystroke by keystroke, over the whole store.
    let t = Instant::now();
    let searcher = sessionscope::search::Searcher::new(&app.store);
    println!(
        "search index build   {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    for query in ["i", "in", "inb", "inbx", "payment", "198.51"] {
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let r = searcher.search(&app.store, query, None, 5000);
            times.push(t.elapsed());
            total = r.total;
        }
        println!(
            "search {query:<9} whole store: median {:.2} ms, {total} matches",
            median(times).as_secs_f64() * 1e3
        );
    }
    // The same through the keys: a big scope is searched in the background, so a keystroke
    // returns at once and results come a chunk at a time.
    update(&mut app, Action::Search);
    for query in ["i", "inbx", "payment"] {
        for _ in 0..8 {
            update(&mut app, Action::Backspace);
        }
        let t = Instant::now();
        for c in query.chars() {
            update(&mut app, Action::Input(c));
        }
        let keys = t.elapsed();
        // The first results that hold a match of the whole query.
        let mut first = None;
        while app.searching() {
            app.take_search(false);
            if first.is_none() && app.search.as_ref().is_some_and(|s| s.results.total > 0) {
                first = Some(t.elapsed());
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        terminal.draw(|f| draw(f, &app)).expect("draw");
        println!(
            "/{query:<8} keys {:.2} ms, first results {:.2} ms, all {:.2} ms ({} matches)",
            keys.as_secs_f64() * 1e3,
            first.unwrap_or(keys).as_secs_f64() * 1e3,
            t.elapsed().as_secs_f64() * 1e3,
            app.search.as_ref().map_or(0, |s| s.results.total)
        );
    }
    update(&mut app, Action::Cancel);
    // A pivot across all users on the busiest operation and on the busiest client: the
    // biggest frames there are, read from every action (in the background on a big store).
    for facet in [
        sessionscope::store::Facet::Operation,
        sessionscope::store::Facet::Client,
    ] {
        let t = Instant::now();
        update(&mut app, Action::Pivot(facet));
        terminal.draw(|f| draw(f, &app)).expect("draw");
        let key = t.elapsed();
        let mut first = None;
        while app.finding() {
            if app.take_pivots(false) && first.is_none() && !app.timeline_rows().is_empty() {
                terminal.draw(|f| draw(f, &app)).expect("draw");
                first = Some(t.elapsed());
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        terminal.draw(|f| draw(f, &app)).expect("draw");
        println!(
            "pivot on {:<9} key + frame {:.2} ms, first rows {:.2} ms, all {:.2} ms ({} rows)",
            facet.label(),
            key.as_secs_f64() * 1e3,
            first.unwrap_or(key).as_secs_f64() * 1e3,
            t.elapsed().as_secs_f64() * 1e3,
            app.timeline_rows().len()
        );
        update(&mut app, Action::Back);
    }
    // Sorting the session list, each order in turn.
    for _ in 0..4 {
        let t = Instant::now();
        update(&mut app, Action::CycleSort);
        terminal.draw(|f| draw(f, &app)).expect("draw");
        println!(
            "sort ({:<10}) + frame {:.2} ms",
            app.sort.label(),
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    // A pivot on the busiest IP.
    let store = Arc::clone(&app.store);
    let busiest_ip = store
        .sessions
        .iter()
        .flat_map(|s| s.ips.iter().copied())
        .max_by_key(|&ip| store.events_with(sessionscope::store::Facet::Ip, ip).len());
    if let Some(ip) = busiest_ip {
        let e = store.events_with(sessionscope::store::Facet::Ip, ip)[0];
        let s = store.session_of(&store.events[e as usize]).unwrap_or(0);
        select(&mut app, s);
        let t = Instant::now();
        update(&mut app, Action::Pivot(sessionscope::store::Facet::Ip));
        terminal.draw(|f| draw(f, &app)).expect("draw");
        println!(
            "pivot on busiest IP + frame {:.2} ms ({} rows)",
            t.elapsed().as_secs_f64() * 1e3,
            app.timeline_rows().len()
        );
        update(&mut app, Action::Back);
    }
    // The linked-sessions view from the riskiest session, marked attacker in memory.
    let riskiest = (0..store.sessions.len()).max_by_key(|&s| app.rank(s));
    if let Some(s) = riskiest {
        app.verdicts
            .insert(store.sessions[s].id, sessionscope::case::Verdict::Attacker);
        let t = Instant::now();
        update(&mut app, Action::Linked);
        terminal.draw(|f| draw(f, &app)).expect("draw");
        println!(
            "L (linked sessions) + frame {:.2} ms ({} sessions)",
            t.elapsed().as_secs_f64() * 1e3,
            app.frame().session_count
        );
    }
    marks(&mut app, &mut terminal);
    println!("at the end           {}", resident());
}

/// `A`, `U`, `X` and `e` on the riskiest session, each timed from the key to the frame drawn
/// after it, with a case file to save to as in a real run; and, apart, how long the
/// background scoring that `U` starts (a new baseline) takes to come in.
fn marks(app: &mut App, terminal: &mut Terminal<TestBackend>) {
    let dir = std::env::temp_dir().join(format!("sessionscope-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    match sessionscope::case::Case::open(&dir.join("case.json")) {
        Ok(case) => app.case = Some(case),
        Err(e) => {
            println!("marks: no case file ({e})");
            return;
        }
    }
    app.sync_verdicts();
    let store = Arc::clone(&app.store);
    let Some(s) = (0..store.sessions.len())
        .filter(|&s| store.sessions[s].has_id())
        .max_by_key(|&s| app.rank(s))
    else {
        return;
    };
    select(app, s);
    for (key, action) in [
        ("A", Action::MarkAttacker),
        ("U", Action::MarkUser),
        ("X", Action::ClearVerdict),
    ] {
        let t = Instant::now();
        update(app, action);
        terminal.draw(|f| draw(f, app)).expect("draw");
        let key_ms = t.elapsed().as_secs_f64() * 1e3;
        let scoring = app.scoring();
        app.take_scores(true);
        println!(
            "{key} + frame             {key_ms:.2} ms{}",
            if scoring {
                format!(
                    " (risk rescored in the background, in {:.2} s)",
                    t.elapsed().as_secs_f64()
                )
            } else {
                String::new()
            }
        );
    }
    let t = Instant::now();
    update(app, Action::EditNote);
    update(app, Action::Input('x'));
    update(app, Action::Confirm);
    terminal.draw(|f| draw(f, app)).expect("draw");
    println!(
        "e x Enter + frame       {:.2} ms (scoring: {})",
        t.elapsed().as_secs_f64() * 1e3,
        app.scoring()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Puts the session list's cursor on session `s`.
fn select(app: &mut App, s: usize) {
    if let Some(row) = app
        .frame()
        .session_rows
        .iter()
        .position(|r| *r == sessionscope::tui::app::SessionRow::Session(s))
    {
        app.select_session_row(row);
    }
    while app.frame().focus != sessionscope::tui::app::Pane::Sessions {
        update(app, Action::NextPane);
    }
}
