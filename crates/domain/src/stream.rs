//! Streams: what one sync run reads, named the same way everywhere (the `sync_state` id, the sync
//! job's payload and labels, the Sync page and the CLI): `acme/jira/audit`, `acme/directory`.

use crate::{DeploymentId, Pipeline, Product};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A string that is not a stream key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a connector name (expected deployment/product/pipeline or deployment/directory)"
)]
pub struct BadStreamKey(String);

/// What a stream reads: one (product, pipeline) of events, or the directory of people and groups
/// that identity resolution and team mapping need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StreamKind {
    /// Events of one product and pipeline.
    Events(Product, Pipeline),
    /// Organization users and groups.
    Directory,
}

/// Names one stream of one deployment: `acme/jira/audit`, `acme/directory`. Used as the
/// `sync_state` id, the job's connector label and the "at most one run at a time" key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamKey {
    /// The deployment.
    pub deployment: DeploymentId,
    /// The stream.
    pub kind: StreamKind,
}

impl fmt::Display for StreamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            StreamKind::Events(product, pipeline) => {
                write!(f, "{}/{product}/{pipeline}", self.deployment)
            }
            StreamKind::Directory => write!(f, "{}/directory", self.deployment),
        }
    }
}

impl FromStr for StreamKey {
    type Err = BadStreamKey;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadStreamKey(s.chars().take(64).collect());
        let parts: Vec<&str> = s.split('/').collect();
        let deployment = DeploymentId::parse(parts[0]).map_err(|_| bad())?;
        let kind = match parts[1..] {
            ["directory"] => StreamKind::Directory,
            [product, pipeline] => StreamKind::Events(
                product.parse().map_err(|_| bad())?,
                pipeline.parse().map_err(|_| bad())?,
            ),
            _ => return Err(bad()),
        };
        Ok(Self { deployment, kind })
    }
}

impl Serialize for StreamKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for StreamKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_keys_round_trip_and_reject_garbage() {
        for text in [
            "acme/jira/audit",
            "acme/directory",
            "eu-1/bitbucket/activity",
        ] {
            assert_eq!(text.parse::<StreamKey>().unwrap().to_string(), text);
        }
        for bad in [
            "acme",
            "acme/jira",
            "acme/nope/audit",
            "Acme/jira/audit",
            "a/b/c/d",
        ] {
            assert!(bad.parse::<StreamKey>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_stream_key_travels_as_its_name() {
        let key: StreamKey = "acme/jira/audit".parse().unwrap();
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(json, "\"acme/jira/audit\"");
        assert_eq!(serde_json::from_str::<StreamKey>(&json).unwrap(), key);
        assert!(serde_json::from_str::<StreamKey>("\"acme/nope/audit\"").is_err());
    }
}
