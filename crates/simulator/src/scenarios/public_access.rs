//! `public-access`: a Confluence space is opened to anonymous visitors ("Anonymous access
//! enabled" on the space): its pages are readable without signing in. The pipeline makes it
//! `public_access_enabled`.

use super::people::{confluence, last_ordinary};
use super::{Built, Call, Scenario};
use crate::dataset::additions::{NewAudit, NewRecord};
use crate::dataset::Dataset;

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "public-access",
    about: "Confluence \"Anonymous access enabled\" on a space: public_access_enabled",
    person: "the space administrator who opens it",
    default_person: last_ordinary,
    build,
};

fn build(_data: &Dataset, call: Call) -> Built {
    Built {
        people: vec![call.person],
        records: vec![NewRecord::ConfluenceAudit(NewAudit {
            at: call.at,
            actor: call.person,
            action: confluence("Anonymous access enabled"),
            // The space: `HR` (People & Culture), the one that should least be public.
            target: 2,
            subject: call.person,
        })],
    }
}
