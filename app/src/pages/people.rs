//! People: the ranking by activity for a range (or a search by name, e-mail or id), and each
//! person's page — accounts, teams, activity across products, top operations, security events
//! and work items with links back to their products.

use crate::api::events::EventRow;
use crate::api::people::{list_people, load_person, Ranked};
use crate::components::charts::ChartGrid;
use crate::components::filter_form::use_event_query;
use domain::query::RANGES;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// `/people?range=…&text=…`.
#[component]
pub fn PeoplePage() -> impl IntoView {
    let params = use_query_map();
    let query = use_event_query();
    let text = move || params.read().get("text").unwrap_or_default();
    let listing = Resource::new(move || (query.get(), text()), |(q, t)| list_people(q, t));
    view! {
        <Title text="People"/>
        <div class="page-head"><h1>"People"</h1></div>
        <form method="get" action="/people" class="filters" data-testid="people-search">
            <RangeChoice current=query.get_untracked().range/>
            <label for="text">"Name, e-mail or id"</label>
            <input id="text" name="text" type="search" value=text() size="28"/>
            <button type="submit">"Search"</button>
        </form>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match listing.await {
                    Ok(r) if r.rows.is_empty() => view! { <p class="empty">"Nobody matches."</p> }.into_any(),
                    Ok(r) => view! {
                        <p class="note">{format!("Activity from {} to {} (UTC).", r.from, r.to)}</p>
                        <RankingTable rows=r.rows base="/people/" what="Person"/>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The range `<select>` of a ranking form.
#[component]
pub fn RangeChoice(current: String) -> impl IntoView {
    let current = if current.is_empty() {
        "30d".to_owned()
    } else {
        current
    };
    view! {
        <label for="range">"Range"</label>
        <select id="range" name="range">
            {RANGES.iter().map(|(v, text)| view! { <option value=*v selected=current == *v>{*text}</option> }).collect_view()}
        </select>
    }
}

/// Rows of people or teams with their events and security events, each linking to its page.
#[component]
pub fn RankingTable(rows: Vec<Ranked>, base: &'static str, what: &'static str) -> impl IntoView {
    view! {
        <table class="events ranking" data-testid="ranking">
            <thead><tr><th scope="col">{what}</th><th scope="col" class="num">"Events"</th><th scope="col" class="num">"Security events"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|r| view! {
                    <tr>
                        <td><a href=format!("{base}{}", domain::url::encode_component(&r.id))>{r.name}</a></td>
                        <td class="num">{r.events.to_string()}</td>
                        <td class="num">{r.security.to_string()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// A compact list of events (time, product, operation, object, severity).
#[component]
pub fn EventList(rows: Vec<EventRow>, testid: &'static str) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"None in this range."</p> }.into_any();
    }
    view! {
        <table class="events" data-testid=testid>
            <thead><tr><th scope="col">"When (UTC)"</th><th scope="col">"Product"</th><th scope="col">"Operation"</th><th scope="col">"Object"</th><th scope="col">"Severity"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|row| {
                    let severity = row.severity.as_str();
                    view! {
                        <tr>
                            <td class="time"><a href=format!("/events/{}", domain::url::encode_component(&row.id))>{row.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string()}</a></td>
                            <td><span class=format!("product product-{}", row.product) data-testid="product">{row.product.as_str()}</span></td>
                            <td class="operation">{row.operation.as_str()}</td>
                            <td>{row.object.unwrap_or_else(|| "—".to_owned())}</td>
                            <td><span class=format!("severity severity-{severity}")>{severity}</span></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// `/people/:id?range=…`.
#[component]
pub fn PersonPage() -> impl IntoView {
    let path = use_params_map();
    let id = move || path.read().get("id").unwrap_or_default();
    let query = use_event_query();
    let page = Resource::new(move || (id(), query.get()), |(id, q)| load_person(id, q));
    view! {
        <Title text="Person"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! {
                        <div class="page-head">
                            <h1 data-testid="person-name">{p.name.clone()}</h1>
                            <form method="get" action=format!("/people/{}", domain::url::encode_component(&p.id)) class="filters inline">
                                <RangeChoice current=query.get_untracked().range/>
                                <button type="submit">"Show"</button>
                            </form>
                        </div>
                        <p class="note">
                            {format!("{} · activity from {} to {} (UTC) · ", p.id, p.from, p.to)}
                            <a href=format!("/events?{}", p.events_query)>"all their events"</a>
                        </p>
                        <section class="panel">
                            <h2>"Activity by product"</h2>
                            <ul class="tags" data-testid="person-products">
                                {p.products.iter().map(|(product, n)| view! { <li><span class=format!("product product-{product}")>{product.clone()}</span>" "{n.to_string()}</li> }).collect_view()}
                            </ul>
                            <h2>"Accounts"</h2>
                            <table class="events" data-testid="accounts">
                                <thead><tr><th scope="col">"Account"</th><th scope="col">"Name"</th><th scope="col">"E-mail"</th><th scope="col">"Products"</th></tr></thead>
                                <tbody>
                                    {p.accounts.into_iter().map(|a| view! {
                                        <tr>
                                            <td><code>{a.account_id.unwrap_or_else(|| "—".into())}</code></td>
                                            <td>{a.name.unwrap_or_else(|| "—".into())}</td>
                                            <td>{a.email.unwrap_or_else(|| "—".into())}</td>
                                            <td>{a.products.join(", ")}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <h2>"Teams"</h2>
                            {if p.teams.is_empty() {
                                view! { <p class="empty">"In no team."</p> }.into_any()
                            } else {
                                view! { <ul class="tags">{p.teams.into_iter().map(|(id, name)| view! { <li><a href=format!("/teams/{}", domain::url::encode_component(&id))>{name}</a></li> }).collect_view()}</ul> }.into_any()
                            }}
                        </section>
                        <ChartGrid charts=p.charts/>
                        <section class="panel">
                            <h2>"Work items"</h2>
                            {if p.work_items.is_empty() {
                                view! { <p class="empty">"None in this range."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="events" data-testid="work-items">
                                        <thead><tr><th scope="col">"Item"</th><th scope="col">"Title"</th><th scope="col">"In"</th><th scope="col">"Last action"</th><th scope="col">"When (UTC)"</th></tr></thead>
                                        <tbody>
                                            {p.work_items.into_iter().map(|w| {
                                                let label = format!("{} {} {}", w.product, w.kind.replace('_', " "), w.key);
                                                view! {
                                                    <tr>
                                                        <td>{match w.url { Some(u) => view! { <a href=u rel="noreferrer" target="_blank">{label}</a> }.into_any(), None => view! { <span>{label}</span> }.into_any() }}</td>
                                                        <td>{w.title.unwrap_or_else(|| "—".into())}</td>
                                                        <td>{w.container.unwrap_or_else(|| "—".into())}</td>
                                                        <td class="operation">{w.last_operation}</td>
                                                        <td class="time">{w.at.replace('T', " ").trim_end_matches('Z').to_owned()}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                        </section>
                        <section class="panel">
                            <h2>"Recent security events"</h2>
                            <EventList rows=p.security testid="security-events"/>
                        </section>
                        <section class="panel">
                            <h2>"Recent activity"</h2>
                            <EventList rows=p.recent testid="recent-events"/>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}
