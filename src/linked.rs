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
    /// Seconds between this session's activity and the nearest attacker session's (0 when
    /// they overlap).
    pub gap: i64,
    /// Its user is an account of the tenant, not an anonymous-link visitor or a system actor
    /// ([`crate::actor::is_account`]).
    pub account: bool,
}

/// Activity this close to an attacker session's, from its IP and client, is the attacker
/// moving to the next account.
pub const NEAR: i64 = 60 * 60;

impl Link {
    /// Shared token IDs weigh most (the same token means the same stolen credential), then IPs,
    /// then clients; values common to most accounts do not count.
    pub fn strength(&self) -> usize {
        let near = if self.same_place_and_time() { 50 } else { 0 };
        self.tokens.len() * 100 + near + self.ips.len() * 10 + self.clients.len()
    }

    /// The same IP and the same client within [`NEAR`] of an attacker session.
    pub fn same_place_and_time(&self) -> bool {
        !self.ips.is_empty() && !self.clients.is_empty() && self.gap <= NEAR
    }

    /// Why it is listed, in a sentence: `same IP and client 5 min after an attacker session`.
    pub fn why(&self) -> String {
        if !self.account {
            return "not an account (an anonymous-link visitor or a system actor): what the \
                    attacker did from its IP, or noise"
                .into();
        }
        let when = match self.gap {
            0 => "during an attacker session".to_string(),
            g => format!(
                "{} from an attacker session",
                crate::time::short_duration(g)
            ),
        };
        if !self.tokens.is_empty() {
            format!("the same token ID as an attacker session ({when}): the same stolen sign-in")
        } else if self.same_place_and_time() {
            format!("the same IP and client, {when}: the attacker moving to this account")
        } else if !self.ips.is_empty() {
            format!("an IP of the attacker's that few accounts use ({when})")
        } else if !self.clients.is_empty() {
            format!("a client string of the attacker's that few accounts use ({when})")
        } else {
            "only values most accounts share (a VPN egress, a stock client): weak".into()
        }
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

/// Sessions other than `sources` sharing an IP, client or token ID with any of them: accounts
/// first, strongest link first. Activity without a session ID is included (as its user's no-session group):
/// an attacker's IP used over legacy auth is exactly what to find.
///
/// A value half the tenant's accounts use is "common" and counts for little. Only real
/// accounts count, in the tenant and for each value ([`crate::actor::is_account`]), and not
/// through the attacker sessions themselves: the anonymous-link visitors and the accounts an
/// attack uses must not make its own IP look common.
pub fn linked_sessions(store: &Store, sources: &[usize]) -> Vec<Link> {
    let source_set: FxHashSet<usize> = sources.iter().copied().collect();
    let accounts_in_tenant = store
        .users()
        .into_iter()
        .filter(|&u| crate::actor::is_account(store.str(u)))
        .count();
    let common_at = (accounts_in_tenant / 2).max(3);
    let spans: Vec<(i64, i64)> = sources
        .iter()
        .map(|&s| (store.sessions[s].first, store.sessions[s].last))
        .collect();
    let gap_to_sources = |session: usize| {
        let (first, last) = (store.sessions[session].first, store.sessions[session].last);
        spans
            .iter()
            .map(|&(a, b)| (a - last).max(first - b).max(0))
            .min()
            .unwrap_or(i64::MAX)
    };
    let mut links: FxHashMap<usize, Link> = FxHashMap::default();
    let mut add = |session: usize, what: Sym, kind: Facet, accounts: usize| {
        if source_set.contains(&session) {
            return;
        }
        let link = links.entry(session).or_insert_with(|| Link {
            session,
            gap: gap_to_sources(session),
            account: crate::actor::is_account(store.str(store.sessions[session].user)),
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
                        if !source_set.contains(&i)
                            && crate::actor::is_account(store.str(session.user))
                        {
                            accounts
                                .entry((kind as u8, v))
                                .or_default()
                                .insert(session.user);
                        }
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
    // Accounts first: the question is which other accounts the attacker reached.
    out.sort_by(|a, b| {
        b.account
            .cmp(&a.account)
            .then(b.strength().cmp(&a.strength()))
            .then(a.gap.cmp(&b.gap))
            .then(
                store.sessions[a.session]
                    .first
                    .cmp(&store.sessions[b.session].first),
            )
    });
    out
}
