//! `unusual-volume`: one person does in a day many times their usual amount of work — a new
//! Confluence page written in 150 versions, two minutes apart (five hours). An ordinary person
//! has 2–18 events a day at the default size (a median of 7 or 8), so a baseline of "ten times
//! the median day, and at least 50" is passed with room to spare, whoever the person is. The
//! pipeline makes the first version `page_created` and the rest `page_updated`.

use super::people::last_ordinary;
use super::{ending_at, Built, Call, Scenario};
use crate::dataset::additions::NewRecord;
use crate::dataset::Dataset;

/// How many versions.
pub const VERSIONS: usize = 150;

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "unusual-volume",
    about: "one new Confluence page in 150 versions by one person within 5 hours: \
            page_created, page_updated",
    person: "the person writing",
    default_person: last_ordinary,
    build,
};

fn build(_data: &Dataset, call: Call) -> Built {
    Built {
        people: vec![call.person],
        records: vec![NewRecord::Page {
            space: 1,
            title: (call.at.rem_euclid(7) * 2) as u16,
            author: call.person,
            versions: ending_at(call.at, VERSIONS, 2 * 60_000),
        }],
    }
}
