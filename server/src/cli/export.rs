#![allow(clippy::print_stdout)] // This command reports to the operator on standard output.
//! `atlaslens export --query 'range=7d&product=jira' --format csv --out FILE`: the export the
//! Events page offers, from the command line — the same planning, stream and manifest as
//! `GET /api/export` — written to FILE and FILE.manifest.json.
//!
//! The file is written under a `.partial` name and renamed only once every byte is on disk and the
//! export is recorded complete, so FILE never names a truncated export.

use crate::cli::context::{operator, Context as Ctx};
use crate::routes::export::parse_pairs;
use anyhow::{bail, Context};
use export::plan::begin;
use export::{self, ExportFormat, ManifestLookup};
use futures::StreamExt;
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

/// Options of `export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Events page's query string (e.g. 'range=7d&product=jira' or
    /// 'from=2026-03-01&to=2026-04-01&team=team:sec'); empty exports every event.
    #[arg(long, default_value = "")]
    query: String,
    /// csv or ndjson.
    #[arg(long, default_value = "csv")]
    format: ExportFormat,
    /// The file to write (default: the export's own name, in the current directory).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Where to write the manifest (default: the file's path followed by `.manifest.json`).
    #[arg(long)]
    manifest: Option<PathBuf>,
}

/// Exports, then writes the manifest.
///
/// # Errors
/// A bad query, a database failure, or a file that cannot be written.
pub async fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let query = args.query.trim().trim_start_matches('?');
    let pairs = parse_pairs(query)?;
    if pairs.iter().any(|(k, _)| k == "format") {
        bail!("give the format with --format, not in --query");
    }
    let people = ctx.people_directory();
    let mut export = begin(&ctx.store, &people, &pairs, args.format, &operator()).await?;
    let out = args.out.unwrap_or_else(|| PathBuf::from(&export.file_name));
    let manifest_path = args.manifest.unwrap_or_else(|| {
        let mut p = out.clone().into_os_string();
        p.push(".manifest.json");
        PathBuf::from(p)
    });
    let mut partial = out.clone().into_os_string();
    partial.push(".partial");
    let partial = PathBuf::from(partial);

    let written = async {
        let mut file = tokio::fs::File::create(&partial)
            .await
            .with_context(|| format!("creating {}", partial.display()))?;
        while let Some(chunk) = export.stream.next().await {
            file.write_all(&chunk?)
                .await
                .with_context(|| format!("writing {}", partial.display()))?;
        }
        file.sync_all().await?;
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(e);
    }
    tokio::fs::rename(&partial, &out)
        .await
        .with_context(|| format!("renaming {} to {}", partial.display(), out.display()))?;

    let manifest = match export::manifest(&ctx.store, export.id).await? {
        ManifestLookup::Complete(m) => m,
        other => bail!("export {} has no manifest: {other:?}", export.id),
    };
    tokio::fs::write(&manifest_path, export::manifest_json(&manifest))
        .await
        .with_context(|| format!("writing {}", manifest_path.display()))?;
    println!(
        "exported {} rows ({} bytes, {} to {}) to {}",
        manifest.rows,
        manifest.bytes,
        manifest.from.to_rfc3339(),
        manifest.to.to_rfc3339(),
        out.display()
    );
    println!("manifest: {}", manifest_path.display());
    println!("sha256:   {}", manifest.sha256);
    println!("export:   {}", manifest.export_id);
    Ok(())
}
