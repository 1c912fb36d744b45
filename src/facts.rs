//! The facts the batch commands print (and tests check), built from the store. Field names are
//! a contract with scripts: add fields freely, never rename them.

use crate::analysis::Assessment;
use crate::case::{Case, Verdict};
use crate::model::{Event, RecordId, record_type_name};
use crate::store::{Session, Store};
use crate::time::rfc3339;
use serde::Serialize;
use sessionscope_ingest::{FileReport, LoadReport};
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
pub struct Stats {
    pub events: usize,
    pub duplicates: usize,
    pub skipped: usize,
    /// Records read after a damaged record of their file (see each file's `recovered`).
    pub recovered: usize,
    pub users: usize,
    pub sessions: usize,
    pub events_without_session: usize,
    /// Records kept although another record has their `Id`: they say something else (another
    /// user, operation or session), so neither is a copy of the other. Both are kept.
    pub id_conflicts: usize,
    /// Entra sign-ins loaded (after duplicates across files were dropped).
    pub sign_ins: usize,
    /// Of the sessions with a session ID, how many have a sign-in.
    pub sessions_with_sign_ins: usize,
    pub first_event: Option<String>,
    pub last_event: Option<String>,
    /// The slice loaded, when `--from`/`--to` narrowed it: `{from, to}`, UTC (`to` not
    /// included); null when everything was loaded.
    pub window: Option<WindowFacts>,
    /// Records read but outside the window: passed over, not problems.
    pub passed_over: usize,
    /// Partition folders and files (`y=/m=/d=/h=`) the window passed over unopened.
    pub pruned: usize,
    pub files: Vec<FileReport>,
    /// Per user, with `max_concurrent_sessions`.
    pub per_user: Vec<UserStats>,
}

pub fn stats(store: &Store, report: &LoadReport) -> Stats {
    Stats {
        events: store.events.len(),
        duplicates: report.duplicates(),
        skipped: report.skipped(),
        recovered: report.recovered(),
        users: store.users().len(),
        sessions: store.distinct_session_ids(),
        events_without_session: store.events_without_session(),
        id_conflicts: id_conflicts(store),
        sign_ins: store.signins.all.len(),
        sessions_with_sign_ins: store
            .sessions
            .iter()
            .filter(|s| !store.sign_ins_of(s).0.is_empty())
            .count(),
        first_event: store.events.first().map(|e| rfc3339(i64::from(e.time))),
        last_event: store.events.last().map(|e| rfc3339(i64::from(e.time))),
        window: report.window.map(|w| WindowFacts {
            from: rfc3339(w.from),
            to: rfc3339(w.to),
        }),
        passed_over: report.passed_over,
        pruned: report.pruned,
        files: report.files.clone(),
        per_user: user_stats(store),
    }
}

#[derive(Debug, Serialize)]
pub struct WindowFacts {
    pub from: String,
    pub to: String,
}

/// How many events share their GUID `Id` with another event (copies were dropped at load, so
/// those left say different things).
pub fn id_conflicts(store: &Store) -> usize {
    let mut ids: Vec<u128> = store
        .events
        .iter()
        .filter(|e| store.kind(e).guid_id)
        .map(|e| u128::from_le_bytes(e.record_id))
        .collect();
    ids.sort_unstable();
    ids.chunk_by(|a, b| a == b)
        .filter(|same| same.len() > 1)
        .map(<[_]>::len)
        .sum()
}

#[derive(Debug, Serialize)]
pub struct SessionRow {
    /// `null` for a user's activity without a session ID.
    pub session_id: Option<String>,
    pub user: String,
    pub first_seen: String,
    pub last_seen: String,
    pub duration_seconds: i64,
    pub events: usize,
    pub ips: Vec<String>,
    pub clients: Vec<String>,
    pub operations: BTreeMap<String, u32>,
    pub token_ids: usize,
    /// From the case file: `"attacker"`, `"user"` or null.
    pub verdict: Option<Verdict>,
    pub note: Option<String>,
    /// Verdicts on part of the session, by network (`/24`, `/48`), from the case file.
    pub network_verdicts: BTreeMap<String, Verdict>,
    /// For a session used from the user's network and others at once (token replay): its
    /// IPs on the other networks, whose actions the timeline shows as a lane of their own.
    pub other_network_ips: Vec<String>,
    /// 0-100, from comparing the session with the user's other sessions.
    pub risk: u32,
    /// Why, in plain words with the numbers behind them; heaviest first.
    pub reasons: Vec<String>,
    /// The weights added up, uncapped (ranks sessions whose risk is 100).
    pub score: u32,
    /// The same reasons with a stable `code`, their `weight` and the records behind them.
    pub reasons_detail: Vec<ReasonDetail>,
    /// Entra sign-ins of this session (by session ID, or by token id), in time order.
    pub sign_ins: Vec<crate::signin::SignIn>,
    /// Where the session was born: its first successful interactive sign-in.
    pub birth: Option<crate::signin::SignIn>,
    /// Where its IPs are (ASN, country, city), for those the sign-ins or `--ip-db` know.
    pub places: BTreeMap<String, crate::geo::Place>,
}

/// The known places of `ips`.
pub fn places_of<'a>(
    store: &Store,
    ips: impl IntoIterator<Item = &'a str>,
) -> BTreeMap<String, crate::geo::Place> {
    ips.into_iter()
        .filter_map(|ip| store.geo.of(ip).map(|p| (ip.to_string(), p.clone())))
        .collect()
}

/// A row for a session known only from sign-ins: no audit record carries its ID.
pub fn sign_in_only_row(store: &Store, session_id: &str, case: Option<&Case>) -> SessionRow {
    let all = store.signins.of_session(session_id);
    let first = all.first().map_or(0, |s| s.time);
    let last = all.last().map_or(0, |s| s.time);
    let entry = case.and_then(|c| c.entry(session_id));
    let mut ips: Vec<String> = all.iter().filter_map(|s| s.ip.clone()).collect();
    ips.sort();
    ips.dedup();
    SessionRow {
        session_id: Some(session_id.to_string()),
        user: all.first().map(|s| s.user.clone()).unwrap_or_default(),
        first_seen: rfc3339(first),
        last_seen: rfc3339(last),
        duration_seconds: last - first,
        events: 0,
        ips,
        clients: Vec::new(),
        operations: BTreeMap::new(),
        token_ids: 0,
        verdict: entry.and_then(|e| e.verdict),
        note: entry.map(|e| e.note.clone()).filter(|n| !n.is_empty()),
        network_verdicts: entry.map(|e| e.networks.clone()).unwrap_or_default(),
        other_network_ips: Vec::new(),
        risk: 0,
        reasons: Vec::new(),
        score: 0,
        reasons_detail: Vec::new(),
        birth: crate::signin::birth(&all).cloned(),
        places: places_of(store, all.iter().filter_map(|s| s.ip.as_deref())),
        sign_ins: all.into_iter().cloned().collect(),
    }
}

#[derive(Debug, Serialize)]
pub struct ReasonDetail {
    /// Stable name of the finding (`rule_forwards_outside`, `token_replay`, `legacy_auth`...).
    pub code: &'static str,
    pub weight: u32,
    pub text: String,
    /// Record `Id`s of the events behind the reason (at most 50; `record_count` says how many
    /// in all).
    pub records: Vec<String>,
    pub record_count: usize,
}

fn reason_details(store: &Store, a: &Assessment) -> Vec<ReasonDetail> {
    a.reasons
        .iter()
        .map(|r| ReasonDetail {
            code: r.code,
            weight: r.weight,
            text: r.text.clone(),
            records: r
                .records
                .iter()
                .filter_map(|&e| record_id(store, &store.events[e as usize]))
                .collect(),
            record_count: r.record_count,
        })
        .collect()
}

pub fn session_row(
    store: &Store,
    s: &Session,
    case: Option<&Case>,
    assessment: Option<&Assessment>,
) -> SessionRow {
    let id = s.has_id().then(|| store.str(s.id));
    let entry = id.and_then(|id| case.and_then(|c| c.entry(id)));
    let (signins, birth) = store.sign_ins_of(s);
    let strs = |v: &[crate::intern::Sym]| v.iter().map(|&x| store.str(x).to_string()).collect();
    SessionRow {
        session_id: s.has_id().then(|| store.str(s.id).to_string()),
        user: store.str(s.user).to_string(),
        first_seen: rfc3339(s.first),
        last_seen: rfc3339(s.last),
        duration_seconds: s.last - s.first,
        events: s.events.len(),
        ips: strs(&s.ips),
        clients: strs(&s.clients),
        operations: s
            .operations
            .iter()
            .map(|&(op, n)| (store.str(op).to_string(), n))
            .collect(),
        token_ids: s.tokens.len(),
        verdict: entry.and_then(|e| e.verdict),
        note: entry.map(|e| e.note.clone()).filter(|n| !n.is_empty()),
        network_verdicts: entry.map(|e| e.networks.clone()).unwrap_or_default(),
        other_network_ips: assessment.map(|a| strs(&a.foreign_ips)).unwrap_or_default(),
        risk: assessment.map_or(0, |a| a.risk),
        reasons: assessment.map(Assessment::texts).unwrap_or_default(),
        score: assessment.map_or(0, |a| a.score),
        reasons_detail: assessment
            .map(|a| reason_details(store, a))
            .unwrap_or_default(),
        sign_ins: signins.into_iter().cloned().collect(),
        birth: birth.cloned(),
        places: places_of(store, s.ips.iter().map(|&ip| store.str(ip))),
    }
}

/// Per user: sessions, the most active at once, and the activity that has no session ID.
#[derive(Debug, Serialize)]
pub struct UserStats {
    pub user: String,
    pub sessions: usize,
    pub max_concurrent_sessions: usize,
    pub max_concurrent_at: Option<String>,
    pub events_without_session: usize,
    pub no_session_ips: Vec<String>,
    pub no_session_clients: Vec<String>,
}

pub fn user_stats(store: &Store) -> Vec<UserStats> {
    let peaks = crate::analysis::max_concurrent(store);
    // One pass over the sessions: per user, how many have an ID, and the no-session group.
    let mut per_user: rustc_hash::FxHashMap<crate::intern::Sym, (usize, Option<&Session>)> =
        rustc_hash::FxHashMap::default();
    for s in &store.sessions {
        let entry = per_user.entry(s.user).or_default();
        if s.has_id() {
            entry.0 += 1;
        } else {
            entry.1 = Some(s);
        }
    }
    store
        .users()
        .into_iter()
        .map(|u| {
            let (with_id, none) = per_user.get(&u).copied().unwrap_or_default();
            let strs =
                |v: &[crate::intern::Sym]| v.iter().map(|&x| store.str(x).to_string()).collect();
            let (peak, at) = peaks.get(&u).copied().unwrap_or((0, 0));
            UserStats {
                user: store.str(u).to_string(),
                sessions: with_id,
                max_concurrent_sessions: peak,
                max_concurrent_at: (peak > 0).then(|| rfc3339(at)),
                events_without_session: none.map_or(0, |s| s.events.len()),
                no_session_ips: none.map(|s| strs(&s.ips)).unwrap_or_default(),
                no_session_clients: none.map(|s| strs(&s.clients)).unwrap_or_default(),
            }
        })
        .collect()
}

#[derive(Debug, Serialize)]
pub struct TimelineRow {
    pub time: String,
    pub user: String,
    pub session_id: Option<String>,
    pub operation: String,
    pub ip: Option<String>,
    pub ip_original: Option<String>,
    pub client: Option<String>,
    pub target: Option<String>,
    pub summary: String,
    pub record_id: Option<String>,
    pub record_type: u16,
    pub record_type_name: &'static str,
    pub workload: Option<String>,
    pub result: Option<String>,
    pub logon_type: Option<&'static str>,
    pub token_id: Option<String>,
}

pub fn record_id(store: &Store, e: &Event) -> Option<String> {
    match store.record_id(e) {
        RecordId::Guid(b) => Some(uuid::Uuid::from_bytes(b).hyphenated().to_string()),
        RecordId::Other(s) if !s.is_empty() => Some(store.str(s).to_string()),
        RecordId::Other(_) => None,
    }
}

/// The facts of event `id` (an index into `store.events`).
pub fn timeline_row(store: &Store, id: u32) -> TimelineRow {
    let e = &store.events[id as usize];
    let kind = store.kind(e);
    let opt = |s: crate::intern::Sym| (!s.is_empty()).then(|| store.str(s).to_string());
    TimelineRow {
        time: rfc3339(i64::from(e.time)),
        user: store.str(e.user).to_string(),
        session_id: opt(e.session),
        operation: store.str(e.operation).to_string(),
        ip: opt(e.ip),
        ip_original: opt(store.ip_original(id)),
        client: opt(e.client),
        target: opt(e.target),
        summary: store.str(e.summary).to_string(),
        record_id: record_id(store, e),
        record_type: kind.record_type,
        record_type_name: record_type_name(kind.record_type),
        workload: opt(kind.workload),
        result: opt(kind.result),
        logon_type: Some(kind.logon_type.name()).filter(|n| !n.is_empty()),
        token_id: opt(e.token),
    }
}

/// Which events a `timeline` shows.
#[derive(Debug, Default, Clone)]
pub struct TimelineFilter {
    pub user: Option<String>,
    pub sessions: Vec<String>,
    pub ip: Option<String>,
    /// Operation names, any case; an event matches any of them.
    pub operations: Vec<String>,
}

impl TimelineFilter {
    pub fn is_empty(&self) -> bool {
        self.user.is_none()
            && self.sessions.is_empty()
            && self.ip.is_none()
            && self.operations.is_empty()
    }
}

/// What a session ID given on the command line names: the whole ID, or any prefix of it that
/// no other session ID starts with, as git takes short hashes.
#[derive(Debug, PartialEq, Eq)]
pub enum SessionMatch {
    One(String),
    /// Several session IDs start with it: each, with a user of it, in ID order.
    Ambiguous(Vec<(String, String)>),
    None,
}

pub fn resolve_session(store: &Store, given: &str) -> SessionMatch {
    let given = given.trim().to_ascii_lowercase();
    if given.is_empty() {
        return SessionMatch::None;
    }
    if let Some(id) = store.lookup(&given)
        && !store.sessions_of_id(id).is_empty()
    {
        return SessionMatch::One(given);
    }
    let mut found: Vec<(String, String)> = store
        .sessions
        .iter()
        .filter(|s| s.has_id() && store.str(s.id).starts_with(&given))
        .map(|s| (store.str(s.id).to_string(), store.str(s.user).to_string()))
        .collect();
    found.sort();
    found.dedup_by(|a, b| a.0 == b.0);
    match found.len() {
        0 => SessionMatch::None,
        1 => SessionMatch::One(found.remove(0).0),
        _ => SessionMatch::Ambiguous(found),
    }
}

/// Event ids matching the filter, in time order. Unknown values match nothing.
pub fn timeline(store: &Store, filter: &TimelineFilter) -> Vec<u32> {
    use crate::store::Facet;
    let mut candidates: Option<Vec<u32>> = None;
    let mut narrow = |ids: Vec<u32>| {
        candidates = Some(match candidates.take() {
            None => ids,
            Some(prev) => {
                let keep: rustc_hash::FxHashSet<u32> = ids.into_iter().collect();
                prev.into_iter().filter(|i| keep.contains(i)).collect()
            }
        });
    };
    let ids_of = |facet: Facet, value: &str| -> Vec<u32> {
        store
            .lookup(value)
            .map(|s| store.events_with(facet, s).to_vec())
            .unwrap_or_default()
    };
    if let Some(u) = &filter.user {
        narrow(ids_of(Facet::User, &u.trim().to_lowercase()));
    }
    if !filter.sessions.is_empty() {
        let mut ids: Vec<u32> = filter
            .sessions
            .iter()
            .flat_map(|s| ids_of(Facet::Session, &s.trim().to_lowercase()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        narrow(ids);
    }
    if let Some(ip) = &filter.ip {
        let norm = crate::ip::normalise(ip).unwrap_or_default();
        narrow(ids_of(Facet::Ip, &norm));
    }
    if !filter.operations.is_empty() {
        // Names as typed, any case: each distinct operation is compared once.
        let mut verdict: rustc_hash::FxHashMap<crate::intern::Sym, bool> = Default::default();
        let ids = (0..store.events.len() as u32)
            .filter(|&i| {
                let op = store.events[i as usize].operation;
                *verdict.entry(op).or_insert_with(|| {
                    let name = store.str(op);
                    filter
                        .operations
                        .iter()
                        .any(|w| w.trim().eq_ignore_ascii_case(name))
                })
            })
            .collect();
        narrow(ids);
    }
    candidates.unwrap_or_else(|| (0..store.events.len() as u32).collect())
}

/// Sessions, optionally of one user, in order of first activity.
pub fn sessions<'s>(store: &'s Store, user: Option<&str>) -> Vec<&'s Session> {
    let user = user.map(|u| store.lookup(&u.trim().to_lowercase()));
    store
        .sessions
        .iter()
        .filter(|s| match user {
            None => true,
            Some(None) => false,
            Some(Some(u)) => s.user == u,
        })
        .collect()
}

/// A session linked to the attacker sessions, as `linked` prints it.
#[derive(Debug, Serialize)]
pub struct LinkedRow {
    /// `null` for a user's activity without a session ID.
    pub session_id: Option<String>,
    pub user: String,
    pub first_seen: String,
    pub last_seen: String,
    /// The values it shares with the attacker sessions.
    pub shares: LinkedShares,
    /// Why it is listed, in a sentence.
    pub why: String,
    /// Seconds between its activity and the nearest attacker session's (0: at the same time).
    pub gap_seconds: i64,
    /// The order of the list: a shared token counts most, then the same IP and client close
    /// in time, then IPs, then clients; values most accounts share count nothing.
    pub strength: usize,
}

#[derive(Debug, Serialize)]
pub struct LinkedShares {
    pub ips: Vec<String>,
    pub clients: Vec<String>,
    pub token_ids: Vec<String>,
    /// Shared values most of the tenant's accounts use, with how many accounts use each.
    pub common: Vec<CommonValue>,
}

#[derive(Debug, Serialize)]
pub struct CommonValue {
    pub value: String,
    pub accounts: usize,
}

pub fn linked_row(store: &Store, link: &crate::linked::Link) -> LinkedRow {
    let session = &store.sessions[link.session];
    let strs = |v: &[crate::intern::Sym]| v.iter().map(|&x| store.str(x).to_string()).collect();
    LinkedRow {
        session_id: session.has_id().then(|| store.str(session.id).to_string()),
        user: store.str(session.user).to_string(),
        first_seen: rfc3339(session.first),
        last_seen: rfc3339(session.last),
        shares: LinkedShares {
            ips: strs(&link.ips),
            clients: strs(&link.clients),
            token_ids: strs(&link.tokens),
            common: link
                .common
                .iter()
                .map(|&(v, accounts)| CommonValue {
                    value: store.str(v).to_string(),
                    accounts,
                })
                .collect(),
        },
        why: link.why(),
        gap_seconds: link.gap,
        strength: link.strength(),
    }
}
