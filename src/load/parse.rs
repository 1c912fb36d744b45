//! Records to events, on every core: each worker normalises its share of a block into its own
//! interner, so the workers share nothing until the merge.

use super::csv::Span;
use super::format::{CsvLayout, RecordText};
use super::{MAX_PROBLEMS_KEPT, Problem, normalise};
use crate::intern::Interner;
use crate::model::{Event, SourceRef};

/// What one worker made of its share of a block.
pub struct Chunk {
    pub interner: Interner,
    pub events: Vec<(Event, u128)>,
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
            interner: Interner::default(),
            events: Vec::new(),
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

    pub fn problems(&self) -> impl Iterator<Item = Problem> + '_ {
        self.problems.iter().map(|(line, index, reason)| {
            let line = line + self.line_offset;
            let location = if self.numbered {
                format!("record {} (line {line})", index + self.record_offset + 1)
            } else {
                format!("line {line}")
            };
            Problem {
                location,
                reason: reason.clone(),
            }
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
    chunk.events.reserve(spans.len());
    for (i, span) in spans.iter().enumerate() {
        super::warm::share(ctx.prefetch, i, spans.len());
        match parse_one(ctx, span, &mut chunk.interner) {
            Ok(n) => chunk.events.push((n.event, n.dedupe_key)),
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
                    .map(|l| (l.line, parse_one(ctx, l, &mut chunk.interner)))
                    .collect();
                if parsed.iter().any(|(_, r)| r.is_ok()) {
                    for (line, r) in parsed {
                        match r {
                            Ok(n) => chunk.events.push((n.event, n.dedupe_key)),
                            Err(reason) => chunk.problem(line, first_index + i, reason),
                        }
                    }
                } else {
                    chunk.problem(span.line, first_index + i, reason);
                }
            }
        }
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
    read.map_err(|why| nul_stretch(bytes).unwrap_or(why))
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
