//! Where notifications go, with each kind's settings, and how the lead stores them.
//!
//! A [`Destination`] is split for storage into public settings ([`Destination::public_settings`],
//! JSON the settings page may show) and at most one secret ([`Destination::secret`], which the
//! store seals), and rebuilt with [`Destination::from_parts`]. The secret of each kind is the one
//! value that lets anyone post as us: the Slack webhook URL (its path is the credential), the
//! Jira API token, the webhook signing secret. Syslog has none.
//!
//! Secrets are [`SecretString`]s: `Debug` never prints them and [`Destination::masked_secret`]
//! gives the UI a recognisable tail (`whsec_…X9aQ`) instead.
//!
//! [`Destination::validate`] is the edge check, run when an administrator saves a destination:
//! URLs must be http(s) and, under the production [`UrlPolicy`], reach public addresses only;
//! the webhook secret must be well formed; Jira needs a project key, an issue type and an e-mail.

use crate::guard::{self, GuardError, UrlPolicy};
use crate::syslog::SyslogFormat;
use crate::webhook::{self, SecretError};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::fmt;
use std::str::FromStr;

/// The kinds of destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DestinationKind {
    /// A Slack incoming webhook.
    Slack,
    /// Jira Cloud issue creation.
    Jira,
    /// A Standard Webhooks endpoint.
    Webhook,
    /// A syslog collector.
    Syslog,
}

impl DestinationKind {
    /// Every kind.
    pub const ALL: [DestinationKind; 4] = [
        DestinationKind::Slack,
        DestinationKind::Jira,
        DestinationKind::Webhook,
        DestinationKind::Syslog,
    ];

    /// The stored name (`slack`, `jira`, `webhook`, `syslog`).
    pub const fn as_str(self) -> &'static str {
        match self {
            DestinationKind::Slack => "slack",
            DestinationKind::Jira => "jira",
            DestinationKind::Webhook => "webhook",
            DestinationKind::Syslog => "syslog",
        }
    }
}

impl fmt::Display for DestinationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DestinationKind {
    type Err = DestinationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DestinationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| DestinationError::UnknownKind(s.to_owned()))
    }
}

/// A destination and its settings.
#[derive(Clone)]
pub enum Destination {
    /// A Slack incoming webhook.
    Slack {
        /// `https://hooks.slack.com/services/T…/B…/…`; the path is the credential.
        webhook_url: SecretString,
    },
    /// Jira Cloud issue creation.
    Jira {
        /// The site, e.g. `https://acme.atlassian.net`.
        base_url: String,
        /// The project issues are created in, e.g. `SEC`.
        project_key: String,
        /// The issue type's name, e.g. `Task`.
        issue_type: String,
        /// The account the API token belongs to.
        email: String,
        /// The account's API token.
        api_token: SecretString,
        /// Whether an incident gets one issue (made by its `incident.opened` notification) and
        /// later alerts, reopenings and resolutions become comments on it.
        per_incident: bool,
    },
    /// A Standard Webhooks endpoint.
    Webhook {
        /// Where to post.
        url: String,
        /// `whsec_` + base64 of the signing key.
        secret: SecretString,
    },
    /// A syslog collector.
    Syslog {
        /// Host name or IP address.
        host: String,
        /// TCP port (6514 is usual for TLS, 514 or 601 for plain TCP).
        port: u16,
        /// Whether to wrap the connection in TLS.
        tls: bool,
        /// What the messages carry.
        format: SyslogFormat,
    },
}

/// A destination that cannot be built or is not acceptable.
#[derive(Debug, thiserror::Error)]
pub enum DestinationError {
    /// Not one of the kinds.
    #[error("`{0}` is not a kind of destination (slack, jira, webhook or syslog)")]
    UnknownKind(String),
    /// The stored settings do not fit the kind.
    #[error("the stored {kind} settings cannot be read: {source}")]
    Settings {
        /// The kind being rebuilt.
        kind: DestinationKind,
        /// What serde said.
        source: serde_json::Error,
    },
    /// The kind needs a secret and none was given.
    #[error("a {kind} destination needs its {what}; enter it again")]
    MissingSecret {
        /// The kind being rebuilt.
        kind: DestinationKind,
        /// Which secret, in words.
        what: &'static str,
    },
    /// A required setting is empty or malformed.
    #[error("{setting}: {problem}")]
    Invalid {
        /// The setting, as the form labels it.
        setting: &'static str,
        /// What is wrong and what to do.
        problem: String,
    },
    /// A URL or host was refused.
    #[error("{setting}: {source}")]
    Address {
        /// The setting, as the form labels it.
        setting: &'static str,
        /// Why it was refused.
        source: GuardError,
    },
    /// The webhook secret is malformed.
    #[error("webhook secret: {0}")]
    Secret(#[from] SecretError),
}

#[derive(Deserialize)]
struct JiraSettings {
    base_url: String,
    project_key: String,
    issue_type: String,
    email: String,
    #[serde(default)]
    per_incident: bool,
}

#[derive(Deserialize)]
struct WebhookSettings {
    url: String,
}

#[derive(Deserialize)]
struct SyslogSettings {
    host: String,
    port: u16,
    #[serde(default)]
    tls: bool,
    format: SyslogFormat,
}

/// The last four characters of a secret, with `…` before them (all of it hidden when short).
fn tail(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 12 {
        return "…".to_owned();
    }
    let last: String = chars[chars.len() - 4..].iter().collect();
    format!("…{last}")
}

/// A URL with its path hidden but for the first segment, one character of the next and the last
/// four: `https://hooks.slack.com/services/T…/…abcd`.
fn mask_url(raw: &str) -> String {
    let Ok(url) = url::Url::parse(raw) else {
        return tail(raw);
    };
    let host = url.host_str().unwrap_or_default();
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).collect())
        .unwrap_or_default();
    match segments.as_slice() {
        [first, second, ..] => {
            let initial: String = second.chars().take(1).collect();
            format!("{}://{host}/{first}/{initial}…/{}", url.scheme(), tail(raw))
        }
        _ => format!("{}://{host}/{}", url.scheme(), tail(raw)),
    }
}

/// Whether a stored destination of `kind` with the public `settings` keeps one Jira issue per
/// incident: what queueing needs to know without opening the secret.
pub fn issue_per_incident(kind: DestinationKind, settings: &Value) -> bool {
    kind == DestinationKind::Jira
        && settings
            .get("per_incident")
            .and_then(Value::as_bool)
            .unwrap_or(false)
}

impl Destination {
    /// Which kind it is.
    pub const fn kind(&self) -> DestinationKind {
        match self {
            Destination::Slack { .. } => DestinationKind::Slack,
            Destination::Jira { .. } => DestinationKind::Jira,
            Destination::Webhook { .. } => DestinationKind::Webhook,
            Destination::Syslog { .. } => DestinationKind::Syslog,
        }
    }

    /// The settings without the secret, as JSON to store and show.
    pub fn public_settings(&self) -> Value {
        match self {
            Destination::Slack { .. } => json!({}),
            Destination::Jira {
                base_url,
                project_key,
                issue_type,
                email,
                per_incident,
                ..
            } => json!({
                "base_url": base_url,
                "project_key": project_key,
                "issue_type": issue_type,
                "email": email,
                "per_incident": per_incident,
            }),
            Destination::Webhook { url, .. } => json!({ "url": url }),
            Destination::Syslog {
                host,
                port,
                tls,
                format,
            } => json!({ "host": host, "port": port, "tls": tls, "format": format }),
        }
    }

    /// The one secret of the destination, to be sealed by the store (none for syslog).
    pub fn secret(&self) -> Option<&SecretString> {
        match self {
            Destination::Slack { webhook_url } => Some(webhook_url),
            Destination::Jira { api_token, .. } => Some(api_token),
            Destination::Webhook { secret, .. } => Some(secret),
            Destination::Syslog { .. } => None,
        }
    }

    /// The secret as the UI may show it: `https://hooks.slack.com/services/T…/…abcd`,
    /// `whsec_…X9aQ`, `…wxyz` for a Jira token; `None` for syslog.
    pub fn masked_secret(&self) -> Option<String> {
        let secret = self.secret()?.expose_secret();
        Some(match self {
            Destination::Slack { .. } => mask_url(secret),
            Destination::Webhook { .. } => format!("{}{}", webhook::SECRET_PREFIX, tail(secret)),
            _ => tail(secret),
        })
    }

    /// Rebuilds a destination from what [`Self::public_settings`] and [`Self::secret`] gave.
    /// Nothing is validated here beyond the shape; call [`Self::validate`] on input from people.
    ///
    /// # Errors
    /// [`DestinationError::Settings`] when the settings do not fit the kind,
    /// [`DestinationError::MissingSecret`] when a secret is needed and absent.
    pub fn from_parts(
        kind: DestinationKind,
        settings: &Value,
        secret: Option<SecretString>,
    ) -> Result<Destination, DestinationError> {
        let read = |e| DestinationError::Settings { kind, source: e };
        let need = |what| DestinationError::MissingSecret { kind, what };
        Ok(match kind {
            DestinationKind::Slack => Destination::Slack {
                webhook_url: secret.ok_or_else(|| need("webhook URL"))?,
            },
            DestinationKind::Jira => {
                let s: JiraSettings = serde_json::from_value(settings.clone()).map_err(read)?;
                Destination::Jira {
                    base_url: s.base_url,
                    project_key: s.project_key,
                    issue_type: s.issue_type,
                    email: s.email,
                    api_token: secret.ok_or_else(|| need("API token"))?,
                    per_incident: s.per_incident,
                }
            }
            DestinationKind::Webhook => {
                let s: WebhookSettings = serde_json::from_value(settings.clone()).map_err(read)?;
                Destination::Webhook {
                    url: s.url,
                    secret: secret.ok_or_else(|| need("signing secret"))?,
                }
            }
            DestinationKind::Syslog => {
                let s: SyslogSettings = serde_json::from_value(settings.clone()).map_err(read)?;
                Destination::Syslog {
                    host: s.host,
                    port: s.port,
                    tls: s.tls,
                    format: s.format,
                }
            }
        })
    }

    /// Checks the settings an administrator entered: URLs and hosts against `policy` (resolving
    /// names), the webhook secret's form, and the Jira and syslog fields.
    ///
    /// # Errors
    /// The first problem found, with the setting named and what to do.
    pub async fn validate(&self, policy: UrlPolicy) -> Result<(), DestinationError> {
        let address = |setting| move |source| DestinationError::Address { setting, source };
        match self {
            Destination::Slack { webhook_url } => {
                guard::check_url(webhook_url.expose_secret(), policy)
                    .await
                    .map_err(address("Slack webhook URL"))?;
            }
            Destination::Jira {
                base_url,
                project_key,
                issue_type,
                email,
                api_token,
                ..
            } => {
                guard::check_url(base_url, policy)
                    .await
                    .map_err(address("Jira site URL"))?;
                let key_ok = project_key
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_uppercase())
                    && project_key
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                if !key_ok {
                    return Err(DestinationError::Invalid {
                        setting: "Jira project key",
                        problem: format!(
                            "`{project_key}` is not a project key; use the key shown in the \
                             project's issue keys, e.g. SEC for SEC-12"
                        ),
                    });
                }
                if issue_type.trim().is_empty() {
                    return Err(DestinationError::Invalid {
                        setting: "Jira issue type",
                        problem: "enter the name of an issue type of the project, e.g. Task"
                            .to_owned(),
                    });
                }
                if !email.contains('@') {
                    return Err(DestinationError::Invalid {
                        setting: "Jira account e-mail",
                        problem: "enter the e-mail of the account the API token belongs to"
                            .to_owned(),
                    });
                }
                if api_token.expose_secret().trim().is_empty() {
                    return Err(DestinationError::Invalid {
                        setting: "Jira API token",
                        problem: "enter an API token made at id.atlassian.com for that account"
                            .to_owned(),
                    });
                }
            }
            Destination::Webhook { url, secret } => {
                guard::check_url(url, policy)
                    .await
                    .map_err(address("webhook URL"))?;
                webhook::decode_secret(secret)?;
            }
            Destination::Syslog { host, port, .. } => {
                if *port == 0 {
                    return Err(DestinationError::Invalid {
                        setting: "syslog port",
                        problem: "enter the collector's TCP port (6514 for TLS, 514 or 601 \
                                  for plain TCP)"
                            .to_owned(),
                    });
                }
                guard::check_host(host, *port, policy)
                    .await
                    .map_err(address("syslog host"))?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let masked = self.masked_secret();
        let mut d = f.debug_struct(self.kind().as_str());
        match self {
            Destination::Slack { .. } => {
                d.field("webhook_url", &masked);
            }
            Destination::Jira {
                base_url,
                project_key,
                issue_type,
                email,
                per_incident,
                ..
            } => {
                d.field("base_url", base_url)
                    .field("project_key", project_key)
                    .field("issue_type", issue_type)
                    .field("email", email)
                    .field("api_token", &masked)
                    .field("per_incident", per_incident);
            }
            Destination::Webhook { url, .. } => {
                d.field("url", url).field("secret", &masked);
            }
            Destination::Syslog {
                host,
                port,
                tls,
                format,
            } => {
                d.field("host", host)
                    .field("port", port)
                    .field("tls", tls)
                    .field("format", format);
            }
        }
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLACK: &str =
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXabcd";
    const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaX9aQ";

    fn all() -> Vec<Destination> {
        vec![
            Destination::Slack {
                webhook_url: SecretString::from(SLACK),
            },
            Destination::Jira {
                base_url: "https://acme.atlassian.net".to_owned(),
                project_key: "SEC".to_owned(),
                issue_type: "Task".to_owned(),
                email: "bot@acme.example".to_owned(),
                api_token: SecretString::from("ATATT3xFfGF0-very-secret-token-wxyz"),
                per_incident: true,
            },
            Destination::Webhook {
                url: "https://siem.example.com/hook".to_owned(),
                secret: SecretString::from(WHSEC),
            },
            Destination::Syslog {
                host: "siem.example.com".to_owned(),
                port: 6514,
                tls: true,
                format: SyslogFormat::Cef,
            },
        ]
    }

    #[test]
    fn debug_never_prints_a_secret() {
        for d in all() {
            let text = format!("{d:?}");
            if let Some(secret) = d.secret() {
                assert!(!text.contains(secret.expose_secret()), "{text}");
            }
            assert!(
                !text.contains("very-secret") && !text.contains("XXXXXXXX"),
                "{text}"
            );
        }
    }

    #[test]
    fn secrets_are_masked_for_the_ui() {
        let masked: Vec<Option<String>> = all().iter().map(Destination::masked_secret).collect();
        assert_eq!(
            masked,
            [
                Some("https://hooks.slack.com/services/T…/…abcd".to_owned()),
                Some("…wxyz".to_owned()),
                Some("whsec_…X9aQ".to_owned()),
                None,
            ]
        );
    }

    #[test]
    fn public_settings_hold_no_secret_and_rebuild_the_destination() {
        for d in all() {
            let settings = d.public_settings();
            if let Some(secret) = d.secret() {
                assert!(!settings.to_string().contains(secret.expose_secret()));
            }
            let back = Destination::from_parts(d.kind(), &settings, d.secret().cloned()).unwrap();
            assert_eq!(format!("{back:?}"), format!("{d:?}"));
            assert_eq!(back.public_settings(), settings);
        }
    }

    #[test]
    fn one_issue_per_incident_is_read_from_public_settings_and_defaults_to_off() {
        let jira = all().remove(1);
        assert!(issue_per_incident(
            DestinationKind::Jira,
            &jira.public_settings()
        ));
        let old = json!({"base_url": "https://x", "project_key": "SEC", "issue_type": "Task",
            "email": "a@b"});
        assert!(!issue_per_incident(DestinationKind::Jira, &old));
        let back = Destination::from_parts(
            DestinationKind::Jira,
            &old,
            Some(SecretString::from("token")),
        )
        .unwrap();
        assert!(matches!(
            back,
            Destination::Jira {
                per_incident: false,
                ..
            }
        ));
    }

    #[test]
    fn rebuilding_without_the_secret_says_which_one_is_missing() {
        let err =
            Destination::from_parts(DestinationKind::Webhook, &json!({"url": "https://x"}), None)
                .unwrap_err();
        assert_eq!(
            err.to_string(),
            "a webhook destination needs its signing secret; enter it again"
        );
        let err = Destination::from_parts(DestinationKind::Syslog, &json!({"host": 1}), None)
            .unwrap_err();
        assert!(matches!(err, DestinationError::Settings { .. }), "{err}");
    }

    #[test]
    fn kinds_read_back_from_their_names() {
        for k in DestinationKind::ALL {
            assert_eq!(k.as_str().parse::<DestinationKind>().unwrap(), k);
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert!("email".parse::<DestinationKind>().is_err());
    }

    #[tokio::test]
    async fn jira_settings_are_checked_with_what_to_do() {
        let mut d = all().remove(1);
        if let Destination::Jira { project_key, .. } = &mut d {
            *project_key = "sec team".to_owned();
        }
        let err = d.validate(UrlPolicy::allow_private()).await.unwrap_err();
        assert!(
            err.to_string().starts_with("Jira project key: `sec team`"),
            "{err}"
        );
    }
}
