//! The operator commands. Each reads its settings from the environment and reaches the database
//! the same way (see [`crate::database`]).

pub mod context;
pub mod seed_admin;
pub mod serve;
pub mod simulate;
pub mod sync;

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
        Command::Sync(args) => {
            let ctx = context::Context::open(settings, None).await?;
            let result = sync::run(&ctx, args).await;
            ctx.close().await;
            result
        }
        Command::Simulate(args) => simulate::run(args).await,
    }
}
