//! Request-level faults: `429` bursts, server errors, slow and hanging responses. Each request
//! gets a number; every decision is a pure function of the seed and that number, so a sequential
//! client sees the same faults on every run.

use crate::format::digest;
use crate::Faults;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Serve it.
    Pass,
    /// Answer `429` with `Retry-After: 1`.
    RateLimited,
    /// Answer this 5xx status.
    ServerError(u16),
    /// Never answer (until the simulator stops).
    Hang,
}

/// The request counter, the state of the current `429` burst, and how many of each fault were
/// injected, so a test can tell that the fault it asked for really happened.
#[derive(Debug, Default)]
pub struct FaultState {
    requests: AtomicU64,
    burst_left: AtomicU32,
    rate_limited: AtomicU64,
    server_errors: AtomicU64,
    hangs: AtomicU64,
}

/// How many requests the simulator has decided on, and how many got each fault.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Injected {
    /// Read requests decided on (every one passes through the faults).
    pub requests: u64,
    /// Answered `429`.
    pub rate_limited: u64,
    /// Answered `500`, `502` or `503`.
    pub server_errors: u64,
    /// Never answered.
    pub hangs: u64,
}

impl FaultState {
    /// Numbers the next request, decides its fate under `faults` and counts the fault.
    pub fn decide(&self, seed: u64, faults: &Faults) -> Decision {
        let decision = self.draw(seed, faults);
        let counter = match decision {
            Decision::Pass => None,
            Decision::RateLimited => Some(&self.rate_limited),
            Decision::ServerError(_) => Some(&self.server_errors),
            Decision::Hang => Some(&self.hangs),
        };
        if let Some(counter) = counter {
            counter.fetch_add(1, Ordering::SeqCst);
        }
        decision
    }

    /// What has been injected so far.
    pub fn injected(&self) -> Injected {
        Injected {
            requests: self.requests.load(Ordering::SeqCst),
            rate_limited: self.rate_limited.load(Ordering::SeqCst),
            server_errors: self.server_errors.load(Ordering::SeqCst),
            hangs: self.hangs.load(Ordering::SeqCst),
        }
    }

    fn draw(&self, seed: u64, faults: &Faults) -> Decision {
        let n = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
        let draw = |what: &[u8]| {
            let d = digest(&[b"fault", &seed.to_le_bytes(), what, &n.to_le_bytes()]);
            u64::from_le_bytes(d[..8].try_into().expect("8 bytes")) as f64 / (u64::MAX as f64 + 1.0)
        };
        if faults.hang_rate > 0.0 && draw(b"hang") < faults.hang_rate {
            return Decision::Hang;
        }
        if let Some(every) = faults.rate_limit_every.filter(|e| *e > 0) {
            let in_burst = self
                .burst_left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                    left.checked_sub(1)
                })
                .is_ok();
            if in_burst {
                return Decision::RateLimited;
            }
            if n.is_multiple_of(u64::from(every)) && faults.rate_limit_burst > 0 {
                self.burst_left
                    .store(faults.rate_limit_burst - 1, Ordering::SeqCst);
                return Decision::RateLimited;
            }
        }
        if faults.error_rate > 0.0 && draw(b"error") < faults.error_rate {
            let status = [500, 502, 503][(draw(b"status") * 3.0) as usize % 3];
            return Decision::ServerError(status);
        }
        Decision::Pass
    }

    /// Ends any burst in progress (when faults change).
    pub fn reset_burst(&self) {
        self.burst_left.store(0, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nth_request_starts_a_burst_of_the_configured_length() {
        let state = FaultState::default();
        let faults = Faults {
            rate_limit_every: Some(5),
            rate_limit_burst: 2,
            ..Faults::default()
        };
        let limited: Vec<u64> = (1..=12)
            .filter(|_| state.decide(1, &faults) == Decision::RateLimited)
            .collect();
        assert_eq!(limited, vec![5, 6, 10, 11]);
        assert_eq!(
            state.injected(),
            Injected {
                requests: 12,
                rate_limited: 4,
                ..Injected::default()
            }
        );
    }

    #[test]
    fn error_and_hang_rates_are_roughly_honoured_and_reproducible() {
        let faults = Faults {
            error_rate: 0.2,
            hang_rate: 0.05,
            ..Faults::default()
        };
        let run = || {
            let state = FaultState::default();
            (0..2000)
                .map(|_| state.decide(9, &faults))
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let errors = a
            .iter()
            .filter(|d| matches!(d, Decision::ServerError(_)))
            .count();
        let hangs = a.iter().filter(|d| **d == Decision::Hang).count();
        assert!((300..500).contains(&errors), "{errors}");
        assert!((50..150).contains(&hangs), "{hangs}");
    }
}
