//! The normalised event and the small vocabularies around it. No I/O here.

use crate::intern::Sym;

use rustc_hash::FxHashMap;

/// Where the raw record of an event lives, so the detail view can re-read it instead of the
/// store keeping a second copy of every record in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceRef {
    pub file: u16,
    pub offset: u64,
    pub len: u32,
}

impl SourceRef {
    /// The record at `offset..offset + len` of the decoded text of file `file`.
    pub fn new(file: u16, offset: u64, len: u32) -> SourceRef {
        SourceRef { file, offset, len }
    }
}

/// An event's record's place in its file (the file is the event's [`Kind`]'s): offset and
/// length packed in 8 bytes, which limits a file's decoded text to 1 TiB and a record to
/// 16 MiB (real records are a few KiB; 1 TiB of export is some 600M records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place(u64);

const PLACE_LEN_BITS: u32 = 24;
const PLACE_OFFSET_BITS: u32 = 64 - PLACE_LEN_BITS;

impl Place {
    /// The place of `len` bytes at `offset`, or why they cannot be held.
    pub fn new(offset: u64, len: u32) -> Result<Place, String> {
        if u64::from(len) >> PLACE_LEN_BITS != 0 {
            return Err(format!(
                "record of {} bytes is larger than the 16 MiB a record may be",
                len
            ));
        }
        if offset >> PLACE_OFFSET_BITS != 0 {
            return Err(format!(
                "record at byte {offset} is beyond the first 1 TiB of its file; split the export"
            ));
        }
        Ok(Place(offset | u64::from(len) << PLACE_OFFSET_BITS))
    }

    pub fn offset(self) -> u64 {
        self.0 & ((1 << PLACE_OFFSET_BITS) - 1)
    }

    pub fn bytes(self) -> u32 {
        (self.0 >> PLACE_OFFSET_BITS) as u32
    }

    pub fn in_file(self, file: u16) -> SourceRef {
        SourceRef::new(file, self.offset(), self.bytes())
    }
}

/// The audit record's `Id`: a GUID (the normal case), or the interned text of anything else
/// (anonymised ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordId {
    Guid([u8; 16]),
    Other(Sym),
}

impl RecordId {
    /// The id as an event holds it (16 bytes, a handle in the first four) and whether it is a
    /// GUID, which the event's [`Kind`] records.
    pub fn to_bytes(self) -> ([u8; 16], bool) {
        match self {
            RecordId::Guid(b) => (b, true),
            RecordId::Other(s) => {
                let mut b = [0; 16];
                b[..4].copy_from_slice(&s.0.to_le_bytes());
                (b, false)
            }
        }
    }

    pub fn from_bytes(b: [u8; 16], guid: bool) -> RecordId {
        if guid {
            RecordId::Guid(b)
        } else {
            RecordId::Other(Sym(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
        }
    }
}

/// What many events have in common: the file they were read from and the few-valued fields
/// of their records. Each distinct combination (a few dozen in a tenant's export) is stored
/// once in a [`Kinds`] table and events hold its number, which keeps an event at 64 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Kind {
    pub file: u16,
    pub record_type: u16,
    pub logon_type: LogonType,
    /// The event's `record_id` is a GUID (else the handle of the id's text).
    pub guid_id: bool,
    pub workload: Sym,
    pub result: Sym,
}

/// The distinct [`Kind`]s of a store's (or a loading worker's) events, numbered.
#[derive(Debug, Clone, Default)]
pub struct Kinds {
    list: Vec<Kind>,
    numbers: FxHashMap<Kind, u32>,
}

impl Kinds {
    pub fn number(&mut self, kind: Kind) -> u32 {
        *self.numbers.entry(kind).or_insert_with(|| {
            self.list.push(kind);
            self.list.len() as u32 - 1
        })
    }

    pub fn get(&self, number: u32) -> &Kind {
        &self.list[number as usize]
    }

    pub fn all(&self) -> &[Kind] {
        &self.list
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// One audit record, normalised. Strings are interned handles into the store's interner;
/// `Sym::EMPTY` means absent. Fields few events differ in are in the event's [`Kind`]; the
/// client IP as the record wrote it, where it differs from `ip`, is kept beside the events
/// ([`crate::store::Store::ip_original`]).
#[derive(Debug, Clone, Copy)]
pub struct Event {
    /// Unix seconds, UTC, from AuditData `CreationTime`. 32 bits (1970 to 2106) keep the event
    /// small; the loader reports records dated outside that range.
    pub time: u32,
    pub user: Sym,
    pub operation: Sym,
    pub session: Sym,
    /// Normalised (no port, no brackets, IPv4-mapped IPv6 as IPv4).
    pub ip: Sym,
    pub client: Sym,
    pub target: Sym,
    pub summary: Sym,
    pub token: Sym,
    /// The number of the event's [`Kind`].
    pub kind: u32,
    /// See [`RecordId::to_bytes`].
    pub record_id: [u8; 16],
    pub place: Place,
}

// Ten million events are held in memory: a field that adds padding costs 76 MiB.
const _: () = assert!(std::mem::size_of::<Event>() == 64);

impl Event {
    pub fn record_id(&self, kind: &Kind) -> RecordId {
        RecordId::from_bytes(self.record_id, kind.guid_id)
    }
}

impl Event {
    /// An event with nothing but a time, a place in a file and a kind number (for tests of
    /// the orderings and indexes built from events).
    pub fn blank(time: u32, place: Place, kind: u32) -> Event {
        Event {
            time,
            user: Sym::EMPTY,
            operation: Sym::EMPTY,
            session: Sym::EMPTY,
            ip: Sym::EMPTY,
            client: Sym::EMPTY,
            target: Sym::EMPTY,
            summary: Sym::EMPTY,
            token: Sym::EMPTY,
            kind,
            record_id: [0; 16],
            place,
        }
    }
}

/// Exchange mailbox `LogonType` (SCHEMA "Exchange Mailbox schema").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LogonType {
    #[default]
    Unknown,
    Owner,
    Admin,
    Delegated,
    Transport,
    SystemService,
    BestAccess,
    DelegatedAdmin,
}

impl LogonType {
    pub fn parse(s: &str) -> LogonType {
        match s.trim() {
            "0" | "Owner" => LogonType::Owner,
            "1" | "Admin" => LogonType::Admin,
            "2" | "Delegated" | "Delegate" => LogonType::Delegated,
            "3" | "Transport" => LogonType::Transport,
            "4" | "SystemService" => LogonType::SystemService,
            "5" | "BestAccess" => LogonType::BestAccess,
            "6" | "DelegatedAdmin" => LogonType::DelegatedAdmin,
            _ => LogonType::Unknown,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LogonType::Unknown => "",
            LogonType::Owner => "Owner",
            LogonType::Admin => "Admin",
            LogonType::Delegated => "Delegated",
            LogonType::Transport => "Transport",
            LogonType::SystemService => "SystemService",
            LogonType::BestAccess => "BestAccess",
            LogonType::DelegatedAdmin => "DelegatedAdmin",
        }
    }
}

const RECORD_TYPES: &[(u16, &str)] = &[
    (1, "ExchangeAdmin"),
    (2, "ExchangeItem"),
    (3, "ExchangeItemGroup"),
    (4, "SharePoint"),
    (6, "SharePointFileOperation"),
    (7, "OneDrive"),
    (8, "AzureActiveDirectory"),
    (9, "AzureActiveDirectoryAccountLogon"),
    (10, "DataCenterSecurityCmdlet"),
    (11, "ComplianceDLPSharePoint"),
    (13, "ComplianceDLPExchange"),
    (14, "SharePointSharingOperation"),
    (15, "AzureActiveDirectoryStsLogon"),
    (18, "SecurityComplianceCenterEOPCmdlet"),
    (19, "ExchangeAggregatedOperation"),
    (20, "PowerBIAudit"),
    (25, "MicrosoftTeams"),
    (28, "ThreatIntelligence"),
    (29, "MailSubmission"),
    (40, "SecurityComplianceAlerts"),
    (41, "ThreatIntelligenceUrl"),
    (47, "ThreatIntelligenceAtpContent"),
    (50, "ExchangeItemAggregated"),
    (52, "DataInsightsRestApiAudit"),
    (54, "SharePointListItemOperation"),
    (64, "AirInvestigation"),
    (65, "Quarantine"),
    (66, "MicrosoftForms"),
    (68, "ComplianceManager"),
    (78, "PowerBIDlp"),
    (90, "MicrosoftDefenderForIdentity"),
    (180, "MicrosoftDefenderExperts"),
];

/// Name of a `RecordType` number; unknown numbers have no name.
pub fn record_type_name(n: u16) -> &'static str {
    RECORD_TYPES
        .iter()
        .find(|(k, _)| *k == n)
        .map_or("", |(_, v)| v)
}

/// Number of a `RecordType` given as a number, a PascalCase name (cmdlet CSV) or a
/// lower-camel name (Graph); 0 when unknown.
pub fn record_type_number(s: &str) -> u16 {
    let s = s.trim();
    if let Ok(n) = s.parse() {
        return n;
    }
    RECORD_TYPES
        .iter()
        .find(|(_, v)| v.eq_ignore_ascii_case(s))
        .map_or(0, |(k, _)| *k)
}

/// True for session id values that mean "no session": empty, all-zero GUIDs and the
/// `NULL` that spreadsheet and DuckDB round trips leave behind.
pub fn is_absent_id(s: &str) -> bool {
    let s = s.trim();
    s.is_empty()
        || s.eq_ignore_ascii_case("null")
        || s.eq_ignore_ascii_case("<null>")
        || s.bytes()
            .all(|b| b == b'0' || b == b'-' || b == b'{' || b == b'}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_and_ids_pack_without_loss() {
        let at = Place::new((1 << 40) - 1, (1 << 24) - 1).unwrap();
        assert_eq!((at.offset(), at.bytes()), ((1 << 40) - 1, (1 << 24) - 1));
        let at = Place::new(12345, 99).unwrap().in_file(3);
        assert_eq!((at.file, at.offset, at.len), (3, 12345, 99));
        assert!(Place::new(1 << 40, 1).unwrap_err().contains("1 TiB"));
        assert!(Place::new(0, 1 << 24).unwrap_err().contains("16 MiB"));
        for id in [RecordId::Other(Sym(70_000)), RecordId::Guid([7; 16])] {
            let (bytes, guid) = id.to_bytes();
            assert_eq!(RecordId::from_bytes(bytes, guid), id);
        }
    }

    #[test]
    fn kinds_are_numbered_once_each() {
        let mut kinds = Kinds::default();
        let a = Kind {
            record_type: 2,
            ..Kind::default()
        };
        let b = Kind { file: 1, ..a };
        assert_eq!(
            [a, b, a, b].map(|k| kinds.number(k)),
            [0, 1, 0, 1],
            "a kind seen again keeps its number"
        );
        assert_eq!(kinds.get(1), &b);
        assert_eq!(kinds.len(), 2);
    }

    #[test]
    fn record_types_both_ways() {
        assert_eq!(record_type_name(50), "ExchangeItemAggregated");
        assert_eq!(record_type_number("ExchangeAdmin"), 1);
        assert_eq!(record_type_number("exchangeItemGroup"), 3);
        assert_eq!(record_type_number("15"), 15);
        assert_eq!(record_type_number("Nonsense"), 0);
    }

    #[test]
    fn absent_session_ids() {
        assert!(is_absent_id(""));
        assert!(is_absent_id("00000000-0000-0000-0000-000000000000"));
        assert!(is_absent_id("NULL"));
        assert!(!is_absent_id("12bce6d0-bfeb-4a82-abe6-98ccf3196a11"));
        assert!(!is_absent_id("ANONYMIZED"));
    }
}
