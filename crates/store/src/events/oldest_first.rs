//! Reading every event of a filter in time order, oldest first, for exports: the whole result,
//! not a page, in bounded memory on either server.

use super::{query, ActorScope, EventDoc, EventStore};
use crate::StoreError;
use bson::{doc, Document};
use chrono::{DateTime, Utc};
use domain::time::day_start;
use domain::EventFilter;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};

impl EventStore {
    /// When the earliest event matching `filter` happened, if any does (an export whose query has
    /// no start begins there).
    ///
    /// # Errors
    /// A database error.
    pub async fn earliest_matching(
        &self,
        filter: &EventFilter,
        actors: &ActorScope,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let first = self
            .db
            .collection::<Document>(crate::EVENTS)
            .find_one(query(filter, actors, None))
            .sort(doc! { "occurred_at": 1, "_id": 1 })
            .projection(doc! { "occurred_at": 1 })
            .await?;
        Ok(first
            .as_ref()
            .and_then(|d| d.get_datetime("occurred_at").ok())
            .map(|t| t.to_chrono()))
    }

    /// The events matching `filter` (whose range must be set; an open range yields nothing),
    /// ordered by `(occurred_at, _id)` ascending, read one UTC-day window after another: each
    /// window is one cursor in batches of `batch_size`. SecantusDB sorts all of a find's matches
    /// before returning the first, so one cursor over the whole range would make the database hold
    /// the entire result at once; a day at a time bounds that on either server.
    pub fn oldest_first(
        &self,
        filter: EventFilter,
        actors: ActorScope,
        batch_size: u32,
    ) -> BoxStream<'static, Result<EventDoc, StoreError>> {
        let (Some(from), Some(to)) = (filter.from, filter.to) else {
            return futures::stream::empty().boxed();
        };
        let mut windows = Vec::new();
        let mut start = from;
        while start < to {
            let next = day_start(start.date_naive() + chrono::Duration::days(1));
            windows.push((start, next.min(to)));
            start = next;
        }
        let events = self.coll.clone();
        futures::stream::iter(windows)
            .then(move |(start, end)| {
                let window = EventFilter {
                    from: Some(start),
                    to: Some(end),
                    ..filter.clone()
                };
                let (events, matcher) = (events.clone(), query(&window, &actors, None));
                async move {
                    events
                        .find(matcher)
                        .sort(doc! { "occurred_at": 1, "_id": 1 })
                        .batch_size(batch_size)
                        .await
                }
            })
            .try_flatten()
            .map_err(StoreError::from)
            .boxed()
    }
}
