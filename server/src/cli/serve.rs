//! `atlaslens serve`: start (or reach) the database, ensure indexes, serve the dashboard until
//! SIGINT or SIGTERM, then stop cleanly — including the embedded database if we started it.

use crate::cli::context::{Context, PEOPLE_RELOAD};
use crate::database::Origin;
use crate::startup::{leptos_options, Application};
use app::ssr::AppState;
use services::auth::{create_admin, AdminError, Authenticator, NewPassword, Username};
use services::Settings;
use simulator::{RunningSimulator, SimConfig, Simulator};

/// Options of `serve`.
#[derive(Debug, Default, clap::Args)]
pub struct Args {
    /// Also run the Atlassian simulator with a demo deployment reading it, and (re)create the
    /// administrator `demo` with a fresh password printed at start-up. Ignored when
    /// ATLASLENS_CONFIG names real deployments.
    #[arg(long)]
    demo: bool,
}

/// The demo administrator's name.
const DEMO_ADMIN: &str = "demo";

/// Runs the server.
///
/// # Errors
/// Start-up failures: bad settings, no database, address in use.
pub async fn run(settings: Settings, args: Args) -> anyhow::Result<()> {
    let simulator = if args.demo && settings.deployments_file.is_none() {
        let config = SimConfig::default();
        let sim = Simulator::start(config.clone(), ([127, 0, 0, 1], 0).into()).await?;
        tracing::info!(simulator.url = %sim.base_url(), "started the Atlassian simulator for the demo");
        Some(sim)
    } else {
        if args.demo {
            tracing::info!("ATLASLENS_CONFIG is set, so the demo simulator is not started");
        }
        None
    };
    let deployments = simulator
        .as_ref()
        .map(|sim| crate::demo::deployments_for(&sim.base_url(), sim.config(), "demo", 1, 10))
        .transpose()?;
    let ctx = Context::open(settings, deployments).await?;
    match ctx.origin {
        Origin::External => tracing::info!("using the MongoDB server named by MONGODB_URI"),
        Origin::Shared => {
            tracing::info!("using the embedded database another AtlasLens process runs")
        }
        Origin::Owned => {
            tracing::info!(data.dir = %ctx.settings.data_dir.display(), "started the embedded database")
        }
    }
    let demo_password = match simulator {
        Some(_) => Some(reset_demo_admin(&ctx).await?),
        None => None,
    };
    let background = ctx.start_background(true);
    let served = serve_until_signal(&ctx, demo_password.as_deref(), simulator.as_ref()).await;
    tracing::info!("shutting down");
    background.stop().await;
    if let Some(sim) = simulator {
        sim.stop().await;
    }
    ctx.close().await;
    served
}

/// Gives the demo administrator a new random password and returns it.
async fn reset_demo_admin(ctx: &Context) -> anyhow::Result<String> {
    use rand::distributions::{Alphanumeric, DistString};
    let password = Alphanumeric.sample_string(&mut rand::thread_rng(), 20);
    let name = Username::parse(DEMO_ADMIN)?;
    let new_password = || NewPassword::parse(password.clone().into());
    match create_admin(&ctx.store, &name, new_password()?, true).await {
        Err(AdminError::Missing(_)) => {
            create_admin(&ctx.store, &name, new_password()?, false).await?
        }
        other => other?,
    }
    Ok(password)
}

async fn serve_until_signal(
    ctx: &Context,
    demo_password: Option<&str>,
    simulator: Option<&RunningSimulator>,
) -> anyhow::Result<()> {
    let state = AppState::new(
        ctx.store.clone(),
        ctx.deployments.clone(),
        ctx.keys.clone(),
        PEOPLE_RELOAD,
    )
    .with_delivery(
        &ctx.settings.public_url,
        ctx.settings.allow_private_destinations,
    );
    let auth = Authenticator::new(&ctx.store, ctx.keys.clone());
    let app =
        Application::build(&ctx.settings, leptos_options("Leptos.toml")?, state, auth).await?;
    let addr = app.local_addr()?;
    tracing::info!(http.addr = %addr, "AtlasLens is running at http://{addr}/");
    if let Some(password) = demo_password {
        // Printed to the terminal only (not the log): the demo's whole point is signing in.
        eprintln!(
            "\n  Demo: sign in at http://{addr}/login as `{DEMO_ADMIN}` with password `{password}`\n  \
             (a new password is set at every demo start; the simulator's data syncs within a minute)\n"
        );
    } else if ctx.store.users.is_empty().await? {
        tracing::warn!(
            "no administrator exists yet; create one with `atlaslens seed-admin --username NAME`"
        );
    } else {
        tracing::info!("sign in at http://{addr}/login with an administrator account");
    }
    let Some(sim) = simulator else {
        return Ok(app.run_until(shutdown_signal()).await?);
    };
    tokio::select! {
        served = app.run_until(shutdown_signal()) => Ok(served?),
        () = push_demo_webhook(ctx, sim, addr) => Ok(()),
    }
}

/// How often the demo's simulator pushes its new organization events to the webhook.
const DEMO_WEBHOOK_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// The demo's audit-log webhook: the simulator pushes its new organization events every half
/// minute, as Atlassian does (`docs/ingest.md`); polling still runs and finds them again as
/// duplicates. Runs until the server stops.
async fn push_demo_webhook(ctx: &Context, sim: &RunningSimulator, addr: std::net::SocketAddr) {
    use rand::distributions::{Alphanumeric, DistString};
    let authorization = format!(
        "Bearer {}",
        Alphanumeric.sample_string(&mut rand::thread_rng(), 40)
    );
    let now = chrono::Utc::now();
    if let Err(e) = ctx
        .store
        .webhook_secrets
        .set(&ctx.keys, "demo", &authorization, "demo", now)
        .await
    {
        tracing::warn!(error = %e, "the demo's audit-log webhook is off: its secret cannot be stored");
        return std::future::pending().await;
    }
    let url = format!("http://{addr}/api/ingest/atlassian/demo");
    let mut since = sim.now();
    let mut tick = tokio::time::interval(DEMO_WEBHOOK_EVERY);
    loop {
        tick.tick().await;
        let until = sim.now();
        let events = sim.webhook_events(since, until);
        since = until;
        match sim.send_webhook(&url, Some(&authorization), &events).await {
            Ok(statuses) if statuses.iter().all(|s| *s == 200) => {
                if !statuses.is_empty() {
                    tracing::debug!(
                        events = statuses.len(),
                        "the demo simulator pushed organization events to the webhook"
                    );
                }
            }
            Ok(statuses) => tracing::warn!(?statuses, "the demo webhook refused some events"),
            Err(e) => {
                tracing::warn!(error = %e, "the demo simulator could not push to the webhook")
            }
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate = match tokio::signal::unix::signal(
        tokio::signal::unix::SignalKind::terminate(),
    ) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM; only Ctrl-C will stop the server");
            let _ = interrupt.await;
            return;
        }
    };
    tokio::select! {
        _ = interrupt => {}
        _ = terminate.recv() => {}
    }
}
