//! `audit-settings-changed`: the evidence is tampered with — Confluence "Audit log retention
//! changed" (seven years down to thirty days) and the organization's
//! `data_retention_policy_updated` a minute later. The pipeline makes both
//! `audit_settings_changed`.

use super::people::{confluence, first_admin, org};
use super::{ending_at, Built, Call, Scenario};
use crate::dataset::additions::{Ip, NewAudit, NewRecord};
use crate::dataset::Dataset;

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "audit-settings-changed",
    about: "Confluence \"Audit log retention changed\", then org \
            `data_retention_policy_updated`: audit_settings_changed",
    person: "the administrator who changes them",
    default_person: first_admin,
    build,
};

fn build(_data: &Dataset, call: Call) -> Built {
    let t = ending_at(call.at, 2, 60_000);
    Built {
        people: vec![call.person],
        records: vec![
            NewRecord::ConfluenceAudit(NewAudit {
                at: t[0],
                actor: call.person,
                action: confluence("Audit log retention changed"),
                target: 0,
                subject: call.person,
            }),
            NewRecord::Org {
                at: t[1],
                actor: call.person,
                action: org("data_retention_policy_updated"),
                target: 0,
                ip: Ip::Usual(0),
            },
        ],
    }
}
