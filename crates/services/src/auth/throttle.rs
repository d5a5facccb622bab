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
//! - **the username, over all addresses** — a ceiling, [`USERNAME_CEILING`] failures in the
//!   window, with no backoff below it, which does not apply at the places the username signed in
//!   from within [`KNOWN_PLACE_FOR`] (recorded in [`store::login_successes`]). A
//!   per-username limit that applies everywhere is a lock-out tool: the pair backoff allows about
//!   twelve failures per address a window, so nine IPv4 addresses, or the sixteen /64s of one
//!   IPv6 /60, guessing together hold any name at a ceiling of 100 for as long as they go on, and
//!   its owner could not sign in even from home. So a known place keeps only its own pair and
//!   address limits — which hold one address to fewer guesses than the ceiling would — and no
//!   number of addresses elsewhere can keep the owner out from where he signs in. Everywhere else
//!   (a guesser, or the owner somewhere new) the ceiling bounds a distributed guess at a hundred
//!   guesses a window.
//!
//! Two choices about the ceiling, and why:
//!
//! - **A hard stop, not a growing wait.** At a new place the owner competes with the guessers
//!   for the ceiling's slots whatever its form. A wait counted over the username is shared by
//!   every unknown address, guessers retry the moment it lifts, and a wait that runs from the
//!   newest failure restarts with each of theirs and admits several more guesses before it
//!   reaches its longest; a hard stop lifts as soon as the oldest of the hundred leaves the
//!   window, the earliest a bound of a hundred a window can, and says exactly when. Against a
//!   sustained attack the owner's ways in are a place he signed in from before, or
//!   `seed-admin --reset` on the server, which forgets the username's failures.
//! - **IPv6 by /64 here too, not /48.** The ceiling counts the username's failures from every
//!   address, so wider groups would not change what it counts, only which addresses count as
//!   the owner's places: a /48 is often a provider's pool shared by strangers (a mobile network,
//!   a hosting provider's customers), whom the exemption would then free from the only limit on a
//!   distributed guesser. A /64 is what one home line or host is given, so the owner's devices
//!   behind one line, and his privacy addresses as they change, are one place. That one holder
//!   of a /48 can reach the ceiling alone is the price; it now costs the owner only new places.
//!
//! Waits run from the newest failure under a key, and refused attempts are neither checked nor
//! counted, so hammering a refused sign-in does not lengthen the wait, and waiting it out always
//! works.

use chrono::{DateTime, Utc};
use domain::ThrottleReason;
use std::time::Duration;
pub use store::login_failures::RecentFailures;

/// The sliding window failures are counted in.
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Failures for one username over all addresses inside [`THROTTLE_WINDOW`] at which every further
/// attempt for it, other than from a known place, is refused until the oldest of them leaves the
/// window.
pub const USERNAME_CEILING: u64 = 100;

/// How long after a successful sign-in its place stays exempt from [`USERNAME_CEILING`].
pub const KNOWN_PLACE_FOR: Duration = store::login_successes::KEPT;

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
    /// Whether this username signed in from this network within [`KNOWN_PLACE_FOR`], which
    /// exempts the attempt from the ceiling.
    pub known_place: bool,
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
            counts
                .username_ceiling
                .filter(|_| !counts.known_place)
                .map(|at| at + window),
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
            known_place: false,
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
            known_place: false,
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

    #[test]
    fn a_known_place_is_exempt_from_the_ceiling_but_not_from_its_own_limits() {
        let at_ceiling = FailureCounts {
            username_ceiling: Some(t(-800)),
            ..FailureCounts::default()
        };
        assert_eq!(
            refusal(&at_ceiling, t(1)).map(|r| r.reason),
            Some(ThrottleReason::Username)
        );
        let known = FailureCounts {
            known_place: true,
            ..at_ceiling
        };
        assert_eq!(refusal(&known, t(1)), None);
        let guessing_there = FailureCounts {
            pair: failures(5, 0),
            ..known
        };
        let throttle = refusal(&guessing_there, t(1)).unwrap();
        assert_eq!(throttle.reason, ThrottleReason::UsernameAndAddress);
        assert_eq!(throttle.retry_after, Duration::from_secs(3));
    }
}
