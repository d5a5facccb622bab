//! `GET /api/export?<Events query>&format=csv|ndjson` streams the whole filtered result as a file;
//! `GET /api/export/manifest?id=<id>` returns the manifest of a completed export. The export takes
//! exactly the Events page's query string, so a link built from the current Events URL exports what
//! the page shows; `export::plan` fixes its range and starts it (`atlaslens export` too).

use crate::state::ServerState;
use axum::body::Body;
use axum::extract::{Query, RawQuery, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use export::plan::{begin, format_of, BeginError};
use export::{self, ManifestLookup};
use services::auth::{SessionUser, SESSION_USER_KEY};
use store::exports::ExportId;
use tower_sessions::Session;

/// The manifest route.
pub const MANIFEST_PATH: &str = "/api/export/manifest";
/// The response header carrying the export's id.
pub const EXPORT_ID_HEADER: &str = "x-export-id";

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
