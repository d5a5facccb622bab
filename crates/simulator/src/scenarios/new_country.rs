//! `new-country`: a person signs in (org `user_login`) from a country they have never signed in
//! from — the first of the abroad places they have not been seen in (Singapore, then Canada,
//! …) — through an address nobody has used, in `198.51.100.0/24`.

use super::people::{fresh, last_ordinary, new_place, org};
use super::{Built, Call, Scenario};
use crate::dataset::additions::{Ip, NewRecord};
use crate::dataset::Dataset;

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "new-country",
    about: "org `user_login` located in a country the person never signed in from: login \
            (with that country)",
    person: "the person signing in",
    default_person: last_ordinary,
    build,
};

fn build(data: &Dataset, call: Call) -> Built {
    let place = new_place(data, call.person);
    Built {
        people: vec![call.person],
        records: vec![NewRecord::Org {
            at: call.at,
            actor: call.person,
            action: org("user_login"),
            target: 0,
            ip: Ip::Extra(fresh(data, "198.51.100", place)),
        }],
    }
}
