//! A pivot on a value the store has no list for (an operation, a client, a target) reads
//! every action. On a big store that read runs on another thread, a chunk at a time in time
//! order, and the pivot's timeline fills in as the chunks come; leaving the pivot stops it.

use super::job::{StopOnDrop, stopped};
use crate::intern::Sym;
use crate::store::{Facet, Store};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

/// Actions read per message by default: about 10 ms of reading each.
pub const CHUNK: usize = 1 << 20;

/// The actions found in one chunk, in time order, and how many actions have been read.
pub struct Found {
    pub ids: Vec<u32>,
    pub read: usize,
}

/// A pivot being filled in by another thread; dropping it (leaving the pivot) stops it.
pub struct PivotJob {
    /// Place in the pivot stack of the frame it fills.
    pub depth: usize,
    /// The action the pivot was made from, to put the cursor on when it is found.
    pub keep_event: Option<u32>,
    pub updates: Receiver<Found>,
    _stop: StopOnDrop,
}

impl PivotJob {
    /// Starts reading `store`, `chunk` actions at a time, for the actions whose `facet` is
    /// `value`.
    pub fn start(
        store: Arc<Store>,
        facet: Facet,
        value: Sym,
        depth: usize,
        keep_event: Option<u32>,
        chunk: usize,
    ) -> PivotJob {
        let (tx, updates) = channel();
        let (stop, flag) = StopOnDrop::new();
        std::thread::spawn(move || {
            let len = store.events.len();
            let mut from = 0;
            while from < len && !stopped(&flag) {
                let to = (from + chunk.max(1)).min(len);
                let ids = store.scan_range(facet, value, from..to);
                if tx.send(Found { ids, read: to }).is_err() {
                    return;
                }
                from = to;
            }
        });
        PivotJob {
            depth,
            keep_event,
            updates,
            _stop: stop,
        }
    }
}
