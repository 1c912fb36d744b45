//! The facts of telling records, read back from their files: the store keeps one summary
//! line per event, not the record, so what a rule or grant did in full is read again here.

use super::{Action, classify};
use crate::store::Store;
use rustc_hash::FxHashMap;

/// What each of `events` (ids into `store.events`) did, in the same order: `Ok(None)` for a
/// record that holds nothing telling, `Err` for one that could not be read back. Each file is
/// opened once, a gzip file decompressed once.
pub fn actions_of(store: &Store, events: &[u32]) -> Vec<Result<Option<Action>, String>> {
    let mut out: Vec<Result<Option<Action>, String>> = events.iter().map(|_| Ok(None)).collect();
    let mut by_file: FxHashMap<u16, Vec<usize>> = FxHashMap::default();
    for (at, &e) in events.iter().enumerate() {
        by_file
            .entry(store.source(&store.events[e as usize]).file)
            .or_default()
            .push(at);
    }
    for (file, places) in by_file {
        let refs: Vec<_> = places
            .iter()
            .map(|&at| store.source(&store.events[events[at] as usize]))
            .collect();
        let records = match store.files.get(file as usize) {
            Some(source) => crate::load::reread_many(source, &refs),
            None => refs
                .iter()
                .map(|_| Err("the record's file is unknown".to_string()))
                .collect(),
        };
        for (&at, record) in places.iter().zip(records) {
            let op = store.str(store.events[events[at] as usize].operation);
            out[at] = record.map(|value| super::action::read(classify(op), op, &value));
        }
    }
    out
}
