//! Who did the most in a range: people and teams ranked by their events, with names. One merge
//! of the rollups' activity with the names to show, and one order (busiest first, then by name),
//! used by the People and Teams lists and a team's member table alike.

use crate::analytics::{ranking, Activity, RankedBy};
use crate::people::PeopleSnapshot;
use chrono::{DateTime, Utc};
use domain::{EventFilter, PersonId, TeamId};
use std::collections::HashMap;
use store::{Store, StoreError};

/// One row of a ranking: who, their name, and their activity (zero for the idle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked<Id> {
    /// Who.
    pub id: Id,
    /// The name to show.
    pub name: String,
    /// Events in the range.
    pub events: u64,
    /// Security events in the range.
    pub security: u64,
}

/// The rows for `entries` (id and name), with the activity each has in `activity` (none for the
/// idle), busiest first and then by name.
pub fn ranked<Id: RankedBy>(
    entries: impl IntoIterator<Item = (Id, String)>,
    activity: &HashMap<Id, Activity<Id>>,
) -> Vec<Ranked<Id>> {
    let mut rows: Vec<Ranked<Id>> = entries
        .into_iter()
        .map(|(id, name)| {
            let (events, security) = activity.get(&id).map_or((0, 0), |a| (a.events, a.security));
            Ranked {
                id,
                name,
                events,
                security,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.name.cmp(&b.name)));
    rows
}

/// The activity of each `Id` over the range, by id.
///
/// # Errors
/// A database error.
pub async fn activity<Id: RankedBy>(
    store: &Store,
    filter: &EventFilter,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<HashMap<Id, Activity<Id>>, StoreError> {
    Ok(ranking::<Id>(&store.rollups, filter, from, to)
        .await?
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect())
}

/// People by activity over the range (at most `limit`, the busiest), or, with `text`, the people
/// whose name, e-mail or id contains it, idle ones included.
///
/// # Errors
/// A database error.
pub async fn people(
    store: &Store,
    people: &PeopleSnapshot,
    filter: &EventFilter,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    text: &str,
    limit: usize,
) -> Result<Vec<Ranked<PersonId>>, StoreError> {
    let active = activity::<PersonId>(store, filter, from, to).await?;
    let name = |id: &PersonId| {
        people
            .name(id)
            .map_or_else(|| id.to_string(), str::to_owned)
    };
    let mut rows = if text.trim().is_empty() {
        ranked(active.keys().map(|id| (id.clone(), name(id))), &active)
    } else {
        let found = people.search(text, limit);
        ranked(
            found.into_iter().map(|p| (p.id.clone(), p.label())),
            &active,
        )
    };
    rows.truncate(limit);
    Ok(rows)
}

/// Every team with its activity over the range, idle ones last.
///
/// # Errors
/// A database error.
pub async fn teams(
    store: &Store,
    filter: &EventFilter,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> Result<Vec<Ranked<TeamId>>, StoreError> {
    let (teams, active) = futures::try_join!(
        store.teams.all(),
        activity::<TeamId>(store, filter, from, to)
    )?;
    Ok(ranked(teams.into_iter().map(|t| (t.id, t.name)), &active))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str) -> PersonId {
        PersonId::parse(id).unwrap()
    }

    #[test]
    fn the_busiest_come_first_then_names_in_order_and_the_idle_last() {
        let active: HashMap<PersonId, Activity<PersonId>> =
            [("person:a", 3, 1), ("person:b", 5, 0)]
                .into_iter()
                .map(|(id, events, security)| {
                    let id = person(id);
                    (
                        id.clone(),
                        Activity {
                            id,
                            events,
                            security,
                        },
                    )
                })
                .collect();
        let rows = ranked(
            [
                (person("person:c"), "Cleo".to_owned()),
                (person("person:a"), "Ana".to_owned()),
                (person("person:d"), "Bo".to_owned()),
                (person("person:b"), "Zed".to_owned()),
            ],
            &active,
        );
        let order: Vec<(&str, u64, u64)> = rows
            .iter()
            .map(|r| (r.name.as_str(), r.events, r.security))
            .collect();
        assert_eq!(
            order,
            [("Zed", 5, 0), ("Ana", 3, 1), ("Bo", 0, 0), ("Cleo", 0, 0)]
        );
    }
}
