//! Health routes: public, truthful, and free of secrets.

use crate::helpers::{settings, spawn_app, spawn_app_with};
use store::Store;

#[tokio::test]
async fn process_and_database_health_answer_without_a_session() {
    let app = spawn_app().await;
    let r = app.get("/api/health").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["status"], "ok");
    let r = app.get("/api/health/database").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["status"], "ok");
}

#[tokio::test]
async fn database_health_is_503_with_a_reason_and_no_connection_string_when_the_server_is_gone() {
    // Nothing listens on port 9; the URI carries a password that must not leak.
    let client =
        store::db::connect("mongodb://watcher:s3cret-pw@127.0.0.1:9/?serverSelectionTimeoutMS=500")
            .await
            .unwrap();
    let app = spawn_app_with(settings(), Store::new(client.database("atlaslens"))).await;
    let r = app.get("/api/health/database").await;
    assert_eq!(r.status(), 503);
    let body = r.text().await.unwrap();
    assert!(body.contains("\"reason\""), "{body}");
    assert!(
        !body.contains("s3cret") && !body.contains("watcher") && !body.contains("127.0.0.1"),
        "{body}"
    );
}
