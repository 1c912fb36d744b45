//! The report written out: Markdown for people, CSV for tools (JSON is the model itself).

use super::Report;
use crate::sanitize::{csv_cell, for_terminal};
use std::fmt::Write;

/// Text safe inside Markdown, a table cell included: controls escaped, pipes and backticks
/// neutralised, HTML-looking brackets escaped.
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

/// At most `n` of `items`, quoted, and how many more.
fn some_of(items: &[String], n: usize, quote: bool) -> String {
    let shown: Vec<String> = items
        .iter()
        .take(n)
        .map(|x| {
            if quote {
                format!("\"{}\"", md(x))
            } else {
                md(x)
            }
        })
        .collect();
    let more = items.len().saturating_sub(n);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

pub fn markdown(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Incident report (sessionscope)\n");
    let _ = writeln!(
        out,
        "Generated {} by sessionscope {}. Every time is {}.",
        r.generated, r.tool_version, r.time_zone
    );
    if let Some(c) = &r.case_file {
        let _ = writeln!(out, "Verdicts from case file {}.", md(c));
    }
    if r.attacker_sessions.is_empty() {
        let _ = writeln!(out, "\nNo session is marked attacker.");
        evidence(&mut out, r);
        return out;
    }
    let _ = writeln!(out, "\n## Accounts to secure\n");
    for a in &r.accounts {
        let _ = writeln!(
            out,
            "**{}** (attacker session{} {}):\n",
            md(&a.user),
            if a.sessions.len() == 1 { "" } else { "s" },
            some_of(&a.sessions, 5, false)
        );
        for step in &a.steps {
            let _ = writeln!(out, "- [ ] {step}");
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "## What the attacker changed, and what to do\n");
    if r.remediation.is_empty() {
        let _ = writeln!(
            out,
            "Nothing to undo was found in the attacker sessions' actions."
        );
    }
    for x in &r.remediation {
        let when = if x.count > 1 {
            format!("{} items, {} to {}", x.count, x.time, x.last_time)
        } else {
            x.time.clone()
        };
        let what = if x.count > 1 && !x.names.is_empty() {
            some_of(&x.names, 8, true)
        } else {
            md(&x.detail)
        };
        let on = x
            .target
            .as_deref()
            .filter(|t| *t != x.user)
            .map(|t| format!(" on {}", md(t)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "- [ ] **{}** ({}{on}; {}; {when}): {what}. *{}*",
            md(x.category),
            md(&x.user),
            md(&x.operation),
            md(&x.what_to_do)
        );
        let _ = writeln!(out, "  Records: {}", some_of(&x.record_ids, 5, false));
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
        let _ = writeln!(out, "- risk {} of 100, because:", s.risk);
        if s.reasons.is_empty() {
            let _ = writeln!(
                out,
                "  - nothing the analysis flags: marked by the investigator"
            );
        }
        for reason in &s.reasons {
            let _ = writeln!(out, "  - {}", md(reason));
        }
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
        if !s.linked.is_empty() {
            let _ = writeln!(out, "- sessions of other accounts linked to it:");
            for l in &s.linked {
                let _ = writeln!(
                    out,
                    "  - {} of {}, from {}: {}",
                    md(l.session_id.as_deref().unwrap_or("(no session ID)")),
                    md(&l.user),
                    l.first_seen,
                    md(&l.why)
                );
            }
        }
        let _ = writeln!(
            out,
            "\n| time (UTC) | operation | IP | target | what it did | record |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for a in &s.actions {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                a.time,
                md(&a.operation),
                md(a.ip.as_deref().unwrap_or("")),
                md(a.target.as_deref().unwrap_or("")),
                md(&a.summary),
                md(a.record_id.as_deref().unwrap_or(""))
            );
        }
    }
    evidence(&mut out, r);
    out
}

fn evidence(out: &mut String, r: &Report) {
    let _ = writeln!(out, "\n## Evidence\n");
    let _ = writeln!(out, "| input file | bytes | SHA-256 |");
    let _ = writeln!(out, "|---|---|---|");
    for f in &r.inputs {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            md(&f.path),
            f.size.map_or_else(String::new, |n| n.to_string()),
            f.sha256
                .clone()
                .or_else(|| f.note.as_deref().map(md))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(
        out,
        "\nCase file: {}. Times: {}. Tool: sessionscope {}.",
        r.case_file.as_deref().map_or_else(|| "none".into(), md),
        r.time_zone,
        r.tool_version
    );
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
        "what_to_do",
        "count",
        "names",
        "record_ids",
    ])?;
    for a in &r.accounts {
        for step in &a.steps {
            w.write_record([
                "account",
                "",
                &csv_cell(&a.sessions.join(" ")),
                &csv_cell(&a.user),
                "",
                "",
                "",
                "",
                "",
                &csv_cell(step),
                "",
                "",
                "",
            ])?;
        }
    }
    for x in &r.remediation {
        w.write_record([
            "remediation",
            x.category,
            &csv_cell(&x.session_ids.join(" ")),
            &csv_cell(&x.user),
            &x.time,
            &csv_cell(&x.operation),
            "",
            &csv_cell(x.target.as_deref().unwrap_or("")),
            &csv_cell(&x.detail),
            &csv_cell(&x.what_to_do),
            &x.count.to_string(),
            &csv_cell(&x.names.join(" | ")),
            &csv_cell(&x.record_ids.join(" ")),
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
                "",
                "",
                "",
                &csv_cell(a.record_id.as_deref().unwrap_or("")),
            ])?;
        }
    }
    for f in &r.inputs {
        w.write_record([
            "input",
            "",
            "",
            "",
            "",
            "",
            "",
            &csv_cell(&f.path),
            &csv_cell(f.sha256.as_deref().or(f.note.as_deref()).unwrap_or("")),
            "",
            &f.size.map_or_else(String::new, |n| n.to_string()),
            "",
            "",
        ])?;
    }
    w.flush()
}
