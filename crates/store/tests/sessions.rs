//! The MongoDB session store against a real server.

use bson::doc;
use std::collections::HashMap;
use store::{Store, SESSIONS};
use time::{Duration, OffsetDateTime};
use tower_sessions::session::{Id, Record};
use tower_sessions::SessionStore;

fn record(expires_in: Duration) -> Record {
    let mut data = HashMap::new();
    data.insert(
        "admin".to_owned(),
        serde_json::json!({ "username": "admin" }),
    );
    Record {
        id: Id::default(),
        data,
        expiry_date: OffsetDateTime::now_utc() + expires_in,
    }
}

async fn store() -> Store {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    store
}

#[tokio::test]
async fn a_session_is_created_loaded_updated_and_deleted() {
    let store = store().await;
    let mut r = record(Duration::hours(1));
    store.sessions.create(&mut r).await.unwrap();
    let loaded = store
        .sessions
        .load(&r.id)
        .await
        .unwrap()
        .expect("the session loads");
    assert_eq!(loaded.data, r.data);
    assert_eq!(
        loaded.expiry_date.unix_timestamp(),
        r.expiry_date.unix_timestamp()
    );

    r.data.insert("extra".into(), serde_json::json!(1));
    store.sessions.save(&r).await.unwrap();
    assert_eq!(
        store
            .sessions
            .load(&r.id)
            .await
            .unwrap()
            .unwrap()
            .data
            .len(),
        2
    );

    store.sessions.delete(&r.id).await.unwrap();
    assert!(store.sessions.load(&r.id).await.unwrap().is_none());
}

#[tokio::test]
async fn an_expired_session_does_not_load() {
    let store = store().await;
    let mut r = record(Duration::seconds(-1));
    store.sessions.create(&mut r).await.unwrap();
    assert!(store.sessions.load(&r.id).await.unwrap().is_none());
}

#[tokio::test]
async fn the_database_never_holds_a_usable_session_id() {
    let store = store().await;
    let mut r = record(Duration::hours(1));
    store.sessions.create(&mut r).await.unwrap();
    let stored = store
        .db
        .collection::<bson::Document>(SESSIONS)
        .find_one(doc! {})
        .await
        .unwrap()
        .unwrap();
    let key = stored.get_str("_id").unwrap();
    assert_ne!(key, r.id.to_string());
    assert_eq!(key.len(), 64, "a SHA-256 digest");
}
