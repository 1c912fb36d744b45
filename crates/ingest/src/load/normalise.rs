//! From one AuditData record (possibly inside wrappers) to one [`Event`].

use super::csv;
use super::format::RecordText;
use super::record::{AppAccessContext, AuditRecord, NameValues, RawJson, lookup, name_values};
use super::record_scan::{
    read_indexed_record_into, read_record_doubled_into, read_record_into, recycle,
};
use super::summary::summarize_into;
use sessionscope_core::intern::{Interner, Sym};
use sessionscope_core::ip;
use sessionscope_core::model::{
    Event, Kind, LogonType, Place, RecordId, SourceRef, is_absent_id, record_type_number,
};
use sessionscope_core::time;
use std::borrow::Cow;

/// How deep wrappers may nest (SIEM test wrapper > message string > Defender envelope >
/// properties > RawEventData is four).
const MAX_WRAPPER_DEPTH: usize = 6;

/// A record parsed and normalised, with the key used to drop duplicates. The event's `kind`
/// is not numbered yet: its [`Kind`] is beside it, for the worker's table.
pub struct Normalised {
    pub event: Event,
    pub kind: Kind,
    /// The client IP as the record wrote it, where that differs from the event's `ip`.
    pub ip_original: Sym,
    pub dedupe_key: u128,
}

/// Parses a record's JSON (an AuditData object or a wrapper around one) into an event whose
/// strings are interned in `interner`.
pub fn normalise_json(
    record: &RecordText,
    source: SourceRef,
    interner: &mut Interner,
) -> Result<Normalised, String> {
    let wrapper_id = record.wrapper_id.as_deref();
    if !record.doubled {
        return visit(&record.json, 0, wrapper_id, source, interner);
    }
    if let Some(read) = visit_doubled(&record.json, wrapper_id, source, interner) {
        return read;
    }
    // What the in-place reader declines is read from a copy with the quotes undone, by the
    // same reader or by serde, whose error is then the one reported.
    visit(
        &csv::undouble_json(&record.json),
        0,
        wrapper_id,
        source,
        interner,
    )
}

/// A CSV cell's record read in place, its quotes still doubled; `None` to read a copy instead.
/// (A record keyed by content is keyed by the cell's text, which identifies it as well as the
/// copy's would.)
fn visit_doubled(
    json: &[u8],
    wrapper_id: Option<&str>,
    source: SourceRef,
    interner: &mut Interner,
) -> Option<Result<Normalised, String>> {
    let text = simdutf8::compat::from_utf8(json).ok()?;
    let mut rec = AuditRecord::default();
    if !read_record_doubled_into(text, &mut rec) {
        return None;
    }
    let event = event_of(&rec, json, 0, wrapper_id, source, interner);
    recycle(&mut rec);
    Some(event)
}

/// What `scan::index_line` found in a record's line.
pub struct Indexed<'t> {
    tokens: &'t [u32],
    /// Every byte of the record is ASCII: it is not checked to be UTF-8 again.
    ascii: bool,
}

impl<'t> Indexed<'t> {
    /// # Safety
    /// `ascii` only if every byte of the record this is given with is ASCII: the record is
    /// then taken as UTF-8 unchecked.
    pub unsafe fn new(tokens: &'t [u32], ascii: bool) -> Indexed<'t> {
        Indexed { tokens, ascii }
    }
}

/// [`normalise_json`] of a JSON Lines record, indexed if `scan::index_line` could.
pub fn normalise_line(
    json: &[u8],
    indexed: Option<Indexed>,
    source: SourceRef,
    interner: &mut Interner,
) -> Result<Normalised, String> {
    visit_indexed(json, indexed, 0, None, source, interner)
}

fn visit(
    json: &[u8],
    depth: usize,
    wrapper_id: Option<&str>,
    source: SourceRef,
    interner: &mut Interner,
) -> Result<Normalised, String> {
    visit_indexed(json, None, depth, wrapper_id, source, interner)
}

/// [`visit`] with what indexing the record found, if it was indexed.
fn visit_indexed(
    json: &[u8],
    indexed: Option<Indexed>,
    depth: usize,
    wrapper_id: Option<&str>,
    source: SourceRef,
    interner: &mut Interner,
) -> Result<Normalised, String> {
    if depth > MAX_WRAPPER_DEPTH {
        return Err("records nested too deeply in wrappers".into());
    }
    // Validating the whole record once (vectorised, chosen at run time) lets serde_json skip
    // checking every string it borrows; that is faster than its per-string checks.
    let text = match &indexed {
        // SAFETY: ASCII is UTF-8, and `Indexed::new`'s caller vouches that the record is.
        Some(Indexed { ascii: true, .. }) => unsafe { std::str::from_utf8_unchecked(json) },
        _ => simdutf8::compat::from_utf8(json)
            .map_err(|e| format!("invalid UTF-8 at byte {} of the record", e.valid_up_to()))?,
    };
    let mut rec = AuditRecord::default();
    let read = match indexed {
        Some(Indexed { tokens, .. }) => read_indexed_record_into(text, tokens, &mut rec),
        None => read_record_into(text, &mut rec),
    };
    if !read {
        rec = serde_json::from_str(text).map_err(|e| json_error(&e))?;
    }
    let event = event_of(&rec, json, depth, wrapper_id, source, interner);
    recycle(&mut rec);
    event
}

/// The event of a record read at wrapper depth `depth`: of the record it wraps, if it is a
/// wrapper.
fn event_of(
    rec: &AuditRecord,
    json: &[u8],
    depth: usize,
    wrapper_id: Option<&str>,
    source: SourceRef,
    interner: &mut Interner,
) -> Result<Normalised, String> {
    if let Some(inner) = rec.inner() {
        let outer_id = rec.wrapper_record_id().or(wrapper_id);
        return visit_raw(inner, depth + 1, outer_id, source, interner);
    }
    build(rec, json, wrapper_id, source, interner)
}

fn visit_raw(
    raw: &RawJson,
    depth: usize,
    wrapper_id: Option<&str>,
    source: SourceRef,
    interner: &mut Interner,
) -> Result<Normalised, String> {
    let text = raw.get();
    if text.starts_with('"') {
        let decoded: String = serde_json::from_str(text).map_err(|e| json_error(&e))?;
        visit(decoded.as_bytes(), depth, wrapper_id, source, interner)
    } else if text.starts_with('{') {
        visit(text.as_bytes(), depth, wrapper_id, source, interner)
    } else {
        Err("wrapped AuditData is neither an object nor a JSON string".into())
    }
}

pub fn json_error(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Eof => "JSON cut short",
        serde_json::error::Category::Syntax => "invalid JSON",
        serde_json::error::Category::Data => "unexpected JSON shape",
        serde_json::error::Category::Io => "read error",
    };
    format!("{what} ({e})")
}

fn present<'s>(s: &'s Option<Cow<'_, str>>) -> Option<&'s str> {
    s.as_deref().map(trim).filter(|s| !s.is_empty())
}

/// `str::trim`, without its character-by-character pass when both ends are printable ASCII
/// (nearly every value; this runs a dozen times a record).
fn trim(s: &str) -> &str {
    let printable = |b: Option<&u8>| b.is_some_and(|&b| (b'!'..=b'~').contains(&b));
    if printable(s.as_bytes().first()) && printable(s.as_bytes().last()) {
        s
    } else {
        s.trim()
    }
}

fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) || !s.is_ascii() {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

fn owned_lower(s: &str) -> Cow<'static, str> {
    Cow::Owned(lower(s).into_owned())
}

fn session_id<'r>(rec: &'r AuditRecord, ctx: &'r AppAccessContext) -> Option<Cow<'r, str>> {
    if let Some(s) = present(&rec.session_id).filter(|s| !is_absent_id(s)) {
        return Some(lower(s));
    }
    if let Some(s) = present(&ctx.aad_session_id).filter(|s| !is_absent_id(s)) {
        return Some(lower(s));
    }
    lookup_value(&rec.device_properties, "SessionId")
        .filter(|s| !is_absent_id(s))
        .map(|s| match s {
            Cow::Borrowed(s) => lower(s),
            Cow::Owned(s) => owned_lower(&s),
        })
}

/// `name`'s value in a name/value list: borrowed from the record unless the list came as a
/// JSON string (and was parsed into a list of its own).
fn lookup_value<'r>(list: &'r NameValues<'_>, name: &str) -> Option<Cow<'r, str>> {
    match name_values(list) {
        Cow::Borrowed(list) => lookup(list, name).map(Cow::Borrowed),
        Cow::Owned(list) => lookup(&list, name).map(|s| Cow::Owned(s.to_owned())),
    }
}

/// The client string; for a record that names none (app-only access, which has no session
/// either) the application that acted, as `AppId=<id>`, so its reads still have a client to
/// pivot on and judge.
fn client<'r>(rec: &'r AuditRecord) -> Option<Cow<'r, str>> {
    if let Some(c) = present(&rec.client_info_string).or(present(&rec.user_agent)) {
        return Some(Cow::Borrowed(c));
    }
    if let Some(ua) = lookup_value(&rec.extended_properties, "UserAgent") {
        return Some(ua);
    }
    // Exchange's own id names the service, not who called it (every admin cmdlet has it).
    let app = present(&rec.client_app_id)
        .or(present(&rec.app_id))
        .filter(|a| !a.eq_ignore_ascii_case(sessionscope_core::audit::EXCHANGE_APP_ID))?;
    Some(Cow::Owned(format!("AppId={app}")))
}

/// The mailbox or object an action was aimed at.
fn target<'r>(rec: &'r AuditRecord) -> Option<Cow<'r, str>> {
    if let Some(owner) = present(&rec.mailbox_owner_upn) {
        return Some(lower(owner));
    }
    if rec.parameters.is_present() {
        let params = name_values(&rec.parameters);
        if let Some(identity) = lookup(&params, "Identity") {
            let mailbox = identity.split('\\').next().unwrap_or(identity);
            return Some(owned_lower(mailbox.trim()));
        }
    }
    let object = present(&rec.object_id)?;
    // Exchange admin ObjectIds read `server/Microsoft Exchange Hosted Organizations/org/alias\Rule`.
    let last = object.rsplit('/').next().unwrap_or(object);
    let mailbox = last.split('\\').next().unwrap_or(last);
    Some(lower(if mailbox.is_empty() { object } else { mailbox }))
}

fn record_key(id: Option<&str>, json: &[u8], interner: &mut Interner) -> (RecordId, u128) {
    if let Some(id) = id
        && let Ok(uuid) = uuid::Uuid::try_parse(id)
        && !uuid.is_nil()
    {
        return (RecordId::Guid(*uuid.as_bytes()), uuid.as_u128());
    }
    // Anonymised or missing ids ("ANONYMIZED", "8e2cdebf") are not unique: only a record
    // identical to the byte is a duplicate.
    let rid = RecordId::Other(interner.intern(id.unwrap_or("")));
    (rid, content_hash(json))
}

fn content_hash(bytes: &[u8]) -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let mut a = rustc_hash::FxBuildHasher.build_hasher();
    a.write(bytes);
    let mut b = rustc_hash::FxBuildHasher.build_hasher();
    b.write_usize(bytes.len());
    b.write(bytes.get(..64).unwrap_or(bytes));
    b.write(bytes.get(bytes.len().saturating_sub(64)..).unwrap_or(bytes));
    // The top bit marks content keys so they never collide with a GUID key of the same value.
    (u128::from(a.finish()) << 64 | u128::from(b.finish())) | (1u128 << 127)
}

fn build(
    rec: &AuditRecord,
    json: &[u8],
    wrapper_id: Option<&str>,
    source: SourceRef,
    interner: &mut Interner,
) -> Result<Normalised, String> {
    let Some(created) = present(&rec.creation_time) else {
        return Err("record has no CreationTime".into());
    };
    let Some(time) = time::parse_iso(created) else {
        return Err(format!("CreationTime {created:?} is not a timestamp"));
    };
    let Ok(time) = u32::try_from(time) else {
        return Err(format!("CreationTime {created:?} is outside 1970-2106"));
    };
    let place = Place::new(source.offset, source.len)?;
    let operation = present(&rec.operation).unwrap_or("");
    let ctx = &rec.app_access_context;

    let (ip_raw, ip_norm) = [
        &rec.client_ip,
        &rec.client_ip_address,
        &rec.actor_ip_address,
    ]
    .into_iter()
    .filter_map(present)
    .find_map(|raw| Some((raw, ip::normalise(raw)?)))
    .unzip();

    let (record_id, dedupe_key) = record_key(present(&rec.id).or(wrapper_id), json, interner);
    let token = present(&ctx.unique_token_id).filter(|t| !is_absent_id(t));

    SUMMARY.with_borrow_mut(|summary| {
        summarize_into(operation, rec, summary);
        let mut sym = |s: Option<&str>| s.map_or(Sym::EMPTY, |s| interner.intern(s));
        // The raw address is often the address, and the target mailbox the user's own: the
        // handle already found is taken rather than looked up again (it is the one a lookup
        // would give).
        let user_id = present(&rec.user_id).map(lower);
        let user = sym(user_id.as_deref());
        let operation = sym(Some(operation));
        let session = sym(session_id(rec, ctx).as_deref());
        let ip = sym(ip_norm.as_deref());
        let ip_original = if ip_raw == ip_norm.as_deref() {
            Sym::EMPTY
        } else {
            sym(ip_raw)
        };
        let client = sym(client(rec).as_deref());
        let target_id = target(rec);
        let target = if target_id.is_some() && target_id == user_id {
            user
        } else {
            sym(target_id.as_deref())
        };
        let (record_id, guid_id) = record_id.to_bytes();
        let kind = Kind {
            file: source.file,
            record_type: present(&rec.record_type).map_or(0, record_type_number),
            logon_type: present(&rec.logon_type).map_or(LogonType::Unknown, LogonType::parse),
            guid_id,
            workload: sym(present(&rec.workload)),
            result: sym(present(&rec.result_status)),
        };
        let event = Event {
            time,
            user,
            operation,
            session,
            ip,
            client,
            target,
            summary: sym(Some(summary)),
            token: sym(token),
            kind: 0,
            record_id,
            place,
        };
        Ok(Normalised {
            event,
            kind,
            ip_original,
            dedupe_key,
        })
    })
}

thread_local! {
    /// The summary of the record being built: one string, written again for every record.
    static SUMMARY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts of the fields `pick` takes from the record of `json`.
    fn texts<const N: usize>(json: &str, pick: impl Fn(&Normalised) -> [Sym; N]) -> [String; N] {
        let mut interner = Interner::default();
        let n = normalise_json(
            &super::super::format::RecordText::plain(json.as_bytes()),
            SourceRef::new(0, 0, 0),
            &mut interner,
        )
        .expect("the record reads");
        pick(&n).map(|s| interner.resolve(s).to_string())
    }

    /// The event's strings, resolved: (user, ip, raw ip where it differs, target).
    fn strings(json: &str) -> [String; 4] {
        texts(json, |n| {
            let e = &n.event;
            [e.user, e.ip, n.ip_original, e.target]
        })
    }

    /// An Entra ID sign-in's session and client come from its property lists, given as lists
    /// or as JSON strings holding them (both seen in exports); the session lower-cased.
    #[test]
    fn session_and_client_are_read_from_property_lists_of_both_shapes() {
        let session_and_client = |json: &str| texts(json, |n| [n.event.session, n.event.client]);
        let base = r#""CreationTime":"2024-01-01T00:00:00","Operation":"UserLoggedIn""#;
        let device = r#"[{"Name":"SessionId","Value":"AB12-CD"}]"#;
        let extended = r#"[{"Name":"UserAgent","Value":"Mozilla/5.0 X"}]"#;
        let as_lists =
            format!(r#"{{{base},"DeviceProperties":{device},"ExtendedProperties":{extended}}}"#);
        let as_strings = format!(
            r#"{{{base},"DeviceProperties":{},"ExtendedProperties":{}}}"#,
            serde_json::to_string(device).unwrap(),
            serde_json::to_string(extended).unwrap()
        );
        for json in [as_lists, as_strings] {
            assert_eq!(
                session_and_client(&json),
                ["ab12-cd", "Mozilla/5.0 X"],
                "{json}"
            );
        }
    }

    /// A handle found for one field is taken for another holding the same text: each field
    /// must still resolve to its own text when they differ.
    #[test]
    fn raw_address_and_target_resolve_to_their_own_text() {
        let base = r#""CreationTime":"2024-01-01T00:00:00","Operation":"MailItemsAccessed""#;
        let own = format!(
            r#"{{{base},"UserId":"Alex@Contoso.com","MailboxOwnerUPN":"alex@contoso.com","ClientIPAddress":"203.0.113.7"}}"#
        );
        assert_eq!(
            strings(&own),
            ["alex@contoso.com", "203.0.113.7", "", "alex@contoso.com"]
        );
        let other = format!(
            r#"{{{base},"UserId":"alex@contoso.com","MailboxOwnerUPN":"ceo@contoso.com","ClientIP":"203.0.113.7:50010"}}"#
        );
        assert_eq!(
            strings(&other),
            [
                "alex@contoso.com",
                "203.0.113.7",
                "203.0.113.7:50010",
                "ceo@contoso.com"
            ]
        );
        let no_target = format!(r#"{{{base},"UserId":"alex@contoso.com"}}"#);
        assert_eq!(strings(&no_target)[3], "");
    }

    #[test]
    fn values_are_trimmed_as_str_trim_does() {
        for s in [
            "a",
            " a ",
            "\ta\r\n",
            "\u{a0}alex@contoso.com\u{2003}",
            "é",
            "x\u{3000}",
            "\u{1}a",
            "",
            " ",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
    }
}
