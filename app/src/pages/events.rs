//! The Events page: the newest events, one per row, with keyset paging and a page-size choice that
//! live in the URL (`?limit=…&before=…`), so reloads and shared links show the same page.

use crate::api::events::{list_events, EventListing};
use crate::url::encode_component;
use domain::PageSize;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

/// `/events?limit=N&before=CURSOR`.
fn events_url(limit: u32, before: Option<&str>) -> String {
    let mut url = format!("/events?limit={limit}");
    if let Some(b) = before {
        url.push_str("&before=");
        url.push_str(&encode_component(b));
    }
    url
}

/// The Events page.
#[component]
pub fn EventsPage() -> impl IntoView {
    let query = use_query_map();
    let limit = move || {
        query
            .read()
            .get("limit")
            .and_then(|l| l.parse::<u32>().ok())
            .filter(|l| PageSize::CHOICES.contains(l))
            .unwrap_or(PageSize::default().get())
    };
    let before = move || query.read().get("before").filter(|b| !b.is_empty());
    let listing = Resource::new(
        move || (limit(), before()),
        |(l, b)| list_events(Some(l), b),
    );
    let navigate = use_navigate();
    let change_size = move |ev: leptos::ev::Event| {
        if let Ok(size) = event_target_value(&ev).parse::<u32>() {
            navigate(&events_url(size, None), Default::default());
        }
    };

    view! {
        <Title text="Events"/>
        <div class="page-head">
            <h1>"Events"</h1>
            <form method="get" action="/events" class="inline-form">
                <label for="limit">"Per page"</label>
                <select id="limit" name="limit" on:change=change_size prop:value=move || limit().to_string()>
                    {PageSize::CHOICES
                        .iter()
                        .map(|n| view! { <option value=n.to_string() selected=move || limit() == *n>{n.to_string()}</option> })
                        .collect_view()}
                </select>
                <noscript><button type="submit">"Apply"</button></noscript>
            </form>
        </div>
        <Suspense fallback=|| view! { <p class="loading">"Loading events…"</p> }>
            {move || Suspend::new(async move {
                match listing.await {
                    Ok(page) => view! { <EventTable page limit=limit() first=before().is_none()/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The table of one page, or the empty state.
#[component]
fn EventTable(page: EventListing, limit: u32, first: bool) -> impl IntoView {
    if page.rows.is_empty() && first {
        return view! {
            <div class="empty" data-testid="events-empty">
                <h2>"No events yet"</h2>
                <p>"Events appear here once a connector has synced audit logs or activity from Atlassian."</p>
            </div>
        }
        .into_any();
    }
    let next = page.next_cursor.clone();
    view! {
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
                        view! {
                            <tr>
                                <td class="time">{row.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                <td><span class=format!("product product-{}", row.product)>{row.product.as_str()}</span></td>
                                <td class="operation">{row.operation.as_str()}</td>
                                <td>{row.actor.unwrap_or_else(|| "—".to_owned())}</td>
                                <td>{row.object.unwrap_or_else(|| "—".to_owned())}</td>
                                <td><span class=format!("severity severity-{severity}")>{severity}</span></td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        <nav class="pager" aria-label="Pages">
            {(!first).then(|| view! { <a href=events_url(limit, None)>"← Newest"</a> })}
            {next.map(|cursor| view! { <a rel="next" href=events_url(limit, Some(&cursor))>"Older →"</a> })}
        </nav>
    }
    .into_any()
}
