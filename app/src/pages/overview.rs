//! The Overview: headline numbers for a range of days against the range before, from the daily
//! rollups. The range lives in the URL (`?days=7`), so reloads and links keep it.

use crate::api::overview::{overview_kpis, DAY_RANGES};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The Overview page.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let params = use_query_map();
    let days = move || {
        params
            .read()
            .get("days")
            .and_then(|d| d.parse::<u32>().ok())
            .filter(|d| DAY_RANGES.contains(d))
            .unwrap_or(7)
    };
    let data = Resource::new(days, overview_kpis);
    view! {
        <Title text="Overview"/>
        <div class="page-head">
            <h1>"Overview"</h1>
            <nav class="ranges" aria-label="Range">
                {DAY_RANGES.iter().map(|d| {
                    let label = if *d == 1 { "Today".to_owned() } else { format!("{d} days") };
                    view! { <a href=format!("/overview?days={d}") aria-current=move || (days() == *d).then_some("page")>{label}</a> }
                }).collect_view()}
            </nav>
        </div>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(o) => view! {
                        <p class="note">{format!("{} to {} (UTC), compared with the {} day(s) before.", o.first, o.last, days())}</p>
                        <div class="kpis" data-testid="kpis">
                            <Kpi label="Events" now=o.current.events before=o.previous.events filter="".to_owned()/>
                            <Kpi label="Security events" now=o.current.security before=o.previous.security filter="&category=security".to_owned()/>
                            <Kpi label="High severity" now=o.current.high before=o.previous.high filter="&severity=high".to_owned()/>
                            <Kpi label="Active people" now=o.current.people before=o.previous.people filter=String::new()/>
                        </div>
                        <p class="note">"Charts by product, person, operation and hour are the next part of this page."</p>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One number with its change against the previous range; links to the matching events.
#[component]
fn Kpi(label: &'static str, now: i64, before: i64, filter: String) -> impl IntoView {
    let change = match (now, before) {
        (_, 0) if now == 0 => "no change".to_owned(),
        (_, 0) => "new".to_owned(),
        _ => format!(
            "{:+.0}% vs previous",
            (now - before) as f64 * 100.0 / before as f64
        ),
    };
    view! {
        <a class="kpi" href=format!("/events?range=90d{filter}") data-testid="kpi">
            <span class="kpi-label">{label}</span>
            <span class="kpi-value" data-testid="kpi-value">{now.to_string()}</span>
            <span class="kpi-change">{change}</span>
        </a>
    }
}
