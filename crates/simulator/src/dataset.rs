//! The generated records, stored compactly (small `Copy` structs of numbers and indexes, sorted
//! by time) and rendered to JSON only when served, so a million records cost tens of megabytes
//! and generate in seconds. Generation is a pure function of the [`SimConfig`]: every stream
//! draws from its own ChaCha generator seeded from the seed and the stream's name.
//!
//! Records that belong together are generated together — an issue and its changelog, a page and
//! its versions, a pull request and its merge, a request and its resolution — so child records
//! always follow their parent in time.
//!
//! Records added later — the detection scenarios' — go through [`additions`], which keeps every
//! record's id as it was.
//!
//! Long because the generator of every product's records is one piece: children are generated
//! with their parents, so splitting it by product would split that rule too.

pub mod additions;
mod malformed;

pub use additions::{Address, RecordRef, Situation};
pub use malformed::{DataPicks, Malformed, SitePicks};

use crate::catalog::{
    AuditAction, OrgTarget, CHANGED_FIELDS, COMMIT_MESSAGES, CONFLUENCE_AUDIT, ISSUE_TYPES,
    JIRA_AUDIT, ORG_ACTIONS, PROJECTS, REPOS, SPACES, STATUSES, TITLES,
};
use crate::directory::Directory;
use crate::format::digest;
use crate::SimConfig;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const DAY_MS: i64 = 86_400_000;

/// When a record occurred, and its draw for lateness (a record is late when `roll` falls under
/// the late rate, so raising the rate only adds late records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Occurrence, epoch milliseconds.
    pub at: i64,
    /// Uniform draw in `0..65536`.
    pub roll: u16,
}

/// An organization audit event.
#[derive(Debug, Clone, Copy)]
pub struct OrgEvent {
    /// When.
    pub stamp: Stamp,
    /// `processedAt` lags visibility by this many milliseconds (0–3 s).
    pub jitter: u16,
    /// Person index.
    pub actor: u16,
    /// Below [`EXTRA_IP`], an index into the actor's addresses; from it, `EXTRA_IP +` an index
    /// into [`Dataset::addresses`] (an address outside anyone's usual ones).
    pub ip: u16,
    /// Index into [`ORG_ACTIONS`].
    pub action: u8,
    /// What it acted on, interpreted by the action's [`OrgTarget`].
    pub target: u16,
    /// The site it happened on.
    pub site: u8,
}

/// The first [`OrgEvent::ip`] naming an entry of [`Dataset::addresses`].
pub const EXTRA_IP: u16 = 0x8000;

/// A Jira or Confluence audit record.
#[derive(Debug, Clone, Copy)]
pub struct AuditEntry {
    /// When.
    pub stamp: Stamp,
    /// Its number in order of creation: the Jira id is [`AUDIT_ID_BASE`] + serial. Records are
    /// kept in time order, and one added later may sit before others, so the id cannot be the
    /// position.
    pub serial: u32,
    /// Person index of the author.
    pub actor: u16,
    /// Index into the author's addresses.
    pub ip: u8,
    /// Index into the product's audit catalogue.
    pub action: u8,
    /// Group, project/space, or permission index, by the action's target.
    pub target: u16,
    /// The person acted on (group changes).
    pub subject: u16,
}

/// A Jira issue; its changelog is `changes[start..end]` of its site.
#[derive(Debug, Clone, Copy)]
pub struct Issue {
    /// Creation.
    pub stamp: Stamp,
    /// Index into [`PROJECTS`].
    pub project: u8,
    /// Number within the project (`PLAT-<number>`).
    pub number: u32,
    /// Person index of the creator (also the reporter).
    pub creator: u16,
    /// Index into [`ISSUE_TYPES`].
    pub kind: u8,
    /// Index into [`TITLES`].
    pub title: u16,
    /// First changelog entry.
    pub start: u32,
    /// One past the last changelog entry.
    pub end: u32,
}

/// One changelog entry.
#[derive(Debug, Clone, Copy)]
pub struct Change {
    /// When.
    pub stamp: Stamp,
    /// Person index.
    pub author: u16,
    /// `0` for a status transition, else `1 +` an index into [`CHANGED_FIELDS`].
    pub field: u8,
    /// Transitions: the index into [`STATUSES`] it moves from; other fields: a variant number.
    pub step: u8,
}

/// A Confluence page or blog post; its versions are `versions[start..end]` of its site.
#[derive(Debug, Clone, Copy)]
pub struct Content {
    /// A blog post rather than a page.
    pub blog: bool,
    /// Index into [`SPACES`].
    pub space: u8,
    /// Index into [`TITLES`].
    pub title: u16,
    /// Person index of the creator.
    pub author: u16,
    /// First version.
    pub start: u32,
    /// One past the last version.
    pub end: u32,
}

/// One version of a page or blog post; its number is its position within the content plus one.
#[derive(Debug, Clone, Copy)]
pub struct Version {
    /// When.
    pub stamp: Stamp,
    /// Person index.
    pub author: u16,
}

/// A commit; [`BOT`] as author means an unlinked `build bot`.
#[derive(Debug, Clone, Copy)]
pub struct Commit {
    /// When.
    pub stamp: Stamp,
    /// Person index or [`BOT`].
    pub author: u16,
    /// Index into [`COMMIT_MESSAGES`].
    pub message: u8,
}

/// The author of commits that no Atlassian account is linked to.
pub const BOT: u16 = u16::MAX;

/// A pull request; its id is its position in the repository plus one.
#[derive(Debug, Clone, Copy)]
pub struct PullRequest {
    /// Opening.
    pub opened: Stamp,
    /// Person index.
    pub author: u16,
    /// Index into [`TITLES`].
    pub title: u16,
    /// The merge or decline, if any.
    pub close: Option<Close>,
}

/// How a pull request ended.
#[derive(Debug, Clone, Copy)]
pub struct Close {
    /// When.
    pub stamp: Stamp,
    /// Merged (else declined).
    pub merged: bool,
    /// Person index of who closed it.
    pub by: u16,
}

/// A JSM customer request.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    /// Creation.
    pub created: Stamp,
    /// Below the number of customers: a customer index; else a person index plus that number.
    pub reporter: u32,
    /// Index into [`TITLES`].
    pub title: u16,
    /// Index into the request types.
    pub kind: u8,
    /// Resolution, if any.
    pub resolved: Option<Stamp>,
}

/// Records of one site: Jira, Confluence and JSM.
#[derive(Debug, Default, Clone)]
pub struct SiteData {
    /// Jira audit, by time; id = [`AUDIT_ID_BASE`] + serial.
    pub jira_audit: Vec<AuditEntry>,
    /// Confluence audit, by time.
    pub confluence_audit: Vec<AuditEntry>,
    /// Issues by creation; id = [`ISSUE_ID_BASE`] + index.
    pub issues: Vec<Issue>,
    /// Changelog entries grouped by issue; id = [`CHANGELOG_ID_BASE`] + index.
    pub changes: Vec<Change>,
    /// Pages and blog posts, by creation except those added later (at the end); id =
    /// [`CONTENT_ID_BASE`] + index.
    pub contents: Vec<Content>,
    /// Versions grouped by content.
    pub versions: Vec<Version>,
    /// Requests by creation; issue id = [`ISSUE_ID_BASE`] + issues + index.
    pub requests: Vec<Request>,
    /// Which of these records the malformed fault garbles.
    pub picks: SitePicks,
}

/// First Jira audit record id.
pub const AUDIT_ID_BASE: u64 = 10_000;
/// First issue id.
pub const ISSUE_ID_BASE: u64 = 10_000;
/// First changelog id.
pub const CHANGELOG_ID_BASE: u64 = 100_000;
/// First page/blog post id.
pub const CONTENT_ID_BASE: u64 = 4_000_000;

impl SiteData {
    /// The issue id of request `i`.
    pub fn request_id(&self, i: usize) -> u64 {
        ISSUE_ID_BASE + (self.issues.len() + i) as u64
    }
}

/// Commits (oldest first) and pull requests (by opening) of one repository of [`REPOS`].
#[derive(Debug, Default, Clone)]
pub struct RepoData {
    /// Commits.
    pub commits: Vec<Commit>,
    /// Pull requests.
    pub prs: Vec<PullRequest>,
}

/// Everything a simulator serves.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// People, groups, customers.
    pub directory: Directory,
    /// Start of the data, epoch ms.
    pub start: i64,
    /// End of the data (exclusive), epoch ms.
    pub end: i64,
    /// Organization events, by time except those added later (at the end): the stream serves
    /// them in `processedAt` order whatever their place, and their id is their index.
    pub org: Vec<OrgEvent>,
    /// One per configured site.
    pub sites: Vec<SiteData>,
    /// One per repository of [`REPOS`].
    pub repos: Vec<RepoData>,
    /// Which organization event and commit the malformed fault garbles.
    pub picks: DataPicks,
    /// Addresses outside everyone's usual ones, with where they are located (see
    /// [`OrgEvent::ip`]).
    pub addresses: Vec<Address>,
    /// The detection situations in the data, seeded or added, in the order they were written.
    pub situations: Vec<Situation>,
}

/// Shares of the daily volume, in percent: org, Jira audit, Jira activity, Confluence audit,
/// Confluence activity, commits, pull requests, JSM.
const SHARES: [u64; 8] = [35, 6, 20, 6, 13, 10, 4, 6];

/// Relative activity per hour of the day (UTC): a working-day curve.
const HOUR_WEIGHT: [u32; 24] = [
    1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 10, 12, 14, 14, 12, 8, 5, 3, 2, 2, 1, 1,
];

struct Gen {
    rng: ChaCha8Rng,
    start: i64,
    end: i64,
    people: u16,
}

impl Gen {
    fn new(seed: u64, stream: &str, index: usize, start: i64, end: i64, people: u16) -> Self {
        let key = digest(&[
            b"stream",
            &seed.to_le_bytes(),
            stream.as_bytes(),
            &(index as u64).to_le_bytes(),
        ]);
        Self {
            rng: ChaCha8Rng::from_seed(key),
            start,
            end,
            people,
        }
    }

    /// A time in the data window, weighted towards weekday working hours.
    fn time(&mut self) -> i64 {
        loop {
            let t = self.rng.gen_range(self.start..self.end);
            let hour = t.div_euclid(3_600_000).rem_euclid(24) as usize;
            let weekday = (t.div_euclid(DAY_MS) + 3).rem_euclid(7);
            let w = HOUR_WEIGHT[hour] * if weekday >= 5 { 1 } else { 4 };
            if self.rng.gen_range(0..56) < w {
                return t;
            }
        }
    }

    /// A gap after a parent event: exponential with the given mean, at least a second.
    fn gap(&mut self, mean_ms: f64) -> i64 {
        let u: f64 = self.rng.gen();
        1_000 + (-(1.0 - u).ln() * mean_ms) as i64
    }

    fn stamp(&mut self, at: i64) -> Stamp {
        Stamp {
            at,
            roll: self.rng.gen(),
        }
    }

    fn person(&mut self) -> u16 {
        self.rng.gen_range(0..self.people)
    }

    fn title(&mut self) -> u16 {
        self.rng.gen_range(0..TITLES.len() as u16)
    }
}

fn pick(rng: &mut ChaCha8Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut r = rng.gen_range(0..total);
    for (i, w) in weights.iter().enumerate() {
        if r < *w {
            return i;
        }
        r -= w;
    }
    weights.len() - 1
}

impl Dataset {
    /// Generates the data of `config`.
    pub fn generate(config: &SimConfig) -> Self {
        let seed = config.seed;
        let anchor = config.anchor.timestamp_millis();
        let start = anchor - i64::from(config.days) * DAY_MS;
        let end = anchor + DAY_MS;
        let total = u64::from(config.events_per_day) * (u64::from(config.days) + 1);
        let share =
            |i: usize, parts: usize| (total * SHARES[i] / 100 / parts.max(1) as u64) as usize;

        let mut rng = Gen::new(seed, "directory", 0, start, end, 1).rng;
        let people = config.people.clamp(1, usize::from(u16::MAX - 1));
        let directory = Directory::generate(&mut rng, seed, people, config.teams);
        let people = people as u16;
        let gen = |stream: &str, index: usize| Gen::new(seed, stream, index, start, end, people);
        let site_count = config.sites.len();

        let org = org_events(gen("org", 0), share(0, 1), &directory, site_count.max(1));
        let sites = (0..site_count)
            .map(|s| {
                let mut site = SiteData {
                    jira_audit: audit_entries(
                        gen("jira-audit", s),
                        share(1, site_count),
                        JIRA_AUDIT,
                        &directory,
                    ),
                    confluence_audit: audit_entries(
                        gen("confluence-audit", s),
                        share(3, site_count),
                        CONFLUENCE_AUDIT,
                        &directory,
                    ),
                    ..SiteData::default()
                };
                issues(gen("jira-issues", s), share(2, site_count), &mut site);
                contents(
                    gen("confluence-content", s),
                    share(4, site_count),
                    &mut site,
                );
                site.requests = requests(
                    gen("jsm", s),
                    share(7, site_count),
                    directory.customers.len(),
                );
                site
            })
            .collect();
        let repos = (0..REPOS.len())
            .map(|r| {
                repo(
                    gen("bitbucket", r),
                    share(5, REPOS.len()),
                    share(6, REPOS.len()),
                )
            })
            .collect();
        let mut data = Self {
            directory,
            start,
            end,
            org,
            sites,
            repos,
            picks: DataPicks::default(),
            addresses: Vec::new(),
            situations: Vec::new(),
        };
        Malformed::choose(&mut data, anchor);
        data
    }

    /// Records held, all streams together.
    pub fn record_count(&self) -> usize {
        let site: usize = self
            .sites
            .iter()
            .map(|s| {
                s.jira_audit.len()
                    + s.confluence_audit.len()
                    + s.issues.len()
                    + s.changes.len()
                    + s.versions.len()
                    + s.requests.len()
                    + s.requests.iter().filter(|r| r.resolved.is_some()).count()
            })
            .sum();
        let bitbucket: usize = self
            .repos
            .iter()
            .map(|r| {
                r.commits.len() + r.prs.len() + r.prs.iter().filter(|p| p.close.is_some()).count()
            })
            .sum();
        self.org.len() + site + bitbucket
    }
}

fn org_events(mut g: Gen, n: usize, dir: &Directory, sites: usize) -> Vec<OrgEvent> {
    let weights: Vec<u32> = ORG_ACTIONS.iter().map(|a| a.weight).collect();
    let admins = dir.group_named("site-admins").unwrap_or(0);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let at = g.time();
        let action = pick(&mut g.rng, &weights);
        let actor = g.person();
        let ips = dir.people[usize::from(actor)].ips.len();
        // Everyone, failing or not, signs in from their own addresses: a sign-in from anywhere
        // else is a scenario's (new-ip, new-country, brute-force).
        let ip = g.rng.gen_range(0..ips) as u16;
        let target = match ORG_ACTIONS[action].target {
            OrgTarget::Site => g.rng.gen_range(0..sites) as u16,
            OrgTarget::Group if g.rng.gen_ratio(1, 12) => admins as u16,
            OrgTarget::Group => g.rng.gen_range(0..dir.ordinary_groups()) as u16,
            OrgTarget::User => g.person(),
            OrgTarget::Space => g.rng.gen_range(0..SPACES.len()) as u16,
            OrgTarget::Policy
            | OrgTarget::RetentionPolicy
            | OrgTarget::Token
            | OrgTarget::ApiKey
            | OrgTarget::App => g.rng.gen_range(0..1000),
        };
        let stamp = g.stamp(at);
        out.push(OrgEvent {
            stamp,
            jitter: g.rng.gen_range(0..3000),
            actor,
            ip,
            action: action as u8,
            target,
            site: g.rng.gen_range(0..sites) as u8,
        });
    }
    out.sort_by_key(|e| e.stamp.at);
    out
}

fn audit_entries(
    mut g: Gen,
    n: usize,
    catalogue: &[AuditAction],
    dir: &Directory,
) -> Vec<AuditEntry> {
    let weights: Vec<u32> = catalogue.iter().map(|a| a.weight).collect();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let at = g.time();
        let action = pick(&mut g.rng, &weights) as u8;
        // Administrators do most audited work.
        let actor = if g.rng.gen_ratio(2, 3) {
            g.rng.gen_range(0..g.people.min(3))
        } else {
            g.person()
        };
        let ips = dir.people[usize::from(actor)].ips.len();
        let stamp = g.stamp(at);
        out.push(AuditEntry {
            stamp,
            serial: 0,
            actor,
            ip: g.rng.gen_range(0..ips) as u8,
            action,
            target: g
                .rng
                .gen_range(0..dir.ordinary_groups().max(PROJECTS.len())) as u16,
            subject: g.person(),
        });
    }
    out.sort_by_key(|e| e.stamp.at);
    for (serial, e) in out.iter_mut().enumerate() {
        e.serial = serial as u32;
    }
    out
}

fn issues(mut g: Gen, records: usize, site: &mut SiteData) {
    let n = (records / 4).max(1);
    let mut created: Vec<(i64, u8)> = (0..n)
        .map(|_| (g.time(), g.rng.gen_range(0..PROJECTS.len()) as u8))
        .collect();
    created.sort_unstable();
    let mut numbers = [0u32; 16];
    for (at, project) in created {
        numbers[usize::from(project)] += 1;
        let start = site.changes.len() as u32;
        let mut t = at;
        let mut status = 0u8;
        for _ in 0..g.rng.gen_range(0..=6) {
            t += g.gap(6.0 * 3_600_000.0);
            if t >= g.end {
                break;
            }
            let transition = (status as usize) < STATUSES.len() - 1 && g.rng.gen_bool(0.5);
            let (field, step) = if transition {
                status += 1;
                (0, status - 1)
            } else {
                (
                    1 + g.rng.gen_range(0..CHANGED_FIELDS.len()) as u8,
                    g.rng.gen(),
                )
            };
            let stamp = g.stamp(t);
            site.changes.push(Change {
                stamp,
                author: g.person(),
                field,
                step,
            });
        }
        let stamp = g.stamp(at);
        site.issues.push(Issue {
            stamp,
            project,
            number: numbers[usize::from(project)],
            creator: g.person(),
            kind: g.rng.gen_range(0..ISSUE_TYPES.len()) as u8,
            title: g.title(),
            start,
            end: site.changes.len() as u32,
        });
    }
}

fn contents(mut g: Gen, records: usize, site: &mut SiteData) {
    let n = (records * 10 / 28).max(1);
    let mut created: Vec<i64> = (0..n).map(|_| g.time()).collect();
    created.sort_unstable();
    for at in created {
        let blog = g.rng.gen_ratio(1, 5);
        let start = site.versions.len() as u32;
        let author = g.person();
        let stamp = g.stamp(at);
        site.versions.push(Version { stamp, author });
        let more = if blog {
            g.rng.gen_range(0..=1)
        } else {
            g.rng.gen_range(0..=4)
        };
        let mut t = at;
        for _ in 0..more {
            t += g.gap(12.0 * 3_600_000.0);
            if t >= g.end {
                break;
            }
            let stamp = g.stamp(t);
            let author = if g.rng.gen_bool(0.6) {
                author
            } else {
                g.person()
            };
            site.versions.push(Version { stamp, author });
        }
        site.contents.push(Content {
            blog,
            space: g.rng.gen_range(0..SPACES.len()) as u8,
            title: g.title(),
            author,
            start,
            end: site.versions.len() as u32,
        });
    }
}

fn requests(mut g: Gen, records: usize, customers: usize) -> Vec<Request> {
    let n = (records * 10 / 16).max(1);
    let mut out: Vec<Request> = (0..n)
        .map(|_| {
            let at = g.time();
            let created = g.stamp(at);
            let reporter = if g.rng.gen_ratio(3, 4) {
                g.rng.gen_range(0..customers) as u32
            } else {
                (customers + usize::from(g.person())) as u32
            };
            let resolved_at = at + g.gap(20.0 * 3_600_000.0);
            let resolved =
                (g.rng.gen_bool(0.6) && resolved_at < g.end).then(|| g.stamp(resolved_at));
            Request {
                created,
                reporter,
                title: g.title(),
                kind: g.rng.gen_range(0..3),
                resolved,
            }
        })
        .collect();
    out.sort_by_key(|r| r.created.at);
    out
}

fn repo(mut g: Gen, commits: usize, pr_records: usize) -> RepoData {
    let mut data = RepoData {
        commits: (0..commits.max(1))
            .map(|_| {
                let at = g.time();
                let stamp = g.stamp(at);
                let author = if g.rng.gen_ratio(1, 10) {
                    BOT
                } else {
                    g.person()
                };
                Commit {
                    stamp,
                    author,
                    message: g.rng.gen_range(0..COMMIT_MESSAGES.len()) as u8,
                }
            })
            .collect(),
        prs: Vec::new(),
    };
    data.commits.sort_by_key(|c| c.stamp.at);
    let n = (pr_records * 10 / 17).max(1);
    data.prs = (0..n)
        .map(|_| {
            let at = g.time();
            let opened = g.stamp(at);
            let closed_at = at + g.gap(18.0 * 3_600_000.0);
            let close = (g.rng.gen_bool(0.7) && closed_at < g.end).then(|| {
                let stamp = g.stamp(closed_at);
                Close {
                    stamp,
                    merged: g.rng.gen_bool(0.8),
                    by: g.person(),
                }
            });
            PullRequest {
                opened,
                author: g.person(),
                title: g.title(),
                close,
            }
        })
        .collect();
    data.prs.sort_by_key(|p| p.opened.at);
    data
}
