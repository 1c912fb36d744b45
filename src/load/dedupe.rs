//! Events put in time order, and the second copy of a record read twice (overlapping exports,
//! a file given twice) dropped on the way.
//!
//! A record's copies share its key (its GUID, or a hash of its bytes when it has none) and so
//! its time. The events are put in time order anyway, so only events of the same second are
//! compared: one pass in order, where a hash set of every key took a million scattered inserts
//! on the merging thread, which cost the loading cores about 8% of their time (cache misses in
//! a 40 MB table) and 40 MB of memory.

use crate::model::Event;
use rustc_hash::FxHashSet;

/// Seconds holding more events than this are checked through a hash set rather than pair by
/// pair.
const PAIRWISE: usize = 32;

/// `events` in time order (equal times in load order) without duplicates; `keys[i]` is the key
/// of `events[i]`. The copy loaded first is kept. Returns the events and how many were dropped
/// per file number (`SourceRef::file`).
pub fn in_time_order_without_duplicates(
    mut events: Vec<Event>,
    keys: &[u128],
) -> (Vec<Event>, Vec<usize>) {
    debug_assert_eq!(events.len(), keys.len());
    let order = time_order(&events);
    let doomed = duplicates(&order, keys);
    let mut dropped = Vec::new();
    for &at in &doomed {
        let file = usize::from(events[order[at] as u32 as usize].source.file);
        if dropped.len() <= file {
            dropped.resize(file + 1, 0);
        }
        dropped[file] += 1;
    }
    put_in_order(&mut events, &order);
    drop(order);
    if !doomed.is_empty() {
        let mut doomed = doomed.into_iter().peekable();
        let mut at = 0;
        events.retain(|_| {
            let keep = doomed.next_if_eq(&at).is_none();
            at += 1;
            keep
        });
    }
    (events, dropped)
}

/// The time order of `events`, equal times in their current order: entry j is
/// `time << 32 | index` of the event that goes to position j. Sorting these packed integers and
/// then moving each event once is 2x faster than moving 80-byte events through a comparison
/// sort.
fn time_order(events: &[Event]) -> Vec<u64> {
    let mut order: Vec<u64> = events
        .iter()
        .enumerate()
        .map(|(i, e)| u64::from(e.time) << 32 | i as u64)
        .collect();
    order.sort_unstable();
    order
}

/// Moves the events into `order` (from [`time_order`]).
fn put_in_order(events: &mut [Event], order: &[u64]) {
    // Position j receives the event now at perm[j]. Applied in place, cycle by cycle: no
    // second 80 MB buffer to fault in. Events already in place are skipped and an export in
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
    use crate::model::SourceRef;

    fn event(time: u32, file: u16, offset: u64) -> Event {
        Event::blank(time, SourceRef::new(file, offset, 1))
    }

    fn places(events: &[Event]) -> Vec<(u32, u16, u64)> {
        events
            .iter()
            .map(|e| (e.time, e.source.file, e.source.offset()))
            .collect()
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
        for (spread, times) in [
            (1u32, scattered(1)),
            (100_000, scattered(100_000)),
            (1 << 25, scattered(1 << 25)),
            (1, newest_first),
        ] {
            let events: Vec<Event> = times
                .iter()
                .enumerate()
                .map(|(i, &t)| Event::blank(t, SourceRef::new(0, i as u64, 1)))
                .collect();
            let keys: Vec<u128> = (0..events.len() as u128).collect();
            let (sorted, dropped) = in_time_order_without_duplicates(events.clone(), &keys);
            assert!(dropped.iter().all(|&n| n == 0));
            let mut expected = events;
            expected.sort_by_key(|e| e.time);
            let key = |v: &[Event]| -> Vec<(u32, u64)> {
                v.iter().map(|e| (e.time, e.source.offset())).collect()
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

    #[test]
    fn the_same_key_at_another_time_is_another_record() {
        let events = [event(1, 0, 0), event(2, 0, 1)];
        let (kept, dropped) = in_time_order_without_duplicates(events.to_vec(), &[5, 5]);
        assert_eq!(kept.len(), 2);
        assert!(dropped.iter().all(|&n| n == 0));
    }
}
