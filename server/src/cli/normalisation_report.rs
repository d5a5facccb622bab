#![allow(clippy::print_stdout)] // This command reports to the operator on standard output.
//! `atlaslens normalisation-report [--days N]`: the source actions that fell outside the
//! operation vocabulary (stored as `audit_other`) in the last N days, with counts, so a gap in the
//! vocabulary is seen rather than guessed.

use crate::cli::context::Context;
use anyhow::bail;
use chrono::{Duration, SecondsFormat, Utc};

/// Options of `normalisation-report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many days back to look.
    #[arg(long, default_value_t = 30)]
    days: u32,
}

/// Prints one line per (product, source action), most frequent first.
///
/// # Errors
/// A zero or absurd period, or a database failure.
pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<()> {
    if args.days == 0 || args.days > 3660 {
        bail!("--days must be between 1 and 3660, not {}", args.days);
    }
    let since = Utc::now() - Duration::days(i64::from(args.days));
    let actions = ctx.store.events.unmapped_actions(since).await?;
    if actions.is_empty() {
        println!(
            "every audit action since {} maps to a named operation",
            since.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        return Ok(());
    }
    let total: u64 = actions.iter().map(|a| a.events).sum();
    println!(
        "{} source action(s), {total} event(s), stored as audit_other since {}:",
        actions.len(),
        since.to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    println!(
        "{:>8}  {:<11} {:<21} action",
        "events", "product", "last seen"
    );
    for a in &actions {
        println!(
            "{:>8}  {:<11} {:<21} {}",
            a.events,
            a.product.as_str(),
            a.last_seen.to_rfc3339_opts(SecondsFormat::Secs, true),
            a.action
        );
    }
    println!(
        "add each to the vocabulary (crates/pipeline/src/operations.rs) once its meaning is known"
    );
    Ok(())
}
