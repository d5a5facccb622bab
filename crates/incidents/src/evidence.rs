//! An incident as evidence: one file, JSON or a printable HTML page, with everything an auditor
//! needs — the incident, its timeline with who and when, and its alerts — and a manifest with the
//! file's SHA-256. The file depends only on the incident as it stands (no time of export in it),
//! so the same revision always gives the same bytes and the manifest can be checked against the
//! file at any later time; a closed incident never changes again.

use crate::markdown::{escape, to_html};
use chrono::{DateTime, SecondsFormat, Utc};
use domain::{PersonId, Severity};
use query::people::PeopleSnapshot;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use store::alerts::Alert;
use store::incidents::{Entry, Incident};

/// The shape of the JSON file, named in it.
pub const FORMAT_VERSION: &str = "atlaslens.incident.v1";

/// How an incident is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceFormat {
    /// Machine-readable.
    Json,
    /// A page to print or save as PDF.
    Html,
}

impl EvidenceFormat {
    /// The file extension and parameter value.
    pub const fn as_str(self) -> &'static str {
        match self {
            EvidenceFormat::Json => "json",
            EvidenceFormat::Html => "html",
        }
    }

    /// The content type of the file.
    pub const fn content_type(self) -> &'static str {
        match self {
            EvidenceFormat::Json => "application/json",
            EvidenceFormat::Html => "text/html; charset=utf-8",
        }
    }

    /// Reads `json` or `html`.
    ///
    /// # Errors
    /// Any other value, saying which are allowed.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "" | "json" => Ok(EvidenceFormat::Json),
            "html" => Ok(EvidenceFormat::Html),
            other => Err(format!(
                "`{other}` is not an export format; use json or html"
            )),
        }
    }
}

/// What the manifest says of an incident's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceManifest {
    /// The incident.
    pub incident_id: String,
    /// The revision the file shows (it changes with every change of the incident).
    pub revision: i64,
    /// Its state in the file.
    pub state: String,
    /// The file name as delivered.
    pub file_name: String,
    /// JSON or HTML.
    pub format: EvidenceFormat,
    /// Timeline entries in the file.
    pub timeline_entries: u64,
    /// Alerts in the file.
    pub alerts: u64,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// SHA-256 of the file's exact bytes, lower-case hexadecimal.
    pub sha256: String,
    /// What produced it: `atlaslens <version>`.
    pub generator: String,
}

/// An incident's file and its manifest.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Its manifest.
    pub manifest: EvidenceManifest,
}

/// Everything the file shows.
#[derive(Debug, Clone, Copy)]
pub struct Parts<'a> {
    /// The incident.
    pub incident: &'a Incident,
    /// Its timeline, oldest first.
    pub timeline: &'a [Entry],
    /// Its alerts.
    pub alerts: &'a [Alert],
    /// Names of people, where known.
    pub people: Option<&'a PeopleSnapshot>,
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn person_name(id: &str, people: Option<&PeopleSnapshot>) -> Option<String> {
    let p = PersonId::parse(id).ok()?;
    people?.name(&p).map(str::to_owned)
}

/// Who or what the incident is about: a person's name, an address, an object, or nothing for
/// a rule-wide incident.
pub fn subject(incident: &Incident, people: Option<&PeopleSnapshot>) -> Option<String> {
    let (field, value) = incident.key.split_once(':')?;
    match field {
        "person" => Some(person_name(value, people).unwrap_or_else(|| value.to_owned())),
        "rule" => None,
        _ => Some(value.to_owned()),
    }
}

/// The incident's title in words ("Site admin granted — Ana Souza, then Space exported
/// (3 events)").
pub fn title(incident: &Incident, people: Option<&PeopleSnapshot>) -> String {
    domain::incident::title(subject(incident, people).as_deref(), &incident.parts)
}

/// The file of `parts` in `format`, with its manifest.
pub fn export(parts: Parts<'_>, format: EvidenceFormat) -> Evidence {
    let bytes = match format {
        EvidenceFormat::Json => json_file(parts),
        EvidenceFormat::Html => html_file(parts),
    };
    let sha256 = store::digest::hex(&Sha256::digest(&bytes));
    let i = parts.incident;
    Evidence {
        manifest: EvidenceManifest {
            incident_id: i.id.clone(),
            revision: i.revision,
            state: i.state.as_str().to_owned(),
            file_name: format!(
                "atlaslens-incident-{}-r{}.{}",
                i.id,
                i.revision,
                format.as_str()
            ),
            format,
            timeline_entries: parts.timeline.len() as u64,
            alerts: parts.alerts.len() as u64,
            bytes: bytes.len() as u64,
            sha256,
            generator: format!("atlaslens {}", env!("CARGO_PKG_VERSION")),
        },
        bytes,
    }
}

fn json_file(p: Parts<'_>) -> Vec<u8> {
    let i = p.incident;
    let who = |w: &Option<(String, DateTime<Utc>)>| {
        w.as_ref()
            .map(|(by, at)| json!({ "by": by, "at": time(*at) }))
    };
    let doc = json!({
        "format": FORMAT_VERSION,
        "incident": {
            "id": i.id,
            "title": title(i, p.people),
            "key": i.key,
            "state": i.state.as_str(),
            "severity": i.severity.as_str(),
            "revision": i.revision,
            "opened_at": time(i.created_at),
            "first_event_at": time(i.first_seen),
            "last_event_at": time(i.last_seen),
            "acknowledged": who(&i.acknowledged),
            "assignee": i.assignee,
            "resolution": i.resolution.as_ref().map(|r| json!({
                "by": r.by, "at": time(r.at),
                "classification": r.classification.as_str(), "note": r.note,
            })),
            "closed": who(&i.closed),
            "jira_issue": i.jira_issue,
            "follows": i.follows,
            "alerts": i.alerts,
            "events": i.events,
            "people": i.people.iter().map(|id| json!({ "id": id, "name": person_name(id, p.people) })).collect::<Vec<_>>(),
            "ips": i.ips,
        },
        "timeline": p.timeline.iter().map(|e| json!({
            "id": e.id,
            "at": time(e.at),
            "by": e.by,
            "kind": e.kind.as_str(),
            "from_state": e.from_state.map(|s| s.as_str()),
            "to_state": e.to_state.map(|s| s.as_str()),
            "alert_id": e.alert_id,
            "rule_name": e.rule_name,
            "text": e.text,
            "classification": e.classification.map(|c| c.as_str()),
            "assignee": e.assignee,
            "issue": e.issue,
            "follows": e.follows,
        })).collect::<Vec<_>>(),
        "alerts": p.alerts.iter().map(|a| json!({
            "id": a.id,
            "rule_id": a.rule_id.as_str(),
            "rule_name": a.rule_name,
            "severity": a.severity.as_str(),
            "why": a.why,
            "events": a.count,
            "first_event_at": time(a.first_seen),
            "last_event_at": time(a.last_seen),
            "events_query": a.events_query,
            "first_event_ids": a.first_events.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    let mut out = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    out.push(b'\n');
    out
}

fn severity_class(s: Severity) -> &'static str {
    s.as_str()
}

fn html_file(p: Parts<'_>) -> Vec<u8> {
    let i = p.incident;
    let e = |s: &str| escape(s);
    let mut h = String::new();
    let title = title(i, p.people);
    h.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str(&format!(
        "<title>Incident {} — {}</title>",
        e(&i.id),
        e(&title)
    ));
    h.push_str("<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#111}table{border-collapse:collapse;width:100%;margin:1em 0}th,td{border:1px solid #bbb;padding:4px 6px;text-align:left;vertical-align:top}th{background:#eee}.high{color:#a00;font-weight:bold}.medium{color:#a60}code{font-size:12px}@media print{a{color:#000}}</style>");
    h.push_str("</head><body>\n");
    h.push_str(&format!("<h1>{}</h1>\n", e(&title)));
    h.push_str("<table class=\"facts\">");
    let mut fact = |k: &str, v: String| {
        h.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{v}</td></tr>",
            e(k)
        ));
    };
    fact(
        "Incident",
        format!("<code>{}</code> (revision {})", e(&i.id), i.revision),
    );
    fact("State", e(i.state.as_str()));
    fact(
        "Severity",
        format!(
            "<span class=\"{}\">{}</span>",
            severity_class(i.severity),
            e(i.severity.as_str())
        ),
    );
    fact("Opened (UTC)", e(&time(i.created_at)));
    fact(
        "Events (UTC)",
        format!(
            "{} event(s) from {} to {}",
            i.events,
            e(&time(i.first_seen)),
            e(&time(i.last_seen))
        ),
    );
    if let Some((by, at)) = &i.acknowledged {
        fact("Acknowledged", format!("{} at {}", e(by), e(&time(*at))));
    }
    if let Some(a) = &i.assignee {
        fact("Assignee", e(a));
    }
    if let Some(r) = &i.resolution {
        fact(
            "Resolution",
            format!(
                "{} by {} at {}{}",
                e(r.classification.label()),
                e(&r.by),
                e(&time(r.at)),
                to_html(&r.note)
            ),
        );
    }
    if let Some((by, at)) = &i.closed {
        fact("Closed", format!("{} at {}", e(by), e(&time(*at))));
    }
    if let Some(k) = &i.jira_issue {
        fact("Jira issue", format!("<code>{}</code>", e(k)));
    }
    if let Some(f) = &i.follows {
        fact("Follows", format!("closed incident <code>{}</code>", e(f)));
    }
    let people: Vec<String> = i
        .people
        .iter()
        .map(|id| match person_name(id, p.people) {
            Some(n) => format!("{} (<code>{}</code>)", e(&n), e(id)),
            None => format!("<code>{}</code>", e(id)),
        })
        .collect();
    if !people.is_empty() {
        fact("People", people.join(", "));
    }
    if !i.ips.is_empty() {
        let ips: Vec<String> = i
            .ips
            .iter()
            .map(|x| format!("<code>{}</code>", e(x)))
            .collect();
        fact("Addresses", ips.join(", "));
    }
    h.push_str("</table>\n<h2>Timeline</h2>\n<table class=\"timeline\"><thead><tr><th>When (UTC)</th><th>Who</th><th>What</th></tr></thead><tbody>");
    for entry in p.timeline {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(&time(entry.at)),
            e(&entry.by),
            entry_html(entry)
        ));
    }
    h.push_str("</tbody></table>\n<h2>Alerts</h2>\n<table class=\"alerts\"><thead><tr><th>Rule</th><th>Severity</th><th>Why</th><th>Events</th><th>From (UTC)</th><th>To (UTC)</th></tr></thead><tbody>");
    for a in p.alerts {
        h.push_str(&format!(
            "<tr><td>{} <small><code>{}</code></small></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(&a.rule_name),
            e(&a.id),
            e(a.severity.as_str()),
            e(&a.why),
            a.count,
            e(&time(a.first_seen)),
            e(&time(a.last_seen))
        ));
    }
    h.push_str(&format!(
        "</tbody></table>\n<p><small>{} · {}</small></p>\n</body></html>\n",
        e(FORMAT_VERSION),
        e(&format!("atlaslens {}", env!("CARGO_PKG_VERSION")))
    ));
    h.into_bytes()
}

/// One timeline entry in words, as safe HTML.
pub fn entry_html(entry: &Entry) -> String {
    use store::incidents::EntryKind as K;
    let e = |s: &str| escape(s);
    let moved = match (entry.from_state, entry.to_state) {
        (Some(f), Some(t)) => format!(" ({} → {})", f.as_str(), t.as_str()),
        (None, Some(t)) => format!(" ({})", t.as_str()),
        _ => String::new(),
    };
    let words = match entry.kind {
        K::Opened => match &entry.follows {
            Some(f) => format!("Opened; follows closed incident <code>{}</code>", e(f)),
            None => "Opened".to_owned(),
        },
        K::AlertAttached => format!(
            "Alert attached: {} <code>{}</code>",
            e(entry.rule_name.as_deref().unwrap_or("")),
            e(entry.alert_id.as_deref().unwrap_or(""))
        ),
        K::Acknowledged => "Acknowledged".to_owned(),
        K::Assigned => format!("Assigned to {}", e(entry.assignee.as_deref().unwrap_or(""))),
        K::Note => "Note".to_owned(),
        K::Resolved => format!(
            "Resolved as {}",
            e(entry.classification.map_or("", |c| c.label()))
        ),
        K::Closed => "Closed".to_owned(),
        K::Reopened => format!(
            "Reopened by alert <code>{}</code>",
            e(entry.alert_id.as_deref().unwrap_or(""))
        ),
        K::IssueLinked => format!(
            "Linked to Jira issue <code>{}</code>",
            e(entry.issue.as_deref().unwrap_or(""))
        ),
    };
    let text = entry.text.as_deref().map(to_html).unwrap_or_default();
    format!("{words}{}{text}", e(&moved))
}
