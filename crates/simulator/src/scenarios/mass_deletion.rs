//! `mass-deletion`: one person deletes in bulk — 25 deletions within 30 minutes, Jira "Issue
//! deleted" and Confluence "Page deleted" alternating (15 issues, 10 pages). The pipeline makes
//! each `content_deleted`.

use super::people::{confluence, jira, last_ordinary};
use super::{ending_at, Built, Call, Scenario};
use crate::dataset::additions::{NewAudit, NewRecord};
use crate::dataset::Dataset;

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "mass-deletion",
    about: "25 Jira \"Issue deleted\" / Confluence \"Page deleted\" by one person within 30 \
            minutes: content_deleted",
    person: "the person deleting",
    default_person: last_ordinary,
    build,
};

fn build(_data: &Dataset, call: Call) -> Built {
    let records = ending_at(call.at, 25, 70_000)
        .into_iter()
        .enumerate()
        .map(|(k, at)| {
            let record = |action| NewAudit {
                at,
                actor: call.person,
                action,
                // Which issue or page: a different one each time.
                target: (call.at.rem_euclid(500) + k as i64) as u16,
                subject: call.person,
            };
            if k % 5 == 1 || k % 5 == 3 {
                NewRecord::ConfluenceAudit(record(confluence("Page deleted")))
            } else {
                NewRecord::JiraAudit(record(jira("Issue deleted")))
            }
        })
        .collect();
    Built {
        people: vec![call.person],
        records,
    }
}
