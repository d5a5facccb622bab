//! The detection scenarios: each situation AtlasLens's built-in detections look for, written as
//! source records in the real wire shape of its product, so that the pipeline maps them to the
//! operation the detection reads.
//!
//! A scenario is data — who acts, on what, with which action names, at which times — in a module
//! of its own; [`Dataset::add`] writes its records without disturbing any other record's id.
//! The same scenarios are seeded into the generated data at fixed times ([`seed`]) and can be
//! added at run time (`POST /_sim/scenario/<name>`), so a demo shows each detection firing and a
//! test can make one fire on demand. Two more are switches rather than records: a stream that
//! goes silent ([`silent_source`]) and a product that refuses credentials
//! ([`refused_credentials`]).
//!
//! A scenario's records end at the time it is given: the last one is at that instant, the rest
//! before it, so all of them are visible at once when it is the simulated now.

mod admin_granted;
mod api_key_created;
mod api_token_created;
mod audit_settings_changed;
mod auth_policy_changed;
mod brute_force;
mod brute_force_ip;
mod impersonation;
mod mass_deletion;
mod mass_export;
mod mfa_disabled;
mod new_country;
mod new_ip;
mod people;
mod permission_changed;
mod privileged_group;
mod public_access;
pub mod refused_credentials;
mod seeded;
pub mod silent_source;
mod unusual_volume;

pub use seeded::seed;

use crate::dataset::additions::{AddError, NewRecord};
use crate::dataset::Dataset;
use crate::directory::Directory;

/// What a scenario is asked for: the person it is about, and when its last record happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    /// Person index.
    pub person: u16,
    /// Epoch ms of the last record.
    pub at: i64,
}

/// The records of one scenario call and everyone they are about (the asked-for person first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The people, by index.
    pub people: Vec<u16>,
    /// The records.
    pub records: Vec<NewRecord>,
}

/// One scenario that writes records.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Its name in the control API (`brute-force`).
    pub name: &'static str,
    /// What it writes, and which operation the pipeline makes of it.
    pub about: &'static str,
    /// What the `person` parameter names.
    pub person: &'static str,
    /// The person when none is asked for.
    pub default_person: fn(&Directory) -> u16,
    /// Its records.
    pub build: fn(&Dataset, Call) -> Built,
}

/// Every scenario that writes records, in the order the control API lists them.
pub const SCENARIOS: &[Scenario] = &[
    admin_granted::SCENARIO,
    impersonation::SCENARIO,
    mfa_disabled::SCENARIO,
    auth_policy_changed::SCENARIO,
    api_key_created::SCENARIO,
    api_token_created::SCENARIO,
    permission_changed::SCENARIO,
    audit_settings_changed::SCENARIO,
    public_access::SCENARIO,
    privileged_group::SCENARIO,
    brute_force::SCENARIO,
    brute_force_ip::SCENARIO,
    mass_deletion::SCENARIO,
    mass_export::SCENARIO,
    new_ip::SCENARIO,
    new_country::SCENARIO,
    unusual_volume::SCENARIO,
];

/// The scenarios that switch something rather than write records: name and what it does.
pub const SWITCHES: &[(&str, &str)] = &[
    (silent_source::NAME, silent_source::ABOUT),
    (refused_credentials::NAME, refused_credentials::ABOUT),
];

/// The scenario called `name`.
pub fn named(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.name == name)
}

/// Adds the records of `scenario` for `call` (or, without a person, its default person) to
/// `data`; returns the index of the new situation in [`Dataset::situations`].
///
/// # Errors
/// When the data cannot take the records (no site for Jira and Confluence records).
pub fn run(
    data: &mut Dataset,
    scenario: &Scenario,
    person: Option<u16>,
    at: i64,
    seeded: bool,
) -> Result<usize, AddError> {
    let person = person.unwrap_or_else(|| (scenario.default_person)(&data.directory));
    let built = (scenario.build)(data, Call { person, at });
    data.add(scenario.name, seeded, built.people, built.records)
}

/// `n` times `step` milliseconds apart, the last at `at`.
fn ending_at(at: i64, n: usize, step: i64) -> Vec<i64> {
    (0..n as i64)
        .map(|k| at - (n as i64 - 1 - k) * step)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{CONFLUENCE_AUDIT, JIRA_AUDIT, ORG_ACTIONS};
    use crate::dataset::additions::Ip;
    use crate::SimConfig;

    fn data() -> Dataset {
        Dataset::generate(&SimConfig {
            people: 20,
            days: 3,
            events_per_day: 200,
            anchor: "2026-09-15T14:00:00Z".parse().unwrap(),
            ..SimConfig::default()
        })
    }

    /// The action name each record of a scenario is written with.
    fn names(records: &[NewRecord]) -> Vec<&'static str> {
        records
            .iter()
            .map(|r| match r {
                NewRecord::Org { action, .. } => ORG_ACTIONS[usize::from(*action)].key,
                NewRecord::JiraAudit(a) => JIRA_AUDIT[usize::from(a.action)].summary,
                NewRecord::ConfluenceAudit(a) => CONFLUENCE_AUDIT[usize::from(a.action)].summary,
                NewRecord::Page { .. } => "page version",
            })
            .collect()
    }

    #[test]
    fn names_are_unique_and_every_switch_is_listed_apart() {
        let mut all: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
        all.extend(SWITCHES.iter().map(|(n, _)| *n));
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n);
        assert_eq!(n, 19, "17 scenarios that write records and 2 switches");
    }

    #[test]
    fn every_scenario_ends_at_its_time_and_is_about_its_person_first() {
        let d = data();
        for s in SCENARIOS {
            let person = (s.default_person)(&d.directory);
            let at = d.end - 2 * 86_400_000;
            let built = (s.build)(&d, Call { person, at });
            assert_eq!(built.people.first(), Some(&person), "{}", s.name);
            assert!(!built.records.is_empty(), "{}", s.name);
            let times: Vec<i64> = built
                .records
                .iter()
                .flat_map(|r| match r {
                    NewRecord::Org { at, .. } => vec![*at],
                    NewRecord::JiraAudit(a) | NewRecord::ConfluenceAudit(a) => vec![a.at],
                    NewRecord::Page { versions, .. } => versions.clone(),
                })
                .collect();
            assert_eq!(
                times.iter().max(),
                Some(&at),
                "{}: the last record is at `at`",
                s.name
            );
            assert!(
                times.iter().all(|t| at - t <= 6 * 3_600_000),
                "{}: within six hours",
                s.name
            );
        }
    }

    #[test]
    fn the_bursts_have_the_size_and_span_the_detections_expect() {
        let d = data();
        let build = |name: &str| {
            let s = named(name).unwrap();
            (s.build)(
                &d,
                Call {
                    person: 5,
                    at: d.end - 86_400_000,
                },
            )
        };
        let org_times = |b: &Built, key: &str| -> Vec<(i64, u16, Ip)> {
            b.records
                .iter()
                .filter_map(|r| match r {
                    NewRecord::Org {
                        at,
                        actor,
                        action,
                        ip,
                        ..
                    } if ORG_ACTIONS[usize::from(*action)].key == key => {
                        Some((*at, *actor, ip.clone()))
                    }
                    _ => None,
                })
                .collect()
        };
        let span = |t: &[i64]| t.iter().max().unwrap() - t.iter().min().unwrap();

        let bf = org_times(&build("brute-force"), "user_login_failed");
        assert_eq!(bf.len(), 8);
        assert!(bf.iter().all(|(_, who, ip)| *who == 5 && *ip == bf[0].2));
        assert!(span(&bf.iter().map(|x| x.0).collect::<Vec<_>>()) < 5 * 60_000);

        let bfi = org_times(&build("brute-force-ip"), "user_login_failed");
        assert_eq!(bfi.len(), 12);
        let who: std::collections::BTreeSet<u16> = bfi.iter().map(|x| x.1).collect();
        assert_eq!(who.len(), 6, "six different people");
        assert!(bfi.iter().all(|x| x.2 == bfi[0].2), "one address");
        assert!(span(&bfi.iter().map(|x| x.0).collect::<Vec<_>>()) < 5 * 60_000);

        let deletions = build("mass-deletion");
        let n = names(&deletions.records);
        assert_eq!(n.len(), 25);
        assert!(n
            .iter()
            .all(|a| *a == "Issue deleted" || *a == "Page deleted"));

        let exports = build("mass-export");
        let n = names(&exports.records);
        assert_eq!(n.len(), 6);
        assert!(n
            .iter()
            .all(|a| *a == "Space exported" || *a == "user_details_exported"));

        let volume = build("unusual-volume");
        let [NewRecord::Page {
            author, versions, ..
        }] = volume.records.as_slice()
        else {
            panic!("one page")
        };
        assert_eq!((*author, versions.len()), (5, unusual_volume::VERSIONS));
        assert!(span(versions) < 86_400_000);
    }

    /// A scenario naming an action its catalogue lacks panics when built (see `people::org`).
    #[test]
    fn every_scenario_builds_from_actions_its_catalogues_have() {
        let d = data();
        for s in SCENARIOS {
            for person in [0, 3, 19] {
                let built = (s.build)(&d, Call { person, at: d.end });
                assert_eq!(names(&built.records).len(), built.records.len());
            }
        }
    }
}
