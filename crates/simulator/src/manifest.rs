//! Ground truth: for a time window, which records are visible right now, per source stream, by
//! the source id the pipeline gives them (docs/simulator.md §5) — and which are malformed. The
//! reconciliation tests compare what the connectors fetched against this.

use crate::catalog::REPOS;
use crate::dataset::Malformed;
use crate::dataset::{AUDIT_ID_BASE, CHANGELOG_ID_BASE, CONTENT_ID_BASE, ISSUE_ID_BASE};
use crate::format::{utc, GARBLED_TIME};
use crate::scenarios::silent_source::Stream as Source;
use crate::server::{admin, bitbucket, confluence, jsm, Shared};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The records of a window, as `GET /_sim/manifest` returns them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Inclusive start of the window.
    pub from: DateTime<Utc>,
    /// Exclusive end of the window.
    pub to: DateTime<Utc>,
    /// The simulated time the manifest was taken at (visibility depends on it).
    pub sim_now: DateTime<Utc>,
    /// Well-formed records per source stream.
    pub sources: Vec<ManifestSource>,
    /// Malformed records, which normalisation must reject.
    pub malformed: Vec<MalformedRecord>,
}

/// The well-formed visible records of one (source, product, pipeline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestSource {
    /// `org:<org id>`, `site:<name>` or `bitbucket:<workspace>`.
    pub source: String,
    /// `org`, `jira`, `confluence`, `bitbucket` or `jsm`.
    pub product: String,
    /// `audit` or `activity`.
    pub pipeline: String,
    /// How many.
    pub count: u64,
    /// Their source ids, sorted (only when asked for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<String>>,
}

/// A malformed record served in the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MalformedRecord {
    /// As in [`ManifestSource::source`].
    pub source: String,
    /// As in [`ManifestSource::product`].
    pub product: String,
    /// As in [`ManifestSource::pipeline`].
    pub pipeline: String,
    /// The source id computed from the record as served (for Confluence audit records the
    /// hash covers the garbled `creationDate`).
    #[serde(rename = "ref")]
    pub reference: String,
    /// What is wrong with it.
    pub problem: String,
}

/// Collects one stream's ids and malformed records.
struct Stream<'a> {
    source: String,
    product: &'a str,
    pipeline: &'a str,
    ids: Vec<String>,
    bad: Vec<(String, String)>,
}

impl<'a> Stream<'a> {
    fn new(source: String, product: &'a str, pipeline: &'a str) -> Self {
        Self {
            source,
            product,
            pipeline,
            ids: Vec::new(),
            bad: Vec::new(),
        }
    }

    fn add(&mut self, id: String, malformed: Option<&str>) {
        match malformed {
            Some(problem) => self.bad.push((id, problem.to_owned())),
            None => self.ids.push(id),
        }
    }

    fn finish(mut self, m: &mut Manifest, with_ids: bool) {
        self.ids.sort_unstable();
        m.sources.push(ManifestSource {
            source: self.source.clone(),
            product: self.product.to_owned(),
            pipeline: self.pipeline.to_owned(),
            count: self.ids.len() as u64,
            ids: with_ids.then_some(self.ids),
        });
        for (reference, problem) in self.bad {
            m.malformed.push(MalformedRecord {
                source: self.source.clone(),
                product: self.product.to_owned(),
                pipeline: self.pipeline.to_owned(),
                reference,
                problem,
            });
        }
    }
}

/// The manifest of `[from, to)` as the simulator stands now. A silenced stream is counted as it
/// is served: as it stood when it was silenced.
pub fn compute(state: &Shared, from: DateTime<Utc>, to: DateTime<Utc>, with_ids: bool) -> Manifest {
    let view = state.view();
    let (lo, hi) = (from.timestamp_millis(), to.timestamp_millis());
    let inside = |at: i64| lo <= at && at < hi;
    let snapshot = state.data();
    let data = &*snapshot;
    let cfg = &state.config;
    let seed = cfg.seed;
    let mut m = Manifest {
        from,
        to,
        sim_now: utc(view.now),
        sources: Vec::new(),
        malformed: Vec::new(),
    };
    let flag = |on: bool, problem: &'static str| (view.malformed && on).then_some(problem);

    let mut org = Stream::new(format!("org:{}", cfg.org_id), "org", "audit");
    let view = state.view_of(Source::OrgAudit);
    for (i, e) in data.org.iter().enumerate() {
        if inside(e.stamp.at) && view.visible(e.stamp) {
            org.add(
                admin::event_id(seed, i),
                flag(i == Malformed::org(data), "attributes.time is not a time"),
            );
        }
    }
    org.finish(&mut m, with_ids);

    for (s, site_cfg) in cfg.sites.iter().enumerate() {
        let site = &data.sites[s];
        let source = format!("site:{}", site_cfg.name);

        let mut audit = Stream::new(source.clone(), "jira", "audit");
        let view = state.view_of(Source::JiraAudit);
        for e in &site.jira_audit {
            if inside(e.stamp.at) && view.visible(e.stamp) {
                let bad = flag(
                    e.serial as usize == Malformed::jira_audit(site),
                    "created is not a time",
                );
                audit.add(
                    format!("audit-{}", AUDIT_ID_BASE + u64::from(e.serial)),
                    bad,
                );
            }
        }
        audit.finish(&mut m, with_ids);

        let mut activity = Stream::new(source.clone(), "jira", "activity");
        let view = state.view_of(Source::JiraActivity);
        for (i, issue) in site.issues.iter().enumerate() {
            if !view.visible(issue.stamp) {
                continue;
            }
            if inside(issue.stamp.at) {
                let bad = flag(
                    Malformed::issue(site) == Some(i),
                    "fields.created is not a time",
                );
                activity.add(format!("issue-{}-created", ISSUE_ID_BASE + i as u64), bad);
            }
            for c in issue.start as usize..issue.end as usize {
                let ch = &site.changes[c];
                if inside(ch.stamp.at) && view.visible(ch.stamp) {
                    let bad = flag(
                        Malformed::changelog(site) == Some(c),
                        "created is not a time",
                    );
                    activity.add(format!("changelog-{}", CHANGELOG_ID_BASE + c as u64), bad);
                }
            }
        }
        activity.finish(&mut m, with_ids);

        let mut caudit = Stream::new(source.clone(), "confluence", "audit");
        let view = state.view_of(Source::ConfluenceAudit);
        for (i, e) in site.confluence_audit.iter().enumerate() {
            if inside(e.stamp.at) && view.visible(e.stamp) {
                let bad = flag(
                    e.serial as usize == Malformed::confluence_audit(site),
                    "creationDate is not a time",
                );
                let p = confluence::audit_parts(&data.directory, site, i);
                let creation = if bad.is_some() {
                    GARBLED_TIME.to_owned()
                } else {
                    e.stamp.at.to_string()
                };
                let id = confluence::audit_source_id(
                    &creation,
                    &p.account,
                    p.summary,
                    p.object_type,
                    &p.name,
                    &p.ip,
                );
                caudit.add(id, bad);
            }
        }
        caudit.finish(&mut m, with_ids);

        let mut content = Stream::new(source.clone(), "confluence", "activity");
        let view = state.view_of(Source::ConfluenceActivity);
        for (i, c) in site.contents.iter().enumerate() {
            if !view.visible(site.versions[c.start as usize].stamp) {
                continue;
            }
            let kind = if c.blog { "blogpost" } else { "page" };
            for v in c.start as usize..c.end as usize {
                let stamp = site.versions[v].stamp;
                if inside(stamp.at) && view.visible(stamp) {
                    let number = v - c.start as usize + 1;
                    let bad = flag(v == Malformed::version(site), "createdAt is not a time");
                    content.add(
                        format!("{kind}-{}-v{number}", CONTENT_ID_BASE + i as u64),
                        bad,
                    );
                }
            }
        }
        content.finish(&mut m, with_ids);

        let mut requests = Stream::new(source, "jsm", "activity");
        let view = state.view_of(Source::JsmActivity);
        for (i, r) in site.requests.iter().enumerate() {
            if !view.visible(r.created) {
                continue;
            }
            let id = site.request_id(i);
            if inside(r.created.at) {
                let bad = flag(i == Malformed::request(site), "createdDate is not a time");
                requests.add(format!("request-{id}-created"), bad);
            }
            if jsm::resolution(&view, r).is_some_and(inside) {
                requests.add(format!("request-{id}-resolved"), None);
            }
        }
        requests.finish(&mut m, with_ids);
    }

    let mut bb = Stream::new(
        format!("bitbucket:{}", cfg.bitbucket.workspace),
        "bitbucket",
        "activity",
    );
    let view = state.view_of(Source::BitbucketActivity);
    for (r, repo) in data.repos.iter().enumerate() {
        let slug = REPOS[r].0;
        for (c, commit) in repo.commits.iter().enumerate() {
            if inside(commit.stamp.at) && view.visible(commit.stamp) {
                let bad = flag((r, c) == Malformed::commit(data), "date is not a time");
                bb.add(
                    format!("commit-{slug}-{}", bitbucket::commit_hash(seed, r, c)),
                    bad,
                );
            }
        }
        for (i, pr) in repo.prs.iter().enumerate() {
            if !view.visible(pr.opened) {
                continue;
            }
            if inside(pr.opened.at) {
                bb.add(format!("pr-{slug}-{}-opened", i + 1), None);
            }
            match bitbucket::pr_state(&view, pr) {
                ("MERGED", at) if inside(at) => bb.add(format!("pr-{slug}-{}-merged", i + 1), None),
                ("DECLINED", at) if inside(at) => {
                    bb.add(format!("pr-{slug}-{}-declined", i + 1), None)
                }
                _ => {}
            }
        }
    }
    bb.finish(&mut m, with_ids);
    m
}
