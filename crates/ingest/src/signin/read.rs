//! Entra ID sign-in exports, recognised from content: the portal's CSV download (`Date (UTC)`,
//! `Session ID`, `Autonomous system  number` with its double space, `Application ID ` with a
//! trailing space), Graph `auditLogs/signIns` JSON (camelCase, beta fields such as `sessionId`),
//! the same objects as PowerShell writes them (PascalCase: Microsoft-Extractor-Suite, appended
//! arrays or JSON Lines), Sentinel `SigninLogs` / `AADNonInteractiveUserSignInLogs` CSV, and
//! Defender `EntraIdSignInEvents` / `AADSignInEventsBeta` CSV. Every record is seen as
//! [`Fields`], `key -> text` with keys compared without case or extra spaces and nested objects
//! (or JSON in a CSV cell) as `devicedetail.browser`; each field of a [`SignIn`] is taken from
//! the first of its known names. JSON records are read into a typed record
//! (`graph.rs`), CSV rows into a map.

use crate::load::{FileReport, Problem};
use serde::Deserialize;
use serde_json::Value;
use sessionscope_core::signin::SignIn;
use std::collections::HashMap;
use std::path::Path;

/// The formats, by what their first record or header row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInFormat {
    Json,
    Csv,
}

impl SignInFormat {
    pub fn name(self) -> &'static str {
        match self {
            SignInFormat::Json => "Entra sign-in log (JSON)",
            SignInFormat::Csv => "Entra sign-in log (CSV)",
        }
    }
}

/// `Autonomous system  number` -> `autonomous system number`.
fn key(k: &str) -> String {
    k.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

/// Keys that only a sign-in record has, next to a user and a time: enough to tell a sign-in
/// export from an audit export (whose records have `Operation` or `AuditData`).
fn is_sign_in(keys: &[String]) -> bool {
    let has = |k: &str| keys.iter().any(|x| x == k);
    let audit = has("operation") || has("auditdata") || has("operations") || has("officeworkload");
    // A service principal's sign-in has no user; it is claimed here, to be named as such.
    let user = has("userprincipalname")
        || has("username")
        || has("accountupn")
        || has("serviceprincipalid") && has("category");
    let signin = has("createddatetime") && (has("appdisplayname") || has("ipaddress"))
        || has("date (utc)") && has("request id")
        || has("resulttype") && has("appdisplayname")
        || has("sessionid") && has("logontype") && has("accountupn")
        || has("uniquetokenidentifier") && has("ipaddress");
    !audit && user && signin
}

/// The sign-in format of `text` (decoded), or `None` when it is not a sign-in export.
pub fn sniff(text: &str) -> Option<SignInFormat> {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('[') || t.starts_with('{') {
        let first = first_json_object(t)?;
        let keys: Vec<String> = first.keys().map(|k| key(k)).collect();
        return is_sign_in(&keys).then_some(SignInFormat::Json);
    }
    let header = t
        .lines()
        .find(|l| !l.starts_with("#TYPE") && !l.trim().is_empty())?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(header.as_bytes());
    let cells: Vec<String> = r.records().next()?.ok()?.iter().map(key).collect();
    is_sign_in(&cells).then_some(SignInFormat::Csv)
}

/// The first record of a JSON array, of JSON Lines, of a `{"value": [...]}` page or of any
/// envelope [`unwrap`] opens.
fn first_json_object(t: &str) -> Option<serde_json::Map<String, Value>> {
    let mut values = serde_json::Deserializer::from_str(t).into_iter::<Value>();
    // A huge first value must not be read whole to sniff: look at the first element only.
    let start = t.strip_prefix('[').unwrap_or(t);
    let mut one = serde_json::Deserializer::from_str(start.trim_start()).into_iter::<Value>();
    let v = match one.next() {
        Some(Ok(v)) => v,
        _ => values.next()?.ok()?,
    };
    match unwrap(v).into_iter().next()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// True when `v` is an envelope around sign-in records rather than one: a diagnostic-settings
/// document (`{"records": [...]}`), a diagnostic-settings or Event Hub record (`category`
/// `...SignInLogs` with the sign-in in `properties`), a Graph page (`value`), or a SIEM's
/// wrapper holding the record as JSON text (`input.message`, `message`).
pub fn is_envelope(v: &Value) -> bool {
    let Value::Object(m) = v else {
        return matches!(v, Value::Array(_));
    };
    m.get("records").is_some_and(Value::is_array)
        || m.get("value").is_some_and(Value::is_array)
        || m.get("input")
            .is_some_and(|i| i.get("message").is_some_and(Value::is_string))
        || m.get("message")
            .is_some_and(|s| s.as_str().is_some_and(|s| s.trim_start().starts_with('{')))
        || m.get("properties").is_some_and(Value::is_object)
            && m.get("category")
                .and_then(Value::as_str)
                .is_some_and(|c| c.to_ascii_lowercase().ends_with("signinlogs"))
}

/// The records inside `v`, envelopes opened (see [`is_envelope`]); a record is itself. A
/// diagnostic-settings record becomes its `properties`, with the caller's IP and the category
/// (`NonInteractiveUserSignInLogs` says the sign-in was not interactive) where `properties`
/// lacks them.
pub fn unwrap(v: Value) -> Vec<Value> {
    if !is_envelope(&v) {
        return vec![v];
    }
    match v {
        Value::Array(items) => items.into_iter().flat_map(unwrap).collect(),
        Value::Object(mut m) => {
            for list in ["records", "value"] {
                if let Some(Value::Array(items)) = m.remove(list) {
                    return items.into_iter().flat_map(unwrap).collect();
                }
            }
            let text = m
                .get("input")
                .and_then(|i| i.get("message"))
                .or_else(|| m.get("message"))
                .and_then(Value::as_str)
                .map(str::to_string);
            if let Some(text) = text {
                return match serde_json::from_str::<Value>(&text) {
                    Ok(inner) => unwrap(inner),
                    Err(_) => vec![Value::Object(m)],
                };
            }
            let category = m.get("category").cloned();
            let caller = m.get("callerIpAddress").cloned();
            match m.remove("properties") {
                Some(Value::Object(mut props)) => {
                    if let Some(ip) = caller {
                        props.entry("ipAddress").or_insert(ip);
                    }
                    if let Some(Value::String(c)) = category {
                        if c.eq_ignore_ascii_case("NonInteractiveUserSignInLogs") {
                            props.entry("isInteractive").or_insert(Value::Bool(false));
                        }
                        props.entry("category").or_insert(Value::String(c));
                    }
                    vec![Value::Object(props)]
                }
                _ => vec![Value::Object(m)],
            }
        }
        other => vec![other],
    }
}

/// `record` flattened: nested objects as `outer.inner`, JSON objects inside strings (Sentinel's
/// `DeviceDetail`, `LocationDetails`) opened the same way; keys normalised by [`key`].
fn flatten(prefix: &str, v: &Value, out: &mut HashMap<String, String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let k = if prefix.is_empty() {
                    key(k)
                } else {
                    format!("{prefix}.{}", key(k))
                };
                flatten(&k, v, out);
            }
        }
        Value::Null => {}
        Value::String(s) => {
            let trimmed = s.trim();
            if trimmed.starts_with('{')
                && let Ok(inner @ Value::Object(_)) = serde_json::from_str::<Value>(trimmed)
            {
                flatten(prefix, &inner, out);
            } else if !trimmed.is_empty() {
                out.insert(prefix.to_string(), trimmed.to_string());
            }
        }
        Value::Array(a) => {
            // Lists of strings (`authenticationMethodsUsed`) as one line; lists of objects are
            // details this reader does not use.
            let words: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
            if !words.is_empty() {
                out.insert(prefix.to_string(), words.join(", "));
            }
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

/// A record's fields by normalised name (lower-case, single spaces; nested as `outer.inner`).
pub trait Fields {
    fn field(&self, key: &str) -> Option<&str>;
}

impl Fields for HashMap<String, String> {
    fn field(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

/// The first of `names` the record has.
fn pick(f: &impl Fields, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| f.field(n))
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "null")
        .map(str::to_string)
}

fn truth(v: Option<String>) -> Option<bool> {
    match v?.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// The portal's `Location` is `City, State, CC`.
fn portal_location(s: &str) -> (Option<String>, Option<String>) {
    let parts: Vec<&str> = s
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    match parts.as_slice() {
        [] => (None, None),
        [country] => (None, Some(country.to_string())),
        [city, .., country] => (Some(city.to_string()), Some(country.to_string())),
    }
}

/// One flattened record as a sign-in, or why it is not one.
fn sign_in(f: &impl Fields) -> Result<SignIn, String> {
    let when = pick(
        f,
        &[
            "createddatetime",
            "date (utc)",
            "timegenerated [utc]",
            "timegenerated",
            "timestamp [utc]",
            "timestamp",
        ],
    )
    .ok_or("no time (createdDateTime, Date (UTC), TimeGenerated)")?;
    let time = sessionscope_core::time::parse_iso(&when)
        .or_else(|| sessionscope_core::time::parse_loose(&when))
        .ok_or_else(|| format!("time {when:?} is not a timestamp"))?;
    let user = pick(
        f,
        &[
            "userprincipalname",
            "username",
            "accountupn",
            "sign-in identifier",
        ],
    )
    .ok_or_else(|| {
        if pick(f, &["serviceprincipalid", "serviceprincipalname"]).is_some() {
            "a service principal's sign-in (an application's, not a user's): not joined to sessions"
        } else {
            "no user (userPrincipalName, Username, AccountUpn)"
        }
    })?
    .to_ascii_lowercase();
    let (portal_city, portal_country) = pick(f, &["location"])
        .map(|l| portal_location(&l))
        .unwrap_or_default();
    let result = pick(
        f,
        &[
            "status.errorcode",
            "resulttype",
            "errorcode",
            "sign-in error code",
        ],
    );
    let status = pick(f, &["status"]).map(|s| s.to_ascii_lowercase());
    let succeeded = match (result.as_deref(), status.as_deref()) {
        (Some(code), _) => code == "0",
        (None, Some(s)) => s == "success",
        (None, None) => true,
    };
    Ok(SignIn {
        time,
        id: pick(f, &["id", "request id", "requestid"]),
        user,
        session_id: pick(f, &["sessionid", "session id"])
            .map(|s| s.to_ascii_lowercase())
            .filter(|s| !sessionscope_core::model::is_absent_id(s)),
        token_id: pick(f, &["uniquetokenidentifier", "unique token identifier"]),
        correlation_id: pick(f, &["correlationid", "correlation id"]),
        ip: pick(f, &["ipaddress", "ip address"])
            .and_then(|ip| sessionscope_core::ip::normalise(&ip).map(|c| c.into_owned())),
        asn: pick(
            f,
            &[
                "autonomoussystemnumber",
                "autonomous system number",
                "networklocationdetails.asn",
            ],
        )
        .and_then(|a| a.trim_start_matches("AS").parse().ok()),
        country: pick(
            f,
            &[
                "location.countryorregion",
                "locationdetails.countryorregion",
                "country",
            ],
        )
        .or(portal_country),
        city: pick(f, &["location.city", "locationdetails.city", "city"]).or(portal_city),
        app: pick(f, &["appdisplayname", "application", "application name"]),
        app_id: pick(f, &["appid", "application id", "applicationid"]),
        client_app: pick(f, &["clientappused", "client app"]),
        protocol: pick(f, &["authenticationprotocol", "authentication protocol"]),
        interactive: truth(pick(f, &["isinteractive", "is interactive"])).or_else(|| {
            // Defender's LogonType: interactiveUser, nonInteractiveUser.
            pick(f, &["logontype"]).map(|t| t.eq_ignore_ascii_case("interactiveUser"))
        }),
        requirement: pick(
            f,
            &["authenticationrequirement", "authentication requirement"],
        ),
        mfa_result: pick(
            f,
            &[
                "mfadetail.authmethod",
                "multifactor authentication result",
                "authenticationmethodsused",
            ],
        ),
        conditional_access: pick(f, &["conditionalaccessstatus", "conditional access"]),
        risk: pick(
            f,
            &[
                "risklevelduringsignin",
                "risk level during sign-in",
                "risklevel",
            ],
        ),
        os: pick(
            f,
            &["devicedetail.operatingsystem", "operating system", "ostype"],
        ),
        browser: pick(f, &["devicedetail.browser", "browser"]),
        device_id: pick(f, &["devicedetail.deviceid", "device id", "deviceid"])
            .filter(|d| !sessionscope_core::model::is_absent_id(d)),
        compliant: truth(pick(
            f,
            &["devicedetail.iscompliant", "compliant", "iscompliant"],
        )),
        managed: truth(pick(f, &["devicedetail.ismanaged", "managed", "ismanaged"])),
        user_agent: pick(f, &["useragent", "user agent"]),
        succeeded,
        file: 0,
        record: 0,
    })
}

/// Reads a sign-in export; problems are named by line (CSV) or record (JSON) in the report.
pub fn read_file(
    path: &Path,
    text: &str,
    format: SignInFormat,
    report: &mut FileReport,
) -> Vec<SignIn> {
    let mut out = Vec::new();
    let problem = |report: &mut FileReport, location: String, reason: String| {
        report.skipped += 1;
        if report.problems.len() < 200 {
            report.problems.push(Problem { location, reason });
        }
    };
    match format {
        SignInFormat::Json => {
            use serde_json::value::RawValue;
            let t = text.trim_start_matches('\u{feff}');
            let mut n = 0usize;
            let mut record = |parsed: Result<super::graph::GraphSignIn, serde_json::Error>,
                              report: &mut FileReport,
                              n: &mut usize| {
                *n += 1;
                report.records += 1;
                match parsed {
                    Ok(g) => match sign_in(&g) {
                        Ok(s) => out.push(SignIn { record: *n, ..s }),
                        Err(why) => problem(report, format!("record {n}"), why),
                    },
                    Err(e) => problem(
                        report,
                        format!("record {n}"),
                        crate::load::normalise::json_error(&e),
                    ),
                }
            };
            fn parse(raw: &RawValue) -> Result<super::graph::GraphSignIn<'_>, serde_json::Error> {
                serde_json::from_str(raw.get())
            }
            // Top-level values: arrays of records, Graph pages, or records (JSON Lines).
            let mut stream = serde_json::Deserializer::from_str(t).into_iter::<&RawValue>();
            loop {
                let raw = match stream.next() {
                    None => break,
                    Some(Ok(v)) => v,
                    Some(Err(e)) => {
                        problem(
                            report,
                            format!("record {}", n + 1),
                            crate::load::normalise::json_error(&e),
                        );
                        // The rest of the stream cannot be found again after broken JSON.
                        break;
                    }
                };
                let body = raw.get().trim_start();
                // Envelopes (diagnostic settings, Event Hub, SIEM wrappers) are opened whole;
                // plain records and arrays of them take the typed path below.
                let maybe_envelope = ["\"records\"", "\"message\"", "\"category\""]
                    .iter()
                    .any(|k| body.contains(k));
                if body.starts_with('{')
                    && maybe_envelope
                    && let Ok(v) = serde_json::from_str::<Value>(body)
                    && is_envelope(&v)
                {
                    for rec in unwrap(v) {
                        let parsed = super::graph::GraphSignIn::deserialize(&rec);
                        record(parsed, report, &mut n);
                    }
                    continue;
                }
                if body.starts_with('[') {
                    match serde_json::from_str::<Vec<&RawValue>>(body) {
                        Ok(list) => list.iter().for_each(|r| record(parse(r), report, &mut n)),
                        Err(e) => problem(
                            report,
                            format!("record {}", n + 1),
                            crate::load::normalise::json_error(&e),
                        ),
                    }
                    continue;
                }
                // A record, or a Graph page holding records in `value`.
                match parse(raw) {
                    Ok(super::graph::GraphSignIn {
                        value: Some(list), ..
                    }) => list.iter().for_each(|r| record(parse(r), report, &mut n)),
                    parsed => record(parsed, report, &mut n),
                }
            }
        }
        SignInFormat::Csv => {
            let body: String = text
                .trim_start_matches('\u{feff}')
                .lines()
                .skip_while(|l| l.starts_with("#TYPE"))
                .collect::<Vec<_>>()
                .join("\n");
            let mut r = csv::ReaderBuilder::new()
                .flexible(true)
                .from_reader(body.as_bytes());
            let header: Vec<String> = match r.headers() {
                Ok(h) => h.iter().map(key).collect(),
                Err(e) => {
                    report.error = Some(format!("{}: unreadable header: {e}", path.display()));
                    return out;
                }
            };
            for row in r.records() {
                let line = row
                    .as_ref()
                    .ok()
                    .and_then(|r| r.position())
                    .map_or(0, |p| p.line());
                let row = match row {
                    Ok(row) => row,
                    Err(e) => {
                        report.records += 1;
                        let at = e.position().map_or(0, |p| p.line());
                        problem(report, format!("line {at}"), e.to_string());
                        continue;
                    }
                };
                report.records += 1;
                let mut flat = HashMap::new();
                // A name the portal writes twice (`Incoming token type`) keeps its first value.
                for (k, v) in header.iter().zip(row.iter()) {
                    if flat.contains_key(k) {
                        continue;
                    }
                    let mut one = HashMap::new();
                    flatten(k, &Value::String(v.to_string()), &mut one);
                    flat.extend(one);
                }
                match sign_in(&flat) {
                    Ok(s) => out.push(SignIn {
                        record: line as usize,
                        ..s
                    }),
                    Err(why) => problem(report, format!("line {line}"), why),
                }
            }
        }
    }
    out
}
