//! The Destinations pages' data and actions: where alerts go (secrets shown masked, never in
//! full), adding one (validated, SSRF-guarded outside the demo), "Send test", switching one on or
//! off, choosing whether incident events go there too, deleting it, and each destination's
//! delivery log with "resend".

use crate::error::ApiError;

use domain::Severity;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One destination on the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DestinationRow {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `slack`, `jira`, `webhook`, `syslog`.
    pub kind: String,
    /// Where it points, secrets masked.
    pub target: String,
    /// Alerts at or above this severity come here by default.
    pub default_min_severity: Option<Severity>,
    /// Incident events (opened, reopened, resolved) come here too.
    pub incident_events: bool,
    /// Jira: one issue per incident, later alerts as comments.
    pub per_incident: bool,
    /// Sent to.
    pub enabled: bool,
    /// Why it is off.
    pub disabled_reason: Option<String>,
}

/// A destination's page: it and its delivery log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DestinationView {
    /// The destination.
    pub destination: DestinationRow,
    /// Its newest deliveries.
    pub deliveries: Vec<crate::api::alerts::DeliveryRow>,
}

/// The fields of the "Add a destination" form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DestinationForm {
    /// Name (its id is made from it).
    pub name: String,
    /// `slack`, `jira`, `webhook`, `syslog`.
    pub kind: String,
    /// Slack: the incoming-webhook URL; webhook: the endpoint URL; Jira: the site URL.
    pub url: String,
    /// Webhook: the `whsec_` secret (empty: one is generated); Jira: the API token.
    pub secret: String,
    /// Jira: the project key.
    pub project_key: String,
    /// Jira: the issue type.
    pub issue_type: String,
    /// Jira: the account e-mail of the token.
    pub email: String,
    /// Syslog: host.
    pub host: String,
    /// Syslog: port.
    pub port: String,
    /// Syslog: `on` for TLS.
    pub tls: String,
    /// Syslog: `cef` or `json`.
    pub format: String,
    /// The default severity (empty: only rules that name it).
    pub default_min_severity: String,
    /// `on` for incident events (opened, reopened, resolved) as well as alerts.
    pub incident_events: String,
    /// Jira: `on` for one issue per incident.
    pub per_incident: String,
}

#[cfg(feature = "ssr")]
fn row(
    d: &store::destinations::StoredDestination,
    keys: &store::crypto::KeyRing,
) -> DestinationRow {
    let target = d
        .kind
        .parse::<delivery::DestinationKind>()
        .ok()
        .and_then(|kind| {
            let secret = d.secret(keys).ok().flatten();
            delivery::Destination::from_parts(kind, &d.settings, secret).ok()
        })
        .map(|dest| {
            let settings = dest.public_settings();
            let shown = ["url", "base_url", "host"]
                .iter()
                .find_map(|k| settings.get(*k).and_then(|v| v.as_str()).map(str::to_owned));
            match (shown, dest.masked_secret()) {
                (Some(s), Some(m)) => format!("{s} · {m}"),
                (Some(s), None) => s,
                (None, Some(m)) => m,
                (None, None) => String::new(),
            }
        })
        .unwrap_or_else(|| "(cannot be read with the current keys)".into());
    DestinationRow {
        id: d.id.clone(),
        name: d.name.clone(),
        kind: d.kind.clone(),
        target,
        default_min_severity: d.default_min_severity,
        incident_events: d.incident_events,
        per_incident: notify::route::issue_per_incident(d),
        enabled: d.enabled,
        disabled_reason: d.disabled_reason.clone(),
    }
}

/// Every destination.
#[server(endpoint = "destinations/list")]
pub async fn list_destinations() -> Result<Vec<DestinationRow>, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let all = state.store.destinations.all().await?;
    Ok(all.iter().map(|d| row(d, &state.keys)).collect())
}

/// A destination with its delivery log.
#[server(endpoint = "destinations/get")]
pub async fn get_destination(id: String) -> Result<DestinationView, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let d = state
        .store
        .destinations
        .get(&id)
        .await?
        .ok_or_else(crate::ssr::not_found)?;
    let log = state.store.deliveries.for_destination(&id, 200).await?;
    Ok(DestinationView {
        destination: row(&d, &state.keys),
        deliveries: log
            .into_iter()
            .map(crate::api::alerts::DeliveryRow::from)
            .collect(),
    })
}

/// Adds a destination from the form; returns its id.
#[server(endpoint = "destinations/add")]
pub async fn add_destination(form: DestinationForm) -> Result<String, ApiError> {
    use delivery::{Destination, SyslogFormat};
    use secrecy::SecretString;
    let user = crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(crate::ssr::bad_request(
            "a destination needs a name of 1 to 80 characters",
        ));
    }
    let secret = |s: &str| SecretString::from(s.trim().to_owned());
    let destination = match form.kind.as_str() {
        "slack" => Destination::Slack {
            webhook_url: secret(&form.url),
        },
        "webhook" => Destination::Webhook {
            url: form.url.trim().to_owned(),
            secret: if form.secret.trim().is_empty() {
                delivery::generate_webhook_secret()
            } else {
                secret(&form.secret)
            },
        },
        "jira" => Destination::Jira {
            base_url: form.url.trim().to_owned(),
            project_key: form.project_key.trim().to_owned(),
            issue_type: if form.issue_type.trim().is_empty() {
                "Task".into()
            } else {
                form.issue_type.trim().to_owned()
            },
            email: form.email.trim().to_owned(),
            api_token: secret(&form.secret),
            per_incident: form.per_incident == "on",
        },
        "syslog" => Destination::Syslog {
            host: form.host.trim().to_owned(),
            port: form.port.trim().parse().map_err(|_| {
                crate::ssr::bad_request("the syslog port must be a number such as 6514")
            })?,
            tls: form.tls == "on",
            format: if form.format == "json" {
                SyslogFormat::Json
            } else {
                SyslogFormat::Cef
            },
        },
        other => {
            return Err(crate::ssr::bad_request(format!(
                "`{other}` is not a destination kind; use slack, jira, webhook or syslog"
            )))
        }
    };
    let default_min_severity = match form.default_min_severity.trim() {
        "" => None,
        s => Some(s.parse::<Severity>().map_err(crate::ssr::bad_request)?),
    };
    let id = domain::RuleId::from_name(
        name,
        &format!("{:x}", chrono::Utc::now().timestamp_millis() % 0xffff),
    )
    .to_string();
    let added = notify::configure::add(
        &state.store,
        &state.keys,
        notify::configure::DestinationForm {
            id: id.clone(),
            name: name.to_owned(),
            destination,
            default_min_severity,
            incident_events: form.incident_events == "on",
        },
        state.destination_policy,
        &user.username,
        chrono::Utc::now(),
    )
    .await;
    match added {
        Ok(()) => {}
        Err(notify::configure::AddError::Notify(e)) => return Err(e.into()),
        Err(e) => return Err(crate::ssr::bad_request(e)),
    }
    tracing::info!(destination.id = %id, admin = %user.username, "destination added");
    leptos_axum::redirect(&format!("/destinations/{id}"));
    Ok(id)
}

/// Queues a test message to a destination; returns the delivery id.
#[server(endpoint = "destinations/test")]
pub async fn test_destination(id: String) -> Result<String, ApiError> {
    let user = crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let delivery = state.notifier.send_test(&id, chrono::Utc::now()).await?;
    tracing::info!(destination.id = %id, admin = %user.username, "test message queued");
    Ok(delivery)
}

/// Switches a destination on or off.
#[server(endpoint = "destinations/set")]
pub async fn set_destination(id: String, enabled: bool) -> Result<(), ApiError> {
    let user = crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let reason = (!enabled).then(|| format!("switched off by {}", user.username));
    if !state
        .store
        .destinations
        .set_enabled(&id, enabled, reason.as_deref())
        .await?
    {
        return Err(crate::ssr::not_found());
    }
    Ok(())
}

/// Chooses whether incident events (opened, reopened, resolved) go to a destination.
#[server(endpoint = "destinations/incident-events")]
pub async fn set_incident_events(id: String, on: bool) -> Result<(), ApiError> {
    let user = crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    if !state
        .store
        .destinations
        .set_incident_events(&id, on)
        .await?
    {
        return Err(crate::ssr::not_found());
    }
    tracing::info!(destination.id = %id, admin = %user.username, incident_events = on, "incident events chosen");
    Ok(())
}

/// Deletes a destination (its delivery log stays).
#[server(endpoint = "destinations/delete")]
pub async fn delete_destination(id: String) -> Result<(), ApiError> {
    let user = crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    if !state.store.destinations.delete(&id).await? {
        return Err(crate::ssr::not_found());
    }
    tracing::info!(destination.id = %id, admin = %user.username, "destination deleted");
    leptos_axum::redirect("/destinations");
    Ok(())
}
