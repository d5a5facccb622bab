#![allow(clippy::print_stdout)] // This command reports its verdict on standard output.
//! `atlaslens verify-export FILE MANIFEST`: checks an export file against its manifest — the
//! SHA-256 and size of the exact bytes, and the row count recounted from the file's structure (CSV
//! records after the header, where a quoted cell may span lines; NDJSON lines) — and prints a
//! verdict. Any mismatch, malformed file or unreadable input ends with a non-zero exit status.
//! Needs no database: anyone holding the two files can check them.

use anyhow::{bail, Context};
use export::{self, ExportManifest};
use std::path::PathBuf;

/// Options of `verify-export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The exported file (CSV or NDJSON).
    file: PathBuf,
    /// Its manifest (`<file>.manifest.json`).
    manifest: PathBuf,
}

/// Checks the file and prints the verdict.
///
/// # Errors
/// A mismatch, a malformed file, or input that cannot be read.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let text = tokio::fs::read(&args.manifest)
        .await
        .with_context(|| format!("reading the manifest {}", args.manifest.display()))?;
    let manifest: ExportManifest = serde_json::from_slice(&text).with_context(|| {
        format!(
            "{} is not an AtlasLens export manifest",
            args.manifest.display()
        )
    })?;
    let path = args.file.clone();
    let format = manifest.format;
    let facts = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&path)?;
        export::inspect(std::io::BufReader::new(file), format)
    })
    .await?
    .with_context(|| format!("reading {}", args.file.display()))?;

    println!("file:      {} ({} bytes)", args.file.display(), facts.bytes);
    println!(
        "manifest:  export {} by {} at {}, {} ({})",
        manifest.export_id,
        manifest.generated_by,
        manifest.generated_at.to_rfc3339(),
        manifest.file_name,
        manifest.generator
    );
    println!(
        "range:     {} to {} (query: {})",
        manifest.from.to_rfc3339(),
        manifest.to.to_rfc3339(),
        if manifest.query.is_empty() {
            "none"
        } else {
            &manifest.query
        }
    );
    let mismatches = facts.mismatches(&manifest);
    let mark = |ok: bool| if ok { "ok" } else { "MISMATCH" };
    println!(
        "sha256:    {} {}",
        facts.sha256,
        mark(facts.sha256.eq_ignore_ascii_case(&manifest.sha256))
    );
    println!(
        "rows:      {} {}",
        facts.rows,
        mark(facts.rows == manifest.rows)
    );
    if mismatches.is_empty() {
        println!(
            "VERIFIED: {} matches its manifest ({} rows, sha256 {})",
            args.file.display(),
            facts.rows,
            facts.sha256
        );
        return Ok(());
    }
    for m in &mismatches {
        println!("MISMATCH: {m}");
    }
    bail!(
        "{} does not match its manifest {} ({} problem(s))",
        args.file.display(),
        args.manifest.display(),
        mismatches.len()
    )
}
