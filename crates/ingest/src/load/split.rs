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

/// A page of records: a Graph page (`value`), or a diagnostic-settings document as Azure
/// storage exports keep it (`{"records": [...]}`).
#[derive(serde::Deserialize)]
struct GraphPage<'a> {
    #[serde(borrow, alias = "records")]
    value: Option<Vec<&'a RawValue>>,
}

/// Where the records of a Graph page begin, for an object that opens as one
/// (`{"@odata.context": "...", "value": [`, or `{"records": [`): the place after the `[`. Only
/// a `value` or `records` key
/// before any nested object or array counts, so a record's own fields are never taken for a
/// page.
fn page_items(object: &[u8]) -> Option<usize> {
    let (key, len) = [&b"\"value\""[..], b"\"records\""]
        .iter()
        .filter_map(|k| Some((memchr::memmem::find(object, k)?, k.len())))
        .min()?;
    if object[1..key].iter().any(|&b| b == b'{' || b == b'[') {
        return None;
    }
    let mut at = skip_ws(object, key + len);
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

/// Where the reading of a JSON document stands between windows of its text.
#[derive(Debug, Clone)]
pub struct DocState {
    /// Inside a top-level array (between its elements).
    pub in_array: bool,
    /// That array is the records of a Graph page, whose object closes after it.
    pub in_page: bool,
    /// Records found so far, for numbering.
    pub records: usize,
    /// The line the next window starts on.
    pub line: u32,
    /// Bytes used so far: with `records`, the average size of a record.
    pub offset: u64,
    /// A damaged stretch being passed over.
    pub lost: Option<Lost>,
}

impl Default for DocState {
    fn default() -> Self {
        DocState {
            in_array: false,
            in_page: false,
            records: 0,
            line: 1,
            offset: 0,
            lost: None,
        }
    }
}

/// How far past a candidate record start is read to tell whether a record starts there.
const CANDIDATE: usize = 1 << 20;

/// What starts at a candidate place.
enum Candidate {
    /// An object that reads as an audit record or a wrapper around one.
    Record,
    /// Anything else: an object nested in a record, a fragment, garbage.
    Not,
    /// An object cut by the end of the window: the next window will tell.
    Cut,
}

/// Whether an object at `start` reads as an audit record (it has `CreationTime`) or a wrapper
/// around one, which the objects nested inside records never are.
fn candidate(text: &[u8], start: usize, eof: bool) -> Candidate {
    let end = (start + CANDIDATE).min(text.len());
    let slice = &text[start..end];
    let (valid, whole) = match std::str::from_utf8(slice) {
        Ok(s) => (s, true),
        Err(e) => (
            std::str::from_utf8(&slice[..e.valid_up_to()]).unwrap_or_default(),
            e.error_len().is_none(),
        ),
    };
    let mut values = serde_json::Deserializer::from_str(valid).into_iter::<&RawValue>();
    match values.next() {
        Some(Ok(v)) => match serde_json::from_str::<super::record::AuditRecord>(v.get()) {
            Ok(rec) if rec.creation_time.is_some() || rec.inner().is_some() => Candidate::Record,
            _ => Candidate::Not,
        },
        Some(Err(e)) if e.is_eof() && whole && end == text.len() && !eof => Candidate::Cut,
        _ => Candidate::Not,
    }
}

/// The array elements after `from` that probably start a record: each `{` after a comma that
/// follows a `}`, with the place of that `}`.
fn element_starts(text: &[u8], from: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
    memchr::memchr_iter(b',', &text[from..]).filter_map(move |i| {
        let comma = from + i;
        let start = skip_ws(text, comma + 1);
        let close = text[..comma]
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())?;
        (text.get(start) == Some(&b'{') && text[close] == b'}').then_some((start, close))
    })
}

/// A place at or after `from` where a top-level array element probably starts. Only a guess,
/// for splitting a window in two: whoever splits the text before it checks that it is an
/// element boundary.
pub fn record_start_after(text: &[u8], from: usize) -> Option<usize> {
    element_starts(text, from)
        .take(64)
        .find(|&(start, _)| matches!(candidate(text, start, true), Candidate::Record))
        .map(|(start, _)| start)
}

/// Where records begin again after damage at `from`.
enum Resume {
    /// At this element.
    At(usize),
    /// Not in this window: the search goes on from here with the next one.
    NotYet(usize),
    /// Nowhere before the end of the file.
    Never,
}

fn resume_point(text: &[u8], from: usize, eof: bool) -> Resume {
    for (start, close) in element_starts(text, from) {
        match candidate(text, start, eof) {
            Candidate::Record => return Resume::At(start),
            Candidate::Cut => return Resume::NotYet(close.max(from)),
            Candidate::Not => {}
        }
    }
    if eof {
        Resume::Never
    } else {
        // Keep enough of the end for a `},{` that the window's end splits.
        Resume::NotYet(text.len().saturating_sub(256).max(from))
    }
}

/// A record's own field, once per record in every audit shape, whether the record is written
/// out or wrapped as a string (`\"CreationTime\"`): where it is legible, a record began.
const BEGINNING: &[u8] = b"CreationTime";

/// A damaged stretch of a document, while it is being passed over: where it began, why, and
/// what it held, to estimate how many records it cost.
#[derive(Debug, Clone)]
pub struct Lost {
    record: usize,
    line: u32,
    why: String,
    bytes: u64,
    beginnings: usize,
    /// The average size of the records read before it, with separators.
    bytes_per_record: Option<f64>,
    /// Nothing after it can be found again (damage outside an array): the rest of the file
    /// is passed over and counted.
    to_end: bool,
}

impl Lost {
    /// Passes over `text[..upto]`; the beginnings are counted where they start, so one that
    /// `upto` cuts is counted here, once (`text` goes on past `upto`).
    fn pass(&mut self, text: &[u8], upto: usize) {
        self.bytes += upto as u64;
        self.beginnings += memchr::memmem::find_iter(text, BEGINNING)
            .take_while(|&at| at < upto)
            .count();
    }

    /// The records the stretch cost, honestly estimated: at least the record it began in, as
    /// many as the record beginnings still legible in it, and as many as its size holds at the
    /// average size of the records before it (damage that wiped the beginnings out).
    fn cost(&self) -> usize {
        let by_size = self
            .bytes_per_record
            .map_or(0, |per| (self.bytes as f64 / per).round() as usize);
        // Where the beginnings account for about the size, the text is legible and they are
        // the count; records differ in size, so the size alone is only a guess.
        if self.beginnings * 5 >= by_size * 4 {
            self.beginnings.max(1)
        } else {
            by_size.max(1)
        }
    }

    fn into_damage(self, resumed_on: Option<u32>) -> Damage {
        let records = self.cost();
        let size = if self.bytes >= 10 << 10 {
            format!("{} KiB", self.bytes >> 10)
        } else {
            format!("{} bytes", self.bytes)
        };
        let cost = if records == 1 {
            "the record there is lost".to_string()
        } else {
            format!(
                "about {records} records lost ({size} of damaged text, {} record beginnings legible in it)",
                self.beginnings
            )
        };
        let after = match resumed_on {
            Some(line) => format!("reading went on at line {line}"),
            None if self.to_end => "the rest of the file was not read".into(),
            None => "nothing after it could be read".into(),
        };
        Damage {
            problem: Problem {
                location: format!("record {} (line {})", self.record, self.line),
                reason: format!("{}; {cost}; {after}", self.why),
            },
            records,
            found_before: self.record - 1,
        }
    }
}

/// A damaged stretch of a document and the records it cost.
#[derive(Debug, Clone)]
pub struct Damage {
    pub problem: Problem,
    pub records: usize,
    /// How many records of the file were found before it.
    pub found_before: usize,
}

/// How reading a run of elements ended.
enum Stop {
    /// At the end of the text, or at a value the window's end cut (`used`).
    Done(usize),
    /// At damage: the element at `at` does not read.
    Damaged { at: usize, why: String },
}

/// Top-level JSON values, and the elements of top-level arrays, read one at a time so that a
/// broken or cut record costs only itself. A Graph page (`{"value": [...]}`) is opened into its
/// records. Works a window at a time: unless `eof`, a value cut by the end of `text` is left
/// for the next window. Damage inside an array is passed over to the next element that reads
/// as a record, and counted (see [`Lost`]); damage outside one ends the reading, and the rest
/// is counted. Returns the records, how many bytes were used, and the damage finished here.
pub fn json_elements_in(
    text: &[u8],
    state: &mut DocState,
    eof: bool,
) -> (Vec<Span>, usize, Vec<Damage>) {
    let mut out = Vec::new();
    let mut damages = Vec::new();
    let mut pos = 0;
    // The text is UTF-8 from `pos` up to `valid_end`, checked once per stretch.
    let (mut valid_from, mut valid_end) = (0, 0);
    let mut bad_byte = false;
    let first_line = state.line;
    let line_of = |pos: usize| first_line + line_at(text, pos) as u32 - 1;
    let used = loop {
        if let Some(lost) = state.lost.as_mut() {
            let (end, resumed) = match (lost.to_end, eof) {
                (false, _) => match resume_point(text, pos, eof) {
                    Resume::At(r) => (r, true),
                    Resume::NotYet(r) => (r, false),
                    Resume::Never => (text.len(), false),
                },
                (true, true) => (text.len(), false),
                // A record beginning that the window's end cuts is counted with the next.
                (true, false) => (
                    text.len().saturating_sub(BEGINNING.len() - 1).max(pos),
                    false,
                ),
            };
            lost.pass(&text[pos..], end - pos);
            pos = end;
            if resumed || eof {
                let lost = state.lost.take().expect("just passed over");
                damages.push(lost.into_damage(resumed.then(|| line_of(pos))));
                state.in_array |= resumed;
            }
            if !resumed {
                break pos;
            }
        }
        if pos >= valid_end {
            valid_from = pos;
            let (valid, bad) = match std::str::from_utf8(&text[pos..]) {
                Ok(_) => (text.len() - pos, false),
                Err(e) => (e.valid_up_to(), e.error_len().is_some() || eof),
            };
            valid_end = pos + valid;
            bad_byte = bad;
        }
        let valid = std::str::from_utf8(&text[valid_from..valid_end]).expect("checked");
        let stop = read_elements(valid, valid_from, pos, state, eof && !bad_byte, &mut out);
        match stop {
            Stop::Done(used) if !bad_byte => break used,
            Stop::Done(at) => {
                // The text stops being UTF-8 where the window did not end: the value there
                // runs into the bad byte, or the byte lies between values.
                state.lost = Some(lost_at(at, "invalid UTF-8", state, &out, line_of(at)));
                pos = at;
            }
            Stop::Damaged { at, why } => {
                state.lost = Some(lost_at(at, &why, state, &out, line_of(at)));
                pos = at;
            }
        }
    };
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
    state.offset += used as u64;
    (out, used, damages)
}

/// The damaged stretch that begins with the element at `at`.
fn lost_at(at: usize, why: &str, state: &DocState, out: &[Span], line: u32) -> Lost {
    let records = state.records + out.len();
    Lost {
        record: records + 1,
        line,
        why: why.into(),
        bytes: 0,
        beginnings: 0,
        bytes_per_record: (records > 0).then(|| (state.offset + at as u64) as f64 / records as f64),
        to_end: !state.in_array,
    }
}

/// Reads the values of `text_str` (the window's text from `origin`) from the window's `pos`
/// into `out` until its end, a value that the window's end cuts, or damage; places are the
/// window's. `eof`: `text_str` ends where the file does.
fn read_elements(
    text_str: &str,
    origin: usize,
    pos: usize,
    state: &mut DocState,
    eof: bool,
    out: &mut Vec<Span>,
) -> Stop {
    match read_elements_from(text_str, pos - origin, state, eof, out, origin) {
        Stop::Done(used) => Stop::Done(used + origin),
        Stop::Damaged { at, why } => Stop::Damaged {
            at: at + origin,
            why,
        },
    }
}

fn read_elements_from(
    text_str: &str,
    mut pos: usize,
    state: &mut DocState,
    eof: bool,
    out: &mut Vec<Span>,
    origin: usize,
) -> Stop {
    let text = text_str.as_bytes();
    let base = text_str.as_ptr() as usize - origin;
    let push = |out: &mut Vec<Span>, raw: &RawValue| {
        let s = raw.get();
        let start = s.as_ptr() as usize - base;
        out.push(Span {
            start,
            end: start + s.len(),
            line: 0,
        });
    };
    pos = skip_ws(text, pos);
    let mut used = pos;
    while pos < text.len() {
        match text[pos] {
            b'[' if !state.in_array => {
                state.in_array = true;
                pos = skip_ws(text, pos + 1);
                used = pos;
                continue;
            }
            b']' if state.in_array && state.in_page => match page_tail(&text_str[pos..]) {
                Ok(len) => {
                    (state.in_array, state.in_page) = (false, false);
                    pos = skip_ws(text, pos + len);
                    used = pos;
                    continue;
                }
                Err(true) if !eof => return Stop::Done(used),
                Err(_) => {
                    return Stop::Damaged {
                        at: pos,
                        why: "a Graph page that does not close".into(),
                    };
                }
            },
            b']' if state.in_array => {
                state.in_array = false;
                pos = skip_ws(text, pos + 1);
                used = pos;
                continue;
            }
            b'{' => {}
            // A stray element of an array (a null, a number, a string) is a record that does
            // not read: it costs itself, named by its number, and the elements after it read.
            _ if state.in_array => {}
            _ => {
                return Stop::Damaged {
                    at: pos,
                    why: "expected a JSON object or array".into(),
                };
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
                        items.into_iter().for_each(|i| push(out, i))
                    }
                    _ => push(out, v),
                }
                pos = skip_ws(text, pos + one.byte_offset());
                used = pos;
            }
            // Cut by the end of the window: read it with the next one.
            Some(Err(e)) if e.is_eof() && !eof => return Stop::Done(used),
            // A Graph page cut part-way (interrupted paging) or with a broken record: its
            // records are read one by one, as the elements of the array it opened.
            Some(Err(_)) if !state.in_array && page_items(&text[pos..]).is_some() => {
                let items = page_items(&text[pos..]).expect("just found");
                (state.in_array, state.in_page) = (true, true);
                pos = skip_ws(text, pos + items);
                used = pos;
            }
            Some(Err(e)) => {
                return Stop::Damaged {
                    at: pos,
                    why: normalise::json_error(&e),
                };
            }
            None => break,
        }
    }
    Stop::Done(used)
}

/// The length of the end of a Graph page, from the `]` that closes its records through its
/// own `}` (`], "@odata.nextLink": "..."}`); `Err(true)` when the text ends inside it,
/// `Err(false)` when it is not one.
fn page_tail(text: &str) -> Result<usize, bool> {
    let bytes = text.as_bytes();
    let mut pos = skip_ws(bytes, 1);
    loop {
        match bytes.get(pos) {
            None => return Err(true),
            Some(b'}') => return Ok(pos + 1),
            Some(b'"') => {
                let mut pair =
                    serde_json::Deserializer::from_str(&text[pos..]).into_iter::<&RawValue>();
                match pair.next() {
                    Some(Ok(_)) => pos += pair.byte_offset(),
                    Some(Err(e)) => return Err(e.is_eof()),
                    None => return Err(true),
                }
                pos = skip_ws(bytes, pos);
                match bytes.get(pos) {
                    None => return Err(true),
                    Some(b':') => {}
                    Some(_) => return Err(false),
                }
                let mut value =
                    serde_json::Deserializer::from_str(&text[pos + 1..]).into_iter::<&RawValue>();
                match value.next() {
                    Some(Ok(_)) => pos = skip_ws(bytes, pos + 1 + value.byte_offset()),
                    Some(Err(e)) => return Err(e.is_eof()),
                    None => return Err(true),
                }
            }
            Some(_) => return Err(false),
        }
    }
}
/// [`json_elements_in`] for the inside of an array of objects, without validating them: each
/// element's end is found by counting braces outside strings, 64 bytes at a time with bit masks,
/// instead of serde reading every byte (that read was 40% of loading a JSON array). Where every
/// element is valid JSON the spans, bytes used and `state` are exactly `json_elements_in`'s; this
/// does not check that, so the caller must parse every element and, if any fails, redo the
/// window with `json_elements_in` (from the state before this call). `None` where it does not
/// apply: outside an array, at its end, at anything but an object, or at a cut last value.
pub fn array_objects(text: &[u8], state: &mut DocState, eof: bool) -> Option<(Vec<Span>, usize)> {
    if !state.in_array || state.lost.is_some() {
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
            // Cut by the end of the window: read it with the next one. Unless it is the
            // first: a broken string inverts the count of quotes, so no brace closes it; the
            // careful way tells a broken element from a long one, and the window is not
            // scanned again and again as it grows.
            None if !eof && !out.is_empty() => break,
            None => return None,
        }
    }
    state.line = line;
    state.records += out.len();
    state.offset += pos as u64;
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
                        ..DocState::default()
                    };
                    let (mut fast, mut careful) = (start.clone(), start);
                    let Some((spans, used)) = array_objects(window, &mut fast, at_end) else {
                        // Only a window whose first element the window's end cuts is left
                        // to the careful way, which finds no element in it either.
                        let (found, _, problem) = json_elements_in(window, &mut careful, at_end);
                        assert!(
                            found.is_empty() && problem.is_empty() && !at_end,
                            "declined a valid window: {:?}",
                            String::from_utf8_lossy(window)
                        );
                        continue;
                    };
                    let (expected, expected_used, problem) =
                        json_elements_in(window, &mut careful, at_end);
                    assert!(problem.is_empty());
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
        // Unless it is the first: a long element, or a broken one whose quotes no longer pair.
        assert!(
            declines(r#"{"b":"x}, {"c":1}, {"d":"#, false),
            "a first element open"
        );
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
