//! A plain statement that a page in the navigation is not built yet.

use leptos::prelude::*;
use leptos_meta::Title;

/// Says plainly that this page does not exist yet and what it will hold.
#[component]
pub fn NotBuilt(title: &'static str, what: &'static str) -> impl IntoView {
    view! {
        <Title text=title/>
        <h1>{title}</h1>
        <p class="not-built" role="status">"This page is not built yet. It will show: " {what}</p>
        <p><a href="/events">"Go to Events"</a></p>
    }
}
