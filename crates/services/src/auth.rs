//! Administrator accounts and sign-in: argon2id password hashes, one answer for every kind of
//! wrong credentials, and throttling of repeated failures (the policy is in [`throttle`]); refused
//! attempts are counted in `login_refusals` for operators.
//!
//! A name no administrator has is counted like any other, but only under a keyed digest
//! ([`CountedName`]), and logged and listed as [`domain::sign_in::UNKNOWN_USER`]: people type
//! their password into the username field, and it must not end up in logs or on the Sync page.
//!
//! There is no sign-up: accounts are created by the `seed-admin` command through
//! [`create_admin`].

pub mod throttle;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use domain::{ClientNetwork, SignInRefusal};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use store::crypto::KeyRing;
pub use store::login_failures::CountedName;
use store::login_failures::{FailureId, FailureKey, LoginFailureStore};
use store::login_refusals::LoginRefusalStore;
use store::login_successes::LoginSuccessStore;
use store::users::{CreateUserError, UserStore};
use store::{Store, StoreError};

pub use throttle::THROTTLE_WINDOW;

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
    /// Too many recent failures for this username and address, this address, or this username
    /// everywhere; the password was not checked.
    #[error("{0}")]
    Throttled(SignInRefusal),
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

/// Signs administrators in.
#[derive(Debug, Clone)]
pub struct Authenticator {
    users: UserStore,
    failures: LoginFailureStore,
    refusals: LoginRefusalStore,
    successes: LoginSuccessStore,
    /// Keys the digests unknown names are counted under.
    keys: Arc<KeyRing>,
}

/// Typed names are looked up and digested as at most this many characters: one more than a valid
/// name has, so a name that cannot exist stays one that cannot exist, and a huge one costs no more
/// than a short one.
const COUNTED_NAME_CHARS: usize = 65;

impl Authenticator {
    /// Uses the accounts and sign-in collections of `store`, and `keys` for the digests of
    /// names no administrator has.
    pub fn new(store: &Store, keys: Arc<KeyRing>) -> Self {
        Self {
            users: store.users.clone(),
            failures: store.login_failures.clone(),
            refusals: store.login_refusals.clone(),
            successes: store.login_successes.clone(),
            keys,
        }
    }

    /// Checks credentials at time `now` from address `ip`.
    ///
    /// The account is looked up first, to count the attempt under its [`CountedName`]. The
    /// throttle is checked next: a throttled attempt is refused without looking at the password
    /// (so it cannot be used to keep guessing), is not counted as a failure, and is logged and
    /// counted in `login_refusals` instead. An attempt that passes is recorded as a failure
    /// before its password is checked and the throttle is asked again without it, so parallel
    /// attempts see each other (see [`store::login_failures`]). Unknown users cost a full
    /// hash verification too, so timing does not reveal which names exist. A success forgets the
    /// failures of that username from that address and records the address as one the username
    /// signs in from, which the per-username ceiling does not apply to.
    ///
    /// # Errors
    /// [`LoginError::InvalidCredentials`], [`LoginError::Throttled`] or a database error.
    // No username or address in the span: a refused sign-in's log line is no place for who tried.
    #[tracing::instrument(name = "sign_in", skip_all, err(level = "info"))]
    pub async fn login(
        &self,
        username: &str,
        password: SecretString,
        ip: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<SessionUser, LoginError> {
        let typed = counted_name(username);
        let account = match Username::parse(&typed) {
            Ok(u) => self.users.find(u.as_str()).await?,
            Err(_) => None,
        };
        let name = match &account {
            Some(user) => CountedName::admin(&user.username),
            None => CountedName::unknown(&self.keys, &typed),
        };
        let address = ClientNetwork::of(ip);
        if let Some(t) = self.throttled(&name, &address, now, None).await? {
            return Err(self.refuse(t, &name, ip, now).await);
        }
        let attempt = self.failures.record(&name, &address, now).await?;
        if let Some(t) = self.throttled(&name, &address, now, Some(&attempt)).await? {
            // Another attempt got in first.
            self.failures.forget(&attempt).await?;
            return Err(self.refuse(t, &name, ip, now).await);
        }
        let stored_hash = account.map(|user| user.password_hash);
        let verified = tokio::task::spawn_blocking(move || {
            let hash = stored_hash.as_deref().unwrap_or_else(|| dummy_hash());
            verify_password(hash, password.expose_secret()) && stored_hash.is_some()
        })
        .await
        .unwrap_or(false);
        match name.username() {
            Some(username) if verified => {
                self.failures.clear(&name, &address).await?;
                self.successes.record(username, &address, now).await?;
                Ok(SessionUser {
                    username: username.to_owned(),
                })
            }
            // The recorded attempt stays, as the failure.
            _ => Err(LoginError::InvalidCredentials),
        }
    }

    /// The refusal for `throttle`, logged and counted for operators.
    async fn refuse(
        &self,
        throttle: throttle::Throttle,
        name: &CountedName,
        ip: IpAddr,
        now: DateTime<Utc>,
    ) -> LoginError {
        let wait = throttle.retry_after;
        let refusal = SignInRefusal {
            reason: throttle.reason,
            retry_after_s: (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1),
        };
        tracing::warn!(
            login.result = "refused",
            login.reason = refusal.reason.as_str(),
            login.user = name.shown(),
            client.ip = %ip,
            retry_after_s = refusal.retry_after_s,
            "sign-in refused by the throttle without checking the password"
        );
        // Counting the refusal is for operators; failing to must not let the attempt through or
        // turn the refusal into an outage.
        let address = ClientNetwork::of(ip);
        if let Err(e) = self.refusals.record(refusal, name, &address, now).await {
            tracing::warn!(error = %e, "counting a refused sign-in failed");
        }
        LoginError::Throttled(refusal)
    }

    /// Which throttle refuses this username from this address at `now`, if any, counting every
    /// recorded failure but `except`.
    async fn throttled(
        &self,
        name: &CountedName,
        address: &ClientNetwork,
        now: DateTime<Utc>,
        except: Option<&FailureId>,
    ) -> Result<Option<throttle::Throttle>, StoreError> {
        use throttle::{ADDRESS_BACKOFF, KNOWN_PLACE_FOR, PAIR_BACKOFF, USERNAME_CEILING};
        let since = now - chrono::Duration::from_std(THROTTLE_WINDOW).expect("15 minutes fits");
        let known_since = now - chrono::Duration::from_std(KNOWN_PLACE_FOR).expect("30 days fit");
        let known_place = async {
            match name.username() {
                Some(username) => {
                    self.successes
                        .signed_in_since(username, address, known_since)
                        .await
                }
                None => Ok(false),
            }
        };
        let (pair, address, username_ceiling, known_place) = futures::try_join!(
            self.failures.recent(
                FailureKey::UsernameAndAddress(name, address),
                since,
                except,
                PAIR_BACKOFF.saturates_at(),
            ),
            self.failures.recent(
                FailureKey::Address(address),
                since,
                except,
                ADDRESS_BACKOFF.saturates_at(),
            ),
            self.failures.nth_latest_since(
                FailureKey::Username(name),
                since,
                except,
                USERNAME_CEILING
            ),
            known_place,
        )?;
        let counts = throttle::FailureCounts {
            pair,
            address,
            username_ceiling,
            known_place,
        };
        Ok(throttle::refusal(&counts, now))
    }
}

/// Creates an administrator, or with `reset` replaces an existing one's password and forgets
/// the username's failures, which lifts the per-username ceiling at once.
///
/// # Errors
/// [`AdminError::Exists`] without `reset`, [`AdminError::Missing`] with it.
pub async fn create_admin(
    store: &Store,
    username: &Username,
    password: NewPassword,
    reset: bool,
) -> Result<(), AdminError> {
    let hash = tokio::task::spawn_blocking(move || hash_password(password.0.expose_secret()))
        .await
        .expect("hashing does not panic");
    let name = username.as_str();
    if reset {
        if !store.users.set_password(name, &hash).await? {
            return Err(AdminError::Missing(name.to_owned()));
        }
        store.login_failures.clear_username(name).await?;
        return Ok(());
    }
    match store.users.create(name, &hash).await {
        Ok(()) => Ok(()),
        Err(CreateUserError::Exists) => Err(AdminError::Exists(name.to_owned())),
        Err(CreateUserError::Store(e)) => Err(e.into()),
    }
}

/// A typed name normalised like [`Username::parse`] but never refused, because a name that
/// cannot exist is guessed at too; at most [`COUNTED_NAME_CHARS`] characters.
fn counted_name(username: &str) -> String {
    username
        .trim()
        .to_lowercase()
        .chars()
        .take(COUNTED_NAME_CHARS)
        .collect()
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
    fn the_throttle_error_is_the_message_people_see() {
        let e = LoginError::Throttled(SignInRefusal {
            reason: domain::ThrottleReason::Address,
            retry_after_s: 40,
        });
        assert_eq!(
            e.to_string(),
            "Too many failed sign-ins from this address; try again in 40 s"
        );
    }
}
