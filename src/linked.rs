//! Scoping a compromise: the other sessions, of any user, that share an attacker session's
//! IPs, clients or token IDs, and what each shares.

use crate::intern::Sym;
use crate::store::{Facet, Store};
use rustc_hash::{FxHashMap, FxHashSet};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    /// Index in `store.sessions`.
    pub session: usize,
    pub tokens: Vec<Sym>,
    pub ips: Vec<Sym>,
    pub clients: Vec<Sym>,
    /// Shared values that most accounts use (a VPN egress, a stock client string), with how
    /// many accounts use each: weak evidence, so they do not count towards strength.
    pub common: Vec<(Sym, usize)>,
}

impl Link {
    /// Shared token IDs weigh most (the same token means the same stolen credential), then IPs,
    /// then clients; values common to most accounts do not count.
    pub fn strength(&self) -> usize {
        self.tokens.len() * 100 + self.ips.len() * 10 + self.clients.len()
    }

    /// `token 0017…, IP 198.51.100.23, client Client=OWA;…`
    pub fn describe(&self, store: &Store) -> String {
        let mut parts = Vec::new();
        let mut list = |label: &str, v: &[Sym]| {
            if let Some(first) = v.first() {
                let more = if v.len() > 1 {
                    format!(" (+{})", v.len() - 1)
                } else {
                    String::new()
                };
                parts.push(format!("{label} {}{more}", store.str(*first)));
            }
        };
        list("token", &self.tokens);
        list("IP", &self.ips);
        list("client", &self.clients);
        if let Some((v, accounts)) = self.common.first() {
            let more = if self.common.len() > 1 {
                format!(" +{}", self.common.len() - 1)
            } else {
                String::new()
            };
            parts.push(format!(
                "only common values: {} (used by {accounts} accounts){more}",
                store.str(*v)
            ));
        }
        parts.join(", ")
    }
}

/// Sessions other than `sources` sharing an IP, client or token ID with any of them, strongest
/// link first. Activity without a session ID is included (as its user's no-session group):
/// an attacker's IP used over legacy auth is exactly what to find.
pub fn linked_sessions(store: &Store, sources: &[usize]) -> Vec<Link> {
    let source_set: FxHashSet<usize> = sources.iter().copied().collect();
    // A value used by this many accounts says little about who used it.
    let common_at = (store.user_count() / 2).max(3);
    let mut links: FxHashMap<usize, Link> = FxHashMap::default();
    let mut add = |session: usize, what: Sym, kind: Facet, accounts: usize| {
        if source_set.contains(&session) {
            return;
        }
        let link = links.entry(session).or_insert_with(|| Link {
            session,
            ..Link::default()
        });
        if accounts >= common_at && kind != Facet::Session {
            if !link.common.iter().any(|(v, _)| *v == what) {
                link.common.push((what, accounts));
            }
            return;
        }
        let list = match kind {
            Facet::Ip => &mut link.ips,
            Facet::Client => &mut link.clients,
            _ => &mut link.tokens,
        };
        if !list.contains(&what) {
            list.push(what);
        }
    };
    // The sources' values, then one pass over every session's own lists: no event is read,
    // so a busy IP or a client every session uses costs no more than a rare one.
    let mut wanted: FxHashSet<(u8, Sym)> = FxHashSet::default();
    for &s in sources {
        let session = &store.sessions[s];
        for (kind, values) in [
            (Facet::Ip, &session.ips),
            (Facet::Client, &session.clients),
            (Facet::Session, &session.tokens),
        ] {
            wanted.extend(values.iter().map(|&v| (kind as u8, v)));
        }
    }
    // Halves of the sessions on the two cores.
    let find = |range: std::ops::Range<usize>| {
        let mut hits: Vec<(usize, Facet, Sym)> = Vec::new();
        let mut accounts: FxHashMap<(u8, Sym), FxHashSet<Sym>> = FxHashMap::default();
        for i in range {
            let session = &store.sessions[i];
            for (kind, values) in [
                (Facet::Ip, &session.ips),
                (Facet::Client, &session.clients),
                (Facet::Session, &session.tokens),
            ] {
                for &v in values {
                    if wanted.contains(&(kind as u8, v)) {
                        hits.push((i, kind, v));
                        accounts
                            .entry((kind as u8, v))
                            .or_default()
                            .insert(session.user);
                    }
                }
            }
        }
        (hits, accounts)
    };
    let (len, middle) = (store.sessions.len(), store.sessions.len() / 2);
    let ((mut hits, mut accounts), (later_hits, later_accounts)) = std::thread::scope(|scope| {
        let later = scope.spawn(|| find(middle..len));
        let first = find(0..middle);
        (
            first,
            later.join().expect("linked-sessions worker panicked"),
        )
    });
    hits.extend(later_hits);
    for (value, users) in later_accounts {
        accounts.entry(value).or_default().extend(users);
    }
    for (session, kind, v) in hits {
        // A token is one logon's: how many accounts share it does not make it common.
        let n = match kind {
            Facet::Session => 0,
            _ => accounts.get(&(kind as u8, v)).map_or(0, FxHashSet::len),
        };
        add(session, v, kind, n);
    }
    let mut out: Vec<Link> = links.into_values().collect();
    out.sort_by(|a, b| {
        b.strength().cmp(&a.strength()).then(
            store.sessions[a.session]
                .first
                .cmp(&store.sessions[b.session].first),
        )
    });
    out
}
