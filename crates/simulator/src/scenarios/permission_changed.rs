//! `permission-changed`: a Jira administrator widens access three ways within a few minutes —
//! "Global permission added", "Permission scheme updated", "Project roles changed" — each of
//! which the pipeline makes `permission_changed`.

use super::people::{first_admin, jira};
use super::{ending_at, Built, Call, Scenario};
use crate::dataset::additions::{NewAudit, NewRecord};
use crate::dataset::Dataset;

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "permission-changed",
    about: "Jira \"Global permission added\", \"Permission scheme updated\", \"Project roles \
            changed\", two minutes apart: permission_changed",
    person: "the administrator who changes them",
    default_person: first_admin,
    build,
};

fn build(_data: &Dataset, call: Call) -> Built {
    let summaries = [
        "Global permission added",
        "Permission scheme updated",
        "Project roles changed",
    ];
    let records = ending_at(call.at, summaries.len(), 120_000)
        .into_iter()
        .zip(summaries)
        .enumerate()
        .map(|(k, (at, summary))| {
            NewRecord::JiraAudit(NewAudit {
                at,
                actor: call.person,
                action: jira(summary),
                target: k as u16,
                subject: call.person,
            })
        })
        .collect();
    Built {
        people: vec![call.person],
        records,
    }
}
