//! What the investigator's background jobs (a search, a pivot that reads every action)
//! share: a handle whose drop stops the job, and taking a job's next message.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};

/// Held by whoever wants a job's results: dropping it (a newer keystroke, leaving the view)
/// tells the job to stop at its next chunk.
pub struct StopOnDrop(Arc<AtomicBool>);

impl StopOnDrop {
    /// The handle, and the flag the job reads.
    pub fn new() -> (StopOnDrop, Arc<AtomicBool>) {
        let flag = Arc::new(AtomicBool::new(false));
        (StopOnDrop(Arc::clone(&flag)), flag)
    }
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// True once the job's handle is gone.
pub fn stopped(flag: &AtomicBool) -> bool {
    flag.load(Ordering::Relaxed)
}

/// The next message of a background job: `None` when none is in yet (and `wait` is false),
/// `Some(None)` when the job ended without sending one.
pub fn receive<T>(rx: &Receiver<T>, wait: bool) -> Option<Option<T>> {
    if wait {
        return Some(rx.recv().ok());
    }
    match rx.try_recv() {
        Ok(message) => Some(Some(message)),
        Err(TryRecvError::Empty) => None,
        Err(TryRecvError::Disconnected) => Some(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropping_the_handle_raises_the_flag() {
        let (handle, flag) = StopOnDrop::new();
        assert!(!stopped(&flag));
        drop(handle);
        assert!(stopped(&flag));
    }

    #[test]
    fn receive_tells_nothing_yet_from_a_job_that_ended() {
        let (tx, rx) = std::sync::mpsc::channel();
        assert!(receive::<u8>(&rx, false).is_none());
        tx.send(7).unwrap();
        assert_eq!(receive(&rx, false), Some(Some(7)));
        drop(tx);
        assert_eq!(receive::<u8>(&rx, false), Some(None));
        assert_eq!(receive::<u8>(&rx, true), Some(None));
    }
}
