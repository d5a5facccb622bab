//! `baseline`: a group's count in a window above `factor` × the median of its own counts in the
//! windows before (zeros included), and at least `floor` — "41 exports today, usual 3". Windows are
//! aligned to the epoch (a 24-hour window is a UTC day), so every evaluation of a window agrees.

use super::WINDOW_LIMIT;
use crate::compiled::field_value;
use crate::finding::period_start;
use crate::{CompiledRule, Finding, RulesError};
use chrono::{DateTime, Duration, Utc};
use domain::{Event, Field};
use std::collections::{BTreeMap, BTreeSet};
use store::Store;

/// A baseline rule's numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Whose baseline.
    pub group_by: Field,
    /// The window counted.
    pub window_hours: u32,
    /// How far back the baseline looks.
    pub history_days: u32,
    /// How many times the median.
    pub factor: f64,
    /// The least count that alerts.
    pub floor: u32,
}

/// The most history times one group's baseline reads.
const HISTORY_LIMIT: i64 = 200_000;

/// The median of `counts` (the mean of the middle two for an even number).
pub fn median(counts: &[u64]) -> f64 {
    let mut sorted = counts.to_vec();
    sorted.sort_unstable();
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2] as f64,
        n => (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0,
    }
}

/// Counts of `times` in each of `n` windows of `len` ending at `end` (oldest first).
pub fn window_counts(
    times: &[DateTime<Utc>],
    end: DateTime<Utc>,
    len: Duration,
    n: usize,
) -> Vec<u64> {
    let mut counts = vec![0_u64; n];
    let start = end - len * n as i32;
    for t in times {
        if *t >= start && *t < end {
            let i = ((*t - start).num_milliseconds() / len.num_milliseconds()) as usize;
            if let Some(c) = counts.get_mut(i) {
                *c += 1;
            }
        }
    }
    counts
}

/// Findings of groups above their baseline in the windows the new events fall in.
///
/// # Errors
/// A database error.
pub async fn evaluate(
    store: &Store,
    rule: &CompiledRule,
    new: &[&Event],
    p: &Params,
) -> Result<Vec<Finding>, RulesError> {
    let len = Duration::hours(i64::from(p.window_hours));
    let windows_before = ((p.history_days * 24) / p.window_hours).max(1) as usize;
    let touched: BTreeSet<_> = new
        .iter()
        .filter_map(|e| {
            field_value(e, p.group_by)
                .map(|g| (g, period_start(e.occurred_at, p.window_hours * 60)))
        })
        .collect();
    let mut findings = Vec::new();
    for (group, start) in touched {
        let end = start + len;
        let current: Vec<Event> = store
            .events
            .group_events(
                &rule.within(start, end),
                &rule.actors,
                std::slice::from_ref(&group),
                WINDOW_LIMIT,
            )
            .await?
            .into_iter()
            .filter(|e| rule.selects(e))
            .collect();
        let count = current.len() as u64;
        if count < u64::from(p.floor) {
            continue;
        }
        let history_from = start - len * windows_before as i32;
        let times = store
            .events
            .group_times(
                &rule.within(history_from, start),
                &rule.actors,
                std::slice::from_ref(&group),
                HISTORY_LIMIT,
            )
            .await?;
        let usual = median(&window_counts(&times, start, len, windows_before));
        if (count as f64) <= p.factor * usual {
            continue;
        }
        let what = if p.window_hours == 24 {
            "today".to_owned()
        } else {
            format!("in {} hours", p.window_hours)
        };
        findings.push(Finding {
            group: BTreeMap::from([(group.field, group.value.clone())]),
            anchor: start,
            events: current.iter().map(|e| (e.id.clone(), e.occurred_at)).collect(),
            why: format!(
                "{count} matching events {what}, usual {usual} (median of the {windows_before} windows before; alerts above {} × usual and at least {})",
                p.factor, p.floor
            ),
            shown: (start, current.last().map_or(start, |e| e.occurred_at)),
        });
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_counts_quiet_windows_too() {
        assert_eq!(median(&[0, 0, 3, 5, 100]), 3.0);
        assert_eq!(median(&[1, 2, 3, 4]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn times_fall_in_their_windows() {
        let end: DateTime<Utc> = "2026-03-10T00:00:00Z".parse().unwrap();
        let day = Duration::days(1);
        let times = [
            end - Duration::hours(1),
            end - Duration::hours(2),
            end - Duration::hours(30),
            end,
        ];
        assert_eq!(window_counts(&times, end, day, 3), [0, 1, 2]);
    }
}
