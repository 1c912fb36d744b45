//! The detail of one action: every normalised field, the payload in plain words, then the raw
//! record. Built once when the detail opens (it re-reads the record from its file), so drawing
//! it costs nothing more than showing lines.

use crate::audit;
use crate::facts;
use crate::store::Store;
use crate::time::{Zone, rfc3339};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetailLine {
    Heading(String),
    Field(String, String),
    Text(String),
}

#[derive(Debug, Clone)]
pub struct DetailView {
    pub event: u32,
    pub lines: Vec<DetailLine>,
    pub scroll: usize,
}

fn field(lines: &mut Vec<DetailLine>, name: &str, value: impl Into<String>) {
    let value = value.into();
    if !value.is_empty() {
        lines.push(DetailLine::Field(name.to_string(), value));
    }
}

/// `Value` as one line of text: strings bare, everything else as JSON.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `[{Name, Value}]` lists (Parameters, OperationProperties, ...) as one field per entry; values
/// that are JSON in a string (RuleActions) are decoded.
fn name_values(lines: &mut Vec<DetailLine>, list: &Value) {
    let Some(items) = list.as_array() else { return };
    for item in items {
        let name = plain(&item["Name"]);
        let mut value = plain(&item["Value"]);
        if (value.starts_with('[') || value.starts_with('{'))
            && let Ok(inner) = serde_json::from_str::<Value>(&value)
        {
            value = inner.to_string();
        }
        if !name.is_empty() {
            lines.push(DetailLine::Field(name, value));
        }
    }
}

fn payload(lines: &mut Vec<DetailLine>, raw: &Value) {
    for key in [
        "Parameters",
        "OperationProperties",
        "ExtendedProperties",
        "DeviceProperties",
    ] {
        if raw
            .get(key)
            .is_some_and(|v| v.as_array().is_some_and(|a| !a.is_empty()))
        {
            lines.push(DetailLine::Heading(key.to_string()));
            name_values(lines, &raw[key]);
        }
    }
    if let Some(item) = raw.get("Item").filter(|v| v.is_object()) {
        lines.push(DetailLine::Heading("Item".into()));
        field(lines, "subject", plain(&item["Subject"]));
        let folder = &item["ParentFolder"];
        field(lines, "folder", plain(&folder["Path"]));
        field(lines, "member", plain(&folder["MemberUpn"]));
        field(lines, "rights", plain(&folder["MemberRights"]));
        field(lines, "attachments", plain(&item["Attachments"]));
    }
    if let Some(items) = raw.get("AffectedItems").and_then(Value::as_array) {
        lines.push(DetailLine::Heading(format!(
            "Affected items ({})",
            items.len()
        )));
        for i in items {
            let subject = plain(&i["Subject"]);
            let folder = plain(&i["ParentFolder"]["Path"]);
            lines.push(DetailLine::Text(format!("{folder}  \"{subject}\"")));
        }
    }
    if let Some(folders) = raw.get("Folders").and_then(Value::as_array) {
        lines.push(DetailLine::Heading("Folders accessed".into()));
        for f in folders {
            let n = f["FolderItems"].as_array().map_or(0, Vec::len);
            lines.push(DetailLine::Text(format!(
                "{}  ({n} items)",
                plain(&f["Path"])
            )));
        }
    }
}

pub fn build(
    store: &Store,
    sources: &crate::Sources,
    event: u32,
    zone: Zone,
    verdict: Option<&str>,
    note: Option<&str>,
    assessment: &[crate::analysis::Assessment],
) -> DetailView {
    let e = &store.events[event as usize];
    let row = facts::timeline_row(store, event);
    let mut lines = vec![DetailLine::Heading("Action".into())];
    field(
        &mut lines,
        "time",
        format!(
            "{} {}",
            zone.format(i64::from(e.time), "%Y-%m-%d %H:%M:%S"),
            zone.label()
        ),
    );
    field(
        &mut lines,
        "operation",
        format!(
            "{} ({}, record type {})",
            row.operation, row.record_type_name, row.record_type
        ),
    );
    field(&mut lines, "user", row.user.clone());
    let session = match (&row.session_id, verdict) {
        (Some(s), Some(v)) => format!("{s}  [{v}]"),
        (Some(s), None) => s.clone(),
        (None, _) => "none: legacy/basic auth or system; cannot be tied to a logon".into(),
    };
    field(&mut lines, "session", session);
    field(&mut lines, "note", note.unwrap_or_default());
    let ip = match (&row.ip, &row.ip_original) {
        (Some(ip), Some(orig)) if ip != orig => format!("{ip}  (as recorded: {orig})"),
        (Some(ip), _) => ip.clone(),
        _ => String::new(),
    };
    field(&mut lines, "IP", ip);
    if let Some(place) = row.ip.as_deref().and_then(|ip| store.geo.of(ip)) {
        field(&mut lines, "IP is", place.line());
    }
    field(&mut lines, "client", row.client.clone().unwrap_or_default());
    field(&mut lines, "target", row.target.clone().unwrap_or_default());
    field(&mut lines, "result", row.result.clone().unwrap_or_default());
    field(
        &mut lines,
        "workload",
        row.workload.clone().unwrap_or_default(),
    );
    field(&mut lines, "logon type", row.logon_type.unwrap_or_default());
    field(
        &mut lines,
        "token id",
        row.token_id.clone().unwrap_or_default(),
    );
    // Kept out of the event (shown only here): read from the record itself.
    let raw = sources.record(store, e);
    if let Some(issued) = raw
        .as_ref()
        .ok()
        .and_then(|r| r["AppAccessContext"]["IssuedAtTime"].as_str())
        .and_then(crate::time::parse_iso)
    {
        field(&mut lines, "token issued", rfc3339(issued));
    }
    field(
        &mut lines,
        "record id",
        row.record_id.clone().unwrap_or_default(),
    );
    if let Some(file) = sources.file_of(store, e) {
        field(&mut lines, "file", file.path.display().to_string());
    }
    if let Some(a) = store
        .session_of(e)
        .and_then(|s| assessment.get(s))
        .filter(|a| !a.reasons.is_empty())
    {
        lines.push(DetailLine::Heading(format!(
            "Session risk {} (compared with the user's other sessions)",
            a.risk
        )));
        // Reasons this very action is behind are marked, so the list says why it matters.
        for r in &a.reasons {
            let mark = if r.records.contains(&event) {
                "»"
            } else {
                "·"
            };
            lines.push(DetailLine::Text(format!("{mark} {}", r.text)));
        }
    }
    if let Some(session) = store.session_of(e).map(|s| &store.sessions[s]) {
        let (all, birth) = store.sign_ins_of(session);
        if let Some(b) = birth {
            lines.push(DetailLine::Heading(format!(
                "Session born ({} sign-in{} joined)",
                all.len(),
                if all.len() == 1 { "" } else { "s" }
            )));
            lines.push(DetailLine::Text(b.line(zone)));
            field(&mut lines, "sign-in app", b.app.clone().unwrap_or_default());
            field(
                &mut lines,
                "client app",
                b.client_app.clone().unwrap_or_default(),
            );
            field(
                &mut lines,
                "user agent",
                b.user_agent.clone().unwrap_or_default(),
            );
            field(&mut lines, "risk", b.risk.clone().unwrap_or_default());
        }
    }
    lines.push(DetailLine::Heading("What it did".into()));
    lines.push(DetailLine::Text(if row.summary.is_empty() {
        "(no payload beyond the fields above)".into()
    } else {
        row.summary.clone()
    }));
    if let Some(action) = store.action(event) {
        lines.push(DetailLine::Heading("What the record says it did".into()));
        lines.extend(
            audit::action::describe(action)
                .into_iter()
                .map(DetailLine::Text),
        );
    }
    match raw {
        Ok(raw) => {
            payload(&mut lines, &raw);
            lines.push(DetailLine::Heading("Raw record".into()));
            let pretty = serde_json::to_string_pretty(&raw).unwrap_or_default();
            lines.extend(pretty.lines().map(|l| DetailLine::Text(l.to_string())));
        }
        Err(why) => {
            lines.push(DetailLine::Heading("Raw record".into()));
            lines.push(DetailLine::Text(format!("(cannot be shown: {why})")));
        }
    }
    DetailView {
        event,
        lines,
        scroll: 0,
    }
}
