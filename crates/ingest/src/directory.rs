//! The directory stream: refreshes who is who and who works with whom. Organization users give
//! account ids, names and addresses; the site's groups and their members give teams. The records
//! are read by `pipeline::directory`; this module fetches them, resolves the accounts and stores
//! the teams.

use crate::error::SyncError;
use crate::identity::IdentityResolver;
use chrono::{DateTime, Utc};
use connectors::deployments::Deployment;
use domain::Product;
use pipeline::directory::{self, SiteGroup};
use store::rejects::Reject;
use store::sync_state::RunCounters;
use store::teams::GroupSnapshot;
use store::Store;

/// Refreshes identities and teams of `deployment`.
///
/// # Errors
/// The failure, with what was counted up to it.
pub(crate) async fn run(
    store: &Store,
    resolver: &IdentityResolver,
    deployment: &Deployment,
    now: DateTime<Utc>,
) -> Result<RunCounters, (SyncError, RunCounters)> {
    let mut counters = RunCounters::default();
    let stream = format!("{}/directory", deployment.id);
    let mut rejects = Vec::new();
    let fail = |e: SyncError, c: RunCounters| (e, c);

    if let Some(users) = deployment.org_users() {
        let all = users.all().await.map_err(|e| fail(e.into(), counters))?;
        for user in all {
            counters.records += 1;
            let account = match directory::org_user(&user) {
                Ok(account) => account,
                Err(reason) => {
                    rejects.push(Reject::new(stream.clone(), reason.into(), user));
                    continue;
                }
            };
            resolver
                .learn(&account, Product::Org, now)
                .await
                .map_err(|e| fail(e.into(), counters))?;
            counters.inserted += 1;
        }
    }

    if let Some(groups) = deployment.site_groups() {
        let mut snapshots = Vec::new();
        for group in groups
            .groups()
            .await
            .map_err(|e| fail(e.into(), counters))?
        {
            counters.records += 1;
            let SiteGroup { group_id, name } = match directory::site_group(&group) {
                Ok(group) => group,
                Err(reason) => {
                    rejects.push(Reject::new(stream.clone(), reason.into(), group));
                    continue;
                }
            };
            let mut members = Vec::new();
            for member in groups
                .members(&group_id)
                .await
                .map_err(|e| fail(e.into(), counters))?
            {
                let account = directory::group_member(&member);
                match resolver
                    .learn(&account, Product::Jira, now)
                    .await
                    .map_err(|e| fail(e.into(), counters))?
                {
                    Some(person) => members.push(person),
                    None => rejects.push(Reject::new(
                        stream.clone(),
                        format!("member of group {group_id} without accountId"),
                        member,
                    )),
                }
            }
            snapshots.push(GroupSnapshot {
                group_id,
                name,
                members,
            });
        }
        let outcome = store
            .teams
            .replace_deployment(&deployment.id, &snapshots, Utc::now())
            .await
            .map_err(|e| fail(e.into(), counters))?;
        counters.inserted += outcome.memberships;
    }

    counters.rejects = rejects.len() as u64;
    if !rejects.is_empty() {
        tracing::warn!(
            sync.stream = %stream,
            sync.rejects = counters.rejects,
            "directory entries without an id quarantined in rejects"
        );
    }
    store
        .rejects
        .record(&rejects, now)
        .await
        .map_err(|e| fail(e.into(), counters))?;
    Ok(counters)
}
