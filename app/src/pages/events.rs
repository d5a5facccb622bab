//! The Events page: the events matching the filters in the URL, newest first, with keyset paging
//! and a page-size choice. The filter form is a plain `GET` form, so it works without JavaScript
//! and every view has a URL: reloads and shared links show the same events. "Share" links the
//! same view with a relative range frozen to absolute times.

use crate::api::events::{count_matching_events, filter_teams, list_events, EventListing};
use crate::components::filter_form::use_event_query;
use crate::components::filter_form::FilterForm as SharedFilters;
use domain::query::EventQuery;
use domain::PageSize;
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
    let query = use_event_query();
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
    let total = Resource::new(move || query.get(), count_matching_events);

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
        <Suspense fallback=|| view! { <p class="count loading">"Counting…"</p> }>
            {move || Suspend::new(async move {
                total.await.ok().map(|t| view! {
                    <p class="count" data-testid="total-count"
                        title=if t.from_rollups { "whole hours from the daily rollups, partial hours counted in the events" } else { "counted in the events" }>
                        {format!("{} {}", thousands(t.total), if t.total == 1 { "event" } else { "events" })}
                    </p>
                })
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

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The shared filters plus the Events-only ones: IP or CIDR, free text and the page size.
#[component]
fn FilterForm(query: EventQuery, limit: u32, teams: Vec<(String, String)>) -> impl IntoView {
    let q = query.clone();
    // With JavaScript, a new page size applies at once, without reloading the document.
    let navigate = use_navigate();
    let change_size = move |ev: leptos::ev::Event| {
        if let Ok(size) = event_target_value(&ev).parse::<u32>() {
            navigate(&events_url(&query, size, None), Default::default());
        }
    };
    view! {
        <SharedFilters action="/events" query=q.clone() teams>
            <label for="ip">"IP or CIDR"</label>
            <input id="ip" name="ip" type="text" placeholder="10.0.0.0/8" value=q.ip.clone() size="18"/>
            <label for="q">"Text"</label>
            <input id="q" name="q" type="search" placeholder="operation or object" value=q.q.clone() size="20"/>
            <label for="limit">"Per page"</label>
            <select id="limit" name="limit" on:change=change_size>
                {PageSize::CHOICES.iter().map(|n| view! { <option value=n.to_string() selected=limit == *n>{n.to_string()}</option> }).collect_view()}
            </select>
        </SharedFilters>
    }
}

/// The table of one page, or the empty state.
#[component]
fn EventTable(page: EventListing, query: EventQuery, limit: u32, first: bool) -> impl IntoView {
    let share = format!("/events?{}", page.share_query);
    let alert_on_this = alert_on_this(&page.share_query);
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
        <p class="share"><a href=share data-testid="share-link">"Share this view"</a>" (fixed times) · "<crate::components::export_links::ExportLinks query=page.share_query.clone()/>" · "<a href=alert_on_this data-testid="alert-on-this">"Alert on this"</a></p>
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
                                <td class="time"><a href=format!("/events/{}", domain::url::encode_component(&row.id))>{row.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string()}</a></td>
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

/// The new-rule form with this view's filter (without its time range: a rule looks at what
/// arrives) pre-filled.
fn alert_on_this(share_query: &str) -> String {
    let mut q = domain::rule::parse_filter(share_query).unwrap_or_default();
    q.range.clear();
    q.from.clear();
    q.to.clear();
    format!(
        "/rules/new?filter={}",
        domain::url::encode_component(&q.to_query(&[]))
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn totals_get_thousands_separators() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }
}
