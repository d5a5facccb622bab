//! The simulated clock: the anchor plus real time elapsed since start plus explicit advances, so
//! a running simulator keeps producing "new" records and tests can jump ahead.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

/// `sim_now = anchor + elapsed + advanced`, in epoch milliseconds.
#[derive(Debug)]
pub struct Clock {
    anchor_ms: i64,
    started: Instant,
    advanced_ms: AtomicI64,
}

impl Clock {
    /// A clock reading `anchor_ms` now.
    pub fn new(anchor_ms: i64) -> Self {
        Self {
            anchor_ms,
            started: Instant::now(),
            advanced_ms: AtomicI64::new(0),
        }
    }

    /// Simulated now, epoch ms.
    pub fn now_ms(&self) -> i64 {
        let elapsed = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX / 4);
        self.anchor_ms + elapsed + self.advanced_ms.load(Ordering::SeqCst)
    }

    /// Moves the clock forward (or back, for a negative value) by `ms`.
    pub fn advance_ms(&self, ms: i64) {
        self.advanced_ms.fetch_add(ms, Ordering::SeqCst);
    }
}
