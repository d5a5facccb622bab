//! Teams: the team ranking and a team's page, both drawn from the rollups.

use crate::api::people::{Ranked, Ranking};
use crate::error::ApiError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Teams by activity and by security events in the range of `query` (default 30 days).
#[server(endpoint = "teams/list")]
pub async fn list_teams(
    #[server(default)] query: domain::query::EventQuery,
) -> Result<Ranking, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let (_, filter, range) = crate::ssr::rollup_query(&state, query, "30d").await?;
    let rows = query::rankings::teams(&state.store, &filter, range).await?;
    Ok(Ranking::of(range, rows))
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
    pub charts: Vec<crate::api::chart::Chart>,
    /// The Events query for this team and range.
    pub events_query: String,
}

/// A team's page for the range of `query` (default 30 days).
#[server(endpoint = "teams/page")]
pub async fn load_team(
    id: String,
    #[server(default)] query: domain::query::EventQuery,
) -> Result<TeamView, ApiError> {
    use crate::api::graphics::{activity_charts, rfc, Links};
    use query::team_page::TeamPage;
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let team = domain::TeamId::parse(&id).map_err(crate::ssr::bad_request)?;
    let query = domain::query::EventQuery {
        team: team.to_string(),
        ..query
    };
    let (query, filter, range) = crate::ssr::rollup_query(&state, query, "30d").await?;
    let page = TeamPage::load(&state.store, &state.people, team, &filter, range)
        .await?
        .ok_or_else(crate::ssr::not_found)?;
    let o = &page.overview;
    let links = Links { base: query };
    Ok(TeamView {
        id: page.team.to_string(),
        name: page.name.clone(),
        from: rfc(o.from),
        to: rfc(o.to),
        totals: (o.current.events, o.current.security),
        charts: activity_charts(o, &links, "chart-team")?,
        events_query: links.events_query(o),
        members: page.members.into_iter().map(Ranked::from).collect(),
    })
}
