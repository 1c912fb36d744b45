//! What one session did, gathered in one pass over its events: how much mail it read, deleted
//! and sent, at which hours, over which protocols and networks, and its telling records (rules,
//! forwarding, grants, consents) with the facts read back from their files.

use rustc_hash::FxHashMap;
use sessionscope_core::audit::{self, Action, Kind};
use sessionscope_core::intern::Sym;
use sessionscope_core::store::Store;
use sessionscope_core::telling::Telling as Facts;

/// At most this many records are named behind a count ("350 items opened" names the first
/// 50 records); the count itself is always whole.
pub const MAX_NAMED: usize = 50;

/// A total and how many events make it.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub total: u64,
    pub events: usize,
}

impl Tally {
    fn add(&mut self, n: u64) {
        self.total += n;
        self.events += 1;
    }

    fn extend(&mut self, later: Tally) {
        self.total += later.total;
        self.events += later.events;
    }
}

/// What a counted event adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Opened,
    Synced,
    Deleted,
    Sent,
}

/// Counts events by kind, remembering each summary's item count (summaries repeat: reading
/// and parsing one is dearer than looking its count up).
pub struct Counter<'a> {
    store: &'a Store,
    kinds: &'a Kinds,
    items: FxHashMap<Sym, (bool, u64)>,
}

impl<'a> Counter<'a> {
    pub fn new(store: &'a Store, kinds: &'a Kinds) -> Counter<'a> {
        Counter {
            store,
            kinds,
            items: FxHashMap::default(),
        }
    }

    fn items(&mut self, summary: Sym) -> (bool, u64) {
        let store = self.store;
        *self.items.entry(summary).or_insert_with(|| {
            let text = store.str(summary);
            (text.starts_with("Sync"), items_in(text))
        })
    }

    /// What event `i` counts towards and how much, or its kind when it counts for nothing.
    pub fn count(&mut self, i: u32) -> Result<(Counted, u64), Kind> {
        let e = &self.store.events[i as usize];
        match self.kinds.get(e.operation) {
            Kind::Read => match self.items(e.summary) {
                (true, n) => Ok((Counted::Synced, n)),
                (false, n) => Ok((Counted::Opened, n)),
            },
            Kind::Delete => Ok((Counted::Deleted, self.items(e.summary).1)),
            Kind::Send => Ok((Counted::Sent, 1)),
            other => Err(other),
        }
    }
}

/// The first [`MAX_NAMED`] events of `s` that count towards `what`: looked up only for the
/// few sessions a reason names them for.
pub fn first_counted(
    store: &Store,
    kinds: &Kinds,
    s: &sessionscope_core::store::Session,
    what: Counted,
) -> Vec<u32> {
    let mut counter = Counter::new(store, kinds);
    s.events
        .iter()
        .copied()
        .filter(|&i| matches!(counter.count(i), Ok((c, _)) if c == what))
        .take(MAX_NAMED)
        .collect()
}

/// A rare, telling record and what it did; `action` is `None` when the record held nothing
/// telling (a `Set-Mailbox` that changed a quota) or could not be read back.
#[derive(Debug, Clone)]
pub struct Telling {
    pub event: u32,
    pub kind: Kind,
    pub action: Option<Action>,
    /// Why the record could not be read back, if it could not.
    pub unread: Option<String>,
}

#[derive(Debug, Default, Clone)]
pub struct Profile {
    pub telling: Vec<Telling>,
    /// Items opened (`MailItemsAccessed` Bind and its relatives).
    pub opened: Tally,
    /// Items synced (`MailItemsAccessed` Sync: a client downloading folders).
    pub synced: Tally,
    pub deleted: Tally,
    pub sent: Tally,
    /// Bit `h` set: active at hour `h` UTC.
    pub hours: u32,
    /// Network ids ([`Networks`]), distinct, sorted.
    pub networks: Vec<u32>,
    /// Protocols of the session's clients, distinct, sorted.
    pub protocols: Vec<&'static str>,
    /// How the session was born, from its first interactive sign-in, when sign-ins were loaded.
    /// (Boxed, as the place below: a profile is kept for each of hundreds of thousands of
    /// sessions, and most have neither.)
    pub birth: Option<Box<sessionscope_core::signin::SignIn>>,
    /// Where it was born: its birth sign-in's place, else its first IP's (IP databases).
    pub place: Option<Box<Born>>,
}

/// What a session's events add up to, gathered by one core over its share of the events.
#[derive(Debug, Default, Clone)]
struct Activity {
    telling: Vec<Telling>,
    opened: Tally,
    synced: Tally,
    deleted: Tally,
    sent: Tally,
    hours: u32,
}

/// Where a session began, and whether a sign-in says so or only its first IP.
#[derive(Debug, Clone)]
pub struct Born {
    pub ip: String,
    pub place: sessionscope_core::geo::Place,
    pub by_sign_in: bool,
}

/// Each operation's kind, decided once per distinct operation.
pub struct Kinds(FxHashMap<Sym, Kind>);

impl Kinds {
    pub fn of_store(store: &Store) -> Kinds {
        let mut map = FxHashMap::default();
        for s in &store.sessions {
            for &(op, _) in &s.operations {
                map.entry(op)
                    .or_insert_with(|| audit::classify(store.str(op)));
            }
        }
        Kinds(map)
    }

    pub fn get(&self, op: Sym) -> Kind {
        self.0.get(&op).copied().unwrap_or(Kind::Other)
    }
}

/// Every IP's network (/24, /48), numbered, so sessions compare networks as numbers.
pub struct Networks {
    of_ip: FxHashMap<Sym, u32>,
    names: Vec<String>,
}

impl Networks {
    pub fn of_store(store: &Store) -> Networks {
        let mut of_ip = FxHashMap::default();
        let mut ids: FxHashMap<String, u32> = FxHashMap::default();
        let mut names = Vec::new();
        for s in &store.sessions {
            for &ip in &s.ips {
                of_ip.entry(ip).or_insert_with(|| {
                    let name = sessionscope_core::ip::network_of(store.str(ip));
                    *ids.entry(name.clone()).or_insert_with(|| {
                        names.push(name);
                        names.len() as u32 - 1
                    })
                });
            }
        }
        Networks { of_ip, names }
    }

    pub fn of(&self, ip: Sym) -> Option<u32> {
        self.of_ip.get(&ip).copied()
    }

    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

/// Summaries of reads and deletes begin with their count ("Bind, 6 items in \Inbox", "3 items
/// from \Inbox ..."): the start of a summary is never cut, so the count is whole.
pub fn items_in(summary: &str) -> u64 {
    let mut words = summary.split([' ', ',']).filter(|w| !w.is_empty());
    let mut previous = None;
    for w in words.by_ref().take(4) {
        if w.starts_with("item") {
            return previous.and_then(|n: &str| n.parse().ok()).unwrap_or(1);
        }
        previous = Some(w);
    }
    1
}

impl Activity {
    fn record(&mut self, counter: &mut Counter<'_>, i: u32) {
        let e = &counter.store.events[i as usize];
        self.hours |= 1 << ((e.time % 86_400) / 3600);
        match counter.count(i) {
            Ok((Counted::Opened, n)) => self.opened.add(n),
            Ok((Counted::Synced, n)) => self.synced.add(n),
            Ok((Counted::Deleted, n)) => self.deleted.add(n),
            Ok((Counted::Sent, n)) => self.sent.add(n),
            Err(k) if k.wants_record() => self.telling.push(Telling {
                event: i,
                kind: k,
                action: None,
                unread: None,
            }),
            Err(_) => {}
        }
    }

    /// `later` was gathered from events after this one's.
    fn extend(&mut self, later: Activity) {
        self.telling.extend(later.telling);
        self.opened.extend(later.opened);
        self.synced.extend(later.synced);
        self.deleted.extend(later.deleted);
        self.sent.extend(later.sent);
        self.hours |= later.hours;
    }
}

/// The profile of every session (by index in `store.sessions`). The events are read in
/// store order, each core one half of them: following each session's own list instead jumps
/// across the whole event array, a cache miss for nearly every event of a large store.
pub fn profile_all(store: &Store, kinds: &Kinds, networks: &Networks) -> Vec<Profile> {
    const NONE: u32 = u32::MAX;
    let mut owner = vec![NONE; store.events.len()];
    for (si, s) in store.sessions.iter().enumerate() {
        for &e in &s.events {
            owner[e as usize] = si as u32;
        }
    }
    let gather = |from: usize, to: usize| {
        let mut activity = vec![Activity::default(); store.sessions.len()];
        let mut counter = Counter::new(store, kinds);
        for (i, &si) in owner.iter().enumerate().take(to).skip(from) {
            if si != NONE {
                activity[si as usize].record(&mut counter, i as u32);
            }
        }
        activity
    };
    let middle = store.events.len() / 2;
    let (first, later) = std::thread::scope(|scope| {
        let later = scope.spawn(|| gather(middle, store.events.len()));
        let first = gather(0, middle);
        (first, later.join().expect("analysis worker panicked"))
    });
    drop(owner);
    let mut protocols: FxHashMap<Sym, &'static str> = FxHashMap::default();
    first
        .into_iter()
        .zip(later)
        .zip(&store.sessions)
        .map(|((mut a, later), s)| {
            a.extend(later);
            let birth = store.sign_ins_of(s).1.cloned().map(Box::new);
            let place = born_where(store, s, birth.as_deref()).map(Box::new);
            let mut networks: Vec<u32> = s.ips.iter().filter_map(|&ip| networks.of(ip)).collect();
            networks.sort_unstable();
            networks.dedup();
            let mut protocols: Vec<&'static str> = s
                .clients
                .iter()
                .map(|&c| {
                    *protocols
                        .entry(c)
                        .or_insert_with(|| audit::protocol(store.str(c)))
                })
                .collect();
            protocols.sort_unstable();
            protocols.dedup();
            Profile {
                telling: a.telling,
                opened: a.opened,
                synced: a.synced,
                deleted: a.deleted,
                sent: a.sent,
                hours: a.hours,
                networks,
                protocols,
                birth,
                place,
            }
        })
        .collect()
}

fn born_where(
    store: &Store,
    s: &sessionscope_core::store::Session,
    birth: Option<&sessionscope_core::signin::SignIn>,
) -> Option<Born> {
    if !s.has_id() {
        return None;
    }
    if let Some(b) = birth
        && let Some(ip) = &b.ip
    {
        let mut place = sessionscope_core::geo::Place {
            asn: b.asn,
            as_org: None,
            country: b.country.clone(),
            city: b.city.clone(),
        };
        if let Some(known) = store.geo.of(ip) {
            place.asn = place.asn.or(known.asn);
            place.as_org = known.as_org.clone();
            place.country = place.country.or(known.country.clone());
            place.city = place.city.or(known.city.clone());
        }
        return Some(Born {
            ip: ip.clone(),
            place,
            by_sign_in: true,
        });
    }
    let first_ip = s
        .events
        .iter()
        .map(|&e| store.events[e as usize].ip)
        .find(|ip| !ip.is_empty())?;
    let ip = store.str(first_ip);
    store.geo.of(ip).map(|place| Born {
        ip: ip.to_string(),
        place: place.clone(),
        by_sign_in: false,
    })
}

/// Fills in what each telling record of every profile did, from the facts the load read.
pub fn fill_telling(store: &Store, profiles: &mut [Profile]) {
    for t in profiles.iter_mut().flat_map(|p| p.telling.iter_mut()) {
        match store.telling(t.event) {
            Some(Facts::Did(action)) => t.action = Some(action.clone()),
            Some(Facts::Unread(why)) => t.unread = Some(why.clone()),
            Some(Facts::Nothing) => {}
            // A store filled without its records' facts (built in memory) has nothing to
            // say what they did: the reason says the record was not read, not that it was
            // harmless.
            None => t.unread = Some("its record was not read".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_counts_from_summaries() {
        assert_eq!(items_in("Bind, 6 items in \\Inbox"), 6);
        assert_eq!(items_in("3 items from \\Inbox to \\Deleted Items"), 3);
        assert_eq!(items_in("1 item from \\Inbox"), 1);
        assert_eq!(items_in("Sync \\Inbox"), 1);
    }
}
