//! `mfa-disabled`: an administrator turns two-step verification off for a user (org
//! `twosv_disabled_for_user`, the user in `context[0]`): that account is one password away
//! from being taken. The pipeline makes it `mfa_disabled`.

use super::people::{first_admin, org, other_than};
use super::{Built, Call, Scenario};
use crate::dataset::additions::{Ip, NewRecord};
use crate::dataset::Dataset;

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "mfa-disabled",
    about: "org `twosv_disabled_for_user`: mfa_disabled",
    person: "the administrator who disables it (for the next person)",
    default_person: first_admin,
    build,
};

fn build(data: &Dataset, call: Call) -> Built {
    let user = other_than(&data.directory, call.person, 1);
    Built {
        people: vec![call.person, user],
        records: vec![NewRecord::Org {
            at: call.at,
            actor: call.person,
            action: org("twosv_disabled_for_user"),
            target: user,
            ip: Ip::Usual(0),
        }],
    }
}
