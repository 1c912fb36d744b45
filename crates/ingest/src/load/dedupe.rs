//! Events put in time order, and the second copy of a record read twice (overlapping exports,
//! a file given twice) dropped on the way.
//!
//! A record's copies share its key (its GUID, or a hash of its bytes when it has none) and so
//! its time. The events are put in time order anyway, so only events of the same second are
//! compared: one pass in order, where a hash set of every key took a million scattered inserts
//! on the merging thread, which cost the loading cores about 8% of their time (cache misses in
//! a 40 MB table) and 40 MB of memory.

use rustc_hash::FxHashSet;
use sessionscope_core::model::Event;
use sessionscope_core::sparse::SparseColumn;

/// Seconds holding more events than this are checked through a hash set rather than pair by
/// pair.
const PAIRWISE: usize = 32;

/// Fewer events than this are sorted and checked on one core: starting a thread costs more.
const TWO_CORES_FROM: usize = 1 << 16;

/// Where loaded events go: in time order (equal times in load order), without duplicates. The
/// copy loaded first is kept.
pub struct TimeOrder {
    /// Entry j is the [`time_key`] of the event that goes to place j.
    order: Vec<u64>,
    /// Positions in `order` of the copies dropped, ascending.
    doomed: Vec<usize>,
}

/// What events are put in time order by: their time, then their load number. Sorting these
/// packed integers and then moving each event once is 2x faster than moving 64-byte events
/// through a comparison sort.
pub fn time_key(time: u32, index: usize) -> u64 {
    u64::from(time) << 32 | index as u64
}

impl TimeOrder {
    /// The order of events whose [`time_key`]s are `time_keys`, in load order (the loader
    /// collects them as events arrive); `keys[i]` is the dedupe key of event i.
    pub fn new(time_keys: Vec<u64>, keys: &[u128]) -> TimeOrder {
        debug_assert_eq!(time_keys.len(), keys.len());
        let order = sorted(time_keys);
        let doomed = duplicates_on_two_cores(&order, keys);
        TimeOrder { order, doomed }
    }

    /// How many of `events` are dropped, per file number (`file_of` an event).
    pub fn dropped_per_file(
        &self,
        events: &[Event],
        file_of: impl Fn(&Event) -> u16,
    ) -> Vec<usize> {
        let mut dropped = Vec::new();
        for &at in &self.doomed {
            let file = usize::from(file_of(&events[self.order[at] as u32 as usize]));
            if dropped.len() <= file {
                dropped.resize(file + 1, 0);
            }
            dropped[file] += 1;
        }
        dropped
    }

    fn drops_nothing(&self) -> bool {
        self.doomed.is_empty()
    }

    /// The load number of the event at each place in time order; `None` when duplicates
    /// are dropped (the places after a dropped one shift).
    pub fn in_order(&self) -> Option<Vec<u32>> {
        self.drops_nothing()
            .then(|| self.order.iter().map(|&key| key as u32).collect())
    }

    /// Values of some events, by load number, numbered instead by the events' places in time
    /// order; those of dropped copies are left out.
    pub fn reorder(&self, by_load: &SparseColumn) -> SparseColumn {
        let mut out = SparseColumn::default();
        if by_load.is_empty() {
            return out;
        }
        let mut doomed = self.doomed.iter().copied().peekable();
        let mut place = 0u32;
        for (at, &key) in self.order.iter().enumerate() {
            if doomed.next_if_eq(&at).is_some() {
                continue;
            }
            if let Some(v) = by_load.get(key as u32) {
                out.push(place, v);
            }
            place += 1;
        }
        out.shrink_to_fit();
        out
    }

    /// Values of a few events, `(load number, value)` in load order, numbered instead by the
    /// events' places in time order; those of dropped copies are left out. One pass over the
    /// order, looking each event up in a bit set of the numbers wanted.
    pub fn reorder_values<T>(&self, by_load: Vec<(u32, T)>) -> Vec<(u32, T)> {
        if by_load.is_empty() {
            return Vec::new();
        }
        let mut wanted = vec![0u64; self.order.len().div_ceil(64)];
        for (load, _) in &by_load {
            wanted[*load as usize / 64] |= 1 << (load % 64);
        }
        let mut values: Vec<Option<T>> = Vec::with_capacity(by_load.len());
        let mut slot: rustc_hash::FxHashMap<u32, usize> = rustc_hash::FxHashMap::default();
        for (load, value) in by_load {
            slot.insert(load, values.len());
            values.push(Some(value));
        }
        let mut doomed = self.doomed.iter().copied().peekable();
        let mut out = Vec::with_capacity(values.len());
        let mut place = 0u32;
        for (at, &key) in self.order.iter().enumerate() {
            if doomed.next_if_eq(&at).is_some() {
                continue;
            }
            let load = key as u32;
            if wanted[load as usize / 64] & (1 << (load % 64)) != 0
                && let Some(value) = values[slot[&load]].take()
            {
                out.push((place, value));
            }
            place += 1;
        }
        out
    }

    /// Puts `events` (those this order was worked out from) in order and drops the duplicates.
    pub fn apply(&self, events: &mut Vec<Event>) {
        put_in_order(events, &self.order);
        if !self.doomed.is_empty() {
            let mut doomed = self.doomed.iter().copied().peekable();
            let mut at = 0;
            events.retain(|_| {
                let keep = doomed.next_if_eq(&at).is_none();
                at += 1;
                keep
            });
        }
    }
}

/// `order` sorted. Two halves are sorted on two cores and merged: the keys are distinct, so
/// the result is the one sort gives.
fn sorted(mut order: Vec<u64>) -> Vec<u64> {
    if order.len() < TWO_CORES_FROM {
        order.sort_unstable();
        return order;
    }
    let half = order.len() / 2;
    let (low, high) = order.split_at_mut(half);
    std::thread::scope(|scope| {
        scope.spawn(|| low.sort_unstable());
        high.sort_unstable();
    });
    merge(&order[..half], &order[half..])
}

/// Two sorted lists as one.
fn merge(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Moves the events into `order` (a [`TimeOrder`]'s).
fn put_in_order(events: &mut [Event], order: &[u64]) {
    // Position j receives the event now at perm[j]. Applied in place, cycle by cycle: no
    // second 64 MB buffer to fault in. Events already in place are skipped and an export in
    // reverse order (as Purview writes them) moves in pairs; one event out of place moves every
    // event between its old and new place by one (32 ms for a million, the synthetic tenant).
    let mut perm: Vec<u32> = order.iter().map(|&k| k as u32).collect();
    for start in 0..perm.len() {
        if perm[start] as usize == start {
            continue;
        }
        let held = events[start];
        let mut at = start;
        loop {
            let from = perm[at] as usize;
            perm[at] = at as u32;
            if from == start {
                events[at] = held;
                break;
            }
            events[at] = events[from];
            at = from;
        }
    }
}

/// [`duplicates`], the two halves of `order` (cut between two seconds) on two cores.
fn duplicates_on_two_cores(order: &[u64], keys: &[u128]) -> Vec<usize> {
    if order.len() < TWO_CORES_FROM {
        return duplicates(order, keys);
    }
    let half = order.len() / 2;
    let second = order[half] >> 32;
    let cut = half
        - order[..half]
            .iter()
            .rev()
            .take_while(|&&o| o >> 32 == second)
            .count();
    let (early, late) = order.split_at(cut);
    let (mut doomed, late) = std::thread::scope(|scope| {
        let late = scope.spawn(|| duplicates(late, keys));
        (
            duplicates(early, keys),
            late.join().expect("duplicate check panicked"),
        )
    });
    doomed.extend(late.into_iter().map(|at| at + cut));
    doomed
}

/// The positions in `order` (ascending) of events whose key an earlier event of the same
/// second has.
fn duplicates(order: &[u64], keys: &[u128]) -> Vec<usize> {
    let key = |at: usize| keys[order[at] as u32 as usize];
    let mut doomed = Vec::new();
    let mut set = FxHashSet::default();
    let mut start = 0;
    while start < order.len() {
        let second = order[start] >> 32;
        let end = start
            + order[start..]
                .iter()
                .position(|&o| o >> 32 != second)
                .unwrap_or(order.len() - start);
        if end - start <= PAIRWISE {
            for at in start + 1..end {
                if (start..at).any(|earlier| key(earlier) == key(at)) {
                    doomed.push(at);
                }
            }
        } else {
            set.clear();
            doomed.extend((start..end).filter(|&at| !set.insert(key(at))));
        }
        start = end;
    }
    doomed
}

#[cfg(test)]
mod tests {
    use super::*;
    use sessionscope_core::model::Place;

    impl TimeOrder {
        fn of(events: &[Event], keys: &[u128]) -> TimeOrder {
            let time_keys = events
                .iter()
                .enumerate()
                .map(|(i, e)| time_key(e.time, i))
                .collect();
            TimeOrder::new(time_keys, keys)
        }
    }

    fn in_time_order_without_duplicates(
        mut events: Vec<Event>,
        keys: &[u128],
    ) -> (Vec<Event>, Vec<usize>) {
        let order = TimeOrder::of(&events, keys);
        // The tests' events carry their file number as their kind.
        let dropped = order.dropped_per_file(&events, |e| e.kind as u16);
        order.apply(&mut events);
        (events, dropped)
    }

    fn event(time: u32, file: u16, offset: u64) -> Event {
        Event::blank(time, Place::new(offset, 1).unwrap(), u32::from(file))
    }

    fn places(events: &[Event]) -> Vec<(u32, u16, u64)> {
        events
            .iter()
            .map(|e| (e.time, e.kind as u16, e.place.offset()))
            .collect()
    }

    /// The check split between two cores finds the copies one core finds, also in a busy
    /// second that the middle of the events falls in.
    #[test]
    fn duplicates_found_on_two_cores_are_those_found_on_one() {
        let n = 100_000u32;
        let busy = n / 2 - 700..n / 2 + 300;
        let time = |i: u32| {
            if busy.contains(&i) {
                1 << 20
            } else {
                i / 100 + (i / (n / 2)) * (2 << 20)
            }
        };
        let order = sorted((0..n).map(|i| time_key(time(i), i as usize)).collect());
        let keys: Vec<u128> = (0..n).map(|i| u128::from(i % 37)).collect();
        let one = duplicates(&order, &keys);
        assert!(one.len() > n as usize / 2, "{} copies", one.len());
        assert_eq!(duplicates_on_two_cores(&order, &keys), one);
    }

    /// The sort must be stable: events of the same second keep the order they were read in
    /// (the order an export lists them), whatever the spread of times.
    #[test]
    fn sorting_by_time_keeps_load_order_for_equal_times() {
        let scattered = |spread: u32| -> Vec<u32> {
            (0..2000u64)
                .map(|i| (i.wrapping_mul(2_654_435_761) % 97) as u32 * spread)
                .collect()
        };
        // Newest first, as Purview exports are, with runs of equal times.
        let newest_first: Vec<u32> = (0..2000u32).rev().map(|i| i / 3).collect();
        let many: Vec<u32> = (0..200_000u64)
            .map(|i| (i.wrapping_mul(2_654_435_761) % 9973) as u32)
            .collect();
        for (spread, times) in [
            (9973, many),
            (1u32, scattered(1)),
            (100_000, scattered(100_000)),
            (1 << 25, scattered(1 << 25)),
            (1, newest_first),
        ] {
            let events: Vec<Event> = times
                .iter()
                .enumerate()
                .map(|(i, &t)| event(t, 0, i as u64))
                .collect();
            let keys: Vec<u128> = (0..events.len() as u128).collect();
            let (sorted, dropped) = in_time_order_without_duplicates(events.clone(), &keys);
            assert!(dropped.iter().all(|&n| n == 0));
            let mut expected = events;
            expected.sort_by_key(|e| e.time);
            let key = |v: &[Event]| -> Vec<(u32, u64)> {
                v.iter().map(|e| (e.time, e.place.offset())).collect()
            };
            assert_eq!(key(&sorted), key(&expected), "spread {spread}");
        }
    }

    #[test]
    fn the_copy_loaded_first_is_kept_and_the_later_file_is_charged() {
        // File 1 overlaps file 0 on keys 20 and 30; file 0 repeats key 10 itself.
        let events = [
            event(300, 0, 0),
            event(100, 0, 1),
            event(100, 0, 2),
            event(200, 0, 3),
            event(200, 1, 0),
            event(300, 1, 1),
            event(100, 1, 2),
        ];
        let keys = [30, 10, 10, 20, 20, 30, 40];
        let (kept, dropped) = in_time_order_without_duplicates(events.to_vec(), &keys);
        assert_eq!(
            places(&kept),
            [(100, 0, 1), (100, 1, 2), (200, 0, 3), (300, 0, 0)]
        );
        assert_eq!(dropped, [1, 2]);
    }

    /// Values kept beside the events follow them into time order, and leave with a dropped
    /// copy.
    #[test]
    fn values_beside_the_events_follow_them_into_time_order() {
        let events: Vec<Event> = [300, 100, 100, 200]
            .iter()
            .enumerate()
            .map(|(i, &t)| event(t, 0, i as u64))
            .collect();
        // Load number 2 is a copy of 1.
        let column = |pairs: &[(u32, u32)]| {
            let mut c = SparseColumn::default();
            pairs
                .iter()
                .for_each(|&(at, v)| c.push(at, sessionscope_core::intern::Sym(v)));
            c
        };
        let beside = column(&[(0, 10), (2, 12), (3, 13)]);
        let order = TimeOrder::of(&events, &[1, 2, 2, 3]);
        assert_eq!(order.reorder(&beside), column(&[(1, 13), (2, 10)]));
        let order = TimeOrder::of(&events, &[1, 2, 3, 4]);
        assert_eq!(order.reorder(&beside), column(&[(1, 12), (2, 13), (3, 10)]));
    }

    #[test]
    fn a_busy_second_is_checked_whole() {
        // 200 events in one second, every key twice, the copies 100 apart.
        let events: Vec<Event> = (0..200).map(|i| event(7, 0, i)).collect();
        let keys: Vec<u128> = (0..200).map(|i| i % 100).collect();
        let (kept, dropped) = in_time_order_without_duplicates(events, &keys);
        assert_eq!(
            places(&kept),
            (0..100).map(|i| (7, 0, i)).collect::<Vec<_>>()
        );
        assert_eq!(dropped, [100]);
    }

    /// The loader groups sessions as events arrive, in load order, and renumbers them once the
    /// time order is known: the sessions must be those built from the events in time order,
    /// in the same order, whatever order the events were loaded in.
    #[test]
    fn the_index_built_in_load_order_is_the_one_built_in_time_order() {
        use sessionscope_core::intern::Interner;
        use sessionscope_core::store::{Indexer, Store};
        let seed = std::cell::Cell::new(7u64);
        let next = |n: u64| {
            let s = seed.get().wrapping_mul(6_364_136_223_846_793_005);
            seed.set(s.wrapping_add(1_442_695_040_888_963_407));
            (seed.get() >> 33) % n
        };
        for round in 0..20 {
            // Few values, few seconds: sessions share users, ties in time abound.
            let mut interner = Interner::default();
            let mut value = |kind: &str, n: u64| match next(n) {
                0 => sessionscope_core::intern::Sym::EMPTY,
                v => interner.intern(&format!("{kind}{v}")),
            };
            let events: Vec<Event> = (0..3000)
                .map(|i| {
                    let mut e = event(next(400) as u32, 0, i);
                    e.session = value("session", 30);
                    e.user = value("user", 5);
                    e.ip = value("ip", 12);
                    e.client = value("client", 4);
                    e.token = value("token", 6);
                    e.operation = value("op", 9);
                    e
                })
                .collect();
            let keys: Vec<u128> = (0..events.len() as u128).collect();
            let order = TimeOrder::of(&events, &keys);
            let mut indexer = Indexer::default();
            for e in &events {
                indexer.add(e);
            }
            let in_order = order.in_order().expect("no duplicates");
            let index = indexer.finish(&in_order, interner.len());
            let mut sorted = events.clone();
            order.apply(&mut sorted);
            let kinds = sessionscope_core::model::Kinds::default();
            let reference = Store::build(interner.clone(), kinds.clone(), sorted.clone());
            let store = Store::with_index(interner, kinds, sorted, index);
            assert_eq!(store.sessions, reference.sessions, "round {round}");
            for ip in (1..12).filter_map(|n| store.lookup(&format!("ip{n}"))) {
                let events = store.events_with(sessionscope_core::store::Facet::Ip, ip);
                assert_eq!(
                    events,
                    reference.events_with(sessionscope_core::store::Facet::Ip, ip)
                );
                assert!(!events.is_empty() && events.is_sorted());
            }
        }
    }

    #[test]
    fn no_load_order_is_given_when_copies_are_dropped() {
        let events = [event(1, 0, 0), event(1, 0, 1)];
        assert!(TimeOrder::of(&events, &[5, 5]).in_order().is_none());
        assert!(TimeOrder::of(&events, &[5, 6]).in_order().is_some());
    }

    #[test]
    fn the_same_key_at_another_time_is_another_record() {
        let events = [event(1, 0, 0), event(2, 0, 1)];
        let (kept, dropped) = in_time_order_without_duplicates(events.to_vec(), &[5, 5]);
        assert_eq!(kept.len(), 2);
        assert!(dropped.iter().all(|&n| n == 0));
    }
}
