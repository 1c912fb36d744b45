//! What a user's sessions usually look like, counted once per user so that comparing each
//! session with "the user's other sessions" costs the same whatever the number of sessions:
//! every fact is kept as a count of sessions (or the two largest values), and a session's own
//! share is taken off when it is compared with the rest.

use super::profile::Profile;
use rustc_hash::FxHashMap;
use sessionscope_core::intern::Sym;
use sessionscope_core::store::Session;

/// The largest and second-largest value and who holds the largest.
#[derive(Debug, Default, Clone, Copy)]
struct Top2 {
    first: u64,
    holder: usize,
    second: u64,
}

impl Top2 {
    fn add(&mut self, who: usize, v: u64) {
        if v > self.first {
            self.second = self.first;
            self.first = v;
            self.holder = who;
        } else if v > self.second {
            self.second = v;
        }
    }

    fn without(&self, who: usize, member: bool) -> u64 {
        if member && self.holder == who {
            self.second
        } else {
            self.first
        }
    }
}

/// Facts of a set of sessions of one user (the pool a session is compared with).
#[derive(Default)]
pub struct Pool {
    members: Vec<usize>,
    ops: FxHashMap<Sym, u32>,
    clients: FxHashMap<Sym, u32>,
    protocols: FxHashMap<&'static str, u32>,
    networks: FxHashMap<u32, u32>,
    hours: [u32; 24],
    ips: Top2,
    opened: Top2,
    synced: Top2,
    deleted: Top2,
    duration: Top2,
    senders: u32,
    automation: u32,
    /// Sessions that brought a network no other session of the pool used.
    roaming: u32,
    /// Of the sessions whose birth sign-in is known: how many, and how they were born.
    born: u32,
    /// Of the sessions whose birth place is known (sign-in or IP database): how many, where.
    placed: u32,
    countries: FxHashMap<String, u32>,
    asns: FxHashMap<u32, u32>,
    born_with_mfa: u32,
    born_compliant: u32,
}

impl Pool {
    /// The pool of `members` (indices into `sessions` and `profiles`).
    pub fn of(
        mut members: Vec<usize>,
        sessions: &[Session],
        profiles: &[Profile],
        automation: impl Fn(Sym) -> bool,
    ) -> Pool {
        members.sort_unstable();
        let mut p = Pool::default();
        for &i in &members {
            let (s, f) = (&sessions[i], &profiles[i]);
            for &(op, _) in &s.operations {
                *p.ops.entry(op).or_default() += 1;
            }
            for &c in &s.clients {
                *p.clients.entry(c).or_default() += 1;
            }
            for &proto in &f.protocols {
                *p.protocols.entry(proto).or_default() += 1;
            }
            for &n in &f.networks {
                *p.networks.entry(n).or_default() += 1;
            }
            for (h, count) in p.hours.iter_mut().enumerate() {
                *count += (f.hours >> h) & 1;
            }
            p.ips.add(i, s.ips.len() as u64);
            p.opened.add(i, f.opened.total);
            p.synced.add(i, f.synced.total);
            p.deleted.add(i, f.deleted.total);
            p.duration.add(i, (s.last - s.first).max(0) as u64);
            p.senders += u32::from(f.sent.events > 0);
            p.automation += u32::from(s.clients.iter().any(|&c| automation(c)));
            if let Some(b) = &f.birth {
                p.born += 1;
                p.born_with_mfa += u32::from(b.is_mfa());
                p.born_compliant += u32::from(b.compliant == Some(true));
            }
            if let Some(at) = &f.place {
                p.placed += 1;
                if let Some(c) = &at.place.country {
                    *p.countries.entry(c.clone()).or_default() += 1;
                }
                if let Some(a) = at.place.asn {
                    *p.asns.entry(a).or_default() += 1;
                }
            }
        }
        for &i in &members {
            let own = profiles[i]
                .networks
                .iter()
                .any(|n| p.networks.get(n) == Some(&1));
            p.roaming += u32::from(own);
        }
        p.members = members;
        p
    }

    /// The pool seen from session `me`: everything but `me`'s own share.
    pub fn without(&self, me: usize) -> Others<'_> {
        Others {
            pool: self,
            me,
            member: self.members.binary_search(&me).is_ok(),
        }
    }
}

/// A pool less one session. Its questions are about values the session itself has, so the
/// session's own count is one of those counted when it is a member.
pub struct Others<'p> {
    pool: &'p Pool,
    me: usize,
    member: bool,
}

impl Others<'_> {
    fn seen<K: std::hash::Hash + Eq>(&self, map: &FxHashMap<K, u32>, key: &K) -> bool {
        map.get(key).copied().unwrap_or(0) > u32::from(self.member)
    }

    pub fn sessions(&self) -> usize {
        self.pool.members.len() - usize::from(self.member)
    }
    /// The session's own operation `op` is also in another session of the pool.
    pub fn has_op(&self, op: Sym) -> bool {
        self.seen(&self.pool.ops, &op)
    }
    pub fn has_client(&self, c: Sym) -> bool {
        self.seen(&self.pool.clients, &c)
    }
    pub fn has_protocol(&self, p: &'static str) -> bool {
        self.seen(&self.pool.protocols, &p)
    }
    pub fn has_network(&self, n: u32) -> bool {
        self.seen(&self.pool.networks, &n)
    }
    pub fn protocols(&self, own: &[&'static str]) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self
            .pool
            .protocols
            .iter()
            .filter(|(p, count)| **count > u32::from(self.member && own.contains(p)))
            .map(|(p, _)| *p)
            .collect();
        v.sort_unstable();
        v
    }
    /// Hour `h` UTC, which the session itself was active at, is an hour of another session.
    pub fn has_hour(&self, h: usize) -> bool {
        self.pool.hours[h] > u32::from(self.member)
    }
    /// The hours of the other sessions, as a bit set.
    pub fn hours(&self, own: u32) -> u32 {
        (0..24)
            .filter(|&h| self.pool.hours[h] > u32::from(self.member && (own >> h) & 1 == 1))
            .fold(0, |bits, h| bits | 1 << h)
    }
    pub fn max_ips(&self) -> u64 {
        self.pool.ips.without(self.me, self.member)
    }
    pub fn max_opened(&self) -> u64 {
        self.pool.opened.without(self.me, self.member)
    }
    pub fn max_synced(&self) -> u64 {
        self.pool.synced.without(self.me, self.member)
    }
    pub fn max_deleted(&self) -> u64 {
        self.pool.deleted.without(self.me, self.member)
    }
    pub fn max_duration(&self) -> u64 {
        self.pool.duration.without(self.me, self.member)
    }
    /// Another session sent mail (`i_sent`: this one did).
    pub fn sent(&self, i_sent: bool) -> bool {
        self.pool.senders > u32::from(self.member && i_sent)
    }
    /// Another session used an automation client (`mine`: this one did).
    pub fn automated(&self, mine: bool) -> bool {
        self.pool.automation > u32::from(self.member && mine)
    }
    /// How many of the other sessions have a known birth (`mine`: this one has).
    pub fn born(&self, mine: bool) -> u32 {
        self.pool.born - u32::from(self.member && mine)
    }
    /// How many of the other sessions have a known birth place (`mine`: this one has).
    pub fn placed(&self, mine: bool) -> u32 {
        self.pool.placed - u32::from(self.member && mine)
    }
    /// Another session was born in `country` (this one was).
    pub fn born_in(&self, country: &str) -> bool {
        self.pool.countries.get(country).copied().unwrap_or(0) > u32::from(self.member)
    }
    pub fn born_from_asn(&self, asn: u32) -> bool {
        self.pool.asns.get(&asn).copied().unwrap_or(0) > u32::from(self.member)
    }
    /// The countries the other sessions were born in.
    pub fn birth_countries(&self, own: Option<&str>) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .pool
            .countries
            .iter()
            .filter(|(c, n)| **n > u32::from(self.member && own == Some(c.as_str())))
            .map(|(c, _)| c.as_str())
            .collect();
        v.sort_unstable();
        v
    }
    /// Every other session with a known birth passed MFA (`mine`: this one did).
    pub fn always_mfa(&self, mine: bool) -> bool {
        let n = self.born(true);
        n > 0 && self.pool.born_with_mfa - u32::from(self.member && mine) == n
    }
    /// Every other session with a known birth came from a compliant device.
    pub fn always_compliant(&self, mine: bool) -> bool {
        let n = self.born(true);
        n > 0 && self.pool.born_compliant - u32::from(self.member && mine) == n
    }
    /// Share of the other sessions that each brought a network of their own: near 1 for a
    /// phone on carrier networks, near 0 for an office worker.
    pub fn roaming_share(&self, mine: bool) -> f64 {
        let n = self.sessions();
        if n == 0 {
            return 0.0;
        }
        let roaming = self
            .pool
            .roaming
            .saturating_sub(u32::from(self.member && mine));
        f64::from(roaming) / n as f64
    }
}
