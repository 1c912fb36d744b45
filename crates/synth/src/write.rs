//! Writes records in each export format the loader reads, as the real tools write them
//! (formats.md sections a-e).

use super::records::ORG_ID;
use serde_json::{Value, json};
use sessionscope_core::model::record_type_name;
use sessionscope_core::time::parse_iso;
use std::io::{self, Write};

/// Every format the generator can write, by the name the CLI uses.
pub const FORMATS: &[&str] = &[
    "purview-csv",
    "purview-csv-2023",
    "classic-csv",
    "cmdlet-csv",
    "graph-csv",
    "json-lines",
    "api-json",
    "extractor-json",
    "graph-json",
    "siem-json-lines",
    "defender-json-lines",
    "mailbox-audit-log-csv",
    "sentinel-csv",
    "la-officeactivity-json-lines",
];

pub fn write(
    format: &str,
    records: impl IntoIterator<Item = Value>,
    w: &mut impl Write,
) -> io::Result<()> {
    match format {
        "purview-csv" => purview_csv(records, w, false),
        "purview-csv-2023" => purview_csv(records, w, true),
        "classic-csv" => classic_csv(records, w),
        "cmdlet-csv" => cmdlet_csv(records, w),
        "graph-csv" => graph_csv(records, w),
        "json-lines" => json_lines(records, w),
        "api-json" => api_json(records, w),
        "extractor-json" => extractor_json(records, w),
        "graph-json" => graph_json(records, w),
        "siem-json-lines" => siem_json_lines(records, w),
        "defender-json-lines" => defender_json_lines(records, w),
        "mailbox-audit-log-csv" => mailbox_audit_log_csv(records, w),
        "sentinel-csv" => sentinel_csv(records, w),
        "la-officeactivity-json-lines" => la_office_activity(records, w),
        other => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("unknown format {other}"),
        )),
    }
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// RFC 4180 quoting: always quoted, inner quotes doubled.
fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Quoted only when needed, as the Purview portal writes its cells.
fn q_min(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        q(s)
    } else {
        s.to_string()
    }
}

fn us_date(v: &Value) -> String {
    let t = parse_iso(s(v, "CreationTime")).unwrap_or(0);
    let dt = chrono::DateTime::<chrono::Utc>::from_timestamp(t, 0).unwrap_or_default();
    dt.format("%-m/%-d/%Y %-I:%M:%S %p").to_string()
}

fn iso7(v: &Value) -> String {
    format!("{}.0000000Z", s(v, "CreationTime"))
}

fn purview_csv(
    records: impl IntoIterator<Item = Value>,
    w: &mut impl Write,
    us_dates: bool,
) -> io::Result<()> {
    write!(
        w,
        "RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames\r\n"
    )?;
    for v in records {
        let date = if us_dates {
            us_date(&v)
        } else {
            q(&format!("{} ", iso7(&v)))
        };
        write!(
            w,
            "{},{},{},{},{},{},,\r\n",
            s(&v, "Id"),
            date,
            v["RecordType"],
            q_min(s(&v, "Operation")),
            q_min(s(&v, "UserId")),
            q(&v.to_string())
        )?;
    }
    Ok(())
}

fn classic_csv(records: impl IntoIterator<Item = Value>, w: &mut impl Write) -> io::Result<()> {
    write!(w, "CreationDate,UserIds,Operations,AuditData\r\n")?;
    for v in records {
        write!(
            w,
            "{},{},{},{}\r\n",
            iso7(&v),
            q_min(s(&v, "UserId")),
            q_min(s(&v, "Operation")),
            q(&v.to_string())
        )?;
    }
    Ok(())
}

fn cmdlet_csv(records: impl IntoIterator<Item = Value>, w: &mut impl Write) -> io::Result<()> {
    // Windows PowerShell 5.1: `Export-Csv -Encoding UTF8` writes a BOM and, without
    // -NoTypeInformation, a #TYPE line.
    w.write_all(b"\xef\xbb\xbf")?;
    write!(
        w,
        "#TYPE Deserialized.Microsoft.Exchange.Management.SystemConfigurationTasks.AuditRecord\r\n"
    )?;
    write!(
        w,
        "\"RunspaceId\",\"RecordType\",\"CreationDate\",\"UserIds\",\"Operations\",\"AuditData\",\"ResultIndex\",\"ResultCount\",\"Identity\",\"IsValid\",\"ObjectState\"\r\n"
    )?;
    let records: Vec<Value> = records.into_iter().collect();
    let n = records.len();
    for (i, v) in records.iter().enumerate() {
        let rt = record_type_name(v["RecordType"].as_u64().unwrap_or(0) as u16);
        write!(
            w,
            "{},{},{},{},{},{},{},{},{},\"True\",\"Unchanged\"\r\n",
            q("136b901e-a6bc-4f24-bb58-5c435090df91"),
            q(rt),
            q(&us_date(v)),
            q(s(v, "UserId")),
            q(s(v, "Operation")),
            q(&v.to_string()),
            q(&(i + 1).to_string()),
            q(&n.to_string()),
            q(s(v, "Id")),
        )?;
    }
    Ok(())
}

fn graph_record(v: &Value) -> Value {
    let rt = record_type_name(v["RecordType"].as_u64().unwrap_or(0) as u16);
    let mut camel = rt.to_string();
    if let Some(c) = camel.get_mut(0..1) {
        c.make_ascii_lowercase();
    }
    let mut audit = v.clone();
    audit["@odata.type"] = json!("#microsoft.graph.security.defaultAuditData");
    json!({
        "id": s(v, "Id"),
        "createdDateTime": format!("{}Z", s(v, "CreationTime")),
        "auditLogRecordType": camel,
        "operation": s(v, "Operation"),
        "organizationId": ORG_ID,
        "userType": "regular",
        "userId": s(v, "UserId"),
        "userPrincipalName": s(v, "UserId"),
        "service": s(v, "Workload"),
        "objectId": s(v, "ObjectId"),
        "clientIp": s(v, "ClientIP"),
        "administrativeUnits": [],
        "auditData": audit,
    })
}

fn graph_csv(records: impl IntoIterator<Item = Value>, w: &mut impl Write) -> io::Result<()> {
    write!(
        w,
        "\"id\",\"createdDateTime\",\"auditLogRecordType\",\"operation\",\"organizationId\",\"userType\",\"userId\",\"service\",\"objectId\",\"userPrincipalName\",\"clientIp\",\"administrativeUnits\",\"auditData\"\r\n"
    )?;
    for v in records {
        let g = graph_record(&v);
        let pretty = serde_json::to_string_pretty(&g["auditData"]).unwrap_or_default();
        let cells: Vec<String> = [
            "id",
            "createdDateTime",
            "auditLogRecordType",
            "operation",
            "organizationId",
            "userType",
            "userId",
            "service",
            "objectId",
            "userPrincipalName",
            "clientIp",
        ]
        .iter()
        .map(|k| q(s(&g, k)))
        .collect();
        write!(
            w,
            "{},\"\",{}\r\n",
            cells.join(","),
            q(&pretty.replace('\n', "\r\n"))
        )?;
    }
    Ok(())
}

fn json_lines(records: impl IntoIterator<Item = Value>, w: &mut impl Write) -> io::Result<()> {
    for v in records {
        writeln!(w, "{v}")?;
    }
    Ok(())
}

fn api_json(records: impl IntoIterator<Item = Value>, w: &mut impl Write) -> io::Result<()> {
    let all: Vec<Value> = records.into_iter().collect();
    serde_json::to_writer(&mut *w, &all)?;
    Ok(())
}

/// Microsoft-Extractor-Suite `-Output JSON`: wrapper objects with AuditData parsed, pretty
/// printed, one array per time slice appended to the same file.
fn extractor_json(records: impl IntoIterator<Item = Value>, w: &mut impl Write) -> io::Result<()> {
    let all: Vec<Value> = records.into_iter().collect();
    for slice in all.chunks(all.len().div_ceil(2).max(1)) {
        let wrapped: Vec<Value> = slice
            .iter()
            .map(|v| {
                json!({
                    "RunspaceId": "136b901e-a6bc-4f24-bb58-5c435090df91",
                    "RecordType": record_type_name(v["RecordType"].as_u64().unwrap_or(0) as u16),
                    "CreationDate": format!("{}", s(v, "CreationTime")),
                    "UserIds": s(v, "UserId"),
                    "Operations": s(v, "Operation"),
                    "AuditData": v,
                    "Identity": s(v, "Id"),
                    "IsValid": true,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *w, &wrapped)?;
        write!(w, "\r\n\r\n")?;
    }
    Ok(())
}

fn graph_json(records: impl IntoIterator<Item = Value>, w: &mut impl Write) -> io::Result<()> {
    let page: Vec<Value> = records.into_iter().map(|v| graph_record(&v)).collect();
    serde_json::to_writer_pretty(
        &mut *w,
        &json!({ "@odata.context": "https://graph.microsoft.com/beta/$metadata#security/auditLog/queries('x')/records", "value": page }),
    )?;
    Ok(())
}

fn siem_json_lines(records: impl IntoIterator<Item = Value>, w: &mut impl Write) -> io::Result<()> {
    for v in records {
        let line = json!({ "@timestamp": format!("{}Z", s(&v, "CreationTime")), "message": v.to_string() });
        writeln!(w, "{line}")?;
    }
    Ok(())
}

fn defender_json_lines(
    records: impl IntoIterator<Item = Value>,
    w: &mut impl Write,
) -> io::Result<()> {
    for v in records {
        let mut raw = v.clone();
        raw["CreationTime"] = json!(format!("{}Z", s(&v, "CreationTime")));
        let line = json!({
            "time": format!("{}.0000000Z", s(&v, "CreationTime")),
            "tenantId": ORG_ID,
            "operationName": "Publish",
            "category": "AdvancedHunting-CloudAppEvents",
            "properties": {
                "Timestamp": format!("{}Z", s(&v, "CreationTime")),
                "ActionType": s(&v, "Operation"),
                "Application": "Microsoft Exchange Online",
                "ApplicationId": 20893,
                "AccountDisplayName": s(&v, "UserId"),
                "IPAddress": s(&v, "ClientIPAddress"),
                "UserAgent": s(&v, "ClientInfoString"),
                "RawEventData": raw,
            }
        });
        writeln!(w, "{line}")?;
    }
    Ok(())
}

/// `Search-MailboxAuditLog -ShowDetails | Export-Csv`: mailbox records only (RecordType 2/3/50).
fn mailbox_audit_log_csv(
    records: impl IntoIterator<Item = Value>,
    w: &mut impl Write,
) -> io::Result<()> {
    write!(
        w,
        "\"Operation\",\"OperationResult\",\"LogonType\",\"FolderPathName\",\"DestFolderPathName\",\"MemberRights\",\"MemberUpn\",\"ClientInfoString\",\"ClientIPAddress\",\"MailboxOwnerUPN\",\"LogonUserDisplayName\",\"SourceItemSubjectsList\",\"ItemSubject\",\"SessionId\",\"LastAccessed\",\"Identity\",\"IsValid\",\"ObjectState\"\r\n"
    )?;
    for v in records {
        if !matches!(v["RecordType"].as_u64(), Some(2 | 3 | 50)) {
            continue;
        }
        let logon = match v["LogonType"].as_u64() {
            Some(0) => "Owner",
            Some(1) => "Admin",
            _ => "Delegate",
        };
        let folder = v
            .pointer("/Folder/Path")
            .or(v.pointer("/Item/ParentFolder/Path"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let subjects: Vec<&str> = v["AffectedItems"]
            .as_array()
            .map(|a| a.iter().filter_map(|i| i["Subject"].as_str()).collect())
            .unwrap_or_default();
        let cells = [
            s(&v, "Operation"),
            "Succeeded",
            logon,
            folder,
            v.pointer("/DestFolder/Path")
                .and_then(Value::as_str)
                .unwrap_or(""),
            v.pointer("/Item/ParentFolder/MemberRights")
                .and_then(Value::as_str)
                .unwrap_or(""),
            v.pointer("/Item/ParentFolder/MemberUpn")
                .and_then(Value::as_str)
                .unwrap_or(""),
            s(&v, "ClientInfoString"),
            s(&v, "ClientIPAddress"),
            s(&v, "MailboxOwnerUPN"),
            s(&v, "UserId"),
            &subjects.join("; "),
            v.pointer("/Item/Subject")
                .and_then(Value::as_str)
                .unwrap_or(""),
            s(&v, "SessionId"),
            &us_date(&v),
            s(&v, "Id"),
            "True",
            "Unchanged",
        ];
        let line: Vec<String> = cells.iter().map(|c| q(c)).collect();
        write!(w, "{}\r\n", line.join(","))?;
    }
    Ok(())
}

/// Sentinel `OfficeActivity` exported from Log Analytics: flattened columns, nested arrays
/// pretty-printed inside quoted cells, times in the portal's locale.
fn sentinel_csv(records: impl IntoIterator<Item = Value>, w: &mut impl Write) -> io::Result<()> {
    let cols = [
        "TenantId",
        "RecordType",
        "TimeGenerated [UTC]",
        "Operation",
        "OrganizationId",
        "UserType",
        "UserKey",
        "OfficeWorkload",
        "ResultStatus",
        "OfficeObjectId",
        "UserId",
        "ClientIP",
        "Parameters",
        "OriginatingServer",
        "Logon_Type",
        "MailboxOwnerUPN",
        "ClientInfoString",
        "Client_IPAddress",
        "Folder",
        "DestFolder",
        "AffectedItems",
        "Item",
        "Folders",
        "OfficeId",
        "SessionId",
        "AppAccessContext",
        "OperationProperties",
        "Type",
    ];
    write!(w, "{}\r\n", cols.join(","))?;
    for v in records {
        let t = parse_iso(s(&v, "CreationTime")).unwrap_or(0);
        let dt = chrono::DateTime::<chrono::Utc>::from_timestamp(t, 0).unwrap_or_default();
        let when = dt.format("%-m/%-d/%Y, %-I:%M:%S%.3f %p").to_string();
        let pretty = |k: &str| {
            v.get(k)
                .map(|x| {
                    serde_json::to_string_pretty(x)
                        .unwrap_or_default()
                        .replace('\n', "\r\n")
                })
                .unwrap_or_default()
        };
        let rt = record_type_name(v["RecordType"].as_u64().unwrap_or(0) as u16).to_string();
        let cells: Vec<String> = cols
            .iter()
            .map(|c| match *c {
                "TenantId" => ORG_ID.to_string(),
                "RecordType" => rt.clone(),
                "TimeGenerated [UTC]" => when.clone(),
                "OfficeWorkload" => s(&v, "Workload").into(),
                "OfficeObjectId" => s(&v, "ObjectId").into(),
                "Logon_Type" => v["LogonType"]
                    .as_u64()
                    .map(|n| {
                        sessionscope_core::model::LogonType::parse(&n.to_string())
                            .name()
                            .to_string()
                    })
                    .unwrap_or_default(),
                "Client_IPAddress" => s(&v, "ClientIPAddress").into(),
                "OfficeId" => s(&v, "Id").into(),
                "UserType" => "Regular".into(),
                "Type" => "OfficeActivity".into(),
                "Parameters"
                | "Folder"
                | "DestFolder"
                | "AffectedItems"
                | "Item"
                | "Folders"
                | "AppAccessContext"
                | "OperationProperties" => pretty(c),
                other => match v.get(other) {
                    Some(Value::String(x)) => x.clone(),
                    Some(Value::Null) | None => String::new(),
                    Some(x) => x.to_string(),
                },
            })
            .collect();
        let line: Vec<String> = cells.iter().map(|c| q_min(c)).collect();
        write!(w, "{}\r\n", line.join(","))?;
    }
    Ok(())
}

/// Log Analytics' `OfficeActivity` table as its data export writes it to storage
/// (`am-OfficeActivity/.../PT05M.json`): one JSON object a line, the table's columns
/// (`TimeGenerated`, `OfficeId`, `OfficeWorkload`, `Client_IPAddress`...), the record type by
/// name, dynamic columns (`AppAccessContext`, `Parameters`, `Folders`...) as JSON. Built from
/// the table's documented columns (no real data-export line is at hand; see
/// `fixtures/README.md`).
fn la_office_activity(
    records: impl IntoIterator<Item = Value>,
    w: &mut impl Write,
) -> io::Result<()> {
    for v in records {
        let t = parse_iso(s(&v, "CreationTime")).unwrap_or(0);
        let when = chrono::DateTime::<chrono::Utc>::from_timestamp(t, 0)
            .unwrap_or_default()
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string();
        let mut row = serde_json::Map::new();
        row.insert("TenantId".into(), json!(ORG_ID));
        row.insert("TimeGenerated".into(), json!(when));
        row.insert(
            "RecordType".into(),
            json!(record_type_name(
                v["RecordType"].as_u64().unwrap_or(0) as u16
            )),
        );
        for (column, field) in [
            ("OfficeId", "Id"),
            ("OfficeWorkload", "Workload"),
            ("OfficeObjectId", "ObjectId"),
            ("Client_IPAddress", "ClientIPAddress"),
        ] {
            if let Some(x) = v.get(field) {
                row.insert(column.into(), x.clone());
            }
        }
        for key in [
            "Operation",
            "OrganizationId",
            "UserKey",
            "ResultStatus",
            "UserId",
            "ClientIP",
            "MailboxOwnerUPN",
            "ClientInfoString",
            "SessionId",
            "AppAccessContext",
            "Parameters",
            "OperationProperties",
            "Item",
            "Folder",
            "DestFolder",
            "AffectedItems",
            "Folders",
            "ExtendedProperties",
            "ModifiedProperties",
            "DeviceProperties",
            "UserAgent",
            "AppId",
            "ClientAppId",
        ] {
            if let Some(x) = v.get(key) {
                row.insert(key.into(), x.clone());
            }
        }
        if let Some(n) = v["LogonType"].as_u64() {
            row.insert(
                "Logon_Type".into(),
                json!(sessionscope_core::model::LogonType::parse(&n.to_string()).name()),
            );
        }
        row.insert("SourceRecordId".into(), v["Id"].clone());
        row.insert("Type".into(), json!("OfficeActivity"));
        writeln!(w, "{}", Value::Object(row))?;
    }
    Ok(())
}
