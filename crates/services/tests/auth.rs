//! Sign-in, its throttle and administrator accounts against a real MongoDB-wire server. Every
//! attempt is made at an injected time, so the throttle's minutes pass without sleeping.
//!
//! Long because each throttle rule gets its own test with the attempts that prove it.

use bson::{doc, Document};
use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::{ClientNetwork, SignInRefusal, ThrottleReason};
use futures::TryStreamExt;
use secrecy::SecretString;
use services::auth::throttle::USERNAME_CEILING;
use services::auth::{
    create_admin, AdminError, Authenticator, CountedName, LoginError, NewPassword, Username,
};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use store::crypto::KeyRing;
use store::Store;

const PASSWORD: &str = "a long enough password";
/// Where the real administrator signs in from.
const ADMIN_HOME: &str = "198.51.100.7";
/// Where someone who knows the administrator's name guesses from.
const ATTACKER: &str = "203.0.113.66";

fn pw(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Seconds after a fixed start. Far in the future, so the collections' TTL monitor (which goes by
/// the real clock) never removes what a test has just written.
fn at(second: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2100, 5, 1, 9, 0, 0).unwrap() + Duration::seconds(second)
}

fn minutes(m: i64) -> i64 {
    m * 60
}

async fn authenticator() -> (Authenticator, Store) {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    let auth = Authenticator::new(&store, Arc::new(KeyRing::new(&[7; 32], &[])));
    create_admin(
        &store,
        &Username::parse("Admin").unwrap(),
        NewPassword::parse(pw(PASSWORD)).unwrap(),
        false,
    )
    .await
    .unwrap();
    (auth, store)
}

fn refused(result: Result<services::auth::SessionUser, LoginError>) -> SignInRefusal {
    match result {
        Err(LoginError::Throttled(refusal)) => refusal,
        other => panic!("expected a throttled refusal, got {other:?}"),
    }
}

fn wrong(result: Result<services::auth::SessionUser, LoginError>) {
    assert!(
        matches!(result, Err(LoginError::InvalidCredentials)),
        "expected the password to be checked and found wrong, got {result:?}"
    );
}

/// Someone guessing one account's password from one address as fast as the throttle lets them:
/// a guess a second, and the moment each refusal says the wait is over.
struct Guesser {
    from: IpAddr,
    /// The second of the next guess.
    next: i64,
    /// Guesses whose password was checked.
    checked: u64,
    /// Guesses refused by the throttle.
    refused: u64,
}

impl Guesser {
    fn at(from: &str) -> Self {
        Self {
            from: ip(from),
            next: 0,
            checked: 0,
            refused: 0,
        }
    }

    /// Guesses `name`'s password until second `until`.
    async fn guess_until(&mut self, auth: &Authenticator, name: &str, until: i64) {
        while self.next < until {
            match auth
                .login(name, pw("guess"), self.from, at(self.next))
                .await
            {
                Err(LoginError::InvalidCredentials) => {
                    self.checked += 1;
                    self.next += 1;
                }
                Err(LoginError::Throttled(r)) => {
                    self.refused += 1;
                    self.next += i64::try_from(r.retry_after_s).unwrap();
                }
                other => panic!("a guess got {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn the_right_password_signs_in_with_the_normalised_name() {
    let (auth, _) = authenticator().await;
    let user = auth
        .login(" ADMIN ", pw(PASSWORD), ip("127.0.0.1"), at(0))
        .await
        .unwrap();
    assert_eq!(user.username, "admin");
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_get_the_same_answer() {
    let (auth, _) = authenticator().await;
    let wrong = auth
        .login("admin", pw("not the password"), ip("127.0.0.1"), at(0))
        .await
        .unwrap_err();
    let unknown = auth
        .login("nobody", pw(PASSWORD), ip("127.0.0.2"), at(0))
        .await
        .unwrap_err();
    assert!(matches!(wrong, LoginError::InvalidCredentials));
    assert!(matches!(unknown, LoginError::InvalidCredentials));
    assert_eq!(wrong.to_string(), unknown.to_string());
}

/// The bug: five wrong passwords for a username from anywhere refused the right one for 15
/// minutes, so anyone who knew an administrator's name could keep them out.
#[tokio::test]
async fn an_attacker_elsewhere_cannot_lock_the_admin_out() {
    let (auth, _) = authenticator().await;
    let mut attacker = Guesser::at(ATTACKER);
    // An hour of guessing; the admin signs in from home every five minutes of it.
    for minute in (5..=60).step_by(5) {
        attacker.guess_until(&auth, "admin", minutes(minute)).await;
        let admin = auth
            .login("admin", pw(PASSWORD), ip(ADMIN_HOME), at(minutes(minute)))
            .await;
        assert!(
            admin.is_ok(),
            "after {minute} minutes of guessing elsewhere ({} guesses checked) the admin got {admin:?}",
            attacker.checked
        );
    }
    assert!(attacker.refused > 0, "the attacker was slowed down");
    assert!(
        attacker.checked < USERNAME_CEILING,
        "in an hour one address gets fewer guesses than the ceiling allows in 15 minutes: {}",
        attacker.checked
    );
}

#[tokio::test]
async fn after_three_failures_each_further_one_doubles_the_wait_for_that_username_and_address() {
    let (auth, _) = authenticator().await;
    let from = ip(ATTACKER);
    for t in 0..3 {
        wrong(auth.login("admin", pw("guess"), from, at(t)).await);
    }
    let mut t = 3;
    let mut waits = Vec::new();
    for _ in 0..8 {
        wrong(auth.login("admin", pw("guess"), from, at(t)).await);
        // Even the right password is refused, without being checked.
        let refusal = refused(auth.login("admin", pw(PASSWORD), from, at(t)).await);
        assert_eq!(refusal.reason, ThrottleReason::UsernameAndAddress);
        // Hammering during the wait neither gets through nor lengthens it.
        let again = refused(auth.login("admin", pw("guess"), from, at(t + 1)).await);
        assert_eq!(again.retry_after_s, refusal.retry_after_s - 1);
        waits.push(refusal.retry_after_s);
        t += i64::try_from(refusal.retry_after_s).unwrap();
    }
    assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256]);
    assert_eq!(
        refused(auth.login("admin", pw(PASSWORD), from, at(t - 1)).await).to_string(),
        "Too many failed sign-ins for this username from this address; try again in 1 s"
    );
    assert!(
        auth.login("admin", pw(PASSWORD), from, at(t)).await.is_ok(),
        "the wait is over on time"
    );
}

#[tokio::test]
async fn an_address_trying_many_usernames_is_slowed_after_ten_failures() {
    let (auth, _) = authenticator().await;
    let from = ip(ATTACKER);
    for i in 0..10 {
        wrong(
            auth.login(&format!("user{i}"), pw("guess"), from, at(i))
                .await,
        );
    }
    // Ten failures cost nothing; the eleventh makes the next attempt wait 2 s.
    wrong(auth.login("user10", pw("guess"), from, at(10)).await);
    let refusal = refused(auth.login("admin", pw(PASSWORD), from, at(10)).await);
    assert_eq!(refusal.reason, ThrottleReason::Address);
    assert_eq!(
        refusal.to_string(),
        "Too many failed sign-ins from this address; try again in 2 s"
    );
    assert!(
        auth.login("admin", pw(PASSWORD), ip(ADMIN_HOME), at(10))
            .await
            .is_ok(),
        "other addresses are unaffected"
    );
    assert!(auth
        .login("admin", pw(PASSWORD), from, at(12))
        .await
        .is_ok());
}

#[tokio::test]
async fn addresses_in_one_ipv6_64_are_counted_as_one_address() {
    let (auth, _) = authenticator().await;
    for i in 0..4 {
        let from = ip(&format!("2001:db8:1:2::{:x}", i + 1));
        wrong(auth.login("admin", pw("guess"), from, at(i)).await);
    }
    let refusal = refused(
        auth.login("admin", pw(PASSWORD), ip("2001:db8:1:2:ffff::9"), at(4))
            .await,
    );
    assert_eq!(refusal.reason, ThrottleReason::UsernameAndAddress);
    assert!(
        auth.login("admin", pw(PASSWORD), ip("2001:db8:1:3::1"), at(4))
            .await
            .is_ok(),
        "the neighbouring /64 is another address"
    );
}

/// The bug: the per-username ceiling refused every address, so about nine IPv4 addresses or the
/// sixteen /64s of one IPv6 /60, each guessing as fast as its own limits allowed, held the
/// administrator's name at the ceiling and kept him out even at home, for as long as they went on.
#[tokio::test]
async fn a_distributed_guess_at_the_admins_name_cannot_keep_him_out_from_where_he_signs_in() {
    let (auth, _) = authenticator().await;
    let home = ip(ADMIN_HOME);
    // He signed in from home yesterday.
    auth.login("admin", pw(PASSWORD), home, at(-minutes(24 * 60)))
        .await
        .unwrap();
    let mut guessers: Vec<Guesser> = (0..16)
        .map(|i| Guesser::at(&format!("2001:db8:0:{:x}::1", 0x10 + i)))
        .collect();
    // Twenty minutes of guessing, a second at a time; he signs in from home every five.
    for second in 1..=minutes(20) {
        for guesser in &mut guessers {
            guesser.guess_until(&auth, "admin", second).await;
        }
        if second % minutes(5) == 0 {
            let admin = auth.login("admin", pw(PASSWORD), home, at(second)).await;
            assert!(
                admin.is_ok(),
                "after {second} s of guessing from a /60 the admin got {admin:?} at home"
            );
        }
    }
    let checked: u64 = guessers.iter().map(|g| g.checked).sum();
    assert!(
        checked >= USERNAME_CEILING,
        "the guessers reached the ceiling ({checked} guesses checked)"
    );
    assert!(
        checked <= 2 * USERNAME_CEILING,
        "and it held them to about {USERNAME_CEILING} guesses a quarter of an hour ({checked} checked)"
    );
}

#[tokio::test]
async fn at_the_per_username_ceiling_other_addresses_are_refused_until_the_oldest_failure_ages_out()
{
    let (auth, store) = authenticator().await;
    let (home, travelling) = (ip(ADMIN_HOME), ip("192.0.2.250"));
    // He signed in from home earlier today; from where he is now he last did 31 days ago.
    auth.login(
        "admin",
        pw(PASSWORD),
        travelling,
        at(-minutes(31 * 24 * 60)),
    )
    .await
    .unwrap();
    auth.login("admin", pw(PASSWORD), home, at(-minutes(60)))
        .await
        .unwrap();
    // 99 failures from 99 addresses over ten minutes, then the hundredth through sign-in.
    for i in 0..USERNAME_CEILING - 1 {
        let from = ClientNetwork::of(ip(&format!("192.0.2.{i}")));
        let t = i64::try_from(i).unwrap() * 6;
        store
            .login_failures
            .record(&CountedName::admin("admin"), &from, at(t))
            .await
            .unwrap();
    }
    // Below the ceiling a new address's guess is still checked; it is the hundredth failure.
    wrong(
        auth.login("admin", pw("guess"), ip("192.0.2.200"), at(minutes(10)))
            .await,
    );
    let refusal = refused(
        auth.login("admin", pw(PASSWORD), travelling, at(minutes(10)))
            .await,
    );
    assert_eq!(refusal.reason, ThrottleReason::Username);
    // The oldest of the hundred (second 0) leaves the 15-minute window at minute 15.
    assert_eq!(refusal.retry_after_s, 5 * 60);
    assert_eq!(
        refused(
            auth.login("admin", pw("guess"), ip("192.0.2.201"), at(minutes(11)))
                .await
        )
        .reason,
        ThrottleReason::Username,
        "a guesser at another new address is refused too"
    );
    assert!(
        auth.login("admin", pw(PASSWORD), home, at(minutes(10)))
            .await
            .is_ok(),
        "where he signed in lately the ceiling does not apply"
    );
    assert!(auth
        .login("admin", pw(PASSWORD), travelling, at(minutes(15)))
        .await
        .is_ok());
}

#[tokio::test]
async fn resetting_the_password_on_the_server_lifts_the_per_username_ceiling_at_once() {
    let (auth, store) = authenticator().await;
    for i in 0..USERNAME_CEILING {
        let from = ClientNetwork::of(ip(&format!("192.0.2.{i}")));
        store
            .login_failures
            .record(&CountedName::admin("admin"), &from, at(0))
            .await
            .unwrap();
    }
    let somewhere_new = ip(ADMIN_HOME);
    assert_eq!(
        refused(
            auth.login("admin", pw(PASSWORD), somewhere_new, at(60))
                .await
        )
        .reason,
        ThrottleReason::Username
    );
    let new_password = "a new long password";
    create_admin(
        &store,
        &Username::parse("admin").unwrap(),
        NewPassword::parse(pw(new_password)).unwrap(),
        true,
    )
    .await
    .unwrap();
    assert!(
        auth.login("admin", pw(new_password), somewhere_new, at(61))
            .await
            .is_ok(),
        "seed-admin --reset forgets the username's failures"
    );
}

#[tokio::test]
async fn parallel_guesses_get_no_more_password_checks_than_the_same_guesses_one_at_a_time() {
    let (auth, _) = authenticator().await;
    let guesses = (0..24).map(|_| auth.login("admin", pw("guess"), ip(ATTACKER), at(0)));
    let results = futures::future::join_all(guesses).await;
    let checked = results
        .iter()
        .filter(|r| matches!(r, Err(LoginError::InvalidCredentials)))
        .count();
    let throttled = results
        .iter()
        .filter(|r| matches!(r, Err(LoginError::Throttled(_))))
        .count();
    // One at a time, four would be checked (three free failures, and the fourth attempt after
    // them) and every other one refused; in parallel, attempts that see each other may refuse
    // each other, so possibly fewer.
    assert!(checked <= 4, "{checked} guesses were checked");
    assert_eq!(checked + throttled, results.len());
    assert!(auth
        .login("admin", pw(PASSWORD), ip(ADMIN_HOME), at(0))
        .await
        .is_ok());
}

#[tokio::test]
async fn a_success_forgets_that_username_and_address_but_not_an_attacker_elsewhere() {
    let (auth, _) = authenticator().await;
    let (home, attacker) = (ip(ADMIN_HOME), ip(ATTACKER));
    for t in 0..4 {
        wrong(auth.login("admin", pw("typo"), home, at(t)).await);
        wrong(auth.login("admin", pw("guess"), attacker, at(t)).await);
    }
    refused(auth.login("admin", pw(PASSWORD), home, at(4)).await);
    auth.login("admin", pw(PASSWORD), home, at(5))
        .await
        .unwrap();
    // The attacker's fifth failure makes them wait 4 s, until second 9.
    wrong(auth.login("admin", pw("guess"), attacker, at(5)).await);
    // Four failures from home again without waiting: the earlier typos are forgotten.
    for t in 5..9 {
        wrong(auth.login("admin", pw("typo"), home, at(t)).await);
    }
    assert_eq!(
        refused(auth.login("admin", pw(PASSWORD), attacker, at(8)).await).reason,
        ThrottleReason::UsernameAndAddress,
        "the attacker's failures are not forgotten"
    );
}

#[tokio::test]
async fn refusals_are_counted_for_operators_by_throttle_address_and_hour() {
    let (auth, store) = authenticator().await;
    let from = ip(ATTACKER);
    for t in 0..4 {
        wrong(auth.login("admin", pw("guess"), from, at(t)).await);
    }
    refused(auth.login("admin", pw("guess"), from, at(4)).await);
    refused(auth.login("Admin", pw(PASSWORD), from, at(4)).await);
    for i in 0..11 {
        let _ = auth
            .login(
                &format!("user{i}"),
                pw("guess"),
                ip("192.0.2.1"),
                at(minutes(20) + i),
            )
            .await;
    }
    for name in ["x", "y", "z"] {
        assert_eq!(
            refused(
                auth.login(name, pw("guess"), ip("192.0.2.1"), at(minutes(20) + 11))
                    .await
            )
            .reason,
            ThrottleReason::Address
        );
    }
    let summary = store
        .login_refusals
        .summary(at(minutes(30)), 10)
        .await
        .unwrap();
    assert_eq!(summary.last_24h, 5);
    assert_eq!(summary.recent.len(), 2, "{:?}", summary.recent);
    let spray = &summary.recent[0];
    assert_eq!(
        (
            spray.reason,
            spray.address.as_str(),
            spray.username.as_deref()
        ),
        (ThrottleReason::Address, "192.0.2.1", None),
        "an address throttle is one row whatever names it tries, and shows none without an account"
    );
    assert_eq!(spray.count, 3);
    let guesser = &summary.recent[1];
    assert_eq!(
        (
            guesser.reason,
            guesser.address.as_str(),
            guesser.username.as_deref()
        ),
        (ThrottleReason::UsernameAndAddress, ATTACKER, Some("admin"))
    );
    assert_eq!(
        (guesser.count, guesser.first_at, guesser.last_at),
        (2, at(4), at(4))
    );
    assert_eq!(guesser.retry_after_s, 1);
    let next_day = store
        .login_refusals
        .summary(at(minutes(60 * 25)), 10)
        .await
        .unwrap();
    assert_eq!(next_day.last_24h, 0, "the count covers the last 24 hours");
    assert_eq!(next_day.recent.len(), 2, "the list keeps a week");
}

/// What people type into the username field is sometimes their password: once in a shape no
/// username can have, once in one that could be a name but is no account's.
const PASSWORDS_AS_NAMES: [&str; 2] = ["Tr0ub4dor&3 Horse", "s3cret.pa55word"];

/// Everything `tracing` writes while it is held, as text.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Every document of a collection, as text.
async fn stored(store: &Store, collection: &str) -> String {
    let docs: Vec<Document> = store
        .db
        .collection::<Document>(collection)
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    format!("{docs:?}")
}

/// The bug: a name with no account was written as typed to `login_failures`, to
/// `login_refusals` (and so onto the Sync page) and to the refusal's log line, so a password
/// typed into the username field ended up in all three.
#[tokio::test]
async fn a_name_no_admin_has_is_counted_but_never_stored_logged_or_listed() {
    let (auth, store) = authenticator().await;
    let logs = Logs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer({
            let logs = logs.clone();
            move || logs.clone()
        })
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    for (n, typed) in PASSWORDS_AS_NAMES.into_iter().enumerate() {
        let from = ip(&format!("203.0.113.{}", 10 + n));
        for t in 0..4 {
            wrong(auth.login(typed, pw("guess"), from, at(t)).await);
        }
        assert_eq!(
            refused(auth.login(typed, pw("guess"), from, at(4)).await).reason,
            ThrottleReason::UsernameAndAddress,
            "guesses at a name no account has are counted like any others"
        );
    }
    for t in 0..4 {
        wrong(auth.login("admin", pw("guess"), ip(ATTACKER), at(t)).await);
    }
    refused(auth.login("Admin", pw("guess"), ip(ATTACKER), at(4)).await);
    drop(guard);

    let summary = store
        .login_refusals
        .summary(at(minutes(5)), 10)
        .await
        .unwrap();
    let mut listed: Vec<Option<&str>> = summary
        .recent
        .iter()
        .map(|r| r.username.as_deref())
        .collect();
    listed.sort_unstable();
    assert_eq!(
        listed,
        [None, None, Some("admin")],
        "an administrator's name is listed, no other: {:?}",
        summary.recent
    );
    let logged = logs.text();
    assert_eq!(
        logged.matches(domain::sign_in::UNKNOWN_USER).count(),
        2,
        "{logged}"
    );
    assert!(logged.contains("login.user=\"admin\""), "{logged}");
    for collection in [
        store::LOGIN_FAILURES,
        store::LOGIN_REFUSALS,
        store::LOGIN_SUCCESSES,
    ] {
        let kept = stored(&store, collection).await.to_lowercase();
        for typed in PASSWORDS_AS_NAMES {
            assert!(
                !kept.contains(&typed.to_lowercase()),
                "{collection} holds {typed:?}: {kept}"
            );
        }
    }
    let logged = logged.to_lowercase();
    for typed in PASSWORDS_AS_NAMES {
        assert!(
            !logged.contains(&typed.to_lowercase()),
            "the log holds {typed:?}: {logged}"
        );
    }
}

#[tokio::test]
async fn upgrading_forgets_the_names_no_admin_has_that_earlier_versions_kept_as_typed() {
    let (_, store) = authenticator().await;
    let typed = PASSWORDS_AS_NAMES[1];
    let when = bson::DateTime::from_chrono(at(0));
    let failure = |username: &str| doc! { "username": username, "address": ATTACKER, "at": when };
    store
        .db
        .collection::<Document>(store::LOGIN_FAILURES)
        .insert_many([failure(typed), failure("admin")])
        .await
        .unwrap();
    let refusal = |id: &str, reason: &str, username: &str, count: i64| {
        doc! {
            "_id": id, "reason": reason, "username": username, "address": ATTACKER,
            "hour": when, "first_at": when, "last_at": when, "count": count, "retry_after_s": 2_i64,
        }
    };
    store
        .db
        .collection::<Document>(store::LOGIN_REFUSALS)
        .insert_many([
            refusal("by-typed-name", "username_and_address", typed, 1),
            refusal("by-address", "address", typed, 2),
            refusal("by-admin", "username_and_address", "admin", 4),
        ])
        .await
        .unwrap();

    store.upgrade().await.unwrap();

    let failures = stored(&store, store::LOGIN_FAILURES).await;
    assert!(
        !failures.contains(typed) && failures.contains("admin"),
        "{failures}"
    );
    let summary = store.login_refusals.summary(at(60), 10).await.unwrap();
    let rows: Vec<(ThrottleReason, Option<&str>, u64)> = summary
        .recent
        .iter()
        .map(|r| (r.reason, r.username.as_deref(), r.count))
        .collect();
    assert_eq!(
        rows.len(),
        2,
        "the row keyed by the typed name is gone: {rows:?}"
    );
    assert!(
        rows.contains(&(ThrottleReason::Address, None, 2)),
        "{rows:?}"
    );
    assert!(
        rows.contains(&(ThrottleReason::UsernameAndAddress, Some("admin"), 4)),
        "{rows:?}"
    );
}

#[tokio::test]
async fn creating_an_existing_admin_needs_reset_and_reset_needs_an_existing_admin() {
    let (auth, store) = authenticator().await;
    let name = Username::parse("admin").unwrap();
    let err = create_admin(
        &store,
        &name,
        NewPassword::parse(pw("another password!")).unwrap(),
        false,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AdminError::Exists(_)), "{err}");
    create_admin(
        &store,
        &name,
        NewPassword::parse(pw("another password!")).unwrap(),
        true,
    )
    .await
    .unwrap();
    assert!(auth
        .login("admin", pw("another password!"), ip("127.0.0.1"), at(0))
        .await
        .is_ok());
    assert!(matches!(
        auth.login("admin", pw(PASSWORD), ip("127.0.0.1"), at(0))
            .await,
        Err(LoginError::InvalidCredentials)
    ));
    let ghost = Username::parse("ghost").unwrap();
    let err = create_admin(
        &store,
        &ghost,
        NewPassword::parse(pw("another password!")).unwrap(),
        true,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AdminError::Missing(_)));
}
