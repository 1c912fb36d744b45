//! What one session did, gathered in one pass over its events: how much mail it read, deleted
//! and sent, at which hours, over which protocols and networks, and its telling records (rules,
//! forwarding, grants, consents) with the facts read back from their files.

use crate::audit::{self, Action, Kind};
use crate::intern::Sym;
use crate::store::{Session, Store};
use rustc_hash::FxHashMap;

/// At most this many records are named behind a count ("350 items opened" names the first
/// 50 records); the count itself is always whole.
pub const MAX_NAMED: usize = 50;

/// A total and the records behind it.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub total: u64,
    pub events: usize,
    pub named: Vec<u32>,
}

impl Tally {
    fn add(&mut self, event: u32, n: u64) {
        self.total += n;
        self.events += 1;
        if self.named.len() < MAX_NAMED {
            self.named.push(event);
        }
    }
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
                    let name = crate::ip::network_of(store.str(ip));
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

pub fn profile(store: &Store, s: &Session, kinds: &Kinds, networks: &Networks) -> Profile {
    let mut p = Profile::default();
    for &i in &s.events {
        let e = &store.events[i as usize];
        p.hours |= 1 << ((e.time % 86_400) / 3600);
        match kinds.get(e.operation) {
            Kind::Read => {
                let summary = store.str(e.summary);
                if summary.starts_with("Sync") {
                    p.synced.add(i, items_in(summary));
                } else {
                    p.opened.add(i, items_in(summary));
                }
            }
            Kind::Delete => p.deleted.add(i, items_in(store.str(e.summary))),
            Kind::Send => p.sent.add(i, 1),
            k if k.wants_record() => p.telling.push(Telling {
                event: i,
                kind: k,
                action: None,
                unread: None,
            }),
            _ => {}
        }
    }
    p.networks = s.ips.iter().filter_map(|&ip| networks.of(ip)).collect();
    p.networks.sort_unstable();
    p.networks.dedup();
    p.protocols = s
        .clients
        .iter()
        .map(|&c| audit::protocol(store.str(c)))
        .collect();
    p.protocols.sort_unstable();
    p.protocols.dedup();
    p
}

/// Reads back the telling records of every profile and fills in what each did.
pub fn read_telling(store: &Store, profiles: &mut [Profile]) {
    let events: Vec<u32> = profiles
        .iter()
        .flat_map(|p| p.telling.iter().map(|t| t.event))
        .collect();
    let mut actions = audit::actions_of(store, &events).into_iter();
    for t in profiles.iter_mut().flat_map(|p| p.telling.iter_mut()) {
        match actions.next() {
            Some(Ok(action)) => t.action = action,
            Some(Err(why)) => t.unread = Some(why),
            None => {}
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
