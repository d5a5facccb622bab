//! Connecting to MongoDB with timeouts that fail fast and a `ping` for health checks.

use mongodb::options::ClientOptions;
use mongodb::Client;
use std::time::Duration;

/// Opens a client for `uri`. The driver connects lazily; call [`ping`] to check the server.
///
/// # Errors
/// An unparsable URI.
pub async fn connect(uri: &str) -> Result<Client, mongodb::error::Error> {
    let mut options = ClientOptions::parse(uri).await?;
    options.app_name = Some("atlaslens".to_owned());
    options
        .server_selection_timeout
        .get_or_insert(Duration::from_secs(5));
    options
        .connect_timeout
        .get_or_insert(Duration::from_secs(5));
    Client::with_options(options)
}

/// Checks that the server answers, within `timeout`.
///
/// # Errors
/// A description of the failure, free of connection details.
pub async fn ping(client: &Client, timeout: Duration) -> Result<(), String> {
    let admin = client.database("admin");
    match tokio::time::timeout(timeout, admin.run_command(bson::doc! { "ping": 1 })).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(match *e.kind {
            mongodb::error::ErrorKind::ServerSelection { .. } => {
                "the database server is unreachable".to_owned()
            }
            mongodb::error::ErrorKind::Authentication { .. } => {
                "the database rejected our credentials".to_owned()
            }
            _ => "the database returned an error to ping".to_owned(),
        }),
        Err(_) => Err(format!(
            "the database did not answer ping within {} ms",
            timeout.as_millis()
        )),
    }
}
