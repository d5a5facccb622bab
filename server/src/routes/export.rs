//! `GET /api/export?<Events query>&format=csv|ndjson` streams the whole filtered result as a file;
//! `GET /api/export/manifest?id=<id>` returns the manifest of a completed export. `atlaslens
//! export` runs the same [`plan`] and [`begin`] from the command line.
//!
//! The export takes exactly the Events page's query string (a link built from the current Events
//! URL exports what the page shows; `limit` and `before` are ignored, there is no row cap), with
//! the page's validation and messages. Its range is then fixed to absolute times, so the file name,
//! the manifest and a re-run of the manifest's query all describe the same span:
//!
//! - the export's start time is taken, truncated to the second (`now`);
//! - a relative `range` becomes `from = now − range` (as "Share this view" does);
//! - a missing `to`, or one after `now`, becomes `now`: events stored later, or dated later, are not
//!   in this file;
//! - a missing `from` becomes the time of the earliest matching event, truncated to the second
//!   (nothing matches: `1970-01-01T00:00:00Z`), so the file name shows the span it really covers.

use crate::startup::ServerState;
use app::filters::EventQuery;
use axum::body::Body;
use axum::extract::{Query, RawQuery, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, SecondsFormat, Timelike, Utc};
use domain::EventFilter;
use export::{self, Export, ExportError, ExportFormat, ExportRequest, ManifestLookup};
use query::people::PeopleDirectory;
use services::auth::{SessionUser, SESSION_USER_KEY};
use store::exports::ExportId;
use store::{Store, StoreError};
use tower_sessions::Session;

/// The manifest route.
pub const MANIFEST_PATH: &str = "/api/export/manifest";
/// The response header carrying the export's id.
pub const EXPORT_ID_HEADER: &str = "x-export-id";

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

/// The `(name, value)` pairs of a query string (`+` and percent escapes decoded).
///
/// # Errors
/// A query string that cannot be decoded.
pub fn parse_pairs(raw: &str) -> Result<Vec<(String, String)>, BeginError> {
    let uri: Uri = format!("/?{raw}")
        .parse()
        .map_err(|_| BeginError::BadQuery("the query string is not valid".into()))?;
    Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map(|q| q.0)
        .map_err(|_| BeginError::BadQuery("the query string is not valid".into()))
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
            .map_err(|e: export::UnknownFormat| BeginError::BadQuery(e.to_string())),
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
        let earliest = export::earliest_match(store, &open).await?;
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
pub async fn begin(
    store: &Store,
    people: &PeopleDirectory,
    pairs: &[(String, String)],
    format: ExportFormat,
    user: &str,
) -> Result<Export, BeginError> {
    let now = Utc::now();
    let plan = plan(store, pairs, now).await?;
    let export = export::start(
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

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// `GET /api/export`: the file, streamed.
pub async fn download(
    State(state): State<ServerState>,
    session: Session,
    RawQuery(raw): RawQuery,
) -> Response {
    let user = match session.get::<SessionUser>(SESSION_USER_KEY).await {
        Ok(Some(user)) => user,
        Ok(None) => return error(StatusCode::UNAUTHORIZED, "sign in first"),
        Err(e) => {
            tracing::error!(error = %e, "loading the session failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let started = async {
        let pairs = parse_pairs(raw.as_deref().unwrap_or(""))?;
        let format = format_of(&pairs)?;
        begin(
            &state.app.store,
            &state.app.people,
            &pairs,
            format,
            &user.username,
        )
        .await
    }
    .await;
    let export = match started {
        Ok(export) => export,
        Err(BeginError::BadQuery(message)) => return error(StatusCode::BAD_REQUEST, &message),
        Err(e) => {
            tracing::error!(error = %e, "starting an export failed");
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the export could not start; the details are in the server log",
            );
        }
    };
    let manifest_url = format!("{MANIFEST_PATH}?id={}", export.id);
    let headers = [
        (
            header::CONTENT_TYPE,
            header_value(export.format.content_type()),
        ),
        (
            header::CONTENT_DISPOSITION,
            header_value(&format!("attachment; filename=\"{}\"", export.file_name)),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (
            HeaderName::from_static(EXPORT_ID_HEADER),
            header_value(&export.id.to_string()),
        ),
        (
            header::LINK,
            header_value(&format!(
                "<{manifest_url}>; rel=\"describedby\"; type=\"application/json\""
            )),
        ),
    ];
    (headers, Body::from_stream(export.stream)).into_response()
}

/// The manifest route's parameters.
#[derive(Debug, serde::Deserialize)]
pub struct ManifestParams {
    #[serde(default)]
    id: String,
}

/// `GET /api/export/manifest?id=<id>`: the manifest of a completed export, as a JSON attachment.
pub async fn manifest(
    State(state): State<ServerState>,
    Query(params): Query<ManifestParams>,
) -> Response {
    let id = match ExportId::parse(&params.id) {
        Ok(id) => id,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    match export::manifest(&state.app.store, id).await {
        Ok(ManifestLookup::Complete(m)) => {
            let name = export::manifest_file_name(&m.file_name);
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        header_value(&format!("attachment; filename=\"{name}\"")),
                    ),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
                export::manifest_json(&m),
            )
                .into_response()
        }
        Ok(ManifestLookup::NotComplete(status)) => error(
            StatusCode::CONFLICT,
            &format!(
                "export {id} is {}: only a complete export has a manifest",
                status.as_str()
            ),
        ),
        Ok(ManifestLookup::NotFound) => error(StatusCode::NOT_FOUND, "no export has this id"),
        Err(e) => {
            tracing::error!(export.id = %id, error = %e, "reading an export manifest failed");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the manifest could not be read; the details are in the server log",
            )
        }
    }
}
