//! The sign-in throttle's policy, as pure functions of the recent failures and `now` (the store
//! reads the failures, [`super::Authenticator::login`] wires the two together).
//!
//! Failures are counted over a sliding [`THROTTLE_WINDOW`] under three keys:
//!
//! - **the username and the client's address together** — what someone guessing one account's
//!   password from one place uses up. [`PAIR_BACKOFF`]: a few free failures (typos), then each
//!   further failure doubles the wait before the next attempt. A successful sign-in forgets these.
//! - **the address, over all usernames** — one place trying many accounts (password spraying).
//!   [`ADDRESS_BACKOFF`]: more free failures, because colleagues share an address behind NAT,
//!   then the same doubling.
//! - **the username, over all addresses** — only a high ceiling, [`USERNAME_CEILING`], with no
//!   backoff below it. A low per-username limit is a lock-out tool: anyone who knows an
//!   administrator's name could keep them out from anywhere, which is the bug this design
//!   replaced. The address backoff holds one address to about twenty failures a window, so only
//!   several addresses together reach the ceiling; there it stops a distributed guesser cold.
//!
//! Addresses are counted as [`domain::ClientNetwork`]s: IPv6 by /64, because a single host or home line
//! is routinely handed a whole /64 and could otherwise rotate through 2^64 addresses.
//!
//! Waits run from the newest failure under a key, and refused attempts are neither checked nor
//! counted, so hammering a refused sign-in does not lengthen the wait, and waiting it out always
//! works.

pub use crate::store::login_failures::RecentFailures;
use chrono::{DateTime, Utc};
use domain::ThrottleReason;
use std::time::Duration;

/// The sliding window failures are counted in.
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Failures for one username over all addresses inside [`THROTTLE_WINDOW`] at which every further
/// attempt for it is refused until the oldest of them leaves the window.
pub const USERNAME_CEILING: u64 = 100;

/// Failures of one username from one address: 3 free, then 2 s, 4 s, 8 s … up to 15 minutes.
pub const PAIR_BACKOFF: Backoff = Backoff {
    free: 3,
    cap: THROTTLE_WINDOW,
};

/// Failures from one address over all usernames: 10 free, then 2 s, 4 s, 8 s … up to 15 minutes.
pub const ADDRESS_BACKOFF: Backoff = Backoff {
    free: 10,
    cap: THROTTLE_WINDOW,
};

/// Growing delays: the first `free` failures cost nothing; after the k-th failure beyond them
/// the next attempt waits 2^k seconds, at most `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Failures that cost no wait.
    pub free: u64,
    /// The longest wait.
    pub cap: Duration,
}

impl Backoff {
    /// How long the next attempt waits after `failures` failures inside the window.
    pub fn wait_after(&self, failures: u64) -> Duration {
        let Some(beyond) = failures.checked_sub(self.free).filter(|k| *k > 0) else {
            return Duration::ZERO;
        };
        let seconds = u32::try_from(beyond)
            .ok()
            .and_then(|k| 1_u64.checked_shl(k))
            .unwrap_or(u64::MAX);
        Duration::from_secs(seconds).min(self.cap)
    }

    /// How many failures reach the longest wait: counting further cannot change the answer, so
    /// the store reads no more than this many.
    pub fn saturates_at(&self) -> u64 {
        (self.free..)
            .find(|n| self.wait_after(*n) >= self.cap)
            .unwrap_or(u64::MAX)
    }
}

/// Everything the throttle decides on for one attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FailureCounts {
    /// This username from this network.
    pub pair: RecentFailures,
    /// This network, any username.
    pub address: RecentFailures,
    /// When the [`USERNAME_CEILING`]-th newest failure of this username inside the window
    /// happened, if there were that many.
    pub username_ceiling: Option<DateTime<Utc>>,
}

/// A refusal: which throttle, and how long until an attempt is considered again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Which throttle refused.
    pub reason: ThrottleReason,
    /// Until the attempt would be considered.
    pub retry_after: Duration,
}

/// Whether an attempt at `now` is refused, and by which throttle: the one that lifts last, since
/// an attempt needs all of them lifted.
pub fn refusal(counts: &FailureCounts, now: DateTime<Utc>) -> Option<Throttle> {
    let backoff = |failures: RecentFailures, backoff: Backoff| {
        let latest = failures.latest?;
        let wait = chrono::Duration::from_std(backoff.wait_after(failures.count)).ok()?;
        Some(latest + wait)
    };
    let window = chrono::Duration::from_std(THROTTLE_WINDOW).expect("15 minutes fits");
    let lifts = [
        (
            ThrottleReason::UsernameAndAddress,
            backoff(counts.pair, PAIR_BACKOFF),
        ),
        (
            ThrottleReason::Address,
            backoff(counts.address, ADDRESS_BACKOFF),
        ),
        (
            ThrottleReason::Username,
            counts.username_ceiling.map(|at| at + window),
        ),
    ];
    lifts
        .into_iter()
        .filter_map(|(reason, at)| Some((reason, at?)))
        .filter(|(_, at)| *at > now)
        .max_by_key(|(_, at)| *at)
        .map(|(reason, at)| Throttle {
            reason,
            retry_after: (at - now).to_std().unwrap_or(Duration::from_secs(1)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(seconds: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap() + chrono::Duration::seconds(seconds)
    }

    fn failures(count: u64, latest: i64) -> RecentFailures {
        RecentFailures {
            count,
            latest: Some(t(latest)),
        }
    }

    #[test]
    fn each_failure_past_the_free_ones_doubles_the_wait_up_to_the_cap() {
        let waits: Vec<u64> = (0..=14)
            .map(|n| PAIR_BACKOFF.wait_after(n).as_secs())
            .collect();
        assert_eq!(
            waits,
            [0, 0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
        );
        assert_eq!(ADDRESS_BACKOFF.wait_after(10), Duration::ZERO);
        assert_eq!(ADDRESS_BACKOFF.wait_after(11), Duration::from_secs(2));
        assert_eq!(ADDRESS_BACKOFF.wait_after(u64::MAX), THROTTLE_WINDOW);
        assert_eq!(PAIR_BACKOFF.saturates_at(), 13);
        assert_eq!(ADDRESS_BACKOFF.saturates_at(), 20);
    }

    #[test]
    fn nothing_is_refused_without_enough_recent_failures() {
        let counts = FailureCounts {
            pair: failures(3, 0),
            address: failures(10, 0),
            username_ceiling: None,
        };
        assert_eq!(refusal(&counts, t(0)), None);
    }

    #[test]
    fn the_wait_runs_from_the_newest_failure_and_lifts_on_time() {
        let counts = FailureCounts {
            pair: failures(5, 100),
            ..FailureCounts::default()
        };
        let throttle = refusal(&counts, t(101)).unwrap();
        assert_eq!(throttle.reason, ThrottleReason::UsernameAndAddress);
        assert_eq!(throttle.retry_after, Duration::from_secs(3));
        assert_eq!(refusal(&counts, t(104)), None);
    }

    #[test]
    fn the_throttle_that_lifts_last_is_the_one_reported() {
        // The pair lifts at 2 s, the address at 32 s, the username ceiling at 100 s.
        let counts = FailureCounts {
            pair: failures(4, 0),
            address: failures(15, 0),
            username_ceiling: Some(t(-800)),
        };
        let throttle = refusal(&counts, t(1)).unwrap();
        assert_eq!(throttle.reason, ThrottleReason::Username);
        assert_eq!(throttle.retry_after, Duration::from_secs(99));
        assert_eq!(refusal(&counts, t(100)), None);
        let without_ceiling = FailureCounts {
            username_ceiling: None,
            ..counts
        };
        let throttle = refusal(&without_ceiling, t(1)).unwrap();
        assert_eq!(throttle.reason, ThrottleReason::Address);
        assert_eq!(throttle.retry_after, Duration::from_secs(31));
    }
}
