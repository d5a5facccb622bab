//! When to try again: Standard Webhooks' schedule — 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h,
//! 20 h, 24 h after successive failures, about three days in all — each with ±10% jitter so that
//! destinations that failed together (an outage) are not all retried in the same second.
//!
//! A `Retry-After` from the destination is a floor, never shortened by jitter; it is capped at
//! 24 h, because a misconfigured server can send a year and the alert would be worthless by then.
//! After [`MAX_ATTEMPTS`] attempts (the first and one per step of the schedule) the lead gives up
//! and marks the delivery failed.
//!
//! The RNG is a parameter so tests can seed it and the lead can pass `rand::thread_rng()`.

use rand::Rng;
use std::time::Duration;

/// The wait after the 1st, 2nd, … failed attempt.
pub const SCHEDULE: [Duration; 9] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(14 * 3600),
    Duration::from_secs(20 * 3600),
    Duration::from_secs(24 * 3600),
];

/// Attempts in all: the first, and one after each wait of the schedule.
pub const MAX_ATTEMPTS: u32 = SCHEDULE.len() as u32 + 1;

/// The longest `Retry-After` honoured.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// The jitter either side of the scheduled wait, as a fraction.
pub const JITTER: f64 = 0.10;

/// How long to wait after failed attempt number `attempt` (1 for the first attempt; 0 is read as
/// 1, and anything past the schedule gets its last step): the scheduled wait ±10%, and never less
/// than `retry_after` (capped at 24 h).
pub fn backoff(attempt: u32, retry_after: Option<Duration>, jitter: &mut impl Rng) -> Duration {
    let step = (attempt.max(1) as usize - 1).min(SCHEDULE.len() - 1);
    let factor = jitter.gen_range(1.0 - JITTER..=1.0 + JITTER);
    let wait = SCHEDULE[step].mul_f64(factor);
    match retry_after {
        Some(hint) => wait.max(hint.min(MAX_RETRY_AFTER)),
        None => wait,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn every_step_stays_within_ten_percent_of_the_schedule() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..200 {
            for (i, scheduled) in SCHEDULE.iter().enumerate() {
                let wait = backoff(i as u32 + 1, None, &mut rng);
                assert!(wait >= scheduled.mul_f64(0.9), "{i}: {wait:?}");
                assert!(wait <= scheduled.mul_f64(1.1), "{i}: {wait:?}");
            }
        }
    }

    #[test]
    fn jitter_actually_varies_the_wait() {
        let mut rng = StdRng::seed_from_u64(1);
        let waits: std::collections::BTreeSet<Duration> =
            (0..20).map(|_| backoff(3, None, &mut rng)).collect();
        assert!(waits.len() > 10, "{waits:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_waits() {
        let run = || {
            let mut rng = StdRng::seed_from_u64(42);
            (1..=MAX_ATTEMPTS)
                .map(|a| backoff(a, None, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn attempts_outside_the_schedule_are_clamped() {
        let mut rng = StdRng::seed_from_u64(3);
        assert!(backoff(0, None, &mut rng) <= Duration::from_millis(5_500));
        let last = backoff(99, None, &mut rng);
        assert!(last >= Duration::from_secs(24 * 3600).mul_f64(0.9));
        assert!(last <= Duration::from_secs(24 * 3600).mul_f64(1.1));
    }

    #[test]
    fn retry_after_is_a_floor_and_is_capped_at_a_day() {
        let mut rng = StdRng::seed_from_u64(9);
        for _ in 0..50 {
            // Longer than the 5 s step: honoured exactly, jitter never shortens it.
            assert_eq!(
                backoff(1, Some(Duration::from_secs(7)), &mut rng),
                Duration::from_secs(7)
            );
            // Shorter than the step: the step wins.
            assert!(backoff(2, Some(Duration::from_secs(7)), &mut rng) >= Duration::from_secs(270));
            // Absurd: capped at 24 h.
            assert_eq!(
                backoff(1, Some(Duration::from_secs(365 * 86_400)), &mut rng),
                MAX_RETRY_AFTER
            );
        }
    }

    #[test]
    fn there_are_ten_attempts() {
        assert_eq!(MAX_ATTEMPTS, 10);
        let total: Duration = SCHEDULE.iter().sum();
        assert!(total > Duration::from_secs(3 * 86_400) && total < Duration::from_secs(4 * 86_400));
    }
}
