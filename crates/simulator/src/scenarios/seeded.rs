//! The situations seeded into every generated dataset: each scenario twice, on fixed days of the
//! history at fixed times of day, each about a different person, so a demo over the default
//! data (14 days) shows every detection firing and the tests know exactly where.
//!
//! Times are counted back from the anchor's UTC day: "day 9, 03:12" is 03:12 UTC nine days
//! before the anchor's day. With a shorter history the days are scaled to it (day `d` of 14
//! becomes day `round(d × days / 14)`, at least 1) and moved a day later while the situation
//! would start before the data does. People are the administrators for administrative
//! scenarios, else the `k`-th person who is not a site administrator counting from the end of
//! the directory ([`ordinary`]), a different `k` per situation.

use super::people::{admins, ordinary};
use super::{named, run};
use crate::dataset::Dataset;
use crate::directory::Directory;

const DAY_MS: i64 = 86_400_000;

/// Who a seeded situation is about.
#[derive(Debug, Clone, Copy)]
enum Who {
    /// The `n`-th site administrator (wrapping).
    Admin(usize),
    /// The `k`-th ordinary person ([`ordinary`]).
    Ordinary(usize),
}

/// One seeded situation of the first round: scenario, day back, minute of the day, person.
/// The second round is the same situations six days later in the history (day `d` becomes
/// `1 + (d + 6) % 13`), three hours later in the day, about the person `k + 18`.
const FIRST_ROUND: &[(&str, i64, i64, Who)] = &[
    ("admin-granted", 13, 10 * 60 + 5, Who::Ordinary(0)),
    ("permission-changed", 12, 14 * 60 + 20, Who::Admin(1)),
    ("impersonation", 11, 9 * 60 + 40, Who::Admin(0)),
    ("api-key-created", 10, 16 * 60 + 10, Who::Admin(1)),
    ("brute-force", 9, 3 * 60 + 12, Who::Ordinary(2)),
    ("mass-export", 8, 19 * 60 + 30, Who::Ordinary(3)),
    ("mfa-disabled", 7, 11 * 60 + 25, Who::Admin(0)),
    ("privileged-group", 6, 13 * 60 + 45, Who::Ordinary(5)),
    ("mass-deletion", 5, 17 * 60 + 5, Who::Ordinary(6)),
    ("audit-settings-changed", 4, 8 * 60 + 50, Who::Admin(0)),
    ("auth-policy-changed", 4, 15 * 60 + 35, Who::Admin(1)),
    ("public-access", 3, 12 * 60 + 15, Who::Ordinary(7)),
    ("brute-force-ip", 3, 2 * 60 + 40, Who::Ordinary(8)),
    ("unusual-volume", 2, 14 * 60, Who::Ordinary(14)),
    ("api-token-created", 2, 10 * 60 + 30, Who::Ordinary(15)),
    ("new-ip", 1, 8 * 60 + 20, Who::Ordinary(16)),
    ("new-country", 1, 21 * 60 + 5, Who::Ordinary(17)),
];

/// Every seeded situation: scenario, day back (in a 14-day history), minute of the day, person.
fn schedule() -> Vec<(&'static str, i64, i64, Who)> {
    let second = FIRST_ROUND.iter().map(|(name, day, minute, who)| {
        let who = match who {
            Who::Admin(n) => Who::Admin(n + 1),
            Who::Ordinary(k) => Who::Ordinary(k + 18),
        };
        (*name, 1 + (day + 6) % 13, (minute + 180) % 1440, who)
    });
    FIRST_ROUND.iter().copied().chain(second).collect()
}

fn person(dir: &Directory, who: Who) -> u16 {
    match who {
        Who::Admin(n) => {
            let admins = admins(dir);
            admins.get(n % admins.len().max(1)).copied().unwrap_or(0)
        }
        Who::Ordinary(k) => ordinary(dir, k),
    }
}

/// The last record's time of a situation seeded `day_back` days (of 14) before the anchor's day
/// at `minute`, in data covering `[start, end)`.
fn when(start: i64, end: i64, day_back: i64, minute: i64) -> i64 {
    let anchor = end - DAY_MS;
    let days = ((anchor - start) / DAY_MS).max(1);
    let back = ((day_back * days + 7) / 14).clamp(1, days);
    let mut at = anchor.div_euclid(DAY_MS) * DAY_MS - back * DAY_MS + minute * 60_000;
    // A situation spans at most six hours before its last record.
    while at - 6 * 3_600_000 < start {
        at += DAY_MS;
    }
    at
}

/// Writes every seeded situation into freshly generated `data`.
pub fn seed(data: &mut Dataset) {
    for (name, day, minute, who) in schedule() {
        let Some(scenario) = named(name) else {
            continue;
        };
        let at = when(data.start, data.end, day, minute);
        let p = person(&data.directory, who);
        // Only a dataset without sites refuses, and then it has no Jira or Confluence records
        // of any kind: the situation is simply absent.
        let _ = run(data, scenario, Some(p), at, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::SCENARIOS;

    #[test]
    fn every_scenario_is_seeded_twice() {
        let s = schedule();
        for scenario in SCENARIOS {
            assert_eq!(
                s.iter().filter(|(n, ..)| *n == scenario.name).count(),
                2,
                "{}",
                scenario.name
            );
        }
        assert_eq!(s.len(), 2 * SCENARIOS.len());
    }

    #[test]
    fn seeded_times_are_exact_in_a_fourteen_day_history_and_inside_a_short_one() {
        let anchor = 1_789_480_800_000; // 2026-09-15T14:00:00Z
        let start = anchor - 14 * DAY_MS;
        let day0 = anchor - 14 * 3_600_000;
        assert_eq!(
            when(start, anchor + DAY_MS, 9, 3 * 60 + 12),
            day0 - 9 * DAY_MS + (3 * 60 + 12) * 60_000
        );
        for days in 2..14 {
            let start = anchor - days * DAY_MS;
            for (_, day, minute, _) in schedule() {
                let at = when(start, anchor + DAY_MS, day, minute);
                assert!(at - 6 * 3_600_000 >= start && at <= anchor, "{days} days");
            }
        }
    }
}
