//! Finding records in decoded text: JSON Lines lines, and the elements of JSON documents.

use super::Problem;
use super::csv::Span;
use super::normalise;
use serde_json::value::RawValue;

/// Where the record on the line `text[start..end]` (its line break left out) lies: without a
/// leading byte order mark or a trailing `\r`; `None` when the line is blank.
pub fn line_record(text: &[u8], start: usize, end: usize) -> Option<(usize, usize)> {
    let start = start
        + if text[start..end].starts_with("\u{feff}".as_bytes()) {
            3
        } else {
            0
        };
    let end = if end > start && text[end - 1] == b'\r' {
        end - 1
    } else {
        end
    };
    (!text[start..end].iter().all(u8::is_ascii_whitespace)).then_some((start, end))
}

/// Complete lines of `text` starting at line `first_line`. Unless `eof`, the last line is left
/// for the next block; returns the spans, how many bytes they consumed and the next line number.
/// (The loader finds lines as it reads them, `parse::parse_lines`; this is what its tests
/// compare it with.)
#[cfg(test)]
pub fn json_lines(text: &[u8], first_line: u32, eof: bool) -> (Vec<Span>, usize, u32) {
    let mut out = Vec::new();
    let mut start = 0;
    let mut line = first_line;
    let mut push = |start: usize, end: usize, line: u32| {
        if let Some((start, end)) = line_record(text, start, end) {
            out.push(Span { start, end, line });
        }
    };
    for end in memchr::memchr_iter(b'\n', text) {
        push(start, end, line);
        start = end + 1;
        line += 1;
    }
    if eof && start < text.len() {
        push(start, text.len(), line);
        start = text.len();
    }
    (out, start, line)
}

#[derive(serde::Deserialize)]
struct GraphPage<'a> {
    #[serde(borrow)]
    value: Option<Vec<&'a RawValue>>,
}

/// Where the records of a Graph page begin, for an object that opens as one
/// (`{"@odata.context": "...", "value": [`): the place after the `[`. Only a `value` key
/// before any nested object or array counts, so a record's own fields are never taken for a
/// page.
fn page_items(object: &[u8]) -> Option<usize> {
    let key = memchr::memmem::find(object, b"\"value\"")?;
    if object[1..key].iter().any(|&b| b == b'{' || b == b'[') {
        return None;
    }
    let mut at = skip_ws(object, key + 7);
    if object.get(at) != Some(&b':') {
        return None;
    }
    at = skip_ws(object, at + 1);
    (object.get(at) == Some(&b'[')).then_some(at + 1)
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

/// A place at or after `from` where a top-level array element probably starts: an object after
/// a comma that reads as an audit record (it has `CreationTime`) or a wrapper around one,
/// which the objects nested inside records never are. Only a guess, for splitting a window in
/// two: whoever splits the text before it checks that it is an element boundary.
pub fn record_start_after(text: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    for _ in 0..64 {
        let comma = at + memchr::memchr(b',', text.get(at..)?)?;
        at = comma + 1;
        let start = skip_ws(text, at);
        if text.get(start) != Some(&b'{') || !ends_object(&text[..comma]) {
            continue;
        }
        let Ok(rest) = std::str::from_utf8(&text[start..(start + (1 << 20)).min(text.len())])
        else {
            continue;
        };
        let mut values = serde_json::Deserializer::from_str(rest).into_iter::<&RawValue>();
        if let Some(Ok(v)) = values.next()
            && let Ok(rec) = serde_json::from_str::<super::record::AuditRecord>(v.get())
            && (rec.creation_time.is_some() || rec.inner().is_some())
        {
            return Some(start);
        }
    }
    None
}

/// True when `text` ends with `}` (before any whitespace).
fn ends_object(text: &[u8]) -> bool {
    text.iter().rev().find(|b| !b.is_ascii_whitespace()) == Some(&b'}')
}

/// Where a JSON document's reading stands between windows of its text.
#[derive(Debug, Clone, Copy)]
pub struct DocState {
    /// Inside a top-level array (between its elements).
    pub in_array: bool,
    /// Records found so far, for numbering.
    pub records: usize,
    /// The line the next window starts on.
    pub line: u32,
    /// A problem ended the reading: the rest of the file is not read.
    pub stopped: bool,
}

impl Default for DocState {
    fn default() -> Self {
        DocState {
            in_array: false,
            records: 0,
            line: 1,
            stopped: false,
        }
    }
}

/// Top-level JSON values, and the elements of top-level arrays, read one at a time so that a
/// broken or cut record costs only itself and what follows it. A Graph page (`{"value": [...]}`)
/// is opened into its records. Works a window at a time: unless `eof`, a value cut by the end
/// of `text` is left for the next window. Returns the records, how many bytes were used, and
/// the problem that stopped the reading, if one did.
pub fn json_elements_in(
    text: &[u8],
    state: &mut DocState,
    eof: bool,
) -> (Vec<Span>, usize, Option<Problem>) {
    let (text_str, utf8_error) = match std::str::from_utf8(text) {
        Ok(s) => (s, None),
        // Keep what precedes the first invalid byte; JSON cannot be resynchronised after it.
        // A character cut by the end of the window is not an error: it is read with the next.
        Err(e) => (
            std::str::from_utf8(&text[..e.valid_up_to()]).unwrap_or(""),
            (e.error_len().is_some() || eof).then_some(e.valid_up_to()),
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
    let first_record = state.records + 1;
    let fail = |found: usize, pos: usize, what: String| Problem {
        location: format!(
            "record {} (line {})",
            first_record + found,
            state.line as usize + line_at(text, pos) - 1
        ),
        reason: format!("{what}; the rest of the file was not read"),
    };
    let mut error = None;
    let mut pos = skip_ws(text, 0);
    let mut used = pos;
    while pos < text.len() {
        match text[pos] {
            b'[' if !state.in_array => {
                state.in_array = true;
                pos = skip_ws(text, pos + 1);
                used = pos;
                continue;
            }
            b']' if state.in_array => {
                state.in_array = false;
                pos = skip_ws(text, pos + 1);
                used = pos;
                continue;
            }
            b'{' => {}
            // A stray element of an array (a null, a number, a string) is a record that does
            // not read: it costs itself, named by its number, and the elements after it read.
            _ if state.in_array && text[pos] != b']' => {}
            _ => {
                error = Some(fail(
                    out.len(),
                    pos,
                    "expected a JSON object or array".into(),
                ));
                break;
            }
        }
        let mut one = serde_json::Deserializer::from_str(&text_str[pos..]).into_iter::<&RawValue>();
        match one.next() {
            Some(Ok(v)) => {
                // Only a top-level object can be a Graph page: array elements are records.
                let page = (!state.in_array)
                    .then(|| serde_json::from_str::<GraphPage>(v.get()).ok())
                    .flatten();
                match page {
                    Some(GraphPage { value: Some(items) }) if !items.is_empty() => {
                        items.into_iter().for_each(|i| push(&mut out, i))
                    }
                    _ => push(&mut out, v),
                }
                pos = skip_ws(text, pos + one.byte_offset());
                used = pos;
            }
            // Cut by the end of the window: read it with the next one.
            Some(Err(e)) if e.is_eof() && !eof && utf8_error.is_none() => break,
            // Cut where the text stops being UTF-8: that, not the cut, is the problem.
            Some(Err(e)) if e.is_eof() && utf8_error.is_some() => {
                error = Some(fail(out.len(), pos, "invalid UTF-8".into()));
                break;
            }
            // A Graph page cut part-way (interrupted paging): its records up to the cut are
            // read one by one, as the elements of the array it opened.
            Some(Err(e)) if e.is_eof() && !state.in_array && page_items(&text[pos..]).is_some() => {
                let items = page_items(&text[pos..]).expect("just found");
                state.in_array = true;
                pos = skip_ws(text, pos + items);
                used = pos;
            }
            Some(Err(e)) => {
                error = Some(fail(out.len(), pos, normalise::json_error(&e)));
                break;
            }
            None => break,
        }
    }
    if error.is_none()
        && let Some(at) = utf8_error
    {
        error = Some(fail(out.len(), at, "invalid UTF-8".into()));
    }
    if error.is_some() {
        state.stopped = true;
        used = text.len();
    }
    // Line numbers, counted once across the window.
    let mut line = state.line;
    let mut at = 0;
    for s in &mut out {
        line += memchr::memchr_iter(b'\n', &text[at..s.start]).count() as u32;
        at = s.start;
        s.line = line;
    }
    state.line = line + memchr::memchr_iter(b'\n', &text[at..used.min(text.len())]).count() as u32;
    state.records += out.len();
    (out, used, error)
}

/// [`json_elements_in`] for the inside of an array of objects, without validating them: each
/// element's end is found by counting braces outside strings, 64 bytes at a time with bit masks,
/// instead of serde reading every byte (that read was 40% of loading a JSON array). Where every
/// element is valid JSON the spans, bytes used and `state` are exactly `json_elements_in`'s; this
/// does not check that, so the caller must parse every element and, if any fails, redo the
/// window with `json_elements_in` (from the state before this call). `None` where it does not
/// apply: outside an array, at its end, at anything but an object, or at a cut last value.
pub fn array_objects(text: &[u8], state: &mut DocState, eof: bool) -> Option<(Vec<Span>, usize)> {
    if !state.in_array {
        return None;
    }
    let mut out = Vec::new();
    let mut line = state.line;
    let newlines = |gap: &[u8]| gap.iter().filter(|&&b| b == b'\n').count() as u32;
    let mut pos = skip_ws(text, 0);
    line += newlines(&text[..pos]);
    while pos < text.len() {
        if text[pos] != b'{' {
            return None;
        }
        match object_len(&text[pos..]) {
            Some((len, lines)) => {
                out.push(Span {
                    start: pos,
                    end: pos + len,
                    line,
                });
                let next = skip_ws(text, pos + len);
                line += lines + newlines(&text[pos + len..next]);
                pos = next;
            }
            // Cut by the end of the window: read it with the next one.
            None if !eof => break,
            None => return None,
        }
    }
    state.line = line;
    state.records += out.len();
    Some((out, pos))
}

/// The length of the object `text` starts with, through its closing brace, counting braces
/// outside strings, and the line breaks in it; `None` if it does not close within `text`.
fn object_len(text: &[u8]) -> Option<(usize, u32)> {
    use super::scan::{StringCarry, byte_masks, inside_strings};
    let mut carry = StringCarry::default();
    let (mut depth, mut lines) = (0usize, 0u32);
    for (c, chunk) in text.chunks(64).enumerate() {
        let [quotes, backslashes, opens, closes, newlines] =
            byte_masks(chunk, [b'"', b'\\', b'{', b'}', b'\n']);
        let inside = inside_strings(quotes, backslashes, &mut carry);
        let (opens, closes) = (opens & !inside, closes & !inside);
        let mut braces = opens | closes;
        while braces != 0 {
            let at = braces.trailing_zeros();
            braces &= braces - 1;
            if opens >> at & 1 == 1 {
                depth += 1;
            } else {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    let through = u64::MAX >> (63 - at);
                    return Some((
                        c * 64 + at as usize + 1,
                        lines + (newlines & through).count_ones(),
                    ));
                }
            }
        }
        lines += newlines.count_ones();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Valid arrays of objects split the fast way exactly as the careful way splits them
    /// (spans, lines, bytes used, records), in windows cut anywhere: strings holding braces,
    /// escaped quotes and backslashes, elements across 64-byte chunks, compact and indented.
    #[test]
    fn array_objects_split_valid_arrays_as_json_elements_in_does() {
        let tricky = [
            r#"{"a":"}","b":"{{","c":"\"}\"","d":"\\","e":{"f":[{"g":"\\\"}"}]}}"#,
            r#"{}"#,
            r#"{"x":[1,2,{"y":"]}"}],"z":"line\nbreak"}"#,
            // Indented, as ConvertTo-Json writes.
            "{\r\n    \"a\":  1,\r\n    \"b\":  {\n        \"c\":  \"}\"\n    }\n}",
        ];
        let mut elements: Vec<String> = tricky.iter().map(|s| s.to_string()).collect();
        for pad in [1usize, 40, 63, 64, 65, 130] {
            elements.push(format!(r#"{{"pad":"{}","q":"\"{{"}}"#, "p".repeat(pad)));
        }
        for separator in [",", ",\n  ", " , ", ",,\r\n"] {
            let body = elements.join(separator);
            for (first, eof) in [(0, true), (0, false), (3, false)] {
                let text = format!("\n {body}");
                for cut in (0..=text.len()).step_by(7).chain([text.len()]) {
                    let window = &text.as_bytes()[..cut];
                    let at_end = eof && cut == text.len();
                    let start = DocState {
                        in_array: true,
                        records: first,
                        line: 5,
                        stopped: false,
                    };
                    let (mut fast, mut careful) = (start, start);
                    let Some((spans, used)) = array_objects(window, &mut fast, at_end) else {
                        panic!(
                            "declined a valid window: {:?}",
                            String::from_utf8_lossy(window)
                        );
                    };
                    let (expected, expected_used, problem) =
                        json_elements_in(window, &mut careful, at_end);
                    assert!(problem.is_none());
                    let key = |s: &[Span]| -> Vec<(usize, usize, u32)> {
                        s.iter().map(|s| (s.start, s.end, s.line)).collect()
                    };
                    assert_eq!(key(&spans), key(&expected), "cut at {cut} of {text:?}");
                    assert_eq!(used, expected_used, "cut at {cut} of {text:?}");
                    assert_eq!(
                        (fast.records, fast.line, fast.in_array),
                        (careful.records, careful.line, careful.in_array)
                    );
                }
            }
        }
    }

    /// Where the fast way cannot vouch for a window it declines, and the careful way reads it.
    #[test]
    fn array_objects_decline_what_they_cannot_split() {
        let in_array = || DocState {
            in_array: true,
            ..DocState::default()
        };
        let declines =
            |text: &str, eof: bool| array_objects(text.as_bytes(), &mut in_array(), eof).is_none();
        assert!(declines(r#"{"a":1}]"#, true), "the end of the array");
        assert!(
            declines(r#"{"a":1},"x""#, false),
            "an element that is not an object"
        );
        assert!(
            declines(r#"{"a":1},{"b":"#, true),
            "a last element cut short"
        );
        assert!(
            array_objects(b"{\"a\":1}", &mut DocState::default(), true).is_none(),
            "not in an array"
        );
        // Cut by the window's end without eof: left for the next window.
        let (spans, used) = array_objects(br#"{"a":1}, {"b":"#, &mut in_array(), false).unwrap();
        assert_eq!((spans.len(), used), (1, 9));
    }

    /// The guess skips objects nested in a record (`},{` inside DeviceProperties, Folders)
    /// and finds where the next record starts, whitespace and wrappers included.
    #[test]
    fn a_record_start_is_found_past_nested_objects() {
        let first = r#"{"CreationTime":"2024-03-12T03:42:00","DeviceProperties":[{"Name":"OS","Value":"Windows"},{"Name":"SessionId","Value":"x"}],"Operation":"UserLoggedIn"}"#;
        let second = r#"{"CreationTime":"2024-03-12T03:43:00","Operation":"Send"}"#;
        for separator in [",", ",\n  ", " ,\r\n"] {
            let text = format!("[{first}{separator}{second}]");
            let nested = text.find("},{").unwrap();
            let found = record_start_after(text.as_bytes(), nested).expect("a record start");
            assert_eq!(&text[found..found + second.len()], second, "{separator:?}");
        }
        // A cmdlet wrapper counts as a record; a list of nested objects alone does not.
        let wrappers = r#"[{"AuditData":"{}","Identity":"a"},{"AuditData":"{}","Identity":"b"}]"#;
        assert_eq!(
            record_start_after(wrappers.as_bytes(), 1),
            Some(wrappers.find("},{").unwrap() + 2)
        );
        let nested_only = r#"[{"Name":"OS","Value":"W"},{"Name":"Id","Value":"x"}]"#;
        assert_eq!(record_start_after(nested_only.as_bytes(), 1), None);
    }

    #[test]
    fn json_lines_leave_the_partial_last_line_for_the_next_block() {
        let text = b"{\"a\":1}\r\n\n{\"b\":2}\n{\"c\"";
        let (spans, used, next) = json_lines(text, 10, false);
        assert_eq!(next, 13);
        assert_eq!(spans.len(), 2);
        assert_eq!((spans[0].line, spans[1].line), (10, 12));
        assert_eq!(&text[spans[0].start..spans[0].end], b"{\"a\":1}");
        assert_eq!(used, text.len() - 4);
        let (spans, used, _) = json_lines(text, 1, true);
        assert_eq!(spans.len(), 3);
        assert_eq!(used, text.len());
    }
}
