//! What a file's records are: the JSON shapes the connectors read, Atlassian's CSV audit
//! exports, or generic AtlasLens events. Each becomes the [`SourceRecord`]s the pipeline
//! normalises, exactly as a connector would hand them over — an issue with its changelog is its
//! creation and one record per change, a closed pull request is its opening and its close.

use connectors::{RecordKind, SourceRecord};
use serde_json::{json, Value};
use std::fmt;

/// The kinds of records a file can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// Jira audit records (`/rest/api/3/auditing/record`).
    JiraAudit,
    /// Confluence audit records (`/wiki/rest/api/audit`).
    ConfluenceAudit,
    /// Organization audit events (`/admin/v1/orgs/{id}/events`).
    OrgEvents,
    /// Jira issues, with their changelog when expanded (`changelog.histories`).
    JiraIssues,
    /// Bitbucket commits (with their `repository`).
    BitbucketCommits,
    /// Bitbucket pull requests (with `destination.repository`).
    BitbucketPullRequests,
    /// JSM customer requests.
    JsmRequests,
    /// Generic AtlasLens events.
    Generic,
}

impl SourceKind {
    /// Every kind, in the order `--source auto` tries them.
    pub const ALL: [Self; 8] = [
        Self::Generic,
        Self::OrgEvents,
        Self::JiraAudit,
        Self::ConfluenceAudit,
        Self::JsmRequests,
        Self::JiraIssues,
        Self::BitbucketPullRequests,
        Self::BitbucketCommits,
    ];

    /// The name `--source` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::JiraAudit => "jira-audit",
            Self::ConfluenceAudit => "confluence-audit",
            Self::OrgEvents => "org-events",
            Self::JiraIssues => "jira-issues",
            Self::BitbucketCommits => "bitbucket-commits",
            Self::BitbucketPullRequests => "bitbucket-pull-requests",
            Self::JsmRequests => "jsm-requests",
            Self::Generic => "generic",
        }
    }

    /// Parses a `--source` name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// Whether a record has this kind's shape (the fields that tell it apart).
    fn fits(self, r: &Value) -> bool {
        let has = |k: &str| !r[k].is_null();
        match self {
            Self::Generic => has("occurred_at") && has("operation"),
            Self::OrgEvents => !r["attributes"]["action"].is_null() && has("id"),
            Self::JiraAudit => has("summary") && has("created") && !has("fields"),
            Self::ConfluenceAudit => has("summary") && has("creationDate"),
            Self::JsmRequests => has("issueId") && (has("requestTypeId") || has("createdDate")),
            Self::JiraIssues => has("key") && r["fields"].is_object(),
            Self::BitbucketPullRequests => has("id") && has("destination") && has("state"),
            Self::BitbucketCommits => has("hash") && has("date"),
        }
    }

    /// The kind of `record`, if its shape shows one.
    pub fn detect(record: &Value) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.fits(record))
    }

    /// The records for the pipeline in one source record; `bound_source` names the source of
    /// generic events (from `--source-name` or the token).
    pub fn records(self, raw: Value, bound_source: Option<&str>) -> Vec<SourceRecord> {
        let one = |kind, raw, context| vec![SourceRecord { kind, raw, context }];
        match self {
            Self::JiraAudit => one(RecordKind::JiraAudit, raw, Value::Null),
            Self::ConfluenceAudit => one(RecordKind::ConfluenceAudit, raw, Value::Null),
            Self::OrgEvents => one(RecordKind::OrgEvent, raw, Value::Null),
            Self::Generic => one(
                RecordKind::GenericEvent,
                raw,
                bound_source.map_or(Value::Null, |s| json!({ "source": s })),
            ),
            Self::JiraIssues => issue_records(raw),
            Self::BitbucketCommits => {
                let context = repository_context(&raw["repository"]);
                one(RecordKind::BitbucketCommit, raw, context)
            }
            Self::BitbucketPullRequests => {
                let context = repository_context(&raw["destination"]["repository"]);
                let closed = matches!(raw["state"].as_str(), Some("MERGED" | "DECLINED"));
                let mut out = vec![SourceRecord {
                    kind: RecordKind::BitbucketPrOpened,
                    raw: raw.clone(),
                    context: context.clone(),
                }];
                if closed {
                    out.push(SourceRecord {
                        kind: RecordKind::BitbucketPrClosed,
                        raw,
                        context,
                    });
                }
                out
            }
            Self::JsmRequests => {
                let done = raw["currentStatus"]["statusCategory"].as_str() == Some("DONE");
                let mut out = vec![SourceRecord {
                    kind: RecordKind::JsmRequestCreated,
                    raw: raw.clone(),
                    context: Value::Null,
                }];
                if done {
                    out.push(SourceRecord {
                        kind: RecordKind::JsmRequestResolved,
                        raw,
                        context: Value::Null,
                    });
                }
                out
            }
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The repository a Bitbucket record names, as the connector passes it.
fn repository_context(repo: &Value) -> Value {
    connectors::bitbucket::repo_context(repo)
}

/// An issue's creation and one record per changelog entry, with the issue as their context
/// (the shape the Jira connector gives them).
fn issue_records(mut issue: Value) -> Vec<SourceRecord> {
    let histories = match issue["changelog"]["histories"].take() {
        Value::Array(h) => h,
        _ => Vec::new(),
    };
    let context = json!({
        "issueId": issue["id"],
        "issueKey": issue["key"],
        "summary": issue["fields"]["summary"],
        "project": issue["fields"]["project"]["key"],
    });
    let mut out = Vec::with_capacity(histories.len() + 1);
    out.push(SourceRecord {
        kind: RecordKind::JiraIssueCreated,
        raw: issue,
        context: Value::Null,
    });
    out.extend(histories.into_iter().map(|raw| SourceRecord {
        kind: RecordKind::JiraChangelog,
        raw,
        context: context.clone(),
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_shape_is_recognised() {
        let cases = [
            (
                json!({"id": "e1", "attributes": {"action": "user_added_to_group", "time": "2026-01-01T00:00:00Z"}}),
                SourceKind::OrgEvents,
            ),
            (
                json!({"id": 1, "summary": "User created", "created": "2026-01-01T00:00:00.000+0000"}),
                SourceKind::JiraAudit,
            ),
            (
                json!({"summary": "Space created", "creationDate": 1_767_225_600_000_i64}),
                SourceKind::ConfluenceAudit,
            ),
            (
                json!({"id": "1", "key": "ENG-1", "fields": {"summary": "x"}}),
                SourceKind::JiraIssues,
            ),
            (
                json!({"hash": "ab", "date": "2026-01-01T00:00:00+00:00"}),
                SourceKind::BitbucketCommits,
            ),
            (
                json!({"id": 4, "state": "MERGED", "destination": {}}),
                SourceKind::BitbucketPullRequests,
            ),
            (
                json!({"issueId": "1", "requestTypeId": "2"}),
                SourceKind::JsmRequests,
            ),
            (
                json!({"id": "x", "occurred_at": 1, "operation": "login"}),
                SourceKind::Generic,
            ),
        ];
        for (record, kind) in cases {
            assert_eq!(SourceKind::detect(&record), Some(kind), "{record}");
            assert_eq!(SourceKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(SourceKind::detect(&json!({"hello": 1})), None);
    }

    #[test]
    fn an_issue_with_its_changelog_is_its_creation_and_each_change() {
        let issue = json!({"id": "7", "key": "ENG-7", "fields": {"summary": "s", "project": {"key": "ENG"}},
            "changelog": {"histories": [{"id": "1"}, {"id": "2"}]}});
        let records = SourceKind::JiraIssues.records(issue, None);
        let kinds: Vec<_> = records.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [
                RecordKind::JiraIssueCreated,
                RecordKind::JiraChangelog,
                RecordKind::JiraChangelog
            ]
        );
        assert_eq!(records[1].context["issueKey"], "ENG-7");
    }
}
