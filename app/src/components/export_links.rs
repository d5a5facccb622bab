//! "Export CSV" and "Export NDJSON" for an Events query: plain download links to `/api/export`, so
//! they work without JavaScript. The export covers every matching event (no page size), with the
//! range fixed when it starts; each comes with a manifest listed on the Exports page.

use domain::url::encode_component;
use leptos::prelude::*;

/// The export URL of an Events query string (without `?`; `limit` and `before` are ignored by the
/// export, so the page's own query may be passed as it is).
pub fn export_url(query: &str, format: &str) -> String {
    let query = query.trim_start_matches('?');
    let sep = if query.is_empty() { "" } else { "&" };
    format!(
        "/api/export?{query}{sep}format={}",
        encode_component(format)
    )
}

/// The two export links for `query`.
#[component]
pub fn ExportLinks(
    /// The Events query string, e.g. the page's "share" query with its range frozen.
    #[prop(into)]
    query: String,
) -> impl IntoView {
    view! {
        <span class="export-links" data-testid="export-links">
            <a href=export_url(&query, "csv") download="" rel="nofollow" data-testid="export-csv">"Export CSV"</a>
            " · "
            <a href=export_url(&query, "ndjson") download="" rel="nofollow" data-testid="export-ndjson">"Export NDJSON"</a>
            " (every matching event, with a manifest: see "<a href="/exports">"Exports"</a>")"
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::export_url;

    #[test]
    fn the_export_url_carries_the_events_query_and_the_format() {
        assert_eq!(
            export_url("product=jira&from=2026-03-01T00%3A00%3A00Z", "csv"),
            "/api/export?product=jira&from=2026-03-01T00%3A00%3A00Z&format=csv"
        );
        assert_eq!(export_url("", "ndjson"), "/api/export?format=ndjson");
    }
}
