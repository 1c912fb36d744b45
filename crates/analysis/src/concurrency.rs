//! How many sessions of a user were active at once.

use rustc_hash::FxHashMap;
use sessionscope_core::intern::Sym;
use sessionscope_core::store::{Session, Store};

/// Per user: the most sessions active at once (a session is active from its first to its last
/// event), and when that peak began.
pub fn max_concurrent(store: &Store) -> FxHashMap<Sym, (usize, i64)> {
    let mut edges: FxHashMap<Sym, Vec<(i64, i32)>> = FxHashMap::default();
    for s in store.sessions.iter().filter(|s| s.has_id()) {
        let e = edges.entry(s.user).or_default();
        e.push((s.first, 1));
        e.push((s.last, -1));
    }
    edges
        .into_iter()
        .map(|(user, mut e)| {
            // Starts before ends at the same second: touching sessions overlap.
            e.sort_by_key(|&(t, d)| (t, -d));
            let (mut now, mut best, mut at) = (0i32, 0i32, 0i64);
            for (t, d) in e {
                now += d;
                if now > best {
                    best = now;
                    at = t;
                }
            }
            (user, (best as usize, at))
        })
        .collect()
}

/// Active sessions of `sessions` in each of `buckets` equal slices of `from..=to`.
pub fn concurrency_series(sessions: &[&Session], from: i64, to: i64, buckets: usize) -> Vec<u64> {
    let span = (to - from).max(1) as f64;
    let mut out = vec![0u64; buckets.max(1)];
    for s in sessions.iter().filter(|s| s.has_id()) {
        let a = (((s.first - from) as f64 / span) * buckets as f64) as usize;
        let b = (((s.last - from) as f64 / span) * buckets as f64) as usize;
        for slot in out
            .iter_mut()
            .take(b.min(buckets - 1) + 1)
            .skip(a.min(buckets - 1))
        {
            *slot += 1;
        }
    }
    out
}
