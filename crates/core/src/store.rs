//! The in-memory event store: events in time order, interned strings, posting lists per facet
//! (user, session, IP, client, operation, target) and the sessions built from them.

use crate::intern::{Interner, Sym};
use crate::model::{Event, Kind, Kinds, RecordId, SourceRef};
use crate::signin::SignIn;
use crate::sparse::SparseColumn;
use crate::telling::{Telling, TellingColumn};
use rustc_hash::FxHashMap;
use std::borrow::Cow;

/// What a pivot can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Facet {
    User,
    Session,
    Ip,
    Client,
    Operation,
    Target,
}

impl Facet {
    pub const ALL: [Facet; 6] = [
        Facet::User,
        Facet::Session,
        Facet::Ip,
        Facet::Client,
        Facet::Operation,
        Facet::Target,
    ];

    pub fn of(self, e: &Event) -> Sym {
        match self {
            Facet::User => e.user,
            Facet::Session => e.session,
            Facet::Ip => e.ip,
            Facet::Client => e.client,
            Facet::Operation => e.operation,
            Facet::Target => e.target,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Facet::User => "user",
            Facet::Session => "session",
            Facet::Ip => "IP",
            Facet::Client => "client",
            Facet::Operation => "operation",
            Facet::Target => "target",
        }
    }
}

/// Event ids grouped by one facet's value, in time order, in one flat array.
#[derive(Debug, Default)]
struct Postings {
    ranges: FxHashMap<Sym, (u32, u32)>,
    ids: Vec<u32>,
}

/// Turns counts by handle (`cursor`) into each handle's place in the flat list, `cursor` then
/// holding where its next id goes; and the list's length. The empty handle gets no list.
fn starts(cursor: &mut [u32]) -> (FxHashMap<Sym, (u32, u32)>, u32) {
    cursor[Sym::EMPTY.0 as usize] = 0;
    let mut ranges = FxHashMap::default();
    let mut next = 0u32;
    for (k, n) in cursor.iter_mut().enumerate() {
        if *n > 0 {
            ranges.insert(Sym(k as u32), (next, *n));
            (*n, next) = (next, next + *n);
        }
    }
    (ranges, next)
}

impl Postings {
    /// The postings of `len` events, `key(i)` the value of the event at place `i` in time
    /// order.
    fn build(len: usize, symbols: usize, key: impl Fn(usize) -> Sym) -> Postings {
        Postings::build_multi(len, symbols, |i, f| f(key(i)))
    }

    /// The lists of `len` items each with several values: `values(i, f)` calls `f` on each
    /// distinct value of item `i`. Counts and places items in arrays indexed by handle
    /// (`symbols` is the interner's size): two passes over the items without a hash lookup in
    /// either.
    fn build_multi(
        len: usize,
        symbols: usize,
        values: impl Fn(usize, &mut dyn FnMut(Sym)),
    ) -> Postings {
        let mut cursor = vec![0u32; symbols];
        for i in 0..len {
            values(i, &mut |v| cursor[v.0 as usize] += 1);
        }
        let (ranges, total) = starts(&mut cursor);
        let mut ids = vec![0u32; total as usize];
        for i in 0..len {
            values(i, &mut |v| {
                if !v.is_empty() {
                    let at = &mut cursor[v.0 as usize];
                    ids[*at as usize] = i as u32;
                    *at += 1;
                }
            });
        }
        Postings { ranges, ids }
    }

    fn heap_bytes(&self) -> usize {
        self.ids.capacity() * 4 + self.ranges.capacity() * 16
    }

    fn get(&self, k: Sym) -> &[u32] {
        match self.ranges.get(&k) {
            Some(&(start, len)) => &self.ids[start as usize..(start + len) as usize],
            None => &[],
        }
    }
}

/// One logon session of one user, or a user's activity without a session ID
/// (`id == Sym::EMPTY`: legacy/basic auth, system actions).
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: Sym,
    pub user: Sym,
    pub first: i64,
    pub last: i64,
    /// Event ids in time order.
    pub events: Box<[u32]>,
    pub ips: Box<[Sym]>,
    pub clients: Box<[Sym]>,
    pub tokens: Box<[Sym]>,
    /// Operation and count, most frequent first.
    pub operations: Box<[(Sym, u32)]>,
}

/// A [`Session`] while its events are added: lists that grow, boxed (their spare room given
/// back, and 8 bytes a list saved on 333k sessions) when the index is finished.
struct GrowingSession {
    id: Sym,
    user: Sym,
    first: i64,
    last: i64,
    events: Vec<u32>,
    ips: Vec<Sym>,
    clients: Vec<Sym>,
    tokens: Vec<Sym>,
    operations: Vec<(Sym, u32)>,
}

impl Session {
    pub fn has_id(&self) -> bool {
        !self.id.is_empty()
    }
}

/// What the store finds events by, besides the events: sessions and IP postings.
pub struct Index {
    sessions: Vec<Session>,
    ips: Postings,
    sessions_by: FxHashMap<FacetKey, Postings>,
}

/// Per IP, client and operation, the sessions that have it (built with the rest of the
/// index, on the loader's second core).
fn sessions_by_value(sessions: &[Session], symbols: usize) -> FxHashMap<FacetKey, Postings> {
    let by = |values: fn(&Session, &mut dyn FnMut(Sym))| {
        Postings::build_multi(sessions.len(), symbols, |i, f| values(&sessions[i], f))
    };
    FxHashMap::from_iter([
        (
            facet_key(Facet::Ip),
            by(|s, f| s.ips.iter().for_each(|&v| f(v))),
        ),
        (
            facet_key(Facet::Client),
            by(|s, f| s.clients.iter().for_each(|&v| f(v))),
        ),
        (
            facet_key(Facet::Operation),
            by(|s, f| s.operations.iter().for_each(|&(v, _)| f(v))),
        ),
    ])
}

/// Builds the [`Index`] of events fed one at a time, in any order: the loader feeds it on its
/// merging thread while later blocks are still being parsed, before the time order is known.
/// Sessions are grouped and summarised on the way.
#[derive(Default)]
pub struct Indexer {
    slots: FxHashMap<(Sym, Sym), usize>,
    sessions: Vec<GrowingSession>,
    /// The IP of each event, in the order they were added.
    ips: Vec<Sym>,
}

impl Indexer {
    /// Adds the next event; events are numbered from 0 in the order they are added.
    pub fn add(&mut self, e: &Event) {
        let id = self.ips.len() as u32;
        self.ips.push(e.ip);
        let time = i64::from(e.time);
        let slot = *self.slots.entry((e.session, e.user)).or_insert_with(|| {
            self.sessions.push(GrowingSession {
                id: e.session,
                user: e.user,
                first: time,
                last: time,
                events: Vec::new(),
                ips: Vec::new(),
                clients: Vec::new(),
                tokens: Vec::new(),
                operations: Vec::new(),
            });
            self.sessions.len() - 1
        });
        let s = &mut self.sessions[slot];
        s.first = s.first.min(time);
        s.last = s.last.max(time);
        s.events.push(id);
        for (list, v) in [
            (&mut s.ips, e.ip),
            (&mut s.clients, e.client),
            (&mut s.tokens, e.token),
        ] {
            // Runs of the same value are the rule; the rest is deduplicated at the end.
            if list.last() != Some(&v) {
                list.push(v);
            }
        }
        // Sessions use a handful of operations: a short list beats a hash map.
        match s.operations.iter_mut().find(|(op, _)| *op == e.operation) {
            Some((_, n)) => *n += 1,
            None => s.operations.push((e.operation, 1)),
        }
    }

    /// The index, the events put in time order: `in_order[j]` is the number of the event at
    /// place `j`. `symbols` is the interner's size.
    pub fn finish(self, in_order: &[u32], symbols: usize) -> Index {
        debug_assert_eq!(in_order.len(), self.ips.len());
        let mut place = vec![0u32; in_order.len()];
        for (j, &i) in in_order.iter().enumerate() {
            place[i as usize] = j as u32;
        }
        let mut sessions: Vec<Session> = self
            .sessions
            .into_iter()
            .map(|mut s| {
                for id in &mut s.events {
                    *id = place[*id as usize];
                }
                if !s.events.is_sorted() {
                    s.events.sort_unstable();
                }
                s.operations
                    .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                Session {
                    id: s.id,
                    user: s.user,
                    first: s.first,
                    last: s.last,
                    events: s.events.into_boxed_slice(),
                    ips: distinct(s.ips),
                    clients: distinct(s.clients),
                    tokens: distinct(s.tokens),
                    operations: s.operations.into_boxed_slice(),
                }
            })
            .collect();
        // A session's first event breaks ties: the order does not depend on the load order.
        sessions.sort_unstable_by_key(|s| (s.first, s.last, s.events[0]));
        let ips = Postings::build(in_order.len(), symbols, |j| self.ips[in_order[j] as usize]);
        let sessions_by = sessions_by_value(&sessions, symbols);
        Index {
            sessions,
            ips,
            sessions_by,
        }
    }
}

pub struct Store {
    pub interner: Interner,
    /// The kinds the events' `kind` numbers name.
    pub kinds: Kinds,
    /// In time order (stable: equal times keep their load order).
    pub events: Vec<Event>,
    /// The client IP as the record wrote it, by event id, where that differs from the event's
    /// `ip` (a port, brackets): kept apart, as the events without one need no room for it.
    ip_originals: SparseColumn,
    /// In order of first activity.
    pub sessions: Vec<Session>,
    postings: FxHashMap<FacetKey, Postings>,
    /// The sessions (indices) with each IP, client and operation: a pivot's session list
    /// without visiting every session's own lists (333k allocations at 10M events).
    sessions_by: FxHashMap<FacetKey, Postings>,
    session_index: FxHashMap<(Sym, Sym), usize>,
    /// Sessions (indices) of each user, and of each session ID.
    by_user: Postings,
    by_id: Postings,
    /// What each telling record did, read once at load.
    telling: TellingColumn,
    /// Entra sign-ins loaded beside the audit records, joined to sessions by session ID.
    pub signins: crate::signin::SignIns,
    /// Where each IP is (ASN, country, city), from the sign-ins and `--ip-db` databases.
    pub geo: crate::geo::Geo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FacetKey(u8);

fn facet_key(f: Facet) -> FacetKey {
    FacetKey(f as u8)
}

fn distinct(mut v: Vec<Sym>) -> Box<[Sym]> {
    v.retain(|s| !s.is_empty());
    v.sort_unstable();
    v.dedup();
    v.into_boxed_slice()
}

impl Store {
    /// The store of `events`, which must be in time order (the loader puts them so while it
    /// drops duplicates).
    pub fn build(interner: Interner, kinds: Kinds, events: Vec<Event>) -> Store {
        let mut indexer = Indexer::default();
        for e in &events {
            indexer.add(e);
        }
        let in_order: Vec<u32> = (0..events.len() as u32).collect();
        let index = indexer.finish(&in_order, interner.len());
        Self::with_index(interner, kinds, events, index)
    }

    /// The store of `events` in time order and their `index` (from an [`Indexer`] fed the
    /// same events).
    pub fn with_index(interner: Interner, kinds: Kinds, events: Vec<Event>, index: Index) -> Store {
        debug_assert!(events.is_sorted_by_key(|e| e.time));
        let Index {
            sessions,
            ips,
            sessions_by,
        } = index;
        // Users' and sessions' events are their sessions' own lists. Other pivots are one key
        // press each, which a scan of the events answers in about 10 ms per million, so only
        // IPs get a posting list (4 bytes an event): linked sessions look up every IP of the
        // marked sessions, hundreds for an attacker hopping across a VPN.
        let mut postings: FxHashMap<FacetKey, Postings> = FxHashMap::default();
        postings.insert(facet_key(Facet::Ip), ips);
        let session_index = sessions
            .iter()
            .enumerate()
            .map(|(i, s)| ((s.id, s.user), i))
            .collect();
        // One flat list each rather than a list per session ID: 333k small allocations at
        // 10M events.
        let symbols = interner.len();
        let by_user = Postings::build(sessions.len(), symbols, |i| sessions[i].user);
        let by_id = Postings::build(sessions.len(), symbols, |i| sessions[i].id);
        Store {
            interner,
            kinds,
            events,
            ip_originals: SparseColumn::default(),
            sessions,
            postings,
            sessions_by,
            session_index,
            by_user,
            by_id,
            telling: TellingColumn::default(),
            signins: Default::default(),
            geo: Default::default(),
        }
    }

    pub fn str(&self, s: Sym) -> &str {
        self.interner.resolve(s)
    }

    pub fn kind(&self, event: &Event) -> &Kind {
        self.kinds.get(event.kind)
    }

    /// Where the event's record is in its file.
    pub fn source(&self, event: &Event) -> SourceRef {
        event.place.in_file(self.kind(event).file)
    }

    pub fn record_id(&self, event: &Event) -> RecordId {
        event.record_id(self.kind(event))
    }

    /// Sets the client IPs as written, by event id, of the events where that differs from
    /// their `ip`.
    pub fn set_ip_originals(&mut self, ip_originals: SparseColumn) {
        self.ip_originals = ip_originals;
    }

    /// The client IP of event `id` as its record wrote it (with a port, say).
    pub fn ip_original(&self, id: u32) -> Sym {
        self.ip_originals
            .get(id)
            .unwrap_or(self.events[id as usize].ip)
    }

    /// The handle of a value as it is stored (session ids and users are lower-case).
    pub fn lookup(&self, s: &str) -> Option<Sym> {
        self.interner.get(s)
    }

    /// Ids of the events whose `facet` equals `value`, in time order.
    pub fn events_with(&self, facet: Facet, value: Sym) -> Cow<'_, [u32]> {
        let sessions = match facet {
            Facet::User => self.by_user.get(value),
            Facet::Session => self.by_id.get(value),
            _ => {
                return match self.postings.get(&facet_key(facet)) {
                    Some(p) => Cow::Borrowed(p.get(value)),
                    None if value.is_empty() => Cow::Borrowed(&[]),
                    None => Cow::Owned(self.scan(facet, value)),
                };
            }
        };
        match sessions {
            [] => Cow::Borrowed(&[]),
            [one] => Cow::Borrowed(&self.sessions[*one as usize].events),
            many => {
                // Ids are in time order: merging is concatenating and sorting.
                let mut ids: Vec<u32> = many
                    .iter()
                    .flat_map(|&s| self.sessions[s as usize].events.iter().copied())
                    .collect();
                ids.sort_unstable();
                Cow::Owned(ids)
            }
        }
    }

    /// The sessions (indices, ascending) with `value` as one of their IPs, clients or
    /// operations; `None` for another facet.
    pub fn sessions_with(&self, facet: Facet, value: Sym) -> Option<&[u32]> {
        self.sessions_by
            .get(&facet_key(facet))
            .map(|p| p.get(value))
    }

    /// True when finding the events of a `facet` value means reading every event (no
    /// posting list, nor the sessions' own lists, answers it).
    pub fn needs_scan(&self, facet: Facet) -> bool {
        !matches!(facet, Facet::User | Facet::Session)
            && !self.postings.contains_key(&facet_key(facet))
    }

    /// Ids of the events at places `range` (in time order) whose `facet` is `value`.
    pub fn scan_range(&self, facet: Facet, value: Sym, range: std::ops::Range<usize>) -> Vec<u32> {
        self.events[range.clone()]
            .iter()
            .zip(range)
            .filter(|(e, _)| facet.of(e) == value)
            .map(|(_, i)| i as u32)
            .collect()
    }

    /// Ids of the events whose `facet` is `value`, found by reading every event (a facet
    /// without postings; big stores read it a part at a time off the keystroke, with
    /// [`Store::scan_range`]).
    fn scan(&self, facet: Facet, value: Sym) -> Vec<u32> {
        self.scan_range(facet, value, 0..self.events.len())
    }

    /// The sessions (indices into `sessions`) with session ID `id`, one per user it was seen
    /// with.
    pub fn sessions_of_id(&self, id: Sym) -> &[u32] {
        self.by_id.get(id)
    }

    /// The user's sessions (indices into `sessions`), no-session group included.
    pub fn sessions_of_user(&self, user: Sym) -> &[u32] {
        self.by_user.get(user)
    }

    pub fn session(&self, id: Sym, user: Sym) -> Option<&Session> {
        self.session_index
            .get(&(id, user))
            .map(|&i| &self.sessions[i])
    }

    pub fn session_index(&self, id: Sym, user: Sym) -> Option<usize> {
        self.session_index.get(&(id, user)).copied()
    }

    /// The session an event belongs to.
    pub fn session_of(&self, event: &Event) -> Option<usize> {
        self.session_index(event.session, event.user)
    }

    /// How many distinct users there are.
    pub fn user_count(&self) -> usize {
        self.by_user.ranges.len()
    }

    /// Distinct users, sorted.
    pub fn users(&self) -> Vec<Sym> {
        let mut u: Vec<Sym> = self.by_user.ranges.keys().copied().collect();
        u.sort_by(|a, b| self.str(*a).cmp(self.str(*b)));
        u
    }

    /// Number of distinct session IDs (a session ID seen under two users counts once).
    pub fn distinct_session_ids(&self) -> usize {
        self.by_id.ranges.len()
    }

    pub fn events_without_session(&self) -> usize {
        self.events.iter().filter(|e| e.session.is_empty()).count()
    }

    /// Sets what the telling records did (read from the records at load).
    pub fn set_telling(&mut self, telling: TellingColumn) {
        self.telling = telling;
    }

    /// What the record of event `id` did, for an event of a telling operation
    /// ([`crate::audit::Kind::wants_record`]) whose record was read.
    pub fn telling(&self, id: u32) -> Option<&Telling> {
        self.telling.get(id)
    }

    /// What the record of event `id` did, when it did something telling.
    pub fn action(&self, id: u32) -> Option<&crate::audit::Action> {
        self.telling.action(id)
    }

    /// The sign-ins of session `s` (by its ID, and by the token ids its records carry), in
    /// time order, and its birth.
    pub fn sign_ins_of(&self, s: &Session) -> (Vec<&SignIn>, Option<&SignIn>) {
        if !s.has_id() || self.signins.is_empty() {
            return (Vec::new(), None);
        }
        let all = self
            .signins
            .of_audit_session(self.str(s.id), s.tokens.iter().map(|&t| self.str(t)));
        let birth = crate::signin::birth(&all);
        (all, birth)
    }

    /// Approximate resident bytes of the loaded data, for the benchmark's bytes-per-event.
    pub fn heap_bytes(&self) -> usize {
        self.heap_parts().iter().map(|p| p.1).sum()
    }

    /// [`Store::heap_bytes`] part by part: what the memory of a big store goes to.
    pub fn heap_parts(&self) -> Vec<(&'static str, usize)> {
        let postings: usize = self.postings.values().map(Postings::heap_bytes).sum();
        let session_events: usize = self.sessions.iter().map(|s| s.events.len() * 4).sum();
        let sessions: usize = self
            .sessions
            .iter()
            .map(|s| {
                std::mem::size_of::<Session>()
                    + (s.ips.len() + s.clients.len() + s.tokens.len()) * 4
                    + s.operations.len() * 8
            })
            .sum();
        vec![
            (
                "events",
                self.events.capacity() * std::mem::size_of::<Event>(),
            ),
            ("strings", self.interner.heap_bytes()),
            ("IPs as written", self.ip_originals.heap_bytes()),
            ("telling records' facts", self.telling.heap_bytes()),
            ("IP postings", postings),
            (
                "sessions by value",
                self.sessions_by.values().map(Postings::heap_bytes).sum(),
            ),
            ("sessions' events", session_events),
            ("sessions", sessions),
            (
                "indexes",
                self.session_index.capacity() * 24
                    + self.by_user.heap_bytes()
                    + self.by_id.heap_bytes(),
            ),
        ]
    }
}
