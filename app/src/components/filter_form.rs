//! The filter form shared by Events and Overview: a plain `GET` form over the URL parameters of
//! [`EventQuery`], so it works without JavaScript and every view has a URL. Page-specific fields
//! (page size, IP and text on Events; stacking and time zone on the Overview) come as children.
//!
//! The person field is a picker: with JavaScript it suggests people by name as you type (names
//! are searched in the server's decrypted directory, never in MongoDB); without it, a typed name
//! is resolved on the server when exactly one person matches.

use crate::api::people::find_people;
use domain::query::{EventQuery, RANGES};
use domain::{Category, Operation, Pipeline, Product, Severity};
use leptos::prelude::*;

/// The ranges of the Alerts and Incidents lists' filters: (value, label), "any time" first.
pub const LIST_RANGES: [(&str, &str); 5] = [
    ("", "any time"),
    ("24h", "24 hours"),
    ("7d", "7 days"),
    ("30d", "30 days"),
    ("90d", "90 days"),
];

/// The filters of the current URL, tracked: every page that reads Events filters from its query
/// string uses this.
pub fn use_event_query() -> Memo<EventQuery> {
    let params = leptos_router::hooks::use_query_map();
    Memo::new(move |_| {
        let map = params.read();
        EventQuery::from_lookup(|k| map.get(k))
    })
}

/// A `<select>` over a vocabulary, with "any" first.
fn choice<T: Copy + std::fmt::Display>(
    id: &'static str,
    label: &'static str,
    all: &'static [T],
    current: &str,
) -> impl IntoView {
    let current = current.to_owned();
    view! {
        <label for=id>{label}</label>
        <select id=id name=id>
            <option value="" selected=current.is_empty()>"any"</option>
            {all.iter().map(|v| {
                let text = v.to_string();
                let selected = current == text;
                view! { <option value=text.clone() selected=selected>{text.clone()}</option> }
            }).collect_view()}
        </select>
    }
}

/// The shared filters; `action` is the page the form submits to.
#[component]
pub fn FilterForm(
    action: &'static str,
    query: EventQuery,
    teams: Vec<(String, String)>,
    children: Children,
) -> impl IntoView {
    let q = query;
    let cleared = !q.is_empty();
    view! {
        <form method="get" action=action class="filters" data-testid="event-filters">
            <label for="range">"Range"</label>
            <select id="range" name="range">
                <option value="" selected=q.range.is_empty()>"all time / custom"</option>
                {RANGES.iter().map(|(v, text)| view! { <option value=*v selected=q.range == *v>{*text}</option> }).collect_view()}
            </select>
            <label for="from">"From (UTC)"</label>
            <input id="from" name="from" type="text" placeholder="YYYY-MM-DD" value=q.from.clone() size="20"/>
            <label for="to">"To (UTC)"</label>
            <input id="to" name="to" type="text" placeholder="YYYY-MM-DD" value=q.to.clone() size="20"/>
            {choice("product", "Product", Product::ALL, &q.product)}
            {choice("pipeline", "Pipeline", Pipeline::ALL, &q.pipeline)}
            {choice("category", "Category", Category::ALL, &q.category)}
            {choice("severity", "Severity", Severity::ALL, &q.severity)}
            {choice("operation", "Operation", Operation::ALL, &q.operation)}
            <label for="team">"Team"</label>
            <select id="team" name="team">
                <option value="" selected=q.team.is_empty()>"any"</option>
                {teams.into_iter().map(|(id, name)| { let sel = q.team == id; view! { <option value=id.clone() selected=sel>{name}</option> } }).collect_view()}
            </select>
            <PersonPicker current=q.person.clone()/>
            {children()}
            <button type="submit">"Apply"</button>
            {cleared.then(|| view! { <a href=action class="reset">"Clear"</a> })}
        </form>
    }
}

/// A text field for a person (id or name) with name suggestions while typing.
#[component]
fn PersonPicker(current: String) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let suggestions = Resource::new(
        move || typed.get(),
        |text: String| async move {
            if text.trim().chars().count() < 2 || text.starts_with("person:") {
                Ok(Vec::new())
            } else {
                find_people(text).await
            }
        },
    );
    view! {
        <label for="person">"Person"</label>
        <input id="person" name="person" type="text" placeholder="name or person:…" value=current size="24"
            list="person-options" autocomplete="off"
            on:input=move |ev| typed.set(event_target_value(&ev))/>
        <datalist id="person-options" data-testid="person-options">
            <Transition fallback=|| ()>
                {move || suggestions.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|p| {
                    view! { <option value=p.id.clone()>{p.name.clone()}</option> }
                }).collect_view()}
            </Transition>
        </datalist>
    }
}
