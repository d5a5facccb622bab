//! The Import page: an upload form (a plain multipart form, so it works without JavaScript), the
//! import being followed (`?id=`) with its progress bar, report and rejected records, and every
//! import so far — who, when, file, size, SHA-256, source, format, counts, days, duration.

use crate::api::imports::{get_import, import_choices, list_imports, ImportRow, ImportView};
use crate::components::refresh::AutoRefresh;
use crate::components::time::UtcTime;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The Import page.
#[component]
pub fn ImportsPage() -> impl IntoView {
    let query = use_query_map();
    let followed = move || query.with(|q| q.get("id").filter(|id| !id.is_empty()));
    let error = move || query.with(|q| q.get("error").filter(|e| !e.is_empty()));
    let choices = Resource::new(|| (), |_| import_choices());
    let current = Resource::new(followed, |id| async move {
        match id {
            Some(id) => get_import(id).await.map(Some),
            None => Ok(None),
        }
    });
    let list = Resource::new(|| (), |_| list_imports());
    let running = Signal::derive(move || {
        current
            .get()
            .and_then(Result::ok)
            .flatten()
            .is_some_and(|v| v.import.status == "running")
    });
    view! {
        <Title text="Import"/>
        <div class="page-head">
            <h1>"Import"</h1>
            <p><a href="/api/ingest/schema">"Generic event schema"</a>" · "<a href="/tokens">"Ingest tokens"</a></p>
        </div>
        <p class="note">"Import audit exports from before AtlasLens was installed, Atlassian's CSV exports, API pages saved as JSON, or generic events from systems outside Atlassian. A file is checked as a whole first (size, compression, encoding); each record then goes through the same normalisation as polling, and what cannot be read is kept with its line and reason. The same file twice stores nothing new. Large files: "<code>"atlaslens import FILE --deployment D"</code>"."</p>
        <AutoRefresh active=running refetch=move || { current.refetch(); list.refetch(); }/>
        {move || error().map(|e| view! { <p class="error" role="alert" data-testid="import-error">{e}</p> })}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match current.await {
                    Ok(Some(view)) => view! { <ImportReport view/> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
        <h2>"Upload a file"</h2>
        <form method="post" action="/api/imports" enctype="multipart/form-data" class="import-form" data-testid="import-form">
            <label for="import-file">"File (NDJSON, JSON, CSV or XML, optionally gzip-compressed)"</label>
            <input id="import-file" name="file" type="file" required/>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let c = choices.await.ok();
                    let deployments = c.as_ref().map(|c| c.deployments.clone()).unwrap_or_default();
                    let sources = c.map(|c| c.sources).unwrap_or_default();
                    view! {
                        <label for="import-deployment">"Deployment"</label>
                        {if deployments.is_empty() {
                            view! { <input id="import-deployment" name="deployment" type="text" required placeholder="acme"/> }.into_any()
                        } else {
                            view! { <select id="import-deployment" name="deployment">{deployments.into_iter().map(|d| view! { <option value=d.clone()>{d.clone()}</option> }).collect_view()}</select> }.into_any()
                        }}
                        <label for="import-source">"Records are"</label>
                        <select id="import-source" name="source">
                            {sources.into_iter().map(|s| view! { <option value=s.clone()>{if s == "auto" { "recognise them (auto)".to_owned() } else { s.clone() }}</option> }).collect_view()}
                        </select>
                    }
                })}
            </Suspense>
            <label for="import-format">"Format"</label>
            <select id="import-format" name="format">
                <option value="auto">"recognise it (auto)"</option>
                <option value="ndjson">"NDJSON"</option>
                <option value="json">"JSON"</option>
                <option value="csv">"CSV"</option>
                <option value="xml">"XML"</option>
            </select>
            <button type="submit" data-testid="import-submit">"Import"</button>
        </form>
        <h2>"Imports"</h2>
        <Suspense fallback=|| view! { <p class="loading">"Loading imports…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(rows) if rows.is_empty() => view! { <div class="empty" data-testid="imports-empty"><p>"No imports yet."</p></div> }.into_any(),
                    Ok(rows) => view! { <ImportTable rows/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// `12.3 MB`, `512 B`.
fn size(bytes: i64) -> String {
    match bytes {
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{:.1} kB", b as f64 / 1e3),
        b => format!("{b} B"),
    }
}

/// The Events page over the days an import added events to, for its product.
fn events_of(i: &ImportRow) -> String {
    let product = match i.source.as_str() {
        "jira-audit" | "jira-issues" => "jira",
        "confluence-audit" => "confluence",
        "org-events" => "org",
        "bitbucket-commits" | "bitbucket-pull-requests" => "bitbucket",
        "jsm-requests" => "jsm",
        "generic" => "external",
        _ => "",
    };
    let first = i
        .days
        .first()
        .and_then(|d| d.parse::<chrono::NaiveDate>().ok());
    let last = i
        .days
        .last()
        .and_then(|d| d.parse::<chrono::NaiveDate>().ok());
    match (first, last.and_then(|d| d.succ_opt())) {
        (Some(from), Some(to)) => format!("/events?from={from}&to={to}&product={product}"),
        _ => "/events".to_owned(),
    }
}

/// The import being followed: its progress while it runs, its report when done.
#[component]
fn ImportReport(view: ImportView) -> impl IntoView {
    let ImportView { import: i, rejects } = view;
    let running = i.status == "running";
    let percent = if i.size > 0 {
        (i.bytes_read.min(i.size) * 100) / i.size
    } else {
        0
    };
    let events_link = events_of(&i);
    view! {
        <section class="import-report" data-testid="import-report" data-status=i.status.clone()>
            <h2>{i.file_name.clone()}" — "<span class=format!("state state-{}", i.status.replace(' ', "-"))>{i.status.clone()}</span></h2>
            {running.then(|| view! {
                <noscript><meta http-equiv="refresh" content="2"/></noscript>
                <p>{if i.phase == "checking" { "Checking the whole file" } else { "Reading records" }}</p>
                <progress max=i.size.to_string() value=i.bytes_read.to_string() data-testid="import-progress">{format!("{percent}%")}</progress>
                <p>{format!("{percent}% · {} of {} · {} records so far, {} new, {} rejected", size(i.bytes_read), size(i.size), i.records, i.new, i.rejected)}</p>
            })}
            {i.reason.clone().map(|r| view! { <p class="note" data-testid="import-reason">{r}</p> })}
            {(!running).then(|| view! {
                <dl class="facts">
                    <dt>"Records"</dt><dd data-testid="import-records">{i.records}</dd>
                    <dt>"New events"</dt><dd data-testid="import-new"><a href=events_link.clone()>{i.new}</a></dd>
                    <dt>"Already stored"</dt><dd data-testid="import-duplicates">{i.duplicates}</dd>
                    <dt>"Rejected"</dt><dd data-testid="import-rejected">{i.rejected}</dd>
                    <dt>"Read as"</dt><dd>{format!("{} {}", i.format, i.source)}</dd>
                    <dt>"SHA-256"</dt><dd><code>{i.sha256.clone()}</code></dd>
                    <dt>"Days rolled up"</dt><dd>{match i.days.len() { 0 => "none".to_owned(), 1 => i.days[0].clone(), n => format!("{n}: {} … {}", i.days[0], i.days[n - 1]) }}</dd>
                </dl>
            })}
            {(!i.notes.is_empty()).then(|| view! { <ul class="notes">{i.notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}</ul> })}
            {(!i.rejected_by_reason.is_empty()).then(|| view! {
                <h3>"Rejected by reason"</h3>
                <ul>{i.rejected_by_reason.iter().map(|(r, n)| view! { <li>{format!("{n} × {r}")}</li> }).collect_view()}</ul>
            })}
            {(!rejects.is_empty()).then(|| view! {
                <h3>"Rejected records"</h3>
                <table class="events rejects" data-testid="import-rejects">
                    <thead><tr><th scope="col">"Where"</th><th scope="col">"Reason"</th><th scope="col">"Record"</th></tr></thead>
                    <tbody>
                        {rejects.into_iter().map(|r| view! { <tr><td>{r.origin}</td><td>{r.reason}</td><td><code>{r.raw}</code></td></tr> }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}

#[component]
fn ImportTable(rows: Vec<ImportRow>) -> impl IntoView {
    view! {
        <table class="events imports" data-testid="imports-table">
            <thead>
                <tr>
                    <th scope="col">"Started (UTC)"</th>
                    <th scope="col">"By"</th>
                    <th scope="col">"File"</th>
                    <th scope="col">"Size"</th>
                    <th scope="col">"Read as"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Records"</th>
                    <th scope="col">"New"</th>
                    <th scope="col">"Already stored"</th>
                    <th scope="col">"Rejected"</th>
                    <th scope="col">"Days"</th>
                    <th scope="col">"Took"</th>
                    <th scope="col">"SHA-256"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|r| view! {
                    <tr data-import=r.id.clone()>
                        <td><UtcTime at=Some(r.started_at)/></td>
                        <td>{r.by.clone()}</td>
                        <td><a href=format!("/imports?id={}", r.id)>{r.file_name.clone()}</a><br/><small>{r.deployment.clone()}</small></td>
                        <td>{size(r.size)}</td>
                        <td>{format!("{} {}", r.format, r.source)}</td>
                        <td>{r.status.clone()}</td>
                        <td>{r.records}</td>
                        <td>{r.new}</td>
                        <td>{r.duplicates}</td>
                        <td>{r.rejected}</td>
                        <td>{r.days.len()}</td>
                        <td>{r.duration_ms.map(|ms| format!("{:.1} s", ms as f64 / 1000.0))}</td>
                        <td><code class="sha256" title=r.sha256.clone()>{r.sha256.chars().take(12).collect::<String>()}"…"</code></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
