//! Sign-in and administrator accounts against a real MongoDB-wire server.

use chrono::{DateTime, Duration, TimeZone, Utc};
use secrecy::SecretString;
use services::auth::{AdminError, Authenticator, LoginError, NewPassword, Username};
use services::store::Store;
use std::net::IpAddr;

const PASSWORD: &str = "a long enough password";

fn pw(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap() + Duration::minutes(minute)
}

async fn authenticator() -> Authenticator {
    let store = Store::new(testkit::fresh_database().await);
    store.ensure_indexes(365).await.unwrap();
    let auth = Authenticator::new(store.users.clone(), store.login_failures.clone());
    auth.create_admin(
        &Username::parse("Admin").unwrap(),
        NewPassword::parse(pw(PASSWORD)).unwrap(),
        false,
    )
    .await
    .unwrap();
    auth
}

#[tokio::test]
async fn the_right_password_signs_in_with_the_normalised_name() {
    let auth = authenticator().await;
    let user = auth
        .login(" ADMIN ", pw(PASSWORD), ip("127.0.0.1"), at(0))
        .await
        .unwrap();
    assert_eq!(user.username, "admin");
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_get_the_same_answer() {
    let auth = authenticator().await;
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

#[tokio::test]
async fn five_failures_for_a_username_refuse_even_the_right_password_until_the_window_passes() {
    let auth = authenticator().await;
    for i in 0..5 {
        // From different addresses, so only the username counter trips.
        let from = ip(&format!("192.0.2.{i}"));
        assert!(matches!(
            auth.login("admin", pw("guess"), from, at(i)).await,
            Err(LoginError::InvalidCredentials)
        ));
    }
    match auth
        .login("admin", pw(PASSWORD), ip("198.51.100.1"), at(5))
        .await
    {
        Err(LoginError::Throttled { retry_after }) => {
            // The first failure (minute 0) leaves the 15-minute window at minute 15.
            assert_eq!(retry_after.as_secs(), 10 * 60);
        }
        other => panic!("expected a throttled refusal, got {other:?}"),
    }
    // Refusals are not counted as failures, so the throttle lifts on schedule.
    assert!(auth
        .login("admin", pw(PASSWORD), ip("198.51.100.1"), at(15))
        .await
        .is_ok());
}

#[tokio::test]
async fn five_failures_from_one_address_refuse_every_username_from_it() {
    let auth = authenticator().await;
    for (i, name) in ["a1", "a2", "a3", "a4", "a5"].iter().enumerate() {
        let _ = auth
            .login(name, pw("guess"), ip("203.0.113.9"), at(i as i64))
            .await;
    }
    assert!(matches!(
        auth.login("admin", pw(PASSWORD), ip("203.0.113.9"), at(6))
            .await,
        Err(LoginError::Throttled { .. })
    ));
    assert!(
        auth.login("admin", pw(PASSWORD), ip("203.0.113.10"), at(6))
            .await
            .is_ok(),
        "other addresses are unaffected"
    );
}

#[tokio::test]
async fn a_success_clears_earlier_failures_of_that_username() {
    let auth = authenticator().await;
    for i in 0..4 {
        let _ = auth
            .login("admin", pw("guess"), ip(&format!("192.0.2.{i}")), at(i))
            .await;
    }
    auth.login("admin", pw(PASSWORD), ip("192.0.2.50"), at(4))
        .await
        .unwrap();
    let _ = auth
        .login("admin", pw("guess"), ip("192.0.2.60"), at(5))
        .await;
    assert!(auth
        .login("admin", pw(PASSWORD), ip("192.0.2.61"), at(6))
        .await
        .is_ok());
}

#[tokio::test]
async fn creating_an_existing_admin_needs_reset_and_reset_needs_an_existing_admin() {
    let auth = authenticator().await;
    let name = Username::parse("admin").unwrap();
    let err = auth
        .create_admin(
            &name,
            NewPassword::parse(pw("another password!")).unwrap(),
            false,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AdminError::Exists(_)), "{err}");
    auth.create_admin(
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
    let err = auth
        .create_admin(
            &ghost,
            NewPassword::parse(pw("another password!")).unwrap(),
            true,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AdminError::Missing(_)));
}
