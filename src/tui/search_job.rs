//! A search over a big scope runs on another thread, a chunk of the actions at a time, and
//! reports the results so far; a newer keystroke or Esc drops it, which stops it.

use super::job::{StopOnDrop, stopped};
use crate::search::{Results, Searcher};
use crate::store::Store;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

/// Actions a background search ranks between two reports of how far it has come.
const CHUNK: usize = 1 << 20;

/// What a background search reports.
pub enum SearchUpdate {
    /// Results so far, and how many actions were searched.
    Partial(Results, usize),
    /// The final results, and the whole store's count when this scope had none.
    Done(Results, Option<usize>),
}

/// A search running on another thread; dropping it stops it.
pub struct SearchJob {
    pub updates: Receiver<SearchUpdate>,
    _stop: StopOnDrop,
}

impl SearchJob {
    /// Starts searching `scope` (`None`: the whole store) for `query`, keeping the best
    /// `limit` hits.
    pub fn start(
        store: Arc<Store>,
        searcher: Arc<Searcher>,
        query: String,
        scope: Option<Vec<u32>>,
        limit: usize,
    ) -> SearchJob {
        let (stop, flag) = StopOnDrop::new();
        let (tx, updates) = channel();
        std::thread::spawn(move || {
            let done = searcher.search_in_chunks(
                &store,
                &query,
                scope.as_deref(),
                limit,
                CHUNK,
                |so_far, searched| {
                    !stopped(&flag)
                        && tx
                            .send(SearchUpdate::Partial(so_far.clone(), searched))
                            .is_ok()
                },
            );
            let Some(results) = done.filter(|_| !stopped(&flag)) else {
                return;
            };
            let wider = searcher.wider_total(&store, &query, &results, scope.is_some());
            let _ = tx.send(SearchUpdate::Done(results, wider));
        });
        SearchJob {
            updates,
            _stop: stop,
        }
    }
}
