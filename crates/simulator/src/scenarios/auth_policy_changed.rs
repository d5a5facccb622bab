//! `auth-policy-changed`: an administrator changes the organization's authentication policy
//! (org `authentication_policy_updated` on the "Authentication policy"): how everyone signs
//! in. The pipeline makes it `auth_policy_changed`, not the generic `settings_changed` an
//! unnamed `policy_updated` is.

use super::people::{first_admin, org};
use super::{Built, Call, Scenario};
use crate::dataset::additions::{Ip, NewRecord};
use crate::dataset::Dataset;

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "auth-policy-changed",
    about: "org `authentication_policy_updated`: auth_policy_changed",
    person: "the administrator who changes it",
    default_person: first_admin,
    build,
};

fn build(_data: &Dataset, call: Call) -> Built {
    Built {
        people: vec![call.person],
        records: vec![NewRecord::Org {
            at: call.at,
            actor: call.person,
            action: org("authentication_policy_updated"),
            target: 0,
            ip: Ip::Usual(0),
        }],
    }
}
