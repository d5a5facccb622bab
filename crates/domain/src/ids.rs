//! Identifiers. Each is a newtype with a private field and a validating constructor, so an id that
//! exists is well formed. `EventId` is the natural key `<deployment>:<product>:<source_id>` that
//! makes re-ingesting a record a no-op.

use crate::vocabulary::Product;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Why a string was refused as an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The input was empty.
    #[error("{kind} must not be empty")]
    Empty {
        /// Which identifier.
        kind: &'static str,
    },
    /// The input was longer than allowed.
    #[error("{kind} is longer than {max} characters")]
    TooLong {
        /// Which identifier.
        kind: &'static str,
        /// The limit.
        max: usize,
    },
    /// The input contained a character the identifier does not allow.
    #[error("{kind} contains a character that is not allowed: {found:?}")]
    BadCharacter {
        /// Which identifier.
        kind: &'static str,
        /// The first offending character.
        found: char,
    },
    /// The input did not have the identifier's shape.
    #[error("{kind} is malformed: {reason}")]
    Malformed {
        /// Which identifier.
        kind: &'static str,
        /// What is wrong.
        reason: String,
    },
}

fn check(
    kind: &'static str,
    s: &str,
    max: usize,
    allowed: impl Fn(char) -> bool,
) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if s.chars().count() > max {
        return Err(IdError::TooLong { kind, max });
    }
    match s.chars().find(|c| !allowed(*c)) {
        Some(found) => Err(IdError::BadCharacter { kind, found }),
        None => Ok(()),
    }
}

fn is_slug_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
}

/// Implements the string plumbing shared by every id newtype.
macro_rules! string_id {
    ($name:ident) => {
        impl $name {
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

/// One configured Atlassian deployment (a site or an organization): a lowercase slug such as
/// `acme` or `acme-eu`, chosen by the operator. It prefixes every event id it produces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeploymentId(String);
string_id!(DeploymentId);

impl DeploymentId {
    /// Parses a deployment slug: 1–40 of `a-z 0-9 - _`.
    ///
    /// # Errors
    /// Any other input.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        check("deployment id", s, 40, is_slug_char)?;
        Ok(Self(s.to_owned()))
    }
}

/// The record's own id in its source system (an audit record id, an issue changelog id, a commit
/// hash…). Any printable text without `\0` or control characters, up to 256 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SourceId(String);
string_id!(SourceId);

impl SourceId {
    /// Parses a source id.
    ///
    /// # Errors
    /// Empty, longer than 256 characters, or containing control characters.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        check("source id", s, 256, |c| !c.is_control())?;
        Ok(Self(s.to_owned()))
    }
}

/// The natural key of an event: `<deployment>:<product>:<source_id>`. Two fetches of the same
/// source record always produce the same `EventId`, which is what makes ingestion idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventId(String);
string_id!(EventId);

impl EventId {
    /// Builds the id of a source record.
    pub fn new(deployment: &DeploymentId, product: Product, source: &SourceId) -> Self {
        Self(format!("{deployment}:{product}:{source}"))
    }

    /// Parses a stored or linked event id, checking each of its three parts.
    ///
    /// # Errors
    /// When a part is missing or invalid.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let malformed = |reason: &str| IdError::Malformed {
            kind: "event id",
            reason: reason.to_owned(),
        };
        let mut parts = s.splitn(3, ':');
        let (Some(dep), Some(product), Some(source)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("expected <deployment>:<product>:<source id>"));
        };
        DeploymentId::parse(dep)?;
        product
            .parse::<Product>()
            .map_err(|e| malformed(&e.to_string()))?;
        SourceId::parse(source)?;
        Ok(Self(s.to_owned()))
    }
}

/// A canonical person: every product account of one human resolves to the same `PersonId`,
/// written `person:<key>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonId(String);
string_id!(PersonId);

impl PersonId {
    /// Parses `person:<key>` where the key is 1–64 of `a-z 0-9 - _`.
    ///
    /// # Errors
    /// Any other input.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let key = s
            .strip_prefix("person:")
            .ok_or_else(|| IdError::Malformed {
                kind: "person id",
                reason: "must start with `person:`".into(),
            })?;
        check("person id", key, 64, is_slug_char)?;
        Ok(Self(s.to_owned()))
    }
}

/// A canonical team, which organization groups map onto: `team:<key>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TeamId(String);
string_id!(TeamId);

impl TeamId {
    /// Parses `team:<key>` where the key is 1–64 of `a-z 0-9 - _`.
    ///
    /// # Errors
    /// Any other input.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let key = s.strip_prefix("team:").ok_or_else(|| IdError::Malformed {
            kind: "team id",
            reason: "must start with `team:`".into(),
        })?;
        check("team id", key, 64, is_slug_char)?;
        Ok(Self(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_id_joins_deployment_product_and_source() {
        let id = EventId::new(
            &DeploymentId::parse("acme").unwrap(),
            Product::Jira,
            &SourceId::parse("10042").unwrap(),
        );
        assert_eq!(id.as_str(), "acme:jira:10042");
        assert_eq!(EventId::parse("acme:jira:10042").unwrap(), id);
    }

    #[test]
    fn source_ids_may_contain_colons_and_unicode() {
        let id = EventId::parse("acme:bitbucket:repo:abc123:Ünïcode").unwrap();
        assert_eq!(id.as_str(), "acme:bitbucket:repo:abc123:Ünïcode");
    }

    #[test]
    fn malformed_event_ids_are_refused() {
        assert!(EventId::parse("acme:jira").is_err());
        assert!(EventId::parse("Acme:jira:1").is_err());
        assert!(EventId::parse("acme:github:1").is_err());
        assert!(EventId::parse("acme:jira:").is_err());
    }

    #[test]
    fn deployment_ids_are_lowercase_slugs() {
        assert!(DeploymentId::parse("acme-eu_2").is_ok());
        assert_eq!(
            DeploymentId::parse("acme eu"),
            Err(IdError::BadCharacter {
                kind: "deployment id",
                found: ' '
            })
        );
        assert!(DeploymentId::parse(&"a".repeat(41)).is_err());
    }

    #[test]
    fn person_and_team_ids_carry_their_prefix() {
        assert!(PersonId::parse("person:0042").is_ok());
        assert!(PersonId::parse("0042").is_err());
        assert!(TeamId::parse("team:platform").is_ok());
        assert!(TeamId::parse("team:").is_err());
    }

    #[test]
    fn ids_deserialise_through_validation() {
        let ok: Result<PersonId, _> = serde_json::from_str("\"person:7\"");
        assert!(ok.is_ok());
        let bad: Result<PersonId, _> = serde_json::from_str("\"someone\"");
        assert!(bad.is_err());
    }
}
