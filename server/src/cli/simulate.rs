#![allow(clippy::print_stdout)] // This command talks to the operator on standard output.
//! `atlaslens simulate`: run the Atlassian simulator on its own, e.g. to point a deployments file
//! at it. Prints its base URL and a matching deployments file, then serves until Ctrl-C.

use simulator::{Faults, SimConfig, Simulator};
use std::net::SocketAddr;

/// Options of `simulate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8089")]
    bind: SocketAddr,
    /// Seed of the generated data (same seed, same data).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// People in the organization.
    #[arg(long, default_value_t = 40)]
    people: usize,
    /// Teams.
    #[arg(long, default_value_t = 6)]
    teams: usize,
    /// Days of history.
    #[arg(long, default_value_t = 14)]
    days: u32,
    /// Records per day across all products.
    #[arg(long, default_value_t = 400)]
    events_per_day: u32,
    /// Every Nth request starts a burst of 429s.
    #[arg(long)]
    fault_rate_limit_every: Option<u32>,
    /// Fraction of requests answering 5xx.
    #[arg(long, default_value_t = 0.0)]
    fault_error_rate: f64,
    /// Delay every response by this many milliseconds.
    #[arg(long, default_value_t = 0)]
    fault_slow_ms: u64,
    /// Fraction of requests that never answer.
    #[arg(long, default_value_t = 0.0)]
    fault_hang_rate: f64,
    /// One malformed record per stream.
    #[arg(long)]
    fault_malformed: bool,
    /// Repeat the last record of each page as the first of the next.
    #[arg(long)]
    fault_duplicate_across_pages: bool,
    /// Fraction of records that become visible late.
    #[arg(long, default_value_t = 0.0)]
    fault_late_rate: f64,
    /// Also write a deployments file reading this simulator here (for ATLASLENS_CONFIG).
    #[arg(long, value_name = "FILE")]
    config_out: Option<std::path::PathBuf>,
}

/// Runs the simulator until Ctrl-C.
///
/// # Errors
/// When the address cannot be bound.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let config = SimConfig {
        seed: args.seed,
        people: args.people,
        teams: args.teams,
        days: args.days,
        events_per_day: args.events_per_day,
        faults: Faults {
            rate_limit_every: args.fault_rate_limit_every,
            error_rate: args.fault_error_rate,
            slow_ms: args.fault_slow_ms,
            hang_rate: args.fault_hang_rate,
            malformed: args.fault_malformed,
            duplicate_across_pages: args.fault_duplicate_across_pages,
            late_rate: args.fault_late_rate,
            ..Faults::default()
        },
        ..SimConfig::default()
    };
    let sim = Simulator::start(config.clone(), args.bind).await?;
    let base = sim.base_url();
    println!(
        "Atlassian simulator at {base} ({} records)",
        sim.record_count()
    );
    println!("Ground truth: {base}/_sim/manifest?from=…&to=…");
    let file = crate::demo::deployments_toml(&base, &config, "sim", 15, 10);
    if let Some(path) = &args.config_out {
        std::fs::write(path, &file)?;
        println!("Wrote a deployments file for it to {}", path.display());
    } else {
        println!("\nA deployments file for it (credentials as environment variables):\n\n{file}");
    }
    println!(
        "SIMULATOR_ORG_API_KEY={} SIMULATOR_SITE_API_TOKEN={} SIMULATOR_BITBUCKET_API_TOKEN={}",
        config.org_api_key,
        config.sites.first().map_or("", |s| s.api_token.as_str()),
        config.bitbucket.api_token
    );
    tokio::signal::ctrl_c().await?;
    sim.stop().await;
    Ok(())
}
