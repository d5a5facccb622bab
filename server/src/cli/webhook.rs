#![allow(clippy::print_stdout)] // This command reports to the operator on standard output.
//! `atlaslens webhook-secret --deployment D`: creates (or replaces) the secret Atlassian's
//! organization audit-log webhook sends for a deployment, and prints the URL and the
//! `Authorization` value to enter at admin.atlassian.com (see `docs/ingest.md`).

use crate::cli::context::{operator, Context};
use domain::DeploymentId;

/// Options of `webhook-secret`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The deployment whose organization sends the webhook.
    #[arg(long)]
    deployment: String,
}

/// Sets a new secret and prints what to configure at Atlassian.
///
/// # Errors
/// A bad deployment id or a database failure.
pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<()> {
    let deployment =
        DeploymentId::parse(&args.deployment).map_err(|e| anyhow::anyhow!("--deployment: {e}"))?;
    let header = format!("Bearer {}", store::digest::random_secret());
    ctx.store
        .webhook_secrets
        .set(
            &ctx.keys,
            deployment.as_str(),
            &header,
            &operator(),
            chrono::Utc::now(),
        )
        .await?;
    println!("At admin.atlassian.com → Security → Audit log → Webhooks, add a webhook with:");
    println!(
        "  URL:           {}/api/ingest/atlassian/{deployment}",
        ctx.settings.public_url
    );
    println!("  Authorization: {header}");
    println!("This is the only time the secret is shown; a new one replaces it (the old one stops working).");
    Ok(())
}
