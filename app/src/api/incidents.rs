//! The Incidents pages' data and actions: the list (filters in the URL: state, severity,
//! assignee, person, team, range; counts per state; mean times to acknowledge and resolve), an
//! incident's page (timeline, alerts, people and addresses, the events around it) and the moves
//! people make on it, each checked on the server (an illegal one answers `409` with why).

use crate::api::alerts::{AlertRow, DeliveryRow};
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use domain::{Classification, IncidentState, Severity};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One incident in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentRow {
    /// Its id.
    pub id: String,
    /// Who and what, in words.
    pub title: String,
    /// Where it stands.
    pub state: IncidentState,
    /// The highest severity of its alerts.
    pub severity: Severity,
    /// Who is investigating it.
    pub assignee: Option<String>,
    /// How many alerts.
    pub alerts: u64,
    /// How many events behind them.
    pub events: u64,
    /// When correlation opened it.
    pub opened_at: DateTime<Utc>,
    /// Its latest event.
    pub last_seen: DateTime<Utc>,
}

/// The Incidents page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentListing {
    /// Matching incidents: triggered and open first, then by severity, latest first.
    pub rows: Vec<IncidentRow>,
    /// Matching incidents per state (the state filter aside).
    pub counts: Vec<(IncidentState, u64)>,
    /// Mean seconds from opening to acknowledgement, and over how many incidents.
    pub acknowledge: (Option<f64>, u64),
    /// Mean seconds from opening to resolution, and over how many incidents.
    pub resolve: (Option<f64>, u64),
    /// The administrators, for the assignee filter.
    pub users: Vec<String>,
}

/// A person or address involved, with where it links.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Involved {
    /// The name shown (a person's name, an address).
    pub shown: String,
    /// Their page or their events.
    pub link: String,
    /// Their events in the 24 hours around the incident.
    pub around: String,
}

/// One timeline entry as shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineRow {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub by: String,
    /// What kind (`acknowledged`, `note`…).
    pub kind: String,
    /// What, as safe HTML (notes are Markdown without raw HTML).
    pub html: String,
}

/// An incident's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentDetail {
    /// The incident.
    pub incident: IncidentRow,
    /// The correlation key alerts join it by.
    pub key: String,
    /// Its revision (changes with every change).
    pub revision: i64,
    /// Who acknowledged it and when.
    pub acknowledged: Option<(String, DateTime<Utc>)>,
    /// The classification, resolution note (safe HTML), who and when.
    pub resolution: Option<(Classification, String, String, DateTime<Utc>)>,
    /// Who closed it and when.
    pub closed: Option<(String, DateTime<Utc>)>,
    /// The Jira issue it is tracked in.
    pub jira_issue: Option<String>,
    /// The closed incident it follows.
    pub follows: Option<String>,
    /// Its first and latest events.
    pub first_seen: DateTime<Utc>,
    /// Its latest event.
    pub last_seen: DateTime<Utc>,
    /// The people involved.
    pub people: Vec<Involved>,
    /// The addresses involved.
    pub ips: Vec<Involved>,
    /// The timeline, oldest first.
    pub timeline: Vec<TimelineRow>,
    /// Its alerts.
    pub alerts: Vec<AlertRow>,
    /// The administrators it can be assigned to.
    pub users: Vec<String>,
    /// The moves it allows now (`acknowledge`, `assign`, `resolve`, `close`, `note`, `link`).
    pub moves: Vec<String>,
    /// Where its events (opened, reopened, resolved) were delivered.
    pub deliveries: Vec<DeliveryRow>,
}

/// The Events query string of everything in the 24 hours around `first..last` (12 hours either
/// side), narrowed by `param = value`.
pub fn around_query(param: &str, value: &str, first: DateTime<Utc>, last: DateTime<Utc>) -> String {
    let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut q = domain::query::EventQuery {
        from: stamp(first - chrono::Duration::hours(12)),
        to: stamp(last + chrono::Duration::hours(12)),
        ..Default::default()
    };
    match param {
        "ip" => q.ip = value.to_owned(),
        _ => q.person = value.to_owned(),
    }
    q.to_query(&[])
}

#[cfg(feature = "ssr")]
mod convert {
    use super::*;
    use query::people::PeopleSnapshot;
    use store::incidents::Incident;

    pub fn row(i: &Incident, people: &PeopleSnapshot) -> IncidentRow {
        IncidentRow {
            id: i.id.clone(),
            title: incidents::evidence::title(i, Some(people)),
            state: i.state,
            severity: i.severity,
            assignee: i.assignee.clone(),
            alerts: i.alerts,
            events: i.events,
            opened_at: i.created_at,
            last_seen: i.last_seen,
        }
    }

    pub fn involved(i: &Incident, people: &PeopleSnapshot) -> (Vec<Involved>, Vec<Involved>) {
        let persons = i
            .people
            .iter()
            .map(|id| {
                let name = domain::PersonId::parse(id)
                    .ok()
                    .and_then(|p| people.name(&p).map(str::to_owned));
                Involved {
                    shown: name.unwrap_or_else(|| id.clone()),
                    link: format!("/people/{}", domain::url::encode_component(id)),
                    around: format!(
                        "/events?{}",
                        around_query("person", id, i.first_seen, i.last_seen)
                    ),
                }
            })
            .collect();
        let ips = i
            .ips
            .iter()
            .map(|ip| Involved {
                shown: ip.clone(),
                link: format!("/events?ip={}", domain::url::encode_component(ip)),
                around: format!(
                    "/events?{}",
                    around_query("ip", ip, i.first_seen, i.last_seen)
                ),
            })
            .collect();
        (persons, ips)
    }

    /// The moves `Move::apply` would allow from `state` (words aside).
    pub fn moves(state: IncidentState) -> Vec<String> {
        use domain::Move;
        let candidates = [
            ("acknowledge", Move::Acknowledge),
            ("assign", Move::Assign("someone".into())),
            (
                "resolve",
                Move::Resolve(Classification::Undetermined, "note".into()),
            ),
            ("close", Move::Close),
            ("note", Move::Note("note".into())),
            ("link", Move::LinkIssue("SEC-1".into())),
        ];
        candidates
            .into_iter()
            .filter(|(_, m)| m.apply(state).is_ok())
            .map(|(name, _)| name.to_owned())
            .collect()
    }
}

/// Incidents matching the filters (each may be empty; `state` and `severity` take several values
/// separated by commas).
#[server(endpoint = "incidents/list")]
pub async fn list_incidents(
    state: String,
    severity: String,
    assignee: String,
    person: String,
    team: String,
    range: String,
) -> Result<IncidentListing, ApiError> {
    crate::ssr::require_user().await?;
    let app = crate::ssr::state()?;
    let filter = store::incidents::IncidentFilter {
        states: crate::ssr::parse_list(&state)?,
        severities: crate::ssr::parse_list(&severity)?,
        assignee: Some(assignee.trim().to_owned()).filter(|a| !a.is_empty()),
        people: crate::ssr::people_filter(&app, &person, &team).await?,
        from: crate::ssr::since(&range, Utc::now())?,
        to: None,
    };
    let incidents = app.store.incidents.list(&filter, 500).await?;
    let counts = app
        .store
        .incidents
        .count_by_state(&store::incidents::IncidentFilter {
            states: Vec::new(),
            ..filter.clone()
        })
        .await?;
    let times = app.store.incidents.response_times(&filter).await?;
    let people = app.people.snapshot().await?;
    Ok(IncidentListing {
        rows: incidents.iter().map(|i| convert::row(i, &people)).collect(),
        counts,
        acknowledge: (times.acknowledge_seconds, times.acknowledged),
        resolve: (times.resolve_seconds, times.resolved),
        users: app.store.users.usernames().await?,
    })
}

/// One incident with its timeline and alerts.
#[server(endpoint = "incidents/get")]
pub async fn get_incident(id: String) -> Result<IncidentDetail, ApiError> {
    crate::ssr::require_user().await?;
    let app = crate::ssr::state()?;
    let incident = app
        .store
        .incidents
        .get(&id)
        .await?
        .ok_or_else(crate::ssr::not_found)?;
    let people = app.people.snapshot().await?;
    let timeline = app.store.incidents.timeline(&incident).await?;
    let alerts = app.store.alerts.of_incident(&incident.id).await?;
    let (persons, ips) = convert::involved(&incident, &people);
    Ok(IncidentDetail {
        incident: convert::row(&incident, &people),
        key: incident.key.clone(),
        revision: incident.revision,
        acknowledged: incident.acknowledged.clone(),
        resolution: incident.resolution.as_ref().map(|r| {
            (
                r.classification,
                incidents::markdown::to_html(&r.note),
                r.by.clone(),
                r.at,
            )
        }),
        closed: incident.closed.clone(),
        jira_issue: incident.jira_issue.clone(),
        follows: incident.follows.clone(),
        first_seen: incident.first_seen,
        last_seen: incident.last_seen,
        people: persons,
        ips,
        timeline: timeline
            .iter()
            .map(|e| TimelineRow {
                at: e.at,
                by: e.by.clone(),
                kind: e.kind.as_str().to_owned(),
                html: incidents::evidence::entry_html(e),
            })
            .collect(),
        alerts: alerts
            .iter()
            .map(|a| crate::api::alerts::convert::row(a, &people))
            .collect(),
        users: app.store.users.usernames().await?,
        moves: convert::moves(incident.state),
        deliveries: app
            .store
            .deliveries
            .for_incident(&incident.id)
            .await?
            .into_iter()
            .map(DeliveryRow::from)
            .collect(),
    })
}

/// Makes one move on incident `id`: `action` is `acknowledge`, `assign` (with `assignee`),
/// `resolve` (with `classification` and `note`), `close`, `note` (with `note`) or `link` (with
/// `issue`). Returns the state it is now in.
#[server(endpoint = "incidents/change")]
pub async fn change_incident(
    id: String,
    action: String,
    #[server(default)] assignee: String,
    #[server(default)] classification: String,
    #[server(default)] note: String,
    #[server(default)] issue: String,
) -> Result<IncidentState, ApiError> {
    use domain::Move;
    let user = crate::ssr::require_user().await?;
    let app = crate::ssr::state()?;
    let m = match action.as_str() {
        "acknowledge" => Move::Acknowledge,
        "assign" => Move::Assign(assignee),
        "resolve" => {
            if classification.trim().is_empty() {
                return Err(crate::ssr::bad_request(
                    "choose a classification: true positive, benign true positive, false positive or undetermined",
                ));
            }
            Move::Resolve(
                classification
                    .trim()
                    .parse()
                    .map_err(crate::ssr::bad_request)?,
                note,
            )
        }
        "close" => Move::Close,
        "note" => Move::Note(note),
        "link" => Move::LinkIssue(issue.trim().to_owned()),
        other => {
            return Err(crate::ssr::bad_request(format!(
                "`{other}` is not an action; use acknowledge, assign, resolve, close, note or link"
            )))
        }
    };
    let incident = incidents::apply_move(&app.store, &id, &m, &user.username, Utc::now()).await?;
    Ok(incident.state)
}
