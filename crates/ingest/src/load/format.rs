//! Export formats, recognised from content: the CSV header's column names, or the first JSON
//! value. Each format knows how to turn one of its records into AuditData JSON.

use super::csv;
use serde_json::{Map, Value};
use sessionscope_core::time;
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Purview portal audit search export (`RecordId,CreationDate,...,AuditData,...`).
    PurviewCsv,
    /// Older compliance-center export (`CreationDate,UserIds,Operations,AuditData`).
    ClassicCsv,
    /// `Search-UnifiedAuditLog | Export-Csv` (`RunspaceId,RecordType,...,Identity,...`).
    CmdletCsv,
    /// Graph audit-log query records saved as CSV (`id,createdDateTime,...,auditData`).
    GraphCsv,
    /// Sentinel `OfficeActivity` export: flattened columns, no AuditData.
    SentinelCsv,
    /// `Search-MailboxAuditLog -ShowDetails | Export-Csv`: flattened columns, no AuditData.
    MailboxAuditLogCsv,
    /// One JSON array, several arrays back to back, or pretty-printed objects.
    Json,
    /// One JSON object per line.
    JsonLines,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::PurviewCsv => "purview-csv",
            Format::ClassicCsv => "classic-csv",
            Format::CmdletCsv => "unified-audit-log-csv",
            Format::GraphCsv => "graph-csv",
            Format::SentinelCsv => "sentinel-officeactivity-csv",
            Format::MailboxAuditLogCsv => "mailbox-audit-log-csv",
            Format::Json => "json",
            Format::JsonLines => "json-lines",
        }
    }
}

/// One record's AuditData (or wrapper) JSON, and the id its wrapper row gives it.
pub struct RecordText<'r> {
    /// The JSON; if `doubled`, as a quoted CSV cell holds it, every quote doubled (read in
    /// place by `record_scan::read_record_doubled`; [`RecordText::into_json`] undoes it).
    pub json: Cow<'r, [u8]>,
    pub doubled: bool,
    pub wrapper_id: Option<Cow<'r, str>>,
}

impl<'r> RecordText<'r> {
    /// JSON as it is, with no wrapper row around it.
    pub fn plain(json: &'r [u8]) -> RecordText<'r> {
        RecordText {
            json: Cow::Borrowed(json),
            doubled: false,
            wrapper_id: None,
        }
    }

    /// The JSON, its doubled quotes undone.
    pub fn into_json(self) -> Cow<'r, [u8]> {
        if self.doubled {
            Cow::Owned(csv::undouble_json(&self.json))
        } else {
            self.json
        }
    }
}

/// A CSV export's header, understood.
#[derive(Debug, Clone)]
pub struct CsvLayout {
    pub format: Format,
    columns: Vec<String>,
    audit_data: Option<usize>,
    wrapper_id: Option<usize>,
}

impl CsvLayout {
    /// Recognises the export from its header cells, or says why it is not one.
    pub fn from_header(cells: &[String]) -> Result<CsvLayout, String> {
        let find = |name: &str| cells.iter().position(|c| c.eq_ignore_ascii_case(name));
        let has = |name: &str| find(name).is_some();
        let audit_data = find("AuditData");
        let format = if audit_data.is_some() {
            if has("RecordId") {
                Format::PurviewCsv
            } else if has("createdDateTime") || has("auditLogRecordType") {
                Format::GraphCsv
            } else if has("RunspaceId") || has("ResultIndex") || has("Identity") {
                Format::CmdletCsv
            } else {
                Format::ClassicCsv
            }
        } else if has("LastAccessed") && has("Operation") {
            Format::MailboxAuditLogCsv
        } else if has("OfficeWorkload") || has("TimeGenerated [UTC]") || has("OfficeId") {
            Format::SentinelCsv
        } else {
            let shown: Vec<&str> = cells.iter().take(6).map(String::as_str).collect();
            return Err(format!(
                "a CSV file but not an audit export: its header ({}) has no AuditData, \
                 LastAccessed or OfficeWorkload column",
                shown.join(",")
            ));
        };
        let wrapper_id = find("RecordId").or(find("Identity")).or(find("id"));
        Ok(CsvLayout {
            format,
            columns: cells.to_vec(),
            audit_data,
            wrapper_id,
        })
    }

    /// The AuditData JSON of one row, and the wrapper's record id when the row has one.
    pub fn record_json<'r>(&self, row: &'r [u8]) -> Result<RecordText<'r>, String> {
        let Some(col) = self.audit_data else {
            let cells = csv::fields(row);
            return Ok(RecordText {
                json: Cow::Owned(self.flattened_record(&cells)?.into_bytes()),
                doubled: false,
                wrapper_id: None,
            });
        };
        let n = self.columns.len();
        // The fast path finds the AuditData cell without splitting it; odd rows are split whole.
        let (cell, id_cell) = match csv::cell_range(row, col, n) {
            Some((s, e)) => {
                let id = self
                    .wrapper_id
                    .filter(|&i| i < col)
                    .and_then(|i| csv::cell_range(&row[..s], i, col + 1))
                    .map(|(a, b)| &row[a..b]);
                (&row[s..e], id)
            }
            None => {
                let cells = csv::fields(row);
                let Some(cell) = cells.get(col).copied() else {
                    return Err(format!(
                        "row has {} cells, the header {n}: no AuditData",
                        cells.len()
                    ));
                };
                (cell, self.wrapper_id.and_then(|i| cells.get(i).copied()))
            }
        };
        let (json, doubled) = match csv::json_cell(cell) {
            csv::JsonCell::Plain(text) => (text, false),
            csv::JsonCell::Doubled(inner) => (inner, true),
        };
        // (Blank or not, the same: a cell of whitespace holds no quotes to double.)
        if json.iter().all(u8::is_ascii_whitespace) {
            return Err("AuditData cell is empty".into());
        }
        let wrapper_id = id_cell
            .map(csv::unquote)
            .and_then(|c| match c {
                Cow::Borrowed(b) => std::str::from_utf8(b).ok().map(Cow::Borrowed),
                Cow::Owned(b) => String::from_utf8(b).ok().map(Cow::Owned),
            })
            .filter(|s| !s.trim().is_empty());
        Ok(RecordText {
            json: Cow::Borrowed(json),
            doubled,
            wrapper_id,
        })
    }

    fn cell(&self, cells: &[&[u8]], name: &str) -> Option<String> {
        let i = self
            .columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))?;
        let s = csv::text(cells.get(i)?);
        (!s.is_empty()).then_some(s)
    }

    /// Rebuilds AuditData from a flattened export (Sentinel, Search-MailboxAuditLog).
    fn flattened_record(&self, cells: &[&[u8]]) -> Result<String, String> {
        let mut m = Map::new();
        let put = |m: &mut Map<String, Value>, key: &str, v: Option<String>| {
            if let Some(v) = v {
                m.insert(key.to_string(), Value::String(v));
            }
        };
        let get = |name: &str| self.cell(cells, name);
        let time_col = if self.format == Format::SentinelCsv {
            get("TimeGenerated [UTC]")
                .or_else(|| get("TimeGenerated"))
                .or_else(|| get("Start_Time [UTC]"))
        } else {
            get("LastAccessed")
        };
        let time = time_col.as_deref().and_then(time::parse_loose);
        let Some(time) = time else {
            return Err(format!(
                "no readable time (got {:?})",
                time_col.unwrap_or_default()
            ));
        };
        put(&mut m, "CreationTime", Some(time::rfc3339(time)));
        for key in [
            "Operation",
            "ClientInfoString",
            "ClientIP",
            "SessionId",
            "MailboxOwnerUPN",
        ] {
            put(&mut m, key, get(key));
        }
        if self.format == Format::SentinelCsv {
            put(&mut m, "Id", get("OfficeId"));
            put(&mut m, "RecordType", get("RecordType"));
            put(&mut m, "UserId", get("UserId"));
            put(&mut m, "Workload", get("OfficeWorkload"));
            put(&mut m, "ResultStatus", get("ResultStatus"));
            put(&mut m, "ObjectId", get("OfficeObjectId"));
            put(&mut m, "LogonType", get("Logon_Type"));
            put(&mut m, "ClientIPAddress", get("Client_IPAddress"));
            put(&mut m, "UserAgent", get("UserAgent"));
            put(&mut m, "SendAsUserSmtp", get("SendAsUserSmtp"));
            put(
                &mut m,
                "SendOnBehalfOfUserSmtp",
                get("SendOnBehalfOfUserSmtp"),
            );
            for key in [
                "Parameters",
                "OperationProperties",
                "Item",
                "Folders",
                "AffectedItems",
                "Folder",
                "DestFolder",
                "ExtendedProperties",
                "AppAccessContext",
            ] {
                if let Some(v) = get(key) {
                    let parsed = serde_json::from_str(&v).unwrap_or(Value::String(v));
                    m.insert(key.to_string(), parsed);
                }
            }
        } else {
            let logon = get("LogonType");
            let owner = get("MailboxOwnerUPN");
            let actor = if logon.as_deref().is_none_or(|l| l == "Owner" || l == "0") {
                owner.clone()
            } else {
                get("LogonUserDisplayName").or(owner.clone())
            };
            put(&mut m, "Id", get("Identity"));
            put(&mut m, "UserId", actor);
            put(&mut m, "LogonType", logon);
            put(&mut m, "ResultStatus", get("OperationResult"));
            put(&mut m, "ClientIPAddress", get("ClientIPAddress"));
            m.insert("RecordType".into(), Value::from(2));
            m.insert("Workload".into(), Value::from("Exchange"));
            let folder = |path: Option<String>| {
                let mut f = Map::new();
                if let Some(p) = path {
                    f.insert("Path".into(), Value::String(p));
                }
                f
            };
            let mut parent = folder(get("FolderPathName"));
            put(&mut parent, "MemberUpn", get("MemberUpn"));
            put(&mut parent, "MemberRights", get("MemberRights"));
            let mut item = Map::new();
            put(&mut item, "Subject", get("ItemSubject"));
            item.insert("ParentFolder".into(), Value::Object(parent));
            m.insert("Item".into(), Value::Object(item));
            if let Some(subjects) = get("SourceItemSubjectsList") {
                let items: Vec<Value> = subjects
                    .split([';', '\n'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| serde_json::json!({ "Subject": s }))
                    .collect();
                m.insert("AffectedItems".into(), Value::Array(items));
                m.insert(
                    "Folder".into(),
                    Value::Object(folder(get("FolderPathName"))),
                );
                if let Some(dest) = get("DestFolderPathName") {
                    m.insert("DestFolder".into(), Value::Object(folder(Some(dest))));
                }
            }
            if let Some(props) = get("OperationProperties") {
                let parsed = serde_json::from_str(&props).unwrap_or(Value::String(props));
                m.insert("OperationProperties".into(), parsed);
            }
        }
        Ok(Value::Object(m).to_string())
    }
}
