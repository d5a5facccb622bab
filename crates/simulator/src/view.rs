//! What one request sees: the simulated time, which records are late (and so not yet visible),
//! which record of each stream is malformed, and whether pages overlap. A `View` is a snapshot
//! taken once per request, so one response is consistent even while the clock runs.

use crate::dataset::Stamp;
use crate::Faults;

/// A snapshot of the clock and the data faults.
#[derive(Debug, Clone, Copy)]
pub struct View {
    /// Simulated now, epoch ms.
    pub now: i64,
    /// A record whose roll is below this is late.
    late_below: u32,
    /// How late late records are, ms.
    late_ms: i64,
    /// One record per stream is malformed.
    pub malformed: bool,
    /// Pages repeat their predecessor's last record.
    pub duplicate: bool,
}

impl View {
    /// The view at `now` under `faults`.
    pub fn new(now: i64, faults: &Faults) -> Self {
        Self {
            now,
            late_below: (faults.late_rate.clamp(0.0, 1.0) * 65_536.0) as u32,
            late_ms: i64::try_from(faults.late_delay_s.saturating_mul(1000))
                .unwrap_or(i64::MAX / 2),
            malformed: faults.malformed,
            duplicate: faults.duplicate_across_pages,
        }
    }

    /// When the record becomes visible.
    pub fn visible_at(&self, s: Stamp) -> i64 {
        if u32::from(s.roll) < self.late_below {
            s.at.saturating_add(self.late_ms)
        } else {
            s.at
        }
    }

    /// Whether the record is visible now.
    pub fn visible(&self, s: Stamp) -> bool {
        self.visible_at(s) <= self.now
    }

    /// Whether a child record (a changelog entry, a later version, a merge) is visible: it and
    /// its parent must both be.
    pub fn visible_child(&self, parent: Stamp, s: Stamp) -> bool {
        self.visible(parent) && self.visible(s)
    }
}
