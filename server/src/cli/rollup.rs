#![allow(clippy::print_stdout)] // This command reports to the operator on standard output.
//! `atlaslens rollup --date D` or `--from D1 --to D2`: recompute the daily rollups of those UTC
//! days from the stored events, with a progress bar. Safe to rerun: a rebuild writes the same
//! documents every time.

use crate::cli::context::Context;
use crate::cli::progress::Bar;
use anyhow::bail;
use chrono::NaiveDate;
use store::rollups::RollupScope;

/// Options of `rollup`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One UTC day (YYYY-MM-DD).
    #[arg(long, conflicts_with_all = ["from", "to"], required_unless_present = "from")]
    date: Option<NaiveDate>,
    /// The first day of a range (inclusive).
    #[arg(long, requires = "to")]
    from: Option<NaiveDate>,
    /// The last day of a range (inclusive).
    #[arg(long, requires = "from")]
    to: Option<NaiveDate>,
}

/// Rebuilds the days asked for.
///
/// # Errors
/// A reversed or absurd range, or a database failure.
pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<()> {
    let (first, last) = match (args.date, args.from, args.to) {
        (Some(d), _, _) => (d, d),
        (None, Some(from), Some(to)) => (from, to),
        _ => bail!("give --date D, or --from D1 --to D2"),
    };
    if last < first {
        bail!("--to {last} is before --from {first}");
    }
    if (last - first).num_days() > 3660 {
        bail!("at most ten years at a time");
    }
    let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
    let mut bar = Bar::new("rebuilding rollups");
    let mut rows = 0;
    for (done, day) in days.iter().enumerate() {
        bar.show(
            done as u64,
            days.len() as u64,
            "days",
            &format!("{day}, {rows} rows"),
        );
        rows += ctx
            .store
            .rollups
            .rebuild(std::slice::from_ref(day), &RollupScope::default())
            .await?;
    }
    bar.show(
        days.len() as u64,
        days.len() as u64,
        "days",
        &format!("{rows} rows"),
    );
    bar.finish();
    println!(
        "rebuilt {} day(s) from {first} to {last}: {rows} rollup rows",
        days.len()
    );
    Ok(())
}
