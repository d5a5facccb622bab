//! The Jira Cloud issue an alert becomes: `POST {base_url}/rest/api/3/issue`, with basic auth of
//! the account e-mail and an API token. This is the only code in AtlasLens that writes to
//! Atlassian; everything else reads.
//!
//! The body is `{fields: {project: {key}, issuetype: {name}, summary, description, labels}}`:
//! the summary is one line of at most 255 characters (Jira's limit); the description is an
//! Atlassian Document Format document, which API v3 requires (v2 took a string) — paragraphs for
//! why and the figures, a bullet list of the group values, and links to the alert and its events;
//! the labels `atlaslens` and `atlaslens-<rule_id>` let a JQL filter find every issue we made or
//! those of one rule.
//!
//! Jira answers 201 with `{"id", "key", "self"}`; the key (`SEC-12`) goes back in the outcome so
//! the lead can store it and link the alert to its issue. Jira has no idempotency key, so a
//! request that timed out after Jira acted can, on retry, open a second issue.
//!
//! An incident notification makes an issue about the incident (its title as summary, its figures,
//! resolution and the alert that caused it, a link to the incident page, the label
//! `atlaslens-incident` besides the others). A destination that keeps one issue per incident adds
//! later news to that issue instead: `POST {base_url}/rest/api/3/issue/{key}/comment` with
//! `{"body": <ADF document>}`, the document starting with what happened ("New alert: …").

use crate::notification::{IncidentSummary, Notification, NotificationKind};
use serde::Deserialize;
use serde_json::{json, Value};

/// Jira's limit for a summary.
pub const SUMMARY_MAX_CHARS: usize = 255;

/// The issue-creation endpoint under `base_url` (`https://acme.atlassian.net`).
pub fn issue_url(base_url: &str) -> String {
    format!("{}/rest/api/3/issue", base_url.trim_end_matches('/'))
}

/// The endpoint that adds a comment to the issue `key` under `base_url`.
pub fn comment_url(base_url: &str, key: &str) -> String {
    format!(
        "{}/rest/api/3/issue/{}/comment",
        base_url.trim_end_matches('/'),
        domain::url::encode_component(key)
    )
}

/// The summary: `[AtlasLens] ` and the title (the incident's, for an incident) on one line, at
/// most 255 characters.
pub fn summary(n: &Notification) -> String {
    let prefix = match n.event {
        NotificationKind::AlertOpened => "[AtlasLens] ",
        NotificationKind::AlertEscalated => "[AtlasLens] Escalated: ",
        NotificationKind::Test => "[AtlasLens] Test: ",
        NotificationKind::IncidentOpened => "[AtlasLens] Incident: ",
        NotificationKind::IncidentReopened => "[AtlasLens] Incident reopened: ",
        NotificationKind::IncidentResolved => "[AtlasLens] Incident resolved: ",
    };
    let title = n.incident.as_ref().map_or(&n.alert.title, |i| &i.title);
    let line = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let full = format!("{prefix}{line}");
    if full.chars().count() <= SUMMARY_MAX_CHARS {
        return full;
    }
    let mut cut: String = full.chars().take(SUMMARY_MAX_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// A Jira label from free text: labels cannot hold spaces, and are at most 255 characters.
fn label(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join("-")
        .chars()
        .take(255)
        .collect()
}

/// The JSON body of the create-issue request.
pub fn issue_body(n: &Notification, project_key: &str, issue_type: &str) -> Value {
    let mut labels = vec!["atlaslens".to_owned()];
    if n.incident.is_some() {
        labels.push("atlaslens-incident".to_owned());
    }
    labels.push(label(&format!("atlaslens-{}", n.alert.rule_id)));
    json!({
        "fields": {
            "project": {"key": project_key},
            "issuetype": {"name": issue_type},
            "summary": summary(n),
            "description": description(n),
            "labels": labels,
        }
    })
}

/// The JSON body of the add-comment request: what happened in one strong line ("New alert:
/// Ana Souza exported 41 issues"), then the description.
pub fn comment_body(n: &Notification) -> Value {
    let title = n.incident.as_ref().map_or(&n.alert.title, |i| &i.title);
    let headline = format!("{}: {}", n.event.label(), one_line(title));
    let mut doc = description(n);
    if let Some(content) = doc["content"].as_array_mut() {
        content.insert(0, paragraph(strong(&headline).into_iter().collect()));
    }
    json!({ "body": doc })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An ADF text node, or nothing for empty text (Jira refuses empty text nodes).
fn text(s: &str) -> Option<Value> {
    (!s.is_empty()).then(|| json!({"type": "text", "text": s}))
}

fn strong(s: &str) -> Option<Value> {
    (!s.is_empty()).then(|| json!({"type": "text", "text": s, "marks": [{"type": "strong"}]}))
}

fn link(s: &str, href: &str) -> Value {
    json!({"type": "text", "text": s, "marks": [{"type": "link", "attrs": {"href": href}}]})
}

fn paragraph(content: Vec<Value>) -> Value {
    json!({"type": "paragraph", "content": content})
}

/// Lines of `s` as text nodes separated by hard breaks (a `\n` inside a text node is not a break).
fn lines(s: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, line) in s.lines().enumerate() {
        if i > 0 {
            out.push(json!({"type": "hardBreak"}));
        }
        out.extend(text(line));
    }
    out
}

/// The facts as one paragraph of strong names and values separated by hard breaks.
fn facts(figures: &[(&str, String)]) -> Value {
    let mut facts = Vec::new();
    for (i, (name, value)) in figures.iter().enumerate() {
        if i > 0 {
            facts.push(json!({"type": "hardBreak"}));
        }
        facts.extend(strong(name));
        facts.extend(text(value));
    }
    paragraph(facts)
}

/// An incident's description: its figures, the resolution note, the alert that caused the event
/// and why it fired, and links to the incident and to that alert.
fn incident_description(n: &Notification, i: &IncidentSummary) -> Value {
    let a = &n.alert;
    let mut figures = vec![
        ("Severity: ", i.severity.as_str().to_owned()),
        ("State: ", i.state.as_str().to_owned()),
        ("Alerts: ", i.alerts.to_string()),
        ("Events: ", i.events.to_string()),
    ];
    if let Some(c) = i.classification {
        figures.push(("Classification: ", c.label().to_owned()));
    }
    let mut content = vec![facts(&figures)];
    if let Some(note) = &i.resolution_note {
        let note = lines(note);
        if !note.is_empty() {
            content.push(paragraph(note));
        }
    }
    let mut alert: Vec<Value> = strong(match n.event {
        NotificationKind::IncidentResolved => "Latest alert: ",
        _ => "Alert: ",
    })
    .into_iter()
    .collect();
    alert.extend(text(&one_line(&a.title)));
    let why = lines(&a.why);
    if !why.is_empty() {
        alert.push(json!({"type": "hardBreak"}));
        alert.extend(why);
    }
    content.push(paragraph(alert));
    content.push(paragraph(vec![
        link("Open the incident in AtlasLens", &i.url),
        json!({"type": "text", "text": " · "}),
        link("See the alert", &a.url),
    ]));
    json!({"type": "doc", "version": 1, "content": content})
}

/// The description as an Atlassian Document Format document.
pub fn description(n: &Notification) -> Value {
    if let Some(i) = &n.incident {
        return incident_description(n, i);
    }
    let a = &n.alert;
    let mut content = Vec::new();
    let why = lines(&a.why);
    if !why.is_empty() {
        content.push(paragraph(why));
    }
    let figures = [
        ("Severity: ", a.severity.as_str().to_owned()),
        ("Rule: ", a.rule_name.clone()),
        ("Count: ", a.count.to_string()),
        (
            "First seen: ",
            a.first_seen.format("%Y-%m-%d %H:%M UTC").to_string(),
        ),
        (
            "Last seen: ",
            a.last_seen.format("%Y-%m-%d %H:%M UTC").to_string(),
        ),
    ];
    content.push(facts(&figures));
    if !a.group.is_empty() {
        let items: Vec<Value> = a
            .group
            .iter()
            .map(|(field, value)| {
                let mut item: Vec<Value> = strong(&format!("{field}: ")).into_iter().collect();
                item.extend(text(value));
                json!({"type": "listItem", "content": [paragraph(item)]})
            })
            .collect();
        content.push(json!({"type": "bulletList", "content": items}));
    }
    content.push(paragraph(vec![
        link("Open in AtlasLens", &a.url),
        json!({"type": "text", "text": " · "}),
        link("See the events", &a.events_url),
    ]));
    json!({"type": "doc", "version": 1, "content": content})
}

/// What Jira answers when it created an issue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CreatedIssue {
    /// The numeric id, as a string.
    #[serde(default)]
    pub id: Option<String>,
    /// The issue key, e.g. `SEC-12`.
    pub key: String,
    /// The REST URL of the issue.
    #[serde(default, rename = "self")]
    pub self_url: Option<String>,
}

/// The created issue, from a 201 body.
pub fn created(body: &[u8]) -> Option<CreatedIssue> {
    serde_json::from_slice(body).ok()
}

/// Jira's error body (`{"errorMessages": [...], "errors": {"field": "message"}}`) in one line.
pub fn error_summary(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Errors {
        #[serde(default, rename = "errorMessages")]
        messages: Vec<String>,
        #[serde(default)]
        errors: std::collections::BTreeMap<String, String>,
    }
    let e: Errors = serde_json::from_slice(body).ok()?;
    let parts: Vec<String> = e
        .messages
        .into_iter()
        .chain(e.errors.into_iter().map(|(k, v)| format!("{k}: {v}")))
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notification::tests::{incident_sample, sample};

    #[test]
    fn the_body_names_project_type_summary_labels_and_an_adf_description() {
        let body = issue_body(&sample(), "SEC", "Task");
        let f = &body["fields"];
        assert_eq!(f["project"]["key"], "SEC");
        assert_eq!(f["issuetype"]["name"], "Task");
        assert_eq!(f["summary"], "[AtlasLens] Ana Souza exported 41 issues");
        assert_eq!(f["labels"], json!(["atlaslens", "atlaslens-bulk-export"]));
        assert_eq!(f["description"]["type"], "doc");
        assert_eq!(f["description"]["version"], 1);
    }

    #[test]
    fn the_description_has_why_figures_group_values_and_links() {
        let d = description(&sample());
        let content = d["content"].as_array().unwrap();
        assert_eq!(
            content[0]["content"][0]["text"],
            "41 exports today, usual 3"
        );
        assert_eq!(content[1]["content"][0]["text"], "Severity: ");
        assert_eq!(content[1]["content"][1]["text"], "high");
        let list = &content[2];
        assert_eq!(list["type"], "bulletList");
        let first = &list["content"][0]["content"][0]["content"];
        assert_eq!(first[0]["text"], "person: ");
        assert_eq!(first[0]["marks"][0]["type"], "strong");
        assert_eq!(first[1]["text"], "Ana Souza");
        let links = &content[3]["content"];
        assert_eq!(links[0]["marks"][0]["type"], "link");
        assert_eq!(
            links[0]["marks"][0]["attrs"]["href"],
            "https://atlaslens.example.com/alerts/al_42"
        );
    }

    #[test]
    fn empty_values_leave_no_empty_text_nodes_and_newlines_become_hard_breaks() {
        let mut n = sample();
        n.alert.why = "line one\nline two".to_owned();
        n.alert.group.push(("team".to_owned(), String::new()));
        let d = description(&n).to_string();
        assert!(!d.contains(r#""text":"""#), "{d}");
        assert!(d.contains("hardBreak"));
        assert!(!d.contains("\\n"), "{d}");
    }

    #[test]
    fn the_summary_is_one_line_of_at_most_255_characters() {
        let mut n = sample();
        n.alert.title = format!("a\nb {}", "x".repeat(300));
        let s = summary(&n);
        assert_eq!(s.chars().count(), SUMMARY_MAX_CHARS);
        assert!(s.starts_with("[AtlasLens] a b x") && !s.contains('\n'));
    }

    #[test]
    fn labels_hold_no_spaces() {
        let mut n = sample();
        n.alert.rule_id = "my rule 7".to_owned();
        assert_eq!(
            issue_body(&n, "SEC", "Task")["fields"]["labels"][1],
            "atlaslens-my-rule-7"
        );
    }

    #[test]
    fn created_issues_and_errors_are_read() {
        let ok =
            created(br#"{"id":"10001","key":"SEC-1","self":"https://x/rest/api/3/issue/10001"}"#)
                .unwrap();
        assert_eq!(ok.key, "SEC-1");
        assert_eq!(
            error_summary(
                br#"{"errorMessages":["Bad"],"errors":{"project":"project is required"}}"#
            )
            .as_deref(),
            Some("Bad; project: project is required")
        );
        assert_eq!(error_summary(b"<html>"), None);
    }

    #[test]
    fn an_incident_issue_has_its_title_figures_alert_and_link() {
        let n = incident_sample(NotificationKind::IncidentOpened);
        let body = issue_body(&n, "SEC", "Task");
        let f = &body["fields"];
        assert_eq!(
            f["summary"],
            "[AtlasLens] Incident: Bulk export — Ana Souza"
        );
        assert_eq!(
            f["labels"],
            json!(["atlaslens", "atlaslens-incident", "atlaslens-bulk-export"])
        );
        let content = f["description"]["content"].as_array().unwrap();
        assert_eq!(content[0]["content"][0]["text"], "Severity: ");
        assert_eq!(content[0]["content"][3]["text"], "State: ");
        assert_eq!(content[0]["content"][4]["text"], "triggered");
        assert_eq!(content[1]["content"][0]["text"], "Alert: ");
        assert_eq!(
            content[1]["content"][1]["text"],
            "Ana Souza exported 41 issues"
        );
        let links = &content[2]["content"];
        assert_eq!(
            links[0]["marks"][0]["attrs"]["href"],
            "https://atlaslens.example.com/incidents/inc_7"
        );
    }

    #[test]
    fn a_resolution_shows_its_classification_and_note() {
        let d = description(&incident_sample(NotificationKind::IncidentResolved)).to_string();
        assert!(
            d.contains("true positive") && d.contains("Access revoked"),
            "{d}"
        );
        assert!(d.contains("Latest alert: "), "{d}");
    }

    #[test]
    fn a_comment_is_an_adf_body_that_says_what_happened_first() {
        assert_eq!(
            comment_url("https://acme.atlassian.net/", "SEC-7"),
            "https://acme.atlassian.net/rest/api/3/issue/SEC-7/comment"
        );
        let c = comment_body(&sample());
        assert_eq!(c["body"]["type"], "doc");
        let first = &c["body"]["content"][0]["content"][0];
        assert_eq!(first["text"], "New alert: Ana Souza exported 41 issues");
        assert_eq!(first["marks"][0]["type"], "strong");
        let c = comment_body(&incident_sample(NotificationKind::IncidentReopened));
        assert_eq!(
            c["body"]["content"][0]["content"][0]["text"],
            "Incident reopened: Bulk export — Ana Souza"
        );
    }
}
