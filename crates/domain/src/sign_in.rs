//! Why a sign-in attempt was refused before its password was looked at, and the words for it. The
//! server decides the refusal; the sign-in page (which only gets the reason and the wait in its
//! URL, so it works without JavaScript and cannot be made to show arbitrary text), the JSON
//! answer and the operators' list of refusals all phrase it through [`SignInRefusal`], so they
//! say the same thing. [`ClientNetwork`] is how the throttle counts a client's address.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

use crate::UnknownValue;

/// What logs and the operators' list show instead of a username no administrator has: people type
/// passwords into the username field, so such a name is never shown.
pub const UNKNOWN_USER: &str = "(unknown user)";

/// Which throttle refused a sign-in attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThrottleReason {
    /// Too many recent failures for this username from this address.
    UsernameAndAddress,
    /// Too many recent failures from this address, over all usernames.
    Address,
    /// The ceiling of failures for this username over all addresses, at an address it has not
    /// signed in from lately.
    Username,
}

impl ThrottleReason {
    /// Every reason, in declaration order.
    pub const ALL: &'static [ThrottleReason] = &[
        ThrottleReason::UsernameAndAddress,
        ThrottleReason::Address,
        ThrottleReason::Username,
    ];

    /// The stored name, also what the sign-in page's URL carries.
    pub const fn as_str(self) -> &'static str {
        match self {
            ThrottleReason::UsernameAndAddress => "username_and_address",
            ThrottleReason::Address => "address",
            ThrottleReason::Username => "username",
        }
    }

    /// A short name for lists: "username from address", "address", "username everywhere".
    pub const fn label(self) -> &'static str {
        match self {
            ThrottleReason::UsernameAndAddress => "username from address",
            ThrottleReason::Address => "address",
            ThrottleReason::Username => "username everywhere",
        }
    }

    /// Whose failures tripped the throttle, as the end of "Too many failed sign-ins …".
    pub const fn counted(self) -> &'static str {
        match self {
            ThrottleReason::UsernameAndAddress => "for this username from this address",
            ThrottleReason::Address => "from this address",
            ThrottleReason::Username => "for this username from all addresses",
        }
    }
}

impl fmt::Display for ThrottleReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ThrottleReason {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownValue {
                vocabulary: "throttle reason",
                value: s.to_owned(),
            })
    }
}

/// A refused sign-in attempt: why, and how many whole seconds until the next attempt is
/// considered. Displays as the message people see, e.g. "Too many failed sign-ins from this
/// address; try again in 40 s".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInRefusal {
    /// Which throttle refused it.
    pub reason: ThrottleReason,
    /// Seconds to wait, rounded up, at least 1.
    pub retry_after_s: u64,
}

impl fmt::Display for SignInRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Too many failed sign-ins {}; try again in {}",
            self.reason.counted(),
            wait_text(self.retry_after_s)
        )
    }
}

/// A client address as the throttle counts it: an IPv4 address as itself, an IPv6 address as its
/// /64 network (`2001:db8:1:2::/64`), an IPv4-mapped IPv6 address as the IPv4 address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientNetwork(String);

impl ClientNetwork {
    /// The network `ip` is counted under.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self(v4.to_string()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(v4.to_string()),
                None if v6.is_loopback() => Self(v6.to_string()),
                None => {
                    let network = Ipv6Addr::from(u128::from(v6) & !(u128::MAX >> 64));
                    Self(format!("{network}/64"))
                }
            },
        }
    }

    /// As stored and shown.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A wait as people read it: seconds under two minutes ("40 s"), whole minutes rounded up above
/// ("3 min"), never "0 s".
pub fn wait_text(seconds: u64) -> String {
    let seconds = seconds.max(1);
    if seconds < 120 {
        format!("{seconds} s")
    } else {
        format!("{} min", seconds.div_ceil(60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_says_whose_failures_and_how_long_to_wait() {
        let r = SignInRefusal {
            reason: ThrottleReason::Address,
            retry_after_s: 40,
        };
        assert_eq!(
            r.to_string(),
            "Too many failed sign-ins from this address; try again in 40 s"
        );
        let r = SignInRefusal {
            reason: ThrottleReason::UsernameAndAddress,
            retry_after_s: 121,
        };
        assert_eq!(
            r.to_string(),
            "Too many failed sign-ins for this username from this address; try again in 3 min"
        );
    }

    #[test]
    fn waits_are_never_shown_as_zero() {
        assert_eq!(wait_text(0), "1 s");
        assert_eq!(wait_text(119), "119 s");
        assert_eq!(wait_text(120), "2 min");
        assert_eq!(wait_text(900), "15 min");
    }

    #[test]
    fn ipv6_addresses_are_counted_by_their_64_bit_network() {
        let of = |s: &str| ClientNetwork::of(s.parse().unwrap());
        assert_eq!(of("2001:db8:1:2::1").as_str(), "2001:db8:1:2::/64");
        assert_eq!(of("2001:db8:1:2:ffff:1:2:3"), of("2001:db8:1:2::1"));
        assert_ne!(of("2001:db8:1:3::1"), of("2001:db8:1:2::1"));
        assert_eq!(of("203.0.113.9").as_str(), "203.0.113.9");
        assert_eq!(of("::ffff:203.0.113.9"), of("203.0.113.9"));
        assert_ne!(of("203.0.113.10"), of("203.0.113.9"));
        assert_eq!(of("::1").as_str(), "::1");
    }

    #[test]
    fn reasons_read_back_from_their_names() {
        for r in ThrottleReason::ALL {
            assert_eq!(r.as_str().parse::<ThrottleReason>(), Ok(*r));
            assert_eq!(
                serde_json::to_string(r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        assert!("elsewhere".parse::<ThrottleReason>().is_err());
    }
}
