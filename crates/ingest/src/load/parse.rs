//! Records to events, on every core: each worker normalises its share of a block into its own
//! interner, so the workers share nothing until the merge.

use super::csv::Span;
use super::format::{CsvLayout, RecordText};
use super::{MAX_PROBLEMS_KEPT, Problem, normalise};
use sessionscope_core::audit;
use sessionscope_core::intern::{Interner, Sym};
use sessionscope_core::model::{Event, Kinds, SourceRef};
use sessionscope_core::telling::Telling;

/// Events as a worker made them, numbered in its own tables: what the merger takes in.
#[derive(Default)]
pub struct Parsed {
    pub interner: Interner,
    pub kinds: Kinds,
    /// Each event with its dedupe key.
    pub events: Vec<(Event, u128)>,
    /// (place in `events`, the client IP as the record wrote it) where that differs from the
    /// event's `ip`, in order.
    pub ip_originals: Vec<(u32, Sym)>,
    /// (place in `events`, what the record did) for the records of telling operations (rules,
    /// forwarding, grants, consents), read here while the record is at hand.
    pub telling: Vec<(u32, Telling)>,
    /// Whether each operation (by handle in `interner`) is a telling one, as it is met.
    telling_ops: Vec<Option<bool>>,
    /// Records passed over before parsing, as outside the slice.
    pub passed_over: usize,
}

impl Parsed {
    /// Adds a normalised record; `bytes` is the record as its file holds it (a CSV row of
    /// `layout`, or JSON), read whole for its facts when its operation is a telling one.
    fn push(&mut self, n: normalise::Normalised, layout: Option<&CsvLayout>, bytes: &[u8]) {
        let mut event = n.event;
        event.kind = self.kinds.number(n.kind);
        let at = self.events.len() as u32;
        if !n.ip_original.is_empty() {
            self.ip_originals.push((at, n.ip_original));
        }
        let op = event.operation;
        self.events.push((event, n.dedupe_key));
        let op_index = op.0 as usize;
        if self.telling_ops.len() <= op_index {
            self.telling_ops.resize(op_index + 1, None);
        }
        let interner = &self.interner;
        let telling = *self.telling_ops[op_index]
            .get_or_insert_with(|| audit::classify(interner.resolve(op)).wants_record());
        if telling {
            let op = self.interner.resolve(op);
            let facts = match record_value(layout, bytes) {
                Ok(value) => match audit::action::read(audit::classify(op), op, &value) {
                    Some(action) => Telling::Did(action),
                    None => Telling::Nothing,
                },
                Err(why) => Telling::Unread(why),
            };
            self.telling.push((at, facts));
        }
    }
}

/// What one worker made of its share of a block.
pub struct Chunk {
    pub parsed: Parsed,
    /// (line, record number, reason); lines are relative until `line_offset` is known.
    problems: Vec<(u32, usize, String)>,
    pub skipped: usize,
    /// Added to the lines and record numbers of problems: a worker that split a piece or the
    /// second half of a window learns where its lines and records start only once what comes
    /// before is split.
    pub line_offset: u32,
    pub record_offset: usize,
    numbered: bool,
}

impl Chunk {
    pub fn new(numbered: bool) -> Chunk {
        Chunk {
            parsed: Parsed::default(),
            problems: Vec::new(),
            skipped: 0,
            line_offset: 0,
            record_offset: 0,
            numbered,
        }
    }

    /// A chunk of one record that could not be read, on `line`.
    pub fn skipped_one(line: u32, reason: String) -> Chunk {
        let mut chunk = Chunk::new(false);
        chunk.problem(line, 0, reason);
        chunk
    }

    fn problem(&mut self, line: u32, index: usize, reason: String) {
        self.skipped += 1;
        if self.problems.len() < MAX_PROBLEMS_KEPT {
            self.problems.push((line, index, reason));
        }
    }

    /// Where, among the chunk's records (read or skipped), its first problem is.
    pub fn first_problem(&self) -> Option<usize> {
        self.problems.first().map(|p| p.1)
    }

    pub fn problems(&self) -> impl Iterator<Item = Problem> + '_ {
        self.numbered_problems().map(|(_, p)| p)
    }

    /// The problems, each with the place of its record among the file's records (from 0).
    pub fn numbered_problems(&self) -> impl Iterator<Item = (usize, Problem)> + '_ {
        self.problems.iter().map(|(line, index, reason)| {
            let line = line + self.line_offset;
            let at = index + self.record_offset;
            let location = if self.numbered {
                format!("record {} (line {line})", at + 1)
            } else {
                format!("line {line}")
            };
            let problem = Problem {
                location,
                reason: reason.clone(),
            };
            (at, problem)
        })
    }
}

/// How the records of one block are read.
pub struct BlockCtx<'a> {
    pub text: &'a [u8],
    /// Offset of `text[0]` in the decoded file.
    pub base: u64,
    /// Records are numbered (JSON documents) rather than located by line.
    pub numbered: bool,
    pub layout: Option<&'a CsvLayout>,
    pub file_no: u16,
    /// Text to bring into cache while these records are parsed (the next window's).
    pub prefetch: &'a [u8],
    /// Records that cannot be in the slice are passed over before they are parsed.
    pub narrow: Option<&'a crate::tree::Narrow>,
}

/// How many threads to read with: `requested`, or one per core when it is 0.
pub fn worker_threads(requested: usize) -> usize {
    match requested {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// Parses `spans` on `threads` workers (0: one per core); `first_record` numbers the first.
pub fn parse_parallel(
    ctx: &BlockCtx,
    spans: &[Span],
    threads: usize,
    first_record: usize,
) -> Vec<Chunk> {
    let threads = worker_threads(threads).clamp(1, spans.len() / 2000 + 1);
    if threads == 1 {
        return vec![parse_chunk(ctx, spans, first_record)];
    }
    let per = spans.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let mut parts = spans.chunks(per).enumerate();
        // The calling thread takes the first share itself.
        let (_, first) = parts.next().unwrap_or((0, &[]));
        let handles: Vec<_> = parts
            .map(|(i, part)| scope.spawn(move || parse_chunk(ctx, part, first_record + i * per)))
            .collect();
        let mut out = vec![parse_chunk(ctx, first, first_record)];
        out.extend(
            handles
                .into_iter()
                .map(|h| h.join().expect("loader worker panicked")),
        );
        out
    })
}

pub fn parse_chunk(ctx: &BlockCtx, spans: &[Span], first_index: usize) -> Chunk {
    let mut chunk = Chunk::new(ctx.numbered);
    parse_into(&mut chunk, ctx, spans, first_index);
    chunk
}

/// Parses the records at `spans` of `ctx.text` into `chunk`.
pub fn parse_into(chunk: &mut Chunk, ctx: &BlockCtx, spans: &[Span], first_index: usize) {
    chunk.parsed.events.reserve(spans.len());
    for (i, span) in spans.iter().enumerate() {
        super::warm::share(ctx.prefetch, i, spans.len());
        if ctx
            .narrow
            .is_some_and(|n| !n.may_keep(&ctx.text[span.start..span.end]))
        {
            chunk.parsed.passed_over += 1;
            continue;
        }
        match parse_one(ctx, span, &mut chunk.parsed.interner) {
            Ok(n) => chunk
                .parsed
                .push(n, ctx.layout, &ctx.text[span.start..span.end]),
            Err(reason) => {
                // A CSV row spanning lines that does not read may be good rows swallowed by a
                // stray quote: read its lines one by one, and keep what reads.
                let bytes = &ctx.text[span.start..span.end];
                let lines = match ctx.layout {
                    Some(_) if memchr::memchr(b'\n', bytes).is_some() => {
                        super::csv::lines_of(*span, ctx.text)
                    }
                    _ => Vec::new(),
                };
                let parsed: Vec<_> = lines
                    .iter()
                    .map(|l| (l, parse_one(ctx, l, &mut chunk.parsed.interner)))
                    .collect();
                if parsed.iter().any(|(_, r)| r.is_ok()) {
                    for (l, r) in parsed {
                        match r {
                            Ok(n) => chunk.parsed.push(n, ctx.layout, &ctx.text[l.start..l.end]),
                            Err(reason) => chunk.problem(l.line, first_index + i, reason),
                        }
                    }
                } else {
                    chunk.problem(span.line, first_index + i, reason);
                }
            }
        }
    }
}

/// What [`parse_lines`] read.
pub struct LinesRead {
    /// Bytes of complete lines (all of the text at the end of the file).
    pub used: usize,
    /// Line breaks in those bytes.
    pub lines: u32,
    /// Lines that were not blank.
    pub records: usize,
}

/// Splits JSON Lines `text` into records and parses them into `chunk`, as `split::json_lines`
/// and [`parse_into`] do, but finding each line's end in the pass that indexes its tokens:
/// the text is read from memory once. Unless `eof`, a last line without its break is left.
pub fn parse_lines(
    chunk: &mut Chunk,
    text: &[u8],
    (base, file_no): (u64, u16),
    narrow: Option<&crate::tree::Narrow>,
    eof: bool,
) -> LinesRead {
    let mut tokens = Vec::new();
    // Audit records run to a kilobyte or more: room for that many, rather than growing the
    // list a dozen times.
    chunk.parsed.events.reserve(text.len() / 1024);
    let (mut pos, mut line, mut records) = (0, 0, 0);
    while pos < text.len() {
        let rest = &text[pos..];
        let found = super::scan::index_line(rest, &mut tokens);
        let len = found.end;
        let complete = len < rest.len();
        if !complete && !eof {
            break;
        }
        if let Some((start, end)) = super::split::line_record(text, pos, pos + len) {
            // SAFETY: `ascii` is index_line's finding that every byte of the line is ASCII;
            // the record is the line or a part of it. (After a byte order mark the tokens,
            // found counting the mark, do not apply.)
            let indexed = found
                .tokens
                .filter(|_| start == pos)
                .map(|n| unsafe { normalise::Indexed::new(&tokens[..n], found.ascii) });
            let bytes = &text[start..end];
            let source = SourceRef::new(file_no, base + start as u64, (end - start) as u32);
            if narrow.is_some_and(|n| !n.may_keep(bytes)) {
                chunk.parsed.passed_over += 1;
            } else {
                match normalise::normalise_line(bytes, indexed, source, &mut chunk.parsed.interner)
                {
                    Ok(n) => chunk.parsed.push(n, None, bytes),
                    Err(why) => chunk.problem(line, records, why_unread(bytes, why)),
                }
            }
            records += 1;
        }
        line += u32::from(complete);
        pos += len + usize::from(complete);
    }
    LinesRead {
        used: pos,
        lines: line,
        records,
    }
}

fn parse_one(
    ctx: &BlockCtx,
    span: &Span,
    interner: &mut Interner,
) -> Result<normalise::Normalised, String> {
    let source = SourceRef::new(
        ctx.file_no,
        ctx.base + span.start as u64,
        (span.end - span.start) as u32,
    );
    let bytes = &ctx.text[span.start..span.end];
    let read = record_json(ctx.layout, bytes)
        .and_then(|r| normalise::normalise_json(&r, source, interner));
    read.map_err(|why| match ctx.layout {
        None => why_unread(bytes, why),
        Some(_) => nul_stretch(bytes).unwrap_or(why),
    })
}

/// Why a JSON record that did not read was lost, in the plainest words at hand: a stretch of
/// NUL bytes, a value that is not an object at all (a stray element), else the parser's `why`.
fn why_unread(bytes: &[u8], why: String) -> String {
    nul_stretch(bytes)
        .or_else(|| {
            not_an_object(bytes).map(|what| format!("not a record: {what} where a record belongs"))
        })
        .unwrap_or(why)
}

/// What a JSON value that is not an object is (`a number`), for a stray array element.
fn not_an_object(bytes: &[u8]) -> Option<&'static str> {
    let value = bytes.trim_ascii();
    Some(match value.first()? {
        b'[' => "an array",
        b'"' => "a string",
        b'-' | b'0'..=b'9' => "a number",
        _ if value == b"null" => "null",
        _ if value == b"true" || value == b"false" => "true or false",
        _ => return None,
    })
}

/// Why a record could not be read whole: one value larger than any real record, or a
/// stretch of NUL bytes.
pub(super) fn oversized(record: &[u8], limit: usize, then: &str) -> String {
    match nul_stretch(&record[..record.len().min(limit)]) {
        Some(nul) => format!("{nul}; {then}"),
        None if limit >= 1 << 20 => format!("record larger than {} MB; {then}", limit >> 20),
        None => format!("record larger than {limit} bytes; {then}"),
    }
}

/// A reason of its own for a record that is mostly NUL bytes, rather than "invalid JSON": it
/// is what a file cut short or zeroed while it is read gives back on some file systems.
pub(super) fn nul_stretch(bytes: &[u8]) -> Option<String> {
    let nul = bytes.iter().filter(|&&b| b == 0).count();
    (nul > 0 && nul > bytes.len() / 2).then(|| {
        let size = if nul >= 1 << 20 {
            format!("{} MB", nul >> 20)
        } else {
            format!("{nul} bytes")
        };
        format!("{size} of NUL bytes, not audit data (was the file cut short or zeroed while it was read?)")
    })
}

/// A record's bytes as its file holds them (a CSV row of `layout`, or JSON), parsed and
/// unwrapped to its AuditData, through the same wrappers the loader looks through.
pub(crate) fn record_value(
    layout: Option<&CsvLayout>,
    bytes: &[u8],
) -> Result<serde_json::Value, String> {
    let json = record_json(layout, bytes)?.into_json();
    let mut value: serde_json::Value =
        serde_json::from_slice(&json).map_err(|e| normalise::json_error(&e))?;
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

/// The AuditData JSON (or wrapper JSON) of one record's bytes, and the wrapper's record id.
pub fn record_json<'b>(
    layout: Option<&CsvLayout>,
    bytes: &'b [u8],
) -> Result<RecordText<'b>, String> {
    match layout {
        Some(layout) => layout.record_json(bytes),
        None => Ok(RecordText::plain(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::split;

    /// What reading JSON Lines text gave: events (their debug text, interned strings by
    /// number), problems, and how much was read.
    fn outcome(chunk: &Chunk, used: usize, lines: u32, records: usize) -> String {
        let problems: Vec<_> = chunk.problems().map(|p| (p.location, p.reason)).collect();
        let strings: Vec<_> = (0..chunk.parsed.interner.len())
            .map(|i| {
                chunk
                    .parsed
                    .interner
                    .resolve(sessionscope_core::intern::Sym(i as u32))
                    .to_string()
            })
            .collect();
        format!(
            "{:?}\n{:?}\n{:?}\n{problems:?}\n{strings:?}\nused {used}, lines {lines}, records {records}",
            chunk.parsed.events,
            chunk.parsed.kinds.all(),
            chunk.parsed.ip_originals
        )
    }

    fn by_lines(text: &[u8], eof: bool) -> String {
        let mut chunk = Chunk::new(false);
        let read = parse_lines(&mut chunk, text, (1000, 0), None, eof);
        outcome(&chunk, read.used, read.lines, read.records)
    }

    /// The reference: lines found first, then each parsed.
    fn split_then_parsed(text: &[u8], eof: bool) -> String {
        let (spans, used, lines) = split::json_lines(text, 0, eof);
        let ctx = BlockCtx {
            text,
            base: 1000,
            numbered: false,
            layout: None,
            file_no: 0,
            prefetch: &[],
            narrow: None,
        };
        let chunk = parse_chunk(&ctx, &spans, 0);
        outcome(&chunk, used, lines, spans.len())
    }

    /// Finding each line's end while indexing it must read JSON Lines exactly as finding the
    /// lines first does, whatever the lines hold: real records of three formats, records
    /// cut short, blank and white lines, byte order marks, `\r\n`, control characters and
    /// line breaks inside strings, invalid UTF-8, NUL bytes, and line breaks at every offset
    /// around a 64-byte block's end; with the text cut anywhere, at the end of the file or not.
    #[test]
    fn lines_indexed_as_read_equal_lines_split_first() {
        let mut kinds: Vec<Vec<u8>> = [
            include_str!("../../../../fixtures/formats/json-lines.jsonl"),
            include_str!("../../../../fixtures/formats/siem-json-lines.jsonl"),
            include_str!("../../../../fixtures/formats/defender-json-lines.jsonl"),
        ]
        .iter()
        .flat_map(|f| f.lines())
        .map(|l| l.as_bytes().to_vec())
        .collect();
        let record = kinds[0].clone();
        kinds.extend(
            [
                &b""[..],
                b"   \t",
                b"\r",
                b"\xef\xbb\xbf{\"Id\":\"bom\",\"CreationTime\":\"2024-01-01T00:00:00\"}",
                b"{\"broken\": ",
                b"{\"Id\":\"a\tb\",\"CreationTime\":\"2024-01-01T00:00:00\"}",
                b"{\"Id\":\"a\rb\",\"CreationTime\":\"2024-01-01T00:00:00\"}",
                b"{\"Id\":\"caf\xc3\xa9\",\"CreationTime\":\"2024-01-01T00:00:00\"}",
                b"{\"Id\":\"\xff\xfe\",\"CreationTime\":\"2024-01-01T00:00:00\"}",
                b"\0\0\0\0\0\0\0\0\0\0",
                b"  {\"Id\":\"x\",\"CreationTime\":\"2024-01-01T00:00:00\"}  ",
                b"{\"Operation\":\"Send\",\"CreationTime\":\"2024-01-01T00:00:00\",\"UserId\":\"\\\"q\\\"\"}",
            ]
            .map(<[u8]>::to_vec),
        );
        // A string split by a line break, and records of every length near a block's end.
        kinds.push([&record[..record.len() / 2], b"\n\"\"}"].concat());
        for pad in 50..80 {
            let filler = "x".repeat(pad);
            let line = format!(
                "{{\"Id\":\"{filler}\",\"CreationTime\":\"2024-01-01T00:00:00\",\"UserId\":\"u\"}}"
            );
            kinds.push(line.into_bytes());
        }
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as usize % n
        };
        for _ in 0..400 {
            let mut text = Vec::new();
            for _ in 0..next(12) {
                text.extend_from_slice(&kinds[next(kinds.len())]);
                text.extend_from_slice(if next(3) == 0 { b"\r\n" } else { b"\n" });
            }
            let cut = if text.is_empty() {
                0
            } else {
                next(text.len() + 1)
            };
            for text in [&text[..], &text[..cut]] {
                for eof in [true, false] {
                    assert_eq!(
                        by_lines(text, eof),
                        split_then_parsed(text, eof),
                        "{:?}",
                        String::from_utf8_lossy(text)
                    );
                }
            }
        }
    }
}
