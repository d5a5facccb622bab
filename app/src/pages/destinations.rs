//! The Destinations page (where alerts go, secrets masked; add one; send a test; switch off;
//! delete) and a destination's page with its delivery log, "resend", and the choice of incident
//! events.

use crate::api::alerts::ResendDelivery;
use crate::api::destinations::{
    get_destination, list_destinations, AddDestination, DeleteDestination, DestinationRow,
    SetDestination, SetIncidentEvents, TestDestination,
};
use crate::components::refresh::AutoRefresh;
use crate::pages::alerts::DeliveryTable;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The Destinations page.
#[component]
pub fn DestinationsPage() -> impl IntoView {
    let add = ServerAction::<AddDestination>::new();
    let set = ServerAction::<SetDestination>::new();
    let test = ServerAction::<TestDestination>::new();
    let list = Resource::new(
        move || add.version().get() + set.version().get(),
        |_| list_destinations(),
    );
    view! {
        <Title text="Destinations"/>
        <div class="page-head">
            <h1>"Destinations"</h1>
            <p><a href="/alerts">"Alerts"</a>" · "<a href="/rules">"Rules"</a></p>
        </div>
        <p class="note">"Alerts go to the destinations their rule names, and to every destination whose default severity they reach. Incident events (opened, reopened, resolved) go to the destinations that chose them, on the same terms. The Jira destination is the only place AtlasLens writes to Atlassian, with its own credential."</p>
        {move || test.value().get().map(|r| match r {
            Ok(id) => view! { <p class="note" role="status" data-testid="test-queued">"Test message queued as "<code>{id}</code>"; its delivery is in the destination's log."</p> }.into_any(),
            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
        <Suspense fallback=|| view! { <p class="loading">"Loading destinations…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(rows) => view! { <DestinationTable rows set test/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
        <h2>"Add a destination"</h2>
        {move || add.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert" data-testid="destination-error">{e.to_string()}</p> })}
        <ActionForm action=add attr:class="destination-form" attr:data-testid="destination-form">
            <label for="dest-name">"Name"</label>
            <input id="dest-name" name="form[name]" type="text" required size="30"/>
            <label for="dest-kind">"Kind"</label>
            <select id="dest-kind" name="form[kind]">
                <option value="slack">"Slack incoming webhook"</option>
                <option value="webhook">"Webhook / SIEM (Standard Webhooks, signed)"</option>
                <option value="jira">"Jira issue"</option>
                <option value="syslog">"Syslog (RFC 5424 over TCP)"</option>
            </select>
            <label for="dest-url">"URL (Slack webhook, webhook endpoint, or the Jira site)"</label>
            <input id="dest-url" name="form[url]" type="url" size="60" placeholder="https://hooks.slack.com/services/…"/>
            <label for="dest-secret">"Secret (webhook whsec_… — empty makes one — or the Jira API token)"</label>
            <input id="dest-secret" name="form[secret]" type="password" size="40" autocomplete="off"/>
            <fieldset>
                <legend>"Jira"</legend>
                <label for="dest-project">"Project key"</label>
                <input id="dest-project" name="form[project_key]" type="text" size="8" placeholder="SEC"/>
                <label for="dest-type">"Issue type"</label>
                <input id="dest-type" name="form[issue_type]" type="text" size="12" placeholder="Task"/>
                <label for="dest-email">"Account e-mail of the token"</label>
                <input id="dest-email" name="form[email]" type="email" size="30"/>
                <label class="check"><input type="checkbox" name="form[per_incident]" value="on"/>" One issue per incident (later alerts, reopening and resolution as comments)"</label>
            </fieldset>
            <fieldset>
                <legend>"Syslog"</legend>
                <label for="dest-host">"Host"</label>
                <input id="dest-host" name="form[host]" type="text" size="24"/>
                <label for="dest-port">"Port"</label>
                <input id="dest-port" name="form[port]" type="number" min="1" max="65535" placeholder="6514"/>
                <label class="check"><input type="checkbox" name="form[tls]" value="on"/>" TLS"</label>
                <label for="dest-format">"Message"</label>
                <select id="dest-format" name="form[format]"><option value="cef">"CEF"</option><option value="json">"JSON"</option></select>
            </fieldset>
            <label for="dest-default">"Also every alert at or above"</label>
            <select id="dest-default" name="form[default_min_severity]">
                <option value="">"(only rules that name it)"</option>
                <option value="high">"high"</option>
                <option value="medium">"medium"</option>
                <option value="low">"low"</option>
            </select>
            <label class="check"><input type="checkbox" name="form[incident_events]" value="on"/>" Incident events (opened, reopened, resolved)"</label>
            <button type="submit" data-testid="add-destination">"Add"</button>
        </ActionForm>
    }
}

#[component]
fn DestinationTable(
    rows: Vec<DestinationRow>,
    set: ServerAction<SetDestination>,
    test: ServerAction<TestDestination>,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <div class="empty" data-testid="destinations-empty"><h2>"No destinations yet"</h2><p>"Alerts are recorded and shown, but sent nowhere until you add one below."</p></div> }.into_any();
    }
    view! {
        <table class="destinations" data-testid="destinations-table">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Kind"</th>
                    <th scope="col">"Where (secrets masked)"</th>
                    <th scope="col">"By default"</th>
                    <th scope="col">"Incident events"</th>
                    <th scope="col">"State"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|d| {
                    let (id_test, id_set) = (d.id.clone(), d.id.clone());
                    view! {
                        <tr data-destination=d.id.clone()>
                            <td><a href=format!("/destinations/{}", d.id)>{d.name.clone()}</a><br/><small><code>{d.id.clone()}</code></small></td>
                            <td>{d.kind.clone()}</td>
                            <td><code>{d.target.clone()}</code></td>
                            <td>{d.default_min_severity.map(|s| format!("{s} and above")).unwrap_or_else(|| "rules that name it".into())}</td>
                            <td>{incident_events(&d)}</td>
                            <td>{if d.enabled { view! { <span class="state state-on">"on"</span> }.into_any() } else { view! { <span class="state state-off">"off"</span><br/><small>{d.disabled_reason.clone()}</small> }.into_any() }}</td>
                            <td class="actions">
                                <ActionForm action=test attr:class="inline-form">
                                    <input type="hidden" name="id" value=id_test/>
                                    <button type="submit" data-testid="send-test">"Send test"</button>
                                </ActionForm>
                                <ActionForm action=set attr:class="inline-form">
                                    <input type="hidden" name="id" value=id_set/>
                                    <input type="hidden" name="enabled" value=(!d.enabled).to_string()/>
                                    <button type="submit">{if d.enabled { "Switch off" } else { "Switch on" }}</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// What incident events a destination takes, in words.
fn incident_events(d: &DestinationRow) -> &'static str {
    match (d.per_incident, d.incident_events) {
        (true, _) => "yes, one Jira issue per incident",
        (false, true) => "yes",
        (false, false) => "no",
    }
}

/// A destination's page: its settings and delivery log.
#[component]
pub fn DestinationPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let resend = ServerAction::<ResendDelivery>::new();
    let test = ServerAction::<TestDestination>::new();
    let delete = ServerAction::<DeleteDestination>::new();
    let choose = ServerAction::<SetIncidentEvents>::new();
    let view_data = Resource::new(
        move || {
            (
                id(),
                resend.version().get(),
                test.version().get() + choose.version().get(),
            )
        },
        |(id, _, _)| get_destination(id),
    );
    let busy = Signal::derive(move || {
        view_data
            .get()
            .and_then(Result::ok)
            .is_some_and(|v| v.deliveries.iter().any(|d| d.status == "pending"))
    });
    view! {
        <Title text="Destination"/>
        <AutoRefresh active=busy refetch=move || view_data.refetch()/>
        <p><a href="/destinations">"← Destinations"</a></p>
        <Suspense fallback=|| view! { <p class="loading">"Loading the destination…"</p> }>
            {move || Suspend::new(async move {
                match view_data.await {
                    Ok(v) => {
                        let d = v.destination.clone();
                        let (id_test, id_delete, id_choose) = (d.id.clone(), d.id.clone(), d.id.clone());
                        view! {
                            <h1>{d.name.clone()}</h1>
                            <dl class="facts">
                                <dt>"Kind"</dt><dd>{d.kind.clone()}</dd>
                                <dt>"Where"</dt><dd><code>{d.target.clone()}</code></dd>
                                <dt>"Incident events"</dt><dd data-testid="incident-events">{incident_events(&d)}</dd>
                                <dt>"State"</dt><dd>{if d.enabled { "on".to_owned() } else { format!("off: {}", d.disabled_reason.clone().unwrap_or_default()) }}</dd>
                            </dl>
                            <div class="actions">
                                <ActionForm action=test attr:class="inline-form">
                                    <input type="hidden" name="id" value=id_test/>
                                    <button type="submit" data-testid="send-test">"Send test"</button>
                                </ActionForm>
                                <ActionForm action=choose attr:class="inline-form">
                                    <input type="hidden" name="id" value=id_choose/>
                                    <input type="hidden" name="on" value=(!d.incident_events).to_string()/>
                                    <button type="submit" data-testid="toggle-incident-events">{if d.incident_events { "Stop incident events" } else { "Send incident events too" }}</button>
                                </ActionForm>
                                <ActionForm action=delete attr:class="inline-form">
                                    <input type="hidden" name="id" value=id_delete/>
                                    <button type="submit" class="danger">"Delete"</button>
                                </ActionForm>
                            </div>
                            <h2>"Delivery log"</h2>
                            <DeliveryTable rows=v.deliveries.clone() resend/>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}
