//! Many single-document updates of one collection sent as one `update` command (the command every
//! MongoDB server has taken since 2.6, and SecantusDB too): a rule's memory changes for hundreds of
//! groups in one pass, and a round trip for each would cost more than the pass itself.

use crate::StoreError;
use bson::{doc, Document};
use mongodb::Database;

/// Statements per command: far below the server's limits (100,000 statements, 16 MiB).
const STATEMENTS: usize = 500;

/// One update of one document.
pub(crate) struct Update {
    /// Which document.
    pub filter: Document,
    /// The update operators.
    pub change: Document,
    /// Insert it when absent.
    pub upsert: bool,
}

/// Applies `updates` to `collection`, unordered, a few hundred per round trip.
///
/// # Errors
/// A database error, or [`StoreError::Refused`] with the server's reason for the first statement
/// it refused (the others were applied; every caller's updates are idempotent).
pub(crate) async fn update_each(
    db: &Database,
    collection: &'static str,
    updates: &[Update],
) -> Result<(), StoreError> {
    for chunk in updates.chunks(STATEMENTS) {
        let statements: Vec<Document> = chunk
            .iter()
            .map(|u| {
                doc! {
                    "q": u.filter.clone(),
                    "u": u.change.clone(),
                    "upsert": u.upsert,
                    "multi": false,
                }
            })
            .collect();
        let reply = db
            .run_command(doc! {
                "update": collection,
                "updates": statements,
                "ordered": false,
            })
            .await?;
        if let Some(first) = reply
            .get_array("writeErrors")
            .ok()
            .and_then(|errors| errors.first())
        {
            let reason = first
                .as_document()
                .and_then(|e| e.get_str("errmsg").ok())
                .unwrap_or("no reason given")
                .to_owned();
            return Err(StoreError::Refused { collection, reason });
        }
    }
    Ok(())
}
