//! Adding records to generated data without changing the id of any record already served.
//!
//! Ids follow positions, so each list takes new records where positions do not move:
//! organization events and pages go at the end of their lists (their id is their index, and
//! nothing reads those lists in time order — the events stream has its own order), and audit
//! records go into time order with the next serial (their id is their serial, and the audit
//! endpoints do read them in time order). An address nobody uses is kept once in
//! [`Dataset::addresses`]. Every addition is recorded as a [`Situation`], so the control API and
//! the tests can say what was added and find it again.
//!
//! Added records are never late unless every record is (their lateness draw is the highest),
//! and never the malformed one (that choice was made when the data was generated).

use super::{AuditEntry, Content, Dataset, OrgEvent, Stamp, Version, EXTRA_IP};
use crate::directory::Place;

/// An address outside everyone's usual ones, and where it is located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The address (IPv4 or IPv6 text).
    pub ip: String,
    /// Where the organization event's `location` says it is.
    pub place: Place,
}

/// One record of a situation: its source, and what identifies it whatever is added later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordRef {
    /// An organization event, by index.
    Org(usize),
    /// A Jira audit record of a site, by serial.
    JiraAudit {
        /// Site index.
        site: usize,
        /// [`AuditEntry::serial`].
        serial: u32,
    },
    /// A Confluence audit record of a site, by serial.
    ConfluenceAudit {
        /// Site index.
        site: usize,
        /// [`AuditEntry::serial`].
        serial: u32,
    },
    /// A version of a page of a site.
    Version {
        /// Site index.
        site: usize,
        /// Index into the site's contents.
        content: usize,
        /// Version number, from 1.
        number: usize,
    },
}

/// One detection situation written into the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Situation {
    /// The scenario's name (`brute-force`).
    pub scenario: &'static str,
    /// Written with the generated data (else added at run time).
    pub seeded: bool,
    /// The people it is about, by index, the person it was asked for first.
    pub people: Vec<u16>,
    /// Its records, in time order.
    pub records: Vec<RecordRef>,
}

/// Where a new organization event's address comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ip {
    /// One of the actor's own addresses (an index into them).
    Usual(u8),
    /// An address outside everyone's usual ones.
    Extra(Address),
}

/// A record to add, in the fields of the generated record it becomes (indexes into the
/// catalogues and the directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewRecord {
    /// An organization event.
    Org {
        /// Epoch ms.
        at: i64,
        /// Person index.
        actor: u16,
        /// Index into `ORG_ACTIONS`.
        action: u8,
        /// What it acts on, by the action's target.
        target: u16,
        /// Where from.
        ip: Ip,
    },
    /// A Jira audit record of the first site.
    JiraAudit(NewAudit),
    /// A Confluence audit record of the first site.
    ConfluenceAudit(NewAudit),
    /// A new page of the first site, created and edited by one person.
    Page {
        /// Index into `SPACES`.
        space: u8,
        /// Index into `TITLES`.
        title: u16,
        /// Person index.
        author: u16,
        /// Epoch ms of each version, the first its creation.
        versions: Vec<i64>,
    },
}

/// The fields of a new audit record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewAudit {
    /// Epoch ms.
    pub at: i64,
    /// Person index of the author.
    pub actor: u16,
    /// Index into the product's audit catalogue.
    pub action: u8,
    /// Group, project/space or content, by the action's target.
    pub target: u16,
    /// The person acted on.
    pub subject: u16,
}

/// Why records cannot be added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddError {
    /// A Jira or Confluence record with no site configured.
    NoSite,
    /// A page without versions.
    NoVersions,
}

impl std::fmt::Display for AddError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AddError::NoSite => "no site is configured for Jira and Confluence records",
            AddError::NoVersions => "a page needs at least one version",
        })
    }
}

/// The stamp of an added record: late only when every record is.
fn stamp(at: i64) -> Stamp {
    Stamp { at, roll: u16::MAX }
}

impl Dataset {
    /// Adds `records` as one situation of `scenario` about `people`, and returns its index in
    /// [`Dataset::situations`].
    ///
    /// # Errors
    /// When a record needs something the data does not have; nothing is added then.
    pub fn add(
        &mut self,
        scenario: &'static str,
        seeded: bool,
        people: Vec<u16>,
        records: Vec<NewRecord>,
    ) -> Result<usize, AddError> {
        for r in &records {
            match r {
                NewRecord::JiraAudit(_)
                | NewRecord::ConfluenceAudit(_)
                | NewRecord::Page { .. }
                    if self.sites.is_empty() =>
                {
                    return Err(AddError::NoSite)
                }
                NewRecord::Page { versions, .. } if versions.is_empty() => {
                    return Err(AddError::NoVersions)
                }
                _ => {}
            }
        }
        let mut refs = Vec::new();
        for r in records {
            match r {
                NewRecord::Org {
                    at,
                    actor,
                    action,
                    target,
                    ip,
                } => {
                    let ip = match ip {
                        Ip::Usual(i) => u16::from(i),
                        Ip::Extra(a) => self.address_code(a),
                    };
                    refs.push(RecordRef::Org(self.org.len()));
                    self.org.push(OrgEvent {
                        stamp: stamp(at),
                        jitter: (at.rem_euclid(2_000)) as u16,
                        actor,
                        ip,
                        action,
                        target,
                        site: 0,
                    });
                }
                NewRecord::JiraAudit(a) => {
                    let serial = insert_audit(&mut self.sites[0].jira_audit, a);
                    refs.push(RecordRef::JiraAudit { site: 0, serial });
                }
                NewRecord::ConfluenceAudit(a) => {
                    let serial = insert_audit(&mut self.sites[0].confluence_audit, a);
                    refs.push(RecordRef::ConfluenceAudit { site: 0, serial });
                }
                NewRecord::Page {
                    space,
                    title,
                    author,
                    versions,
                } => {
                    let site = &mut self.sites[0];
                    let start = site.versions.len() as u32;
                    let content = site.contents.len();
                    for (n, at) in versions.iter().enumerate() {
                        site.versions.push(Version {
                            stamp: stamp(*at),
                            author,
                        });
                        refs.push(RecordRef::Version {
                            site: 0,
                            content,
                            number: n + 1,
                        });
                    }
                    site.contents.push(Content {
                        blog: false,
                        space,
                        title,
                        author,
                        start,
                        end: site.versions.len() as u32,
                    });
                }
            }
        }
        self.situations.push(Situation {
            scenario,
            seeded,
            people,
            records: refs,
        });
        Ok(self.situations.len() - 1)
    }

    /// The [`OrgEvent::ip`] of `address`, kept once.
    fn address_code(&mut self, address: Address) -> u16 {
        let index = match self.addresses.iter().position(|a| a.ip == address.ip) {
            Some(i) => i,
            None => {
                self.addresses.push(address);
                self.addresses.len() - 1
            }
        };
        EXTRA_IP.saturating_add(index as u16)
    }

    /// The address and place of organization event `e`.
    pub fn org_address(&self, e: &OrgEvent) -> (&str, Place) {
        let person = &self.directory.people[usize::from(e.actor)];
        match e.ip.checked_sub(EXTRA_IP) {
            Some(k) => match self.addresses.get(usize::from(k)) {
                Some(a) => (a.ip.as_str(), a.place),
                None => (person.ips[0].as_str(), person.home),
            },
            None => (
                person.ips[usize::from(e.ip) % person.ips.len()].as_str(),
                person.home,
            ),
        }
    }

    /// Whether `ip` is anyone's usual address or already in [`Dataset::addresses`].
    pub fn address_in_use(&self, ip: &str) -> bool {
        self.addresses.iter().any(|a| a.ip == ip)
            || self
                .directory
                .people
                .iter()
                .any(|p| p.ips.iter().any(|i| i == ip))
    }

    /// The index of the audit record with `serial` in `entries`.
    pub fn audit_index(entries: &[AuditEntry], serial: u32) -> Option<usize> {
        entries.iter().position(|e| e.serial == serial)
    }
}

/// Inserts `a` into `entries` in time order (after records of the same instant) with the next
/// serial, and returns that serial.
fn insert_audit(entries: &mut Vec<AuditEntry>, a: NewAudit) -> u32 {
    let serial = entries.iter().map(|e| e.serial + 1).max().unwrap_or(0);
    let at = entries.partition_point(|e| e.stamp.at <= a.at);
    entries.insert(
        at,
        AuditEntry {
            stamp: stamp(a.at),
            serial,
            actor: a.actor,
            ip: 0,
            action: a.action,
            target: a.target,
            subject: a.subject,
        },
    );
    serial
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;

    fn data() -> Dataset {
        let config = SimConfig {
            people: 8,
            days: 2,
            events_per_day: 200,
            anchor: "2026-09-15T14:00:00Z".parse().unwrap(),
            ..SimConfig::default()
        };
        Dataset::generate(&config)
    }

    #[test]
    fn an_audit_record_added_in_the_past_keeps_every_other_records_serial() {
        let mut d = data();
        let before: Vec<(i64, u32)> = d.sites[0]
            .jira_audit
            .iter()
            .map(|e| (e.stamp.at, e.serial))
            .collect();
        let at = d.sites[0].jira_audit[1].stamp.at;
        let record = NewAudit {
            at,
            actor: 0,
            action: 0,
            target: 0,
            subject: 1,
        };
        d.add("test", false, vec![0], vec![NewRecord::JiraAudit(record)])
            .unwrap();
        let after = &d.sites[0].jira_audit;
        assert_eq!(after.len(), before.len() + 1);
        assert!(after.windows(2).all(|w| w[0].stamp.at <= w[1].stamp.at));
        for (at, serial) in before {
            let i = Dataset::audit_index(after, serial).unwrap();
            assert_eq!(
                after[i].stamp.at, at,
                "serial {serial} names the same record"
            );
        }
        let RecordRef::JiraAudit { serial, .. } = d.situations[0].records[0] else {
            panic!("a Jira audit record")
        };
        assert_eq!(serial as usize, after.len() - 1, "the next serial");
    }

    #[test]
    fn an_extra_address_is_kept_once_and_located_where_it_was_given() {
        let mut d = data();
        let address = Address {
            ip: "203.0.113.254".to_owned(),
            place: ("Singapore", "Singapore", "Singapore"),
        };
        let event = |at| NewRecord::Org {
            at,
            actor: 2,
            action: 0,
            target: 0,
            ip: Ip::Extra(address.clone()),
        };
        d.add("test", false, vec![2], vec![event(1), event(2)])
            .unwrap();
        assert_eq!(d.addresses, vec![address.clone()]);
        let last = d.org.last().unwrap();
        assert_eq!(d.org_address(last), (address.ip.as_str(), address.place));
        assert!(d.address_in_use(&address.ip));
    }

    #[test]
    fn nothing_is_added_when_one_record_cannot_be() {
        let mut d = data();
        let n = d.org.len();
        let err = d.add(
            "test",
            false,
            vec![0],
            vec![
                NewRecord::Org {
                    at: 1,
                    actor: 0,
                    action: 0,
                    target: 0,
                    ip: Ip::Usual(0),
                },
                NewRecord::Page {
                    space: 0,
                    title: 0,
                    author: 0,
                    versions: vec![],
                },
            ],
        );
        assert_eq!(err, Err(AddError::NoVersions));
        assert_eq!(d.org.len(), n);
        assert!(d.situations.is_empty());
    }
}
