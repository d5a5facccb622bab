//! `brute-force-ip`: one address sprays passwords across accounts — twelve failed organization
//! sign-ins (`user_login_failed`) within five minutes, two for each of six people, all from one
//! address nobody uses (in `185.220.101.0/24`, located in the Netherlands). No one account
//! reaches a per-person threshold; the address does.

use super::people::{fresh, last_ordinary, org, other_than};
use super::{ending_at, Built, Call, Scenario};
use crate::dataset::additions::{Ip, NewRecord};
use crate::dataset::Dataset;
use crate::directory::ATTACKER_PLACE;

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "brute-force-ip",
    about: "12 org `user_login_failed` from one new address across 6 people within 5 \
            minutes: login_failed",
    person: "the first of the six accounts attacked (the next five people are the others)",
    default_person: last_ordinary,
    build,
};

fn build(data: &Dataset, call: Call) -> Built {
    let attacker = fresh(data, "185.220.101", ATTACKER_PLACE);
    let mut people = vec![call.person];
    people.extend((0..5).map(|k| other_than(&data.directory, call.person, k)));
    let records = ending_at(call.at, 12, 25_000)
        .into_iter()
        .enumerate()
        .map(|(k, at)| NewRecord::Org {
            at,
            actor: people[k % people.len()],
            action: org("user_login_failed"),
            target: 0,
            ip: Ip::Extra(attacker.clone()),
        })
        .collect();
    Built { people, records }
}
