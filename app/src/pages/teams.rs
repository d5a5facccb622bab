//! Teams: the ranking by activity and by security events for a range, and each team's page with
//! its members' activity and charts.

use crate::api::teams::{list_teams, load_team};
use crate::components::charts::ChartGrid;
use crate::components::filter_form::use_event_query;
use crate::pages::people::{RangeChoice, RankingTable};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// `/teams?range=…&order=security`.
#[component]
pub fn TeamsPage() -> impl IntoView {
    let params = use_query_map();
    let query = use_event_query();
    let by_security = move || params.read().get("order").as_deref() == Some("security");
    let listing = Resource::new(move || query.get(), list_teams);
    view! {
        <Title text="Teams"/>
        <div class="page-head"><h1>"Teams"</h1></div>
        <form method="get" action="/teams" class="filters">
            <RangeChoice current=query.get_untracked().range/>
            <label for="order">"Rank by"</label>
            <select id="order" name="order">
                <option value="events" selected=!by_security()>"events"</option>
                <option value="security" selected=by_security()>"security events"</option>
            </select>
            <button type="submit">"Show"</button>
        </form>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match listing.await {
                    Ok(r) if r.rows.is_empty() => view! { <p class="empty">"No teams yet: teams come from organization groups named team-…"</p> }.into_any(),
                    Ok(mut r) => {
                        if by_security() {
                            r.rows.sort_by(|a, b| b.security.cmp(&a.security).then_with(|| a.name.cmp(&b.name)));
                        }
                        view! {
                            <p class="note">{format!("Activity from {} to {} (UTC).", r.from, r.to)}</p>
                            <RankingTable rows=r.rows base="/teams/" what="Team"/>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// `/teams/:id?range=…`.
#[component]
pub fn TeamPage() -> impl IntoView {
    let path = use_params_map();
    let id = move || path.read().get("id").unwrap_or_default();
    let query = use_event_query();
    let page = Resource::new(move || (id(), query.get()), |(id, q)| load_team(id, q));
    view! {
        <Title text="Team"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(t) => view! {
                        <div class="page-head">
                            <h1 data-testid="team-name">{t.name.clone()}</h1>
                            <form method="get" action=format!("/teams/{}", domain::url::encode_component(&t.id)) class="filters inline">
                                <RangeChoice current=query.get_untracked().range/>
                                <button type="submit">"Show"</button>
                            </form>
                        </div>
                        <p class="note">
                            {format!("{} events, {} security events from {} to {} (UTC) · ", t.totals.0, t.totals.1, t.from, t.to)}
                            <a href=format!("/events?{}", t.events_query)>"the team's events"</a>
                        </p>
                        <ChartGrid charts=t.charts/>
                        <section class="panel">
                            <h2>{format!("Members ({})", t.members.len())}</h2>
                            <RankingTable rows=t.members base="/people/" what="Person"/>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}
