//! A team's page: its figures over a range and every member with their activity.

use crate::analytics::{Overview, Tz};
use crate::people::PeopleDirectory;
use crate::rankings::{activity, ranked, Ranked};
use chrono::{DateTime, Utc};
use domain::{EventFilter, PersonId, TeamId};
use store::{Store, StoreError};

/// Everything a team's page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamPage {
    /// The team.
    pub team: TeamId,
    /// Its name.
    pub name: String,
    /// The team's figures over the range (whole UTC hours).
    pub overview: Overview,
    /// Every member with their activity, busiest first.
    pub members: Vec<Ranked<PersonId>>,
}

impl TeamPage {
    /// The page of `team` over `[from, to)` for events matching `filter` (which names the team),
    /// or `None` when no such team exists.
    ///
    /// # Errors
    /// A database error.
    pub async fn load(
        store: &Store,
        people: &PeopleDirectory,
        team: TeamId,
        filter: &EventFilter,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Option<Self>, StoreError> {
        let Some(name) = store
            .teams
            .all()
            .await?
            .into_iter()
            .find(|t| t.id == team)
            .map(|t| t.name)
        else {
            return Ok(None);
        };
        let overview = Overview::compute(&store.rollups, filter, from, to, Tz::UTC, 10).await?;
        let people = people.snapshot().await?;
        let members = store.teams.members(&team).await?;
        let active = activity::<PersonId>(store, filter, from, to).await?;
        let members = ranked(
            members.into_iter().map(|p| {
                let name = people.name(&p).map_or_else(|| p.to_string(), str::to_owned);
                (p, name)
            }),
            &active,
        );
        Ok(Some(Self {
            team,
            name,
            overview,
            members,
        }))
    }
}
