//! What one request sees: the simulated time, which records are late (and so not yet visible),
//! which record of each stream is malformed, and whether pages overlap. A `View` is a snapshot
//! taken once per request, so one response is consistent even while the clock runs.

use crate::dataset::{Dataset, SiteData, Stamp};
use crate::Faults;

/// A snapshot of the clock and the data faults.
#[derive(Debug, Clone, Copy)]
pub struct View {
    /// Simulated now, epoch ms.
    pub now: i64,
    /// A record whose roll is below this is late.
    late_below: u32,
    /// How late late records are, ms.
    late_ms: i64,
    /// One record per stream is malformed.
    pub malformed: bool,
    /// Pages repeat their predecessor's last record.
    pub duplicate: bool,
}

impl View {
    /// The view at `now` under `faults`.
    pub fn new(now: i64, faults: &Faults) -> Self {
        Self {
            now,
            late_below: (faults.late_rate.clamp(0.0, 1.0) * 65_536.0) as u32,
            late_ms: i64::try_from(faults.late_delay_s.saturating_mul(1000))
                .unwrap_or(i64::MAX / 2),
            malformed: faults.malformed,
            duplicate: faults.duplicate_across_pages,
        }
    }

    /// When the record becomes visible.
    pub fn visible_at(&self, s: Stamp) -> i64 {
        if u32::from(s.roll) < self.late_below {
            s.at.saturating_add(self.late_ms)
        } else {
            s.at
        }
    }

    /// Whether the record is visible now.
    pub fn visible(&self, s: Stamp) -> bool {
        self.visible_at(s) <= self.now
    }

    /// Whether a child record (a changelog entry, a later version, a merge) is visible: it and
    /// its parent must both be.
    pub fn visible_child(&self, parent: Stamp, s: Stamp) -> bool {
        self.visible(parent) && self.visible(s)
    }
}

/// Which record of each stream is the malformed one when the fault is on: the middle one, so it
/// falls well inside the data window. Kept here so the renderers and the manifest agree.
pub struct Malformed;

impl Malformed {
    /// Index of the malformed organization event.
    pub fn org(data: &Dataset) -> usize {
        data.org.len() / 2
    }

    /// Index of the malformed Jira audit record.
    pub fn jira_audit(site: &SiteData) -> usize {
        site.jira_audit.len() / 2
    }

    /// Index of the malformed Confluence audit record.
    pub fn confluence_audit(site: &SiteData) -> usize {
        site.confluence_audit.len() / 2
    }

    /// Index of the changelog entry with the malformed time (Jira activity), or `None` when the
    /// site has no changelog (then the middle issue's creation is malformed instead).
    pub fn changelog(site: &SiteData) -> Option<usize> {
        (!site.changes.is_empty()).then_some(site.changes.len() / 2)
    }

    /// Index of the issue whose creation time is malformed, when no changelog exists.
    pub fn issue(site: &SiteData) -> Option<usize> {
        site.changes.is_empty().then_some(site.issues.len() / 2)
    }

    /// Index of the malformed page/blog-post version.
    pub fn version(site: &SiteData) -> usize {
        site.versions.len() / 2
    }

    /// Index of the request whose creation time is malformed.
    pub fn request(site: &SiteData) -> usize {
        site.requests.len() / 2
    }

    /// (repository, commit index) of the malformed commit.
    pub fn commit(data: &Dataset) -> (usize, usize) {
        (0, data.repos.first().map_or(0, |r| r.commits.len() / 2))
    }
}
