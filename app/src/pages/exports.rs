//! The Exports page: every export, newest first — when, by whom, the format, the absolute range,
//! the rows delivered, the SHA-256 of the file and a link to its manifest. Exports that did not
//! complete are listed too (an attempt is part of the audit trail), without a manifest.

use crate::api::exports::{list_exports, ExportRow, ExportState};
use crate::components::export_links::export_url;
use crate::components::time::UtcTime;
use domain::url::encode_component;
use leptos::prelude::*;
use leptos_meta::Title;

/// The Exports page.
#[component]
pub fn ExportsPage() -> impl IntoView {
    let exports = Resource::new(|| (), |_| list_exports());
    view! {
        <Title text="Exports"/>
        <div class="page-head">
            <h1>"Exports"</h1>
        </div>
        <p class="note">
            "Each export is every event its Events query matched, oldest first, with a manifest stating the filters, the absolute range, the row count and the SHA-256 of the file. Check a file against its manifest with "
            <code>"atlaslens verify-export FILE MANIFEST"</code>"."
        </p>
        <Suspense fallback=|| view! { <p class="loading">"Loading exports…"</p> }>
            {move || Suspend::new(async move {
                match exports.await {
                    Ok(rows) if rows.is_empty() => view! {
                        <div class="empty" data-testid="exports-empty">
                            <h2>"No exports yet"</h2>
                            <p>"Use “Export CSV” or “Export NDJSON” on the "<a href="/events">"Events"</a>" page, or "<code>"atlaslens export"</code>"."</p>
                        </div>
                    }.into_any(),
                    Ok(rows) => view! { <ExportTable rows/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ExportTable(rows: Vec<ExportRow>) -> impl IntoView {
    view! {
        <table class="events exports" data-testid="exports-table">
            <thead>
                <tr>
                    <th scope="col">"Started (UTC)"</th>
                    <th scope="col">"By"</th>
                    <th scope="col">"Format"</th>
                    <th scope="col">"Range (UTC)"</th>
                    <th scope="col">"Rows"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"SHA-256"</th>
                    <th scope="col">"Manifest"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| view! { <ExportRowView row/> }).collect_view()}
            </tbody>
        </table>
    }
}

/// A digest with break opportunities every 16 digits, so the column can wrap.
fn digest_view(sha: &str) -> impl IntoView {
    let parts: Vec<String> = sha
        .as_bytes()
        .chunks(16)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    view! {
        <code class="sha256" data-testid="export-sha256" title=sha.to_owned()>
            {parts.into_iter().map(|p| view! { {p}<wbr/> }).collect_view()}
        </code>
    }
}

#[component]
fn ExportRowView(row: ExportRow) -> impl IntoView {
    let events = format!("/events?{}", row.query);
    let again = export_url(&row.query, &row.format);
    let manifest = (row.state == ExportState::Complete)
        .then(|| format!("/api/export/manifest?id={}", encode_component(&row.id)));
    let manifest_name = format!("{}.manifest.json", row.file_name);
    view! {
        <tr data-export=row.id.clone() data-status=row.state.as_str() data-file=row.file_name.clone()>
            <td class="time"><UtcTime at=Some(row.started_at)/></td>
            <td>{row.generated_by}</td>
            <td>{row.format}</td>
            <td class="time">
                <UtcTime at=Some(row.from)/>" → "<UtcTime at=Some(row.to)/>
                <br/><a href=events>"view events"</a>" · "<a href=again download="" rel="nofollow">"export again"</a>
            </td>
            <td data-testid="export-rows">{row.rows.to_string()}</td>
            <td>{row.state.as_str()}</td>
            <td>{row.sha256.as_deref().map(digest_view)}</td>
            <td>{manifest.map(|href| view! { <a href=href download=manifest_name data-testid="manifest-link">"manifest"</a> })}</td>
        </tr>
    }
}
