//! Listing exports for the Exports page.

use crate::error::ApiError;
use leptos::prelude::*;

/// One row of the Exports table.
pub type ExportRow = domain::export::ExportSummary;

/// The newest exports, newest first.
#[server(endpoint = "exports/list")]
pub async fn list_exports() -> Result<Vec<ExportRow>, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    Ok(export::recent(&state.store, 200).await?)
}
