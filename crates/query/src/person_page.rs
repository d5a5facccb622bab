//! A person's page: who they are (accounts and teams), what they did in a range (the Overview's
//! figures, their latest security events and events), and the work items they touched, with links
//! back to each item in its product.

use crate::analytics::{Overview, Tz};
use crate::people::{Account, PeopleDirectory};
use crate::source_links::{source_url, WORK_ITEM_TYPES};
use chrono::{DateTime, Utc};
use connectors::deployments::Deployments;
use domain::{Category, Event, EventFilter, Operation, PageSize, PersonId, Product, TeamId};
use std::collections::HashSet;
use store::{Store, StoreError};

/// How many security events, events and work items the page lists.
const SECURITY_SHOWN: u32 = 25;
const RECENT_SHOWN: u32 = 50;
const WORK_ITEMS_SHOWN: usize = 25;
/// Content events read to find the work items (distinct items are fewer).
const CONTENT_READ: u32 = 200;

/// A team the person belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRef {
    /// The team.
    pub id: TeamId,
    /// Its name (the id when the team document is gone).
    pub name: String,
}

/// An issue, page, pull request or request the person worked on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkItem {
    /// The product.
    pub product: Product,
    /// `issue`, `page`, `pull_request`…
    pub kind: String,
    /// Its key or id.
    pub key: String,
    /// Its title, when known.
    pub title: Option<String>,
    /// The project, space or repository.
    pub container: Option<String>,
    /// The link back to it in its product.
    pub url: Option<String>,
    /// The person's latest operation on it.
    pub last_operation: Operation,
    /// When.
    pub at: DateTime<Utc>,
}

/// Everything a person's page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonPage {
    /// Who.
    pub person: PersonId,
    /// The name to show.
    pub name: String,
    /// Their accounts (none when only their team membership is known).
    pub accounts: Vec<Account>,
    /// Their teams.
    pub teams: Vec<TeamRef>,
    /// Their figures over the range (whole UTC hours).
    pub overview: Overview,
    /// Their latest security events in the range.
    pub security: Vec<Event>,
    /// Their latest events in the range.
    pub recent: Vec<Event>,
    /// Work items touched in the range, most recent first.
    pub work_items: Vec<WorkItem>,
}

impl PersonPage {
    /// The page of `person` over `[from, to)` for events matching `filter` (which names the
    /// person), or `None` when nobody by that id is known (no account and no team).
    ///
    /// # Errors
    /// A database error.
    pub async fn load(
        store: &Store,
        people: &PeopleDirectory,
        deployments: &Deployments,
        person: PersonId,
        filter: &EventFilter,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Option<Self>, StoreError> {
        let people = people.snapshot().await?;
        let known = people.get(&person);
        let teams_of = store.teams.teams_of(&person).await?;
        if known.is_none() && teams_of.is_empty() {
            return Ok(None);
        }
        let all_teams = store.teams.all().await?;
        let teams = teams_of
            .into_iter()
            .map(|id| {
                let name = all_teams
                    .iter()
                    .find(|d| d.id == id)
                    .map_or_else(|| id.to_string(), |d| d.name.clone());
                TeamRef { id, name }
            })
            .collect();
        let overview = Overview::compute(&store.rollups, filter, from, to, Tz::UTC, 10).await?;
        let in_range = EventFilter {
            from: Some(overview.from),
            to: Some(overview.to),
            ..filter.clone()
        };
        let of_category = |category| EventFilter {
            categories: vec![category],
            ..in_range.clone()
        };
        let security = latest(store, &of_category(Category::Security), SECURITY_SHOWN).await?;
        let recent = latest(store, &in_range, RECENT_SHOWN).await?;
        let content = latest(store, &of_category(Category::Content), CONTENT_READ).await?;
        Ok(Some(Self {
            name: known.map_or_else(|| person.to_string(), crate::people::Person::label),
            accounts: known.map(|p| p.accounts.clone()).unwrap_or_default(),
            person,
            teams,
            overview,
            security,
            recent,
            work_items: work_items(&content, deployments),
        }))
    }
}

/// The newest `n` events matching `filter`.
async fn latest(store: &Store, filter: &EventFilter, n: u32) -> Result<Vec<Event>, StoreError> {
    let size = PageSize::try_from(n).unwrap_or_default();
    Ok(crate::search::search_events(store, filter, None, size)
        .await?
        .events)
}

/// The distinct work items among `events` (newest first), each with its latest operation.
fn work_items(events: &[Event], deployments: &Deployments) -> Vec<WorkItem> {
    let mut seen = HashSet::new();
    events
        .iter()
        .filter(|e| {
            e.object_type
                .as_deref()
                .is_some_and(|t| WORK_ITEM_TYPES.contains(&t))
        })
        .filter_map(|e| {
            let object = e.object_ref.as_ref()?;
            seen.insert((e.product, object.container.clone(), object.id.clone()))
                .then(|| WorkItem {
                    product: e.product,
                    kind: e.object_type.clone().unwrap_or_default(),
                    key: object.id.clone(),
                    title: object.name.clone(),
                    container: object.container.clone(),
                    url: source_url(deployments, e),
                    last_operation: e.operation,
                    at: e.occurred_at,
                })
        })
        .take(WORK_ITEMS_SHOWN)
        .collect()
}
