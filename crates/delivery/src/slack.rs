//! The Slack incoming-webhook message: `{text, blocks}`.
//!
//! - a `header` block with the title (plain text, at most 150 characters, Slack's limit);
//! - a `section` of `fields`: severity, rule, count, first and last seen;
//! - a `section` of `fields` with the group values (at most ten, Slack's limit per section; the
//!   rest are counted, not dropped silently);
//! - a `section` with why it fired;
//! - a `context` block with links to the alert (`<url|Open in AtlasLens>`) and its events.
//!
//! An incident notification has the same shape around the incident: the header is its label and
//! title ("New incident: …"), the fields its severity, state, alerts, events and (resolved) its
//! classification, then the alert that caused it, the resolution note, and links to the incident
//! and to that alert.
//!
//! `text` is the plain-text fallback Slack shows in notifications and to clients that cannot draw
//! blocks. Every string that comes from data (names, group values, the title, even our own URLs)
//! has `&`, `<` and `>` escaped, the only three characters Slack decodes, so a group value of
//! `<!channel>` arrives as text and pings nobody. Sections are cut to 2,800 characters, under
//! Slack's 3,000.

use crate::notification::{IncidentSummary, Notification, NotificationKind};
use chrono::{DateTime, Utc};
use domain::Severity;
use serde_json::{json, Value};

/// Slack's limit for a header's text.
pub const HEADER_MAX_CHARS: usize = 150;
/// Our budget for a section's text (Slack's limit is 3,000).
pub const SECTION_MAX_CHARS: usize = 2_800;
/// Slack's limit for one field's text.
const FIELD_MAX_CHARS: usize = 1_900;
/// Slack's limit for the fields of one section.
const MAX_FIELDS: usize = 10;

/// Escapes the three characters Slack interprets in text: `&`, `<` and `>`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// `text` cut to at most `max` characters, ending in `…` when cut. Cuts fall on character
/// boundaries and never inside an escape (`&amp;`), so the result is still valid Slack text.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    if let Some(amp) = cut.rfind('&') {
        if !cut[amp..].contains(';') {
            cut.truncate(amp);
        }
    }
    cut.push('…');
    cut
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Low => "Low",
        Severity::Medium => "Medium",
        Severity::High => "High",
    }
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn field(label: &str, value: &str) -> Value {
    json!({
        "type": "mrkdwn",
        "text": truncate(&format!("*{}*\n{}", escape(label), escape(value)), FIELD_MAX_CHARS),
    })
}

fn header_text(n: &Notification) -> String {
    let (prefix, title) = match (&n.incident, n.event) {
        (Some(i), kind) => (format!("{}: ", kind.label()), &i.title),
        (None, NotificationKind::AlertEscalated) => ("Escalated: ".to_owned(), &n.alert.title),
        (None, NotificationKind::Test) => ("Test: ".to_owned(), &n.alert.title),
        (None, _) => (String::new(), &n.alert.title),
    };
    truncate(
        &format!("{prefix}{}", escape(&one_line(title))),
        HEADER_MAX_CHARS,
    )
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The plain-text fallback: kind, severity, title, why and the link, escaped (for an incident:
/// its title, the alert's title and the incident's link).
pub fn fallback_text(n: &Notification) -> String {
    let a = &n.alert;
    if let Some(i) = &n.incident {
        return truncate(
            &format!(
                "{} ({}): {}. {} Open in AtlasLens: {}",
                n.event.label(),
                severity_word(i.severity),
                escape(&one_line(&i.title)),
                escape(&one_line(&a.title)),
                escape(&i.url),
            ),
            SECTION_MAX_CHARS,
        );
    }
    truncate(
        &format!(
            "{} ({}): {}. {} Open in AtlasLens: {}",
            n.event.label(),
            severity_word(a.severity),
            escape(&one_line(&a.title)),
            escape(&one_line(&a.why)),
            escape(&a.url),
        ),
        SECTION_MAX_CHARS,
    )
}

/// The JSON body posted to the incoming webhook.
pub fn payload(n: &Notification) -> Value {
    if let Some(i) = &n.incident {
        return incident_payload(n, i);
    }
    let a = &n.alert;
    let mut blocks = vec![
        json!({
            "type": "header",
            "text": {"type": "plain_text", "text": header_text(n), "emoji": false},
        }),
        json!({
            "type": "section",
            "fields": [
                field("Severity", severity_word(a.severity)),
                field("Rule", &a.rule_name),
                field("Count", &a.count.to_string()),
                field("First seen", &when(a.first_seen)),
                field("Last seen", &when(a.last_seen)),
            ],
        }),
    ];
    if !a.group.is_empty() {
        let mut fields: Vec<Value> = a
            .group
            .iter()
            .take(MAX_FIELDS)
            .map(|(name, value)| field(name, value))
            .collect();
        let hidden = a.group.len().saturating_sub(MAX_FIELDS);
        if hidden > 0 {
            // Keep within ten fields: the last one says how many more there are.
            fields.truncate(MAX_FIELDS - 1);
            fields.push(field(
                "More",
                &format!("{} more values in AtlasLens", hidden + 1),
            ));
        }
        blocks.push(json!({"type": "section", "fields": fields}));
    }
    if !a.why.trim().is_empty() {
        blocks.push(json!({
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": truncate(&format!("*Why*\n{}", escape(&a.why)), SECTION_MAX_CHARS),
            },
        }));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{
            "type": "mrkdwn",
            "text": format!(
                "<{}|Open in AtlasLens> · <{}|See the events>",
                escape(&a.url),
                escape(&a.events_url),
            ),
        }],
    }));
    json!({ "text": fallback_text(n), "blocks": blocks })
}

/// The message of an incident notification.
fn incident_payload(n: &Notification, i: &IncidentSummary) -> Value {
    let a = &n.alert;
    let mut fields = vec![
        field("Severity", severity_word(i.severity)),
        field("State", i.state.as_str()),
        field("Alerts", &i.alerts.to_string()),
        field("Events", &i.events.to_string()),
    ];
    if let Some(c) = i.classification {
        fields.push(field("Classification", c.label()));
    }
    let alert_line = match n.event {
        NotificationKind::IncidentResolved => "Latest alert",
        _ => "Alert",
    };
    fields.push(field(alert_line, &one_line(&a.title)));
    let mut blocks = vec![
        json!({
            "type": "header",
            "text": {"type": "plain_text", "text": header_text(n), "emoji": false},
        }),
        json!({"type": "section", "fields": fields}),
    ];
    if let Some(note) = i
        .resolution_note
        .as_deref()
        .filter(|t| !t.trim().is_empty())
    {
        blocks.push(json!({
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": truncate(&format!("*Resolution*\n{}", escape(note)), SECTION_MAX_CHARS),
            },
        }));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{
            "type": "mrkdwn",
            "text": format!(
                "<{}|Open the incident in AtlasLens> · <{}|See the alert>",
                escape(&i.url),
                escape(&a.url),
            ),
        }],
    }));
    json!({ "text": fallback_text(n), "blocks": blocks })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notification::tests::{incident_sample, sample};

    #[test]
    fn the_message_has_a_header_fields_why_and_a_link() {
        let body = payload(&sample());
        let blocks = body["blocks"].as_array().unwrap();
        let types: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
        assert_eq!(
            types,
            ["header", "section", "section", "section", "context"]
        );
        assert_eq!(blocks[0]["text"]["type"], "plain_text");
        assert_eq!(blocks[0]["text"]["text"], "Ana Souza exported 41 issues");
        let fields: Vec<&str> = blocks[1]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["text"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "*Severity*\nHigh",
                "*Rule*\nBulk export",
                "*Count*\n41",
                "*First seen*\n2026-03-02 08:15 UTC",
                "*Last seen*\n2026-03-02 10:15 UTC",
            ]
        );
        assert_eq!(blocks[2]["fields"][0]["text"], "*person*\nAna Souza");
        assert_eq!(blocks[2]["fields"][1]["text"], "*ip*\n203.0.113.9");
        assert_eq!(
            blocks[3]["text"]["text"],
            "*Why*\n41 exports today, usual 3"
        );
        assert_eq!(
            blocks[4]["elements"][0]["text"],
            "<https://atlaslens.example.com/alerts/al_42|Open in AtlasLens> · \
             <https://atlaslens.example.com/events?alert=al_42|See the events>"
        );
    }

    #[test]
    fn the_fallback_text_reads_on_its_own() {
        assert_eq!(
            payload(&sample())["text"],
            "New alert (High): Ana Souza exported 41 issues. 41 exports today, usual 3 \
             Open in AtlasLens: https://atlaslens.example.com/alerts/al_42"
        );
    }

    #[test]
    fn a_channel_mention_in_data_is_escaped_everywhere() {
        let mut n = sample();
        n.alert.group[0].1 = "<!channel> & co".to_owned();
        n.alert.title = "<!here> title".to_owned();
        n.alert.rule_name = "<@U123>".to_owned();
        n.alert.url = "https://x.example/a?b=1&c=<2>".to_owned();
        let text = serde_json::to_string(&payload(&n)).unwrap();
        assert!(!text.contains("<!channel>"), "{text}");
        assert!(!text.contains("<!here>"), "{text}");
        assert!(!text.contains("<@U123>"), "{text}");
        assert!(text.contains("&lt;!channel&gt; &amp; co"), "{text}");
        assert!(
            text.contains("a?b=1&amp;c=&lt;2&gt;|Open in AtlasLens"),
            "{text}"
        );
    }

    #[test]
    fn long_text_is_cut_under_slack_limits_without_breaking_an_escape() {
        let mut n = sample();
        n.alert.title = "t".repeat(400);
        // "*Why*\n" and 2,790 characters leave the cut inside the `&amp;` that follows.
        n.alert.why = format!("{}&{}", "w".repeat(2_790), "w".repeat(100));
        let body = payload(&n);
        let header = body["blocks"][0]["text"]["text"].as_str().unwrap();
        assert_eq!(header.chars().count(), HEADER_MAX_CHARS);
        assert!(header.ends_with('…'));
        let why = body["blocks"][3]["text"]["text"].as_str().unwrap();
        assert!(why.chars().count() <= SECTION_MAX_CHARS);
        assert!(why.ends_with("w…"), "{why}");
        assert!(body["text"].as_str().unwrap().chars().count() <= SECTION_MAX_CHARS);
    }

    #[test]
    fn more_than_ten_group_values_keep_ten_fields_and_count_the_rest() {
        let mut n = sample();
        n.alert.group = (0..14)
            .map(|i| (format!("f{i}"), format!("v{i}")))
            .collect();
        let body = payload(&n);
        let fields = body["blocks"][2]["fields"].as_array().unwrap();
        assert_eq!(fields.len(), 10);
        assert_eq!(fields[9]["text"], "*More*\n5 more values in AtlasLens");
    }

    #[test]
    fn tests_and_escalations_say_so_in_the_header() {
        let mut n = sample();
        n.event = NotificationKind::Test;
        assert!(payload(&n)["blocks"][0]["text"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Test: "));
        n.event = NotificationKind::AlertEscalated;
        assert!(payload(&n)["text"]
            .as_str()
            .unwrap()
            .starts_with("Escalated alert (High)"));
    }

    #[test]
    fn an_incident_has_its_title_figures_alert_and_a_link_to_its_page() {
        let body = payload(&incident_sample(NotificationKind::IncidentOpened));
        let blocks = body["blocks"].as_array().unwrap();
        assert_eq!(
            blocks[0]["text"]["text"],
            "New incident: Bulk export — Ana Souza"
        );
        let fields: Vec<&str> = blocks[1]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["text"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "*Severity*\nHigh",
                "*State*\ntriggered",
                "*Alerts*\n2",
                "*Events*\n44",
                "*Alert*\nAna Souza exported 41 issues",
            ]
        );
        assert_eq!(
            blocks[2]["elements"][0]["text"],
            "<https://atlaslens.example.com/incidents/inc_7|Open the incident in AtlasLens> · \
             <https://atlaslens.example.com/alerts/al_42|See the alert>"
        );
        assert_eq!(
            body["text"],
            "New incident (High): Bulk export — Ana Souza. Ana Souza exported 41 issues \
             Open in AtlasLens: https://atlaslens.example.com/incidents/inc_7"
        );
    }

    #[test]
    fn a_resolved_incident_shows_its_classification_and_note() {
        let body = payload(&incident_sample(NotificationKind::IncidentResolved));
        let blocks = body["blocks"].as_array().unwrap();
        assert!(blocks[0]["text"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Incident resolved: "));
        let fields = blocks[1]["fields"].to_string();
        assert!(
            fields.contains("*Classification*\\ntrue positive"),
            "{fields}"
        );
        assert!(fields.contains("*Latest alert*"), "{fields}");
        assert_eq!(blocks[2]["text"]["text"], "*Resolution*\nAccess revoked");
    }
}
