//! The Events filters as they live in the URL, shared by the server (which turns them into an
//! [`EventFilter`]) and the browser (which builds links and reads the form). Every filter is a
//! query parameter, so a reload or a shared link shows the same events:
//!
//! `range=24h|7d|30d|90d` (relative to now) or `from=…&to=…` (RFC 3339, or a `YYYY-MM-DD` day in
//! UTC), `product`, `pipeline`, `category`, `severity`, `operation` (each a comma-separated list),
//! `person`, `team`, `ip` (an address or CIDR block), `q` (free text), `limit`, `before` (page).

use crate::url::encode_component;
use crate::{EventFilter, IpFilter, PersonId, TeamId};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The relative ranges offered; "share" turns them into absolute times.
pub const RANGES: [(&str, &str); 4] = [
    ("24h", "24 hours"),
    ("7d", "7 days"),
    ("30d", "30 days"),
    ("90d", "90 days"),
];

/// The filter parameters exactly as the URL carries them (empty means unset).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventQuery {
    /// A relative range: `24h`, `7d`, `30d` or `90d`.
    pub range: String,
    /// Absolute start.
    pub from: String,
    /// Absolute end (exclusive).
    pub to: String,
    /// Comma-separated products.
    pub product: String,
    /// Comma-separated pipelines.
    pub pipeline: String,
    /// Comma-separated categories.
    pub category: String,
    /// Comma-separated severities.
    pub severity: String,
    /// Comma-separated operations.
    pub operation: String,
    /// A person id.
    pub person: String,
    /// A team id.
    pub team: String,
    /// An IP address or CIDR block.
    pub ip: String,
    /// Free text over operation and object name.
    pub q: String,
}

/// The parameter names, in URL order.
pub const PARAMS: [&str; 12] = [
    "range",
    "from",
    "to",
    "product",
    "pipeline",
    "category",
    "severity",
    "operation",
    "person",
    "team",
    "ip",
    "q",
];

impl EventQuery {
    /// Reads the parameters through `get` (a query map in the browser or on the server).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let v = |k: &str| get(k).map(|s| s.trim().to_owned()).unwrap_or_default();
        Self {
            range: v("range"),
            from: v("from"),
            to: v("to"),
            product: v("product"),
            pipeline: v("pipeline"),
            category: v("category"),
            severity: v("severity"),
            operation: v("operation"),
            person: v("person"),
            team: v("team"),
            ip: v("ip"),
            q: v("q"),
        }
    }

    fn fields(&self) -> [&str; 12] {
        [
            &self.range,
            &self.from,
            &self.to,
            &self.product,
            &self.pipeline,
            &self.category,
            &self.severity,
            &self.operation,
            &self.person,
            &self.team,
            &self.ip,
            &self.q,
        ]
    }

    /// The query string (without `?`) of the set parameters, plus `extra` pairs.
    pub fn to_query(&self, extra: &[(&str, String)]) -> String {
        PARAMS
            .iter()
            .zip(self.fields())
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (*k, v.to_owned()))
            .chain(extra.iter().filter(|(_, v)| !v.is_empty()).cloned())
            .map(|(k, v)| format!("{k}={}", encode_component(&v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The same view with a relative range frozen to absolute times at `now` (for sharing).
    pub fn frozen(&self, now: DateTime<Utc>) -> Self {
        match relative(&self.range) {
            Some(span) => Self {
                range: String::new(),
                from: (now - span).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                to: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                ..self.clone()
            },
            None => self.clone(),
        }
    }

    /// The filter these parameters ask for, with relative ranges ending at `now`.
    ///
    /// # Errors
    /// The first parameter that does not parse, with what was expected.
    pub fn to_filter(&self, now: DateTime<Utc>) -> Result<EventFilter, String> {
        let mut f = EventFilter::default();
        if !self.range.is_empty() {
            let span = relative(&self.range)
                .ok_or_else(|| format!("range `{}` is not one of 24h, 7d, 30d, 90d", self.range))?;
            f.from = Some(now - span);
        }
        if !self.from.is_empty() {
            f.from = Some(instant(&self.from, "from")?);
        }
        if !self.to.is_empty() {
            f.to = Some(instant(&self.to, "to")?);
        }
        if let (Some(a), Some(b)) = (f.from, f.to) {
            if b <= a {
                return Err("`to` must be after `from`".into());
            }
        }
        f.products = list(&self.product)?;
        f.pipelines = list(&self.pipeline)?;
        f.categories = list(&self.category)?;
        f.severities = list(&self.severity)?;
        f.operations = list(&self.operation)?;
        if !self.person.is_empty() {
            f.person = Some(PersonId::parse(&self.person).map_err(|e| e.to_string())?);
        }
        if !self.team.is_empty() {
            f.team = Some(TeamId::parse(&self.team).map_err(|e| e.to_string())?);
        }
        if !self.ip.is_empty() {
            f.ip = Some(self.ip.parse::<IpFilter>().map_err(|e| e.to_string())?);
        }
        if !self.q.is_empty() {
            if self.q.chars().count() > 200 {
                return Err("free text is limited to 200 characters".into());
            }
            f.text = Some(self.q.clone());
        }
        Ok(f)
    }

    /// Whether any filter is set.
    pub fn is_empty(&self) -> bool {
        self.fields().iter().all(|v| v.is_empty())
    }
}

fn relative(range: &str) -> Option<Duration> {
    match range {
        "24h" => Some(Duration::hours(24)),
        "7d" => Some(Duration::days(7)),
        "30d" => Some(Duration::days(30)),
        "90d" => Some(Duration::days(90)),
        _ => None,
    }
}

fn instant(text: &str, name: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(day) = text.parse::<NaiveDate>() {
        return Ok(day.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    }
    // `<input type="datetime-local">` sends minutes without a zone; the page says it is UTC.
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M") {
        return Ok(t.and_utc());
    }
    Err(format!(
        "`{name}` must be a date (YYYY-MM-DD) or a time such as 2026-03-01T12:00:00Z"
    ))
}

fn list<T: std::str::FromStr>(text: &str) -> Result<Vec<T>, String>
where
    T::Err: std::fmt::Display,
{
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<T>().map_err(|e| e.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Product, Severity};

    fn now() -> DateTime<Utc> {
        "2026-03-10T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_query_round_trips_through_its_url_and_becomes_a_filter() {
        let q = EventQuery {
            range: "7d".into(),
            product: "jira,org".into(),
            severity: "high".into(),
            ip: "10.0.0.0/8".into(),
            q: "a b&c".into(),
            ..EventQuery::default()
        };
        let url = q.to_query(&[("limit", "25".into())]);
        assert_eq!(
            url,
            "range=7d&product=jira%2Corg&severity=high&ip=10.0.0.0%2F8&q=a%20b%26c&limit=25"
        );
        let f = q.to_filter(now()).unwrap();
        assert_eq!(f.from, Some(now() - Duration::days(7)));
        assert_eq!(f.products, [Product::Jira, Product::Org]);
        assert_eq!(f.severities, [Severity::High]);
        assert_eq!(f.text.as_deref(), Some("a b&c"));
    }

    #[test]
    fn sharing_freezes_a_relative_range() {
        let q = EventQuery {
            range: "24h".into(),
            ..EventQuery::default()
        };
        let frozen = q.frozen(now());
        assert_eq!(frozen.range, "");
        assert_eq!(frozen.from, "2026-03-09T12:00:00Z");
        assert_eq!(frozen.to, "2026-03-10T12:00:00Z");
        assert_eq!(
            frozen.to_filter(now()).unwrap().from,
            q.to_filter(now()).unwrap().from
        );
    }

    #[test]
    fn bad_parameters_say_what_is_wrong() {
        let bad = |q: EventQuery| q.to_filter(now()).unwrap_err();
        assert!(bad(EventQuery {
            product: "jira,nope".into(),
            ..Default::default()
        })
        .contains("nope"));
        assert!(bad(EventQuery {
            range: "1y".into(),
            ..Default::default()
        })
        .contains("24h"));
        assert!(bad(EventQuery {
            from: "yesterday".into(),
            ..Default::default()
        })
        .contains("from"));
        assert!(bad(EventQuery {
            ip: "10.0.0.300".into(),
            ..Default::default()
        })
        .contains("10.0.0.300"));
        assert!(bad(EventQuery {
            from: "2026-03-02".into(),
            to: "2026-03-01".into(),
            ..Default::default()
        })
        .contains("after"));
    }
}
