//! `api-key-created`: an organization admin API key is created (org `admin_api_key_created`,
//! an `api-keys` item in `context`): a credential with administrator reach that belongs to no
//! person. The pipeline makes it `api_key_created`.

use super::people::{first_admin, org};
use super::{Built, Call, Scenario};
use crate::dataset::additions::{Ip, NewRecord};
use crate::dataset::Dataset;

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "api-key-created",
    about: "org `admin_api_key_created`: api_key_created",
    person: "the administrator who creates it",
    default_person: first_admin,
    build,
};

fn build(_data: &Dataset, call: Call) -> Built {
    Built {
        people: vec![call.person],
        records: vec![NewRecord::Org {
            at: call.at,
            actor: call.person,
            action: org("admin_api_key_created"),
            // The key's label is `admin-key-<target>`.
            target: (call.at.rem_euclid(900) + 100) as u16,
            ip: Ip::Usual(0),
        }],
    }
}
