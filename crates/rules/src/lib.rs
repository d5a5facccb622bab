//! Detection rules: the built-in Atlassian pack ([`builtin`]), a rule compiled against the store
//! ([`compiled`]), the evaluator of each kind ([`kinds`]) over new events and the streams' state,
//! what rules with long histories remember between passes ([`memory`]), the findings it records
//! as alerts ([`finding`]), one evaluation pass with its watermarks ([`pass`]), the latest events
//! one pass hands to the next ([`recent`]), previews over stored history with the same evaluator
//! ([`preview`]), and the job that runs passes on the `rules` queue ([`queue`]).
//!
//! Evaluation is incremental and idempotent. Each rule keeps a watermark in storing order; a pass
//! reads only what was stored after it (plus a short overlap, for inserts still in flight when the
//! last pass read, taken from the last pass's own read when nothing landed there), and windows are looked up around each new event's own time, so late records are
//! judged in the window they belong to. New-value and baseline rules judge against their own
//! memory of what they selected before, so a pass never reads months of history. Alert ids derive
//! from (rule, dedup key, period start) and events attach to an alert by pair, so a repeated pass
//! records nothing twice.
#![deny(missing_docs)]

pub mod builtin;
pub mod compiled;
pub mod finding;
pub mod kinds;
pub mod memory;
pub mod pass;
pub mod preview;
pub mod queue;
pub mod recent;

pub use compiled::CompiledRule;
pub use finding::Finding;
pub use pass::{evaluate_pass, evaluate_pass_keeping, PassReport, StreamInfo};
pub use recent::RecentEvents;

/// Why rules could not be evaluated.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// A stored rule no longer validates (it is skipped, and said so).
    #[error("rule {rule} is not valid: {reason}")]
    Invalid {
        /// The rule.
        rule: String,
        /// What is wrong.
        reason: domain::RuleError,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
}
