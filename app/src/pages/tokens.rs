//! The Tokens page: bearer tokens of the ingest API — create one bound to a deployment and a
//! source (shown once), see who created each, when it expires and when it was last used, and
//! revoke it.

use crate::api::tokens::{list_tokens, CreateToken, RevokeToken, TokenRow};
use crate::components::time::UtcTime;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

/// The Tokens page.
#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let list = Resource::new(
        move || create.version().get() + revoke.version().get(),
        |_| list_tokens(),
    );
    view! {
        <Title text="Ingest tokens"/>
        <div class="page-head">
            <h1>"Ingest tokens"</h1>
            <p><a href="/imports">"Import"</a>" · "<a href="/api/ingest/schema">"Generic event schema"</a></p>
        </div>
        <p class="note">"A token lets a system outside Atlassian send generic events to "<code>"POST /api/ingest/events"</code>" as "<code>"Authorization: Bearer <token>"</code>". Each token writes to one deployment under one source, is stored only as a hash, and stops working when revoked or expired."</p>
        {move || create.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert" data-testid="token-error">{e.to_string()}</p> })}
        {move || revoke.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
        <Suspense fallback=|| view! { <p class="loading">"Loading tokens…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(v) => {
                        let created = v.created.map(|c| view! {
                            <div class="token-created" role="status" data-testid="token-created">
                                <p>"Token "<strong>{c.name}</strong>" — copy it now; it is not shown again:"</p>
                                <p><code data-testid="token-value">{c.token}</code></p>
                            </div>
                        });
                        let deployments = v.deployments.clone();
                        view! {
                            {created}
                            <TokenTable rows=v.tokens revoke/>
                            <h2>"Create a token"</h2>
                            <ActionForm action=create attr:class="token-form" attr:data-testid="token-form">
                                <label for="token-name">"Name"</label>
                                <input id="token-name" name="name" type="text" required size="30" placeholder="okta-prod"/>
                                <label for="token-deployment">"Deployment"</label>
                                {if deployments.is_empty() {
                                    view! { <input id="token-deployment" name="deployment" type="text" required placeholder="acme"/> }.into_any()
                                } else {
                                    view! { <select id="token-deployment" name="deployment">{deployments.into_iter().map(|d| view! { <option value=d.clone()>{d.clone()}</option> }).collect_view()}</select> }.into_any()
                                }}
                                <label for="token-source">"Source (empty: the name)"</label>
                                <input id="token-source" name="source" type="text" size="20" placeholder="okta"/>
                                <label for="token-expires">"Expires after (days; 0: never)"</label>
                                <input id="token-expires" name="expires_days" type="number" min="0" max="3660" value="90"/>
                                <button type="submit" data-testid="create-token">"Create"</button>
                            </ActionForm>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn TokenTable(rows: Vec<TokenRow>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <div class="empty" data-testid="tokens-empty"><p>"No tokens yet."</p></div> }.into_any();
    }
    view! {
        <table class="events tokens" data-testid="tokens-table">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Deployment"</th>
                    <th scope="col">"Source"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Created (UTC)"</th>
                    <th scope="col">"Expires (UTC)"</th>
                    <th scope="col">"Last used (UTC)"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|t| {
                    let active = t.state == "active";
                    let id = t.id.clone();
                    view! {
                        <tr data-token=t.name.clone()>
                            <td>{t.name.clone()}<br/><small><code>{format!("{}…", t.hint)}</code></small></td>
                            <td>{t.deployment.clone()}</td>
                            <td>{t.source.clone()}</td>
                            <td data-testid="token-state">{t.state.clone()}{t.revoked_by.clone().map(|b| format!(" by {b}"))}</td>
                            <td><UtcTime at=Some(t.created_at)/><br/><small>{format!("by {}", t.created_by)}</small></td>
                            <td>{match t.expires_at { Some(at) => view! { <UtcTime at=Some(at)/> }.into_any(), None => "never".into_any() }}</td>
                            <td><UtcTime at=t.last_used_at/></td>
                            <td class="actions">
                                {active.then(|| view! {
                                    <ActionForm action=revoke attr:class="inline-form">
                                        <input type="hidden" name="id" value=id.clone()/>
                                        <button type="submit" data-testid="revoke-token">"Revoke"</button>
                                    </ActionForm>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
