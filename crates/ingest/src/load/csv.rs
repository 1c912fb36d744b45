//! RFC 4180 splitting tuned for audit exports: rows are found with memchr (quotes and newlines
//! only), fields are split lazily, and doubled quotes are undone only in the cells that are read.

use memchr::memchr;
use std::borrow::Cow;

/// One row: its byte range (without the line break) and the line it starts on (1-based).
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub line: u32,
}

#[cfg(any(test, feature = "internals"))]
/// Splits `buf` into rows, honouring line breaks inside quoted cells. Blank rows are dropped.
/// At end of file the last row may be unterminated (or end inside an open quote).
pub fn rows(buf: &[u8], first_line: u32) -> Vec<Span> {
    rows_in_block(buf, first_line, true).0
}

/// The complete rows of a block of a larger file. Unless `eof`, an incomplete last row is left
/// for the next block. Returns the rows, the bytes they consumed, and the line the rest starts on.
///
/// Rows end at line breaks outside quotes. Rather than stopping at every quote (an AuditData
/// cell has hundreds of doubled quotes), each line's quotes are counted in one vectorised pass
/// and only their parity is kept.
pub fn rows_in_block(buf: &[u8], first_line: u32, eof: bool) -> (Vec<Span>, usize, u32) {
    let mut out = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    let mut segment = 0;
    let mut line = first_line;
    let mut start_line = first_line;
    while let Some(i) = memchr::memchr(b'\n', &buf[segment..]) {
        let nl = segment + i;
        if count_quotes(&buf[segment..nl]) % 2 == 1 {
            in_quotes = !in_quotes;
        }
        segment = nl + 1;
        line += 1;
        if in_quotes {
            if nl - start > MAX_QUOTED_SPAN {
                // A quote that never closes (a stray `"`) would swallow the rest of the file:
                // end the row at its first line break and read on from the next line.
                let first_nl = start + memchr::memchr(b'\n', &buf[start..]).unwrap_or(0);
                push_row(&mut out, buf, start, first_nl, start_line);
                start = first_nl + 1;
                segment = start;
                start_line += 1;
                line = start_line;
                in_quotes = false;
            }
            continue;
        }
        push_row(&mut out, buf, start, nl, start_line);
        start = nl + 1;
        start_line = line;
    }
    if eof && start < buf.len() {
        push_row(&mut out, buf, start, buf.len(), start_line);
        start = buf.len();
    }
    (out, start, start_line)
}

/// The longest span a quoted cell may keep open across line breaks before its opening quote
/// is taken for a stray one. Real multi-line cells (pretty-printed JSON in Sentinel and Graph
/// exports) are far shorter.
pub const MAX_QUOTED_SPAN: usize = 4 << 20;

/// The lines of a row that held line breaks, for re-reading a broken multi-line row line by line.
pub fn lines_of(span: Span, buf: &[u8]) -> Vec<Span> {
    let mut out = Vec::new();
    let mut start = span.start;
    let mut line = span.line;
    for i in memchr::memchr_iter(b'\n', &buf[span.start..span.end]) {
        push_row(&mut out, buf, start, span.start + i, line);
        start = span.start + i + 1;
        line += 1;
    }
    push_row(&mut out, buf, start, span.end, line);
    out
}

/// Counted in 64-byte chunks with a byte-wide sum, a shape the compiler turns into vector
/// compares (a plain `filter().count()` widens every match to a usize and runs 4x slower).
fn count_quotes(bytes: &[u8]) -> usize {
    let mut chunks = bytes.chunks_exact(64);
    let mut total = 0usize;
    for chunk in &mut chunks {
        let n: u8 = chunk.iter().map(|&b| u8::from(b == b'"')).sum();
        total += usize::from(n);
    }
    total + chunks.remainder().iter().filter(|&&b| b == b'"').count()
}

fn push_row(out: &mut Vec<Span>, buf: &[u8], start: usize, mut end: usize, line: u32) {
    if end > start && buf[end - 1] == b'\r' {
        end -= 1;
    }
    if buf[start..end].iter().all(|b| b.is_ascii_whitespace()) {
        return;
    }
    out.push(Span { start, end, line });
}

/// Splits one row into raw cells (still quoted).
pub fn fields(row: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(12);
    let mut i = 0;
    let mut field_start = 0;
    while i <= row.len() {
        if i < row.len() && row[i] == b'"' {
            // Skip to the closing quote; doubled quotes are two toggles.
            let mut j = i + 1;
            loop {
                match memchr(b'"', &row[j..]) {
                    Some(k) if row.get(j + k + 1) == Some(&b'"') => j += k + 2,
                    Some(k) => {
                        j += k + 1;
                        break;
                    }
                    None => {
                        j = row.len();
                        break;
                    }
                }
            }
            i = j;
            continue;
        }
        if i == row.len() || row[i] == b',' {
            out.push(&row[field_start..i]);
            field_start = i + 1;
        }
        i += 1;
    }
    out
}

/// The cell's text: surrounding quotes removed and doubled quotes undone. Borrowed when the
/// cell needs no change.
pub fn unquote(cell: &[u8]) -> Cow<'_, [u8]> {
    let trimmed = cell.strip_suffix(b"\r").unwrap_or(cell);
    let Some(inner) = trimmed.strip_prefix(b"\"") else {
        return Cow::Borrowed(trimmed);
    };
    let inner = inner.strip_suffix(b"\"").unwrap_or(inner);
    if memchr(b'"', inner).is_none() {
        return Cow::Borrowed(inner);
    }
    Cow::Owned(undouble(inner))
}

#[cfg(any(test, feature = "internals"))]
/// The JSON text of a quoted cell that holds JSON (AuditData), cheaper than [`unquote`]: the
/// doubled quotes are not removed but one of each pair becomes a space, on the side where JSON
/// allows whitespace (`""Id"":""x""` reads ` "Id" : "x" `). Same length, so no bytes move;
/// only the quotes are visited. Falls back to [`unquote`] where blanking cannot work: a quote
/// that is not doubled, or a doubled quote escaped inside a JSON string (`\""`).
pub fn unquote_json(cell: &[u8]) -> Cow<'_, [u8]> {
    match json_cell(cell) {
        JsonCell::Plain(text) => Cow::Borrowed(text),
        JsonCell::Doubled(inner) => Cow::Owned(undouble_json(inner)),
    }
}

/// What a cell that holds JSON holds.
pub enum JsonCell<'a> {
    /// An unquoted cell: its text as it is.
    Plain(&'a [u8]),
    /// A quoted cell's text between its quotes, every quote in it still doubled.
    Doubled(&'a [u8]),
}

/// A JSON-holding cell (line break and outer quotes included) told apart, nothing copied.
pub fn json_cell(cell: &[u8]) -> JsonCell<'_> {
    let trimmed = cell.strip_suffix(b"\r").unwrap_or(cell);
    match trimmed.strip_prefix(b"\"") {
        Some(inner) => JsonCell::Doubled(inner.strip_suffix(b"\"").unwrap_or(inner)),
        None => JsonCell::Plain(trimmed),
    }
}

/// The JSON of a quoted cell's inner text (see [`unquote_json`]).
pub fn undouble_json(inner: &[u8]) -> Vec<u8> {
    blank_doubled_quotes(inner).unwrap_or_else(|| undouble(inner))
}

/// `inner` with one quote of each pair blanked (see [`unquote_json`]); `None` where that cannot
/// be done. Works on 64 bytes at a time with bit masks, not quote by quote: the pairs and their
/// blank quotes are found by the token index's own arithmetic ([`super::scan::DoubledQuotes`]),
/// so the copy and the index that reads cells in place cannot disagree.
pub(super) fn blank_doubled_quotes(inner: &[u8]) -> Option<Vec<u8>> {
    use super::scan::{DoubledQuotes, byte_masks};
    let mut out = inner.to_vec();
    let mut doubled = DoubledQuotes::default();
    for (c, chunk) in inner.chunks(64).enumerate() {
        let [quotes, backslashes] = byte_masks(chunk, [b'"', b'\\']);
        let mut blanks = doubled.blanks(quotes, backslashes)?;
        while blanks != 0 {
            out[c * 64 + blanks.trailing_zeros() as usize] = b' ';
            blanks &= blanks - 1;
        }
    }
    doubled.all_paired().then_some(out)
}

/// `count` cells built from `good` pieces and, one piece in `rarity`, a `bad` one, each of up to
/// 100 pieces, from a fixed seed: for tests of doubled-quote handling across 64-byte chunks.
#[cfg(test)]
pub(super) fn cells_from_pieces(
    good: &[&[u8]],
    bad: &[&[u8]],
    rarity: usize,
    count: usize,
) -> Vec<Vec<u8>> {
    let mut seed = 11u32;
    let mut next = || {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        seed
    };
    (0..count)
        .map(|_| {
            (0..next() % 100)
                .flat_map(|_| {
                    let pick = (next() >> 16) as usize;
                    if pick.is_multiple_of(rarity) {
                        bad[pick / rarity % bad.len()]
                    } else {
                        good[pick % good.len()]
                    }
                })
                .copied()
                .collect()
        })
        .collect()
}

#[cfg(test)]
fn blank_doubled_quotes_slowly(inner: &[u8]) -> Option<Vec<u8>> {
    let mut out = inner.to_vec();
    // The first quote of a possible pair, and whether the next pair closes a string.
    let mut open: Option<usize> = None;
    let mut in_string = false;
    for (c, chunk) in inner.chunks(64).enumerate() {
        let mut quotes = super::scan::quote_mask(chunk);
        while quotes != 0 {
            let p = c * 64 + quotes.trailing_zeros() as usize;
            quotes &= quotes - 1;
            match open {
                Some(first) if first + 1 == p => {
                    if first > 0 && inner[first - 1] == b'\\' {
                        return None;
                    }
                    out[if in_string { p } else { first }] = b' ';
                    in_string = !in_string;
                    open = None;
                }
                Some(_) => return None,
                None => open = Some(p),
            }
        }
    }
    open.is_none().then_some(out)
}

/// Undoes doubled quotes. AuditData has one every few bytes, so a byte loop, or memchr and a
/// copy per quote, spends its time per byte or per call. Instead each 64-byte chunk's quotes
/// become a bit mask (vector compares), the loop visits only the quotes, and the runs between
/// dropped quotes are copied 16 bytes at a time into a buffer with slack.
fn undouble(inner: &[u8]) -> Vec<u8> {
    const SLACK: usize = 16;
    let mut out = vec![0u8; inner.len() + SLACK];
    let mut n = 0;
    // Where the run of bytes still to copy starts, and the position of a quote that must be
    // dropped because the quote before it was kept.
    let mut run = 0;
    let mut drop_at = usize::MAX;
    let copy = |out: &mut [u8], n: &mut usize, from: usize, to: usize| {
        let mut at = from;
        while at < to {
            let len = (to - at).min(SLACK);
            match inner.get(at..at + SLACK) {
                Some(src) => out[*n..*n + SLACK].copy_from_slice(src),
                None => out[*n..*n + len].copy_from_slice(&inner[at..at + len]),
            }
            *n += len;
            at += len;
        }
    };
    for (c, chunk) in inner.chunks(64).enumerate() {
        let mut quotes = super::scan::quote_mask(chunk);
        while quotes != 0 {
            let p = c * 64 + quotes.trailing_zeros() as usize;
            quotes &= quotes - 1;
            if p == drop_at {
                copy(&mut out, &mut n, run, p);
                run = p + 1;
                drop_at = usize::MAX;
            } else {
                drop_at = p + 1;
            }
        }
    }
    copy(&mut out, &mut n, run, inner.len());
    out.truncate(n);
    out
}

/// The byte range of cell `col` of `row`, given that the row has `columns` cells, found
/// without walking through the long cell: the cells before it from the left, the ones after it
/// from the right. `None` when a cell after it is not simple (then split the whole row).
pub fn cell_range(row: &[u8], col: usize, columns: usize) -> Option<(usize, usize)> {
    // From the left: the start of cell `col`.
    let mut start = 0;
    for _ in 0..col {
        start = if row.get(start) == Some(&b'"') {
            let mut j = start + 1;
            loop {
                let k = memchr(b'"', &row[j..])?;
                if row.get(j + k + 1) == Some(&b'"') {
                    j += k + 2;
                } else {
                    j += k + 1;
                    break;
                }
            }
            if row.get(j) != Some(&b',') {
                return None;
            }
            j + 1
        } else {
            start + memchr(b',', &row[start..])? + 1
        };
    }
    // From the right: the end of cell `col`, past the cells after it.
    let mut end = row.len();
    if end > 0 && row[end - 1] == b'\r' {
        end -= 1;
    }
    for _ in col + 1..columns {
        if end < start {
            return None;
        }
        if end > start && row[end - 1] == b'"' {
            let q = memchr::memrchr(b'"', &row[start..end - 1])? + start;
            if q <= start || row[q - 1] != b',' {
                return None;
            }
            end = q - 1;
        } else {
            let c = memchr::memrchr(b',', &row[start..end])? + start;
            if memchr(b'"', &row[c + 1..end]).is_some() {
                return None;
            }
            end = c;
        }
    }
    (start <= end).then_some((start, end))
}

/// The cell as UTF-8 text, unquoted and trimmed; invalid UTF-8 is replaced, not fatal.
pub fn text(cell: &[u8]) -> String {
    String::from_utf8_lossy(&unquote(cell)).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_newlines_inside_quotes() {
        let buf = b"a,b\r\n1,\"x\r\ny\"\r\n\r\n2,\"z\"\"q\"\n3,w";
        let r = rows(buf, 1);
        let texts: Vec<&[u8]> = r.iter().map(|s| &buf[s.start..s.end]).collect();
        assert_eq!(
            texts,
            vec![&b"a,b"[..], b"1,\"x\r\ny\"", b"2,\"z\"\"q\"", b"3,w"]
        );
        assert_eq!(
            r.iter().map(|s| s.line).collect::<Vec<_>>(),
            vec![1, 2, 5, 6]
        );
    }

    #[test]
    fn cell_range_finds_the_long_cell_from_both_ends() {
        let row = b"id,\"d, t\",1,\"{\"\"a\"\":\"\"x,y\"\"}\",,\"last\"\r";
        let (s, e) = cell_range(row, 3, 6).unwrap();
        assert_eq!(&*unquote(&row[s..e]), b"{\"a\":\"x,y\"}");
        assert_eq!(
            cell_range(row, 4, 6).map(|(s, e)| &row[s..e]),
            Some(&b""[..])
        );
        // A quoted cell with doubled quotes after the wanted one: split the whole row instead.
        assert_eq!(cell_range(row, 0, 6), None);
        // A trailing cell with quotes inside is not simple.
        assert_eq!(cell_range(b"a,b,\"x\"\"y\"", 1, 3), None);
        // Found by the fuzzer: the closing quote of a trailing cell right at the start.
        assert_eq!(cell_range(b"a,\",x\"", 1, 3), None);
        assert_eq!(cell_range(b"a,\"", 1, 3), None);
        assert_eq!(&*unquote(b"\"a\"\"\"\"b\""), b"a\"\"b");
    }

    /// Blanking one quote of each pair must read as the same JSON as removing it, and must
    /// give up (falling back to removal) wherever it cannot be the same.
    #[test]
    fn blanked_json_reads_like_undoubled_json() {
        // (cell content, whether it is well-formed JSON once undoubled)
        let cases: [(&[u8], bool); 8] = [
            (
                br#"{""Id"":""x"",""N"":1,""E"":"""",""L"":[""a"",""b""],""O"":{""k"":""v""}}"#,
                true,
            ),
            (br#"{""S"":""say \""hi\"""",""T"":""t""}"#, true),
            (br#"{""S"":""back\\"",""T"":""t""}"#, true),
            (br#"{""Id"":""x"""#, false),
            (br#"{""Id"":"x""}"#, true),
            (b"{}", true),
            (br#""""#, false),
            (r#"{""A"":""é ü"",""B"":""a,b""}"#.as_bytes(), true),
        ];
        let read = |inner: &[u8]| {
            let cell = [&b"\""[..], inner, b"\""].concat();
            let blanked = serde_json::from_slice::<serde_json::Value>(&unquote_json(&cell)).ok();
            let removed = serde_json::from_slice::<serde_json::Value>(&unquote(&cell)).ok();
            assert_eq!(blanked, removed, "{}", String::from_utf8_lossy(inner));
            blanked
        };
        for (inner, well_formed) in cases {
            assert_eq!(
                read(inner).is_some(),
                well_formed,
                "{}",
                String::from_utf8_lossy(inner)
            );
            // Behind a padding field of every length across a chunk, the pairs fall on every
            // offset of a 64-byte chunk, and a pair may straddle two chunks.
            if inner.first() == Some(&b'{') && inner.len() > 2 {
                for pad in 40..110 {
                    let long = [
                        &br#"{""pad"":"""#[..],
                        &b"x".repeat(pad),
                        b"\"\", ",
                        &inner[1..],
                    ]
                    .concat();
                    assert_eq!(
                        read(&long).is_some(),
                        well_formed,
                        "{}",
                        String::from_utf8_lossy(&long)
                    );
                }
            }
        }
        // The escaped and the lone quote take the removal path.
        assert!(blank_doubled_quotes(br#"{""S"":""a\""b""}"#).is_none());
        assert!(blank_doubled_quotes(br#"{""S"":"a""}"#).is_none());
    }

    /// The quote-mask undoubling against the obvious byte loop, on pairs across 64-byte
    /// chunks, lone quotes, runs of quotes and non-ASCII bytes.
    #[test]
    fn undouble_matches_a_byte_loop() {
        fn slow(inner: &[u8]) -> Vec<u8> {
            let mut out = Vec::new();
            let mut i = 0;
            while i < inner.len() {
                out.push(inner[i]);
                i += if inner[i] == b'"' && inner.get(i + 1) == Some(&b'"') {
                    2
                } else {
                    1
                };
            }
            out
        }
        let pieces: [&[u8]; 7] = [
            b"\"\"",
            b"\"",
            b"abc",
            b"\xc3\xa9",
            b"x",
            b"{\"\"Id\"\":",
            b"\"\"\"\"\"",
        ];
        let mut seed = 7u32;
        for _ in 0..2000 {
            let mut s = Vec::new();
            for _ in 0..(seed % 23) {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                s.extend_from_slice(pieces[(seed >> 16) as usize % pieces.len()]);
            }
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            assert_eq!(undouble(&s), slow(&s), "{:?}", String::from_utf8_lossy(&s));
        }
    }

    /// The mask blanking against the quote-by-quote loop it replaced, on cells built from
    /// pairs, lone quotes, runs of quotes, backslashes and letters, across 64-byte chunks.
    #[test]
    fn blanking_by_masks_matches_blanking_quote_by_quote() {
        // Pieces that keep a cell blankable, and (drawn rarely) pieces that do not.
        let good: [&[u8]; 6] = [b"\"\"", b"\"\"\"\"", b"abc", b":", b"\\x", b"\xc3\xa9"];
        let bad: [&[u8]; 4] = [b"\"", b"\\\"\"", b"\"\"\"", b"\\"];
        let (mut blanked, mut declined) = (0, 0);
        for s in cells_from_pieces(&good, &bad, 150, 20_000) {
            let fast = blank_doubled_quotes(&s);
            assert_eq!(
                fast,
                blank_doubled_quotes_slowly(&s),
                "{:?}",
                String::from_utf8_lossy(&s)
            );
            if s.len() > 64 {
                blanked += usize::from(fast.is_some());
                declined += usize::from(fast.is_none());
            }
        }
        // Both outcomes are exercised on cells longer than a chunk.
        assert!(blanked > 1000 && declined > 1000, "{blanked} {declined}");
    }

    #[test]
    fn fields_and_unquote() {
        let row = b"id,\"{\"\"a\"\":\"\"b,c\"\"}\",,last";
        let f = fields(row);
        assert_eq!(f.len(), 4);
        assert_eq!(&*unquote(f[1]), b"{\"a\":\"b,c\"}");
        assert_eq!(&*unquote(f[2]), b"");
        assert_eq!(text(f[3]), "last");
    }
}
