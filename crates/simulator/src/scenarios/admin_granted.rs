//! `admin-granted`: someone becomes an administrator, seen twice over — the organization's
//! `added_org_admin` event, and Jira's "User added to group" on `site-admins`, which the
//! pipeline escalates to `admin_granted` because `site-admins` is an administrator group.

use super::people::{admin_other_than, jira, last_ordinary, org};
use super::{ending_at, Built, Call, Scenario};
use crate::dataset::additions::{Ip, NewAudit, NewRecord};
use crate::dataset::Dataset;

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "admin-granted",
    about: "org `added_org_admin`, then a Jira \"User added to group\" on `site-admins` a \
            minute later: both admin_granted",
    person: "the account made an administrator (a site administrator grants it)",
    default_person: last_ordinary,
    build,
};

fn build(data: &Dataset, call: Call) -> Built {
    let dir = &data.directory;
    let admin = admin_other_than(dir, call.person);
    let group = dir.group_named("site-admins").unwrap_or(0) as u16;
    let t = ending_at(call.at, 2, 60_000);
    Built {
        people: vec![call.person, admin],
        records: vec![
            NewRecord::Org {
                at: t[0],
                actor: admin,
                action: org("added_org_admin"),
                target: call.person,
                ip: Ip::Usual(0),
            },
            NewRecord::JiraAudit(NewAudit {
                at: t[1],
                actor: admin,
                action: jira("User added to group"),
                target: group,
                subject: call.person,
            }),
        ],
    }
}
