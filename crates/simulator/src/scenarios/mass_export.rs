//! `mass-export`: one person takes data out — six exports within 30 minutes: four Confluence
//! "Space exported" (every space) and two organization `user_details_exported`. The pipeline
//! makes each `content_exported`.

use super::people::{confluence, last_ordinary, org};
use super::{ending_at, Built, Call, Scenario};
use crate::dataset::additions::{Ip, NewAudit, NewRecord};
use crate::dataset::Dataset;

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "mass-export",
    about: "4 Confluence \"Space exported\" and 2 org `user_details_exported` by one person \
            within 30 minutes: content_exported",
    person: "the person exporting",
    default_person: last_ordinary,
    build,
};

fn build(_data: &Dataset, call: Call) -> Built {
    let records = ending_at(call.at, 6, 5 * 60_000)
        .into_iter()
        .enumerate()
        .map(|(k, at)| match k {
            2 | 5 => NewRecord::Org {
                at,
                actor: call.person,
                action: org("user_details_exported"),
                target: 0,
                ip: Ip::Usual(0),
            },
            _ => NewRecord::ConfluenceAudit(NewAudit {
                at,
                actor: call.person,
                action: confluence("Space exported"),
                target: k as u16,
                subject: call.person,
            }),
        })
        .collect();
    Built {
        people: vec![call.person],
        records,
    }
}
