#![allow(clippy::print_stdout)] // This command talks to the operator on standard output.
//! `atlaslens sync [--connector KEY]… [--all] [--wait]`: queue syncs from the command line. With
//! `--wait` this process also runs sync workers until its jobs end, and exits non-zero if any
//! failed; without it the jobs wait for `atlaslens serve`'s workers. A stream whose sync is
//! already queued or running joins that job; with `--wait`, when that job ends other than done,
//! a new one runs the sync asked for.

use crate::cli::context::Context;
use anyhow::{bail, Context as _};
use domain::StreamKey;
use ingest::queue;
use jobs::Enqueued;
use std::time::Duration;

/// Options of `sync`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A stream to sync, e.g. `acme/jira/audit` or `acme/directory` (repeatable).
    #[arg(long = "connector", value_name = "KEY")]
    connectors: Vec<String>,
    /// Sync every runnable stream of every deployment.
    #[arg(long)]
    all: bool,
    /// Run the syncs here and wait for them; exit non-zero if one fails.
    #[arg(long)]
    wait: bool,
    /// With --wait: give up after this many seconds.
    #[arg(long, default_value_t = 3600)]
    timeout_secs: u64,
}

/// Queues the syncs (and with `--wait` runs them).
///
/// # Errors
/// No stream chosen, an unknown stream, a database failure, or (with `--wait`) a failed run.
pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<()> {
    let deployments = &ctx.deployments;
    let keys: Vec<StreamKey> = if args.all {
        deployments.runnable()
    } else {
        args.connectors
            .iter()
            .map(|c| c.parse::<StreamKey>().map_err(anyhow::Error::from))
            .collect::<anyhow::Result<_>>()?
    };
    if keys.is_empty() {
        bail!("nothing to sync: name streams with --connector KEY or pass --all (see the Sync page for keys)");
    }
    for key in &keys {
        if !deployments.is_runnable(key) {
            bail!("{key} is not a configured stream that can be synced");
        }
    }
    let mut ids = Vec::new();
    for key in &keys {
        let queued = queue::enqueue(&ctx.jobs, key, queue::Trigger::Cli).await?;
        println!("{key}: job {}", queued.id());
        ids.push((key.clone(), queued));
    }
    if !args.wait {
        println!("queued; `atlaslens serve` runs them (see the Jobs page)");
        return Ok(());
    }
    let background = ctx.start_background(false);
    let timeout = Duration::from_secs(args.timeout_secs);
    let mut failed = Vec::new();
    for (key, queued) in &ids {
        let mut detail = wait(ctx, key, queued.id(), timeout).await?;
        // A job that was already active may have spent its attempts before this command (on
        // workers killed under it); the sync asked for here has not run yet, so it gets a job of
        // its own.
        if let (Enqueued::AlreadyActive(id), false) =
            (queued, detail.status == jobs::JobStatus::Done)
        {
            println!(
                "{key}: the sync already queued (job {id}) ended {}: {}; running a new one",
                detail.status,
                detail.last_error.as_deref().unwrap_or("no error recorded")
            );
            let again = queue::enqueue(&ctx.jobs, key, queue::Trigger::Cli).await?;
            println!("{key}: job {}", again.id());
            detail = wait(ctx, key, again.id(), timeout).await?;
        }
        match detail.status {
            jobs::JobStatus::Done => println!("{key}: done"),
            status => {
                println!(
                    "{key}: {status}: {}",
                    detail.last_error.as_deref().unwrap_or("no error recorded")
                );
                failed.push(key.to_string());
            }
        }
    }
    background.stop().await;
    if failed.is_empty() {
        Ok(())
    } else {
        bail!("{} sync(s) failed: {}", failed.len(), failed.join(", "))
    }
}

/// Waits for job `id`, the sync of `key`, to end.
async fn wait(
    ctx: &Context,
    key: &StreamKey,
    id: &str,
    timeout: Duration,
) -> anyhow::Result<jobs::JobDetail> {
    ctx.jobs
        .wait_terminal(id, timeout)
        .await
        .with_context(|| format!("waiting for the sync of {key}"))
}
