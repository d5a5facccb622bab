//! The Atlassian deployments AtlasLens reads, from the TOML file named by `ATLASLENS_CONFIG`, and
//! the source streams each one yields.
//!
//! A deployment is one organization, at most one site (Jira, Confluence, JSM) and at most one
//! Bitbucket workspace; its id prefixes every event id it produces, so two sites are two
//! deployments. The file never holds a secret: each credential is the *name* of an environment
//! variable (`api_token_env = "ACME_SITE_TOKEN"`), read when the file is loaded. Base URLs are
//! configurable so the same code reads Atlassian in production and the simulator in tests.

use crate::{
    bitbucket::BitbucketActivity, confluence, jira, jsm::JsmRequests, org, Auth, Connector,
    HttpClient, RetryPolicy,
};
use chrono::{DateTime, Utc};
use domain::stream::{StreamKey, StreamKind};
use domain::{DeploymentId, Pipeline, Product};
use secrecy::SecretString;
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;
use url::Url;

/// A configuration file that cannot be used, with the reason (never a secret's value).
#[derive(Debug, thiserror::Error)]
#[error("deployment configuration: {0}")]
pub struct DeploymentConfigError(String);

/// The whole file: `[[deployment]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSchema {
    #[serde(default)]
    deployment: Vec<DeploymentSchema>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeploymentSchema {
    id: String,
    sync_interval_minutes: Option<u32>,
    overlap_minutes: Option<u32>,
    initial_lookback_days: Option<u32>,
    request_timeout_seconds: Option<u32>,
    org: Option<OrgSchema>,
    site: Option<SiteSchema>,
    bitbucket: Option<BitbucketSchema>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgSchema {
    org_id: String,
    admin_base_url: Option<String>,
    api_key_env: String,
    credential_expires: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteSchema {
    url: String,
    email: String,
    api_token_env: String,
    products: Option<Vec<String>>,
    credential_expires: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BitbucketSchema {
    workspace: String,
    api_base_url: Option<String>,
    email: String,
    api_token_env: String,
    credential_expires: Option<String>,
}

/// The organization of a deployment (Atlassian Admin API).
#[derive(Debug, Clone)]
pub struct OrgAccess {
    /// The organization id.
    pub org_id: String,
    /// `https://api.atlassian.com/admin` in production.
    pub admin_base_url: Url,
    /// The organization API key (bearer).
    pub api_key: SecretString,
    /// When the key expires, if the file says (org API keys last a week to a year).
    pub credential_expires: Option<DateTime<Utc>>,
}

/// A site (`https://<name>.atlassian.net`) with the products to read from it.
#[derive(Debug, Clone)]
pub struct SiteAccess {
    /// The site's base URL.
    pub url: Url,
    /// The account e-mail of the API token.
    pub email: String,
    /// The API token.
    pub api_token: SecretString,
    /// Which of Jira, Confluence and JSM to read.
    pub products: Vec<Product>,
    /// When the token expires, if the file says (user API tokens last at most a year).
    pub credential_expires: Option<DateTime<Utc>>,
}

/// A Bitbucket Cloud workspace.
#[derive(Debug, Clone)]
pub struct BitbucketAccess {
    /// The workspace slug.
    pub workspace: String,
    /// `https://api.bitbucket.org/2.0` in production.
    pub api_base_url: Url,
    /// The account e-mail of the API token.
    pub email: String,
    /// The API token.
    pub api_token: SecretString,
    /// When the token expires, if the file says.
    pub credential_expires: Option<DateTime<Utc>>,
}

/// One configured deployment, its credentials resolved.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// Prefix of every event id.
    pub id: DeploymentId,
    /// How often each stream is synced.
    pub sync_interval: Duration,
    /// How far before the last window's end the next window starts (late arrivals).
    pub overlap: chrono::Duration,
    /// How far back the very first sync reaches.
    pub initial_lookback: chrono::Duration,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// The organization, if connected.
    pub org: Option<OrgAccess>,
    /// The site, if connected.
    pub site: Option<SiteAccess>,
    /// The Bitbucket workspace, if connected.
    pub bitbucket: Option<BitbucketAccess>,
}

/// A stream as the Sync page lists it: runnable, or unavailable with the reason.
#[derive(Debug, Clone)]
pub struct StreamInfo {
    /// Which stream.
    pub key: StreamKey,
    /// Why it cannot be read (a Guard-only source), if so.
    pub unavailable: Option<&'static str>,
}

impl Deployment {
    /// Every stream of this deployment, runnable ones and unavailable ones.
    pub fn streams(&self) -> Vec<StreamInfo> {
        let key = |kind| StreamKey {
            deployment: self.id.clone(),
            kind,
        };
        let available = |kind| StreamInfo {
            key: key(kind),
            unavailable: None,
        };
        let mut out = Vec::new();
        if self.org.is_some() || self.site.is_some() {
            out.push(available(StreamKind::Directory));
        }
        if self.org.is_some() {
            out.push(available(StreamKind::Events(Product::Org, Pipeline::Audit)));
        }
        if let Some(site) = &self.site {
            for product in &site.products {
                let pipelines: &[Pipeline] = match product {
                    Product::Jira | Product::Confluence => &[Pipeline::Audit, Pipeline::Activity],
                    _ => &[Pipeline::Activity],
                };
                for pipeline in pipelines {
                    out.push(available(StreamKind::Events(*product, *pipeline)));
                }
            }
        }
        if self.bitbucket.is_some() {
            out.push(StreamInfo {
                key: key(StreamKind::Events(Product::Bitbucket, Pipeline::Audit)),
                unavailable: Some(crate::bitbucket::AUDIT_UNAVAILABLE),
            });
            out.push(available(StreamKind::Events(
                Product::Bitbucket,
                Pipeline::Activity,
            )));
        }
        out
    }

    /// When the credential a stream syncs with expires, if the file says: the organization's key
    /// for organization streams and the directory, the site's token for Jira, Confluence and JSM,
    /// the workspace's token for Bitbucket.
    pub fn credential_expiry(&self, key: &StreamKey) -> Option<DateTime<Utc>> {
        match key.kind {
            StreamKind::Directory | StreamKind::Events(Product::Org, _) => {
                self.org.as_ref().and_then(|o| o.credential_expires)
            }
            StreamKind::Events(Product::Bitbucket, _) => {
                self.bitbucket.as_ref().and_then(|b| b.credential_expires)
            }
            StreamKind::Events(_, _) => self.site.as_ref().and_then(|s| s.credential_expires),
        }
    }

    /// This deployment's streams that can be synced (not the Guard-only ones).
    pub fn runnable(&self) -> Vec<StreamKey> {
        self.streams()
            .into_iter()
            .filter(|s| s.unavailable.is_none())
            .map(|s| s.key)
            .collect()
    }

    fn client(&self, auth: Auth) -> HttpClient {
        HttpClient::new(auth, self.request_timeout, RetryPolicy::default())
    }

    fn site_client(&self, site: &SiteAccess) -> HttpClient {
        self.client(Auth::Basic {
            email: site.email.clone(),
            token: site.api_token.clone(),
        })
    }

    /// The connector that reads an events stream, or `None` when this deployment does not have it.
    pub fn connector(&self, product: Product, pipeline: Pipeline) -> Option<Box<dyn Connector>> {
        let site = self.site.as_ref().filter(|s| s.products.contains(&product));
        let url = |s: &SiteAccess| s.url.clone();
        Some(match (product, pipeline) {
            (Product::Org, Pipeline::Audit) => {
                let org = self.org.as_ref()?;
                Box::new(org::OrgEvents::new(
                    self.client(Auth::Bearer(org.api_key.clone())),
                    org.admin_base_url.clone(),
                    org.org_id.clone(),
                ))
            }
            (Product::Jira, Pipeline::Audit) => {
                let s = site?;
                Box::new(jira::JiraAudit::new(self.site_client(s), url(s)))
            }
            (Product::Jira, Pipeline::Activity) => {
                let s = site?;
                Box::new(jira::JiraIssues::new(self.site_client(s), url(s)))
            }
            (Product::Confluence, Pipeline::Audit) => {
                let s = site?;
                Box::new(confluence::ConfluenceAudit::new(
                    self.site_client(s),
                    url(s),
                ))
            }
            (Product::Confluence, Pipeline::Activity) => {
                let s = site?;
                Box::new(confluence::ConfluenceContent::new(
                    self.site_client(s),
                    url(s),
                ))
            }
            (Product::Jsm, Pipeline::Activity) => {
                let s = site?;
                Box::new(JsmRequests::new(self.site_client(s), url(s)))
            }
            (Product::Bitbucket, Pipeline::Activity) => {
                let b = self.bitbucket.as_ref()?;
                Box::new(BitbucketActivity::new(
                    self.client(Auth::Basic {
                        email: b.email.clone(),
                        token: b.api_token.clone(),
                    }),
                    b.api_base_url.clone(),
                    b.workspace.clone(),
                ))
            }
            _ => return None,
        })
    }

    /// The client of the organization's user list, if connected.
    pub fn org_users(&self) -> Option<org::OrgUsers> {
        let org = self.org.as_ref()?;
        Some(org::OrgUsers::new(
            self.client(Auth::Bearer(org.api_key.clone())),
            org.admin_base_url.clone(),
            org.org_id.clone(),
        ))
    }

    /// The client of the site's groups and members, if a site is connected.
    pub fn site_groups(&self) -> Option<jira::JiraGroups> {
        let site = self.site.as_ref()?;
        Some(jira::JiraGroups::new(
            self.site_client(site),
            site.url.clone(),
        ))
    }
}

/// Every configured deployment.
#[derive(Debug, Clone, Default)]
pub struct Deployments {
    /// In file order.
    pub all: Vec<Deployment>,
}

impl Deployments {
    /// Reads the file at `path`, resolving credentials with `lookup` (the process environment in
    /// production).
    ///
    /// # Errors
    /// An unreadable file, a schema error, a bad URL or id, or a credential variable that is unset.
    pub fn load(
        path: &Path,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, DeploymentConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| DeploymentConfigError(format!("cannot read {}: {e}", path.display())))?;
        Self::parse(&text, lookup)
    }

    /// Parses the file's text; see [`Deployments::load`].
    ///
    /// # Errors
    /// As [`Deployments::load`].
    pub fn parse(
        text: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, DeploymentConfigError> {
        // The parser's own message quotes the offending line, which could hold a pasted secret:
        // report only what is wrong and where.
        let file: FileSchema = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            DeploymentConfigError(match line {
                Some(n) => format!("line {n}: {}", e.message()),
                None => e.message().to_owned(),
            })
        })?;
        let mut all = Vec::new();
        for d in file.deployment {
            let deployment = resolve(d, &lookup)?;
            if all.iter().any(|o: &Deployment| o.id == deployment.id) {
                return Err(DeploymentConfigError(format!(
                    "deployment id `{}` is used twice",
                    deployment.id
                )));
            }
            all.push(deployment);
        }
        Ok(Self { all })
    }

    /// The ids of every deployment, in file order.
    pub fn ids(&self) -> Vec<DeploymentId> {
        self.all.iter().map(|d| d.id.clone()).collect()
    }

    /// The deployment with this id.
    pub fn get(&self, id: &DeploymentId) -> Option<&Deployment> {
        self.all.iter().find(|d| &d.id == id)
    }

    /// Every stream of every deployment.
    pub fn streams(&self) -> Vec<StreamInfo> {
        self.all.iter().flat_map(Deployment::streams).collect()
    }

    /// Every stream that can be synced (not the Guard-only ones).
    pub fn runnable(&self) -> Vec<StreamKey> {
        self.all.iter().flat_map(Deployment::runnable).collect()
    }

    /// Whether `key` names a runnable stream.
    pub fn is_runnable(&self, key: &StreamKey) -> bool {
        self.runnable().contains(key)
    }
}

fn resolve(
    d: DeploymentSchema,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Deployment, DeploymentConfigError> {
    let id = DeploymentId::parse(&d.id)
        .map_err(|e| DeploymentConfigError(format!("deployment id `{}`: {e}", d.id)))?;
    let ctx = |what: &str| format!("deployment `{id}`: {what}");
    let secret = |variable: &str| {
        lookup(variable)
            .filter(|v| !v.trim().is_empty())
            .map(|v| SecretString::from(v.trim().to_owned()))
            .ok_or_else(|| {
                DeploymentConfigError(ctx(&format!(
                    "the environment variable {variable} (named in the file) is not set"
                )))
            })
    };
    let url = |text: &str, field: &str| {
        let parsed = Url::parse(text.trim_end_matches('/'))
            .map_err(|e| DeploymentConfigError(ctx(&format!("{field} `{text}`: {e}"))))?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(DeploymentConfigError(ctx(&format!(
                "{field} must be an http(s) URL"
            ))));
        }
        Ok(parsed)
    };
    let expiry = |text: Option<String>, field: &str| -> Result<_, DeploymentConfigError> {
        text.map(|t| {
            t.trim()
                .parse::<chrono::NaiveDate>()
                .map(|day| day.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
                .map_err(|_| {
                    DeploymentConfigError(ctx(&format!(
                        "{field} `{t}` must be a date such as 2027-01-31"
                    )))
                })
        })
        .transpose()
    };
    let org = d
        .org
        .map(|o| -> Result<_, DeploymentConfigError> {
            Ok(OrgAccess {
                admin_base_url: url(
                    o.admin_base_url
                        .as_deref()
                        .unwrap_or("https://api.atlassian.com/admin"),
                    "org.admin_base_url",
                )?,
                api_key: secret(&o.api_key_env)?,
                credential_expires: expiry(o.credential_expires, "org.credential_expires")?,
                org_id: o.org_id,
            })
        })
        .transpose()?;
    let site = d
        .site
        .map(|s| -> Result<_, DeploymentConfigError> {
            let products = match s.products {
                None => vec![Product::Jira, Product::Confluence, Product::Jsm],
                Some(names) => names
                    .iter()
                    .map(|n| match n.parse::<Product>() {
                        Ok(p @ (Product::Jira | Product::Confluence | Product::Jsm)) => Ok(p),
                        _ => Err(DeploymentConfigError(ctx(&format!(
                            "site.products: `{n}` is not one of jira, confluence, jsm"
                        )))),
                    })
                    .collect::<Result<_, _>>()?,
            };
            Ok(SiteAccess {
                url: url(&s.url, "site.url")?,
                api_token: secret(&s.api_token_env)?,
                credential_expires: expiry(s.credential_expires, "site.credential_expires")?,
                email: s.email,
                products,
            })
        })
        .transpose()?;
    let bitbucket = d
        .bitbucket
        .map(|b| -> Result<_, DeploymentConfigError> {
            Ok(BitbucketAccess {
                api_base_url: url(
                    b.api_base_url
                        .as_deref()
                        .unwrap_or("https://api.bitbucket.org/2.0"),
                    "bitbucket.api_base_url",
                )?,
                api_token: secret(&b.api_token_env)?,
                credential_expires: expiry(b.credential_expires, "bitbucket.credential_expires")?,
                email: b.email,
                workspace: b.workspace,
            })
        })
        .transpose()?;
    Ok(Deployment {
        sync_interval: Duration::from_secs(
            u64::from(d.sync_interval_minutes.unwrap_or(15).max(1)) * 60,
        ),
        overlap: chrono::Duration::minutes(i64::from(d.overlap_minutes.unwrap_or(10))),
        initial_lookback: chrono::Duration::days(i64::from(
            d.initial_lookback_days.unwrap_or(30).max(1),
        )),
        request_timeout: Duration::from_secs(u64::from(
            d.request_timeout_seconds.unwrap_or(30).clamp(1, 600),
        )),
        id,
        org,
        site,
        bitbucket,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../../deployments.example.toml");

    fn env(name: &str) -> Option<String> {
        name.ends_with("_TOKEN")
            .then(|| "token".to_owned())
            .or_else(|| name.ends_with("_KEY").then(|| "key".to_owned()))
    }

    #[test]
    fn the_example_file_parses_and_lists_every_stream() {
        let d = Deployments::parse(EXAMPLE, env).unwrap();
        let keys: Vec<String> = d.streams().iter().map(|s| s.key.to_string()).collect();
        assert!(keys.contains(&"acme/org/audit".to_owned()), "{keys:?}");
        assert!(keys.contains(&"acme/jira/activity".to_owned()));
        assert!(keys.contains(&"acme/directory".to_owned()));
        let bb_audit = d
            .streams()
            .into_iter()
            .find(|s| s.key.to_string() == "acme/bitbucket/audit")
            .unwrap();
        assert!(bb_audit.unavailable.is_some());
    }

    #[test]
    fn a_missing_secret_variable_is_named_without_a_value() {
        let err = Deployments::parse(EXAMPLE, |_| None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("is not set"), "{err}");
    }

    #[test]
    fn credential_expiry_dates_belong_to_the_streams_that_use_them() {
        let text = "[[deployment]]\nid = \"x\"\n[deployment.org]\norg_id = \"o\"\napi_key_env = \"X_KEY\"\ncredential_expires = \"2027-01-31\"\n[deployment.site]\nurl = \"https://x.atlassian.net\"\nemail = \"a@x\"\napi_token_env = \"X_TOKEN\"\n";
        let d = Deployments::parse(text, env).unwrap();
        let dep = &d.all[0];
        let org = "x/org/audit".parse::<StreamKey>().unwrap();
        let jira = "x/jira/audit".parse::<StreamKey>().unwrap();
        assert_eq!(
            dep.credential_expiry(&org).map(|t| t.to_rfc3339()),
            Some("2027-01-31T00:00:00+00:00".to_owned())
        );
        assert_eq!(dep.credential_expiry(&jira), None);
        let bad = text.replace("2027-01-31", "next year");
        let err = Deployments::parse(&bad, env).unwrap_err().to_string();
        assert!(err.contains("org.credential_expires"), "{err}");
    }

    #[test]
    fn unknown_fields_and_literal_secrets_are_refused() {
        let text = "[[deployment]]\nid = \"x\"\n[deployment.org]\norg_id = \"o\"\napi_key = \"sekrit\"\napi_key_env = \"K\"\n";
        let err = Deployments::parse(text, env).unwrap_err().to_string();
        assert!(err.contains("api_key"), "{err}");
        assert!(!err.contains("sekrit"), "{err}");
    }
}
