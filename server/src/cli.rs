//! The operator commands. Each reads its settings from the environment and reaches the database
//! the same way (see [`crate::database`]).

pub mod context;
pub mod export;
pub mod import;
pub mod normalisation_report;
pub mod progress;
pub mod rollup;
pub mod seed_admin;
pub mod serve;
pub mod simulate;
pub mod sync;
pub mod token;
pub mod verify_export;
pub mod webhook;

use clap::{Parser, Subcommand};

/// AtlasLens: audit and activity analytics for Atlassian Cloud.
#[derive(Debug, Parser)]
#[command(name = "atlaslens", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web dashboard, sync workers and scheduler (and the embedded database unless
    /// MONGODB_URI is set).
    Serve(serve::Args),
    /// Create an administrator account, or with --reset set a new password for one.
    SeedAdmin(seed_admin::Args),
    /// Queue syncs of configured streams; with --wait, run them and report.
    Sync(sync::Args),
    /// Run the Atlassian API simulator on its own.
    Simulate(simulate::Args),
    /// Recompute the daily rollups of some days from the stored events.
    Rollup(rollup::Args),
    /// Export the events an Events query matches to a CSV or NDJSON file and its manifest.
    Export(export::Args),
    /// Check an export file against its manifest (SHA-256, size, rows); non-zero exit on mismatch.
    VerifyExport(verify_export::Args),
    /// List the source actions stored as `audit_other` (outside the operation vocabulary) lately.
    NormalisationReport(normalisation_report::Args),
    /// Import audit exports, API pages or generic events from files (NDJSON, JSON, CSV, XML, gzip).
    Import(import::Args),
    /// Create, list or revoke bearer tokens of the ingest API.
    Token(token::Args),
    /// Create the secret of a deployment's Atlassian audit-log webhook and print its settings.
    WebhookSecret(webhook::Args),
}

/// Runs the chosen command.
///
/// # Errors
/// Whatever stopped the command; printed by `main`.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = services::Settings::from_env()?;
    match cli.command {
        Command::Serve(args) => serve::run(settings, args).await,
        Command::SeedAdmin(args) => seed_admin::run(settings, args).await,
        Command::Sync(args) => with_context(settings, async |ctx| sync::run(ctx, args).await).await,
        Command::Simulate(args) => simulate::run(args).await,
        Command::Rollup(args) => {
            with_context(settings, async |ctx| rollup::run(ctx, args).await).await
        }
        Command::Export(args) => {
            with_context(settings, async |ctx| export::run(ctx, args).await).await
        }
        Command::VerifyExport(args) => verify_export::run(args).await,
        Command::Import(args) => {
            with_context(settings, async |ctx| import::run(ctx, args).await).await
        }
        Command::Token(args) => {
            with_context(settings, async |ctx| token::run(ctx, args).await).await
        }
        Command::WebhookSecret(args) => {
            with_context(settings, async |ctx| webhook::run(ctx, args).await).await
        }
        Command::NormalisationReport(args) => {
            with_context(settings, async |ctx| {
                normalisation_report::run(ctx, args).await
            })
            .await
        }
    }
}

/// Runs `command` with an opened [`context::Context`], closing it (and an embedded database this
/// process started) whatever the outcome.
async fn with_context(
    settings: services::Settings,
    command: impl AsyncFnOnce(&context::Context) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let ctx = context::Context::open(settings, None).await?;
    let result = command(&ctx).await;
    ctx.close().await;
    result
}
