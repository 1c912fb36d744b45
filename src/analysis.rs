//! Telling the attacker's session from the user's before anyone reads a row: each session is
//! compared with a baseline of the same user's other sessions, and every difference that
//! matters becomes a reason in plain words, with the numbers behind it. The score only ranks;
//! the reasons explain. Also: how many sessions of a user were active at once, and what a user
//! did without a session ID.

use crate::case::{Case, Verdict};
use crate::intern::Sym;
use crate::ip::network_of;
use crate::model::Event;
use crate::store::{Session, Store};
use crate::time::short_duration;
use rustc_hash::{FxHashMap, FxHashSet};

/// A reason at least this heavy is alarming; lighter ones are context.
pub const ALARMING: u32 = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub weight: u32,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assessment {
    /// 0 to 100.
    pub risk: u32,
    /// Heaviest first.
    pub reasons: Vec<Reason>,
}

impl Assessment {
    pub fn texts(&self) -> Vec<String> {
        self.reasons.iter().map(|r| r.text.clone()).collect()
    }
}

/// How an action reached Exchange, from its client string.
pub fn protocol(client: &str) -> &'static str {
    let c = client.to_ascii_lowercase();
    if c.contains("powershell") || c.contains("exchange.management") {
        "PowerShell"
    } else if c.contains("msexchangerpc") || c.contains("outlook") && c.contains("mapi") {
        "MAPI (Outlook)"
    } else if c.contains("owa") {
        "OWA (browser)"
    } else if c.contains("pop3") || c.contains("imap") {
        "POP/IMAP"
    } else if c.contains("activesync") {
        "ActiveSync"
    } else if c.contains("webservices") || c.contains("ews") {
        "EWS"
    } else if c.contains("rest") {
        "REST"
    } else if c.starts_with("mozilla/") {
        "browser sign-in"
    } else {
        "other"
    }
}

fn is_automation(client: &str) -> bool {
    let c = client.to_ascii_lowercase();
    [
        "python-requests",
        "curl/",
        "go-http-client",
        "powershell/",
        "okhttp",
        "axios",
        "postmanruntime",
    ]
    .iter()
    .any(|a| c.contains(a))
        || (c.starts_with("client=rest") && !c.contains("mozilla"))
}

fn is_rule_op(op: &str) -> bool {
    matches!(
        op,
        "New-InboxRule" | "Set-InboxRule" | "Enable-InboxRule" | "UpdateInboxRules"
    )
}

fn is_permission_grant(op: &str) -> bool {
    op.contains("Permission") && !op.starts_with("Remove") && !op.starts_with("Get")
}

const MONEY_WORDS: &[&str] = &[
    "invoice",
    "payment",
    "wire",
    "bank",
    "remittance",
    "iban",
    "swift",
];
const HIDING_FOLDERS: &[&str] = &[
    "rss",
    "conversation history",
    "historique des conversations",
    "archive",
    "junk",
];

/// Email addresses in a summary after "forward"/"redirect" words.
fn forward_targets(summary: &str) -> Vec<String> {
    let lower = summary.to_ascii_lowercase();
    let mut out = Vec::new();
    for marker in [
        "forward to ",
        "redirect to ",
        "forward as attachment to ",
        "forward ",
    ] {
        let mut rest = lower.as_str();
        while let Some(i) = rest.find(marker) {
            rest = &rest[i + marker.len()..];
            for token in rest.split([' ', ',', ';', ')', '(']).take(6) {
                let t = token.trim_start_matches("smtp:").trim_matches(|c: char| {
                    !c.is_alphanumeric() && c != '@' && c != '.' && c != '-' && c != '_'
                });
                if t.contains('@') && !out.iter().any(|o| o == t) {
                    out.push(t.to_string());
                }
            }
        }
    }
    out
}

fn domain(address: &str) -> &str {
    address.rsplit('@').next().unwrap_or("")
}

/// What the baseline sessions of a user did, for comparing one session with.
#[derive(Default)]
struct Baseline {
    sessions: usize,
    ops: FxHashSet<Sym>,
    clients: FxHashSet<Sym>,
    protocols: FxHashSet<&'static str>,
    hours: FxHashSet<i64>,
    max_ips: usize,
    max_binds: usize,
    max_deleted: usize,
    sends: bool,
}

struct SessionFacts {
    rule_ops: usize,
    grants: usize,
    forwarding: Vec<String>,
    binds: usize,
    deleted: usize,
    sends: usize,
    hours: FxHashSet<i64>,
    networks: usize,
    protocols: FxHashSet<&'static str>,
    rule_summaries: Vec<String>,
}

fn items_in(summary: &str) -> usize {
    // Summaries read "Bind, 6 items in \Inbox" or "3 items from \Inbox ...".
    summary
        .split([' ', ','])
        .zip(summary.split([' ', ',']).skip(1))
        .find(|(_, unit)| unit.starts_with("item"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or(1)
}

fn facts_of(store: &Store, s: &Session) -> SessionFacts {
    let mut f = SessionFacts {
        rule_ops: 0,
        grants: 0,
        forwarding: Vec::new(),
        binds: 0,
        deleted: 0,
        sends: 0,
        hours: FxHashSet::default(),
        networks: s
            .ips
            .iter()
            .map(|&ip| network_of(store.str(ip)))
            .collect::<FxHashSet<_>>()
            .len(),
        protocols: FxHashSet::default(),
        rule_summaries: Vec::new(),
    };
    for &i in &s.events {
        let e: &Event = &store.events[i as usize];
        let op = store.str(e.operation);
        let summary = store.str(e.summary);
        f.hours.insert(i64::from(e.time).rem_euclid(86_400) / 3600);
        if !e.client.is_empty() {
            f.protocols.insert(protocol(store.str(e.client)));
        }
        if is_rule_op(op) {
            f.rule_ops += 1;
            f.rule_summaries.push(summary.to_string());
        } else if is_permission_grant(op) {
            f.grants += 1;
        }
        if (is_rule_op(op) || op == "Set-Mailbox")
            && summary.to_ascii_lowercase().contains("forward")
        {
            f.forwarding.extend(forward_targets(summary));
        }
        match op {
            "MailItemsAccessed" if summary.starts_with("Bind") => f.binds += items_in(summary),
            "SoftDelete" | "HardDelete" | "MoveToDeletedItems" => f.deleted += items_in(summary),
            "Send" | "SendAs" | "SendOnBehalf" => f.sends += 1,
            _ => {}
        }
    }
    f
}

fn baseline(store: &Store, sessions: &[&Session], facts: &[&SessionFacts]) -> Baseline {
    let mut b = Baseline {
        sessions: sessions.len(),
        ..Baseline::default()
    };
    for (s, f) in sessions.iter().zip(facts) {
        b.ops.extend(s.operations.iter().map(|(op, _)| *op));
        b.clients.extend(s.clients.iter().copied());
        b.protocols.extend(f.protocols.iter().copied());
        b.hours.extend(f.hours.iter().copied());
        b.max_ips = b.max_ips.max(s.ips.len());
        b.max_binds = b.max_binds.max(f.binds);
        b.max_deleted = b.max_deleted.max(f.deleted);
        b.sends |= f.sends > 0;
    }
    let _ = store;
    b
}

/// Domains of the tenant: those of its users' addresses.
fn tenant_domains(store: &Store) -> FxHashSet<String> {
    store
        .users()
        .iter()
        .map(|&u| store.str(u))
        .filter(|u| u.contains('@'))
        .map(|u| domain(u).to_string())
        .collect()
}

/// Scores every session (by index in `store.sessions`). Activity without a session ID is not
/// scored: it is not one logon.
pub fn assess_all(store: &Store, case: Option<&Case>) -> Vec<Assessment> {
    let domains = tenant_domains(store);
    // Reading every event is the costly part: one half of the sessions on each core.
    let (a, b) = store.sessions.split_at(store.sessions.len() / 2);
    let facts: Vec<SessionFacts> = std::thread::scope(|scope| {
        let second = scope.spawn(|| b.iter().map(|s| facts_of(store, s)).collect::<Vec<_>>());
        let mut first: Vec<SessionFacts> = a.iter().map(|s| facts_of(store, s)).collect();
        first.extend(second.join().expect("analysis worker panicked"));
        first
    });
    let mut by_user: FxHashMap<Sym, Vec<usize>> = FxHashMap::default();
    for (i, s) in store.sessions.iter().enumerate() {
        if s.has_id() {
            by_user.entry(s.user).or_default().push(i);
        }
    }
    let verdict = |i: usize| {
        let s = &store.sessions[i];
        case.and_then(|c| c.verdict(store.str(s.id)))
    };
    let mut out = vec![Assessment::default(); store.sessions.len()];
    for sessions in by_user.values() {
        let marked_user: Vec<usize> = sessions
            .iter()
            .copied()
            .filter(|&i| verdict(i) == Some(Verdict::User))
            .collect();
        for &i in sessions {
            let pool: Vec<usize> = if marked_user.iter().any(|&j| j != i) {
                marked_user.iter().copied().filter(|&j| j != i).collect()
            } else {
                sessions.iter().copied().filter(|&j| j != i).collect()
            };
            let base_sessions: Vec<&Session> = pool.iter().map(|&j| &store.sessions[j]).collect();
            let base_facts: Vec<&SessionFacts> = pool.iter().map(|&j| &facts[j]).collect();
            let b = baseline(store, &base_sessions, &base_facts);
            let overlapping_same_ip = sessions.iter().any(|&j| {
                let (s, t) = (&store.sessions[i], &store.sessions[j]);
                j != i
                    && s.first <= t.last
                    && t.first <= s.last
                    && s.ips.iter().any(|ip| t.ips.contains(ip))
            });
            out[i] = assess(
                store,
                &store.sessions[i],
                &facts[i],
                &b,
                &domains,
                overlapping_same_ip,
            );
        }
    }
    out
}

fn assess(
    store: &Store,
    s: &Session,
    f: &SessionFacts,
    b: &Baseline,
    domains: &FxHashSet<String>,
    overlapping_same_ip: bool,
) -> Assessment {
    let mut reasons: Vec<Reason> = Vec::new();
    let mut add = |weight: u32, text: String| reasons.push(Reason { weight, text });
    let others = match b.sessions {
        0 => "no other session of this user to compare with".to_string(),
        1 => "not in the user's other session".to_string(),
        n => format!("not in the user's {n} other sessions"),
    };
    for &(op, n) in &s.operations {
        let name = store.str(op);
        if b.ops.contains(&op) {
            continue;
        }
        if is_rule_op(name) {
            add(
                30,
                format!("inbox rule created or changed ({name} ×{n}); {others}"),
            );
        } else if is_permission_grant(name) {
            add(25, format!("permission granted ({name} ×{n}); {others}"));
        }
    }
    let mut outside: Vec<&String> = f
        .forwarding
        .iter()
        .filter(|a| !domains.contains(domain(a)))
        .collect();
    outside.sort();
    outside.dedup();
    if !outside.is_empty() {
        let list: Vec<&str> = outside.iter().map(|s| s.as_str()).collect();
        add(
            30,
            format!("mail forwarded outside the tenant, to {}", list.join(", ")),
        );
    }
    for summary in &f.rule_summaries {
        let lower = summary.to_ascii_lowercase();
        let hides = lower.contains("mark as read")
            || lower.contains("delete")
            || HIDING_FOLDERS
                .iter()
                .any(|h| lower.contains(&format!("move to {h}")));
        if hides {
            add(
                20,
                format!(
                    "inbox rule that hides mail: {}",
                    crate::text::fit(summary, 90).trim_end()
                ),
            );
        }
        if let Some(word) = MONEY_WORDS.iter().find(|w| lower.contains(*w)) {
            add(
                20,
                format!("inbox rule filtering on money words (\"{word}\")"),
            );
        }
    }
    if f.binds >= 100 && f.binds > b.max_binds * 3 {
        add(
            20,
            format!(
                "{} mail items opened (MailItemsAccessed Bind); the user's sessions opened at most {}",
                f.binds, b.max_binds
            ),
        );
    }
    if f.deleted >= 20 && f.deleted > b.max_deleted * 3 {
        add(
            20,
            format!(
                "{} items deleted; the user's sessions deleted at most {}",
                f.deleted, b.max_deleted
            ),
        );
    }
    if f.sends > 0 && !b.sends && b.sessions > 0 {
        add(
            10,
            format!(
                "{} message(s) sent; the user's other sessions sent none",
                f.sends
            ),
        );
    }
    if s.ips.len() >= 3 && s.ips.len() > b.max_ips.max(1) * 2 {
        add(
            25,
            format!(
                "{} IPs in {} across {} networks; the user's sessions normally use {}",
                s.ips.len(),
                short_duration(s.last - s.first),
                f.networks,
                b.max_ips.max(1)
            ),
        );
    }
    let automation: Vec<&str> = s
        .clients
        .iter()
        .map(|&c| store.str(c))
        .filter(|c| is_automation(c))
        .collect();
    if let Some(c) = automation.first() {
        add(
            20,
            format!(
                "automation client on a human account: {}",
                crate::text::fit(c, 60).trim_end()
            ),
        );
    }
    if b.sessions > 0 {
        let new_protocols: Vec<&str> = f.protocols.difference(&b.protocols).copied().collect();
        if !new_protocols.is_empty() {
            let usual: Vec<&str> = b.protocols.iter().copied().collect();
            add(
                15,
                format!(
                    "actions over {}; this account normally works through {}",
                    new_protocols.join(", "),
                    if usual.is_empty() {
                        "nothing else".to_string()
                    } else {
                        usual.join(", ")
                    }
                ),
            );
        } else if let Some(c) = s.clients.iter().find(|c| !b.clients.contains(c)) {
            add(
                10,
                format!(
                    "client never seen for this user: {}",
                    crate::text::fit(store.str(*c), 60).trim_end()
                ),
            );
        }
        let odd_hours = f.hours.iter().filter(|h| !b.hours.contains(h)).count();
        if odd_hours > 0 && !b.hours.is_empty() {
            let (lo, hi) = (
                b.hours.iter().min().unwrap_or(&0),
                b.hours.iter().max().unwrap_or(&23),
            );
            add(
                5,
                format!(
                    "active at hours the user never is ({odd_hours} new hour(s); usual {lo:02}-{hi:02} UTC)"
                ),
            );
        }
    }
    let alarming = reasons.iter().any(|r| r.weight >= ALARMING);
    if overlapping_same_ip && alarming {
        reasons.push(Reason {
            weight: 10,
            text: "a second session from the same IP at the same time as the user's own: the IP cannot tell them apart, the session can".into(),
        });
    }
    // One reason per finding: two rules filtering on the same word say it once.
    let mut seen = FxHashSet::default();
    reasons.retain(|r| seen.insert(r.text.clone()));
    reasons.sort_by_key(|r| std::cmp::Reverse(r.weight));
    let risk = reasons.iter().map(|r| r.weight).sum::<u32>().min(100);
    Assessment { risk, reasons }
}

/// Per user: the most sessions active at once (a session is active from its first to its last
/// event), and when that peak began.
pub fn max_concurrent(store: &Store) -> FxHashMap<Sym, (usize, i64)> {
    let mut edges: FxHashMap<Sym, Vec<(i64, i32)>> = FxHashMap::default();
    for s in store.sessions.iter().filter(|s| s.has_id()) {
        let e = edges.entry(s.user).or_default();
        e.push((s.first, 1));
        e.push((s.last, -1));
    }
    edges
        .into_iter()
        .map(|(user, mut e)| {
            // Starts before ends at the same second: touching sessions overlap.
            e.sort_by_key(|&(t, d)| (t, -d));
            let (mut now, mut best, mut at) = (0i32, 0i32, 0i64);
            for (t, d) in e {
                now += d;
                if now > best {
                    best = now;
                    at = t;
                }
            }
            (user, (best as usize, at))
        })
        .collect()
}

/// Active sessions of `sessions` in each of `buckets` equal slices of `from..=to`.
pub fn concurrency_series(sessions: &[&Session], from: i64, to: i64, buckets: usize) -> Vec<u64> {
    let span = (to - from).max(1) as f64;
    let mut out = vec![0u64; buckets.max(1)];
    for s in sessions.iter().filter(|s| s.has_id()) {
        let a = (((s.first - from) as f64 / span) * buckets as f64) as usize;
        let b = (((s.last - from) as f64 / span) * buckets as f64) as usize;
        for slot in out
            .iter_mut()
            .take(b.min(buckets - 1) + 1)
            .skip(a.min(buckets - 1))
        {
            *slot += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_targets_from_summaries() {
        assert_eq!(
            forward_targets(
                "rule \".\" if subject contains \"invoice\": forward to a@x.example, mark as read"
            ),
            vec!["a@x.example"]
        );
        assert_eq!(
            forward_targets("forward alex@contoso.com to smtp:b@y.example (keeps a copy)"),
            vec!["alex@contoso.com", "b@y.example"]
        );
        assert_eq!(
            forward_targets("AddMailboxRule \"I\": Forward to c@z.example when {x}"),
            vec!["c@z.example"]
        );
    }

    #[test]
    fn protocols() {
        assert_eq!(protocol("Client=MSExchangeRPC"), "MAPI (Outlook)");
        assert_eq!(
            protocol("Client=Microsoft.Exchange.PowerShell;Version=3.0"),
            "PowerShell"
        );
        assert_eq!(protocol("Client=OWA;Action=ViaProxy"), "OWA (browser)");
        assert!(is_automation("python-requests/2.31"));
        assert!(is_automation("Client=REST;Client=RESTSystem;;"));
        assert!(!is_automation("Client=OWA;Mozilla/5.0"));
    }

    #[test]
    fn item_counts_from_summaries() {
        assert_eq!(items_in("Bind, 6 items in \\Inbox"), 6);
        assert_eq!(items_in("3 items from \\Inbox to \\Deleted Items"), 3);
        assert_eq!(items_in("1 item from \\Inbox"), 1);
    }
}
