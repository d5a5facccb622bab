//! Listing events for the Events page.

use crate::error::ApiError;
use chrono::{DateTime, Utc};
use domain::{Category, Operation, Pipeline, Product, Severity};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of the Events table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    /// The event id (links to its detail).
    pub id: String,
    /// When it happened (UTC).
    pub occurred_at: DateTime<Utc>,
    /// Source product.
    pub product: Product,
    /// Audit or activity.
    pub pipeline: Pipeline,
    /// What happened.
    pub operation: Operation,
    /// Security or content.
    pub category: Category,
    /// How serious.
    pub severity: Severity,
    /// Who acted: the canonical person, else the product account.
    pub actor: Option<String>,
    /// The canonical person, for filtering by them.
    pub person: Option<String>,
    /// What was acted on: its name, else its id.
    pub object: Option<String>,
}

impl From<domain::Event> for EventRow {
    fn from(e: domain::Event) -> Self {
        EventRow {
            id: e.id.to_string(),
            occurred_at: e.occurred_at,
            product: e.product,
            pipeline: e.pipeline,
            operation: e.operation,
            category: e.category,
            severity: e.severity,
            person: e.actor_id.as_ref().map(ToString::to_string),
            actor: e.actor_id.map(|p| p.to_string()).or(e.actor_raw),
            object: e.object_ref.map(|o| o.name.unwrap_or(o.id)),
        }
    }
}

/// One page of the Events table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventListing {
    /// The rows, newest first.
    pub rows: Vec<EventRow>,
    /// Token for the next (older) page.
    pub next_cursor: Option<String>,
    /// The same filters with a relative range frozen to absolute times, for sharing.
    pub share_query: String,
}

/// A page of the newest events matching `query`. `limit` is one of the offered page sizes;
/// `before` is the token of the previous page's `next_cursor`.
#[server(endpoint = "events/list")]
pub async fn list_events(
    #[server(default)] query: domain::query::EventQuery,
    limit: Option<u32>,
    before: Option<String>,
) -> Result<EventListing, ApiError> {
    use domain::{PageCursor, PageSize};
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let size = match limit {
        Some(n) => PageSize::try_from(n).map_err(crate::ssr::bad_request)?,
        None => PageSize::default(),
    };
    let cursor = before
        .filter(|b| !b.is_empty())
        .map(|b| b.parse::<PageCursor>())
        .transpose()
        .map_err(crate::ssr::bad_request)?;
    let mut query = query;
    crate::ssr::resolve_person(&state, &mut query).await?;
    let now = chrono::Utc::now();
    let filter = query.to_filter(now).map_err(crate::ssr::bad_request)?;
    let page = query::search::search_events(&state.store, &filter, cursor.as_ref(), size).await?;
    let people = state.people.snapshot().await?;
    Ok(EventListing {
        rows: page
            .events
            .into_iter()
            .map(|e| {
                let name = e
                    .actor_id
                    .as_ref()
                    .and_then(|p| people.name(p))
                    .map(str::to_owned);
                let mut row = EventRow::from(e);
                if name.is_some() {
                    row.actor = name;
                }
                row
            })
            .collect(),
        next_cursor: page.next.map(|c| c.to_string()),
        share_query: query.frozen(now).to_query(&[]),
    })
}

/// The teams the Events filter offers: (id, name).
#[server(endpoint = "events/teams")]
pub async fn filter_teams() -> Result<Vec<(String, String)>, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let teams = crate::ssr::all_teams(&state).await?;
    Ok(teams
        .into_iter()
        .map(|t| (t.id.to_string(), t.name))
        .collect())
}

/// Every normalised field of one event, and its raw payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventDetail {
    /// The row fields.
    pub row: EventRow,
    /// The deployment it came from.
    pub deployment: String,
    /// When AtlasLens stored it.
    pub ingested_at: DateTime<Utc>,
    /// The product account that acted, as the source named it.
    pub actor_raw: Option<String>,
    /// The kind of object.
    pub object_type: Option<String>,
    /// The object's id at the source.
    pub object_id: Option<String>,
    /// The enclosing project, space or repository.
    pub object_container: Option<String>,
    /// The client address the source recorded.
    pub source_ip: Option<String>,
    /// The record as the source sent it, pretty-printed.
    pub raw: String,
}

/// One event with every field.
#[server(endpoint = "events/get")]
pub async fn get_event(id: String) -> Result<EventDetail, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let id = domain::EventId::parse(&id).map_err(crate::ssr::bad_request)?;
    let e = state
        .store
        .events
        .get(&id)
        .await?
        .ok_or_else(crate::ssr::not_found)?;
    Ok(EventDetail {
        deployment: e.deployment.to_string(),
        ingested_at: e.ingested_at,
        actor_raw: e.actor_raw.clone(),
        object_type: e.object_type.clone(),
        object_id: e.object_ref.as_ref().map(|o| o.id.clone()),
        object_container: e.object_ref.as_ref().and_then(|o| o.container.clone()),
        source_ip: e.source_ip.map(|ip| ip.to_string()),
        raw: serde_json::to_string_pretty(&e.raw).unwrap_or_default(),
        row: EventRow::from(e),
    })
}

/// The total of the events matching `query`, and whether it came from the rollups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventTotal {
    /// How many events match.
    pub total: u64,
    /// Whether whole hours were read from the daily rollups (else the events were counted).
    pub from_rollups: bool,
}

/// How many events match `query` — asked separately from the first page, so counting never holds
/// the page back.
#[server(endpoint = "events/total")]
pub async fn count_matching_events(
    #[server(default)] query: domain::query::EventQuery,
) -> Result<EventTotal, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let mut query = query;
    crate::ssr::resolve_person(&state, &mut query).await?;
    let filter = query
        .to_filter(chrono::Utc::now())
        .map_err(crate::ssr::bad_request)?;
    let count = query::search::count_events(&state.store, &filter).await?;
    Ok(EventTotal {
        total: count.total,
        from_rollups: count.source == query::search::CountSource::Rollups,
    })
}
