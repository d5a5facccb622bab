//! People: finding a person by name (in the server's decrypted directory, never in MongoDB),
//! the people ranking and a person's page.

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
    #[server(default)] query: domain::query::EventQuery,
    #[server(default)] text: String,
) -> Result<Ranking, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let (_, filter, range) = crate::ssr::rollup_query(&state, query, "30d").await?;
    let people = state.people.snapshot().await?;
    let rows = query::rankings::people(&state.store, &people, &filter, range, &text, 200).await?;
    Ok(Ranking::of(range, rows))
}

#[cfg(feature = "ssr")]
impl<Id: std::fmt::Display> From<query::rankings::Ranked<Id>> for Ranked {
    fn from(r: query::rankings::Ranked<Id>) -> Self {
        Ranked {
            id: r.id.to_string(),
            name: r.name,
            events: r.events,
            security: r.security,
        }
    }
}

#[cfg(feature = "ssr")]
impl Ranking {
    /// The rows over `range`, widened to whole hours as the rollups count it.
    pub(crate) fn of<Id: std::fmt::Display>(
        (from, to): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>),
        rows: Vec<query::rankings::Ranked<Id>>,
    ) -> Self {
        use crate::api::graphics::rfc;
        use domain::time::{ceil_hour, floor_hour};
        Ranking {
            from: rfc(floor_hour(from)),
            to: rfc(ceil_hour(to)),
            rows: rows.into_iter().map(Ranked::from).collect(),
        }
    }
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
    pub charts: Vec<crate::api::chart::Chart>,
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
    #[server(default)] query: domain::query::EventQuery,
) -> Result<PersonView, ApiError> {
    use query::person_page::PersonPage;
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let person = domain::PersonId::parse(&id).map_err(crate::ssr::bad_request)?;
    let query = domain::query::EventQuery {
        person: person.to_string(),
        ..query
    };
    let (query, filter, range) = crate::ssr::rollup_query(&state, query, "30d").await?;
    let page = PersonPage::load(
        &state.store,
        &state.people,
        &state.deployments,
        person,
        &filter,
        range,
    )
    .await?
    .ok_or_else(crate::ssr::not_found)?;
    person::view(page, query)
}

#[cfg(feature = "ssr")]
mod person {
    use super::{AccountRow, PersonView, WorkItem};
    use crate::api::events::EventRow;
    use crate::api::graphics::{activity_charts, rfc, Links};
    use domain::query::EventQuery;
    use query::person_page::PersonPage;

    /// The page as the browser receives it.
    pub(super) fn view(
        page: PersonPage,
        query: EventQuery,
    ) -> Result<PersonView, crate::error::ApiError> {
        let o = &page.overview;
        let links = Links { base: query };
        let mut products: Vec<(String, u64)> = o
            .by_product
            .iter()
            .map(|(p, v)| (p.to_string(), v.iter().sum()))
            .collect();
        products.sort();
        let name = page.name.clone();
        let row = |e: domain::Event| EventRow {
            actor: Some(name.clone()),
            ..EventRow::from(e)
        };
        Ok(PersonView {
            id: page.person.to_string(),
            name: page.name.clone(),
            accounts: page
                .accounts
                .iter()
                .map(|a| AccountRow {
                    account_id: a.account_id.clone(),
                    name: a.name.clone(),
                    email: a.email.clone(),
                    products: a.products.clone(),
                })
                .collect(),
            teams: page
                .teams
                .iter()
                .map(|t| (t.id.to_string(), t.name.clone()))
                .collect(),
            from: rfc(o.from),
            to: rfc(o.to),
            products,
            charts: activity_charts(o, &links, "chart-person")?,
            events_query: links.events_query(o),
            work_items: page
                .work_items
                .iter()
                .map(|w| WorkItem {
                    product: w.product.to_string(),
                    kind: w.kind.clone(),
                    key: w.key.clone(),
                    title: w.title.clone(),
                    container: w.container.clone(),
                    url: w.url.clone(),
                    last_operation: w.last_operation.to_string(),
                    at: rfc(w.at),
                })
                .collect(),
            security: page.security.into_iter().map(row).collect(),
            recent: page.recent.into_iter().map(row).collect(),
        })
    }
}
