//! Dropping the second copy of a record read twice (overlapping exports, a file given twice).
//!
//! A record's copies share its key (its GUID, or a hash of its bytes when it has none) and so
//! its time. The events are put in time order anyway, so only events of the same second are
//! compared: one pass in order, where a hash set of every key took a million scattered inserts
//! on the merging thread, which cost the loading cores about 8% of their time (cache misses in
//! a 40 MB table) and 40 MB of memory.

use crate::model::Event;
use crate::store::{put_in_order, time_order};
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
