//! Stream kinds, which read the streams' state rather than events: `absence` (no event from a
//! stream for longer than a duration: a silent source) and `sync_health` (a streak of failed runs,
//! credentials refused with 401/403, or a credential whose expiry date is near). A rule's filter
//! chooses streams by product and pipeline.

use crate::pass::StreamInfo;
use crate::{CompiledRule, Finding, RulesError};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use domain::rule::minutes_in_words;
use domain::{Field, RuleKind, StreamKind};
use std::collections::BTreeMap;
use store::sync_state::SyncState;
use store::Store;

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn chosen(rule: &CompiledRule, s: &StreamInfo) -> bool {
    match s.key.kind {
        StreamKind::Events(product, pipeline) => {
            let f = &rule.filter;
            (f.products.is_empty() || f.products.contains(&product))
                && (f.pipelines.is_empty() || f.pipelines.contains(&pipeline))
        }
        // The directory has no events, so it cannot be silent; it can fail.
        StreamKind::Directory => matches!(rule.rule.spec.kind, RuleKind::SyncHealth { .. }),
    }
}

fn finding(s: &StreamInfo, anchor: DateTime<Utc>, why: String) -> Finding {
    Finding {
        group: BTreeMap::from([(Field::Stream, s.key.to_string())]),
        anchor,
        events: Vec::new(),
        why,
        shown: (anchor - Duration::days(1), anchor),
    }
}

/// Every stream's sync state by stream key, for [`evaluate`].
///
/// # Errors
/// A database error.
pub async fn sync_states(store: &Store) -> Result<BTreeMap<String, SyncState>, RulesError> {
    let all = store.sync_state.all().await?;
    Ok(all.into_iter().map(|s| (s.stream.clone(), s)).collect())
}

/// What a stream rule finds at `now`, given every stream's sync state by key (read once per
/// pass, however many stream rules there are).
///
/// # Errors
/// A database error.
pub async fn evaluate(
    store: &Store,
    rule: &CompiledRule,
    streams: &[StreamInfo],
    states: &BTreeMap<String, SyncState>,
    now: DateTime<Utc>,
) -> Result<Vec<Finding>, RulesError> {
    let mut out = Vec::new();
    for s in streams.iter().filter(|s| chosen(rule, s)) {
        let name = s.key.to_string();
        let state = states.get(&name);
        match rule.rule.spec.kind {
            RuleKind::Absence { silent_minutes } => {
                let StreamKind::Events(product, pipeline) = s.key.kind else {
                    continue;
                };
                // Only a stream that has synced can be said to be silent.
                if state.and_then(|st| st.last_success_at).is_none() {
                    continue;
                }
                let Some(newest) = store
                    .events
                    .newest_of_stream(&s.key.deployment, product, pipeline)
                    .await?
                else {
                    continue;
                };
                let allowed = Duration::minutes(i64::from(silent_minutes));
                if now - newest > allowed {
                    let hours = (now - newest).num_hours();
                    out.push(finding(
                        s,
                        newest + allowed,
                        format!(
                            "no event from {name} for {hours} hours (the newest is from {}; a stream may be quiet for {}): the source may be silent, its audit log switched off, or the sync failing",
                            stamp(newest),
                            minutes_in_words(silent_minutes)
                        ),
                    ));
                }
            }
            RuleKind::SyncHealth {
                failures_in_a_row,
                expiry_warning_days,
            } => {
                if let Some(st) = state {
                    let failed_at = st.last_failure_at.unwrap_or(now);
                    let error = st.last_error.as_deref().unwrap_or("unknown error");
                    if st.credentials_refused && st.last_error.is_some() {
                        out.push(finding(
                            s,
                            failed_at,
                            format!(
                                "Atlassian refused the credentials of {name} at {}: {error}. The token may be revoked or expired; replace it in the deployments file",
                                stamp(failed_at)
                            ),
                        ));
                    } else if st.consecutive_failures >= i64::from(failures_in_a_row) {
                        out.push(finding(
                            s,
                            failed_at,
                            format!(
                                "{} runs of {name} in a row failed (the last at {}): {error}",
                                st.consecutive_failures,
                                stamp(failed_at)
                            ),
                        ));
                    }
                }
                if let Some(expires) = s.credential_expires {
                    let warn = Duration::days(i64::from(expiry_warning_days));
                    if expires - now <= warn {
                        let days = (expires - now).num_days();
                        let when = if expires <= now {
                            format!("expired on {}", stamp(expires))
                        } else {
                            format!("expires on {} (in {days} days)", stamp(expires))
                        };
                        out.push(finding(
                            s,
                            expires - warn,
                            format!("the credential {name} syncs with {when}: create a new one before syncs stop"),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}
