#![allow(clippy::print_stdout)] // This command reports to the operator on standard output.
//! `atlaslens import FILE|DIR… --deployment D`: imports audit exports, API pages and generic
//! events from files (see `docs/import.md`), with a progress bar, and prints each file's report.
//! Exits non-zero when a file was rejected or its import failed.

use crate::cli::context::{operator, Context};
use crate::cli::progress::Bar;
use anyhow::{bail, Context as _};
use chrono::NaiveDate;
use domain::DeploymentId;
use imports::{Format, ImportRequest, Importer, Limits, Phase, SourceKind};
use ingest::identity::IdentityResolver;
use std::path::PathBuf;
use store::imports::{ImportDoc, ImportStatus};

/// Options of `import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files, or directories whose files are all imported (in name order).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The deployment the events belong to (the only configured one when omitted).
    #[arg(long)]
    deployment: Option<String>,
    /// What the records are: auto, jira-audit, confluence-audit, org-events, jira-issues,
    /// bitbucket-commits, bitbucket-pull-requests, jsm-requests or generic.
    #[arg(long, default_value = "auto")]
    source: String,
    /// The source generic events are filed under when a record names none (`okta`, `vpn`).
    #[arg(long)]
    source_name: Option<String>,
    /// How they are written: auto, ndjson, json, json.gz, csv or xml (gzip is found from the
    /// bytes).
    #[arg(long, default_value = "auto")]
    format: String,
    /// Recompute the rollups of these UTC days (YYYY-MM-DD, repeatable) instead of the days the
    /// file touched.
    #[arg(long = "date")]
    dates: Vec<NaiveDate>,
}

/// The files `paths` name, directories expanded.
fn files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta =
            std::fs::metadata(p).with_context(|| format!("{} cannot be read", p.display()))?;
        if meta.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(p)?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|f| f.is_file())
                .filter(|f| {
                    !f.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            inside.sort();
            out.extend(inside);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Imports each file.
///
/// # Errors
/// Bad options, a database failure, or a file that was rejected (after all were tried).
pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<()> {
    let deployment = match &args.deployment {
        Some(d) => DeploymentId::parse(d).map_err(|e| anyhow::anyhow!("--deployment: {e}"))?,
        None => {
            let ids = ctx.deployments.ids();
            match ids.as_slice() {
                [only] => only.clone(),
                [] => bail!("no deployment is configured; pass --deployment"),
                _ => bail!(
                    "several deployments are configured; pass --deployment (one of: {})",
                    ids.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
    };
    let source = match args.source.as_str() {
        "auto" => None,
        s => Some(SourceKind::parse(s).ok_or_else(|| {
            anyhow::anyhow!(
                "--source {s:?} is none of: auto, {}",
                SourceKind::ALL.map(|k| k.as_str()).join(", ")
            )
        })?),
    };
    let format = match args.format.as_str() {
        "auto" => None,
        "xml" => bail!(
            "XML import is not available in this version; export the audit log as CSV or JSON"
        ),
        f => Some(Format::parse(f).ok_or_else(|| {
            anyhow::anyhow!("--format {f:?} is none of: auto, ndjson, json, json.gz, csv, xml")
        })?),
    };
    if let Some(name) = &args.source_name {
        if !pipeline::generic::valid_source(name) {
            bail!("--source-name {name:?}: a source is lower-case letters, digits, - and _, at most 40");
        }
    }
    let files = files(&args.paths)?;
    let resolver = IdentityResolver::new(ctx.store.identities.clone(), ctx.keys.clone());
    let limits = Limits {
        max_file_bytes: u64::from(ctx.settings.import_max_mb) * 1024 * 1024,
        ..Limits::default()
    };
    let importer = Importer::new(ctx.store.clone(), resolver, limits);
    let mut refused = 0;
    for path in files {
        let file_name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let request = ImportRequest {
            id: store::imports::new_import_id(),
            path: path.clone(),
            file_name: file_name.clone(),
            deployment: deployment.clone(),
            source,
            source_name: args.source_name.clone(),
            format,
            dates: args.dates.clone(),
            by: operator(),
        };
        let mut bar = Bar::new(format!("checking {file_name}"));
        let mut phase = Phase::Checking;
        let doc = importer
            .run(
                request,
                chrono::Utc::now(),
                &mut |p, done, total, counts| {
                    if p != phase {
                        phase = p;
                        bar.stage(match p {
                            Phase::Checking => format!("checking {file_name}"),
                            Phase::Reading => format!("importing {file_name}"),
                            Phase::Rollups => "rollups".to_owned(),
                        });
                    }
                    let (unit, extra) = match p {
                        Phase::Rollups => ("days", String::new()),
                        _ => (
                            "bytes",
                            format!(
                                "{} records, {} new, {} rejected",
                                counts.records, counts.new, counts.rejected
                            ),
                        ),
                    };
                    bar.show(done, total, unit, &extra);
                },
            )
            .await?;
        bar.finish();
        print_report(&doc);
        if doc.counts.new > 0 {
            if let Err(e) = rules::queue::enqueue(&ctx.jobs, &format!("import {}", doc.id)).await {
                tracing::warn!(error = %e, "could not queue a rules evaluation of the imported events");
            }
        }
        if matches!(doc.status, ImportStatus::Rejected | ImportStatus::Failed) {
            refused += 1;
        }
    }
    if refused > 0 {
        bail!("{refused} file(s) were not imported in full; see the reasons above");
    }
    Ok(())
}

/// The report of one file, as the Import page shows it.
fn print_report(doc: &ImportDoc) {
    println!(
        "{}: {} (import {})",
        doc.file_name,
        doc.status.as_str(),
        doc.id
    );
    println!("  size {} bytes, SHA-256 {}", doc.size, doc.sha256);
    if !doc.format.is_empty() || !doc.source.is_empty() {
        println!("  read as {} {}", doc.format, doc.source);
    }
    for note in &doc.notes {
        println!("  {note}");
    }
    if let Some(reason) = &doc.reason {
        println!("  {reason}");
    }
    let c = &doc.counts;
    if c.records > 0 {
        println!(
            "  {} records: {} new, {} already stored, {} rejected",
            c.records, c.new, c.duplicates, c.rejected
        );
        for (reason, n) in &c.rejected_by_reason {
            println!("    {n} × {reason}");
        }
        if c.rejected > 0 {
            println!(
                "  rejected records are in rejects, stream {}",
                doc.rejects_stream()
            );
        }
    }
    if !doc.days.is_empty() {
        println!(
            "  rollups recomputed for {} day(s): {} … {}",
            doc.days.len(),
            doc.days[0],
            doc.days[doc.days.len() - 1]
        );
    }
    if let Some(ms) = doc.duration_ms() {
        println!("  took {:.1} s", ms as f64 / 1000.0);
    }
}
