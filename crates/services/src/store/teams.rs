//! The `group_membership` collection: which canonical person belongs to which canonical team. The
//! ingestion pipeline fills it from organization groups; the dashboard reads it to resolve a team
//! filter to people.

use super::{StoreError, GROUP_MEMBERSHIP};
use bson::doc;
use domain::{PersonId, TeamId};
use futures::TryStreamExt;
use mongodb::{Collection, IndexModel};
use serde::{Deserialize, Serialize};

/// One membership.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MembershipDoc {
    /// The person.
    pub person_id: PersonId,
    /// The team.
    pub team_id: TeamId,
}

/// The `group_membership` collection.
#[derive(Debug, Clone)]
pub struct TeamStore {
    coll: Collection<MembershipDoc>,
}

impl TeamStore {
    /// Opens the collection.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            coll: db.collection(GROUP_MEMBERSHIP),
        }
    }

    /// Indexes for both directions of the relation.
    ///
    /// # Errors
    /// When the server refuses an index.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        self.coll
            .create_indexes([
                IndexModel::builder()
                    .keys(doc! { "team_id": 1, "person_id": 1 })
                    .build(),
                IndexModel::builder().keys(doc! { "person_id": 1 }).build(),
            ])
            .await?;
        Ok(())
    }

    /// The people in a team.
    ///
    /// # Errors
    /// A database error.
    pub async fn members(&self, team: &TeamId) -> Result<Vec<PersonId>, StoreError> {
        let docs: Vec<MembershipDoc> = self
            .coll
            .find(doc! { "team_id": team.as_str() })
            .await?
            .try_collect()
            .await?;
        Ok(docs.into_iter().map(|m| m.person_id).collect())
    }
}
