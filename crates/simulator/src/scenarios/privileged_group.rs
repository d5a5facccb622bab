//! `privileged-group`: someone joins groups whose names say they administer something —
//! Jira's `jira-admins-eu` and Confluence's `confluence-admins-emea` — but which are not among
//! the pipeline's administrator groups, so the events stay `user_added_to_group`: only a
//! detection reading the group's name sees the privilege.

use super::people::{admin_other_than, confluence, jira, last_ordinary};
use super::{ending_at, Built, Call, Scenario};
use crate::dataset::additions::{NewAudit, NewRecord};
use crate::dataset::Dataset;

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "privileged-group",
    about: "Jira \"User added to group\" on `jira-admins-eu` and Confluence \"Added user to \
            group\" on `confluence-admins-emea`: user_added_to_group",
    person: "the account added (a site administrator adds it)",
    default_person: last_ordinary,
    build,
};

fn build(data: &Dataset, call: Call) -> Built {
    let dir = &data.directory;
    let admin = admin_other_than(dir, call.person);
    let group = |name: &str| dir.group_named(name).unwrap_or(0) as u16;
    let t = ending_at(call.at, 2, 90_000);
    Built {
        people: vec![call.person, admin],
        records: vec![
            NewRecord::JiraAudit(NewAudit {
                at: t[0],
                actor: admin,
                action: jira("User added to group"),
                target: group("jira-admins-eu"),
                subject: call.person,
            }),
            NewRecord::ConfluenceAudit(NewAudit {
                at: t[1],
                actor: admin,
                action: confluence("Added user to group"),
                target: group("confluence-admins-emea"),
                subject: call.person,
            }),
        ],
    }
}
