//! Telling the attacker's session from the user's before anyone reads a row: each session is
//! compared with a baseline of the same user's other sessions, and every difference that
//! matters becomes a reason in plain words, with the numbers behind it. The score only ranks;
//! the reasons explain. Also: how many sessions of a user were active at once, and what a user
//! did without a session ID.

#![forbid(unsafe_code)]

use sessionscope_core::store::Store;
use sessionscope_core::verdict::{Verdict, Verdicts};

mod baseline;
pub mod catalogue;
mod concurrency;
mod judge;
mod profile;
mod replay;

pub use concurrency::{concurrency_series, max_concurrent};
pub use replay::{QUICK_SWITCH, Replay};
pub use sessionscope_core::audit::protocol;

use baseline::Pool;
use judge::{Domains, Judge, Overlap};
use profile::{Kinds, Networks, Profile};

/// A reason at least this heavy is alarming; lighter ones are context.
pub const ALARMING: u32 = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// Stable name of the finding, for scripts (`rule_forwards_outside`, `token_replay`, ...):
    /// a [`catalogue::Code`]'s name.
    pub code: &'static str,
    pub weight: u32,
    pub text: String,
    /// The events behind it (ids into `store.events`), at most `profile::MAX_NAMED`.
    pub records: Vec<u32>,
    /// How many events are behind it in all.
    pub record_count: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assessment {
    /// 0 to 100.
    pub risk: u32,
    /// The weights added up, uncapped: ranks sessions whose risk is 100.
    pub score: u32,
    /// Heaviest first.
    pub reasons: Vec<Reason>,
    /// For a session used from the user's own network and others at once (token replay):
    /// its IPs on the other networks, sorted. The timeline shows their events as a lane of
    /// their own, which can be marked apart from the session.
    pub foreign_ips: Vec<sessionscope_core::intern::Sym>,
}

impl Assessment {
    pub fn texts(&self) -> Vec<String> {
        self.reasons.iter().map(|r| r.text.clone()).collect()
    }
}

/// Runs `f` over `items` on two cores, keeping the order.
fn on_two_cores<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let (a, b) = items.split_at(items.len() / 2);
    std::thread::scope(|scope| {
        let second = scope.spawn(|| b.iter().map(&f).collect::<Vec<R>>());
        let mut first: Vec<R> = a.iter().map(&f).collect();
        first.extend(second.join().expect("analysis worker panicked"));
        first
    })
}

/// Sessions of one user active at the same time from a shared IP, found by a sweep over the
/// sessions in order of first activity.
fn overlaps(store: &Store, sessions: &[usize]) -> Vec<(usize, Overlap)> {
    let mut out = Vec::new();
    let mut active: Vec<usize> = Vec::new();
    let mut ordered = sessions.to_vec();
    ordered.sort_by_key(|&i| (store.sessions[i].first, i));
    for i in ordered {
        let s = &store.sessions[i];
        active.retain(|&j| store.sessions[j].last >= s.first);
        for &j in &active {
            let t = &store.sessions[j];
            // Both IP lists are sorted: the first shared one.
            let (mut a, mut b) = (0, 0);
            while a < s.ips.len() && b < t.ips.len() {
                match s.ips[a].cmp(&t.ips[b]) {
                    std::cmp::Ordering::Less => a += 1,
                    std::cmp::Ordering::Greater => b += 1,
                    std::cmp::Ordering::Equal => {
                        out.push((
                            i,
                            Overlap {
                                other: j,
                                ip: s.ips[a],
                            },
                        ));
                        out.push((
                            j,
                            Overlap {
                                other: i,
                                ip: s.ips[a],
                            },
                        ));
                        break;
                    }
                }
            }
        }
        active.push(i);
    }
    out
}

/// Scores every session (by index in `store.sessions`), and each user's activity without a
/// session ID, against the same user's other sessions: those with a [`Verdict::User`] in
/// `verdicts` when there are any, else all of them.
pub fn assess_all(store: &Store, verdicts: Option<&Verdicts>) -> Vec<Assessment> {
    let kinds = Kinds::of_store(store);
    let networks = Networks::of_store(store);
    let mut profiles: Vec<Profile> = profile::profile_all(store, &kinds, &networks);
    profile::fill_telling(store, &mut profiles);
    let domains = Domains::of_store(store);
    let judge = Judge {
        store,
        kinds: &kinds,
        networks: &networks,
        domains: &domains,
    };
    let automation = |c| sessionscope_core::audit::is_automation(store.str(c));
    let users = store.users();
    let per_user: Vec<Vec<(usize, Assessment)>> = on_two_cores(&users, |&user| {
        let all = store.sessions_of_user(user);
        let with_id: Vec<usize> = all
            .iter()
            .map(|&i| i as usize)
            .filter(|&i| store.sessions[i].has_id())
            .collect();
        let marked: Vec<usize> = with_id
            .iter()
            .copied()
            .filter(|&i| {
                verdicts.and_then(|v| v.get(&store.sessions[i].id)) == Some(&Verdict::User)
            })
            .collect();
        let everyone = Pool::of(with_id.clone(), &store.sessions, &profiles, automation);
        let users_own = Pool::of(marked.clone(), &store.sessions, &profiles, automation);
        let mut beside: rustc_hash::FxHashMap<usize, Vec<Overlap>> = Default::default();
        for (i, o) in overlaps(store, &with_id) {
            beside.entry(i).or_default().push(o);
        }
        all.iter()
            .map(|&i| {
                let i = i as usize;
                // Sessions marked user are the baseline, unless the only one is this one.
                let pool = if marked.iter().any(|&j| j != i) {
                    &users_own
                } else {
                    &everyone
                };
                let others = pool.without(i);
                let overlaps = beside.get(&i).map_or(&[][..], Vec::as_slice);
                let a = judge.assess(i, &store.sessions[i], &profiles[i], &others, overlaps);
                (i, a)
            })
            .collect()
    });
    let mut out = vec![Assessment::default(); store.sessions.len()];
    for (i, a) in per_user.into_iter().flatten() {
        out[i] = a;
    }
    out
}
