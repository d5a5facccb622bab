//! Detection rules: what an alerting rule says, validated where it is built. The browser edits
//! rules with these types and the evaluator (`rules` crate) runs them, so a rule the form accepts
//! is a rule the server can run.
//!
//! A rule's filter is written in the Events query language — literally the query string of an
//! Events page URL without its time range (`product=org&operation=admin_granted`) — and parsed by
//! the same [`EventQuery`] the page uses, so "Alert on this" turns the view into a rule unchanged
//! and a rule's matches are what the Events page shows for the same filter.

use crate::ids::{IdError, PersonId, TeamId};
use crate::ip::IpFilter;
use crate::query::{EventQuery, PARAMS};
use crate::vocabulary::Severity;
use crate::EventFilter;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// A rule's stable identifier: lower-case letters, digits and `-` (built-in rules keep theirs
/// across versions, so tuning survives an upgrade).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RuleId(String);

impl RuleId {
    /// Validates a rule id.
    ///
    /// # Errors
    /// Empty, longer than 64 characters, or a character other than `a-z 0-9 -`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() {
            return Err(IdError::Empty { kind: "rule id" });
        }
        if s.len() > 64 {
            return Err(IdError::TooLong {
                kind: "rule id",
                max: 64,
            });
        }
        if let Some(found) = s
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(IdError::BadCharacter {
                kind: "rule id",
                found,
            });
        }
        Ok(Self(s.to_owned()))
    }

    /// A new id from a rule's name: its words in lower case joined by `-`, with `suffix`.
    pub fn from_name(name: &str, suffix: &str) -> Self {
        let slug: String = name
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-");
        let slug: String = slug.chars().take(48).collect();
        let slug = slug.trim_end_matches('-');
        let base = if slug.is_empty() { "rule" } else { slug };
        Self(format!("{base}-{suffix}").chars().take(64).collect())
    }

    /// The id as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RuleId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RuleId> for String {
    fn from(id: RuleId) -> String {
        id.0
    }
}

/// A property of an event that rules group by, count distinct values of, and name in dedup keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The person who acted.
    Person,
    /// The client address.
    Ip,
    /// The object acted on (its id).
    Object,
    /// The project, space or repository around the object.
    Container,
    /// The country the source located the client in.
    Country,
    /// The operation.
    Operation,
    /// The product.
    Product,
    /// The stream (`acme/jira/audit`): for absence and sync-health rules.
    Stream,
}

impl Field {
    /// Every field, in the order forms list them.
    pub const ALL: [Field; 8] = [
        Field::Person,
        Field::Ip,
        Field::Object,
        Field::Container,
        Field::Country,
        Field::Operation,
        Field::Product,
        Field::Stream,
    ];

    /// The fields an event rule can group by.
    pub const GROUPS: [Field; 5] = [
        Field::Person,
        Field::Ip,
        Field::Object,
        Field::Container,
        Field::Country,
    ];

    /// The stored name, also the name in dedup templates (`{person}`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Field::Person => "person",
            Field::Ip => "ip",
            Field::Object => "object",
            Field::Container => "container",
            Field::Country => "country",
            Field::Operation => "operation",
            Field::Product => "product",
            Field::Stream => "stream",
        }
    }

    /// The name shown in sentences.
    pub const fn label(self) -> &'static str {
        match self {
            Field::Person => "person",
            Field::Ip => "IP address",
            Field::Object => "object",
            Field::Container => "project, space or repository",
            Field::Country => "country",
            Field::Operation => "operation",
            Field::Product => "product",
            Field::Stream => "stream",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Field {
    type Err = RuleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Field::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| RuleError::UnknownField(s.to_owned()))
    }
}

/// How a rule decides that its matching events are an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RuleKind {
    /// Every matching event is an alert (joined by the dedup key and period).
    Match,
    /// At least `count` matching events within `window_minutes`, per value of `group_by`.
    Threshold {
        /// How many events.
        count: u32,
        /// Within how long.
        window_minutes: u32,
        /// Counted separately for each value of this field.
        group_by: Field,
    },
    /// The first matching event whose `field` value the group has not shown in `history_days`.
    NewValue {
        /// The field whose values are remembered.
        field: Field,
        /// Whose history: each value of this field has its own.
        group_by: Field,
        /// How far back "seen before" looks.
        history_days: u32,
    },
    /// A group's count in `window_hours` above `factor` × its median over the `history_days`
    /// windows before, and at least `floor`.
    Baseline {
        /// Whose baseline.
        group_by: Field,
        /// The window counted (24 = a day).
        window_hours: u32,
        /// How many earlier windows make the baseline.
        history_days: u32,
        /// How many times the median.
        factor: f64,
        /// The least count that can alert, whatever the median.
        floor: u32,
    },
    /// No event from a stream for longer than `silent_minutes` (a silent source).
    Absence {
        /// How long a stream may be quiet.
        silent_minutes: u32,
    },
    /// A stream failing `failures_in_a_row` runs, its credentials refused (401/403), or a
    /// credential's expiry date (from the deployments file) within `expiry_warning_days`.
    SyncHealth {
        /// Consecutive failed runs that alert.
        failures_in_a_row: u32,
        /// Days before a credential expires that it alerts.
        expiry_warning_days: u32,
    },
}

impl RuleKind {
    /// The kind's name: `match`, `threshold`, `new_value`, `baseline`, `absence`, `sync_health`.
    pub const fn name(&self) -> &'static str {
        match self {
            RuleKind::Match => "match",
            RuleKind::Threshold { .. } => "threshold",
            RuleKind::NewValue { .. } => "new_value",
            RuleKind::Baseline { .. } => "baseline",
            RuleKind::Absence { .. } => "absence",
            RuleKind::SyncHealth { .. } => "sync_health",
        }
    }

    /// Whether the rule reads events (the others read the streams' state).
    pub const fn reads_events(&self) -> bool {
        !matches!(self, RuleKind::Absence { .. } | RuleKind::SyncHealth { .. })
    }

    /// The field the kind groups by, if any.
    pub const fn group_by(&self) -> Option<Field> {
        match self {
            RuleKind::Threshold { group_by, .. }
            | RuleKind::NewValue { group_by, .. }
            | RuleKind::Baseline { group_by, .. } => Some(*group_by),
            RuleKind::Absence { .. } | RuleKind::SyncHealth { .. } => Some(Field::Stream),
            RuleKind::Match => None,
        }
    }

    /// The kind in one sentence, for the Rules page.
    pub fn describe(&self) -> String {
        match self {
            RuleKind::Match => "every matching event".into(),
            RuleKind::Threshold {
                count,
                window_minutes,
                group_by,
            } => format!(
                "at least {count} matching events within {} by one {}",
                minutes_in_words(*window_minutes),
                group_by.label()
            ),
            RuleKind::NewValue {
                field,
                group_by,
                history_days,
            } => format!(
                "a {} the {} has not used in {history_days} days",
                field.label(),
                group_by.label()
            ),
            RuleKind::Baseline {
                group_by,
                window_hours,
                history_days,
                factor,
                floor,
            } => format!(
                "a {}'s count in {window_hours} h above {factor} × its median over {history_days} days (and at least {floor})",
                group_by.label()
            ),
            RuleKind::Absence { silent_minutes } => format!(
                "no event from a stream for {}",
                minutes_in_words(*silent_minutes)
            ),
            RuleKind::SyncHealth {
                failures_in_a_row,
                expiry_warning_days,
            } => format!(
                "a stream failing {failures_in_a_row} runs in a row, its credentials refused, or a credential expiring within {expiry_warning_days} days"
            ),
        }
    }
}

/// `90` → "90 minutes", `120` → "2 hours", `1440` → "1 day".
pub fn minutes_in_words(m: u32) -> String {
    let plural = |n: u32, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if m.is_multiple_of(1440) {
        plural(m / 1440, "day")
    } else if m.is_multiple_of(60) {
        plural(m / 60, "hour")
    } else {
        plural(m, "minute")
    }
}

/// How later matches join an open alert: the same rendered `key` within one `period_minutes`
/// bucket is one alert, whose count and last-seen time grow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dedup {
    /// A template over the group fields: `{person}`, `{person}/{ip}`, `{stream}`.
    pub key: String,
    /// The length of a dedup period.
    pub period_minutes: u32,
}

impl Dedup {
    /// The fields the template names, in order.
    ///
    /// # Errors
    /// An unknown field or an unclosed brace.
    pub fn fields(&self) -> Result<Vec<Field>, RuleError> {
        let mut out = Vec::new();
        let mut rest = self.key.as_str();
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .ok_or_else(|| RuleError::BadDedupKey(self.key.clone()))?;
            out.push(after[..close].trim().parse::<Field>()?);
            rest = &after[close + 1..];
        }
        Ok(out)
    }

    /// The key with each `{field}` replaced by the group's value (empty when it has none).
    pub fn render(&self, values: &BTreeMap<Field, String>) -> String {
        let mut out = self.key.clone();
        for f in Field::ALL {
            let name = format!("{{{}}}", f.as_str());
            if out.contains(&name) {
                out = out.replace(&name, values.get(&f).map_or("", String::as_str));
            }
        }
        out
    }
}

/// Who and what a rule never alerts on (Guard Detect can exclude only users).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Exclusions {
    /// People whose events never match.
    pub people: Vec<PersonId>,
    /// Teams whose members' events never match.
    pub teams: Vec<TeamId>,
    /// Addresses or blocks whose events never match.
    pub ips: Vec<IpFilter>,
}

impl Exclusions {
    /// Whether nothing is excluded.
    pub fn is_empty(&self) -> bool {
        self.people.is_empty() && self.teams.is_empty() && self.ips.is_empty()
    }
}

/// Everything a rule says, as its form edits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleSpec {
    /// Shown on alerts and in notifications.
    pub name: String,
    /// What it detects and why it matters.
    pub description: String,
    /// The severity of its alerts.
    pub severity: Severity,
    /// The Events query string of the events it looks at (no time range).
    pub filter: String,
    /// How matches become alerts.
    pub kind: RuleKind,
    /// How later matches join an open alert.
    pub dedup: Dedup,
    /// Who and what never alerts.
    pub exclusions: Exclusions,
    /// Destination ids its alerts are sent to (besides the per-severity defaults).
    pub destinations: Vec<String>,
    /// Whether it is evaluated at all.
    pub enabled: bool,
    /// Until then it evaluates and records alerts, but sends nothing.
    pub snoozed_until: Option<DateTime<Utc>>,
    /// How its alerts are gathered into incidents (rules stored before incidents take the
    /// defaults).
    #[serde(default)]
    pub correlation: crate::incident::Correlation,
}

/// Why a rule cannot be saved; each says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The name is empty or too long.
    #[error("a rule needs a name of 1 to 120 characters")]
    BadName,
    /// A parameter of the filter is not one of the Events page's.
    #[error("`{0}` is not a filter of the Events page; use product, pipeline, category, severity, operation, person, team, ip or q")]
    UnknownFilter(String),
    /// The filter names a time range; the rule's kind sets the window.
    #[error("a rule's filter has no time range (`{0}`); the rule's window says how far it looks")]
    TimeInFilter(String),
    /// A filter value does not parse.
    #[error("the filter is not valid: {0}")]
    BadFilter(String),
    /// A field name that rules do not know.
    #[error("`{0}` is not a field; use person, ip, object, container, country, operation, product or stream")]
    UnknownField(String),
    /// The kind cannot group by this field.
    #[error("a {kind} rule cannot group by {field}; use person, ip, object, container or country")]
    BadGroup {
        /// The kind.
        kind: &'static str,
        /// The field.
        field: Field,
    },
    /// A count, window or period of zero, or one too large.
    #[error("{what} must be between {min} and {max}")]
    OutOfRange {
        /// Which number.
        what: &'static str,
        /// Smallest allowed.
        min: u32,
        /// Largest allowed.
        max: u32,
    },
    /// The factor of a baseline rule.
    #[error(
        "the baseline factor must be a number from 1 to 1000 (e.g. 10 for ten times the usual)"
    )]
    BadFactor,
    /// A dedup template with an unclosed brace.
    #[error("the dedup key `{0}` has an unclosed `{{`; write fields as {{person}}")]
    BadDedupKey(String),
    /// A dedup template naming a field the rule does not group by.
    #[error("the dedup key names {{{0}}}, which this rule's alerts do not carry; use {1}")]
    DedupFieldNotGrouped(Field, String),
}

/// The largest window, history or period a rule may ask for, in minutes: 90 days, the longest
/// range the store keeps by default.
const MAX_MINUTES: u32 = 90 * 1440;

fn in_range(what: &'static str, v: u32, min: u32, max: u32) -> Result<(), RuleError> {
    if (min..=max).contains(&v) {
        Ok(())
    } else {
        Err(RuleError::OutOfRange { what, min, max })
    }
}

/// Reads an Events query string (`a=b&c=d`, percent-encoded) into the page's parameters,
/// refusing names the page does not have.
///
/// # Errors
/// An unknown parameter or bad percent-encoding.
pub fn parse_filter(text: &str) -> Result<EventQuery, RuleError> {
    let text = text.trim().trim_start_matches('?');
    let mut pairs = BTreeMap::new();
    for part in text.split('&').filter(|p| !p.trim().is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let k = crate::url::decode_component(k.trim())
            .ok_or_else(|| RuleError::BadFilter(format!("`{k}` is not percent-encoded text")))?;
        let v = crate::url::decode_component(v.trim())
            .ok_or_else(|| RuleError::BadFilter(format!("`{v}` is not percent-encoded text")))?;
        if !PARAMS.contains(&k.as_str()) {
            return Err(RuleError::UnknownFilter(k));
        }
        pairs.insert(k, v);
    }
    Ok(EventQuery::from_lookup(|k| pairs.get(k).cloned()))
}

impl RuleSpec {
    /// Validates the rule and returns the event filter it looks at (without a time range).
    ///
    /// # Errors
    /// The first thing wrong, saying what to change.
    pub fn check(&self) -> Result<EventFilter, RuleError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(RuleError::BadName);
        }
        self.correlation.validate()?;
        let query = parse_filter(&self.filter)?;
        for (set, name) in [
            (&query.range, "range"),
            (&query.from, "from"),
            (&query.to, "to"),
        ] {
            if !set.is_empty() {
                return Err(RuleError::TimeInFilter(name.to_owned()));
            }
        }
        // No relative range is set, so `now` is not read.
        let filter = query
            .to_filter(DateTime::<Utc>::UNIX_EPOCH)
            .map_err(RuleError::BadFilter)?;
        match &self.kind {
            RuleKind::Match => {}
            RuleKind::Threshold {
                count,
                window_minutes,
                group_by,
            } => {
                in_range("the count", *count, 1, 1_000_000)?;
                in_range("the window (minutes)", *window_minutes, 1, MAX_MINUTES)?;
                self.event_group(*group_by)?;
            }
            RuleKind::NewValue {
                field,
                group_by,
                history_days,
            } => {
                in_range("the history (days)", *history_days, 1, 90)?;
                self.event_group(*group_by)?;
                if matches!(field, Field::Stream) || field == group_by {
                    return Err(RuleError::BadGroup {
                        kind: "new value",
                        field: *field,
                    });
                }
            }
            RuleKind::Baseline {
                group_by,
                window_hours,
                history_days,
                factor,
                floor,
            } => {
                in_range("the window (hours)", *window_hours, 1, 24 * 7)?;
                in_range("the history (days)", *history_days, 2, 90)?;
                in_range("the floor", *floor, 1, 1_000_000)?;
                if !(1.0..=1000.0).contains(factor) {
                    return Err(RuleError::BadFactor);
                }
                self.event_group(*group_by)?;
            }
            RuleKind::Absence { silent_minutes } => {
                in_range("the silence (minutes)", *silent_minutes, 5, MAX_MINUTES)?;
            }
            RuleKind::SyncHealth {
                failures_in_a_row,
                expiry_warning_days,
            } => {
                in_range("the failures in a row", *failures_in_a_row, 1, 100)?;
                in_range("the expiry warning (days)", *expiry_warning_days, 1, 365)?;
            }
        }
        in_range(
            "the dedup period (minutes)",
            self.dedup.period_minutes,
            1,
            MAX_MINUTES,
        )?;
        let carried = self.carried_fields();
        for f in self.dedup.fields()? {
            if !carried.contains(&f) {
                let names: Vec<String> = carried.iter().map(|f| format!("{{{f}}}")).collect();
                return Err(RuleError::DedupFieldNotGrouped(f, names.join(", ")));
            }
        }
        Ok(filter)
    }

    fn event_group(&self, field: Field) -> Result<(), RuleError> {
        if Field::GROUPS.contains(&field) {
            Ok(())
        } else {
            Err(RuleError::BadGroup {
                kind: self.kind.name(),
                field,
            })
        }
    }

    /// The fields this rule's alerts carry values for, which its dedup key may name.
    pub fn carried_fields(&self) -> Vec<Field> {
        match &self.kind {
            RuleKind::Match => vec![
                Field::Person,
                Field::Ip,
                Field::Object,
                Field::Container,
                Field::Country,
                Field::Operation,
                Field::Product,
            ],
            RuleKind::Threshold { group_by, .. } | RuleKind::Baseline { group_by, .. } => {
                vec![*group_by]
            }
            RuleKind::NewValue {
                field, group_by, ..
            } => vec![*group_by, *field],
            RuleKind::Absence { .. } | RuleKind::SyncHealth { .. } => vec![Field::Stream],
        }
    }

    /// Whether notifications are held at `now` (the rule still evaluates and records).
    pub fn is_snoozed(&self, now: DateTime<Utc>) -> bool {
        self.snoozed_until.is_some_and(|until| until > now)
    }
}

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Nobody has looked.
    Open,
    /// Someone has taken it.
    Acknowledged,
    /// Done with.
    Closed,
}

impl AlertStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [AlertStatus; 3] = [
        AlertStatus::Open,
        AlertStatus::Acknowledged,
        AlertStatus::Closed,
    ];

    /// The stored and displayed name.
    pub const fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Open => "open",
            AlertStatus::Acknowledged => "acknowledged",
            AlertStatus::Closed => "closed",
        }
    }
}

impl fmt::Display for AlertStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AlertStatus {
    type Err = crate::UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AlertStatus::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| crate::UnknownValue {
                vocabulary: "alert status",
                value: s.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(filter: &str, kind: RuleKind, key: &str) -> RuleSpec {
        RuleSpec {
            name: "Test".into(),
            description: String::new(),
            severity: Severity::High,
            filter: filter.into(),
            kind,
            dedup: Dedup {
                key: key.into(),
                period_minutes: 60,
            },
            exclusions: Exclusions::default(),
            destinations: Vec::new(),
            enabled: true,
            snoozed_until: None,
            correlation: Default::default(),
        }
    }

    fn threshold(count: u32, window_minutes: u32, group_by: Field) -> RuleKind {
        RuleKind::Threshold {
            count,
            window_minutes,
            group_by,
        }
    }

    #[test]
    fn a_rule_filter_is_an_events_query_string() {
        let s = spec(
            "product=org&operation=login_failed%2Cadmin_granted&ip=10.0.0.0%2F8",
            threshold(5, 10, Field::Person),
            "{person}",
        );
        let f = s.check().unwrap();
        assert_eq!(f.products, [crate::Product::Org]);
        assert_eq!(f.operations.len(), 2);
        assert!(f.ip.unwrap().is_block());
        assert_eq!(f.from, None, "a rule's filter has no time of its own");
    }

    #[test]
    fn an_unknown_filter_field_is_refused_by_name() {
        let err = spec("product=jira&colour=red", RuleKind::Match, "{person}")
            .check()
            .unwrap_err();
        assert_eq!(err, RuleError::UnknownFilter("colour".into()));
        assert!(err.to_string().contains("colour"));
    }

    #[test]
    fn an_invalid_cidr_says_what_an_address_looks_like() {
        let err = spec("ip=10.0.0.0%2F33", RuleKind::Match, "{person}")
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("10.0.0.0/33"), "{err}");
    }

    #[test]
    fn a_window_of_zero_is_refused() {
        let err = spec("", threshold(5, 0, Field::Person), "{person}")
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("window"), "{err}");
    }

    #[test]
    fn a_time_range_in_the_filter_is_refused() {
        let err = spec("range=24h", RuleKind::Match, "{person}")
            .check()
            .unwrap_err();
        assert_eq!(err, RuleError::TimeInFilter("range".into()));
    }

    #[test]
    fn a_dedup_key_may_only_name_fields_the_alerts_carry() {
        let err = spec("", threshold(5, 10, Field::Person), "{ip}")
            .check()
            .unwrap_err();
        assert!(matches!(err, RuleError::DedupFieldNotGrouped(Field::Ip, _)));
        let err = spec("", RuleKind::Match, "{colour}").check().unwrap_err();
        assert_eq!(err, RuleError::UnknownField("colour".into()));
        assert!(spec("", RuleKind::Match, "{person").check().is_err());
    }

    #[test]
    fn a_dedup_key_renders_the_group_values() {
        let d = Dedup {
            key: "{person}/{ip}".into(),
            period_minutes: 60,
        };
        let values = BTreeMap::from([(Field::Person, "p1".to_owned())]);
        assert_eq!(d.render(&values), "p1/");
        assert_eq!(d.fields().unwrap(), [Field::Person, Field::Ip]);
    }

    #[test]
    fn rule_ids_come_from_names() {
        assert_eq!(
            RuleId::from_name("Site admin granted!", "x1").as_str(),
            "site-admin-granted-x1"
        );
        assert!(RuleId::parse("Bad Id").is_err());
    }

    #[test]
    fn windows_read_in_words() {
        assert_eq!(minutes_in_words(10), "10 minutes");
        assert_eq!(minutes_in_words(60), "1 hour");
        assert_eq!(minutes_in_words(2880), "2 days");
    }
}
