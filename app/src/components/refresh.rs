//! Refreshing a page's data while something on it is still moving (queued or running jobs).

use leptos::prelude::*;
use std::time::Duration;

/// How often a busy page refreshes.
const EVERY: Duration = Duration::from_secs(2);

/// Calls `refetch` every two seconds while `active` is true. Renders nothing; in the browser only
/// (effects do not run during server rendering).
#[component]
pub fn AutoRefresh(
    #[prop(into)] active: Signal<bool>,
    refetch: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    Effect::new(move |_| {
        if !active.get() {
            return;
        }
        if let Ok(handle) = set_interval_with_handle(refetch.clone(), EVERY) {
            on_cleanup(move || handle.clear());
        }
    });
}
