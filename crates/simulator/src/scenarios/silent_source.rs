//! `silent-source`: a stream goes quiet — its endpoint keeps answering, but nothing new appears
//! in it: it serves what was visible when it was silenced, as if the clock had stopped for that
//! stream alone, until it is switched back on. What a detection of a source that stopped
//! sending must notice, while every request still succeeds.
//!
//! The manifest follows the same frozen clock for the stream, so reconciliation still holds.

use std::collections::BTreeMap;
use std::sync::RwLock;

/// The switch's name in the control API.
pub const NAME: &str = "silent-source";

/// What it does.
pub const ABOUT: &str = "`?stream=<stream>` stops new records on that stream's endpoints (what \
                         was visible stays served); `&off=true` switches it back on";

/// One source stream, as the connectors read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stream {
    /// The organization's `events-stream`.
    OrgAudit,
    /// Jira's audit records.
    JiraAudit,
    /// Jira issues and changelogs.
    JiraActivity,
    /// Confluence's audit records.
    ConfluenceAudit,
    /// Confluence pages, blog posts and their versions.
    ConfluenceActivity,
    /// JSM requests.
    JsmActivity,
    /// Bitbucket commits and pull requests.
    BitbucketActivity,
}

impl Stream {
    /// Every stream.
    pub const ALL: [Stream; 7] = [
        Stream::OrgAudit,
        Stream::JiraAudit,
        Stream::JiraActivity,
        Stream::ConfluenceAudit,
        Stream::ConfluenceActivity,
        Stream::JsmActivity,
        Stream::BitbucketActivity,
    ];

    /// Its name in the control API: `<product>-<pipeline>`.
    pub const fn name(self) -> &'static str {
        match self {
            Stream::OrgAudit => "org-audit",
            Stream::JiraAudit => "jira-audit",
            Stream::JiraActivity => "jira-activity",
            Stream::ConfluenceAudit => "confluence-audit",
            Stream::ConfluenceActivity => "confluence-activity",
            Stream::JsmActivity => "jsm-activity",
            Stream::BitbucketActivity => "bitbucket-activity",
        }
    }

    /// The stream called `name`.
    pub fn parse(name: &str) -> Option<Stream> {
        Stream::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Which streams are silent, and since which simulated instant (epoch ms).
#[derive(Debug, Default)]
pub struct Silence(RwLock<BTreeMap<Stream, i64>>);

impl Silence {
    /// Silences `stream` from `since` on (keeping an earlier instant if it already is), or with
    /// `None` lets it speak again.
    pub fn set(&self, stream: Stream, since: Option<i64>) {
        let mut map = self.0.write().expect("silence lock");
        match since {
            Some(t) => {
                map.entry(stream).or_insert(t);
            }
            None => {
                map.remove(&stream);
            }
        }
    }

    /// Since when `stream` is silent, if it is.
    pub fn since(&self, stream: Stream) -> Option<i64> {
        self.0.read().expect("silence lock").get(&stream).copied()
    }

    /// Every silent stream with its instant.
    pub fn all(&self) -> Vec<(Stream, i64)> {
        let map = self.0.read().expect("silence lock");
        map.iter().map(|(s, t)| (*s, *t)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_stays_silent_from_the_first_instant_until_switched_back_on() {
        let silence = Silence::default();
        silence.set(Stream::ConfluenceAudit, Some(10));
        silence.set(Stream::ConfluenceAudit, Some(20));
        assert_eq!(silence.since(Stream::ConfluenceAudit), Some(10));
        assert_eq!(silence.since(Stream::JiraAudit), None);
        silence.set(Stream::ConfluenceAudit, None);
        assert!(silence.all().is_empty());
        for s in Stream::ALL {
            assert_eq!(Stream::parse(s.name()), Some(s));
        }
    }
}
