//! Event search as the dashboard asks for it: resolves a team filter to its members, then pages
//! through the event store.

use crate::store::events::{ActorScope, EventPage};
use crate::store::{Store, StoreError};
use domain::{EventFilter, PageCursor, PageSize};

/// One page of events matching `filter`, newest first, after `cursor`.
///
/// # Errors
/// A database error.
#[tracing::instrument(skip_all, fields(page.size = size.get(), page.continued = cursor.is_some()), err)]
pub async fn search_events(
    store: &Store,
    filter: &EventFilter,
    cursor: Option<&PageCursor>,
    size: PageSize,
) -> Result<EventPage, StoreError> {
    let actors = match &filter.team {
        Some(team) => ActorScope::People(store.teams.members(team).await?),
        None => ActorScope::Anyone,
    };
    store.events.page(filter, &actors, cursor, size).await
}
