//! Administrator accounts and sign-in: argon2id password hashes, one answer for every kind of
//! wrong credentials, and throttling of repeated failures per username and per client address.
//!
//! There is no sign-up: accounts are created by the `seed-admin` command through
//! [`Authenticator::create_admin`].

use crate::store::login_failures::{FailureKey, LoginFailureStore};
use crate::store::users::{CreateUserError, UserStore};
use crate::store::StoreError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Duration;

/// Failures allowed per username or per address inside [`THROTTLE_WINDOW`].
pub const MAX_FAILURES: u64 = 5;
/// The window failures are counted in.
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Shortest password `seed-admin` accepts.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The session key under which the signed-in administrator is stored.
pub const SESSION_USER_KEY: &str = "admin";

/// The administrator a session belongs to, as stored in the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    /// The normalised username.
    pub username: String,
}

/// A normalised administrator username: trimmed, lower-case, 1–64 of `a-z 0-9 . _ @ -`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

/// Why a username or password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// The username has the wrong shape.
    #[error("a username is 1 to 64 characters of letters, digits, '.', '_', '@' or '-'")]
    BadUsername,
    /// The password is too short.
    #[error("the password must be at least {MIN_PASSWORD_CHARS} characters")]
    PasswordTooShort,
    /// The password is absurdly long.
    #[error("the password must be at most 1024 characters")]
    PasswordTooLong,
}

impl Username {
    /// Normalises and validates a username.
    ///
    /// # Errors
    /// [`CredentialError::BadUsername`].
    pub fn parse(s: &str) -> Result<Self, CredentialError> {
        let s = s.trim().to_lowercase();
        let valid = (1..=64).contains(&s.chars().count())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._@-".contains(c));
        valid.then_some(Self(s)).ok_or(CredentialError::BadUsername)
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password accepted for a new account: at least [`MIN_PASSWORD_CHARS`] characters.
pub struct NewPassword(SecretString);

impl NewPassword {
    /// Checks the password policy.
    ///
    /// # Errors
    /// Too short or too long.
    pub fn parse(password: SecretString) -> Result<Self, CredentialError> {
        let n = password.expose_secret().chars().count();
        if n < MIN_PASSWORD_CHARS {
            return Err(CredentialError::PasswordTooShort);
        }
        if n > 1024 {
            return Err(CredentialError::PasswordTooLong);
        }
        Ok(Self(password))
    }
}

/// Why a sign-in did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown user or wrong password; deliberately the same.
    #[error("the username or password is incorrect")]
    InvalidCredentials,
    /// Too many recent failures for this username or address.
    #[error("too many failed sign-in attempts; try again in {} minute(s)", retry_after.as_secs().div_ceil(60).max(1))]
    Throttled {
        /// How long until an attempt will be considered again.
        retry_after: Duration,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why `seed-admin` failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The name is taken and `--reset` was not given.
    #[error("an administrator named `{0}` already exists; pass --reset to set a new password")]
    Exists(String),
    /// `--reset` was given for a name that does not exist.
    #[error("there is no administrator named `{0}` to reset")]
    Missing(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Signs administrators in and creates their accounts.
#[derive(Debug, Clone)]
pub struct Authenticator {
    users: UserStore,
    failures: LoginFailureStore,
}

impl Authenticator {
    /// Uses these collections.
    pub fn new(users: UserStore, failures: LoginFailureStore) -> Self {
        Self { users, failures }
    }

    /// Checks credentials at time `now` from address `ip`.
    ///
    /// The throttle is checked first: a throttled attempt is refused without looking at the
    /// password (so it cannot be used to keep guessing) and is not counted again. Unknown users
    /// cost a full hash verification too, so timing does not reveal which names exist.
    ///
    /// # Errors
    /// [`LoginError::InvalidCredentials`], [`LoginError::Throttled`] or a database error.
    pub async fn login(
        &self,
        username: &str,
        password: SecretString,
        ip: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<SessionUser, LoginError> {
        // A name that cannot exist is still counted under its normalised form.
        let name = username.trim().to_lowercase();
        let ip_text = ip.to_string();
        if let Some(retry_after) = self.throttled_for(&name, &ip_text, now).await? {
            return Err(LoginError::Throttled { retry_after });
        }
        let stored_hash = match Username::parse(&name) {
            Ok(u) => self
                .users
                .find(u.as_str())
                .await?
                .map(|user| user.password_hash),
            Err(_) => None,
        };
        let verified = tokio::task::spawn_blocking(move || {
            let hash = stored_hash.as_deref().unwrap_or_else(|| dummy_hash());
            verify_password(hash, password.expose_secret()) && stored_hash.is_some()
        })
        .await
        .unwrap_or(false);
        if verified {
            self.failures.clear_username(&name).await?;
            Ok(SessionUser { username: name })
        } else {
            self.failures.record(&name, &ip_text, now).await?;
            Err(LoginError::InvalidCredentials)
        }
    }

    /// How long until this username and address may try again, if either is throttled.
    async fn throttled_for(
        &self,
        name: &str,
        ip: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Duration>, StoreError> {
        let window = chrono::Duration::from_std(THROTTLE_WINDOW).expect("15 minutes fits");
        let since = now - window;
        let mut lifts_at: Option<DateTime<Utc>> = None;
        for key in [FailureKey::Username(name), FailureKey::Ip(ip)] {
            if let Some(at) = self
                .failures
                .nth_latest_since(key, since, MAX_FAILURES)
                .await?
            {
                let lift = at + window;
                lifts_at = Some(lifts_at.map_or(lift, |l| l.max(lift)));
            }
        }
        Ok(lifts_at.map(|t| (t - now).to_std().unwrap_or(Duration::from_secs(1))))
    }

    /// Creates an administrator, or with `reset` replaces an existing one's password.
    ///
    /// # Errors
    /// [`AdminError::Exists`] without `reset`, [`AdminError::Missing`] with it.
    pub async fn create_admin(
        &self,
        username: &Username,
        password: NewPassword,
        reset: bool,
    ) -> Result<(), AdminError> {
        let hash = tokio::task::spawn_blocking(move || hash_password(password.0.expose_secret()))
            .await
            .expect("hashing does not panic");
        let name = username.as_str();
        if reset {
            if !self.users.set_password(name, &hash).await? {
                return Err(AdminError::Missing(name.to_owned()));
            }
            self.failures.clear_username(name).await?;
            return Ok(());
        }
        match self.users.create(name, &hash).await {
            Ok(()) => Ok(()),
            Err(CreateUserError::Exists) => Err(AdminError::Exists(name.to_owned())),
            Err(CreateUserError::Store(e)) => Err(e.into()),
        }
    }
}

/// An argon2id hash (PHC string) of `password` with a fresh salt.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters accepts any password")
        .to_string()
}

/// Whether `password` matches the PHC-format `hash`; a malformed hash never matches.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of a random password, verified against when the user does not exist.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        hash_password(salt.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify_only_the_right_password() {
        let hash = hash_password("correct horse battery");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse batterY"));
        assert!(!verify_password("not a hash", "anything"));
    }

    #[test]
    fn usernames_are_normalised_and_validated() {
        assert_eq!(Username::parse("  Admin ").unwrap().as_str(), "admin");
        assert!(Username::parse("ops.lead@acme").is_ok());
        assert_eq!(Username::parse(""), Err(CredentialError::BadUsername));
        assert_eq!(Username::parse("a b"), Err(CredentialError::BadUsername));
        assert!(Username::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(matches!(
            NewPassword::parse("elevenchars".to_owned().into()),
            Err(CredentialError::PasswordTooShort)
        ));
        assert!(NewPassword::parse("twelve chars".to_owned().into()).is_ok());
    }

    #[test]
    fn the_throttle_message_rounds_up_to_whole_minutes() {
        let e = LoginError::Throttled {
            retry_after: Duration::from_secs(61),
        };
        assert_eq!(
            e.to_string(),
            "too many failed sign-in attempts; try again in 2 minute(s)"
        );
    }
}
