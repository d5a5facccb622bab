//! Where AtlasLens may send: the URL and address checks that keep a destination from turning the
//! server into a way into its own network (server-side request forgery).
//!
//! A destination is a URL or host an administrator types, and AtlasLens then connects to it from
//! inside the deployment. In production ([`UrlPolicy::production`]) only public addresses are
//! allowed: a host that is, or resolves to, a loopback, private, link-local, shared (CGNAT),
//! unspecified, multicast, documentation or otherwise reserved address is refused, and so are
//! `localhost` and `*.localhost`. Every address a name resolves to is checked, not just the first,
//! since the connection may use any of them.
//!
//! The check runs twice: at the edge when the destination is saved ([`check_url`], [`check_host`],
//! through `Destination::validate`), with a message that says what to change; and again at every
//! connection, by the resolver of [`crate::http_client_with`] and by the syslog sender, because a
//! name that resolved to a public address on Monday can resolve to `10.0.0.5` on Tuesday (DNS
//! rebinding). IP literals need no second look: they cannot change once stored.
//!
//! The demo and the tests deliver to receivers on 127.0.0.1; [`UrlPolicy::allow_private`] lets
//! them, and skips name resolution altogether.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use url::{Host, Url};

/// Which addresses destinations may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UrlPolicy {
    /// Allow loopback, private and other non-public addresses (demo and tests only).
    pub allow_private: bool,
}

impl UrlPolicy {
    /// Public addresses only: what a real deployment uses.
    pub const fn production() -> Self {
        UrlPolicy {
            allow_private: false,
        }
    }

    /// Any address, for the demo and the tests whose receivers listen on 127.0.0.1.
    pub const fn allow_private() -> Self {
        UrlPolicy {
            allow_private: true,
        }
    }
}

/// Why a destination address was refused. The messages name the host but never the whole URL,
/// whose path may hold a token (Slack's does).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    /// The text is not a URL.
    #[error("this is not a valid URL ({reason}); enter the full address, starting with https://")]
    NotAUrl {
        /// What the URL parser said.
        reason: String,
    },
    /// The URL uses another scheme than http or https.
    #[error(
        "the URL uses `{scheme}:`, but destinations are reached over HTTP; use an https:// URL"
    )]
    NotHttp {
        /// The scheme found.
        scheme: String,
    },
    /// The URL or setting has no host.
    #[error("the address has no host name; enter the full address, e.g. https://example.com/hook")]
    NoHost,
    /// The host is `localhost` or a name under it.
    #[error(
        "`{host}` is this server itself; AtlasLens only delivers to public addresses \
         (private addresses are allowed only in demo mode)"
    )]
    Localhost {
        /// The host as written.
        host: String,
    },
    /// The host is, or resolves to, an address that is not public.
    #[error(
        "`{host}` {what}{range}; AtlasLens only delivers to public addresses. \
         Use the destination's public address (private addresses are allowed only in demo mode)",
        what = verb(.host, .addr)
    )]
    NonPublic {
        /// The host as written.
        host: String,
        /// The offending address.
        addr: IpAddr,
        /// Which kind of address it is, in words.
        range: &'static str,
    },
    /// The host name could not be resolved.
    #[error("the host name `{host}` could not be resolved ({reason}); check its spelling")]
    Unresolvable {
        /// The host as written.
        host: String,
        /// What the resolver said.
        reason: String,
    },
}

/// "is " when the host is the address itself, "resolves to <addr>, which is " when it is a name.
fn verb(host: &str, addr: &IpAddr) -> String {
    if host.parse::<IpAddr>().ok() == Some(*addr) {
        "is ".to_owned()
    } else {
        format!("resolves to {addr}, which is ")
    }
}

/// Parses `raw` and checks that it is an http(s) URL whose host `policy` allows, resolving a host
/// name to check every address it has.
///
/// # Errors
/// A [`GuardError`] saying what was wrong and what to do.
pub async fn check_url(raw: &str, policy: UrlPolicy) -> Result<Url, GuardError> {
    let url = Url::parse(raw.trim()).map_err(|e| GuardError::NotAUrl {
        reason: e.to_string(),
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(GuardError::NotHttp {
            scheme: url.scheme().to_owned(),
        });
    }
    match url.host() {
        None => return Err(GuardError::NoHost),
        Some(Host::Domain("")) => return Err(GuardError::NoHost),
        Some(Host::Ipv4(ip)) => check_ip(&ip.to_string(), IpAddr::V4(ip), policy)?,
        Some(Host::Ipv6(ip)) => check_ip(&ip.to_string(), IpAddr::V6(ip), policy)?,
        Some(Host::Domain(name)) => {
            let port = url.port_or_known_default().unwrap_or(443);
            check_name(name, port, policy).await?;
        }
    }
    Ok(url)
}

/// Checks a bare host (a syslog collector): an IP literal or a name, resolved and checked as in
/// [`check_url`]. Returns the addresses to connect to (empty when `policy` allows private
/// addresses, in which case the caller resolves as usual).
///
/// # Errors
/// A [`GuardError`] saying what was wrong and what to do.
pub async fn check_host(
    host: &str,
    port: u16,
    policy: UrlPolicy,
) -> Result<Vec<SocketAddr>, GuardError> {
    let host = host.trim();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.is_empty() {
        return Err(GuardError::NoHost);
    }
    if let Ok(ip) = bare.parse::<IpAddr>() {
        check_ip(bare, ip, policy)?;
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    check_name(bare, port, policy).await
}

/// Resolves `name` and refuses it unless every address is allowed.
pub(crate) async fn check_name(
    name: &str,
    port: u16,
    policy: UrlPolicy,
) -> Result<Vec<SocketAddr>, GuardError> {
    if policy.allow_private {
        return Ok(Vec::new());
    }
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    if lower == "localhost" || lower.ends_with(".localhost") {
        return Err(GuardError::Localhost {
            host: name.to_owned(),
        });
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
        .await
        .map_err(|e| GuardError::Unresolvable {
            host: name.to_owned(),
            reason: e.to_string(),
        })?
        .collect();
    if addrs.is_empty() {
        return Err(GuardError::Unresolvable {
            host: name.to_owned(),
            reason: "no addresses".to_owned(),
        });
    }
    for addr in &addrs {
        if let Some(range) = non_public(addr.ip()) {
            return Err(GuardError::NonPublic {
                host: name.to_owned(),
                addr: addr.ip(),
                range,
            });
        }
    }
    Ok(addrs)
}

fn check_ip(host: &str, ip: IpAddr, policy: UrlPolicy) -> Result<(), GuardError> {
    if policy.allow_private {
        return Ok(());
    }
    match non_public(ip) {
        Some(range) => Err(GuardError::NonPublic {
            host: host.to_owned(),
            addr: ip,
            range,
        }),
        None => Ok(()),
    }
}

/// What kind of non-public address `ip` is, or `None` when it is a public unicast address.
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => non_public_v6(v6),
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "an unspecified address (0.0.0.0/8)",
        (127, _, _) => "a loopback address (127.0.0.0/8)",
        (10, _, _) => "a private address (10.0.0.0/8)",
        (172, 16..=31, _) => "a private address (172.16.0.0/12)",
        (192, 168, _) => "a private address (192.168.0.0/16)",
        (169, 254, _) => "a link-local address (169.254.0.0/16)",
        (100, 64..=127, _) => "a shared carrier-grade NAT address (100.64.0.0/10)",
        (192, 0, 0) => "an IETF protocol address (192.0.0.0/24)",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a documentation address",
        (192, 88, 99) => "a 6to4 relay address (192.88.99.0/24)",
        (198, 18..=19, _) => "a benchmarking address (198.18.0.0/15)",
        (224..=239, _, _) => "a multicast address (224.0.0.0/4)",
        (240..=255, _, _) => "a reserved or broadcast address (240.0.0.0/4)",
        _ => return None,
    })
}

fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip.is_unspecified() {
        return Some("an unspecified address (::)");
    }
    if ip.is_loopback() {
        return Some("a loopback address (::1)");
    }
    // Addresses that carry an IPv4 address are judged by it: ::ffff:127.0.0.1 is loopback, and
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the embedded address.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return non_public_v4(v4);
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return non_public_v4(embedded_v4(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return non_public_v4(embedded_v4(s[1], s[2]));
    }
    Some(match s[0] {
        0x0064 if s[1] == 0xff9b => "a local-use NAT64 address (64:ff9b:1::/48)",
        0x0000..=0x00ff => "a reserved address (::/8, including IPv4-compatible addresses)",
        0xfc00..=0xfdff => "a unique local address (fc00::/7)",
        0xfe80..=0xfebf => "a link-local address (fe80::/10)",
        0xfec0..=0xfeff => "a site-local address (fec0::/10)",
        0xff00..=0xffff => "a multicast address (ff00::/8)",
        0x2001 if s[1] == 0x0db8 => "a documentation address (2001:db8::/32)",
        0x2001 if s[1] < 0x0200 => "an IETF protocol address (2001::/23, including Teredo)",
        0x2000..=0x3fff => return None,
        _ => "an address outside the global unicast range (2000::/3)",
    })
}

fn embedded_v4(hi: u16, lo: u16) -> Ipv4Addr {
    let [a, b] = hi.to_be_bytes();
    let [c, d] = lo.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(ip: &str) -> Option<&'static str> {
        non_public(ip.parse().unwrap())
    }

    #[test]
    fn private_loopback_link_local_and_reserved_addresses_are_not_public() {
        for ip in [
            "0.0.0.0",
            "127.0.0.1",
            "127.255.0.9",
            "10.0.0.1",
            "172.16.4.4",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "192.0.2.10",
            "198.18.0.1",
            "224.0.0.251",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "64:ff9b::7f00:1",
            "2002:0a00:0001::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
        ] {
            assert!(kind(ip).is_some(), "{ip} should not be public");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001:81a::200e",
            "64:ff9b::808:808",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(kind(ip), None, "{ip} should be public");
        }
    }

    #[tokio::test]
    async fn integer_and_hex_forms_of_loopback_are_caught_after_url_normalisation() {
        for raw in [
            "http://2130706433/",
            "http://0x7f.1/",
            "http://[::ffff:7f00:1]/",
        ] {
            let err = check_url(raw, UrlPolicy::production()).await.unwrap_err();
            assert!(matches!(err, GuardError::NonPublic { .. }), "{raw}: {err}");
        }
    }

    #[tokio::test]
    async fn localhost_names_are_refused_without_asking_the_resolver() {
        for host in ["localhost", "LOCALHOST.", "api.localhost"] {
            let err = check_host(host, 514, UrlPolicy::production())
                .await
                .unwrap_err();
            assert!(matches!(err, GuardError::Localhost { .. }), "{host}: {err}");
        }
        assert!(check_host("localhost", 514, UrlPolicy::allow_private())
            .await
            .is_ok());
    }

    #[test]
    fn a_name_that_resolves_to_a_private_address_names_the_address() {
        let err = GuardError::NonPublic {
            host: "intranet.example.com".to_owned(),
            addr: "10.0.0.5".parse().unwrap(),
            range: "a private address (10.0.0.0/8)",
        };
        assert!(err.to_string().starts_with(
            "`intranet.example.com` resolves to 10.0.0.5, which is a private address (10.0.0.0/8); "
        ));
    }

    #[tokio::test]
    async fn messages_say_what_was_wrong_and_never_repeat_the_path() {
        let err = check_url(
            "http://10.0.0.1/services/T000/B000/secret-token",
            UrlPolicy::production(),
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(err.contains("10.0.0.1") && err.contains("private"), "{err}");
        assert!(err.contains("public address"), "{err}");
        assert!(!err.contains("secret-token"), "{err}");
        let err = check_url("ftp://example.com/x", UrlPolicy::allow_private())
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("ftp") && err.contains("https://"), "{err}");
    }
}
