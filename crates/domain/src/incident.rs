//! What an incident is: the states it moves through and which moves are allowed, how an alert
//! chooses the incident it joins (its correlation key, per the rule's [`Correlation`]), how it is
//! classified when resolved, and its title in words. The server enforces these rules; the pages
//! use them to offer only the moves that can succeed.

use crate::rule::Field;
use crate::vocabulary::Severity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Where an incident stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    /// Opened by correlation; nobody has looked.
    Triggered,
    /// Acknowledged by someone.
    Open,
    /// Assigned to an administrator, who is named on it.
    Investigating,
    /// Classified, with a resolution note.
    Resolved,
    /// Final: never edited or reopened again.
    Closed,
}

impl IncidentState {
    /// Every state, in lifecycle order (also the order lists show them in).
    pub const ALL: [IncidentState; 5] = [
        IncidentState::Triggered,
        IncidentState::Open,
        IncidentState::Investigating,
        IncidentState::Resolved,
        IncidentState::Closed,
    ];

    /// The states in which new alerts join the incident.
    pub const ACTIVE: [IncidentState; 3] = [
        IncidentState::Triggered,
        IncidentState::Open,
        IncidentState::Investigating,
    ];

    /// The stored and displayed name.
    pub const fn as_str(self) -> &'static str {
        match self {
            IncidentState::Triggered => "triggered",
            IncidentState::Open => "open",
            IncidentState::Investigating => "investigating",
            IncidentState::Resolved => "resolved",
            IncidentState::Closed => "closed",
        }
    }

    /// Whether new alerts with its key join it.
    pub fn is_active(self) -> bool {
        Self::ACTIVE.contains(&self)
    }
}

impl fmt::Display for IncidentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IncidentState {
    type Err = crate::UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IncidentState::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| crate::UnknownValue {
                vocabulary: "incident state",
                value: s.to_owned(),
            })
    }
}

/// What a resolved incident turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// Malicious or unwanted activity, confirmed.
    TruePositive,
    /// Real activity that the rule was right to flag, but authorised (a planned migration).
    BenignTruePositive,
    /// The rule flagged something that did not happen as it thought.
    FalsePositive,
    /// Not enough evidence either way.
    Undetermined,
}

impl Classification {
    /// Every classification, in the order forms list them.
    pub const ALL: [Classification; 4] = [
        Classification::TruePositive,
        Classification::BenignTruePositive,
        Classification::FalsePositive,
        Classification::Undetermined,
    ];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Classification::TruePositive => "true_positive",
            Classification::BenignTruePositive => "benign_true_positive",
            Classification::FalsePositive => "false_positive",
            Classification::Undetermined => "undetermined",
        }
    }

    /// The name shown to people.
    pub const fn label(self) -> &'static str {
        match self {
            Classification::TruePositive => "true positive",
            Classification::BenignTruePositive => "benign true positive",
            Classification::FalsePositive => "false positive",
            Classification::Undetermined => "undetermined",
        }
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Classification {
    type Err = crate::UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Classification::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| crate::UnknownValue {
                vocabulary: "classification",
                value: s.to_owned(),
            })
    }
}

/// What an alert's incident is chosen by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrelateBy {
    /// The person when the alert has one, else its address, else its object or container,
    /// else its rule.
    #[default]
    Auto,
    /// The person who acted.
    Person,
    /// The client address.
    Ip,
    /// The object acted on, or the container around it.
    Object,
    /// The rule: every alert of the rule within the lookback is one incident.
    Rule,
}

impl CorrelateBy {
    /// Every choice, in the order forms list them.
    pub const ALL: [CorrelateBy; 5] = [
        CorrelateBy::Auto,
        CorrelateBy::Person,
        CorrelateBy::Ip,
        CorrelateBy::Object,
        CorrelateBy::Rule,
    ];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            CorrelateBy::Auto => "auto",
            CorrelateBy::Person => "person",
            CorrelateBy::Ip => "ip",
            CorrelateBy::Object => "object",
            CorrelateBy::Rule => "rule",
        }
    }
}

impl FromStr for CorrelateBy {
    type Err = crate::UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CorrelateBy::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| crate::UnknownValue {
                vocabulary: "correlation",
                value: s.to_owned(),
            })
    }
}

/// The default lookback: an alert joins an active incident whose latest alert is this recent.
pub const DEFAULT_LOOKBACK_HOURS: u32 = 24;

/// The longest lookback or reopen window a rule may set (30 days).
pub const MAX_WINDOW_HOURS: u32 = 720;

/// How a rule's alerts are gathered into incidents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correlation {
    /// What the incident is chosen by.
    #[serde(default)]
    pub by: CorrelateBy,
    /// How recent an active incident's latest alert must be for a new alert to join it.
    #[serde(default = "default_lookback")]
    pub lookback_hours: u32,
    /// How soon after it was resolved an incident is reopened by a new alert (0: never; a new
    /// incident is opened instead).
    #[serde(default)]
    pub reopen_hours: u32,
}

fn default_lookback() -> u32 {
    DEFAULT_LOOKBACK_HOURS
}

impl Default for Correlation {
    fn default() -> Self {
        Self {
            by: CorrelateBy::Auto,
            lookback_hours: DEFAULT_LOOKBACK_HOURS,
            reopen_hours: 0,
        }
    }
}

impl Correlation {
    /// The correlation key of an alert of rule `rule` grouped by `group`: `person:…`, `ip:…`,
    /// `object:…`, `container:…` or `rule:…`. A field the alert does not have falls back to the
    /// rule, so every alert has a key.
    pub fn key(&self, rule: &str, group: &BTreeMap<Field, String>) -> String {
        let value = |f: Field| {
            group
                .get(&f)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{}:{v}", f.as_str()))
        };
        let object = || value(Field::Object).or_else(|| value(Field::Container));
        let chosen = match self.by {
            CorrelateBy::Auto => value(Field::Person)
                .or_else(|| value(Field::Ip))
                .or_else(object),
            CorrelateBy::Person => value(Field::Person),
            CorrelateBy::Ip => value(Field::Ip),
            CorrelateBy::Object => object(),
            CorrelateBy::Rule => None,
        };
        chosen.unwrap_or_else(|| format!("rule:{rule}"))
    }

    /// Checks the windows.
    ///
    /// # Errors
    /// A lookback of zero, or a window longer than [`MAX_WINDOW_HOURS`].
    pub fn validate(&self) -> Result<(), crate::RuleError> {
        let out = |what| crate::RuleError::OutOfRange {
            what,
            min: 1,
            max: MAX_WINDOW_HOURS,
        };
        if !(1..=MAX_WINDOW_HOURS).contains(&self.lookback_hours) {
            return Err(out("the incident lookback (hours)"));
        }
        if self.reopen_hours > MAX_WINDOW_HOURS {
            return Err(crate::RuleError::OutOfRange {
                what: "the reopen window (hours)",
                min: 0,
                max: MAX_WINDOW_HOURS,
            });
        }
        Ok(())
    }
}

/// A change someone asks of an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Move {
    /// "I have seen it" (triggered → open).
    Acknowledge,
    /// Hand it to an administrator (→ investigating).
    Assign(String),
    /// Resolve it with a classification and a note (open or investigating → resolved).
    Resolve(Classification, String),
    /// Close it for good (resolved → closed).
    Close,
    /// A note on the timeline (any state but closed).
    Note(String),
    /// Link the Jira issue it is tracked in (any state but closed).
    LinkIssue(String),
}

impl Move {
    /// The state the incident is in after the move from `from`.
    ///
    /// # Errors
    /// When the move is not allowed from `from` or its words are missing or invalid.
    pub fn apply(&self, from: IncidentState) -> Result<IncidentState, MoveError> {
        use IncidentState as S;
        if from == S::Closed {
            return Err(MoveError::Closed);
        }
        let illegal = || MoveError::NotFrom {
            action: self.name(),
            from,
        };
        match self {
            Move::Acknowledge => match from {
                S::Triggered => Ok(S::Open),
                _ => Err(illegal()),
            },
            Move::Assign(to) => {
                if to.trim().is_empty() {
                    return Err(MoveError::NoAssignee);
                }
                match from {
                    S::Triggered | S::Open | S::Investigating => Ok(S::Investigating),
                    _ => Err(illegal()),
                }
            }
            Move::Resolve(_, note) => {
                if note.trim().is_empty() {
                    return Err(MoveError::NoResolutionNote);
                }
                match from {
                    S::Open | S::Investigating => Ok(S::Resolved),
                    _ => Err(illegal()),
                }
            }
            Move::Close => match from {
                S::Resolved => Ok(S::Closed),
                _ => Err(illegal()),
            },
            Move::Note(text) => {
                if text.trim().is_empty() {
                    return Err(MoveError::EmptyNote);
                }
                Ok(from)
            }
            Move::LinkIssue(key) => {
                if !is_issue_key(key) {
                    return Err(MoveError::BadIssueKey(key.clone()));
                }
                Ok(from)
            }
        }
    }

    /// The action's name in messages.
    pub const fn name(&self) -> &'static str {
        match self {
            Move::Acknowledge => "acknowledge",
            Move::Assign(_) => "assign",
            Move::Resolve(..) => "resolve",
            Move::Close => "close",
            Move::Note(_) => "add a note to",
            Move::LinkIssue(_) => "link an issue to",
        }
    }
}

/// A Jira issue key: a project key of capitals, digits and underscores starting with a capital,
/// a hyphen, a number (`SEC-142`).
pub fn is_issue_key(key: &str) -> bool {
    let Some((project, number)) = key.split_once('-') else {
        return false;
    };
    project.len() <= 20
        && project.starts_with(|c: char| c.is_ascii_uppercase())
        && project
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !number.is_empty()
        && number.len() <= 12
        && number.chars().all(|c| c.is_ascii_digit())
}

/// Why a move was refused; each says what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoveError {
    /// Closed incidents are final.
    #[error("the incident is closed: a closed incident cannot be changed (a new alert opens a new incident linked to it)")]
    Closed,
    /// The move does not start from this state.
    #[error("cannot {action} an incident that is {from}: {}", hint(*from))]
    NotFrom {
        /// The move.
        action: &'static str,
        /// Where the incident stands.
        from: IncidentState,
    },
    /// Resolving needs a note.
    #[error("resolving needs a resolution note saying what was found and done")]
    NoResolutionNote,
    /// Assigning needs someone.
    #[error("choose the administrator to assign the incident to")]
    NoAssignee,
    /// A note with no words.
    #[error("the note is empty; write what you found or did")]
    EmptyNote,
    /// Not a Jira issue key.
    #[error("`{0}` is not a Jira issue key; give it as PROJECT-123")]
    BadIssueKey(String),
}

fn hint(from: IncidentState) -> &'static str {
    match from {
        IncidentState::Triggered => {
            "acknowledge or assign it first; resolving needs someone to have looked"
        }
        IncidentState::Open | IncidentState::Investigating => "resolve it before closing it",
        IncidentState::Resolved => "it is resolved; close it, or wait for a new alert to reopen it",
        IncidentState::Closed => "it is final",
    }
}

/// The severity of an incident: the highest of its alerts'.
pub fn highest(severities: impl IntoIterator<Item = Severity>) -> Option<Severity> {
    severities.into_iter().max_by_key(|s| severity_rank(*s))
}

/// Low < medium < high.
pub const fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
    }
}

/// One rule's part in an incident, in the order its first alert joined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulePart {
    /// The rule's name.
    pub rule_name: String,
    /// How many events its alerts are made of.
    pub events: u64,
}

/// The title of an incident in words: "Site admin granted — Ana Souza, then Space exported
/// (3 events)". `subject` is who or what the key names (a person's name, an address).
pub fn title(subject: Option<&str>, parts: &[RulePart]) -> String {
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i == 1 {
            out.push_str(", then ");
        } else if i > 1 {
            out.push_str(", ");
        }
        out.push_str(&p.rule_name);
        if i > 0 && p.events > 1 {
            out.push_str(&format!(" ({} events)", p.events));
        }
        if i == 0 {
            if let Some(s) = subject.filter(|s| !s.is_empty()) {
                out.push_str(" — ");
                out.push_str(s);
            }
            if p.events > 1 {
                out.push_str(&format!(" ({} events)", p.events));
            }
        }
        if i == 3 && parts.len() > 4 {
            out.push_str(&format!(" and {} more rules", parts.len() - 4));
            break;
        }
    }
    if out.is_empty() {
        "Incident".to_owned()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentState as S;

    fn group(pairs: &[(Field, &str)]) -> BTreeMap<Field, String> {
        pairs.iter().map(|(f, v)| (*f, (*v).to_owned())).collect()
    }

    #[test]
    fn the_key_follows_the_rule_choice_and_falls_back_to_the_rule() {
        let g = group(&[(Field::Person, "p1"), (Field::Ip, "203.0.113.9")]);
        let by = |by| Correlation {
            by,
            ..Correlation::default()
        };
        assert_eq!(by(CorrelateBy::Auto).key("r", &g), "person:p1");
        assert_eq!(by(CorrelateBy::Ip).key("r", &g), "ip:203.0.113.9");
        assert_eq!(by(CorrelateBy::Object).key("r", &g), "rule:r");
        assert_eq!(by(CorrelateBy::Rule).key("r", &g), "rule:r");
        let ip_only = group(&[(Field::Ip, "198.51.100.7")]);
        assert_eq!(by(CorrelateBy::Auto).key("r", &ip_only), "ip:198.51.100.7");
        let space = group(&[(Field::Container, "FIN")]);
        assert_eq!(by(CorrelateBy::Auto).key("r", &space), "container:FIN");
        assert_eq!(by(CorrelateBy::Person).key("r", &space), "rule:r");
    }

    #[test]
    fn every_legal_move_lands_where_the_lifecycle_says() {
        let note = || "checked with the owner".to_owned();
        let cases = [
            (S::Triggered, Move::Acknowledge, S::Open),
            (S::Triggered, Move::Assign("ana".into()), S::Investigating),
            (S::Open, Move::Assign("ana".into()), S::Investigating),
            (
                S::Investigating,
                Move::Assign("bo".into()),
                S::Investigating,
            ),
            (
                S::Open,
                Move::Resolve(Classification::FalsePositive, note()),
                S::Resolved,
            ),
            (
                S::Investigating,
                Move::Resolve(Classification::TruePositive, note()),
                S::Resolved,
            ),
            (S::Resolved, Move::Close, S::Closed),
            (S::Triggered, Move::Note(note()), S::Triggered),
            (S::Resolved, Move::Note(note()), S::Resolved),
            (S::Open, Move::LinkIssue("SEC-12".into()), S::Open),
        ];
        for (from, m, to) in cases {
            assert_eq!(m.apply(from), Ok(to), "{m:?} from {from}");
        }
    }

    #[test]
    fn every_illegal_move_is_refused_with_a_reason() {
        let resolve = || Move::Resolve(Classification::Undetermined, "n".into());
        let refused = [
            (S::Open, Move::Acknowledge),
            (S::Investigating, Move::Acknowledge),
            (S::Resolved, Move::Acknowledge),
            (S::Resolved, Move::Assign("ana".into())),
            (S::Triggered, resolve()),
            (S::Resolved, resolve()),
            (S::Triggered, Move::Close),
            (S::Open, Move::Close),
            (S::Investigating, Move::Close),
        ];
        for (from, m) in refused {
            assert!(
                matches!(m.apply(from), Err(MoveError::NotFrom { .. })),
                "{m:?} from {from}"
            );
        }
        for m in [
            Move::Acknowledge,
            Move::Assign("ana".into()),
            resolve(),
            Move::Close,
            Move::Note("n".into()),
            Move::LinkIssue("SEC-1".into()),
        ] {
            assert_eq!(m.apply(S::Closed), Err(MoveError::Closed), "{m:?}");
        }
        assert_eq!(
            Move::Resolve(Classification::TruePositive, "  ".into()).apply(S::Open),
            Err(MoveError::NoResolutionNote)
        );
        assert_eq!(
            Move::Assign(" ".into()).apply(S::Open),
            Err(MoveError::NoAssignee)
        );
        assert_eq!(
            Move::Note("".into()).apply(S::Open),
            Err(MoveError::EmptyNote)
        );
        assert!(matches!(
            Move::LinkIssue("sec 1".into()).apply(S::Open),
            Err(MoveError::BadIssueKey(_))
        ));
    }

    #[test]
    fn the_title_says_who_and_what_in_order() {
        let part = |n: &str, e| RulePart {
            rule_name: n.into(),
            events: e,
        };
        assert_eq!(
            title(
                Some("Ana Souza"),
                &[part("Site admin granted", 1), part("Space exported", 3)]
            ),
            "Site admin granted — Ana Souza, then Space exported (3 events)"
        );
        assert_eq!(title(None, &[part("Sync failing", 1)]), "Sync failing");
        assert_eq!(title(None, &[]), "Incident");
    }

    #[test]
    fn names_round_trip() {
        for s in IncidentState::ALL {
            assert_eq!(s.as_str().parse::<IncidentState>(), Ok(s));
        }
        for c in Classification::ALL {
            assert_eq!(c.as_str().parse::<Classification>(), Ok(c));
        }
        for c in CorrelateBy::ALL {
            assert_eq!(c.as_str().parse::<CorrelateBy>(), Ok(c));
        }
        assert!(Correlation::default().validate().is_ok());
        assert!(Correlation {
            lookback_hours: 0,
            ..Correlation::default()
        }
        .validate()
        .is_err());
    }
}
