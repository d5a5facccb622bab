//! The Events page: the events matching the filters in the URL, newest first, with keyset paging
//! and a page-size choice. The filter form is a plain `GET` form, so it works without JavaScript
//! and every view has a URL: reloads and shared links show the same events. "Share" links the
//! same view with a relative range frozen to absolute times.

use crate::api::events::{filter_teams, list_events, EventListing};
use crate::filters::{EventQuery, RANGES};
use domain::{Category, Operation, PageSize, Pipeline, Product, Severity};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

/// `/events?<filters>&limit=N&before=CURSOR`.
fn events_url(query: &EventQuery, limit: u32, before: Option<&str>) -> String {
    let mut extra = vec![("limit", limit.to_string())];
    if let Some(b) = before {
        extra.push(("before", b.to_owned()));
    }
    format!("/events?{}", query.to_query(&extra))
}

/// The Events page.
#[component]
pub fn EventsPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let map = params.read();
        EventQuery::from_lookup(|k| map.get(k))
    });
    let limit = move || {
        params
            .read()
            .get("limit")
            .and_then(|l| l.parse::<u32>().ok())
            .filter(|l| PageSize::CHOICES.contains(l))
            .unwrap_or(PageSize::default().get())
    };
    let before = move || params.read().get("before").filter(|b| !b.is_empty());
    let listing = Resource::new(
        move || (query.get(), limit(), before()),
        |(q, l, b)| list_events(q, Some(l), b),
    );
    let teams = Resource::new(|| (), |_| filter_teams());

    view! {
        <Title text="Events"/>
        <div class="page-head">
            <h1>"Events"</h1>
        </div>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let teams = teams.await.unwrap_or_default();
                view! { <FilterForm query=query.get_untracked() limit=limit() teams/> }
            })}
        </Suspense>
        <Suspense fallback=|| view! { <p class="loading">"Loading events…"</p> }>
            {move || Suspend::new(async move {
                match listing.await {
                    Ok(page) => view! { <EventTable page query=query.get_untracked() limit=limit() first=before().is_none()/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A `<select>` over a vocabulary, with "any" first.
fn choice<T: Copy + std::fmt::Display>(
    id: &'static str,
    label: &'static str,
    all: &'static [T],
    current: &str,
) -> impl IntoView {
    let current = current.to_owned();
    view! {
        <label for=id>{label}</label>
        <select id=id name=id>
            <option value="" selected=current.is_empty()>"any"</option>
            {all.iter().map(|v| {
                let text = v.to_string();
                let selected = current == text;
                view! { <option value=text.clone() selected=selected>{text.clone()}</option> }
            }).collect_view()}
        </select>
    }
}

/// The filters, as a `GET` form over the same URL parameters.
#[component]
fn FilterForm(query: EventQuery, limit: u32, teams: Vec<(String, String)>) -> impl IntoView {
    let q = query.clone();
    // With JavaScript, a new page size applies at once, without reloading the document.
    let navigate = use_navigate();
    let current = query.clone();
    let change_size = move |ev: leptos::ev::Event| {
        if let Ok(size) = event_target_value(&ev).parse::<u32>() {
            navigate(&events_url(&current, size, None), Default::default());
        }
    };
    view! {
        <form method="get" action="/events" class="filters" data-testid="event-filters">
            <label for="range">"Range"</label>
            <select id="range" name="range">
                <option value="" selected=q.range.is_empty()>"all time / custom"</option>
                {RANGES.iter().map(|(v, text)| view! { <option value=*v selected=q.range == *v>{*text}</option> }).collect_view()}
            </select>
            <label for="from">"From (UTC)"</label>
            <input id="from" name="from" type="text" placeholder="YYYY-MM-DD" value=q.from.clone() size="20"/>
            <label for="to">"To (UTC)"</label>
            <input id="to" name="to" type="text" placeholder="YYYY-MM-DD" value=q.to.clone() size="20"/>
            {choice("product", "Product", Product::ALL, &q.product)}
            {choice("pipeline", "Pipeline", Pipeline::ALL, &q.pipeline)}
            {choice("category", "Category", Category::ALL, &q.category)}
            {choice("severity", "Severity", Severity::ALL, &q.severity)}
            {choice("operation", "Operation", Operation::ALL, &q.operation)}
            <label for="team">"Team"</label>
            <select id="team" name="team">
                <option value="" selected=q.team.is_empty()>"any"</option>
                {teams.into_iter().map(|(id, name)| { let sel = q.team == id; view! { <option value=id.clone() selected=sel>{name}</option> } }).collect_view()}
            </select>
            <label for="person">"Person"</label>
            <input id="person" name="person" type="text" placeholder="person:…" value=q.person.clone() size="24"/>
            <label for="ip">"IP or CIDR"</label>
            <input id="ip" name="ip" type="text" placeholder="10.0.0.0/8" value=q.ip.clone() size="18"/>
            <label for="q">"Text"</label>
            <input id="q" name="q" type="search" placeholder="operation or object" value=q.q.clone() size="20"/>
            <label for="limit">"Per page"</label>
            <select id="limit" name="limit" on:change=change_size>
                {PageSize::CHOICES.iter().map(|n| view! { <option value=n.to_string() selected=limit == *n>{n.to_string()}</option> }).collect_view()}
            </select>
            <button type="submit">"Apply"</button>
            {(!query.is_empty()).then(|| view! { <a href="/events" class="reset">"Clear"</a> })}
        </form>
    }
}

/// The table of one page, or the empty state.
#[component]
fn EventTable(page: EventListing, query: EventQuery, limit: u32, first: bool) -> impl IntoView {
    let share = format!("/events?{}", page.share_query);
    if page.rows.is_empty() && first {
        let filtered = !query.is_empty();
        return view! {
            <div class="empty" data-testid="events-empty">
                {if filtered {
                    view! { <h2>"No events match these filters"</h2><p><a href="/events">"Clear the filters"</a></p> }.into_any()
                } else {
                    view! { <h2>"No events yet"</h2><p>"Events appear here once a connector has synced audit logs or activity from Atlassian."</p> }.into_any()
                }}
            </div>
        }
        .into_any();
    }
    let next = page.next_cursor.clone();
    let person_link = {
        let query = query.clone();
        move |person: &str| {
            let q = EventQuery {
                person: person.to_owned(),
                ..query.clone()
            };
            events_url(&q, limit, None)
        }
    };
    view! {
        <p class="share"><a href=share data-testid="share-link">"Share this view"</a>" (fixed times)"</p>
        <table class="events" data-testid="events-table">
            <thead>
                <tr>
                    <th scope="col">"Time (UTC)"</th>
                    <th scope="col">"Product"</th>
                    <th scope="col">"Operation"</th>
                    <th scope="col">"Actor"</th>
                    <th scope="col">"Object"</th>
                    <th scope="col">"Severity"</th>
                </tr>
            </thead>
            <tbody>
                {page
                    .rows
                    .into_iter()
                    .map(|row| {
                        let severity = row.severity.as_str();
                        let actor = row.actor.unwrap_or_else(|| "—".to_owned());
                        let actor_cell = match &row.person {
                            Some(p) => view! { <a href=person_link(p)>{actor}</a> }.into_any(),
                            None => view! { <span>{actor}</span> }.into_any(),
                        };
                        view! {
                            <tr>
                                <td class="time"><a href=format!("/events/{}", crate::url::encode_component(&row.id))>{row.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string()}</a></td>
                                <td><span class=format!("product product-{}", row.product)>{row.product.as_str()}</span></td>
                                <td class="operation">{row.operation.as_str()}</td>
                                <td>{actor_cell}</td>
                                <td>{row.object.unwrap_or_else(|| "—".to_owned())}</td>
                                <td><span class=format!("severity severity-{severity}")>{severity}</span></td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        <nav class="pager" aria-label="Pages">
            {(!first).then(|| view! { <a href=events_url(&query, limit, None)>"← Newest"</a> })}
            {next.map(|cursor| view! { <a rel="next" href=events_url(&query, limit, Some(&cursor))>"Older →"</a> })}
        </nav>
    }
    .into_any()
}
