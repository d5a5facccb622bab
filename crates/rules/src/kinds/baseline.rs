//! `baseline`: a group's count in a window above `factor` × the median of its own counts in the
//! windows before (zeros included), and at least `floor` — "41 exports today, usual 3". Windows are
//! aligned to the epoch (a 24-hour window is a UTC day), so every evaluation of a window agrees.
//!
//! The counts come from one of two sources with the same meaning: the stored events (a preview)
//! or the rule's memory in `rule_counts` (a pass). A pass tallies what it reads per group, window
//! and storing slice ([`Tally`]); at its end the tally is merged into the memory ([`merge`]) and
//! every window it touched is judged.

use super::WINDOW_LIMIT;
use crate::compiled::field_value;
use crate::finding::period_start;
use crate::{CompiledRule, Finding, RulesError};
use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::{Event, Field};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use store::events::FieldValue;
use store::rule_counts::{GroupChange, WindowCount, Windows};
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

impl Params {
    fn len(&self) -> Duration {
        Duration::hours(i64::from(self.window_hours))
    }

    /// How many windows the median is taken over.
    fn windows_before(&self) -> usize {
        ((self.history_days * 24) / self.window_hours).max(1) as usize
    }

    /// The start of the window `at` falls in.
    pub fn window_of(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        period_start(at, self.window_hours * 60)
    }
}

/// The most history times one group's baseline reads from the stored events.
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

/// How finely a pass's recount splits storing time, in milliseconds.
const SLICE_MS: i64 = 10_000;

/// The start of the storing slice (ten seconds) `at` falls in: the unit a pass recounts whole.
pub fn slice_of(at: DateTime<Utc>) -> DateTime<Utc> {
    let ms = at.timestamp_millis();
    Utc.timestamp_millis_opt(ms - ms.rem_euclid(SLICE_MS))
        .single()
        .unwrap_or(at)
}

/// What a pass read, per (group value, window start in ms): storing slice (ms) → events.
pub type Tally = HashMap<(String, i64), BTreeMap<i64, u64>>;

/// Adds `event` (one the rule selects) to `tally`.
pub fn tally(tally: &mut Tally, event: &Event, p: &Params) {
    let Some(group) = field_value(event, p.group_by) else {
        return;
    };
    let window = p.window_of(event.occurred_at).timestamp_millis();
    let slice = slice_of(event.ingested_at).timestamp_millis();
    *tally
        .entry((group.value, window))
        .or_default()
        .entry(slice)
        .or_default() += 1;
}

/// `memory` with `tally` merged in: in each window the tally touches, storing slices before
/// `recount_from` (which no later pass reads again) are settled, and the slices from it on are
/// replaced by the tally's, which counted them whole. Windows too old for any baseline still to
/// come are forgotten. Returns the change to write.
pub fn merge(
    memory: &mut HashMap<String, Windows>,
    tally: &Tally,
    recount_from: DateTime<Utc>,
    p: &Params,
    now: DateTime<Utc>,
) -> HashMap<String, GroupChange> {
    let from = recount_from.timestamp_millis();
    let oldest_needed =
        (p.window_of(now) - p.len() * (p.windows_before() as i32 + 2)).timestamp_millis();
    let mut changes: HashMap<String, GroupChange> = HashMap::new();
    for ((group, window), slices) in tally {
        let windows = memory.entry(group.clone()).or_default();
        let count = windows.entry(*window).or_default();
        let recent = std::mem::take(&mut count.recent);
        count.settled += recent.range(..from).map(|(_, n)| n).sum::<u64>();
        count.recent = slices.range(from..).map(|(m, n)| (*m, *n)).collect();
        let change = changes.entry(group.clone()).or_default();
        change.set.insert(*window, count.clone());
    }
    for (group, change) in &mut changes {
        if let Some(windows) = memory.get(group) {
            change.forget = windows.range(..oldest_needed).map(|(w, _)| *w).collect();
        }
    }
    changes
}

/// Where a baseline rule learns its groups' counts.
pub enum Counts<'a> {
    /// The stored events themselves.
    Stored(&'a Store),
    /// The rule's memory, with the pass's tally merged in.
    Remembered(&'a HashMap<String, Windows>),
}

impl Counts<'_> {
    /// The group's count in the window starting at `start`, and in each of the windows before it
    /// the median is taken over (oldest first).
    async fn of(
        &self,
        rule: &CompiledRule,
        group: &FieldValue,
        start: DateTime<Utc>,
        p: &Params,
    ) -> Result<(u64, Vec<u64>), RulesError> {
        let (len, n) = (p.len(), p.windows_before());
        match self {
            Counts::Stored(store) => {
                let current = window_events(store, rule, group, start, p).await?.len() as u64;
                let times = store
                    .events
                    .group_times(
                        &rule.within(start - len * n as i32, start),
                        &rule.actors,
                        std::slice::from_ref(group),
                        HISTORY_LIMIT,
                    )
                    .await?;
                Ok((current, window_counts(&times, start, len, n)))
            }
            Counts::Remembered(memory) => {
                let windows = memory.get(&group.value);
                let count = |w: DateTime<Utc>| {
                    windows
                        .and_then(|ws| ws.get(&w.timestamp_millis()))
                        .map_or(0, WindowCount::total)
                };
                let before = (1..=n)
                    .rev()
                    .map(|k| count(start - len * k as i32))
                    .collect();
                Ok((count(start), before))
            }
        }
    }
}

/// The events the rule selects of `group` in the window starting at `start`.
async fn window_events(
    store: &Store,
    rule: &CompiledRule,
    group: &FieldValue,
    start: DateTime<Utc>,
    p: &Params,
) -> Result<Vec<Event>, RulesError> {
    Ok(store
        .events
        .group_events(
            &rule.within(start, start + p.len()),
            &rule.actors,
            std::slice::from_ref(group),
            WINDOW_LIMIT,
        )
        .await?
        .into_iter()
        .filter(|e| rule.selects(e))
        .collect())
}

/// The (group, window) pairs the new events fall in.
pub fn touched_by(new: &[&Event], p: &Params) -> BTreeSet<(FieldValue, DateTime<Utc>)> {
    new.iter()
        .filter_map(|e| field_value(e, p.group_by).map(|g| (g, p.window_of(e.occurred_at))))
        .collect()
}

/// Findings of `touched` groups above their baseline in those windows. The events behind a
/// finding are read only for a group found above it.
///
/// # Errors
/// A database error.
pub async fn evaluate(
    store: &Store,
    counts: &Counts<'_>,
    rule: &CompiledRule,
    touched: BTreeSet<(FieldValue, DateTime<Utc>)>,
    p: &Params,
) -> Result<Vec<Finding>, RulesError> {
    let mut findings = Vec::new();
    for (group, start) in touched {
        let (count, before) = counts.of(rule, &group, start, p).await?;
        if count < u64::from(p.floor) {
            continue;
        }
        let usual = median(&before);
        if (count as f64) <= p.factor * usual {
            continue;
        }
        let current = window_events(store, rule, &group, start, p).await?;
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
                "{count} matching events {what}, usual {usual} (median of the {} windows before; alerts above {} × usual and at least {})",
                before.len(), p.factor, p.floor
            ),
            shown: (start, current.last().map_or(start, |e| e.occurred_at)),
        });
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_median_counts_quiet_windows_too() {
        assert_eq!(median(&[0, 0, 3, 5, 100]), 3.0);
        assert_eq!(median(&[1, 2, 3, 4]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn times_fall_in_their_windows() {
        let end = t("2026-03-10T00:00:00Z");
        let day = Duration::days(1);
        let times = [
            end - Duration::hours(1),
            end - Duration::hours(2),
            end - Duration::hours(30),
            end,
        ];
        assert_eq!(window_counts(&times, end, day, 3), [0, 1, 2]);
    }

    fn params() -> Params {
        Params {
            group_by: Field::Person,
            window_hours: 24,
            history_days: 30,
            factor: 10.0,
            floor: 50,
        }
    }

    #[test]
    fn merging_settles_slices_no_pass_reads_again_and_replaces_the_recounted_ones() {
        let p = params();
        let now = t("2026-03-10T12:00:00Z");
        let window = t("2026-03-10T00:00:00Z").timestamp_millis();
        let m = |s: &str| t(s).timestamp_millis();
        let mut memory = HashMap::from([(
            "person:ana".to_owned(),
            Windows::from([(
                window,
                WindowCount {
                    settled: 10,
                    recent: BTreeMap::from([
                        (m("2026-03-10T11:50:00Z"), 4),
                        (m("2026-03-10T11:58:00Z"), 2),
                    ]),
                },
            )]),
        )]);
        // This pass recounted from 11:58 on: the slice read again counted 3 this time.
        let tally: Tally = HashMap::from([(
            ("person:ana".to_owned(), window),
            BTreeMap::from([
                (m("2026-03-10T11:58:00Z"), 3),
                (m("2026-03-10T11:59:00Z"), 5),
            ]),
        )]);
        let from = t("2026-03-10T11:58:00Z");
        let changes = merge(&mut memory, &tally, from, &p, now);
        let count = &memory["person:ana"][&window];
        assert_eq!(count.settled, 14);
        assert_eq!(count.total(), 22);
        assert_eq!(changes["person:ana"].set[&window], *count);
        // The same pass again (a retry) writes the same numbers.
        let again = merge(&mut memory, &tally, from, &p, now);
        assert_eq!(again, changes);
        assert_eq!(memory["person:ana"][&window].total(), 22);
    }

    #[test]
    fn windows_older_than_any_baseline_needs_are_forgotten() {
        let p = params();
        let now = t("2026-03-10T12:00:00Z");
        let old = t("2026-01-01T00:00:00Z").timestamp_millis();
        let today = t("2026-03-10T00:00:00Z").timestamp_millis();
        let mut memory = HashMap::from([(
            "g".to_owned(),
            Windows::from([(old, WindowCount::default())]),
        )]);
        let tally: Tally = HashMap::from([(
            ("g".to_owned(), today),
            BTreeMap::from([(now.timestamp_millis(), 1)]),
        )]);
        let changes = merge(&mut memory, &tally, now, &p, now);
        assert_eq!(changes["g"].forget, [old]);
    }
}
