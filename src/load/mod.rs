//! The loader: audit exports in, one [`Store`] out, with a report of everything that could not
//! be read. Files are decoded, their format recognised from content, split into records, and
//! the records normalised on all cores; duplicates across files are dropped by record `Id`.

pub mod csv;
pub mod decode;
mod dedupe;
mod file;
pub mod format;
pub mod normalise;
mod parse;
mod pieces;
pub mod record;
pub mod record_scan;
pub mod scan;
pub mod split;
pub mod summary;
mod warm;

use crate::intern::{Interner, Sym};
use crate::model::{Event, Kinds, RecordId, SourceRef};
use crate::sparse::SparseColumn;
use crate::store::{Indexer, Store};
use format::{CsvLayout, Format};
use parse::Parsed;
use serde::Serialize;
use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;
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
}

/// Where a file's records can be read again for the detail view.
#[derive(Debug)]
pub enum RawSource {
    /// The decoded text is the file's own bytes from `base` on: re-read from disk.
    Disk { base: u64 },
    /// Gzip input: re-read by decompressing again up to the record (`skip` is a BOM).
    Gzip { skip: u64 },
    /// Transcoded (UTF-16) input has no byte-for-byte copy on disk: kept in memory.
    Memory(Arc<[u8]>),
}

#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub format: Format,
    pub layout: Option<CsvLayout>,
    pub raw: RawSource,
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
    pub ip_db: Option<&'a crate::geo::IpDb>,
}

/// Events merged from every worker of every file: one interner, duplicates dropped.
#[derive(Default)]
pub struct Accumulator {
    interner: Interner,
    kinds: Kinds,
    events: Vec<Event>,
    /// The client IP as written, by load number, where that differs from the event's `ip`.
    ip_originals: SparseColumn,
    /// The dedupe key of each event.
    keys: Vec<u128>,
    /// The [`dedupe::time_key`] of each event.
    time_keys: Vec<u64>,
    /// The events' sessions and postings, numbered in load order.
    index: Indexer,
}

impl Accumulator {
    /// Takes a worker's events into the store's interner and kinds.
    fn absorb(&mut self, parsed: Parsed) {
        let Parsed {
            interner,
            kinds,
            events,
            ip_originals,
        } = parsed;
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
        for (at, ip) in ip_originals {
            self.ip_originals.push(first + at, map[ip.0 as usize]);
        }
        self.events.reserve(events.len());
        self.keys.reserve(events.len());
        self.time_keys.reserve(events.len());
        for (mut event, key) in events {
            let guid_id = kinds.get(event.kind).guid_id;
            remap(&mut event, &map, guid_id);
            event.kind = kind_map[event.kind as usize];
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
    fn start() -> Merger {
        // A few chunks in flight at most: memory stays bounded if merging falls behind.
        let (chunks, received) = std::sync::mpsc::sync_channel::<Parsed>(4);
        let thread = std::thread::spawn(move || {
            let mut acc = Accumulator::default();
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

pub fn load(paths: &[PathBuf], opts: &LoadOptions) -> (Store, LoadReport) {
    let started = Instant::now();
    let merger = Merger::start();
    let mut report = LoadReport::default();
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
        keys,
        time_keys,
        index,
    } = merger.finish();
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
    let (index, ip_originals) = std::thread::scope(|scope| {
        let beside = scope.spawn(|| {
            let index = order.in_order().map(|o| index.finish(&o, symbols));
            (index, order.reorder(&ip_originals))
        });
        order.apply(&mut events);
        beside.join().expect("index worker panicked")
    });
    events.shrink_to_fit();
    let mut store = match index {
        Some(index) => Store::with_index(interner, kinds, events, index, sources),
        None => Store::build(interner, kinds, events, sources),
    };
    store.set_ip_originals(ip_originals);
    store.signins = crate::signin::SignIns::new(signins);
    store.geo = crate::geo::Geo::build(&store, opts.ip_db);
    give_back_freed_memory();
    report
        .timings
        .push(("index", indexing.elapsed().as_secs_f64()));
    (store, report)
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

/// The raw AuditData of an event, re-read from its file and unwrapped, for the detail view.
pub fn reread(source: &SourceFile, at: SourceRef) -> Result<serde_json::Value, String> {
    let bytes: Cow<[u8]> = match &source.raw {
        RawSource::Memory(buf) => {
            let start = at.offset as usize;
            Cow::Borrowed(
                buf.get(start..start + at.len as usize)
                    .ok_or("record is outside its file")?,
            )
        }
        RawSource::Gzip { skip } => {
            use std::io::Read;
            let f = std::fs::File::open(&source.path)
                .map_err(|e| format!("cannot re-read {}: {e}", source.path.display()))?;
            let mut gz = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(f));
            std::io::copy(&mut (&mut gz).take(skip + at.offset), &mut std::io::sink())
                .map_err(|e| e.to_string())?;
            let mut buf = vec![0; at.len as usize];
            gz.read_exact(&mut buf)
                .map_err(|e| format!("cannot re-read {}: {e}", source.path.display()))?;
            Cow::Owned(buf)
        }
        RawSource::Disk { base } => {
            use std::io::{Read, Seek, SeekFrom};
            let mut f = std::fs::File::open(&source.path)
                .map_err(|e| format!("cannot re-read {}: {e}", source.path.display()))?;
            f.seek(SeekFrom::Start(base + at.offset))
                .map_err(|e| e.to_string())?;
            let mut buf = vec![0; at.len as usize];
            f.read_exact(&mut buf)
                .map_err(|e| format!("cannot re-read {}: {e}", source.path.display()))?;
            Cow::Owned(buf)
        }
    };
    unwrap_record(source, &bytes)
}

/// The raw AuditData of several events of one file, in the order of `at`: the file opened
/// once, and a gzip file decompressed in one pass rather than once per record.
pub fn reread_many(
    source: &SourceFile,
    at: &[SourceRef],
) -> Vec<Result<serde_json::Value, String>> {
    let cannot = |e: std::io::Error| format!("cannot re-read {}: {e}", source.path.display());
    let file = match &source.raw {
        RawSource::Memory(_) => return at.iter().map(|&r| reread(source, r)).collect(),
        _ => match std::fs::File::open(&source.path) {
            Ok(f) => f,
            Err(e) => {
                let why = cannot(e);
                return at.iter().map(|_| Err(why.clone())).collect();
            }
        },
    };
    let skip = match source.raw {
        RawSource::Gzip { skip } => skip,
        RawSource::Disk { base } => {
            use std::os::unix::fs::FileExt;
            return at
                .iter()
                .map(|r| {
                    let mut buf = vec![0; r.len as usize];
                    file.read_exact_at(&mut buf, base + r.offset)
                        .map_err(cannot)?;
                    unwrap_record(source, &buf)
                })
                .collect();
        }
        RawSource::Memory(_) => unreachable!("returned above"),
    };
    use std::io::Read;
    let mut gz = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file));
    let mut out: Vec<Result<serde_json::Value, String>> =
        at.iter().map(|_| Err(String::new())).collect();
    let mut order: Vec<usize> = (0..at.len()).collect();
    order.sort_by_key(|&i| at[i].offset);
    // How far the decompressed stream has been read.
    let mut position = 0u64;
    let mut previous: Option<(SourceRef, usize)> = None;
    let mut broken: Option<String> = None;
    for i in order {
        let r = at[i];
        if let Some((p, j)) = previous
            && p == r
        {
            out[i] = out[j].clone();
            continue;
        }
        let want = skip + r.offset;
        let mut buf = vec![0; r.len as usize];
        let read = if let Some(why) = &broken {
            Err(why.clone())
        } else if want < position {
            Err("records overlap in the file".to_string())
        } else {
            std::io::copy(&mut (&mut gz).take(want - position), &mut std::io::sink())
                .and_then(|_| gz.read_exact(&mut buf))
                .map_err(cannot)
        };
        position = want + u64::from(r.len);
        if let Err(why) = &read {
            // The stream stands somewhere unknown now: nothing after can be trusted.
            broken = Some(why.clone());
        }
        out[i] = read.and_then(|()| unwrap_record(source, &buf));
        previous = Some((r, i));
    }
    out
}

/// A record's bytes as read from its file, parsed and unwrapped to its AuditData.
fn unwrap_record(source: &SourceFile, bytes: &[u8]) -> Result<serde_json::Value, String> {
    let json = parse::record_json(source.layout.as_ref(), bytes)?.into_json();
    let mut value: serde_json::Value =
        serde_json::from_slice(&json).map_err(|e| normalise::json_error(&e))?;
    // Unwrap the same wrappers the loader looks through.
    for _ in 0..6 {
        let inner = [
            "AuditData",
            "auditData",
            "RawEventData",
            "properties",
            "message",
            "input",
        ]
        .iter()
        .find_map(|k| value.get(k).cloned());
        match inner {
            Some(serde_json::Value::String(s)) => match serde_json::from_str(&s) {
                Ok(v) => value = v,
                Err(_) => break,
            },
            Some(v @ serde_json::Value::Object(_)) => value = v,
            _ => break,
        }
    }
    Ok(value)
}
