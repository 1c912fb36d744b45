//! The incident report: every attacker session with its actions in time order, and a
//! remediation checklist built from those actions (inbox rules, permissions, forwarding, mail
//! deleted or sent). Markdown for people, CSV and JSON for tools.

use crate::audit::{self, Action, Kind};
use crate::case::{Case, Verdict};
use crate::facts::{self, TimelineRow};
use crate::sanitize::{csv_cell, for_terminal};
use crate::store::Store;
use crate::time::rfc3339;
use serde::Serialize;
use std::fmt::Write;

#[derive(Debug, Serialize)]
pub struct AttackerSession {
    pub session_id: String,
    pub user: String,
    pub first_seen: String,
    pub last_seen: String,
    pub ips: Vec<String>,
    pub clients: Vec<String>,
    pub note: Option<String>,
    /// When only part of the session was marked attacker (a session used from the user's
    /// network and others at once): the networks of that part. Empty: the whole session.
    pub networks: Vec<String>,
    /// Where its IPs are (ASN, country, city), for those known.
    pub places: std::collections::BTreeMap<String, crate::geo::Place>,
    /// The sign-in that began it, when sign-ins were loaded.
    pub birth: Option<crate::signin::SignIn>,
    pub actions: Vec<TimelineRow>,
}

#[derive(Debug, Serialize)]
pub struct Remedy {
    /// `inbox rule`, `forwarding`, `permission`, `application`, `deleted mail` or `sent mail`.
    pub category: &'static str,
    pub what_to_do: &'static str,
    pub session_id: String,
    pub user: String,
    pub time: String,
    pub operation: String,
    pub target: Option<String>,
    pub detail: String,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub generated: String,
    pub case_file: Option<String>,
    pub attacker_sessions: Vec<AttackerSession>,
    pub remediation: Vec<Remedy>,
}

/// The remediation category of an action, and what to do about it, from what the action is
/// ([`Kind`]) and, for settings and grants, what its record says it did.
pub fn remedy_for(kind: Kind, action: Option<&Action>) -> Option<(&'static str, &'static str)> {
    match (kind, action) {
        (Kind::RuleChange, Some(Action::Rule(r))) if r.removed => Some((
            "inbox rule",
            "a rule was removed: check which, and restore it if the user relied on it",
        )),
        (Kind::RuleChange, _) => Some((
            "inbox rule",
            "remove or restore the rule; check where it forwarded mail",
        )),
        (Kind::RuleRemoval, _) => Some((
            "inbox rule",
            "a rule was removed: check which, and restore it if the user relied on it",
        )),
        (_, Some(Action::Forwarding(_))) => Some(("forwarding", "clear the mailbox forwarding")),
        (Kind::PermissionGrant, _) | (Kind::MailboxSettings, Some(Action::Grant(_))) => {
            Some(("permission", "remove the permission granted"))
        }
        (Kind::Consent | Kind::AppGrant | Kind::AppRegistration, _) => Some((
            "application",
            "revoke the consent and the app's permission grants; remove the service principal or its new credentials if unknown",
        )),
        (Kind::Delete, _) => Some((
            "deleted mail",
            "recover the items (Recoverable Items) and review them",
        )),
        (Kind::Send, _) => Some((
            "sent mail",
            "warn the recipients; the message came from the attacker",
        )),
        _ => None,
    }
}

pub fn build(store: &Store, case: Option<&Case>) -> Report {
    let mut attacker_sessions = Vec::new();
    let mut remediation = Vec::new();
    for s in &store.sessions {
        if !s.has_id() {
            continue;
        }
        let id = store.str(s.id);
        let Some(entry) = case.and_then(|c| c.entry(id)) else {
            continue;
        };
        let marked: Vec<String> = entry
            .networks
            .iter()
            .filter(|(_, v)| **v == Verdict::Attacker)
            .map(|(n, _)| n.clone())
            .collect();
        if entry.verdict != Some(Verdict::Attacker) && marked.is_empty() {
            continue;
        }
        // An action's part verdict wins over its session's.
        let events: Vec<u32> = s
            .events
            .iter()
            .copied()
            .filter(|&e| {
                let network = if entry.networks.is_empty() {
                    String::new()
                } else {
                    crate::ip::network_of(store.str(store.events[e as usize].ip))
                };
                entry.networks.get(&network).copied().or(entry.verdict) == Some(Verdict::Attacker)
            })
            .collect();
        let actions: Vec<TimelineRow> = events
            .iter()
            .map(|&e| facts::timeline_row(store, e))
            .collect();
        let kinds: Vec<Kind> = events
            .iter()
            .map(|&e| audit::classify(store.str(store.events[e as usize].operation)))
            .collect();
        for ((a, &kind), &e) in actions.iter().zip(&kinds).zip(&events) {
            if let Some((category, what_to_do)) = remedy_for(kind, store.action(e)) {
                remediation.push(Remedy {
                    category,
                    what_to_do,
                    session_id: id.to_string(),
                    user: a.user.clone(),
                    time: a.time.clone(),
                    operation: a.operation.clone(),
                    target: a.target.clone(),
                    detail: a.summary.clone(),
                });
            }
        }
        let distinct = |v: &mut dyn Iterator<Item = crate::intern::Sym>| {
            let mut syms: Vec<crate::intern::Sym> = v.filter(|x| !x.is_empty()).collect();
            syms.sort_unstable();
            syms.dedup();
            syms.iter().map(|&x| store.str(x).to_string()).collect()
        };
        let ips: Vec<String> = distinct(&mut events.iter().map(|&e| store.events[e as usize].ip));
        attacker_sessions.push(AttackerSession {
            session_id: id.to_string(),
            user: store.str(s.user).to_string(),
            first_seen: actions
                .first()
                .map_or_else(|| rfc3339(s.first), |a| a.time.clone()),
            last_seen: actions
                .last()
                .map_or_else(|| rfc3339(s.last), |a| a.time.clone()),
            places: facts::places_of(store, ips.iter().map(String::as_str)),
            birth: store.sign_ins_of(s).1.cloned(),
            ips,
            clients: distinct(&mut events.iter().map(|&e| store.events[e as usize].client)),
            note: case.and_then(|c| c.note(id)).map(str::to_string),
            networks: if entry.verdict == Some(Verdict::Attacker) {
                Vec::new()
            } else {
                marked
            },
            actions,
        });
    }
    let category_order = [
        "inbox rule",
        "forwarding",
        "permission",
        "application",
        "deleted mail",
        "sent mail",
    ];
    remediation.sort_by_key(|r| {
        (
            category_order.iter().position(|c| *c == r.category),
            r.time.clone(),
        )
    });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    Report {
        generated: rfc3339(now),
        case_file: case.map(|c| c.path.display().to_string()),
        attacker_sessions,
        remediation,
    }
}

/// Text safe inside a Markdown table cell: controls escaped, pipes and backticks neutralised,
/// HTML-looking brackets escaped.
fn md(s: &str) -> String {
    for_terminal(s)
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('`', "\\`")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('*', "\\*")
        .replace('_', "\\_")
        .replace('[', "\\[")
}

pub fn markdown(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Incident report (sessionscope)\n");
    let _ = writeln!(out, "Generated {}.", r.generated);
    if let Some(c) = &r.case_file {
        let _ = writeln!(out, "Verdicts from case file {}.", md(c));
    }
    if r.attacker_sessions.is_empty() {
        let _ = writeln!(out, "\nNo session is marked attacker.");
        return out;
    }
    let _ = writeln!(out, "\n## Remediation checklist\n");
    if r.remediation.is_empty() {
        let _ = writeln!(
            out,
            "Nothing to undo was found in the attacker sessions' actions."
        );
    }
    for x in &r.remediation {
        let _ = writeln!(
            out,
            "- [ ] **{}** ({}): {} on {} at {}: {}. *{}*",
            md(x.category),
            md(&x.user),
            md(&x.operation),
            md(x.target.as_deref().unwrap_or("?")),
            x.time,
            md(&x.detail),
            x.what_to_do
        );
    }
    for s in &r.attacker_sessions {
        let _ = writeln!(out, "\n## Attacker session {}\n", md(&s.session_id));
        let _ = writeln!(out, "- user: {}", md(&s.user));
        if !s.networks.is_empty() {
            let _ = writeln!(
                out,
                "- only its actions from {} network(s) (the session was also used from the user's own): {}",
                s.networks.len(),
                md(&s.networks.join(", "))
            );
        }
        let _ = writeln!(out, "- active: {} to {}", s.first_seen, s.last_seen);
        if let Some(b) = &s.birth {
            let _ = writeln!(out, "- born: {}", md(&b.line(crate::time::Zone::Utc)));
        }
        let ips: Vec<String> = s
            .ips
            .iter()
            .map(|ip| match s.places.get(ip) {
                Some(p) => format!("{ip} ({})", p.line()),
                None => ip.clone(),
            })
            .collect();
        let _ = writeln!(out, "- IPs ({}): {}", s.ips.len(), md(&ips.join(", ")));
        let _ = writeln!(out, "- clients: {}", md(&s.clients.join(" / ")));
        if let Some(n) = &s.note {
            let _ = writeln!(out, "- note: {}", md(n));
        }
        let _ = writeln!(
            out,
            "\n| time (UTC) | operation | IP | target | what it did |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|");
        for a in &s.actions {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                a.time,
                md(&a.operation),
                md(a.ip.as_deref().unwrap_or("")),
                md(a.target.as_deref().unwrap_or("")),
                md(&a.summary)
            );
        }
    }
    out
}

pub fn csv(r: &Report, out: impl std::io::Write) -> std::io::Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record([
        "section",
        "category",
        "session_id",
        "user",
        "time",
        "operation",
        "ip",
        "target",
        "detail",
    ])?;
    for x in &r.remediation {
        w.write_record([
            "remediation",
            x.category,
            &csv_cell(&x.session_id),
            &csv_cell(&x.user),
            &x.time,
            &csv_cell(&x.operation),
            "",
            &csv_cell(x.target.as_deref().unwrap_or("")),
            &csv_cell(&x.detail),
        ])?;
    }
    for s in &r.attacker_sessions {
        for a in &s.actions {
            w.write_record([
                "action",
                "",
                &csv_cell(&s.session_id),
                &csv_cell(&a.user),
                &a.time,
                &csv_cell(&a.operation),
                &csv_cell(a.ip.as_deref().unwrap_or("")),
                &csv_cell(a.target.as_deref().unwrap_or("")),
                &csv_cell(&a.summary),
            ])?;
        }
    }
    w.flush()
}
