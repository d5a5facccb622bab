//! Settings, read once from the environment at start-up. Every variable AtlasLens reads is listed
//! here (and in the README); a bad value stops start-up with a message naming the variable.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `MONGODB_URI` | — | an existing MongoDB server; without it an embedded one is started |
//! | `ATLASLENS_DB_NAME` | `atlaslens` | the database name |
//! | `ATLASLENS_BIND` | `127.0.0.1:3000` | the web server's address |
//! | `ATLASLENS_DATA_DIR` | `./data` | embedded database files, generated key, discovery file |
//! | `ATLASLENS_ENCRYPTION_KEY` | generated into the data dir | 32 bytes, base64: encrypts personal data |
//! | `ATLASLENS_PREVIOUS_ENCRYPTION_KEYS` | — | older keys (comma-separated base64), still able to decrypt |
//! | `ATLASLENS_RETENTION_DAYS` | `365` | events older than this are removed by a TTL index |
//! | `ATLASLENS_SECURE_COOKIES` | off | mark the session cookie `Secure` (set behind TLS) |
//! | `ATLASLENS_SESSION_IDLE_MINUTES` | `480` | a session ends after this long without a request |
//! | `ATLASLENS_EMBEDDED_CACHE_MB` | `1024` | storage-engine cache of the embedded database |
//! | `ATLASLENS_PUBLIC_URL` | `http://<bind>` | the address people open AtlasLens at: alert links in notifications |
//! | `ATLASLENS_ALLOW_PRIVATE_DESTINATIONS` | off | let alert destinations be loopback or private addresses (demo, tests); off in production, the SSRF guard |

use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A setting with an unusable value.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {reason}")]
pub struct ConfigError {
    /// The environment variable.
    pub variable: &'static str,
    /// What is wrong with its value (never the value itself, which may be a secret).
    pub reason: String,
}

/// Everything the server and the commands need to know about their environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// An external server to use instead of the embedded one.
    pub mongodb_uri: Option<SecretString>,
    /// The database name.
    pub db_name: String,
    /// Where the web server listens.
    pub bind: SocketAddr,
    /// Local state: embedded database, generated key, discovery file.
    pub data_dir: PathBuf,
    /// The current encryption key, base64, if given.
    pub encryption_key: Option<SecretString>,
    /// Older encryption keys, base64, still used for decryption.
    pub previous_encryption_keys: Vec<SecretString>,
    /// Event retention in days.
    pub retention_days: u32,
    /// Whether the session cookie carries `Secure`.
    pub secure_cookies: bool,
    /// Idle session lifetime in minutes.
    pub session_idle_minutes: u32,
    /// Cache size of the embedded database, in MiB.
    pub embedded_cache_mb: u32,
    /// The deployments file (`ATLASLENS_CONFIG`), if any.
    pub deployments_file: Option<PathBuf>,
    /// How long a sync worker's claim on a job lasts without a heartbeat before another worker
    /// takes the job over, in seconds.
    pub job_lease_seconds: u32,
    /// The address people open AtlasLens at, for links in notifications.
    pub public_url: String,
    /// Whether alert destinations may be loopback or private addresses (off: the SSRF guard).
    pub allow_private_destinations: bool,
    /// The largest file an import accepts, in MiB (compressed size when it is).
    pub import_max_mb: u32,
    /// Calls each ingest token may make per minute.
    pub ingest_calls_per_minute: u32,
}

impl Settings {
    /// Where the field-encryption keys come from, for [`store::crypto::load_key_ring`].
    pub fn key_config(&self) -> store::crypto::KeyConfig<'_> {
        store::crypto::KeyConfig {
            current: self.encryption_key.as_ref(),
            previous: &self.previous_encryption_keys,
            data_dir: &self.data_dir,
        }
    }

    /// Reads the settings from the process environment.
    ///
    /// # Errors
    /// A variable with an unusable value.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`, which returns a variable's value when it is set.
    ///
    /// # Errors
    /// A variable with an unusable value.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let bad = |variable: &'static str, reason: &str| ConfigError {
            variable,
            reason: reason.to_owned(),
        };

        let db_name = get("ATLASLENS_DB_NAME").unwrap_or_else(|| "atlaslens".to_owned());
        if db_name.len() > 63 || db_name.chars().any(|c| "/\\. \"$*<>:|?".contains(c)) {
            return Err(bad(
                "ATLASLENS_DB_NAME",
                "not a valid MongoDB database name",
            ));
        }
        let bind = get("ATLASLENS_BIND")
            .unwrap_or_else(|| "127.0.0.1:3000".to_owned())
            .parse()
            .map_err(|_| {
                bad(
                    "ATLASLENS_BIND",
                    "expected an address such as 127.0.0.1:3000",
                )
            })?;
        // A TTL index takes at most 2^31 − 1 seconds (about 68 years).
        let retention_days = parse_number(&get, "ATLASLENS_RETENTION_DAYS", 365, 1..=24_855)?;
        let session_idle_minutes =
            parse_number(&get, "ATLASLENS_SESSION_IDLE_MINUTES", 480, 1..=43_200)?;
        let embedded_cache_mb =
            parse_number(&get, "ATLASLENS_EMBEDDED_CACHE_MB", 1024, 64..=1_048_576)?;
        let job_lease_seconds = parse_number(&get, "ATLASLENS_JOB_LEASE_SECONDS", 60, 2..=3600)?;
        let import_max_mb = parse_number(&get, "ATLASLENS_IMPORT_MAX_MB", 2048, 1..=1_048_576)?;
        let ingest_calls_per_minute =
            parse_number(&get, "ATLASLENS_INGEST_CALLS_PER_MINUTE", 120, 1..=100_000)?;
        let flag = |name: &'static str| match get(name).as_deref() {
            None | Some("0" | "false" | "no" | "off") => Ok(false),
            Some("1" | "true" | "yes" | "on") => Ok(true),
            Some(_) => Err(bad(name, "expected true or false")),
        };
        let secure_cookies = flag("ATLASLENS_SECURE_COOKIES")?;
        let allow_private_destinations = flag("ATLASLENS_ALLOW_PRIVATE_DESTINATIONS")?;
        let public_url = match get("ATLASLENS_PUBLIC_URL") {
            None => format!("http://{bind}"),
            Some(u) if u.starts_with("http://") || u.starts_with("https://") => {
                u.trim_end_matches('/').to_owned()
            }
            Some(_) => {
                return Err(bad(
                    "ATLASLENS_PUBLIC_URL",
                    "expected an http(s) URL such as https://atlaslens.example.com",
                ))
            }
        };
        Ok(Self {
            mongodb_uri: get("MONGODB_URI").map(SecretString::from),
            db_name,
            bind,
            data_dir: PathBuf::from(
                get("ATLASLENS_DATA_DIR").unwrap_or_else(|| "./data".to_owned()),
            ),
            encryption_key: get("ATLASLENS_ENCRYPTION_KEY").map(SecretString::from),
            previous_encryption_keys: get("ATLASLENS_PREVIOUS_ENCRYPTION_KEYS")
                .map(|v| {
                    v.split(',')
                        .map(|k| SecretString::from(k.trim().to_owned()))
                        .collect()
                })
                .unwrap_or_default(),
            retention_days,
            secure_cookies,
            public_url,
            allow_private_destinations,
            session_idle_minutes,
            embedded_cache_mb,
            deployments_file: get("ATLASLENS_CONFIG").map(PathBuf::from),
            job_lease_seconds,
            import_max_mb,
            ingest_calls_per_minute,
        })
    }
}

fn parse_number(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, ConfigError> {
    let Some(text) = get(variable) else {
        return Ok(default);
    };
    text.parse::<u32>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| ConfigError {
            variable,
            reason: format!(
                "expected a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let s = settings(&[]).unwrap();
        assert!(s.mongodb_uri.is_none());
        assert_eq!(s.db_name, "atlaslens");
        assert_eq!(s.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        assert_eq!(s.retention_days, 365);
        assert!(!s.secure_cookies);
        assert_eq!(s.session_idle_minutes, 480);
    }

    #[test]
    fn values_are_read_and_trimmed() {
        let s = settings(&[
            ("MONGODB_URI", " mongodb://db:27017 "),
            ("ATLASLENS_RETENTION_DAYS", "30"),
            ("ATLASLENS_SECURE_COOKIES", "true"),
            ("ATLASLENS_BIND", "0.0.0.0:8080"),
        ])
        .unwrap();
        assert_eq!(s.mongodb_uri.unwrap().expose_secret(), "mongodb://db:27017");
        assert_eq!(s.retention_days, 30);
        assert!(s.secure_cookies);
        assert_eq!(s.bind.port(), 8080);
    }

    #[test]
    fn a_bad_value_names_its_variable_but_not_its_value() {
        let err = settings(&[("ATLASLENS_RETENTION_DAYS", "forever")]).unwrap_err();
        assert_eq!(err.variable, "ATLASLENS_RETENTION_DAYS");
        assert!(!err.to_string().contains("forever"));
        assert!(settings(&[("ATLASLENS_RETENTION_DAYS", "0")]).is_err());
        // Beyond what a TTL index can express (2^31 − 1 seconds), which the server would refuse.
        assert!(settings(&[("ATLASLENS_RETENTION_DAYS", "24856")]).is_err());
        assert!(settings(&[("ATLASLENS_RETENTION_DAYS", "24855")]).is_ok());
        assert!(settings(&[("ATLASLENS_BIND", "localhost")]).is_err());
        assert!(settings(&[("ATLASLENS_SECURE_COOKIES", "maybe")]).is_err());
        assert!(settings(&[("ATLASLENS_DB_NAME", "a.b")]).is_err());
    }
}
