//! Event search as the dashboard asks for it: resolves a team filter to its members, then pages
//! through the event store; and the total count of a search, from the rollups where they can
//! answer it.

use chrono::{DateTime, Utc};
use domain::time::{ceil_hour, floor_hour};
use domain::{EventFilter, PageCursor, PageSize};
use store::events::{ActorScope, EventPage};
use store::rollups::{rollups_answer, spans_answer, Dimension};
use store::{Store, StoreError};

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
    let actors = actor_scope(store, filter).await?;
    store.events.page(filter, &actors, cursor, size).await
}

/// The people whose events a filter may include: a team filter becomes its members (only the
/// filter's person among them, if it names one).
///
/// # Errors
/// A database error.
pub async fn actor_scope(store: &Store, filter: &EventFilter) -> Result<ActorScope, StoreError> {
    Ok(match &filter.team {
        Some(team) => {
            let mut members = store.teams.members(team).await?;
            if let Some(person) = &filter.person {
                members.retain(|m| m == person);
            }
            ActorScope::People(members)
        }
        None => ActorScope::Anyone,
    })
}

/// Where a total came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountSource {
    /// The daily rollups' hourly counts, with the partial hours at the range's edges counted in
    /// `events`.
    Rollups,
    /// A count over the matching events (IP and free-text filters, and ranges within an hour).
    Events,
}

/// The number of events matching a filter, and how it was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventCount {
    /// The total.
    pub total: u64,
    /// Its source.
    pub source: CountSource,
}

/// How many events match `filter` — exactly, and without scanning them where the rollups can
/// answer: whole hours come from the rollups, the partial hours at either end of the range and
/// the current hour (which the rollups reach only when a sync run ends) from the events. IP and
/// free-text filters need the events themselves. A team is counted as its current members (not the
/// rows' own team stamp, which is as of their last rebuild), as the Events list reads it: from
/// their spans of days when nothing else is filtered, else from their rows.
///
/// # Errors
/// A database error.
#[tracing::instrument(skip_all, err)]
pub async fn count_events(store: &Store, filter: &EventFilter) -> Result<EventCount, StoreError> {
    let actors = actor_scope(store, filter).await?;
    let events = |from, to| {
        let slice = EventFilter {
            from,
            to,
            ..filter.clone()
        };
        let (store, actors) = (store.clone(), actors.clone());
        async move { store.events.count_matching(&slice, &actors).await }
    };
    if !rollups_answer(filter) {
        return Ok(EventCount {
            total: events(filter.from, filter.to).await?,
            source: CountSource::Events,
        });
    }
    let inner_from = filter.from.map(ceil_hour);
    let inner_to = floor_hour(filter.to.unwrap_or_else(Utc::now));
    if inner_from.is_some_and(|f| f >= inner_to) {
        return Ok(EventCount {
            total: events(filter.from, filter.to).await?,
            source: CountSource::Events,
        });
    }
    let among = match (&filter.team, &actors) {
        (Some(_), ActorScope::People(people)) => Some(people.as_slice()),
        _ => None,
    };
    let mut total = match among {
        Some(people) if spans_answer(&without_actors(filter)) => {
            members_total(store, people, inner_from, inner_to).await?
        }
        _ => {
            let hours = store
                .rollups
                .hour_counts_by(
                    filter,
                    among,
                    inner_from,
                    Some(inner_to),
                    &[Dimension::Total],
                )
                .await?
                .pop()
                .unwrap_or_default();
            hours
                .iter()
                .map(|h| h.inside(inner_from, Some(inner_to)))
                .sum()
        }
    };
    if filter.from != inner_from {
        total += events(filter.from, inner_from).await?;
    }
    if filter.to != Some(inner_to) {
        total += events(Some(inner_to), filter.to).await?;
    }
    Ok(EventCount {
        total,
        source: CountSource::Rollups,
    })
}

/// The filter without its person and team.
fn without_actors(filter: &EventFilter) -> EventFilter {
    EventFilter {
        person: None,
        team: None,
        ..filter.clone()
    }
}

/// The events of `people` in the whole hours `[from, to)`, from the spans of days: a team's total
/// without reading each member's every rollup row.
async fn members_total(
    store: &Store,
    people: &[domain::PersonId],
    from: Option<DateTime<Utc>>,
    to: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let from = match from {
        Some(from) => from,
        None => match store.rollups.first_day().await? {
            Some(first) => first,
            None => return Ok(0),
        },
    };
    if from >= to {
        return Ok(0);
    }
    let totals = store.rollups.person_totals(from, to).await?;
    Ok(people
        .iter()
        .filter_map(|p| totals.get(&Some(p.to_string())))
        .map(|t| t.events)
        .sum())
}
