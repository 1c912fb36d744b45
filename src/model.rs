//! The normalised event and the small vocabularies around it. No I/O here.

use crate::intern::Sym;

/// Where the raw record of an event lives, so the detail view can re-read it instead of the
/// store keeping a second copy of every record in memory. Packed into 12 bytes (offsets up to
/// 256 TiB) because every event carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceRef {
    pub file: u16,
    offset_high: u16,
    offset_low: u32,
    pub len: u32,
}

impl SourceRef {
    /// The record at `offset..offset + len` of the decoded text of file `file`.
    pub fn new(file: u16, offset: u64, len: u32) -> SourceRef {
        SourceRef {
            file,
            offset_high: (offset >> 32) as u16,
            offset_low: offset as u32,
            len,
        }
    }

    pub fn offset(self) -> u64 {
        u64::from(self.offset_high) << 32 | u64::from(self.offset_low)
    }
}

/// The audit record's `Id`. GUIDs (the normal case) are stored as 16 bytes; anything else
/// (anonymised ids) is interned, its handle kept as bytes so the id stays 17 bytes with no
/// padding in the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordId {
    Guid([u8; 16]),
    Other([u8; 4]),
}

impl RecordId {
    pub fn other(sym: Sym) -> RecordId {
        RecordId::Other(sym.0.to_le_bytes())
    }

    /// The interned text of a non-GUID id.
    pub fn other_sym(self) -> Option<Sym> {
        match self {
            RecordId::Other(b) => Some(Sym(u32::from_le_bytes(b))),
            RecordId::Guid(_) => None,
        }
    }
}

/// One audit record, normalised. Strings are interned handles into the store's interner;
/// `Sym::EMPTY` means absent.
#[derive(Debug, Clone, Copy)]
pub struct Event {
    /// Unix seconds, UTC, from AuditData `CreationTime`. 32 bits (1970 to 2106) keep the event
    /// at 80 bytes; the loader reports records dated outside that range.
    pub time: u32,
    pub user: Sym,
    pub operation: Sym,
    pub session: Sym,
    pub ip: Sym,
    pub ip_raw: Sym,
    pub client: Sym,
    pub target: Sym,
    pub summary: Sym,
    pub workload: Sym,
    pub result: Sym,
    pub token: Sym,
    pub record_id: RecordId,
    pub record_type: u16,
    pub logon_type: LogonType,
    pub source: SourceRef,
}

#[cfg(test)]
impl Event {
    /// An event with nothing but a time and a place in a file.
    pub fn blank(time: u32, source: SourceRef) -> Event {
        Event {
            time,
            user: Sym::EMPTY,
            operation: Sym::EMPTY,
            session: Sym::EMPTY,
            ip: Sym::EMPTY,
            ip_raw: Sym::EMPTY,
            client: Sym::EMPTY,
            target: Sym::EMPTY,
            summary: Sym::EMPTY,
            workload: Sym::EMPTY,
            result: Sym::EMPTY,
            token: Sym::EMPTY,
            record_id: RecordId::Guid([0; 16]),
            record_type: 0,
            logon_type: LogonType::Unknown,
            source,
        }
    }
}

/// Exchange mailbox `LogonType` (SCHEMA "Exchange Mailbox schema").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
    fn events_stay_small() {
        // 1M events are held in memory: a field that adds padding costs megabytes.
        assert!(std::mem::size_of::<Event>() <= 80);
        let at = SourceRef::new(3, (1 << 40) + 12345, 99);
        assert_eq!((at.file, at.offset(), at.len), (3, (1 << 40) + 12345, 99));
        assert_eq!(RecordId::other(Sym(70_000)).other_sym(), Some(Sym(70_000)));
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
