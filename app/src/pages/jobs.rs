//! The Jobs page: the jobs of one queue (sync runs, rule evaluations, alert deliveries) by status
//! and stream (filters in the URL), with retry, kill and a
//! bulk retry of every failed job the filter matches. It refreshes itself while jobs are queued
//! or running. Each job links to its page, which lists every attempt with its error.

use crate::api::jobs::{get_job, list_jobs, JobRow, KillJob, RetryFailed, RetryJob};
use crate::components::refresh::AutoRefresh;
use crate::components::time::UtcTime;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

const STATUSES: [&str; 5] = ["pending", "running", "done", "failed", "killed"];

const QUEUES: [(&str, &str); 3] = [
    ("sync", "sync runs"),
    ("rules", "rule evaluations"),
    ("deliveries", "alert deliveries"),
];

/// The Jobs page.
#[component]
pub fn JobsPage() -> impl IntoView {
    let query = use_query_map();
    let status = move || query.read().get("status").filter(|s| !s.is_empty());
    let stream = move || query.read().get("stream").filter(|s| !s.is_empty());
    let queue = move || query.read().get("queue").filter(|s| !s.is_empty());
    let retry = ServerAction::<RetryJob>::new();
    let kill = ServerAction::<KillJob>::new();
    let retry_failed = ServerAction::<RetryFailed>::new();
    let listing = Resource::new(
        move || {
            (
                status(),
                stream(),
                queue(),
                retry.version().get() + kill.version().get() + retry_failed.version().get(),
            )
        },
        |(status, stream, queue, _)| list_jobs(status, stream, queue),
    );
    let busy = Signal::derive(move || {
        listing.get().and_then(Result::ok).is_some_and(|l| {
            l.rows
                .iter()
                .any(|r| r.status == "pending" || r.status == "running" || r.retrying_at.is_some())
        })
    });
    view! {
        <Title text="Jobs"/>
        <AutoRefresh active=busy refetch=move || listing.refetch()/>
        <div class="page-head">
            <h1>"Jobs"</h1>
        </div>
        <Suspense fallback=|| view! { <p class="loading">"Loading jobs…"</p> }>
            {move || Suspend::new(async move {
                match listing.await {
                    Ok(l) => {
                        let counts = l.counts.clone();
                        let streams = l.streams.clone();
                        view! {
                            <p class="counts" data-testid="job-counts">
                                {counts.into_iter().map(|(s, n)| view! { <span class=format!("state state-{s}")>{format!("{s}: {n}")}</span> " " }).collect_view()}
                            </p>
                            <form method="get" action="/jobs" class="filters">
                                <label for="job-queue">"Queue"</label>
                                <select id="job-queue" name="queue">
                                    {QUEUES.iter().map(|(v, l)| view! { <option value=*v selected=queue().as_deref().unwrap_or("sync") == *v>{*l}</option> }).collect_view()}
                                </select>
                                <label for="job-status">"Status"</label>
                                <select id="job-status" name="status">
                                    <option value="" selected=status().is_none()>"any"</option>
                                    {STATUSES.iter().map(|s| view! { <option value=*s selected=status().as_deref() == Some(*s)>{*s}</option> }).collect_view()}
                                </select>
                                <label for="job-stream">"Connector"</label>
                                <select id="job-stream" name="stream">
                                    <option value="" selected=stream().is_none()>"any"</option>
                                    {streams.into_iter().map(|s| { let sel = stream().as_deref() == Some(s.as_str()); view! { <option value=s.clone() selected=sel>{s.clone()}</option> } }).collect_view()}
                                </select>
                                <button type="submit">"Filter"</button>
                            </form>
                            <ActionForm action=retry_failed attr:class="inline-form">
                                <input type="hidden" name="stream" value=stream().unwrap_or_default()/>
                                <button type="submit">"Retry all failed"</button>
                            </ActionForm>
                            {move || retry_failed.value().get().and_then(Result::ok).map(|n| view! { <p class="note" role="status">{format!("{n} failed job(s) sent back to the queue")}</p> })}
                            <JobTable rows=l.rows retry kill/>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn JobTable(
    rows: Vec<JobRow>,
    retry: ServerAction<RetryJob>,
    kill: ServerAction<KillJob>,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <div class="empty" data-testid="jobs-empty"><h2>"No jobs match"</h2></div> }.into_any();
    }
    view! {
        <table class="jobs" data-testid="jobs-table">
            <thead>
                <tr>
                    <th scope="col">"Job"</th>
                    <th scope="col">"Connector"</th>
                    <th scope="col">"Window (UTC)"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Attempts"</th>
                    <th scope="col">"Queued"</th>
                    <th scope="col">"Duration"</th>
                    <th scope="col">"Worker"</th>
                    <th scope="col">"Last error"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|j| {
                    let id = j.id.clone();
                    let can_retry = j.status == "killed" || (j.status == "failed" && j.retrying_at.is_none());
                    let can_kill = j.status == "pending" || j.status == "running" || j.retrying_at.is_some();
                    view! {
                        <tr data-job=j.id.clone() data-status=j.status.clone()>
                            <td><a href=format!("/jobs/{}", j.id)><code>{short(&j.id)}</code></a></td>
                            <td><code>{j.stream.clone()}</code>" "<small>{j.trigger.clone()}</small></td>
                            <td><small>{j.window.map(|(from, to)| format!("{} → {}", from.format("%m-%d %H:%M"), to.format("%m-%d %H:%M")))}</small></td>
                            <td>
                                <span class=format!("state state-{}", j.status) data-testid="job-status">{j.status.clone()}</span>
                                {j.retrying_at.map(|t| view! { <br/><small>"retry "<UtcTime at=Some(t)/></small> })}
                            </td>
                            <td class="number">{format!("{}/{}", j.attempts, j.max_attempts)}</td>
                            <td><UtcTime at=Some(j.created_at)/></td>
                            <td class="number">{j.duration_ms.map(|d| format!("{:.1} s", d as f64 / 1000.0))}</td>
                            <td><small>{j.worker.clone()}</small></td>
                            <td class="error-cell">{j.last_error.clone()}</td>
                            <td>
                                {can_retry.then(|| { let id = id.clone(); view! {
                                    <ActionForm action=retry attr:class="inline-form">
                                        <input type="hidden" name="id" value=id/>
                                        <button type="submit">"Retry"</button>
                                    </ActionForm>
                                }})}
                                {can_kill.then(|| view! {
                                    <ActionForm action=kill attr:class="inline-form">
                                        <input type="hidden" name="id" value=id.clone()/>
                                        <button type="submit" class="danger">"Kill"</button>
                                    </ActionForm>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

fn short(id: &str) -> String {
    id.chars()
        .rev()
        .take(8)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}

/// A job's page: its summary and every attempt.
#[component]
pub fn JobPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let retry = ServerAction::<RetryJob>::new();
    let job = Resource::new(move || (id(), retry.version().get()), |(id, _)| get_job(id));
    let busy = Signal::derive(move || {
        job.get()
            .and_then(Result::ok)
            .is_some_and(|j| j.job.status == "pending" || j.job.status == "running")
    });
    view! {
        <Title text="Job"/>
        <AutoRefresh active=busy refetch=move || job.refetch()/>
        <p><a href="/jobs">"← Jobs"</a></p>
        <Suspense fallback=|| view! { <p class="loading">"Loading the job…"</p> }>
            {move || Suspend::new(async move {
                match job.await {
                    Ok(view) => {
                        let j = view.job.clone();
                        view! {
                            <h1>"Job "<code>{j.id.clone()}</code></h1>
                            <dl class="facts">
                                <dt>"Connector"</dt><dd><code>{j.stream.clone()}</code></dd>
                                <dt>"Status"</dt><dd><span class=format!("state state-{}", j.status) data-testid="job-status">{j.status.clone()}</span></dd>
                                <dt>"Attempts"</dt><dd>{format!("{} of {}", j.attempts, j.max_attempts)}</dd>
                                <dt>"Queued"</dt><dd><UtcTime at=Some(j.created_at)/>" by "{j.trigger.clone()}</dd>
                                <dt>"Finished"</dt><dd><UtcTime at=j.finished_at/></dd>
                            </dl>
                            {(j.status == "killed" || (j.status == "failed" && j.retrying_at.is_none())).then(|| view! {
                                <ActionForm action=retry attr:class="inline-form">
                                    <input type="hidden" name="id" value=j.id.clone()/>
                                    <button type="submit">"Retry"</button>
                                </ActionForm>
                            })}
                            <h2>"Attempts"</h2>
                            <ol class="attempts" data-testid="attempts">
                                {view.attempts.into_iter().map(|a| view! {
                                    <li>
                                        <p>
                                            <strong>{format!("Attempt {}", a.attempt)}</strong>" "
                                            <span class=format!("state state-{}", a.status)>{a.status.clone()}</span>" "
                                            <small>{a.worker.clone()}" · "<UtcTime at=a.started_at/>" → "<UtcTime at=a.finished_at/></small>
                                        </p>
                                        {a.error.map(|e| view! { <pre class="error">{e}</pre> })}
                                        {a.result.map(|r| view! { <pre>{r}</pre> })}
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}
