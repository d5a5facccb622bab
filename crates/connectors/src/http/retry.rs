//! When to retry and how long to wait: `Retry-After` is honoured (clamped, since some endpoints
//! have sent absurd values), otherwise exponential backoff with full jitter up to a cap.

use rand::Rng;
use std::time::Duration;

/// Retry limits for one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// Backoff before the second attempt (doubles each time).
    pub base: Duration,
    /// Longest single wait.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Full-jitter exponential backoff after failed attempt number `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let ceiling = exp.min(self.cap);
        let millis = ceiling.as_millis().max(1) as u64;
        Duration::from_millis(rand::thread_rng().gen_range(millis / 2..=millis))
    }

    /// The wait after a `429`: the server's hint (clamped) or the backoff.
    pub fn wait_after_rate_limit(&self, attempt: u32, hinted: Option<Duration>) -> Duration {
        hinted.map_or_else(|| self.backoff(attempt), |h| self.clamp(h))
    }

    /// A server-supplied wait, bounded by the cap.
    pub fn clamp(&self, wait: Duration) -> Duration {
        wait.min(self.cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_and_stays_under_the_cap() {
        let p = RetryPolicy {
            max_attempts: 10,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        for _ in 0..50 {
            let first = p.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let fourth = p.backoff(4);
            assert!(fourth >= Duration::from_millis(400) && fourth <= Duration::from_millis(800));
            assert!(p.backoff(30) <= Duration::from_secs(1));
        }
    }

    #[test]
    fn a_server_hint_is_honoured_but_clamped() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.wait_after_rate_limit(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            p.wait_after_rate_limit(1, Some(Duration::from_secs(u64::MAX / 4))),
            p.cap
        );
    }
}
