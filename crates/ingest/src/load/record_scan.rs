//! [`AuditRecord`] read from the token positions [`super::scan`] finds, for speed: serde steps
//! through the ~1.5 KB record byte by byte, this reader steps from one bracket, quote, colon or
//! comma to the next (about 250 per record) and reads only the fields sessionscope uses.
//!
//! It accepts exactly what serde would and fills the same record; whatever it is not sure of
//! (a repeated field, a number serde would reformat, an escaped surrogate, deep nesting, a
//! record over 1 MiB, any malformation) it declines, and the caller parses with serde, which
//! then gives the same record or the error to report. The equivalence is property-tested
//! against serde.

use super::record::{
    AppAccessContext, AuditRecord, FolderAccess, FolderRef, Item, NameValue, NameValues, RawJson,
    Str,
};
use super::scan;
use std::borrow::Cow;
use std::cell::RefCell;

/// serde_json stops at 128 levels; this reader declines well before.
const MAX_DEPTH: usize = 100;

/// Longer records are left to serde (see [`read_record`]).
const MAX_RECORD: usize = scan::MAX_INDEXED_LINE;

#[cfg(any(test, feature = "internals"))]
/// `text` read as serde would read it into an [`AuditRecord`], or `None` to let serde decide.
pub fn read_record(text: &str) -> Option<AuditRecord<'_>> {
    let mut rec = AuditRecord::default();
    read_record_into(text, &mut rec).then_some(rec)
}

/// [`read_record`] into `rec`, which starts as the default record, so that the record (over a
/// kilobyte) is filled where it lives rather than moved out through each call. `false`: let
/// serde decide, and discard what `rec` holds.
pub fn read_record_into<'a>(text: &'a str, rec: &mut AuditRecord<'a>) -> bool {
    read::<false>(text, rec).is_some()
}

/// [`read_record_into`] for `text` whose tokens [`scan::index`] has found (as
/// [`scan::index_line`] finds them with the line).
pub fn read_indexed_record_into<'a>(
    text: &'a str,
    tokens: &[u32],
    rec: &mut AuditRecord<'a>,
) -> bool {
    text.len() <= MAX_RECORD && read_indexed::<false>(text, tokens, rec).is_some()
}

#[cfg(any(test, feature = "internals"))]
/// [`read_record`] for the JSON of a CSV cell as it lies in the file, every quote doubled:
/// the record that reading the copy made by `csv::unquote_json` (one quote of each pair
/// blanked) would give, without copying the cell. A wrapped record kept as raw JSON (a
/// cmdlet row's `AuditData` object) is the one part copied. `None` also wherever that copy
/// could not be made.
pub fn read_record_doubled(text: &str) -> Option<AuditRecord<'_>> {
    let mut rec = AuditRecord::default();
    read_record_doubled_into(text, &mut rec).then_some(rec)
}

/// [`read_record_doubled`] into `rec`, as [`read_record_into`].
pub fn read_record_doubled_into<'a>(text: &'a str, rec: &mut AuditRecord<'a>) -> bool {
    read::<true>(text, rec).is_some()
}

fn read<'a, const DOUBLED: bool>(text: &'a str, rec: &mut AuditRecord<'a>) -> Option<()> {
    if text.len() > MAX_RECORD {
        return None;
    }
    TOKENS.with_borrow_mut(|tokens| {
        let n = if DOUBLED {
            scan::index_doubled(text.as_bytes(), tokens)?
        } else {
            scan::index(text.as_bytes(), tokens)?
        };
        read_indexed::<DOUBLED>(text, &tokens[..n], rec)
    })
}

/// Lists emptied by [`recycle`], kept to be filled again: a record holds one to four
/// (`*Properties`, `Parameters`, `Folders`), and allocating and freeing each afresh showed as
/// about 4% of a loader worker's time.
#[derive(Default)]
struct Spare {
    lists: Vec<Vec<NameValue<'static>>>,
    folders: Vec<Vec<FolderAccess<'static>>>,
}

/// Spare lists kept per thread, at most this many of each kind, none with room for more than
/// [`SPARE_ROOM`] entries (a hostile record's list of a million is not kept).
const SPARE_LISTS: usize = 8;
const SPARE_ROOM: usize = 64;

/// `v` emptied, its allocation kept, for elements of another lifetime. (Collecting an empty
/// vector's iterator into one of the same layout reuses its allocation.)
fn relabel<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter()
        .map(|_| unreachable!("the vector is empty"))
        .collect()
}

fn spare_list<'a>() -> Vec<NameValue<'a>> {
    SPARE
        .with_borrow_mut(|s| s.lists.pop())
        .map_or_else(Vec::new, relabel)
}

fn spare_folders<'a>() -> Vec<FolderAccess<'a>> {
    SPARE
        .with_borrow_mut(|s| s.folders.pop())
        .map_or_else(Vec::new, relabel)
}

/// Whether a list with room for `room` entries is worth keeping beside `kept` others.
fn keep(room: usize, kept: usize) -> bool {
    (1..=SPARE_ROOM).contains(&room) && kept < SPARE_LISTS
}

/// Keeps the lists of a record that is done with, for the next records this thread reads.
/// (By reference: the record is over a kilobyte to move.)
pub fn recycle(rec: &mut AuditRecord) {
    SPARE.with_borrow_mut(|s| {
        for nv in [
            &mut rec.device_properties,
            &mut rec.extended_properties,
            &mut rec.parameters,
            &mut rec.operation_properties,
        ] {
            if keep(nv.list.capacity(), s.lists.len()) {
                s.lists.push(relabel(std::mem::take(&mut nv.list)));
            }
        }
        if keep(rec.folders.capacity(), s.folders.len()) {
            s.folders.push(relabel(std::mem::take(&mut rec.folders)));
        }
    });
}

thread_local! {
    static SPARE: RefCell<Spare> = RefCell::new(Spare::default());

    /// Token positions of the record being read. The buffer stays with the thread, at 4 bytes
    /// per byte of the largest record read: records over 1 MiB (real ones are a few KB; hostile
    /// ones reach 64 MB) go to serde.
    static TOKENS: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

/// `DOUBLED`: every quote of `text` is doubled (a CSV cell read in place, see
/// [`read_record_doubled`]).
fn read_indexed<'a, const DOUBLED: bool>(
    text: &'a str,
    tokens: &[u32],
    rec: &mut AuditRecord<'a>,
) -> Option<()> {
    let mut r = Reader::<DOUBLED> {
        text,
        bytes: text.as_bytes(),
        tokens,
        i: 0,
        pos: 0,
    };
    let (_, open) = r.token()?;
    if open != b'{' {
        return None;
    }
    let mut seen = 0u64;
    r.object(1, |r, key| {
        let Some(field) = field_index(&r.str_text(key)?) else {
            return r.skip_value(1);
        };
        let canonical = canonical(field);
        if seen & (1 << canonical) != 0 {
            return None; // serde reports a duplicate field
        }
        seen |= 1 << canonical;
        r.field(rec, field)
    })?;
    let rest = r.bytes.get(r.pos..)?;
    (rest.iter().all(|&b| Reader::<DOUBLED>::blank(b)) && r.peek_token().is_none()).then_some(())
}

/// Where a string's content lies: between its quotes, and whether it holds escapes.
/// (Offsets are 32-bit so that this and [`Start`] come back from calls in registers.)
#[derive(Clone, Copy)]
struct StrSpan {
    start: u32,
    end: u32,
    escaped: bool,
}

/// How a value begins. Strings and scalars are read whole; containers only opened.
enum Start {
    Str(StrSpan),
    /// A number, `true`, `false` or `null`, already checked against JSON's grammar.
    Scalar(u32, u32),
    Object(u32),
    Array(u32),
}

struct Reader<'a, 'i, const DOUBLED: bool> {
    text: &'a str,
    bytes: &'a [u8],
    /// Token positions ([`scan::index`]) and the next one to read.
    tokens: &'i [u32],
    i: usize,
    /// Just past the last token or scalar read; up to the next token is whitespace or a scalar.
    pos: usize,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\t' | b'\r')
}

impl<'a, const DOUBLED: bool> Reader<'a, '_, DOUBLED> {
    /// Whitespace, or the blank quote of a pair when quotes are doubled: the index has checked
    /// that every quote is paired, and the quote of each pair that is not a token is the one
    /// `csv::unquote_json` turns into a space.
    #[inline(always)]
    fn blank(b: u8) -> bool {
        is_ws(b) || (DOUBLED && b == b'"')
    }

    #[inline(always)]
    fn peek_token(&self) -> Option<usize> {
        self.tokens.get(self.i).map(|&p| p as usize)
    }

    #[inline(always)]
    fn next_token(&mut self) -> Option<usize> {
        let p = self.peek_token()?;
        self.i += 1;
        Some(p)
    }

    /// The next token, after nothing but whitespace.
    #[inline(always)]
    fn token(&mut self) -> Option<(usize, u8)> {
        let p = self.next_token()?;
        if !self.gap_is_blank(p) {
            return None;
        }
        self.pos = p + 1;
        Some((p, self.bytes[p]))
    }

    /// The rest of a string whose opening quote was just read.
    #[inline(always)]
    fn string_rest(&mut self) -> Option<StrSpan> {
        let start = self.pos;
        let mut escaped = false;
        loop {
            let p = self.next_token()?;
            match self.bytes[p] {
                b'"' => {
                    self.pos = p + 1;
                    return Some(StrSpan {
                        start: start as u32,
                        end: p as u32,
                        escaped,
                    });
                }
                b'\\' => {
                    self.check_escape(p)?;
                    escaped = true;
                }
                _ => return None,
            }
        }
    }

    /// An escape serde accepts in any string; escaped surrogates are left to serde, which
    /// treats them differently in keys, values and skipped text.
    fn check_escape(&self, backslash: usize) -> Option<()> {
        match *self.bytes.get(backslash + 1)? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(()),
            b'u' => {
                let hex =
                    std::str::from_utf8(self.bytes.get(backslash + 2..backslash + 6)?).ok()?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                let unit = u16::from_str_radix(hex, 16).ok()?;
                (!(0xD800..=0xDFFF).contains(&unit)).then_some(())
            }
            _ => None,
        }
    }

    /// A value that begins with the next token, at `p`: a string (read whole) or a container.
    #[inline(always)]
    fn token_value(&mut self, p: usize) -> Option<Start> {
        self.i += 1;
        self.pos = p + 1;
        match self.bytes[p] {
            b'"' => self.string_rest().map(Start::Str),
            b'{' => Some(Start::Object(p as u32)),
            b'[' => Some(Start::Array(p as u32)),
            _ => None,
        }
    }

    #[inline(always)]
    fn value_start(&mut self) -> Option<Start> {
        let p = self.peek_token()?;
        if p == self.pos {
            return self.token_value(p);
        }
        let gap = &self.bytes[self.pos..p];
        let Some(lead) = gap.iter().position(|&b| !Self::blank(b)) else {
            return self.token_value(p);
        };
        let start = self.pos + lead;
        let end = p - gap.iter().rev().position(|&b| !Self::blank(b))?;
        if !is_scalar(&self.bytes[start..end]) {
            return None;
        }
        self.pos = end;
        Some(Start::Scalar(start as u32, end as u32))
    }

    /// Reads an object's entries after its `{`, handing each key to `entry`, which must read
    /// the value.
    fn object(
        &mut self,
        depth: usize,
        mut entry: impl FnMut(&mut Self, StrSpan) -> Option<()>,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let (_, mut b) = self.token()?;
        if b == b'}' {
            return Some(());
        }
        loop {
            if b != b'"' {
                return None;
            }
            let key = self.string_rest()?;
            if self.token()?.1 != b':' {
                return None;
            }
            entry(self, key)?;
            match self.token()?.1 {
                b',' => b = self.token()?.1,
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// Reads an array's elements after its `[`, `element` reading each one.
    fn array(
        &mut self,
        depth: usize,
        mut element: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let p = self.peek_token()?;
        if self.bytes[p] == b']' && self.gap_is_blank(p) {
            self.i += 1;
            self.pos = p + 1;
            return Some(());
        }
        loop {
            element(self)?;
            match self.token()?.1 {
                b',' => {}
                b']' => return Some(()),
                _ => return None,
            }
        }
    }

    /// Reads past the rest of a value whose start was read, where serde reads it with
    /// `deserialize_any` and drops it (a list element or field of the wrong shape): like
    /// [`Reader::skip_value`], but serde parses a number there, so only plain ones pass.
    fn skip_started(&mut self, start: Start, depth: usize) -> Option<()> {
        match start {
            Start::Object(_) => self.skip_rest(true, depth + 1),
            Start::Array(_) => self.skip_rest(false, depth + 1),
            Start::Scalar(from, to) => plain_scalar(self.scalar(from, to)).then_some(()),
            Start::Str(_) => Some(()),
        }
    }

    /// Reads past a value, checking it is well-formed, as serde does for fields it ignores.
    fn skip_value(&mut self, depth: usize) -> Option<()> {
        match self.value_start()? {
            Start::Str(_) | Start::Scalar(..) => Some(()),
            container => self.skip_started(container, depth),
        }
    }

    /// Reads past the rest of an object or array whose opening bracket was just read, checking
    /// its grammar. One loop with a stack of bits (set: object) rather than recursion: this is
    /// where most of a record's tokens go by.
    fn skip_rest(&mut self, is_object: bool, depth: usize) -> Option<()> {
        let room = MAX_DEPTH.checked_sub(depth)?;
        let mut objects: u128 = u128::from(is_object);
        let mut level = 1;
        if !self.opened(is_object)? {
            return Some(());
        }
        'value: loop {
            let container = match self.value_start()? {
                Start::Object(_) => Some(true),
                Start::Array(_) => Some(false),
                Start::Str(_) | Start::Scalar(..) => None,
            };
            if let Some(is_object) = container {
                if level > room {
                    return None;
                }
                let bit = 1u128 << level;
                objects = if is_object {
                    objects | bit
                } else {
                    objects & !bit
                };
                level += 1;
                if self.opened(is_object)? {
                    continue 'value;
                }
                level -= 1;
            }
            // After a value: close containers until one continues with a comma.
            loop {
                let in_object = objects >> (level - 1) & 1 == 1;
                match self.token()?.1 {
                    b',' => {
                        if in_object {
                            self.key()?;
                        }
                        continue 'value;
                    }
                    b'}' if in_object => {}
                    b']' if !in_object => {}
                    _ => return None,
                }
                level -= 1;
                if level == 0 {
                    return Some(());
                }
            }
        }
    }

    /// After an opening bracket: `false` if the container closes at once, else `true` with
    /// a value to read next (an object's first key and its colon read).
    #[inline(always)]
    fn opened(&mut self, is_object: bool) -> Option<bool> {
        if is_object {
            match self.token()?.1 {
                b'}' => Some(false),
                b'"' => {
                    self.string_rest()?;
                    self.colon()?;
                    Some(true)
                }
                _ => None,
            }
        } else {
            let p = self.peek_token()?;
            if self.bytes[p] == b']' && self.gap_is_blank(p) {
                self.i += 1;
                self.pos = p + 1;
                Some(false)
            } else {
                Some(true)
            }
        }
    }

    /// A key and its colon, after a comma in an object.
    #[inline(always)]
    fn key(&mut self) -> Option<StrSpan> {
        if self.token()?.1 != b'"' {
            return None;
        }
        let key = self.string_rest()?;
        self.colon()?;
        Some(key)
    }

    #[inline(always)]
    fn colon(&mut self) -> Option<()> {
        (self.token()?.1 == b':').then_some(())
    }

    /// Whether only whitespace lies between the last token read and position `p`.
    #[inline(always)]
    fn gap_is_blank(&self, p: usize) -> bool {
        p == self.pos || self.bytes[self.pos..p].iter().all(|&b| Self::blank(b))
    }

    /// Reads past a value and gives its text (for strings, with the quotes).
    fn value_span(&mut self, depth: usize) -> Option<(usize, usize)> {
        match self.value_start()? {
            Start::Str(s) => Some((s.start as usize - 1, s.end as usize + 1)),
            Start::Scalar(start, end) => Some((start as usize, end as usize)),
            Start::Object(open) => {
                self.skip_rest(true, depth + 1)?;
                Some((open as usize, self.pos))
            }
            Start::Array(open) => {
                self.skip_rest(false, depth + 1)?;
                Some((open as usize, self.pos))
            }
        }
    }

    #[inline(always)]
    fn str_text(&self, s: StrSpan) -> Option<Cow<'a, str>> {
        let (start, end) = (s.start as usize, s.end as usize);
        if s.escaped {
            unescape(self.text.get(start..end)?).map(Cow::Owned)
        } else {
            self.text.get(start..end).map(Cow::Borrowed)
        }
    }

    fn scalar(&self, start: u32, end: u32) -> &'a [u8] {
        &self.bytes[start as usize..end as usize]
    }

    /// A field read as [`super::record::lenient`] reads it: any scalar as text, containers and
    /// null as nothing.
    fn lenient(&mut self, depth: usize) -> Option<Str<'a>> {
        match self.value_start()? {
            Start::Str(s) => self.str_text(s).map(Some),
            Start::Scalar(start, end) => {
                let literal = self.text.get(start as usize..end as usize)?;
                match literal {
                    "null" => Some(None),
                    "true" => Some(Some(Cow::Borrowed("True"))),
                    "false" => Some(Some(Cow::Borrowed("False"))),
                    // serde re-prints numbers; a plain integer prints as written.
                    _ => plain_scalar(literal.as_bytes()).then_some(Some(Cow::Borrowed(literal))),
                }
            }
            container => self.skip_started(container, depth).map(|()| None),
        }
    }

    /// A field kept as raw JSON text; `null` is no value.
    fn raw(&mut self, depth: usize) -> Option<Option<RawJson<'a>>> {
        let (start, end) = self.value_span(depth)?;
        let text = self.text.get(start..end)?;
        if text == "null" {
            return Some(None);
        }
        // A string's span is its token quotes and what lies between: no pair inside it.
        if DOUBLED && text.starts_with(['{', '[']) {
            let blanked = super::csv::blank_doubled_quotes(text.as_bytes())?;
            return Some(Some(RawJson(Cow::Owned(String::from_utf8(blanked).ok()?))));
        }
        Some(Some(RawJson(Cow::Borrowed(text))))
    }

    /// A `[{Name, Value}]` list, or the JSON string holding one.
    fn name_values(&mut self, depth: usize) -> Option<NameValues<'a>> {
        match self.value_start()? {
            Start::Str(s) => Some(NameValues {
                list: Vec::new(),
                stringly: Some(self.str_text(s)?),
                present: true,
            }),
            Start::Array(_) => {
                let mut list = spare_list();
                self.array(depth + 1, |r| match r.value_start()? {
                    Start::Object(_) => {
                        list.push(r.name_value(depth + 2)?);
                        Some(())
                    }
                    other => r.skip_started(other, depth + 1),
                })?;
                Some(NameValues {
                    list,
                    stringly: None,
                    present: true,
                })
            }
            other => self
                .skip_started(other, depth)
                .map(|()| NameValues::default()),
        }
    }

    fn name_value(&mut self, depth: usize) -> Option<NameValue<'a>> {
        let mut nv = NameValue::default();
        let (mut has_name, mut has_value) = (false, false);
        self.object(depth, |r, key| match &*r.str_text(key)? {
            "Name" if !has_name => {
                has_name = true;
                nv.name = r.lenient(depth)?;
                Some(())
            }
            "Value" if !has_value => {
                has_value = true;
                nv.value = r.lenient(depth)?;
                Some(())
            }
            "Name" | "Value" => None,
            _ => r.skip_value(depth),
        })?;
        Some(nv)
    }

    /// `AppAccessContext` as serde reads it (`record::app_access_context`): an object's two
    /// fields; anything else, or an object with a repeated field, an empty context. A list is
    /// left to serde, which reads a list into a struct by position.
    fn app_context(&mut self, depth: usize) -> Option<AppAccessContext<'a>> {
        match self.value_start()? {
            Start::Object(_) => {
                let mut ctx = AppAccessContext::default();
                let (mut seen, mut repeated) = (0u8, false);
                self.object(depth + 1, |r, key| {
                    let (bit, slot) = match &*r.str_text(key)? {
                        "AADSessionId" => (1, &mut ctx.aad_session_id),
                        "UniqueTokenId" => (2, &mut ctx.unique_token_id),
                        _ => return r.skip_value(depth + 1),
                    };
                    repeated |= seen & bit != 0;
                    seen |= bit;
                    *slot = r.lenient(depth + 1)?;
                    Some(())
                })?;
                Some(if repeated {
                    AppAccessContext::default()
                } else {
                    ctx
                })
            }
            Start::Array(_) => None,
            other => self
                .skip_started(other, depth)
                .map(|()| AppAccessContext::default()),
        }
    }

    /// `Item`, read as `record::payload` reads it when it has the shape Exchange writes: an
    /// object whose `ParentFolder` is an object or `null`. Any other shape, or a repeated
    /// field, serde's rules for payloads decide (see [`Reader::payload`]).
    fn item_payload(&mut self, depth: usize) -> Option<Option<Item<'a>>> {
        self.payload(|r| r.item(depth))
    }

    fn folder_payload(&mut self, depth: usize) -> Option<Option<FolderRef<'a>>> {
        self.payload(|r| r.folder_ref(depth))
    }

    /// `AffectedItems`: a list of items.
    fn items_payload(&mut self, depth: usize) -> Option<Option<Vec<Item<'a>>>> {
        self.payload(|r| {
            let Start::Array(_) = r.value_start()? else {
                return None;
            };
            let mut items = Vec::new();
            r.array(depth + 1, |r| {
                items.push(r.item(depth + 1)?);
                Some(())
            })?;
            Some(items)
        })
    }

    /// A nested payload: `null` is none, else what `read` reads. Where `read` declines (a
    /// shape serde would read, or refuse, by rules of its own: a list read into a struct by
    /// position, a repeated field making the payload empty), the record goes to serde.
    fn payload<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        let (i, pos) = (self.i, self.pos);
        if let Start::Scalar(start, end) = self.value_start()?
            && self.scalar(start, end) == b"null"
        {
            return Some(None);
        }
        // Read the value again from its start.
        (self.i, self.pos) = (i, pos);
        read(self).map(Some)
    }

    /// An item object inside a container at `depth`: `Subject` as text, `ParentFolder` an
    /// object or `null`.
    fn item(&mut self, depth: usize) -> Option<Item<'a>> {
        let mut item = Item::default();
        self.fields_once(depth, &["Subject", "ParentFolder"], |r, field| {
            if field == 0 {
                item.subject = r.lenient(depth + 1)?;
            } else {
                item.parent_folder = r.payload(|r| r.folder_ref(depth + 1))?;
            }
            Some(())
        })?;
        Some(item)
    }

    /// A folder object inside a container at `depth`: its path, name, and the member and rights
    /// of a permission.
    fn folder_ref(&mut self, depth: usize) -> Option<FolderRef<'a>> {
        let mut folder = FolderRef::default();
        let names = ["Path", "Name", "MemberUpn", "MemberRights"];
        self.fields_once(depth, &names, |r, field| {
            let slot = match field {
                0 => &mut folder.path,
                1 => &mut folder.name,
                2 => &mut folder.member_upn,
                _ => &mut folder.member_rights,
            };
            *slot = r.lenient(depth + 1)?;
            Some(())
        })?;
        Some(folder)
    }

    /// An object inside a container at `depth` whose keys among `names` go to `read` with
    /// their place in `names`, the rest skipped. Declines anything but an object, and an
    /// object that repeats one of `names` (which serde refuses).
    fn fields_once(
        &mut self,
        depth: usize,
        names: &[&str],
        mut read: impl FnMut(&mut Self, usize) -> Option<()>,
    ) -> Option<()> {
        let Start::Object(_) = self.value_start()? else {
            return None;
        };
        let mut seen = 0u32;
        self.object(depth + 1, |r, key| {
            let key = r.str_text(key)?;
            let Some(field) = names.iter().position(|&name| name == key) else {
                return r.skip_value(depth + 1);
            };
            if seen & 1 << field != 0 {
                return None;
            }
            seen |= 1 << field;
            read(r, field)
        })
    }

    /// `Folders` of a MailItemsAccessed record: each folder's path and item count.
    fn folders(&mut self, depth: usize) -> Option<Vec<FolderAccess<'a>>> {
        match self.value_start()? {
            Start::Array(_) => {
                let mut out = spare_folders();
                self.array(depth + 1, |r| match r.value_start()? {
                    Start::Object(_) => {
                        let mut folder = FolderAccess::default();
                        r.object(depth + 2, |r, key| match &*r.str_text(key)? {
                            "Path" => {
                                folder.path = r.lenient(depth + 2)?;
                                Some(())
                            }
                            "FolderItems" => {
                                folder.items = r.count(depth + 2)?;
                                Some(())
                            }
                            _ => r.skip_value(depth + 2),
                        })?;
                        out.push(folder);
                        Some(())
                    }
                    other => r.skip_started(other, depth + 1),
                })?;
                Some(out)
            }
            other => self.skip_started(other, depth).map(|()| Vec::new()),
        }
    }

    /// How many elements a list has; anything else counts none.
    fn count(&mut self, depth: usize) -> Option<usize> {
        match self.value_start()? {
            Start::Array(_) => {
                let mut n = 0;
                self.array(depth + 1, |r| {
                    n += 1;
                    r.skip_value(depth + 1)
                })?;
                Some(n)
            }
            other => self.skip_started(other, depth).map(|()| 0),
        }
    }
}

/// The fields the reader fills: a number (for the repeated-field check), the key as named in
/// [`AuditRecord`]'s serde attributes, how the value is read and where it goes. One list, so a
/// key and its slot cannot drift apart.
/// A field's number for duplicates: its own, or that of the field it is another name of.
macro_rules! same_as {
    ($bit:literal) => {
        $bit
    };
    ($bit:literal $canonical:literal) => {
        $canonical
    };
}

macro_rules! audit_fields {
    ($($bit:literal $key:literal => $read:ident $slot:ident $(as $canonical:literal)?,)*) => {
        /// Each field's key and number at the place [`field_slot`] gives it.
        const FIELD_TABLE: [(&str, u32); FIELD_SLOTS] = field_table(&[$(($key, $bit),)*]);

        fn field_index(key: &str) -> Option<u32> {
            if key.is_empty() {
                return None;
            }
            let (name, bit) = FIELD_TABLE[field_slot(key.as_bytes())];
            (name == key).then_some(bit)
        }

        /// The number a field counts as for duplicates: a Log Analytics column name counts
        /// as the field it names, as serde's aliases do.
        fn canonical(field: u32) -> u32 {
            match field {
                $($bit => same_as!($bit $($canonical)?),)*
                f => f,
            }
        }

        impl<'a, const DOUBLED: bool> Reader<'a, '_, DOUBLED> {
            fn field(&mut self, rec: &mut AuditRecord<'a>, field: u32) -> Option<()> {
                match field {
                    $($bit => rec.$slot = self.$read(1)?,)*
                    _ => return None,
                }
                Some(())
            }
        }
    };
}

/// Places in [`FIELD_TABLE`].
const FIELD_SLOTS: usize = 256;

/// A key's place in the field table: one compare per key rather than a search through the
/// names of its length. (The multipliers are ones for which no two field names share a place,
/// which building the table checks; the second and the last but one letter tell apart names
/// such as `OfficeWorkload` and `OfficeObjectId`.)
const fn field_slot(key: &[u8]) -> usize {
    let n = key.len();
    let second = key[if n > 1 { 1 } else { 0 }] as usize;
    let before_last = key[n.saturating_sub(2)] as usize;
    (n + key[0] as usize + second * 7 + before_last * 3 + key[n - 1] as usize * 80) % FIELD_SLOTS
}

const fn field_table(fields: &[(&'static str, u32)]) -> [(&'static str, u32); FIELD_SLOTS] {
    let mut table = [("", u32::MAX); FIELD_SLOTS];
    let mut i = 0;
    while i < fields.len() {
        let (name, bit) = fields[i];
        let slot = field_slot(name.as_bytes());
        assert!(table[slot].0.is_empty(), "two field names share a place");
        table[slot] = (name, bit);
        i += 1;
    }
    table
}

audit_fields! {
    0 "Id" => lenient id,
    1 "CreationTime" => lenient creation_time,
    2 "Operation" => lenient operation,
    3 "RecordType" => lenient record_type,
    4 "UserId" => lenient user_id,
    5 "Workload" => lenient workload,
    6 "ResultStatus" => lenient result_status,
    7 "ClientIP" => lenient client_ip,
    8 "ClientIPAddress" => lenient client_ip_address,
    9 "ActorIpAddress" => lenient actor_ip_address,
    10 "SessionId" => lenient session_id,
    11 "ClientInfoString" => lenient client_info_string,
    12 "UserAgent" => lenient user_agent,
    13 "MailboxOwnerUPN" => lenient mailbox_owner_upn,
    14 "ObjectId" => lenient object_id,
    15 "LogonType" => lenient logon_type,
    16 "OperationCount" => lenient operation_count,
    17 "SendAsUserSmtp" => lenient send_as_user_smtp,
    18 "SendOnBehalfOfUserSmtp" => lenient send_on_behalf_of_user_smtp,
    19 "LogonError" => lenient logon_error,
    20 "AppAccessContext" => app_context app_access_context,
    21 "DeviceProperties" => name_values device_properties,
    22 "ExtendedProperties" => name_values extended_properties,
    23 "Parameters" => name_values parameters,
    24 "OperationProperties" => name_values operation_properties,
    25 "Item" => item_payload item,
    26 "Folder" => folder_payload folder,
    27 "DestFolder" => folder_payload dest_folder,
    28 "AffectedItems" => items_payload affected_items,
    29 "Folders" => folders folders,
    30 "AuditData" => raw wrapped_audit_data,
    31 "auditData" => raw wrapped_graph_audit_data,
    32 "RawEventData" => raw wrapped_raw_event_data,
    33 "properties" => raw wrapped_properties,
    34 "message" => raw wrapped_message,
    35 "input" => raw wrapped_input,
    36 "Identity" => lenient wrapper_identity,
    37 "id" => lenient wrapper_id,
    38 "AppId" => lenient app_id,
    39 "ClientAppId" => lenient client_app_id,
    // Log Analytics' OfficeActivity columns (its data export, query results): the same
    // fields under the table's names.
    40 "TimeGenerated" => lenient creation_time as 1,
    41 "OfficeId" => lenient id as 0,
    42 "OfficeWorkload" => lenient workload as 5,
    43 "Client_IPAddress" => lenient client_ip_address as 8,
    44 "OfficeObjectId" => lenient object_id as 14,
    45 "Logon_Type" => lenient logon_type as 15,
}

/// A string's content with its escapes decoded. Every escape was checked as it was indexed
/// ([`Reader::check_escape`]: known letters, four hex digits, no surrogates), so each decodes.
fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    // (A byte search: folder paths, `\\Inbox`, make this run for most records, and searching
    // for a `char` cost more than the rest of the decoding.)
    while let Some(at) = memchr::memchr(b'\\', rest.as_bytes()) {
        out.push_str(&rest[..at]);
        let (decoded, len) = match rest.as_bytes().get(at + 1)? {
            b'"' => ('"', 2),
            b'\\' => ('\\', 2),
            b'/' => ('/', 2),
            b'b' => ('\u{8}', 2),
            b'f' => ('\u{c}', 2),
            b'n' => ('\n', 2),
            b'r' => ('\r', 2),
            b't' => ('\t', 2),
            b'u' => {
                let unit = u32::from_str_radix(rest.get(at + 2..at + 6)?, 16).ok()?;
                (char::from_u32(unit)?, 6)
            }
            _ => return None,
        };
        out.push(decoded);
        rest = rest.get(at + len..)?;
    }
    out.push_str(rest);
    Some(out)
}

/// `true`, `false`, `null` or a number, as JSON writes them.
fn is_scalar(b: &[u8]) -> bool {
    matches!(b, b"true" | b"false" | b"null") || is_number(b)
}

/// A scalar serde parses without trouble and, if it is a number, prints back as written: a
/// plain integer of up to 18 digits. (Floats, huge numbers and `-0` are left to serde.)
fn plain_scalar(b: &[u8]) -> bool {
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    match digits {
        b"true" | b"false" | b"null" => b.len() == digits.len(),
        [b'0'] => b.len() == 1,
        [b'1'..=b'9', rest @ ..] => rest.len() < 18 && rest.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

fn is_number(b: &[u8]) -> bool {
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let from = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > from
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field name finds its own number, each number once; other keys, near misses
    /// included, find none.
    #[test]
    fn each_field_name_finds_its_field() {
        let fields: Vec<_> = FIELD_TABLE
            .iter()
            .filter(|(name, _)| !name.is_empty())
            .collect();
        assert_eq!(fields.len(), 46);
        let mut bits: Vec<u32> = fields.iter().map(|&&(_, bit)| bit).collect();
        bits.sort_unstable();
        assert_eq!(bits, (0..46).collect::<Vec<_>>());
        for &&(name, bit) in &fields {
            assert_eq!(field_index(name), Some(bit), "{name}");
        }
        for other in [
            "", "ID", "Ids", "id ", "Folder2", "folders", "UserKey", "Version", "x",
        ] {
            assert_eq!(field_index(other), None, "{other}");
        }
    }

    /// A record's lists, once recycled, are the ones the next records on the thread fill: no
    /// allocation per list per record; and they come back empty.
    #[test]
    fn recycled_lists_are_filled_again() {
        let first = r#"{"Id":"a","ExtendedProperties":[{"Name":"UserAgent","Value":"x"}],"Folders":[{"Path":"\\Inbox"}]}"#;
        let second = r#"{"Id":"b","DeviceProperties":[{"Name":"OS","Value":"Windows"}],"Folders":[{"Path":"\\Sent"},{"Path":"\\Drafts"}]}"#;
        let mut rec = read_record(first).expect("the reader reads it");
        let lists = (
            rec.extended_properties.list.as_ptr(),
            rec.folders.as_ptr().cast::<u8>(),
        );
        recycle(&mut rec);
        assert!(rec.extended_properties.list.is_empty() && rec.folders.is_empty());
        let again = read_record(second).expect("the reader reads it");
        assert_eq!(
            (
                again.device_properties.list.as_ptr(),
                again.folders.as_ptr().cast::<u8>()
            ),
            lists
        );
        // A list with room for thousands is let go rather than kept.
        let many = format!(
            r#"{{"Parameters":[{}]}}"#,
            vec![r#"{"Name":"a","Value":"b"}"#; 5000].join(",")
        );
        let mut big = read_record(&many).expect("the reader reads it");
        let big_list = big.parameters.list.as_ptr();
        recycle(&mut big);
        let after = read_record(second).expect("the reader reads it");
        assert_ne!(after.device_properties.list.as_ptr(), big_list);
        let names: Vec<_> = again
            .device_properties
            .list
            .iter()
            .map(|nv| nv.name.as_deref())
            .collect();
        assert_eq!(names, [Some("OS")]);
        let paths: Vec<_> = again.folders.iter().map(|f| f.path.as_deref()).collect();
        assert_eq!(paths, [Some("\\Sent"), Some("\\Drafts")]);
    }
}
