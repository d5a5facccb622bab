//! People: finding a person by name (in the server's decrypted directory, never in MongoDB),
//! a person's page, and the team ranking.

use crate::error::ApiError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A person as a picker shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonOption {
    /// `person:…`.
    pub id: String,
    /// The display name (or the id when none is known).
    pub name: String,
}

/// Up to 20 people whose name, e-mail or id contains `text`.
#[server(endpoint = "people/find")]
pub async fn find_people(text: String) -> Result<Vec<PersonOption>, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let people = state.people.snapshot().await?;
    Ok(people
        .search(&text, 20)
        .into_iter()
        .map(|p| PersonOption {
            id: p.id.to_string(),
            name: p.label(),
        })
        .collect())
}

/// One person or team in a ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranked {
    /// `person:…` or `team:…`.
    pub id: String,
    /// The display name.
    pub name: String,
    /// Events in the range.
    pub events: u64,
    /// Security events in the range.
    pub security: u64,
}

/// A ranking over a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranking {
    /// Start (whole UTC hour, RFC 3339).
    pub from: String,
    /// Exclusive end.
    pub to: String,
    /// Rows, busiest first.
    pub rows: Vec<Ranked>,
}

/// People by activity in the range of `query` (default 30 days), or with `text`, the people whose
/// name, e-mail or id contains it (with their activity; idle ones too).
#[server(endpoint = "people/list")]
pub async fn list_people(
    #[server(default)] query: crate::filters::EventQuery,
    #[server(default)] text: String,
) -> Result<Ranking, ApiError> {
    use query::analytics::{ranking, Dimension};
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let (_, filter, from, to) =
        crate::api::overview::shared::ranged(&state, query, "30d", chrono::Utc::now()).await?;
    let people = state.people.snapshot().await?;
    let ranked = ranking(&state.store.rollups, &filter, from, to, Dimension::Person).await?;
    let name = |id: &str| {
        domain::PersonId::parse(id)
            .ok()
            .and_then(|p| people.name(&p).map(str::to_owned))
            .unwrap_or_else(|| id.to_owned())
    };
    let rows = if text.trim().is_empty() {
        ranked
            .into_iter()
            .take(200)
            .map(|(id, events, security)| Ranked {
                name: name(&id),
                id,
                events,
                security,
            })
            .collect()
    } else {
        let counts: std::collections::HashMap<String, (u64, u64)> =
            ranked.into_iter().map(|(id, e, s)| (id, (e, s))).collect();
        let mut rows: Vec<Ranked> = people
            .search(&text, 200)
            .into_iter()
            .map(|p| {
                let (events, security) = counts.get(p.id.as_str()).copied().unwrap_or_default();
                Ranked {
                    id: p.id.to_string(),
                    name: p.label(),
                    events,
                    security,
                }
            })
            .collect();
        rows.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.name.cmp(&b.name)));
        rows
    };
    Ok(Ranking {
        from: crate::api::overview::shared::rfc(query::analytics::floor_hour(from)),
        to: crate::api::overview::shared::rfc(query::analytics::ceil_hour(to)),
        rows,
    })
}

/// Teams by activity and by security events in the range of `query` (default 30 days).
#[server(endpoint = "teams/list")]
pub async fn list_teams(
    #[server(default)] query: crate::filters::EventQuery,
) -> Result<Ranking, ApiError> {
    use query::analytics::{ranking, Dimension};
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let (_, filter, from, to) =
        crate::api::overview::shared::ranged(&state, query, "30d", chrono::Utc::now()).await?;
    let ranked = ranking(&state.store.rollups, &filter, from, to, Dimension::Team).await?;
    let teams = crate::ssr::all_teams(&state).await?;
    let mut counts: std::collections::HashMap<String, (u64, u64)> =
        ranked.into_iter().map(|(id, e, s)| (id, (e, s))).collect();
    // Every team is listed, idle ones last.
    let mut rows: Vec<Ranked> = teams
        .into_iter()
        .map(|t| {
            let (events, security) = counts.remove(t.id.as_str()).unwrap_or_default();
            Ranked {
                id: t.id.to_string(),
                name: t.name,
                events,
                security,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.name.cmp(&b.name)));
    Ok(Ranking {
        from: crate::api::overview::shared::rfc(query::analytics::floor_hour(from)),
        to: crate::api::overview::shared::rfc(query::analytics::ceil_hour(to)),
        rows,
    })
}

/// One product account of a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRow {
    /// The Atlassian account id, when known.
    pub account_id: Option<String>,
    /// The display name the account carries.
    pub name: Option<String>,
    /// The e-mail address, when known.
    pub email: Option<String>,
    /// Products the account was seen in.
    pub products: Vec<String>,
}

/// An issue, page, pull request or request the person worked on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkItem {
    /// The product.
    pub product: String,
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
    pub last_operation: String,
    /// When (UTC, RFC 3339).
    pub at: String,
}

/// Everything a person's page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonView {
    /// `person:…`.
    pub id: String,
    /// The display name.
    pub name: String,
    /// The person's accounts.
    pub accounts: Vec<AccountRow>,
    /// The person's teams: (id, name).
    pub teams: Vec<(String, String)>,
    /// Start of the range (whole UTC hour).
    pub from: String,
    /// Its exclusive end.
    pub to: String,
    /// Events per product in the range.
    pub products: Vec<(String, u64)>,
    /// Charts: activity over time by product, top operations.
    pub charts: Vec<crate::api::overview::Chart>,
    /// The latest security events in the range.
    pub security: Vec<crate::api::events::EventRow>,
    /// The latest events in the range, any product.
    pub recent: Vec<crate::api::events::EventRow>,
    /// Work items touched in the range, most recent first.
    pub work_items: Vec<WorkItem>,
    /// The Events query for this person and range.
    pub events_query: String,
}

/// A person's page for the range of `query` (default 30 days).
#[server(endpoint = "people/page")]
pub async fn load_person(
    id: String,
    #[server(default)] query: crate::filters::EventQuery,
) -> Result<PersonView, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let person = domain::PersonId::parse(&id).map_err(crate::ssr::bad_request)?;
    let query = crate::filters::EventQuery {
        person: person.to_string(),
        ..query
    };
    person::build(&state, person, query).await
}

#[cfg(feature = "ssr")]
mod person {
    use super::{AccountRow, PersonView, WorkItem};
    use crate::api::events::EventRow;
    use crate::api::overview::shared::{operations_chart, ranged, rfc, time_chart, Links};
    use crate::error::ApiError;
    use crate::filters::EventQuery;
    use crate::ssr::AppState;
    use domain::{Category, EventFilter, PageSize, PersonId};
    use query::analytics::{Overview, Tz};
    use query::source_links::{source_url, WORK_ITEM_TYPES};

    fn internal(what: &'static str) -> impl Fn(store::StoreError) -> ApiError {
        move |e| ApiError::internal(what, &e)
    }

    async fn latest(
        state: &AppState,
        filter: &EventFilter,
        n: u32,
    ) -> Result<Vec<domain::Event>, ApiError> {
        let size = PageSize::try_from(n).unwrap_or_default();
        Ok(
            query::search::search_events(&state.store, filter, None, size)
                .await
                .map_err(internal("listing events failed"))?
                .events,
        )
    }

    pub(super) async fn build(
        state: &AppState,
        person: PersonId,
        query: EventQuery,
    ) -> Result<PersonView, ApiError> {
        let (query, filter, from, to) = ranged(state, query, "30d", chrono::Utc::now()).await?;
        let people = state
            .people
            .snapshot()
            .await
            .map_err(internal("reading people failed"))?;
        let known = people.get(&person);
        let teams_of = state
            .store
            .teams
            .teams_of(&person)
            .await
            .map_err(internal("reading teams failed"))?;
        if known.is_none() && teams_of.is_empty() {
            return Err(crate::ssr::not_found());
        }
        let all_teams = crate::ssr::all_teams(state).await?;
        let teams = teams_of
            .iter()
            .map(|t| {
                let name = all_teams
                    .iter()
                    .find(|d| d.id == *t)
                    .map_or_else(|| t.to_string(), |d| d.name.clone());
                (t.to_string(), name)
            })
            .collect();
        let o = Overview::compute(&state.store.rollups, &filter, from, to, Tz::UTC, 10)
            .await
            .map_err(internal("reading rollups failed"))?;
        let links = Links {
            base: query.clone(),
        };
        let charts = vec![
            time_chart(&o, &links, "product", "chart-person-time", "Events")?,
            operations_chart(&o, &links, "chart-person-operations")?,
        ];
        let products = o
            .by_product
            .iter()
            .map(|(p, v)| (p.clone(), v.iter().sum()))
            .collect();

        let ranged_filter = EventFilter {
            from: Some(o.from),
            to: Some(o.to),
            ..filter
        };
        let security = latest(
            state,
            &EventFilter {
                categories: vec![Category::Security],
                ..ranged_filter.clone()
            },
            25,
        )
        .await?;
        let recent = latest(state, &ranged_filter, 50).await?;
        let work = latest(
            state,
            &EventFilter {
                categories: vec![Category::Content],
                ..ranged_filter
            },
            200,
        )
        .await?;
        let mut seen = std::collections::HashSet::new();
        let work_items = work
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
                        product: e.product.to_string(),
                        kind: e.object_type.clone().unwrap_or_default(),
                        key: object.id.clone(),
                        title: object.name.clone(),
                        container: object.container.clone(),
                        url: source_url(&state.deployments, e),
                        last_operation: e.operation.to_string(),
                        at: rfc(e.occurred_at),
                    })
            })
            .take(25)
            .collect();
        let row = |e: domain::Event| {
            let mut row = EventRow::from(e);
            row.actor =
                Some(known.map_or_else(|| person.to_string(), query::people::Person::label));
            row
        };
        Ok(PersonView {
            id: person.to_string(),
            name: known.map_or_else(|| person.to_string(), query::people::Person::label),
            accounts: known
                .map(|p| {
                    p.accounts
                        .iter()
                        .map(|a| AccountRow {
                            account_id: a.account_id.clone(),
                            name: a.name.clone(),
                            email: a.email.clone(),
                            products: a.products.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            teams,
            from: rfc(o.from),
            to: rfc(o.to),
            products,
            charts,
            security: security.into_iter().map(row).collect(),
            recent: recent.into_iter().map(row).collect(),
            work_items,
            events_query: links
                .to(o.from, o.to, |_| {})
                .trim_start_matches("/events?")
                .to_owned(),
        })
    }
}

/// Everything a team's page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    /// `team:…`.
    pub id: String,
    /// The team's name.
    pub name: String,
    /// Start of the range (whole UTC hour).
    pub from: String,
    /// Its exclusive end.
    pub to: String,
    /// Events and security events of the whole team.
    pub totals: (u64, u64),
    /// Every member with their activity in the range, busiest first.
    pub members: Vec<Ranked>,
    /// Charts: activity over time by product, top operations.
    pub charts: Vec<crate::api::overview::Chart>,
    /// The Events query for this team and range.
    pub events_query: String,
}

/// A team's page for the range of `query` (default 30 days).
#[server(endpoint = "teams/page")]
pub async fn load_team(
    id: String,
    #[server(default)] query: crate::filters::EventQuery,
) -> Result<TeamView, ApiError> {
    use crate::api::overview::shared::{operations_chart, ranged, rfc, time_chart, Links};
    use query::analytics::{ranking, Dimension, Overview, Tz};
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let team = domain::TeamId::parse(&id).map_err(crate::ssr::bad_request)?;
    let internal = |what: &'static str| move |e: store::StoreError| ApiError::internal(what, &e);
    let name = crate::ssr::all_teams(&state)
        .await?
        .into_iter()
        .find(|t| t.id == team)
        .ok_or_else(crate::ssr::not_found)?
        .name;
    let query = crate::filters::EventQuery {
        team: team.to_string(),
        ..query
    };
    let (query, filter, from, to) = ranged(&state, query, "30d", chrono::Utc::now()).await?;
    let o = Overview::compute(&state.store.rollups, &filter, from, to, Tz::UTC, 10)
        .await
        .map_err(internal("reading rollups failed"))?;
    let people = state
        .people
        .snapshot()
        .await
        .map_err(internal("reading people failed"))?;
    let members = state
        .store
        .teams
        .members(&team)
        .await
        .map_err(internal("reading teams failed"))?;
    let activity: std::collections::HashMap<String, (u64, u64)> =
        ranking(&state.store.rollups, &filter, from, to, Dimension::Person)
            .await
            .map_err(internal("reading rollups failed"))?
            .into_iter()
            .map(|(id, e, s)| (id, (e, s)))
            .collect();
    let mut rows: Vec<Ranked> = members
        .iter()
        .map(|p| {
            let (events, security) = activity.get(p.as_str()).copied().unwrap_or_default();
            Ranked {
                id: p.to_string(),
                name: people.name(p).map_or_else(|| p.to_string(), str::to_owned),
                events,
                security,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.name.cmp(&b.name)));
    let links = Links { base: query };
    Ok(TeamView {
        id: team.to_string(),
        name,
        from: rfc(o.from),
        to: rfc(o.to),
        totals: (o.current.events, o.current.security),
        members: rows,
        charts: vec![
            time_chart(&o, &links, "product", "chart-team-time", "Events")?,
            operations_chart(&o, &links, "chart-team-operations")?,
        ],
        events_query: links
            .to(o.from, o.to, |_| {})
            .trim_start_matches("/events?")
            .to_owned(),
    })
}
