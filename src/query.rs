//! The slice under investigation handed back to the SIEM: the query that pulls the same
//! sessions, users and IPs, in the same window, from where a big tenant keeps its logs
//! (Sentinel / Log Analytics and Defender XDR in KQL, Splunk in SPL, Elastic in ES|QL). The
//! tables and fields are those of `../shared/sources.md` section 5.

use sessionscope_ingest::tree::{Narrow, Window};

/// Where the query runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Sentinel / Log Analytics.
    Kql,
    /// Defender XDR advanced hunting.
    Xdr,
    Spl,
    Esql,
}

/// A string literal in KQL, SPL and ES|QL alike: double quotes, `\` and `"` escaped.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| quoted(v))
        .collect::<Vec<_>>()
        .join(", ")
}

fn iso(t: i64) -> String {
    crate::time::rfc3339(t)
}

/// The clauses of one table: each kind asked for, as `(field conditions joined by or)`.
struct Fields<'a> {
    session: &'a [&'a str],
    user: &'a [&'a str],
    ip: &'a [&'a str],
}

/// A KQL condition: `(a in~ (sessions) or b in~ (sessions)) and (...)`; `None` when the table
/// cannot answer a kind asked for (the Graph log has no user's UPN).
fn kql_where(narrow: &Narrow, fields: &Fields) -> Option<String> {
    let mut parts = Vec::new();
    for (values, names, var, op) in [
        (&narrow.sessions, fields.session, "sessions", "in~"),
        (&narrow.users, fields.user, "users", "in~"),
        (&narrow.ips, fields.ip, "ips", "in"),
    ] {
        if values.is_empty() {
            continue;
        }
        if names.is_empty() {
            return None;
        }
        let any: Vec<String> = names.iter().map(|f| format!("{f} {op} ({var})")).collect();
        parts.push(format!("({})", any.join(" or ")));
    }
    Some(parts.join(" and "))
}

fn kql_lets(narrow: &Narrow, window: Option<Window>) -> Vec<String> {
    let mut lets = Vec::new();
    match window {
        Some(w) if w.from != i64::MIN => lets.push(format!("let t0 = datetime({});", iso(w.from))),
        _ => lets.push("let t0 = ago(30d); // no --from: the last 30 days".into()),
    }
    match window {
        Some(w) if w.to != i64::MAX => lets.push(format!("let t1 = datetime({});", iso(w.to))),
        _ => lets.push("let t1 = now();".into()),
    }
    for (name, values) in [
        ("sessions", &narrow.sessions),
        ("users", &narrow.users),
        ("ips", &narrow.ips),
    ] {
        if !values.is_empty() {
            lets.push(format!("let {name} = dynamic([{}]);", list(values)));
        }
    }
    lets
}

/// The query of `dialect` for the slice; `Err` when the slice names nothing to look for.
pub fn query(dialect: Dialect, narrow: &Narrow, window: Option<Window>) -> Result<String, String> {
    if narrow.is_empty() {
        return Err("say what to look for: --session, --user or --ip (and --from/--to)".into());
    }
    // A session prefix cannot be matched exactly by the SIEM: it is sent as given, and the
    // query says so.
    let prefixes = narrow.sessions.iter().any(|s| s.len() < 36);
    Ok(match dialect {
        Dialect::Kql | Dialect::Xdr => {
            let tables: Vec<(&str, &str, Fields)> = if dialect == Dialect::Kql {
                vec![
                    (
                        "SigninLogs",
                        "TimeGenerated",
                        Fields {
                            session: &["SessionId"],
                            user: &["UserPrincipalName"],
                            ip: &["IPAddress"],
                        },
                    ),
                    (
                        "AADNonInteractiveUserSignInLogs",
                        "TimeGenerated",
                        Fields {
                            session: &["SessionId"],
                            user: &["UserPrincipalName"],
                            ip: &["IPAddress"],
                        },
                    ),
                    (
                        "OfficeActivity",
                        "TimeGenerated",
                        Fields {
                            session: &["tostring(AppAccessContext.AADSessionId)"],
                            user: &["UserId"],
                            ip: &["ClientIP", "Client_IPAddress"],
                        },
                    ),
                    (
                        "CloudAppEvents",
                        "Timestamp",
                        Fields {
                            session: &[
                                "tostring(RawEventData.SessionId)",
                                "tostring(RawEventData.AppAccessContext.AADSessionId)",
                            ],
                            user: &["tostring(RawEventData.UserId)"],
                            ip: &["IPAddress"],
                        },
                    ),
                    (
                        "MicrosoftGraphActivityLogs",
                        "TimeGenerated",
                        Fields {
                            session: &["SessionId"],
                            user: &[],
                            ip: &["IPAddress"],
                        },
                    ),
                ]
            } else {
                vec![
                    (
                        "EntraIdSignInEvents",
                        "Timestamp",
                        Fields {
                            session: &["SessionId"],
                            user: &["AccountUpn"],
                            ip: &["IPAddress"],
                        },
                    ),
                    (
                        "CloudAppEvents",
                        "Timestamp",
                        Fields {
                            session: &[
                                "tostring(RawEventData.SessionId)",
                                "tostring(RawEventData.AppAccessContext.AADSessionId)",
                            ],
                            user: &["tostring(RawEventData.UserId)"],
                            ip: &["IPAddress"],
                        },
                    ),
                ]
            };
            let mut lines = kql_lets(narrow, window);
            if prefixes {
                lines.insert(
                    0,
                    "// a session ID given in part matches nothing here: give it whole".into(),
                );
            }
            let legs: Vec<String> = tables
                .iter()
                .filter_map(|(table, time, fields)| {
                    let cond = kql_where(narrow, fields)?;
                    Some(format!(
                        " ({table} | where {time} >= t0 and {time} < t1 | where {cond})"
                    ))
                })
                .collect();
            lines.push(format!("union isfuzzy=true\n{}", legs.join(",\n")));
            lines.join("\n")
        }
        Dialect::Spl => {
            let mut terms = vec!["sourcetype=\"o365:management:activity\"".to_string()];
            if let Some(w) = window {
                let splunk = |t: i64| {
                    chrono::DateTime::<chrono::Utc>::from_timestamp(t, 0)
                        .map(|d| d.format("%m/%d/%Y:%H:%M:%S").to_string())
                };
                if let Some(t) = (w.from != i64::MIN).then(|| splunk(w.from)).flatten() {
                    terms.push(format!("earliest=\"{t}\""));
                }
                if let Some(t) = (w.to != i64::MAX).then(|| splunk(w.to)).flatten() {
                    terms.push(format!("latest=\"{t}\""));
                }
            }
            for (values, fields) in [
                (
                    &narrow.sessions,
                    &["SessionId", "AppAccessContext.AADSessionId"][..],
                ),
                (&narrow.users, &["UserId"][..]),
                (&narrow.ips, &["ClientIP", "ClientIPAddress"][..]),
            ] {
                if values.is_empty() {
                    continue;
                }
                let any: Vec<String> = values
                    .iter()
                    .flat_map(|v| fields.iter().map(move |f| format!("\"{f}\"={}", quoted(v))))
                    .collect();
                terms.push(format!("({})", any.join(" OR ")));
            }
            terms.join(" ")
        }
        Dialect::Esql => {
            let mut clauses = Vec::new();
            if let Some(w) = window {
                if w.from != i64::MIN {
                    clauses.push(format!("@timestamp >= {}", quoted(&iso(w.from))));
                }
                if w.to != i64::MAX {
                    clauses.push(format!("@timestamp < {}", quoted(&iso(w.to))));
                }
            }
            for (values, fields) in [
                (
                    &narrow.sessions,
                    &[
                        "o365.audit.SessionId",
                        "o365.audit.AppAccessContext.AADSessionId",
                    ][..],
                ),
                (&narrow.users, &["o365.audit.UserId"][..]),
                (&narrow.ips, &["o365.audit.ClientIP"][..]),
            ] {
                if values.is_empty() {
                    continue;
                }
                let any: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{f} IN ({})", list(values)))
                    .collect();
                clauses.push(format!("({})", any.join(" OR ")));
            }
            format!("FROM logs-o365.audit-*\n| WHERE {}", clauses.join(" AND "))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice() -> (Narrow, Option<Window>) {
        let narrow = Narrow::new(
            &[],
            &["12BCE6D0-BFEB-4A82-ABE6-98CCF3196A11".into()],
            &["198.51.100.23".into()],
        );
        let window = Window {
            from: 1_710_201_600,
            to: 1_710_288_000,
        };
        (narrow, Some(window))
    }

    #[test]
    fn splunk_and_elastic_get_the_slice_as_their_searches_write_it() {
        let (n, w) = slice();
        assert_eq!(
            query(Dialect::Spl, &n, w).unwrap(),
            "sourcetype=\"o365:management:activity\" earliest=\"03/12/2024:00:00:00\" latest=\"03/13/2024:00:00:00\" \
(\"SessionId\"=\"12bce6d0-bfeb-4a82-abe6-98ccf3196a11\" OR \"AppAccessContext.AADSessionId\"=\"12bce6d0-bfeb-4a82-abe6-98ccf3196a11\") \
(\"ClientIP\"=\"198.51.100.23\" OR \"ClientIPAddress\"=\"198.51.100.23\")"
        );
        assert_eq!(
            query(Dialect::Esql, &n, w).unwrap(),
            "FROM logs-o365.audit-*\n| WHERE @timestamp >= \"2024-03-12T00:00:00Z\" AND @timestamp < \"2024-03-13T00:00:00Z\" \
AND (o365.audit.SessionId IN (\"12bce6d0-bfeb-4a82-abe6-98ccf3196a11\") OR o365.audit.AppAccessContext.AADSessionId IN (\"12bce6d0-bfeb-4a82-abe6-98ccf3196a11\")) \
AND (o365.audit.ClientIP IN (\"198.51.100.23\"))"
        );
    }

    #[test]
    fn kql_names_every_table_that_can_answer() {
        let (n, w) = slice();
        let q = query(Dialect::Kql, &n, w).unwrap();
        for table in [
            "SigninLogs |",
            "AADNonInteractiveUserSignInLogs |",
            "OfficeActivity |",
            "CloudAppEvents |",
            "MicrosoftGraphActivityLogs |",
        ] {
            assert!(q.contains(table), "{table}: {q}");
        }
        // The Graph log has no UPN: asked for a user, it is left out.
        let by_user = Narrow::new(&["alex@contoso.com".into()], &[], &[]);
        let q = query(Dialect::Kql, &by_user, None).unwrap();
        assert!(!q.contains("MicrosoftGraphActivityLogs"), "{q}");
        assert!(q.contains("let t0 = ago(30d)"), "{q}");
        assert!(query(Dialect::Kql, &Narrow::default(), w).is_err());
        // What the investigator typed cannot break out of its string.
        let evil = Narrow::new(&["a\") | take 1 //".into()], &[], &[]);
        assert!(
            query(Dialect::Kql, &evil, None)
                .unwrap()
                .contains(r#"dynamic(["a\") | take 1 //"])"#)
        );
    }
}

/// The attacker's indicators, to hunt across the tenant (from `L`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Indicators {
    pub ips: Vec<String>,
    /// Client strings (`ClientInfoString`), as the audit records write them.
    pub clients: Vec<String>,
    /// Token ids (`UniqueTokenId` = the sign-in's `uniqueTokenIdentifier`).
    pub tokens: Vec<String>,
}

/// KQL that finds every account's activity with any of the attacker's indicators, in the
/// sign-in logs, the audit log and the Graph log (Sentinel / Log Analytics).
pub fn hunt(ind: &Indicators, window: Option<Window>) -> Result<String, String> {
    if ind.ips.is_empty() && ind.clients.is_empty() && ind.tokens.is_empty() {
        return Err("no IP, client or token of the attacker to hunt for".into());
    }
    let mut lines = kql_lets(&Narrow::default(), window);
    for (name, values) in [
        ("ips", &ind.ips),
        ("clients", &ind.clients),
        ("tokens", &ind.tokens),
    ] {
        lines.push(format!("let {name} = dynamic([{}]);", list(values)));
    }
    let legs = [
        (
            "SigninLogs",
            "TimeGenerated",
            "IPAddress in (ips) or UniqueTokenIdentifier in (tokens)",
        ),
        (
            "AADNonInteractiveUserSignInLogs",
            "TimeGenerated",
            "IPAddress in (ips) or UniqueTokenIdentifier in (tokens)",
        ),
        (
            "OfficeActivity",
            "TimeGenerated",
            "Client_IPAddress in (ips) or ClientInfoString in (clients) or tostring(AppAccessContext.UniqueTokenId) in (tokens)",
        ),
        (
            "CloudAppEvents",
            "Timestamp",
            "IPAddress in (ips) or tostring(RawEventData.ClientInfoString) in (clients) or tostring(RawEventData.AppAccessContext.UniqueTokenId) in (tokens)",
        ),
        (
            "MicrosoftGraphActivityLogs",
            "TimeGenerated",
            "IPAddress in (ips) or SignInActivityId in (tokens)",
        ),
    ];
    let legs: Vec<String> = legs
        .iter()
        .map(|(table, time, cond)| {
            format!(" ({table} | where {time} >= t0 and {time} < t1 | where {cond} | extend Table = \"{table}\")")
        })
        .collect();
    lines.push(format!("union isfuzzy=true\n{}", legs.join(",\n")));
    Ok(lines.join("\n"))
}

#[cfg(test)]
mod hunt_tests {
    use super::*;

    #[test]
    fn the_hunt_names_each_indicator_in_every_table_that_holds_it() {
        let ind = Indicators {
            ips: vec!["198.51.100.23".into()],
            clients: vec!["Client=OWA;Action=ViaProxy".into()],
            tokens: vec!["0017abcdef0123456789ab".into()],
        };
        let q = hunt(&ind, None).unwrap();
        assert!(
            q.contains("let tokens = dynamic([\"0017abcdef0123456789ab\"]);"),
            "{q}"
        );
        assert!(q.contains("SignInActivityId in (tokens)"), "{q}");
        assert!(q.contains("ClientInfoString in (clients)"), "{q}");
        assert!(hunt(&Indicators::default(), None).is_err());
    }
}
