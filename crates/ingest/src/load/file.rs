//! One file, streamed: memory-mapped when it is a plain file, otherwise decoded block by block
//! (gzip, BOM, UTF-16); its format recognised from the first block. A mapped JSON Lines or CSV
//! file is one block shared out between the cores in pieces (see `pieces`), its pages handed
//! back as the reading passes them; other input is split and parsed a block at a time. Either
//! way memory stays bounded by the block size, not the file size.

use super::csv::{self, Span};
use super::format::{CsvLayout, Format};
use super::parse::{BlockCtx, Chunk, parse_chunk, parse_parallel, worker_threads};
use super::pieces::{self, Block};
use super::{FileReport, LoadOptions, Merger, Problem, decode, split};
use crate::sources::{RawSource, SourceFile};
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes read per block.
const BLOCK: usize = 32 << 20;
/// A single record larger than this is skipped rather than buffered further.
pub const MAX_RECORD: usize = 64 << 20;
/// Audit (Standard) exports stop at this many rows without saying so.
const TRUNCATED_EXPORT_ROWS: usize = 50_000;

fn empty_report(path: &Path) -> FileReport {
    FileReport::empty(path)
}

/// Reads until `buf` holds `want` more bytes or the input ends; true at end of input.
/// (`read_to_end` fills spare capacity without zeroing it first.)
fn fill(input: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
    let n = input.take(want as u64).read_to_end(buf)?;
    Ok(n < want)
}

/// Reads the next blocks on another thread while this one parses, handing buffers back and
/// forth so no block costs a fresh allocation.
struct Prefetch {
    blocks: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    spent: std::sync::mpsc::Sender<Vec<u8>>,
    block: usize,
}

impl Prefetch {
    fn start(mut reader: Box<dyn Read + Send>, block: usize) -> Prefetch {
        let (send_block, blocks) = std::sync::mpsc::sync_channel(1);
        let (spent, recycled) = std::sync::mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || {
            loop {
                let mut chunk = recycled.try_recv().unwrap_or_default();
                chunk.clear();
                match fill(&mut *reader, &mut chunk, block) {
                    Ok(eof) => {
                        if send_block.send(Ok(chunk)).is_err() || eof {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = send_block.send(Err(e));
                        return;
                    }
                }
            }
        });
        Prefetch {
            blocks,
            spent,
            block,
        }
    }

    /// Appends the next block to `buf`; true at end of input.
    fn fill(&self, buf: &mut Vec<u8>) -> std::io::Result<bool> {
        match self.blocks.recv() {
            Ok(Ok(chunk)) => {
                let eof = chunk.len() < self.block;
                buf.extend_from_slice(&chunk);
                let _ = self.spent.send(chunk);
                Ok(eof)
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Ok(true),
        }
    }
}

/// How much of a file its encoding is told from: Windows-1252 shows only at its first byte
/// beyond ASCII, so more than the few KiB that tell UTF-16.
const ENCODING_SAMPLE: usize = 1 << 20;

/// The decoded input of a file, ready to stream.
struct Input {
    body: Body,
    encoding: decode::Encoding,
    gzip: bool,
    raw: RawSource,
    /// Why a gzip stream ended early, once it has (see [`CutShort`]).
    cut: Arc<std::sync::OnceLock<String>>,
    /// For a compressed file: how many of its bytes the decompression took in, and its size
    /// when it is a file, to tell how much of it lies after a cut.
    compressed: Option<(Arc<AtomicU64>, Option<u64>)>,
    /// How many times UTF-16 text that had lost a byte was realigned.
    realigned: usize,
    /// A saved query response, read as JSON Lines of its rows (see `query_response`).
    query_response: bool,
}

/// A saved query response turned into JSON Lines of its rows, kept in memory: the rows are
/// what the readers read, and what the detail view reads again.
fn query_input(text: &[u8], gzip: bool) -> std::io::Result<Input> {
    let (lines, _) = super::query_response::to_json_lines(text)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let text: Arc<[u8]> = lines.into();
    Ok(Input {
        body: Body::Stream(Box::new(Cursor::new(Arc::clone(&text)))),
        encoding: decode::Encoding::Utf8,
        gzip,
        raw: RawSource::Memory(text),
        cut: Arc::default(),
        compressed: None,
        realigned: 0,
        query_response: true,
    })
}

/// A decompressing reader that ends where its stream is cut or damaged instead of failing: a
/// gzip file cut short (an interrupted copy or download) still holds every record before the
/// cut, as `zcat` shows. Why it ended is kept for the file's report.
/// A reader that counts the bytes taken from it.
struct Counted<R> {
    inner: R,
    taken: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.taken.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

struct CutShort<R> {
    inner: R,
    cut: Arc<std::sync::OnceLock<String>>,
}

impl<R: Read> Read for CutShort<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.cut.get().is_some() {
            return Ok(0);
        }
        match self.inner.read(buf) {
            Err(e) if e.kind() != std::io::ErrorKind::Interrupted => {
                let _ = self.cut.set(e.to_string());
                Ok(0)
            }
            other => other,
        }
    }
}

enum Body {
    /// A plain UTF-8 file, memory-mapped: blocks are windows onto the page cache, never copied.
    /// The text starts after the BOM, at `skip`.
    Mapped { map: memmap2::Mmap, skip: usize },
    /// Anything else (gzip, UTF-16, pipes, files that cannot be mapped): read block by block.
    Stream(Box<dyn Read + Send>),
}

/// Maps a regular file for reading; anything else, or a failed map, is read instead. (A mapped
/// file that another program truncates faults on the next read past its new end: the
/// `fault` module turns that into a message and a restored terminal.)
fn map(file: &File) -> Option<memmap2::Mmap> {
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() == 0 {
        return None;
    }
    // SAFETY: the map is read-only and private to this process; exports are not rewritten
    // while an investigation reads them (the same trade ripgrep makes for large files).
    let map = unsafe { memmap2::Mmap::map(file) }.ok()?;
    let _ = map.advise(memmap2::Advice::Sequential);
    Some(map)
}

fn open(path: &Path) -> std::io::Result<Input> {
    let mut file = File::open(path)?;
    let size = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    let seekable = size.is_some();
    let mut head = Vec::with_capacity(2);
    (&mut file).take(2).read_to_end(&mut head)?;
    let gzip = head == [0x1f, 0x8b];
    if !gzip && let Some(map) = map(&file) {
        if super::query_response::looks_like(&map[..map.len().min(FIRST_WINDOW)]) {
            return query_input(&map, false);
        }
        let encoding = decode::encoding_of(&map[..map.len().min(ENCODING_SAMPLE)]);
        if !encoding.is_transcoded() {
            let skip = encoding.bom_len();
            return Ok(Input {
                body: Body::Mapped { map, skip },
                encoding,
                gzip,
                raw: RawSource::Disk { base: skip as u64 },
                cut: Arc::default(),
                compressed: None,
                realigned: 0,
                query_response: false,
            });
        }
    }
    // A pipe cannot seek back: the bytes already read go in front of the rest.
    let file = Cursor::new(head).chain(file);
    let cut = Arc::new(std::sync::OnceLock::new());
    let taken = Arc::new(AtomicU64::new(0));
    let compressed = gzip.then(|| (Arc::clone(&taken), size));
    let mut reader: Box<dyn Read + Send> = if gzip {
        // The decoder reads ahead through a buffer of its own, 32 KiB: where a stream breaks
        // is known to within that.
        let file = Counted { inner: file, taken };
        Box::new(CutShort {
            inner: MultiGzDecoder::new(file),
            cut: Arc::clone(&cut),
        })
    } else {
        Box::new(file)
    };
    let mut start = Vec::new();
    fill(&mut *reader, &mut start, ENCODING_SAMPLE)?;
    if super::query_response::looks_like(&start[..start.len().min(FIRST_WINDOW)]) {
        reader.read_to_end(&mut start)?;
        return query_input(&start, gzip);
    }
    let encoding = decode::encoding_of(&start);
    if encoding.is_transcoded() {
        // UTF-16 and Windows-1252 exports come from PowerShell (Out-File, Export-Csv) and are
        // small: transcode whole.
        reader.read_to_end(&mut start)?;
        let (text, encoding, realigned) = decode::to_utf8(start);
        let text: Arc<[u8]> = text.into();
        return Ok(Input {
            body: Body::Stream(Box::new(Cursor::new(Arc::clone(&text)))),
            encoding,
            gzip,
            raw: RawSource::Memory(text),
            cut,
            compressed,
            realigned,
            query_response: false,
        });
    }
    let skip = encoding.bom_len();
    let raw = if !seekable {
        RawSource::Pipe
    } else if gzip {
        RawSource::Gzip { skip: skip as u64 }
    } else {
        RawSource::Disk { base: skip as u64 }
    };
    start.drain(..skip);
    Ok(Input {
        body: Body::Stream(Box::new(Cursor::new(start).chain(reader))),
        encoding,
        gzip,
        raw,
        cut,
        compressed,
        realigned: 0,
        query_response: false,
    })
}

/// What a gzip stream that broke after `before` records cost: words for the report and the
/// records counted lost. The records after the break are estimated from the compressed bytes
/// left in the file, at the rate of those before it; a file that ends at the break (cut short
/// by an interrupted copy) holds none, and a pipe's length is not known.
fn gzip_cut_cost(
    before: usize,
    compressed: Option<&(Arc<AtomicU64>, Option<u64>)>,
) -> (String, usize) {
    /// The decoder's read-ahead: a break this close to the end is the end.
    const SLACK: u64 = 64 << 10;
    let Some((taken, Some(size))) = compressed else {
        return (
            "how many records came after it cannot be known (not a file)".into(),
            0,
        );
    };
    let taken = taken.load(Ordering::Relaxed).min(*size);
    let left = size - taken;
    if left <= SLACK || taken == 0 {
        return (
            "the file ends there (an interrupted copy or download): the records after the cut are not in it".into(),
            0,
        );
    }
    let lost = ((before as f64 * left as f64 / taken as f64).round() as usize).max(1);
    (
        format!(
            "about {lost} more records were in the {} KiB of the file after it, which cannot be decompressed",
            left >> 10
        ),
        lost,
    )
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

enum Shape {
    Csv(CsvLayout),
    /// `starts_inside`: the first line is not a record and the lines after it are (a cut or
    /// split file, or a title line).
    JsonLines {
        starts_inside: bool,
    },
    JsonDocument,
}

/// The least of a file the first window holds, and so all that the recognition of its
/// format may look at: the same bytes whatever the window size, so a file is read the same
/// way in small windows as whole.
const FIRST_WINDOW: usize = 4096;

/// True when one of the lines after the first, within the first [`FIRST_WINDOW`] bytes, is a
/// whole JSON object written at the start of its line, as JSON Lines records are (a
/// pretty-printed document indents its inner objects).
fn later_lines_are_records(text: &[u8]) -> bool {
    text[..text.len().min(FIRST_WINDOW)]
        .split(|&b| b == b'\n')
        .skip(1)
        .filter(|l| !l.trim_ascii().is_empty())
        .take(8)
        .any(|l| {
            l.first() == Some(&b'{')
                && serde_json::from_slice::<serde::de::IgnoredAny>(l.trim_ascii_end()).is_ok()
        })
}

/// The key that makes a JSON object a page of records (`{"value": [...]}`, or a
/// diagnostic-settings document's `{"records": [...]}`) rather than one.
#[derive(serde::Deserialize)]
struct PageKeys {
    #[serde(alias = "records")]
    value: Option<serde::de::IgnoredAny>,
}

/// Recognises the format from the first block. For CSV also returns where the header row
/// ends (after any `#TYPE` line) and the line the records start on.
fn sniff(text: &[u8]) -> Result<(Shape, usize, u32), String> {
    let first = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    // A first line that is cut (a `split -b` chunk), a comment or a stray title costs only
    // itself when the lines after it are JSON Lines records.
    let after_a_broken_line = |text| {
        later_lines_are_records(text).then_some((
            Shape::JsonLines {
                starts_inside: true,
            },
            0,
            1,
        ))
    };
    match text[first] {
        b'[' => Ok((Shape::JsonDocument, 0, 1)),
        b'{' => {
            let line_end = memchr::memchr(b'\n', &text[first..]).map_or(text.len(), |i| first + i);
            // A page of records saved on one line (the Graph API returns them compact) is a
            // document to unwrap, not a record.
            match serde_json::from_slice::<PageKeys>(&text[first..line_end]) {
                Ok(keys) if keys.value.is_none() => Ok((
                    Shape::JsonLines {
                        starts_inside: false,
                    },
                    0,
                    1,
                )),
                Ok(_) => Ok((Shape::JsonDocument, 0, 1)),
                Err(_) => Ok(after_a_broken_line(text).unwrap_or((Shape::JsonDocument, 0, 1))),
            }
        }
        // A CSV is told by its header; only a first line that is no header is passed over
        // for the JSON Lines after it.
        _ => csv_header(text).or_else(|why| after_a_broken_line(text).ok_or(why)),
    }
}

/// A CSV's layout from its header row (after any `#TYPE` line), where that row ends, and the
/// line the records start on.
fn csv_header(text: &[u8]) -> Result<(Shape, usize, u32), String> {
    // The header is one line: a stray quote in it must not swallow the rows below (nor make
    // the header depend on how much of the file the first block holds).
    let mut lines = text
        .split(|&b| b == b'\n')
        .scan(0usize, |start, line| {
            let span = Span {
                start: *start,
                end: *start + line.strip_suffix(b"\r").unwrap_or(line).len(),
                line: 0,
            };
            *start += line.len() + 1;
            Some(span)
        })
        .zip(1u32..)
        .map(|(span, line)| Span { line, ..span })
        .filter(|r| {
            let line = &text[r.start..r.end];
            !line.starts_with(b"#TYPE") && !line.iter().all(u8::is_ascii_whitespace)
        });
    let Some(header) = lines.next() else {
        return Err("neither JSON nor a CSV with a header row: not an audit export".into());
    };
    let cells: Vec<String> = csv::fields(&text[header.start..header.end])
        .into_iter()
        .map(|c| csv::text(c).trim_start_matches('\u{feff}').to_string())
        .collect();
    if cells.len() < 2 {
        return Err("neither JSON nor a CSV with a header row: not an audit export".into());
    }
    let layout = CsvLayout::from_header(&cells)?;
    let header_end =
        memchr::memchr(b'\n', &text[header.end..]).map_or(text.len(), |i| header.end + i + 1);
    Ok((Shape::Csv(layout), header_end, header.line + 1))
}

/// A file's text as a sliding window: what is not parsed yet plus the next block. A mapped file
/// slides over the map; a streamed one reads ahead on another thread into a buffer.
struct Feed<'m> {
    source: FeedSource<'m>,
    block: usize,
    eof: bool,
}

enum FeedSource<'m> {
    Mapped {
        map: &'m memmap2::Mmap,
        skip: usize,
        start: usize,
        end: usize,
        /// Pages of the map before this are handed back (see `release`).
        released: usize,
    },
    Stream {
        buf: Vec<u8>,
        reader: Option<Box<dyn Read + Send>>,
        prefetch: Option<Prefetch>,
    },
}

impl<'m> Feed<'m> {
    /// The first block of `body`.
    fn open(body: &'m mut Body, block: usize) -> std::io::Result<Feed<'m>> {
        Ok(match body {
            Body::Mapped { map, skip } => {
                let end = (map.len() - *skip).min(block);
                Feed {
                    source: FeedSource::Mapped {
                        map,
                        skip: *skip,
                        start: 0,
                        end,
                        released: 0,
                    },
                    block,
                    eof: end == map.len() - *skip,
                }
            }
            Body::Stream(reader) => {
                let mut reader = std::mem::replace(reader, Box::new(std::io::empty()));
                let mut buf = Vec::new();
                let eof = fill(&mut *reader, &mut buf, block)?;
                Feed {
                    source: FeedSource::Stream {
                        buf,
                        reader: Some(reader),
                        prefetch: None,
                    },
                    block,
                    eof,
                }
            }
        })
    }

    /// Widens a mapped feed's window to the rest of the file, whose records are then shared
    /// out between the cores piece by piece with no block boundary to wait at.
    fn widen_to_end(&mut self) {
        if let FeedSource::Mapped { map, skip, end, .. } = &mut self.source {
            *end = map.len() - *skip;
            self.eof = true;
        }
    }

    /// The map under a mapped feed and where the window starts in it.
    fn mapped(&self) -> Option<(&'m memmap2::Mmap, usize)> {
        match &self.source {
            FeedSource::Mapped {
                map, skip, start, ..
            } => Some((*map, skip + start)),
            FeedSource::Stream { .. } => None,
        }
    }

    fn window(&self) -> &[u8] {
        match &self.source {
            FeedSource::Mapped {
                map,
                skip,
                start,
                end,
                ..
            } => &map[skip + start..skip + end],
            FeedSource::Stream { buf, .. } => buf,
        }
    }

    /// Drops the first `used` bytes of the window.
    fn consume(&mut self, used: usize) {
        match &mut self.source {
            FeedSource::Mapped { start, .. } => *start += used,
            FeedSource::Stream { buf, .. } => {
                buf.drain(..used);
            }
        }
    }

    /// Adds the next block to the window.
    fn advance(&mut self) -> std::io::Result<()> {
        match &mut self.source {
            FeedSource::Mapped {
                map,
                skip,
                start,
                end,
                released,
            } => {
                release(map, released, *skip + *start);
                *end = (*end + self.block).min(map.len() - *skip);
                self.eof = *end == map.len() - *skip;
            }
            FeedSource::Stream {
                buf,
                reader,
                prefetch,
            } => {
                if let Some(r) = reader.take() {
                    *prefetch = Some(Prefetch::start(r, self.block));
                }
                if let Some(p) = prefetch {
                    self.eof = p.fill(buf)?;
                }
            }
        }
        Ok(())
    }
}

/// Hands the pages of `map` before `upto` back to the page cache, so a mapped file's resident
/// size stays about one block rather than growing to the whole file.
fn release(map: &memmap2::Mmap, released: &mut usize, upto: usize) {
    const PAGE: usize = 4096;
    let upto = upto / PAGE * PAGE;
    if upto > *released {
        // SAFETY: the map is read-only and backed by an unchanged file, so dropped pages read
        // back the same bytes if touched again; no slice of these pages is in use anyway.
        let _ = unsafe {
            map.unchecked_advise_range(
                memmap2::UncheckedAdvice::DontNeed,
                *released,
                upto - *released,
            )
        };
        *released = upto;
    }
}

/// The records of a window of a JSON document, split and parsed. Inside an array of objects the
/// window is first split the fast way ([`split::array_objects`]), which finds elements without
/// validating them; if that does not apply, or any element then fails to read, the window is
/// redone the careful way ([`split::json_elements_in`]), whose problems and numbering are the
/// reference. Either way the records are the same.
fn split_and_parse_doc(
    text: &[u8],
    base: u64,
    state: &mut split::DocState,
    eof: bool,
    file_no: u16,
    opts: &LoadOptions,
) -> (Vec<Chunk>, usize, Vec<split::Damage>) {
    let window = DocWindow {
        text,
        base,
        eof,
        file_no,
        opts,
    };
    let (chunks, used, damages) = window
        .read(state, true)
        .or_else(|| window.read(state, false))
        .expect("a careful read always answers");
    if let Some(counter) = opts.records_read {
        let records = chunks
            .iter()
            .map(|c| c.parsed.events.len() + c.skipped)
            .sum();
        counter.fetch_add(records, std::sync::atomic::Ordering::Relaxed);
    }
    (chunks, used, damages)
}

struct DocWindow<'a> {
    text: &'a [u8],
    base: u64,
    eof: bool,
    file_no: u16,
    opts: &'a LoadOptions<'a>,
}

impl DocWindow<'_> {
    /// Reads the window `fast` or carefully. Like [`split_and_parse`], the window is cut in two
    /// where an array element probably starts, the halves split and parsed on two cores, and
    /// the first half's split checks the guess; a wrong guess, or a problem in the second half
    /// (whose record numbers are not known yet), redoes the window on one splitter. A fast read
    /// gives up (`None`, `state` untouched) on anything it cannot vouch for; a careful one
    /// always answers.
    fn read(
        &self,
        state: &mut split::DocState,
        fast: bool,
    ) -> Option<(Vec<Chunk>, usize, Vec<split::Damage>)> {
        // The fast split reads only inside an array (the first window opens it carefully).
        if fast && !state.in_array {
            return None;
        }
        let (text, base, eof) = (self.text, self.base, self.eof);
        let split = |text: &[u8], state: &mut split::DocState, eof: bool| {
            if fast {
                split::array_objects(text, state, eof).map(|(spans, used)| (spans, used, vec![]))
            } else {
                Some(split::json_elements_in(text, state, eof))
            }
        };
        let ctx = |text, base| BlockCtx {
            text,
            base,
            numbered: true,
            layout: None,
            file_no: self.file_no,
            prefetch: &[],
            narrow: self.opts.narrow.as_ref(),
        };
        // A fast read is kept only if every record in it read.
        let kept =
            |chunks: Vec<Chunk>| (!fast || chunks.iter().all(|c| c.skipped == 0)).then_some(chunks);
        let threads = worker_threads(self.opts.threads);
        // At the start of the file the array is opened by the first half's split.
        let opens_array = text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
        let cut = (threads > 1 && (state.in_array || opens_array) && text.len() >= 1 << 20)
            .then(|| split::record_start_after(text, text.len() / 2))
            .flatten();
        if let Some(cut) = cut {
            let (first, second) = text.split_at(cut);
            let outcome = std::thread::scope(|scope| {
                let worker = scope.spawn(|| {
                    let mut theirs = split::DocState {
                        in_array: true,
                        ..split::DocState::default()
                    };
                    let chunk = match split(second, &mut theirs, eof) {
                        Some((spans, used, damages)) if damages.is_empty() => Some((
                            parse_chunk(&ctx(second, base + cut as u64), &spans, 0),
                            used,
                        )),
                        _ => None,
                    };
                    (chunk, theirs)
                });
                let mut mine = state.clone();
                let chunk = match split(first, &mut mine, false) {
                    Some((spans, used, damages))
                        if damages.is_empty()
                            && mine.lost.is_none()
                            && used == first.len()
                            && mine.in_array =>
                    {
                        let first_record = mine.records - spans.len();
                        Some(parse_chunk(&ctx(first, base), &spans, first_record))
                    }
                    _ => None,
                };
                let (theirs_chunk, theirs) = worker.join().expect("loader worker panicked");
                match (chunk, theirs_chunk) {
                    (Some(a), Some((mut b, theirs_used))) => {
                        b.line_offset = mine.line - 1;
                        b.record_offset = mine.records;
                        Some((a, b, mine, theirs, theirs_used))
                    }
                    _ => None,
                }
            });
            if let Some((a, b, mine, theirs, theirs_used)) = outcome {
                // (A fast read with a record that failed gives up here.)
                let chunks = kept(vec![a, b])?;
                *state = split::DocState {
                    in_array: theirs.in_array,
                    in_page: mine.in_page && theirs.in_array,
                    records: mine.records + theirs.records,
                    line: mine.line + theirs.line - 1,
                    offset: mine.offset + theirs.offset,
                    lost: theirs.lost,
                };
                return Some((chunks, cut + theirs_used, vec![]));
            }
        }
        let mut after = state.clone();
        let (spans, used, damages) = split(text, &mut after, eof)?;
        let first_record = after.records - spans.len();
        let chunks = kept(parse_parallel(
            &ctx(text, base),
            &spans,
            self.opts.threads,
            first_record,
        ))?;
        *state = after;
        Some((chunks, used, damages))
    }
}

/// Loads one file, handing its events to `merger`; returns its report and, when anything was
/// read, how to re-read its records later.
pub fn load_file(
    path: &Path,
    file_no: u16,
    opts: &LoadOptions,
    merger: &Merger,
) -> (FileReport, Option<SourceFile>) {
    let mut report = empty_report(path);
    let mut input = match open(path) {
        Ok(i) => i,
        Err(e) => {
            report.error = Some(format!("cannot read: {e}"));
            return (report, None);
        }
    };
    report.encoding = input.encoding.name();
    report.gzip = input.gzip;
    if input.realigned > 0 {
        report.warnings.push(format!(
            "the UTF-16 text had lost {} byte(s) (a damaged or badly joined copy): it was \
             realigned where it went out of step, and the record at each such place is lost",
            input.realigned
        ));
    }
    if input.encoding == decode::Encoding::Windows1252 {
        report.warnings.push(
            "not UTF-8: read as Windows-1252, as PowerShell 5.1's Export-Csv -Encoding Default \
             writes it (no character beyond ASCII in it reads as UTF-8)"
                .into(),
        );
    }
    let block_size = if opts.block_size == 0 {
        BLOCK
    } else {
        opts.block_size
    };
    let mut feed = match Feed::open(&mut input.body, block_size.max(FIRST_WINDOW)) {
        Ok(feed) => feed,
        Err(e) => {
            report.error = Some(format!("cannot read: {e}"));
            return (report, None);
        }
    };
    if let Some(why) = not_text(feed.window()) {
        report.error = Some(why);
        return (report, None);
    }
    let (shape, header_end, first_line) = match sniff(feed.window()) {
        Ok(s) => s,
        Err(e) => {
            report.error = Some(e);
            return (report, None);
        }
    };
    let starts_inside = matches!(
        shape,
        Shape::JsonLines {
            starts_inside: true
        }
    );
    let (format, layout) = match shape {
        Shape::Csv(layout) => (layout.format, Some(layout)),
        Shape::JsonLines { .. } => (Format::JsonLines, None),
        Shape::JsonDocument => (Format::Json, None),
    };
    report.format = if input.query_response {
        "query-response"
    } else {
        format.name()
    };
    if matches!(format, Format::MailboxAuditLogCsv | Format::SentinelCsv) {
        report.warnings.push(
            "times come from the export's own date column (no AuditData CreationTime); read as UTC"
                .into(),
        );
    }
    let absorb_one = |report: &mut FileReport, c: Chunk| {
        // Chunks come in file order: once one record was skipped, every record read after
        // it is recovered; in the chunk with the first damage, those after its first problem.
        let read = c.parsed.events.len();
        report.recovered += match (report.skipped > 0, c.first_problem()) {
            (true, _) => read,
            (false, Some(at)) => read.saturating_sub(at),
            (false, None) => 0,
        };
        report.records += c.parsed.events.len();
        report.skipped += c.skipped;
        for p in c.problems() {
            if report.problems.len() < super::MAX_PROBLEMS_KEPT {
                report.problems.push(p);
            }
        }
        merger.send(c.parsed);
    };
    let absorb = |report: &mut FileReport, chunks: Vec<Chunk>| {
        for c in chunks {
            absorb_one(report, c);
        }
    };

    if format == Format::Json {
        // A window at a time, like the other formats: memory stays about one block, and each
        // window's records are parsed on every core while they are still in cache.
        let mut state = split::DocState::default();
        let mut base = 0u64;
        loop {
            let buf = feed.window();
            let eof = feed.eof;
            let (chunks, used, damages) =
                split_and_parse_doc(buf, base, &mut state, eof, file_no, opts);
            let (skipped_before, recovered_before) = (report.skipped, report.recovered);
            let read: usize = chunks.iter().map(|c| c.parsed.events.len()).sum();
            // The records' own problems and the damaged stretches between them, in the
            // order of the file, however the windows fell.
            let mut problems: Vec<(usize, Problem)> =
                chunks.iter().flat_map(|c| c.numbered_problems()).collect();
            problems.extend(damages.iter().map(|d| (d.found_before, d.problem.clone())));
            problems.sort_by_key(|p| p.0);
            let kept_before = report.problems.len();
            absorb(&mut report, chunks);
            report.problems.truncate(kept_before);
            for (_, p) in problems {
                if report.problems.len() < super::MAX_PROBLEMS_KEPT {
                    report.problems.push(p);
                }
            }
            if skipped_before == 0
                && let Some(first) = damages.first()
            {
                // Every record found after the first damage was recovered from beyond it.
                let after = (state.records - first.found_before).min(read);
                report.recovered = report.recovered.max(recovered_before + after);
            }
            report.skipped += damages.iter().map(|d| d.records).sum::<usize>();
            if used == 0 && buf.len() >= MAX_RECORD && !eof && state.lost.is_none() {
                // One value larger than any real record: what follows cannot be found
                // without reading it whole.
                report.skipped += 1;
                report.problems.push(Problem {
                    location: format!("record {} (line {})", state.records + 1, state.line),
                    reason: super::parse::oversized(
                        buf,
                        MAX_RECORD,
                        "the rest of the file was not read",
                    ),
                });
                break;
            }
            if eof && buf[used..].iter().any(|b| !b.is_ascii_whitespace()) {
                // Never silently: whatever the reading left at the end is named.
                report.skipped += 1;
                report.problems.push(Problem {
                    location: format!("record {} (line {})", state.records + 1, state.line),
                    reason: "the end of the file could not be read".into(),
                });
            }
            feed.consume(used);
            base += used as u64;
            if let Some(b) = opts.bytes_read {
                b.fetch_add(used as u64, std::sync::atomic::Ordering::Relaxed);
            }
            if eof {
                break;
            }
            if let Err(e) = feed.advance() {
                report.problems.push(Problem {
                    location: format!("record {} (line {})", state.records + 1, state.line),
                    reason: format!("read error, the rest of the file was not read: {e}"),
                });
                break;
            }
        }
    } else {
        let mut base = header_end as u64;
        feed.consume(header_end);
        feed.widen_to_end();
        // With the default block, 4 MiB pieces of a streamed block (the cores finish within a
        // piece of each other at each block's end) and 8 MiB of a mapped file, read as one block
        // (per-piece work, an interner merged and pages mapped and handed back, was 2% of the
        // time at 4 MiB; 16 MiB saved 1% more for 25 MB more memory).
        let piece = if feed.mapped().is_some() {
            feed.block / 4
        } else {
            feed.block / 8
        };
        let mut line = first_line;
        let mut rows = 0usize;
        let mut released = 0;
        loop {
            let buf = feed.window();
            let eof = feed.eof;
            let block = Block {
                text: buf,
                base,
                line,
                eof,
                layout: layout.as_ref(),
                file_no,
                max_record: MAX_RECORD,
                narrow: opts.narrow.as_ref(),
            };
            let map = feed.mapped();
            let mut reported = 0;
            let mut progress = |pos: usize| {
                if let Some(b) = opts.bytes_read {
                    b.fetch_add(
                        (pos - reported) as u64,
                        std::sync::atomic::Ordering::Relaxed,
                    );
                }
                reported = pos;
                if let Some((map, start)) = map {
                    release(map, &mut released, start + pos);
                }
            };
            let mut deliver = |c: Chunk| absorb_one(&mut report, c);
            let (mut used, mut next_line, n) =
                pieces::split_and_parse(&block, opts, piece, &mut deliver, &mut progress);
            rows += n;
            if used == 0 && buf.len() >= MAX_RECORD && !eof {
                // One record larger than any real one: skip it up to the next line break.
                let cut = memchr::memchr(b'\n', buf).map_or(buf.len(), |i| i + 1);
                report.skipped += 1;
                report.problems.push(Problem {
                    location: format!("line {line}"),
                    reason: super::parse::oversized(buf, MAX_RECORD, "skipped"),
                });
                used = cut;
                next_line = line + 1;
            }
            feed.consume(used);
            base += used as u64;
            if let Some(b) = opts.bytes_read {
                b.fetch_add(
                    (used - reported) as u64,
                    std::sync::atomic::Ordering::Relaxed,
                );
            }
            line = next_line;
            if eof {
                break;
            }
            match feed.advance() {
                Ok(()) => {}
                Err(e) => {
                    report.problems.push(Problem {
                        location: format!("line {line}"),
                        reason: format!("read error, the rest of the file was not read: {e}"),
                    });
                    break;
                }
            }
        }
        if layout.is_some() && rows == TRUNCATED_EXPORT_ROWS {
            report.warnings.push(format!(
                "exactly {TRUNCATED_EXPORT_ROWS} rows: the export was probably truncated at the \
                 portal's limit; split the search into smaller time windows"
            ));
        }
    }
    if starts_inside && let Some(p) = report.problems.iter_mut().find(|p| p.location == "line 1") {
        p.reason = format!(
            "not a whole record: the file starts inside one (a cut or split file) or with a title ({})",
            p.reason
        );
    }
    if let Some(why) = input.cut.get() {
        let before = report.records + report.skipped;
        let (after, lost) = gzip_cut_cost(before, input.compressed.as_ref());
        report.skipped += lost;
        report.problems.push(Problem {
            location: format!("after record {before}"),
            reason: format!(
                "the gzip stream is cut or damaged ({why}): every whole record before it was read; {after}"
            ),
        });
    }
    if report.records == 0 && report.error.is_none() {
        report.error = Some(if report.skipped > 0 {
            format!("none of its {} records could be read", report.skipped)
        } else {
            "no audit records in it".into()
        });
    }
    let source = SourceFile {
        path: path.to_path_buf(),
        layout,
        raw: input.raw,
    };
    (report, Some(source))
}
