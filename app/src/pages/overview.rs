//! The Overview: headline numbers against the previous range and charts of the same filters as
//! Events (without IP and text), all from the daily rollups and drawn on the server as SVG. The
//! filters, the stacking of the time chart and the heatmap's time zone live in the URL.

use crate::api::events::filter_teams;
use crate::api::overview::{load_overview, Kpis, STACKS, ZONES};
use crate::components::charts::ChartGrid;
use crate::components::filter_form::use_event_query;
use crate::components::filter_form::FilterForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The Overview page.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let params = use_query_map();
    let query = use_event_query();
    let param = move |k: &str| params.read().get(k).unwrap_or_default();
    let data = Resource::new(
        move || (query.get(), param("stack"), param("tz")),
        |(q, stack, tz)| load_overview(q, stack, tz),
    );
    let teams = Resource::new(|| (), |_| filter_teams());
    view! {
        <Title text="Overview"/>
        <div class="page-head">
            <h1>"Overview"</h1>
        </div>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let teams = teams.await.unwrap_or_default();
                let (stack, tz) = (param("stack"), param("tz"));
                let mut q = query.get_untracked();
                if q.range.is_empty() && q.from.is_empty() && q.to.is_empty() {
                    q.range = "7d".into();
                }
                view! {
                    <FilterForm action="/overview" query=q teams>
                        <label for="stack">"Stack by"</label>
                        <select id="stack" name="stack">
                            {STACKS.iter().map(|s| view! { <option value=*s selected=stack == *s>{*s}</option> }).collect_view()}
                        </select>
                        <label for="tz">"Time zone"</label>
                        <select id="tz" name="tz">
                            {(!tz.is_empty() && !ZONES.contains(&tz.as_str())).then(|| view! { <option value=tz.clone() selected=true>{tz.clone()}</option> })}
                            {ZONES.iter().map(|z| view! { <option value=*z selected=tz == *z || (tz.is_empty() && *z == "UTC")>{*z}</option> }).collect_view()}
                        </select>
                    </FilterForm>
                }
            })}
        </Suspense>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(o) => view! {
                        <p class="note" data-testid="overview-range">{format!("{} to {} (UTC, whole hours), compared with the same length before.", o.from, o.to)}</p>
                        <KpiRow now=o.current before=o.previous links=o.kpi_links.clone() open_incidents=o.open_incidents/>
                        <ChartGrid charts=o.charts/>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The four headline numbers, each with its change and a link to what it counts.
#[component]
fn KpiRow(now: Kpis, before: Kpis, links: [String; 4], open_incidents: u64) -> impl IntoView {
    let [events, security, high, people] = links;
    view! {
        <div class="kpis" data-testid="kpis">
            <Kpi label="Events" now=now.events before=before.events href=events/>
            <Kpi label="Security events" now=now.security before=before.security href=security/>
            <Kpi label="High severity" now=now.high before=before.high href=high/>
            <Kpi label="Active people" now=now.people before=before.people href=people/>
            <a class="kpi kpi-incidents" href="/incidents?state=triggered,open,investigating" data-testid="kpi-incidents">
                <span class="kpi-label">"Open incidents"</span>
                <span class="kpi-value" data-testid="kpi-incidents-value">{open_incidents.to_string()}</span>
                <span class="kpi-change">"not yet resolved"</span>
            </a>
        </div>
    }
}

/// One number with its change against the previous range.
#[component]
fn Kpi(label: &'static str, now: u64, before: u64, href: String) -> impl IntoView {
    let change = match (now, before) {
        (0, 0) => "no change".to_owned(),
        (_, 0) => "new".to_owned(),
        _ => format!(
            "{:+.0}% vs previous",
            (now as f64 - before as f64) * 100.0 / before as f64
        ),
    };
    view! {
        <a class="kpi" href=href data-testid="kpi">
            <span class="kpi-label">{label}</span>
            <span class="kpi-value" data-testid="kpi-value">{now.to_string()}</span>
            <span class="kpi-change">{change}</span>
        </a>
    }
}
