//! Planning an export: the Events query string an export was asked with, fixed to an absolute
//! range, so the file name, the manifest and a re-run of the manifest's query all describe the
//! same span. The route (`GET /api/export`) and `atlaslens export` both start exports here.
//!
//! The export takes exactly the Events page's query (`limit` and `before` are ignored, there is no
//! row cap), with the page's validation and messages. Then:
//!
//! - the export's start time is taken, truncated to the second (`now`);
//! - a relative `range` becomes `from = now − range` (as "Share this view" does);
//! - a missing `to`, or one after `now`, becomes `now`: events stored later, or dated later, are not
//!   in this file;
//! - a missing `from` becomes the time of the earliest matching event, truncated to the second
//!   (nothing matches: `1970-01-01T00:00:00Z`), so the file name shows the span it really covers.

use crate::{
    earliest_match, start, Export, ExportError, ExportFormat, ExportRequest, UnknownFormat,
};
use chrono::{DateTime, SecondsFormat, Timelike, Utc};
use domain::query::EventQuery;
use domain::EventFilter;
use query::people::PeopleDirectory;
use store::{Store, StoreError};

/// An export's query, fixed to an absolute range.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The Events query with absolute `from` and `to` and no `range`.
    pub query: EventQuery,
    /// Its filter.
    pub filter: EventFilter,
}

/// Why an export could not start.
#[derive(Debug, thiserror::Error)]
pub enum BeginError {
    /// The query or format is invalid; the message says how (the Events page's wording).
    #[error("{0}")]
    BadQuery(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The export could not start.
    #[error(transparent)]
    Export(#[from] ExportError),
}

/// The value of `name`; when repeated, the last one counts (as on the Events page).
fn last<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The `format` parameter (default `csv`).
///
/// # Errors
/// Anything but `csv` or `ndjson`.
pub fn format_of(pairs: &[(String, String)]) -> Result<ExportFormat, BeginError> {
    match last(pairs, "format")
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        None => Ok(ExportFormat::Csv),
        Some(f) => f
            .parse()
            .map_err(|e: UnknownFormat| BeginError::BadQuery(e.to_string())),
    }
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Fixes the range of the Events query in `pairs` at `now` (see the module documentation).
///
/// # Errors
/// [`BeginError::BadQuery`] with the Events page's message; a database error.
pub async fn plan(
    store: &Store,
    pairs: &[(String, String)],
    now: DateTime<Utc>,
) -> Result<Plan, BeginError> {
    let now = now.with_nanosecond(0).unwrap_or(now);
    let asked = EventQuery::from_lookup(|k| last(pairs, k).map(str::to_owned));
    let seen = asked.to_filter(now).map_err(BeginError::BadQuery)?;
    let to = seen.to.map_or(now, |t| t.min(now));
    if let Some(from) = seen.from.filter(|from| *from >= to) {
        return Err(BeginError::BadQuery(format!(
            "`from` ({}) is not before the end of the export ({}): an export covers events up to the moment it starts",
            stamp(from),
            stamp(to)
        )));
    }
    let mut query = EventQuery {
        range: String::new(),
        from: seen.from.map(stamp).unwrap_or_default(),
        to: stamp(to),
        ..asked
    };
    if query.from.is_empty() {
        let open = EventFilter {
            to: Some(to),
            ..seen
        };
        let earliest = earliest_match(store, &open).await?;
        let from = earliest
            .map(|t| t.with_nanosecond(0).unwrap_or(t))
            .unwrap_or(DateTime::UNIX_EPOCH);
        query.from = stamp(from);
    }
    // The filter is read back from the frozen query, so the manifest's query string reproduces it.
    let filter = query.to_filter(now).map_err(BeginError::BadQuery)?;
    Ok(Plan { query, filter })
}

/// Plans and starts an export of the Events query in `pairs` for `user`.
///
/// # Errors
/// A bad query or format, or a database failure.
#[tracing::instrument(skip_all, fields(export.format = %format), err)]
pub async fn begin(
    store: &Store,
    people: &PeopleDirectory,
    pairs: &[(String, String)],
    format: ExportFormat,
    user: &str,
) -> Result<Export, BeginError> {
    let now = Utc::now();
    let plan = plan(store, pairs, now).await?;
    let export = start(
        store,
        people,
        ExportRequest {
            format,
            query: plan.query.to_query(&[]),
            filter: plan.filter,
            generated_by: user.to_owned(),
            generated_at: now,
        },
    )
    .await?;
    // Free text may name someone; the log keeps only that there was some.
    let logged = EventQuery {
        q: if plan.query.q.is_empty() {
            String::new()
        } else {
            "redacted".into()
        },
        ..plan.query
    };
    tracing::info!(
        export.id = %export.id,
        export.format = %format,
        export.query = %logged.to_query(&[]),
        export.by = %user,
        "export started"
    );
    Ok(export)
}
