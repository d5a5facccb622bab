//! The Rules page (every rule with its logic, last fired and alerts over 7 days; enable, snooze,
//! edit, delete — built-in rules can be tuned and switched off, not deleted) and the rule form,
//! used for a new rule ("Alert on this" from the Events page pre-fills its filter) and for editing
//! one. The form's "Preview" is a GET of the same page with every field in the URL, so it works
//! without JavaScript and a preview can be shared; "Save" posts the same fields.

use crate::api::destinations::list_destinations;
use crate::api::rules::{
    get_rule, list_rules, preview_rule, DeleteRule, RuleForm, RuleRow, SaveRule, SetRule,
};
use crate::components::time::UtcTime;
use domain::Field;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The Rules page.
#[component]
pub fn RulesPage() -> impl IntoView {
    let set = ServerAction::<SetRule>::new();
    let delete = ServerAction::<DeleteRule>::new();
    let rules = Resource::new(
        move || set.version().get() + delete.version().get(),
        |_| list_rules(),
    );
    view! {
        <Title text="Rules"/>
        <div class="page-head">
            <h1>"Rules"</h1>
            <p><a href="/rules/new" class="button" data-testid="new-rule">"New rule"</a>" · "<a href="/alerts">"Alerts"</a>" · "<a href="/destinations">"Destinations"</a></p>
        </div>
        {move || set.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
        {move || delete.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
        <Suspense fallback=|| view! { <p class="loading">"Loading rules…"</p> }>
            {move || Suspend::new(async move {
                match rules.await {
                    Ok(rows) => view! { <RuleTable rows set delete/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RuleTable(
    rows: Vec<RuleRow>,
    set: ServerAction<SetRule>,
    delete: ServerAction<DeleteRule>,
) -> impl IntoView {
    view! {
        <table class="rules" data-testid="rules-table">
            <thead>
                <tr>
                    <th scope="col">"Rule"</th>
                    <th scope="col">"Logic"</th>
                    <th scope="col">"Severity"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Last fired (UTC)"</th>
                    <th scope="col">"Alerts / day (7 d)"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|r| {
                    let id = r.id.clone();
                    let (id_enable, id_snooze, id_delete) = (r.id.clone(), r.id.clone(), r.id.clone());
                    let state = if !r.enabled { "off" } else if r.snoozed_until.is_some() { "snoozed" } else { "on" };
                    let per_day = r.alerts_7d as f64 / 7.0;
                    view! {
                        <tr data-rule=r.id.clone() data-state=state>
                            <td>
                                <a href=format!("/rules/{}", r.id)><strong>{r.name.clone()}</strong></a>
                                {r.builtin.then(|| view! { " "<small class="badge">"built-in"</small> })}
                                <br/><small>{r.description.clone()}</small>
                                {r.invalid.clone().map(|e| view! { <br/><span class="error">{e}</span> })}
                            </td>
                            <td>{r.logic.clone()}<br/><a href=format!("/events?{}", r.filter)><code>{if r.filter.is_empty() { "all events".to_owned() } else { r.filter.clone() }}</code></a></td>
                            <td><span class=format!("severity severity-{}", r.severity)>{r.severity.as_str()}</span></td>
                            <td>
                                <span class=format!("state state-{state}") data-testid="rule-state">{state}</span>
                                {r.snoozed_until.map(|t| view! { <br/><small>"until "<UtcTime at=Some(t)/></small> })}
                            </td>
                            <td><UtcTime at=r.last_fired_at/></td>
                            <td class="number"><a href=format!("/alerts?rule={}&range=7d", r.id)>{format!("{per_day:.1}")}</a></td>
                            <td class="actions">
                                <ActionForm action=set attr:class="inline-form">
                                    <input type="hidden" name="id" value=id_enable/>
                                    <input type="hidden" name="enabled" value=(!r.enabled).to_string()/>
                                    <button type="submit">{if r.enabled { "Switch off" } else { "Switch on" }}</button>
                                </ActionForm>
                                {if r.snoozed_until.is_some() {
                                    view! {
                                        <ActionForm action=set attr:class="inline-form">
                                            <input type="hidden" name="id" value=id_snooze/>
                                            <input type="hidden" name="snooze_hours" value="0"/>
                                            <button type="submit">"Unsnooze"</button>
                                        </ActionForm>
                                    }.into_any()
                                } else {
                                    let label_for = format!("snooze-{id}");
                                    let select_id = label_for.clone();
                                    view! {
                                        <ActionForm action=set attr:class="inline-form">
                                            <input type="hidden" name="id" value=id_snooze/>
                                            <label class="visually-hidden" for=label_for>"Snooze for"</label>
                                            <select id=select_id name="snooze_hours">
                                                <option value="1">"1 hour"</option>
                                                <option value="24">"24 hours"</option>
                                                <option value="168">"7 days"</option>
                                            </select>
                                            <button type="submit">"Snooze"</button>
                                        </ActionForm>
                                    }.into_any()
                                }}
                                <a href=format!("/rules/{}", r.id)>"Edit"</a>
                                {(!r.builtin).then(|| view! {
                                    <ActionForm action=delete attr:class="inline-form">
                                        <input type="hidden" name="id" value=id_delete/>
                                        <button type="submit" class="danger">"Delete"</button>
                                    </ActionForm>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The form of a new rule; its fields come from the URL ("Alert on this", a preview).
#[component]
pub fn NewRulePage() -> impl IntoView {
    let query = use_query_map();
    let form = Memo::new(move |_| {
        let q = query.read();
        let mut f = form_from(&q);
        if f.name.is_empty() && q.get("preview").is_none() {
            f.name = "New rule".into();
            f.enabled = "on".into();
        }
        f
    });
    view! {
        <Title text="New rule"/>
        <p><a href="/rules">"← Rules"</a></p>
        <h1>"New rule"</h1>
        {move || view! { <RuleEditor form=form.get() builtin=false action="/rules/new"/> }}
    }
}

/// The preview buttons' click in the browser: the form's fields as a GET of `action`, the way the
/// buttons' `formmethod="get"` submits them without JavaScript (the ActionForm around them would
/// otherwise send every submit to the save action).
fn preview_on_click(action: String) -> impl Fn(leptos::ev::MouseEvent) + Clone + 'static {
    let navigate = leptos_router::hooks::use_navigate();
    move |ev: leptos::ev::MouseEvent| {
        use leptos::wasm_bindgen::JsCast;
        use leptos::web_sys::{FormData, HtmlButtonElement, UrlSearchParams};
        let Some(button) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<HtmlButtonElement>().ok())
        else {
            return;
        };
        let Some(data) = button.form().and_then(|f| FormData::new_with_form(&f).ok()) else {
            return;
        };
        if data
            .append_with_str(&button.name(), &button.value())
            .is_err()
        {
            return;
        }
        let Ok(params) = UrlSearchParams::new_with_str_sequence_sequence(&data) else {
            return;
        };
        ev.prevent_default();
        let query = String::from(params.to_string());
        navigate(&format!("{action}?{query}"), Default::default());
    }
}

/// A stored rule's form; after a preview, its fields come from the URL.
#[component]
pub fn EditRulePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let stored = Resource::new(id, get_rule);
    view! {
        <Title text="Edit rule"/>
        <p><a href="/rules">"← Rules"</a></p>
        <Suspense fallback=|| view! { <p class="loading">"Loading the rule…"</p> }>
            {move || Suspend::new(async move {
                match stored.await {
                    Ok(editor) => {
                        let q = query.read_untracked();
                        let form = if q.get("preview").is_some() { form_from(&q) } else { editor.form.clone() };
                        let action = format!("/rules/{}", editor.form.id);
                        view! {
                            <h1>{editor.form.name.clone()}{editor.builtin.then(|| view! { " "<small class="badge">"built-in"</small> })}</h1>
                            <RuleEditor form builtin=editor.builtin action/>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The form's fields from a URL: as the form submits them (`form[name]`) or plainly (`name`, as
/// "Alert on this" links).
fn form_from(q: &leptos_router::params::ParamsMap) -> RuleForm {
    RuleForm::from_lookup(|k| q.get(&format!("form[{k}]")).or_else(|| q.get(k)))
}

fn field_options(selected: &str, fields: &[Field]) -> impl IntoView {
    let selected = selected.to_owned();
    fields
        .iter()
        .map(|f| {
            let v = f.as_str();
            view! { <option value=v selected=selected == v>{f.label()}</option> }
        })
        .collect_view()
}

/// The rule form with its preview. `action` is the page itself (the preview's GET target).
#[component]
fn RuleEditor(form: RuleForm, builtin: bool, #[prop(into)] action: String) -> impl IntoView {
    let save = ServerAction::<SaveRule>::new();
    let query = use_query_map();
    let days: u32 = query
        .read_untracked()
        .get("preview")
        .and_then(|d| d.parse().ok())
        .unwrap_or(7);
    let previewing = query.read_untracked().get("preview").is_some();
    let checked = form.to_spec();
    let preview = Resource::new(
        {
            let form = form.clone();
            move || (form.clone(), days, previewing)
        },
        |(form, days, previewing)| async move {
            if previewing {
                Some(preview_rule(form, days).await)
            } else {
                None
            }
        },
    );
    let destinations = Resource::new(|| (), |_| list_destinations());
    let preview_click = preview_on_click(action.clone());
    let f = form.clone();
    let kind = f.kind.clone();
    let kinds = [
        ("match", "every matching event"),
        ("threshold", "at least N events in a window"),
        ("new_value", "a value not seen before"),
        ("baseline", "above the group's usual count"),
        ("absence", "a silent stream"),
        ("sync_health", "failing sync or credentials"),
    ];
    view! {
        {match &checked {
            Err(e) if previewing => Some(view! { <p class="error" role="alert" data-testid="rule-error">{e.clone()}</p> }),
            _ => None,
        }}
        {move || save.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert" data-testid="rule-error">{e.to_string()}</p> })}
        <ActionForm action=save attr:class="rule-form" attr:data-testid="rule-form">
            <input type="hidden" name="form[id]" value=f.id.clone()/>
            <fieldset>
                <legend>"What"</legend>
                <label for="rule-name">"Name"</label>
                <input id="rule-name" name="form[name]" type="text" required value=f.name.clone() size="50"/>
                <label for="rule-description">"Description"</label>
                <input id="rule-description" name="form[description]" type="text" value=f.description.clone() size="70"/>
                <label for="rule-severity">"Severity"</label>
                <select id="rule-severity" name="form[severity]">
                    {domain::Severity::ALL.iter().map(|s| { let v = s.as_str(); view! { <option value=v selected=f.severity == v || (f.severity.is_empty() && v == "medium")>{v}</option> } }).collect_view()}
                </select>
                <label for="rule-filter">"Events (an Events page query: "<code>"product=org&operation=admin_granted"</code>")"</label>
                <input id="rule-filter" name="form[filter]" type="text" value=f.filter.clone() size="70" data-testid="rule-filter"/>
                <label class="check"><input type="checkbox" name="form[enabled]" value="on" checked=f.enabled == "on"/>" Enabled"</label>
            </fieldset>
            <fieldset>
                <legend>"When it fires"</legend>
                <label for="rule-kind">"Kind"</label>
                <select id="rule-kind" name="form[kind]">
                    {kinds.iter().map(|(v, l)| view! { <option value=*v selected=kind == *v || (kind.is_empty() && *v == "match")>{format!("{v}: {l}")}</option> }).collect_view()}
                </select>
                <p class="hint">"Threshold: at least "<input name="form[count]" type="number" min="1" value=f.count.clone() placeholder="5" size="5" aria-label="count"/>" events within "<input name="form[window_minutes]" type="number" min="1" value=f.window_minutes.clone() placeholder="10" aria-label="window in minutes"/>" minutes."</p>
                <p class="hint">"Threshold, new value, baseline: per "
                    <select name="form[group_by]" aria-label="group by"><option value="">"(person)"</option>{field_options(&f.group_by, &Field::GROUPS)}</select>"."</p>
                <p class="hint">"New value: the first "<select name="form[field]" aria-label="new value field"><option value="">"(IP address)"</option>{field_options(&f.field, &[Field::Ip, Field::Country, Field::Object, Field::Container, Field::Operation, Field::Product])}</select>
                    " not seen in "<input name="form[history_days]" type="number" min="1" max="90" value=f.history_days.clone() placeholder="30" aria-label="history in days"/>" days (also the baseline's history)."</p>
                <p class="hint">"Baseline: the count in "<input name="form[window_hours]" type="number" min="1" value=f.window_hours.clone() placeholder="24" aria-label="window in hours"/>" hours above "
                    <input name="form[factor]" type="number" min="1" step="0.5" value=f.factor.clone() placeholder="10" aria-label="factor"/>" × the median, and at least "<input name="form[floor]" type="number" min="1" value=f.floor.clone() placeholder="50" aria-label="floor"/>"."</p>
                <p class="hint">"Absence: no event for "<input name="form[silent_minutes]" type="number" min="5" value=f.silent_minutes.clone() placeholder="1440" aria-label="silence in minutes"/>" minutes."</p>
                <p class="hint">"Sync health: "<input name="form[failures_in_a_row]" type="number" min="1" value=f.failures_in_a_row.clone() placeholder="3" aria-label="failures in a row"/>" failed runs in a row; warn "
                    <input name="form[expiry_warning_days]" type="number" min="1" value=f.expiry_warning_days.clone() placeholder="14" aria-label="expiry warning days"/>" days before a credential expires."</p>
            </fieldset>
            <fieldset>
                <legend>"Noise"</legend>
                <label for="rule-dedup">"Dedup key (fields in braces)"</label>
                <input id="rule-dedup" name="form[dedup_key]" type="text" value=f.dedup_key.clone() placeholder="{person}" size="24"/>
                <label for="rule-period">"Dedup period (minutes)"</label>
                <input id="rule-period" name="form[dedup_minutes]" type="number" min="1" value=f.dedup_minutes.clone() placeholder="60"/>
                <label for="rule-xp">"Never for these people (ids, comma-separated)"</label>
                <input id="rule-xp" name="form[exclude_people]" type="text" value=f.exclude_people.clone() size="50"/>
                <label for="rule-xt">"Never for these teams"</label>
                <input id="rule-xt" name="form[exclude_teams]" type="text" value=f.exclude_teams.clone() size="50"/>
                <label for="rule-xi">"Never from these addresses or blocks"</label>
                <input id="rule-xi" name="form[exclude_ips]" type="text" value=f.exclude_ips.clone() size="50" placeholder="10.0.0.0/8, 203.0.113.7"/>
            </fieldset>
            <fieldset>
                <legend>"Incidents"</legend>
                <label for="rule-correlate">"Its alerts join one incident per"</label>
                <select id="rule-correlate" name="form[correlate_by]">
                    {domain::CorrelateBy::ALL.iter().map(|c| { let v = c.as_str(); let chosen = f.correlate_by == v || (f.correlate_by.is_empty() && v == "auto"); view! { <option value=v selected=chosen>{match c {
                        domain::CorrelateBy::Auto => "person, else address, else object (automatic)",
                        domain::CorrelateBy::Person => "person",
                        domain::CorrelateBy::Ip => "IP address",
                        domain::CorrelateBy::Object => "object or container",
                        domain::CorrelateBy::Rule => "rule",
                    }}</option> } }).collect_view()}
                </select>
                <label for="rule-lookback">"Join an active incident whose latest alert is within (hours)"</label>
                <input id="rule-lookback" name="form[lookback_hours]" type="number" min="1" max="720" value=f.lookback_hours.clone() placeholder="24"/>
                <label for="rule-reopen">"Reopen a resolved incident within (hours; 0: never, open a new one)"</label>
                <input id="rule-reopen" name="form[reopen_hours]" type="number" min="0" max="720" value=f.reopen_hours.clone() placeholder="0"/>
            </fieldset>
            <fieldset>
                <legend>"Where it goes"</legend>
                <label for="rule-dest">"Destination ids (comma-separated; destinations with a default severity get it anyway)"</label>
                <input id="rule-dest" name="form[destinations]" type="text" value=f.destinations.clone() size="50"/>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        destinations.await.ok().map(|ds| view! {
                            <p class="hint">"Destinations: "{ds.into_iter().map(|d| view! { <code>{d.id}</code>" ("{d.name}") " }).collect_view()}</p>
                        })
                    })}
                </Suspense>
            </fieldset>
            <p class="form-actions">
                <button type="submit" data-testid="save-rule">"Save"</button>" "
                <button type="submit" formmethod="get" formaction=action.clone() name="preview" value="7" data-testid="preview-7" on:click=preview_click.clone()>"Preview 7 days"</button>" "
                <button type="submit" formmethod="get" formaction=action.clone() name="preview" value="30" data-testid="preview-30" on:click=preview_click>"Preview 30 days"</button>
                {builtin.then(|| view! { " "<small>"Built-in rules can be tuned and switched off, not deleted."</small> })}
            </p>
        </ActionForm>
        <Suspense fallback=|| view! { <p class="loading">"Evaluating the rule over stored events…"</p> }>
            {move || Suspend::new(async move {
                match preview.await {
                    None => None,
                    Some(Err(e)) => Some(view! { <p class="error" role="alert" data-testid="rule-error">{e.to_string()}</p> }.into_any()),
                    Some(Ok(p)) => Some(view! {
                        <section class="preview" data-testid="preview">
                            <h2>{format!("Preview over the last {} days", p.days)}</h2>
                            <p>
                                <a href=format!("/events?{}", p.events_query) data-testid="preview-events">{format!("{} matching events", p.matching_events)}</a>
                                "; it would have fired "<strong data-testid="preview-alerts">{p.alerts}</strong>{if p.alerts == 1 { " time" } else { " times" }}"."
                                {p.truncated.then_some(" (judged on the first 50,000 matching events)")}
                            </p>
                            {p.noisy.then(|| view! { <p class="warning" role="status" data-testid="noise-warning">"More than one alert an hour: this rule would be noise. Raise its threshold, narrow its filter, or lengthen its dedup period."</p> })}
                            <ol class="preview-alerts">
                                {p.first.into_iter().map(|(at, group, why)| view! { <li><UtcTime at=Some(at)/>" "<small>{group}</small>" — "{why}</li> }).collect_view()}
                            </ol>
                        </section>
                    }.into_any()),
                }
            })}
        </Suspense>
    }
}
