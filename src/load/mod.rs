//! The loader: audit exports in, one [`Store`] out, with a report of everything that could not
//! be read. Files are decoded, their format recognised from content, split into records, and
//! the records normalised on all cores; duplicates across files are dropped by record `Id`.

pub mod csv;
pub mod decode;
pub mod format;
pub mod normalise;
pub mod record;
pub mod summary;

use crate::intern::{Interner, Sym};
use crate::model::{Event, RecordId, SourceRef};
use crate::store::Store;
use csv::Span;
use format::{CsvLayout, Format};
use rustc_hash::FxHashSet;
use serde::Serialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// At most this many problems are kept per file; the count of skipped records stays exact.
const MAX_PROBLEMS_KEPT: usize = 200;
/// Audit (Standard) exports stop at this many rows without saying so.
const TRUNCATED_EXPORT_ROWS: usize = 50_000;

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

#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadReport {
    pub files: Vec<FileReport>,
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
    /// Decompressed or transcoded input has no byte-for-byte copy on disk: kept in memory.
    Memory(Vec<u8>),
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
    pub bytes: u64,
    pub events_so_far: usize,
}

#[derive(Default)]
pub struct LoadOptions<'a> {
    pub progress: Option<&'a (dyn Fn(&Progress) + Sync)>,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Counts records as they are read, for a progress display.
    pub records_read: Option<&'a std::sync::atomic::AtomicUsize>,
}

/// Everything that could be read from `paths`, and a report of what could not.
pub fn load(paths: &[PathBuf], opts: &LoadOptions) -> (Store, LoadReport) {
    let mut interner = Interner::default();
    let mut events: Vec<Event> = Vec::new();
    let mut seen: FxHashSet<u128> = FxHashSet::default();
    let mut report = LoadReport::default();
    let mut sources = Vec::new();
    for (index, path) in paths.iter().enumerate() {
        if let Some(p) = opts.progress {
            p(&Progress {
                file_index: index,
                files: paths.len(),
                path: path.clone(),
                bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
                events_so_far: events.len(),
            });
        }
        let file_no = u16::try_from(sources.len()).unwrap_or(u16::MAX);
        let (file_report, source, chunks) = load_file(path, file_no, opts);
        let mut file_report = file_report;
        for chunk in chunks {
            let map = interner.absorb(&chunk.interner);
            for (mut event, key) in chunk.events {
                if !seen.insert(key) {
                    file_report.duplicates += 1;
                    continue;
                }
                remap(&mut event, &map);
                events.push(event);
            }
        }
        if let Some(source) = source {
            sources.push(source);
        }
        report.files.push(file_report);
    }
    let store = Store::build(interner, events, sources);
    (store, report)
}

fn remap(e: &mut Event, map: &[Sym]) {
    let m = |s: &mut Sym| *s = map[s.0 as usize];
    for s in [
        &mut e.user,
        &mut e.operation,
        &mut e.session,
        &mut e.ip,
        &mut e.ip_raw,
        &mut e.client,
        &mut e.target,
        &mut e.summary,
        &mut e.workload,
        &mut e.result,
        &mut e.token,
    ] {
        m(s);
    }
    if let RecordId::Other(s) = &mut e.record_id {
        m(s);
    }
}

/// What one worker made of its share of a file.
struct Chunk {
    interner: Interner,
    events: Vec<(Event, u128)>,
    problems: Vec<Problem>,
    skipped: usize,
}

/// How the records of one file are found and read.
struct FileCtx<'a> {
    text: &'a [u8],
    format: Format,
    layout: Option<&'a CsvLayout>,
    file_no: u16,
    records_read: Option<&'a std::sync::atomic::AtomicUsize>,
}

impl FileCtx<'_> {
    fn location(&self, span: &Span, index: usize) -> String {
        match self.format {
            Format::Json => format!("record {} (line {})", index + 1, span.line),
            _ => format!("line {}", span.line),
        }
    }
}

fn empty_report(path: &Path) -> FileReport {
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

fn load_file(
    path: &Path,
    file_no: u16,
    opts: &LoadOptions,
) -> (FileReport, Option<SourceFile>, Vec<Chunk>) {
    let mut report = empty_report(path);
    let decoded = match decode::read(path) {
        Ok(d) => d,
        Err(e) => {
            report.error = Some(format!("cannot read: {e}"));
            return (report, None, Vec::new());
        }
    };
    report.encoding = decoded.encoding.name();
    report.gzip = decoded.gzip;
    let text = &decoded.bytes[..];
    if let Some(why) = not_text(text) {
        report.error = Some(why);
        return (report, None, Vec::new());
    }
    let (format, layout, spans) = match split_records(text) {
        Ok(v) => v,
        Err(e) => {
            report.error = Some(e);
            return (report, None, Vec::new());
        }
    };
    report.format = format.name();
    let (spans, tail_error) = spans;
    if let Some(e) = tail_error {
        report.skipped += 1;
        report.problems.push(e);
    }
    if layout.is_some() && spans.len() == TRUNCATED_EXPORT_ROWS {
        report.warnings.push(format!(
            "exactly {TRUNCATED_EXPORT_ROWS} rows: the export was probably truncated at the \
             portal's limit; split the search into smaller time windows"
        ));
    }
    if matches!(format, Format::MailboxAuditLogCsv | Format::SentinelCsv) {
        report.warnings.push(
            "times come from the export's own date column (no AuditData CreationTime); read as UTC"
                .into(),
        );
    }
    let ctx = FileCtx {
        text,
        format,
        layout: layout.as_ref(),
        file_no,
        records_read: opts.records_read,
    };
    let chunks = parse_parallel(&ctx, &spans, opts.threads);
    for c in &chunks {
        report.records += c.events.len();
        report.skipped += c.skipped;
        for p in &c.problems {
            if report.problems.len() < MAX_PROBLEMS_KEPT {
                report.problems.push(p.clone());
            }
        }
    }
    if report.records == 0 && report.error.is_none() {
        report.error = Some(if report.skipped > 0 {
            format!("none of its {} records could be read", report.skipped)
        } else {
            "no audit records in it".into()
        });
    }
    let raw = match decoded.disk_base {
        Some(base) => RawSource::Disk { base },
        None => RawSource::Memory(decoded.bytes),
    };
    let source = SourceFile {
        path: path.to_path_buf(),
        format,
        layout,
        raw,
    };
    (report, Some(source), chunks)
}

/// A one-line reason when the bytes are not text at all (empty, binary).
fn not_text(text: &[u8]) -> Option<String> {
    if text.iter().all(u8::is_ascii_whitespace) {
        return Some("empty file: no audit records in it".into());
    }
    let sample = &text[..text.len().min(4096)];
    let odd = sample
        .iter()
        .filter(|&&b| b == 0 || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x1b)))
        .count();
    if odd * 10 > sample.len() {
        return Some("binary data, not an audit export (neither CSV nor JSON)".into());
    }
    None
}

type Split = (Format, Option<CsvLayout>, (Vec<Span>, Option<Problem>));

/// Recognises the format and finds every record's byte range.
fn split_records(text: &[u8]) -> Result<Split, String> {
    let first = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    match text[first] {
        b'[' => Ok((Format::Json, None, json_elements(text))),
        b'{' => {
            let line_end = memchr::memchr(b'\n', &text[first..]).map_or(text.len(), |i| first + i);
            let first_line = &text[first..line_end];
            if serde_json::from_slice::<serde::de::IgnoredAny>(first_line).is_ok() {
                Ok((Format::JsonLines, None, (json_lines(text), None)))
            } else {
                Ok((Format::Json, None, json_elements(text)))
            }
        }
        _ => {
            let mut rows = csv::rows(text, 1);
            rows.retain(|r| !text[r.start..r.end].starts_with(b"#TYPE"));
            let Some(header) = rows.first().copied() else {
                return Err("no header row".into());
            };
            let cells: Vec<String> = csv::fields(&text[header.start..header.end])
                .into_iter()
                .map(|c| csv::text(c).trim_start_matches('\u{feff}').to_string())
                .collect();
            if cells.len() < 2 {
                return Err("neither JSON nor a CSV with a header row: not an audit export".into());
            }
            let layout = CsvLayout::from_header(&cells)?;
            rows.remove(0);
            Ok((layout.format, Some(layout), (rows, None)))
        }
    }
}

fn json_lines(text: &[u8]) -> Vec<Span> {
    let mut out = Vec::new();
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', text).chain(std::iter::once(text.len()));
    for (line, end) in (1..).zip(ends) {
        if start <= end {
            let mut s = start;
            if text[s..end].starts_with("\u{feff}".as_bytes()) {
                s += 3;
            }
            let mut e = end;
            if e > s && text[e - 1] == b'\r' {
                e -= 1;
            }
            if !text[s..e].iter().all(u8::is_ascii_whitespace) {
                out.push(Span {
                    start: s,
                    end: e,
                    line,
                });
            }
        }
        start = end + 1;
    }
    out
}

#[derive(serde::Deserialize)]
struct GraphPage<'a> {
    #[serde(borrow)]
    value: Option<Vec<&'a RawValue>>,
}

fn skip_ws(text: &[u8], mut pos: usize) -> usize {
    while pos < text.len() && (text[pos].is_ascii_whitespace() || text[pos] == b',') {
        pos += 1;
    }
    pos
}

fn line_at(text: &[u8], pos: usize) -> usize {
    memchr::memchr_iter(b'\n', &text[..pos]).count() + 1
}

/// Top-level JSON values, and the elements of top-level arrays, read one at a time so that a
/// broken or cut record costs only itself and what follows it. A Graph page (`{"value": [...]}`)
/// is opened into its records.
fn json_elements(text: &[u8]) -> (Vec<Span>, Option<Problem>) {
    let (text_str, utf8_error) = match std::str::from_utf8(text) {
        Ok(s) => (s, None),
        // Keep what precedes the first invalid byte; JSON cannot be resynchronised after it.
        Err(e) => (
            std::str::from_utf8(&text[..e.valid_up_to()]).unwrap_or(""),
            Some(e.valid_up_to()),
        ),
    };
    let text = text_str.as_bytes();
    let base = text_str.as_ptr() as usize;
    let mut out = Vec::new();
    let push = |out: &mut Vec<Span>, raw: &RawValue| {
        let s = raw.get();
        let start = s.as_ptr() as usize - base;
        out.push(Span {
            start,
            end: start + s.len(),
            line: 0,
        });
    };
    let fail = |record: usize, pos: usize, what: String| Problem {
        location: format!("record {record} (line {})", line_at(text, pos)),
        reason: format!("{what}; the rest of the file was not read"),
    };
    let mut error = None;
    let mut depth_in_array = false;
    let mut pos = skip_ws(text, 0);
    while pos < text.len() {
        match text[pos] {
            b'[' if !depth_in_array => {
                depth_in_array = true;
                pos = skip_ws(text, pos + 1);
                continue;
            }
            b']' if depth_in_array => {
                depth_in_array = false;
                pos = skip_ws(text, pos + 1);
                continue;
            }
            b'{' => {}
            _ => {
                error = Some(fail(
                    out.len() + 1,
                    pos,
                    "expected a JSON object or array".into(),
                ));
                break;
            }
        }
        let mut one = serde_json::Deserializer::from_str(&text_str[pos..]).into_iter::<&RawValue>();
        match one.next() {
            Some(Ok(v)) => {
                match serde_json::from_str::<GraphPage>(v.get()) {
                    Ok(GraphPage { value: Some(items) })
                        if !depth_in_array && !items.is_empty() =>
                    {
                        items.into_iter().for_each(|i| push(&mut out, i))
                    }
                    _ => push(&mut out, v),
                }
                pos = skip_ws(text, pos + one.byte_offset());
            }
            Some(Err(e)) => {
                error = Some(fail(out.len() + 1, pos, normalise::json_error(&e)));
                break;
            }
            None => break,
        }
    }
    if error.is_none()
        && let Some(at) = utf8_error
    {
        error = Some(fail(out.len() + 1, at, "invalid UTF-8".into()));
    }
    // Line numbers, counted once across the file.
    let mut line = 1u32;
    let mut at = 0;
    for s in &mut out {
        line += memchr::memchr_iter(b'\n', &text[at..s.start]).count() as u32;
        at = s.start;
        s.line = line;
    }
    (out, error)
}

fn parse_parallel(ctx: &FileCtx, spans: &[Span], threads: usize) -> Vec<Chunk> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = if threads == 0 { cores } else { threads };
    let threads = threads.clamp(1, spans.len() / 2000 + 1);
    if threads == 1 {
        return vec![parse_chunk(ctx, spans, 0)];
    }
    let per = spans.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = spans
            .chunks(per)
            .enumerate()
            .map(|(i, part)| scope.spawn(move || parse_chunk(ctx, part, i * per)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("loader worker panicked"))
            .collect()
    })
}

fn parse_chunk(ctx: &FileCtx, spans: &[Span], first_index: usize) -> Chunk {
    let mut chunk = Chunk {
        interner: Interner::default(),
        events: Vec::with_capacity(spans.len()),
        problems: Vec::new(),
        skipped: 0,
    };
    for (i, span) in spans.iter().enumerate() {
        if i % 4096 == 4095
            && let Some(c) = ctx.records_read
        {
            c.fetch_add(4096, std::sync::atomic::Ordering::Relaxed);
        }
        let source = SourceRef {
            file: ctx.file_no,
            offset: span.start as u64,
            len: (span.end - span.start) as u32,
        };
        let bytes = &ctx.text[span.start..span.end];
        let result = record_json(ctx.format, ctx.layout, bytes).and_then(|(json, wrapper_id)| {
            normalise::normalise_json(&json, wrapper_id.as_deref(), source, &mut chunk.interner)
        });
        match result {
            Ok(n) => chunk.events.push((n.event, n.dedupe_key)),
            Err(reason) => {
                chunk.skipped += 1;
                if chunk.problems.len() < MAX_PROBLEMS_KEPT {
                    chunk.problems.push(Problem {
                        location: ctx.location(span, first_index + i),
                        reason,
                    });
                }
            }
        }
    }
    chunk
}

/// The AuditData JSON (or wrapper JSON) of one record's bytes.
fn record_json<'b>(
    format: Format,
    layout: Option<&CsvLayout>,
    bytes: &'b [u8],
) -> Result<(Cow<'b, str>, Option<String>), String> {
    if let Some(layout) = layout {
        return layout.record_json(bytes);
    }
    let _ = format;
    let s = std::str::from_utf8(bytes)
        .map_err(|e| format!("invalid UTF-8 at byte {} of the record", e.valid_up_to()))?;
    Ok((Cow::Borrowed(s), None))
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
    let (json, _) = record_json(source.format, source.layout.as_ref(), &bytes)?;
    let mut value: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| normalise::json_error(&e))?;
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
