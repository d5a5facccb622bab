//! The demo: an in-process Atlassian simulator with a deployment pointing at it, so a newcomer's
//! `make run` shows data arriving within a minute. Also used by tests and the benchmark to point
//! real connectors at a simulator.

use connectors::deployments::{DeploymentConfigError, Deployments};
use simulator::SimConfig;

/// The deployments file text for a simulator at `base_url` (credentials are referenced by
/// variable name, as in a real file; [`simulator_credentials`] resolves them).
pub fn deployments_toml(
    base_url: &str,
    sim: &SimConfig,
    id: &str,
    sync_interval_minutes: u32,
    request_timeout_seconds: u32,
) -> String {
    let site = sim.sites.first().map_or("acme", |s| s.name.as_str());
    let email = sim.sites.first().map_or("", |s| s.email.as_str());
    format!(
        r#"[[deployment]]
id = "{id}"
sync_interval_minutes = {sync_interval_minutes}
initial_lookback_days = {lookback}
request_timeout_seconds = {request_timeout_seconds}

[deployment.org]
org_id = "{org}"
admin_base_url = "{base_url}/admin"
api_key_env = "SIMULATOR_ORG_API_KEY"

[deployment.site]
url = "{base_url}/site/{site}"
email = "{email}"
api_token_env = "SIMULATOR_SITE_API_TOKEN"

[deployment.bitbucket]
workspace = "{workspace}"
api_base_url = "{base_url}/bitbucket/2.0"
email = "{bb_email}"
api_token_env = "SIMULATOR_BITBUCKET_API_TOKEN"
"#,
        lookback = sim.days + 1,
        org = sim.org_id,
        workspace = sim.bitbucket.workspace,
        bb_email = sim.bitbucket.email,
    )
}

/// Resolves the credential variables of [`deployments_toml`] to the simulator's own.
pub fn simulator_credentials(sim: &SimConfig) -> impl Fn(&str) -> Option<String> + '_ {
    move |name| match name {
        "SIMULATOR_ORG_API_KEY" => Some(sim.org_api_key.clone()),
        "SIMULATOR_SITE_API_TOKEN" => sim.sites.first().map(|s| s.api_token.clone()),
        "SIMULATOR_BITBUCKET_API_TOKEN" => Some(sim.bitbucket.api_token.clone()),
        _ => None,
    }
}

/// One deployment reading everything the simulator at `base_url` serves.
///
/// # Errors
/// Only if the generated file were invalid (a bug).
pub fn deployments_for(
    base_url: &str,
    sim: &SimConfig,
    id: &str,
    sync_interval_minutes: u32,
    request_timeout_seconds: u32,
) -> Result<Deployments, DeploymentConfigError> {
    Deployments::parse(
        &deployments_toml(
            base_url,
            sim,
            id,
            sync_interval_minutes,
            request_timeout_seconds,
        ),
        simulator_credentials(sim),
    )
}
