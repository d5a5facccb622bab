//! A stored rule made ready to run: its filter parsed by the Events query language, its team
//! resolved to members, its exclusions to sets. What it selects is what the Events page shows for
//! the same filter, minus the exclusions.

use crate::RulesError;
use chrono::{DateTime, SecondsFormat, Utc};
use domain::rule::parse_filter;
use domain::{Event, EventFilter, Field, IpFilter, PersonId};
use std::collections::{BTreeMap, BTreeSet};
use store::alert_rules::StoredRule;
use store::events::{ActorScope, FieldValue};
use store::Store;

/// A rule ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// The rule as stored.
    pub rule: StoredRule,
    /// Its filter, without a time range.
    pub filter: EventFilter,
    /// Who may have acted (the filter's team resolved to its members).
    pub actors: ActorScope,
    team_members: Option<BTreeSet<PersonId>>,
    excluded_people: BTreeSet<PersonId>,
    excluded_ips: Vec<IpFilter>,
}

/// The value of `field` on `event`, as groups and dedup keys carry it.
pub fn value_of(event: &Event, field: Field) -> Option<String> {
    match field {
        Field::Person => event.actor_id.as_ref().map(ToString::to_string),
        Field::Ip => event.source_ip.map(|ip| ip.to_string()),
        Field::Object => event.object_ref.as_ref().map(|o| o.id.clone()),
        Field::Container => event.object_ref.as_ref().and_then(|o| o.container.clone()),
        Field::Country => event.country.clone(),
        Field::Operation => Some(event.operation.as_str().to_owned()),
        Field::Product => Some(event.product.as_str().to_owned()),
        Field::Stream => Some(format!(
            "{}/{}/{}",
            event.deployment, event.product, event.pipeline
        )),
    }
}

/// The condition "`field` has the event's value", when the event has one.
pub fn field_value(event: &Event, field: Field) -> Option<FieldValue> {
    value_of(event, field).map(|value| FieldValue { field, value })
}

impl CompiledRule {
    /// Validates `rule` and resolves its team and exclusions.
    ///
    /// # Errors
    /// [`RulesError::Invalid`] when it no longer validates; a database error.
    pub async fn compile(store: &Store, rule: StoredRule) -> Result<Self, RulesError> {
        let filter = rule.spec.check().map_err(|reason| RulesError::Invalid {
            rule: rule.id.to_string(),
            reason,
        })?;
        let actors = match &filter.team {
            Some(team) => {
                let mut members = store.teams.members(team).await?;
                if let Some(person) = &filter.person {
                    members.retain(|m| m == person);
                }
                ActorScope::People(members)
            }
            None => ActorScope::Anyone,
        };
        let team_members = match &actors {
            ActorScope::People(p) => Some(p.iter().cloned().collect()),
            ActorScope::Anyone => None,
        };
        let mut excluded_people: BTreeSet<PersonId> =
            rule.spec.exclusions.people.iter().cloned().collect();
        for team in &rule.spec.exclusions.teams {
            excluded_people.extend(store.teams.members(team).await?);
        }
        let excluded_ips = rule.spec.exclusions.ips.clone();
        Ok(Self {
            rule,
            filter,
            actors,
            team_members,
            excluded_people,
            excluded_ips,
        })
    }

    /// Whether the rule looks at `event`: its filter matches and no exclusion applies.
    pub fn selects(&self, event: &Event) -> bool {
        self.filter.matches(event, self.team_members.as_ref())
            && !event
                .actor_id
                .as_ref()
                .is_some_and(|p| self.excluded_people.contains(p))
            && !event
                .source_ip
                .is_some_and(|ip| self.excluded_ips.iter().any(|f| f.contains(ip)))
    }

    /// A digest of everything that decides which events the rule selects and how it counts them
    /// (filter, kind, exclusions, the members of the teams involved): when it changes, what the
    /// rule remembers of earlier events no longer holds and is built again.
    pub fn fingerprint(&self) -> String {
        let spec = &self.rule.spec;
        let parts = [
            serde_json::to_string(&spec.kind),
            serde_json::to_string(&spec.exclusions),
            serde_json::to_string(&self.team_members),
            serde_json::to_string(&self.excluded_people),
        ]
        .map(Result::unwrap_or_default);
        let mut all: Vec<&[u8]> = vec![spec.filter.as_bytes()];
        all.extend(parts.iter().map(|p| p.as_bytes()));
        store::digest::short_id(&all)
    }

    /// The rule's filter limited to `[from, to)`.
    pub fn within(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> EventFilter {
        EventFilter {
            from: Some(from),
            to: Some(to),
            ..self.filter.clone()
        }
    }

    /// The Events query string that shows the rule's events for `group` in `[from, to)`: the
    /// rule's filter, the group's person or address, and the range.
    pub fn events_query(
        &self,
        group: &BTreeMap<Field, String>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> String {
        let mut q = parse_filter(&self.rule.spec.filter).unwrap_or_default();
        if let Some(p) = group.get(&Field::Person) {
            q.person = p.clone();
        }
        if let Some(ip) = group.get(&Field::Ip) {
            q.ip = ip.clone();
        }
        q.from = from.to_rfc3339_opts(SecondsFormat::Secs, true);
        // The end is exclusive; a second past the last event keeps it in view.
        q.to = (to + chrono::Duration::seconds(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
        q.to_query(&[])
    }
}
