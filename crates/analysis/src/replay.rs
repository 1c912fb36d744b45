//! One session used from two places at once: the user's own network and other networks
//! taking turns within minutes. A session ID cannot tell the user from an attacker who stole
//! the session's token (the seed's caveat); the networks can, because one laptop does not
//! move between an office and thirty VPN exits in a quarter of an hour.

use super::profile::Networks;
use rustc_hash::FxHashMap;
use sessionscope_core::intern::Sym;
use sessionscope_core::store::{Session, Store};

/// Two events on different sides closer than this are "the same minutes".
pub const QUICK_SWITCH: i64 = 10 * 60;
/// Fewer foreign networks than this is a laptop on and off a VPN, not a stolen token.
pub const MIN_FOREIGN_NETWORKS: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    /// The user's own IP the session was used from most.
    pub home_ip: Sym,
    pub foreign_networks: usize,
    /// From the first quick switch to the last.
    pub span: i64,
    /// The shortest time between an event at home and one elsewhere.
    pub closest: i64,
    /// Quick switches between home and elsewhere.
    pub switches: usize,
    /// The events on foreign networks, in time order.
    pub foreign_events: Vec<u32>,
    /// The session's IPs on networks the user's other sessions never used, sorted.
    pub foreign_ips: Vec<Sym>,
    pub home_events: usize,
}

/// `is_home(network)`: the user's other sessions used that network.
pub fn detect(
    store: &Store,
    s: &Session,
    networks: &Networks,
    is_home: impl Fn(u32) -> bool,
) -> Option<Replay> {
    // Sides per IP first: a session has a handful of IPs and many events.
    let side: FxHashMap<Sym, Option<(bool, u32)>> = s
        .ips
        .iter()
        .map(|&ip| (ip, networks.of(ip).map(|n| (is_home(n), n))))
        .collect();
    let home_nets = side.values().flatten().filter(|(h, _)| *h).count();
    let mut foreign: Vec<u32> = side
        .values()
        .flatten()
        .filter(|(h, _)| !*h)
        .map(|(_, n)| *n)
        .collect();
    foreign.sort_unstable();
    foreign.dedup();
    if home_nets == 0 || foreign.len() < MIN_FOREIGN_NETWORKS {
        return None;
    }
    let mut last: Option<(bool, i64)> = None;
    let (mut switches, mut closest, mut first_switch, mut last_switch) = (0, i64::MAX, 0, 0);
    let mut home_ips: FxHashMap<Sym, usize> = FxHashMap::default();
    let mut foreign_events = Vec::new();
    for &i in &s.events {
        let e = &store.events[i as usize];
        let Some(Some((home, _))) = side.get(&e.ip) else {
            continue;
        };
        let t = i64::from(e.time);
        if *home {
            *home_ips.entry(e.ip).or_default() += 1;
        } else {
            foreign_events.push(i);
        }
        if let Some((was_home, then)) = last
            && was_home != *home
            && t - then <= QUICK_SWITCH
        {
            if switches == 0 {
                first_switch = then;
            }
            switches += 1;
            closest = closest.min(t - then);
            last_switch = t;
        }
        last = Some((*home, t));
    }
    if switches < 2 {
        return None;
    }
    let home_ip = home_ips
        .iter()
        .max_by_key(|(ip, n)| (**n, std::cmp::Reverse(**ip)))
        .map(|(ip, _)| *ip)?;
    let mut foreign_ips: Vec<Sym> = side
        .iter()
        .filter(|(_, side)| matches!(side, Some((false, _))))
        .map(|(ip, _)| *ip)
        .collect();
    foreign_ips.sort_unstable();
    Some(Replay {
        home_ip,
        foreign_ips,
        foreign_networks: foreign.len(),
        span: last_switch - first_switch,
        closest,
        switches,
        foreign_events,
        home_events: home_ips.values().sum(),
    })
}

/// "22 minutes", "1 s", "3h05m".
pub fn spoken(secs: i64) -> String {
    match secs.max(0) {
        s @ 0..=59 => format!("{s} s"),
        s @ 60..=119 => format!("{} minute", s / 60),
        s @ 120..=3599 => format!("{} minutes", s / 60),
        s => sessionscope_core::time::short_duration(s),
    }
}
