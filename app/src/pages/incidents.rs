//! The Incidents page (filters in the URL: state, severity, assignee, person, team, range; counts
//! per state; mean times to acknowledge and resolve) and an incident's page: who and what, the
//! timeline, the alerts and the events behind them, and the moves it allows now as forms that
//! work without JavaScript. A closed incident shows no form.

use crate::api::alerts::ResendDelivery;
use crate::api::incidents::{
    get_incident, list_incidents, ChangeIncident, IncidentDetail, IncidentRow, Involved,
};
use crate::components::filter_form::LIST_RANGES;
use crate::components::time::UtcTime;
use domain::{Classification, IncidentState};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// A mean duration in words ("4 min", "2.5 h").
fn duration(seconds: Option<f64>, over: u64) -> String {
    match seconds {
        None => "—".to_owned(),
        Some(s) => {
            let words = if s < 90.0 {
                format!("{s:.0} s")
            } else if s < 5400.0 {
                format!("{:.0} min", s / 60.0)
            } else if s < 172_800.0 {
                format!("{:.1} h", s / 3600.0)
            } else {
                format!("{:.1} days", s / 86400.0)
            };
            format!("{words} (over {over})")
        }
    }
}

/// The Incidents page.
#[component]
pub fn IncidentsPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).unwrap_or_default();
    let listing = Resource::new(
        move || {
            [
                get("state"),
                get("severity"),
                get("assignee"),
                get("person"),
                get("team"),
                get("range"),
            ]
        },
        |[state, severity, assignee, person, team, range]| {
            list_incidents(state, severity, assignee, person, team, range)
        },
    );
    view! {
        <Title text="Incidents"/>
        <div class="page-head">
            <h1>"Incidents"</h1>
            <p><a href="/alerts">"Alerts"</a>" · "<a href="/rules">"Rules"</a></p>
        </div>
        <Suspense fallback=|| view! { <p class="loading">"Loading incidents…"</p> }>
            {move || Suspend::new(async move {
                match listing.await {
                    Ok(l) => view! {
                        <form method="get" action="/incidents" class="filters" data-testid="incident-filters">
                            <label for="incident-state">"State"</label>
                            <select id="incident-state" name="state">
                                <option value="" selected=get("state").is_empty()>"any"</option>
                                <option value="triggered,open,investigating" selected=get("state") == "triggered,open,investigating">"not resolved"</option>
                                {IncidentState::ALL.iter().map(|s| { let s = s.as_str(); view! { <option value=s selected=get("state") == s>{s}</option> } }).collect_view()}
                            </select>
                            <label for="incident-severity">"Severity"</label>
                            <select id="incident-severity" name="severity">
                                <option value="" selected=get("severity").is_empty()>"any"</option>
                                {domain::Severity::ALL.iter().map(|s| { let s = s.as_str(); view! { <option value=s selected=get("severity") == s>{s}</option> } }).collect_view()}
                            </select>
                            <label for="incident-assignee">"Assignee"</label>
                            <select id="incident-assignee" name="assignee">
                                <option value="" selected=get("assignee").is_empty()>"anyone"</option>
                                {l.users.iter().map(|u| { let u = u.clone(); let selected = get("assignee") == u; view! { <option value=u.clone() selected=selected>{u.clone()}</option> } }).collect_view()}
                            </select>
                            <label for="incident-person">"Person"</label>
                            <input id="incident-person" name="person" type="text" value=get("person") size="18" placeholder="name or id"/>
                            <label for="incident-team">"Team"</label>
                            <input id="incident-team" name="team" type="text" value=get("team") size="14" placeholder="team:…"/>
                            <label for="incident-range">"Opened"</label>
                            <select id="incident-range" name="range">
                                {LIST_RANGES.iter().map(|(v, label)| view! { <option value=*v selected=get("range") == *v>{*label}</option> }).collect_view()}
                            </select>
                            <button type="submit">"Filter"</button>
                        </form>
                        <p class="counts" data-testid="incident-counts">
                            {l.counts.iter().map(|(s, n)| view! {
                                <a class=format!("state state-{s}") href=format!("/incidents?state={s}")>{format!("{s}: {n}")}</a>" "
                            }).collect_view()}
                        </p>
                        <dl class="facts response-times" data-testid="response-times">
                            <dt>"Mean time to acknowledge"</dt><dd data-testid="mtta">{duration(l.acknowledge.0, l.acknowledge.1)}</dd>
                            <dt>"Mean time to resolve"</dt><dd data-testid="mttr">{duration(l.resolve.0, l.resolve.1)}</dd>
                        </dl>
                        <IncidentTable rows=l.rows/>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn IncidentTable(rows: Vec<IncidentRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! {
            <div class="empty" data-testid="incidents-empty">
                <h2>"No incidents match"</h2>
                <p>"Alerts are gathered into incidents by the person, address, object or rule they concern (each rule says which). "<a href="/alerts">"See the alerts"</a>"."</p>
            </div>
        }
        .into_any();
    }
    view! {
        <table class="incidents" data-testid="incidents-table">
            <thead>
                <tr>
                    <th scope="col">"Opened (UTC)"</th>
                    <th scope="col">"Severity"</th>
                    <th scope="col">"Incident"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Assignee"</th>
                    <th scope="col">"Alerts"</th>
                    <th scope="col">"Events"</th>
                    <th scope="col">"Last event (UTC)"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|i| view! {
                    <tr data-incident=i.id.clone() data-state=i.state.as_str()>
                        <td><UtcTime at=Some(i.opened_at)/></td>
                        <td><span class=format!("severity severity-{}", i.severity)>{i.severity.as_str()}</span></td>
                        <td><a href=format!("/incidents/{}", i.id) data-testid="incident-title">{i.title.clone()}</a></td>
                        <td><span class=format!("state state-{}", i.state) data-testid="incident-state">{i.state.as_str()}</span></td>
                        <td>{i.assignee.clone().unwrap_or_default()}</td>
                        <td class="number">{i.alerts}</td>
                        <td class="number">{i.events}</td>
                        <td><UtcTime at=Some(i.last_seen)/></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// An incident's page.
#[component]
pub fn IncidentPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let change = ServerAction::<ChangeIncident>::new();
    let resend = ServerAction::<ResendDelivery>::new();
    let detail = Resource::new(
        move || (id(), change.version().get(), resend.version().get()),
        |(id, _, _)| get_incident(id),
    );
    view! {
        <Title text="Incident"/>
        <p><a href="/incidents">"← Incidents"</a></p>
        <Suspense fallback=|| view! { <p class="loading">"Loading the incident…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! {
                        {move || change.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert" data-testid="incident-error">{e.to_string()}</p> })}
                        <IncidentView d change resend/>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn involved_list(items: Vec<Involved>, testid: &'static str) -> impl IntoView {
    view! {
        <ul class="involved" data-testid=testid>
            {items.into_iter().map(|p| view! {
                <li>
                    <a href=p.link.clone()>{p.shown.clone()}</a>" · "
                    <a href=p.around.clone() data-testid="around-link">"what else in the 24 hours around it"</a>
                </li>
            }).collect_view()}
        </ul>
    }
}

#[component]
fn IncidentView(
    d: IncidentDetail,
    change: ServerAction<ChangeIncident>,
    resend: ServerAction<ResendDelivery>,
) -> impl IntoView {
    let i = d.incident.clone();
    let export = |format: &str| format!("/api/incidents/export?id={}&format={format}", i.id);
    let manifest = format!(
        "/api/incidents/manifest?id={}&revision={}&format=json",
        i.id, d.revision
    );
    view! {
        <h1 data-testid="incident-heading">{i.title.clone()}</h1>
        <dl class="facts">
            <dt>"State"</dt><dd><span class=format!("state state-{}", i.state) data-testid="incident-state">{i.state.as_str()}</span></dd>
            <dt>"Severity"</dt><dd><span class=format!("severity severity-{}", i.severity)>{i.severity.as_str()}</span></dd>
            <dt>"Opened"</dt><dd><UtcTime at=Some(i.opened_at)/>" · events "<UtcTime at=Some(d.first_seen)/>" to "<UtcTime at=Some(d.last_seen)/></dd>
            {d.acknowledged.clone().map(|(by, at)| view! { <dt>"Acknowledged"</dt><dd>{by}" "<UtcTime at=Some(at)/></dd> })}
            {i.assignee.clone().map(|a| view! { <dt>"Assignee"</dt><dd data-testid="incident-assignee">{a}</dd> })}
            {d.resolution.clone().map(|(c, note, by, at)| view! {
                <dt>"Resolution"</dt>
                <dd data-testid="incident-resolution"><strong>{c.label()}</strong>" by "{by}" "<UtcTime at=Some(at)/><div class="note-text" inner_html=note></div></dd>
            })}
            {d.closed.clone().map(|(by, at)| view! { <dt>"Closed"</dt><dd>{by}" "<UtcTime at=Some(at)/></dd> })}
            {d.jira_issue.clone().map(|k| view! { <dt>"Jira issue"</dt><dd><code data-testid="incident-issue">{k}</code></dd> })}
            {d.follows.clone().map(|f| view! { <dt>"Follows"</dt><dd><a href=format!("/incidents/{f}")>"closed incident "{f.clone()}</a></dd> })}
            <dt>"Correlated by"</dt><dd title=d.key.clone()>{d.key.split_once(':').map_or("rule", |(field, _)| field).to_owned()}</dd>
            <dt>"Evidence"</dt>
            <dd>
                <a href=export("json") data-testid="export-json" download>"JSON"</a>" · "
                <a href=export("html") data-testid="export-html">"printable page"</a>" · "
                <a href=manifest data-testid="export-manifest">"manifest (SHA-256)"</a>
            </dd>
        </dl>
        {(!d.people.is_empty()).then(|| view! { <h2>"People"</h2>{involved_list(d.people.clone(), "incident-people")} })}
        {(!d.ips.is_empty()).then(|| view! { <h2>"Addresses"</h2>{involved_list(d.ips.clone(), "incident-ips")} })}
        <Moves d=d.clone() change/>
        <h2>"Timeline"</h2>
        <ol class="timeline" data-testid="timeline">
            {d.timeline.iter().map(|e| view! {
                <li data-kind=e.kind.clone()>
                    <UtcTime at=Some(e.at)/>" · "<strong class="actor">{e.by.clone()}</strong>" · "
                    <span inner_html=e.html.clone()></span>
                </li>
            }).collect_view()}
        </ol>
        <h2>"Alerts"</h2>
        <table class="alerts" data-testid="incident-alerts">
            <thead><tr><th scope="col">"Last seen (UTC)"</th><th scope="col">"Severity"</th><th scope="col">"Rule"</th><th scope="col">"Events"</th><th scope="col">"Why"</th><th scope="col">"Status"</th></tr></thead>
            <tbody>
                {d.alerts.iter().map(|a| view! {
                    <tr data-alert=a.id.clone()>
                        <td><UtcTime at=Some(a.last_seen)/></td>
                        <td><span class=format!("severity severity-{}", a.severity)>{a.severity.as_str()}</span></td>
                        <td><a href=format!("/alerts/{}", a.id)>{a.rule_name.clone()}</a></td>
                        <td class="number"><a href=format!("/events?{}", a.events_query) title="the events behind this alert">{a.count}</a></td>
                        <td class="why">{a.why.clone()}</td>
                        <td><span class=format!("state state-{}", a.status)>{a.status.as_str()}</span></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <h2>"Deliveries"</h2>
        {if d.deliveries.is_empty() {
            view! { <p class="note" data-testid="incident-deliveries-empty">"Nothing was sent about this incident or its alerts: no destination takes them (see each destination's default severity, the rules' destinations, and the destinations' \"Incident events\" choice)."</p> }.into_any()
        } else {
            view! { <crate::pages::alerts::DeliveryTable rows=d.deliveries.clone() resend/> }.into_any()
        }}
    }
}

/// The forms of the moves the incident allows now; none for a closed incident.
#[component]
fn Moves(d: IncidentDetail, change: ServerAction<ChangeIncident>) -> impl IntoView {
    if d.moves.is_empty() {
        return view! { <p class="note" data-testid="incident-final">"This incident is closed: it is final and cannot be changed. A new alert for the same key opens a new incident linked to it."</p> }.into_any();
    }
    let id = StoredValue::new(d.incident.id.clone());
    let has = |m: &str| d.moves.iter().any(|x| x == m);
    let hidden = move |action: &'static str| {
        view! { <input type="hidden" name="id" value=id.get_value()/><input type="hidden" name="action" value=action/> }
    };
    view! {
        <h2>"Triage"</h2>
        <div class="moves" data-testid="incident-moves">
            {has("acknowledge").then(|| view! {
                <ActionForm action=change attr:class="inline-form" attr:data-testid="move-acknowledge">
                    {hidden("acknowledge")}
                    <button type="submit">"Acknowledge"</button>
                </ActionForm>
            })}
            {has("assign").then(|| view! {
                <ActionForm action=change attr:class="inline-form" attr:data-testid="move-assign">
                    {hidden("assign")}
                    <label for="incident-assign-to">"Assign to"</label>
                    <select id="incident-assign-to" name="assignee">
                        {d.users.iter().map(|u| view! { <option value=u.clone() selected=d.incident.assignee.as_deref() == Some(u.as_str())>{u.clone()}</option> }).collect_view()}
                    </select>
                    <button type="submit">"Assign"</button>
                </ActionForm>
            })}
            {has("resolve").then(|| view! {
                <ActionForm action=change attr:class="stacked-form" attr:data-testid="move-resolve">
                    {hidden("resolve")}
                    <fieldset>
                        <legend>"Resolve"</legend>
                        <label for="incident-classification">"Classification"</label>
                        <select id="incident-classification" name="classification" required>
                            <option value="">"choose…"</option>
                            {Classification::ALL.iter().map(|c| view! { <option value=c.as_str()>{c.label()}</option> }).collect_view()}
                        </select>
                        <label for="incident-resolution">"Resolution note (Markdown)"</label>
                        <textarea id="incident-resolution" name="note" rows="3" cols="60" required placeholder="What was found and what was done"></textarea>
                        <button type="submit">"Resolve"</button>
                    </fieldset>
                </ActionForm>
            })}
            {has("close").then(|| view! {
                <ActionForm action=change attr:class="inline-form" attr:data-testid="move-close">
                    {hidden("close")}
                    <button type="submit">"Close for good"</button>
                </ActionForm>
            })}
            {has("note").then(|| view! {
                <ActionForm action=change attr:class="stacked-form" attr:data-testid="move-note">
                    {hidden("note")}
                    <label for="incident-note">"Note (Markdown)"</label>
                    <textarea id="incident-note" name="note" rows="3" cols="60" required></textarea>
                    <button type="submit">"Add note"</button>
                </ActionForm>
            })}
            {has("link").then(|| view! {
                <ActionForm action=change attr:class="inline-form" attr:data-testid="move-link">
                    {hidden("link")}
                    <label for="incident-issue">"Jira issue"</label>
                    <input id="incident-issue" name="issue" type="text" size="10" placeholder="SEC-123" required/>
                    <button type="submit">"Link"</button>
                </ActionForm>
            })}
        </div>
    }
    .into_any()
}
