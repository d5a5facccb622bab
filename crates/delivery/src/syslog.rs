//! Syslog to a SIEM collector: RFC 5424 messages over TCP (or TLS), octet-counted as RFC 6587
//! describes (`<length> <message>`), carrying CEF or the webhook's JSON.
//!
//! The line is `<PRI>1 TIMESTAMP HOSTNAME atlaslens PROCID alert [atlaslens@32473 …] MSG`:
//!
//! - **PRI** is facility × 8 + severity. The facility is 10, `authpriv` (security/authorisation,
//!   private). We chose it over 13 (`log audit`) because collectors route it: stock rsyslog and
//!   syslog-ng send `authpriv.*` to the restricted security log and SIEM parsers file it as
//!   security, while facility 13 matches no default rule and is often dropped. Severity maps low
//!   → 5 notice, medium → 4 warning, high → 2 critical.
//! - **TIMESTAMP** is the notification's time, so every attempt sends the same line.
//! - **Structured data** `[atlaslens@32473 alert="…" rule="…" severity="…" event="…"]`, with `\`,
//!   `"` and `]` escaped as RFC 5424 §6.3.3 requires. 32473 is the private enterprise number
//!   RFC 5612 reserves for documentation; a registered number should replace it before collectors
//!   start keying on it.
//! - **MSG** is either CEF (`CEF:0|AtlasLens|AtlasLens|<version>|<rule_id>|<title>|<0–10>|<ext>`,
//!   header fields escaping `\` and `|`, extension values `\`, `=` and line breaks) or the
//!   webhook body. Neither holds a raw line break, so the message also survives collectors that
//!   split on newlines. No UTF-8 BOM is sent (RFC 5424 `MSG-ANY`), since many collectors keep it.
//!
//! An incident notification is the same line about the incident: its severity sets PRI, the
//! structured data adds `incident="…"`, and the CEF name is the kind's label and the incident's
//! title, with `cs5` the incident's id and `cs6` its page (the alert that caused it stays in
//! `cs1`–`cs3`).
//!
//! Syslog has no reply: a message counts as delivered once written and the connection closed
//! cleanly. One connection per message keeps failures attributable to one notification.

use crate::guard::{self, UrlPolicy};
use crate::notification::Notification;
use crate::outcome::Outcome;
use crate::webhook;
use domain::Severity;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

/// The syslog facility: 10, `authpriv` (see the module notes for why not 13).
pub const FACILITY: u8 = 10;
/// The structured-data id of our element.
pub const SD_ID: &str = "atlaslens@32473";
/// APP-NAME.
pub const APP_NAME: &str = "atlaslens";
/// MSGID.
pub const MSG_ID: &str = "alert";

/// What the syslog message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyslogFormat {
    /// ArcSight Common Event Format.
    Cef,
    /// The webhook body's JSON.
    Json,
}

impl SyslogFormat {
    /// The stored name (`cef`, `json`).
    pub const fn as_str(self) -> &'static str {
        match self {
            SyslogFormat::Cef => "cef",
            SyslogFormat::Json => "json",
        }
    }
}

/// The syslog severity of an alert.
pub const fn syslog_severity(s: Severity) -> u8 {
    match s {
        Severity::Low => 5,
        Severity::Medium => 4,
        Severity::High => 2,
    }
}

/// PRI: facility × 8 + severity.
pub const fn pri(s: Severity) -> u8 {
    FACILITY * 8 + syslog_severity(s)
}

/// The CEF severity (0–10): low 3, medium 6, high 8.
pub const fn cef_severity(s: Severity) -> u8 {
    match s {
        Severity::Low => 3,
        Severity::Medium => 6,
        Severity::High => 8,
    }
}

/// Escapes an SD-PARAM value: `\`, `"` and `]`.
pub fn escape_sd(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | '"' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Escapes a CEF header field: `\` and `|`; line breaks become spaces (a header is one line).
pub fn escape_cef_header(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '\r' | '\n' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes a CEF extension value: `\`, `=`, and line breaks as `\n` / `\r`.
pub fn escape_cef_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '=' => out.push_str("\\="),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
    out
}

/// The CEF message of a notification.
pub fn cef(n: &Notification) -> String {
    let a = &n.alert;
    let mut ext: Vec<(&str, String)> = vec![
        ("rt", n.timestamp.timestamp_millis().to_string()),
        ("start", a.first_seen.timestamp_millis().to_string()),
        ("end", a.last_seen.timestamp_millis().to_string()),
        ("cnt", a.count.to_string()),
        ("msg", a.why.clone()),
    ];
    if let Some(person) = ["person", "user", "actor"]
        .iter()
        .find_map(|f| a.group_value(f))
    {
        ext.push(("suser", person.to_owned()));
    }
    // `src` must be an IP address; anything else would make strict parsers drop the event.
    if let Some(ip) = a
        .group_value("ip")
        .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
    {
        ext.push(("src", ip.to_owned()));
    }
    ext.extend([
        ("cs1Label", "alert".to_owned()),
        ("cs1", a.id.clone()),
        ("cs2Label", "rule".to_owned()),
        ("cs2", a.rule_name.clone()),
        ("cs3Label", "link".to_owned()),
        ("cs3", a.url.clone()),
        ("cs4Label", "event".to_owned()),
        ("cs4", n.event.as_str().to_owned()),
    ]);
    if let Some(i) = &n.incident {
        ext.extend([
            ("cs5Label", "incident".to_owned()),
            ("cs5", i.id.clone()),
            ("cs6Label", "incidentLink".to_owned()),
            ("cs6", i.url.clone()),
        ]);
    }
    let (name, severity) = match &n.incident {
        Some(i) => (format!("{}: {}", n.event.label(), i.title), i.severity),
        None => (a.title.clone(), a.severity),
    };
    let extension: Vec<String> = ext
        .iter()
        .map(|(k, v)| format!("{k}={}", escape_cef_value(v)))
        .collect();
    format!(
        "CEF:0|AtlasLens|AtlasLens|{}|{}|{}|{}|{}",
        escape_cef_header(env!("CARGO_PKG_VERSION")),
        escape_cef_header(&a.rule_id),
        escape_cef_header(&name),
        cef_severity(severity),
        extension.join(" "),
    )
}

/// This machine's name as RFC 5424 allows it (printable ASCII, at most 255), or `-`.
fn local_hostname() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let name = hostname::get()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_default();
        if name.is_empty() || name.len() > 255 || !name.bytes().all(|b| (33..=126).contains(&b)) {
            "-".to_owned()
        } else {
            name
        }
    })
}

/// The RFC 5424 message (without framing), sent from `hostname` by process `procid`.
pub fn message(n: &Notification, format: SyslogFormat, hostname: &str, procid: u32) -> String {
    let a = &n.alert;
    let severity = n.incident.as_ref().map_or(a.severity, |i| i.severity);
    let incident = n
        .incident
        .as_ref()
        .map(|i| format!(" incident=\"{}\"", escape_sd(&i.id)))
        .unwrap_or_default();
    let sd = format!(
        "[{SD_ID} alert=\"{}\" rule=\"{}\" severity=\"{}\" event=\"{}\"{incident}]",
        escape_sd(&a.id),
        escape_sd(&a.rule_id),
        severity.as_str(),
        n.event.as_str(),
    );
    let msg = match format {
        SyslogFormat::Cef => cef(n),
        SyslogFormat::Json => String::from_utf8(webhook::body(n)).unwrap_or_default(),
    };
    format!(
        "<{}>1 {} {hostname} {APP_NAME} {procid} {MSG_ID} {sd} {msg}",
        pri(severity),
        n.timestamp
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}

/// Octet-counting framing (RFC 6587 §3.4.1): the message's length in bytes, a space, the message.
pub fn frame(message: &str) -> Vec<u8> {
    let mut out = format!("{} ", message.len()).into_bytes();
    out.extend_from_slice(message.as_bytes());
    out
}

/// Where and how to send.
#[derive(Debug, Clone)]
pub(crate) struct Target<'a> {
    pub host: &'a str,
    pub port: u16,
    pub tls: bool,
    pub format: SyslogFormat,
}

/// Sends one notification to a collector, checking the host's addresses against `policy` at
/// connection time and giving up after `timeout`.
pub(crate) async fn deliver(
    target: Target<'_>,
    n: &Notification,
    policy: UrlPolicy,
    timeout: Duration,
) -> Outcome {
    let addrs = match guard::check_host(target.host, target.port, policy).await {
        Ok(addrs) => addrs,
        Err(e) => {
            return Outcome::Failed {
                status: None,
                reason: e.to_string(),
            }
        }
    };
    let bytes = frame(&message(
        n,
        target.format,
        local_hostname(),
        std::process::id(),
    ));
    let attempt = async {
        // Connect to the addresses just checked, so a second lookup cannot swap them.
        let stream = if addrs.is_empty() {
            TcpStream::connect((target.host, target.port)).await?
        } else {
            TcpStream::connect(&addrs[..]).await?
        };
        if target.tls {
            let name = rustls::pki_types::ServerName::try_from(target.host.to_owned())
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
            let connector = tokio_rustls::TlsConnector::from(tls_config());
            let tls = connector.connect(name, stream).await?;
            write_all(tls, &bytes).await
        } else {
            write_all(stream, &bytes).await
        }
    };
    let over = if target.tls { "TLS" } else { "TCP" };
    let place = format!("{}:{}", target.host, target.port);
    match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok(())) => Outcome::Delivered {
            status: None,
            remote_ref: None,
            detail: format!("sent {} bytes to {place} over {over}", bytes.len()),
        },
        Ok(Err(e)) => classify_io(&place, over, &e),
        Err(_) => Outcome::Retry {
            status: None,
            retry_after: None,
            reason: format!(
                "the syslog collector {place} did not accept the message within {} s",
                timeout.as_secs()
            ),
        },
    }
}

async fn write_all<S: AsyncWrite + Unpin>(mut stream: S, bytes: &[u8]) -> std::io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await?;
    stream.shutdown().await
}

fn classify_io(place: &str, over: &str, e: &std::io::Error) -> Outcome {
    use std::io::ErrorKind;
    match e.kind() {
        // rustls reports certificate and protocol failures as invalid data: a setting to fix,
        // not a network hiccup.
        ErrorKind::InvalidData | ErrorKind::InvalidInput => Outcome::Failed {
            status: None,
            reason: format!(
                "the {over} connection to {place} failed: {e}; check the host name, the port and \
                 that the collector's certificate is valid for that name"
            ),
        },
        _ => Outcome::Retry {
            status: None,
            retry_after: None,
            reason: format!("the syslog collector {place} could not be reached over {over}: {e}"),
        },
    }
}

/// The TLS client settings: the Mozilla root store (webpki-roots), ring's crypto, TLS 1.2 and 1.3.
fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
            Arc::new(config)
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notification::tests::{incident_sample, sample};
    use crate::notification::NotificationKind;

    #[test]
    fn an_incident_line_names_the_incident_in_structured_data_and_cef() {
        let n = incident_sample(NotificationKind::IncidentReopened);
        let line = message(&n, SyslogFormat::Cef, "host1", 77);
        assert!(
            line.contains(r#"event="incident.reopened" incident="inc_7"]"#),
            "{line}"
        );
        assert!(
            line.contains("|bulk-export|Incident reopened: Bulk export — Ana Souza|8|"),
            "{line}"
        );
        assert!(
            line.contains(
                "cs5=inc_7 cs6Label=incidentLink cs6=https://atlaslens.example.com/incidents/inc_7"
            ),
            "{line}"
        );
        let json = message(&n, SyslogFormat::Json, "host1", 77);
        assert!(json.contains(r#""incident":{"#), "{json}");
    }

    #[test]
    fn pri_is_authpriv_times_eight_plus_severity() {
        assert_eq!(pri(Severity::High), 82);
        assert_eq!(pri(Severity::Medium), 84);
        assert_eq!(pri(Severity::Low), 85);
    }

    #[test]
    fn the_cef_line_has_the_header_and_extensions() {
        let line = cef(&sample());
        let version = env!("CARGO_PKG_VERSION");
        assert!(
            line.starts_with(&format!(
                "CEF:0|AtlasLens|AtlasLens|{version}|bulk-export|Ana Souza exported 41 issues|8|rt="
            )),
            "{line}"
        );
        for part in [
            "msg=41 exports today, usual 3 ",
            "suser=Ana Souza ",
            "src=203.0.113.9 ",
            "cs1Label=alert cs1=al_42 ",
            "cnt=41 ",
        ] {
            assert!(line.contains(part), "{part} in {line}");
        }
    }

    #[test]
    fn cef_escapes_pipes_in_headers_and_equals_backslashes_and_newlines_in_values() {
        let mut n = sample();
        n.alert.title = "a|b\\c\nd".to_owned();
        n.alert.why = "x=1\\2\nnext\rline|ok".to_owned();
        n.alert.group[1].1 = "not-an-ip".to_owned();
        let line = cef(&n);
        assert!(line.contains("|a\\|b\\\\c d|8|"), "{line}");
        assert!(line.contains("msg=x\\=1\\\\2\\nnext\\rline|ok "), "{line}");
        assert!(!line.contains("src="), "{line}");
        assert!(!line.contains('\n') && !line.contains('\r'));
    }

    #[test]
    fn the_rfc5424_line_has_header_structured_data_and_message() {
        let line = message(&sample(), SyslogFormat::Cef, "host1", 77);
        assert!(
            line.starts_with(
                "<82>1 2026-03-02T10:15:00.000Z host1 atlaslens 77 alert \
                 [atlaslens@32473 alert=\"al_42\" rule=\"bulk-export\" severity=\"high\" \
                 event=\"alert.opened\"] CEF:0|"
            ),
            "{line}"
        );
        let json = message(&sample(), SyslogFormat::Json, "host1", 77);
        let (_, body) = json.split_once("\"] ").unwrap();
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["type"], "alert.opened");
    }

    #[test]
    fn structured_data_values_escape_backslash_quote_and_bracket() {
        let mut n = sample();
        n.alert.id = r#"a"b]c\d"#.to_owned();
        let line = message(&n, SyslogFormat::Json, "h", 1);
        assert!(line.contains(r#"alert="a\"b\]c\\d""#), "{line}");
    }

    #[test]
    fn frames_count_bytes_not_characters() {
        assert_eq!(frame("é"), b"2 \xc3\xa9".to_vec());
    }

    #[tokio::test]
    async fn a_private_collector_is_refused_in_production() {
        assert!(guard::check_host("10.1.2.3", 514, UrlPolicy::production())
            .await
            .is_err());
        let out = deliver(
            Target {
                host: "127.0.0.1",
                port: 9,
                tls: false,
                format: SyslogFormat::Cef,
            },
            &sample(),
            UrlPolicy::production(),
            Duration::from_secs(1),
        )
        .await;
        assert!(
            matches!(&out, Outcome::Failed { reason, .. } if reason.contains("loopback")),
            "{out:?}"
        );
    }
}
