//! The Sync page: one row per stream of every configured deployment — its state, last success,
//! cursor, last error and last run's counters, and a "Sync now" button. While a run is queued or
//! running the page refreshes itself. Below, the audit actions that fell outside the operation
//! vocabulary lately, and the sign-ins the throttle refused lately, so an operator sees who is
//! being kept out, from where and why.

use crate::api::auth::{sign_in_refusals, RefusalRow};
use crate::api::sync::{
    sync_status, unmapped_actions, SyncNow, SyncRow, UnmappedActionView, UNMAPPED_DAYS,
};
use crate::components::refresh::AutoRefresh;
use crate::components::time::UtcTime;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

/// The Sync page.
#[component]
pub fn SyncPage() -> impl IntoView {
    let sync_now = ServerAction::<SyncNow>::new();
    let status = Resource::new(move || sync_now.version().get(), |_| sync_status());
    let busy = Signal::derive(move || {
        status.get().and_then(Result::ok).is_some_and(|rows| {
            rows.iter()
                .any(|r| r.state == "queued" || r.state == "running")
        })
    });
    view! {
        <Title text="Sync"/>
        <AutoRefresh active=busy refetch=move || status.refetch()/>
        <div class="page-head">
            <h1>"Sync"</h1>
            <ActionForm action=sync_now attr:class="inline-form">
                <input type="hidden" name="stream" value="all"/>
                <button type="submit">"Sync all now"</button>
            </ActionForm>
        </div>
        {move || sync_now.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
        <Suspense fallback=|| view! { <p class="loading">"Loading connectors…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(rows) if rows.is_empty() => view! {
                        <div class="empty" data-testid="sync-empty">
                            <h2>"No deployments configured"</h2>
                            <p>"Point ATLASLENS_CONFIG at a deployments file (see deployments.example.toml), or run the demo with "<code>"make run"</code>"."</p>
                        </div>
                    }.into_any(),
                    Ok(rows) => view! { <SyncTable rows sync_now/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
        <UnmappedActions/>
        <SignInRefusalsSection/>
    }
}

/// The source actions stored as `audit_other` lately: each is a gap in the operation vocabulary.
#[component]
fn UnmappedActions() -> impl IntoView {
    let actions = Resource::new(|| (), |_| unmapped_actions());
    view! {
        <section class="unmapped" aria-labelledby="unmapped-heading" data-testid="unmapped-actions">
            <h2 id="unmapped-heading">{format!("Audit actions outside the vocabulary (last {UNMAPPED_DAYS} days)")}</h2>
            <p class="note">"Stored as " <code>"audit_other"</code> " at medium severity until the vocabulary names them (docs/normalisation.md); " <code>"atlaslens normalisation-report"</code> " lists the same."</p>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match actions.await {
                        Ok(list) if list.is_empty() => view! { <p>"Every audit action maps to a named operation."</p> }.into_any(),
                        Ok(list) => view! { <UnmappedTable list/> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn UnmappedTable(list: Vec<UnmappedActionView>) -> impl IntoView {
    view! {
        <table>
            <thead>
                <tr>
                    <th scope="col">"Product"</th>
                    <th scope="col">"Source action"</th>
                    <th scope="col">"Events"</th>
                    <th scope="col">"Last seen"</th>
                </tr>
            </thead>
            <tbody>
                {list.into_iter().map(|a| view! {
                    <tr>
                        <td>{a.product.as_str()}</td>
                        <th scope="row"><code>{a.action}</code></th>
                        <td class="number"><a href=a.href>{a.events.to_string()}</a></td>
                        <td><UtcTime at=Some(a.last_seen)/></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The throttle's recent refusals: when, which username, from which address, why, how often.
#[component]
fn SignInRefusalsSection() -> impl IntoView {
    let refusals = Resource::new(|| (), |_| sign_in_refusals());
    view! {
        <section class="refusals" data-testid="sign-in-refusals">
            <h2>"Refused sign-ins"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading refused sign-ins…"</p> }>
                {move || Suspend::new(async move {
                    match refusals.await {
                        Ok(r) if r.recent.is_empty() => view! {
                            <p class="note">"The sign-in throttle has refused nothing in the last week."</p>
                        }.into_any(),
                        Ok(r) => view! {
                            <p class="count" data-testid="refusals-24h">{format!("{} refused in the last 24 hours; the latest by throttle, address and hour:", r.last_24h)}</p>
                            <RefusalTable rows=r.recent/>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn RefusalTable(rows: Vec<RefusalRow>) -> impl IntoView {
    view! {
        <table class="events refusals" data-testid="refusals-table">
            <thead>
                <tr>
                    <th scope="col">"Last refused (UTC)"</th>
                    <th scope="col">"Username"</th>
                    <th scope="col">"Address"</th>
                    <th scope="col">"Throttle"</th>
                    <th scope="col">"Refused"</th>
                    <th scope="col">"Wait given"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|r| view! {
                    <tr data-reason=r.reason.as_str()>
                        <td class="time"><UtcTime at=Some(r.last_at)/></td>
                        <td>{match r.username {
                            Some(name) => view! { <code>{name}</code> }.into_any(),
                            None => view! { <span class="unknown-user">{domain::sign_in::UNKNOWN_USER}</span> }.into_any(),
                        }}</td>
                        <td><code>{r.address}</code></td>
                        <td>{r.reason.label()}</td>
                        <td class="number">{r.count.to_string()}" since "<UtcTime at=Some(r.first_at)/></td>
                        <td>{domain::sign_in::wait_text(r.retry_after_s)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn SyncTable(rows: Vec<SyncRow>, sync_now: ServerAction<SyncNow>) -> impl IntoView {
    view! {
        <table class="sync" data-testid="sync-table">
            <thead>
                <tr>
                    <th scope="col">"Connector"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Last success"</th>
                    <th scope="col">"Cursor (UTC)"</th>
                    <th scope="col">"Last run"</th>
                    <th scope="col">"Events stored"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| view! { <SyncRowView row sync_now/> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn SyncRowView(row: SyncRow, sync_now: ServerAction<SyncNow>) -> impl IntoView {
    let stream = row.stream.clone();
    let runnable = row.unavailable.is_none();
    let detail = match (&row.unavailable, &row.last_error) {
        (Some(reason), _) => Some(view! { <p class="note">{reason.clone()}</p> }.into_any()),
        (None, Some(error)) => Some(view! { <p class="error">{error.clone()}</p> }.into_any()),
        _ => None,
    };
    view! {
        <tr data-stream=row.stream.clone()>
            <th scope="row">
                <code>{row.stream.clone()}</code>
                {detail}
            </th>
            <td>
                <span class=format!("state state-{}", row.state.replace(' ', "-")) data-testid="sync-state">{row.state.clone()}</span>
                {row.active_job.clone().map(|id| view! { " " <a href=format!("/jobs/{id}")>"job"</a> })}
            </td>
            <td><UtcTime at=row.last_success_at/></td>
            <td><UtcTime at=row.cursor/></td>
            <td class="counters">
                {row.last_run.clone().map(|r| view! {
                    <span data-testid="last-run">
                        {format!("{} records, {} new, {} duplicates, {} late, {} rejected", r.records, r.inserted, r.duplicates, r.late, r.rejects)}
                    </span>
                    <br/>
                    <small>{format!("{} requests, {} rate-limited ({} ms waited), {:.1} s ({:.1} s storing){}", r.requests, r.rate_limited, r.waited_ms, r.duration_ms as f64 / 1000.0, r.store_ms as f64 / 1000.0, if r.succeeded { "" } else { ", failed" })}</small>
                })}
            </td>
            <td class="number" data-testid="total-events">{row.total_events.to_string()}</td>
            <td>
                {runnable.then(|| view! {
                    <ActionForm action=sync_now attr:class="inline-form">
                        <input type="hidden" name="stream" value=stream.clone()/>
                        <button type="submit" aria-label=format!("Sync {stream} now")>"Sync now"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}
