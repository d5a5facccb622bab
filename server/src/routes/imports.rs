//! `POST /api/imports`: the Import page's upload form (multipart: `file`, `deployment`, `source`,
//! `format`). The file is streamed to disk — never held in memory — up to the import size limit,
//! then imported in the background; the answer redirects to the Import page, which follows the
//! import's progress and shows its report. A plain form post, so it works without JavaScript.

use crate::state::ServerState;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::url::encode_component;
use domain::DeploymentId;
use imports::{Format, ImportRequest, SourceKind};
use services::auth::{SessionUser, SESSION_USER_KEY};
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;
use tower_sessions::Session;

/// Back to the Import page with an error to show.
fn back_with(error: &str) -> Response {
    Redirect::to(&format!("/imports?error={}", encode_component(error))).into_response()
}

/// The file name without directories or characters a path could misuse.
fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
        .take(120)
        .collect();
    if cleaned.trim().is_empty() {
        "upload".to_owned()
    } else {
        cleaned.trim().to_owned()
    }
}

/// The fields of the form, the file already on disk.
struct Upload {
    path: PathBuf,
    file_name: String,
    deployment: Option<String>,
    source: Option<String>,
    format: Option<String>,
}

/// Reads the form, streaming the file part to `path`.
async fn receive(
    multipart: &mut Multipart,
    path: PathBuf,
    max_bytes: u64,
) -> Result<Upload, String> {
    let mut upload = Upload {
        path,
        file_name: String::new(),
        deployment: None,
        source: None,
        format: None,
    };
    let bad = |e: axum::extract::multipart::MultipartError| {
        format!("the upload was cut off or malformed ({e}); try again")
    };
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "file" => {
                upload.file_name = safe_name(field.file_name().unwrap_or("upload"));
                let mut out = tokio::fs::File::create(&upload.path)
                    .await
                    .map_err(|e| format!("the upload cannot be stored on the server ({e})"))?;
                let mut written = 0u64;
                while let Some(chunk) = field.chunk().await.map_err(bad)? {
                    written += chunk.len() as u64;
                    if written > max_bytes {
                        return Err(format!(
                            "the file is over {max_bytes} bytes, the largest an import accepts (ATLASLENS_IMPORT_MAX_MB); split it or import it with `atlaslens import`"
                        ));
                    }
                    out.write_all(&chunk)
                        .await
                        .map_err(|e| format!("the upload cannot be stored on the server ({e})"))?;
                }
                out.flush().await.map_err(|e| e.to_string())?;
            }
            "deployment" | "source" | "format" => {
                let value = field.text().await.map_err(bad)?;
                let value = Some(value.trim().to_owned()).filter(|v| !v.is_empty());
                match name.as_str() {
                    "deployment" => upload.deployment = value,
                    "source" => upload.source = value,
                    _ => upload.format = value,
                }
            }
            _ => {}
        }
    }
    if upload.file_name.is_empty() {
        return Err("choose a file to import".into());
    }
    Ok(upload)
}

/// `POST /api/imports`.
pub async fn upload(
    State(state): State<ServerState>,
    session: Session,
    mut multipart: Multipart,
) -> Response {
    let Ok(Some(user)) = session.get::<SessionUser>(SESSION_USER_KEY).await else {
        return back_with("sign in again, then upload the file");
    };
    let id = store::imports::new_import_id();
    let dir = state.ingest.upload_dir.clone();
    if let Err(e) = tokio::fs::create_dir_all(&dir).await {
        tracing::error!(error = %e, dir = %dir.display(), "cannot create the upload directory");
        return back_with("the server cannot store uploads; see its log");
    }
    let path = dir.join(format!("{id}.upload"));
    let received = receive(
        &mut multipart,
        path.clone(),
        state.ingest.limits.max_file_bytes,
    )
    .await;
    let upload = match received {
        Ok(u) => u,
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            return back_with(&e);
        }
    };
    let request = match request_of(&state, &upload, id.clone(), user.username) {
        Ok(r) => r,
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            return back_with(&e);
        }
    };
    let follow = format!("/imports?id={id}");
    let importer = state.ingest.importer.clone();
    let jobs = state.app.jobs.clone();
    tokio::spawn(async move {
        let outcome = importer
            .run(request, chrono::Utc::now(), &mut |_, _, _, _| {})
            .await;
        let _ = tokio::fs::remove_file(&upload.path).await;
        match outcome {
            Ok(doc) if doc.counts.new > 0 => {
                if let Err(e) = rules::queue::enqueue(&jobs, &format!("import {}", doc.id)).await {
                    tracing::warn!(error = %e, "could not queue a rules evaluation of imported events");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, import = %id, "an uploaded import failed"),
        }
    });
    Redirect::to(&follow).into_response()
}

/// The import request of a received form.
fn request_of(
    state: &ServerState,
    upload: &Upload,
    id: String,
    by: String,
) -> Result<ImportRequest, String> {
    let ids = state.app.deployments.ids();
    let deployment = match upload.deployment.as_deref() {
        Some(d) => DeploymentId::parse(d).map_err(|e| format!("deployment: {e}"))?,
        None => match ids.as_slice() {
            [only] => only.clone(),
            _ => return Err("choose the deployment the events belong to".into()),
        },
    };
    let source = match upload.source.as_deref() {
        None | Some("auto") => None,
        Some(s) => Some(
            SourceKind::parse(s)
                .ok_or_else(|| format!("{s:?} is not a source this import reads"))?,
        ),
    };
    let format = match upload.format.as_deref() {
        None | Some("auto") => None,
        Some(f) => Some(
            Format::parse(f).ok_or_else(|| format!("{f:?} is not a format this import reads"))?,
        ),
    };
    Ok(ImportRequest {
        id,
        path: upload.path.clone(),
        file_name: upload.file_name.clone(),
        deployment,
        source,
        source_name: None,
        format,
        dates: Vec::new(),
        by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uploaded_name_loses_its_directories_and_odd_characters() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("C:\\exports\\audit 2024.csv"), "audit 2024.csv");
        assert_eq!(safe_name("<script>.json"), "script.json");
        assert_eq!(safe_name("///"), "upload");
    }
}
