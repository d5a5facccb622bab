//! The operator commands. Each reads its settings from the environment and reaches the database
//! the same way (see [`crate::database`]).

pub mod seed_admin;
pub mod serve;

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
    /// Run the web dashboard (and the embedded database unless MONGODB_URI is set).
    Serve,
    /// Create an administrator account, or with --reset set a new password for one.
    SeedAdmin(seed_admin::Args),
}

/// Runs the chosen command.
///
/// # Errors
/// Whatever stopped the command; printed by `main`.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = services::Settings::from_env()?;
    match cli.command {
        Command::Serve => serve::run(settings).await,
        Command::SeedAdmin(args) => seed_admin::run(settings, args).await,
    }
}
