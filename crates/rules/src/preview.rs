//! "Would have fired N times": a rule being edited, run by the same evaluator over the events
//! stored in the last days, recording nothing. The number of matching events is counted the way
//! the Events page counts its total, so the two agree for the same filter and window.

use crate::finding::records;
use crate::kinds::{evaluate_events, streams};
use crate::pass::StreamInfo;
use crate::{CompiledRule, RulesError};
use chrono::{DateTime, Duration, Utc};
use domain::{Event, RuleId, RuleSpec};
use store::alert_rules::StoredRule;
use store::alerts::AlertRecord;
use store::Store;

/// The most events a preview evaluates; beyond, it says it judged the first ones.
pub const PREVIEW_LIMIT: i64 = 50_000;

/// What a rule would have done.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    /// Over how many days.
    pub days: u32,
    /// Events its filter matches in the window (the Events page's total for it).
    pub matching_events: u64,
    /// Whether only the first [`PREVIEW_LIMIT`] were evaluated.
    pub truncated: bool,
    /// How many alerts it would have recorded.
    pub alerts: usize,
    /// The first of them, oldest first.
    pub first: Vec<AlertRecord>,
    /// More than one alert an hour: it would be noise.
    pub noisy: bool,
}

/// Previews `spec` over the `days` before `now`.
///
/// # Errors
/// [`RulesError::Invalid`] for a rule that does not validate; a database error.
pub async fn preview(
    store: &Store,
    spec: &RuleSpec,
    stream_list: &[StreamInfo],
    days: u32,
    now: DateTime<Utc>,
) -> Result<Preview, RulesError> {
    let rule = StoredRule {
        id: RuleId::parse("preview").expect("a valid id"),
        builtin: false,
        spec: RuleSpec {
            enabled: true,
            ..spec.clone()
        },
        revision: 0,
        created_at: now,
        updated_at: now,
        updated_by: String::new(),
    };
    let rule = CompiledRule::compile(store, rule).await?;
    let from = now - Duration::days(i64::from(days));
    let (found, matching_events, truncated) = if rule.rule.spec.kind.reads_events() {
        let window = rule.within(from, now);
        let matching = store.events.count_matching(&window, &rule.actors).await?;
        let events: Vec<Event> = store
            .events
            .group_events(&window, &rule.actors, &[], PREVIEW_LIMIT)
            .await?;
        let truncated = events.len() as i64 == PREVIEW_LIMIT;
        let selected: Vec<&Event> = events.iter().filter(|e| rule.selects(e)).collect();
        (
            evaluate_events(store, &rule, &selected).await?,
            matching,
            truncated,
        )
    } else {
        (
            streams::evaluate(
                store,
                &rule,
                stream_list,
                &streams::sync_states(store).await?,
                now,
            )
            .await?,
            0,
            false,
        )
    };
    let mut alerts = records(&rule, found);
    alerts.sort_by_key(|a| a.seen_at);
    let count = alerts.len();
    alerts.truncate(10);
    Ok(Preview {
        days,
        matching_events,
        truncated,
        alerts: count,
        first: alerts,
        noisy: count as f64 > f64::from(days) * 24.0,
    })
}
