//! The latest events a pass read, kept in the evaluating process for the next pass. A pass
//! re-reads what was stored shortly before the last one began, in case a write then in flight
//! landed behind a rule's watermark; when the store still holds exactly the events kept for that
//! stretch (one count over index keys), nothing landed there, so the next pass takes them from
//! here instead of the database and rules resume strictly after their watermarks.

use chrono::{DateTime, Duration, Utc};
use domain::Event;
use store::events::IngestMark;
use store::Store;

/// More than this many events stored in the last moments of a pass are not kept (the next pass
/// then reads them as it would without).
const KEEP_AT_MOST: usize = 50_000;

/// Every event stored from `from` to `through` as one pass read them.
#[derive(Debug, Clone)]
pub struct RecentEvents {
    from: DateTime<Utc>,
    through: IngestMark,
    events: Vec<Event>,
}

impl RecentEvents {
    /// Whether the store still holds exactly these events over their stretch: events are never
    /// updated, so an equal count means no write landed among them since they were read.
    pub(crate) async fn still_whole(&self, store: &Store) -> Result<bool, store::StoreError> {
        let now = store
            .events
            .count_stored_between(self.from, self.through.ingested_at)
            .await?;
        Ok(now == self.events.len() as u64)
    }

    /// Whether a rule whose last pass began at `began` and read up to `watermark` has judged
    /// every event at or before its watermark: the stretch where a write could still have been in
    /// flight, from `in_flight` before `began`, lies within these events.
    pub(crate) fn settles(
        &self,
        watermark: &IngestMark,
        began: DateTime<Utc>,
        in_flight: Duration,
    ) -> bool {
        self.from <= began - in_flight
            && (watermark.ingested_at, &watermark.id)
                <= (self.through.ingested_at, &self.through.id)
    }

    /// Whether these events hold everything stored from `since` to their end.
    pub(crate) fn cover_from(&self, since: DateTime<Utc>) -> bool {
        self.from <= since
    }

    /// The events stored from `since` on, and the last of them (where the database read goes on).
    pub(crate) fn into_stored_since(self, since: DateTime<Utc>) -> (Vec<Event>, IngestMark) {
        let events = self
            .events
            .into_iter()
            .filter(|e| e.ingested_at >= since)
            .collect();
        (events, self.through)
    }
}

/// Collects, while a pass reads, the events stored from `from` on.
#[derive(Debug)]
pub(crate) struct Keeping {
    from: DateTime<Utc>,
    events: Option<Vec<Event>>,
}

impl Keeping {
    /// Keeps what is stored from `from` on; `from` must be no earlier than where the pass's read
    /// begins, so that nothing stored after it is missed.
    pub(crate) fn from(from: DateTime<Utc>) -> Self {
        Keeping {
            from,
            events: Some(Vec::new()),
        }
    }

    /// Takes note of a batch the pass read, in stored order.
    pub(crate) fn read(&mut self, batch: &[Event]) {
        let Some(kept) = &mut self.events else {
            return;
        };
        kept.extend(batch.iter().filter(|e| e.ingested_at >= self.from).cloned());
        if kept.len() > KEEP_AT_MOST {
            self.events = None;
        }
    }

    /// What the next pass can take, ending at `through` (the last event the pass read).
    pub(crate) fn done(self, through: Option<IngestMark>) -> Option<RecentEvents> {
        Some(RecentEvents {
            from: self.from,
            through: through?,
            events: self.events?,
        })
    }
}
