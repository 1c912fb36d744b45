//! The incident report: the accounts to secure, a checklist of what the attacker changed and
//! what to do about each (items alike grouped), every attacker session with why it was judged
//! so, the sessions linked to it and its actions in time order, and the evidence it was made
//! from. Markdown for people, CSV and JSON for tools.

mod evidence;
mod output;
mod remedy;

pub use evidence::{InputFile, hash_file, not_hashed_yet};
pub use output::{csv, markdown};
pub use remedy::{CATEGORIES, Change, Remedy, change_of};

use crate::audit;
use crate::case::{Case, Verdict};
use crate::facts::{self, TimelineRow};
use crate::store::Store;
use crate::time::rfc3339;
use serde::Serialize;

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
    /// Why it reads as an attacker's: the risk the analysis gave it, and its reasons.
    pub risk: u32,
    pub reasons: Vec<String>,
    /// Other accounts' sessions sharing its IPs, client or token, strongest first (at most
    /// [`MAX_LINKED`]).
    pub linked: Vec<LinkedSession>,
    pub actions: Vec<TimelineRow>,
}

/// How many linked sessions the report names per attacker session.
pub const MAX_LINKED: usize = 5;

#[derive(Debug, Serialize)]
pub struct LinkedSession {
    pub session_id: Option<String>,
    pub user: String,
    pub first_seen: String,
    pub why: String,
}

/// What to do for an account an attacker signed in to, whatever the sessions did.
#[derive(Debug, Serialize)]
pub struct AccountSteps {
    pub user: String,
    pub sessions: Vec<String>,
    pub steps: Vec<&'static str>,
}

const ACCOUNT_STEPS: &[&str] = &[
    "revoke every session and refresh token of the account (Revoke-MgUserSignInSession, or \"Revoke sessions\" in Entra): the stolen session ends only then",
    "reset its password, and any app passwords",
    "review its MFA methods and registered devices: remove any the owner did not add",
    "after that, look at its inbox rules, forwarding and folder permissions again",
];

#[derive(Debug, Serialize)]
pub struct Report {
    pub generated: String,
    pub tool_version: &'static str,
    /// Every time in the report is in this zone.
    pub time_zone: &'static str,
    pub case_file: Option<String>,
    pub inputs: Vec<InputFile>,
    pub accounts: Vec<AccountSteps>,
    pub attacker_sessions: Vec<AttackerSession>,
    pub remediation: Vec<Remedy>,
}

/// The mailbox a target names, by address where the export gives one: an address as it is;
/// an alias (`megan.bowen`) as the address of the one account of the tenant it begins.
fn mailbox_address(store: &Store, target: &str) -> String {
    if target.contains('@') {
        return target.to_string();
    }
    let mut owners = store.users().into_iter().map(|u| store.str(u)).filter(|u| {
        u.split_once('@')
            .is_some_and(|(local, _)| local.eq_ignore_ascii_case(target))
    });
    match (owners.next(), owners.next()) {
        (Some(one), None) => one.to_string(),
        _ => target.to_string(),
    }
}

/// The report of the sessions `case` marks attacker. `scored`: the sessions' risk when it is
/// at hand (the investigator's), so that writing a report never scores the store again.
pub fn build(
    store: &Store,
    case: Option<&Case>,
    inputs: Vec<InputFile>,
    scored: Option<&[crate::analysis::Assessment]>,
) -> Report {
    let computed;
    let assessments = match scored {
        Some(a) if a.len() == store.sessions.len() => a,
        _ => {
            let verdicts = case.map(|c| c.verdicts(store));
            computed = crate::analysis::assess_all(store, verdicts.as_ref());
            &computed[..]
        }
    };
    let mut attacker_sessions = Vec::new();
    let mut items = Vec::new();
    for (index, s) in store.sessions.iter().enumerate() {
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
        let mut actions: Vec<TimelineRow> = events
            .iter()
            .map(|&e| facts::timeline_row(store, e))
            .collect();
        for a in &mut actions {
            a.target = a.target.take().map(|t| mailbox_address(store, &t));
        }
        for (a, &e) in actions.iter().zip(&events) {
            let kind = audit::classify(&a.operation);
            if let Some(change) = change_of(kind, store.action(e), &a.operation) {
                items.push(remedy::Item {
                    change,
                    session_id: id.to_string(),
                    user: a.user.clone(),
                    time: a.time.clone(),
                    operation: a.operation.clone(),
                    target: a.target.clone(),
                    detail: a.summary.clone(),
                    record_id: a.record_id.clone(),
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
        let assessment = assessments.get(index);
        let linked = crate::linked::linked_sessions(store, &[index])
            .iter()
            .filter(|l| l.account && l.strength() > 0)
            .take(MAX_LINKED)
            .map(|l| {
                let row = facts::linked_row(store, l);
                LinkedSession {
                    session_id: row.session_id,
                    user: row.user,
                    first_seen: row.first_seen,
                    why: row.why,
                }
            })
            .collect();
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
            risk: assessment.map_or(0, |a| a.risk),
            reasons: assessment.map(|a| a.texts()).unwrap_or_default(),
            linked,
            actions,
        });
    }
    let mut accounts: Vec<AccountSteps> = Vec::new();
    for s in &attacker_sessions {
        match accounts.iter_mut().find(|a| a.user == s.user) {
            Some(a) => a.sessions.push(s.session_id.clone()),
            None => accounts.push(AccountSteps {
                user: s.user.clone(),
                sessions: vec![s.session_id.clone()],
                steps: ACCOUNT_STEPS.to_vec(),
            }),
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    Report {
        generated: rfc3339(now),
        tool_version: env!("CARGO_PKG_VERSION"),
        time_zone: "UTC",
        case_file: case.map(|c| c.path.display().to_string()),
        inputs,
        accounts,
        attacker_sessions,
        remediation: remedy::group(items),
    }
}
