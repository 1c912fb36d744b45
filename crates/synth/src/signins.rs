//! Entra ID sign-ins for the seed's first table, in the shapes the exports write them: Graph
//! `auditLogs/signIns` (beta) JSON, the same objects as PowerShell writes them (PascalCase,
//! Microsoft-Extractor-Suite), the portal's CSV download and Sentinel's `SigninLogs` CSV.
//! The session and token ids are those of the seed's audit records, so they join.

use super::tenant::{ATTACKER_SESSION, SEED_USER, USER_SESSION, seed_day, seed_first_table};
use serde_json::{Map, Value, json};

/// The token id of the first audit record of `session` in the first table.
fn token_of(session: &str) -> String {
    seed_first_table()
        .iter()
        .find(|r| r["SessionId"] == session)
        .and_then(|r| r["AppAccessContext"]["UniqueTokenId"].as_str())
        .unwrap_or_default()
        .to_string()
}

struct Seen<'a> {
    id: &'a str,
    minute: i64,
    session: Option<&'a str>,
    token: Option<String>,
    ip: &'a str,
    asn: u32,
    place: (&'a str, &'a str, &'a str),
    device: (&'a str, &'a str, bool),
    protocol: &'a str,
    interactive: bool,
    mfa: bool,
    ca: &'a str,
    risk: &'a str,
    error: u32,
}

fn graph(s: &Seen) -> Value {
    let t = seed_day() + s.minute * 60;
    let short_id = s.id.get(..31).unwrap_or(s.id);
    json!({
        "id": s.id,
        "createdDateTime": sessionscope_core::time::rfc3339(t),
        "userDisplayName": "Alex Wilber",
        "userPrincipalName": SEED_USER,
        "userId": "5a8f1d2c-3b4e-4f60-8a7b-9c0d1e2f3a4b",
        "appId": "4765445b-32c6-49b0-83e6-1d93765276ca",
        "appDisplayName": "OfficeHome",
        "ipAddress": s.ip,
        "clientAppUsed": "Browser",
        "userAgent": if s.device.1.starts_with("Edge") {
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.66"
        } else {
            "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0"
        },
        "correlationId": format!("{short_id}-c0de"),
        "conditionalAccessStatus": s.ca,
        "isInteractive": s.interactive,
        "riskLevelDuringSignIn": s.risk,
        "authenticationRequirement": if s.mfa { "multiFactorAuthentication" } else { "singleFactorAuthentication" },
        "authenticationProtocol": s.protocol,
        "incomingTokenType": "none",
        "sessionId": s.session,
        "uniqueTokenIdentifier": s.token,
        "autonomousSystemNumber": s.asn,
        "status": { "errorCode": s.error, "failureReason": if s.error == 0 { "Other." } else { "Invalid username or password." } },
        "deviceDetail": {
            "deviceId": "",
            "displayName": "",
            "operatingSystem": s.device.0,
            "browser": s.device.1,
            "isCompliant": s.device.2,
            "isManaged": s.device.2,
            "trustType": if s.device.2 { "Azure AD joined" } else { "" },
        },
        "location": {
            "city": s.place.2,
            "state": s.place.1,
            "countryOrRegion": s.place.0,
            "geoCoordinates": { "latitude": 0.0, "longitude": 0.0 },
        },
    })
}

/// The first table's sign-ins, Graph JSON objects in time order: the user's session born at
/// 03:40 with MFA and its refresh at 04:10; the attacker's born at 04:33 by device code from
/// another country, single factor, its session ID in upper case as some exports write it; a
/// failed sign-in whose session has no audit activity.
pub fn seed_sign_ins() -> Vec<Value> {
    let user_token = token_of(USER_SESSION);
    let evil_token = token_of(ATTACKER_SESSION);
    let upper = ATTACKER_SESSION.to_ascii_uppercase();
    let user = |id, minute, interactive| Seen {
        id,
        minute,
        session: Some(USER_SESSION),
        token: Some(user_token.clone()),
        ip: "203.0.113.45",
        asn: 64496,
        place: ("US", "Washington", "Seattle"),
        device: ("Windows 10", "Edge 122.0.2365", true),
        protocol: "oAuth2",
        interactive,
        mfa: true,
        ca: "success",
        risk: "none",
        error: 0,
    };
    [
        user("0b6e3a8f-1c2d-4e5f-8a9b-0c1d2e3f4a01", 3 * 60 + 40, true),
        user("0b6e3a8f-1c2d-4e5f-8a9b-0c1d2e3f4a02", 4 * 60 + 10, false),
        Seen {
            id: "0b6e3a8f-1c2d-4e5f-8a9b-0c1d2e3f4a03",
            minute: 4 * 60 + 33,
            session: Some(&upper),
            token: Some(evil_token),
            ip: "198.51.100.23",
            asn: 64511,
            place: ("NL", "Noord-Holland", "Amsterdam"),
            device: ("Linux", "Firefox 123.0", false),
            protocol: "deviceCode",
            interactive: true,
            mfa: false,
            ca: "notApplied",
            risk: "medium",
            error: 0,
        },
        Seen {
            id: "0b6e3a8f-1c2d-4e5f-8a9b-0c1d2e3f4a04",
            minute: 6 * 60 + 2,
            session: Some("7f3c2b1a-0e9d-4c8b-a7f6-e5d4c3b2a190"),
            token: None,
            ip: "198.51.100.99",
            asn: 64511,
            place: ("NL", "Noord-Holland", "Amsterdam"),
            device: ("Linux", "Firefox 123.0", false),
            protocol: "ropc",
            interactive: true,
            mfa: false,
            ca: "notApplied",
            risk: "high",
            error: 50126,
        },
    ]
    .iter()
    .map(graph)
    .collect()
}

/// A Graph page: `{"@odata.context": ..., "value": [...]}`.
pub fn graph_page(signins: &[Value]) -> Value {
    json!({
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns",
        "value": signins,
    })
}

/// Keys as PowerShell's `ConvertTo-Json` of the Graph SDK objects writes them: PascalCase.
pub fn pascal(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let mut chars = k.chars();
                let key = match chars.next() {
                    Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
                    None => String::new(),
                };
                out.insert(key, pascal(v));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(pascal).collect()),
        other => other.clone(),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The portal's CSV download: the headers as the portal writes them (a double space in
/// `Autonomous system  number`, trailing spaces in `Application ID `, `Incoming token type`
/// twice).
pub fn portal_csv(signins: &[Value]) -> String {
    let header = [
        "Date (UTC)",
        "Request ID",
        "User agent",
        "Correlation ID",
        "User ID",
        "User",
        "Username",
        "User type",
        "Incoming token type",
        "Authentication Protocol",
        "Unique token identifier",
        "Application",
        "Application ID ",
        "Resource",
        "Resource ID ",
        "IP address",
        "Location",
        "Status",
        "Sign-in error code",
        "Failure reason",
        "Client app",
        "Device ID",
        "Browser",
        "Operating System",
        "Compliant",
        "Managed",
        "Join Type",
        "Multifactor authentication result",
        "Authentication requirement",
        "Session ID",
        "Autonomous system  number",
        "Incoming token type",
        "Conditional Access",
    ];
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("in memory");
    for s in signins {
        let loc = &s["location"];
        let dev = &s["deviceDetail"];
        let ok = s["status"]["errorCode"] == 0;
        let row = [
            text(&s["createdDateTime"]).replace('Z', "+00:00"),
            text(&s["id"]),
            text(&s["userAgent"]),
            text(&s["correlationId"]),
            text(&s["userId"]),
            text(&s["userDisplayName"]),
            text(&s["userPrincipalName"]),
            "Member".into(),
            "None".into(),
            text(&s["authenticationProtocol"]),
            text(&s["uniqueTokenIdentifier"]),
            text(&s["appDisplayName"]),
            text(&s["appId"]),
            "Office 365 Exchange Online".into(),
            "00000002-0000-0ff1-ce00-000000000000".into(),
            text(&s["ipAddress"]),
            format!(
                "{}, {}, {}",
                text(&loc["city"]),
                text(&loc["state"]),
                text(&loc["countryOrRegion"])
            ),
            if ok { "Success" } else { "Failure" }.into(),
            text(&s["status"]["errorCode"]),
            text(&s["status"]["failureReason"]),
            text(&s["clientAppUsed"]),
            text(&dev["deviceId"]),
            text(&dev["browser"]),
            text(&dev["operatingSystem"]),
            if dev["isCompliant"] == true {
                "Yes"
            } else {
                "No"
            }
            .into(),
            if dev["isManaged"] == true {
                "Yes"
            } else {
                "No"
            }
            .into(),
            text(&dev["trustType"]),
            String::new(),
            text(&s["authenticationRequirement"]),
            text(&s["sessionId"]),
            text(&s["autonomousSystemNumber"]),
            "None".into(),
            text(&s["conditionalAccessStatus"]),
        ];
        w.write_record(&row).expect("in memory");
    }
    String::from_utf8(w.into_inner().expect("in memory")).expect("UTF-8")
}

/// Sentinel's `SigninLogs` exported as CSV: nested details as JSON in their cells.
pub fn sentinel_csv(signins: &[Value]) -> String {
    let header = [
        "TenantId",
        "SourceSystem",
        "TimeGenerated [UTC]",
        "ResultType",
        "ResultDescription",
        "UserPrincipalName",
        "AppDisplayName",
        "AppId",
        "IPAddress",
        "AutonomousSystemNumber",
        "LocationDetails",
        "DeviceDetail",
        "ClientAppUsed",
        "UserAgent",
        "CorrelationId",
        "ConditionalAccessStatus",
        "IsInteractive",
        "RiskLevelDuringSignIn",
        "AuthenticationRequirement",
        "AuthenticationProtocol",
        "SessionId",
        "UniqueTokenIdentifier",
        "Type",
    ];
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("in memory");
    for s in signins {
        let time = sessionscope_core::time::parse_iso(&text(&s["createdDateTime"])).unwrap_or(0);
        let row = [
            super::records::ORG_ID.to_string(),
            "Azure AD".into(),
            // Sentinel's own export writes `12/3/2024, 4:33:00.000 AM`.
            chrono::DateTime::from_timestamp(time, 0)
                .map(|d| d.format("%-m/%-d/%Y, %-I:%M:%S%.3f %p").to_string())
                .unwrap_or_default(),
            text(&s["status"]["errorCode"]),
            text(&s["status"]["failureReason"]),
            text(&s["userPrincipalName"]),
            text(&s["appDisplayName"]),
            text(&s["appId"]),
            text(&s["ipAddress"]),
            text(&s["autonomousSystemNumber"]),
            s["location"].to_string(),
            s["deviceDetail"].to_string(),
            text(&s["clientAppUsed"]),
            text(&s["userAgent"]),
            text(&s["correlationId"]),
            text(&s["conditionalAccessStatus"]),
            text(&s["isInteractive"]),
            text(&s["riskLevelDuringSignIn"]),
            text(&s["authenticationRequirement"]),
            text(&s["authenticationProtocol"]),
            text(&s["sessionId"]),
            text(&s["uniqueTokenIdentifier"]),
            "SigninLogs".into(),
        ];
        w.write_record(&row).expect("in memory");
    }
    String::from_utf8(w.into_inner().expect("in memory")).expect("UTF-8")
}

/// Defender advanced hunting's `EntraIdSignInEvents` (formerly `AADSignInEventsBeta`) exported
/// as CSV: no ASN, the place in `Country`/`City`, interactivity in `LogonType`.
pub fn defender_csv(signins: &[Value]) -> String {
    let header = [
        "Timestamp",
        "Application",
        "ApplicationId",
        "LogonType",
        "ErrorCode",
        "CorrelationId",
        "SessionId",
        "AccountDisplayName",
        "AccountUpn",
        "OSPlatform",
        "IsManaged",
        "IsCompliant",
        "AuthenticationRequirement",
        "RiskLevelDuringSignIn",
        "UserAgent",
        "ClientAppUsed",
        "Browser",
        "ConditionalAccessStatus",
        "IPAddress",
        "Country",
        "State",
        "City",
        "RequestId",
        "ReportId",
    ];
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("in memory");
    for s in signins {
        let dev = &s["deviceDetail"];
        let loc = &s["location"];
        let row = [
            text(&s["createdDateTime"]).replace('Z', ".0000000Z"),
            text(&s["appDisplayName"]),
            text(&s["appId"]),
            if s["isInteractive"] == true {
                "interactiveUser"
            } else {
                "nonInteractiveUser"
            }
            .into(),
            text(&s["status"]["errorCode"]),
            text(&s["correlationId"]),
            text(&s["sessionId"]),
            text(&s["userDisplayName"]),
            text(&s["userPrincipalName"]),
            text(&dev["operatingSystem"]),
            if dev["isManaged"] == true { "1" } else { "0" }.into(),
            if dev["isCompliant"] == true { "1" } else { "0" }.into(),
            text(&s["authenticationRequirement"]),
            text(&s["riskLevelDuringSignIn"]),
            text(&s["userAgent"]),
            text(&s["clientAppUsed"]),
            text(&dev["browser"]),
            text(&s["conditionalAccessStatus"]),
            text(&s["ipAddress"]),
            text(&loc["countryOrRegion"]),
            text(&loc["state"]),
            text(&loc["city"]),
            text(&s["id"]),
            format!("{}", text(&s["id"]).len()),
        ];
        w.write_record(&row).expect("in memory");
    }
    String::from_utf8(w.into_inner().expect("in memory")).expect("UTF-8")
}

/// Sign-ins for `tenant::scale_tenant(events, seed)`: for each session's sign-in record an
/// interactive sign-in with its session ID, IP and time, then non-interactive refreshes until
/// about `total` in all. Graph objects, in time order per session.
pub fn scale_sign_ins(events: usize, seed: u64, total: usize) -> impl Iterator<Item = Value> {
    let sessions = (events / 30).max(1);
    let per_session = (total / sessions).max(1);
    let mut rng = super::Rng::new(seed ^ 0x5157);
    let mut n = 0usize;
    super::tenant::scale_tenant(events, seed)
        .filter(|r| r["Operation"] == "UserLoggedIn")
        .flat_map(move |r| {
            let session = r["DeviceProperties"]
                .as_array()
                .and_then(|d| d.iter().find(|p| p["Name"] == "SessionId"))
                .and_then(|p| p["Value"].as_str())
                .unwrap_or_default()
                .to_string();
            let user = r["UserId"].as_str().unwrap_or_default().to_string();
            let ip = r["ClientIP"].as_str().unwrap_or_default().to_string();
            let t =
                sessionscope_core::time::parse_iso(r["CreationTime"].as_str().unwrap_or_default())
                    .unwrap_or(0);
            let mut out = Vec::with_capacity(per_session);
            for k in 0..per_session {
                n += 1;
                let seen = Seen {
                    id: "",
                    minute: 0,
                    session: Some(&session),
                    token: Some(format!("{:022x}", rng.next_u64())),
                    ip: &ip,
                    asn: 64496 + (rng.below(4) as u32),
                    place: ("US", "Washington", "Seattle"),
                    device: ("Windows 10", "Edge 122.0.2365", true),
                    protocol: "oAuth2",
                    interactive: k == 0,
                    mfa: true,
                    ca: "success",
                    risk: "none",
                    error: 0,
                };
                let mut v = graph(&seen);
                v["id"] = format!("{n:08x}-0000-4000-8000-{:012x}", rng.next_u64() >> 16).into();
                v["userPrincipalName"] = user.clone().into();
                v["createdDateTime"] = sessionscope_core::time::rfc3339(t + k as i64 * 3000).into();
                out.push(v);
            }
            out
        })
}
