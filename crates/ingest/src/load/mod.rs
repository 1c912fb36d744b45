//! The loader: audit exports in, one [`Store`] out, with a report of everything that could not
//! be read. Files are decoded, their format recognised from content, split into records, and
//! the records normalised on all cores; duplicates across files are dropped by record `Id`.

pub mod csv;
pub mod decode;
mod dedupe;
mod file;
pub mod format;
pub mod normalise;
pub(crate) mod parse;
mod pieces;
pub mod query_response;
pub mod record;
pub mod record_scan;
pub mod scan;
pub mod split;
pub mod summary;
mod warm;

use crate::sources::Sources;
use parse::Parsed;
use serde::Serialize;
use sessionscope_core::intern::{Interner, Sym};
use sessionscope_core::model::{Event, Kinds, RecordId};
use sessionscope_core::sparse::SparseColumn;
use sessionscope_core::store::{Indexer, Store};
use sessionscope_core::telling::{Telling, TellingColumn};
use std::path::PathBuf;
use std::time::Instant;

/// At most this many problems are kept per file; the count of skipped records stays exact.
const MAX_PROBLEMS_KEPT: usize = 200;

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// `line 12` or `record 5`.
    pub location: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    /// The recognised format, or `unrecognised`.
    pub format: &'static str,
    pub encoding: &'static str,
    pub gzip: bool,
    /// Records read from this file, duplicates included.
    pub records: usize,
    pub skipped: usize,
    /// Of the records read, those after the file's first damaged one: what a reader that
    /// stops at the first error would have lost.
    pub recovered: usize,
    pub duplicates: usize,
    pub problems: Vec<Problem>,
    /// Why nothing could be read from the file at all.
    pub error: Option<String>,
    pub warnings: Vec<String>,
}

impl FileReport {
    /// The report of `path` before anything is known of it.
    pub fn empty(path: &std::path::Path) -> FileReport {
        FileReport {
            path: path.display().to_string(),
            format: "unrecognised",
            encoding: "",
            gzip: false,
            records: 0,
            skipped: 0,
            recovered: 0,
            duplicates: 0,
            problems: Vec::new(),
            error: None,
            warnings: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadReport {
    pub files: Vec<FileReport>,
    /// The time window the load was narrowed to, if one was given.
    pub window: Option<crate::tree::Window>,
    /// The users, sessions and IPs it was narrowed to, if any were given.
    pub narrow: Option<crate::tree::Narrow>,
    /// Records read but outside the window: passed over, not problems.
    pub passed_over: usize,
    /// Partition folders and files the window passed over unopened.
    pub pruned: usize,
    /// Seconds spent reading and parsing, and building the store's indexes.
    #[serde(skip)]
    pub timings: Vec<(&'static str, f64)>,
}

impl LoadReport {
    pub fn skipped(&self) -> usize {
        self.files.iter().map(|f| f.skipped).sum()
    }
    pub fn duplicates(&self) -> usize {
        self.files.iter().map(|f| f.duplicates).sum()
    }
    pub fn recovered(&self) -> usize {
        self.files.iter().map(|f| f.recovered).sum()
    }
}

/// Loading progress, for the loading screen.
#[derive(Debug, Clone)]
pub struct Progress {
    pub file_index: usize,
    pub files: usize,
    pub path: PathBuf,
}

#[derive(Default)]
pub struct LoadOptions<'a> {
    pub progress: Option<&'a (dyn Fn(&Progress) + Sync)>,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Bytes read per block of streamed input and JSON documents, eight times the piece a
    /// streamed block of JSON Lines or CSV is shared out in and four times a mapped file's
    /// piece; 0 means the default (32 MiB, so 4 and 8 MiB pieces). Small blocks are for tests.
    pub block_size: usize,
    /// Counts bytes as blocks are parsed, for a progress display.
    pub bytes_read: Option<&'a std::sync::atomic::AtomicU64>,
    /// Counts records as they are read, for a progress display.
    pub records_read: Option<&'a std::sync::atomic::AtomicUsize>,
    /// Databases to place IPs with (ASN, country, city).
    pub ip_db: Option<&'a crate::ipdb::IpDb>,
    /// Only the records in this window are kept; folders are pruned by it.
    pub window: Option<crate::tree::Window>,
    /// Only the records of these users, sessions and IPs are kept.
    pub narrow: Option<crate::tree::Narrow>,
}

/// Events merged from every worker of every file: one interner, duplicates dropped.
#[derive(Default)]
pub struct Accumulator {
    interner: Interner,
    kinds: Kinds,
    events: Vec<Event>,
    /// The client IP as written, by load number, where that differs from the event's `ip`.
    ip_originals: SparseColumn,
    /// What each telling record did, by load number, in load order.
    telling: Vec<(u32, Telling)>,
    /// The dedupe key of each event.
    keys: Vec<u128>,
    /// The [`dedupe::time_key`] of each event.
    time_keys: Vec<u64>,
    /// The events' sessions and postings, numbered in load order.
    index: Indexer,
    /// Only events in this window, and of these users, sessions and IPs, are kept; the
    /// others are counted.
    window: Option<crate::tree::Window>,
    narrow: Option<crate::tree::Narrow>,
    passed_over: usize,
}

impl Accumulator {
    /// Takes a worker's events into the store's interner and kinds.
    fn absorb(&mut self, parsed: Parsed) {
        let Parsed {
            interner,
            kinds,
            events,
            ip_originals,
            telling,
            passed_over,
            ..
        } = parsed;
        self.passed_over += passed_over;
        let map = self.interner.absorb(&interner);
        let kind_map: Vec<u32> = kinds
            .all()
            .iter()
            .map(|k| {
                let mut k = *k;
                k.workload = map[k.workload.0 as usize];
                k.result = map[k.result.0 as usize];
                self.kinds.number(k)
            })
            .collect();
        let first = self.events.len() as u32;
        // Outside the window: passed over, and the places of the others closed up.
        let narrowed = self.window.is_some() || self.narrow.is_some();
        let kept: Option<Vec<Option<u32>>> = narrowed.then(|| {
            let mut next = first;
            events
                .iter()
                .map(|(e, _)| {
                    let in_window = self.window.is_none_or(|w| w.contains(i64::from(e.time)));
                    let wanted = self.narrow.as_ref().is_none_or(|n| {
                        n.keeps(
                            interner.resolve(e.user),
                            interner.resolve(e.session),
                            interner.resolve(e.ip),
                        )
                    });
                    (in_window && wanted).then(|| {
                        next += 1;
                        next - 1
                    })
                })
                .collect()
        });
        let place = |at: u32| match &kept {
            Some(k) => k[at as usize],
            None => Some(first + at),
        };
        for (at, ip) in ip_originals {
            if let Some(at) = place(at) {
                self.ip_originals.push(at, map[ip.0 as usize]);
            }
        }
        self.telling.extend(
            telling
                .into_iter()
                .filter_map(|(at, facts)| Some((place(at)?, facts))),
        );
        self.events.reserve(events.len());
        self.keys.reserve(events.len());
        self.time_keys.reserve(events.len());
        for (i, (mut event, key)) in events.into_iter().enumerate() {
            if place(i as u32).is_none() {
                self.passed_over += 1;
                continue;
            }
            let guid_id = kinds.get(event.kind).guid_id;
            remap(&mut event, &map, guid_id);
            event.kind = kind_map[event.kind as usize];
            // Two records that share a GUID are one record read twice only if they say the
            // same: another user, operation or session under the same Id is a record of its own
            // (an Id conflict), kept whichever file came first.
            let key = if guid_id {
                key ^ content_of(&event)
            } else {
                key
            };
            self.index.add(&event);
            self.time_keys
                .push(dedupe::time_key(event.time, self.events.len()));
            self.events.push(event);
            self.keys.push(key);
        }
    }
}

/// Merges workers' results on a thread of its own, so the next block is parsed meanwhile.
pub struct Merger {
    chunks: Option<std::sync::mpsc::SyncSender<Parsed>>,
    thread: Option<std::thread::JoinHandle<Accumulator>>,
}

impl Merger {
    fn start(window: Option<crate::tree::Window>, narrow: Option<crate::tree::Narrow>) -> Merger {
        // A few chunks in flight at most: memory stays bounded if merging falls behind.
        let (chunks, received) = std::sync::mpsc::sync_channel::<Parsed>(4);
        let thread = std::thread::spawn(move || {
            let mut acc = Accumulator {
                window,
                narrow,
                ..Accumulator::default()
            };
            for parsed in received {
                acc.absorb(parsed);
            }
            acc
        });
        Merger {
            chunks: Some(chunks),
            thread: Some(thread),
        }
    }

    /// Hands one worker's events over.
    pub fn send(&self, parsed: Parsed) {
        if let Some(tx) = &self.chunks {
            tx.send(parsed).expect("the merger thread is alive");
        }
    }

    /// Every event merged.
    fn finish(mut self) -> Accumulator {
        drop(self.chunks.take());
        self.thread
            .take()
            .expect("finished once")
            .join()
            .expect("the merger thread panicked")
    }
}

/// Reads every file of `paths` into one store: audit exports and sign-in exports in any mix,
/// duplicates across files dropped, the sign-ins joined and the IPs placed. Also the handle
/// that reads each record again, and the report of what could not be read.
pub fn load(paths: &[PathBuf], opts: &LoadOptions) -> (Store, Sources, LoadReport) {
    let started = Instant::now();
    let narrow = opts.narrow.clone().filter(|n| !n.is_empty());
    let merger = Merger::start(opts.window, narrow.clone());
    let mut report = LoadReport {
        window: opts.window,
        narrow,
        ..LoadReport::default()
    };
    // Folders are walked, and pruned by the window's partitions before anything is opened.
    let expanded = crate::tree::expand(paths, opts.window);
    report.pruned = expanded.pruned;
    let paths = &expanded.files[..];
    let mut sources = Vec::new();
    // The report of each source's file: file numbers count only the files that were read.
    let mut report_of_source = Vec::new();
    let mut signins = Vec::new();
    for (index, path) in paths.iter().enumerate() {
        if let Some(p) = opts.progress {
            p(&Progress {
                file_index: index,
                files: paths.len(),
                path: path.clone(),
            });
        }
        if let Some((file_report, mut found)) = crate::signin::load_file(path, index) {
            signins.append(&mut found);
            report.files.push(file_report);
            continue;
        }
        let file_no = u16::try_from(sources.len()).unwrap_or(u16::MAX);
        let (file_report, source) = file::load_file(path, file_no, opts, &merger);
        if let Some(source) = source {
            sources.push(source);
            report_of_source.push(index);
        }
        report.files.push(file_report);
    }
    report
        .timings
        .push(("read and parse", started.elapsed().as_secs_f64()));
    let Accumulator {
        interner,
        kinds,
        mut events,
        ip_originals,
        telling,
        keys,
        time_keys,
        index,
        passed_over,
        ..
    } = merger.finish();
    report.passed_over = passed_over;
    let indexing = Instant::now();
    let order = dedupe::TimeOrder::new(time_keys, &keys);
    drop(keys);
    let dropped = order.dropped_per_file(&events, |e| kinds.get(e.kind).file);
    for (source, n) in dropped.into_iter().enumerate() {
        report.files[report_of_source[source]].duplicates += n;
    }
    // The index built while loading is kept unless duplicates were dropped from it; it is
    // finished, and the IPs as written put in time order, on a second core while the events
    // are moved.
    let symbols = interner.len();
    let (index, ip_originals, telling) = std::thread::scope(|scope| {
        let beside = scope.spawn(|| {
            let index = order.in_order().map(|o| index.finish(&o, symbols));
            let telling = TellingColumn::new(order.reorder_values(telling));
            (index, order.reorder(&ip_originals), telling)
        });
        order.apply(&mut events);
        beside.join().expect("index worker panicked")
    });
    events.shrink_to_fit();
    let mut store = match index {
        Some(index) => Store::with_index(interner, kinds, events, index),
        None => Store::build(interner, kinds, events),
    };
    let sources = Sources { files: sources };
    store.set_ip_originals(ip_originals);
    store.signins = sessionscope_core::signin::SignIns::new(signins);
    store.geo = sessionscope_core::geo::Geo::build(
        &store,
        opts.ip_db
            .map(|db| db as &dyn sessionscope_core::geo::PlaceLookup),
    );
    store.set_telling(telling);
    give_back_freed_memory();
    report
        .timings
        .push(("index", indexing.elapsed().as_secs_f64()));
    (store, sources, report)
}

/// Returns to the system the heap the load has freed (parse buffers, duplicate keys, the
/// events' old place): glibc keeps freed memory for reuse, which left the process some
/// 90 MiB above what the store holds after a load of 10M events.
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap pages; it touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// What a record says, as far as telling two records under one `Id` apart needs: who did
/// what in which session (handles of the store's interner), spread over 128 bits.
fn content_of(e: &Event) -> u128 {
    let packed =
        u128::from(e.user.0) << 64 | u128::from(e.operation.0) << 32 | u128::from(e.session.0);
    packed.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
}

/// The event's handles in a worker's interner turned into the store's, `map` taking one to the
/// other; `guid_id` tells whether its record id is a GUID or a handle too.
fn remap(e: &mut Event, map: &[Sym], guid_id: bool) {
    let m = |s: &mut Sym| *s = map[s.0 as usize];
    for s in [
        &mut e.user,
        &mut e.operation,
        &mut e.session,
        &mut e.ip,
        &mut e.client,
        &mut e.target,
        &mut e.summary,
        &mut e.token,
    ] {
        m(s);
    }
    if let RecordId::Other(s) = RecordId::from_bytes(e.record_id, guid_id) {
        e.record_id = RecordId::Other(map[s.0 as usize]).to_bytes().0;
    }
}
