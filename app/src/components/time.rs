//! Times as every page shows them: UTC, to the second, machine-readable in `<time>`.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// A UTC time, or a dash when there is none. Absolute rather than "3 min ago" so the server's
/// rendering and the hydrated page agree.
#[component]
pub fn UtcTime(at: Option<DateTime<Utc>>) -> impl IntoView {
    match at {
        Some(t) => view! {
            <time datetime=t.to_rfc3339()>{t.format("%Y-%m-%d %H:%M:%S").to_string()}</time>
        }
        .into_any(),
        None => view! { <span class="none">"—"</span> }.into_any(),
    }
}
