//! One event: every normalised field and the raw payload exactly as the source sent it.

use crate::api::events::get_event;
use crate::components::time::UtcTime;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// `/events/<id>`.
#[component]
pub fn EventPage() -> impl IntoView {
    let params = use_params_map();
    let event = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        get_event,
    );
    view! {
        <Title text="Event"/>
        <p><a href="/events">"← Events"</a></p>
        <Suspense fallback=|| view! { <p class="loading">"Loading the event…"</p> }>
            {move || Suspend::new(async move {
                match event.await {
                    Ok(d) => {
                        let r = d.row.clone();
                        let dash = |v: Option<String>| v.unwrap_or_else(|| "—".to_owned());
                        view! {
                            <h1>{r.operation.as_str()}" · "{r.product.as_str()}</h1>
                            <dl class="facts" data-testid="event-fields">
                                <dt>"Id"</dt><dd><code>{r.id.clone()}</code></dd>
                                <dt>"Occurred (UTC)"</dt><dd><UtcTime at=Some(r.occurred_at)/></dd>
                                <dt>"Stored (UTC)"</dt><dd><UtcTime at=Some(d.ingested_at)/></dd>
                                <dt>"Deployment"</dt><dd>{d.deployment.clone()}</dd>
                                <dt>"Product / pipeline"</dt><dd>{format!("{} / {}", r.product, r.pipeline)}</dd>
                                <dt>"Category / severity"</dt><dd>{format!("{} / {}", r.category, r.severity)}</dd>
                                <dt>"Person"</dt><dd>{dash(r.person.clone())}</dd>
                                <dt>"Account"</dt><dd>{dash(d.actor_raw.clone())}</dd>
                                <dt>"Object"</dt><dd>{format!("{} ({}: {})", dash(r.object.clone()), dash(d.object_type.clone()), dash(d.object_id.clone()))}</dd>
                                <dt>"Container"</dt><dd>{dash(d.object_container.clone())}</dd>
                                <dt>"Source IP"</dt><dd>{dash(d.source_ip.clone())}</dd>
                            </dl>
                            <h2>"Raw payload"</h2>
                            <pre class="raw" data-testid="event-raw">{d.raw}</pre>
                        }
                        .into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}
