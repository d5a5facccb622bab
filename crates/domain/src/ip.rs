//! Source IP addresses and the IP / CIDR filter. Addresses are stored twice: as text for people and
//! as an [`IpKey`], a fixed-width hex form of the address in IPv6 space (IPv4 as `::ffff:a.b.c.d`),
//! whose lexical order is numeric order. A CIDR block then becomes one indexed range query.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

/// The sortable storage key of an IP address: 32 lowercase hex digits of its IPv6 form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IpKey(String);

impl IpKey {
    /// The key of one address.
    pub fn of(ip: IpAddr) -> Self {
        Self::from_bits(to_v6_bits(ip))
    }

    fn from_bits(bits: u128) -> Self {
        Self(format!("{bits:032x}"))
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn to_v6_bits(ip: IpAddr) -> u128 {
    let v6: Ipv6Addr = match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    };
    u128::from(v6)
}

/// A filter on the source IP: one address, or a CIDR block such as `10.0.0.0/8` or `2001:db8::/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpFilter {
    network: IpAddr,
    prefix: u8,
}

/// Why an IP filter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an IP address or CIDR block (e.g. 203.0.113.7, 10.0.0.0/8, 2001:db8::/32)")]
pub struct BadIpFilter(String);

impl IpFilter {
    /// The smallest and largest [`IpKey`] inside the block, both inclusive.
    pub fn key_range(&self) -> (IpKey, IpKey) {
        let bits = to_v6_bits(self.network);
        let v6_prefix = match self.network {
            IpAddr::V4(_) => 96 + u32::from(self.prefix),
            IpAddr::V6(_) => u32::from(self.prefix),
        };
        let host_mask: u128 = if v6_prefix >= 128 {
            0
        } else {
            u128::MAX >> v6_prefix
        };
        (
            IpKey::from_bits(bits & !host_mask),
            IpKey::from_bits(bits | host_mask),
        )
    }

    /// Whether the filter spans more than one address (`10.0.0.0/8`, not `10.0.0.1` or `/32`).
    pub fn is_block(&self) -> bool {
        let (lo, hi) = self.key_range();
        lo != hi
    }

    /// Whether an address falls inside the block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (lo, hi) = self.key_range();
        let key = IpKey::of(ip);
        lo <= key && key <= hi
    }
}

impl FromStr for IpFilter {
    type Err = BadIpFilter;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadIpFilter(s.to_owned());
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| bad())?)),
            None => (s, None),
        };
        let network: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return Err(bad());
        }
        Ok(Self { network, prefix })
    }
}

impl fmt::Display for IpFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let full = if self.network.is_ipv4() { 32 } else { 128 };
        if self.prefix == full {
            write!(f, "{}", self.network)
        } else {
            write!(f, "{}/{}", self.network, self.prefix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn keys_sort_in_numeric_order() {
        assert!(IpKey::of(ip("9.255.255.255")) < IpKey::of(ip("10.0.0.0")));
        assert!(IpKey::of(ip("10.0.0.2")) < IpKey::of(ip("10.0.0.10")));
        assert_eq!(IpKey::of(ip("10.0.0.1")), IpKey::of(ip("::ffff:10.0.0.1")));
        assert_eq!(IpKey::of(ip("::1")).as_str().len(), 32);
    }

    #[test]
    fn an_ipv4_block_contains_exactly_its_addresses() {
        let f: IpFilter = "10.1.0.0/16".parse().unwrap();
        assert!(f.contains(ip("10.1.0.0")));
        assert!(f.contains(ip("10.1.255.255")));
        assert!(!f.contains(ip("10.2.0.0")));
        assert!(!f.contains(ip("10.0.255.255")));
        assert!(!f.contains(ip("2001:db8::1")));
    }

    #[test]
    fn an_ipv6_block_contains_exactly_its_addresses() {
        let f: IpFilter = "2001:db8::/32".parse().unwrap();
        assert!(f.contains(ip("2001:db8:ffff::1")));
        assert!(!f.contains(ip("2001:db9::")));
    }

    #[test]
    fn a_single_address_matches_only_itself() {
        let f: IpFilter = "203.0.113.7".parse().unwrap();
        assert!(f.contains(ip("203.0.113.7")));
        assert!(!f.contains(ip("203.0.113.8")));
        assert_eq!(f.to_string(), "203.0.113.7");
        let all: IpFilter = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("255.255.255.255")));
        assert!(!all.contains(ip("::1")), "an IPv4 block never matches IPv6");
    }

    #[test]
    fn nonsense_is_refused() {
        for s in ["", "10.0.0.0/33", "::/129", "abc", "10.0.0.0/x", "10.0.0/8"] {
            assert!(s.parse::<IpFilter>().is_err(), "{s} should be refused");
        }
    }
}
