//! The Alerts page (filters in the URL: status, severity, rule, person, team, range; acknowledge
//! and close one alert or every ticked one) and an alert's page: why it fired in words and numbers,
//! the events behind it, and where it was delivered.

use crate::api::alerts::{
    get_alert, list_alerts, AlertRow, ChangeAlerts, DeliveryRow, ResendDelivery,
};
use crate::components::filter_form::LIST_RANGES;
use crate::components::refresh::AutoRefresh;
use crate::components::time::UtcTime;
use domain::AlertStatus;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The Alerts page.
#[component]
pub fn AlertsPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).unwrap_or_default();
    let change = ServerAction::<ChangeAlerts>::new();
    let listing = Resource::new(
        move || {
            (
                [
                    get("status"),
                    get("severity"),
                    get("rule"),
                    get("person"),
                    get("team"),
                    get("range"),
                ],
                change.version().get(),
            )
        },
        |([status, severity, rule, person, team, range], _)| {
            list_alerts(status, severity, rule, person, team, range)
        },
    );
    // No refresh of its own: it would untick the boxes of a bulk change being prepared.
    view! {
        <Title text="Alerts"/>
        <div class="page-head">
            <h1>"Alerts"</h1>
            <p><a href="/rules">"Rules"</a>" · "<a href="/destinations">"Destinations"</a></p>
        </div>
        <form method="get" action="/alerts" class="filters" data-testid="alert-filters">
            <label for="alert-status">"Status"</label>
            <select id="alert-status" name="status">
                <option value="" selected=move || get("status").is_empty()>"any"</option>
                {AlertStatus::ALL.iter().map(|s| { let s = s.as_str(); view! { <option value=s selected=move || get("status") == s>{s}</option> } }).collect_view()}
            </select>
            <label for="alert-severity">"Severity"</label>
            <select id="alert-severity" name="severity">
                <option value="" selected=move || get("severity").is_empty()>"any"</option>
                {domain::Severity::ALL.iter().map(|s| { let s = s.as_str(); view! { <option value=s selected=move || get("severity") == s>{s}</option> } }).collect_view()}
            </select>
            <label for="alert-person">"Person"</label>
            <input id="alert-person" name="person" type="text" value=move || get("person") size="18" placeholder="name or id"/>
            <label for="alert-team">"Team"</label>
            <input id="alert-team" name="team" type="text" value=move || get("team") size="14" placeholder="team:…"/>
            <label for="alert-range">"Last seen"</label>
            <select id="alert-range" name="range">
                {LIST_RANGES.iter().map(|(v, l)| view! { <option value=*v selected=move || get("range") == *v>{*l}</option> }).collect_view()}
            </select>
            <input type="hidden" name="rule" value=move || get("rule")/>
            <button type="submit">"Filter"</button>
        </form>
        <Suspense fallback=|| view! { <p class="loading">"Loading alerts…"</p> }>
            {move || Suspend::new(async move {
                match listing.await {
                    Ok(l) => {
                        let rule_name = l.rules.iter().find(|(id, _)| *id == get("rule")).map(|(_, n)| n.clone());
                        view! {
                            {rule_name.map(|n| view! { <p class="note">"Rule: "<strong>{n}</strong>" · "<a href="/alerts">"all rules"</a></p> })}
                            <p class="counts" data-testid="alert-counts">
                                {l.counts.iter().map(|(s, n)| view! { <span class=format!("state state-{s}")>{format!("{s}: {n}")}</span>" " }).collect_view()}
                            </p>
                            {move || change.value().get().map(|r| match r {
                                Ok(n) => view! { <p class="note" role="status">{format!("{n} alert(s) changed")}</p> }.into_any(),
                                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                            })}
                            <AlertTable rows=l.rows change/>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AlertTable(rows: Vec<AlertRow>, change: ServerAction<ChangeAlerts>) -> impl IntoView {
    if rows.is_empty() {
        return view! {
            <div class="empty" data-testid="alerts-empty">
                <h2>"No alerts match"</h2>
                <p>"Alerts appear when a rule finds something in newly stored events. "<a href="/rules">"See the rules"</a>"."</p>
            </div>
        }
        .into_any();
    }
    view! {
        <ActionForm action=change attr:class="bulk" attr:data-testid="alerts-form">
            <p class="bulk-actions">
                <button type="submit" name="action" value="acknowledge">"Acknowledge ticked"</button>" "
                <button type="submit" name="action" value="close">"Close ticked"</button>
            </p>
            <table class="alerts" data-testid="alerts-table">
                <thead>
                    <tr>
                        <th scope="col"><span class="visually-hidden">"Choose"</span></th>
                        <th scope="col">"Last seen (UTC)"</th>
                        <th scope="col">"Severity"</th>
                        <th scope="col">"Rule"</th>
                        <th scope="col">"Who / what"</th>
                        <th scope="col">"Events"</th>
                        <th scope="col">"Why"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|a| {
                        let id = a.id.clone();
                        view! {
                            <tr data-alert=a.id.clone() data-rule=a.rule_id.clone() data-status=a.status.as_str()>
                                <td><input type="checkbox" name="ids[]" value=id.clone() aria-label=format!("choose alert {}", a.rule_name)/></td>
                                <td><UtcTime at=Some(a.last_seen)/></td>
                                <td><span class=format!("severity severity-{}", a.severity)>{a.severity.as_str()}</span></td>
                                <td><a href=format!("/alerts/{}", a.id)>{a.rule_name.clone()}</a></td>
                                <td>{group_view(&a)}</td>
                                <td class="number"><a href=format!("/events?{}", a.events_query) title="the events behind this alert">{a.count}</a></td>
                                <td class="why">{a.why.clone()}</td>
                                <td><span class=format!("state state-{}", a.status) data-testid="alert-status">{a.status.as_str()}</span></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </ActionForm>
    }
    .into_any()
}

fn group_view(a: &AlertRow) -> impl IntoView {
    a.group
        .iter()
        .map(|g| {
            let shown = g.shown.clone();
            let value = match &g.link {
                Some(href) => view! { <a href=href.clone()>{shown}</a> }.into_any(),
                None => view! { <code>{shown}</code> }.into_any(),
            };
            view! { <span class="group-value"><small>{g.field.clone()}" "</small>{value}</span>" " }
        })
        .collect_view()
}

/// An alert's page.
#[component]
pub fn AlertPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let change = ServerAction::<ChangeAlerts>::new();
    let resend = ServerAction::<ResendDelivery>::new();
    let detail = Resource::new(
        move || (id(), change.version().get(), resend.version().get()),
        |(id, _, _)| get_alert(id),
    );
    let busy = Signal::derive(move || {
        detail
            .get()
            .and_then(Result::ok)
            .is_some_and(|d| d.deliveries.iter().any(|x| x.status == "pending"))
    });
    view! {
        <Title text="Alert"/>
        <AutoRefresh active=busy refetch=move || detail.refetch()/>
        <p><a href="/alerts">"← Alerts"</a></p>
        <Suspense fallback=|| view! { <p class="loading">"Loading the alert…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => {
                        let a = d.alert.clone();
                        view! {
                            <h1>{a.rule_name.clone()}</h1>
                            <p class="why" data-testid="alert-why">{a.why.clone()}</p>
                            <dl class="facts">
                                <dt>"Severity"</dt><dd><span class=format!("severity severity-{}", a.severity)>{a.severity.as_str()}</span></dd>
                                <dt>"Status"</dt><dd><span class=format!("state state-{}", a.status) data-testid="alert-status">{a.status.as_str()}</span>
                                    {d.acknowledged.clone().map(|(by, at)| view! { " · acknowledged by "{by}" "<UtcTime at=Some(at)/> })}
                                    {d.closed.clone().map(|(by, at)| view! { " · closed by "{by}" "<UtcTime at=Some(at)/> })}
                                </dd>
                                <dt>"Who / what"</dt><dd>{group_view(&a)}</dd>
                                <dt>"Events"</dt><dd><a href=format!("/events?{}", a.events_query) data-testid="alert-events-link">{format!("{} event(s)", a.count)}</a>" between "<UtcTime at=Some(a.first_seen)/>" and "<UtcTime at=Some(a.last_seen)/></dd>
                                <dt>"Rule"</dt><dd><a href=format!("/rules/{}", a.rule_id)>{a.rule_name.clone()}</a>": "{d.rule_logic.clone()}<br/><small>{d.rule_description.clone()}</small></dd>
                                {d.jira_issue.clone().map(|k| view! { <dt>"Jira issue"</dt><dd><code data-testid="jira-issue">{k}</code></dd> })}
                            </dl>
                            <div class="actions">
                                {(a.status == AlertStatus::Open).then(|| { let id = a.id.clone(); view! {
                                    <ActionForm action=change attr:class="inline-form">
                                        <input type="hidden" name="ids[]" value=id/>
                                        <input type="hidden" name="action" value="acknowledge"/>
                                        <button type="submit">"Acknowledge"</button>
                                    </ActionForm>
                                }})}
                                {(a.status != AlertStatus::Closed).then(|| { let id = a.id.clone(); view! {
                                    <ActionForm action=change attr:class="inline-form">
                                        <input type="hidden" name="ids[]" value=id/>
                                        <input type="hidden" name="action" value="close"/>
                                        <button type="submit">"Close"</button>
                                    </ActionForm>
                                }})}
                            </div>
                            <h2>"The first events"</h2>
                            <table class="events" data-testid="alert-events">
                                <thead><tr><th scope="col">"Time (UTC)"</th><th scope="col">"Operation"</th><th scope="col">"Object"</th></tr></thead>
                                <tbody>
                                    {d.events.iter().map(|(id, at, op, object)| view! {
                                        <tr>
                                            <td><a href=format!("/events/{}", domain::url::encode_component(id))><UtcTime at=Some(*at)/></a></td>
                                            <td><code>{op.clone()}</code></td>
                                            <td>{object.clone()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <h2>"Deliveries"</h2>
                            <DeliveryTable rows=d.deliveries.clone() resend/>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A delivery log: each delivery with its attempts, and "resend".
#[component]
pub fn DeliveryTable(
    rows: Vec<DeliveryRow>,
    resend: ServerAction<ResendDelivery>,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="note" data-testid="deliveries-empty">"Nothing was sent: no destination takes this alert (see the rule's destinations and each destination's default severity), or the rule is snoozed."</p> }.into_any();
    }
    view! {
        <table class="deliveries" data-testid="deliveries">
            <thead>
                <tr>
                    <th scope="col">"Queued (UTC)"</th>
                    <th scope="col">"Destination"</th>
                    <th scope="col">"What"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Attempts"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|d| {
                    let id = d.id.clone();
                    view! {
                        <tr data-delivery=d.id.clone() data-status=d.status.clone()>
                            <td><UtcTime at=Some(d.queued_at)/></td>
                            <td><a href=format!("/destinations/{}", d.destination)>{d.destination.clone()}</a>{d.alert_id.clone().map(|a| view! { <br/><small><a href=format!("/alerts/{a}")>"alert"</a></small> })}</td>
                            <td><code>{d.event.clone()}</code>{d.remote_ref.clone().map(|r| view! { " "<code>{r}</code> })}</td>
                            <td><span class=format!("state state-{}", d.status) data-testid="delivery-status">{d.status.clone()}</span></td>
                            <td>
                                <ol class="attempts">
                                    {d.attempts.iter().map(|(at, outcome, code, detail)| view! {
                                        <li><UtcTime at=Some(*at)/>" "<strong>{outcome.clone()}</strong>{code.map(|c| format!(" {c}"))}" "<small>{detail.clone()}</small></li>
                                    }).collect_view()}
                                </ol>
                            </td>
                            <td>
                                <ActionForm action=resend attr:class="inline-form">
                                    <input type="hidden" name="id" value=id/>
                                    <button type="submit">"Resend"</button>
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
