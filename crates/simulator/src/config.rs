//! What a simulator serves: the seed and size of its data, the deployments it impersonates with
//! their credentials, the clock anchor, and the faults it injects.
//!
//! Every struct deserialises with defaults for missing fields, so a CLI or a test can give only
//! what it changes (`{"people": 200}`) and `POST /_sim/faults` takes a partial fault set.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// The whole configuration of one simulator. The same value always produces the same data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimConfig {
    /// Seeds every random choice.
    pub seed: u64,
    /// People in the organization.
    pub people: usize,
    /// Teams (`team-<name>` groups).
    pub teams: usize,
    /// Days of history before the anchor (one more day after it is generated for the clock to reach).
    pub days: u32,
    /// Records per day, across all products and sites.
    pub events_per_day: u32,
    /// The organization id of the admin API.
    pub org_id: String,
    /// The organization API key (`Bearer`).
    pub org_api_key: String,
    /// The Jira/Confluence/JSM sites.
    pub sites: Vec<SiteConfig>,
    /// The Bitbucket workspace.
    pub bitbucket: BitbucketConfig,
    /// The instant the clock starts at; data covers `[anchor − days, anchor + 1 day)`.
    pub anchor: DateTime<Utc>,
    /// Faults injected from the start (changeable at run time).
    pub faults: Faults,
}

impl Default for SimConfig {
    fn default() -> Self {
        let now = Utc::now();
        Self {
            seed: 1,
            people: 40,
            teams: 6,
            days: 14,
            events_per_day: 400,
            org_id: "acme-org".into(),
            org_api_key: "sim-org-api-key".into(),
            sites: vec![SiteConfig::default()],
            bitbucket: BitbucketConfig::default(),
            anchor: now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now),
            faults: Faults::default(),
        }
    }
}

/// One Atlassian site (`https://<name>.atlassian.net`), served at `/site/<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteConfig {
    /// The site name (`acme` for `acme.atlassian.net`).
    pub name: String,
    /// The e-mail of the API user.
    pub email: String,
    /// The API token of that user.
    pub api_token: String,
}

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            name: "acme".into(),
            email: "sync@acme.example".into(),
            api_token: "sim-site-token".into(),
        }
    }
}

/// The Bitbucket workspace, served at `/bitbucket/2.0`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BitbucketConfig {
    /// The workspace slug.
    pub workspace: String,
    /// The e-mail of the API user.
    pub email: String,
    /// The API token of that user.
    pub api_token: String,
}

impl Default for BitbucketConfig {
    fn default() -> Self {
        Self {
            workspace: "acme".into(),
            email: "sync@acme.example".into(),
            api_token: "sim-bitbucket-token".into(),
        }
    }
}

/// Injected faults (docs/simulator.md §6). The default injects none. Every random choice is
/// derived from the seed and a request or record number, so a run is reproducible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Every Nth API request starts a burst of `429`s.
    pub rate_limit_every: Option<u32>,
    /// Length of each `429` burst.
    pub rate_limit_burst: u32,
    /// Fraction of API requests answering `500`, `502` or `503`.
    pub error_rate: f64,
    /// Delay added to every API response, in milliseconds.
    pub slow_ms: u64,
    /// Fraction of API requests that never answer.
    pub hang_rate: f64,
    /// One record per source stream has an unreadable time.
    pub malformed: bool,
    /// The last record of each page is served again as the first of the next.
    pub duplicate_across_pages: bool,
    /// Fraction of records that become visible only `late_delay_s` after they occurred.
    pub late_rate: f64,
    /// How late late records are, in seconds.
    pub late_delay_s: u64,
    /// Every credential is refused with `401`, as after a token is revoked.
    pub reject_credentials: bool,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            rate_limit_every: None,
            rate_limit_burst: 3,
            error_rate: 0.0,
            slow_ms: 0,
            hang_rate: 0.0,
            malformed: false,
            duplicate_across_pages: false,
            late_rate: 0.0,
            late_delay_s: 300,
            reject_credentials: false,
        }
    }
}
