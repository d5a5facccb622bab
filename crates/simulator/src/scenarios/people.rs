//! Who the scenarios are about and where they act from: the site administrators, ordinary
//! people, addresses nobody has used and places someone has never been — chosen from the data
//! alone, so the same data always gives the same choice. Also the catalogue look-ups by name.

use crate::catalog::{audit_action, org_action, CONFLUENCE_AUDIT, JIRA_AUDIT};
use crate::dataset::additions::Address;
use crate::dataset::{Dataset, EXTRA_IP};
use crate::directory::{Directory, Place, ABROAD};

/// The members of `site-admins`, by index.
pub fn admins(dir: &Directory) -> Vec<u16> {
    dir.group_named("site-admins")
        .map(|g| dir.groups[g].members.iter().map(|m| *m as u16).collect())
        .unwrap_or_default()
}

/// The first site administrator (who the administrative scenarios are by default).
pub fn first_admin(dir: &Directory) -> u16 {
    admins(dir).first().copied().unwrap_or(0)
}

/// A site administrator other than `person` (who grants `person` something), or `person`
/// when nobody else is one.
pub fn admin_other_than(dir: &Directory, person: u16) -> u16 {
    admins(dir)
        .into_iter()
        .find(|a| *a != person)
        .unwrap_or(person)
}

/// The `k`-th person who is not a site administrator, counting from the end of the directory
/// (wrapping), or anyone when everyone is.
pub fn ordinary(dir: &Directory, k: usize) -> u16 {
    let admins = admins(dir);
    let others: Vec<u16> = (0..dir.people.len() as u16)
        .rev()
        .filter(|p| !admins.contains(p))
        .collect();
    if others.is_empty() {
        return (k % dir.people.len().max(1)) as u16;
    }
    others[k % others.len()]
}

/// The last person who is not a site administrator (who the other scenarios are by default).
pub fn last_ordinary(dir: &Directory) -> u16 {
    ordinary(dir, 0)
}

/// Someone other than `person`, the `k`-th after them (wrapping), or `person` alone.
pub fn other_than(dir: &Directory, person: u16, k: usize) -> u16 {
    let n = dir.people.len();
    if n < 2 {
        return person;
    }
    let step = 1 + k % (n - 1);
    ((usize::from(person) + step) % n) as u16
}

/// The first address of `candidates` nobody has used (not anyone's usual one, not one a
/// scenario already wrote), else one under `2001:db8:ffff::/48` that is not either.
pub fn fresh_address(data: &Dataset, candidates: impl Iterator<Item = String>) -> String {
    candidates
        .chain((1..=u16::MAX).map(|n| format!("2001:db8:ffff::{n:x}")))
        .find(|ip| !data.address_in_use(ip))
        .unwrap_or_else(|| "2001:db8:ffff::ffff".to_owned())
}

/// Addresses of `prefix` (`203.0.113`), the four no person uses first (`.251`–`.254`: people's
/// are `.1`–`.250`), then the rest.
pub fn in_range(prefix: &'static str) -> impl Iterator<Item = String> {
    (251..=254)
        .chain(1..=250)
        .map(move |n| format!("{prefix}.{n}"))
}

/// An address nobody has used, located at `place`.
pub fn fresh(data: &Dataset, prefix: &'static str, place: Place) -> Address {
    Address {
        ip: fresh_address(data, in_range(prefix)),
        place,
    }
}

/// The first place of [`ABROAD`] `person` has no organization event from (the last one when
/// they have been everywhere).
pub fn new_place(data: &Dataset, person: u16) -> Place {
    let seen: Vec<Place> = data
        .org
        .iter()
        .filter(|e| e.actor == person && e.ip >= EXTRA_IP)
        .map(|e| data.org_address(e).1)
        .collect();
    ABROAD
        .iter()
        .copied()
        .find(|p| !seen.contains(p))
        .unwrap_or(ABROAD[ABROAD.len() - 1])
}

/// The index of organization action `key`.
///
/// # Panics
/// When the catalogue lacks it: a scenario naming an action that does not exist is a bug, which
/// the scenario tests catch.
pub fn org(key: &str) -> u8 {
    org_action(key).unwrap_or_else(|| panic!("ORG_ACTIONS has no `{key}`"))
}

/// The index of Jira audit summary `summary`.
///
/// # Panics
/// As [`org`].
pub fn jira(summary: &str) -> u8 {
    audit_action(JIRA_AUDIT, summary).unwrap_or_else(|| panic!("JIRA_AUDIT has no `{summary}`"))
}

/// The index of Confluence audit summary `summary`.
///
/// # Panics
/// As [`org`].
pub fn confluence(summary: &str) -> u8 {
    audit_action(CONFLUENCE_AUDIT, summary)
        .unwrap_or_else(|| panic!("CONFLUENCE_AUDIT has no `{summary}`"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;

    #[test]
    fn ordinary_people_are_not_administrators_and_fresh_addresses_are_unused() {
        let data = Dataset::generate(&SimConfig {
            people: 30,
            days: 1,
            events_per_day: 50,
            ..SimConfig::default()
        });
        let dir = &data.directory;
        let admins = admins(dir);
        assert!(!admins.is_empty());
        for k in 0..40 {
            assert!(!admins.contains(&ordinary(dir, k)));
        }
        assert_ne!(admin_other_than(dir, admins[0]), admins[0]);
        let ip = fresh_address(&data, in_range("203.0.113"));
        assert!(!data.address_in_use(&ip));
        assert_eq!(ip, "203.0.113.251");
        assert!(!ABROAD.contains(&data.directory.people[0].home));
        assert_eq!(new_place(&data, 0), ABROAD[0]);
    }
}
