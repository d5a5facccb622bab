//! Organization groups and the canonical teams they map to, across four collections:
//! `source_groups` (each group as a deployment reports it), `canonical_groups` (the teams),
//! `group_map` (which group is which team) and `group_membership` (person ↔ team). A directory
//! sync replaces one deployment's groups and memberships; the dashboard reads teams and members.
//!
//! Product-access and administrator groups (`jira-software-users`, `site-admins`…) say what people
//! may use, not who they work with, so they never become teams ([`is_team_group`]).

use super::{StoreError, CANONICAL_GROUPS, GROUP_MAP, GROUP_MEMBERSHIP, SOURCE_GROUPS};
use bson::doc;
use chrono::{DateTime, Utc};
use domain::{DeploymentId, PersonId, TeamId};
use futures::TryStreamExt;
use mongodb::{Collection, IndexModel};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One membership.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MembershipDoc {
    /// `<deployment>|<team>|<person>`.
    #[serde(rename = "_id")]
    pub id: String,
    /// The deployment whose groups gave it.
    pub deployment: String,
    /// The person.
    pub person_id: PersonId,
    /// The team.
    pub team_id: TeamId,
    /// The directory sync that last saw it.
    pub synced_at: bson::DateTime,
}

/// A canonical team.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TeamDoc {
    /// `team:<slug>`.
    #[serde(rename = "_id")]
    pub id: TeamId,
    /// Display name (the group's name).
    pub name: String,
}

/// One group of a deployment with its members resolved to persons.
#[derive(Debug, Clone)]
pub struct GroupSnapshot {
    /// The group's id at the source.
    pub group_id: String,
    /// The group's name.
    pub name: String,
    /// Its members.
    pub members: Vec<PersonId>,
}

/// What a directory sync changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TeamSyncOutcome {
    /// Groups seen.
    pub groups: u64,
    /// Of which mapped to teams.
    pub teams: u64,
    /// Person–team memberships now held for the deployment.
    pub memberships: u64,
}

/// Whether a group is a working team rather than a product-access or administrator group.
pub fn is_team_group(name: &str) -> bool {
    let n = name.to_lowercase();
    let product = [
        "jira-",
        "confluence-",
        "bitbucket-",
        "jsm-",
        "atlassian-addons",
    ]
    .iter()
    .any(|p| n.starts_with(p));
    let role = n.ends_with("-users")
        || n.ends_with("-admins")
        || n.ends_with("-administrators")
        || matches!(
            n.as_str(),
            "administrators" | "site-admins" | "org-admins" | "trusted-users"
        );
    !(product || role)
}

/// The team a team group maps to: its name as a slug, without a `team-` prefix.
pub fn team_id_for(name: &str) -> Option<TeamId> {
    let lower = name.trim().to_lowercase();
    let base = lower.strip_prefix("team-").unwrap_or(&lower);
    let slug: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let slug: String = slug.chars().take(64).collect();
    TeamId::parse(&format!("team:{slug}")).ok()
}

/// The team collections.
#[derive(Debug, Clone)]
pub struct TeamStore {
    membership: Collection<MembershipDoc>,
    teams: Collection<TeamDoc>,
    source_groups: Collection<bson::Document>,
    group_map: Collection<bson::Document>,
}

impl TeamStore {
    /// Opens the collections.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            membership: db.collection(GROUP_MEMBERSHIP),
            teams: db.collection(CANONICAL_GROUPS),
            source_groups: db.collection(SOURCE_GROUPS),
            group_map: db.collection(GROUP_MAP),
        }
    }

    /// Indexes for both directions of the membership relation.
    ///
    /// # Errors
    /// When the server refuses an index.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        self.membership
            .create_indexes([
                IndexModel::builder()
                    .keys(doc! { "team_id": 1, "person_id": 1 })
                    .build(),
                IndexModel::builder().keys(doc! { "person_id": 1 }).build(),
                IndexModel::builder()
                    .keys(doc! { "deployment": 1, "synced_at": 1 })
                    .build(),
            ])
            .await?;
        Ok(())
    }

    /// Replaces one deployment's groups, team mapping and memberships with `groups`. An operator's
    /// explicit mapping in `group_map` (`rule: "manual"`) is kept.
    ///
    /// # Errors
    /// A database error.
    pub async fn replace_deployment(
        &self,
        deployment: &DeploymentId,
        groups: &[GroupSnapshot],
        now: DateTime<Utc>,
    ) -> Result<TeamSyncOutcome, StoreError> {
        let at = bson::DateTime::from_chrono(now);
        let mut outcome = TeamSyncOutcome::default();
        for group in groups {
            outcome.groups += 1;
            let key = format!("{deployment}:{}", group.group_id);
            self.source_groups
                .update_one(
                    doc! { "_id": &key },
                    doc! { "$set": {
                        "deployment": deployment.as_str(),
                        "group_id": &group.group_id,
                        "name": &group.name,
                        "member_count": group.members.len() as i64,
                        "synced_at": at,
                    } },
                )
                .upsert(true)
                .await?;
            let team = match self.group_map.find_one(doc! { "_id": &key }).await? {
                Some(m) if m.get_str("rule") == Ok("manual") => m
                    .get_str("team_id")
                    .ok()
                    .and_then(|t| TeamId::parse(t).ok()),
                _ => {
                    let team = is_team_group(&group.name)
                        .then(|| team_id_for(&group.name))
                        .flatten();
                    let team_value = team.as_ref().map(|t| t.as_str().to_owned());
                    self.group_map
                        .update_one(
                            doc! { "_id": &key },
                            doc! { "$set": { "team_id": team_value, "rule": "auto" } },
                        )
                        .upsert(true)
                        .await?;
                    team
                }
            };
            let Some(team) = team else { continue };
            outcome.teams += 1;
            self.teams
                .update_one(
                    doc! { "_id": team.as_str() },
                    doc! { "$setOnInsert": { "name": &group.name } },
                )
                .upsert(true)
                .await?;
            for person in &group.members {
                self.membership
                    .update_one(
                        doc! { "_id": format!("{deployment}|{team}|{person}") },
                        doc! { "$set": {
                            "deployment": deployment.as_str(),
                            "team_id": team.as_str(),
                            "person_id": person.as_str(),
                            "synced_at": at,
                        } },
                    )
                    .upsert(true)
                    .await?;
                outcome.memberships += 1;
            }
        }
        // Whatever this sync did not see has left the deployment's groups.
        self.membership
            .delete_many(doc! { "deployment": deployment.as_str(), "synced_at": { "$lt": at } })
            .await?;
        Ok(outcome)
    }

    /// The people in a team.
    ///
    /// # Errors
    /// A database error.
    pub async fn members(&self, team: &TeamId) -> Result<Vec<PersonId>, StoreError> {
        let docs: Vec<MembershipDoc> = self
            .membership
            .find(doc! { "team_id": team.as_str() })
            .await?
            .try_collect()
            .await?;
        let mut people: Vec<PersonId> = docs.into_iter().map(|m| m.person_id).collect();
        people.sort();
        people.dedup();
        Ok(people)
    }

    /// A person's teams.
    ///
    /// # Errors
    /// A database error.
    pub async fn teams_of(&self, person: &PersonId) -> Result<Vec<TeamId>, StoreError> {
        let docs: Vec<MembershipDoc> = self
            .membership
            .find(doc! { "person_id": person.as_str() })
            .await?
            .try_collect()
            .await?;
        let mut teams: Vec<TeamId> = docs.into_iter().map(|m| m.team_id).collect();
        teams.sort();
        teams.dedup();
        Ok(teams)
    }

    /// Every person's teams: the rollups stamp each person's rows with them.
    ///
    /// # Errors
    /// A database error.
    pub async fn teams_by_person(
        &self,
    ) -> Result<BTreeMap<PersonId, BTreeSet<TeamId>>, StoreError> {
        let mut out: BTreeMap<PersonId, BTreeSet<TeamId>> = BTreeMap::new();
        let mut cursor = self.membership.find(doc! {}).await?;
        while let Some(m) = cursor.try_next().await? {
            out.entry(m.person_id).or_default().insert(m.team_id);
        }
        Ok(out)
    }

    /// Every canonical team.
    ///
    /// # Errors
    /// A database error.
    pub async fn all(&self) -> Result<Vec<TeamDoc>, StoreError> {
        Ok(self
            .teams
            .find(doc! {})
            .sort(doc! { "_id": 1 })
            .await?
            .try_collect()
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_and_admin_groups_are_not_teams() {
        for g in [
            "jira-software-users",
            "confluence-users",
            "site-admins",
            "administrators",
            "org-admins",
            "bitbucket-admins",
        ] {
            assert!(!is_team_group(g), "{g}");
        }
        for g in ["team-platform", "Payments", "team-data-eng"] {
            assert!(is_team_group(g), "{g}");
        }
    }

    #[test]
    fn team_ids_are_slugs_of_the_group_name() {
        assert_eq!(
            team_id_for("team-platform").unwrap().as_str(),
            "team:platform"
        );
        assert_eq!(
            team_id_for("Data Eng (EU)").unwrap().as_str(),
            "team:data-eng-eu"
        );
        assert!(team_id_for("!!!").is_none());
    }
}
