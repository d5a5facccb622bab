//! `impersonation`: an administrator signs in as another user (org `user_logged_in_as_user`,
//! the other user in `context[0]`): whatever follows is done in that user's name by someone
//! else. The pipeline makes it `user_impersonated`.

use super::people::{first_admin, org, other_than};
use super::{Built, Call, Scenario};
use crate::dataset::additions::{Ip, NewRecord};
use crate::dataset::Dataset;

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "impersonation",
    about: "org `user_logged_in_as_user`: user_impersonated",
    person: "the administrator who signs in as someone else (the next person is impersonated)",
    default_person: first_admin,
    build,
};

fn build(data: &Dataset, call: Call) -> Built {
    let victim = other_than(&data.directory, call.person, 0);
    Built {
        people: vec![call.person, victim],
        records: vec![NewRecord::Org {
            at: call.at,
            actor: call.person,
            action: org("user_logged_in_as_user"),
            target: victim,
            ip: Ip::Usual(0),
        }],
    }
}
