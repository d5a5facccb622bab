//! What an evaluation finds, and how a finding becomes an alert's identity: the dedup key rendered
//! from the group's values, the dedup period the finding's moment falls in, and an alert id derived
//! from (rule, key, period start) — the same on every evaluation of the same events.

use crate::CompiledRule;
use chrono::{DateTime, TimeZone, Utc};
use domain::{EventId, Field};
use std::collections::BTreeMap;
use store::alerts::AlertRecord;

/// One thing a rule found.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The values of the fields the alert carries.
    pub group: BTreeMap<Field, String>,
    /// The moment it is about (the event, the crossing of a threshold, a window's start).
    pub anchor: DateTime<Utc>,
    /// The events behind it, with their times.
    pub events: Vec<(EventId, DateTime<Utc>)>,
    /// Why, in words and numbers.
    pub why: String,
    /// The range of events that shows it on the Events page.
    pub shown: (DateTime<Utc>, DateTime<Utc>),
}

/// The start of the dedup period `anchor` falls in: periods are aligned to the Unix epoch, so
/// every evaluation puts the same moment in the same period.
pub fn period_start(anchor: DateTime<Utc>, period_minutes: u32) -> DateTime<Utc> {
    let period = i64::from(period_minutes.max(1)) * 60_000;
    let ms = anchor.timestamp_millis();
    Utc.timestamp_millis_opt(ms - ms.rem_euclid(period))
        .single()
        .unwrap_or(anchor)
}

/// The alert id of (rule, dedup key, period start): 32 hexadecimal digits of their SHA-256.
pub fn alert_id(rule: &str, key: &str, period_start: DateTime<Utc>) -> String {
    store::digest::short_id(&[
        rule.as_bytes(),
        key.as_bytes(),
        &period_start.timestamp_millis().to_be_bytes(),
    ])
}

/// The range of events that shows an alert.
type Shown = (DateTime<Utc>, DateTime<Utc>);

/// Turns findings into alert records, merging those that share an alert (the same key in the same
/// period): their events are joined, the latest words kept.
pub fn records(rule: &CompiledRule, findings: Vec<Finding>) -> Vec<AlertRecord> {
    let spec = &rule.rule.spec;
    let mut by_id: BTreeMap<String, (AlertRecord, Shown)> = BTreeMap::new();
    for f in findings {
        let key = spec.dedup.render(&f.group);
        let start = period_start(f.anchor, spec.dedup.period_minutes);
        let id = alert_id(rule.rule.id.as_str(), &key, start);
        let entry = by_id.entry(id.clone()).or_insert_with(|| {
            (
                AlertRecord {
                    id,
                    rule_id: rule.rule.id.clone(),
                    rule_name: spec.name.clone(),
                    severity: spec.severity,
                    dedup_key: key,
                    group: f.group.clone(),
                    period_start: start,
                    events: Vec::new(),
                    seen_at: f.anchor,
                    why: String::new(),
                    events_query: String::new(),
                },
                f.shown,
            )
        });
        let (record, shown) = entry;
        record.events.extend(f.events);
        if f.anchor >= record.seen_at {
            record.seen_at = f.anchor;
            record.why = f.why;
        } else if record.why.is_empty() {
            record.why = f.why;
        }
        shown.0 = shown.0.min(f.shown.0);
        shown.1 = shown.1.max(f.shown.1);
    }
    by_id
        .into_values()
        .map(|(mut record, (from, to))| {
            record.events.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
            record.events.dedup();
            record.events_query = rule.events_query(&record.group, from, to);
            record
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn moments_in_one_period_share_its_start() {
        let a = period_start(t("2026-03-01T10:05:00Z"), 60);
        let b = period_start(t("2026-03-01T10:59:59Z"), 60);
        assert_eq!(a, t("2026-03-01T10:00:00Z"));
        assert_eq!(a, b);
        assert_eq!(
            period_start(t("2026-03-01T11:00:00Z"), 60),
            t("2026-03-01T11:00:00Z")
        );
    }

    #[test]
    fn an_alert_id_depends_on_rule_key_and_period_only() {
        let p = t("2026-03-01T10:00:00Z");
        assert_eq!(alert_id("r", "k", p), alert_id("r", "k", p));
        assert_ne!(alert_id("r", "k", p), alert_id("r", "k2", p));
        assert_ne!(alert_id("r", "k", p), alert_id("r2", "k", p));
        assert_ne!(
            alert_id("r", "k", p),
            alert_id("r", "k", t("2026-03-01T11:00:00Z"))
        );
        assert_eq!(alert_id("r", "k", p).len(), 32);
    }
}
