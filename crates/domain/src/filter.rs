//! What the dashboard can ask of the event store: the filters of the Events page and keyset
//! pagination over `(occurred_at, id)`, newest first.

use crate::event::Event;
use crate::ids::{EventId, PersonId, TeamId};
use crate::ip::IpFilter;
use crate::vocabulary::{Category, Operation, Pipeline, Product, Severity};
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// A search over events. Empty lists and `None` mean "no restriction"; several values in one list
/// match any of them; different fields must all match.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventFilter {
    /// Inclusive lower bound on `occurred_at`.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound on `occurred_at`.
    pub to: Option<DateTime<Utc>>,
    /// Products to include.
    pub products: Vec<Product>,
    /// Pipelines to include.
    pub pipelines: Vec<Pipeline>,
    /// Categories to include.
    pub categories: Vec<Category>,
    /// Severities to include.
    pub severities: Vec<Severity>,
    /// Operations to include.
    pub operations: Vec<Operation>,
    /// Only events by this person.
    pub person: Option<PersonId>,
    /// Only events by members of this team.
    pub team: Option<TeamId>,
    /// Only events from this address or block.
    pub ip: Option<IpFilter>,
    /// Case-insensitive substring of the operation or the object's name.
    pub text: Option<String>,
}

/// What free text is matched against: the operation and the object's name, lower-cased, joined by
/// a control character no typed text contains. The store keeps it on every event; the evaluator of
/// rules computes it the same way, so text means the same in both.
pub fn search_text(operation: &str, object_name: Option<&str>) -> String {
    format!("{operation}\u{1f}{}", object_name.unwrap_or_default()).to_lowercase()
}

impl EventFilter {
    /// Whether `event` passes every restriction, in memory: what the store's query of this filter
    /// selects (a test in the store crate holds the two to the same answers). A team restriction
    /// needs its members: an event passes only if its actor is in `team_members`.
    pub fn matches(&self, event: &Event, team_members: Option<&BTreeSet<PersonId>>) -> bool {
        if self.from.is_some_and(|f| event.occurred_at < f)
            || self.to.is_some_and(|t| event.occurred_at >= t)
            || !listed(&self.products, &event.product)
            || !listed(&self.pipelines, &event.pipeline)
            || !listed(&self.categories, &event.category)
            || !listed(&self.severities, &event.severity)
            || !listed(&self.operations, &event.operation)
        {
            return false;
        }
        if let Some(p) = &self.person {
            if event.actor_id.as_ref() != Some(p) {
                return false;
            }
        }
        if self.team.is_some() {
            let member = match (&event.actor_id, team_members) {
                (Some(actor), Some(members)) => members.contains(actor),
                _ => false,
            };
            if !member {
                return false;
            }
        }
        if let Some(ip) = &self.ip {
            if !event.source_ip.is_some_and(|a| ip.contains(a)) {
                return false;
            }
        }
        if let Some(text) = self
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let haystack = search_text(
                event.operation.as_str(),
                event.object_ref.as_ref().and_then(|o| o.name.as_deref()),
            );
            if !haystack.contains(&text.to_lowercase()) {
                return false;
            }
        }
        true
    }
}

fn listed<T: PartialEq>(list: &[T], value: &T) -> bool {
    list.is_empty() || list.contains(value)
}

/// The position after the last event of a page: the next page holds strictly older events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageCursor {
    /// `occurred_at` of the last event shown.
    pub occurred_at: DateTime<Utc>,
    /// Id of the last event shown (breaks ties between events of the same instant).
    pub id: EventId,
}

/// Why a cursor token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the page cursor is not valid; start again from the first page")]
pub struct BadCursor;

impl fmt::Display for PageCursor {
    /// The URL-friendly token: `<epoch millis>.<event id>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.occurred_at.timestamp_millis(), self.id)
    }
}

impl FromStr for PageCursor {
    type Err = BadCursor;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (millis, id) = s.split_once('.').ok_or(BadCursor)?;
        let millis: i64 = millis.parse().map_err(|_| BadCursor)?;
        let occurred_at = Utc.timestamp_millis_opt(millis).single().ok_or(BadCursor)?;
        let id = EventId::parse(id).map_err(|_| BadCursor)?;
        Ok(Self { occurred_at, id })
    }
}

/// How many events one page holds: one of [`PageSize::CHOICES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct PageSize(u32);

/// A page size outside the offered choices.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("page size must be one of 25, 50, 100 or 200")]
pub struct BadPageSize;

impl PageSize {
    /// The sizes the UI offers.
    pub const CHOICES: [u32; 4] = [25, 50, 100, 200];

    /// The number of events.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for PageSize {
    fn default() -> Self {
        Self(50)
    }
}

impl TryFrom<u32> for PageSize {
    type Error = BadPageSize;
    fn try_from(n: u32) -> Result<Self, Self::Error> {
        if Self::CHOICES.contains(&n) {
            Ok(Self(n))
        } else {
            Err(BadPageSize)
        }
    }
}

impl From<PageSize> for u32 {
    fn from(p: PageSize) -> u32 {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_survives_its_token() {
        let c = PageCursor {
            occurred_at: Utc.timestamp_millis_opt(1_700_000_000_123).unwrap(),
            id: EventId::parse("acme:jira:a.b:c").unwrap(),
        };
        let token = c.to_string();
        assert_eq!(token, "1700000000123.acme:jira:a.b:c");
        assert_eq!(token.parse::<PageCursor>().unwrap(), c);
    }

    #[test]
    fn tampered_cursors_are_refused() {
        for t in ["", "abc", "123", "x.acme:jira:1", "123.nope"] {
            assert!(t.parse::<PageCursor>().is_err(), "{t}");
        }
    }

    #[test]
    fn page_sizes_are_limited_to_the_offered_choices() {
        assert_eq!(PageSize::default().get(), 50);
        assert!(PageSize::try_from(100).is_ok());
        assert!(PageSize::try_from(10_000).is_err());
    }
}
