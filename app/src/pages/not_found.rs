//! The page for paths that do not exist.

use leptos::prelude::*;
use leptos_meta::Title;

/// A 404 page with a way back.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <main class="narrow">
            <h1>"Page not found"</h1>
            <p><a href="/events">"Go to Events"</a></p>
        </main>
    }
}
