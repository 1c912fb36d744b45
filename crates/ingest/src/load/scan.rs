//! Structural scan of one JSON record, 64 bytes at a time (the first stage of simdjson).
//!
//! Each block is classified with vector compares into bit masks: quotes, backslashes,
//! structural characters and control characters. Which quotes are escaped and which bytes lie
//! inside strings then follow from a few integer operations per block, not per byte. What is
//! left for the reader is a short stream of *token* positions: every unescaped quote, every
//! backslash that starts an escape, and every `{ } [ ] : ,` outside strings. Bytes between tokens
//! (whitespace, numbers, `true`) are the reader's to check.

const BLOCK: usize = 64;

/// Bit `i` of each mask describes byte `i` of a block.
#[derive(Default, Debug, PartialEq, Eq)]
struct Masks {
    quote: u64,
    backslash: u64,
    /// `{ } [ ] : ,`
    structural: u64,
    /// Bytes 0x00-0x1F, which JSON forbids inside strings.
    control: u64,
    /// Bytes 0x80-0xFF: the text is not all ASCII.
    high: u64,
}

#[cfg(target_arch = "x86_64")]
fn avx2_available() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("bmi1")
        && std::arch::is_x86_feature_detected!("popcnt")
        && std::arch::is_x86_feature_detected!("pclmulqdq")
}

#[cfg(not(target_arch = "x86_64"))]
#[cfg_attr(not(test), allow(dead_code))]
fn avx2_available() -> bool {
    false
}

/// `avx2`: what [`avx2_available`] said.
#[cfg(target_arch = "x86_64")]
#[inline]
fn classify(block: &[u8; BLOCK], avx2: bool) -> Masks {
    if avx2 {
        // SAFETY: the caller has seen the CPU support AVX2.
        unsafe { avx2::classify(block) }
    } else {
        // SAFETY: SSE2 is part of every x86_64 target.
        unsafe { sse2::classify(block) }
    }
}

/// [`sse2`]'s classification, 32 bytes at a time.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{BLOCK, Masks};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2,bmi1,popcnt,pclmulqdq")]
    pub(super) fn index<const DOUBLED: bool>(text: &[u8], out: &mut [u32]) -> Option<usize> {
        super::index_blocks::<true, DOUBLED>(text, out)
    }

    #[target_feature(enable = "avx2,bmi1,popcnt,pclmulqdq")]
    pub(super) fn index_line(text: &[u8], out: &mut Vec<u32>) -> super::Line {
        super::line_blocks::<true>(text, out)
    }

    /// [`super::prefix_xor`] in one carry-less multiplication by all ones.
    #[target_feature(enable = "pclmulqdq")]
    pub(super) fn prefix_xor(x: u64) -> u64 {
        let product = _mm_clmulepi64_si128(_mm_set_epi64x(0, x as i64), _mm_set1_epi8(-1), 0);
        _mm_cvtsi128_si64(product) as u64
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn classify(block: &[u8; BLOCK]) -> Masks {
        let mut m = Masks::default();
        for (i, lane) in block.chunks_exact(32).enumerate() {
            // SAFETY: `lane` is 32 readable bytes and the load has no alignment requirement.
            let v = unsafe { _mm256_loadu_si256(lane.as_ptr().cast()) };
            let folded = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
            let structural = _mm256_or_si256(
                _mm256_or_si256(eq(folded, b'{'), eq(folded, b'}')),
                _mm256_or_si256(eq(v, b':'), eq(v, b',')),
            );
            let control = _mm256_cmpeq_epi8(_mm256_min_epu8(v, _mm256_set1_epi8(0x1F)), v);
            let shift = 32 * i;
            m.quote |= bits(eq(v, b'"')) << shift;
            m.backslash |= bits(eq(v, b'\\')) << shift;
            m.structural |= bits(structural) << shift;
            m.control |= bits(control) << shift;
            m.high |= bits(v) << shift;
        }
        m
    }

    #[target_feature(enable = "avx2")]
    fn eq(v: __m256i, b: u8) -> __m256i {
        _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b as i8))
    }

    #[target_feature(enable = "avx2")]
    fn bits(x: __m256i) -> u64 {
        u64::from(_mm256_movemask_epi8(x) as u32)
    }
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use super::{BLOCK, Masks};
    use std::arch::x86_64::*;

    #[target_feature(enable = "sse2")]
    pub(super) fn classify(block: &[u8; BLOCK]) -> Masks {
        let mut m = Masks::default();
        for (i, lane) in block.chunks_exact(16).enumerate() {
            // SAFETY: `lane` is 16 readable bytes and the load has no alignment requirement.
            let v = unsafe { _mm_loadu_si128(lane.as_ptr().cast()) };
            // `{`/`[` and `}`/`]` differ only in bit 5.
            let folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
            let structural = _mm_or_si128(
                _mm_or_si128(eq(folded, b'{'), eq(folded, b'}')),
                _mm_or_si128(eq(v, b':'), eq(v, b',')),
            );
            let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
            let shift = 16 * i;
            m.quote |= bits(eq(v, b'"')) << shift;
            m.backslash |= bits(eq(v, b'\\')) << shift;
            m.structural |= bits(structural) << shift;
            m.control |= bits(control) << shift;
            m.high |= bits(v) << shift;
        }
        m
    }

    /// For each of `bytes`, bit `i` set where byte `i` of `block` is that byte.
    #[target_feature(enable = "sse2")]
    pub(super) fn byte_masks<const N: usize>(block: &[u8; BLOCK], bytes: [u8; N]) -> [u64; N] {
        let mut masks = [0; N];
        for (i, lane) in block.chunks_exact(16).enumerate() {
            // SAFETY: `lane` is 16 readable bytes and the load has no alignment requirement.
            let v = unsafe { _mm_loadu_si128(lane.as_ptr().cast()) };
            for (mask, &byte) in masks.iter_mut().zip(&bytes) {
                *mask |= bits(eq(v, byte)) << (16 * i);
            }
        }
        masks
    }

    #[target_feature(enable = "sse2")]
    fn eq(v: __m128i, b: u8) -> __m128i {
        _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8))
    }

    #[target_feature(enable = "sse2")]
    fn bits(x: __m128i) -> u64 {
        u64::from(_mm_movemask_epi8(x) as u16)
    }
}

/// Bit `i` set where `chunk[i]` is a quote; `chunk` is at most 64 bytes. (For the CSV
/// cell readers, which look at quotes only.)
pub fn quote_mask(chunk: &[u8]) -> u64 {
    byte_mask(chunk, b'"')
}

/// Bit `i` set where `chunk[i]` is `byte`; `chunk` is at most 64 bytes.
pub fn byte_mask(chunk: &[u8], byte: u8) -> u64 {
    let [mask] = byte_masks(chunk, [byte]);
    mask
}

/// [`byte_mask`] for several bytes, reading the chunk once.
pub fn byte_masks<const N: usize>(chunk: &[u8], bytes: [u8; N]) -> [u64; N] {
    match chunk.first_chunk::<BLOCK>() {
        // SAFETY: SSE2 is part of every x86_64 target.
        #[cfg(target_arch = "x86_64")]
        Some(block) => unsafe { sse2::byte_masks(block, bytes) },
        _ => bytes.map(|byte| {
            chunk
                .iter()
                .enumerate()
                .fold(0, |mask, (i, &b)| mask | u64::from(b == byte) << i)
        }),
    }
}

/// Bits of the characters inside JSON strings (opening quotes included), given a chunk's
/// quote and backslash masks; `carry` holds what continues into the next chunk (an open
/// string, a pending escape). Start from `StringCarry::default()`.
pub fn inside_strings(quotes: u64, backslashes: u64, carry: &mut StringCarry) -> u64 {
    strings::<false>(quotes, backslashes, carry).inside
}

/// See [`inside_strings`].
#[derive(Default, Clone, Copy)]
pub struct StringCarry {
    escape: u64,
    in_string: u64,
}

/// What the quotes and backslashes of a chunk mean.
struct Strings {
    /// Characters escaped by a backslash.
    escaped: u64,
    /// Quotes that open or close a string.
    quotes: u64,
    /// Characters inside strings, opening quotes included.
    inside: u64,
}

/// The one place strings are found: escapes (simdjson's scanner), then the quotes they leave,
/// then a running parity of those quotes. `CLMUL` only where the CPU has been seen to have it.
#[inline(always)]
fn strings<const CLMUL: bool>(quote: u64, backslash: u64, carry: &mut StringCarry) -> Strings {
    let escaped = escaped_bits(backslash, &mut carry.escape);
    let quotes = quote & !escaped;
    let inside = prefix_xor_with::<CLMUL>(quotes) ^ carry.in_string;
    carry.in_string = ((inside as i64) >> 63) as u64;
    Strings {
        escaped,
        quotes,
        inside,
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn classify(block: &[u8; BLOCK], _avx2: bool) -> Masks {
    classify_scalar(block)
}

#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn classify_scalar(block: &[u8; BLOCK]) -> Masks {
    let mut m = Masks::default();
    for (i, &b) in block.iter().enumerate() {
        let bit = 1u64 << i;
        match b {
            b'"' => m.quote |= bit,
            b'\\' => m.backslash |= bit,
            b'{' | b'}' | b'[' | b']' | b':' | b',' => m.structural |= bit,
            0..=0x1F => m.control |= bit,
            0x80.. => m.high |= bit,
            _ => {}
        }
    }
    m
}

/// Bits of the characters escaped by a backslash (simdjson's escape scanner): in a run of
/// backslashes every second one escapes the next, and a run may continue from the last block.
pub(super) fn escaped_bits(backslash: u64, carry: &mut u64) -> u64 {
    const EVEN: u64 = 0x5555_5555_5555_5555;
    let backslash = backslash & !*carry;
    let follows_escape = (backslash << 1) | *carry;
    let odd_starts = backslash & !EVEN & !follows_escape;
    let (even_starts, overflow) = odd_starts.overflowing_add(backslash);
    *carry = u64::from(overflow);
    (EVEN ^ (even_starts << 1)) & follows_escape
}

#[inline(always)]
fn prefix_xor_with<const CLMUL: bool>(x: u64) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if CLMUL {
        // SAFETY: only `avx2::index`, which checked for PCLMULQDQ, asks for it.
        return unsafe { avx2::prefix_xor(x) };
    }
    prefix_xor(x)
}

/// Bit `i` set when an odd number of bits at or below `i` are set.
pub(super) fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// The positions of `text`'s tokens, in order: the first of `out` (a buffer kept between
/// calls, grown as needed), as many as the count returned; `None` when a control character
/// lies inside a string, which JSON forbids. The whole text is indexed first so that the
/// reader after it only steps through an array.
pub fn index(text: &[u8], out: &mut Vec<u32>) -> Option<usize> {
    index_with::<false>(text, out)
}

/// [`index`] for JSON as a CSV cell holds it, every quote doubled (`{""Id"":""x""}`), read in
/// place: of each pair, the token is the quote on the string's side (the second of an opening
/// pair, the first of a closing one) and the other is a *blank*, which the reader takes for
/// whitespace. The tokens are those [`index`] finds in the text with the blanks made spaces
/// (what `csv::unquote_json` copies the cell into). `None` also wherever that copy could not be
/// made: a quote without its partner, or a doubled quote after a backslash (`\""`).
pub fn index_doubled(text: &[u8], out: &mut Vec<u32>) -> Option<usize> {
    index_with::<true>(text, out)
}

fn index_with<const DOUBLED: bool>(text: &[u8], out: &mut Vec<u32>) -> Option<usize> {
    if out.len() < text.len() + BLOCK {
        out.resize(text.len() + BLOCK, 0);
    }
    #[cfg(target_arch = "x86_64")]
    if avx2_available() {
        // SAFETY: the CPU has just been seen to have every feature `avx2::index` enables.
        return unsafe { avx2::index::<DOUBLED>(text, out) };
    }
    index_blocks::<false, DOUBLED>(text, out)
}

/// The first line of a text, as [`index_line`] finds it.
#[derive(Debug, PartialEq, Eq)]
pub struct Line {
    /// Where the line ends: at its `\n`, or the end of the text.
    pub end: usize,
    /// How many tokens [`index`] finds in `text[..end]`, written to the start of `out`; `None`
    /// where [`index`] gives `None`.
    pub tokens: Option<usize>,
    /// Every byte of the line is ASCII (and so the line is UTF-8), known when `tokens` is.
    pub ascii: bool,
}

/// [`index`] of the first line of `text`, found in the same pass as where the line ends. For
/// JSON Lines, where finding the line breaks first would read every byte from memory twice.
pub fn index_line(text: &[u8], out: &mut Vec<u32>) -> Line {
    #[cfg(target_arch = "x86_64")]
    if avx2_available() {
        // SAFETY: the CPU has just been seen to have every feature `avx2::index_line` enables.
        return unsafe { avx2::index_line(text, out) };
    }
    line_blocks::<false>(text, out)
}

/// How far ahead of the block being indexed [`index_line`] asks for the text.
const READ_AHEAD: usize = 32 << 10;

/// Lines longer than this are not indexed: `record_scan` leaves records over 1 MiB to serde,
/// and the token buffer would grow to four bytes per byte of a hostile 64 MB line.
pub const MAX_INDEXED_LINE: usize = 1 << 20;

/// [`index_line`], compiled as [`index_blocks`] is.
#[inline(always)]
fn line_blocks<const AVX2: bool>(text: &[u8], out: &mut Vec<u32>) -> Line {
    let mut n = 0;
    let mut high = 0;
    let mut carry = StringCarry::default();
    let mut padded = [b' '; BLOCK];
    for start in (0..text.len()).step_by(BLOCK) {
        if start >= MAX_INDEXED_LINE {
            let rest = &text[start..];
            return Line {
                end: start + memchr::memchr(b'\n', rest).unwrap_or(rest.len()),
                tokens: None,
                ascii: false,
            };
        }
        // The lines after this one are read next: a cache line asked for per block read keeps
        // the text arriving from memory as fast as it is indexed.
        super::warm::prefetch(text.as_ptr().wrapping_add(start + READ_AHEAD));
        let rest = &text[start..];
        let block = block_of(rest, &mut padded);
        let mut masks = classify(block, AVX2);
        let mut line_end = None;
        // A line break is a control character; they are rare enough to look at one by one.
        let mut controls = masks.control;
        while controls != 0 {
            let at = controls.trailing_zeros();
            if block[at as usize] == b'\n' {
                let before = (1u64 << at) - 1;
                masks.quote &= before;
                masks.backslash &= before;
                masks.structural &= before;
                masks.control &= before;
                masks.high &= before;
                line_end = Some(start + at as usize);
                break;
            }
            controls &= controls - 1;
        }
        let Strings {
            escaped,
            quotes,
            inside,
        } = strings::<AVX2>(masks.quote, masks.backslash, &mut carry);
        if masks.control & inside != 0 {
            let end = line_end
                .unwrap_or_else(|| start + memchr::memchr(b'\n', rest).unwrap_or(rest.len()));
            return Line {
                end,
                tokens: None,
                ascii: false,
            };
        }
        high |= masks.high;
        if out.len() < n + BLOCK {
            out.resize((n + BLOCK).max(2 * out.len()), 0);
        }
        let bits = (masks.structural & !inside) | quotes | (masks.backslash & !escaped);
        n += write_tokens(&mut out[n..], start, bits);
        if let Some(end) = line_end {
            return Line {
                end,
                tokens: Some(n),
                ascii: high == 0,
            };
        }
    }
    Line {
        end: text.len(),
        tokens: Some(n),
        ascii: high == 0,
    }
}

/// The first 64 bytes of `rest`, or all of it followed by spaces (which classify as nothing)
/// in `padded`.
#[inline(always)]
fn block_of<'b>(rest: &'b [u8], padded: &'b mut [u8; BLOCK]) -> &'b [u8; BLOCK] {
    match rest.first_chunk::<BLOCK>() {
        Some(block) => block,
        None => {
            padded[..rest.len()].copy_from_slice(rest);
            padded
        }
    }
}

/// Writes the positions of a block's token `bits` (the block starting at `start`) to the
/// start of `out`, which has room for a token per byte; returns how many.
#[inline(always)]
fn write_tokens(out: &mut [u32], start: usize, mut bits: u64) -> usize {
    let count = bits.count_ones() as usize;
    for slot in &mut out[..count] {
        *slot = (start + bits.trailing_zeros() as usize) as u32;
        bits &= bits - 1;
    }
    count
}

/// Carried from one block to the next when quotes are doubled: a run of quotes with an
/// unpaired quote at its end, a backslash as the last byte, and the second quote of an opening
/// pair that falls on the next block's first byte.
#[derive(Default)]
struct PairCarry {
    run: u64,
    backslash: u64,
    opening: u64,
}

/// Finds the blank quote of each pair in text whose quotes are doubled, a 64-byte chunk at a
/// time (for `csv::unquote_json`'s copy): the quotes [`index_doubled`] does not take as tokens.
#[derive(Default)]
pub(super) struct DoubledQuotes {
    carry: StringCarry,
    pairs: PairCarry,
}

impl DoubledQuotes {
    /// The blanks among a chunk's `quote`s, or `None` where a quote has no partner or a pair
    /// follows a backslash.
    pub(super) fn blanks(&mut self, quote: u64, backslash: u64) -> Option<u64> {
        let strings = doubled_strings::<false>(quote, backslash, &mut self.carry, &mut self.pairs)?;
        Some(quote & !strings.quotes)
    }

    /// Whether the last quote found its partner.
    pub(super) fn all_paired(&self) -> bool {
        self.pairs.run == 0
    }
}

/// Which quotes are tokens when every quote is doubled (see [`index_doubled`]), or `None` if
/// one is not. Escapes come from the backslashes alone: a doubled quote after a backslash is
/// refused, so no quote is escaped.
#[inline(always)]
fn doubled_strings<const CLMUL: bool>(
    quote: u64,
    backslash: u64,
    carry: &mut StringCarry,
    pairs: &mut PairCarry,
) -> Option<Strings> {
    let seconds = escaped_bits(quote, &mut pairs.run);
    let firsts = quote & !seconds;
    if seconds & !quote != 0 || firsts & (backslash << 1 | pairs.backslash) != 0 {
        return None;
    }
    pairs.backslash = backslash >> 63;
    let escaped = escaped_bits(backslash, &mut carry.escape);
    // Pairs open and close strings in turn.
    let inside = prefix_xor_with::<CLMUL>(firsts) ^ carry.in_string;
    carry.in_string = ((inside as i64) >> 63) as u64;
    let (opening, closing) = (firsts & inside, firsts & !inside);
    let quotes = opening << 1 | pairs.opening | closing;
    pairs.opening = opening >> 63;
    Some(Strings {
        escaped,
        quotes,
        inside,
    })
}

/// [`index`] and [`index_doubled`], each compiled twice: `AVX2` only where the CPU has AVX2,
/// BMI1, POPCNT and PCLMULQDQ, which the default x86_64 target may not assume (without them
/// each block's popcount alone is a dozen instructions).
#[inline(always)]
fn index_blocks<const AVX2: bool, const DOUBLED: bool>(
    text: &[u8],
    out: &mut [u32],
) -> Option<usize> {
    let mut n = 0;
    let fast = AVX2;
    let mut carry = StringCarry::default();
    let mut pairs = PairCarry::default();
    let mut padded = [b' '; BLOCK];
    for start in (0..text.len()).step_by(BLOCK) {
        let block = block_of(&text[start..], &mut padded);
        let masks = classify(block, fast);
        let Strings {
            escaped,
            quotes,
            inside,
        } = if DOUBLED {
            doubled_strings::<AVX2>(masks.quote, masks.backslash, &mut carry, &mut pairs)?
        } else {
            strings::<AVX2>(masks.quote, masks.backslash, &mut carry)
        };
        if masks.control & inside != 0 {
            return None;
        }
        let bits = (masks.structural & !inside) | quotes | (masks.backslash & !escaped);
        n += write_tokens(&mut out[n..], start, bits);
    }
    // A last quote left without its partner.
    (pairs.run == 0).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The token positions, checking that both builds of the indexer find the same.
    fn tokens(text: &str) -> Option<Vec<usize>> {
        let mut out = Vec::new();
        let n = index(text.as_bytes(), &mut out);
        let mut portable = vec![0; text.len() + BLOCK];
        let m = index_blocks::<false, false>(text.as_bytes(), &mut portable);
        assert_eq!(n.map(|n| &out[..n]), m.map(|m| &portable[..m]), "{text}");
        Some(out[..n?].iter().map(|&p| p as usize).collect())
    }

    /// The same positions found one byte at a time.
    fn tokens_slowly(text: &str) -> Option<Vec<usize>> {
        let (mut out, mut in_string, mut escaped) = (Vec::new(), false, false);
        for (i, b) in text.bytes().enumerate() {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
                out.push(i);
            } else if b == b'"' {
                in_string = !in_string;
                out.push(i);
            } else if in_string && b < 0x20 {
                return None;
            } else if !in_string && b"{}[]:,".contains(&b) {
                out.push(i);
            }
        }
        Some(out)
    }

    /// [`index_doubled`]'s positions, checking that both builds find the same.
    fn doubled_tokens(text: &[u8]) -> Option<Vec<u32>> {
        let mut out = Vec::new();
        let n = index_doubled(text, &mut out);
        let mut portable = vec![0; text.len() + BLOCK];
        let m = index_blocks::<false, true>(text, &mut portable);
        assert_eq!(n.map(|n| &out[..n]), m.map(|m| &portable[..m]));
        Some(out[..n?].to_vec())
    }

    /// Indexing a CSV cell's doubled quotes in place must find exactly the tokens of the copy
    /// with one quote of each pair blanked, and refuse exactly where that copy cannot be made
    /// (or a control character lies inside a string). Cells are built from pairs, runs of
    /// pairs, JSON punctuation, escapes, control characters and letters, across 64-byte blocks,
    /// with pieces that cannot be blanked drawn rarely.
    #[test]
    fn doubled_quotes_are_indexed_as_the_blanked_copy() {
        let good: [&[u8]; 13] = [
            b"\"\"",
            b"\"\"\"\"",
            b"abc",
            b":",
            b",",
            b"{",
            b"}",
            b"[",
            b"]",
            b"\\x",
            b"\\\\",
            b"\xc3\xa9",
            b" ",
        ];
        let bad: [&[u8]; 5] = [b"\"", b"\\\"\"", b"\"\"\"", b"\\", b"\t"];
        let (mut read, mut refused) = (0, 0);
        let mut plain = Vec::new();
        for cell in super::super::csv::cells_from_pieces(&good, &bad, 200, 20_000) {
            let blanked = super::super::csv::blank_doubled_quotes(&cell);
            let expected = blanked.and_then(|b| {
                let n = index(&b, &mut plain)?;
                Some(plain[..n].to_vec())
            });
            let found = doubled_tokens(&cell);
            assert_eq!(found, expected, "{:?}", String::from_utf8_lossy(&cell));
            if cell.len() > 64 {
                read += usize::from(found.is_some());
                refused += usize::from(found.is_none());
            }
        }
        assert!(read > 1000 && refused > 1000, "{read} {refused}");
        // A lone quote that ends a cell at a block's end has no next byte to give it away.
        for len in [64, 128] {
            let cell = [&b"x".repeat(len - 1)[..], b"\""].concat();
            assert_eq!(doubled_tokens(&cell), None);
        }
    }

    #[test]
    fn finds_structure_outside_strings_only() {
        let text = r#"{"a:b":[1,"x,}"],"c":{"d":"\"}"}}"#;
        assert_eq!(tokens(text), tokens_slowly(text));
        assert_eq!(
            tokens(r#"{"k":"v"}"#),
            Some(vec![0, 1, 3, 4, 5, 7, 8]),
            "braces, the four quotes and the colon"
        );
    }

    #[test]
    fn backslash_runs_across_blocks() {
        // Runs of 1-5 backslashes ending at every offset around the 64-byte boundary.
        for run in 1..=5 {
            for at in 50..80 {
                let mut text = String::from("[\"");
                text.push_str(&"a".repeat(at));
                text.push_str(&"\\".repeat(run));
                text.push_str("\",\"z\"]");
                assert_eq!(tokens(&text), tokens_slowly(&text), "run {run} at {at}");
            }
        }
    }

    #[test]
    fn control_character_inside_a_string_is_invalid_outside_is_not() {
        assert_eq!(tokens("[\"a\tb\"]"), None);
        let long = format!("[\"{}\n\"]", "x".repeat(70));
        assert_eq!(tokens(&long), None);
        assert!(tokens("[\n\"ab\"\t]").is_some());
    }

    /// A line too long to index still has its end found, without the token buffer growing
    /// with it; one just short enough is indexed.
    #[test]
    fn a_line_too_long_to_index_is_only_measured() {
        let record = |len: usize| {
            let filler = "x".repeat(len - 9);
            format!("{{\"Id\":\"{filler}\"}}\n{{}}")
        };
        let mut out = Vec::new();
        let long = record(3 * MAX_INDEXED_LINE);
        let line = index_line(long.as_bytes(), &mut out);
        assert_eq!((line.end, line.tokens), (3 * MAX_INDEXED_LINE, None));
        assert!(out.len() <= MAX_INDEXED_LINE + BLOCK, "{} slots", out.len());
        let fits = record(MAX_INDEXED_LINE - BLOCK);
        let line = index_line(fits.as_bytes(), &mut out);
        assert_eq!((line.end, line.tokens), (MAX_INDEXED_LINE - BLOCK, Some(7)));
    }

    /// [`index_line`] finds the first line's end and, in the same pass, the tokens [`index`]
    /// finds in that line, in both builds: texts of JSON punctuation, escapes, control
    /// characters and line breaks, with the break anywhere in a block.
    #[test]
    fn a_line_is_indexed_as_the_text_up_to_its_break() {
        let bytes = b"\"\\{}[]:, ab";
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let (mut found, mut refused, mut all_ascii) = (0, 0, 0);
        for len in 0..300 {
            for _ in 0..40 {
                let text: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        // Line breaks and other control characters rare enough that lines
                        // run over several blocks.
                        match x % 128 {
                            0 => b'\n',
                            1 => b'\t',
                            2 => b'\r',
                            3 => 0xC3,
                            4 => 0xA9,
                            k => bytes[k as usize % bytes.len()],
                        }
                    })
                    .collect();
                let end = memchr::memchr(b'\n', &text).unwrap_or(text.len());
                let mut expected = Vec::new();
                let expected = index(&text[..end], &mut expected).map(|n| expected[..n].to_vec());
                let ascii = expected.is_some() && text[..end].is_ascii();
                let mut out = Vec::new();
                let line = index_line(&text, &mut out);
                let mut portable = Vec::new();
                let portable_line = line_blocks::<false>(&text, &mut portable);
                for (line, out) in [(line, out), (portable_line, portable)] {
                    assert_eq!((line.end, line.ascii), (end, ascii));
                    assert_eq!(line.tokens.map(|n| out[..n].to_vec()), expected);
                }
                found += usize::from(expected.is_some() && end > 64);
                refused += usize::from(expected.is_none());
                all_ascii += usize::from(ascii && end > 64);
            }
        }
        assert!(found > 100 && refused > 100, "{found} {refused}");
        assert!(
            all_ascii > 100 && all_ascii < found,
            "{all_ascii} of {found}"
        );
    }

    #[test]
    fn vector_and_scalar_classification_agree() {
        let bytes = b"\"\\{}[]:,\x01\x1f\t a\x7f\x80\xff";
        let mut block = [0u8; BLOCK];
        for seed in 0..2000u64 {
            let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            for b in block.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = bytes[x as usize % bytes.len()];
            }
            for avx2 in [false, avx2_available()] {
                assert_eq!(classify(&block, avx2), classify_scalar(&block), "{block:?}");
            }
        }
    }
}
