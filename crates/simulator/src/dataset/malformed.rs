//! Which record of each stream is the malformed one when the fault is on, chosen once from the
//! generated data and stored with it, so the renderers and the manifest agree.

use super::{Dataset, SiteData};

/// Which record of each stream is the malformed one when the fault is on. The choice is made once,
/// when the data is generated, from the data alone: in every stream, the record nearest the middle
/// of the history before the clock's anchor (`[anchor − days, anchor]`), among the records at or
/// before the anchor. So it is visible from the first request whatever the time of day the clock
/// starts at, and the renderers and the manifest agree on it. Records added later (the detection
/// scenarios') are never malformed: the choice is made before they exist, and it names records by
/// what adding others does not change.
pub struct Malformed;

/// The picks of one site, stored with its data.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SitePicks {
    jira_audit: usize,
    confluence_audit: usize,
    changelog: Option<usize>,
    issue: Option<usize>,
    version: usize,
    request: usize,
}

/// The picks outside the sites, stored with the data.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DataPicks {
    org: usize,
    commit: (usize, usize),
}

/// The index of the time nearest `middle` among those at or before `anchor` (the earlier one on
/// a tie); the nearest of all when none is that early.
fn nearest(times: &[i64], middle: i64, anchor: i64) -> Option<usize> {
    let best = |past_only: bool| {
        times
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, at)| !past_only || *at <= anchor)
            .min_by_key(|(i, at)| ((at - middle).unsigned_abs(), *i))
            .map(|(i, _)| i)
    };
    best(true).or_else(|| best(false))
}

impl Malformed {
    /// Chooses every stream's malformed record of `data`, generated for the history
    /// `[start, anchor]`.
    pub(crate) fn choose(data: &mut Dataset, anchor: i64) {
        let middle = data.start + (anchor - data.start) / 2;
        let pick = |times: Vec<i64>| nearest(&times, middle, anchor);
        data.picks = DataPicks {
            org: pick(data.org.iter().map(|e| e.stamp.at).collect()).unwrap_or(0),
            commit: (
                0,
                data.repos
                    .first()
                    .and_then(|r| pick(r.commits.iter().map(|c| c.stamp.at).collect()))
                    .unwrap_or(0),
            ),
        };
        for site in &mut data.sites {
            let changelog = pick(site.changes.iter().map(|c| c.stamp.at).collect());
            let issue = match changelog {
                Some(_) => None,
                None => pick(site.issues.iter().map(|i| i.stamp.at).collect()),
            };
            site.picks = SitePicks {
                jira_audit: pick(site.jira_audit.iter().map(|e| e.stamp.at).collect()).unwrap_or(0),
                confluence_audit: pick(site.confluence_audit.iter().map(|e| e.stamp.at).collect())
                    .unwrap_or(0),
                changelog,
                issue,
                version: pick(site.versions.iter().map(|v| v.stamp.at).collect()).unwrap_or(0),
                request: pick(site.requests.iter().map(|r| r.created.at).collect()).unwrap_or(0),
            };
        }
    }

    /// Index of the malformed organization event.
    pub fn org(data: &Dataset) -> usize {
        data.picks.org
    }

    /// Serial ([`super::AuditEntry::serial`]) of the malformed Jira audit record: its index when
    /// the data was generated, which records added later do not change.
    pub fn jira_audit(site: &SiteData) -> usize {
        site.picks.jira_audit
    }

    /// Serial of the malformed Confluence audit record.
    pub fn confluence_audit(site: &SiteData) -> usize {
        site.picks.confluence_audit
    }

    /// Index of the changelog entry with the malformed time (Jira activity), or `None` when the
    /// site has no changelog (then an issue's creation is malformed instead).
    pub fn changelog(site: &SiteData) -> Option<usize> {
        site.picks.changelog
    }

    /// Index of the issue whose creation time is malformed, when no changelog exists.
    pub fn issue(site: &SiteData) -> Option<usize> {
        site.picks.issue
    }

    /// Index of the malformed page/blog-post version.
    pub fn version(site: &SiteData) -> usize {
        site.picks.version
    }

    /// Index of the request whose creation time is malformed.
    pub fn request(site: &SiteData) -> usize {
        site.picks.request
    }

    /// (repository, commit index) of the malformed commit.
    pub fn commit(data: &Dataset) -> (usize, usize) {
        data.picks.commit
    }
}

#[cfg(test)]
mod tests {
    use super::nearest;

    #[test]
    fn the_pick_is_the_time_nearest_the_middle_among_those_not_after_the_anchor() {
        let times = [10, 40, 55, 61, 90];
        assert_eq!(nearest(&times, 58, 100), Some(2), "55 is nearest 58");
        assert_eq!(nearest(&times, 58, 57), Some(2), "61 is after the anchor");
        assert_eq!(
            nearest(&[40, 60], 50, 100),
            Some(0),
            "a tie goes to the earlier"
        );
        assert_eq!(
            nearest(&times, 50, 5),
            Some(2),
            "none early enough: nearest of all"
        );
        assert_eq!(nearest(&[], 50, 60), None);
    }
}
