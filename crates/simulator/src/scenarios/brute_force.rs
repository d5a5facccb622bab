//! `brute-force`: one account's password is guessed — eight failed organization sign-ins
//! (`user_login_failed`) within five minutes, all from one address nobody uses (in
//! `185.220.101.0/24`, located in the Netherlands). The pipeline makes them `login_failed`.

use super::people::{fresh, last_ordinary, org};
use super::{ending_at, Built, Call, Scenario};
use crate::dataset::additions::{Ip, NewRecord};
use crate::dataset::Dataset;
use crate::directory::ATTACKER_PLACE;

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "brute-force",
    about: "8 org `user_login_failed` for one account within 5 minutes from one new address: \
            login_failed",
    person: "the account attacked",
    default_person: last_ordinary,
    build,
};

fn build(data: &Dataset, call: Call) -> Built {
    let attacker = fresh(data, "185.220.101", ATTACKER_PLACE);
    let records = ending_at(call.at, 8, 40_000)
        .into_iter()
        .map(|at| NewRecord::Org {
            at,
            actor: call.person,
            action: org("user_login_failed"),
            target: 0,
            ip: Ip::Extra(attacker.clone()),
        })
        .collect();
    Built {
        people: vec![call.person],
        records,
    }
}
