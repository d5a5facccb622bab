//! `api-token-created`: a user creates an API token (org `api_token_created`), a credential
//! that acts as that user from anywhere. The ordinary data has a few of these a day too; the
//! scenario adds one at a chosen time. The pipeline makes it `api_token_created`.

use super::people::{last_ordinary, org};
use super::{Built, Call, Scenario};
use crate::dataset::additions::{Ip, NewRecord};
use crate::dataset::Dataset;

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "api-token-created",
    about: "org `api_token_created`: api_token_created",
    person: "the user who creates it",
    default_person: last_ordinary,
    build,
};

fn build(_data: &Dataset, call: Call) -> Built {
    Built {
        people: vec![call.person],
        records: vec![NewRecord::Org {
            at: call.at,
            actor: call.person,
            action: org("api_token_created"),
            target: (call.at.rem_euclid(900) + 100) as u16,
            ip: Ip::Usual(0),
        }],
    }
}
