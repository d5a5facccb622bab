//! `atlaslens seed-admin --username NAME [--password-stdin] [--reset]`: the only way to create an
//! administrator. The password comes from a hidden prompt (typed twice) or from the first line of
//! standard input, never from the command line, where it would land in shell history.

use crate::database::Connection;
use anyhow::{bail, Context};
use secrecy::SecretString;
use services::auth::{create_admin, NewPassword, Username};
use services::Settings;
use std::io::{BufRead, IsTerminal};
use store::Store;

/// Options of `seed-admin`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The administrator's username (letters, digits, '.', '_', '@', '-'; case-insensitive).
    #[arg(long)]
    username: String,
    /// Read the password from the first line of standard input instead of prompting.
    #[arg(long)]
    password_stdin: bool,
    /// Set a new password for an existing administrator.
    #[arg(long)]
    reset: bool,
}

/// Creates (or resets) the administrator.
///
/// # Errors
/// An invalid name or password, an existing name without `--reset`, or no database.
pub async fn run(settings: Settings, args: Args) -> anyhow::Result<()> {
    let username = Username::parse(&args.username)?;
    let password = NewPassword::parse(read_password(args.password_stdin)?)?;
    let (connection, _) = Connection::open(&settings).await?;
    let store = Store::new(connection.db.clone());
    let result = async {
        store.ensure_indexes(settings.retention_days).await?;
        create_admin(&store, &username, password, args.reset).await?;
        anyhow::Ok(())
    }
    .await;
    connection.close(&settings).await;
    result?;
    let verb = if args.reset {
        "has a new password"
    } else {
        "was created"
    };
    tracing::info!(
        admin.user = username.as_str(),
        "administrator {} {verb}",
        username.as_str()
    );
    Ok(())
}

fn read_password(from_stdin: bool) -> anyhow::Result<SecretString> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let password = line.trim_end_matches(['\n', '\r']).to_owned();
        return Ok(SecretString::from(password));
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "there is no terminal to prompt for the password; pass --password-stdin and pipe it in"
        );
    }
    let first = rpassword::prompt_password("Password: ").context("reading the password")?;
    let second = rpassword::prompt_password("Repeat password: ").context("reading the password")?;
    if first != second {
        bail!("the two passwords differ; nothing was changed");
    }
    Ok(SecretString::from(first))
}
