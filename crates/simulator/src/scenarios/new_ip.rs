//! `new-ip`: a person signs in (org `user_login`) from an address they have never used — one
//! nobody has, in `203.0.113.0/24` — located in their home country, so only the address is
//! new, not the country.

use super::people::{fresh, last_ordinary, org};
use super::{Built, Call, Scenario};
use crate::dataset::additions::{Ip, NewRecord};
use crate::dataset::Dataset;

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "new-ip",
    about: "org `user_login` from an address the person never used, in their home country: \
            login",
    person: "the person signing in",
    default_person: last_ordinary,
    build,
};

fn build(data: &Dataset, call: Call) -> Built {
    let home = data.directory.people[usize::from(call.person)].home;
    Built {
        people: vec![call.person],
        records: vec![NewRecord::Org {
            at: call.at,
            actor: call.person,
            action: org("user_login"),
            target: 0,
            ip: Ip::Extra(fresh(data, "203.0.113", home)),
        }],
    }
}
