//! The Overview's headline numbers, read from the daily rollups (never by scanning events).

use crate::error::ApiError;
use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The ranges the Overview offers, in whole UTC days ending today.
pub const DAY_RANGES: [u32; 4] = [1, 7, 30, 90];

/// Headline numbers of one range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kpis {
    /// Events.
    pub events: i64,
    /// Security events.
    pub security: i64,
    /// High-severity events.
    pub high: i64,
    /// Distinct people who acted.
    pub people: i64,
}

/// The range shown and the one before it, for comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewData {
    /// First day shown (UTC).
    pub first: NaiveDate,
    /// Last day shown (UTC, inclusive).
    pub last: NaiveDate,
    /// This range.
    pub current: Kpis,
    /// The same number of days just before it.
    pub previous: Kpis,
}

/// KPIs for the last `days` UTC days (today included) against the `days` before.
#[server(endpoint = "overview/kpis")]
pub async fn overview_kpis(days: u32) -> Result<OverviewData, ApiError> {
    use chrono::Duration;
    crate::ssr::require_user().await?;
    if !DAY_RANGES.contains(&days) {
        return Err(crate::ssr::bad_request("days must be 1, 7, 30 or 90"));
    }
    let state = crate::ssr::state()?;
    let end = chrono::Utc::now().date_naive() + Duration::days(1);
    let first = end - Duration::days(i64::from(days));
    let before = first - Duration::days(i64::from(days));
    let read = |from, to| {
        let rollups = state.store.rollups.clone();
        async move {
            rollups
                .totals(from, to)
                .await
                .map(|t| Kpis {
                    events: t.events,
                    security: t.security,
                    high: t.high,
                    people: t.people,
                })
                .map_err(|e| ApiError::internal("reading rollups failed", &e))
        }
    };
    Ok(OverviewData {
        first,
        last: end - Duration::days(1),
        current: read(first, end).await?,
        previous: read(before, first).await?,
    })
}
