//! `GET /api/incidents/export?id=<id>&format=json|html` gives an incident as evidence, as it stands
//! now; `GET /api/incidents/manifest?id=<id>&revision=<n>&format=…` gives the manifest of that
//! file. The file depends only on the incident's revision, so the manifest is computed again on
//! request and refused (`409`) once the incident has moved past the revision asked for — a
//! closed incident never does.

use crate::state::ServerState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use incidents::evidence::{export, Evidence, EvidenceFormat, Parts};

/// The manifest route.
pub const MANIFEST_PATH: &str = "/api/incidents/manifest";

/// Both routes' parameters.
#[derive(Debug, serde::Deserialize)]
pub struct EvidenceParams {
    #[serde(default)]
    id: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    revision: Option<i64>,
}

/// Why a request gets no file: the status and a message saying what to do.
#[derive(Debug)]
pub struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

fn error(status: StatusCode, message: &str) -> Refusal {
    Refusal(status, message.to_owned())
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// The incident's evidence in `format`, or the response that says why there is none.
async fn evidence(
    state: &ServerState,
    id: &str,
    format: EvidenceFormat,
) -> Result<Evidence, Refusal> {
    let failed = |e: &dyn std::fmt::Display| {
        tracing::error!(incident.id = id, error = %e, "reading an incident for export failed");
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the incident could not be read; the details are in the server log",
        )
    };
    let store = &state.app.store;
    let incident = match store.incidents.get(id).await {
        Ok(Some(i)) => i,
        Ok(None) => return Err(error(StatusCode::NOT_FOUND, "no incident has this id")),
        Err(e) => return Err(failed(&e)),
    };
    let timeline = store
        .incidents
        .timeline(&incident)
        .await
        .map_err(|e| failed(&e))?;
    let alerts = store
        .alerts
        .of_incident(&incident.id)
        .await
        .map_err(|e| failed(&e))?;
    let people = state.app.people.snapshot().await.map_err(|e| failed(&e))?;
    Ok(export(
        Parts {
            incident: &incident,
            timeline: &timeline,
            alerts: &alerts,
            people: Some(&people),
        },
        format,
    ))
}

fn format_of(p: &EvidenceParams) -> Result<EvidenceFormat, Refusal> {
    EvidenceFormat::parse(p.format.trim()).map_err(|m| error(StatusCode::BAD_REQUEST, &m))
}

/// `GET /api/incidents/export`: the file, with a link to its manifest.
pub async fn download(
    State(state): State<ServerState>,
    Query(params): Query<EvidenceParams>,
) -> Result<Response, Refusal> {
    let format = format_of(&params)?;
    let e = evidence(&state, params.id.trim(), format).await?;
    let m = &e.manifest;
    let manifest_url = format!(
        "{MANIFEST_PATH}?id={}&revision={}&format={}",
        domain::url::encode_component(&m.incident_id),
        m.revision,
        format.as_str()
    );
    let disposition = match format {
        EvidenceFormat::Json => format!("attachment; filename=\"{}\"", m.file_name),
        EvidenceFormat::Html => format!("inline; filename=\"{}\"", m.file_name),
    };
    tracing::info!(incident.id = %m.incident_id, revision = m.revision, format = format.as_str(), sha256 = %m.sha256, "incident exported");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (header::CONTENT_DISPOSITION, header_value(&disposition)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::LINK,
                header_value(&format!(
                    "<{manifest_url}>; rel=\"describedby\"; type=\"application/json\""
                )),
            ),
        ],
        e.bytes,
    )
        .into_response())
}

/// `GET /api/incidents/manifest`: the manifest of the file `export` gives for the same
/// parameters, as a JSON attachment.
pub async fn manifest(
    State(state): State<ServerState>,
    Query(params): Query<EvidenceParams>,
) -> Result<Response, Refusal> {
    let format = format_of(&params)?;
    let e = evidence(&state, params.id.trim(), format).await?;
    let m = e.manifest;
    if let Some(asked) = params.revision {
        if asked != m.revision {
            return Err(error(
                StatusCode::CONFLICT,
                &format!(
                    "the incident changed since revision {asked} (it is at revision {}); export it again to get the file and manifest of what it is now",
                    m.revision
                ),
            ));
        }
    }
    let name = format!("{}.manifest.json", m.file_name);
    Ok((
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
        Json(m),
    )
        .into_response())
}
