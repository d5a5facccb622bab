#![allow(clippy::print_stdout)] // This command reports to the operator on standard output.
//! `atlaslens token create|list|revoke`: bearer tokens of the ingest API. A token is printed
//! once, at creation; only its hash is stored.

use crate::cli::context::{operator, Context};
use anyhow::bail;
use chrono::Utc;
use domain::DeploymentId;
use std::time::Duration;
use store::ingest_tokens::{TokenSpec, TokenState};

/// Options of `token`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Create a token bound to one deployment and source; prints it once.
    Create {
        /// What it is for (unique): `okta-prod`.
        #[arg(long)]
        name: String,
        /// The deployment its events belong to.
        #[arg(long)]
        deployment: String,
        /// The source its events are filed under (default: the name).
        #[arg(long)]
        source: Option<String>,
        /// How long it works: `90d`, `12h`, or `never`.
        #[arg(long, default_value = "90d")]
        expires: String,
    },
    /// List tokens with their state and last use.
    List,
    /// Revoke a token by name or id; it stops working at once.
    Revoke {
        /// Its name or id.
        which: String,
    },
}

/// A lifetime such as `90d`, `12h` or `never`.
///
/// # Errors
/// Anything else.
pub fn parse_lifetime(s: &str) -> anyhow::Result<Option<Duration>> {
    let s = s.trim();
    if s == "never" {
        return Ok(None);
    }
    let (number, unit) = s.split_at(s.len().saturating_sub(1));
    let n: u64 = number.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
        anyhow::anyhow!(
            "--expires {s:?}: expected a number of days or hours such as 90d or 12h, or never"
        )
    })?;
    let hours = match unit {
        "d" => n * 24,
        "h" => n,
        _ => bail!(
            "--expires {s:?}: expected a number of days or hours such as 90d or 12h, or never"
        ),
    };
    if hours > 24 * 3660 {
        bail!("--expires {s:?}: at most ten years");
    }
    Ok(Some(Duration::from_secs(hours * 3600)))
}

/// Runs the sub-command.
///
/// # Errors
/// Bad options or a database failure.
pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<()> {
    let now = Utc::now();
    match args.command {
        Command::Create {
            name,
            deployment,
            source,
            expires,
        } => {
            let deployment = DeploymentId::parse(&deployment)
                .map_err(|e| anyhow::anyhow!("--deployment: {e}"))?;
            let source = source.unwrap_or_else(|| name.clone());
            if !pipeline::generic::valid_source(&source) {
                bail!("source {source:?}: a source is lower-case letters, digits, - and _, at most 40 (pass --source)");
            }
            let spec = TokenSpec {
                name: name.trim().to_owned(),
                deployment: deployment.to_string(),
                source,
                lifetime: parse_lifetime(&expires)?,
                created_by: operator(),
            };
            if spec.name.is_empty() {
                bail!("--name must not be empty");
            }
            let Some(created) = ctx.store.ingest_tokens.create(spec, now).await? else {
                bail!("a token named {name:?} exists already; choose another name");
            };
            let d = &created.doc;
            println!(
                "token {} for deployment {}, source {}",
                d.name, d.deployment, d.source
            );
            match d.expires_at {
                Some(e) => println!("expires {}", e.to_chrono().format("%Y-%m-%d %H:%M UTC")),
                None => println!("never expires"),
            }
            println!("\n{}\n", created.token);
            println!("This is the only time the token is shown; store it in the sending system's secret store.");
            println!("Send it as `Authorization: Bearer <token>` to POST /api/ingest/events.");
        }
        Command::List => {
            let tokens = ctx.store.ingest_tokens.list().await?;
            if tokens.is_empty() {
                println!("no tokens");
            }
            for t in tokens {
                let state = match t.state(now) {
                    TokenState::Active => "active",
                    TokenState::Revoked => "revoked",
                    TokenState::Expired => "expired",
                };
                let when = |d: Option<bson::DateTime>| {
                    d.map_or("-".to_owned(), |d| {
                        d.to_chrono().format("%Y-%m-%d %H:%M").to_string()
                    })
                };
                println!(
                    "{:<20} {:<8} deployment {:<12} source {:<12} created {} by {}, expires {}, last used {}",
                    t.name, state, t.deployment, t.source,
                    when(Some(t.created_at)), t.created_by, when(t.expires_at), when(t.last_used_at)
                );
            }
        }
        Command::Revoke { which } => {
            if ctx
                .store
                .ingest_tokens
                .revoke(&which, &operator(), now)
                .await?
            {
                println!("revoked {which}");
            } else {
                bail!("no active token is named {which:?} (or has that id)");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_read_days_hours_and_never() {
        assert_eq!(
            parse_lifetime("90d").unwrap(),
            Some(Duration::from_secs(90 * 86_400))
        );
        assert_eq!(
            parse_lifetime("12h").unwrap(),
            Some(Duration::from_secs(12 * 3600))
        );
        assert_eq!(parse_lifetime("never").unwrap(), None);
        for bad in ["", "d", "0d", "5w", "-1d", "99999d"] {
            assert!(parse_lifetime(bad).is_err(), "{bad}");
        }
    }
}
