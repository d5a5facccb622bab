//! The detection scenarios' control endpoints: `GET /_sim/scenario` lists them, the switches in
//! force and every situation in the data; `POST /_sim/scenario/<name>` adds one (or flips a
//! switch) and answers what it added — each record's source id (the last part of its event id,
//! docs/simulator.md §5), time, action, actor and address — so a test or a demo knows exactly
//! which events to expect.

use super::{admin, confluence, error, ok, params, Family, Shared};
use crate::catalog::{CONFLUENCE_AUDIT, JIRA_AUDIT, ORG_ACTIONS};
use crate::dataset::{Dataset, RecordRef, Situation, AUDIT_ID_BASE, CONTENT_ID_BASE};
use crate::format::{parse_instant, utc};
use crate::scenarios::refused_credentials::{self, Api};
use crate::scenarios::silent_source::{self, Stream};
use crate::scenarios::{named, SCENARIOS, SWITCHES};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;

/// A person a situation is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonReport {
    /// Atlassian account id.
    pub account_id: String,
    /// E-mail address.
    pub email: String,
    /// Display name.
    pub name: String,
}

/// One record of a situation, as the connectors will fetch it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordReport {
    /// `org`, `jira` or `confluence`.
    pub product: String,
    /// `audit` or `activity`.
    pub pipeline: String,
    /// The stream, as the silent-source switch names it (`org-audit`).
    pub stream: String,
    /// The source id: the event id is `<deployment>:<product>:<source id>`.
    pub source_id: String,
    /// When it occurred.
    pub at: DateTime<Utc>,
    /// The action as the source writes it (org key or audit summary; `version N` for a page).
    pub action: String,
    /// The acting account id.
    pub actor: String,
    /// The address recorded, when the source records one.
    pub ip: Option<String>,
    /// The country of `location`, for organization events.
    pub country: Option<String>,
}

/// A detection situation in the data: what a scenario wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SituationReport {
    /// The scenario's name.
    pub scenario: String,
    /// Seeded with the data (else added at run time).
    pub seeded: bool,
    /// Who it is about, the asked-for person first.
    pub people: Vec<PersonReport>,
    /// Its records, in time order.
    pub records: Vec<RecordReport>,
}

fn person(data: &Dataset, p: u16) -> PersonReport {
    let p = &data.directory.people[usize::from(p) % data.directory.people.len()];
    PersonReport {
        account_id: p.account_id.clone(),
        email: p.email.clone(),
        name: p.name.clone(),
    }
}

/// The report of one record, `None` if it is not in `data` (it always is).
fn record(data: &Dataset, seed: u64, r: RecordRef) -> Option<RecordReport> {
    let dir = &data.directory;
    let account = |p: u16| dir.people[usize::from(p)].account_id.clone();
    let report = |product: &str, pipeline: &str, stream: Stream| RecordReport {
        product: product.to_owned(),
        pipeline: pipeline.to_owned(),
        stream: stream.name().to_owned(),
        source_id: String::new(),
        at: utc(0),
        action: String::new(),
        actor: String::new(),
        ip: None,
        country: None,
    };
    Some(match r {
        RecordRef::Org(i) => {
            let e = data.org.get(i)?;
            let (ip, place) = data.org_address(e);
            RecordReport {
                source_id: admin::event_id(seed, i),
                at: utc(e.stamp.at),
                action: ORG_ACTIONS[usize::from(e.action)].key.to_owned(),
                actor: account(e.actor),
                ip: Some(ip.to_owned()),
                country: Some(place.0.to_owned()),
                ..report("org", "audit", Stream::OrgAudit)
            }
        }
        RecordRef::JiraAudit { site, serial } => {
            let entries = &data.sites.get(site)?.jira_audit;
            let e = &entries[Dataset::audit_index(entries, serial)?];
            let actor = &dir.people[usize::from(e.actor)];
            RecordReport {
                source_id: format!("audit-{}", AUDIT_ID_BASE + u64::from(serial)),
                at: utc(e.stamp.at),
                action: JIRA_AUDIT[usize::from(e.action)].summary.to_owned(),
                actor: actor.account_id.clone(),
                ip: Some(actor.ips[usize::from(e.ip) % actor.ips.len()].clone()),
                ..report("jira", "audit", Stream::JiraAudit)
            }
        }
        RecordRef::ConfluenceAudit { site, serial } => {
            let s = data.sites.get(site)?;
            let i = Dataset::audit_index(&s.confluence_audit, serial)?;
            let e = &s.confluence_audit[i];
            let p = confluence::audit_parts(dir, s, i);
            RecordReport {
                source_id: confluence::audit_source_id(
                    &e.stamp.at.to_string(),
                    &p.account,
                    p.summary,
                    p.object_type,
                    &p.name,
                    &p.ip,
                ),
                at: utc(e.stamp.at),
                action: CONFLUENCE_AUDIT[usize::from(e.action)].summary.to_owned(),
                actor: p.account.clone(),
                ip: Some(p.ip.clone()),
                ..report("confluence", "audit", Stream::ConfluenceAudit)
            }
        }
        RecordRef::Version {
            site,
            content,
            number,
        } => {
            let s = data.sites.get(site)?;
            let c = s.contents.get(content)?;
            let v = s.versions.get(c.start as usize + number - 1)?;
            RecordReport {
                source_id: format!("page-{}-v{number}", CONTENT_ID_BASE + content as u64),
                at: utc(v.stamp.at),
                action: format!("version {number}"),
                actor: account(v.author),
                ..report("confluence", "activity", Stream::ConfluenceActivity)
            }
        }
    })
}

/// The report of `situation`.
pub fn report(data: &Dataset, seed: u64, situation: &Situation) -> SituationReport {
    SituationReport {
        scenario: situation.scenario.to_owned(),
        seeded: situation.seeded,
        people: situation.people.iter().map(|p| person(data, *p)).collect(),
        records: situation
            .records
            .iter()
            .filter_map(|r| record(data, seed, *r))
            .collect(),
    }
}

/// Why a scenario request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioError {
    /// No scenario has this name.
    Unknown(String),
    /// A parameter is missing or wrong.
    BadParameter(String),
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScenarioError::Unknown(name) => write!(f, "there is no scenario named '{name}'"),
            ScenarioError::BadParameter(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// The person named by an account id or an e-mail address (ignoring case).
fn find_person(data: &Dataset, who: &str) -> Option<u16> {
    data.directory
        .people
        .iter()
        .position(|p| p.account_id == who || p.email.eq_ignore_ascii_case(who))
        .map(|i| i as u16)
}

/// Adds scenario `name` for `who` (an account id or e-mail; its default person if `None`), its
/// last record at `at` (the simulated now if `None`).
///
/// # Errors
/// An unknown scenario or person, or data that cannot take the records.
pub fn add(
    state: &Shared,
    name: &str,
    who: Option<&str>,
    at: Option<i64>,
) -> Result<SituationReport, ScenarioError> {
    let scenario = named(name).ok_or_else(|| ScenarioError::Unknown(name.to_owned()))?;
    let person = match who {
        None => None,
        Some(w) => Some(find_person(&state.data(), w).ok_or_else(|| {
            ScenarioError::BadParameter(format!(
                "'person' must be the account id or e-mail of someone in the directory, got '{w}'"
            ))
        })?),
    };
    let at = at.unwrap_or_else(|| state.clock.now_ms());
    let (data, situation) = state
        .add_scenario(scenario, person, at)
        .map_err(|e| ScenarioError::BadParameter(e.to_string()))?;
    Ok(report(
        &data,
        state.config.seed,
        &data.situations[situation],
    ))
}

/// Every situation in the data, seeded and added, in the order they were written.
pub fn situations(state: &Shared) -> Vec<SituationReport> {
    let data = state.data();
    data.situations
        .iter()
        .map(|s| report(&data, state.config.seed, s))
        .collect()
}

/// `GET /_sim/scenario`.
pub async fn list(State(state): State<Arc<Shared>>) -> Response {
    let scenarios: Vec<_> = SCENARIOS
        .iter()
        .map(|s| json!({ "name": s.name, "about": s.about, "person": s.person }))
        .collect();
    let switches: Vec<_> = SWITCHES
        .iter()
        .map(|(name, about)| json!({ "name": name, "about": about }))
        .collect();
    let silent: Vec<_> = state
        .silence
        .all()
        .into_iter()
        .map(|(s, t)| json!({ "stream": s.name(), "since": utc(t).to_rfc3339() }))
        .collect();
    let refused: Vec<_> = state
        .refusals
        .all()
        .into_iter()
        .map(|(a, status)| json!({ "product": a.name(), "status": status }))
        .collect();
    ok(json!({
        "scenarios": scenarios,
        "switches": switches,
        "streams": Stream::ALL.map(Stream::name),
        "products": Api::ALL.map(Api::name),
        "silent": silent,
        "refused": refused,
        "situations": situations(&state),
    }))
}

fn bad(message: &str) -> Response {
    error(Family::Admin, StatusCode::BAD_REQUEST, message)
}

/// `POST /_sim/scenario/{name}?person=&at=`, and the switches:
/// `…/silent-source?stream=&off=` and `…/refused-credentials?product=&status=&off=`.
pub async fn post(
    State(state): State<Arc<Shared>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let p = params(query.as_deref());
    let off = matches!(p.get("off"), Some("true" | "1"));
    match name.as_str() {
        silent_source::NAME => {
            let Some(stream) = p.get("stream").and_then(Stream::parse) else {
                let names = Stream::ALL.map(Stream::name).join(", ");
                return bad(&format!("'stream' must be one of {names}"));
            };
            let since = (!off).then(|| state.clock.now_ms());
            state.silence.set(stream, since);
            let since = state.silence.since(stream).map(|t| utc(t).to_rfc3339());
            ok(json!({ "scenario": name, "stream": stream.name(), "silent_since": since }))
        }
        refused_credentials::NAME => {
            let Some(api) = p.get("product").and_then(Api::parse) else {
                let names = Api::ALL.map(Api::name).join(", ");
                return bad(&format!("'product' must be one of {names}"));
            };
            let status = match (off, p.get("status").unwrap_or("401")) {
                (true, _) => None,
                (false, "401") => Some(401),
                (false, "403") => Some(403),
                (false, other) => {
                    return bad(&format!("'status' must be 401 or 403, got '{other}'"))
                }
            };
            state.refusals.set(api, status);
            ok(json!({ "scenario": name, "product": api.name(), "status": status }))
        }
        _ => {
            let at = match p.get("at") {
                None => None,
                Some(v) => match parse_instant(v) {
                    Some(t) => Some(t),
                    None => return bad("'at' must be an RFC 3339 time (encode '+' as %2B)"),
                },
            };
            match add(&state, &name, p.get("person"), at) {
                Ok(report) => ok(serde_json::to_value(report).unwrap_or_default()),
                Err(e @ ScenarioError::Unknown(_)) => {
                    error(Family::Admin, StatusCode::NOT_FOUND, &e.to_string())
                }
                Err(e) => bad(&e.to_string()),
            }
        }
    }
}
