//! The frame around every signed-in page: the product name, navigation, the signed-in
//! administrator and the sign-out button.

use crate::api::auth::current_user;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

/// The pages in the navigation, in order.
const NAV: [(&str, &str); 11] = [
    ("/overview", "Overview"),
    ("/events", "Events"),
    ("/incidents", "Incidents"),
    ("/alerts", "Alerts"),
    ("/rules", "Rules"),
    ("/people", "People"),
    ("/teams", "Teams"),
    ("/sync", "Sync"),
    ("/jobs", "Jobs"),
    ("/exports", "Exports"),
    ("/imports", "Import"),
];

/// Header, navigation and the current page.
#[component]
pub fn Layout() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    // Effects run only in the browser, so this attribute proves the page was hydrated.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <div class="frame" data-hydrated=move || hydrated.get().to_string()>
            <header class="topbar">
                <a class="brand" href="/events">"AtlasLens"</a>
                <nav aria-label="Main">
                    <ul>
                        {NAV.iter().map(|(href, label)| view! { <li><A href=*href>{*label}</A></li> }).collect_view()}
                    </ul>
                </nav>
                <div class="who">
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            user.await.ok().map(|name| view! { <span class="username" data-testid="username">{name}</span> })
                        })}
                    </Suspense>
                    <form method="post" action="/api/logout">
                        <button type="submit" class="link-button">"Sign out"</button>
                    </form>
                </div>
            </header>
            <main>
                <Outlet/>
            </main>
        </div>
    }
}
