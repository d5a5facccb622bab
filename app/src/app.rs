//! The HTML shell and the router: which page answers which path.

use crate::components::layout::Layout;
use crate::pages::{
    alerts::{AlertPage, AlertsPage},
    destinations::{DestinationPage, DestinationsPage},
    event::EventPage,
    events::EventsPage,
    incidents::{IncidentPage, IncidentsPage},
    jobs::{JobPage, JobsPage},
    login::LoginPage,
    not_found::NotFound,
    overview::OverviewPage,
    people::{PeoplePage, PersonPage},
    rules::{EditRulePage, NewRulePage, RulesPage},
    sync::SyncPage,
    teams::{TeamPage, TeamsPage},
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The document around the app: head, hydration scripts, body.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The application: every page and its path. Pages behind sign-in sit inside [`Layout`]; the
/// server refuses them without a session before they render.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/atlaslens.css"/>
        <Title formatter=|page: String| if page.is_empty() { "AtlasLens".to_owned() } else { format!("{page} · AtlasLens") }/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=LoginPage/>
                <ParentRoute path=path!("") view=Layout>
                    <Route path=path!("") view=|| view! { <Redirect path="/events"/> }/>
                    <Route path=path!("/events") view=EventsPage ssr=SsrMode::Async/>
                    <Route path=path!("/events/:id") view=EventPage ssr=SsrMode::Async/>
                    <Route path=path!("/overview") view=OverviewPage ssr=SsrMode::Async/>
                    <Route path=path!("/people") view=PeoplePage ssr=SsrMode::Async/>
                    <Route path=path!("/people/:id") view=PersonPage ssr=SsrMode::Async/>
                    <Route path=path!("/teams") view=TeamsPage ssr=SsrMode::Async/>
                    <Route path=path!("/teams/:id") view=TeamPage ssr=SsrMode::Async/>
                    <Route path=path!("/sync") view=SyncPage ssr=SsrMode::Async/>
                    <Route path=path!("/jobs") view=JobsPage ssr=SsrMode::Async/>
                    <Route path=path!("/jobs/:id") view=JobPage ssr=SsrMode::Async/>
                    <Route path=path!("/exports") view=crate::pages::exports::ExportsPage ssr=SsrMode::Async/>
                    <Route path=path!("/imports") view=crate::pages::imports::ImportsPage ssr=SsrMode::Async/>
                    <Route path=path!("/tokens") view=crate::pages::tokens::TokensPage ssr=SsrMode::Async/>
                    <Route path=path!("/alerts") view=AlertsPage ssr=SsrMode::Async/>
                    <Route path=path!("/alerts/:id") view=AlertPage ssr=SsrMode::Async/>
                    <Route path=path!("/incidents") view=IncidentsPage ssr=SsrMode::Async/>
                    <Route path=path!("/incidents/:id") view=IncidentPage ssr=SsrMode::Async/>
                    <Route path=path!("/rules") view=RulesPage ssr=SsrMode::Async/>
                    <Route path=path!("/rules/new") view=NewRulePage ssr=SsrMode::Async/>
                    <Route path=path!("/rules/:id") view=EditRulePage ssr=SsrMode::Async/>
                    <Route path=path!("/destinations") view=DestinationsPage ssr=SsrMode::Async/>
                    <Route path=path!("/destinations/:id") view=DestinationPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
