//! A block of JSON Lines or CSV shared out between the cores a piece at a time, the results
//! handed back in the order of the text.
//!
//! A piece starts after the first line break past a multiple of the piece size: a bet that a
//! record starts there, always won in JSON Lines, lost in CSV when the line break is inside a
//! quoted cell. Whichever core is free splits and parses the next piece, so no core waits for
//! another until the last piece. The results are then taken in order, each piece checking that
//! the records before it ended where it begins; a lost bet costs one piece, split and parsed
//! again from where the records really are. What comes out is what one core reading the
//! block from start to end makes of it, problems and their lines included.
//!
//! A record that runs on over many pieces (a stray quote opening a cell that never closes) has
//! each piece after it read again from its start until it reaches `max_record` bytes; then, as
//! at the end of a streamed block, it is skipped up to the next line break and reported.

use super::format::CsvLayout;
use super::parse::{BlockCtx, Chunk, parse_into, worker_threads};
use super::{LoadOptions, csv, parse, warm};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError, mpsc};

/// How many pieces a core may run ahead of the one the results wait for: bounds the results
/// held back when one piece is slow.
const AHEAD: usize = 8;

/// Bytes of CSV split into rows before the rows are parsed, so that each row is parsed while
/// the split has just brought it into cache rather than after a pass over megabytes. (JSON
/// Lines are found as they are read, `parse::parse_lines`.)
const WINDOW: usize = 256 << 10;

/// Text to read: complete records plus, unless at the end of the file, the start of the next.
pub(super) struct Block<'a> {
    pub text: &'a [u8],
    /// Where `text` starts in the file.
    pub base: u64,
    /// The line `text` starts on.
    pub line: u32,
    pub eof: bool,
    pub layout: Option<&'a CsvLayout>,
    pub file_no: u16,
    /// A record that has not ended this many bytes after its start is skipped.
    pub max_record: usize,
    /// Records that cannot be in the slice are passed over before they are parsed.
    pub narrow: Option<&'a crate::tree::Narrow>,
}

/// What splitting and parsing a stretch of a block came to.
struct Parsed {
    /// Its problems numbered from line 0 of the stretch.
    chunk: Chunk,
    /// Bytes of complete records (all of the stretch at the end of the file).
    used: usize,
    /// Line breaks in those bytes.
    lines: u32,
    records: usize,
}

/// Where the records are, piece after piece, in order.
struct Reading<'f> {
    pos: usize,
    line: u32,
    records: usize,
    deliver: &'f mut dyn FnMut(Chunk),
    progress: &'f mut dyn FnMut(usize),
}

impl Block<'_> {
    /// Splits and parses `text[from..to]`, the end of the file if `eof`.
    fn parse(&self, from: usize, to: usize, eof: bool) -> Parsed {
        let text = &self.text[from..to];
        warm::map_in(text);
        let mut chunk = Chunk::new(false);
        let Some(layout) = self.layout else {
            let base = self.base + from as u64;
            let read = parse::parse_lines(&mut chunk, text, (base, self.file_no), self.narrow, eof);
            return Parsed {
                chunk,
                used: read.used,
                lines: read.lines,
                records: read.records,
            };
        };
        let (mut pos, mut lines, mut records, mut window) = (0, 0, 0, WINDOW);
        loop {
            let end = (pos + window).min(text.len());
            let last = end == text.len();
            let (spans, used, next) = csv::rows_in_block(&text[pos..end], lines, eof && last);
            let ctx = BlockCtx {
                prefetch: &text[end..(end + window).min(text.len())],
                text: &text[pos..end],
                base: self.base + (from + pos) as u64,
                numbered: false,
                layout: Some(layout),
                file_no: self.file_no,
                narrow: self.narrow,
            };
            parse_into(&mut chunk, &ctx, &spans, 0);
            records += spans.len();
            pos += used;
            lines = next;
            if last {
                break;
            }
            // A record longer than the window: widen it until the record fits.
            window = if used == 0 { window * 2 } else { WINDOW };
        }
        Parsed {
            chunk,
            used: pos,
            lines,
            records,
        }
    }

    /// Where piece `k` of `count` starts: past the first line break at or after `k * piece`.
    fn cut(&self, k: usize, count: usize, piece: usize) -> usize {
        let at = k.saturating_mul(piece);
        if k == 0 || k >= count || at >= self.text.len() {
            return if k == 0 { 0 } else { self.text.len() };
        }
        memchr::memchr(b'\n', &self.text[at..]).map_or(self.text.len(), |i| at + i + 1)
    }
}

impl Reading<'_> {
    /// Takes the piece ending at `to`, `parsed` from `from` in advance on the bet that a
    /// record starts there. Returns whether the whole block is read.
    fn take(
        &mut self,
        b: &Block,
        (from, to): (usize, usize),
        parsed: Parsed,
        opts: &LoadOptions,
    ) -> bool {
        let last = to == b.text.len();
        let mut parsed = parsed;
        if from != self.pos {
            // The bet is lost: the piece is read again from where its records are.
            parsed = b.parse(self.pos, to, b.eof && last);
        }
        if parsed.used == 0 && !last && to - self.pos >= b.max_record {
            // One record larger than any real one: skipped up to the next line break.
            let rest = &b.text[self.pos..to];
            let cut = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
            let reason = super::parse::oversized(rest, b.max_record, "skipped");
            parsed = Parsed {
                chunk: Chunk::skipped_one(0, reason),
                used: cut,
                lines: 1,
                records: 0,
            };
        }
        let Parsed {
            mut chunk,
            used,
            lines,
            records,
        } = parsed;
        chunk.line_offset = self.line;
        if let Some(counter) = opts.records_read {
            counter.fetch_add(chunk.parsed.events.len() + chunk.skipped, Ordering::Relaxed);
        }
        self.pos += used;
        self.line += lines;
        self.records += records;
        (self.deliver)(chunk);
        (self.progress)(self.pos);
        last
    }
}

/// Splits and parses `b` on the cores in pieces of about `piece` bytes, handing each piece's
/// chunk to `deliver` in the order of the text and the bytes read so far to `progress`.
/// Returns the bytes used (less than the block only short of the end of the file), the next
/// line and the number of records.
pub(super) fn split_and_parse(
    b: &Block,
    opts: &LoadOptions,
    piece: usize,
    deliver: &mut dyn FnMut(Chunk),
    progress: &mut dyn FnMut(usize),
) -> (usize, u32, usize) {
    let count = b.text.len().div_ceil(piece.max(1)).max(1);
    let threads = worker_threads(opts.threads).min(count);
    let mut reading = Reading {
        pos: 0,
        line: b.line,
        records: 0,
        deliver,
        progress,
    };
    if threads <= 1 {
        // Piece by piece all the same, so that pages are handed back as the reading goes.
        for k in 0..count {
            let (from, to) = (reading.pos, b.cut(k + 1, count, piece));
            let parsed = b.parse(from, to, b.eof && to == b.text.len());
            if reading.take(b, (from, to), parsed, opts) {
                break;
            }
        }
        return (reading.pos, reading.line, reading.records);
    }
    let next = &AtomicUsize::new(0);
    // How many pieces have been taken in order; a core waits rather than run too far ahead.
    let taken = &(Mutex::new(0usize), Condvar::new());
    let set_taken = |n: usize| {
        *taken.0.lock().unwrap_or_else(PoisonError::into_inner) = n;
        taken.1.notify_all();
    };
    std::thread::scope(|scope| {
        let (results, received) = mpsc::channel::<(usize, (usize, usize), Parsed)>();
        for _ in 0..threads {
            let results = results.clone();
            scope.spawn(move || {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= count {
                        return;
                    }
                    let mut done = taken.0.lock().unwrap_or_else(PoisonError::into_inner);
                    while k >= *done + AHEAD {
                        done = taken.1.wait(done).unwrap_or_else(PoisonError::into_inner);
                    }
                    drop(done);
                    let (from, to) = (b.cut(k, count, piece), b.cut(k + 1, count, piece));
                    let parsed = b.parse(from, to, b.eof && to == b.text.len());
                    if results.send((k, (from, to), parsed)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(results);
        let mut held = BTreeMap::new();
        for k in 0..count {
            let parsed = loop {
                if let Some(p) = held.remove(&k) {
                    break Some(p);
                }
                match received.recv() {
                    Ok((i, span, p)) => {
                        held.insert(i, (span, p));
                    }
                    // A core panicked; the panic is raised when the scope ends.
                    Err(_) => break None,
                }
            };
            let Some((span, parsed)) = parsed else { break };
            if reading.take(b, span, parsed, opts) {
                break;
            }
            set_taken(k + 1);
        }
        // Nothing is left to wait for, even after a panic.
        set_taken(usize::MAX / 2);
    });
    (reading.pos, reading.line, reading.records)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything a reading hands on, in order.
    #[derive(Debug, PartialEq)]
    struct Reading {
        /// Each event's place in the file and time.
        events: Vec<(u64, u32)>,
        problems: Vec<String>,
        skipped: usize,
        used: usize,
        next_line: u32,
        records: usize,
    }

    fn read(
        text: &[u8],
        layout: Option<&CsvLayout>,
        eof: bool,
        piece: usize,
        threads: usize,
    ) -> Reading {
        read_limited(text, layout, eof, piece, threads, usize::MAX)
    }

    fn read_limited(
        text: &[u8],
        layout: Option<&CsvLayout>,
        eof: bool,
        piece: usize,
        threads: usize,
        max_record: usize,
    ) -> Reading {
        let block = Block {
            text,
            base: 1000,
            line: 3,
            eof,
            layout,
            file_no: 0,
            max_record,
            narrow: None,
        };
        let opts = LoadOptions {
            threads,
            ..LoadOptions::default()
        };
        let (mut events, mut problems, mut progress) = (Vec::new(), Vec::new(), Vec::new());
        let mut skipped = 0;
        let mut deliver = |c: Chunk| {
            events.extend(
                c.parsed
                    .events
                    .iter()
                    .map(|(e, _)| (e.place.offset(), e.time)),
            );
            // The file's report keeps this many, as one core's chunk does.
            for p in c.problems() {
                if problems.len() < super::super::MAX_PROBLEMS_KEPT {
                    problems.push(format!("{}: {}", p.location, p.reason));
                }
            }
            skipped += c.skipped;
        };
        let (used, next_line, records) =
            split_and_parse(&block, &opts, piece, &mut deliver, &mut |pos| {
                progress.push(pos)
            });
        assert!(progress.is_sorted(), "progress goes forward: {progress:?}");
        assert_eq!(
            progress.last(),
            Some(&used),
            "progress ends where the reading does"
        );
        Reading {
            events,
            problems,
            skipped,
            used,
            next_line,
            records,
        }
    }

    fn csv_layout(header: &[u8]) -> CsvLayout {
        let cells: Vec<String> = csv::fields(header).into_iter().map(csv::text).collect();
        CsvLayout::from_header(&cells).expect("a known header")
    }

    /// The fixture's rows after its header, and its layout.
    fn csv_body(fixture: &'static [u8]) -> (CsvLayout, Vec<u8>) {
        let header_end = memchr::memchr(b'\n', fixture).expect("a header line");
        let header = fixture[..header_end]
            .strip_suffix(b"\r")
            .unwrap_or(&fixture[..header_end]);
        (csv_layout(header), fixture[header_end + 1..].to_vec())
    }

    /// The texts below read in pieces of these sizes on two cores must give exactly what one
    /// core reading each text whole gives.
    const PIECES: [usize; 6] = [1, 16, 100, 700, 3000, 1 << 20];

    fn same_in_pieces(name: &str, text: &[u8], layout: Option<&CsvLayout>) {
        for eof in [true, false] {
            let whole = read(text, layout, eof, usize::MAX, 1);
            assert!(!whole.events.is_empty(), "{name}: the text has records");
            for piece in PIECES {
                assert_eq!(
                    read(text, layout, eof, piece, 2),
                    whole,
                    "{name} in pieces of {piece}, eof {eof}"
                );
            }
        }
    }

    #[test]
    fn json_lines_read_the_same_in_pieces() {
        let lines = include_str!("../../../../fixtures/formats/json-lines.jsonl");
        let mut text = String::new();
        for (i, line) in lines.lines().cycle().take(40).enumerate() {
            match i {
                7 => text.push_str("{\"broken\": \n"),
                12 => text.push_str("\r\n\n"),
                _ => {}
            }
            text.push_str(line);
            text.push_str(if i % 3 == 0 { "\r\n" } else { "\n" });
        }
        same_in_pieces("json lines", text.as_bytes(), None);
        // The last line cut short: whole at the end of the file, left over before it.
        let cut = &text.as_bytes()[..text.len() - 40];
        same_in_pieces("json lines cut short", cut, None);
        assert!(read(cut, None, false, 100, 2).used < cut.len());
    }

    #[test]
    fn csv_rows_with_line_breaks_in_cells_read_the_same_in_pieces() {
        for (name, fixture) in [
            (
                "sentinel",
                &include_bytes!("../../../../fixtures/formats/sentinel-csv.csv")[..],
            ),
            (
                "graph",
                &include_bytes!("../../../../fixtures/formats/graph-csv.csv")[..],
            ),
        ] {
            let (layout, body) = csv_body(fixture);
            let mut text = body.repeat(4);
            // A row that does not read, after the fourth body's first row.
            let rows = read(&text, Some(&layout), true, usize::MAX, 1).events;
            let at = (rows[rows.len() / 4 * 3 + 1].0 - 1000) as usize;
            text.splice(at..at, b"not,a,row\r\n".iter().copied());
            let whole = read(&text, Some(&layout), true, usize::MAX, 1);
            assert_eq!(whole.problems.len(), 1, "{name}: {:?}", whole.problems);
            // Some pieces must start inside a quoted cell, or no bet is ever lost here.
            let starts: Vec<u64> = whole.events.iter().map(|&(at, _)| at - 1000).collect();
            let count = text.len().div_ceil(100);
            let block = Block {
                text: &text,
                base: 0,
                line: 0,
                eof: true,
                layout: Some(&layout),
                file_no: 0,
                max_record: usize::MAX,
                narrow: None,
            };
            let lost = (1..count)
                .map(|k| block.cut(k, count, 100))
                .filter(|&c| c < text.len() && !starts.contains(&(c as u64)))
                .count();
            assert!(lost > 10, "{name}: {lost} bets lost in pieces of 100");
            same_in_pieces(name, &text, Some(&layout));
        }
    }

    #[test]
    fn a_stray_quote_reads_the_same_in_pieces() {
        // The stray quote pairs with the next cell's opening quote, and the rows after it are
        // cut in the wrong places: one core keeps what reads of them, line by line.
        let (layout, body) = csv_body(include_bytes!(
            "../../../../fixtures/formats/sentinel-csv.csv"
        ));
        let mut text = body.repeat(6);
        let rows = read(&text, Some(&layout), true, usize::MAX, 1).events;
        let at = (rows[rows.len() / 3].0 - 1000) as usize;
        text.splice(at..at, b"x,\"stray\r\n".iter().copied());
        same_in_pieces("stray quote", &text, Some(&layout));
    }

    #[test]
    fn a_record_past_the_limit_is_skipped_to_the_next_line() {
        // A quote that never closes, followed by 3 KB of lines without one: as the end of a
        // streamed block does with a record over 64 MB, the record is skipped up to its first
        // line break and the lines after it are read, however the text is cut and shared out.
        let (layout, body) = csv_body(include_bytes!(
            "../../../../fixtures/formats/sentinel-csv.csv"
        ));
        let mut text = body.repeat(3);
        text.extend_from_slice(b"x,\"stray\r\n");
        text.extend_from_slice(&b"no quote on this line\r\n".repeat(130));
        let limited =
            |piece, threads| read_limited(&text, Some(&layout), true, piece, threads, 2000);
        let reference = limited(100, 1);
        for (piece, threads) in [(16, 2), (100, 2), (700, 2), (16, 1), (700, 1)] {
            assert_eq!(
                limited(piece, threads),
                reference,
                "pieces of {piece}, {threads} cores"
            );
        }
        let too_long = "record larger than 2000 bytes; skipped";
        let skips = reference
            .problems
            .iter()
            .filter(|p| p.ends_with(too_long))
            .count();
        assert_eq!(skips, 1, "{:?}", reference.problems);
        // The 130 lines after it are rows of their own (that do not read).
        assert_eq!(reference.skipped, 131, "{:?}", reference.problems);
        let before = read(&body.repeat(3), Some(&layout), true, usize::MAX, 1);
        assert_eq!(reference.events, before.events);
    }
}
